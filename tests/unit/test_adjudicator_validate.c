/*  test_adjudicator_validate.c - the adjudicator without Redis: every shipped policy file
 *  loads through the generic JSON converter and passes the PublishPolicy validator; every
 *  valid message passes its validator; every case of the bad-message catalogue is refused
 *  with its field and code; the arithmetic (rounding, both interest formulas, loan caps,
 *  ages, dates in China) against hand-computed figures.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "adjudicator.h"
#include "adjudicator_internal.h"
#include "adjudicator_test_ctx.h"
#include "adjudicator_test_data.h"

#define HALF_UP   CHEJIAN__V1__ROUNDING_RULE__ROUNDING_RULE_HALF_UP
#define DOWN      CHEJIAN__V1__ROUNDING_RULE__ROUNDING_RULE_DOWN
#define HALF_EVEN CHEJIAN__V1__ROUNDING_RULE__ROUNDING_RULE_HALF_EVEN

/*  Runs the validator of 'body_case' on 'body' in a Qingchuan envelope.  */
static int
s_validate (int body_case, const void *body, cj_problems_t *p)
{
    cj_envelope_t env;
    adj_test_fill (&env, ADJ_DATA_QINGCHUAN, body_case, body);
    cj_problems_init (p);
    const cj_handler_t *h = adjudicator_handler (body_case);
    assert_non_null (h);
    assert_non_null (h->validate);
    return h->validate (&env, p);
}

static int
s_has (const cj_problems_t *p, const char *field, const char *code)
{
    return cj_problems_has (p, field, code);
}

static void
test_shipped_policies_load_and_validate (void **state)
{
    (void) state;
    size_t n = 0;
    for (const char *const *f = adj_data_policy_files; *f; f++, n++) {
        cj_problems_t p;
        char text[512];
        cj_problems_init (&p);
        Chejian__V1__PublishPolicy *pp = adj_data_load_policy (*f, &p);
        cj_problems_format (&p, text, sizeof text);
        if (!pp)
            fail_msg ("%s does not load: %s", *f, text);
        cj_problems_init (&p);
        const char *j = pp->policy->jurisdiction;
        const char *county = strcmp (j, "000000") == 0 ? "510822"
                           : strcmp (j, "50") == 0 ? "500236"
                           : strcmp (j, "45") == 0 ? ADJ_DATA_GUANGXI : j;
        assert_int_equal (adj_check_policy (&p, pp->policy, county), 0);
        protobuf_c_message_free_unpacked (&pp->base, NULL);
    }
    assert_true (n >= 6);
}

static void
test_valid_messages_pass (void **state)
{
    (void) state;
    static const int bodies[] = {
        CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY, CHEJIAN__V1__ENVELOPE__BODY_TOP_UP_FUND,
        CHEJIAN__V1__ENVELOPE__BODY_ALLOCATE_FUND, CHEJIAN__V1__ENVELOPE__BODY_APPLY_FOR_LOAN,
        CHEJIAN__V1__ENVELOPE__BODY_RECORD_LOAN_DISBURSEMENT,
        CHEJIAN__V1__ENVELOPE__BODY_RECORD_INTEREST_ACCRUAL,
        CHEJIAN__V1__ENVELOPE__BODY_RECORD_CHECKLIST_RATING,
        CHEJIAN__V1__ENVELOPE__BODY_CONFIRM_PAYMENT,
        CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION,
        CHEJIAN__V1__ENVELOPE__BODY_REQUEST_ANNUAL_REWARD,
        CHEJIAN__V1__ENVELOPE__BODY_REVOKE_DECISION, CHEJIAN__V1__ENVELOPE__BODY_LIST_DECISIONS,
        CHEJIAN__V1__ENVELOPE__BODY_GET_LOAN,
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        adj_data_msgs_t m;
        cj_problems_t p;
        char text[512];
        adj_data_msgs (&m);
        int rc = s_validate (bodies[i], adj_data_body (&m, bodies[i]), &p);
        cj_problems_format (&p, text, sizeof text);
        if (rc != 0)
            fail_msg ("body %d: %s", bodies[i], text);
    }
}

static void
test_bad_message_catalogue (void **state)
{
    (void) state;
    assert_true (adj_data_ncases >= 25);
    for (size_t i = 0; i < adj_data_ncases; i++) {
        const adj_data_case_t *c = &adj_data_cases[i];
        adj_data_msgs_t m;
        cj_problems_t p;
        char text[512];
        adj_data_msgs (&m);
        c->spoil (&m);
        assert_int_equal (s_validate (c->body_case, adj_data_body (&m, c->body_case), &p), -1);
        cj_problems_format (&p, text, sizeof text);
        if (!s_has (&p, c->field, c->code))
            fail_msg ("%s: expected %s %s, got %s", c->name, c->field, c->code, text);
    }
}

static void
test_rounding (void **state)
{
    (void) state;
    /* 25 / 10 = 2.5; 35 / 10 = 3.5; 24 / 10 = 2.4; 26 / 10 = 2.6 */
    assert_int_equal (adj_round_div (25, 10, HALF_UP), 3);
    assert_int_equal (adj_round_div (25, 10, DOWN), 2);
    assert_int_equal (adj_round_div (25, 10, HALF_EVEN), 2);
    assert_int_equal (adj_round_div (35, 10, HALF_EVEN), 4);
    assert_int_equal (adj_round_div (24, 10, HALF_UP), 2);
    assert_int_equal (adj_round_div (26, 10, HALF_EVEN), 3);
    assert_int_equal (adj_round_div (26, 10, DOWN), 2);
    assert_int_equal (adj_round_div (0, 7, HALF_UP), 0);
}

static void
test_interest_formulas (void **state)
{
    (void) state;
    Chejian__V1__InterestSubsidyParams ip = CHEJIAN__V1__INTEREST_SUBSIDY_PARAMS__INIT;
    uint32_t borrower, ref;
    ip.formula = CHEJIAN__V1__INTEREST_FORMULA__INTEREST_FORMULA_SHARE_OF_INTEREST;
    ip.share_bp = 5000;
    ip.rounding = HALF_UP;
    /* half of 12345 fen = 6172.5 -> 6173 (half up), 6172 (down or half even) */
    assert_int_equal (adj_interest_subsidy (&ip, 12345, 435, 0, &borrower, &ref), 6173);
    ip.rounding = DOWN;
    assert_int_equal (adj_interest_subsidy (&ip, 12345, 435, 0, &borrower, &ref), 6172);
    ip.rounding = HALF_EVEN;
    assert_int_equal (adj_interest_subsidy (&ip, 12345, 435, 0, &borrower, &ref), 6172);
    /* LPR 385, margin 150, cap 50: rate 435 -> r = min(435, 435) = 435, b = 235,
       public 200 bp of 435: 100000 * 200 / 435 = 45977.01 -> 45977 */
    ip.formula = CHEJIAN__V1__INTEREST_FORMULA__INTEREST_FORMULA_ABOVE_REFERENCE_MINUS_MARGIN;
    ip.reference_rate_bp = 385;
    ip.margin_bp = 150;
    ip.max_rate_over_reference_bp = 50;
    ip.rounding = HALF_UP;
    assert_int_equal (adj_interest_subsidy (&ip, 100000, 435, 0, &borrower, &ref), 45977);
    assert_int_equal (borrower, 235);
    assert_int_equal (ref, 385);
    /* rate 600 above LPR + 50: r = 435, public 200 of 600: 100000 / 3 = 33333.3 -> 33333;
       the borrower bears 400 bp */
    assert_int_equal (adj_interest_subsidy (&ip, 100000, 600, 0, &borrower, &ref), 33333);
    assert_int_equal (borrower, 400);
    /* the loan's own reference (365): b = 215, r = 415, public 200 of 435 */
    assert_int_equal (adj_interest_subsidy (&ip, 100000, 435, 365, &borrower, &ref), 45977);
    assert_int_equal (ref, 365);
    /* a rate below reference - margin: nothing */
    assert_int_equal (adj_interest_subsidy (&ip, 100000, 200, 0, &borrower, &ref), 0);
}

static void
test_loan_caps (void **state)
{
    (void) state;
    Chejian__V1__LoanTerms t = CHEJIAN__V1__LOAN_TERMS__INIT;
    t.applicant_kind = CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP;
    t.per_partner_cap_fen = 15000000;
    t.cap_fen = 100000000;
    assert_int_equal (adj_loan_cap (&t, 3), 45000000);       /* 3 x 150,000 yuan */
    assert_int_equal (adj_loan_cap (&t, 8), 100000000);      /* capped at 1,000,000 yuan */
    t.cap_fen = 0;
    t.partner_bonus_bp = 1000;                               /* +10 % */
    assert_int_equal (adj_loan_cap (&t, 3), 49500000);
    t.applicant_kind = CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE;
    t.cap_fen = 300000000;
    assert_int_equal (adj_loan_cap (&t, 0), 300000000);
}

static void
test_dates (void **state)
{
    (void) state;
    assert_int_equal (adj_age_on (198503, 20200301), 35);
    assert_int_equal (adj_age_on (198503, 20200228), 34);
    assert_int_equal (adj_age_on (0, 20200228), -1);
    assert_int_equal (adj_period_last_day (202002), 20200229);
    assert_int_equal (adj_day_before (20200301), 20200229);
    /* 2020-06-30 16:00 UTC is 2020-07-01 in China */
    assert_int_equal (adj_date_of_ms (1593532800000LL), 20200701);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_shipped_policies_load_and_validate),
        cmocka_unit_test (test_valid_messages_pass),
        cmocka_unit_test (test_bad_message_catalogue),
        cmocka_unit_test (test_rounding),
        cmocka_unit_test (test_interest_formulas),
        cmocka_unit_test (test_loan_caps),
        cmocka_unit_test (test_dates),
    };
    return cmocka_run_group_tests_name ("unit.adjudicator_validate", tests, NULL, NULL);
}
