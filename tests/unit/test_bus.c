/*  test_bus.c - the bus in one process, over real ZeroMQ on 127.0.0.1 and the fixture's
 *  redis-server: a producer "tp" commits events through the store (leases, batches, dense
 *  seqs) and publishes them; a consumer "tc" applies them through a cj_sub_t, committing its
 *  writes and cursor in one batch per partition, as a service does.
 *
 *  Proves: live in-order delivery; gaps (events not published, or only a heartbeat) recovered
 *  from the outbox; a failed consumer commit re-applies from the outbox and nothing is applied
 *  twice durably; an event the handler refuses (or that does not decode) is dead-lettered and
 *  passed; the cursor is durable and a new subscriber resumes from it; outbox trimming keeps
 *  what the slowest subscriber still needs; ROUTER routing frames and malformed requests.  */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "chejian/bus.h"
#include "test_support.h"

#define PARTS   2
#define MAXSEQ  64
#define TTL_MS  30000

typedef struct {
    uint8_t *data;
    size_t   len;
} s_event_t;

typedef struct {
    void         *zctx;
    cj_store_t   *store;
    cj_metrics_t *metrics;
    cj_pub_t     *pub;
    cj_sub_t     *sub;
    /* producer "tp" */
    uint64_t      ptoken[PARTS];
    uint64_t      phead[PARTS];
    cj_batch_t   *pbatch;
    s_event_t     ev[PARTS][MAXSEQ + 1];
    /* consumer "tc" */
    uint64_t      ctoken[PARTS];
    cj_batch_t   *cbatch[PARTS];
    bool          owned[PARTS];
    bool          fail_next_commit;
    uint64_t      refuse_seq[PARTS];   /* the handler refuses this seq (0 = none) */
    uint64_t      expect[PARTS];       /* next seq the handler must see */
    size_t        calls[PARTS];        /* handler calls, including re-applies */
    size_t        anomalies;           /* out-of-order or wrong events seen by the handler */
    char          anomaly[256];
    size_t        live, caught_up;     /* events applied by drain / by catch-up */
    size_t        failed_applied;      /* events applied in the turn whose commit failed */
} fixture_t;

static fixture_t F;

/*  A Redis command on the test's connection; the reply is never NULL.  */
static redisReply *
s_checked (redisReply *reply)
{
    assert_non_null (reply);
    return reply;
}
#define s_redis(...) s_checked (cj_store_command (F.store, __VA_ARGS__))

/*  ---- the consumer's handler ----  */

static int
s_apply (void *arg, uint32_t partition, uint64_t seq, const cj_envelope_t *event,
         cj_batch_t *batch)
{
    fixture_t *f = arg;
    f->calls[partition]++;
    if (seq != f->expect[partition]
        || event->body_case != CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED
        || event->bus_probe_applied->n != seq) {
        if (!f->anomalies++)
            snprintf (f->anomaly, sizeof f->anomaly,
                      "partition %u: got seq %" PRIu64 " (n %" PRIu64 "), expected %" PRIu64,
                      partition, seq,
                      event->bus_probe_applied ? (uint64_t) event->bus_probe_applied->n : 0,
                      f->expect[partition]);
    }
    f->expect[partition] = seq + 1;
    char key[CJ_KEY_MAX], value[24];
    cj_key (key, sizeof key, partition, "tc", "applied");
    int n = snprintf (value, sizeof value, "%" PRIu64, seq);
    if (cj_batch_rpush (batch, key, value, (size_t) n) != 0)
        return -1;
    if (seq == f->refuse_seq[partition])
        return -1;          /* after a write: the write must be rolled back */
    return 0;
}

/*  ---- set-up ----  */

static cj_sub_t *
s_new_sub (void)
{
    cj_sub_t *sub = cj_sub_new (F.zctx, F.store, F.metrics, "tc", "tp", cj_pub_endpoint (F.pub),
                                PARTS, 0, s_apply, &F);
    assert_non_null (sub);
    assert_string_equal (cj_sub_producer (sub), "tp");
    assert_non_null (cj_sub_socket (sub));
    return sub;
}

/*  Waits until the SUB is connected and subscribed (the ZeroMQ slow joiner): heartbeats go
 *  out until one arrives. Partitions not owned ignore them.  */
static void
s_join (cj_sub_t *sub)
{
    cj_batch_t *none[PARTS] = { NULL };
    int64_t deadline = cj_test_now_ms () + 5000;
    while (cj_test_now_ms () < deadline) {
        assert_int_equal (cj_pub_heartbeat (F.pub, 0, 0), 0);
        zmq_pollitem_t item = { cj_sub_socket (sub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 20) == 1) {
            assert_true (cj_sub_drain (sub, none, 1000) >= 0);
            return;
        }
    }
    fail_msg ("the SUB socket never received a heartbeat from %s", cj_pub_endpoint (F.pub));
}

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    const char *url = cj_test_redis_url ();
    if (!url)
        fail_msg ("the redis fixture is not running (run through ctest)");
    char err[256];
    F.store = cj_store_new (url, 5000, err, sizeof err);
    assert_non_null (F.store);
    freeReplyObject (s_redis ("FLUSHALL"));
    F.zctx = zmq_ctx_new ();
    assert_non_null (F.zctx);
    F.metrics = cj_metrics_new ();
    assert_non_null (F.metrics);
    F.pub = cj_pub_new (F.zctx, "tcp://127.0.0.1:*", "tp", 0);
    assert_non_null (F.pub);
    assert_non_null (strstr (cj_pub_endpoint (F.pub), "tcp://127.0.0.1:"));
    assert_null (strchr (cj_pub_endpoint (F.pub), '*'));
    F.pbatch = cj_batch_new ();
    assert_non_null (F.pbatch);
    for (uint32_t p = 0; p < PARTS; p++) {
        assert_int_equal (cj_store_lease (F.store, "tp", p, "test-tp", 0, TTL_MS, &F.ptoken[p]), 1);
        assert_int_equal (cj_store_lease (F.store, "tc", p, "test-tc", 0, TTL_MS, &F.ctoken[p]), 1);
        F.cbatch[p] = cj_batch_new ();
        assert_non_null (F.cbatch[p]);
        F.expect[p] = 1;
    }
    F.sub = s_new_sub ();
    s_join (F.sub);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    cj_sub_destroy (&F.sub);
    cj_pub_destroy (&F.pub);
    if (F.zctx)
        zmq_ctx_term (F.zctx);
    for (uint32_t p = 0; p < PARTS; p++) {
        cj_batch_destroy (&F.cbatch[p]);
        for (size_t s = 0; s <= MAXSEQ; s++)
            free (F.ev[p][s].data);
    }
    cj_batch_destroy (&F.pbatch);
    cj_metrics_destroy (&F.metrics);
    cj_store_destroy (&F.store);
    return 0;
}

/*  ---- producer ----  */

/*  Commits one batch of 'count' events to partition 'p' of "tp" (one outbox stream entry) and
 *  keeps their bytes for publishing. Event seq s carries BusProbeApplied.n = s, or, when
 *  'garbage', bytes that are not an Envelope.  */
static void
s_commit_events (uint32_t p, size_t count, bool garbage)
{
    cj_batch_reset (F.pbatch, "tp", p, F.ptoken[p]);
    for (size_t i = 0; i < count; i++) {
        uint64_t seq = F.phead[p] + 1 + i;
        assert_true (seq <= MAXSEQ);
        char id[48];
        snprintf (id, sizeof id, "tp-%u-%" PRIu64, p, seq);
        Chejian__V1__BusProbeApplied body = CHEJIAN__V1__BUS_PROBE_APPLIED__INIT;
        body.n = seq;
        cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
        env.event_id = id;
        env.source = "tp";
        env.occurred_at = 1700000000000LL;
        env.county = "510822";
        env.body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED;
        env.bus_probe_applied = &body;
        size_t len = 0;
        uint8_t *bytes = cj_message_pack (&env.base, &len);
        assert_non_null (bytes);
        if (garbage) {
            memset (bytes, 0xff, len);
            bytes[len - 1] = 0x01;
        }
        assert_int_equal (cj_batch_event (F.pbatch, bytes, len), (int) i);
        free (bytes);
    }
    cj_batch_t *batches[1] = { F.pbatch };
    cj_commit_result_t res;
    assert_int_equal (cj_store_commit (F.store, batches, 1, &res), 0);
    assert_int_equal (res.status, CJ_COMMIT_OK);
    assert_int_equal (res.first_seq, F.phead[p] + 1);
    assert_int_equal (res.last_seq, F.phead[p] + count);
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;
        const void *data = cj_batch_event_data (F.pbatch, i, &len);
        s_event_t *ev = &F.ev[p][res.first_seq + i];
        ev->data = malloc (len);
        assert_non_null (ev->data);
        memcpy (ev->data, data, len);
        ev->len = len;
    }
    F.phead[p] = res.last_seq;
    uint64_t head = 0;
    assert_int_equal (cj_outbox_head (F.store, "tp", p, &head), 0);
    assert_int_equal (head, F.phead[p]);
}

static void
s_publish (uint32_t p, uint64_t first, uint64_t last)
{
    for (uint64_t s = first; s <= last; s++)
        assert_int_equal (cj_pub_event (F.pub, p, s, F.ev[p][s].data, F.ev[p][s].len), 0);
}

/*  ---- consumer ----  */

static void
s_own (uint32_t p)
{
    assert_int_equal (cj_sub_own (F.sub, p), 0);
    F.owned[p] = true;
    F.expect[p] = cj_sub_cursor (F.sub, p) + 1;
}

/*  One turn of a consumer's loop: drain, catch up, commit each partition's batch (writes and
 *  cursor), report the outcome. With fail_next_commit set, nothing is committed and every
 *  owned partition is told its commit failed.  */
static void
s_turn (void)
{
    cj_batch_t *batches[PARTS] = { NULL };
    for (uint32_t p = 0; p < PARTS; p++)
        if (F.owned[p]) {
            cj_batch_reset (F.cbatch[p], "tc", p, F.ctoken[p]);
            batches[p] = F.cbatch[p];
        }
    int live = cj_sub_drain (F.sub, batches, 1000);
    assert_true (live >= 0);
    int caught = cj_sub_catch_up (F.sub, batches, 1000);
    assert_true (caught >= 0);
    F.live += (size_t) live;
    F.caught_up += (size_t) caught;
    assert_int_equal (cj_sub_prepare_commit (F.sub, batches), 0);
    bool fail = F.fail_next_commit && live + caught > 0;
    if (fail)
        F.failed_applied = (size_t) (live + caught);
    cj_batch_t *to_commit[PARTS];
    uint32_t which[PARTS];
    size_t n = 0;
    for (uint32_t p = 0; p < PARTS; p++)
        if (batches[p] && !cj_batch_empty (batches[p])) {
            which[n] = p;
            to_commit[n++] = batches[p];
        }
    cj_commit_result_t res[PARTS];
    bool ok[PARTS];
    for (uint32_t p = 0; p < PARTS; p++)
        ok[p] = !fail;
    if (n && !fail) {
        assert_int_equal (cj_store_commit (F.store, to_commit, n, res), 0);
        for (size_t i = 0; i < n; i++)
            ok[which[i]] = res[i].status == CJ_COMMIT_OK;
    }
    for (uint32_t p = 0; p < PARTS; p++)
        if (F.owned[p]) {
            cj_sub_committed (F.sub, p, ok[p]);
            if (!ok[p])
                F.expect[p] = cj_sub_cursor (F.sub, p) + 1;   /* the batch is forgotten */
        }
    if (fail)
        F.fail_next_commit = false;
}

/*  Runs turns until every owned partition's cursor is at 'target' (0 = its producer head) with
 *  no lag, for at most 'ms'.  */
static void
s_consume (const uint64_t target[PARTS], int ms)
{
    int64_t deadline = cj_test_now_ms () + ms;
    for (;;) {
        s_turn ();
        bool done = true;
        for (uint32_t p = 0; p < PARTS; p++) {
            uint64_t want = target && target[p] ? target[p] : F.phead[p];
            if (F.owned[p] && (cj_sub_cursor (F.sub, p) != want || cj_sub_lag (F.sub, p) != 0))
                done = false;
        }
        if (done)
            break;
        if (cj_test_now_ms () > deadline) {
            for (uint32_t p = 0; p < PARTS; p++)
                print_message ("partition %u: cursor %" PRIu64 " head %" PRIu64 " lag %" PRIu64
                               " (producer head %" PRIu64 ")\n", p, cj_sub_cursor (F.sub, p),
                               cj_sub_head (F.sub, p), cj_sub_lag (F.sub, p), F.phead[p]);
            fail_msg ("the consumer did not catch up within %d ms", ms);
        }
        zmq_pollitem_t item = { cj_sub_socket (F.sub), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 10);
    }
    if (F.anomalies)
        fail_msg ("%zu events out of order or wrong; first: %s", F.anomalies, F.anomaly);
}

/*  The seqs durably applied to partition 'p' (the handler's list in Redis) are exactly
 *  first..last in order, once each, except 'skip' (0 = none).  */
static void
s_assert_applied (uint32_t p, uint64_t first, uint64_t last, uint64_t skip)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, "tc", "applied");
    redisReply *r = s_redis ("LRANGE %s 0 -1", key);
    assert_int_equal (r->type, REDIS_REPLY_ARRAY);
    size_t i = 0;
    for (uint64_t s = first; s <= last; s++) {
        if (s == skip)
            continue;
        if (i >= r->elements)
            fail_msg ("partition %u: seq %" PRIu64 " never applied", p, s);
        if (strtoull (r->element[i]->str, NULL, 10) != s)
            fail_msg ("partition %u: applied[%zu] is %s, expected %" PRIu64, p, i,
                      r->element[i]->str, s);
        i++;
    }
    if (i != r->elements)
        fail_msg ("partition %u: %zu applied, expected %zu", p, r->elements, i);
    freeReplyObject (r);
}

static uint64_t
s_redis_cursor (uint32_t p)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, "tc", "cursors");
    redisReply *r = s_redis ("HGET %s tp", key);
    uint64_t v = r->type == REDIS_REPLY_STRING ? strtoull (r->str, NULL, 10) : 0;
    assert_true (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL);
    freeReplyObject (r);
    return v;
}

static uint64_t
s_counter (const char *name, uint32_t p)
{
    char ps[8];
    snprintf (ps, sizeof ps, "%u", p);
    cj_counter_t *c = cj_metrics_counter (F.metrics, name, "x", "subscription", "tc.tp",
                                          "partition", ps, NULL);
    assert_non_null (c);
    return cj_counter_value (c);
}

/*  ---- tests ----  */

static void
test_live_in_order (void **state)
{
    (void) state;
    s_own (0);
    s_own (1);
    assert_int_equal (cj_sub_cursor (F.sub, 1), 0);
    assert_int_equal (cj_sub_lag (F.sub, 1), 0);
    s_commit_events (1, 4, false);
    s_commit_events (1, 6, false);
    s_commit_events (0, 3, false);
    s_publish (1, 1, 10);
    s_publish (0, 1, 3);
    s_consume (NULL, 5000);
    assert_int_equal (F.live, 13);               /* all of it on the live path */
    assert_int_equal (F.caught_up, 0);
    assert_int_equal (F.calls[1], 10);
    assert_int_equal (F.calls[0], 3);
    s_assert_applied (1, 1, 10, 0);
    s_assert_applied (0, 1, 3, 0);
    assert_int_equal (s_redis_cursor (1), 10);
    assert_int_equal (s_redis_cursor (0), 3);
    assert_int_equal (cj_sub_head (F.sub, 1), 10);
    assert_int_equal (cj_sub_max_lag (F.sub), 0);
    assert_int_equal (s_counter ("chejian_events_applied_total", 1), 10);
    assert_int_equal (s_counter ("chejian_events_redelivered_total", 1), 0);

    /* stale and repeated events are ignored */
    s_publish (1, 5, 10);
    s_publish (0, 1, 3);
    usleep (100000);
    s_turn ();
    assert_int_equal (F.calls[1], 10);
    assert_int_equal (F.calls[0], 3);
    assert_int_equal (cj_sub_cursor (F.sub, 1), 10);
}

static void
test_gap_recovered_from_outbox (void **state)
{
    (void) state;
    s_own (1);
    s_commit_events (1, 3, false);
    s_commit_events (1, 4, false);
    s_commit_events (1, 3, false);
    s_publish (1, 1, 3);
    s_publish (1, 8, 10);                        /* 4..7 dropped on the way */
    s_consume (NULL, 5000);
    assert_int_equal (F.live, 3);
    assert_int_equal (F.caught_up, 7);
    assert_int_equal (F.calls[1], 10);
    s_assert_applied (1, 1, 10, 0);
    assert_int_equal (s_redis_cursor (1), 10);
    assert_int_equal (s_counter ("chejian_events_redelivered_total", 1), 7);
    assert_true (s_counter ("chejian_consumer_gaps_total", 1) >= 1);
}

static void
test_heartbeat_reveals_missed_tail (void **state)
{
    (void) state;
    s_own (1);
    s_commit_events (1, 6, false);
    s_commit_events (1, 4, false);
    /* nothing was published: the consumer does not know yet */
    s_turn ();
    assert_int_equal (cj_sub_head (F.sub, 1), 0);
    assert_int_equal (F.calls[1], 0);
    assert_int_equal (cj_pub_heartbeat (F.pub, 1, 10), 0);
    s_consume (NULL, 5000);
    assert_int_equal (F.live, 0);
    assert_int_equal (F.caught_up, 10);
    s_assert_applied (1, 1, 10, 0);
    assert_int_equal (s_redis_cursor (1), 10);
}

static void
test_own_loads_head_from_redis (void **state)
{
    (void) state;
    s_commit_events (1, 5, false);               /* committed before the consumer owns p1 */
    s_own (1);
    assert_int_equal (cj_sub_head (F.sub, 1), 5);
    assert_int_equal (cj_sub_lag (F.sub, 1), 5);
    assert_int_equal (cj_sub_max_lag (F.sub), 5);
    s_consume (NULL, 5000);
    assert_int_equal (F.caught_up, 5);
    s_assert_applied (1, 1, 5, 0);
}

static void
test_failed_commit_reapplies (void **state)
{
    (void) state;
    s_own (1);
    s_commit_events (1, 5, false);
    s_publish (1, 1, 5);
    usleep (100000);                             /* let them all arrive */
    F.fail_next_commit = true;
    s_consume (NULL, 5000);
    assert_false (F.fail_next_commit);           /* a commit did fail */
    assert_true (F.failed_applied >= 1);
    /* applied, forgotten, then all five applied again from the outbox (the live copies of
       what came after were already consumed) */
    assert_int_equal (F.calls[1], F.failed_applied + 5);
    assert_true (F.caught_up >= F.failed_applied);
    s_assert_applied (1, 1, 5, 0);               /* durably once */
    assert_int_equal (cj_sub_cursor (F.sub, 1), 5);
    assert_int_equal (s_redis_cursor (1), 5);

    /* and it goes on live afterwards */
    s_commit_events (1, 2, false);
    s_publish (1, 6, 7);
    size_t live = F.live;
    s_consume (NULL, 5000);
    assert_int_equal (F.live - live, 2);
    s_assert_applied (1, 1, 7, 0);
}

static void
test_refused_event_dead_lettered (void **state)
{
    (void) state;
    s_own (1);
    F.refuse_seq[1] = 4;
    s_commit_events (1, 6, false);
    s_publish (1, 1, 6);
    s_consume (NULL, 5000);
    s_assert_applied (1, 1, 6, 4);               /* its write was rolled back */
    assert_int_equal (cj_sub_cursor (F.sub, 1), 6);
    assert_int_equal (s_redis_cursor (1), 6);
    assert_int_equal (s_counter ("chejian_events_dead_lettered_total", 1), 1);
    redisReply *r = s_redis ("LRANGE cj:{p1}:tc:deadletter:tp 0 -1");
    assert_int_equal (r->type, REDIS_REPLY_ARRAY);
    assert_int_equal (r->elements, 1);
    const char *entry = r->element[0]->str;
    size_t len = r->element[0]->len;
    const char *nl = memchr (entry, '\n', len);
    assert_non_null (nl);
    assert_true (strncmp (entry, "seq=4 ", 6) == 0);
    /* the event itself follows the reason line, byte for byte */
    size_t body = len - (size_t) (nl + 1 - entry);
    assert_int_equal (body, F.ev[1][4].len);
    assert_memory_equal (nl + 1, F.ev[1][4].data, body);
    freeReplyObject (r);

    /* an event that does not decode is dead-lettered too, without calling the handler */
    s_commit_events (1, 1, true);
    s_commit_events (1, 1, false);
    size_t calls = F.calls[1];
    F.expect[1] = 8;                             /* 7 never reaches the handler */
    s_publish (1, 7, 8);
    s_consume (NULL, 5000);
    assert_int_equal (F.calls[1], calls + 1);
    assert_int_equal (s_redis_cursor (1), 8);
    r = s_redis ("LINDEX cj:{p1}:tc:deadletter:tp 1");
    assert_int_equal (r->type, REDIS_REPLY_STRING);
    assert_non_null (strstr (r->str, "seq=7 reason=" CJ_E_DECODE_FAILED));
    freeReplyObject (r);
    assert_int_equal (s_counter ("chejian_events_dead_lettered_total", 1), 2);
}

static void
test_cursor_persisted_and_resumed (void **state)
{
    (void) state;
    s_own (1);
    s_commit_events (1, 5, false);
    s_publish (1, 1, 5);
    s_consume (NULL, 5000);
    assert_int_equal (s_redis_cursor (1), 5);

    /* a fresh subscriber (a restarted consumer) resumes after 5 */
    cj_sub_destroy (&F.sub);
    assert_null (F.sub);
    cj_sub_destroy (&F.sub);                    /* idempotent */
    F.sub = s_new_sub ();
    s_join (F.sub);
    s_own (1);
    assert_int_equal (cj_sub_cursor (F.sub, 1), 5);
    assert_int_equal (cj_sub_lag (F.sub, 1), 0);
    s_commit_events (1, 3, false);
    s_publish (1, 6, 8);
    s_consume (NULL, 5000);
    assert_int_equal (F.calls[1], 8);            /* 1..5 once, 6..8 once */
    s_assert_applied (1, 1, 8, 0);
    assert_int_equal (s_redis_cursor (1), 8);

    /* a disowned partition applies nothing */
    cj_sub_disown (F.sub, 1);
    F.owned[1] = false;
    s_commit_events (1, 1, false);
    s_publish (1, 9, 9);
    usleep (100000);
    s_turn ();
    assert_int_equal (F.calls[1], 8);
    assert_int_equal (s_redis_cursor (1), 8);
    assert_int_equal (cj_sub_own (F.sub, PARTS), -1);        /* out of range */
}

static long long
s_xlen (uint32_t p)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, "tp", "outbox");
    redisReply *r = s_redis ("XLEN %s", key);
    long long n = r->integer;
    freeReplyObject (r);
    return n;
}

static void
test_outbox_trim (void **state)
{
    (void) state;
    s_commit_events (1, 3, false);               /* stream entries 3-0, 7-0, 10-0 */
    s_commit_events (1, 4, false);
    s_commit_events (1, 3, false);
    assert_int_equal (s_xlen (1), 3);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 0);    /* no subscriber known */

    s_own (1);                                  /* registers "tc" with cursor 0 */
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 0);
    s_consume (NULL, 5000);                     /* tc at 10 */
    /* a second, slower subscriber at 6: the lowest cursor */
    freeReplyObject (s_redis ("SADD cj:{p1}:tp:subscribers tc2"));
    freeReplyObject (s_redis ("HSET cj:{p1}:tc2:cursors tp 6"));
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 6), 0);    /* keep >= lowest */
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 100), 0);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 4), 0);    /* 6 - 4 = 2 < 3 */
    assert_int_equal (s_xlen (1), 3);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 3), 1);    /* entry 3 <= 6 - 3 */
    assert_int_equal (s_xlen (1), 2);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 3), 0);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 0);    /* tc2 still needs 7 */
    freeReplyObject (s_redis ("HSET cj:{p1}:tc2:cursors tp 7"));
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 1);    /* entry 7 <= 7 - 0 */
    assert_int_equal (s_xlen (1), 1);
    redisReply *r = s_redis ("XRANGE cj:{p1}:tp:outbox - +");
    assert_int_equal (r->elements, 1);
    assert_string_equal (r->element[0]->element[0]->str, "10-0");
    freeReplyObject (r);
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 0);    /* 10 is still needed by
                                                                     tc2 (cursor 7) */
    /* a subscriber with no cursor yet holds everything back */
    freeReplyObject (s_redis ("SADD cj:{p1}:tp:subscribers tc3"));
    freeReplyObject (s_redis ("HSET cj:{p1}:tc2:cursors tp 10"));
    assert_int_equal (cj_outbox_trim (F.store, "tp", 1, 0), 0);
    assert_int_equal (s_xlen (1), 1);
    /* the other partition's outbox is untouched */
    assert_int_equal (s_xlen (0), 0);

    /* a new consumer whose events were trimmed never skips them */
    freeReplyObject (s_redis ("HDEL cj:{p1}:tc:cursors tp"));
    cj_sub_destroy (&F.sub);
    F.sub = s_new_sub ();
    s_own (1);
    size_t calls = F.calls[1];
    for (int i = 0; i < 5; i++)
        s_turn ();
    assert_int_equal (F.calls[1], calls);
    assert_int_equal (cj_sub_cursor (F.sub, 1), 0);
    assert_int_equal (cj_sub_lag (F.sub, 1), 10);
}

/*  ---- ROUTER ----  */

static void *
s_socket (int type, const char *endpoint, bool bind, const char *routing_id)
{
    void *s = zmq_socket (F.zctx, type);
    assert_non_null (s);
    int linger = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    if (routing_id)
        zmq_setsockopt (s, ZMQ_ROUTING_ID, routing_id, strlen (routing_id));
    assert_int_equal (bind ? zmq_bind (s, endpoint) : zmq_connect (s, endpoint), 0);
    return s;
}

static void
s_send_parts (void *socket, size_t n, const char *const *parts, const size_t *lens)
{
    for (size_t i = 0; i < n; i++)
        assert_true (zmq_send (socket, parts[i], lens ? lens[i] : strlen (parts[i]),
                               i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

/*  cj_router_recv until it returns 1 (or fail after 3 s).  */
static void
s_router_recv (void *router, cj_route_t *route, zmq_msg_t *payload, size_t *malformed)
{
    int64_t deadline = cj_test_now_ms () + 3000;
    while (cj_test_now_ms () < deadline) {
        zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 50);
        int rc = cj_router_recv (router, route, payload, malformed);
        assert_true (rc >= 0);
        if (rc == 1)
            return;
    }
    fail_msg ("no request arrived on the ROUTER");
}

static void
test_router_routing_frames (void **state)
{
    (void) state;
    void *router = s_socket (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, NULL);
    char endpoint[256];
    size_t size = sizeof endpoint;
    assert_int_equal (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size), 0);
    void *dealer = s_socket (ZMQ_DEALER, endpoint, false, "peer-A");

    cj_route_t route;
    zmq_msg_t payload;
    size_t malformed = 0;
    assert_int_equal (cj_router_recv (router, &route, &payload, &malformed), 0);   /* none */

    /* a request relayed through two hops: [hop1][hop2][payload] */
    const char *const parts[] = { "hop1", "hop-two", "hello" };
    s_send_parts (dealer, 3, parts, NULL);
    s_router_recv (router, &route, &payload, &malformed);
    assert_int_equal (route.nframes, 3);
    assert_int_equal (route.len[0], 6);
    assert_memory_equal (route.frame[0], "peer-A", 6);
    assert_int_equal (route.len[1], 4);
    assert_memory_equal (route.frame[1], "hop1", 4);
    assert_int_equal (route.len[2], 7);
    assert_memory_equal (route.frame[2], "hop-two", 7);
    assert_int_equal (zmq_msg_size (&payload), 5);
    assert_memory_equal (zmq_msg_data (&payload), "hello", 5);
    zmq_msg_close (&payload);
    assert_int_equal (malformed, 0);

    assert_int_equal (cj_router_send (router, &route, "reply", 5), 0);
    char buf[64];
    int timeout = 3000;
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    const char *const expect[] = { "hop1", "hop-two", "reply" };
    for (int i = 0; i < 3; i++) {
        int n = zmq_recv (dealer, buf, sizeof buf, 0);
        assert_int_equal (n, (int) strlen (expect[i]));
        assert_memory_equal (buf, expect[i], (size_t) n);
        int more = 0;
        size_t ms = sizeof more;
        zmq_getsockopt (dealer, ZMQ_RCVMORE, &more, &ms);
        assert_int_equal (more, i < 2);
    }

    /* too many routing frames: identity + 8 hops > CJ_ROUTE_FRAMES_MAX; consumed whole */
    const char *many[CJ_ROUTE_FRAMES_MAX + 1];
    for (size_t i = 0; i < CJ_ROUTE_FRAMES_MAX; i++)
        many[i] = "hop";
    many[CJ_ROUTE_FRAMES_MAX] = "payload";
    s_send_parts (dealer, CJ_ROUTE_FRAMES_MAX + 1, many, NULL);
    /* a routing frame over CJ_ROUTE_FRAME_MAX bytes */
    char long_frame[CJ_ROUTE_FRAME_MAX + 1];
    memset (long_frame, 'x', sizeof long_frame);
    const char *const long_parts[] = { long_frame, "payload" };
    const size_t long_lens[] = { sizeof long_frame, 7 };
    s_send_parts (dealer, 2, long_parts, long_lens);
    /* at the limits: identity + 7 hops, a frame of exactly CJ_ROUTE_FRAME_MAX bytes */
    const char *const fit[] = { "a", "b", "c", "d", "e", "f", long_frame, "ok" };
    const size_t fit_lens[] = { 1, 1, 1, 1, 1, 1, CJ_ROUTE_FRAME_MAX, 2 };
    s_send_parts (dealer, 8, fit, fit_lens);
    s_router_recv (router, &route, &payload, &malformed);
    assert_int_equal (malformed, 2);
    assert_int_equal (route.nframes, CJ_ROUTE_FRAMES_MAX);
    assert_int_equal (route.len[7], CJ_ROUTE_FRAME_MAX);
    assert_int_equal (zmq_msg_size (&payload), 2);
    assert_memory_equal (zmq_msg_data (&payload), "ok", 2);
    zmq_msg_close (&payload);
    assert_int_equal (cj_router_send (router, &route, "r", 1), 0);
    for (int i = 0; i < 8; i++) {
        int n = zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n < 0 && errno == EAGAIN && i == 0) {       /* not there yet */
            zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
            zmq_poll (&item, 1, 3000);
            n = zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT);
        }
        assert_int_equal (n, i < 6 ? 1 : i == 6 ? CJ_ROUTE_FRAME_MAX : 1);
    }

    /* an empty payload is a request (the service answers it: the empty Envelope fails
       validation), not a malformed message */
    const char *const empty[] = { "" };
    s_send_parts (dealer, 1, empty, NULL);
    s_router_recv (router, &route, &payload, &malformed);
    assert_int_equal (route.nframes, 1);
    assert_int_equal (zmq_msg_size (&payload), 0);
    zmq_msg_close (&payload);
    assert_int_equal (malformed, 2);

    /* a reply to a peer that is gone is dropped, not an error and not a block */
    memcpy (route.frame[0], "nobody", 6);
    route.len[0] = 6;
    assert_int_equal (cj_router_send (router, &route, "x", 1), 0);

    zmq_close (dealer);
    zmq_close (router);
}

/*  A message that arrives with no routing frame at all (only one frame: what a ROUTER never
 *  produces, e.g. a socket of another type handed to cj_router_recv) is malformed.  */
static void
test_router_message_without_routing_frame (void **state)
{
    (void) state;
    void *in = s_socket (ZMQ_DEALER, "tcp://127.0.0.1:*", true, NULL);
    char endpoint[256];
    size_t size = sizeof endpoint;
    assert_int_equal (zmq_getsockopt (in, ZMQ_LAST_ENDPOINT, endpoint, &size), 0);
    void *out = s_socket (ZMQ_DEALER, endpoint, false, NULL);
    const char *const one[] = { "peer-only" };
    s_send_parts (out, 1, one, NULL);
    cj_route_t route;
    zmq_msg_t payload;
    size_t malformed = 0;
    zmq_pollitem_t item = { in, 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 3000), 1);
    assert_int_equal (cj_router_recv (in, &route, &payload, &malformed), 0);
    assert_int_equal (malformed, 1);
    assert_int_equal (cj_router_recv (in, &route, &payload, &malformed), 0);   /* consumed */
    s_send_parts (out, 1, one, NULL);
    assert_int_equal (zmq_poll (&item, 1, 3000), 1);
    assert_int_equal (cj_router_recv (in, &route, &payload, NULL), 0);   /* no counter: ok */
    assert_int_equal (malformed, 1);
    const char *const two[] = { "id", "payload" };
    s_send_parts (out, 2, two, NULL);
    s_router_recv (in, &route, &payload, &malformed);
    assert_int_equal (route.nframes, 1);
    assert_memory_equal (route.frame[0], "id", 2);
    zmq_msg_close (&payload);
    zmq_close (out);
    zmq_close (in);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_live_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gap_recovered_from_outbox, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat_reveals_missed_tail, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_loads_head_from_redis, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_commit_reapplies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_event_dead_lettered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cursor_persisted_and_resumed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_outbox_trim, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_router_routing_frames, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_router_message_without_routing_frame, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
