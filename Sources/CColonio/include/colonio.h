/*
 * colonio.h: the C ABI of a Colonio node (libcolonio.so).
 *
 * One Swift core (the `Colonio` module) exported to every language: Python (bindings/python) and Go
 * (bindings/go) call this ABI, so their nodes join the same networks as Swift and browser nodes.
 * docs/bindings.md explains the design; this header is the reference.
 *
 * CONVENTIONS
 * - Every function returns a colonio_status (0 = COLONIO_OK) unless it says otherwise. On failure the
 *   calling thread's last error (colonio_last_error_message) says why; out-parameters are left untouched
 *   unless documented otherwise.
 * - Strings passed in are NUL-terminated UTF-8; invalid UTF-8 or NULL where a string is required gives
 *   COLONIO_ERR_INVALID_ARGUMENT. Byte buffers are (pointer, length); the pointer may be NULL only when
 *   the length is 0. The library copies everything it keeps: callers may free their inputs as soon as
 *   a call returns.
 * - Node IDs cross the boundary as 32 lowercase hexadecimal digits.
 * - A node is a colonio_node handle (an integer, never a pointer): after colonio_node_free, or for a
 *   number that was never a node, every call gives COLONIO_ERR_INVALID_HANDLE instead of crashing.
 * - Every function may be called from any thread, concurrently.
 *
 * BLOCKING
 * The calls marked "blocks" wait on the calling thread until the network answers (bounded by the
 * network's own timeouts: requests and KVS operations time out after the network's request timeout,
 * 10 s by default). Languages with an event loop run them on a worker thread: Python's binding uses
 * asyncio's default executor, Go calls them from goroutines. Never call a blocking function while
 * holding a lock a callback needs.
 *
 * CALLBACKS
 * Handler and subscription callbacks run on threads the library owns (never the Swift concurrency
 * pool, never the caller's thread, never while the library holds a lock), so a callback may call any
 * function of this header, blocking ones included, and may reply to a request later from another
 * thread. Callbacks of one subscription run one at a time, in delivery order; handler callbacks may
 * run concurrently with each other. Pointers handed to a callback are valid only until it returns:
 * copy what you keep.
 *
 * OWNERSHIP
 * Every buffer or string the library returns through an out-parameter (uint8_t **, char **) is
 * allocated by the library and must be released with colonio_free by the caller. Nothing else is ever
 * owned by the caller. colonio_last_error_message's string belongs to the library.
 */
#ifndef COLONIO_H
#define COLONIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes; compare with colonio_abi_version() at run time. Raised on
 * every incompatible change. */
#define COLONIO_ABI_VERSION 1

/* Status codes. Each Swift ColonioError case has its own code (named after it). */
typedef int32_t colonio_status;
enum {
    COLONIO_OK = 0,
    /* Bad input at the boundary: NULL where a value is required, invalid UTF-8, a length without a
     * buffer, an unknown flag, an unparsable node ID. Nothing was done. */
    COLONIO_ERR_INVALID_ARGUMENT = 1,
    /* The node, subscription or reply handle is unknown: never made, freed, or already used. */
    COLONIO_ERR_INVALID_HANDLE = 2,
    COLONIO_ERR_NOT_CONNECTED = 3,        /* connect first */
    COLONIO_ERR_ALREADY_CONNECTED = 4,    /* disconnect first */
    COLONIO_ERR_SEED_FAILED = 5,          /* signing in to the seed failed (unreachable, wrong token, ...) */
    COLONIO_ERR_LINKS_UNAVAILABLE = 6,    /* WebRTC could not start */
    COLONIO_ERR_UNREACHABLE = 7,          /* no node with that ID is on the network */
    COLONIO_ERR_TIMEOUT = 8,              /* no answer in time (a KVS write may have been applied) */
    COLONIO_ERR_NO_HANDLER = 9,           /* the destination has no handler of that name */
    COLONIO_ERR_HANDLER_FAILED = 10,      /* the destination's handler failed (colonio_reply_error) */
    COLONIO_ERR_MESSAGE_TOO_LARGE = 11,
    COLONIO_ERR_INVALID_NAME = 12,        /* handler name empty or longer than 255 bytes */
    COLONIO_ERR_NETWORK_CLOSED = 13,      /* the node disconnected before the operation finished */
    COLONIO_ERR_INVALID_POSITION = 14,    /* outside the network's coordinate space */
    COLONIO_ERR_PUBLISH_FAILED = 15,
    COLONIO_ERR_NO_RECEIVER = 16,         /* COLONIO_PUBLISH_REQUIRE_RECEIVER: nobody received it */
    COLONIO_ERR_CONDITION_FAILED = 17,    /* KVS condition unmet; nothing changed */
    COLONIO_ERR_UNAVAILABLE = 18,         /* too few KVS replicas answered; not applied: retry */
    COLONIO_ERR_KEY_TOO_LARGE = 19,
    COLONIO_ERR_VALUE_TOO_LARGE = 20,
    COLONIO_ERR_DELIVERY_FAILED = 21,     /* protocol mismatch or the ring is repairing */
    COLONIO_ERR_INTERNAL = 99             /* a bug in the library; the message says more */
};

/* A node handle; 0 is never a node. */
typedef uint64_t colonio_node;
/* A subscription handle (colonio_subscribe); 0 is never one. */
typedef uint64_t colonio_subscription;
/* Identifies one received request until it is answered (colonio_reply); 0 for one-way messages. */
typedef uint64_t colonio_reply;

/* The ABI version of the loaded library (COLONIO_ABI_VERSION of the header it was built with). */
uint32_t colonio_abi_version(void);

/* The message of the calling thread's most recent failed call: NUL-terminated UTF-8, owned by the
 * library, valid until the next colonio_* call on this thread. "" when none failed yet. Thread-local:
 * read it on the thread that made the call (Go: runtime.LockOSThread around the pair). */
const char *colonio_last_error_message(void);

/* A short constant English name of a status code ("COLONIO_ERR_TIMEOUT"); never NULL, static. */
const char *colonio_status_name(colonio_status status);

/* Releases a buffer or string the library returned. NULL is ignored. */
void colonio_free(void *buffer);

/* ---- Nodes ---- */

/* Options of colonio_node_new. Zero-initialise, set what you need, set struct_size to sizeof. */
typedef struct colonio_node_options {
    /* sizeof(colonio_node_options): lets later ABI versions add fields. */
    uint32_t struct_size;
    /* Nonzero: WebRTC uses loopback addresses only (tests, single-machine demos). */
    int32_t loopback_only;
    /* Interfaces WebRTC may use (e.g. "eth0"); NULL/0: all. Ignored with loopback_only. */
    const char *const *allowed_interfaces;
    size_t allowed_interface_count;
    /* Milliseconds; 0 keeps the Swift default (100 ms tick, 1 s first retry, 30 s longest retry). */
    uint32_t tick_interval_ms;
    uint32_t retry_delay_ms;
    uint32_t maximum_retry_delay_ms;
} colonio_node_options;

/* Makes a disconnected node. options may be NULL (defaults). On success *node is its handle. */
colonio_status colonio_node_new(const colonio_node_options *options, colonio_node *node);

/* Disconnects the node if needed, removes its handlers and subscriptions (their callbacks are not
 * called again once this returns, except the one this is called from) and forgets the handle.
 * Requests this node received and has not answered fail at their senders. Blocks. */
colonio_status colonio_node_free(colonio_node node);

/* Signs in to `network` through the seed at `seed_url` (ws://host:port) with `token` and joins the
 * overlay; returns once signed in (links form in the background). Blocks. */
colonio_status colonio_node_connect(colonio_node node, const char *seed_url, const char *network, const char *token);

/* Leaves the network; pending operations fail with COLONIO_ERR_NETWORK_CLOSED. Handlers and
 * subscriptions stay registered for a later connect. OK when not connected. Blocks. */
colonio_status colonio_node_disconnect(colonio_node node);

/* This node's ID (32 hex digits) in *node_id, to free with colonio_free. NOT_CONNECTED before connect. */
colonio_status colonio_node_id(colonio_node node, char **node_id);

/* A JSON object describing the node (nodeID, network, isConnected, hasJoined, position, successors,
 * predecessors, linkCount, pendingLinkCount, pendingRequestCount, subscriptions) in *json; free it with
 * colonio_free. Works while disconnected. */
colonio_status colonio_node_status_json(colonio_node node, char **json);

/* A JSON array of the node's WebRTC links (peer, state, isOfferer, localCandidateType,
 * remoteCandidateType, roundTripTimeMs, bytesSent, bytesReceived) in *json; free with colonio_free.
 * Blocks briefly (reads WebRTC statistics). */
colonio_status colonio_node_links_json(colonio_node node, char **json);

/* ---- Messaging ---- */

/* Called for each message or request to a handler name. `reply` is 0 for one-way messages; for
 * requests, answer exactly once with colonio_reply or colonio_reply_error, from this callback or
 * later from any thread. `source` is the sender's node ID; strings and payload are valid only during
 * the call. */
typedef void (*colonio_handler_fn)(void *context, colonio_reply reply, const char *source, const char *name,
                                   const uint8_t *payload, size_t payload_length, uint32_t hop_count);

/* Registers (or replaces) the handler for messages and requests sent to `name` on this node. The
 * library keeps `context` and hands it to each call; it never frees it. */
colonio_status colonio_handle(colonio_node node, const char *name, colonio_handler_fn handler, void *context);

/* Removes the handler of `name`; when this returns its callback is no longer running or called (unless
 * this is called from inside it), so its context may be freed. Later requests get NO_HANDLER. */
colonio_status colonio_remove_handler(colonio_node node, const char *name);

/* Answers a request with `payload` (copied). INVALID_HANDLE if already answered or unknown. */
colonio_status colonio_reply_bytes(colonio_reply reply, const uint8_t *payload, size_t payload_length);

/* Fails a request: its sender gets COLONIO_ERR_HANDLER_FAILED with `message` (NULL: no explanation). */
colonio_status colonio_reply_error(colonio_reply reply, const char *message);

/* One-way message to the handler `name` of node `destination` (32 hex digits), or of the node that owns
 * `key` (the node the KVS places the key on). Returns once handed to the overlay; not confirmed. */
colonio_status colonio_send(colonio_node node, const char *destination, const char *name,
                            const uint8_t *payload, size_t payload_length);
colonio_status colonio_send_to_owner(colonio_node node, const char *key, const char *name,
                                     const uint8_t *payload, size_t payload_length);

/* Request to the handler `name` of a node or a key's owner; the response in *response (length in
 * *response_length; free with colonio_free; a 0-byte response is a valid non-NULL buffer). Blocks. */
colonio_status colonio_request(colonio_node node, const char *destination, const char *name,
                               const uint8_t *payload, size_t payload_length,
                               uint8_t **response, size_t *response_length);
colonio_status colonio_request_to_owner(colonio_node node, const char *key, const char *name,
                                        const uint8_t *payload, size_t payload_length,
                                        uint8_t **response, size_t *response_length);

/* ---- Position and pub/sub ---- */

/* Places the node (plane/torus x, y; sphere x = longitude, y = latitude in degrees). */
colonio_status colonio_set_position(colonio_node node, double x, double y);

/* Flags of colonio_publish. */
enum {
    /* Also deliver to the publisher when it subscribes and is inside the circle. */
    COLONIO_PUBLISH_DELIVER_TO_SELF = 1,
    /* Return only once a subscriber received it; COLONIO_ERR_NO_RECEIVER otherwise (blocks). */
    COLONIO_PUBLISH_REQUIRE_RECEIVER = 2
};

/* Publishes `payload` on `topic` to the subscribers inside the circle (center_x, center_y, radius;
 * metres on a sphere). Blocks only with COLONIO_PUBLISH_REQUIRE_RECEIVER. */
colonio_status colonio_publish(colonio_node node, const char *topic, const uint8_t *payload, size_t payload_length,
                               double center_x, double center_y, double radius, uint32_t flags);

/* Called once for each publication on the subscribed topic whose circle contains this node. */
typedef void (*colonio_delivery_fn)(void *context, const char *topic, const char *sender,
                                    const uint8_t *payload, size_t payload_length,
                                    double center_x, double center_y, double radius, uint32_t hops);

/* Subscribes to `topic`; *subscription identifies it for colonio_unsubscribe. Subscriptions outlive
 * disconnect/connect. */
colonio_status colonio_subscribe(colonio_node node, const char *topic, colonio_delivery_fn callback, void *context,
                                 colonio_subscription *subscription);

/* Ends a subscription; once this returns its callback is not running or called again (unless this is
 * called from inside it), so its context may be freed. */
colonio_status colonio_unsubscribe(colonio_node node, colonio_subscription subscription);

/* ---- KVS (replicated, linearizable; docs/kvs.md) ---- */

/* Conditions of put and delete. */
enum {
    COLONIO_KVS_ALWAYS = 0,      /* always applies */
    COLONIO_KVS_IF_ABSENT = 1,   /* only if the key has no value */
    COLONIO_KVS_IF_PRESENT = 2,  /* only if the key has a value */
    COLONIO_KVS_IF_VERSION = 3   /* only if the key's version is exactly `version` (compare-and-set) */
};

/* Reads `key`: *found = 1 and the value in *value (free with colonio_free; length *value_length) and
 * its version in *version, or *found = 0 (and *value = NULL) when it has none. Blocks. */
colonio_status colonio_kvs_get(colonio_node node, const char *key, int32_t *found,
                               uint8_t **value, size_t *value_length, uint64_t *version);

/* Stores `value` under `key` if the condition holds; *version (may be NULL) receives the new version.
 * On COLONIO_ERR_CONDITION_FAILED *version receives the key's current version (0: no value). Blocks. */
colonio_status colonio_kvs_put(colonio_node node, const char *key, const uint8_t *value, size_t value_length,
                               int32_t condition, uint64_t expected_version, uint64_t *version);

/* Deletes `key` if the condition holds (the key's version survives, so an old IF_VERSION never matches a
 * later value); *version (may be NULL) as in put on CONDITION_FAILED. Deleting a key without a value
 * under COLONIO_KVS_ALWAYS succeeds. Blocks. */
colonio_status colonio_kvs_delete(colonio_node node, const char *key, int32_t condition, uint64_t expected_version,
                                  uint64_t *version);

#ifdef __cplusplus
}
#endif

#endif /* COLONIO_H */
