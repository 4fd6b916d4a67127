/*  test_bus_integration.c - bus + store over the real redis-server and real ZeroMQ.
 *
 *  Runs the test producer and consumer services as separate processes on 127.0.0.1 with
 *  ephemeral ports and proves: every event is applied once, in order; a consumer killed with
 *  SIGKILL mid-stream and restarted catches up with no loss and no duplicate; events dropped
 *  on the PUB path (tiny HWMs, a slow consumer) are recovered from the outbox; a duplicate
 *  envelope gets DUPLICATE with the original outcome; a bad command is rejected and changes
 *  nothing; SIGTERM stops both cleanly.  */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "chejian/client.h"
#include "chejian/store.h"
#include "test_support.h"

#define PARTITIONS 4
#define MAX_N      20000

static const char *const s_counties[] = { "510822", "500236", "500237", "510802",
                                          "110101", "440305", "320106", "610113" };
#define NCOUNTIES (sizeof s_counties / sizeof s_counties[0])

typedef struct {
    cj_store_t *store;
    char        router[64], pub[64];
    int         prod_metrics, cons_metrics;
    pid_t       producer, consumer;
    char        extra_prod[4][96], extra_cons[4][96];
} fixture_t;

static fixture_t F;

/*  Starts a binary with the common environment plus 'extra' (NULL-terminated) entries.  */
static pid_t
s_spawn (const char *bin_name, const char *log_name, char extra[][96], size_t nextra)
{
    char bin[512];
    snprintf (bin, sizeof bin, "%s", cj_test_bin (bin_name));
    char env[32][128];
    size_t n = 0;
    snprintf (env[n++], 128, "CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    snprintf (env[n++], 128, "CHEJIAN_PARTITIONS=%d", PARTITIONS);
    snprintf (env[n++], 128, "CHEJIAN_TPRODUCER_BIND=%s", F.router);
    snprintf (env[n++], 128, "CHEJIAN_TPRODUCER_PUB_BIND=%s", F.pub);
    snprintf (env[n++], 128, "CHEJIAN_TPRODUCER_PUB_ENDPOINT=%s", F.pub);
    snprintf (env[n++], 128, "CHEJIAN_TPRODUCER_METRICS_PORT=%d", F.prod_metrics);
    snprintf (env[n++], 128, "CHEJIAN_TCONSUMER_BIND=tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (env[n++], 128, "CHEJIAN_TCONSUMER_PUB_BIND=tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (env[n++], 128, "CHEJIAN_TCONSUMER_METRICS_PORT=%d", F.cons_metrics);
    snprintf (env[n++], 128, "CHEJIAN_LEASE_TTL_MS=3000");
    snprintf (env[n++], 128, "CHEJIAN_LOG_LEVEL=info");
    for (size_t i = 0; i < nextra && extra[i][0]; i++)
        snprintf (env[n++], 128, "%s", extra[i]);
    char log_path[512];
    snprintf (log_path, sizeof log_path, "%s", cj_test_bin (log_name));
    pid_t pid = fork ();
    if (pid == 0) {
        for (size_t i = 0; i < n; i++)
            putenv (env[i]);
        FILE *log = freopen (log_path, "a", stderr);
        (void) log;
        execl (bin, bin, (char *) NULL);
        _exit (127);
    }
    return pid;
}

static void
s_wait_ready (int port, const char *what)
{
    char body[256];
    for (int i = 0; i < 300; i++) {
        if (cj_test_http_get (port, "/readyz", body, sizeof body) == 200)
            return;
        usleep (50000);
    }
    fail_msg ("%s did not become ready: %s", what, body);
}

static void
s_start_producer (void)
{
    F.producer = s_spawn ("tests/integration/bus_producer",
                          "tests/integration/bus_producer.log", F.extra_prod, 4);
    s_wait_ready (F.prod_metrics, "producer");
}

static void
s_start_consumer (void)
{
    F.consumer = s_spawn ("tests/integration/bus_consumer",
                          "tests/integration/bus_consumer.log", F.extra_cons, 4);
    s_wait_ready (F.cons_metrics, "consumer");
}

/*  SIGTERM and expect exit status 0 within 10 s.  */
static void
s_stop (pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill (*pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid (*pid, &status, WNOHANG) == *pid) {
            *pid = 0;
            assert_true (WIFEXITED (status));
            assert_int_equal (WEXITSTATUS (status), 0);
            return;
        }
        usleep (50000);
    }
    kill (*pid, SIGKILL);
    waitpid (*pid, &status, 0);
    *pid = 0;
    fail_msg ("process did not stop within 10 s of SIGTERM");
}

static void
s_kill9 (pid_t *pid)
{
    kill (*pid, SIGKILL);
    waitpid (*pid, NULL, 0);
    *pid = 0;
}

/*  A Redis command on the test's own connection (hiredis formatting: %s, %d ... become
 *  separate arguments). The reply is never NULL.  */
#define s_redis(...) s_checked (cj_store_command (F.store, __VA_ARGS__))

static redisReply *
s_checked (redisReply *reply)
{
    assert_non_null (reply);
    return reply;
}

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    char err[256];
    F.store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    assert_non_null (F.store);
    freeReplyObject (s_redis ("FLUSHALL"));
    snprintf (F.router, sizeof F.router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (F.pub, sizeof F.pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    F.prod_metrics = cj_test_free_port ();
    F.cons_metrics = cj_test_free_port ();
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    if (F.consumer > 0)
        s_kill9 (&F.consumer);
    if (F.producer > 0)
        s_kill9 (&F.producer);
    cj_store_destroy (&F.store);
    return 0;
}

static void
s_probe_envelope (cj_envelope_t *env, Chejian__V1__BusProbe *probe, char *event_id, size_t size,
                  uint64_t n, const char *prefix)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    chejian__v1__envelope__init (env);
    chejian__v1__bus_probe__init (probe);
    snprintf (event_id, size, "%s-%llu", prefix, (unsigned long long) n);
    probe->n = n;
    env->event_id = event_id;
    env->source = "test";
    env->occurred_at = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    env->county = (char *) s_counties[n % NCOUNTIES];
    env->body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE;
    env->bus_probe = probe;
}

/*  Sends probes first..last with up to 'window' in flight; retries (same event_id) what is
 *  not acknowledged within 3 s; 'on_acked' runs after each ack. Every probe must end
 *  ACCEPTED, or DUPLICATE of ACCEPTED after a retry.  */
static void
s_send_probes (cj_client_t *client, uint64_t first, uint64_t last, size_t window,
               void (*on_acked) (uint64_t acked))
{
    static unsigned char done[MAX_N + 1];
    static int64_t sent_at[MAX_N + 1];
    memset (done + first, 0, last - first + 1);
    uint64_t next = first, acked = 0, total = last - first + 1;
    size_t inflight = 0;
    while (acked < total) {
        while (inflight < window && next <= last) {
            cj_envelope_t env;
            Chejian__V1__BusProbe probe;
            char id[64];
            s_probe_envelope (&env, &probe, id, sizeof id, next, "probe");
            assert_int_equal (cj_client_send (client, &env, 5000), 0);
            sent_at[next++] = cj_test_now_ms ();
            inflight++;
        }
        cj_ack_t *ack = cj_client_recv (client, 500);
        if (ack) {
            unsigned long long n = 0;
            assert_int_equal (sscanf (ack->event_id, "probe-%llu", &n), 1);
            bool ok = ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                      || (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE
                          && ack->original_status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
            if (!ok)
                fail_msg ("probe %llu: %s", n, cj_ack_status_name (ack->status));
            if (!done[n]) {
                done[n] = 1;
                acked++;
                inflight--;
                if (on_acked)
                    on_acked (acked);
            }
            cj_ack_free (&ack);
        }
        for (uint64_t n = first; n < next; n++)     /* Lazy Pirate: retry the silent ones */
            if (!done[n] && cj_test_now_ms () - sent_at[n] > 3000) {
                cj_envelope_t env;
                Chejian__V1__BusProbe probe;
                char id[64];
                s_probe_envelope (&env, &probe, id, sizeof id, n, "probe");
                assert_int_equal (cj_client_send (client, &env, 5000), 0);
                sent_at[n] = cj_test_now_ms ();
            }
    }
}

static long long
s_applied_count (void)
{
    long long total = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        redisReply *r = s_redis ("LLEN cj:{p%d}:tcons:applied", p);
        total += r->integer;
        freeReplyObject (r);
    }
    return total;
}

static void
s_wait_applied (long long expected, int seconds)
{
    int64_t deadline = cj_test_now_ms () + seconds * 1000;
    long long got = 0;
    while (cj_test_now_ms () < deadline) {
        got = s_applied_count ();
        if (got >= expected)
            break;
        usleep (20000);
    }
    usleep (300000);                /* anything beyond 'expected' would be a duplicate */
    got = s_applied_count ();
    if (got != expected)
        fail_msg ("applied %lld events, expected %lld", got, expected);
}

/*  Every n in 1..total applied exactly once, and in increasing order within a partition.  */
static void
s_verify_exactly_once (uint64_t total)
{
    static unsigned char seen[MAX_N + 1];
    memset (seen, 0, sizeof seen);
    for (int p = 0; p < PARTITIONS; p++) {
        redisReply *r = s_redis ("LRANGE cj:{p%d}:tcons:applied 0 -1", p);
        unsigned long long prev = 0;
        for (size_t i = 0; i < r->elements; i++) {
            unsigned long long n = strtoull (r->element[i]->str, NULL, 10);
            assert_true (n >= 1 && n <= total);
            if (seen[n])
                fail_msg ("event %llu applied twice", n);
            if (n <= prev)
                fail_msg ("partition %d: %llu applied after %llu", p, n, prev);
            seen[n] = 1;
            prev = n;
        }
        freeReplyObject (r);
    }
    for (uint64_t n = 1; n <= total; n++)
        if (!seen[n])
            fail_msg ("event %llu never applied", (unsigned long long) n);
}

static double
s_metric_sum (int port, const char *name)
{
    static char body[1 << 20];
    assert_int_equal (cj_test_http_get (port, "/metrics", body, sizeof body), 200);
    double sum = 0;
    size_t len = strlen (name);
    for (char *line = strtok (body, "\n"); line; line = strtok (NULL, "\n"))
        if (strncmp (line, name, len) == 0 && (line[len] == '{' || line[len] == ' ')) {
            char *value = strrchr (line, ' ');
            sum += value ? strtod (value + 1, NULL) : 0;
        }
    return sum;
}

static void
test_every_event_once_in_order (void **state)
{
    (void) state;
    s_start_producer ();
    s_start_consumer ();
    cj_client_t *client = cj_client_new (NULL, F.router);
    assert_non_null (client);
    s_send_probes (client, 1, 3000, 200, NULL);
    s_wait_applied (3000, 60);
    s_verify_exactly_once (3000);
    cj_client_destroy (&client);
    s_stop (&F.consumer);
    s_stop (&F.producer);
}

static void
s_kill_consumer_midway (uint64_t acked)
{
    if (acked == 1500)
        s_kill9 (&F.consumer);
    if (acked == 3000)
        s_start_consumer ();
}

static void
test_consumer_sigkill_catches_up (void **state)
{
    (void) state;
    s_start_producer ();
    s_start_consumer ();
    cj_client_t *client = cj_client_new (NULL, F.router);
    s_send_probes (client, 1, 5000, 100, s_kill_consumer_midway);
    s_wait_applied (5000, 60);
    s_verify_exactly_once (5000);
    cj_client_destroy (&client);
    s_stop (&F.consumer);
    s_stop (&F.producer);
}

static void
test_pub_drops_recovered_from_outbox (void **state)
{
    (void) state;
    snprintf (F.extra_prod[0], 96, "CHEJIAN_PUB_HWM=10");
    snprintf (F.extra_cons[0], 96, "CHEJIAN_SUB_HWM=10");
    snprintf (F.extra_cons[1], 96, "CHEJIAN_TEST_APPLY_DELAY_US=200");
    snprintf (F.extra_cons[2], 96, "CHEJIAN_BATCH_MAX=16");
    s_start_producer ();
    s_start_consumer ();
    cj_client_t *client = cj_client_new (NULL, F.router);
    s_send_probes (client, 1, 4000, 500, NULL);
    s_wait_applied (4000, 90);
    s_verify_exactly_once (4000);
    double redelivered = s_metric_sum (F.cons_metrics, "chejian_events_redelivered_total");
    double lag = s_metric_sum (F.cons_metrics, "chejian_consumer_lag_events");
    print_message ("redelivered from the outbox after PUB drops: %.0f\n", redelivered);
    assert_true (redelivered > 0);       /* drops did happen and were recovered */
    assert_true (lag == 0);
    cj_client_destroy (&client);
    s_stop (&F.consumer);
    s_stop (&F.producer);
}

static cj_ack_t *
s_roundtrip (cj_client_t *client, const cj_envelope_t *env)
{
    assert_int_equal (cj_client_send (client, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (client, 10000);
    assert_non_null (ack);
    return ack;
}

static void
test_duplicate_gets_original_outcome (void **state)
{
    (void) state;
    s_start_producer ();
    s_start_consumer ();
    cj_client_t *client = cj_client_new (NULL, F.router);
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    char id[64];
    s_probe_envelope (&env, &probe, id, sizeof id, 1, "probe");
    cj_ack_t *first = s_roundtrip (client, &env);
    assert_int_equal (first->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_true (first->first_seq > 0);
    cj_ack_t *again = s_roundtrip (client, &env);
    assert_int_equal (again->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    assert_int_equal (again->original_status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_int_equal (again->first_seq, first->first_seq);
    assert_int_equal (again->partition, first->partition);
    /* the same id twice in one burst: one ACCEPTED, one DUPLICATE */
    s_probe_envelope (&env, &probe, id, sizeof id, 2, "probe");
    assert_int_equal (cj_client_send (client, &env, 5000), 0);
    assert_int_equal (cj_client_send (client, &env, 5000), 0);
    cj_ack_t *a = cj_client_recv (client, 10000), *b = cj_client_recv (client, 10000);
    assert_non_null (a);
    assert_non_null (b);
    int accepted = (a->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
                   + (b->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    int duplicate = (a->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
                    + (b->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    assert_int_equal (accepted, 1);
    assert_int_equal (duplicate, 1);
    s_wait_applied (2, 30);
    s_verify_exactly_once (2);
    cj_ack_free (&first);
    cj_ack_free (&again);
    cj_ack_free (&a);
    cj_ack_free (&b);
    cj_client_destroy (&client);
    s_stop (&F.consumer);
    s_stop (&F.producer);
}

/*  A snapshot of what the producer owns in Redis: outbox heads and probe records.  */
static void
s_producer_state (char *buf, size_t size)
{
    size_t off = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        redisReply *head = s_redis ("HGET cj:{p%d}:tprod:meta head", p);
        redisReply *probes = s_redis ("HLEN cj:{p%d}:tprod:probes", p);
        redisReply *xlen = s_redis ("XLEN cj:{p%d}:tprod:outbox", p);
        off += (size_t) snprintf (buf + off, size - off, "%s/%lld/%lld ",
                                  head->str ? head->str : "-", probes->integer, xlen->integer);
        freeReplyObject (head);
        freeReplyObject (probes);
        freeReplyObject (xlen);
    }
}

static void
test_bad_input_rejected_and_changes_nothing (void **state)
{
    (void) state;
    s_start_producer ();
    cj_client_t *client = cj_client_new (NULL, F.router);
    char before[256], after[256];
    s_producer_state (before, sizeof before);

    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    char id[64];
    s_probe_envelope (&env, &probe, id, sizeof id, 0, "bad");      /* n = 0 */
    cj_ack_t *ack = s_roundtrip (client, &env);
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_int_equal (ack->n_problems, 1);
    assert_string_equal (ack->problems[0]->field, "bus_probe.n");
    assert_string_equal (ack->problems[0]->code, "REQUIRED");
    cj_ack_free (&ack);

    s_probe_envelope (&env, &probe, id, sizeof id, 0, "bad");
    env.county = "510800";                                          /* a city, not a county */
    env.source = "Bad Source";
    ack = s_roundtrip (client, &env);
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_int_equal (ack->n_problems, 3);             /* header and body problems together */
    assert_string_equal (ack->problems[2]->field, "bus_probe.n");
    cj_ack_free (&ack);

    assert_int_equal (cj_client_send_bytes (client, "\xff\xff\xff", 3, 5000), 0);
    ack = cj_client_recv (client, 10000);
    assert_non_null (ack);
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_string_equal (ack->problems[0]->code, "DECODE_FAILED");
    cj_ack_free (&ack);

    s_producer_state (after, sizeof after);
    assert_string_equal (before, after);
    cj_client_destroy (&client);
    s_stop (&F.producer);
}

int
main (void)
{
    if (!cj_test_redis_url ()) {
        fprintf (stderr, "the redis fixture is not running\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_every_event_once_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate_gets_original_outcome, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_input_rejected_and_changes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consumer_sigkill_catches_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pub_drops_recovered_from_outbox, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("integration.bus", tests, NULL, NULL);
}
