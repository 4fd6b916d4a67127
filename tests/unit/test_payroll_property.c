/*  test_payroll_property.c - for random sequences of registry facts, wage reports and
 *  corrections (repeats and clearing ones included), status changes back in time, new
 *  baselines, shareholder payments, output reports, workshop type changes and restarts,
 *  (and duplicate envelopes, which the runtime's dedup answers without applying them again),
 *  every aggregate the queries expose (county month and year with their per-type figures,
 *  workshop months, worker months and years with the income increase) equals a
 *  recomputation from the surviving lines by a model written independently of the core.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "payroll_harness.h"

#define NC       2                   /* counties */
#define NW       10                  /* workers per county */
#define NS       4                   /* workshops per county */
#define NK       3                   /* stakes per county */
#define Y0       2019
#define NY       2
#define NP       (NY * 12)           /* periods 201901 .. 202012 */
#define STEPS    600
#define SEEDS    40

static const char *const COUNTY[NC] = { "510822", "500236" };
static const int POVERTY[] = { 1, 2, 3, 4, 5 };   /* NOT_REGISTERED .. REVOKED */

typedef struct { int32_t date; int status; } m_status_t;

typedef struct {
    char       rid[19];
    m_status_t hist[64];
    int        nhist;
    int64_t    baseline;
    int32_t    baseline_year;
} m_worker_t;

typedef struct {
    bool    present;
    int     type;                    /* the workshop's type when applied */
    bool    counted;
    int64_t gross[NW];               /* -1: no line */
    int     basis[NW], site[NW];
} m_report_t;

typedef struct {
    m_worker_t w[NC][NW];
    int        type[NC][NS];
    int        role[NC][NS];
    int        stake_worker[NC][NK];  /* -1: none */
    m_report_t rep[NC][NS][NP];
    int64_t    pay[NC][NK][NY][2];
    int        pay_worker[NC][NK][NY][2];
    int64_t    out[NC][NS][NY][4];    /* one report per quarter */
    uint64_t   rng;
} model_t;

static ph_t *H;
static model_t M;
static cj_envelope_t *s_accepted;    /* an envelope accepted earlier (sent again as a duplicate) */

static unsigned
s_rand (unsigned n)
{
    M.rng = M.rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned) (M.rng >> 33) % n;
}

static int32_t s_period (int p) { return (Y0 + p / 12) * 100 + p % 12 + 1; }
static int32_t s_last_day (int32_t period) { return pay_period_last_day (period); }

static int
s_status_on (const m_worker_t *w, int32_t date)
{
    int s = w->hist[0].status;
    for (int i = 0; i < w->nhist; i++)
        if (w->hist[i].date <= date)
            s = w->hist[i].status;
    return s;
}

static bool
s_poor_on (const m_worker_t *w, int32_t date)
{
    int s = s_status_on (w, date);
    return s == 2 || s == 3 || s == 4;
}

static void
s_hist_put (m_worker_t *w, int32_t date, int status)
{
    int i = 0;
    while (i < w->nhist && w->hist[i].date < date)
        i++;
    if (i < w->nhist && w->hist[i].date == date) {
        w->hist[i].status = status;
        return;
    }
    memmove (&w->hist[i + 1], &w->hist[i], (size_t) (w->nhist - i) * sizeof *w->hist);
    w->hist[i] = (m_status_t) { date, status };
    w->nhist++;
}

static char s_ws_id[NS][4] = { "W0", "W1", "W2", "W3" };

static void
s_emp_id (int c, int w, int s, char *out)
{
    sprintf (out, "E%d-%d-%d", c, w, s);
}

/*  ---- setting up ----  */

static void
s_setup_county (int c)
{
    for (int s = 0; s < NS; s++) {
        M.type[c][s] = 1 + (int) s_rand (PAY_TYPES);
        M.role[c][s] = s == NS - 1 ? CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HOST
                                   : CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
        cj_envelope_t *env = ph_workshop_registered (H, COUNTY[c], s_ws_id[s], M.type[c][s],
                                                     20180101, 1);
        env->workshop_registered->details->role = M.role[c][s];
        ph_event (H, env);
    }
    for (int w = 0; w < NW; w++) {
        m_worker_t *mw = &M.w[c][w];
        ph_resident_id ((unsigned) (c * 1000 + w + 1), mw->rid);
        mw->hist[0] = (m_status_t) { 20180101, POVERTY[s_rand (5)] };
        mw->nhist = 1;
        mw->baseline = s_rand (3) ? (int64_t) s_rand (1000000) : 0;
        mw->baseline_year = mw->baseline || s_rand (2) ? 2018 : 0;
        ph_event (H, ph_worker_registered (H, COUNTY[c], mw->rid, mw->hist[0].status,
                                           20180101, mw->baseline, mw->baseline_year));
        for (int s = 0; s < NS; s++) {
            char id[32];
            s_emp_id (c, w, s, id);
            ph_event (H, ph_employment_started (H, COUNTY[c], id, mw->rid, s_ws_id[s], 20180101));
        }
    }
    for (int k = 0; k < NK; k++) {
        char id[8];
        sprintf (id, "S%d", k);
        M.stake_worker[c][k] = k == NK - 1 ? -1 : (int) s_rand (NW);
        ph_event (H, ph_shareholding (H, COUNTY[c], id, k == NK - 1 ? NULL
                                      : M.w[c][M.stake_worker[c][k]].rid, "W0", 1));
    }
}

static void
s_setup_model (uint64_t seed)
{
    memset (&M, 0, sizeof M);
    M.rng = seed;
    memset (M.pay_worker, -1, sizeof M.pay_worker);
    H = ph_new ();
    for (int c = 0; c < NC; c++)
        s_setup_county (c);
    assert_int_equal (ph_commit (H), 0);
}

/*  ---- operations ----  */

static void
s_accept (cj_envelope_t *env)
{
    int status = ph_command (H, env);
    if (status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED) {
        char text[1024];
        cj_problems_format (ph_problems (H), text, sizeof text);
        fail_msg ("command %s refused (%d): %s", cj_body_name (env->body_case), status, text);
    }
}

/*  A report (or a correction) of workshop 's' for period 'p': a random third of the workers,
 *  the same content again now and then, or no line at all ('clear'). Sometimes the store
 *  fails its reads meanwhile: the command is then UNAVAILABLE and nothing changes.  */
static void
s_op_report (int c, int s, int p, bool clear)
{
    m_report_t *r = &M.rep[c][s][p], now = *r;
    ph_line_t lines[NW];
    char ids[NW][32];
    size_t n = 0;
    bool repeat = r->present && s_rand (5) == 0;
    for (int w = 0; w < NW; w++) {
        bool in = repeat ? r->gross[w] >= 0 : !clear && s_rand (3) == 0;
        if (!in) {
            now.gross[w] = -1;
            continue;
        }
        if (!repeat) {
            now.gross[w] = s_rand (4) ? 1000 + (int64_t) s_rand (500000) : 0;
            now.basis[w] = s_rand (3) ? PAY_MONTHLY : PAY_PIECE_RATE;
            now.site[w] = s_rand (4) ? CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE : PAY_SITE_HOME;
        }
        s_emp_id (c, w, s, ids[n]);
        bool piece = now.basis[w] == PAY_PIECE_RATE;
        lines[n] = (ph_line_t) { M.w[c][w].rid, ids[n], now.gross[w], now.basis[w],
                                 piece ? (uint32_t) now.gross[w] : 0, piece ? 1000 : 0,
                                 now.site[w] };
        n++;
    }
    if (n == 0 && !r->present)
        return;                       /* a first report needs lines */
    bool fail = s_rand (20) == 0;
    ph_fail_reads (H, fail);
    cj_envelope_t *env = ph_wage_report (H, COUNTY[c], s_ws_id[s], s_period (p), 0, lines, n);
    int status = ph_command (H, env);
    if (status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED && s_rand (4) == 0)
        assert_int_equal (ph_command (H, env), CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    if (status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        s_accepted = env;
    ph_fail_reads (H, false);
    if (fail && status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE)
        return;
    if (status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        s_accept (env);               /* reports why */
    *r = now;
    r->present = true;
    r->type = M.type[c][s];
    r->counted = M.role[c][s] == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
}

static void
s_op_status (int c, int w)
{
    int status = POVERTY[s_rand (5)];
    int32_t date = (Y0 + (int) s_rand (NY)) * 10000 + (1 + (int) s_rand (12)) * 100 + 1;
    ph_event (H, ph_status_changed (H, COUNTY[c], M.w[c][w].rid, status, date));
    s_hist_put (&M.w[c][w], date, status);
}

static void
s_op_baseline (int c, int w)
{
    m_worker_t *mw = &M.w[c][w];
    mw->baseline = (int64_t) s_rand (800000);
    mw->baseline_year = s_rand (4) ? 2018 : 0;
    ph_event (H, ph_worker_updated (H, COUNTY[c], mw->rid, mw->baseline, mw->baseline_year));
}

static void
s_op_payment (int c, int k)
{
    int y = (int) s_rand (NY), kind = (int) s_rand (2);
    int64_t amount = (int64_t) s_rand (300000);
    char id[8];
    sprintf (id, "S%d", k);
    s_accept (ph_payment (H, COUNTY[c], id, Y0 + y, kind ? PAY_GUARANTEED : PAY_DIVIDEND,
                          amount));
    M.pay[c][k][y][kind] = amount;
    M.pay_worker[c][k][y][kind] = M.stake_worker[c][k];
}

static void
s_op_output (int c, int s)
{
    int y = (int) s_rand (NY), q = (int) s_rand (4);
    int64_t amount = (int64_t) s_rand (10000000);
    int32_t first = (Y0 + y) * 100 + q * 3 + 1;
    s_accept (ph_output (H, COUNTY[c], s_ws_id[s], first, first + 2, amount));
    M.out[c][s][y][q] = amount;
}

static void
s_op_type (int c, int s)
{
    static uint32_t version[NC][NS];
    M.type[c][s] = 1 + (int) s_rand (PAY_TYPES);
    version[c][s] = version[c][s] ? version[c][s] + 1 : 2;
    cj_envelope_t *env = ph_workshop_registered (H, COUNTY[c], s_ws_id[s], M.type[c][s],
                                                 20180101, version[c][s]);
    env->workshop_updated->details->role = M.role[c][s];
    ph_event (H, env);
}

static void
s_step (void)
{
    int c = (int) s_rand (NC), s = (int) s_rand (NS), w = (int) s_rand (NW);
    unsigned what = s_rand (100);
    if (s_accepted && s_rand (8) == 0)       /* a retry of an earlier envelope, maybe turns ago */
        assert_int_equal (ph_command (H, s_accepted),
                          CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    if (what < 55)
        s_op_report (c, s, (int) s_rand (NP), s_rand (15) == 0);
    else if (what < 70)
        s_op_status (c, w);
    else if (what < 76)
        s_op_baseline (c, w);
    else if (what < 86)
        s_op_payment (c, (int) s_rand (NK));
    else if (what < 93)
        s_op_output (c, s);
    else if (what < 97)
        s_op_type (c, s);
    else {
        assert_int_equal (ph_commit (H), 0);
        ph_restart (H);
    }
    if (s_rand (3) == 0)
        assert_int_equal (ph_commit (H), 0);
    ph_ack_done (H);
}

/*  ---- the recomputation ----  */

static int64_t
s_round (int64_t num, int64_t den)
{
    if (!den)
        return 0;
    int64_t q = (num < 0 ? -num : num) * 2 / den;
    q = (q + 1) / 2;
    return num < 0 ? -q : q;
}

static int64_t
s_output_of (int c, int s, int p)
{
    int y = p / 12, q = (p % 12) / 3, i = p % 3;
    int64_t total = M.out[c][s][y][q];
    return i < 2 ? total / 3 : total - 2 * (total / 3);
}

/*  A worker's wages in a period, and the types of the workshops that paid it (bits).  */
static int64_t
s_worker_month (int c, int w, int p, unsigned *types)
{
    int64_t wages = 0;
    *types = 0;
    for (int s = 0; s < NS; s++) {
        const m_report_t *r = &M.rep[c][s][p];
        if (!r->present || r->gross[w] < 0)
            continue;
        wages += r->gross[w];
        if (r->gross[w] > 0)
            *types |= 1u << r->type;
    }
    return wages;
}

typedef struct {
    int64_t wages, dividends, guaranteed;
    int     months;
    int     type_months[PAY_TYPES + 1];
} m_year_t;

static m_year_t
s_worker_year (int c, int w, int y)
{
    m_year_t out = { 0 };
    for (int m = 0; m < 12; m++) {
        unsigned types;
        int64_t wages = s_worker_month (c, w, y * 12 + m, &types);
        out.wages += wages;
        out.months += wages > 0;
        for (int t = 1; t <= PAY_TYPES; t++)
            out.type_months[t] += (types >> t) & 1u;
    }
    for (int k = 0; k < NK; k++)
        for (int kind = 0; kind < 2; kind++)
            if (M.pay_worker[c][k][y][kind] == w)
                *(kind ? &out.guaranteed : &out.dividends) += M.pay[c][k][y][kind];
    return out;
}

/*  The increase reference: basis (0 none, 1 baseline, 2 previous year) and amount.  */
static int
s_reference (int c, int w, int y, int64_t *ref)
{
    if (y > 0) {
        m_year_t prev = s_worker_year (c, w, y - 1);
        int64_t income = prev.wages + prev.dividends + prev.guaranteed;
        if (income > 0) {
            *ref = income;
            return 2;
        }
    }
    *ref = M.w[c][w].baseline_year ? M.w[c][w].baseline : 0;
    return M.w[c][w].baseline_year ? 1 : 0;
}

static void
s_check_month (int c, int p)
{
    int64_t wages = 0, output = 0, poor_wages = 0;
    int64_t paid = 0, poor_paid = 0, workshops = 0;
    int64_t t_wages[PAY_TYPES + 1] = { 0 }, t_ws[PAY_TYPES + 1] = { 0 }, t_paid[PAY_TYPES + 1] = { 0 };
    for (int s = 0; s < NS; s++) {
        const m_report_t *r = &M.rep[c][s][p];
        int64_t total = 0;
        for (int w = 0; r->present && w < NW; w++)
            total += r->gross[w] > 0 ? r->gross[w] : 0;
        wages += total;
        output += s_output_of (c, s, p);
        workshops += r->present && r->counted && total > 0;
        if (r->present) {
            t_wages[r->type] += total;
            t_ws[r->type] += r->counted && total > 0;
        }
    }
    for (int w = 0; w < NW; w++) {
        unsigned types;
        int64_t ww = s_worker_month (c, w, p, &types);
        bool poor = s_poor_on (&M.w[c][w], s_last_day (s_period (p)));
        paid += ww > 0;
        poor_paid += ww > 0 && poor;
        poor_wages += poor ? ww : 0;
        for (int t = 1; t <= PAY_TYPES; t++)
            t_paid[t] += (types >> t) & 1u;
    }
    cj_ack_t ack;
    Chejian__V1__GetCountyIncomeSummary q = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    q.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
    q.period = s_period (p);
    assert_int_equal (ph_query (H, ph_envelope (H, COUNTY[c], CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY, &q), &ack), 0);
    const Chejian__V1__CountyIncomeSummary *got = ack.county_income_summary;
    assert_int_equal (got->total_wages_fen, wages);
    assert_int_equal (got->output_value_fen, output);
    assert_int_equal (got->workshops_paying, workshops);
    assert_int_equal (got->paid_headcount, paid);
    assert_int_equal (got->poor_paid_headcount, poor_paid);
    assert_int_equal (got->poor_wages_fen, poor_wages);
    assert_int_equal (got->average_monthly_wage_fen, s_round (wages, paid));
    for (size_t i = 0; i < got->n_by_type; i++) {
        int t = got->by_type[i]->type;
        assert_int_equal (got->by_type[i]->total_wages_fen, t_wages[t]);
        assert_int_equal (got->by_type[i]->workshops_paying, t_ws[t]);
        assert_int_equal (got->by_type[i]->paid_headcount, t_paid[t]);
        t_wages[t] = t_ws[t] = t_paid[t] = 0;
    }
    for (int t = 1; t <= PAY_TYPES; t++)       /* a type not listed has nothing */
        assert_true (t_wages[t] == 0 && t_ws[t] == 0 && t_paid[t] == 0);
}

/*  The workshop months of one workshop, and its line sums.  */
static void
s_check_workshop (int c, int s)
{
    cj_ack_t ack;
    Chejian__V1__GetWorkshopPayroll q = CHEJIAN__V1__GET_WORKSHOP_PAYROLL__INIT;
    q.workshop_id = s_ws_id[s];
    q.from_period = s_period (0);
    q.to_period = s_period (NP - 1);
    assert_int_equal (ph_query (H, ph_envelope (H, COUNTY[c], CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP_PAYROLL, &q), &ack), 0);
    assert_int_equal (ack.workshop_payroll->n_months, NP);
    for (int p = 0; p < NP; p++) {
        const m_report_t *r = &M.rep[c][s][p];
        const Chejian__V1__WorkshopPayrollMonth *m = ack.workshop_payroll->months[p];
        int64_t total = 0, paid = 0, poor_paid = 0, poor_wages = 0, piece = 0, home = 0;
        for (int w = 0; r->present && w < NW; w++) {
            if (r->gross[w] < 0)
                continue;
            bool poor = s_poor_on (&M.w[c][w], s_last_day (s_period (p)));
            total += r->gross[w];
            paid += r->gross[w] > 0;
            poor_paid += r->gross[w] > 0 && poor;
            poor_wages += poor ? r->gross[w] : 0;
            piece += r->gross[w] > 0 && r->basis[w] == PAY_PIECE_RATE;
            home += r->gross[w] > 0 && r->site[w] == PAY_SITE_HOME;
        }
        assert_int_equal (m->total_wages_fen, total);
        assert_int_equal (m->paid_headcount, paid);
        assert_int_equal (m->poor_paid_headcount, poor_paid);
        assert_int_equal (m->poor_wages_fen, poor_wages);
        assert_int_equal (m->piece_rate_headcount, piece);
        assert_int_equal (m->home_headcount, home);
        assert_int_equal (m->output_value_fen, s_output_of (c, s, p));
        assert_int_equal (m->average_wage_fen, s_round (total, paid));
    }
}

typedef struct {
    int64_t paid, poor_paid, poor_wages, months, poor_months, pop, increase;
    int64_t t_paid[PAY_TYPES + 1], t_poor[PAY_TYPES + 1], t_pop[PAY_TYPES + 1];
    int64_t t_inc[PAY_TYPES + 1];
} m_cy_t;

/*  One worker's year against its GetWorkerIncome answer; adds it to the county-year.  */
static void
s_check_worker_year (int c, int w, int y, const Chejian__V1__WorkerYearIncome *got, m_cy_t *cy)
{
    m_year_t my = s_worker_year (c, w, y);
    int64_t income = my.wages + my.dividends + my.guaranteed, ref;
    int basis = s_reference (c, w, y, &ref);
    bool poor = s_poor_on (&M.w[c][w], (Y0 + y) * 10000 + 1231);
    assert_int_equal (got->wages_fen, my.wages);
    assert_int_equal (got->dividends_fen, my.dividends);
    assert_int_equal (got->guaranteed_fen, my.guaranteed);
    assert_int_equal (got->months_paid, my.months);
    assert_int_equal (got->increase_basis, basis);
    assert_int_equal (got->reference_income_fen, ref);
    assert_int_equal (got->increase_fen, basis ? income - ref : 0);
    bool pop = poor && income > 0 && basis;
    cy->paid += my.wages > 0;
    cy->poor_paid += my.wages > 0 && poor;
    cy->poor_wages += poor ? my.wages : 0;
    cy->months += my.months;
    cy->poor_months += poor ? my.months : 0;
    cy->pop += pop;
    cy->increase += pop ? income - ref : 0;
    for (int t = 1; t <= PAY_TYPES; t++) {
        bool in = my.type_months[t] > 0;
        cy->t_paid[t] += in;
        cy->t_poor[t] += in && poor;
        cy->t_pop[t] += in && pop;
        cy->t_inc[t] += in && pop ? income - ref : 0;
    }
}

static void
s_check_workers (int c, m_cy_t cy[NY])
{
    for (int w = 0; w < NW; w++) {
        cj_ack_t ack;
        Chejian__V1__GetWorkerIncome q = CHEJIAN__V1__GET_WORKER_INCOME__INIT;
        q.resident_id = M.w[c][w].rid;
        q.from_period = s_period (0);
        q.to_period = s_period (NP - 1);
        assert_int_equal (ph_query (H, ph_envelope (H, COUNTY[c], CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER_INCOME, &q), &ack), 0);
        const Chejian__V1__WorkerIncome *got = ack.worker_income;
        assert_int_equal (got->n_years, NY);
        for (int y = 0; y < NY; y++)
            s_check_worker_year (c, w, y, got->years[y], &cy[y]);
        size_t m = 0;
        for (int p = 0; p < NP; p++) {
            unsigned types;
            int64_t wages = s_worker_month (c, w, p, &types);
            bool any = false;
            for (int s = 0; s < NS; s++)
                any = any || (M.rep[c][s][p].present && M.rep[c][s][p].gross[w] >= 0);
            if (!any)
                continue;
            assert_true (m < got->n_months);
            assert_int_equal (got->months[m]->period, s_period (p));
            assert_int_equal (got->months[m++]->wages_fen, wages);
        }
        assert_int_equal (m, got->n_months);
    }
}

static void
s_check_year (int c, int y, const m_cy_t *cy)
{
    int64_t dividends = 0, guaranteed = 0, workshops = 0, t_ws[PAY_TYPES + 1] = { 0 };
    for (int k = 0; k < NK; k++) {
        dividends += M.pay[c][k][y][0];
        guaranteed += M.pay[c][k][y][1];
    }
    for (int s = 0; s < NS; s++) {
        unsigned types = 0;
        bool paying = false;
        for (int m = 0; m < 12; m++) {
            const m_report_t *r = &M.rep[c][s][y * 12 + m];
            int64_t total = 0;
            for (int w = 0; r->present && w < NW; w++)
                total += r->gross[w] > 0 ? r->gross[w] : 0;
            if (r->present && r->counted && total > 0) {
                paying = true;
                types |= 1u << r->type;
            }
        }
        workshops += paying;
        for (int t = 1; t <= PAY_TYPES; t++)
            t_ws[t] += (types >> t) & 1u;
    }
    cj_ack_t ack;
    Chejian__V1__GetCountyIncomeSummary q = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    q.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR;
    q.year = Y0 + y;
    assert_int_equal (ph_query (H, ph_envelope (H, COUNTY[c], CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY, &q), &ack), 0);
    const Chejian__V1__CountyIncomeSummary *got = ack.county_income_summary;
    assert_int_equal (got->paid_headcount, cy->paid);
    assert_int_equal (got->poor_paid_headcount, cy->poor_paid);
    assert_int_equal (got->poor_wages_fen, cy->poor_wages);
    assert_int_equal (got->average_monthly_wage_fen, s_round (got->total_wages_fen, cy->months));
    assert_int_equal (got->poor_average_monthly_wage_fen, s_round (cy->poor_wages, cy->poor_months));
    assert_int_equal (got->dividends_fen, dividends);
    assert_int_equal (got->guaranteed_fen, guaranteed);
    assert_int_equal (got->workshops_paying, workshops);
    assert_int_equal (got->poor_laborers_with_income, cy->pop);
    assert_int_equal (got->total_increase_fen, cy->increase);
    assert_int_equal (got->average_increase_fen, s_round (cy->increase, cy->pop));
    for (size_t i = 0; i < got->n_by_type; i++) {
        int t = got->by_type[i]->type;
        assert_int_equal (got->by_type[i]->workshops_paying, t_ws[t]);
        assert_int_equal (got->by_type[i]->paid_headcount, cy->t_paid[t]);
        assert_int_equal (got->by_type[i]->poor_paid_headcount, cy->t_poor[t]);
        assert_int_equal (got->by_type[i]->average_increase_fen, s_round (cy->t_inc[t], cy->t_pop[t]));
    }
}

static void
s_check_all (void)
{
    for (int c = 0; c < NC; c++) {
        m_cy_t cy[NY];
        memset (cy, 0, sizeof cy);
        for (int p = 0; p < NP; p++)
            s_check_month (c, p);
        for (int s = 0; s < NS; s++)
            s_check_workshop (c, s);
        s_check_workers (c, cy);
        for (int y = 0; y < NY; y++)
            s_check_year (c, y, &cy[y]);
        ph_ack_done (H);
    }
}

static void
test_random_sequences (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        s_setup_model (seed);
        for (int step = 0; step < STEPS; step++) {
            s_step ();
            if (step % 50 == 49) {
                assert_int_equal (ph_commit (H), 0);
                s_check_all ();
            }
            if (step % 100 == 99) {
                ph_reset_messages (H);
                s_accepted = NULL;
            }
        }
        assert_int_equal (ph_commit (H), 0);
        s_check_all ();
        ph_restart (H);                  /* everything reloads from the store */
        s_check_all ();
        ph_destroy (&H);
        s_accepted = NULL;
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_random_sequences),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
