// Reference for `colonio bench link`: the same measurements with libwebrtc used directly in its default
// thread layout (separate network, worker and signaling threads; callbacks on the signaling thread),
// as a plain C++ program would. Build and run: scripts/bench/raw-link.sh
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include "api/peer_connection_interface.h"
#include "api/task_queue/default_task_queue_factory.h"
#include "rtc_base/logging.h"
#include "rtc_base/ssl_adapter.h"
#include "rtc_base/thread.h"

using Clock = std::chrono::steady_clock;

struct Waiter {
  std::mutex mutex;
  std::condition_variable condition;
  int count = 0;
  void signal() {
    std::lock_guard<std::mutex> lock(mutex);
    ++count;
    condition.notify_all();
  }
  void waitFor(int target) {
    std::unique_lock<std::mutex> lock(mutex);
    condition.wait(lock, [&] { return count >= target; });
  }
};

struct Peer : webrtc::PeerConnectionObserver, webrtc::DataChannelObserver {
  rtc::scoped_refptr<webrtc::PeerConnectionInterface> pc;
  rtc::scoped_refptr<webrtc::DataChannelInterface> dc;
  Peer *other = nullptr;
  rtc::Thread *signaling = nullptr;
  bool echo = false;
  Waiter opened, received;
  // Trickled candidates wait here until the other side has its remote description.
  std::mutex candidateMutex;
  std::vector<std::unique_ptr<webrtc::IceCandidateInterface>> outgoing;
  bool otherReady = false;
  void OnSignalingChange(webrtc::PeerConnectionInterface::SignalingState) override {}
  void OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface>) override {}
  void OnIceGatheringChange(webrtc::PeerConnectionInterface::IceGatheringState) override {}
  void OnIceCandidate(const webrtc::IceCandidateInterface *candidate) override {
    std::string line;
    candidate->ToString(&line);
    webrtc::SdpParseError error;
    std::unique_ptr<webrtc::IceCandidateInterface> copy(
        webrtc::CreateIceCandidate(candidate->sdp_mid(), candidate->sdp_mline_index(), line, &error));
    {
      std::lock_guard<std::mutex> lock(candidateMutex);
      if (!otherReady) {
        outgoing.push_back(std::move(copy));
        return;
      }
    }
    other->pc->AddIceCandidate(std::move(copy), [](webrtc::RTCError) {});
  }
  void otherHasRemoteDescription() {
    std::vector<std::unique_ptr<webrtc::IceCandidateInterface>> held;
    {
      // Not held while adding: AddIceCandidate waits for the signaling thread, which may wait for it.
      std::lock_guard<std::mutex> lock(candidateMutex);
      otherReady = true;
      held.swap(outgoing);
    }
    for (auto &candidate : held) other->pc->AddIceCandidate(std::move(candidate), [](webrtc::RTCError) {});
  }
  void OnStateChange() override {
    if (dc->state() == webrtc::DataChannelInterface::kOpen) opened.signal();
  }
  void OnMessage(const webrtc::DataBuffer &buffer) override {
    if (echo && buffer.size() <= 64) {
      // Sends from inside OnMessage must be posted.
      auto copy = buffer;
      signaling->PostTask([this, copy] { dc->Send(copy); });
    }
    received.signal();
  }
};

struct SetLocal : webrtc::SetLocalDescriptionObserverInterface {
  Waiter *waiter;
  explicit SetLocal(Waiter *w) : waiter(w) {}
  void OnSetLocalDescriptionComplete(webrtc::RTCError) override { waiter->signal(); }
};
struct SetRemote : webrtc::SetRemoteDescriptionObserverInterface {
  Waiter *waiter;
  explicit SetRemote(Waiter *w) : waiter(w) {}
  void OnSetRemoteDescriptionComplete(webrtc::RTCError) override { waiter->signal(); }
};

static std::string localSDP(Peer &peer) {
  std::string sdp;
  peer.signaling->BlockingCall([&] { peer.pc->local_description()->ToString(&sdp); });
  return sdp;
}

int main(int argc, char **argv) {
  int connects = 20, roundTrips = 10000, messages = 4096;
  rtc::LogMessage::LogToDebug(rtc::LS_NONE);
  rtc::InitializeSSL();
  auto network = rtc::Thread::CreateWithSocketServer();
  auto worker = rtc::Thread::Create();
  auto signaling = rtc::Thread::Create();
  network->Start();
  worker->Start();
  signaling->Start();
  webrtc::PeerConnectionFactoryDependencies deps;
  deps.network_thread = network.get();
  deps.worker_thread = worker.get();
  deps.signaling_thread = signaling.get();
  deps.task_queue_factory = webrtc::CreateDefaultTaskQueueFactory();
  auto factory = webrtc::CreateModularPeerConnectionFactory(std::move(deps));
  webrtc::PeerConnectionFactoryInterface::Options options;
  options.network_ignore_mask = 0;
  factory->SetOptions(options);
  webrtc::PeerConnectionInterface::RTCConfiguration config;
  config.sdp_semantics = webrtc::SdpSemantics::kUnifiedPlan;
  config.tcp_candidate_policy = webrtc::PeerConnectionInterface::kTcpCandidatePolicyDisabled;

  std::vector<double> connectMs, rttUs;
  double throughput = 0;
  for (int round = 0; round < connects; ++round) {
    auto *a = new Peer, *b = new Peer;
    a->other = b;
    b->other = a;
    a->signaling = b->signaling = signaling.get();
    b->echo = true;
    for (Peer *p : {a, b}) {
      p->pc = factory->CreatePeerConnectionOrError(config, webrtc::PeerConnectionDependencies(p)).MoveValue();
      webrtc::DataChannelInit init;
      init.negotiated = true;
      init.id = 0;
      p->dc = p->pc->CreateDataChannelOrError("bench", &init).MoveValue();
      p->dc->RegisterObserver(p);
    }
    auto start = Clock::now();
    Waiter done;
    a->pc->SetLocalDescription(rtc::make_ref_counted<SetLocal>(&done));
    done.waitFor(1);
    webrtc::SdpParseError error;
    b->pc->SetRemoteDescription(webrtc::CreateSessionDescription(webrtc::SdpType::kOffer, localSDP(*a), &error),
                                rtc::make_ref_counted<SetRemote>(&done));
    done.waitFor(2);
    a->otherHasRemoteDescription();
    b->pc->SetLocalDescription(rtc::make_ref_counted<SetLocal>(&done));
    done.waitFor(3);
    a->pc->SetRemoteDescription(webrtc::CreateSessionDescription(webrtc::SdpType::kAnswer, localSDP(*b), &error),
                                rtc::make_ref_counted<SetRemote>(&done));
    done.waitFor(4);
    b->otherHasRemoteDescription();
    a->opened.waitFor(1);
    b->opened.waitFor(1);
    connectMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (round == connects - 1) {
      std::vector<uint8_t> small(64, 0x5a);
      for (int i = 0; i < roundTrips + 200; ++i) {
        auto t = Clock::now();
        a->dc->Send(webrtc::DataBuffer(rtc::CopyOnWriteBuffer(small.data(), small.size()), true));
        a->received.waitFor(i + 1);
        if (i >= 200) rttUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
      }
      std::vector<uint8_t> block(65536, 0xa5);
      int base = b->received.count;
      auto t = Clock::now();
      for (int i = 0; i < messages; ++i) {
        while (a->dc->buffered_amount() > (1 << 20)) std::this_thread::yield();
        a->dc->Send(webrtc::DataBuffer(rtc::CopyOnWriteBuffer(block.data(), block.size()), true));
      }
      b->received.waitFor(base + messages);
      throughput = messages * 65536.0 / std::chrono::duration<double>(Clock::now() - t).count() / 1e6;
    }
    for (Peer *p : {a, b}) {
      p->dc->UnregisterObserver();
      p->dc->Close();
      p->pc->Close();
      p->dc = nullptr;
      p->pc = nullptr;
    }
    delete a;
    delete b;
  }
  std::sort(connectMs.begin(), connectMs.end());
  std::sort(rttUs.begin(), rttUs.end());
  long rss = 0;
  if (FILE *status = fopen("/proc/self/status", "r")) {
    char line[256];
    while (fgets(line, sizeof line, status))
      if (sscanf(line, "VmRSS: %ld", &rss) == 1) break;
    fclose(status);
  }
  std::printf(
      "{\"benchmark\":\"raw-link\",\"connect_ms\":{\"p50\":%.2f},\"rtt_us\":{\"p50\":%.1f,\"p99\":%.1f},"
      "\"throughput_mb_s\":%.1f,\"rss_mb\":%.1f}\n",
      connectMs[connectMs.size() / 2], rttUs[rttUs.size() / 2], rttUs[rttUs.size() * 99 / 100], throughput,
      rss / 1024.0);
  factory = nullptr;
  return 0;
}
