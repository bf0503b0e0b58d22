/*
 * The C ABI end to end against a seed on loopback (bindings/c/run-abi-test.py starts one): two nodes,
 * messaging, handlers that reply late, from other threads and re-enter the library, every KVS condition,
 * pub/sub, status, and bad input at the boundary (NULL, invalid UTF-8, unknown handles, use after
 * disconnect and free, many threads at once). Every wait is bounded; exit status 0 means all passed.
 */
#include "colonio.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;
static int checks = 0;

#define CHECK(condition)                                                                                  \
    do {                                                                                                  \
        checks++;                                                                                         \
        if (!(condition)) {                                                                               \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #condition,         \
                    colonio_last_error_message());                                                        \
            failures++;                                                                                   \
        }                                                                                                 \
    } while (0)

#define CHECK_STATUS(call, expected)                                                                      \
    do {                                                                                                  \
        checks++;                                                                                         \
        colonio_status status_ = (call);                                                                  \
        if (status_ != (expected)) {                                                                      \
            fprintf(stderr, "FAIL %s:%d: %s gave %s, expected %s (%s)\n", __FILE__, __LINE__, #call,      \
                    colonio_status_name(status_), colonio_status_name(expected),                          \
                    colonio_last_error_message());                                                        \
            failures++;                                                                                   \
        }                                                                                                 \
    } while (0)

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *seed_url;
static colonio_node node_a, node_b;
static char *id_a, *id_b;

/* ---- handlers ---- */

/* "echo": answers "<its name>:<payload>" and checks that a second answer is refused. */
static atomic_int second_reply_refused;
static void echo_handler(void *context, colonio_reply reply, const char *source, const char *name,
                         const uint8_t *payload, size_t length, uint32_t hops) {
    (void)source; (void)name; (void)hops;
    if (reply == 0) return;
    const char *prefix = context;
    size_t prefix_length = strlen(prefix);
    uint8_t *buffer = malloc(prefix_length + 1 + length + 1);
    memcpy(buffer, prefix, prefix_length);
    buffer[prefix_length] = ':';
    if (length > 0) memcpy(buffer + prefix_length + 1, payload, length);
    colonio_reply_bytes(reply, buffer, prefix_length + 1 + length);
    free(buffer);
    if (colonio_reply_bytes(reply, NULL, 0) == COLONIO_ERR_INVALID_HANDLE) atomic_store(&second_reply_refused, 1);
}

/* "fail": refuses every request with a message. */
static void fail_handler(void *context, colonio_reply reply, const char *source, const char *name,
                         const uint8_t *payload, size_t length, uint32_t hops) {
    (void)context; (void)source; (void)name; (void)payload; (void)length; (void)hops;
    if (reply) colonio_reply_error(reply, "refused on purpose");
}

/* "late": answers from another thread after 50 ms. */
static void *late_reply(void *argument) {
    colonio_reply reply = (colonio_reply)(uintptr_t)argument;
    usleep(50000);
    colonio_reply_bytes(reply, (const uint8_t *)"late", 4);
    return NULL;
}
static void late_handler(void *context, colonio_reply reply, const char *source, const char *name,
                         const uint8_t *payload, size_t length, uint32_t hops) {
    (void)context; (void)source; (void)name; (void)payload; (void)length; (void)hops;
    pthread_t thread;
    pthread_create(&thread, NULL, late_reply, (void *)(uintptr_t)reply);
    pthread_detach(thread);
}

/* "nested": from inside the callback, makes a blocking request back to the sender's "echo". */
static void nested_handler(void *context, colonio_reply reply, const char *source, const char *name,
                           const uint8_t *payload, size_t length, uint32_t hops) {
    (void)name; (void)hops;
    colonio_node self = *(colonio_node *)context;
    uint8_t *response = NULL;
    size_t response_length = 0;
    if (colonio_request(self, source, "echo", payload, length, &response, &response_length) == COLONIO_OK) {
        colonio_reply_bytes(reply, response, response_length);
        colonio_free(response);
    } else {
        colonio_reply_error(reply, colonio_last_error_message());
    }
}

/* "count": one-way messages. */
static atomic_int one_way_count;
static void count_handler(void *context, colonio_reply reply, const char *source, const char *name,
                          const uint8_t *payload, size_t length, uint32_t hops) {
    (void)context; (void)source; (void)name; (void)payload; (void)length; (void)hops;
    if (reply == 0) atomic_fetch_add(&one_way_count, 1);
}

/* ---- subscriptions ---- */

static atomic_int deliveries;
static char last_delivery[64];
static void on_delivery(void *context, const char *topic, const char *sender, const uint8_t *payload, size_t length,
                        double center_x, double center_y, double radius, uint32_t hops) {
    (void)context; (void)topic; (void)sender; (void)center_x; (void)center_y; (void)radius; (void)hops;
    size_t n = length < sizeof(last_delivery) - 1 ? length : sizeof(last_delivery) - 1;
    memcpy(last_delivery, payload, n);
    last_delivery[n] = 0;
    atomic_fetch_add(&deliveries, 1);
}

/* A subscription whose callback ends it, and a handler that removes itself: neither may wait for itself. */
static colonio_subscription self_ending_subscription;
static atomic_int self_unsubscribe_status = -1;
static void on_delivery_unsubscribing(void *context, const char *topic, const char *sender, const uint8_t *payload,
                                      size_t length, double center_x, double center_y, double radius, uint32_t hops) {
    (void)topic; (void)sender; (void)payload; (void)length; (void)center_x; (void)center_y; (void)radius; (void)hops;
    colonio_node self = *(colonio_node *)context;
    if (atomic_load(&self_unsubscribe_status) == -1)
        atomic_store(&self_unsubscribe_status, colonio_unsubscribe(self, self_ending_subscription));
}

static atomic_int self_remove_status = -1;
static void self_removing_handler(void *context, colonio_reply reply, const char *source, const char *name,
                                  const uint8_t *payload, size_t length, uint32_t hops) {
    (void)source; (void)payload; (void)length; (void)hops;
    atomic_store(&self_remove_status, colonio_remove_handler(*(colonio_node *)context, name));
    if (reply) colonio_reply_bytes(reply, (const uint8_t *)"bye", 3);
}

/* A request retried while the first links form (bounded: 15 s). */
static colonio_status request_until_linked(colonio_node from, const char *to, const char *name, const char *text,
                                           char *out, size_t out_size) {
    double deadline = now_seconds() + 15;
    colonio_status status;
    do {
        uint8_t *response = NULL;
        size_t length = 0;
        status = colonio_request(from, to, name, (const uint8_t *)text, strlen(text), &response, &length);
        if (status == COLONIO_OK) {
            size_t n = length < out_size - 1 ? length : out_size - 1;
            memcpy(out, response, n);
            out[n] = 0;
            colonio_free(response);
            return status;
        }
        usleep(100000);
    } while (now_seconds() < deadline && (status == COLONIO_ERR_TIMEOUT || status == COLONIO_ERR_UNREACHABLE ||
                                          status == COLONIO_ERR_DELIVERY_FAILED));
    return status;
}

/* ---- many threads ---- */

static colonio_node doomed;
static atomic_int thread_failures;
static void *hammer(void *argument) {
    int index = (int)(intptr_t)argument;
    for (int round = 0; round < 10; round++) {
        uint8_t *response = NULL;
        size_t length = 0;
        const char *to = index % 2 ? id_a : id_b;
        colonio_node from = index % 2 ? node_b : node_a;
        colonio_status status = colonio_request(from, to, "echo", (const uint8_t *)"x", 1, &response, &length);
        if (status == COLONIO_OK) colonio_free(response);
        else atomic_fetch_add(&thread_failures, 1);
        /* The doomed node is freed while this runs: each call must answer, never crash. */
        char *json = NULL;
        status = colonio_node_status_json(doomed, &json);
        if (status == COLONIO_OK) colonio_free(json);
        else if (status != COLONIO_ERR_INVALID_HANDLE) atomic_fetch_add(&thread_failures, 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ws://127.0.0.1:PORT (network 'demo', token 'demo-token')\n", argv[0]);
        return 2;
    }
    seed_url = argv[1];
    double started = now_seconds();

    /* The library and its header agree. */
    CHECK(colonio_abi_version() == COLONIO_ABI_VERSION);
    CHECK(strcmp(colonio_status_name(COLONIO_ERR_TIMEOUT), "COLONIO_ERR_TIMEOUT") == 0);
    CHECK(strcmp(colonio_status_name(12345), "COLONIO_ERR_UNKNOWN") == 0);
    CHECK(strcmp(colonio_last_error_message(), "") == 0);
    colonio_free(NULL);

    /* Bad input before any node exists. */
    CHECK_STATUS(colonio_node_new(NULL, NULL), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(colonio_last_error_message(), "NULL") != NULL);
    colonio_node_options short_options = {0};
    colonio_node unused = 0;
    CHECK_STATUS(colonio_node_new(&short_options, &unused), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_node_connect(424242, seed_url, "demo", "demo-token"), COLONIO_ERR_INVALID_HANDLE);
    CHECK_STATUS(colonio_node_free(0), COLONIO_ERR_INVALID_HANDLE);
    CHECK_STATUS(colonio_reply_bytes(777, NULL, 0), COLONIO_ERR_INVALID_HANDLE);

    colonio_node_options options = {0};
    options.struct_size = sizeof options;
    options.loopback_only = 1;
    CHECK_STATUS(colonio_node_new(&options, &node_a), COLONIO_OK);
    CHECK_STATUS(colonio_node_new(&options, &node_b), COLONIO_OK);
    CHECK_STATUS(colonio_node_new(NULL, &doomed), COLONIO_OK);

    /* Not connected yet. */
    char *text = NULL;
    CHECK_STATUS(colonio_node_id(node_a, &text), COLONIO_ERR_NOT_CONNECTED);
    uint8_t *response = NULL;
    size_t response_length = 0;
    CHECK_STATUS(colonio_request_to_owner(node_a, "k", "echo", NULL, 0, &response, &response_length),
                 COLONIO_ERR_NOT_CONNECTED);
    CHECK_STATUS(colonio_node_status_json(node_a, &text), COLONIO_OK);
    CHECK(text && strstr(text, "\"isConnected\":false"));
    colonio_free(text);

    /* Bad strings, a wrong token. */
    const char invalid_utf8[] = {'d', (char)0xC3, (char)0x28, 0};
    CHECK_STATUS(colonio_node_connect(node_a, seed_url, invalid_utf8, "demo-token"), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_node_connect(node_a, seed_url, NULL, "demo-token"), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_node_connect(node_a, seed_url, "demo", "wrong-token"), COLONIO_ERR_SEED_FAILED);

    /* Handlers: registered before connecting, kept across it. */
    CHECK_STATUS(colonio_handle(node_a, "echo", echo_handler, "a"), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "echo", echo_handler, "b"), COLONIO_OK);
    /* The third node may own "some-key" below. */
    CHECK_STATUS(colonio_handle(doomed, "echo", echo_handler, "d"), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "fail", fail_handler, NULL), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "late", late_handler, NULL), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "nested", nested_handler, &node_b), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "count", count_handler, NULL), COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, NULL, count_handler, NULL), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_handle(node_b, "x", NULL, NULL), COLONIO_ERR_INVALID_ARGUMENT);

    CHECK_STATUS(colonio_node_connect(node_a, seed_url, "demo", "demo-token"), COLONIO_OK);
    CHECK_STATUS(colonio_node_connect(node_a, seed_url, "demo", "demo-token"), COLONIO_ERR_ALREADY_CONNECTED);
    CHECK_STATUS(colonio_node_connect(node_b, seed_url, "demo", "demo-token"), COLONIO_OK);
    CHECK_STATUS(colonio_node_connect(doomed, seed_url, "demo", "demo-token"), COLONIO_OK);
    CHECK_STATUS(colonio_node_id(node_a, &id_a), COLONIO_OK);
    CHECK_STATUS(colonio_node_id(node_b, &id_b), COLONIO_OK);
    CHECK(id_a && strlen(id_a) == 32);

    /* Requests, to a node and to a key's owner. */
    char answer[128];
    CHECK_STATUS(request_until_linked(node_a, id_b, "echo", "hi", answer, sizeof answer), COLONIO_OK);
    CHECK(strcmp(answer, "b:hi") == 0);
    CHECK(atomic_load(&second_reply_refused) == 1);
    CHECK_STATUS(request_until_linked(node_b, id_a, "echo", "", answer, sizeof answer), COLONIO_OK);
    CHECK(strcmp(answer, "a:") == 0);
    CHECK_STATUS(colonio_request_to_owner(node_a, "some-key", "echo", (const uint8_t *)"k", 1, &response,
                                          &response_length), COLONIO_OK);
    colonio_free(response);
    CHECK_STATUS(request_until_linked(node_a, id_b, "late", "", answer, sizeof answer), COLONIO_OK);
    CHECK(strcmp(answer, "late") == 0);
    CHECK_STATUS(request_until_linked(node_a, id_b, "nested", "deep", answer, sizeof answer), COLONIO_OK);
    CHECK(strcmp(answer, "a:deep") == 0);
    CHECK_STATUS(colonio_request(node_a, id_b, "fail", NULL, 0, &response, &response_length),
                 COLONIO_ERR_HANDLER_FAILED);
    CHECK(strstr(colonio_last_error_message(), "refused on purpose") != NULL);
    CHECK_STATUS(colonio_request(node_a, id_b, "nobody", NULL, 0, &response, &response_length),
                 COLONIO_ERR_NO_HANDLER);
    CHECK_STATUS(colonio_request(node_a, "not-hex", "echo", NULL, 0, &response, &response_length),
                 COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_request(node_a, id_b, "echo", NULL, 5, &response, &response_length),
                 COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_request(node_a, id_b, "echo", NULL, 0, NULL, &response_length),
                 COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_request(node_a, id_b, "", NULL, 0, &response, &response_length), COLONIO_ERR_INVALID_NAME);

    /* One-way messages. */
    for (int i = 0; i < 3; i++) CHECK_STATUS(colonio_send(node_a, id_b, "count", (const uint8_t *)"1", 1), COLONIO_OK);
    CHECK_STATUS(colonio_send_to_owner(node_a, "some-key", "nobody", NULL, 0), COLONIO_OK);
    for (double deadline = now_seconds() + 5; atomic_load(&one_way_count) < 3 && now_seconds() < deadline;) usleep(20000);
    CHECK(atomic_load(&one_way_count) == 3);

    /* A removed handler: its context could now be freed; requests find no handler. */
    CHECK_STATUS(colonio_remove_handler(node_b, "count"), COLONIO_OK);
    CHECK_STATUS(colonio_remove_handler(node_b, "count"), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_request(node_a, id_b, "count", NULL, 0, &response, &response_length), COLONIO_ERR_NO_HANDLER);

    /* KVS: every condition. */
    uint64_t version = 0;
    int32_t found = -1;
    uint8_t *value = NULL;
    size_t value_length = 0;
    const char *key = "abi-test/key";
    CHECK_STATUS(colonio_kvs_put(node_a, key, (const uint8_t *)"one", 3, COLONIO_KVS_IF_ABSENT, 0, &version), COLONIO_OK);
    CHECK(version == 1);
    CHECK_STATUS(colonio_kvs_put(node_b, key, (const uint8_t *)"two", 3, COLONIO_KVS_IF_ABSENT, 0, &version),
                 COLONIO_ERR_CONDITION_FAILED);
    CHECK(version == 1);
    CHECK_STATUS(colonio_kvs_get(node_b, key, &found, &value, &value_length, &version), COLONIO_OK);
    CHECK(found == 1 && value_length == 3 && memcmp(value, "one", 3) == 0 && version == 1);
    colonio_free(value);
    CHECK_STATUS(colonio_kvs_put(node_b, key, (const uint8_t *)"two", 3, COLONIO_KVS_IF_VERSION, 1, &version), COLONIO_OK);
    CHECK(version == 2);
    CHECK_STATUS(colonio_kvs_put(node_a, key, (const uint8_t *)"old", 3, COLONIO_KVS_IF_VERSION, 1, &version),
                 COLONIO_ERR_CONDITION_FAILED);
    CHECK(version == 2);
    CHECK_STATUS(colonio_kvs_put(node_a, key, NULL, 0, COLONIO_KVS_IF_PRESENT, 0, NULL), COLONIO_OK);
    CHECK_STATUS(colonio_kvs_put(node_a, "abi-test/absent", NULL, 0, COLONIO_KVS_IF_PRESENT, 0, &version),
                 COLONIO_ERR_CONDITION_FAILED);
    CHECK(version == 0);
    CHECK_STATUS(colonio_kvs_delete(node_a, key, COLONIO_KVS_IF_VERSION, 99, &version), COLONIO_ERR_CONDITION_FAILED);
    CHECK(version == 3);
    CHECK_STATUS(colonio_kvs_delete(node_a, key, COLONIO_KVS_ALWAYS, 0, NULL), COLONIO_OK);
    CHECK_STATUS(colonio_kvs_get(node_a, key, &found, &value, &value_length, &version), COLONIO_OK);
    CHECK(found == 0 && value == NULL);
    CHECK_STATUS(colonio_kvs_put(node_a, key, NULL, 0, 7, 0, NULL), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_kvs_get(node_a, key, NULL, &value, &value_length, &version), COLONIO_ERR_INVALID_ARGUMENT);

    /* Pub/sub: b inside the circle, a outside it. */
    colonio_subscription subscription = 0;
    CHECK_STATUS(colonio_set_position(node_a, 10, 10), COLONIO_OK);
    CHECK_STATUS(colonio_set_position(node_b, 500, 500), COLONIO_OK);
    CHECK_STATUS(colonio_set_position(node_b, 1e9, 0), COLONIO_ERR_INVALID_POSITION);
    CHECK_STATUS(colonio_subscribe(node_b, "abi", on_delivery, NULL, &subscription), COLONIO_OK);
    CHECK_STATUS(colonio_subscribe(node_b, "abi", NULL, NULL, &subscription), COLONIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(colonio_publish(node_a, "abi", (const uint8_t *)"hello", 5, 500, 500, 20, 99),
                 COLONIO_ERR_INVALID_ARGUMENT);
    for (double deadline = now_seconds() + 10; atomic_load(&deliveries) == 0 && now_seconds() < deadline;) {
        colonio_publish(node_a, "abi", (const uint8_t *)"hello", 5, 500, 500, 20, COLONIO_PUBLISH_REQUIRE_RECEIVER);
        usleep(100000);
    }
    CHECK(atomic_load(&deliveries) >= 1 && strcmp(last_delivery, "hello") == 0);
    CHECK_STATUS(colonio_unsubscribe(node_b, subscription), COLONIO_OK);
    CHECK_STATUS(colonio_unsubscribe(node_b, subscription), COLONIO_ERR_INVALID_HANDLE);

    /* Callbacks that end their own registration return at once. */
    CHECK_STATUS(colonio_subscribe(node_b, "abi-self", on_delivery_unsubscribing, &node_b, &self_ending_subscription),
                 COLONIO_OK);
    for (double deadline = now_seconds() + 10; atomic_load(&self_unsubscribe_status) == -1 && now_seconds() < deadline;) {
        colonio_publish(node_a, "abi-self", (const uint8_t *)"x", 1, 500, 500, 20, 0);
        usleep(100000);
    }
    CHECK(atomic_load(&self_unsubscribe_status) == COLONIO_OK);
    CHECK_STATUS(colonio_handle(node_b, "once", self_removing_handler, &node_b), COLONIO_OK);
    CHECK_STATUS(colonio_request(node_a, id_b, "once", NULL, 0, &response, &response_length), COLONIO_OK);
    colonio_free(response);
    CHECK(atomic_load(&self_remove_status) == COLONIO_OK);
    CHECK_STATUS(colonio_request(node_a, id_b, "once", NULL, 0, &response, &response_length), COLONIO_ERR_NO_HANDLER);

    /* Status and links. */
    CHECK_STATUS(colonio_node_status_json(node_a, &text), COLONIO_OK);
    CHECK(text && strstr(text, id_a));
    colonio_free(text);
    CHECK_STATUS(colonio_node_links_json(node_a, &text), COLONIO_OK);
    CHECK(text && text[0] == '[');
    colonio_free(text);

    /* Many threads at once, one node freed under them. */
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) pthread_create(&threads[i], NULL, hammer, (void *)(intptr_t)i);
    usleep(20000);
    CHECK_STATUS(colonio_node_free(doomed), COLONIO_OK);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    CHECK(atomic_load(&thread_failures) == 0);
    CHECK_STATUS(colonio_node_free(doomed), COLONIO_ERR_INVALID_HANDLE);

    /* Use after disconnect, then after free. */
    CHECK_STATUS(colonio_node_disconnect(node_a), COLONIO_OK);
    CHECK_STATUS(colonio_node_disconnect(node_a), COLONIO_OK);
    CHECK_STATUS(colonio_request(node_a, id_b, "echo", NULL, 0, &response, &response_length), COLONIO_ERR_NOT_CONNECTED);
    CHECK_STATUS(colonio_kvs_put(node_a, key, NULL, 0, COLONIO_KVS_ALWAYS, 0, NULL), COLONIO_ERR_NOT_CONNECTED);
    CHECK_STATUS(colonio_node_free(node_a), COLONIO_OK);
    CHECK_STATUS(colonio_request(node_a, id_b, "echo", NULL, 0, &response, &response_length), COLONIO_ERR_INVALID_HANDLE);
    CHECK_STATUS(colonio_node_free(node_b), COLONIO_OK);
    colonio_free(id_a);
    colonio_free(id_b);

    printf("{\"test\":\"abi\",\"checks\":%d,\"failures\":%d,\"seconds\":%.2f}\n", checks, failures,
           now_seconds() - started);
    return failures == 0 ? 0 : 1;
}
