/*  test_adjudicator.c - chejian-adjudicator as deployed: the real binary beside the real
 *  chejian-registry and chejian-payroll (their events reach it over ZeroMQ and from their
 *  outboxes), the fixture's redis-server, one pseudonym key file for all three.
 *  Proves: Qingchuan certification and awards from the registry's events, paid once (a
 *  repeated confirmation is DUPLICATE, a new one CONFLICT), and a status revoked at the
 *  registry clawing the paid award back; the Guangxi-shaped award from payroll's wage
 *  lines; the bad-message catalogue refused with field and code and every adjudicator key
 *  unchanged; SIGKILL and a restart lose no acknowledged top-up and apply none twice; a
 *  replay of the registry's whole outbox (cursors reset) awards nobody again.  */
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

#include "adjudicator_test_data.h"
#include "chejian/client.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"
#include "registry_snapshot.h"
#include "registry_test_data.h"
#include "test_support.h"

#define PARTITIONS 4
#define QC         ADJ_DATA_QINGCHUAN
#define GX         ADJ_DATA_GUANGXI
#define ACCEPTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define DUPLICATE  CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE
#define REJECTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define B(x)       CHEJIAN__V1__ENVELOPE__BODY_##x
#define AWARD      CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD
#define GRANTED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
#define REVOKED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_REVOKED
#define NTOPUPS    200

typedef struct {
    int  pid, metrics;
    char router[64], pub[64], log[256];
} s_proc_t;

typedef struct {
    cj_store_t  *store;
    cj_client_t *adj, *reg, *pay;
    s_proc_t     a, r, p;
    char         dir[64], key[96];
    unsigned     next_id;
    uint64_t     reg_seq, pay_seq;   /* last seqs acked by the registry and payroll */
} fixture_t;

static fixture_t F;

/*  ---- processes ----  */

static void
s_proc_init (s_proc_t *p, const char *name)
{
    snprintf (p->router, sizeof p->router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (p->pub, sizeof p->pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    p->metrics = cj_test_free_port ();
    snprintf (p->log, sizeof p->log, "%s", cj_test_bin (name));
}

static void
s_start (s_proc_t *p, const char *svc, const char *bin)
{
    char env[16][160];
    size_t n = 0;
    snprintf (env[n++], 160, "CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    snprintf (env[n++], 160, "CHEJIAN_PARTITIONS=%d", PARTITIONS);
    snprintf (env[n++], 160, "CHEJIAN_%s_BIND=%s", svc, p->router);
    snprintf (env[n++], 160, "CHEJIAN_%s_PUB_BIND=%s", svc, p->pub);
    snprintf (env[n++], 160, "CHEJIAN_%s_METRICS_PORT=%d", svc, p->metrics);
    snprintf (env[n++], 160, "CHEJIAN_LEASE_TTL_MS=3000");
    snprintf (env[n++], 160, "CHEJIAN_PSEUDONYM_KEY_FILE=%s", F.key);
    snprintf (env[n++], 160, "CHEJIAN_INSTANCE_ID=test-%s", svc);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_PUB_ENDPOINT=%s", F.r.pub);
    snprintf (env[n++], 160, "CHEJIAN_PAYROLL_PUB_ENDPOINT=%s", F.p.pub);
    p->pid = cj_test_spawn (bin, env, n, p->log);
    char body[256] = "";
    for (int i = 0; i < 400; i++) {
        if (cj_test_http_get (p->metrics, "/readyz", body, sizeof body) == 200)
            return;
        usleep (50000);
    }
    fail_msg ("%s did not become ready: %s", bin, body);
}

static void
s_start_adjudicator (void)
{
    s_start (&F.a, "ADJUDICATOR", "services/adjudicator/chejian-adjudicator");
}

static void
s_stop (s_proc_t *p, int signo)
{
    if (p->pid <= 0)
        return;
    kill (p->pid, signo);
    int code = cj_test_wait_exit (p->pid, 10000);
    p->pid = 0;
    if (signo == SIGTERM)
        assert_int_equal (code, 0);
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
    snprintf (F.dir, sizeof F.dir, "/tmp/adjitestXXXXXX");
    assert_non_null (mkdtemp (F.dir));
    snprintf (F.key, sizeof F.key, "%s/pseudonym.key", F.dir);
    assert_int_equal (cj_pseudonym_create_key_file (F.key), 0);
    s_proc_init (&F.a, "tests/integration/chejian-adjudicator.log");
    s_proc_init (&F.r, "tests/integration/chejian-registry-adj.log");
    s_proc_init (&F.p, "tests/integration/chejian-payroll-adj.log");
    s_start (&F.r, "REGISTRY", "services/registry/chejian-registry");
    s_start (&F.p, "PAYROLL", "services/payroll/chejian-payroll");
    s_start_adjudicator ();
    F.adj = cj_client_new (NULL, F.a.router);
    F.reg = cj_client_new (NULL, F.r.router);
    F.pay = cj_client_new (NULL, F.p.router);
    assert_true (F.adj && F.reg && F.pay);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    s_stop (&F.a, SIGKILL);
    s_stop (&F.p, SIGKILL);
    s_stop (&F.r, SIGKILL);
    cj_client_destroy (&F.adj);
    cj_client_destroy (&F.reg);
    cj_client_destroy (&F.pay);
    cj_store_destroy (&F.store);
    unlink (F.key);
    rmdir (F.dir);
    return 0;
}

/*  ---- messages ----  */

static void
s_envelope (cj_envelope_t *env, char *id, const char *county, int body_case, const void *body)
{
    snprintf (id, 32, "ai-%u", ++F.next_id);
    reg_data_envelope (env, id, body_case, body);
    env->county = (char *) county;
}

static cj_ack_t *
s_roundtrip (cj_client_t *client, const cj_envelope_t *env)
{
    assert_int_equal (cj_client_send (client, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (client, 15000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, env->event_id);
    return ack;
}

/*  Sends until the answer is not the retryable NOT_YET_KNOWN (the same event_id).  */
static cj_ack_t *
s_send (cj_client_t *client, const char *county, int body_case, const void *body)
{
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, county, body_case, body);
    for (int i = 0;; i++) {
        cj_ack_t *ack = s_roundtrip (client, &env);
        bool later = ack->status == REJECTED && ack->n_problems
                     && strcmp (ack->problems[0]->code, "NOT_YET_KNOWN") == 0;
        if (!later || i == 100)
            return ack;
        cj_ack_free (&ack);
        usleep (100000);
    }
}

/*  Sends a command and expects ACCEPTED; remembers the seqs of registry and payroll events.  */
static void
s_accept (cj_client_t *client, const char *county, int body_case, const void *body)
{
    cj_ack_t *ack = s_send (client, county, body_case, body);
    if (ack->status != ACCEPTED)
        fail_msg ("body %d: %s %s %s", body_case, cj_ack_status_name (ack->status),
                  ack->n_problems ? ack->problems[0]->field : "",
                  ack->n_problems ? ack->problems[0]->code : "");
    uint64_t *seq = client == F.reg ? &F.reg_seq : client == F.pay ? &F.pay_seq : NULL;
    if (seq && ack->last_seq > *seq)
        *seq = ack->last_seq;
    cj_ack_free (&ack);
}

/*  Waits until the adjudicator has applied the producer's events up to the last acked seq in
 *  the county's partition (its cursor in Redis).  */
static void
s_caught_up (const char *producer, const char *county, uint64_t seq)
{
    uint32_t p = cj_partition_of (county, PARTITIONS);
    for (int i = 0; i < 300; i++) {
        redisReply *r = cj_store_command (F.store, "HGET cj:{p%u}:adj:cursors %s", p, producer);
        uint64_t cursor = r && r->type == REDIS_REPLY_STRING ? strtoull (r->str, NULL, 10) : 0;
        if (r)
            freeReplyObject (r);
        if (cursor >= seq)
            return;
        usleep (50000);
    }
    fail_msg ("the adjudicator did not catch up with %s seq %llu", producer,
              (unsigned long long) seq);
}

static void
s_publish (const char *county, const char *file)
{
    cj_problems_t p;
    cj_problems_init (&p);
    Chejian__V1__PublishPolicy *pp = adj_data_load_policy (file, &p);
    assert_non_null (pp);
    s_accept (F.adj, county, B (PUBLISH_POLICY), pp);
    protobuf_c_message_free_unpacked (&pp->base, NULL);
}

static void
s_top_up (const char *county, const char *fund, int64_t amount)
{
    Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
    t.fund_id = (char *) fund;
    t.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY;
    t.amount_fen = amount;
    t.value_date = 20200101;
    s_accept (F.adj, county, B (TOP_UP_FUND), &t);
}

/*  Registers workshop 'ws' in 'county' and laborers first..last employed there from 'start'.  */
static void
s_registry_facts (const char *county, const char *ws, int first, int last, int32_t start)
{
    reg_data_workshop_t w;
    reg_data_workshop (&w, ws);
    w.location.township_code = strcmp (county, QC) == 0 ? w.location.township_code : "";
    s_accept (F.reg, county, B (REGISTER_WORKSHOP), &w.cmd);
    for (int n = first; n <= last; n++) {
        reg_data_worker_t k;
        reg_data_employment_t e;
        char eid[16];
        reg_data_worker (&k, n);
        s_accept (F.reg, county, B (REGISTER_WORKER), &k.cmd);
        snprintf (eid, sizeof eid, "%s-E%d", ws, n);
        reg_data_employment (&e, eid, n, ws, start);
        s_accept (F.reg, county, B (START_EMPLOYMENT), &e.cmd);
    }
}

/*  Current decisions of 'county' on 'rule' with 'outcome' (0 = any).  */
static uint64_t
s_decisions (const char *county, int rule, int outcome)
{
    Chejian__V1__ListDecisions q = CHEJIAN__V1__LIST_DECISIONS__INIT;
    q.rule = rule;
    q.outcome = outcome;
    cj_ack_t *ack = s_send (F.adj, county, B (LIST_DECISIONS), &q);
    assert_int_equal (ack->status, ACCEPTED);
    uint64_t n = ack->decisions->page->total_count;
    cj_ack_free (&ack);
    return n;
}

/*  The first open PAY instruction of the county, copied into 'id'.  */
static void
s_open_payment (const char *county, char id[32], int64_t *ret_amount)
{
    Chejian__V1__ListPayments q = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    q.state = CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_OPEN;
    cj_ack_t *ack = s_send (F.adj, county, B (LIST_PAYMENTS), &q);
    assert_true (ack->payments->n_payments > 0);
    snprintf (id, 32, "%s", ack->payments->payments[0]->instruction->instruction_id);
    *ret_amount = ack->payments->payments[0]->instruction->amount_fen;
    cj_ack_free (&ack);
}

/*  ---- the tests ----  */

static void
test_qingchuan_from_registry_events (void **state)
{
    (void) state;
    s_publish (QC, "510822-qingchuan-2019.json");
    s_top_up (QC, "510822-employment-subsidy", 1000000);
    s_registry_facts (QC, "W1", 1, 3, 20200301);
    s_caught_up ("reg", QC, F.reg_seq);
    Chejian__V1__RequestCertification rc = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    rc.workshop_id = "W1";
    rc.as_of_date = 20200601;
    s_accept (F.adj, QC, B (REQUEST_CERTIFICATION), &rc);
    assert_int_equal (s_decisions (QC, AWARD, GRANTED), 3);
    /* finance pays one: the same confirmation again is DUPLICATE, a new one CONFLICT */
    char id[32], cid[32];
    int64_t amount;
    s_open_payment (QC, id, &amount);
    Chejian__V1__ConfirmPayment c = CHEJIAN__V1__CONFIRM_PAYMENT__INIT;
    c.instruction_id = id;
    c.attempt = 1;
    c.result = CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    c.amount_fen = amount;
    c.bank_reference = "BR-1";
    c.value_date = 20200701;
    cj_envelope_t env;
    s_envelope (&env, cid, QC, B (CONFIRM_PAYMENT), &c);
    cj_ack_t *first = s_roundtrip (F.adj, &env), *again = s_roundtrip (F.adj, &env);
    assert_int_equal (first->status, ACCEPTED);
    assert_int_equal (again->status, DUPLICATE);
    assert_int_equal (again->first_seq, first->first_seq);
    cj_ack_free (&first);
    cj_ack_free (&again);
    cj_ack_t *ack = s_send (F.adj, QC, B (CONFIRM_PAYMENT), &c);
    assert_int_equal (ack->status, REJECTED);
    cj_ack_free (&ack);
    /* the poverty office revokes every laborer's registration at the registry: the paid
       award is clawed back, the others released, the certification revoked */
    for (int n = 1; n <= 3; n++) {
        Chejian__V1__ChangeWorkerStatus cs = CHEJIAN__V1__CHANGE_WORKER_STATUS__INIT;
        Chejian__V1__StatusChange ch = CHEJIAN__V1__STATUS_CHANGE__INIT;
        reg_data_worker_t k;
        reg_data_worker (&k, n);
        ch.effective_date = 20200901;
        ch.source_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
        ch.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS;
        ch.poverty_status = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED;
        cs.resident_id = k.resident_id;
        cs.change = &ch;
        s_accept (F.reg, QC, B (CHANGE_WORKER_STATUS), &cs);
    }
    s_caught_up ("reg", QC, F.reg_seq);
    assert_int_equal (s_decisions (QC, AWARD, GRANTED), 0);
    assert_int_equal (s_decisions (QC, AWARD, REVOKED), 3);
    Chejian__V1__ListPayments lp = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    lp.direction = CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_CLAW_BACK;
    ack = s_send (F.adj, QC, B (LIST_PAYMENTS), &lp);
    assert_int_equal (ack->payments->n_payments, 1);
    assert_int_equal (ack->payments->total_fen, amount);
    cj_ack_free (&ack);
}

static void
test_guangxi_from_payroll_events (void **state)
{
    (void) state;
    s_publish (GX, "45-guangxi-2018.json");
    s_top_up (GX, "450521-employment-subsidy", 1000000);
    s_registry_facts (GX, "GX1", 7, 7, 20190601);
    for (int32_t period = 201906; period <= 201911; period++) {
        Chejian__V1__WageLine line = CHEJIAN__V1__WAGE_LINE__INIT, *lines[1] = { &line };
        reg_data_worker_t k;
        reg_data_worker (&k, 7);
        line.resident_id = k.resident_id;
        line.employment_id = "GX1-E7";
        line.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
        line.gross_fen = 120000;
        line.days_worked = 21;
        line.work_site = CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
        Chejian__V1__SubmitWageReport r = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
        r.workshop_id = "GX1";
        r.period = period;
        r.n_lines = 1;
        r.lines = lines;
        s_accept (F.pay, GX, B (SUBMIT_WAGE_REPORT), &r);
    }
    s_caught_up ("reg", GX, F.reg_seq);
    s_caught_up ("pay", GX, F.pay_seq);
    assert_int_equal (s_decisions (GX, AWARD, GRANTED), 1);
    Chejian__V1__ListDecisions q = CHEJIAN__V1__LIST_DECISIONS__INIT;
    cj_ack_t *ack = s_send (F.adj, GX, B (LIST_DECISIONS), &q);
    const Chejian__V1__Decision *d = ack->decisions->decisions[0];
    assert_string_equal (d->policy->policy_id, "45-guangxi-2018");
    assert_int_equal (d->facts_date, 20191130);
    cj_ack_free (&ack);
}

static void
s_expect_refused (const cj_envelope_t *env, const char *bytes, const char *field,
                  const char *code)
{
    char *before = reg_snapshot (F.store, "cj:*:adj:*");
    if (bytes)
        assert_int_equal (cj_client_send_bytes (F.adj, bytes, strlen (bytes), 5000), 0);
    else
        assert_int_equal (cj_client_send (F.adj, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (F.adj, 10000);
    assert_non_null (ack);
    assert_int_equal (ack->status, REJECTED);
    bool found = false;
    for (size_t i = 0; i < ack->n_problems; i++)
        found |= strcmp (ack->problems[i]->field, field) == 0
                 && strcmp (ack->problems[i]->code, code) == 0;
    if (!found)
        fail_msg ("expected %s %s; first problem: %s %s", field, code,
                  ack->n_problems ? ack->problems[0]->field : "-",
                  ack->n_problems ? ack->problems[0]->code : "-");
    cj_ack_free (&ack);
    char *after = reg_snapshot (F.store, "cj:*:adj:*");
    assert_string_equal (before, after);
    free (before);
    free (after);
}

static void
test_bad_messages_change_nothing (void **state)
{
    (void) state;
    s_publish (QC, "510822-qingchuan-2019.json");
    s_top_up (QC, "510822-employment-subsidy", 1000);
    cj_envelope_t env;
    char id[32];
    for (size_t i = 0; i < adj_data_ncases; i++) {
        const adj_data_case_t *c = &adj_data_cases[i];
        adj_data_msgs_t m;
        adj_data_msgs (&m);
        c->spoil (&m);
        s_envelope (&env, id, QC, c->body_case, adj_data_body (&m, c->body_case));
        s_expect_refused (&env, NULL, c->field, c->code);
    }
    adj_data_msgs_t m;
    adj_data_msgs (&m);
    s_envelope (&env, id, QC, B (CONFIRM_PAYMENT), &m.confirm);
    s_expect_refused (&env, NULL, "confirm_payment.instruction_id", "NOT_FOUND");
    s_envelope (&env, id, QC, B (REQUEST_CERTIFICATION), &m.certify);
    s_expect_refused (&env, NULL, "request_certification.workshop_id", "NOT_YET_KNOWN");
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W9");
    s_envelope (&env, id, QC, B (REGISTER_WORKSHOP), &w.cmd);
    s_expect_refused (&env, NULL, "body", "UNKNOWN_BODY");
    Chejian__V1__DecisionMade made = CHEJIAN__V1__DECISION_MADE__INIT;
    s_envelope (&env, id, QC, B (DECISION_MADE), &made);
    s_expect_refused (&env, NULL, "body", "UNKNOWN_BODY");
    s_envelope (&env, id, "510800", B (TOP_UP_FUND), &m.top_up);
    s_expect_refused (&env, NULL, "county", "INVALID_FORMAT");
    s_expect_refused (NULL, "\xff\xff\xff", "", "DECODE_FAILED");
}

/*  ---- crash, restart, replay ----  */

static char s_ids[NTOPUPS][32];
static int  s_acked[NTOPUPS];
static int64_t s_sent_at[NTOPUPS];

static void
s_send_top_up (int n)
{
    Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
    t.fund_id = "510822-employment-subsidy";
    t.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY;
    t.amount_fen = 100;
    t.value_date = 20200101;
    cj_envelope_t env;
    reg_data_envelope (&env, s_ids[n], B (TOP_UP_FUND), &t);
    assert_int_equal (cj_client_send (F.adj, &env, 5000), 0);
    s_sent_at[n] = cj_test_now_ms ();
}

/*  Sends every top-up (window 20), retrying what has no Ack after 2 s with the same
 *  event_id; SIGKILLs the adjudicator after 'kill_after' Acks and starts it again.  */
static void
s_top_ups (int kill_after)
{
    int next = 0, acked = 0, inflight = 0;
    memset (s_acked, 0, sizeof s_acked);
    while (acked < NTOPUPS) {
        while (inflight < 20 && next < NTOPUPS) {
            s_send_top_up (next++);
            inflight++;
        }
        cj_ack_t *ack = cj_client_recv (F.adj, 200);
        int n = -1;
        if (ack && sscanf (ack->event_id, "t-%d", &n) == 1 && n >= 0 && n < NTOPUPS
            && !s_acked[n]) {
            assert_true (ack->status == ACCEPTED
                         || (ack->status == DUPLICATE && ack->original_status == ACCEPTED));
            s_acked[n] = 1;
            inflight--;
            if (++acked == kill_after) {
                s_stop (&F.a, SIGKILL);
                s_start_adjudicator ();
            }
        }
        cj_ack_free (&ack);
        for (int i = 0; i < next; i++)
            if (!s_acked[i] && cj_test_now_ms () - s_sent_at[i] > 2000)
                s_send_top_up (i);
    }
}

static const Chejian__V1__FundBalance *
s_balance (cj_ack_t **ack_p)
{
    Chejian__V1__ListFunds q = CHEJIAN__V1__LIST_FUNDS__INIT;
    *ack_p = s_send (F.adj, QC, B (LIST_FUNDS), &q);
    assert_int_equal ((*ack_p)->funds->n_funds, 1);
    return (*ack_p)->funds->funds[0];
}

static void
test_sigkill_restart_and_replay (void **state)
{
    (void) state;
    s_publish (QC, "510822-qingchuan-2019.json");
    for (int n = 0; n < NTOPUPS; n++)
        snprintf (s_ids[n], sizeof s_ids[n], "t-%d", n);
    s_top_ups (NTOPUPS / 3);
    s_top_ups (0);                                   /* every one again: all DUPLICATE */
    cj_ack_t *ack;
    const Chejian__V1__FundBalance *b = s_balance (&ack);
    assert_int_equal (b->topped_up_fen, NTOPUPS * 100);
    assert_int_equal (b->available_fen, NTOPUPS * 100);
    cj_ack_free (&ack);
    /* facts arrive while the adjudicator is down; it catches up from the outbox */
    s_stop (&F.a, SIGKILL);
    s_registry_facts (QC, "W1", 1, 3, 20200301);
    s_start_adjudicator ();
    s_caught_up ("reg", QC, F.reg_seq);
    Chejian__V1__RequestCertification rc = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    rc.workshop_id = "W1";
    rc.as_of_date = 20200601;
    s_accept (F.adj, QC, B (REQUEST_CERTIFICATION), &rc);
    assert_int_equal (s_decisions (QC, AWARD, 0), 3);
    /* a replay of the registry's whole outbox (every cursor back to 0) awards nobody again */
    s_stop (&F.a, SIGTERM);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        redisReply *r = cj_store_command (F.store, "HSET cj:{p%u}:adj:cursors reg 0", p);
        assert_non_null (r);
        freeReplyObject (r);
    }
    s_start_adjudicator ();
    s_caught_up ("reg", QC, F.reg_seq);
    assert_int_equal (s_decisions (QC, AWARD, 0), 3);
    b = s_balance (&ack);
    assert_int_equal (b->reserved_fen, 0);          /* 20,000 fen: all three still wait */
    assert_int_equal (b->waitlisted_count, 3);
    assert_int_equal (b->available_fen + b->reserved_fen + b->paid_fen, b->topped_up_fen);
    cj_ack_free (&ack);
    s_stop (&F.a, SIGTERM);
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
        S_TEST (test_qingchuan_from_registry_events),
        S_TEST (test_guangxi_from_payroll_events),
        S_TEST (test_bad_messages_change_nothing),
        S_TEST (test_sigkill_restart_and_replay),
    };
    return cmocka_run_group_tests_name ("integration.adjudicator", tests, NULL, NULL);
}
