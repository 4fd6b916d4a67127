/*  test_payroll_check.c - validation of payroll commands and queries: every rule, each bad
 *  message refused with the expected field path and code, good ones accepted. No state.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "payroll_harness.h"

static ph_t *H;
static char R1[19], R2[19];

static int
s_setup (void **state)
{
    (void) state;
    H = ph_new ();
    ph_resident_id (1, R1);
    ph_resident_id (2, R2);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    ph_destroy (&H);
    return 0;
}

static cj_problems_t P;

/*  Validates 'env' with 'fn' and expects exactly the problem (field, code), or none when
 *  'field' is NULL.  */
static void
s_expect (cj_validate_fn *fn, const cj_envelope_t *env, const char *field, const char *code)
{
    cj_problems_init (&P);
    int rc = fn (env, &P);
    char text[1024];
    cj_problems_format (&P, text, sizeof text);
    if (!field) {
        if (rc != 0)
            fail_msg ("expected no problem, got: %s", text);
        return;
    }
    assert_int_equal (rc, -1);
    for (size_t i = 0; i < P.count; i++)
        if (strcmp (P.items[i].field, field) == 0 && strcmp (P.items[i].code, code) == 0)
            return;
    fail_msg ("expected %s %s, got: %s", field, code, text);
}

static cj_envelope_t *
s_report (const ph_line_t *lines, size_t n)
{
    return ph_wage_report (H, "510822", "W1", 202001, 0, lines, n);
}

static void
test_good_report (void **state)
{
    (void) state;
    ph_line_t lines[] = { { R1, "E1", 300000, 0, 0, 0, 0 },
                          { R2, "E2", 17500, PAY_PIECE_RATE, 500, 35000, PAY_SITE_HOME } };
    s_expect (pay_validate_wage_report, s_report (lines, 2), NULL, NULL);
}

static void
test_line_problems_name_the_line (void **state)
{
    (void) state;
    ph_line_t bad_id[] = { { R1, "E1", 1, 0, 0, 0, 0 }, { "510822198001010010", "E2", 1, 0, 0, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (bad_id, 2),
              "submit_wage_report.lines[1].resident_id", CJ_E_INVALID_CHECKSUM);
    ph_line_t no_emp[] = { { R1, "", 1, 0, 0, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (no_emp, 1),
              "submit_wage_report.lines[0].employment_id", CJ_E_REQUIRED);
    ph_line_t neg[] = { { R1, "E1", -5, 0, 0, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (neg, 1),
              "submit_wage_report.lines[0].gross_fen", CJ_E_OUT_OF_RANGE);
    ph_line_t huge[] = { { R1, "E1", 100000001, 0, 0, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (huge, 1),
              "submit_wage_report.lines[0].gross_fen", CJ_E_OUT_OF_RANGE);
}

static void
test_piece_rate_rounding (void **state)
{
    (void) state;
    /* 333 pieces x 0.35 yuan = 116.55 yuan: 11655 fen exactly */
    ph_line_t exact[] = { { R1, "E1", 11655, PAY_PIECE_RATE, 333, 35000, 0 } };
    s_expect (pay_validate_wage_report, s_report (exact, 1), NULL, NULL);
    /* 7 pieces x 0.1235 yuan = 86.45 fen: 86 (down) and 87 (half up) both accepted */
    ph_line_t down[] = { { R1, "E1", 86, PAY_PIECE_RATE, 7, 12350, 0 } };
    ph_line_t up[] = { { R1, "E1", 87, PAY_PIECE_RATE, 7, 12350, 0 } };
    ph_line_t off[] = { { R1, "E1", 88, PAY_PIECE_RATE, 7, 12350, 0 } };
    s_expect (pay_validate_wage_report, s_report (down, 1), NULL, NULL);
    s_expect (pay_validate_wage_report, s_report (up, 1), NULL, NULL);
    s_expect (pay_validate_wage_report, s_report (off, 1),
              "submit_wage_report.lines[0].gross_fen", CJ_E_OUT_OF_RANGE);
    ph_line_t no_rate[] = { { R1, "E1", 0, PAY_PIECE_RATE, 10, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (no_rate, 1),
              "submit_wage_report.lines[0].unit_rate_millifen", CJ_E_OUT_OF_RANGE);
    ph_line_t many[] = { { R1, "E1", 0, PAY_PIECE_RATE, 10000001, 1, 0 } };
    s_expect (pay_validate_wage_report, s_report (many, 1),
              "submit_wage_report.lines[0].pieces", CJ_E_OUT_OF_RANGE);
}

static void
test_monthly_lines (void **state)
{
    (void) state;
    ph_line_t pieces[] = { { R1, "E1", 300000, PAY_MONTHLY, 3, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (pieces, 1),
              "submit_wage_report.lines[0].pieces", CJ_E_OUT_OF_RANGE);
    cj_envelope_t *env = s_report ((ph_line_t[]) { { R1, "E1", 300000, 0, 0, 0, 0 } }, 1);
    env->submit_wage_report->lines[0]->days_worked = 0;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.lines[0].days_worked",
              CJ_E_REQUIRED);
    env->submit_wage_report->period = 202002;        /* 29 days in February 2020 */
    env->submit_wage_report->lines[0]->days_worked = 30;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.lines[0].days_worked",
              CJ_E_OUT_OF_RANGE);
    env->submit_wage_report->lines[0]->days_worked = 29;
    s_expect (pay_validate_wage_report, env, NULL, NULL);
    env->submit_wage_report->lines[0]->pay_basis = 7;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.lines[0].pay_basis",
              CJ_E_UNKNOWN_ENUM);
    env->submit_wage_report->lines[0]->pay_basis = PAY_MONTHLY;
    env->submit_wage_report->lines[0]->work_site = 0;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.lines[0].work_site",
              CJ_E_REQUIRED);
}

static void
test_report_header (void **state)
{
    (void) state;
    ph_line_t one[] = { { R1, "E1", 300000, 0, 0, 0, 0 } };
    cj_envelope_t *env = s_report (one, 1);
    Chejian__V1__SubmitWageReport *r = env->submit_wage_report;
    r->period = 219901;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.period", CJ_E_OUT_OF_RANGE);
    r->period = 202013;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.period", CJ_E_INVALID_PERIOD);
    r->period = 199912;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.period", CJ_E_OUT_OF_RANGE);
    r->period = 202001;
    r->workshop_id = "W 1";
    s_expect (pay_validate_wage_report, env, "submit_wage_report.workshop_id",
              CJ_E_INVALID_FORMAT);
    r->workshop_id = "W1";
    r->total_gross_fen = 300001;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.total_gross_fen",
              CJ_E_OUT_OF_RANGE);
    r->total_gross_fen = 300000;
    r->paid_date = 20191231;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.paid_date", CJ_E_OUT_OF_RANGE);
    r->paid_date = 20200230;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.paid_date", CJ_E_INVALID_DATE);
    r->paid_date = 20200210;
    s_expect (pay_validate_wage_report, env, NULL, NULL);
}

static void
test_worker_at_most_once (void **state)
{
    (void) state;
    ph_line_t twice[] = { { R1, "E1", 1, 0, 0, 0, 0 }, { R2, "E2", 1, 0, 0, 0, 0 },
                          { R1, "E3", 1, 0, 0, 0, 0 } };
    s_expect (pay_validate_wage_report, s_report (twice, 3),
              "submit_wage_report.lines[2].resident_id", CJ_E_CONFLICT);
}

static void
test_too_many_lines (void **state)
{
    (void) state;
    cj_envelope_t *env = s_report ((ph_line_t[]) { { R1, "E1", 1, 0, 0, 0, 0 } }, 1);
    Chejian__V1__SubmitWageReport *r = env->submit_wage_report;
    Chejian__V1__WageLine **one = r->lines;
    Chejian__V1__WageLine **many = calloc (PAY_LINES_MAX + 1, sizeof *many);
    for (size_t i = 0; i <= PAY_LINES_MAX; i++)
        many[i] = one[0];
    r->lines = many;
    r->n_lines = PAY_LINES_MAX + 1;
    s_expect (pay_validate_wage_report, env, "submit_wage_report.lines", CJ_E_TOO_MANY);
    r->lines = one;
    r->n_lines = 1;
    free (many);
}

static void
test_payment_and_output (void **state)
{
    (void) state;
    cj_envelope_t *pay = ph_payment (H, "510822", "S1", 2020, PAY_DIVIDEND, 100000);
    s_expect (pay_validate_shareholder_payment, pay, NULL, NULL);
    pay->record_shareholder_payment->kind = 0;
    s_expect (pay_validate_shareholder_payment, pay, "record_shareholder_payment.kind",
              CJ_E_REQUIRED);
    pay->record_shareholder_payment->kind = PAY_GUARANTEED;
    pay->record_shareholder_payment->year = 2199;
    s_expect (pay_validate_shareholder_payment, pay, "record_shareholder_payment.year",
              CJ_E_OUT_OF_RANGE);
    pay->record_shareholder_payment->year = 2020;
    pay->record_shareholder_payment->paid_date = 0;
    s_expect (pay_validate_shareholder_payment, pay, "record_shareholder_payment.paid_date",
              CJ_E_REQUIRED);
    cj_envelope_t *out = ph_output (H, "510822", "W1", 202001, 202012, 1000);
    s_expect (pay_validate_output_report, out, NULL, NULL);
    out->submit_output_report->last_period = 202101;
    s_expect (pay_validate_output_report, out, "submit_output_report.last_period",
              CJ_E_OUT_OF_RANGE);
    out->submit_output_report->last_period = 202003;
    out->submit_output_report->output_value_fen = -1;
    s_expect (pay_validate_output_report, out, "submit_output_report.output_value_fen",
              CJ_E_OUT_OF_RANGE);
}

static void
test_queries (void **state)
{
    (void) state;
    Chejian__V1__GetWorkerIncome wi = CHEJIAN__V1__GET_WORKER_INCOME__INIT;
    wi.resident_id = R1;
    wi.from_period = 201001;
    wi.to_period = 202012;
    cj_envelope_t *env = ph_envelope (H, "510822", CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER_INCOME,
                                      &wi);
    s_expect (pay_validate_worker_income, env, "get_worker_income.to_period",
              CJ_E_OUT_OF_RANGE);
    wi.from_period = 202101;
    s_expect (pay_validate_worker_income, env, "get_worker_income.from_period",
              CJ_E_OUT_OF_RANGE);
    wi.from_period = 201101;
    s_expect (pay_validate_worker_income, env, NULL, NULL);
    Chejian__V1__GetCountyIncomeSummary cs = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    env = ph_envelope (H, "510822", CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY, &cs);
    s_expect (pay_validate_county_summary, env, "get_county_income_summary.scope",
              CJ_E_REQUIRED);
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 501;
    Chejian__V1__GetWageReport wr = CHEJIAN__V1__GET_WAGE_REPORT__INIT;
    wr.workshop_id = "W1";
    wr.period = 202001;
    wr.page = &page;
    env = ph_envelope (H, "510822", CHEJIAN__V1__ENVELOPE__BODY_GET_WAGE_REPORT, &wr);
    s_expect (pay_validate_wage_report_query, env, "get_wage_report.page.page_size",
              CJ_E_OUT_OF_RANGE);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_good_report),
        cmocka_unit_test (test_line_problems_name_the_line),
        cmocka_unit_test (test_piece_rate_rounding),
        cmocka_unit_test (test_monthly_lines),
        cmocka_unit_test (test_report_header),
        cmocka_unit_test (test_worker_at_most_once),
        cmocka_unit_test (test_too_many_lines),
        cmocka_unit_test (test_payment_and_output),
        cmocka_unit_test (test_queries),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
