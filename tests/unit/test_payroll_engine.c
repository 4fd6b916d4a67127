/*  test_payroll_engine.c - the payroll core through its I/O seam (an in-memory store, turns
 *  committed as the runtime commits them): facts from registry events, wage reports and
 *  corrections moving every aggregate by the difference, the events they emit, NOT_YET_KNOWN
 *  until the registry's event arrives, revisions, employment checks, a retroactive status
 *  change, the income increase, shareholder payments, output reports, a restart that reloads
 *  everything, and the store being unavailable.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "payroll_harness.h"

#define C       "510822"
#define POOR    CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
#define NOTREG  CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_NOT_REGISTERED
#define REVOKED CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED
#define PARK    CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK
#define ACCEPTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define REJECTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define UNAVAILABLE CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE

static ph_t *H;
static char A[19], B[19], D[19], E[19];

/*  Workshop W1 (park, open since 2019), workers A and D registered-poor (A with a 2018
 *  baseline of 5,000 yuan), B not registered poor; employments EA, EB, ED in W1 from
 *  2019-03-01.  */
static int
s_setup (void **state)
{
    (void) state;
    H = ph_new ();
    ph_resident_id (11, A);
    ph_resident_id (12, B);
    ph_resident_id (13, D);
    ph_resident_id (14, E);
    ph_event (H, ph_workshop_registered (H, C, "W1", PARK, 20190101, 1));
    ph_event (H, ph_worker_registered (H, C, A, POOR, 20180101, 500000, 2018));
    ph_event (H, ph_worker_registered (H, C, B, NOTREG, 20180101, 0, 0));
    ph_event (H, ph_worker_registered (H, C, D, POOR, 20180101, 300000, 2018));
    ph_event (H, ph_employment_started (H, C, "EA", A, "W1", 20190301));
    ph_event (H, ph_employment_started (H, C, "EB", B, "W1", 20190301));
    ph_event (H, ph_employment_started (H, C, "ED", D, "W1", 20190301));
    assert_int_equal (ph_commit (H), 0);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    ph_destroy (&H);
    return 0;
}

static int
s_do (cj_envelope_t *env)
{
    int status = ph_command (H, env);
    if (status == ACCEPTED)
        assert_int_equal (ph_commit (H), 0);
    return status;
}

static Chejian__V1__CountyIncomeSummary *
s_county (int32_t period, int32_t year)
{
    static cj_ack_t ack;
    Chejian__V1__GetCountyIncomeSummary *q = calloc (1, sizeof *q);
    chejian__v1__get_county_income_summary__init (q);
    q->scope_case = year ? CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR
                         : CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
    if (year)
        q->year = year;
    else
        q->period = period;
    cj_envelope_t *env = ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY, q);
    assert_int_equal (ph_query (H, env, &ack), 0);
    free (q);
    return ack.county_income_summary;
}

static Chejian__V1__WorkshopPayrollMonth *
s_workshop_month (const char *workshop, int32_t period)
{
    static cj_ack_t ack;
    Chejian__V1__GetWorkshopPayroll q = CHEJIAN__V1__GET_WORKSHOP_PAYROLL__INIT;
    q.workshop_id = (char *) workshop;
    q.from_period = q.to_period = period;
    assert_int_equal (ph_query (H, ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP_PAYROLL, &q),
                                &ack), 0);
    assert_int_equal (ack.workshop_payroll->n_months, 1);
    return ack.workshop_payroll->months[0];
}

static Chejian__V1__WorkerIncome *
s_worker (const char *rid, int32_t from, int32_t to)
{
    static cj_ack_t ack;
    Chejian__V1__GetWorkerIncome q = CHEJIAN__V1__GET_WORKER_INCOME__INIT;
    q.resident_id = (char *) rid;
    q.from_period = from;
    q.to_period = to;
    assert_int_equal (ph_query (H, ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER_INCOME, &q),
                                &ack), 0);
    return ack.worker_income;
}

static const Chejian__V1__WageLineApplied *
s_line_event (size_t from_end)
{
    const cj_envelope_t *ev = ph_event_at (H, ph_events (H) - 1 - from_end);
    assert_int_equal (ev->body_case, CHEJIAN__V1__ENVELOPE__BODY_WAGE_LINE_APPLIED);
    return ev->wage_line_applied;
}

static void
test_report_then_correction (void **state)
{
    (void) state;
    size_t before = ph_events (H);
    ph_line_t r1[] = { { A, "EA", 300000, 0, 0, 0, 0 }, { B, "EB", 200000, 0, 0, 0, 0 },
                       { D, "ED", 150000, PAY_PIECE_RATE, 3000, 50000, PAY_SITE_HOME } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202001, 0, r1, 3)), ACCEPTED);
    assert_int_equal (ph_events (H), before + 3);
    assert_int_equal (s_line_event (2)->gross_fen, 300000);
    assert_int_equal (s_line_event (2)->delta_fen, 300000);
    assert_int_equal (s_line_event (2)->revision, 1);
    Chejian__V1__CountyIncomeSummary *cm = s_county (202001, 0);
    assert_int_equal (cm->total_wages_fen, 650000);
    assert_int_equal (cm->paid_headcount, 3);
    assert_int_equal (cm->poor_paid_headcount, 2);
    assert_int_equal (cm->poor_wages_fen, 450000);
    assert_int_equal (cm->workshops_paying, 1);
    assert_int_equal (cm->average_monthly_wage_fen, 216667);
    Chejian__V1__WorkshopPayrollMonth *wm = s_workshop_month ("W1", 202001);
    assert_int_equal (wm->revision, 1);
    assert_int_equal (wm->piece_rate_headcount, 1);
    assert_int_equal (wm->home_headcount, 1);

    /* correction: A raised, B dropped, D unchanged */
    before = ph_events (H);
    ph_line_t r2[] = { { A, "EA", 310000, 0, 0, 0, 0 },
                       { D, "ED", 150000, PAY_PIECE_RATE, 3000, 50000, PAY_SITE_HOME } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202001, 0, r2, 2)), ACCEPTED);
    assert_int_equal (ph_events (H), before + 3);
    assert_int_equal (s_line_event (2)->delta_fen, 10000);
    assert_true (s_line_event (1)->removed);
    assert_int_equal (s_line_event (1)->delta_fen, -200000);
    assert_int_equal (s_line_event (1)->revision, 2);
    const Chejian__V1__WageReportCorrected *c = ph_event_at (H, ph_events (H) - 1)->wage_report_corrected;
    assert_int_equal (c->revision_before, 1);
    assert_int_equal (c->revision_after, 2);
    assert_int_equal (c->lines_before, 3);
    assert_int_equal (c->lines_after, 2);
    assert_int_equal (c->lines_changed, 1);
    assert_int_equal (c->lines_removed, 1);
    assert_int_equal (c->delta_fen, -190000);
    cm = s_county (202001, 0);
    assert_int_equal (cm->total_wages_fen, 460000);
    assert_int_equal (cm->paid_headcount, 2);
    assert_int_equal (cm->poor_paid_headcount, 2);
    assert_int_equal (s_workshop_month ("W1", 202001)->total_wages_fen, 460000);
    Chejian__V1__WorkerIncome *b = s_worker (B, 202001, 202001);
    assert_int_equal (b->n_months, 0);
    assert_int_equal (b->years[0]->wages_fen, 0);
    Chejian__V1__WorkerIncome *a = s_worker (A, 202001, 202001);
    assert_int_equal (a->n_months, 1);
    assert_int_equal (a->months[0]->wages_fen, 310000);
    assert_int_equal (a->months[0]->lines[0]->revision, 2);
}

static void
test_duplicate_lines_and_revisions (void **state)
{
    (void) state;
    ph_line_t r[] = { { A, "EA", 100000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202002, 5, r, 1)), ACCEPTED);
    assert_int_equal (s_workshop_month ("W1", 202002)->revision, 5);
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202002, 5, r, 1)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.revision", CJ_E_CONFLICT));
    size_t before = ph_events (H);
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202002, 0, r, 1)), ACCEPTED);
    assert_int_equal (s_workshop_month ("W1", 202002)->revision, 6);
    /* nothing changed: no line event, only the correction */
    assert_int_equal (ph_events (H), before + 1);
    assert_int_equal (s_county (202002, 0)->total_wages_fen, 100000);
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202003, 0, NULL, 0)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.lines", CJ_E_REQUIRED));
}

static void
test_not_yet_known_then_accepted (void **state)
{
    (void) state;
    ph_line_t r[] = { { A, "EA", 100000, 0, 0, 0, 0 }, { E, "EE", 120000, 0, 0, 0, 0 } };
    cj_envelope_t *env = ph_wage_report (H, C, "W1", 202004, 0, r, 2);
    assert_int_equal (s_do (env), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.lines[1].resident_id", CJ_E_NOT_YET_KNOWN));
    assert_true (ph_has_problem (H, "submit_wage_report.lines[1].employment_id", CJ_E_NOT_YET_KNOWN));
    assert_int_equal (s_county (202004, 0)->total_wages_fen, 0);
    ph_event (H, ph_worker_registered (H, C, E, POOR, 20180101, 0, 2018));
    ph_event (H, ph_employment_started (H, C, "EE", E, "W1", 20200401));
    assert_int_equal (ph_commit (H), 0);
    assert_int_equal (s_do (env), ACCEPTED);       /* the same envelope, retried */
    assert_int_equal (s_county (202004, 0)->total_wages_fen, 220000);
    cj_envelope_t *unknown_ws = ph_wage_report (H, C, "W9", 202004, 0, r, 1);
    assert_int_equal (s_do (unknown_ws), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.workshop_id", CJ_E_NOT_YET_KNOWN));
}

static void
test_employment_checks (void **state)
{
    (void) state;
    ph_line_t wrong_worker[] = { { A, "EB", 1000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202005, 0, wrong_worker, 1)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.lines[0].employment_id", CJ_E_CONFLICT));
    ph_line_t early[] = { { E, "EE", 1000, 0, 0, 0, 0 } };   /* EE starts 2020-04 */
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202003, 0, early, 1)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.lines[0].employment_id", CJ_E_CONFLICT));
    ph_event (H, ph_employment_ended (H, C, "EB", B, "W1", 20190301, 20200131,
                                      CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_RESIGNED));
    assert_int_equal (ph_commit (H), 0);
    ph_line_t ended[] = { { B, "EB", 1000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202006, 0, ended, 1)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.lines[0].employment_id", CJ_E_CONFLICT));
    ph_line_t before_open[] = { { A, "EA", 1000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 201812, 0, before_open, 1)), REJECTED);
    assert_true (ph_has_problem (H, "submit_wage_report.period", CJ_E_CONFLICT));
}

static void
test_status_change_moves_past_months (void **state)
{
    (void) state;
    ph_line_t r[] = { { D, "ED", 200000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202007, 0, r, 1)), ACCEPTED);
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202008, 0, r, 1)), ACCEPTED);
    Chejian__V1__CountyIncomeSummary *y = s_county (0, 2020);
    uint32_t poor_paid = y->poor_paid_headcount, pop = y->poor_laborers_with_income;
    int64_t poor_aug = s_county (202008, 0)->poor_wages_fen;
    ph_event (H, ph_status_changed (H, C, D, REVOKED, 20200801));
    assert_int_equal (ph_commit (H), 0);
    assert_int_equal (s_county (202007, 0)->poor_paid_headcount, 1);
    assert_int_equal (s_county (202008, 0)->poor_paid_headcount, 0);
    assert_int_equal (s_county (202008, 0)->poor_wages_fen, poor_aug - 200000);
    assert_int_equal (s_workshop_month ("W1", 202008)->poor_paid_headcount, 0);
    assert_int_equal (s_workshop_month ("W1", 202007)->poor_paid_headcount, 1);
    y = s_county (0, 2020);
    assert_int_equal (y->poor_paid_headcount, poor_paid - 1);
    assert_int_equal (y->poor_laborers_with_income, pop - 1);
    Chejian__V1__WorkerIncome *d = s_worker (D, 202007, 202008);
    assert_int_equal (d->months[1]->poverty_status, REVOKED);
    assert_int_equal (d->months[0]->poverty_status, POOR);
}

static void
test_income_increase (void **state)
{
    (void) state;
    /* A: baseline 5,000 yuan (2018); 2019: 4,000 yuan; 2020 so far: 3,100 + 1,000 + 1,000 */
    ph_line_t r[] = { { A, "EA", 400000, 0, 0, 0, 0 } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 201912, 0, r, 1)), ACCEPTED);
    Chejian__V1__WorkerIncome *a = s_worker (A, 201901, 202012);
    assert_int_equal (a->n_years, 2);
    assert_int_equal (a->years[0]->increase_basis, CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_BASELINE);
    assert_int_equal (a->years[0]->increase_fen, 400000 - 500000);
    assert_int_equal (a->years[1]->increase_basis, CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_PREVIOUS_YEAR);
    assert_int_equal (a->years[1]->reference_income_fen, 400000);
    int64_t a2020 = a->years[1]->total_income_fen;
    assert_int_equal (a->years[1]->increase_fen, a2020 - 400000);
    Chejian__V1__CountyIncomeSummary *y = s_county (0, 2019);
    assert_int_equal (y->poor_laborers_with_income, 1);
    assert_int_equal (y->total_increase_fen, -100000);
    assert_int_equal (y->average_increase_fen, -100000);
    /* a new baseline moves 2019's increase (2020's rests on 2019) */
    ph_event (H, ph_worker_updated (H, C, A, 350000, 2018));
    assert_int_equal (ph_commit (H), 0);
    assert_int_equal (s_county (0, 2019)->total_increase_fen, 50000);
}

static void
test_shareholder_payments (void **state)
{
    (void) state;
    ph_event (H, ph_shareholding (H, C, "S1", A, "W1", 1));
    assert_int_equal (ph_commit (H), 0);
    assert_int_equal (s_do (ph_payment (H, C, "S9", 2020, PAY_DIVIDEND, 1)), REJECTED);
    assert_true (ph_has_problem (H, "record_shareholder_payment.shareholding_id", CJ_E_NOT_YET_KNOWN));
    int64_t income = s_worker (A, 202001, 202012)->years[0]->total_income_fen;
    assert_int_equal (s_do (ph_payment (H, C, "S1", 2020, PAY_DIVIDEND, 100000)), ACCEPTED);
    assert_int_equal (s_do (ph_payment (H, C, "S1", 2020, PAY_DIVIDEND, 120000)), ACCEPTED);
    const Chejian__V1__ShareholderPaymentRecorded *ev = ph_event_at (H, ph_events (H) - 1)->shareholder_payment_recorded;
    assert_int_equal (ev->amount_fen, 120000);
    assert_int_equal (ev->delta_fen, 20000);
    assert_int_equal (s_do (ph_payment (H, C, "S1", 2020, PAY_GUARANTEED, 50000)), ACCEPTED);
    Chejian__V1__WorkerIncome *a = s_worker (A, 202001, 202012);
    assert_int_equal (a->years[0]->dividends_fen, 120000);
    assert_int_equal (a->years[0]->guaranteed_fen, 50000);
    assert_int_equal (a->years[0]->total_income_fen, income + 170000);
    Chejian__V1__CountyIncomeSummary *y = s_county (0, 2020);
    assert_int_equal (y->dividends_fen, 120000);
    assert_int_equal (y->guaranteed_fen, 50000);
    static cj_ack_t ack;
    Chejian__V1__ListShareholderPayments q = CHEJIAN__V1__LIST_SHAREHOLDER_PAYMENTS__INIT;
    q.workshop_id = "W1";
    assert_int_equal (ph_query (H, ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_LIST_SHAREHOLDER_PAYMENTS, &q),
                                &ack), 0);
    assert_int_equal (ack.shareholder_payments->n_payments, 2);
    assert_int_equal (ack.shareholder_payments->dividends_fen, 120000);
    assert_int_equal (ack.shareholder_payments->payments[0]->kind, PAY_DIVIDEND);
}

static void
test_output_reports (void **state)
{
    (void) state;
    assert_int_equal (s_do (ph_output (H, C, "W1", 202101, 202103, 1000)), ACCEPTED);
    assert_int_equal (s_workshop_month ("W1", 202101)->output_value_fen, 333);
    assert_int_equal (s_workshop_month ("W1", 202103)->output_value_fen, 334);
    assert_int_equal (s_do (ph_output (H, C, "W1", 202101, 202103, 1200)), ACCEPTED);
    const Chejian__V1__OutputRecorded *ev = ph_event_at (H, ph_events (H) - 1)->output_recorded;
    assert_int_equal (ev->delta_output_fen, 200);
    assert_int_equal (s_workshop_month ("W1", 202102)->output_value_fen, 400);
    assert_int_equal (s_do (ph_output (H, C, "W1", 202103, 202106, 10)), REJECTED);
    assert_true (ph_has_problem (H, "submit_output_report.first_period", CJ_E_CONFLICT));
    assert_int_equal (s_county (0, 2021)->output_value_fen, 1200);
    assert_int_equal (s_county (202101, 0)->output_value_fen, 400);
}

static void
test_wage_report_query_pages (void **state)
{
    (void) state;
    static cj_ack_t ack;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    Chejian__V1__GetWageReport q = CHEJIAN__V1__GET_WAGE_REPORT__INIT;
    q.workshop_id = "W1";
    q.period = 202001;
    q.page = &page;
    assert_int_equal (ph_query (H, ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_GET_WAGE_REPORT, &q), &ack), 0);
    Chejian__V1__WageReportView *v = ack.wage_report;
    assert_int_equal (v->revision, 2);
    assert_int_equal (v->line_count, 2);
    assert_int_equal (v->n_lines, 1);
    assert_string_equal (v->lines[0]->employment_id, "EA");
    assert_int_equal (v->page->total_count, 2);
    char token[64];
    snprintf (token, sizeof token, "%s", v->page->next_page_token);
    page.page_token = token;
    assert_int_equal (ph_query (H, ph_envelope (H, C, CHEJIAN__V1__ENVELOPE__BODY_GET_WAGE_REPORT, &q), &ack), 0);
    assert_string_equal (ack.wage_report->lines[0]->employment_id, "ED");
    assert_string_equal (ack.wage_report->page->next_page_token, "");
}

static void
test_restart_reloads (void **state)
{
    (void) state;
    int64_t total = s_county (202001, 0)->total_wages_fen;
    ph_restart (H);
    ph_line_t r[] = { { A, "EA", 320000, 0, 0, 0, 0 },
                      { D, "ED", 150000, PAY_PIECE_RATE, 3000, 50000, PAY_SITE_HOME } };
    assert_int_equal (s_do (ph_wage_report (H, C, "W1", 202001, 0, r, 2)), ACCEPTED);
    assert_int_equal (s_county (202001, 0)->total_wages_fen, total + 10000);
    assert_int_equal (s_line_event (1)->delta_fen, 10000);
}

static void
test_store_unavailable (void **state)
{
    (void) state;
    ph_line_t r[] = { { A, "EA", 330000, 0, 0, 0, 0 },
                      { D, "ED", 150000, PAY_PIECE_RATE, 3000, 50000, PAY_SITE_HOME } };
    int64_t total = s_county (202001, 0)->total_wages_fen;
    size_t events = ph_events (H);
    ph_fail_reads (H, true);
    assert_int_equal (ph_command (H, ph_wage_report (H, C, "W1", 202001, 0, r, 2)), UNAVAILABLE);
    ph_fail_reads (H, false);
    assert_int_equal (ph_commit (H), 0);
    assert_int_equal (ph_events (H), events);
    assert_int_equal (s_county (202001, 0)->total_wages_fen, total);
    /* an event that cannot be applied now poisons the turn: nothing of it commits */
    ph_fail_reads (H, true);
    ph_restart (H);
    ph_event (H, ph_status_changed (H, C, A, REVOKED, 20200101));
    ph_fail_reads (H, false);
    assert_int_equal (ph_commit (H), -1);
    assert_int_equal (s_county (202001, 0)->poor_paid_headcount, 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_report_then_correction),
        cmocka_unit_test (test_duplicate_lines_and_revisions),
        cmocka_unit_test (test_not_yet_known_then_accepted),
        cmocka_unit_test (test_employment_checks),
        cmocka_unit_test (test_status_change_moves_past_months),
        cmocka_unit_test (test_income_increase),
        cmocka_unit_test (test_shareholder_payments),
        cmocka_unit_test (test_output_reports),
        cmocka_unit_test (test_wage_report_query_pages),
        cmocka_unit_test (test_restart_reloads),
        cmocka_unit_test (test_store_unavailable),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
