// libtg_owt.a's task_queue_base.cc and yield_policy.cc keep their thread-locals in the initial-exec TLS
// model (built without -fPIC), which a shared library cannot hold. These are the same two files' few lines
// built here with -fPIC; as object files they come before the archive on libcolonio.so's link line, so the
// archive's copies are never pulled in. Layouts as in /usr/include/tg_owt (api/task_queue/task_queue_base.h,
// rtc_base/synchronization/yield_policy.h).
namespace webrtc {
class TaskQueueBase {
public:
    static TaskQueueBase *Current();
    class CurrentTaskQueueSetter {
    public:
        explicit CurrentTaskQueueSetter(TaskQueueBase *task_queue);
        ~CurrentTaskQueueSetter();

    private:
        TaskQueueBase *const previous_;
    };
};

namespace {
thread_local TaskQueueBase *current = nullptr;
}

TaskQueueBase *TaskQueueBase::Current() { return current; }

TaskQueueBase::CurrentTaskQueueSetter::CurrentTaskQueueSetter(TaskQueueBase *task_queue) : previous_(current) {
    current = task_queue;
}

TaskQueueBase::CurrentTaskQueueSetter::~CurrentTaskQueueSetter() { current = previous_; }
}  // namespace webrtc

namespace rtc {
class YieldInterface {
public:
    virtual ~YieldInterface() = default;
    virtual void YieldExecution() = 0;
};

class ScopedYieldPolicy final {
public:
    explicit ScopedYieldPolicy(YieldInterface *policy);
    ~ScopedYieldPolicy();
    static void YieldExecution();

private:
    YieldInterface *const previous_;
};

namespace {
thread_local YieldInterface *current_yield_policy = nullptr;
}

ScopedYieldPolicy::ScopedYieldPolicy(YieldInterface *policy) : previous_(current_yield_policy) {
    current_yield_policy = policy;
}

ScopedYieldPolicy::~ScopedYieldPolicy() { current_yield_policy = previous_; }

void ScopedYieldPolicy::YieldExecution() {
    if (current_yield_policy) current_yield_policy->YieldExecution();
}
}  // namespace rtc
