/*  pay_agg.c - the aggregates: what each level contributes to the next, and the begin/end
 *  pairs that move the parents by the difference of a change. Pure functions over the
 *  records, except the *_end functions, which look the parents up in the partition's turn
 *  (they must have been fetched: pay_want_* then pay_fetch). See payroll_internal.h.  */
#include <string.h>

#include "chejian/log.h"
#include "payroll_internal.h"

/*  ---- facts ----  */

bool
pay_status_poor (int status)
{
    return status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
           || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT
           || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED;
}

int
pay_facts_status (const pay_facts_t *facts, int32_t date)
{
    if (facts->nstatus == 0)
        return CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_UNSPECIFIED;
    int status = facts->status[0].status;
    for (uint16_t i = 1; i < facts->nstatus && facts->status[i].date <= date; i++)
        status = facts->status[i].status;
    return status;
}

bool
pay_facts_poor_month (const pay_facts_t *facts, int32_t period)
{
    return facts->registered
           && pay_status_poor (pay_facts_status (facts, pay_period_last_day (period)));
}

bool
pay_facts_poor_year (const pay_facts_t *facts, int32_t year)
{
    return facts->registered && pay_status_poor (pay_facts_status (facts, year * 10000 + 1231));
}

static const pay_year_t *
s_year (const pay_worker_t *worker, int32_t year)
{
    for (uint16_t i = 0; i < worker->nyears; i++)
        if (worker->years[i].year == year)
            return &worker->years[i];
    return NULL;
}

int64_t
pay_year_income (const pay_year_t *year)
{
    return year->v[WY_WAGES] + year->v[WY_DIVIDENDS] + year->v[WY_GUARANTEED];
}

int
pay_worker_reference (const pay_worker_t *worker, int32_t year, int64_t *ret_ref)
{
    const pay_year_t *prev = s_year (worker, year - 1);
    if (prev && pay_year_income (prev) > 0) {
        *ret_ref = pay_year_income (prev);
        return CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_PREVIOUS_YEAR;
    }
    *ret_ref = 0;
    if (worker->facts.registered && worker->facts.baseline_year != 0) {
        *ret_ref = worker->facts.baseline;
        return CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_BASELINE;
    }
    return CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_UNSPECIFIED;
}

/*  ---- contributions ----  */

static bool
s_type_ok (int type)
{
    return type >= 1 && type <= PAY_TYPES;
}

void
pay_line_to_sm (int64_t gross, int basis, int site, bool poor, int64_t out[SM_N])
{
    memset (out, 0, SM_N * sizeof *out);
    bool paid = gross > 0;
    out[SM_TOTAL] = gross;
    out[SM_LINES] = 1;
    out[SM_PAID] = paid;
    out[SM_POOR_PAID] = paid && poor;
    out[SM_POOR_WAGES] = poor ? gross : 0;
    out[SM_PIECE_PAID] = paid && basis == PAY_PIECE_RATE;
    out[SM_HOME_PAID] = paid && site == PAY_SITE_HOME;
}

/*  A workshop-month pays when its wages are positive and its role counts as a workshop.  */
static bool
s_sm_paying (const pay_sm_t *sm)
{
    return sm->counted && sm->v[SM_TOTAL] > 0;
}

void
pay_sm_to_cm (const pay_sm_t *sm, int64_t out[CM_N])
{
    memset (out, 0, CM_N * sizeof *out);
    out[CM_WAGES] = sm->v[SM_TOTAL];
    out[CM_WORKSHOPS] = s_sm_paying (sm);
    out[CM_OUTPUT] = sm->v[SM_OUTPUT];
    if (s_type_ok (sm->type)) {
        out[CM_T (sm->type, CMT_WORKSHOPS)] = s_sm_paying (sm);
        out[CM_T (sm->type, CMT_WAGES)] = sm->v[SM_TOTAL];
    }
}

void
pay_sm_to_sy (const pay_sm_t *sm, int64_t out[SY_N])
{
    memset (out, 0, SY_N * sizeof *out);
    out[SY_PAID_MONTHS] = s_sm_paying (sm);
    if (s_type_ok (sm->type))
        out[SY_T (sm->type)] = s_sm_paying (sm);
}

void
pay_sy_to_cy (const pay_counts_t *sy, int64_t out[CY_N])
{
    memset (out, 0, CY_N * sizeof *out);
    out[CY_WORKSHOPS] = sy->v[SY_PAID_MONTHS] > 0;
    for (int t = 1; t <= PAY_TYPES; t++)
        out[CY_T (t, CYT_WORKSHOPS)] = sy->v[SY_T (t)] > 0;
}

/*  The wages of month 'month' of a worker-year, and the types of the workshops that paid
 *  them (bit t).  */
static int64_t
s_month_wages (const pay_wy_t *wy, int month, unsigned *ret_types)
{
    int64_t wages = 0;
    unsigned types = 0;
    for (size_t i = 0; i < wy->n; i++) {
        const pay_mline_t *l = &wy->lines[i];
        if (l->month != month)
            continue;
        wages += l->gross;
        if (l->gross > 0 && s_type_ok (l->type))
            types |= 1u << l->type;
    }
    *ret_types = types;
    return wages;
}

void
pay_month_to_cm (const pay_wy_t *wy, int month, bool poor, int64_t out[CM_N])
{
    memset (out, 0, CM_N * sizeof *out);
    unsigned types;
    int64_t wages = s_month_wages (wy, month, &types);
    bool paid = wages > 0;
    out[CM_PAID] = paid;
    out[CM_POOR_PAID] = paid && poor;
    out[CM_POOR_WAGES] = poor ? wages : 0;
    for (int t = 1; t <= PAY_TYPES; t++)
        if (types & (1u << t)) {
            out[CM_T (t, CMT_PAID)] = 1;
            out[CM_T (t, CMT_POOR_PAID)] = poor;
        }
}

void
pay_month_to_wy (const pay_wy_t *wy, int month, int64_t out[WY_N])
{
    memset (out, 0, WY_N * sizeof *out);
    unsigned types;
    int64_t wages = s_month_wages (wy, month, &types);
    out[WY_WAGES] = wages;
    out[WY_MONTHS_PAID] = wages > 0;
    for (int t = 1; t <= PAY_TYPES; t++)
        out[WY_T (t)] = (types >> t) & 1u;
}

long
pay_wy_find (const pay_wy_t *wy, int month, const char *workshop_id)
{
    for (size_t i = 0; wy && i < wy->n; i++)
        if (wy->lines[i].month == month && strcmp (wy->lines[i].workshop_id, workshop_id) == 0)
            return (long) i;
    return -1;
}

size_t
pay_wy_month_lines (const pay_wy_t *wy, int month)
{
    size_t n = 0;
    for (size_t i = 0; wy && i < wy->n; i++)
        n += wy->lines[i].month == month;
    return n;
}

void
pay_worker_to_cy (const pay_worker_t *worker, int32_t year, int64_t out[CY_N])
{
    memset (out, 0, CY_N * sizeof *out);
    const pay_year_t *y = s_year (worker, year);
    if (!y)
        return;
    bool paid = y->v[WY_WAGES] > 0;
    bool poor = pay_facts_poor_year (&worker->facts, year);
    int64_t income = pay_year_income (y), ref;
    bool pop = poor && income > 0
               && pay_worker_reference (worker, year, &ref)
                  != CHEJIAN__V1__INCREASE_BASIS__INCREASE_BASIS_UNSPECIFIED;
    int64_t increase = pop ? income - ref : 0;
    out[CY_PAID] = paid;
    out[CY_POOR_PAID] = paid && poor;
    out[CY_POOR_WAGES] = poor ? y->v[WY_WAGES] : 0;
    out[CY_WORKER_MONTHS] = y->v[WY_MONTHS_PAID];
    out[CY_POOR_WORKER_MONTHS] = poor ? y->v[WY_MONTHS_PAID] : 0;
    out[CY_POP] = pop;
    out[CY_INCREASE] = increase;
    for (int t = 1; t <= PAY_TYPES; t++) {
        bool in = y->v[WY_T (t)] > 0;
        out[CY_T (t, CYT_PAID)] = in;
        out[CY_T (t, CYT_POOR_PAID)] = in && poor;
        out[CY_T (t, CYT_POP)] = in && pop;
        out[CY_T (t, CYT_INCREASE)] = in ? increase : 0;
    }
}

void
pay_counterpay_move (int64_t *dst, const int64_t *before, const int64_t *after, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += after[i] - before[i];
}

void
pay_counters_move (int64_t *dst, const int64_t *before, const int64_t *after, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += after[i] - before[i];
}

bool
pay_role_counted (int role)
{
    return role != CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HOST
           && role != CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HEADQUARTERS;
}

/*  A record that moves must have been fetched: a programming error otherwise (-1, logged).  */
int
pay_move (pay_part_t *part, pay_kind_t kind, const char *key, const int64_t *before,
          const int64_t *after, size_t n)
{
    if (memcmp (before, after, n * sizeof *before) == 0)
        return 0;
    void *rec = pay_get (part, kind, key);
    if (!rec) {
        cj_error ("payroll: aggregate %s was not fetched before it moved", key);
        return -1;
    }
    int64_t *v = kind == PAY_SM ? ((pay_sm_t *) rec)->v : ((pay_counts_t *) rec)->v;
    pay_counterpay_move (v, before, after, n);
    return pay_dirty (part, kind, rec);
}

/*  ---- workshop-months ----  */

int
pay_want_sm (pay_part_t *part, const char *county, const char *workshop_id, int32_t period)
{
    char key[PAY_FIELD_MAX];
    int rc = pay_key_sm (key, county, workshop_id, period) || pay_want (part, PAY_SM, key);
    rc = rc || pay_key_sy (key, county, workshop_id, period / 100)
         || pay_want (part, PAY_SY, key);
    rc = rc || pay_key_cm (key, county, period) || pay_want (part, PAY_CM, key);
    rc = rc || pay_key_cy (key, county, period / 100) || pay_want (part, PAY_CY, key);
    return rc ? -1 : 0;
}

pay_sm_t *
pay_sm_begin (pay_part_t *part, const char *county, const char *workshop_id, int32_t period,
              pay_sm_snap_t *snap)
{
    char key[PAY_FIELD_MAX];
    pay_key_sm (key, county, workshop_id, period);
    pay_sm_t *sm = pay_get (part, PAY_SM, key);
    pay_key_sy (key, county, workshop_id, period / 100);
    const pay_counts_t *sy = pay_get (part, PAY_SY, key);
    if (!sm || !sy) {
        cj_error ("payroll: workshop-month %s was not fetched before it changed", key);
        return NULL;
    }
    pay_sm_to_cm (sm, snap->cm);
    pay_sm_to_sy (sm, snap->sy);
    pay_sy_to_cy (sy, snap->cy);
    return sm;
}

int
pay_sm_end (pay_part_t *part, pay_sm_t *sm, const char *county, const char *workshop_id,
            int32_t period, const pay_sm_snap_t *snap)
{
    int64_t cm[CM_N], sy[SY_N], cy[CY_N];
    char key[PAY_FIELD_MAX];
    pay_sm_to_cm (sm, cm);
    pay_sm_to_sy (sm, sy);
    pay_key_cm (key, county, period);
    if (pay_dirty (part, PAY_SM, sm) != 0 || pay_move (part, PAY_CM, key, snap->cm, cm, CM_N) != 0)
        return -1;
    pay_key_sy (key, county, workshop_id, period / 100);
    if (pay_move (part, PAY_SY, key, snap->sy, sy, SY_N) != 0)
        return -1;
    pay_sy_to_cy (pay_get (part, PAY_SY, key), cy);
    pay_key_cy (key, county, period / 100);
    return pay_move (part, PAY_CY, key, snap->cy, cy, CY_N);
}

/*  ---- workers ----  */

void
pay_worker_county (const pay_worker_t *worker, char county[PAY_COUNTY_LEN + 1])
{
    memcpy (county, worker->rec.key, PAY_COUNTY_LEN);
    county[PAY_COUNTY_LEN] = 0;
}

/*  Adds 'year' to the sorted set 'years' (n entries, room for PAY_SNAP_YEARS).  */
static void
s_add_year (int32_t *years, size_t *n, int32_t year)
{
    size_t i = 0;
    while (i < *n && years[i] < year)
        i++;
    if ((i < *n && years[i] == year) || *n == PAY_SNAP_YEARS)
        return;
    memmove (&years[i + 1], &years[i], (*n - i) * sizeof *years);
    years[i] = year;
    (*n)++;
}

/*  The county-years a change of 'worker' may move: 'year' and the next one, or, when 'year'
 *  is 0 (a change of its facts), every year it has income in and the next one.  */
static size_t
s_worker_years (const pay_worker_t *worker, int32_t year, int32_t *years)
{
    size_t n = 0;
    if (year) {
        s_add_year (years, &n, year);
        s_add_year (years, &n, year + 1);
    }
    for (uint16_t i = 0; !year && i < worker->nyears; i++) {
        s_add_year (years, &n, worker->years[i].year);
        s_add_year (years, &n, worker->years[i].year + 1);
    }
    return n;
}

int
pay_want_worker (pay_part_t *part, const pay_worker_t *worker, int32_t year)
{
    int32_t years[PAY_SNAP_YEARS];
    size_t n = s_worker_years (worker, year, years);
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    pay_worker_county (worker, county);
    for (size_t i = 0; i < n; i++)
        if (pay_key_cy (key, county, years[i]) != 0
            || pay_want (part, PAY_CY, key) != 0)
            return -1;
    return 0;
}

void
pay_worker_begin (const pay_worker_t *worker, int32_t year, pay_worker_snap_t *snap)
{
    snap->n = s_worker_years (worker, year, snap->years);
    for (size_t i = 0; i < snap->n; i++)
        pay_worker_to_cy (worker, snap->years[i], snap->cy[i]);
}

int
pay_worker_end (pay_part_t *part, pay_worker_t *worker, const pay_worker_snap_t *snap)
{
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    int64_t cy[CY_N];
    pay_worker_county (worker, county);
    for (size_t i = 0; i < snap->n; i++) {
        pay_worker_to_cy (worker, snap->years[i], cy);
        pay_key_cy (key, county, snap->years[i]);
        if (pay_move (part, PAY_CY, key, snap->cy[i], cy, CY_N) != 0)
            return -1;
    }
    pay_worker_prune (worker);
    return 0;
}

/*  ---- worker-months ----  */

void
pay_wm_begin (const pay_wy_t *wy, int32_t period, bool poor, pay_wm_snap_t *snap)
{
    snap->poor = poor;
    pay_month_to_cm (wy, period % 100, poor, snap->cm);
    pay_month_to_wy (wy, period % 100, snap->wy);
}

int
pay_wm_end (pay_part_t *part, pay_wy_t *wy, int32_t period, pay_worker_t *worker,
            const pay_wm_snap_t *snap)
{
    int64_t cm[CM_N], wyv[WY_N];
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    int month = period % 100;
    pay_month_to_cm (wy, month, snap->poor, cm);
    pay_month_to_wy (wy, month, wyv);
    pay_worker_county (worker, county);
    pay_key_cm (key, county, period);
    wy->worker = worker;
    if (pay_dirty (part, PAY_WY, wy) != 0 || pay_move (part, PAY_CM, key, snap->cm, cm, CM_N) != 0)
        return -1;
    pay_year_t *y = pay_worker_year (worker, period / 100, true);
    if (!y)
        return -1;
    pay_counters_move (y->v, snap->wy, wyv, WY_N);
    uint16_t bit = (uint16_t) (1u << (month - 1));
    y->months = (uint16_t) (pay_wy_month_lines (wy, month) ? y->months | bit : y->months & ~bit);
    return 0;
}
