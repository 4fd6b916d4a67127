/*  test_adjudicator_loans.c - start-up loans and interest subsidies against the fixture's
 *  redis-server: caps by applicant kind (individual, partnership of N, enterprise) and term;
 *  one loan per person; disbursement checks; the interest subsidy of a period by each
 *  formula with the documented rounding; a period waitlisted while the fund is empty and
 *  granted (the same InterestSubsidyComputed, a new decision) at the top-up; GetLoan.  */
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
#define REJECTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define GRANTED  CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
#define DENIED   CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_DENIED
#define WAITLISTED CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_WAITLISTED
#define B(x)     CHEJIAN__V1__ENVELOPE__BODY_##x
#define KIND(x)  CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_##x

static adj_test_t *T;

static int
s_setup (void **state)
{
    (void) state;
    T = adj_test_new ();
    if (!T || adj_test_publish (T, QC, "510822-qingchuan-2019.json") != 0
        || adj_test_workshop (T, QC, "W1", CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK,
                              20190301) != 0)
        return -1;
    return 0;
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

/*  Applies with 'm' as set and returns the LoanDecided event.  */
static const Chejian__V1__LoanDecided *
s_apply (Chejian__V1__ApplyForLoan *loan)
{
    s_accept (B (APPLY_FOR_LOAN), loan);
    assert_int_equal (adj_test_emitted (T, 0)->body_case, B (LOAN_DECIDED));
    return adj_test_emitted (T, 0)->loan_decided;
}

static void
s_individual (adj_data_msgs_t *m, const char *app, int n, int64_t requested)
{
    adj_data_msgs (m);
    reg_data_resident_id (m->ids[0], 19800101, n);
    m->loan.application_id = (char *) app;
    m->loan.applicant_kind = KIND (INDIVIDUAL);
    m->loan.applicant_name = "";
    m->loan.partners_count = 0;
    m->loan.n_partner_resident_ids = 0;
    m->loan.requested_fen = requested;
}

static void
test_caps_by_applicant_kind (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    s_individual (&m, "I1", 1, 10000000);                 /* 100,000 of 150,000 */
    const Chejian__V1__LoanDecided *d = s_apply (&m.loan);
    assert_int_equal (d->decision->outcome, GRANTED);
    assert_int_equal (d->granted_fen, 10000000);
    assert_int_equal (d->cap_fen, 15000000);
    assert_memory_equal (d->applicant_resident_id_masked, "510822********", 14);
    s_individual (&m, "I2", 2, 20000000);                 /* 200,000: capped at 150,000 */
    d = s_apply (&m.loan);
    assert_int_equal (d->granted_fen, 15000000);
    assert_string_equal (d->decision->reason_codes[0], "GRANTED_UP_TO_CAP");
    adj_data_msgs (&m);                                    /* 3 partners: 450,000 */
    d = s_apply (&m.loan);
    assert_int_equal (d->cap_fen, 45000000);
    assert_int_equal (d->granted_fen, 45000000);
    assert_int_equal (d->n_partner_keys, 3);
    m.loan.application_id = "ENT1";                        /* an enterprise: 3,000,000 */
    m.loan.applicant_kind = KIND (ENTERPRISE);
    m.loan.applicant_resident_id = "";
    m.loan.applicant_uscc = "91510822MA62X0001B";
    m.loan.partners_count = 0;
    m.loan.n_partner_resident_ids = 0;
    m.loan.requested_fen = 400000000;
    assert_int_equal (adj_test_command (T, QC, B (APPLY_FOR_LOAN), &m.loan), REJECTED);
    assert_true (adj_test_has_problem (T, "apply_for_loan.applicant_uscc", "INVALID_CHECKSUM"));
    m.loan.applicant_uscc = "91350100M000100Y43";
    d = s_apply (&m.loan);
    assert_int_equal (d->granted_fen, 300000000);
    m.loan.application_id = "ENT2";                        /* 36 months > 24 for enterprises */
    m.loan.applicant_uscc = "91350100M000100Y43";
    m.loan.term_months = 36;
    d = s_apply (&m.loan);
    assert_int_equal (d->decision->outcome, DENIED);
    assert_string_equal (d->decision->reason_codes[0], "TERM_TOO_LONG");
}

static void
test_one_loan_per_person (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    adj_data_msgs (&m);
    assert_int_equal (s_apply (&m.loan)->decision->outcome, GRANTED);
    s_individual (&m, "I9", 901, 1000000);                /* partner 2 of APP1 on their own */
    const Chejian__V1__LoanDecided *d = s_apply (&m.loan);
    assert_int_equal (d->decision->outcome, DENIED);
    assert_string_equal (d->decision->reason_codes[0], "ALREADY_HOLDS_LOAN");
    assert_int_equal (adj_test_command (T, QC, B (APPLY_FOR_LOAN), &m.loan), REJECTED);
    assert_true (adj_test_has_problem (T, "apply_for_loan.application_id", "CONFLICT"));
    /* APP1 revoked by hand: the partners may borrow again */
    Chejian__V1__RevokeDecision rv = CHEJIAN__V1__REVOKE_DECISION__INIT;
    rv.decision_id = "dec-1";
    rv.reason = "贷款未用于车间";
    s_accept (B (REVOKE_DECISION), &rv);
    s_individual (&m, "I10", 901, 1000000);
    assert_int_equal (s_apply (&m.loan)->decision->outcome, GRANTED);
}

/*  APP1 granted and disbursed as loan L1; the interest fund topped up by 'fund'.  */
static void
s_disbursed (int64_t fund)
{
    adj_data_msgs_t m;
    adj_data_msgs (&m);
    s_accept (B (APPLY_FOR_LOAN), &m.loan);
    s_accept (B (RECORD_LOAN_DISBURSEMENT), &m.disbursement);
    assert_int_equal (adj_test_count (T, B (LOAN_DISBURSEMENT_RECORDED)), 1);
    if (fund) {
        Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
        t.fund_id = "510822-loan-interest";
        t.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_LOAN_INTEREST_SUBSIDY;
        t.amount_fen = fund;
        t.value_date = 20200101;
        s_accept (B (TOP_UP_FUND), &t);
    }
}

static void
test_disbursement_checks (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    s_disbursed (0);
    adj_data_msgs (&m);
    assert_int_equal (adj_test_command (T, QC, B (RECORD_LOAN_DISBURSEMENT), &m.disbursement),
                      REJECTED);
    assert_true (adj_test_has_problem (T, "record_loan_disbursement.loan_id", "CONFLICT"));
    s_individual (&m, "I1", 1, 10000000);
    s_accept (B (APPLY_FOR_LOAN), &m.loan);
    m.disbursement.loan_id = "L2";
    m.disbursement.application_id = "I1";
    m.disbursement.principal_fen = 10000001;
    m.disbursement.maturity_date = 20260101;
    m.disbursement.bank_code = "999";
    assert_int_equal (adj_test_command (T, QC, B (RECORD_LOAN_DISBURSEMENT), &m.disbursement),
                      REJECTED);
    assert_true (adj_test_has_problem (T, "record_loan_disbursement.principal_fen", "CONFLICT"));
    assert_true (adj_test_has_problem (T, "record_loan_disbursement.maturity_date", "CONFLICT"));
    assert_true (adj_test_has_problem (T, "record_loan_disbursement.bank_code", "CONFLICT"));
}

static void
test_interest_subsidy_per_period (void **state)
{
    (void) state;
    adj_data_msgs_t m;
    s_disbursed (10000000);
    adj_data_msgs (&m);
    /* Qingchuan pays all of the interest (share 10000 bp), rounded half up */
    s_accept (B (RECORD_INTEREST_ACCRUAL), &m.interest);
    const Chejian__V1__InterestSubsidyComputed *ev = adj_test_emitted (T, 0)->interest_subsidy_computed;
    assert_int_equal (ev->decision->outcome, GRANTED);
    assert_int_equal (ev->subsidy_fen, 493425);
    assert_int_equal (ev->borrower_pays_fen, 0);
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 1);
    const Chejian__V1__PaymentInstruction *in = adj_test_emitted (T, 2)->payment_instructed->instruction;
    assert_int_equal (in->payee->kind, CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_BANK);
    assert_string_equal (in->payee->bank_code, "313662000015");
    assert_int_equal (adj_test_command (T, QC, B (RECORD_INTEREST_ACCRUAL), &m.interest), REJECTED);
    assert_true (adj_test_has_problem (T, "record_interest_accrual.period_start_date", "CONFLICT"));
    /* an overdue period gets none */
    m.interest.period_start_date = 20200615;
    m.interest.period_end_date = 20200914;
    m.interest.overdue = true;
    s_accept (B (RECORD_INTEREST_ACCRUAL), &m.interest);
    ev = adj_test_emitted (T, 0)->interest_subsidy_computed;
    assert_int_equal (ev->decision->outcome, DENIED);
    assert_string_equal (ev->decision->reason_codes[0], "OVERDUE");
    Chejian__V1__GetLoan g = CHEJIAN__V1__GET_LOAN__INIT;
    g.key_case = CHEJIAN__V1__GET_LOAN__KEY_LOAN_ID;
    g.loan_id = "L1";
    const cj_ack_t *ack = adj_test_query (T, QC, B (GET_LOAN), &g);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->loan->state, CHEJIAN__V1__LOAN_STATE__LOAN_STATE_DISBURSED);
    assert_int_equal (ack->loan->n_periods, 2);
    assert_int_equal (ack->loan->subsidy_total_fen, 493425);
}

static void
test_national_formula_and_waitlisted_period (void **state)
{
    (void) state;
    /* a county of Guangyuan with no policy of its own: the national default from 2021 */
    const char *cz = "510802";
    adj_data_msgs_t m;
    assert_int_equal (adj_test_publish (T, cz, "000000-national-2021.json"), 0);
    s_individual (&m, "N1", 5, 30000000);
    m.loan.workshop_id = "";
    m.loan.application_date = 20210301;
    if (adj_test_command (T, cz, B (APPLY_FOR_LOAN), &m.loan) != ACCEPTED) {
        char text[512];
        cj_problems_format (adj_test_problems (T), text, sizeof text);
        fail_msg ("refused: %s", text);
    }
    const Chejian__V1__LoanDecided *d = adj_test_emitted (T, 0)->loan_decided;
    assert_int_equal (d->granted_fen, 20000000);           /* national individual cap */
    assert_string_equal (d->decision->policy->jurisdiction, "000000");
    m.disbursement.application_id = "N1";
    m.disbursement.principal_fen = 20000000;
    m.disbursement.disbursed_date = 20210315;
    m.disbursement.maturity_date = 20230314;
    assert_int_equal (adj_test_command (T, cz, B (RECORD_LOAN_DISBURSEMENT), &m.disbursement),
                      ACCEPTED);
    /* 12345 fen at 435 bp: public part (435 - 235) of 435 = 5675.86 -> 5676 (half up) */
    m.interest.period_start_date = 20210315;
    m.interest.period_end_date = 20210614;
    m.interest.interest_fen = 12345;
    assert_int_equal (adj_test_command (T, cz, B (RECORD_INTEREST_ACCRUAL), &m.interest), ACCEPTED);
    const Chejian__V1__InterestSubsidyComputed *ev =
        adj_test_emitted (T, 0)->interest_subsidy_computed;
    assert_int_equal (ev->subsidy_fen, 5676);
    assert_int_equal (ev->borrower_rate_bp, 235);
    assert_int_equal (ev->reference_rate_bp, 385);
    assert_int_equal (ev->decision->outcome, WAITLISTED);          /* no fund yet */
    Chejian__V1__TopUpFund t = CHEJIAN__V1__TOP_UP_FUND__INIT;
    t.fund_id = "510802-interest";
    t.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_LOAN_INTEREST_SUBSIDY;
    t.amount_fen = 100000;
    t.value_date = 20210620;
    assert_int_equal (adj_test_command (T, cz, B (TOP_UP_FUND), &t), ACCEPTED);
    assert_int_equal (adj_test_count (T, B (INTEREST_SUBSIDY_COMPUTED)), 1);
    const cj_envelope_t *again = NULL;
    for (size_t i = 0; i < adj_test_nevents (T); i++)
        if (adj_test_emitted (T, i)->body_case == B (INTEREST_SUBSIDY_COMPUTED))
            again = adj_test_emitted (T, i);
    assert_int_equal (again->interest_subsidy_computed->decision->outcome, GRANTED);
    assert_int_equal (again->interest_subsidy_computed->subsidy_fen, 5676);
    assert_string_equal (again->interest_subsidy_computed->loan_id, "L1");
    assert_int_equal (adj_test_count (T, B (PAYMENT_INSTRUCTED)), 1);
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_caps_by_applicant_kind),
        S_TEST (test_one_loan_per_person),
        S_TEST (test_disbursement_checks),
        S_TEST (test_interest_subsidy_per_period),
        S_TEST (test_national_formula_and_waitlisted_period),
    };
    return cmocka_run_group_tests_name ("unit.adjudicator_loans", tests, NULL, NULL);
}
