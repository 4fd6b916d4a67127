/*  test_store.c - the store against the real redis-server of the test fixture: URL parsing,
 *  key space, leases, the fenced commit (dense seqs, refusal of a stale token, whole or
 *  nothing), savepoints, reconnection, and the read cache with the context's read-ahead.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "chejian/ctx.h"
#include "chejian/store.h"
#include "test_support.h"

static cj_store_t *
s_store (void)
{
    char err[256];
    cj_store_t *store = cj_store_new (cj_test_redis_url (), 2000, err, sizeof err);
    assert_non_null (store);
    redisReply *r = cj_store_command (store, "FLUSHALL");
    assert_non_null (r);
    freeReplyObject (r);
    return store;
}

static long long
s_int (cj_store_t *store, const char *fmt, const char *arg)
{
    redisReply *r = cj_store_command (store, fmt, arg);
    assert_non_null (r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer
                  : r->type == REDIS_REPLY_STRING ? atoll (r->str) : -1;
    freeReplyObject (r);
    return v;
}

static void
test_url_parsing (void **state)
{
    (void) state;
    char err[256];
    cj_store_t *s = cj_store_new ("redis://:secret@db.example:6380/3", 0, err, sizeof err);
    assert_non_null (s);
    assert_string_equal (cj_store_url_safe (s), "redis://***@db.example:6380/3");
    cj_store_destroy (&s);
    assert_null (s);
    cj_store_destroy (&s);                  /* idempotent */
    assert_null (cj_store_new ("http://x", 0, err, sizeof err));
    assert_non_null (strstr (err, "redis://"));
    assert_null (cj_store_new ("redis://h:99999", 0, err, sizeof err));
    assert_null (cj_store_new ("redis://h/99", 0, err, sizeof err));
    assert_null (cj_store_new ("unix://relative", 0, err, sizeof err));
    s = cj_store_new ("unix:///run/redis.sock?db=2", 0, err, sizeof err);
    assert_non_null (s);
    cj_store_destroy (&s);
}

static void
test_key_space (void **state)
{
    (void) state;
    char key[CJ_KEY_MAX];
    assert_int_equal (cj_key (key, sizeof key, 3, "reg", "workshop:%s", "W1"),
                      (int) strlen ("cj:{p3}:reg:workshop:W1"));
    assert_string_equal (key, "cj:{p3}:reg:workshop:W1");
    char tiny[10];
    assert_int_equal (cj_key (tiny, sizeof tiny, 3, "reg", "workshop"), -1);
    /* stable: the partition function must never change for a deployment */
    assert_int_equal (cj_partition_of ("510822", 8), cj_partition_of ("510822", 8));
    unsigned hits[8] = { 0 };
    char county[7];
    for (int i = 0; i < 800; i++) {
        snprintf (county, sizeof county, "%06d", 110101 + i * 7);
        hits[cj_partition_of (county, 8)]++;
    }
    for (int p = 0; p < 8; p++)
        assert_true (hits[p] > 40);          /* spread over every partition */
}

static void
test_lease (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    uint64_t a = 0, b = 0, a2 = 0;
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-a", 0, 5000, &a), 1);
    assert_true (a > 0);
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-b", 0, 5000, &b), 0);
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-a", a, 5000, &a2), 1);
    assert_int_equal (a2, a);                             /* renewed, same token */
    /* a restart of host-a takes over at once, with a newer token */
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-a", 0, 5000, &a2), 1);
    assert_true (a2 > a);
    assert_int_equal (cj_store_lease_release (store, "svc", 1, a2), 0);
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-b", 0, 300, &b), 1);
    assert_true (b > a2);
    usleep (500000);                                      /* expires */
    uint64_t c = 0;
    assert_int_equal (cj_store_lease (store, "svc", 1, "host-a", 0, 5000, &c), 1);
    assert_true (c > b);
    cj_store_destroy (&store);
}

static void
test_commit_dense_seqs_and_writes (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    uint64_t token;
    assert_int_equal (cj_store_lease (store, "svc", 2, "me", 0, 10000, &token), 1);
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 2, token);
    assert_true (cj_batch_empty (batch));
    assert_int_equal (cj_batch_hset (batch, "cj:{p2}:svc:h", "a", "1", 1), 0);
    assert_int_equal (cj_batch_hset (batch, "cj:{p2}:svc:h", "b", "2", 1), 0);
    assert_int_equal (cj_batch_writes (batch), 1);        /* merged into one HSET */
    assert_int_equal (cj_batch_hincrby (batch, "cj:{p2}:svc:n", "x", 5), 0);
    assert_int_equal (cj_batch_set (batch, "cj:{p2}:svc:s", "v", 1), 0);
    assert_int_equal (cj_batch_rpush (batch, "cj:{p2}:svc:l", "e", 1), 0);
    assert_int_equal (cj_batch_zadd (batch, "cj:{p2}:svc:z", 1.5, "m"), 0);
    assert_int_equal (cj_batch_sadd (batch, "cj:{p2}:svc:set", "m"), 0);
    assert_int_equal (cj_batch_hset (batch, "cj:{p3}:svc:h", "a", "1", 1), -1);  /* other partition */
    for (int i = 0; i < 1200; i++) {                      /* spans three stream entries */
        char ev[16];
        int n = snprintf (ev, sizeof ev, "ev%d", i);
        assert_int_equal (cj_batch_event (batch, ev, (size_t) n), i);
    }
    cj_commit_result_t res;
    assert_int_equal (cj_store_commit (store, &batch, 1, &res), 0);
    assert_int_equal (res.status, CJ_COMMIT_OK);
    assert_int_equal (res.first_seq, 1);
    assert_int_equal (res.last_seq, 1200);
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p2}:svc:h"), 2);
    assert_int_equal (s_int (store, "HGET %s x", "cj:{p2}:svc:n"), 5);
    assert_int_equal (s_int (store, "XLEN %s", "cj:{p2}:svc:outbox"), 3);
    assert_int_equal (s_int (store, "HGET %s head", "cj:{p2}:svc:meta"), 1200);
    redisReply *r = cj_store_command (store, "XRANGE cj:{p2}:svc:outbox - + COUNT 1");
    assert_int_equal (r->elements, 1);
    assert_string_equal (r->element[0]->element[0]->str, "512-0");
    assert_string_equal (r->element[0]->element[1]->element[0]->str, "1");
    assert_string_equal (r->element[0]->element[1]->element[1]->str, "ev0");
    freeReplyObject (r);

    cj_batch_reset (batch, "svc", 2, token);
    cj_batch_event (batch, "next", 4);
    assert_int_equal (cj_store_commit (store, &batch, 1, &res), 0);
    assert_int_equal (res.first_seq, 1201);               /* dense across commits */
    cj_batch_destroy (&batch);
    cj_store_destroy (&store);
}

static void
test_stale_token_refused_whole (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    uint64_t old_token, new_token;
    assert_int_equal (cj_store_lease (store, "svc", 0, "a", 0, 10000, &old_token), 1);
    assert_int_equal (cj_store_lease_release (store, "svc", 0, old_token), 0);
    assert_int_equal (cj_store_lease (store, "svc", 0, "b", 0, 10000, &new_token), 1);
    cj_batch_t *stale = cj_batch_new (), *fresh = cj_batch_new ();
    cj_batch_reset (stale, "svc", 0, old_token);
    cj_batch_hset (stale, "cj:{p0}:svc:h", "a", "1", 1);
    cj_batch_event (stale, "x", 1);
    cj_commit_result_t res[2];
    assert_int_equal (cj_store_commit (store, &stale, 1, res), -1);
    assert_int_equal (res[0].status, CJ_COMMIT_STALE_LEASE);
    assert_int_equal (s_int (store, "EXISTS %s", "cj:{p0}:svc:h"), 0);
    assert_int_equal (s_int (store, "EXISTS %s", "cj:{p0}:svc:outbox"), 0);
    assert_int_equal (s_int (store, "HGET %s head", "cj:{p0}:svc:meta"), -1);
    /* two batches in one round trip: the fresh one commits, the stale one does not */
    cj_batch_reset (fresh, "svc", 0, new_token);
    cj_batch_hset (fresh, "cj:{p0}:svc:h", "b", "2", 1);
    uint64_t t1;
    assert_int_equal (cj_store_lease (store, "svc", 1, "b", 0, 10000, &t1), 1);
    cj_batch_reset (stale, "svc", 1, t1 + 100);
    cj_batch_hset (stale, "cj:{p1}:svc:h", "c", "3", 1);
    cj_batch_t *both[2] = { fresh, stale };
    assert_int_equal (cj_store_commit (store, both, 2, res), -1);
    assert_int_equal (res[0].status, CJ_COMMIT_OK);
    assert_int_equal (res[1].status, CJ_COMMIT_STALE_LEASE);
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p0}:svc:h"), 1);
    assert_int_equal (s_int (store, "EXISTS %s", "cj:{p1}:svc:h"), 0);
    cj_batch_destroy (&stale);
    cj_batch_destroy (&fresh);
    cj_store_destroy (&store);
}

static void
test_savepoint_rollback (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    uint64_t token;
    assert_int_equal (cj_store_lease (store, "svc", 0, "a", 0, 10000, &token), 1);
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 0, token);
    cj_batch_hset (batch, "cj:{p0}:svc:h", "keep", "1", 1);
    cj_batch_event (batch, "kept", 4);
    cj_batch_mark_t mark = cj_batch_mark (batch);
    cj_batch_hset (batch, "cj:{p0}:svc:h", "drop", "2", 1);   /* merges into the kept HSET */
    cj_batch_set (batch, "cj:{p0}:svc:dropped", "x", 1);
    cj_batch_event (batch, "dropped", 7);
    cj_batch_rollback (batch, mark);
    assert_int_equal (cj_batch_events (batch), 1);
    cj_commit_result_t res;
    assert_int_equal (cj_store_commit (store, &batch, 1, &res), 0);
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p0}:svc:h"), 1);
    assert_int_equal (s_int (store, "EXISTS %s", "cj:{p0}:svc:dropped"), 0);
    assert_int_equal (res.last_seq, 1);
    cj_batch_destroy (&batch);
    cj_store_destroy (&store);
}

static void
test_batch_reads_back_pending_writes (void **state)
{
    (void) state;
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 0, 1);
    const void *value;
    size_t len;
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "a", &value, &len), CJ_BATCH_ABSENT);
    cj_batch_hset (batch, "cj:{p0}:svc:h", "a", "1", 1);
    cj_batch_hset (batch, "cj:{p0}:svc:h", "b", "2", 1);
    cj_batch_hset (batch, "cj:{p0}:svc:h", "a", "33", 2);            /* later write wins */
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "a", &value, &len), CJ_BATCH_VALUE);
    assert_int_equal (len, 2);
    assert_memory_equal (value, "33", 2);
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "c", &value, &len), CJ_BATCH_ABSENT);
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:other", "a", &value, &len),
                      CJ_BATCH_ABSENT);
    cj_batch_hdel (batch, "cj:{p0}:svc:h", "b");
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "b", &value, &len), CJ_BATCH_DELETED);
    cj_batch_hincrby (batch, "cj:{p0}:svc:h", "n", 3);
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "n", &value, &len), CJ_BATCH_UNKNOWN);
    cj_batch_set (batch, "cj:{p0}:svc:s", "v", 1);
    assert_int_equal (cj_batch_get (batch, "cj:{p0}:svc:s", &value, &len), CJ_BATCH_VALUE);
    cj_batch_mark_t mark = cj_batch_mark (batch);
    cj_batch_del (batch, "cj:{p0}:svc:h");
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "a", &value, &len), CJ_BATCH_DELETED);
    cj_batch_rollback (batch, mark);                                   /* the DEL is gone */
    assert_int_equal (cj_batch_hget (batch, "cj:{p0}:svc:h", "a", &value, &len), CJ_BATCH_VALUE);
    cj_batch_destroy (&batch);
}

/*  The write index against a plain model: many keys and fields (the index grows and
 *  rehashes), values shadowed and brought back by rollbacks (also of part of a merged HSET),
 *  a DEL that hides fields written before it but not after, SET and DEL of a string key.  */
/*  Asserts what the batch answers for ('key', 'field'), and the bytes when 'text'.  */
static void
s_expect (cj_batch_t *batch, const char *key, const char *field, cj_batch_lookup_t kind,
          const char *text)
{
    const void *value;
    size_t len;
    assert_int_equal (cj_batch_hget (batch, key, field, &value, &len), kind);
    if (text) {
        assert_int_equal (len, strlen (text));
        assert_memory_equal (value, text, len);
    }
}

static void
test_batch_write_index (void **state)
{
    (void) state;
    cj_batch_t *batch = cj_batch_new ();
    const void *value;
    size_t len;
    char key[64], field[32], text[32];
    for (int round = 0; round < 2; round++) {      /* the second after a reset */
        cj_batch_reset (batch, "svc", 0, 1);
        for (int i = 0; i < 5000; i++) {           /* 50 keys x 100 fields, merged HSETs */
            snprintf (key, sizeof key, "cj:{p0}:svc:k%d", i / 100);
            snprintf (field, sizeof field, "f%d", i % 100);
            snprintf (text, sizeof text, "v%d", i);
            assert_int_equal (cj_batch_hset (batch, key, field, text, strlen (text)), 0);
        }
        cj_batch_mark_t mark = cj_batch_mark (batch);
        cj_batch_hset (batch, "cj:{p0}:svc:k49", "f99", "new", 3);   /* merges into the last op */
        cj_batch_hset (batch, "cj:{p0}:svc:k49", "f100", "added", 5);
        cj_batch_del (batch, "cj:{p0}:svc:k3");
        cj_batch_hset (batch, "cj:{p0}:svc:k3", "f7", "after", 5);
        s_expect (batch, "cj:{p0}:svc:k49", "f99", CJ_BATCH_VALUE, "new");
        s_expect (batch, "cj:{p0}:svc:k3", "f8", CJ_BATCH_DELETED, NULL);
        s_expect (batch, "cj:{p0}:svc:k3", "f7", CJ_BATCH_VALUE, "after");
        cj_batch_rollback (batch, mark);
        for (int i = 0; i < 5000; i += 7) {
            snprintf (key, sizeof key, "cj:{p0}:svc:k%d", i / 100);
            snprintf (field, sizeof field, "f%d", i % 100);
            snprintf (text, sizeof text, "v%d", i);
            s_expect (batch, key, field, CJ_BATCH_VALUE, text);
        }
        s_expect (batch, "cj:{p0}:svc:k49", "f99", CJ_BATCH_VALUE, "v4999");
        s_expect (batch, "cj:{p0}:svc:k49", "f100", CJ_BATCH_ABSENT, NULL);
        s_expect (batch, "cj:{p0}:svc:k50", "f0", CJ_BATCH_ABSENT, NULL);
        /* a string key: SET, DEL, SET; fields of it and of the hash are different names */
        cj_batch_set (batch, "cj:{p0}:svc:s", "one", 3);
        cj_batch_del (batch, "cj:{p0}:svc:s");
        assert_int_equal (cj_batch_get (batch, "cj:{p0}:svc:s", &value, &len), CJ_BATCH_DELETED);
        cj_batch_set (batch, "cj:{p0}:svc:s", "two", 3);
        assert_int_equal (cj_batch_get (batch, "cj:{p0}:svc:s", &value, &len), CJ_BATCH_VALUE);
        assert_memory_equal (value, "two", 3);
        assert_int_equal (cj_batch_get (batch, "cj:{p0}:svc:k1", &value, &len), CJ_BATCH_ABSENT);
        cj_batch_hincrby (batch, "cj:{p0}:svc:k1", "f1", 1);
        s_expect (batch, "cj:{p0}:svc:k1", "f1", CJ_BATCH_UNKNOWN, NULL);
        s_expect (batch, "cj:{p0}:svc:k1", "f2", CJ_BATCH_VALUE, NULL);
    }
    cj_batch_destroy (&batch);
}

static char *
s_str (cj_store_t *store, const char *fmt, const char *arg, char *buf, size_t size)
{
    redisReply *r = cj_store_command (store, fmt, arg);
    assert_non_null (r);
    snprintf (buf, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject (r);
    return buf;
}

/*  Writes a later write of the batch voids are left out of the commit, and the rest go
 *  grouped by key, with the same result in Redis: rewritten fields, HDEL after HSET, a SET twice, a DEL between two HSETs, a whole
 *  op voided (its key left out), and an HSET kept because an HINCRBY after it needs it
 *  (dropping it would run HINCRBY on Redis's "abc" and fail the script).  */
static void
test_commit_leaves_out_voided_writes (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    char buf[64];
    uint64_t token;
    assert_int_equal (cj_store_lease (store, "svc", 1, "me", 0, 10000, &token), 1);
    freeReplyObject (cj_store_command (store, "HSET cj:{p1}:svc:h d abc z keep"));
    freeReplyObject (cj_store_command (store, "HSET cj:{p1}:svc:k old 1"));
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 1, token);
    cj_batch_hset (batch, "cj:{p1}:svc:h", "a", "1", 1);
    cj_batch_hset (batch, "cj:{p1}:svc:h", "b", "2", 1);
    cj_batch_hset (batch, "cj:{p1}:svc:h", "a", "3", 1);
    cj_batch_hset (batch, "cj:{p1}:svc:h", "c", "1", 1);
    cj_batch_hdel (batch, "cj:{p1}:svc:h", "c");
    cj_batch_hset (batch, "cj:{p1}:svc:h", "d", "7", 1);
    cj_batch_hincrby (batch, "cj:{p1}:svc:h", "d", 2);
    cj_batch_hset (batch, "cj:{p1}:svc:h", "d", "5", 1);
    cj_batch_set (batch, "cj:{p1}:svc:s", "one", 3);
    cj_batch_hset (batch, "cj:{p1}:svc:h2", "e", "1", 1);     /* a whole op, voided below */
    cj_batch_set (batch, "cj:{p1}:svc:s", "two", 3);
    cj_batch_hset (batch, "cj:{p1}:svc:h2", "e", "2", 1);
    cj_batch_hset (batch, "cj:{p1}:svc:k", "x", "1", 1);
    cj_batch_del (batch, "cj:{p1}:svc:k");
    cj_batch_hset (batch, "cj:{p1}:svc:k", "y", "2", 1);
    /* grouped by key: the pushes of one list stay in order, and 2 x 1500 HSETs alternating
     * between two keys go as groups of at most S_OP_MAX_ARGS arguments */
    cj_batch_rpush (batch, "cj:{p1}:svc:l", "a", 1);
    cj_batch_hset (batch, "cj:{p1}:svc:h3", "x", "1", 1);
    cj_batch_rpush (batch, "cj:{p1}:svc:l", "b", 1);
    cj_batch_rpush (batch, "cj:{p1}:svc:l2", "c", 1);
    cj_batch_rpush (batch, "cj:{p1}:svc:l", "d", 1);
    for (int i = 0; i < 3000; i++) {
        char f[16];
        snprintf (f, sizeof f, "f%d", i / 2);
        cj_batch_hset (batch, i % 2 ? "cj:{p1}:svc:m1" : "cj:{p1}:svc:m2", f, f, strlen (f));
    }
    cj_batch_event (batch, "ev", 2);
    cj_commit_result_t res;
    assert_int_equal (cj_store_commit (store, &batch, 1, &res), 0);
    assert_int_equal (res.status, CJ_COMMIT_OK);
    redisReply *r = cj_store_command (store, "LRANGE cj:{p1}:svc:l 0 -1");
    assert_int_equal (r->elements, 3);
    assert_string_equal (r->element[0]->str, "a");
    assert_string_equal (r->element[1]->str, "b");
    assert_string_equal (r->element[2]->str, "d");
    freeReplyObject (r);
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p1}:svc:m1"), 1500);
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p1}:svc:m2"), 1500);
    assert_string_equal (s_str (store, "HGET %s f1499", "cj:{p1}:svc:m1", buf, sizeof buf),
                         "f1499");
    assert_string_equal (s_str (store, "HGET %s a", "cj:{p1}:svc:h", buf, sizeof buf), "3");
    assert_string_equal (s_str (store, "HGET %s b", "cj:{p1}:svc:h", buf, sizeof buf), "2");
    assert_string_equal (s_str (store, "HGET %s c", "cj:{p1}:svc:h", buf, sizeof buf), "(nil)");
    assert_string_equal (s_str (store, "HGET %s d", "cj:{p1}:svc:h", buf, sizeof buf), "5");
    assert_string_equal (s_str (store, "HGET %s z", "cj:{p1}:svc:h", buf, sizeof buf), "keep");
    assert_string_equal (s_str (store, "GET %s", "cj:{p1}:svc:s", buf, sizeof buf), "two");
    assert_string_equal (s_str (store, "HGET %s e", "cj:{p1}:svc:h2", buf, sizeof buf), "2");
    assert_int_equal (s_int (store, "HLEN %s", "cj:{p1}:svc:k"), 1);
    assert_string_equal (s_str (store, "HGET %s y", "cj:{p1}:svc:k", buf, sizeof buf), "2");
    assert_int_equal (s_int (store, "XLEN %s", "cj:{p1}:svc:outbox"), 1);
    cj_batch_destroy (&batch);
    cj_store_destroy (&store);
}

static void
test_reconnects_and_reloads_scripts (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    uint64_t token;
    assert_int_equal (cj_store_lease (store, "svc", 0, "a", 0, 10000, &token), 1);
    redisReply *r = cj_store_command (store, "SCRIPT FLUSH");
    freeReplyObject (r);
    r = cj_store_command (store, "CLIENT KILL TYPE normal SKIPME no");
    if (r)
        freeReplyObject (r);
    /* the next call notices the dead connection, the one after reconnects */
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 0, token);
    cj_batch_event (batch, "e", 1);
    cj_commit_result_t res = { 0 };
    for (int i = 0; i < 20 && res.status != CJ_COMMIT_OK; i++) {
        cj_store_commit (store, &batch, 1, &res);
        if (res.status != CJ_COMMIT_OK)
            usleep (200000);
    }
    assert_int_equal (res.status, CJ_COMMIT_OK);
    assert_true (cj_store_connected (store));
    cj_batch_destroy (&batch);
    cj_store_destroy (&store);
}

static void
test_unreachable_reports_cause (void **state)
{
    (void) state;
    char url[64], err[256];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", cj_test_free_port ());
    cj_store_t *store = cj_store_new (url, 500, err, sizeof err);
    assert_int_equal (cj_store_connect (store), -1);
    assert_non_null (strstr (cj_store_errstr (store), "connect"));
    assert_null (cj_store_command (store, "PING"));      /* within the backoff: no attempt */
    cj_store_destroy (&store);
}

static void
test_read_cache (void **state)
{
    (void) state;
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 0, 1);
    const void *v;
    size_t len;
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "f", &v, &len), CJ_BATCH_ABSENT);
    assert_int_equal (cj_batch_cache_put (batch, "cj:{p0}:svc:h", "f", "one", 3), 0);
    assert_int_equal (cj_batch_cache_put (batch, "cj:{p0}:svc:h", "g", NULL, 0), 0);
    assert_int_equal (cj_batch_cache_put (batch, "cj:{p0}:svc:s", NULL, "str", 3), 0);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "f", &v, &len), CJ_BATCH_VALUE);
    assert_int_equal (len, 3);
    assert_memory_equal (v, "one", 3);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "g", &v, &len), CJ_BATCH_DELETED);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", NULL, &v, &len), CJ_BATCH_ABSENT);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:s", NULL, &v, &len), CJ_BATCH_VALUE);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:s", "", &v, &len), CJ_BATCH_ABSENT);
    /* overwrite, then grow well past the first table */
    assert_int_equal (cj_batch_cache_put (batch, "cj:{p0}:svc:h", "f", "two!", 4), 0);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "f", &v, &len), CJ_BATCH_VALUE);
    assert_int_equal (len, 4);
    char field[32];
    for (int i = 0; i < 5000; i++) {
        snprintf (field, sizeof field, "k%d", i);
        assert_int_equal (cj_batch_cache_put (batch, "cj:{p0}:svc:many", field, field,
                                              strlen (field)), 0);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf (field, sizeof field, "k%d", i);
        assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:many", field, &v, &len),
                          CJ_BATCH_VALUE);
        assert_int_equal (len, strlen (field));
        assert_memory_equal (v, field, len);
    }
    cj_batch_reset (batch, "svc", 0, 1);     /* a new turn forgets what it read */
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "f", &v, &len), CJ_BATCH_ABSENT);
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:many", "k7", &v, &len),
                      CJ_BATCH_ABSENT);
    cj_batch_destroy (&batch);
}

/*  A probe notes what it could not read and fails; cj_ctx_prefetch fetches it all at once;
 *  reads then come from the cache (the turn's snapshot), after the batch's own writes.  */
static void
test_ctx_read_ahead (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    redisReply *r = cj_store_command (store, "HSET cj:{p0}:svc:h a 1 b 2");
    freeReplyObject (r);
    cj_ctx_env_t env = { .store = store, .name = "svc", .short_name = "svc" };
    cj_ctx_t *ctx = cj_ctx_new (&env);
    cj_batch_t *batch = cj_batch_new ();
    cj_batch_reset (batch, "svc", 0, 1);
    char *value = NULL;
    cj_ctx_probe (ctx, true);
    cj_ctx_begin (ctx, batch, 0, 0, NULL);
    assert_false (cj_ctx_probe_missed (ctx));
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "a", &value, NULL), -1);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "zz", &value, NULL), -1);
    assert_true (cj_ctx_probe_missed (ctx));
    assert_int_equal (cj_ctx_prefetch (ctx), 2);
    cj_ctx_begin (ctx, batch, 0, 0, NULL);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "a", &value, NULL), 1);
    assert_string_equal (value, "1");
    free (value);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "zz", &value, NULL), 0);
    assert_false (cj_ctx_probe_missed (ctx));
    cj_ctx_probe (ctx, false);
    /* Redis changes behind the turn's back (it cannot, with a lease): the turn keeps its
       snapshot; the batch's own pending write comes first. */
    r = cj_store_command (store, "HSET cj:{p0}:svc:h a 9");
    freeReplyObject (r);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "a", &value, NULL), 1);
    assert_string_equal (value, "1");
    free (value);
    assert_int_equal (cj_batch_hset (batch, "cj:{p0}:svc:h", "a", "5", 1), 0);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "a", &value, NULL), 1);
    assert_string_equal (value, "5");
    free (value);
    /* not probing: a miss reads Redis and is cached */
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "b", &value, NULL), 1);
    assert_string_equal (value, "2");
    free (value);
    const void *v;
    size_t len;
    assert_int_equal (cj_batch_cache_get (batch, "cj:{p0}:svc:h", "b", &v, &len), CJ_BATCH_VALUE);
    cj_batch_reset (batch, "svc", 0, 1);
    cj_ctx_begin (ctx, batch, 0, 0, NULL);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:h", "a", &value, NULL), 1);
    assert_string_equal (value, "9");
    free (value);
    cj_ctx_destroy (&ctx);
    cj_batch_destroy (&batch);
    cj_store_destroy (&store);
}

/*  A prefetch of many wants: 2,500 fields of one hash (three HMGETs), each wanted twice, a
 *  string key present and one absent, and a second batch (another partition) wanting the
 *  same names: everything lands in the right batch's cache.  */
static void
test_ctx_prefetch_groups (void **state)
{
    (void) state;
    cj_store_t *store = s_store ();
    for (int i = 0; i < 2500; i += 2) {            /* the even fields exist */
        redisReply *r = cj_store_command (store, "HSET cj:{p0}:svc:big f%d v%d", i, i);
        freeReplyObject (r);
    }
    freeReplyObject (cj_store_command (store, "SET cj:{p0}:svc:s here"));
    freeReplyObject (cj_store_command (store, "HSET cj:{p1}:svc:big f1 other"));
    cj_ctx_env_t env = { .store = store, .name = "svc", .short_name = "svc" };
    cj_ctx_t *ctx = cj_ctx_new (&env);
    cj_batch_t *b0 = cj_batch_new (), *b1 = cj_batch_new ();
    cj_batch_reset (b0, "svc", 0, 1);
    cj_batch_reset (b1, "svc", 1, 1);
    char *value = NULL, field[16];
    cj_ctx_probe (ctx, true);
    cj_ctx_begin (ctx, b0, 0, 0, NULL);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 2499; i >= 0; i--) {
            snprintf (field, sizeof field, "f%d", i);
            assert_int_equal (cj_ctx_hget (ctx, "cj:{p0}:svc:big", field, &value, NULL), -1);
        }
    assert_int_equal (cj_ctx_get (ctx, "cj:{p0}:svc:s", &value, NULL), -1);
    assert_int_equal (cj_ctx_get (ctx, "cj:{p0}:svc:none", &value, NULL), -1);
    cj_ctx_end (ctx);
    cj_ctx_begin (ctx, b1, 1, 0, NULL);
    assert_int_equal (cj_ctx_hget (ctx, "cj:{p1}:svc:big", "f1", &value, NULL), -1);
    cj_ctx_end (ctx);
    assert_int_equal (cj_ctx_prefetch (ctx), 2500 + 2 + 1);
    const void *v;
    size_t len;
    for (int i = 0; i < 2500; i++) {
        snprintf (field, sizeof field, "f%d", i);
        cj_batch_lookup_t found = cj_batch_cache_get (b0, "cj:{p0}:svc:big", field, &v, &len);
        if (i % 2) {
            assert_int_equal (found, CJ_BATCH_DELETED);
        } else {
            char want[16];
            snprintf (want, sizeof want, "v%d", i);
            assert_int_equal (found, CJ_BATCH_VALUE);
            assert_int_equal (len, strlen (want));
            assert_memory_equal (v, want, len);
        }
    }
    assert_int_equal (cj_batch_cache_get (b0, "cj:{p0}:svc:s", NULL, &v, &len), CJ_BATCH_VALUE);
    assert_memory_equal (v, "here", 4);
    assert_int_equal (cj_batch_cache_get (b0, "cj:{p0}:svc:none", NULL, &v, &len),
                      CJ_BATCH_DELETED);
    assert_int_equal (cj_batch_cache_get (b1, "cj:{p1}:svc:big", "f1", &v, &len),
                      CJ_BATCH_VALUE);
    assert_memory_equal (v, "other", 5);
    assert_int_equal (cj_batch_cache_get (b1, "cj:{p1}:svc:big", "f2", &v, &len),
                      CJ_BATCH_ABSENT);
    cj_ctx_probe (ctx, false);
    cj_ctx_destroy (&ctx);
    cj_batch_destroy (&b0);
    cj_batch_destroy (&b1);
    cj_store_destroy (&store);
}

int
main (void)
{
    if (!cj_test_redis_url ()) {
        fprintf (stderr, "the redis fixture is not running\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_url_parsing),
        cmocka_unit_test (test_key_space),
        cmocka_unit_test (test_lease),
        cmocka_unit_test (test_commit_dense_seqs_and_writes),
        cmocka_unit_test (test_stale_token_refused_whole),
        cmocka_unit_test (test_savepoint_rollback),
        cmocka_unit_test (test_batch_reads_back_pending_writes),
        cmocka_unit_test (test_batch_write_index),
        cmocka_unit_test (test_commit_leaves_out_voided_writes),
        cmocka_unit_test (test_reconnects_and_reloads_scripts),
        cmocka_unit_test (test_unreachable_reports_cause),
        cmocka_unit_test (test_read_cache),
        cmocka_unit_test (test_ctx_read_ahead),
        cmocka_unit_test (test_ctx_prefetch_groups),
    };
    return cmocka_run_group_tests_name ("store", tests, NULL, NULL);
}
