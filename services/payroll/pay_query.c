/*  pay_query.c - the payroll's queries: a worker's income history, a workshop's payroll by
 *  month, the county's figures for a month or a year, a wage report's lines, and the
 *  shareholder payments of a workshop. They read the committed state (queries are answered
 *  after the turn's commit), so any instance answers for any partition.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payroll_internal.h"

#define S_YEARS_MAX 11        /* years a worker income answer covers */

static void
s_result (cj_ack_t *ack, int result_case, void *msg)
{
    ack->result_case = result_case;
    memcpy (&ack->worker_income, &msg, sizeof msg);   /* every result member is a pointer */
}

static int
s_not_found (pay_query_t *q, const char *field, const char *what)
{
    cj_problems_push (q->problems, "%s", cj_body_name (q->env->body_case));
    cj_problems_add (q->problems, field, CJ_E_NOT_FOUND, "no such %s in the county", what);
    cj_problems_pop (q->problems);
    return -1;
}

/*  Whether payroll knows workshop 'workshop_id' in the query's county: 0 and its type in
 *  'ret_type' (may be NULL), or -1 after a NOT_FOUND problem (or on a read error, with none):
 *  a query naming a workshop payroll has not learnt is refused, not answered empty.  */
static int
s_known_workshop (pay_query_t *q, const char *workshop_id, int *ret_type)
{
    char key[PAY_FIELD_MAX];
    const char *kp[] = { key };
    void *recs[1] = { NULL };
    pay_key_id (key, q->env->county, workshop_id);
    if (pay_records_read (q->io, q->partition, PAY_WORKSHOP, kp, 1, recs) != 0)
        return -1;
    const pay_workshop_t *ws = recs[0];
    int type = ws ? ws->type : 0;
    pay_records_free (PAY_WORKSHOP, recs, 1);
    if (!ws)
        return s_not_found (q, "workshop_id", "workshop");
    if (ret_type)
        *ret_type = type;
    return 0;
}

/*  A month range from a query: 'to' 0 means the current month, 'from' 0 'dflt_back' months
 *  before 'to' (or 'dflt_from' when not 0); at most PAY_RANGE_MONTHS_MAX months.  */
static int
s_range (pay_query_t *q, int32_t from, int32_t to, int32_t dflt_from, int dflt_back,
         int32_t *ret_from, int32_t *ret_to)
{
    to = to ? to : pay_this_period ();
    bool given = from != 0;
    from = given ? from : dflt_from ? dflt_from : cj_period_add (to, -dflt_back);
    if (!given && (from > to || cj_period_diff (from, to) >= PAY_RANGE_MONTHS_MAX))
        from = from > to ? to : cj_period_add (to, 1 - PAY_RANGE_MONTHS_MAX);
    if (from > to || cj_period_diff (from, to) >= PAY_RANGE_MONTHS_MAX) {
        cj_problems_push (q->problems, "%s", cj_body_name (q->env->body_case));
        cj_problems_add (q->problems, "from_period", CJ_E_OUT_OF_RANGE,
                         "at most %d months up to to_period", PAY_RANGE_MONTHS_MAX);
        cj_problems_pop (q->problems);
        return -1;
    }
    *ret_from = from;
    *ret_to = to;
    return 0;
}

/*  ---- a worker's income ----  */

static int32_t
s_first_month (const pay_worker_t *w)
{
    for (uint16_t i = 0; i < w->nyears; i++)
        for (int m = 1; m <= 12; m++)
            if (w->years[i].months >> (m - 1) & 1u)
                return w->years[i].year * 100 + m;
    return 0;
}

static Chejian__V1__WageLineRecord *
s_line_record (cj_arena_t *arena, const pay_mline_t *l, const char *worker_key,
               const char *masked, int32_t period)
{
    Chejian__V1__WageLineRecord *r = cj_arena_alloc (arena, sizeof *r);
    if (!r)
        return NULL;
    chejian__v1__wage_line_record__init (r);
    r->worker_key = cj_arena_strdup (arena, worker_key);
    r->resident_id_masked = cj_arena_strdup (arena, masked);
    r->workshop_id = cj_arena_strdup (arena, l->workshop_id);
    r->employment_id = cj_arena_strdup (arena, l->employment_id);
    r->period = period;
    r->pay_basis = l->basis;
    r->work_site = l->site;
    r->gross_fen = l->gross;
    r->days_worked = l->days;
    r->pieces = l->pieces;
    r->unit_rate_millifen = l->rate;
    r->revision = l->revision;
    return r->worker_key && r->resident_id_masked && r->workshop_id && r->employment_id
           ? r : NULL;
}

/*  The month 'period' of a worker's year record, or NULL when it has no line.  */
static Chejian__V1__WorkerMonthIncome *
s_month (pay_query_t *q, const pay_worker_t *w, const pay_wy_t *wy, const char *worker_key,
         int32_t period, bool *ret_oom)
{
    size_t n = pay_wy_month_lines (wy, period % 100);
    Chejian__V1__WorkerMonthIncome *m = n ? cj_arena_alloc (q->arena, sizeof *m) : NULL;
    if (!m) {
        *ret_oom = *ret_oom || n;
        return NULL;
    }
    chejian__v1__worker_month_income__init (m);
    m->lines = cj_arena_alloc (q->arena, n * sizeof *m->lines);
    m->period = period;
    m->poverty_status = w->facts.registered
                        ? pay_facts_status (&w->facts, pay_period_last_day (period)) : 0;
    for (size_t i = 0; m->lines && i < wy->n; i++) {
        if (wy->lines[i].month != period % 100)
            continue;
        m->wages_fen += wy->lines[i].gross;
        if (!(m->lines[m->n_lines++] = s_line_record (q->arena, &wy->lines[i], worker_key,
                                                      w->facts.masked, period)))
            m->lines = NULL;
    }
    *ret_oom = *ret_oom || !m->lines;
    return m->lines ? m : NULL;
}

/*  The worker's year records from PAY_FIRST_YEAR to 'last' ('wys', one per year, NULL where
 *  none), and its year entries made from them.  */
static int
s_read_years (pay_query_t *q, pay_worker_t *w, const char *worker_key, int32_t last,
              void **wys)
{
    char keys[PAY_YEARS_MAX][PAY_FIELD_MAX];
    const char *kp[PAY_YEARS_MAX] = { NULL };
    size_t n = 0;
    for (int32_t y = PAY_FIRST_YEAR; y <= last && n < PAY_YEARS_MAX; y++, n++) {
        pay_key_wy (keys[n], q->env->county, worker_key, y);
        kp[n] = keys[n];
    }
    if (pay_records_read (q->io, q->partition, PAY_WY, kp, n, wys) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        pay_year_t *y = wys[i] ? pay_worker_year (w, PAY_FIRST_YEAR + (int32_t) i, true) : NULL;
        if (wys[i] && !y)
            return -1;
        if (y)
            *y = ((pay_wy_t *) wys[i])->year;
    }
    return 0;
}

/*  The months of the range with a line, oldest first.  */
static int
s_months (pay_query_t *q, const pay_worker_t *w, void *const *wys, const char *worker_key,
          int32_t from, int32_t to, Chejian__V1__WorkerIncome *res)
{
    bool oom = false;
    res->months = cj_arena_alloc (q->arena, PAY_RANGE_MONTHS_MAX * sizeof *res->months);
    for (int32_t p = from; res->months && p <= to; p = cj_period_add (p, 1)) {
        int at = p / 100 - PAY_FIRST_YEAR;
        const pay_wy_t *wy = at >= 0 && at < PAY_YEARS_MAX ? wys[at] : NULL;
        Chejian__V1__WorkerMonthIncome *m = wy ? s_month (q, w, wy, worker_key, p, &oom) : NULL;
        if (m)
            res->months[res->n_months++] = m;
    }
    return res->months && !oom ? 0 : -1;
}

static int
s_years (pay_query_t *q, const pay_worker_t *w, int32_t from, int32_t to,
         Chejian__V1__WorkerIncome *res)
{
    res->years = cj_arena_alloc (q->arena, S_YEARS_MAX * sizeof *res->years);
    for (int32_t year = from / 100; res->years && year <= to / 100; year++) {
        Chejian__V1__WorkerYearIncome *y = cj_arena_alloc (q->arena, sizeof *y);
        if (!y)
            return -1;
        chejian__v1__worker_year_income__init (y);
        const pay_year_t *wy = pay_worker_year ((pay_worker_t *) w, year, false);
        y->year = year;
        if (wy) {
            y->wages_fen = wy->v[WY_WAGES];
            y->dividends_fen = wy->v[WY_DIVIDENDS];
            y->guaranteed_fen = wy->v[WY_GUARANTEED];
            y->total_income_fen = pay_year_income (wy);
            y->months_paid = (uint32_t) wy->v[WY_MONTHS_PAID];
        }
        y->increase_basis = pay_worker_reference (w, year, &y->reference_income_fen);
        y->increase_fen = y->increase_basis ? y->total_income_fen - y->reference_income_fen : 0;
        res->years[res->n_years++] = y;
    }
    return res->years ? 0 : -1;
}

static int
s_worker_income (pay_query_t *q, pay_worker_t *w, const char *worker_key,
                 Chejian__V1__WorkerIncome *res, void **wys)
{
    const Chejian__V1__GetWorkerIncome *g = q->env->get_worker_income;
    int32_t from, to, last = (g->to_period ? g->to_period : pay_this_period ()) / 100;
    if (s_read_years (q, w, worker_key, last, wys) != 0
        || s_range (q, g->from_period, g->to_period, s_first_month (w), 0, &from, &to) != 0)
        return -1;
    chejian__v1__worker_income__init (res);
    res->worker_key = cj_arena_strdup (q->arena, worker_key);
    res->resident_id_masked = cj_arena_strdup (q->arena, w->facts.masked);
    res->baseline_annual_income_fen = w->facts.baseline;
    res->baseline_year = w->facts.baseline_year;
    s_result (q->ack, CHEJIAN__V1__ACK__RESULT_WORKER_INCOME, res);
    return s_months (q, w, wys, worker_key, from, to, res) || s_years (q, w, from, to, res)
           ? -1 : 0;
}

int
pay_query_worker_income (pay_query_t *q)
{
    const Chejian__V1__GetWorkerIncome *g = q->env->get_worker_income;
    char worker_key[CJ_PSEUDONYM_HEX + 1], key[PAY_FIELD_MAX];
    cj_pseudonym_of (q->payroll->pseudonym, "worker", g->resident_id, worker_key);
    pay_key_worker (key, q->env->county, worker_key);
    const char *keys[] = { key };
    void *rec = NULL, *wys[PAY_YEARS_MAX] = { NULL };
    Chejian__V1__WorkerIncome *res = cj_arena_alloc (q->arena, sizeof *res);
    if (!res || pay_records_read (q->io, q->partition, PAY_WORKER, keys, 1, &rec) != 0)
        return -1;
    int rc = rec ? s_worker_income (q, rec, worker_key, res, wys)
                 : s_not_found (q, "resident_id", "worker");
    pay_records_free (PAY_WY, wys, PAY_YEARS_MAX);
    pay_records_free (PAY_WORKER, &rec, 1);
    return rc;
}

/*  ---- a workshop's payroll ----  */

static Chejian__V1__WorkshopPayrollMonth *
s_workshop_month (cj_arena_t *arena, const pay_sm_t *sm, int32_t period)
{
    Chejian__V1__WorkshopPayrollMonth *m = cj_arena_alloc (arena, sizeof *m);
    if (!m)
        return NULL;
    chejian__v1__workshop_payroll_month__init (m);
    m->period = period;
    if (!sm)
        return m;
    m->revision = sm->revision;
    m->total_wages_fen = sm->v[SM_TOTAL];
    m->paid_headcount = (uint32_t) sm->v[SM_PAID];
    m->poor_paid_headcount = (uint32_t) sm->v[SM_POOR_PAID];
    m->poor_wages_fen = sm->v[SM_POOR_WAGES];
    m->average_wage_fen = pay_div_round (sm->v[SM_TOTAL], sm->v[SM_PAID]);
    m->poor_average_wage_fen = pay_div_round (sm->v[SM_POOR_WAGES], sm->v[SM_POOR_PAID]);
    m->piece_rate_headcount = (uint32_t) sm->v[SM_PIECE_PAID];
    m->home_headcount = (uint32_t) sm->v[SM_HOME_PAID];
    m->output_value_fen = sm->v[SM_OUTPUT];
    return m;
}

int
pay_query_workshop_payroll (pay_query_t *q)
{
    const Chejian__V1__GetWorkshopPayroll *g = q->env->get_workshop_payroll;
    char keys[PAY_RANGE_MONTHS_MAX][PAY_FIELD_MAX];
    const char *kp[PAY_RANGE_MONTHS_MAX];
    void *recs[PAY_RANGE_MONTHS_MAX] = { NULL };
    int32_t from, to;
    int type = 0;
    if (s_known_workshop (q, g->workshop_id, &type) != 0)
        return -1;
    if (s_range (q, g->from_period, g->to_period, 0, 11, &from, &to) != 0)
        return -1;
    size_t n = (size_t) cj_period_diff (from, to) + 1;
    for (size_t i = 0; i < n; i++) {
        pay_key_sm (keys[i], q->env->county, g->workshop_id, cj_period_add (from, (int) i));
        kp[i] = keys[i];
    }
    Chejian__V1__WorkshopPayroll *res = cj_arena_alloc (q->arena, sizeof *res);
    if (!res || pay_records_read (q->io, q->partition, PAY_SM, kp, n, recs) != 0)
        return -1;
    chejian__v1__workshop_payroll__init (res);
    res->months = cj_arena_alloc (q->arena, n * sizeof *res->months);
    res->workshop_id = cj_arena_strdup (q->arena, g->workshop_id);
    res->type = type;
    int rc = res->months && res->workshop_id ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!(res->months[res->n_months++] = s_workshop_month (q->arena, recs[i],
                                                               cj_period_add (from, (int) i))))
            rc = -1;
    pay_records_free (PAY_SM, recs, n);
    s_result (q->ack, CHEJIAN__V1__ACK__RESULT_WORKSHOP_PAYROLL, res);
    return rc;
}

/*  ---- the county's figures ----  */

/*  The additive figures of a scope: the county-months it covers, summed.  */
static int
s_sum_months (pay_query_t *q, int32_t first, int n, int64_t sum[CM_N])
{
    char keys[12][PAY_FIELD_MAX];
    const char *kp[12];
    void *recs[12];
    for (int i = 0; i < n; i++) {
        pay_key_cm (keys[i], q->env->county, first + i);
        kp[i] = keys[i];
    }
    if (pay_records_read (q->io, q->partition, PAY_CM, kp, (size_t) n, recs) != 0)
        return -1;
    memset (sum, 0, CM_N * sizeof *sum);
    for (int i = 0; i < n; i++)
        if (recs[i])
            pay_counters_move (sum, (int64_t[CM_N]) { 0 }, ((pay_counts_t *) recs[i])->v, CM_N);
    pay_records_free (PAY_CM, recs, (size_t) n);
    return 0;
}

/*  Per workshop type, from the months' sums and (year scope) the county-year.  */
static int
s_by_type (pay_query_t *q, const int64_t cm[CM_N], const int64_t *cy,
           Chejian__V1__CountyIncomeSummary *res)
{
    res->by_type = cj_arena_alloc (q->arena, PAY_TYPES * sizeof *res->by_type);
    for (int t = 1; res->by_type && t <= PAY_TYPES; t++) {
        Chejian__V1__TypeIncomeSummary *s = cj_arena_alloc (q->arena, sizeof *s);
        if (!s)
            return -1;
        chejian__v1__type_income_summary__init (s);
        s->type = t;
        s->total_wages_fen = cm[CM_T (t, CMT_WAGES)];
        s->workshops_paying = (uint32_t) (cy ? cy[CY_T (t, CYT_WORKSHOPS)] : cm[CM_T (t, CMT_WORKSHOPS)]);
        s->paid_headcount = (uint32_t) (cy ? cy[CY_T (t, CYT_PAID)] : cm[CM_T (t, CMT_PAID)]);
        s->poor_paid_headcount = (uint32_t) (cy ? cy[CY_T (t, CYT_POOR_PAID)]
                                                : cm[CM_T (t, CMT_POOR_PAID)]);
        s->average_increase_fen = cy ? pay_div_round (cy[CY_T (t, CYT_INCREASE)],
                                                      cy[CY_T (t, CYT_POP)]) : 0;
        if (s->total_wages_fen || s->workshops_paying || s->paid_headcount)
            res->by_type[res->n_by_type++] = s;
    }
    return res->by_type ? 0 : -1;
}

/*  The year figures that are not sums of months: distinct workers, income and its increase.  */
static void
s_year_figures (const int64_t cy[CY_N], Chejian__V1__CountyIncomeSummary *res)
{
    res->workshops_paying = (uint32_t) cy[CY_WORKSHOPS];
    res->paid_headcount = (uint32_t) cy[CY_PAID];
    res->poor_paid_headcount = (uint32_t) cy[CY_POOR_PAID];
    res->poor_wages_fen = cy[CY_POOR_WAGES];
    res->average_monthly_wage_fen = pay_div_round (res->total_wages_fen, cy[CY_WORKER_MONTHS]);
    res->poor_average_monthly_wage_fen = pay_div_round (cy[CY_POOR_WAGES],
                                                        cy[CY_POOR_WORKER_MONTHS]);
    res->dividends_fen = cy[CY_DIVIDENDS];
    res->guaranteed_fen = cy[CY_GUARANTEED];
    res->poor_laborers_with_income = (uint32_t) cy[CY_POP];
    res->total_increase_fen = cy[CY_INCREASE];
    res->average_increase_fen = pay_div_round (cy[CY_INCREASE], cy[CY_POP]);
}

static void
s_month_figures (const int64_t cm[CM_N], Chejian__V1__CountyIncomeSummary *res)
{
    res->workshops_paying = (uint32_t) cm[CM_WORKSHOPS];
    res->paid_headcount = (uint32_t) cm[CM_PAID];
    res->poor_paid_headcount = (uint32_t) cm[CM_POOR_PAID];
    res->poor_wages_fen = cm[CM_POOR_WAGES];
    res->average_monthly_wage_fen = pay_div_round (cm[CM_WAGES], cm[CM_PAID]);
    res->poor_average_monthly_wage_fen = pay_div_round (cm[CM_POOR_WAGES], cm[CM_POOR_PAID]);
}

int
pay_query_county_summary (pay_query_t *q)
{
    const Chejian__V1__GetCountyIncomeSummary *g = q->env->get_county_income_summary;
    bool year = g->scope_case == CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR;
    int64_t cm[CM_N], cy[CY_N] = { 0 };
    char key[PAY_FIELD_MAX];
    const char *kp[] = { key };
    void *rec = NULL;
    if (s_sum_months (q, year ? g->year * 100 + 1 : g->period, year ? 12 : 1, cm) != 0)
        return -1;
    pay_key_cy (key, q->env->county, g->year);
    if (year && pay_records_read (q->io, q->partition, PAY_CY, kp, 1, &rec) != 0)
        return -1;
    if (rec)
        memcpy (cy, ((pay_counts_t *) rec)->v, sizeof cy);
    pay_records_free (PAY_CY, &rec, 1);
    Chejian__V1__CountyIncomeSummary *res = cj_arena_alloc (q->arena, sizeof *res);
    if (!res)
        return -1;
    chejian__v1__county_income_summary__init (res);
    res->county = cj_arena_strdup (q->arena, q->env->county);
    res->period = year ? 0 : g->period;
    res->year = year ? g->year : 0;
    res->total_wages_fen = cm[CM_WAGES];
    res->output_value_fen = cm[CM_OUTPUT];
    if (year)
        s_year_figures (cy, res);
    else
        s_month_figures (cm, res);
    s_result (q->ack, CHEJIAN__V1__ACK__RESULT_COUNTY_INCOME_SUMMARY, res);
    return res->county && s_by_type (q, cm, year ? cy : NULL, res) == 0 ? 0 : -1;
}

/*  ---- paging ----  */

/*  The page of 'n' rows sorted by 'keys' that 'req' asks for: the rows after the token (the
 *  key of the last row of the previous page, so rows added meanwhile do not shift pages).  */
static int
s_page (cj_arena_t *arena, char *const *keys, size_t n, const Chejian__V1__PageRequest *req,
        size_t *ret_start, size_t *ret_count, Chejian__V1__PageInfo **ret_info)
{
    const char *token = req && req->page_token ? req->page_token : "";
    size_t size = req && req->page_size ? req->page_size : PAY_PAGE_DEFAULT;
    size_t lo = 0, hi = n;
    while (*token && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp (keys[mid], token) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t count = n - lo < size ? n - lo : size;
    Chejian__V1__PageInfo *info = cj_arena_alloc (arena, sizeof *info);
    if (!info)
        return -1;
    chejian__v1__page_info__init (info);
    info->next_page_token = lo + count < n ? keys[lo + count - 1] : "";
    info->total_count = n;
    *ret_start = lo;
    *ret_count = count;
    *ret_info = info;
    return 0;
}

/*  ---- a wage report ----  */

static int
s_read_report (pay_query_t *q, const char *field, Chejian__Payroll__Report **ret)
{
    char key[CJ_KEY_MAX];
    pay_hash_key (key, q->partition, PAY_HASH_REPORT);
    const char *fields[] = { field };
    pay_value_t value = { 0 };
    pay_read_t read = { key, fields, 1, false, &value };
    if (q->io->read (q->io->self, &read, 1) != 0)
        return -1;
    *ret = value.found ? chejian__payroll__report__unpack (cj_arena_allocator (q->arena),
                                                           value.len, value.data) : NULL;
    free (value.data);
    return value.found && !*ret ? -1 : 0;
}

static void
s_report_header (Chejian__V1__WageReportView *v, const pay_sm_t *sm, cj_arena_t *arena)
{
    if (!sm)
        return;
    v->revision = sm->revision;
    v->total_gross_fen = sm->v[SM_TOTAL];
    v->line_count = (uint32_t) sm->v[SM_LINES];
    v->paid_date = sm->paid_date;
    v->source = cj_arena_strdup (arena, sm->source);
    v->event_id = cj_arena_strdup (arena, sm->event_id);
    v->accepted_at_ms = sm->accepted_at;
}

int
pay_query_wage_report (pay_query_t *q)
{
    const Chejian__V1__GetWageReport *g = q->env->get_wage_report;
    char key[PAY_FIELD_MAX];
    const char *kp[] = { key };
    void *sm = NULL;
    Chejian__Payroll__Report *report = NULL;
    pay_key_sm (key, q->env->county, g->workshop_id, g->period);
    if (s_known_workshop (q, g->workshop_id, NULL) != 0)
        return -1;
    Chejian__V1__WageReportView *v = cj_arena_alloc (q->arena, sizeof *v);
    if (!v || pay_records_read (q->io, q->partition, PAY_SM, kp, 1, &sm) != 0)
        return -1;
    chejian__v1__wage_report_view__init (v);
    v->workshop_id = cj_arena_strdup (q->arena, g->workshop_id);
    v->period = g->period;
    s_report_header (v, sm, q->arena);
    pay_records_free (PAY_SM, &sm, 1);
    if (v->revision && s_read_report (q, key, &report) != 0)
        return -1;
    size_t n = report ? report->n_lines : 0, start = 0, count = 0;
    char **keys = cj_arena_alloc (q->arena, (n + 1) * sizeof *keys);
    v->lines = cj_arena_alloc (q->arena, (n + 1) * sizeof *v->lines);
    for (size_t i = 0; keys && i < n; i++)
        keys[i] = report->lines[i]->employment_id;
    if (!keys || !v->lines || s_page (q->arena, keys, n, g->page, &start, &count, &v->page) != 0)
        return -1;
    for (size_t i = start; i < start + count; i++) {
        Chejian__V1__WageLineRecord *r = report->lines[i];
        r->workshop_id = v->workshop_id;
        r->period = g->period;
        r->revision = v->revision;
        v->lines[v->n_lines++] = r;
    }
    s_result (q->ack, CHEJIAN__V1__ACK__RESULT_WAGE_REPORT, v);
    return 0;
}

/*  ---- shareholder payments ----  */

typedef struct {
    pay_query_t                           *q;
    int32_t                                year;
    size_t                                 n, cap;
    Chejian__V1__ShareholderPaymentRecorded **rows;
} s_payments_t;

static int
s_collect_payment (void *arg, const char *field, const uint8_t *value, size_t len)
{
    s_payments_t *c = arg;
    (void) field;
    Chejian__V1__ShareholderPaymentRecorded *p = chejian__v1__shareholder_payment_recorded__unpack (
        cj_arena_allocator (c->q->arena), len, value);
    if (!p)
        return -1;
    if (c->year && p->year != c->year)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        void *rows = cj_arena_alloc (c->q->arena, cap * sizeof *c->rows);
        if (!rows)
            return -1;
        if (c->n)
            memcpy (rows, c->rows, c->n * sizeof *c->rows);
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = p;
    return 0;
}

static int
s_cmp_payment (const void *a, const void *b)
{
    const Chejian__V1__ShareholderPaymentRecorded *x = *(void *const *) a, *y = *(void *const *) b;
    int c = x->year - y->year;
    c = c ? c : strcmp (x->shareholding_id, y->shareholding_id);
    return c ? c : (int) x->kind - (int) y->kind;
}

int
pay_query_shareholder_payments (pay_query_t *q)
{
    const Chejian__V1__ListShareholderPayments *g = q->env->list_shareholder_payments;
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, q->partition, PAYROLL_SHORT_NAME, PAY_HASH_SHPAY ":%s:%s",
            q->env->county, g->workshop_id);
    s_payments_t c = { .q = q, .year = g->year };
    if (s_known_workshop (q, g->workshop_id, NULL) != 0)
        return -1;
    if (q->io->scan (q->io->self, key, s_collect_payment, &c) != 0)
        return -1;
    if (c.n)
        qsort (c.rows, c.n, sizeof *c.rows, s_cmp_payment);
    Chejian__V1__ShareholderPaymentList *res = cj_arena_alloc (q->arena, sizeof *res);
    char **keys = cj_arena_alloc (q->arena, (c.n + 1) * sizeof *keys);
    size_t start, count;
    if (!res || !keys)
        return -1;
    chejian__v1__shareholder_payment_list__init (res);
    for (size_t i = 0; i < c.n; i++) {
        char sort[PAY_FIELD_MAX];
        snprintf (sort, sizeof sort, "%04d:%s:%d", (int) c.rows[i]->year,
                  c.rows[i]->shareholding_id, (int) c.rows[i]->kind);
        if (!(keys[i] = cj_arena_strdup (q->arena, sort)))
            return -1;
        *(c.rows[i]->kind == PAY_DIVIDEND ? &res->dividends_fen : &res->guaranteed_fen)
            += c.rows[i]->amount_fen;
    }
    if (s_page (q->arena, keys, c.n, g->page, &start, &count, &res->page) != 0)
        return -1;
    res->payments = c.rows + start;
    res->n_payments = count;
    s_result (q->ack, CHEJIAN__V1__ACK__RESULT_SHAREHOLDER_PAYMENTS, res);
    return 0;
}
