/*  test_registry.c - chejian-registry as deployed: the real binary, the fixture's
 *  redis-server, real ZeroMQ on 127.0.0.1 with free ports, a pseudonym key file made for the
 *  test. Proves: commands registered and queried back; a duplicate envelope gets DUPLICATE
 *  with the original outcome; every message of the bad-message catalogue is rejected with its
 *  field and code and leaves every registry key as it was; SIGKILL and a restart lose nothing
 *  acknowledged and apply nothing twice; events reach a subscriber in order, as in the
 *  outbox; a missing or bad key file stops the start with exit code 2; SIGTERM exits 0.  */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "chejian/client.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"
#include "registry_snapshot.h"
#include "registry_test_data.h"
#include "test_support.h"

#define BIN        "services/registry/chejian-registry"
#define LOG        "tests/integration/chejian-registry.log"
#define PARTITIONS 4
#define ACCEPTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define DUPLICATE  CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE
#define REJECTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define NWORKERS   300

typedef struct {
    cj_store_t  *store;
    cj_client_t *client;
    char         router[64], pub[64], dir[64], key[96];
    int          metrics;
    pid_t        pid;
    unsigned     next_id;
} fixture_t;

static fixture_t F;

/*  ---- the service process ----  */

/*  Starts the registry with 'key_file' (NULL: none); its stderr goes to 'log'.  */
static pid_t
s_spawn (const char *key_file, const char *log)
{
    char env[12][160];
    size_t n = 0;
    snprintf (env[n++], 160, "CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    snprintf (env[n++], 160, "CHEJIAN_PARTITIONS=%d", PARTITIONS);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_BIND=%s", F.router);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_PUB_BIND=%s", F.pub);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_METRICS_PORT=%d", F.metrics);
    snprintf (env[n++], 160, "CHEJIAN_LEASE_TTL_MS=3000");
    snprintf (env[n++], 160, "CHEJIAN_INSTANCE_ID=test-registry");
    if (key_file)
        snprintf (env[n++], 160, "CHEJIAN_PSEUDONYM_KEY_FILE=%s", key_file);
    char bin[512];
    snprintf (bin, sizeof bin, "%s", cj_test_bin (BIN));
    pid_t pid = fork ();
    if (pid == 0) {
        unsetenv ("CHEJIAN_PSEUDONYM_KEY_FILE");
        for (size_t i = 0; i < n; i++)
            putenv (env[i]);
        if (!freopen (log, "a", stderr))
            _exit (126);
        execl (bin, bin, (char *) NULL);
        _exit (127);
    }
    return pid;
}

static void
s_start (void)
{
    char log[512];
    snprintf (log, sizeof log, "%s", cj_test_bin (LOG));    /* a static buffer */
    F.pid = s_spawn (F.key, log);
    char body[256] = "";
    for (int i = 0; i < 300; i++) {
        if (cj_test_http_get (F.metrics, "/readyz", body, sizeof body) == 200)
            return;
        usleep (50000);
    }
    fail_msg ("chejian-registry did not become ready: %s", body);
}

/*  SIGTERM: the service must exit 0 within 10 s.  */
static void
s_stop (void)
{
    kill (F.pid, SIGTERM);
    int code = cj_test_wait_exit (F.pid, 10000);
    F.pid = 0;
    assert_int_equal (code, 0);
}

static void
s_kill9 (void)
{
    kill (F.pid, SIGKILL);
    waitpid (F.pid, NULL, 0);
    F.pid = 0;
}

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    char err[256];
    F.store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    assert_non_null (F.store);
    redisReply *r = cj_store_command (F.store, "FLUSHALL");
    assert_non_null (r);
    freeReplyObject (r);
    snprintf (F.router, sizeof F.router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (F.pub, sizeof F.pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    F.metrics = cj_test_free_port ();
    snprintf (F.dir, sizeof F.dir, "/tmp/regitestXXXXXX");
    assert_non_null (mkdtemp (F.dir));
    snprintf (F.key, sizeof F.key, "%s/pseudonym.key", F.dir);
    assert_int_equal (cj_pseudonym_create_key_file (F.key), 0);
    F.client = cj_client_new (NULL, F.router);
    assert_non_null (F.client);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    if (F.pid > 0)
        s_kill9 ();
    cj_client_destroy (&F.client);
    cj_store_destroy (&F.store);
    unlink (F.key);
    rmdir (F.dir);
    return 0;
}

/*  ---- messages ----  */

static void
s_envelope (cj_envelope_t *env, char *id, size_t size, int body_case, const void *body)
{
    snprintf (id, size, "it-%u", F.next_id++);
    reg_data_envelope (env, id, body_case, body);
}

static cj_ack_t *
s_roundtrip (const cj_envelope_t *env)
{
    assert_int_equal (cj_client_send (F.client, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (F.client, 10000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, env->event_id);
    return ack;
}

/*  Sends a body in a fresh envelope and returns its Ack (caller frees).  */
static cj_ack_t *
s_send (int body_case, const void *body)
{
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, sizeof id, body_case, body);
    return s_roundtrip (&env);
}

static int
s_send_cb (void *arg, int body_case, const void *body)
{
    (void) arg;
    cj_ack_t *ack = s_send (body_case, body);
    int rc = ack->status == ACCEPTED ? 0 : -1;
    if (rc)
        fail_msg ("body %d: %s %s", body_case, cj_ack_status_name (ack->status),
                  ack->n_problems ? ack->problems[0]->field : "");
    cj_ack_free (&ack);
    return rc;
}

static int
s_has_problem (const cj_ack_t *ack, const char *field, const char *code)
{
    for (size_t i = 0; i < ack->n_problems; i++)
        if (strcmp (ack->problems[i]->field, field) == 0
            && strcmp (ack->problems[i]->code, code) == 0)
            return 1;
    return 0;
}

/*  ---- the tests ----  */

static void
test_register_and_query_back (void **state)
{
    (void) state;
    s_start ();
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    assert_int_equal (reg_data_setup (&m, s_send_cb, NULL), 0);
    Chejian__V1__GetWorkshop gw = CHEJIAN__V1__GET_WORKSHOP__INIT;
    gw.workshop_id = "W1";
    gw.as_of_date = 20200601;
    cj_ack_t *ack = s_send (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP, &gw);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP - 100);
    assert_string_equal (ack->workshop->details->name, "青坪茶叶扶贫车间");
    assert_int_equal (ack->workshop->headcount, 1);
    assert_int_equal (ack->workshop->poor_headcount, 1);
    assert_int_equal (ack->workshop->details->funds[0]->amount_fen, 200000000);
    cj_ack_free (&ack);
    Chejian__V1__GetWorker gk = CHEJIAN__V1__GET_WORKER__INIT;
    gk.resident_id = m.worker.resident_id;
    ack = s_send (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER, &gk);
    assert_int_equal (ack->status, ACCEPTED);
    assert_memory_equal (ack->worker->resident_id_masked, "510822********", 14);
    assert_int_equal (ack->worker->n_history, 4);
    assert_int_equal (ack->worker->open_employments, 1);
    cj_ack_free (&ack);
    Chejian__V1__ListEmployments le = CHEJIAN__V1__LIST_EMPLOYMENTS__INIT;
    le.subject_case = CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_WORKSHOP_ID;
    le.workshop_id = "W1";
    ack = s_send (CHEJIAN__V1__ENVELOPE__BODY_LIST_EMPLOYMENTS, &le);
    assert_int_equal (ack->employments->n_employments, 1);
    assert_string_equal (ack->employments->employments[0]->employment_id, "E1");
    cj_ack_free (&ack);
    s_stop ();
}

static void
test_duplicate_envelope (void **state)
{
    (void) state;
    s_start ();
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W1");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, sizeof id, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
    cj_ack_t *first = s_roundtrip (&env), *again = s_roundtrip (&env);
    assert_int_equal (first->status, ACCEPTED);
    assert_true (first->first_seq > 0);
    assert_int_equal (first->last_seq, first->first_seq);
    assert_int_equal (again->status, DUPLICATE);
    assert_int_equal (again->original_status, ACCEPTED);
    assert_int_equal (again->first_seq, first->first_seq);
    cj_ack_free (&first);
    cj_ack_free (&again);
    /* a refused command is judged again (no dedup record), not DUPLICATE */
    w.details.name = "";
    s_envelope (&env, id, sizeof id, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
    first = s_roundtrip (&env);
    again = s_roundtrip (&env);
    assert_int_equal (first->status, REJECTED);
    assert_int_equal (again->status, REJECTED);
    cj_ack_free (&first);
    cj_ack_free (&again);
    s_stop ();
}

/*  Sends 'env' (or 'bytes' when not NULL) and expects REJECTED with 'field' and 'code' and
 *  every registry key as it was.  */
static void
s_expect_refused (const cj_envelope_t *env, const char *bytes, const char *field,
                  const char *code)
{
    char *before = reg_snapshot (F.store, "cj:*:reg:*");
    assert_non_null (before);
    if (bytes)
        assert_int_equal (cj_client_send_bytes (F.client, bytes, strlen (bytes), 5000), 0);
    else
        assert_int_equal (cj_client_send (F.client, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (F.client, 10000);
    assert_non_null (ack);
    assert_int_equal (ack->status, REJECTED);
    if (!s_has_problem (ack, field, code))
        fail_msg ("expected %s %s; first problem: %s %s", field, code,
                  ack->n_problems ? ack->problems[0]->field : "-",
                  ack->n_problems ? ack->problems[0]->code : "-");
    cj_ack_free (&ack);
    char *after = reg_snapshot (F.store, "cj:*:reg:*");
    assert_string_equal (before, after);
    free (before);
    free (after);
}

static void
test_bad_messages_change_nothing (void **state)
{
    (void) state;
    s_start ();
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    assert_int_equal (reg_data_setup (&m, s_send_cb, NULL), 0);
    cj_envelope_t env;
    char id[32];
    for (size_t i = 0; i < reg_data_ncases; i++) {
        const reg_data_case_t *c = &reg_data_cases[i];
        reg_data_msgs (&m);
        c->spoil (&m);
        s_envelope (&env, id, sizeof id, c->body_case, reg_data_body (&m, c->body_case));
        print_message ("%s\n", c->name);
        s_expect_refused (&env, NULL, c->field, c->code);
    }
    Chejian__V1__BusProbe probe = CHEJIAN__V1__BUS_PROBE__INIT;
    probe.n = 1;
    s_envelope (&env, id, sizeof id, CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE, &probe);
    s_expect_refused (&env, NULL, "body", "UNKNOWN_BODY");
    Chejian__V1__WorkshopRegistered event = CHEJIAN__V1__WORKSHOP_REGISTERED__INIT;
    s_envelope (&env, id, sizeof id, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED, &event);
    s_expect_refused (&env, NULL, "body", "UNKNOWN_BODY");
    s_envelope (&env, id, sizeof id, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP,
                &m.workshop.cmd);
    env.county = "510800";
    s_expect_refused (&env, NULL, "county", "INVALID_FORMAT");
    s_expect_refused (NULL, "\xff\xff\xff", "", "DECODE_FAILED");
    s_stop ();
}

/*  ---- crash and restart ----  */

typedef struct {
    reg_data_worker_t worker;
    char              id[32];
    int               acked;
    int64_t           sent_at;
} s_pending_t;

static s_pending_t s_pending[NWORKERS];

static void
s_send_worker (int n)
{
    cj_envelope_t env;
    reg_data_envelope (&env, s_pending[n].id, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER,
                       &s_pending[n].worker.cmd);
    assert_int_equal (cj_client_send (F.client, &env, 5000), 0);
    s_pending[n].sent_at = cj_test_now_ms ();
}

/*  Registers workers first..last-1, window 50, retrying (same event_id) what has no Ack
 *  after 2 s; kills the service with SIGKILL after 'kill_after' Acks and starts it again.
 *  Every worker must end ACCEPTED, or DUPLICATE of ACCEPTED.  */
static void
s_register_workers (int first, int last, int kill_after)
{
    int next = first, acked = 0, inflight = 0;
    while (acked < last - first) {
        while (inflight < 50 && next < last) {
            s_send_worker (next++);
            inflight++;
        }
        cj_ack_t *ack = cj_client_recv (F.client, 200);
        int n = -1;
        if (ack && sscanf (ack->event_id, "w-%d", &n) == 1 && !s_pending[n].acked) {
            assert_true (ack->status == ACCEPTED
                         || (ack->status == DUPLICATE && ack->original_status == ACCEPTED));
            s_pending[n].acked = 1;
            inflight--;
            if (++acked == kill_after) {
                s_kill9 ();
                s_start ();
            }
        }
        cj_ack_free (&ack);
        for (int i = first; i < next; i++)      /* Lazy Pirate */
            if (!s_pending[i].acked && cj_test_now_ms () - s_pending[i].sent_at > 2000)
                s_send_worker (i);
    }
}

/*  The number of events in the county's outbox (every entry's fields are seq -> event).  */
static long long
s_outbox_events (int body_case)
{
    uint32_t p = cj_partition_of (REG_DATA_COUNTY, PARTITIONS);
    redisReply *r = cj_store_command (F.store, "XRANGE cj:{p%u}:reg:outbox - +", p);
    assert_non_null (r);
    long long count = 0;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        for (size_t j = 1; j < fields->elements; j += 2) {
            cj_envelope_t *ev = cj_envelope_decode (fields->element[j]->str,
                                                    fields->element[j]->len, NULL);
            assert_non_null (ev);
            count += (int) ev->body_case == body_case;
            cj_envelope_free (&ev);
        }
    }
    freeReplyObject (r);
    return count;
}

static void
test_sigkill_restart_loses_nothing (void **state)
{
    (void) state;
    s_start ();
    for (int n = 0; n < NWORKERS; n++) {
        reg_data_worker (&s_pending[n].worker, n);
        snprintf (s_pending[n].id, sizeof s_pending[n].id, "w-%d", n);
        s_pending[n].acked = 0;
    }
    s_register_workers (0, NWORKERS / 2, 0);
    s_kill9 ();                                     /* everything acknowledged so far */
    s_start ();
    s_register_workers (NWORKERS / 2, NWORKERS, NWORKERS / 4);   /* and a kill mid-stream */
    for (int n = 0; n < NWORKERS; n += 7) {
        Chejian__V1__GetWorker q = CHEJIAN__V1__GET_WORKER__INIT;
        q.resident_id = s_pending[n].worker.resident_id;
        cj_ack_t *ack = s_send (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER, &q);
        assert_int_equal (ack->status, ACCEPTED);
        cj_ack_free (&ack);
    }
    assert_int_equal (s_outbox_events (CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED), NWORKERS);
    for (int n = 0; n < NWORKERS; n++)
        s_pending[n].acked = 0;
    s_register_workers (0, NWORKERS, 0);            /* every retry now is a DUPLICATE */
    assert_int_equal (s_outbox_events (CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED), NWORKERS);
    s_stop ();
}

/*  ---- events ----  */

/*  Receives one event from 'sub' within 5 s (skipping heartbeats): its seq and body case.  */
static void
s_recv_event (void *sub, uint64_t *ret_seq, int *ret_body)
{
    int64_t deadline = cj_test_now_ms () + 5000;
    while (cj_test_now_ms () < deadline) {
        zmq_msg_t part[3];
        int nparts = 0, more = 1;
        zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        while (more && nparts < 3) {
            zmq_msg_init (&part[nparts]);
            assert_true (zmq_msg_recv (&part[nparts], sub, 0) >= 0);
            more = zmq_msg_more (&part[nparts++]);
        }
        assert_false (more);
        if (nparts == 3) {
            const uint8_t *b = zmq_msg_data (&part[1]);
            *ret_seq = 0;
            for (int i = 0; i < 8; i++)
                *ret_seq = *ret_seq << 8 | b[i];
            cj_envelope_t *ev = cj_envelope_decode (zmq_msg_data (&part[2]),
                                                    zmq_msg_size (&part[2]), NULL);
            assert_non_null (ev);
            *ret_body = ev->body_case;
            cj_envelope_free (&ev);
        }
        for (int i = 0; i < nparts; i++)
            zmq_msg_close (&part[i]);
        if (nparts == 3)
            return;
    }
    fail_msg ("no event within 5 s");
}

static void
test_events_reach_subscriber_in_order (void **state)
{
    (void) state;
    s_start ();
    void *zctx = zmq_ctx_new ();
    void *sub = zmq_socket (zctx, ZMQ_SUB);
    char topic[16];
    snprintf (topic, sizeof topic, "reg.%u", cj_partition_of (REG_DATA_COUNTY, PARTITIONS));
    assert_int_equal (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, topic, strlen (topic)), 0);
    assert_int_equal (zmq_connect (sub, F.pub), 0);
    usleep (300000);                                /* the subscription reaches the PUB */
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    assert_int_equal (reg_data_setup (&m, s_send_cb, NULL), 0);
    const int later[] = { CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS,
                          CHEJIAN__V1__ENVELOPE__BODY_AMEND_EMPLOYMENT,
                          CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT,
                          CHEJIAN__V1__ENVELOPE__BODY_END_POST,
                          CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKER };
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
        assert_int_equal (s_send_cb (NULL, later[i], reg_data_body (&m, later[i])), 0);
    /* the setup's commands, then the later ones: each event is its command's number + 200 */
    const int expected[] = { 302, 300, 302, 305, 308, 309, 310, 304, 306, 307, 311, 303 };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        uint64_t seq = 0;
        int body = 0;
        s_recv_event (sub, &seq, &body);
        assert_int_equal (seq, i + 1);
        assert_int_equal (body, expected[i]);
    }
    assert_int_equal (s_outbox_events (CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED), 1);
    zmq_close (sub);
    zmq_ctx_term (zctx);
    s_stop ();
}

/*  ---- configuration ----  */

/*  Runs the registry with 'key_file' and expects exit code 2 and 'text' on stderr.  */
static void
s_expect_config_error (const char *key_file, const char *text)
{
    char log[128];
    snprintf (log, sizeof log, "%s/stderr", F.dir);
    unlink (log);
    assert_int_equal (cj_test_wait_exit (s_spawn (key_file, log), 10000), 2);
    char out[1024] = "";
    FILE *f = fopen (log, "r");
    assert_non_null (f);
    size_t len = fread (out, 1, sizeof out - 1, f);
    out[len] = 0;
    fclose (f);
    unlink (log);
    if (!strstr (out, text))
        fail_msg ("stderr lacks \"%s\": %s", text, out);
}

static void
test_key_file_errors_exit_2 (void **state)
{
    (void) state;
    s_expect_config_error (NULL, "CHEJIAN_PSEUDONYM_KEY_FILE");
    char path[128];
    snprintf (path, sizeof path, "%s/missing.key", F.dir);
    s_expect_config_error (path, "CHEJIAN_PSEUDONYM_KEY_FILE");
    snprintf (path, sizeof path, "%s/short.key", F.dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "abcdef\n", 7), 7);
    close (fd);
    s_expect_config_error (path, "CHEJIAN_PSEUDONYM_KEY_FILE");
    unlink (path);
    chmod (F.key, 0644);                            /* readable by others */
    s_expect_config_error (F.key, "CHEJIAN_PSEUDONYM_KEY_FILE");
    chmod (F.key, 0600);
}

int
main (void)
{
    if (!cj_test_redis_url ()) {
        fprintf (stderr, "the redis fixture is not running\n");
        return 1;
    }
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_register_and_query_back),
        S_TEST (test_duplicate_envelope),
        S_TEST (test_bad_messages_change_nothing),
        S_TEST (test_sigkill_restart_loses_nothing),
        S_TEST (test_events_reach_subscriber_in_order),
        S_TEST (test_key_file_errors_exit_2),
    };
    return cmocka_run_group_tests_name ("integration.registry", tests, NULL, NULL);
}
