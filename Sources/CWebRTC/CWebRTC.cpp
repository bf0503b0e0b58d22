// The C API of CWebRTC.h over libwebrtc. See the header for the threading and lifetime model.
#include "CWebRTC.h"

#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <srtp2/srtp.h>

// libwebrtc's headers use std::is_pod, deprecated in C++20; their warnings are not ours to fix.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#include "api/data_channel_interface.h"
#include "api/jsep.h"
#include "api/peer_connection_interface.h"
#include "api/set_local_description_observer_interface.h"
#include "api/set_remote_description_observer_interface.h"
#include "api/stats/rtc_stats_collector_callback.h"
#include "api/stats/rtcstats_objects.h"
#include "api/task_queue/default_task_queue_factory.h"
#include "pc/srtp_session.h"
#include "rtc_base/logging.h"
#include "rtc_base/network.h"
#include "rtc_base/rtc_certificate_generator.h"
#include "rtc_base/ssl_adapter.h"
#include "rtc_base/thread.h"
#pragma clang diagnostic pop

struct FactoryCore;

namespace {

void copyError(char *error, size_t capacity, const std::string &message) {
  if (error == nullptr || capacity == 0) return;
  std::snprintf(error, capacity, "%s", message.c_str());
}

/// Names of interfaces present now that the factory must ignore.
std::vector<std::string> ignoredInterfaces(const cwrtc_factory_options &options) {
  std::set<std::string> allowed;
  for (size_t i = 0; i < options.allowed_interface_count; ++i) allowed.insert(options.allowed_interfaces[i]);
  std::set<std::string> ignored;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  for (ifaddrs *entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_name == nullptr) continue;
    std::string name(entry->ifa_name);
    bool loopback = (entry->ifa_flags & IFF_LOOPBACK) != 0;
    if (allowed.count(name) != 0 || (loopback && options.allow_loopback)) continue;
    ignored.insert(name);
  }
  freeifaddrs(list);
  return {ignored.begin(), ignored.end()};
}

/// One asynchronous operation started by the caller; completed exactly once.
struct Operation {
  cwrtc_sdp_callback sdpDone = nullptr;
  cwrtc_done_callback done = nullptr;
  void *ctx = nullptr;
  bool finished = false;
};

class SetLocalObserver : public webrtc::SetLocalDescriptionObserverInterface {
 public:
  explicit SetLocalObserver(std::function<void(webrtc::RTCError)> body) : body_(std::move(body)) {}
  void OnSetLocalDescriptionComplete(webrtc::RTCError error) override { body_(std::move(error)); }

 private:
  std::function<void(webrtc::RTCError)> body_;
};

class SetRemoteObserver : public webrtc::SetRemoteDescriptionObserverInterface {
 public:
  explicit SetRemoteObserver(std::function<void(webrtc::RTCError)> body) : body_(std::move(body)) {}
  void OnSetRemoteDescriptionComplete(webrtc::RTCError error) override { body_(std::move(error)); }

 private:
  std::function<void(webrtc::RTCError)> body_;
};

class StatsCallback : public webrtc::RTCStatsCollectorCallback {
 public:
  explicit StatsCallback(std::function<void(const rtc::scoped_refptr<const webrtc::RTCStatsReport> &)> body)
      : body_(std::move(body)) {}
  void OnStatsDelivered(const rtc::scoped_refptr<const webrtc::RTCStatsReport> &report) override {
    body_(report);
  }

 private:
  std::function<void(const rtc::scoped_refptr<const webrtc::RTCStatsReport> &)> body_;
};

std::once_flag processSetup;

/// Factories whose thread runs, so that process exit can stop those threads before OpenSSL's exit
/// handler frees what they use (a link still shutting down at exit would crash otherwise).
std::mutex liveFactoriesMutex;
std::set<FactoryCore *> liveFactories;
bool exiting = false;

void stopThreadsAtExit();

/// Process-wide set-up, once. libwebrtc initializes libsrtp with the first DTLS-SRTP session and shuts it
/// down with the last; Debian's libsrtp (NSS) then takes ~20 ms to initialize again on the next connect
/// of a process that has no other link. Initializing it once here for the process avoids that.
void setUpProcess() {
  rtc::InitializeSSL();
  cricket::ProhibitLibsrtpInitialization();
  srtp_init();
  // Registered after OpenSSL's own handler, so it runs before it.
  std::atexit(stopThreadsAtExit);
}

}  // namespace

/// State shared by a factory handle and its peers; destroyed with the last of them.
struct FactoryCore {
  FactoryCore() {
    std::lock_guard<std::mutex> lock(liveFactoriesMutex);
    liveFactories.insert(this);
  }

  std::unique_ptr<rtc::Thread> thread;
  rtc::scoped_refptr<webrtc::PeerConnectionFactoryInterface> factory;
  rtc::scoped_refptr<rtc::RTCCertificate> certificate;
  webrtc::PeerConnectionInterface::RTCConfiguration configuration;

  /// Tears down on a thread that is not the libwebrtc thread (joining it from itself would deadlock).
  static void destroy(FactoryCore *core) {
    if (core->thread && core->thread->IsCurrent()) {
      std::thread([core] { destroy(core); }).detach();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(liveFactoriesMutex);
      // At exit the thread is stopped already; what it owned is left to the process's end.
      if (exiting) return;
      liveFactories.erase(core);
    }
    if (core->thread) {
      core->thread->BlockingCall([core] {
        core->factory = nullptr;
        core->certificate = nullptr;
      });
      core->thread->Stop();
    }
    delete core;
  }
};

struct cwrtc_factory {
  std::shared_ptr<FactoryCore> core;
};

namespace {
/// Parks every factory thread in a task that never returns (after the work queued before it), so that
/// nothing runs on them while the process's exit handlers tear OpenSSL down. Stopping the threads
/// instead would trip libwebrtc's checks in whatever task is still running.
void stopThreadsAtExit() {
  std::lock_guard<std::mutex> lock(liveFactoriesMutex);
  exiting = true;
  struct Latch {
    std::mutex mutex;
    std::condition_variable condition;
    int arrived = 0;
  };
  auto latch = std::make_shared<Latch>();
  int expected = 0;
  for (FactoryCore *core : liveFactories) {
    if (!core->thread || core->thread->IsCurrent()) continue;
    ++expected;
    core->thread->PostTask([latch] {
      std::unique_lock<std::mutex> parked(latch->mutex);
      ++latch->arrived;
      latch->condition.notify_all();
      latch->condition.wait(parked, [] { return false; });
    });
  }
  std::unique_lock<std::mutex> wait(latch->mutex);
  // Bounded: a thread stuck elsewhere must not hang the exit.
  latch->condition.wait_for(wait, std::chrono::seconds(2), [&] { return latch->arrived >= expected; });
}
}  // namespace

namespace {

/// One peer connection with its data channel. Lives on the libwebrtc thread: every member except the
/// atomics is touched there only.
class Peer final : public webrtc::PeerConnectionObserver,
                   public webrtc::DataChannelObserver,
                   public std::enable_shared_from_this<Peer> {
 public:
  Peer(std::shared_ptr<FactoryCore> factory, const cwrtc_peer_callbacks &callbacks, void *ctx)
      : factory_(std::move(factory)), callbacks_(callbacks), ctx_(ctx) {}

  std::shared_ptr<FactoryCore> factory_;
  rtc::Thread *thread() const { return factory_->thread.get(); }

  bool open(std::string &error) {
    auto result = factory_->factory->CreatePeerConnectionOrError(factory_->configuration,
                                                                 webrtc::PeerConnectionDependencies(this));
    if (!result.ok()) {
      error = std::string("cannot create the peer connection: ") + result.error().message();
      return false;
    }
    connection_ = result.MoveValue();
    webrtc::DataChannelInit init;
    init.negotiated = true;
    init.id = 0;
    init.ordered = true;
    auto channel = connection_->CreateDataChannelOrError("colonio", &init);
    if (!channel.ok()) {
      error = std::string("cannot create the data channel: ") + channel.error().message();
      connection_->Close();
      connection_ = nullptr;
      return false;
    }
    channel_ = channel.MoveValue();
    channel_->RegisterObserver(this);
    return true;
  }

  // MARK: operations (on the libwebrtc thread)

  void createOffer(std::shared_ptr<Operation> op) {
    if (!begin(op)) return;
    auto self = shared_from_this();
    connection_->SetLocalDescription(rtc::make_ref_counted<SetLocalObserver>([self, op](webrtc::RTCError error) {
      self->finishWithLocalDescription(op, error);
    }));
  }

  void acceptOffer(std::shared_ptr<Operation> op, std::unique_ptr<webrtc::SessionDescriptionInterface> offer) {
    if (!begin(op)) return;
    auto self = shared_from_this();
    connection_->SetRemoteDescription(
        std::move(offer), rtc::make_ref_counted<SetRemoteObserver>([self, op](webrtc::RTCError error) {
          if (!error.ok()) {
            self->finish(op, CWRTC_INVALID_SDP, std::string("the remote offer was rejected: ") + error.message());
            return;
          }
          self->flushCandidates();
          if (self->connection_ == nullptr) return;
          self->connection_->SetLocalDescription(
              rtc::make_ref_counted<SetLocalObserver>([self, op](webrtc::RTCError error) {
                self->finishWithLocalDescription(op, error);
              }));
        }));
  }

  void setAnswer(std::shared_ptr<Operation> op, std::unique_ptr<webrtc::SessionDescriptionInterface> answer) {
    if (!begin(op)) return;
    auto self = shared_from_this();
    connection_->SetRemoteDescription(
        std::move(answer), rtc::make_ref_counted<SetRemoteObserver>([self, op](webrtc::RTCError error) {
          if (!error.ok()) {
            self->finish(op, CWRTC_INVALID_SDP, std::string("the remote answer was rejected: ") + error.message());
            return;
          }
          self->finish(op, CWRTC_OK, "");
          self->flushCandidates();
        }));
  }

  void addCandidate(std::shared_ptr<Operation> op, std::unique_ptr<webrtc::IceCandidateInterface> candidate) {
    if (!begin(op)) return;
    if (connection_->remote_description() == nullptr) {
      heldCandidates_.emplace_back(op, std::move(candidate));
      return;
    }
    applyCandidate(op, std::move(candidate));
  }

  void getStats(cwrtc_stats_callback done, void *ctx) {
    if (connection_ == nullptr || closed_.load(std::memory_order_acquire)) {
      done(ctx, nullptr);
      return;
    }
    connection_->GetStats(rtc::make_ref_counted<StatsCallback>(
                              [done, ctx](const rtc::scoped_refptr<const webrtc::RTCStatsReport> &report) {
                                deliverStats(report, done, ctx);
                              })
                              .get());
  }

  // MARK: sending

  /// Any thread: frames and posts one message.
  cwrtc_error send(const uint8_t *data, size_t size) {
    if (closed_.load(std::memory_order_acquire)) return CWRTC_CLOSED;
    std::vector<rtc::CopyOnWriteBuffer> fragments;
    const size_t limit = fragmentLimit_.load(std::memory_order_relaxed);
    fragments.reserve(size / limit + 1);
    uint64_t wireBytes = 0;
    size_t offset = 0;
    do {
      size_t length = std::min(size - offset, limit);
      rtc::CopyOnWriteBuffer fragment(length + 1);
      uint8_t *bytes = fragment.MutableData();
      bytes[0] = offset + length < size ? 1 : 0;
      if (length > 0) std::memcpy(bytes + 1, data + offset, length);
      wireBytes += length + 1;
      fragments.push_back(std::move(fragment));
      offset += length;
    } while (offset < size);
    buffered_.fetch_add(wireBytes, std::memory_order_relaxed);
    auto self = shared_from_this();
    thread()->PostTask([self, fragments = std::move(fragments)]() mutable {
      if (self->closed_.load(std::memory_order_acquire)) return;
      for (auto &fragment : fragments) self->outbox_.push_back(std::move(fragment));
      self->flushOutbox();
    });
    return CWRTC_OK;
  }

  uint64_t bufferedAmount() const {
    return buffered_.load(std::memory_order_relaxed);
  }

  void notifyWhenLow(uint64_t lowWater) {
    lowWater_ = lowWater;
    lowArmed_ = true;
    checkLow();
  }

  // MARK: closing

  void close() {
    if (channel_ != nullptr) channel_->Close();
    if (connection_ != nullptr) connection_->Close();
    markClosed();
  }

  /// Reports the close now and tears down outside libwebrtc's own call stack (closing the connection
  /// from inside its observer would destroy the transport that is calling us).
  void closeLater() {
    markClosed();
    auto self = shared_from_this();
    thread()->PostTask([self] { self->close(); });
  }

  void release() {
    released_ = true;
    if (channel_ != nullptr) {
      channel_->UnregisterObserver();
      channel_->Close();
    }
    if (connection_ != nullptr) connection_->Close();
    markClosed();
    channel_ = nullptr;
    connection_ = nullptr;
    outbox_.clear();
    if (callbacks_.released != nullptr) callbacks_.released(ctx_);
  }

  // MARK: PeerConnectionObserver

  void OnSignalingChange(webrtc::PeerConnectionInterface::SignalingState) override {}
  void OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface>) override {}
  void OnIceGatheringChange(webrtc::PeerConnectionInterface::IceGatheringState) override {}

  void OnIceCandidateError(const std::string &, int, const std::string &url, int error_code,
                           const std::string &error_text) override {
    if (released_ || callbacks_.ice_server_error == nullptr) return;
    callbacks_.ice_server_error(ctx_, url.c_str(), error_code, error_text.c_str());
  }

  void OnIceCandidate(const webrtc::IceCandidateInterface *candidate) override {
    if (released_ || callbacks_.local_candidate == nullptr) return;
    std::string line;
    if (!candidate->ToString(&line)) return;
    std::string mid = candidate->sdp_mid();
    callbacks_.local_candidate(ctx_, line.c_str(), mid.empty() ? nullptr : mid.c_str(),
                               static_cast<int32_t>(candidate->sdp_mline_index()));
  }

  void OnStandardizedIceConnectionChange(webrtc::PeerConnectionInterface::IceConnectionState state) override {
    if (released_ || callbacks_.ice_state_changed == nullptr) return;
    callbacks_.ice_state_changed(ctx_, static_cast<cwrtc_ice_state>(state));
  }

  void OnConnectionChange(webrtc::PeerConnectionInterface::PeerConnectionState state) override {
    using State = webrtc::PeerConnectionInterface::PeerConnectionState;
    if (released_) return;
    cwrtc_peer_state mapped = CWRTC_STATE_NEW;
    switch (state) {
      case State::kNew: mapped = CWRTC_STATE_NEW; break;
      case State::kConnecting: mapped = CWRTC_STATE_CONNECTING; break;
      case State::kConnected: mapped = CWRTC_STATE_CONNECTED; break;
      case State::kDisconnected: mapped = CWRTC_STATE_DISCONNECTED; break;
      case State::kFailed: mapped = CWRTC_STATE_FAILED; break;
      case State::kClosed: mapped = CWRTC_STATE_CLOSED; break;
    }
    if (callbacks_.state_changed != nullptr) callbacks_.state_changed(ctx_, mapped);
    // A failed connection never recovers without an ICE restart, which this layer does not do.
    if (state == State::kFailed || state == State::kClosed) closeLater();
  }

  // MARK: DataChannelObserver

  void OnStateChange() override {
    if (channel_ == nullptr) return;
    switch (channel_->state()) {
      case webrtc::DataChannelInterface::kOpen:
        adoptPeerMessageLimit();
        if (!released_ && callbacks_.channel_open != nullptr) callbacks_.channel_open(ctx_);
        flushOutbox();
        break;
      case webrtc::DataChannelInterface::kClosing:
      case webrtc::DataChannelInterface::kClosed:
        // The remote side closed: close the connection as well, so that nothing lingers.
        closeLater();
        break;
      default:
        break;
    }
  }

  /// Network thread, once the channel is open: fragments no larger than the peer's `a=max-message-size`
  /// allows (libwebrtc refuses a bigger message and the link would close); what is queued is cut again.
  void adoptPeerMessageLimit() {
    auto sctp = connection_->GetSctpTransport();
    if (sctp == nullptr) return;
    auto peerMaximum = sctp->Information().MaxMessageSize();
    if (!peerMaximum || *peerMaximum < 2) return;
    const size_t limit = std::min(static_cast<size_t>(CWRTC_MAX_FRAGMENT), static_cast<size_t>(*peerMaximum) - 1);
    if (limit >= fragmentLimit_.load(std::memory_order_relaxed)) return;
    fragmentLimit_.store(limit, std::memory_order_relaxed);
    std::deque<rtc::CopyOnWriteBuffer> cut;
    uint64_t addedFlags = 0;
    for (auto &fragment : outbox_) {
      const size_t payload = fragment.size() - 1;
      if (payload <= limit) {
        cut.push_back(std::move(fragment));
        continue;
      }
      const uint8_t lastFlag = fragment.cdata()[0];
      for (size_t offset = 0; offset < payload; offset += limit) {
        const size_t length = std::min(payload - offset, limit);
        rtc::CopyOnWriteBuffer piece(length + 1);
        uint8_t *bytes = piece.MutableData();
        bytes[0] = offset + length < payload ? 1 : lastFlag;
        std::memcpy(bytes + 1, fragment.cdata() + 1 + offset, length);
        cut.push_back(std::move(piece));
        if (offset > 0) addedFlags += 1;
      }
    }
    outbox_ = std::move(cut);
    buffered_.fetch_add(addedFlags, std::memory_order_relaxed);
  }

  void OnMessage(const webrtc::DataBuffer &buffer) override {
    // Straight to the caller on the receiving thread: no extra hop, no copy here.
    if (released_ || buffer.data.size() == 0 || callbacks_.message == nullptr) return;
    const uint8_t *bytes = buffer.data.cdata();
    callbacks_.message(ctx_, bytes + 1, buffer.data.size() - 1, bytes[0] == 0);
  }

  void OnBufferedAmountChange(uint64_t) override {
    if (channel_ == nullptr) return;
    // Called from inside Send as well: `flushOutbox` accounts once its loop is over.
    if (flushing_) return;
    accountChannel();
    checkLow();
    // The channel's queue shrank: what waits in the outbox may follow (posted: no Send from inside here).
    if (!outbox_.empty() && !flushPosted_) {
      flushPosted_ = true;
      auto self = shared_from_this();
      thread()->PostTask([self] {
        self->flushPosted_ = false;
        self->flushOutbox();
      });
    }
  }

 private:
  /// Registers an operation; completes it at once when the peer is already closed.
  bool begin(const std::shared_ptr<Operation> &op) {
    if (connection_ == nullptr || closed_.load(std::memory_order_acquire)) {
      complete(op, CWRTC_CLOSED, "the link is closed", nullptr);
      return false;
    }
    pending_.push_back(op);
    return true;
  }

  void finish(const std::shared_ptr<Operation> &op, cwrtc_error error, const std::string &message,
              const char *sdp = nullptr) {
    pending_.erase(std::remove(pending_.begin(), pending_.end(), op), pending_.end());
    complete(op, error, message, sdp);
  }

  static void complete(const std::shared_ptr<Operation> &op, cwrtc_error error, const std::string &message,
                       const char *sdp) {
    if (op->finished) return;
    op->finished = true;
    if (op->sdpDone != nullptr) op->sdpDone(op->ctx, error == CWRTC_OK ? sdp : nullptr, error, message.c_str());
    if (op->done != nullptr) op->done(op->ctx, error, message.c_str());
  }

  void finishWithLocalDescription(const std::shared_ptr<Operation> &op, const webrtc::RTCError &error) {
    if (!error.ok()) {
      finish(op, CWRTC_ENGINE, std::string("cannot set the local description: ") + error.message());
      return;
    }
    const webrtc::SessionDescriptionInterface *local =
        connection_ != nullptr ? connection_->local_description() : nullptr;
    std::string sdp;
    if (local == nullptr || !local->ToString(&sdp)) {
      finish(op, CWRTC_CLOSED, "the link closed before its local description was ready");
      return;
    }
    finish(op, CWRTC_OK, "", sdp.c_str());
  }

  void applyCandidate(const std::shared_ptr<Operation> &op, std::unique_ptr<webrtc::IceCandidateInterface> candidate) {
    auto self = shared_from_this();
    connection_->AddIceCandidate(std::move(candidate), [self, op](webrtc::RTCError error) {
      if (error.ok()) {
        self->finish(op, CWRTC_OK, "");
      } else {
        self->finish(op, CWRTC_INVALID_CANDIDATE,
                     std::string("the remote candidate was rejected: ") + error.message());
      }
    });
  }

  void flushCandidates() {
    auto held = std::move(heldCandidates_);
    heldCandidates_.clear();
    for (auto &entry : held) {
      if (connection_ == nullptr) {
        finish(entry.first, CWRTC_CLOSED, "the link is closed");
      } else {
        applyCandidate(entry.first, std::move(entry.second));
      }
    }
  }

  void flushOutbox() {
    if (flushing_ || channel_ == nullptr || channel_->state() != webrtc::DataChannelInterface::kOpen) return;
    flushing_ = true;
    // The fragment leaves the outbox before `Send`: `Send` may call back into this peer (a closing
    // channel ends in `markClosed`, which empties the outbox), so nothing may refer to the outbox across it.
    while (!outbox_.empty() && !closed_.load(std::memory_order_acquire)) {
      // libwebrtc closes the channel when a Send would take its own queue past MaxSendQueueSize() (16 MB):
      // fragments beyond half of that wait here and follow as the queue drains (OnBufferedAmountChange).
      if (channel_->buffered_amount() + outbox_.front().size() > kChannelQueueLimit) break;
      rtc::CopyOnWriteBuffer fragment = std::move(outbox_.front());
      outbox_.pop_front();
      // Moving between our queue and the channel's leaves the total unchanged.
      channelAccounted_ += fragment.size();
      if (!channel_->Send(webrtc::DataBuffer(fragment, true))) {
        // Only when the channel is closing (its queue is kept below its limit): a reliable link that lost
        // data is broken.
        RTC_LOG(LS_ERROR) << "CWebRTC: the data channel refused a message; closing the link";
        flushing_ = false;
        closeLater();
        return;
      }
    }
    flushing_ = false;
    if (channel_ == nullptr) return;
    accountChannel();
    checkLow();
  }

  /// Network thread: brings the total up to date with what the channel's own queue now holds.
  void accountChannel() {
    if (closed_.load(std::memory_order_acquire)) return;  // a closed link holds nothing
    uint64_t now = channel_->buffered_amount();
    if (now >= channelAccounted_) {
      buffered_.fetch_add(now - channelAccounted_, std::memory_order_relaxed);
    } else {
      buffered_.fetch_sub(channelAccounted_ - now, std::memory_order_relaxed);
    }
    channelAccounted_ = now;
  }

  void checkLow() {
    if (!lowArmed_ || bufferedAmount() > lowWater_) return;
    lowArmed_ = false;
    if (!released_ && callbacks_.buffered_amount_low != nullptr) callbacks_.buffered_amount_low(ctx_);
  }

  void markClosed() {
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto &op : pending) complete(op, CWRTC_CLOSED, "the link closed", nullptr);
    auto held = std::move(heldCandidates_);
    heldCandidates_.clear();
    for (auto &entry : held) complete(entry.first, CWRTC_CLOSED, "the link closed", nullptr);
    buffered_.store(0, std::memory_order_relaxed);
    channelAccounted_ = 0;
    outbox_.clear();
    if (!released_ && callbacks_.closed != nullptr) callbacks_.closed(ctx_);
  }

  static void deliverStats(const rtc::scoped_refptr<const webrtc::RTCStatsReport> &report, cwrtc_stats_callback done,
                           void *ctx) {
    for (const auto *transport : report->GetStatsOfType<webrtc::RTCTransportStats>()) {
      if (!transport->selected_candidate_pair_id.is_defined()) continue;
      const auto *pairStats = report->Get(*transport->selected_candidate_pair_id);
      if (pairStats == nullptr) continue;
      const auto &pair = pairStats->cast_to<webrtc::RTCIceCandidatePairStats>();
      std::string localType, remoteType;
      if (pair.local_candidate_id.is_defined()) {
        if (const auto *local = report->Get(*pair.local_candidate_id)) {
          const auto &candidate = local->cast_to<webrtc::RTCLocalIceCandidateStats>();
          if (candidate.candidate_type.is_defined()) localType = *candidate.candidate_type;
        }
      }
      if (pair.remote_candidate_id.is_defined()) {
        if (const auto *remote = report->Get(*pair.remote_candidate_id)) {
          const auto &candidate = remote->cast_to<webrtc::RTCRemoteIceCandidateStats>();
          if (candidate.candidate_type.is_defined()) remoteType = *candidate.candidate_type;
        }
      }
      cwrtc_stats stats;
      stats.local_candidate_type = localType.c_str();
      stats.remote_candidate_type = remoteType.c_str();
      stats.current_round_trip_time = pair.current_round_trip_time.ValueOrDefault(-1.0);
      stats.bytes_sent = pair.bytes_sent.ValueOrDefault(0);
      stats.bytes_received = pair.bytes_received.ValueOrDefault(0);
      done(ctx, &stats);
      return;
    }
    done(ctx, nullptr);
  }

  cwrtc_peer_callbacks callbacks_;
  void *ctx_;
  rtc::scoped_refptr<webrtc::PeerConnectionInterface> connection_;
  rtc::scoped_refptr<webrtc::DataChannelInterface> channel_;
  std::vector<std::shared_ptr<Operation>> pending_;
  std::vector<std::pair<std::shared_ptr<Operation>, std::unique_ptr<webrtc::IceCandidateInterface>>> heldCandidates_;
  std::deque<rtc::CopyOnWriteBuffer> outbox_;
  // Bytes in our outbox plus the channel's queue, as one atomic: `bufferedAmount` is read from any thread,
  // and a sum of two counters read one after the other can be off by a fragment in either direction while
  // the network thread moves it (too low lets `send` overshoot its high-water mark).
  std::atomic<uint64_t> buffered_{0};
  // Network thread: the part of `buffered_` that stands for the channel's own queue.
  uint64_t channelAccounted_ = 0;
  std::atomic<bool> closed_{false};
  // Largest fragment payload `send` cuts: CWRTC_MAX_FRAGMENT, or less for a peer that accepts less.
  std::atomic<size_t> fragmentLimit_{CWRTC_MAX_FRAGMENT};
  // The most this link puts in the data channel's own queue, which libwebrtc caps at MaxSendQueueSize().
  static inline const uint64_t kChannelQueueLimit = webrtc::DataChannelInterface::MaxSendQueueSize() / 2;
  uint64_t lowWater_ = 0;
  bool lowArmed_ = false;
  bool flushPosted_ = false;
  bool released_ = false;
  bool flushing_ = false;
};

std::shared_ptr<Operation> makeOperation(cwrtc_sdp_callback sdpDone, cwrtc_done_callback done, void *ctx) {
  auto op = std::make_shared<Operation>();
  op->sdpDone = sdpDone;
  op->done = done;
  op->ctx = ctx;
  return op;
}

/// Completes an operation that failed before reaching the libwebrtc thread. Posted, so that callers
/// always see completion asynchronously and on the same thread.
void failLater(rtc::Thread *thread, std::shared_ptr<Operation> op, cwrtc_error error, std::string message) {
  thread->PostTask([op, error, message] {
    if (op->sdpDone != nullptr) op->sdpDone(op->ctx, nullptr, error, message.c_str());
    if (op->done != nullptr) op->done(op->ctx, error, message.c_str());
  });
}

std::unique_ptr<webrtc::SessionDescriptionInterface> parseDescription(webrtc::SdpType type, const char *sdp,
                                                                      std::string &message) {
  if (sdp == nullptr) {
    message = "the SDP is missing";
    return nullptr;
  }
  webrtc::SdpParseError error;
  auto description = webrtc::CreateSessionDescription(type, sdp, &error);
  if (description == nullptr) {
    message = "the SDP cannot be parsed";
    if (!error.description.empty()) message += ": " + error.description;
    if (!error.line.empty()) message += " (line \"" + error.line + "\")";
  }
  return description;
}

/// libwebrtc's form of the C API's ICE servers.
std::vector<webrtc::PeerConnectionInterface::IceServer> iceServers(const cwrtc_ice_server *servers, size_t count) {
  std::vector<webrtc::PeerConnectionInterface::IceServer> list;
  for (size_t i = 0; i < count && servers != nullptr; ++i) {
    webrtc::PeerConnectionInterface::IceServer server;
    for (size_t u = 0; u < servers[i].url_count; ++u) server.urls.emplace_back(servers[i].urls[u]);
    if (servers[i].username != nullptr) server.username = servers[i].username;
    if (servers[i].credential != nullptr) server.password = servers[i].credential;
    list.push_back(std::move(server));
  }
  return list;
}

}  // namespace

struct cwrtc_peer {
  std::shared_ptr<Peer> peer;
};

extern "C" {

cwrtc_factory *cwrtc_factory_create(const cwrtc_factory_options *options, char *error, size_t error_capacity) {
  std::call_once(processSetup, setUpProcess);
  cwrtc_factory_options defaults{};
  defaults.log_severity = -1;
  const cwrtc_factory_options &opts = options != nullptr ? *options : defaults;
  if (opts.log_severity < 0 || opts.log_severity > 3) {
    rtc::LogMessage::LogToDebug(rtc::LS_NONE);
  } else {
    rtc::LogMessage::LogToDebug(static_cast<rtc::LoggingSeverity>(opts.log_severity + rtc::LS_VERBOSE));
    rtc::LogMessage::LogTimestamps(true);
  }

  std::shared_ptr<FactoryCore> core(new FactoryCore(), FactoryCore::destroy);
  core->thread = rtc::Thread::CreateWithSocketServer();
  core->thread->SetName("cwebrtc", nullptr);
  if (!core->thread->Start()) {
    copyError(error, error_capacity, "cannot start the WebRTC thread");
    core->thread = nullptr;
    return nullptr;
  }

  webrtc::PeerConnectionFactoryDependencies dependencies;
  // One thread for network, worker and signaling: no hop between receiving a packet and the callback.
  dependencies.network_thread = core->thread.get();
  dependencies.worker_thread = core->thread.get();
  dependencies.signaling_thread = core->thread.get();
  dependencies.task_queue_factory = webrtc::CreateDefaultTaskQueueFactory();
  if (opts.restrict_interfaces) {
    // libwebrtc types some interfaces (enp*, docker0) as UNKNOWN, which no ignore mask can exclude.
    auto manager = std::make_unique<rtc::BasicNetworkManager>(core->thread->socketserver());
    manager->set_network_ignore_list(ignoredInterfaces(opts));
    dependencies.network_manager = std::move(manager);
  }
  core->factory = webrtc::CreateModularPeerConnectionFactory(std::move(dependencies));
  if (core->factory == nullptr) {
    copyError(error, error_capacity, "libwebrtc could not create a peer connection factory");
    return nullptr;
  }
  webrtc::PeerConnectionFactoryInterface::Options factoryOptions;
  factoryOptions.network_ignore_mask = opts.allow_loopback ? 0 : rtc::kDefaultNetworkIgnoreMask;
  core->factory->SetOptions(factoryOptions);

  // One certificate for every connection of the factory: saves a key generation per connect.
  core->certificate = rtc::RTCCertificateGenerator::GenerateCertificate(rtc::KeyParams::ECDSA(), absl::nullopt);
  if (core->certificate == nullptr) {
    copyError(error, error_capacity, "cannot generate the DTLS certificate");
    return nullptr;
  }

  auto &configuration = core->configuration;
  configuration.sdp_semantics = webrtc::SdpSemantics::kUnifiedPlan;
  configuration.bundle_policy = webrtc::PeerConnectionInterface::kBundlePolicyMaxBundle;
  configuration.rtcp_mux_policy = webrtc::PeerConnectionInterface::kRtcpMuxPolicyRequire;
  configuration.tcp_candidate_policy = webrtc::PeerConnectionInterface::kTcpCandidatePolicyDisabled;
  configuration.continual_gathering_policy = webrtc::PeerConnectionInterface::GATHER_ONCE;
  configuration.certificates.push_back(core->certificate);
  if (opts.ice_check_interval_ms > 0) {
    // libwebrtc paces checks 48 ms apart while no pair is strongly connected, one pair per tick. Through a
    // NAT the first check of a pair is often dropped (the other side's NAT has no mapping yet), so the
    // pair only succeeds on a later tick; a shorter pace cuts the connect time through NATs to a third.
    configuration.ice_check_interval_weak_connectivity = opts.ice_check_interval_ms;
    configuration.ice_check_min_interval = opts.ice_check_interval_ms;
  }
  configuration.servers = iceServers(opts.ice_servers, opts.ice_server_count);
  return new cwrtc_factory{std::move(core)};
}

void cwrtc_factory_release(cwrtc_factory *factory) { delete factory; }

void cwrtc_factory_set_ice_servers(cwrtc_factory *factory, const cwrtc_ice_server *servers, size_t count) {
  if (factory == nullptr) return;
  auto list = iceServers(servers, count);
  // The configuration is read on the factory thread when a peer is created (cwrtc_peer_create blocks on
  // that thread), so replacing it there orders it before every later creation without a lock.
  auto core = factory->core;
  core->thread->PostTask([core, list = std::move(list)]() mutable { core->configuration.servers = std::move(list); });
}

cwrtc_peer *cwrtc_peer_create(cwrtc_factory *factory, const cwrtc_peer_callbacks *callbacks, void *ctx, char *error,
                              size_t error_capacity) {
  if (factory == nullptr || callbacks == nullptr) {
    copyError(error, error_capacity, "missing factory or callbacks");
    return nullptr;
  }
  auto peer = std::make_shared<Peer>(factory->core, *callbacks, ctx);
  std::string message;
  bool opened = factory->core->thread->BlockingCall([&] { return peer->open(message); });
  if (!opened) {
    copyError(error, error_capacity, message);
    return nullptr;
  }
  return new cwrtc_peer{std::move(peer)};
}

void cwrtc_peer_create_offer(cwrtc_peer *handle, cwrtc_sdp_callback done, void *ctx) {
  auto peer = handle->peer;
  auto op = makeOperation(done, nullptr, ctx);
  peer->thread()->PostTask([peer, op] { peer->createOffer(op); });
}

void cwrtc_peer_accept_offer(cwrtc_peer *handle, const char *offer_sdp, cwrtc_sdp_callback done, void *ctx) {
  auto peer = handle->peer;
  auto op = makeOperation(done, nullptr, ctx);
  std::string message;
  auto offer = parseDescription(webrtc::SdpType::kOffer, offer_sdp, message);
  if (offer == nullptr) {
    failLater(peer->thread(), op, CWRTC_INVALID_SDP, message);
    return;
  }
  peer->thread()->PostTask([peer, op, offer = std::move(offer)]() mutable { peer->acceptOffer(op, std::move(offer)); });
}

void cwrtc_peer_set_answer(cwrtc_peer *handle, const char *answer_sdp, cwrtc_done_callback done, void *ctx) {
  auto peer = handle->peer;
  auto op = makeOperation(nullptr, done, ctx);
  std::string message;
  auto answer = parseDescription(webrtc::SdpType::kAnswer, answer_sdp, message);
  if (answer == nullptr) {
    failLater(peer->thread(), op, CWRTC_INVALID_SDP, message);
    return;
  }
  peer->thread()->PostTask(
      [peer, op, answer = std::move(answer)]() mutable { peer->setAnswer(op, std::move(answer)); });
}

void cwrtc_peer_add_candidate(cwrtc_peer *handle, const char *candidate, const char *sdp_mid, int32_t mline_index,
                              cwrtc_done_callback done, void *ctx) {
  auto peer = handle->peer;
  auto op = makeOperation(nullptr, done, ctx);
  if (candidate == nullptr || mline_index < 0) {
    failLater(peer->thread(), op, CWRTC_INVALID_CANDIDATE, "the candidate or its m-line index is missing");
    return;
  }
  if (candidate[0] == '\0') {
    // End-of-candidates as browsers signal it: nothing to add.
    failLater(peer->thread(), op, CWRTC_OK, "");
    return;
  }
  webrtc::SdpParseError error;
  std::unique_ptr<webrtc::IceCandidateInterface> parsed(
      webrtc::CreateIceCandidate(sdp_mid != nullptr ? sdp_mid : "", mline_index, candidate, &error));
  if (parsed == nullptr) {
    std::string message = "the ICE candidate cannot be parsed";
    if (!error.description.empty()) message += ": " + error.description;
    failLater(peer->thread(), op, CWRTC_INVALID_CANDIDATE, message);
    return;
  }
  peer->thread()->PostTask(
      [peer, op, parsed = std::move(parsed)]() mutable { peer->addCandidate(op, std::move(parsed)); });
}

cwrtc_error cwrtc_peer_send(cwrtc_peer *handle, const uint8_t *data, size_t size) {
  return handle->peer->send(data, size);
}

uint64_t cwrtc_peer_buffered_amount(const cwrtc_peer *handle) { return handle->peer->bufferedAmount(); }

void cwrtc_peer_notify_when_low(cwrtc_peer *handle, uint64_t low_water) {
  auto peer = handle->peer;
  peer->thread()->PostTask([peer, low_water] { peer->notifyWhenLow(low_water); });
}

void cwrtc_peer_get_stats(cwrtc_peer *handle, cwrtc_stats_callback done, void *ctx) {
  auto peer = handle->peer;
  peer->thread()->PostTask([peer, done, ctx] { peer->getStats(done, ctx); });
}

void cwrtc_peer_close(cwrtc_peer *handle) {
  auto peer = handle->peer;
  peer->thread()->PostTask([peer] { peer->close(); });
}

void cwrtc_peer_release(cwrtc_peer *handle) {
  auto peer = std::move(handle->peer);
  delete handle;
  peer->thread()->PostTask([peer] { peer->release(); });
}

}  // extern "C"
