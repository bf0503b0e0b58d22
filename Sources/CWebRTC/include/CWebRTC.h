// CWebRTC: a plain C API over libwebrtc (Debian's libtgowt), the only boundary between Colonio and the
// WebRTC engine, so that the engine can be swapped without touching the Swift layer.
//
// Model:
// - A factory owns one libwebrtc thread that serves as network, worker and signaling thread. Every
//   callback below runs on that thread. Callbacks must return quickly and must never block waiting for
//   another CWebRTC call to complete (that call would need the same thread).
// - A peer owns one RTCPeerConnection with exactly one reliable, ordered data channel (negotiated,
//   stream id 0), so that offer/answer and trickled ICE candidates are all that two sides exchange.
// - Every function may be called from any thread, also from inside a callback. Operations on a peer
//   post their work to the libwebrtc thread and never wait for it; only creating and destroying a
//   factory and creating a peer wait for that thread (briefly; directly when called on it).
// - Messages are framed so that messages larger than SCTP's 256 KiB limit work: every SCTP message on
//   the channel is one flag byte followed by a fragment of at most CWRTC_MAX_FRAGMENT bytes; flag 0 marks
//   the last fragment of a message, flag 1 a fragment with more to follow. A browser peer applies the
//   same framing in JavaScript.
// - Lifetimes: `cwrtc_peer_release` starts teardown and ends with the `released` callback; no callback
//   for that peer's context comes after it. A factory stays alive until its last peer is released, so
//   `cwrtc_factory_release` may come before the peers' release.
#ifndef CWEBRTC_H
#define CWEBRTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Largest payload of one fragment on the wire: with its flag byte, an SCTP message of 64 KiB, the smallest
/// limit peers advertise (Safari, aiortc, and the default of an SDP without `a=max-message-size`). A peer
/// that advertises less gets fragments of its limit less one byte.
#define CWRTC_MAX_FRAGMENT 65535

typedef struct cwrtc_factory cwrtc_factory;
typedef struct cwrtc_peer cwrtc_peer;

/// Error codes of completion callbacks and of `cwrtc_peer_send`.
typedef enum cwrtc_error {
  CWRTC_OK = 0,
  /// The SDP text could not be parsed or does not fit the connection's signaling state.
  CWRTC_INVALID_SDP = 1,
  /// The ICE candidate line could not be parsed or does not belong to the remote description.
  CWRTC_INVALID_CANDIDATE = 2,
  /// The peer is closed.
  CWRTC_CLOSED = 3,
  /// libwebrtc failed for another reason; the message says why.
  CWRTC_ENGINE = 4,
} cwrtc_error;

/// RTCPeerConnectionState.
typedef enum cwrtc_peer_state {
  CWRTC_STATE_NEW = 0,
  CWRTC_STATE_CONNECTING = 1,
  CWRTC_STATE_CONNECTED = 2,
  CWRTC_STATE_DISCONNECTED = 3,
  CWRTC_STATE_FAILED = 4,
  CWRTC_STATE_CLOSED = 5,
} cwrtc_peer_state;

/// RTCIceConnectionState.
typedef enum cwrtc_ice_state {
  CWRTC_ICE_NEW = 0,
  CWRTC_ICE_CHECKING = 1,
  CWRTC_ICE_CONNECTED = 2,
  CWRTC_ICE_COMPLETED = 3,
  CWRTC_ICE_FAILED = 4,
  CWRTC_ICE_DISCONNECTED = 5,
  CWRTC_ICE_CLOSED = 6,
} cwrtc_ice_state;

/// One STUN or TURN server; `username` and `credential` may be NULL (needed for TURN).
typedef struct cwrtc_ice_server {
  const char *const *urls;
  size_t url_count;
  const char *username;
  const char *credential;
} cwrtc_ice_server;

typedef struct cwrtc_factory_options {
  /// Gather candidates on loopback interfaces (127.0.0.1, ::1); libwebrtc ignores them by default.
  bool allow_loopback;
  /// When true, only the interfaces named in `allowed_interfaces` (plus loopback interfaces if
  /// `allow_loopback`) are used; every other interface present at factory creation is ignored.
  bool restrict_interfaces;
  const char *const *allowed_interfaces;
  size_t allowed_interface_count;
  const cwrtc_ice_server *ice_servers;
  size_t ice_server_count;
  /// Let libwebrtc log to stderr at this severity: 0 verbose .. 3 error; -1 (the default) silences it.
  int log_severity;
  /// Milliseconds between ICE connectivity checks while no candidate pair is strongly connected (and the
  /// least time between two checks of one pair); 0 keeps libwebrtc's 48 ms.
  int ice_check_interval_ms;
} cwrtc_factory_options;

/// Events of one peer; all run on the factory's thread. Strings are valid during the call only.
typedef struct cwrtc_peer_callbacks {
  /// A local ICE candidate to send to the remote side: RFC 8839 candidate line ("candidate:..."),
  /// media stream id (may be NULL) and m-line index.
  void (*local_candidate)(void *ctx, const char *candidate, const char *sdp_mid, int32_t mline_index);
  void (*state_changed)(void *ctx, cwrtc_peer_state state);
  void (*ice_state_changed)(void *ctx, cwrtc_ice_state state);
  /// The data channel is open: messages can flow.
  void (*channel_open)(void *ctx);
  /// One fragment of a received message (see the framing above); `last` ends the message.
  void (*message)(void *ctx, const uint8_t *data, size_t size, bool last);
  /// The buffered amount fell to the low-water mark after `cwrtc_peer_notify_when_low`.
  void (*buffered_amount_low)(void *ctx);
  /// The data channel or the connection closed (locally or remotely) or failed. Comes once.
  void (*closed)(void *ctx);
  /// Teardown after `cwrtc_peer_release` is complete: the last callback for this context.
  void (*released)(void *ctx);
  /// A STUN or TURN server failed while gathering (RTCPeerConnectionIceErrorEvent), e.g. TURN 401 when
  /// the server refuses the credential: the server's URL, the STUN error code and its reason phrase.
  /// libwebrtc keeps checking the other candidates, so without this a refused TURN credential only
  /// shows as a connection that never comes up. May be NULL.
  void (*ice_server_error)(void *ctx, const char *url, int error_code, const char *error_text);
} cwrtc_peer_callbacks;

/// Completion of an operation producing SDP: `sdp` is set on success, else `error` and `message`.
typedef void (*cwrtc_sdp_callback)(void *ctx, const char *sdp, cwrtc_error error, const char *message);
/// Completion of an operation without result.
typedef void (*cwrtc_done_callback)(void *ctx, cwrtc_error error, const char *message);

/// Statistics of the selected candidate pair. Candidate types are "host", "srflx", "prflx" or
/// "relay"; RTT is in seconds (negative when not measured yet).
typedef struct cwrtc_stats {
  const char *local_candidate_type;
  const char *remote_candidate_type;
  double current_round_trip_time;
  uint64_t bytes_sent;
  uint64_t bytes_received;
} cwrtc_stats;
/// `stats` is NULL when no candidate pair is selected (not connected).
typedef void (*cwrtc_stats_callback)(void *ctx, const cwrtc_stats *stats);

/// Creates a factory with its thread. Returns NULL and fills `error` (if not NULL) on failure.
cwrtc_factory *cwrtc_factory_create(const cwrtc_factory_options *options, char *error,
                                    size_t error_capacity);
/// Drops the caller's reference; the factory ends after its last peer is released. Never blocks when
/// called on the factory's own thread.
void cwrtc_factory_release(cwrtc_factory *factory);

/// Replaces the ICE servers of peers created from now on (e.g. renewed time-limited TURN credentials);
/// existing peers keep theirs. Never blocks.
void cwrtc_factory_set_ice_servers(cwrtc_factory *factory, const cwrtc_ice_server *servers, size_t count);

/// Creates a peer with its data channel. `callbacks` is copied; `ctx` is passed to every callback until
/// `released`. Returns NULL and fills `error` on failure.
cwrtc_peer *cwrtc_peer_create(cwrtc_factory *factory, const cwrtc_peer_callbacks *callbacks, void *ctx,
                              char *error, size_t error_capacity);

/// Creates an offer, sets it as local description and returns its SDP.
void cwrtc_peer_create_offer(cwrtc_peer *peer, cwrtc_sdp_callback done, void *ctx);
/// Sets a remote offer, creates the answer, sets it as local description and returns its SDP.
void cwrtc_peer_accept_offer(cwrtc_peer *peer, const char *offer_sdp, cwrtc_sdp_callback done, void *ctx);
/// Sets the remote answer to an offer made with `cwrtc_peer_create_offer`.
void cwrtc_peer_set_answer(cwrtc_peer *peer, const char *answer_sdp, cwrtc_done_callback done, void *ctx);
/// Adds a remote candidate. Candidates arriving before the remote description are held until it is
/// set (then `done` reports the outcome). `sdp_mid` may be NULL.
void cwrtc_peer_add_candidate(cwrtc_peer *peer, const char *candidate, const char *sdp_mid,
                              int32_t mline_index, cwrtc_done_callback done, void *ctx);

/// Queues one message (copied; fragmented on the wire). Returns CWRTC_CLOSED after close.
cwrtc_error cwrtc_peer_send(cwrtc_peer *peer, const uint8_t *data, size_t size);
/// Bytes queued by `cwrtc_peer_send` and not yet handed to SCTP (a lock-free read).
uint64_t cwrtc_peer_buffered_amount(const cwrtc_peer *peer);
/// Calls `buffered_amount_low` once, as soon as the buffered amount is at or below `low_water`
/// (immediately, on the factory's thread, if it already is).
void cwrtc_peer_notify_when_low(cwrtc_peer *peer, uint64_t low_water);
/// Requests statistics of the selected candidate pair.
void cwrtc_peer_get_stats(cwrtc_peer *peer, cwrtc_stats_callback done, void *ctx);
/// Closes the channel and the connection; `closed` follows.
void cwrtc_peer_close(cwrtc_peer *peer);
/// Closes (if needed) and frees the peer; `released` is the last callback. `peer` is invalid after.
void cwrtc_peer_release(cwrtc_peer *peer);

#ifdef __cplusplus
}
#endif

#endif
