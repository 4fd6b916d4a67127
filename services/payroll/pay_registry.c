/*  pay_registry.c - what payroll learns from the registry's events: workshops (type, role,
 *  open dates), workers (registered-poor status history, baseline income), employments
 *  (worker, workshop, dates) and shareholdings (household, signing member). Facts live in
 *  memory and are written at the turn's flush. A change of a worker's facts moves every
 *  aggregate that depends on them: the months whose registered-poor status flips and the
 *  county-years of its income.
 *
 *  An event that cannot be applied now (the store did not answer a read, no memory) poisons
 *  the partition's turn: nothing of the turn is committed, the cursor does not move, and the
 *  event comes again from the registry's outbox (a dead letter would lose it).  */
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "payroll_internal.h"

#define S_POVERTY CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS

static void *
s_fact (pay_part_t *part, pay_kind_t kind, const char *county, const char *id)
{
    char key[PAY_FIELD_MAX];
    if (pay_key_id (key, county, id) != 0)
        return NULL;
    return pay_get_new (part, kind, key);
}

/*  ---- workshops, employments, shareholdings ----  */

static int
s_workshop (pay_part_t *part, const char *county, const char *id, uint32_t version,
            const Chejian__V1__WorkshopDetails *d)
{
    pay_workshop_t *ws = s_fact (part, PAY_WORKSHOP, county, id);
    if (!ws)
        return -1;
    if (!d || (ws->version && version <= ws->version))
        return 0;                    /* an older record than the one held */
    ws->version = version;
    ws->type = (uint8_t) d->type;
    ws->role = (uint8_t) d->role;
    ws->opened = d->opened_date;
    ws->closed = d->closed_date;
    return pay_dirty (part, PAY_WORKSHOP, ws);
}

static int
s_employment (pay_part_t *part, const char *county, const char *id, const char *worker_key,
              const char *workshop_id, int32_t start)
{
    pay_emp_t *e = s_fact (part, PAY_EMPLOYMENT, county, id);
    if (!e)
        return -1;
    pay_copy (e->worker_key, sizeof e->worker_key, worker_key);
    pay_copy (e->workshop_id, sizeof e->workshop_id, workshop_id);
    if (start)
        e->start = start;
    return pay_dirty (part, PAY_EMPLOYMENT, e);
}

static int
s_employment_ended (pay_part_t *part, const char *county, const Chejian__V1__EmploymentEnded *ev)
{
    if (s_employment (part, county, ev->employment_id, ev->worker_key, ev->workshop_id,
                      ev->start_date) != 0)
        return -1;
    pay_emp_t *e = s_fact (part, PAY_EMPLOYMENT, county, ev->employment_id);
    e->end = ev->end_date;
    e->voided = ev->reason == CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR;
    return 0;
}

static int
s_shareholding (pay_part_t *part, const char *county, const Chejian__V1__ShareholdingRecorded *ev)
{
    pay_stake_t *s = s_fact (part, PAY_STAKE, county, ev->shareholding_id);
    if (!s)
        return -1;
    if (s->version && ev->version <= s->version)
        return 0;
    s->version = ev->version;
    s->guaranteed = ev->guaranteed_annual_fen;
    pay_copy (s->household_key, sizeof s->household_key, ev->household_key);
    pay_copy (s->worker_key, sizeof s->worker_key, ev->worker_key);
    pay_copy (s->workshop_id, sizeof s->workshop_id, ev->workshop_id);
    return pay_dirty (part, PAY_STAKE, s);
}

/*  ---- workers ----  */

/*  Sets the status from 'date' in 'facts' (replacing an entry of the same date), keeping the
 *  history ascending and at most PAY_HISTORY_MAX long (the oldest entries go first).  */
static int
s_history_put (pay_facts_t *facts, int32_t date, int status)
{
    uint16_t i = 0;
    while (i < facts->nstatus && facts->status[i].date < date)
        i++;
    if (i < facts->nstatus && facts->status[i].date == date) {
        facts->status[i].status = (uint8_t) status;
        return 0;
    }
    pay_status_t *s = realloc (facts->status, (facts->nstatus + 1u) * sizeof *s);
    if (!s)
        return -1;
    facts->status = s;
    memmove (&s[i + 1], &s[i], (facts->nstatus - i) * sizeof *s);
    s[i] = (pay_status_t) { date, (uint8_t) status };
    if (++facts->nstatus > PAY_HISTORY_MAX) {
        memmove (s, s + 1, --facts->nstatus * sizeof *s);
    }
    return 0;
}

static int
s_facts_copy (pay_facts_t *dst, const pay_facts_t *src)
{
    *dst = *src;
    dst->status = malloc ((src->nstatus ? src->nstatus : 1u) * sizeof *dst->status);
    if (!dst->status)
        return -1;
    if (src->nstatus)
        memcpy (dst->status, src->status, src->nstatus * sizeof *dst->status);
    return 0;
}

/*  The months of 'w' whose registered-poor status differs between its facts and 'now', with
 *  the records their change moves asked for (the years' records and county-months).  */
static size_t
s_flips (pay_part_t *part, const pay_worker_t *w, const pay_facts_t *now, int32_t *periods,
         size_t max)
{
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    pay_worker_county (w, county);
    size_t n = 0;
    for (uint16_t i = 0; i < w->nyears; i++)
        for (int m = 1; m <= 12; m++) {
            int32_t period = w->years[i].year * 100 + m;
            if (!(w->years[i].months >> (m - 1) & 1u) || n == max
                || pay_facts_poor_month (&w->facts, period) == pay_facts_poor_month (now, period))
                continue;
            periods[n++] = period;
            pay_key_wy (key, county, w->rec.key + PAY_COUNTY_LEN + 1, w->years[i].year);
            pay_want (part, PAY_WY, key);
            pay_key_cm (key, county, period);
            pay_want (part, PAY_CM, key);
        }
    return n;
}

/*  The year record of a flipped month (fetched).  */
static const pay_wy_t *
s_flip_year (pay_part_t *part, const pay_worker_t *w, int32_t period)
{
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    pay_worker_county (w, county);
    pay_key_wy (key, county, w->rec.key + PAY_COUNTY_LEN + 1, period / 100);
    return pay_get (part, PAY_WY, key);
}

/*  The workshop-months of the lines of the flipped months (known only once the years'
 *  records are fetched).  */
static int
s_want_line_months (pay_part_t *part, const pay_worker_t *w, const int32_t *periods, size_t n)
{
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    pay_worker_county (w, county);
    for (size_t i = 0; i < n; i++) {
        const pay_wy_t *wy = s_flip_year (part, w, periods[i]);
        for (size_t k = 0; wy && k < wy->n; k++)
            if (wy->lines[k].month == periods[i] % 100
                && (pay_key_sm (key, county, wy->lines[k].workshop_id, periods[i]) != 0
                    || pay_want (part, PAY_SM, key) != 0))
                return -1;
    }
    return 0;
}

/*  Moves the county-month and workshop-month registered-poor figures of one flipped month.  */
static int
s_flip_month (pay_part_t *part, const pay_worker_t *w, const pay_facts_t *now, int32_t period)
{
    char key[PAY_FIELD_MAX], county[PAY_COUNTY_LEN + 1];
    pay_worker_county (w, county);
    bool was = pay_facts_poor_month (&w->facts, period), is = pay_facts_poor_month (now, period);
    const pay_wy_t *wy = s_flip_year (part, w, period);
    int64_t a[CM_N], b[CM_N];
    if (!wy)
        return -1;
    pay_month_to_cm (wy, period % 100, was, a);
    pay_month_to_cm (wy, period % 100, is, b);
    pay_key_cm (key, county, period);
    if (pay_move (part, PAY_CM, key, a, b, CM_N) != 0)
        return -1;
    for (size_t k = 0; k < wy->n; k++) {
        const pay_mline_t *l = &wy->lines[k];
        if (l->month != period % 100)
            continue;
        pay_key_sm (key, county, l->workshop_id, period);
        pay_line_to_sm (l->gross, l->basis, l->site, was, a);
        pay_line_to_sm (l->gross, l->basis, l->site, is, b);
        /* the registered-poor sums of a workshop-month feed no county figure */
        if (pay_move (part, PAY_SM, key, a, b, SM_N) != 0)
            return -1;
    }
    return 0;
}

/*  Replaces the facts of the worker '<county>:<worker_key>' with 'now' (taken over, freed on
 *  failure), moving every aggregate that depends on them.  */
static int
s_refacts (pay_part_t *part, const pay_io_t *io, const char *county, const char *worker_key,
           pay_facts_t *now)
{
    char key[PAY_FIELD_MAX];
    int32_t periods[PAY_YEARS_MAX * 12];
    pay_worker_t *w = pay_key_worker (key, county, worker_key) == 0
                      ? pay_get_new (part, PAY_WORKER, key) : NULL;
    pay_worker_snap_t *snap = part->snap;
    size_t n = 0;
    int rc = -1;
    if (!w)
        goto done;
    n = s_flips (part, w, now, periods, sizeof periods / sizeof *periods);
    if (pay_want_worker (part, w, 0) != 0 || pay_fetch (part, io) != 0
        || s_want_line_months (part, w, periods, n) != 0 || pay_fetch (part, io) != 0)
        goto done;
    pay_worker_begin (w, 0, snap);
    for (size_t i = 0; i < n; i++)
        if (s_flip_month (part, w, now, periods[i]) != 0)
            goto done;
    pay_facts_free (&w->facts);
    w->facts = *now;
    now->status = NULL;
    rc = pay_worker_end (part, w, snap) == 0 && pay_dirty (part, PAY_WORKER, w) == 0 ? 0 : -1;
done:
    pay_facts_free (now);
    return rc;
}

static int
s_worker_registered (pay_part_t *part, const pay_io_t *io, const char *county,
                     const Chejian__V1__WorkerRegistered *ev)
{
    char key[PAY_FIELD_MAX];
    pay_key_worker (key, county, ev->worker_key);
    const pay_worker_t *w = pay_get (part, PAY_WORKER, key);
    pay_facts_t now = { 0 };
    if (w && s_facts_copy (&now, &w->facts) != 0)
        return -1;
    now.registered = true;
    pay_copy (now.masked, sizeof now.masked, ev->resident_id_masked);
    if (ev->details) {
        now.baseline = ev->details->baseline_annual_income_fen;
        now.baseline_year = ev->details->baseline_year;
    }
    if (ev->status && ev->status->poverty_status
        && s_history_put (&now, ev->status_date, ev->status->poverty_status) != 0) {
        pay_facts_free (&now);
        return -1;
    }
    return s_refacts (part, io, county, ev->worker_key, &now);
}

/*  WorkerUpdated (new baseline) and WorkerStatusChanged (a poverty status from a date).  */
static int
s_worker_changed (pay_part_t *part, const pay_io_t *io, const char *county,
                  const char *worker_key, const Chejian__V1__WorkerDetails *details,
                  const Chejian__V1__StatusChange *change)
{
    char key[PAY_FIELD_MAX];
    pay_key_worker (key, county, worker_key);
    const pay_worker_t *w = pay_get (part, PAY_WORKER, key);
    pay_facts_t now = { 0 };
    if (w && s_facts_copy (&now, &w->facts) != 0)
        return -1;
    if (details) {
        now.baseline = details->baseline_annual_income_fen;
        now.baseline_year = details->baseline_year;
    }
    if (change && s_history_put (&now, change->effective_date, change->poverty_status) != 0) {
        pay_facts_free (&now);
        return -1;
    }
    return s_refacts (part, io, county, worker_key, &now);
}

/*  ---- the events (one function per body; the service's table routes them) ----  */

int
pay_on_workshop_registered (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__WorkshopRegistered *ev = env->workshop_registered;
    (void) io;
    return s_workshop (part, env->county, ev->workshop_id, ev->version, ev->details);
}

int
pay_on_workshop_updated (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__WorkshopUpdated *ev = env->workshop_updated;
    (void) io;
    return s_workshop (part, env->county, ev->workshop_id, ev->version, ev->details);
}

int
pay_on_worker_registered (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    return s_worker_registered (part, io, env->county, env->worker_registered);
}

int
pay_on_worker_updated (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__WorkerUpdated *ev = env->worker_updated;
    return s_worker_changed (part, io, env->county, ev->worker_key, ev->details, NULL);
}

/*  Only poverty status changes matter to payroll (not disability, allowance, relocation).  */
int
pay_on_worker_status_changed (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__WorkerStatusChanged *ev = env->worker_status_changed;
    if (!ev->change || ev->change->change_case != S_POVERTY)
        return 0;
    return s_worker_changed (part, io, env->county, ev->worker_key, NULL, ev->change);
}

int
pay_on_employment_started (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__EmploymentStarted *ev = env->employment_started;
    (void) io;
    return s_employment (part, env->county, ev->employment_id, ev->worker_key, ev->workshop_id,
                         ev->terms ? ev->terms->start_date : 0);
}

int
pay_on_employment_amended (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    const Chejian__V1__EmploymentAmended *ev = env->employment_amended;
    (void) io;
    return s_employment (part, env->county, ev->employment_id, ev->worker_key, ev->workshop_id,
                         ev->terms ? ev->terms->start_date : 0);
}

int
pay_on_employment_ended (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    (void) io;
    return s_employment_ended (part, env->county, env->employment_ended);
}

int
pay_on_shareholding_recorded (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env)
{
    (void) io;
    return s_shareholding (part, env->county, env->shareholding_recorded);
}
