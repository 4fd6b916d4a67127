/*  test_adjudicator_scenario.c - whole streams against the fixture's redis-server.
 *
 *  The Qingchuan bulletin of 2020-07-28 rebuilt from raw registry events: 40 certified
 *  workshops with 728 qualifying registered-poor laborers give 728,000 yuan of awards; six
 *  workshops' loans total 3,000,000 yuan, each within its cap; their interest periods give
 *  the 83,000 yuan of subsidy.
 *
 *  A property test: seeded random streams of facts with replays and reorderings, top-ups,
 *  certifications, revocations (by facts and by hand), early ends and payment confirmations
 *  (paid, failed, repeated). After every step: no laborer holds two live awards in one
 *  workshop; no fund balance is below zero and available + reserved + paid == topped up;
 *  the money of live grants equals the payment instructions net of claw-backs; the reserved
 *  balance equals the open PAY instructions.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "adjudicator.h"
#include "adjudicator_test_ctx.h"
#include "adjudicator_test_data.h"
#include "registry_test_data.h"

#define QC       ADJ_DATA_QINGCHUAN
#define ACCEPTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define B(x)     CHEJIAN__V1__ENVELOPE__BODY_##x
#define POOR     CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
#define REVOKEDS CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED
#define AWARD    CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD
#define PAY_DIR  CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_PAY
#define ST(x)    CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_##x

static adj_test_t *T;

static int
s_setup (void **state)
{
    (void) state;
    T = adj_test_new ();
    return T && adj_test_publish (T, QC, "510822-qingchuan-2019.json") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    adj_test_destroy (&T);
    return 0;
}

static void
s_accept (int body_case, const void *body)
{
    assert_int_equal (adj_test_accept (T, QC, body_case, body), 0);
}

static void
s_top_up (const char *fund, int source, int64_t amount)
{
    Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
    t.fund_id = (char *) fund;
    t.source = source;
    t.amount_fen = amount;
    t.value_date = 20200101;
    s_accept (B (TOP_UP_FUND), &t);
}

/*  Requests certification; 'must' expects it accepted (else a refusal is fine).  */
static void
s_certify (const char *ws, int32_t date, bool must)
{
    Chejian__V1__RequestCertification r = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    r.workshop_id = (char *) ws;
    r.as_of_date = date;
    if (must)
        s_accept (B (REQUEST_CERTIFICATION), &r);
    else
        adj_test_command (T, QC, B (REQUEST_CERTIFICATION), &r);
}

static const Chejian__V1__AdjudicationSummary *
s_summary (void)
{
    Chejian__V1__GetAdjudicationSummary q = CHEJIAN__V1__GET_ADJUDICATION_SUMMARY__INIT;
    const cj_ack_t *ack = adj_test_query (T, QC, B (GET_ADJUDICATION_SUMMARY), &q);
    assert_int_equal (ack->status, ACCEPTED);
    return ack->adjudication_summary;
}

/*  ---- the bulletin ----  */

/*  Applies for a loan of 'kind' for workshop 'ws', disburses it as 'loan' and reports one
 *  interest period of 'interest' fen.  */
static void
s_loan (int n, int kind, uint32_t partners, int64_t amount, const char *ws, int64_t interest)
{
    adj_data_msgs_t m;
    char app[16], loan[16];
    adj_data_msgs (&m);
    snprintf (app, sizeof app, "APP%d", n);
    snprintf (loan, sizeof loan, "L%d", n);
    for (int i = 0; i < 3; i++)
        reg_data_resident_id (m.ids[i], 19800101, 100 * n + i);
    m.loan.application_id = app;
    m.loan.applicant_kind = kind;
    m.loan.workshop_id = (char *) ws;
    m.loan.requested_fen = amount;
    if (kind != CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP) {
        m.loan.partners_count = 0;
        m.loan.n_partner_resident_ids = 0;
        m.loan.applicant_name = kind == CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE
                                ? "青川县竹园服装有限公司" : "";
    } else
        m.loan.partners_count = m.loan.n_partner_resident_ids = partners;
    if (kind == CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE) {
        m.loan.applicant_resident_id = "";
        m.loan.applicant_uscc = n == 1 ? "91510822MA62X0001F" : "91510822MA62X0002J";
    }
    s_accept (B (APPLY_FOR_LOAN), &m.loan);
    const Chejian__V1__LoanDecided *d = adj_test_emitted (T, 0)->loan_decided;
    assert_int_equal (d->granted_fen, amount);
    assert_true (d->granted_fen <= d->cap_fen);
    m.disbursement.application_id = app;
    m.disbursement.loan_id = loan;
    m.disbursement.principal_fen = amount;
    s_accept (B (RECORD_LOAN_DISBURSEMENT), &m.disbursement);
    m.interest.loan_id = loan;
    m.interest.principal_fen = amount;
    m.interest.interest_fen = interest;
    s_accept (B (RECORD_INTEREST_ACCRUAL), &m.interest);
}

static void
test_qingchuan_bulletin (void **state)
{
    (void) state;
    s_top_up ("510822-employment-subsidy", CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY,
              72800000);
    s_top_up ("510822-loan-interest", CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_LOAN_INTEREST_SUBSIDY,
              10000000);
    int worker = 0;
    for (int w = 0; w < 40; w++) {                 /* 8 workshops of 19, 32 of 18: 728 */
        char ws[8], eid[16], id[19];
        snprintf (ws, sizeof ws, "QC%02d", w);
        assert_int_equal (adj_test_workshop (T, QC, ws, 1 + w % 5, 20190301), 0);
        for (int i = 0; i < (w < 8 ? 19 : 18); i++, worker++) {
            reg_data_resident_id (id, 19700101 + (worker / 900) * 10000, worker % 900);
            snprintf (eid, sizeof eid, "E%d", worker);
            assert_int_equal (adj_test_worker (T, QC, id, POOR, 20160101), 0);
            assert_int_equal (adj_test_employ (T, QC, eid, id, ws, 20200101, 12), 0);
        }
        s_certify (ws, 20200601, true);
    }
    /* 3,000,000 yuan to 6 workshops, each within its cap */
    s_loan (1, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE, 0, 100000000, "QC00", 2000000);
    s_loan (2, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE, 0, 80000000, "QC01", 1600000);
    s_loan (3, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP, 3, 45000000, "QC02", 1000000);
    s_loan (4, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP, 3, 45000000, "QC03", 1000000);
    s_loan (5, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_INDIVIDUAL, 0, 15000000, "QC04", 1350000);
    s_loan (6, CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_INDIVIDUAL, 0, 15000000, "QC05", 1350000);
    const Chejian__V1__AdjudicationSummary *s = s_summary ();
    assert_int_equal (s->certified_workshops, 40);
    assert_int_equal (s->awarded_workshops, 40);
    assert_int_equal (s->awarded_laborers, 728);
    assert_int_equal (s->awards_fen, 72800000);
    assert_int_equal (s->loans_approved, 6);
    assert_int_equal (s->loans_disbursed, 6);
    assert_int_equal (s->loans_disbursed_fen, 300000000);
    assert_int_equal (s->workshops_with_loans, 6);
    assert_int_equal (s->interest_subsidy_fen, 8300000);
}

/*  ---- the property test ----  */

#define S_WORKERS   12
#define S_SHOPS     3
#define S_STEPS     400
#define S_FUND      "510822-employment-subsidy"

typedef struct {
    char id[19];
    bool registered, hired;
    int  shop;
} s_person_t;

static s_person_t s_people[S_WORKERS];

static const char *
s_shop (int n)
{
    static const char *names[S_SHOPS] = { "P0", "P1", "P2" };
    return names[n];
}

static void
s_person_fact (int n, unsigned r)
{
    s_person_t *p = &s_people[n];
    char eid[8];
    snprintf (eid, sizeof eid, "E%d", n);
    if (r % 2 || !p->registered) {             /* registrations and hires, replayed too */
        assert_int_equal (adj_test_worker (T, QC, p->id, POOR, 20160101), 0);
        p->registered = true;
    } else {
        assert_int_equal (adj_test_employ (T, QC, eid, p->id, s_shop (p->shop), 20200301,
                                           r % 3 ? 12 : 4), 0);
        p->hired = true;
    }
}

static void
s_change (int n, unsigned r)
{
    s_person_t *p = &s_people[n];
    char eid[8];
    snprintf (eid, sizeof eid, "E%d", n);
    if (r % 2)
        assert_int_equal (adj_test_status (T, QC, p->id, r % 8 == 1 ? REVOKEDS : POOR, 20200901), 0);
    else if (p->hired)
        assert_int_equal (adj_test_end (T, QC, eid, p->id, s_shop (p->shop), 20200301,
                                        r % 4 ? 20210228 : 20200731, r % 4 ? 11 : 5,
                                        CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_RESIGNED), 0);
}

/*  Confirms (or fails, or repeats) a random payment instruction; refusals are expected.  */
static void
s_pay (unsigned r)
{
    Chejian__V1__ListPayments q = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    const cj_ack_t *ack = adj_test_query (T, QC, B (LIST_PAYMENTS), &q);
    if (!ack->payments->n_payments)
        return;
    const Chejian__V1__PaymentView *v = ack->payments->payments[r % ack->payments->n_payments];
    Chejian__V1__ConfirmPayment c = CHEJIAN__V1__CONFIRM_PAYMENT__INIT;
    char id[32];
    snprintf (id, sizeof id, "%s", v->instruction->instruction_id);
    c.instruction_id = id;
    c.attempt = v->instruction->attempt;
    c.result = r % 5 ? CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID
                     : CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_FAILED;
    c.amount_fen = r % 5 ? v->instruction->amount_fen : 0;
    c.bank_reference = r % 5 ? "BR" : "";
    c.value_date = r % 5 ? 20200801 : 0;
    c.failure_reason = r % 5 ? "" : "账户冻结";
    adj_test_command (T, QC, B (CONFIRM_PAYMENT), &c);
}

static void
s_revoke_random (unsigned r)
{
    Chejian__V1__RevokeDecision rv = CHEJIAN__V1__REVOKE_DECISION__INIT;
    char id[32];
    snprintf (id, sizeof id, "dec-%u", 1 + r % 40);
    rv.decision_id = id;
    rv.reason = "抽查";
    adj_test_command (T, QC, B (REVOKE_DECISION), &rv);
}

static void
s_step (unsigned r)
{
    switch (r % 7) {
    case 0: case 1: s_person_fact ((int) (r / 7 % S_WORKERS), r / 91); break;
    case 2: s_certify (s_shop ((int) (r / 7 % S_SHOPS)), 20200601 + (int) (r / 21 % 3) * 100,
                       false);
            break;
    case 3: s_top_up (S_FUND, CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY,
                      50000 + (int64_t) (r / 7 % 4) * 50000); break;
    case 4: s_change ((int) (r / 7 % S_WORKERS), r / 91); break;
    case 5: s_pay (r / 7); break;
    default: if (r / 7 % 16 == 0) s_revoke_random (r / 112); break;
    }
}

/*  The invariants over the county's decisions, payments and fund.  */
static void
s_check_invariants (void)
{
    Chejian__V1__ListDecisions ld = CHEJIAN__V1__LIST_DECISIONS__INIT;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 500;
    ld.rule = AWARD;
    ld.page = &page;
    const cj_ack_t *ack = adj_test_query (T, QC, B (LIST_DECISIONS), &ld);
    int64_t granted = 0;
    const Chejian__V1__DecisionList *dl = ack->decisions;
    for (size_t i = 0; i < dl->n_decisions; i++) {
        const Chejian__V1__Decision *d = dl->decisions[i];
        assert_true (d->n_reasons > 0 && d->n_params > 0 && d->n_facts > 0);   /* explained */
        bool live = d->outcome == CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
                    || d->outcome == CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_WAITLISTED;
        granted += d->outcome == CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
                   ? d->amount_fen : 0;
        for (size_t j = 0; live && j < i; j++)
            assert_false (strcmp (dl->decisions[j]->subject->worker_key, d->subject->worker_key) == 0
                          && strcmp (dl->decisions[j]->subject->workshop_id, d->subject->workshop_id) == 0
                          && (dl->decisions[j]->outcome == 1 || dl->decisions[j]->outcome == 3));
    }
    Chejian__V1__ListPayments lp = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    ack = adj_test_query (T, QC, B (LIST_PAYMENTS), &lp);
    int64_t net = 0, open = 0, paid = 0;
    for (size_t i = 0; i < ack->payments->n_payments; i++) {
        const Chejian__V1__PaymentView *v = ack->payments->payments[i];
        int64_t a = v->instruction->amount_fen;
        bool pay = v->instruction->direction == PAY_DIR;
        net += v->state == ST (CANCELLED) ? 0 : pay ? a : -a;
        open += pay && v->state == ST (OPEN) ? a : 0;
        paid += v->state == ST (CLOSED) ? (pay ? a : -a) : 0;
    }
    assert_int_equal (net, granted);
    Chejian__V1__ListFunds lf = CHEJIAN__V1__LIST_FUNDS__INIT;
    ack = adj_test_query (T, QC, B (LIST_FUNDS), &lf);
    for (size_t i = 0; i < ack->funds->n_funds; i++) {
        const Chejian__V1__FundBalance *b = ack->funds->funds[i];
        assert_true (b->available_fen >= 0 && b->reserved_fen >= 0 && b->paid_fen >= 0);
        assert_int_equal (b->available_fen + b->reserved_fen + b->paid_fen, b->topped_up_fen);
        assert_int_equal (b->reserved_fen, open);
        assert_int_equal (b->paid_fen, paid);
    }
}

static void
test_random_streams_keep_the_invariants (void **state)
{
    (void) state;
    uint32_t granted = 0, revoked = 0;
    int64_t paid = 0;
    for (unsigned seed = 1; seed <= 3; seed++) {
        if (seed > 1) {
            adj_test_destroy (&T);
            assert_int_equal (s_setup (NULL), 0);
        }
        srand (seed);
        for (int s = 0; s < S_SHOPS; s++)
            assert_int_equal (adj_test_workshop (T, QC, s_shop (s),
                                                 CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK,
                                                 20190301), 0);
        for (int n = 0; n < S_WORKERS; n++) {
            memset (&s_people[n], 0, sizeof s_people[n]);
            reg_data_resident_id (s_people[n].id, 19900101, 500 + n);
            s_people[n].shop = n % S_SHOPS;
        }
        for (int step = 0; step < S_STEPS; step++) {
            s_step ((unsigned) rand ());
            s_check_invariants ();
        }
        /* the stream did exercise grants, revocations and payments */
        const Chejian__V1__AdjudicationSummary *sum = s_summary ();
        const Chejian__V1__RuleTotals *t = NULL;
        for (size_t i = 0; i < sum->n_by_rule; i++)
            if (sum->by_rule[i]->rule == AWARD)
                t = sum->by_rule[i];
        if (!t)
            continue;
        print_message ("seed %u: awards granted %u, waitlisted %u, revoked %u, paid %lld, "
                       "clawed back %lld\n", seed, t->granted_count, t->waitlisted_count,
                       t->revoked_count, (long long) t->paid_fen, (long long) t->clawed_back_fen);
        granted += t->granted_count;
        revoked += t->revoked_count;
        paid += t->paid_fen;
    }
    assert_true (revoked > 0 && paid > 0);
    (void) granted;
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_qingchuan_bulletin),
        S_TEST (test_random_streams_keep_the_invariants),
    };
    return cmocka_run_group_tests_name ("unit.adjudicator_scenario", tests, NULL, NULL);
}
