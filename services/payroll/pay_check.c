/*  pay_check.c - validation of the payroll's commands and queries: everything that can be
 *  judged from the message alone (formats, ranges, dates against today, consistency of a
 *  report's lines). State-dependent checks are the handlers'. Every problem is reported, each
 *  with its field path; nothing here reads state.  */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payroll_internal.h"

#define S_CHINA_OFFSET_S (8 * 3600)

/*  ---- clocks and dates ----  */

int32_t
pay_today (void)
{
    time_t now = time (NULL) + S_CHINA_OFFSET_S;
    struct tm tm;
    gmtime_r (&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int32_t
pay_this_period (void)
{
    return pay_today () / 100;
}

int64_t
pay_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t
pay_period_last_day (int32_t period)
{
    int32_t next = cj_period_add (period, 1);
    if (!next)
        return 0;
    return cj_date_from_days (cj_date_to_days (next * 100 + 1) - 1);
}

int64_t
pay_div_round (int64_t num, int64_t den)
{
    if (den == 0)
        return 0;
    int64_t half = den / 2;
    return num >= 0 ? (num + half) / den : -((-num + half) / den);
}

/*  ---- shared checks ----  */

int
pay_check_id (cj_problems_t *p, const char *field, const char *id, bool required)
{
    return cj_check_token (p, field, id, PAY_ID_MAX, CJ_TOKEN_ALNUM, "._:-", required);
}

int
pay_check_workshop_id (cj_problems_t *p, const char *field, const char *id)
{
    return cj_check_token (p, field, id, PAY_WORKSHOP_ID_MAX, CJ_TOKEN_ALNUM, "._-", true);
}

int
pay_check_page (cj_problems_t *p, const char *field, const Chejian__V1__PageRequest *page)
{
    if (!page)
        return 0;
    int rc = 0;
    cj_problems_push (p, "%s", field);
    rc |= cj_check_range (p, "page_size", page->page_size, 0, PAY_PAGE_MAX);
    if (page->page_token && strlen (page->page_token) > PAY_TOKEN_MAX) {
        cj_problems_add (p, "page_token", CJ_E_TOO_LONG, "at most %d characters",
                         PAY_TOKEN_MAX);
        rc = -1;
    }
    cj_problems_pop (p);
    return rc;
}

/*  A period from 2000 up to 'max' (0: no upper bound).  */
static int
s_check_period (cj_problems_t *p, const char *field, int32_t period, int32_t max)
{
    if (cj_check_period (p, field, period) != 0)
        return -1;
    if (period / 100 < PAY_FIRST_YEAR || (max && period > max)) {
        cj_problems_add (p, field, CJ_E_OUT_OF_RANGE,
                         "a month from %d up to the current month", PAY_FIRST_YEAR);
        return -1;
    }
    return 0;
}

/*  A real date (0 allowed unless 'required'), not after today.  */
static int
s_check_past_date (cj_problems_t *p, const char *field, int32_t date, bool required)
{
    if (date == 0 && required) {
        cj_problems_add (p, field, CJ_E_REQUIRED, "required");
        return -1;
    }
    if (cj_check_date_opt (p, field, date) != 0)
        return -1;
    if (date > pay_today ()) {
        cj_problems_add (p, field, CJ_E_OUT_OF_RANGE, "not in the future");
        return -1;
    }
    return 0;
}

int
pay_check_range (cj_problems_t *p, int32_t from, int32_t to)
{
    int rc = 0;
    if (from)
        rc |= s_check_period (p, "from_period", from, 0);
    if (to)
        rc |= s_check_period (p, "to_period", to, 0);
    if (rc == 0 && from && to && from > to) {
        cj_problems_add (p, "from_period", CJ_E_OUT_OF_RANGE, "after to_period");
        rc = -1;
    }
    if (rc == 0 && from && to && cj_period_diff (from, to) >= PAY_RANGE_MONTHS_MAX) {
        cj_problems_add (p, "to_period", CJ_E_OUT_OF_RANGE, "at most %d months in the range",
                         PAY_RANGE_MONTHS_MAX);
        rc = -1;
    }
    return rc;
}

/*  Pushes the body's name as the problems' prefix; s_end pops it.  */
static void
s_begin (cj_problems_t *p, const cj_envelope_t *env)
{
    cj_problems_push (p, "%s", cj_body_name (env->body_case));
}

static int
s_end (cj_problems_t *p)
{
    cj_problems_pop (p);
    return cj_problems_any (p) ? -1 : 0;
}

/*  ---- wage reports ----  */

/*  The amounts of a line against its pay basis. Piece rate: gross within one fen of
 *  pieces x unit rate (so rounded half up, down or up are all accepted).  */
static void
s_check_amounts (cj_problems_t *p, const Chejian__V1__WageLine *line)
{
    if (line->pay_basis == PAY_MONTHLY) {
        if (line->pieces)
            cj_problems_add (p, "pieces", CJ_E_OUT_OF_RANGE, "0 for a monthly line");
        if (line->unit_rate_millifen)
            cj_problems_add (p, "unit_rate_millifen", CJ_E_OUT_OF_RANGE,
                             "0 for a monthly line");
        if (line->gross_fen > 0 && line->days_worked == 0)
            cj_problems_add (p, "days_worked", CJ_E_REQUIRED,
                             "required for a monthly line with pay");
        return;
    }
    if (line->pay_basis != PAY_PIECE_RATE)
        return;
    if (cj_check_range (p, "pieces", line->pieces, 0, PAY_PIECES_MAX) != 0
        || cj_check_range (p, "unit_rate_millifen", line->unit_rate_millifen, 1,
                           PAY_RATE_MAX) != 0)
        return;
    int64_t exact = (int64_t) line->pieces * line->unit_rate_millifen;
    int64_t diff = line->gross_fen * 1000 - exact;
    if (diff <= -1000 || diff >= 1000)
        cj_problems_add (p, "gross_fen", CJ_E_OUT_OF_RANGE,
                         "must be pieces x unit_rate_millifen / 1000, rounded to the fen");
}

static void
s_check_line (cj_problems_t *p, const Chejian__V1__WageLine *line, int32_t period)
{
    cj_check_resident_id (p, "resident_id", line->resident_id);
    pay_check_id (p, "employment_id", line->employment_id, true);
    bool basis_ok = cj_check_enum (p, "pay_basis", &chejian__v1__pay_basis__descriptor,
                                    line->pay_basis, true) == 0;
    cj_check_enum (p, "work_site", &chejian__v1__work_site__descriptor, line->work_site, true);
    bool gross_ok = cj_check_range (p, "gross_fen", line->gross_fen, 0, PAY_GROSS_MAX) == 0;
    int32_t last = pay_period_last_day (period);
    cj_check_range (p, "days_worked", line->days_worked, 0, last ? last % 100 : 31);
    if (basis_ok && gross_ok)
        s_check_amounts (p, line);
}

typedef struct {
    const char *resident_id;
    size_t      index;
} s_worker_at_t;

static int
s_cmp_worker_at (const void *a, const void *b)
{
    const s_worker_at_t *x = a, *y = b;
    int c = strcmp (x->resident_id, y->resident_id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/*  A worker appears at most once per report: every later line of a worker is refused.  */
static void
s_check_duplicates (cj_problems_t *p, const Chejian__V1__SubmitWageReport *r)
{
    if (r->n_lines < 2)
        return;
    s_worker_at_t *sorted = malloc (r->n_lines * sizeof *sorted);
    if (!sorted) {
        cj_problems_add (p, "lines", CJ_E_INTERNAL, "out of memory; retry");
        return;
    }
    for (size_t i = 0; i < r->n_lines; i++)
        sorted[i] = (s_worker_at_t) { r->lines[i]->resident_id, i };
    qsort (sorted, r->n_lines, sizeof *sorted, s_cmp_worker_at);
    size_t first = 0;
    for (size_t i = 1; i < r->n_lines; i++) {
        if (!*sorted[i].resident_id || strcmp (sorted[i].resident_id,
                                               sorted[first].resident_id) != 0) {
            first = i;
            continue;
        }
        cj_problems_push (p, "lines[%zu]", sorted[i].index);
        cj_problems_add (p, "resident_id", CJ_E_CONFLICT,
                         "the same worker as lines[%zu]; one line per worker",
                         sorted[first].index);
        cj_problems_pop (p);
    }
    free (sorted);
}

/*  The lines' sum against the control total, when one is given. The lines are not range
 *  checked yet here, so the sum is added with an overflow check: a sum past int64 cannot
 *  equal any total.  */
static void
s_check_total (cj_problems_t *p, const Chejian__V1__SubmitWageReport *r)
{
    if (r->total_gross_fen == 0)
        return;
    int64_t sum = 0;
    bool overflow = false;
    for (size_t i = 0; i < r->n_lines && !overflow; i++)
        overflow = __builtin_add_overflow (sum, r->lines[i]->gross_fen, &sum);
    if (overflow || sum != r->total_gross_fen)
        cj_problems_add (p, "total_gross_fen", CJ_E_OUT_OF_RANGE,
                         "does not equal the sum of the lines' gross_fen");
}

int
pay_validate_wage_report (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__SubmitWageReport *r = env->submit_wage_report;
    s_begin (p, env);
    pay_check_workshop_id (p, "workshop_id", r->workshop_id);
    bool period_ok = s_check_period (p, "period", r->period, pay_this_period ()) == 0;
    if (s_check_past_date (p, "paid_date", r->paid_date, false) == 0 && r->paid_date
        && period_ok && r->paid_date < r->period * 100 + 1)
        cj_problems_add (p, "paid_date", CJ_E_OUT_OF_RANGE, "not before the month paid for");
    if (r->n_lines > PAY_LINES_MAX)
        cj_problems_add (p, "lines", CJ_E_TOO_MANY, "at most %d lines", PAY_LINES_MAX);
    for (size_t i = 0; i < r->n_lines && r->n_lines <= PAY_LINES_MAX; i++) {
        cj_problems_push (p, "lines[%zu]", i);
        s_check_line (p, r->lines[i], period_ok ? r->period : 0);
        cj_problems_pop (p);
    }
    if (r->n_lines <= PAY_LINES_MAX) {
        s_check_duplicates (p, r);
        s_check_total (p, r);
    }
    return s_end (p);
}

/*  ---- shareholder payments and output reports ----  */

int
pay_validate_shareholder_payment (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RecordShareholderPayment *r = env->record_shareholder_payment;
    s_begin (p, env);
    pay_check_id (p, "shareholding_id", r->shareholding_id, true);
    cj_check_range (p, "year", r->year, PAY_FIRST_YEAR, pay_today () / 10000);
    cj_check_enum (p, "kind", &chejian__v1__shareholder_payment_kind__descriptor, r->kind,
                    true);
    cj_check_range (p, "amount_fen", r->amount_fen, 0, PAY_AMOUNT_MAX);
    s_check_past_date (p, "paid_date", r->paid_date, true);
    return s_end (p);
}

int
pay_validate_output_report (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__SubmitOutputReport *r = env->submit_output_report;
    s_begin (p, env);
    pay_check_workshop_id (p, "workshop_id", r->workshop_id);
    int32_t now = pay_this_period ();
    bool ok = s_check_period (p, "first_period", r->first_period, now) == 0;
    ok = s_check_period (p, "last_period", r->last_period, now) == 0 && ok;
    if (ok && (r->last_period < r->first_period || r->last_period / 100 != r->first_period / 100))
        cj_problems_add (p, "last_period", CJ_E_OUT_OF_RANGE,
                         "from first_period to the end of the same year");
    cj_check_range (p, "output_value_fen", r->output_value_fen, 0, PAY_OUTPUT_MAX);
    cj_check_range (p, "revenue_fen", r->revenue_fen, 0, PAY_OUTPUT_MAX);
    return s_end (p);
}

/*  ---- queries ----  */

int
pay_validate_worker_income (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetWorkerIncome *q = env->get_worker_income;
    s_begin (p, env);
    cj_check_resident_id (p, "resident_id", q->resident_id);
    pay_check_range (p, q->from_period, q->to_period);
    return s_end (p);
}

int
pay_validate_workshop_payroll (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetWorkshopPayroll *q = env->get_workshop_payroll;
    s_begin (p, env);
    pay_check_workshop_id (p, "workshop_id", q->workshop_id);
    pay_check_range (p, q->from_period, q->to_period);
    return s_end (p);
}

int
pay_validate_county_summary (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetCountyIncomeSummary *q = env->get_county_income_summary;
    s_begin (p, env);
    if (q->scope_case == CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD)
        s_check_period (p, "period", q->period, 0);
    else if (q->scope_case == CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR)
        cj_check_range (p, "year", q->year, PAY_FIRST_YEAR, 2199);
    else
        cj_problems_add (p, "scope", CJ_E_REQUIRED, "a period or a year");
    return s_end (p);
}

int
pay_validate_wage_report_query (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetWageReport *q = env->get_wage_report;
    s_begin (p, env);
    pay_check_workshop_id (p, "workshop_id", q->workshop_id);
    s_check_period (p, "period", q->period, 0);
    pay_check_page (p, "page", q->page);
    return s_end (p);
}

int
pay_validate_shareholder_payments (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListShareholderPayments *q = env->list_shareholder_payments;
    s_begin (p, env);
    pay_check_workshop_id (p, "workshop_id", q->workshop_id);
    if (q->year)
        cj_check_range (p, "year", q->year, PAY_FIRST_YEAR, 2199);
    pay_check_page (p, "page", q->page);
    return s_end (p);
}
