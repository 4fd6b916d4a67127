/*  test_payroll.c - chejian-payroll as deployed: the real binary, the fixture's redis-server,
 *  real ZeroMQ on 127.0.0.1 with free ports, a pseudonym key file shared with the registry,
 *  and a test subscriber of payroll's events (payroll_subscriber) standing in for the
 *  adjudicator.
 *
 *  The registry's facts come from the real chejian-registry binary when the build has it
 *  (PAY_TEST_REAL_REGISTRY: commands sent to its ROUTER, its events published on its PUB);
 *  otherwise from registry_feed (the same events written to the registry's outbox with the
 *  store library and published on a PUB). The first line of the output says which.
 *
 *  Proves: a report's lines are applied and a subscriber gets one event per line, in order;
 *  a correction replaces the earlier lines and every aggregate moves by the difference; a
 *  repeated envelope gets DUPLICATE with the original outcome and changes nothing; a report
 *  naming a worker the registry has not told payroll of gets NOT_YET_KNOWN, and the same
 *  envelope is accepted once the registry's event has arrived; a rejected report leaves
 *  Redis as it was; SIGKILL mid-stream and a restart lose nothing acknowledged, apply nothing
 *  twice, and catch up the registry's events published meanwhile (a status change back in
 *  time moves past months); the runtime's FetchEvents reads payroll's outbox; SIGTERM exits 0.  */
#include <errno.h>
#include <inttypes.h>
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
#include "chejian/ident.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"
#include "test_support.h"
#include "registry_feed.h"
#ifdef PAY_TEST_REAL_REGISTRY
#include "registry_test_data.h"
#endif

#define PARTITIONS 4
#define COUNTY     "510822"
#define ACCEPTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define DUPLICATE  CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE
#define REJECTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define POOR       CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
#define REVOKED    CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED
#define MONTHLY    CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY
#define PIECE      CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE
#define STREAM     30          /* reports sent around the SIGKILL */

typedef struct {
    pid_t pid;
    int   metrics;
    char  log[128];
} s_proc_t;

typedef struct {
    cj_store_t     *store;
    cj_pseudonym_t *pseudonym;
    void           *zctx;
    cj_client_t    *payroll, *registry;
    s_proc_t        pay, sub, reg;
    char            pay_router[64], pay_pub[64], reg_router[64], reg_pub[64];
    char            dir[64], key[96];
    uint32_t        partition;
    unsigned        next_id;
    char          **expected;     /* the events the subscriber must have, in order */
    size_t          nexpected;
#ifndef PAY_TEST_REAL_REGISTRY
    void           *feed;
#endif
} fixture_t;

static fixture_t F;

/*  ---- processes ----  */

static size_t
s_common_env (char env[][160], const char *svc, const char *router, const char *pub, int metrics)
{
    size_t n = 0;
    snprintf (env[n++], 160, "CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    snprintf (env[n++], 160, "CHEJIAN_PARTITIONS=%d", PARTITIONS);
    snprintf (env[n++], 160, "CHEJIAN_%s_BIND=%s", svc, router);
    snprintf (env[n++], 160, "CHEJIAN_%s_PUB_BIND=%s", svc, pub);
    snprintf (env[n++], 160, "CHEJIAN_%s_METRICS_PORT=%d", svc, metrics);
    snprintf (env[n++], 160, "CHEJIAN_LEASE_TTL_MS=3000");
    snprintf (env[n++], 160, "CHEJIAN_PSEUDONYM_KEY_FILE=%s", F.key);
    snprintf (env[n++], 160, "CHEJIAN_INSTANCE_ID=test-%s", svc);
    return n;
}

static void
s_wait_ready (const s_proc_t *p, const char *what)
{
    char body[256] = "";
    for (int i = 0; i < 400; i++) {
        if (cj_test_http_get (p->metrics, "/readyz", body, sizeof body) == 200)
            return;
        usleep (50000);
    }
    fail_msg ("%s did not become ready: %s", what, body);
}

static void
s_start_payroll (void)
{
    char env[16][160];
    size_t n = s_common_env (env, "PAYROLL", F.pay_router, F.pay_pub, F.pay.metrics);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_PUB_ENDPOINT=%s", F.reg_pub);
    F.pay.pid = cj_test_spawn ("services/payroll/chejian-payroll", env, n, F.pay.log);
    s_wait_ready (&F.pay, "chejian-payroll");
}

static void
s_start_subscriber (void)
{
    char env[16][160];
    char router[64], pub[64];
    snprintf (router, sizeof router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (pub, sizeof pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    size_t n = s_common_env (env, "TPAYSUB", router, pub, F.sub.metrics);
    snprintf (env[n++], 160, "CHEJIAN_PAYROLL_PUB_ENDPOINT=%s", F.pay_pub);
    F.sub.pid = cj_test_spawn ("tests/integration/payroll_subscriber", env, n, F.sub.log);
    s_wait_ready (&F.sub, "payroll_subscriber");
}

static void
s_kill9 (s_proc_t *p)
{
    if (p->pid <= 0)
        return;
    kill (p->pid, SIGKILL);
    waitpid (p->pid, NULL, 0);
    p->pid = 0;
}

static void
s_stop (s_proc_t *p)
{
    if (p->pid <= 0)
        return;
    kill (p->pid, SIGTERM);
    int code = cj_test_wait_exit (p->pid, 10000);
    p->pid = 0;
    assert_int_equal (code, 0);
}

/*  ---- Redis ----  */

static uint64_t
s_hget (const char *svc, const char *name, const char *field)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, F.partition, svc, "%s", name);
    redisReply *r = cj_store_command (F.store, "HGET %s %s", key, field);
    uint64_t v = r && r->type == REDIS_REPLY_STRING ? strtoull (r->str, NULL, 10) : 0;
    if (r)
        freeReplyObject (r);
    return v;
}

/*  Waits until payroll has applied every registry event of the county's partition (the
 *  registry feed's heartbeats let it notice events the live path missed).  */
static void
s_wait_payroll_caught_up (void)
{
    for (int i = 0; i < 1000; i++) {
        if (s_hget ("pay", "cursors", "reg") >= s_hget ("reg", "meta", "head"))
            return;
#ifndef PAY_TEST_REAL_REGISTRY
        reg_feed_heartbeat (F.feed);
#endif
        usleep (20000);
    }
    fail_msg ("payroll did not catch up with the registry's events");
}

static void
s_wait_subscriber_caught_up (void)
{
    for (int i = 0; i < 1000; i++) {
        if (s_hget ("tpsub", "cursors", "pay") >= s_hget ("pay", "meta", "head"))
            return;
        usleep (20000);
    }
    fail_msg ("the test subscriber did not catch up with payroll's events");
}

/*  ---- the registry's facts (the real registry or the feed) ----  */

static void
s_resident_id (int n, char out[19])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    snprintf (out, 19, "51082219850312%03d", n % 1000);
    out[17] = '0';
    out[18] = 0;
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
}

#ifdef PAY_TEST_REAL_REGISTRY
static const char *const S_REGISTRY = "the real chejian-registry binary";

static void
s_registry_send (int body_case, const void *body)
{
    cj_envelope_t env;
    char id[32];
    snprintf (id, sizeof id, "reg-%u", ++F.next_id);
    reg_data_envelope (&env, id, body_case, body);
    assert_int_equal (cj_client_send (F.registry, &env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (F.registry, 10000);
    assert_non_null (ack);
    if (ack->status != ACCEPTED)
        fail_msg ("registry refused %s: %s", cj_body_name (body_case),
                  ack->n_problems ? ack->problems[0]->field : "?");
    cj_ack_free (&ack);
}

static void
s_registry_start (void)
{
    char env[16][160];
    size_t n = s_common_env (env, "REGISTRY", F.reg_router, F.reg_pub, F.reg.metrics);
    F.reg.pid = cj_test_spawn ("services/registry/chejian-registry", env, n, F.reg.log);
    s_wait_ready (&F.reg, "chejian-registry");
    F.registry = cj_client_new (F.zctx, F.reg_router);
    assert_non_null (F.registry);
}

static void
s_registry_stop (void)
{
    cj_client_destroy (&F.registry);
    s_stop (&F.reg);
}

static void
s_fact_workshop (const char *id)
{
    reg_data_workshop_t w;
    reg_data_workshop (&w, id);
    s_registry_send (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
}

static void
s_fact_worker (int n)
{
    reg_data_worker_t w;
    reg_data_worker (&w, n);
    s_registry_send (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &w.cmd);
}

static void
s_fact_employment (const char *id, int n, const char *workshop)
{
    reg_data_employment_t e;
    reg_data_employment (&e, id, n, workshop, 20190301);
    s_registry_send (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e.cmd);
}

static void
s_fact_status (int n, int poverty, int32_t effective)
{
    char rid[19];
    s_resident_id (n, rid);
    Chejian__V1__StatusChange ch;
    reg_feed_poverty_change (&ch, poverty, effective);
    Chejian__V1__ChangeWorkerStatus cmd = CHEJIAN__V1__CHANGE_WORKER_STATUS__INIT;
    cmd.resident_id = rid;
    cmd.change = &ch;
    s_registry_send (CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS, &cmd);
}

static void s_facts_done (void) {}
#else
static const char *const S_REGISTRY = "registry_feed (registry events written with the store library)";

static void
s_registry_start (void)
{
    F.feed = reg_feed_new (F.store, F.zctx, F.reg_pub, PARTITIONS, F.pseudonym);
    assert_non_null (F.feed);
}

static void
s_registry_stop (void)
{
    reg_feed_t *feed = F.feed;
    reg_feed_destroy (&feed);
    F.feed = NULL;
}

static void
s_fact_workshop (const char *id)
{
    assert_int_equal (reg_feed_workshop (F.feed, COUNTY, id,
                                         CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_SHAREHOLDING,
                                         20190301), 0);
}

static void
s_fact_worker (int n)
{
    char rid[19];
    s_resident_id (n, rid);
    assert_int_equal (reg_feed_worker (F.feed, COUNTY, rid, POOR, 20160101, 360000, 2018), 0);
}

static void
s_fact_employment (const char *id, int n, const char *workshop)
{
    char rid[19];
    s_resident_id (n, rid);
    assert_int_equal (reg_feed_employment (F.feed, COUNTY, id, rid, workshop, 20190301), 0);
}

static void
s_fact_status (int n, int poverty, int32_t effective)
{
    char rid[19];
    s_resident_id (n, rid);
    assert_int_equal (reg_feed_status (F.feed, COUNTY, rid, poverty, effective), 0);
}

static void
s_facts_done (void)
{
    assert_int_equal (reg_feed_commit (F.feed), 0);
}
#endif

/*  ---- payroll messages ----  */

typedef struct {
    int     worker;
    int64_t gross;
    bool    piece;
} s_line_t;

typedef struct {
    Chejian__V1__SubmitWageReport report;
    Chejian__V1__WageLine         line[8], *lines[8];
    char                          rid[8][19], emp[8][16], workshop[16], id[32];
    cj_envelope_t                 env;
} s_report_t;

static void
s_envelope (cj_envelope_t *env, char *id, int body_case, void *body)
{
    chejian__v1__envelope__init (env);
    snprintf (id, 32, "pay-%u", ++F.next_id);
    env->event_id = id;
    env->source = "hrss";
    env->occurred_at = (int64_t) time (NULL) * 1000;
    env->county = COUNTY;
    env->body_case = body_case;
    memcpy (&env->wage_line_applied, &body, sizeof body);
}

static void
s_report (s_report_t *r, const char *workshop, int32_t period, const s_line_t *lines, size_t n)
{
    memset (r, 0, sizeof *r);
    chejian__v1__submit_wage_report__init (&r->report);
    snprintf (r->workshop, sizeof r->workshop, "%s", workshop);
    r->report.workshop_id = r->workshop;
    r->report.period = period;
    for (size_t i = 0; i < n; i++) {
        Chejian__V1__WageLine *l = &r->line[i];
        chejian__v1__wage_line__init (l);
        s_resident_id (lines[i].worker, r->rid[i]);
        snprintf (r->emp[i], sizeof r->emp[i], "%s-E%d", workshop, lines[i].worker);
        l->resident_id = r->rid[i];
        l->employment_id = r->emp[i];
        l->pay_basis = lines[i].piece ? PIECE : MONTHLY;
        l->gross_fen = lines[i].gross;
        l->days_worked = lines[i].piece ? 0 : 21;
        l->pieces = lines[i].piece ? (uint32_t) (lines[i].gross / 5) : 0;
        l->unit_rate_millifen = lines[i].piece ? 5000 : 0;
        l->work_site = CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
        r->lines[i] = l;
    }
    r->report.n_lines = n;
    r->report.lines = r->lines;
    s_envelope (&r->env, r->id, CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT, &r->report);
}

/*  Sends 'env' to payroll; returns its Ack (free with cj_ack_free).  */
static cj_ack_t *
s_send (const cj_envelope_t *env)
{
    assert_int_equal (cj_client_send (F.payroll, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (F.payroll, 15000);
    assert_non_null (ack);
    return ack;
}

static int
s_send_status (const cj_envelope_t *env)
{
    cj_ack_t *ack = s_send (env);
    int status = ack->status;
    cj_ack_free (&ack);
    return status;
}

static void
s_expect (const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    F.expected = realloc (F.expected, (F.nexpected + 1) * sizeof *F.expected);
    F.expected[F.nexpected++] = strdup (line);
}

/*  The subscriber line of a WageLineApplied for worker 'n'.  */
static void
s_expect_line (int n, const char *workshop, int32_t period, int64_t gross, int64_t delta,
               bool removed)
{
    char rid[19], key[CJ_PSEUDONYM_HEX + 1];
    s_resident_id (n, rid);
    cj_pseudonym_of (F.pseudonym, "worker", rid, key);
    s_expect ("600 %s %s %d %" PRId64 " %" PRId64 "%s", key, workshop, (int) period, gross,
              delta, removed ? " removed" : "");
}

static Chejian__V1__CountyIncomeSummary *
s_county_month (int32_t period, cj_ack_t **ret_ack)
{
    Chejian__V1__GetCountyIncomeSummary q = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    q.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
    q.period = period;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY, &q);
    *ret_ack = s_send (&env);
    assert_int_equal ((*ret_ack)->status, ACCEPTED);
    return (*ret_ack)->county_income_summary;
}

/*  Total wages, paid and registered-poor paid headcount of a county month.  */
static void
s_check_month (int32_t period, int64_t total, uint32_t paid, uint32_t poor)
{
    cj_ack_t *ack;
    Chejian__V1__CountyIncomeSummary *s = s_county_month (period, &ack);
    assert_int_equal (s->total_wages_fen, total);
    assert_int_equal (s->paid_headcount, paid);
    assert_int_equal (s->poor_paid_headcount, poor);
    cj_ack_free (&ack);
}

/*  A fingerprint of Redis: every key with its type and length.  */
static char *
s_keyspace (void)
{
    redisReply *keys = cj_store_command (F.store, "KEYS *");
    assert_non_null (keys);
    size_t size = 1 << 16, len = 0;
    char *out = calloc (1, size);
    for (size_t i = 0; i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        if (strstr (k, ":lease") || strstr (k, ":meta"))
            continue;            /* leases are renewed, heads are read: not state */
        redisReply *t = cj_store_command (F.store, "TYPE %s", k);
        const char *cmd = strcmp (t->str, "hash") == 0 ? "HLEN" : strcmp (t->str, "stream") == 0
                          ? "XLEN" : strcmp (t->str, "list") == 0 ? "LLEN" : "EXISTS";
        redisReply *l = cj_store_command (F.store, "%s %s", cmd, k);
        len += (size_t) snprintf (out + len, size - len, "%s=%lld\n", k, l->integer);
        freeReplyObject (t);
        freeReplyObject (l);
    }
    freeReplyObject (keys);
    return out;
}

/*  ---- fixture ----  */

static void
s_proc_init (s_proc_t *p, const char *log)
{
    p->metrics = cj_test_free_port ();
    snprintf (p->log, sizeof p->log, "%s", cj_test_bin (log));
}

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    printf ("registry facts from %s\n", S_REGISTRY);
    char err[256];
    F.store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    assert_non_null (F.store);
    redisReply *r = cj_store_command (F.store, "FLUSHALL");
    assert_non_null (r);
    freeReplyObject (r);
    F.partition = cj_partition_of (COUNTY, PARTITIONS);
    snprintf (F.dir, sizeof F.dir, "/tmp/paytestXXXXXX");
    assert_non_null (mkdtemp (F.dir));
    snprintf (F.key, sizeof F.key, "%s/pseudonym.key", F.dir);
    assert_int_equal (cj_pseudonym_create_key_file (F.key), 0);
    F.pseudonym = cj_pseudonym_load (F.key, err, sizeof err);
    assert_non_null (F.pseudonym);
    snprintf (F.pay_router, sizeof F.pay_router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (F.pay_pub, sizeof F.pay_pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (F.reg_router, sizeof F.reg_router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (F.reg_pub, sizeof F.reg_pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    s_proc_init (&F.pay, "tests/integration/chejian-payroll.log");
    s_proc_init (&F.sub, "tests/integration/payroll_subscriber.log");
    s_proc_init (&F.reg, "tests/integration/chejian-registry-for-payroll.log");
    F.zctx = zmq_ctx_new ();
    s_registry_start ();
    s_start_payroll ();
    s_start_subscriber ();
    F.payroll = cj_client_new (F.zctx, F.pay_router);
    assert_non_null (F.payroll);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    cj_client_destroy (&F.payroll);
    s_kill9 (&F.sub);
    s_kill9 (&F.pay);
#ifdef PAY_TEST_REAL_REGISTRY
    cj_client_destroy (&F.registry);
    s_kill9 (&F.reg);
#else
    s_registry_stop ();
#endif
    zmq_ctx_term (F.zctx);
    cj_pseudonym_destroy (&F.pseudonym);
    cj_store_destroy (&F.store);
    for (size_t i = 0; i < F.nexpected; i++)
        free (F.expected[i]);
    free (F.expected);
    unlink (F.key);
    rmdir (F.dir);
    return 0;
}

/*  ---- tests ----  */

static s_report_t R1, R2;

static void
test_report_applied (void **state)
{
    (void) state;
    s_fact_workshop ("W1");
    for (int n = 1; n <= 3; n++) {
        char id[16];
        s_fact_worker (n);
        snprintf (id, sizeof id, "W1-E%d", n);
        s_fact_employment (id, n, "W1");
    }
    s_facts_done ();
    s_wait_payroll_caught_up ();
    s_line_t lines[] = { { 1, 300000, false }, { 2, 200000, false }, { 3, 150000, true } };
    s_report (&R1, "W1", 202001, lines, 3);
    cj_ack_t *ack = s_send (&R1.env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->last_seq - ack->first_seq, 2);      /* one event per line */
    cj_ack_free (&ack);
    s_expect_line (1, "W1", 202001, 300000, 300000, false);
    s_expect_line (2, "W1", 202001, 200000, 200000, false);
    s_expect_line (3, "W1", 202001, 150000, 150000, false);
    s_check_month (202001, 650000, 3, 3);
}

static void
test_correction_moves_by_difference (void **state)
{
    (void) state;
    s_line_t lines[] = { { 1, 310000, false }, { 3, 150000, true } };
    s_report (&R2, "W1", 202001, lines, 2);
    cj_ack_t *ack = s_send (&R2.env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->last_seq - ack->first_seq, 2);   /* changed, removed, corrected */
    cj_ack_free (&ack);
    s_expect_line (1, "W1", 202001, 310000, 10000, false);
    s_expect_line (2, "W1", 202001, 0, -200000, true);
    s_expect ("601 W1 202001 1 2 -190000");
    s_check_month (202001, 460000, 2, 2);
}

static void
test_duplicate_changes_nothing (void **state)
{
    (void) state;
    s_wait_subscriber_caught_up ();
    char *before = s_keyspace ();
    uint64_t head = s_hget ("pay", "meta", "head");
    cj_ack_t *ack = s_send (&R2.env);
    assert_int_equal (ack->status, DUPLICATE);
    assert_int_equal (ack->original_status, ACCEPTED);
    assert_int_equal (ack->last_seq, head);
    cj_ack_free (&ack);
    assert_int_equal (s_send_status (&R1.env), DUPLICATE);
    s_check_month (202001, 460000, 2, 2);
    char *after = s_keyspace ();
    assert_string_equal (before, after);
    free (before);
    free (after);
}

static void
test_not_yet_known_then_accepted (void **state)
{
    (void) state;
    s_line_t lines[] = { { 4, 250000, false } };
    s_report_t r;
    s_report (&r, "W1", 202002, lines, 1);
    char *before = s_keyspace ();
    cj_ack_t *ack = s_send (&r.env);
    assert_int_equal (ack->status, REJECTED);
    assert_string_equal (ack->problems[0]->field, "submit_wage_report.lines[0].resident_id");
    assert_string_equal (ack->problems[0]->code, "NOT_YET_KNOWN");
    cj_ack_free (&ack);
    r.line[0].gross_fen = -1;                          /* a bad report changes nothing either */
    assert_int_equal (s_send_status (&r.env), REJECTED);
    char *after = s_keyspace ();
    assert_string_equal (before, after);
    free (before);
    free (after);
    r.line[0].gross_fen = 250000;
    s_fact_worker (4);
    s_fact_employment ("W1-E4", 4, "W1");
    s_facts_done ();
    s_wait_payroll_caught_up ();
    assert_int_equal (s_send_status (&r.env), ACCEPTED);   /* the same envelope, retried */
    s_expect_line (4, "W1", 202002, 250000, 250000, false);
    s_check_month (202002, 250000, 1, 1);
}

/*  Sends STREAM reports of workshop W2 (months 201903 ...) without waiting, SIGKILLs payroll
 *  after some acks, and sends the unanswered ones again after the restart.  */
static void
s_stream_with_kill (s_report_t *reports)
{
    for (int i = 0; i < STREAM; i++) {
        s_line_t lines[] = { { 1, 100000 + i, false }, { 2, 200000, false }, { 3, 300000, false } };
        s_report (&reports[i], "W2", cj_period_add (201903, i), lines, 3);
        assert_int_equal (cj_client_send (F.payroll, &reports[i].env, 5000), 0);
    }
    for (int acked = 0; acked < STREAM / 3; acked++) {
        cj_ack_t *ack = cj_client_recv (F.payroll, 15000);
        assert_non_null (ack);
        cj_ack_free (&ack);
    }
    s_kill9 (&F.pay);
    s_fact_worker (5);                         /* while payroll is down */
    s_fact_employment ("W1-E5", 5, "W1");
    s_fact_status (1, REVOKED, 20200101);      /* worker 1 was never poor from 2020 on */
    s_facts_done ();
    s_start_payroll ();
    cj_client_destroy (&F.payroll);            /* forget replies lost with the old process */
    F.payroll = cj_client_new (F.zctx, F.pay_router);
    for (int i = 0; i < STREAM; i++) {
        int status = s_send_status (&reports[i].env);
        assert_true (status == ACCEPTED || status == DUPLICATE);
        s_expect_line (1, "W2", reports[i].report.period, 100000 + i, 100000 + i, false);
        s_expect_line (2, "W2", reports[i].report.period, 200000, 200000, false);
        s_expect_line (3, "W2", reports[i].report.period, 300000, 300000, false);
    }
}

static void
test_sigkill_restart_loses_nothing (void **state)
{
    (void) state;
    s_fact_workshop ("W2");
    for (int n = 1; n <= 3; n++) {
        char id[16];
        snprintf (id, sizeof id, "W2-E%d", n);
        s_fact_employment (id, n, "W2");
    }
    s_facts_done ();
    s_wait_payroll_caught_up ();
    s_report_t *reports = calloc (STREAM, sizeof *reports);
    s_stream_with_kill (reports);
    free (reports);
    s_wait_payroll_caught_up ();
    Chejian__V1__GetWorkshopPayroll q = CHEJIAN__V1__GET_WORKSHOP_PAYROLL__INIT;
    q.workshop_id = "W2";
    q.from_period = 201903;
    q.to_period = cj_period_add (201903, STREAM - 1);
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP_PAYROLL, &q);
    cj_ack_t *ack = s_send (&env);
    assert_int_equal (ack->workshop_payroll->n_months, STREAM);
    for (int i = 0; i < STREAM; i++) {
        assert_int_equal (ack->workshop_payroll->months[i]->revision, 1);
        assert_int_equal (ack->workshop_payroll->months[i]->total_wages_fen, 600000 + i);
    }
    cj_ack_free (&ack);
    /* the status change caught up after the restart moved 2020's months back in time */
    s_check_month (202001, 460000 + 600000 + 10, 3, 2);
    /* facts and lines reloaded: a correction still moves by the difference */
    s_line_t lines[] = { { 1, 320000, false }, { 3, 150000, true }, { 5, 1000, false } };
    s_report_t r;
    s_report (&r, "W1", 202001, lines, 3);
    assert_int_equal (s_send_status (&r.env), ACCEPTED);
    s_expect_line (1, "W1", 202001, 320000, 10000, false);
    s_expect_line (5, "W1", 202001, 1000, 1000, false);
    s_expect ("601 W1 202001 2 3 11000");
    s_check_month (202001, 460000 + 600000 + 10 + 11000, 4, 3);
}

static void
test_events_reach_subscriber_in_order (void **state)
{
    (void) state;
    s_wait_subscriber_caught_up ();
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, F.partition, "tpsub", "events");
    redisReply *r = cj_store_command (F.store, "LRANGE %s 0 -1", key);
    assert_non_null (r);
    assert_int_equal (r->elements, F.nexpected);
    for (size_t i = 0; i < F.nexpected; i++)
        if (strcmp (r->element[i]->str, F.expected[i]) != 0)
            fail_msg ("event %zu: got '%s', expected '%s'", i, r->element[i]->str, F.expected[i]);
    freeReplyObject (r);
}

/*  The runtime's FetchEvents (590) over payroll's outbox: only the corrections asked for.  */
static void
test_fetch_events (void **state)
{
    (void) state;
    uint32_t bodies[] = { CHEJIAN__V1__ENVELOPE__BODY_WAGE_REPORT_CORRECTED };
    Chejian__V1__FetchEvents q = CHEJIAN__V1__FETCH_EVENTS__INIT;
    q.max_events = 1000;
    q.n_body_numbers = 1;
    q.body_numbers = bodies;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, CHEJIAN__V1__ENVELOPE__BODY_PAYROLL_FETCH_EVENTS, &q);
    cj_ack_t *ack = s_send (&env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ACK__RESULT_PAYROLL_EVENTS);
    Chejian__V1__EventPage *page = ack->payroll_events;
    assert_int_equal (page->n_events, 2);                /* revisions 2 and 3 of W1 202001 */
    for (size_t i = 0; i < page->n_events; i++)
        assert_int_equal (page->events[i]->envelope->body_case, bodies[0]);
    assert_int_equal (page->events[1]->envelope->wage_report_corrected->revision_after, 3);
    cj_ack_free (&ack);
}

static void
test_sigterm_exits_zero (void **state)
{
    (void) state;
    s_stop (&F.sub);
    s_stop (&F.pay);
#ifdef PAY_TEST_REAL_REGISTRY
    s_registry_stop ();
#endif
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_report_applied),
        cmocka_unit_test (test_correction_moves_by_difference),
        cmocka_unit_test (test_duplicate_changes_nothing),
        cmocka_unit_test (test_not_yet_known_then_accepted),
        cmocka_unit_test (test_sigkill_restart_loses_nothing),
        cmocka_unit_test (test_events_reach_subscriber_in_order),
        cmocka_unit_test (test_fetch_events),
        cmocka_unit_test (test_sigterm_exits_zero),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
