/*  test_adjudicator_awards.c - certification, one-off awards, funds and payments against the
 *  fixture's redis-server, from registry and payroll events as the subscriptions deliver
 *  them: Qingchuan certification and awards; an empty fund waitlists and top-ups grant in
 *  order, never below zero; replayed facts and repeated confirmations pay nothing twice;
 *  a status revoked as wrong revokes with claw-back (and takes the certification and the
 *  awards resting on it along); an employment ended early revokes before payment; a failed
 *  payment reopens; the Guangxi-shaped rule from wage lines; the most specific jurisdiction
 *  wins; Fengjie's checklist; every decision explained.  */
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

#define QC         ADJ_DATA_QINGCHUAN
#define ACCEPTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define REJECTED   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define GRANTED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
#define DENIED     CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_DENIED
#define WAITLISTED CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_WAITLISTED
#define REVOKED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_REVOKED
#define POOR       CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
#define B(x)       CHEJIAN__V1__ENVELOPE__BODY_##x
#define PARK       CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK
#define FUND       "510822-employment-subsidy"

static adj_test_t *T;

static int
s_setup (void **state)
{
    (void) state;
    T = adj_test_new ();
    return T ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    adj_test_destroy (&T);
    return 0;
}

/*  ---- helpers ----  */

static void
s_accept (const char *county, int body_case, const void *body)
{
    assert_int_equal (adj_test_accept (T, county, body_case, body), 0);
}

static void
s_refuse (const char *county, int body_case, const void *body, const char *field,
          const char *code)
{
    char *before = adj_test_snapshot (T);
    assert_int_equal (adj_test_command (T, county, body_case, body), REJECTED);
    if (!adj_test_has_problem (T, field, code)) {
        char text[512];
        cj_problems_format (adj_test_problems (T), text, sizeof text);
        fail_msg ("expected %s %s, got %s", field, code, text);
    }
    char *after = adj_test_snapshot (T);
    assert_string_equal (before, after);
    free (before);
    free (after);
}

static void
s_top_up (const char *county, const char *fund, int source, int64_t amount)
{
    Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
    t.fund_id = (char *) fund;
    t.source = source;
    t.amount_fen = amount;
    t.value_date = 20200101;
    s_accept (county, B (TOP_UP_FUND), &t);
}

static void
s_top_up_awards (int64_t amount)
{
    s_top_up (QC, FUND, CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY, amount);
}

static char s_ids[64][19];

/*  Worker number 'n' (registered poor since 2016) employed as "E<n>" in 'ws' from 'start'
 *  for 'term' months.  */
static const char *
s_hire (const char *county, const char *ws, int n, int32_t start, uint32_t term)
{
    char eid[16];
    reg_data_resident_id (s_ids[n], 19850312, n);
    snprintf (eid, sizeof eid, "E%d", n);
    assert_int_equal (adj_test_worker (T, county, s_ids[n], POOR, 20160101), 0);
    assert_int_equal (adj_test_employ (T, county, eid, s_ids[n], ws, start, term), 0);
    return s_ids[n];
}

static const Chejian__V1__FundBalance *
s_fund (const char *county, const char *fund)
{
    Chejian__V1__ListFunds q = CHEJIAN__V1__LIST_FUNDS__INIT;
    q.fund_id = (char *) fund;
    const cj_ack_t *ack = adj_test_query (T, county, B (LIST_FUNDS), &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->funds->n_funds, 1);
    const Chejian__V1__FundBalance *b = ack->funds->funds[0];
    assert_true (b->available_fen >= 0 && b->reserved_fen >= 0 && b->paid_fen >= 0);
    assert_int_equal (b->available_fen + b->reserved_fen + b->paid_fen, b->topped_up_fen);
    return b;
}

/*  The decisions of the county on 'rule' with 'outcome' that are current.  */
static size_t
s_count (const char *county, int rule, int outcome)
{
    Chejian__V1__ListDecisions q = CHEJIAN__V1__LIST_DECISIONS__INIT;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 500;
    q.rule = rule;
    q.outcome = outcome;
    q.page = &page;
    const cj_ack_t *ack = adj_test_query (T, county, B (LIST_DECISIONS), &q);
    assert_int_equal (ack->status, ACCEPTED);
    return (size_t) ack->decisions->page->total_count;
}

static void
s_certify (const char *county, const char *ws, int32_t date)
{
    Chejian__V1__RequestCertification r = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    r.workshop_id = (char *) ws;
    r.as_of_date = date;
    s_accept (county, B (REQUEST_CERTIFICATION), &r);
}

/*  The i-th emitted event's instruction id (PaymentInstructed), or NULL.  */
static const char *
s_instruction (size_t nth)
{
    for (size_t i = 0, k = 0; i < adj_test_nevents (T); i++) {
        const cj_envelope_t *e = adj_test_emitted (T, i);
        if (e->body_case == B (PAYMENT_INSTRUCTED) && k++ == nth)
            return e->payment_instructed->instruction->instruction_id;
    }
    return NULL;
}

static void
s_confirm (const char *id, uint32_t attempt, int64_t amount, bool paid)
{
    Chejian__V1__ConfirmPayment c = CHEJIAN__V1__CONFIRM_PAYMENT__INIT;
    c.instruction_id = (char *) id;
    c.attempt = attempt;
    c.result = paid ? CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID
                    : CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_FAILED;
    c.amount_fen = paid ? amount : 0;
    c.bank_reference = paid ? "BR-1" : "";
    c.value_date = paid ? 20200701 : 0;
    c.failure_reason = paid ? "" : "户名不符";
    s_accept (QC, B (CONFIRM_PAYMENT), &c);
}

/*  Qingchuan policy, workshop W1 and laborers 1..n on 12-month contracts from 2020-03-01.  */
static void
s_qingchuan (int n)
{
    assert_int_equal (adj_test_publish (T, QC, "510822-qingchuan-2019.json"), 0);
    assert_int_equal (adj_test_workshop (T, QC, "W1", PARK, 20190301), 0);
    for (int i = 1; i <= n; i++)
        s_hire (QC, "W1", i, 20200301, 12);
}

/*  The instruction emitted for the award of the worker of 'resident_id', or NULL.  */
static const char *
s_instruction_of (const char *resident_id)
{
    const char *key = adj_test_worker_key (T, resident_id);
    bool mine = false;
    for (size_t i = 0; i < adj_test_nevents (T); i++) {
        const cj_envelope_t *e = adj_test_emitted (T, i);
        if (e->body_case == B (DECISION_MADE))
            mine = strcmp (e->decision_made->decision->subject->worker_key, key) == 0;
        if (e->body_case == B (PAYMENT_INSTRUCTED) && mine)
            return e->payment_instructed->instruction->instruction_id;
    }
    return NULL;
}

/*  ---- the tests ----  */

static void
test_qingchuan_certification_and_awards (void **state)
{
    (void) state;
    s_qingchuan (2);
    s_top_up_awards (1000000);
    Chejian__V1__RequestCertification r = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    r.workshop_id = "W1";
    r.as_of_date = 20200601;
    s_accept (QC, B (REQUEST_CERTIFICATION), &r);              /* 2 of 3: denied */
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 1);
    const Chejian__V1__Decision *d = adj_test_emitted (T, 0)->decision_made->decision;
    assert_int_equal (d->outcome, DENIED);
    assert_string_equal (d->reason_codes[0], "TOO_FEW_QUALIFYING_LABORERS");
    s_hire (QC, "W1", 3, 20200301, 12);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);   /* no award before certification */
    s_certify (QC, "W1", 20200601);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 4);   /* certified + 3 awards */
    assert_int_equal (adj_test_count (T, B (FUND_MOVED)), 3);
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 3);
    assert_int_equal (adj_test_emitted (T, 0)->decision_made->decision->outcome, GRANTED);
    const Chejian__V1__Decision *award = adj_test_emitted (T, 1)->decision_made->decision;
    assert_int_equal (award->rule, CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD);
    assert_int_equal (award->outcome, GRANTED);
    assert_int_equal (award->amount_fen, 100000);
    assert_int_equal (award->facts_date, 20200601);
    assert_int_equal (adj_test_emitted (T, 2)->body_case, B (FUND_MOVED));
    assert_int_equal (adj_test_emitted (T, 3)->body_case, B (PAYMENT_INSTRUCTED));
    /* a fourth laborer hired later is awarded at once, from the start date */
    s_hire (QC, "W1", 4, 20200801, 6);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 1);
    assert_int_equal (adj_test_emitted (T, 0)->decision_made->decision->facts_date, 20200801);
    /* a fifth on a 3-month contract is not */
    s_hire (QC, "W1", 5, 20200801, 3);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->reserved_fen, 400000);
    assert_int_equal (b->available_fen, 600000);
    assert_int_equal (s_count (QC, CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD, GRANTED), 4);
    /* certifying again while certified is a conflict, and changes nothing */
    s_refuse (QC, B (REQUEST_CERTIFICATION), &r, "request_certification.workshop_id", "CONFLICT");
}

static void
test_empty_fund_waitlists_and_top_up_grants_in_order (void **state)
{
    (void) state;
    s_qingchuan (3);
    s_top_up_awards (150000);
    s_certify (QC, "W1", 20200601);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 4);
    int outcomes[3], positions[3];
    for (size_t i = 0, k = 0; i < adj_test_nevents (T); i++) {
        const cj_envelope_t *e = adj_test_emitted (T, i);
        if (e->body_case == B (DECISION_MADE) && e->decision_made->decision->rule == 2) {
            outcomes[k] = e->decision_made->decision->outcome;
            positions[k++] = (int) e->decision_made->decision->waitlist_position;
        }
    }
    assert_int_equal (outcomes[0], GRANTED);
    assert_int_equal (outcomes[1], WAITLISTED);
    assert_int_equal (positions[1], 1);
    assert_int_equal (outcomes[2], WAITLISTED);
    assert_int_equal (positions[2], 2);
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->available_fen, 50000);
    assert_int_equal (b->waitlisted_count, 2);
    assert_int_equal (b->waitlisted_fen, 200000);
    /* 40000 more: 90000 available, still short of the first in line */
    s_top_up_awards (40000);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
    /* 60000 more: the first in line is granted, the second waits (50000 left) */
    s_top_up_awards (60000);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 1);
    const Chejian__V1__Decision *d = NULL;
    for (size_t i = 0; i < adj_test_nevents (T); i++)
        if (adj_test_emitted (T, i)->body_case == B (DECISION_MADE))
            d = adj_test_emitted (T, i)->decision_made->decision;
    assert_int_equal (d->outcome, GRANTED);
    assert_true (*d->supersedes_decision_id);
    b = s_fund (QC, FUND);
    assert_int_equal (b->available_fen, 50000);
    assert_int_equal (b->waitlisted_count, 1);
    s_top_up_awards (50000);
    b = s_fund (QC, FUND);
    assert_int_equal (b->available_fen, 0);
    assert_int_equal (b->reserved_fen, 300000);
    assert_int_equal (b->waitlisted_count, 0);
    assert_int_equal (s_count (QC, CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD, GRANTED), 3);
    assert_int_equal (s_count (QC, CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD, WAITLISTED), 0);
}

static void
test_replayed_facts_and_confirmations_pay_once (void **state)
{
    (void) state;
    s_qingchuan (3);
    s_top_up_awards (1000000);
    s_certify (QC, "W1", 20200601);
    const char *pay = s_instruction (0);
    char id[32];
    snprintf (id, sizeof id, "%s", pay);
    /* the registry's facts again (a replayed outbox, a re-sent status) award nobody again */
    for (int i = 1; i <= 3; i++) {
        char eid[8];
        snprintf (eid, sizeof eid, "E%d", i);
        assert_int_equal (adj_test_employ (T, QC, eid, s_ids[i], "W1", 20200301, 12), 0);
        assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
        assert_int_equal (adj_test_status (T, QC, s_ids[i], POOR, 20200701), 0);
        assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
    }
    s_confirm (id, 1, 100000, true);
    assert_int_equal (adj_test_count (T, B (PAYMENT_CLOSED)), 1);
    Chejian__V1__ConfirmPayment c = CHEJIAN__V1__CONFIRM_PAYMENT__INIT;
    c.instruction_id = id;
    c.attempt = 1;
    c.result = CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    c.amount_fen = 100000;
    c.bank_reference = "BR-2";
    c.value_date = 20200702;
    s_refuse (QC, B (CONFIRM_PAYMENT), &c, "confirm_payment.instruction_id", "CONFLICT");
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->paid_fen, 100000);
    assert_int_equal (b->reserved_fen, 200000);
}

static void
test_status_revoked_claws_back (void **state)
{
    (void) state;
    s_qingchuan (4);
    s_top_up_awards (1000000);
    s_certify (QC, "W1", 20200601);
    char paid[32];
    snprintf (paid, sizeof paid, "%s", s_instruction_of (s_ids[1]));
    s_confirm (paid, 1, 100000, true);
    /* laborer 1 was registered wrongly: the award is revoked and clawed back; 3 remain */
    assert_int_equal (adj_test_status (T, QC, s_ids[1], CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED,
                                       20200901), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 1);
    const Chejian__V1__DecisionRevoked *rv = adj_test_emitted (T, 0)->decision_revoked;
    assert_int_equal (rv->claw_back_fen, 100000);
    assert_int_equal (rv->released_fen, 0);
    assert_int_equal (rv->decision->outcome, REVOKED);
    assert_string_equal (rv->decision->reason_codes[0], "STATUS_REVOKED");
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 1);
    const Chejian__V1__PaymentInstruction *back = NULL;
    for (size_t i = 0; i < adj_test_nevents (T); i++)
        if (adj_test_emitted (T, i)->body_case == B (PAYMENT_INSTRUCTED))
            back = adj_test_emitted (T, i)->payment_instructed->instruction;
    assert_int_equal (back->direction, CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_CLAW_BACK);
    assert_string_equal (back->reverses_instruction_id, paid);
    char claw[32];
    snprintf (claw, sizeof claw, "%s", back->instruction_id);
    s_confirm (claw, 1, 100000, true);
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->paid_fen, 0);
    assert_int_equal (b->recovered_fen, 100000);
    assert_int_equal (b->reserved_fen, 300000);
    /* laborer 2 too: only 2 qualifying remain, so the certification falls and every award
       resting on it with it (released, unpaid) */
    assert_int_equal (adj_test_status (T, QC, s_ids[2], CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED,
                                       20200902), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 4);
    assert_int_equal (adj_test_count (T, B (PAYMENT_CANCELLED)), 3);
    b = s_fund (QC, FUND);
    assert_int_equal (b->reserved_fen, 0);
    assert_int_equal (b->available_fen, 1000000);
    assert_int_equal (s_count (QC, CHEJIAN__V1__RULE_KIND__RULE_KIND_CERTIFICATION, REVOKED), 1);
}

static void
test_ended_early_revokes_before_payment (void **state)
{
    (void) state;
    s_qingchuan (4);
    s_top_up_awards (1000000);
    s_certify (QC, "W1", 20200601);
    /* laborer 4 leaves after 5 of 12 months: revoked, its reservation released */
    assert_int_equal (adj_test_end (T, QC, "E4", s_ids[4], "W1", 20200301, 20200731, 5,
                                    CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_RESIGNED), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 1);
    assert_int_equal (adj_test_count (T, B (PAYMENT_CANCELLED)), 1);
    const Chejian__V1__DecisionRevoked *rv = adj_test_emitted (T, 0)->decision_revoked;
    assert_int_equal (rv->released_fen, 100000);
    assert_string_equal (rv->decision->reason_codes[0], "ENDED_EARLY");
    assert_int_equal (adj_test_emitted (T, 1)->body_case, B (FUND_MOVED));
    assert_int_equal (adj_test_emitted (T, 1)->fund_moved->movement->kind,
                      CHEJIAN__V1__FUND_MOVEMENT_KIND__FUND_MOVEMENT_KIND_RELEASE);
    assert_int_equal (adj_test_emitted (T, 2)->body_case, B (PAYMENT_CANCELLED));
    /* an employment that ends after its minimum term changes nothing */
    assert_int_equal (adj_test_end (T, QC, "E3", s_ids[3], "W1", 20200301, 20201031, 8,
                                    CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_RESIGNED), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 0);
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->reserved_fen, 300000);
    /* finance paid the cancelled one before it heard: the payment is recorded and clawed back */
    Chejian__V1__ListPayments q = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    q.state = CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_CANCELLED;
    const cj_ack_t *ack = adj_test_query (T, QC, B (LIST_PAYMENTS), &q);
    assert_int_equal (ack->payments->n_payments, 1);
    char id[32];
    snprintf (id, sizeof id, "%s", ack->payments->payments[0]->instruction->instruction_id);
    s_confirm (id, 1, 100000, true);
    assert_int_equal (adj_test_count (T, B (PAYMENT_CLOSED)), 1);
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 1);
    b = s_fund (QC, FUND);
    assert_int_equal (b->paid_fen, 100000);
    assert_int_equal (b->available_fen, 600000);
}

static void
test_failed_payment_reopens (void **state)
{
    (void) state;
    s_qingchuan (3);
    s_top_up_awards (1000000);
    s_certify (QC, "W1", 20200601);
    char id[32];
    snprintf (id, sizeof id, "%s", s_instruction (0));
    s_confirm (id, 1, 0, false);
    assert_int_equal (adj_test_count (T, B (PAYMENT_REOPENED)), 1);
    const Chejian__V1__PaymentReopened *re = adj_test_emitted (T, 0)->payment_reopened;
    assert_int_equal (re->failed_attempt, 1);
    assert_int_equal (re->attempt, 2);
    const Chejian__V1__FundBalance *b = s_fund (QC, FUND);
    assert_int_equal (b->reserved_fen, 300000);                /* money stays reserved */
    Chejian__V1__ConfirmPayment c = CHEJIAN__V1__CONFIRM_PAYMENT__INIT;
    c.instruction_id = id;
    c.attempt = 1;
    c.result = CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    c.amount_fen = 100000;
    c.bank_reference = "BR-9";
    c.value_date = 20200701;
    s_refuse (QC, B (CONFIRM_PAYMENT), &c, "confirm_payment.attempt", "CONFLICT");
    c.attempt = 2;
    c.amount_fen = 99999;
    s_refuse (QC, B (CONFIRM_PAYMENT), &c, "confirm_payment.amount_fen", "CONFLICT");
    s_confirm (id, 2, 100000, true);
    b = s_fund (QC, FUND);
    assert_int_equal (b->paid_fen, 100000);
    assert_int_equal (b->reserved_fen, 200000);
}

static void
test_guangxi_months_worked_from_wage_lines (void **state)
{
    (void) state;
    const char *gx = ADJ_DATA_GUANGXI;
    assert_int_equal (adj_test_publish (T, gx, "45-guangxi-2018.json"), 0);
    s_top_up (gx, "450521-jybz", CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY, 500000);
    assert_int_equal (adj_test_workshop (T, gx, "GX1", PARK, 20190101), 0);
    const char *id = s_hire (gx, "GX1", 7, 20190601, 0);
    for (int m = 0; m < 5; m++) {                  /* 5 months of 1,200 yuan: not yet */
        assert_int_equal (adj_test_wage (T, gx, "E7", id, "GX1", 201906 + m, 120000), 0);
        assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
    }
    assert_int_equal (adj_test_wage (T, gx, "E7", id, "GX1", 201911, 120000), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 1);
    const Chejian__V1__Decision *d = adj_test_emitted (T, 0)->decision_made->decision;
    assert_int_equal (d->outcome, GRANTED);
    assert_int_equal (d->amount_fen, 100000);
    assert_int_equal (d->facts_date, 20191130);
    assert_string_equal (d->policy->jurisdiction, "45");
    bool months = false, earned = false;
    for (size_t i = 0; i < d->n_facts; i++) {
        months |= strcmp (d->facts[i]->name, "months_worked") == 0
                  && strcmp (d->facts[i]->value, "6") == 0;
        earned |= strcmp (d->facts[i]->name, "earned_fen") == 0
                  && strcmp (d->facts[i]->value, "720000") == 0;
    }
    assert_true (months && earned);
    /* more wages: no second award */
    assert_int_equal (adj_test_wage (T, gx, "E7", id, "GX1", 201912, 120000), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_MADE)), 0);
    /* a correction that clears two months (and a month outside the 12 at its date) makes the
       award wrong: revoked */
    assert_int_equal (adj_test_wage (T, gx, "E7", id, "GX1", 201906, 0), 0);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 1);
    assert_string_equal (adj_test_emitted (T, 0)->decision_revoked->decision->reason_codes[0],
                         "TOO_FEW_MONTHS_WORKED");
}

static void
test_most_specific_jurisdiction_wins (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    adj_data_msgs (&m);
    s_accept (QC, B (PUBLISH_POLICY), &m.publish);              /* Sichuan 51, from 2018 */
    assert_int_equal (adj_test_publish (T, QC, "510822-qingchuan-2019.json"), 0);
    assert_int_equal (adj_test_publish (T, QC, "000000-national-2021.json"), 0);
    Chejian__V1__GetPolicyInForce q = CHEJIAN__V1__GET_POLICY_IN_FORCE__INIT;
    q.rule = CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD;
    q.date = 20200601;
    const cj_ack_t *ack = adj_test_query (T, QC, B (GET_POLICY_IN_FORCE), &q);
    assert_int_equal (ack->policy_in_force->n_rules, 1);
    assert_string_equal (ack->policy_in_force->rules[0]->policy->jurisdiction, "510822");
    q.date = 20180601;                                          /* Qingchuan's not in force yet */
    ack = adj_test_query (T, QC, B (GET_POLICY_IN_FORCE), &q);
    assert_string_equal (ack->policy_in_force->rules[0]->policy->jurisdiction, "51");
    q.rule = CHEJIAN__V1__RULE_KIND__RULE_KIND_STARTUP_LOAN;
    q.date = 20210601;                                          /* the county's own loans rule */
    ack = adj_test_query (T, QC, B (GET_POLICY_IN_FORCE), &q);
    assert_string_equal (ack->policy_in_force->rules[0]->policy->jurisdiction, "510822");
    q.rule = 0;
    q.date = 20200601;
    ack = adj_test_query (T, QC, B (GET_POLICY_IN_FORCE), &q);
    assert_int_equal (ack->policy_in_force->n_rules, 4);        /* cert, award, loan, interest */
    /* a new version of the same id replaces it from its date; an older one is refused */
    m.policy.version = 2;
    m.award.award_per_laborer_fen = 80000;
    s_accept (QC, B (PUBLISH_POLICY), &m.publish);
    assert_int_equal (adj_test_emitted (T, 0)->policy_published->superseded_version, 1);
    s_accept (QC, B (PUBLISH_POLICY), &m.publish);              /* the same again: no-op */
    assert_int_equal (adj_test_nevents (T), 0);
    m.award.award_per_laborer_fen = 70000;
    s_refuse (QC, B (PUBLISH_POLICY), &m.publish, "publish_policy.policy.version", "CONFLICT");
    q.rule = CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD;
    q.date = 20180601;
    ack = adj_test_query (T, QC, B (GET_POLICY_IN_FORCE), &q);
    assert_int_equal (ack->policy_in_force->rules[0]->policy->version, 2);
    Chejian__V1__GetPolicy g = CHEJIAN__V1__GET_POLICY__INIT;
    g.policy_id = "51-sichuan-award";
    ack = adj_test_query (T, QC, B (GET_POLICY), &g);
    assert_int_equal (ack->policy->policy->version, 2);
    assert_int_equal (ack->policy->n_versions, 2);
}

static void
test_every_decision_explained (void **state)
{
    (void) state;
    s_qingchuan (3);
    s_top_up_awards (1000000);
    s_certify (QC, "W1", 20200601);
    char id[32];
    snprintf (id, sizeof id, "%s", adj_test_emitted (T, 1)->decision_made->decision->decision_id);
    Chejian__V1__ExplainDecision q = CHEJIAN__V1__EXPLAIN_DECISION__INIT;
    q.decision_id = id;
    const cj_ack_t *ack = adj_test_query (T, QC, B (EXPLAIN_DECISION), &q);
    assert_int_equal (ack->status, ACCEPTED);
    const Chejian__V1__DecisionExplanation *x = ack->decision_explanation;
    const Chejian__V1__Decision *d = x->decision;
    assert_string_equal (d->policy->policy_id, "510822-qingchuan-2019");
    assert_int_equal (d->policy->effective_from_date, 20190101);
    bool award = false, status = false, term = false;
    for (size_t i = 0; i < d->n_params; i++)
        if (strcmp (d->params[i]->name, "employment_award.award_per_laborer_fen") == 0) {
            award = strcmp (d->params[i]->value, "100000") == 0;
            assert_string_equal (d->params[i]->policy->jurisdiction, "510822");
        }
    for (size_t i = 0; i < d->n_facts; i++) {
        status |= strcmp (d->facts[i]->name, "poverty_status") == 0 && *d->facts[i]->source_event_id;
        term |= strcmp (d->facts[i]->name, "contract_term_months") == 0
                && strcmp (d->facts[i]->value, "12") == 0;
    }
    assert_true (award && status && term);
    assert_true (d->n_reasons >= 1);
    assert_int_equal (x->n_chain, 1);
    assert_int_equal (x->n_payments, 1);
    assert_non_null (strstr (x->summary, "510822-qingchuan-2019"));
    Chejian__V1__ListDecisions l = CHEJIAN__V1__LIST_DECISIONS__INIT;
    l.subject_case = CHEJIAN__V1__LIST_DECISIONS__SUBJECT_RESIDENT_ID;
    l.resident_id = s_ids[2];
    ack = adj_test_query (T, QC, B (LIST_DECISIONS), &l);
    assert_int_equal (ack->decisions->n_decisions, 1);
    l.subject_case = CHEJIAN__V1__LIST_DECISIONS__SUBJECT_WORKSHOP_ID;
    l.workshop_id = "W1";
    ack = adj_test_query (T, QC, B (LIST_DECISIONS), &l);
    assert_int_equal (ack->decisions->n_decisions, 4);
    /* by hand: revoking the certification takes its awards along */
    Chejian__V1__RevokeDecision rv = CHEJIAN__V1__REVOKE_DECISION__INIT;
    rv.decision_id = "dec-1";
    rv.reason = "审计发现认定材料不实";
    s_accept (QC, B (REVOKE_DECISION), &rv);
    assert_int_equal (adj_test_count (T, B (DECISION_REVOKED)), 4);
    s_refuse (QC, B (REVOKE_DECISION), &rv, "revoke_decision.decision_id", "CONFLICT");
    q.decision_id = "dec-1";
    ack = adj_test_query (T, QC, B (EXPLAIN_DECISION), &q);
    assert_int_equal (ack->decision_explanation->n_chain, 2);
}

static void
test_fengjie_checklist (void **state)
{
    (void) state;
    const char *fj = ADJ_DATA_FENGJIE;
    assert_int_equal (adj_test_publish (T, fj, "500236-fengjie-2018.json"), 0);
    assert_int_equal (adj_test_workshop (T, fj, "FJ1",
                                         CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE,
                                         20180501), 0);
    for (int i = 1; i <= 5; i++)
        s_hire (fj, "FJ1", 20 + i, 20180601, 12);
    Chejian__V1__RequestCertification r = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    r.workshop_id = "FJ1";
    r.as_of_date = 20181001;
    s_accept (fj, B (REQUEST_CERTIFICATION), &r);
    const Chejian__V1__Decision *d = adj_test_emitted (T, 0)->decision_made->decision;
    assert_int_equal (d->outcome, DENIED);
    assert_string_equal (d->reason_codes[0], "NO_CHECKLIST_RATING");
    Chejian__V1__RecordChecklistRating cr = CHEJIAN__V1__RECORD_CHECKLIST_RATING__INIT;
    cr.workshop_id = "FJ1";
    cr.rated_date = 20180915;
    cr.items_passed = 8;
    cr.items_total = 8;
    cr.grade = CHEJIAN__V1__CHECKLIST_GRADE__CHECKLIST_GRADE_GOOD;
    cr.assessor = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_HUMAN_RESOURCES;
    s_accept (fj, B (RECORD_CHECKLIST_RATING), &cr);
    assert_int_equal (adj_test_count (T, B (CHECKLIST_RECORDED)), 1);
    s_accept (fj, B (RECORD_CHECKLIST_RATING), &cr);             /* the same again: no-op */
    assert_int_equal (adj_test_nevents (T), 0);
    cr.grade = CHEJIAN__V1__CHECKLIST_GRADE__CHECKLIST_GRADE_FAIL;
    s_refuse (fj, B (RECORD_CHECKLIST_RATING), &cr, "record_checklist_rating.rated_date", "CONFLICT");
    s_accept (fj, B (REQUEST_CERTIFICATION), &r);
    d = adj_test_emitted (T, 0)->decision_made->decision;
    assert_int_equal (d->outcome, GRANTED);
    assert_int_equal (d->valid_until_date, 20200930);             /* 24 months */
    /* Fengjie has no fund open yet: the five awards wait for its first top-up */
    assert_int_equal (s_count (fj, CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD, WAITLISTED), 5);
}

static void
test_state_checks_change_nothing (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    adj_data_msgs (&m);
    s_refuse (QC, B (REQUEST_CERTIFICATION), &m.certify, "request_certification.workshop_id",
              "NOT_YET_KNOWN");
    s_refuse (QC, B (CONFIRM_PAYMENT), &m.confirm, "confirm_payment.instruction_id", "NOT_FOUND");
    s_refuse (QC, B (REVOKE_DECISION), &m.revoke, "revoke_decision.decision_id", "NOT_FOUND");
    s_refuse (QC, B (ALLOCATE_FUND), &m.allocate, "allocate_fund.fund_id", "NOT_FOUND");
    s_refuse (QC, B (RECORD_LOAN_DISBURSEMENT), &m.disbursement,
              "record_loan_disbursement.application_id", "NOT_FOUND");
    s_refuse (QC, B (RECORD_INTEREST_ACCRUAL), &m.interest, "record_interest_accrual.loan_id",
              "NOT_FOUND");
    s_top_up_awards (1000);
    m.top_up.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_OTHER_FISCAL;
    s_refuse (QC, B (TOP_UP_FUND), &m.top_up, "top_up_fund.source", "CONFLICT");
    m.top_up.fund_id = "second-employment-fund";
    m.top_up.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY;
    s_refuse (QC, B (TOP_UP_FUND), &m.top_up, "top_up_fund.fund_id", "CONFLICT");
    assert_int_equal (adj_test_workshop (T, QC, "W1", PARK, 20190301), 0);
    s_refuse (QC, B (ALLOCATE_FUND), &m.allocate, "allocate_fund.amount_fen", "CONFLICT");
    m.allocate.amount_fen = 1000;
    s_accept (QC, B (ALLOCATE_FUND), &m.allocate);
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 1);
    s_refuse (QC, B (ALLOCATE_FUND), &m.allocate, "allocate_fund.allocation_id", "CONFLICT");
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_qingchuan_certification_and_awards),
        S_TEST (test_empty_fund_waitlists_and_top_up_grants_in_order),
        S_TEST (test_replayed_facts_and_confirmations_pay_once),
        S_TEST (test_status_revoked_claws_back),
        S_TEST (test_ended_early_revokes_before_payment),
        S_TEST (test_failed_payment_reopens),
        S_TEST (test_guangxi_months_worked_from_wage_lines),
        S_TEST (test_most_specific_jurisdiction_wins),
        S_TEST (test_every_decision_explained),
        S_TEST (test_fengjie_checklist),
        S_TEST (test_state_checks_change_nothing),
    };
    return cmocka_run_group_tests_name ("unit.adjudicator_awards", tests, NULL, NULL);
}
