/*  adj_facts.c - the facts the adjudicator learns from the registry's and payroll's events
 *  (workshops, workers' registered-poor status histories, employments and their terms, wage
 *  months, output reports), and what a rule asks of them. Each event that changes a fact a
 *  decision may rest on sends its workshop to adj_workshop_changed. See
 *  adjudicator_internal.h.  */
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

typedef Chejian__Adj__StatusEntry s_status_t;
typedef Chejian__Adj__TermsFrom   s_terms_t;

/*  ---- what rules ask of the facts ----  */

int
adj_workshop (adj_call_t *c, const char *id, adj_workshop_t **ret)
{
    return adj_read (c, ADJ_WORKSHOPS, id, &chejian__adj__workshop_facts__descriptor,
                     (void **) ret);
}

Chejian__V1__PovertyStatus
adj_status_on (const adj_worker_t *w, int32_t date)
{
    Chejian__V1__PovertyStatus status = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_UNSPECIFIED;
    for (size_t i = 0; i < w->n_history && w->history[i]->effective_date <= date; i++)
        status = w->history[i]->status;
    return status;
}

bool
adj_status_revoked (const adj_worker_t *w, const s_status_t **ret_entry)
{
    const s_status_t *last = w->n_history ? w->history[w->n_history - 1] : NULL;
    if (ret_entry)
        *ret_entry = last;
    return last && last->status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED;
}

bool
adj_registered_poor (Chejian__V1__PovertyStatus status)
{
    return status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
           || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT
           || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED;
}

const s_terms_t *
adj_terms_on (const adj_employment_t *e, int32_t date)
{
    const s_terms_t *terms = e->n_terms ? e->terms[0] : NULL;
    for (size_t i = 1; i < e->n_terms && e->terms[i]->effective_date <= date; i++)
        terms = e->terms[i];
    return terms;
}

bool
adj_voided (const adj_employment_t *e)
{
    return e->end_reason == CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR;
}

bool
adj_open_on (const adj_employment_t *e, int32_t date)
{
    return !adj_voided (e) && adj_within (date, e->start_date, e->end_date);
}

/*  ---- workshops ----  */

static int
s_on_workshop (adj_call_t *c)
{
    const Chejian__V1__WorkshopRegistered *reg = c->env->workshop_registered;
    const Chejian__V1__WorkshopUpdated *upd = c->env->workshop_updated;
    const char *id = reg ? reg->workshop_id : upd->workshop_id;
    uint32_t version = reg ? reg->version : upd->version;
    const Chejian__V1__WorkshopDetails *d = reg ? reg->details : upd->details;
    adj_workshop_t *old = NULL;
    int rc = adj_workshop (c, id, &old);
    if (rc < 0 || !d || (rc == 1 && old->version >= version))
        return rc < 0 ? -1 : 0;           /* an older version than the one kept: nothing new */
    adj_workshop_t ws = CHEJIAN__ADJ__WORKSHOP_FACTS__INIT;
    ws.workshop_id = (char *) id;
    ws.version = version;
    ws.name = d->name;
    ws.type = d->type;
    ws.opened_date = d->opened_date;
    ws.closed_date = d->closed_date;
    ws.operator_name = d->operator_ ? d->operator_->name : "";
    ws.operator_uscc = d->operator_ ? d->operator_->uscc : "";
    ws.source_event_id = c->env->event_id;
    return adj_write (c, ADJ_WORKSHOPS, id, &ws.base);
}

int
adj_on_workshop (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_workshop);
}

/*  ---- workers ----  */

static int
s_worker (adj_call_t *c, const char *key, const char *masked, adj_worker_t **ret)
{
    int rc = adj_read (c, ADJ_WORKERS, key, &chejian__adj__worker_facts__descriptor,
                       (void **) ret);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!(*ret = cj_arena_alloc (c->arena, sizeof **ret)))
        return -1;
    chejian__adj__worker_facts__init (*ret);
    (*ret)->worker_key = (char *) key;
    (*ret)->resident_id_masked = (char *) masked;
    return 0;
}

/*  Inserts a status entry after every entry effective on or before it (arrival order among
 *  the same date); the oldest entry goes when the history is full.  */
static int
s_add_status (adj_call_t *c, adj_worker_t *w, int32_t date, Chejian__V1__PovertyStatus status)
{
    s_status_t *e = cj_arena_alloc (c->arena, sizeof *e);
    s_status_t **h = adj_array (c, w->n_history + 1);
    if (!e || !h)
        return -1;
    chejian__adj__status_entry__init (e);
    e->effective_date = date;
    e->status = status;
    e->source_event_id = c->env->event_id;
    size_t at = w->n_history;
    while (at > 0 && w->history[at - 1]->effective_date > date)
        at--;
    adj_copy (h, w->history, at * sizeof *h);
    h[at] = e;
    adj_copy (h + at + 1, w->history + at, (w->n_history - at) * sizeof *h);
    w->history = h;
    w->n_history++;
    if (w->n_history > ADJ_HISTORY_MAX) {
        w->history++;
        w->n_history--;
    }
    return 0;
}

/*  Sends every workshop where 'worker_key' is or was employed to adj_workshop_changed, once
 *  each, at 'date' (0: at the employment's start date).  */
static int
s_worker_workshops_changed (adj_call_t *c, const char *worker_key, int32_t date)
{
    adj_ids_t *emps;
    if (adj_ids (c, ADJ_EMP_BY_WORKER, worker_key, &emps) != 0)
        return -1;
    char **done = adj_array (c, emps->n_ids);
    size_t ndone = 0;
    for (size_t i = 0; done && i < emps->n_ids; i++) {
        adj_employment_t *e;
        int rc = adj_read (c, ADJ_EMPLOYMENTS, emps->ids[i],
                           &chejian__adj__employment_facts__descriptor, (void **) &e);
        if (rc < 0)
            return -1;
        bool seen = rc == 0;
        for (size_t j = 0; j < ndone && !seen; j++)
            seen = strcmp (done[j], e->workshop_id) == 0;
        if (seen)
            continue;
        done[ndone++] = e->workshop_id;
        if (adj_workshop_changed (c, e->workshop_id, date ? date : e->start_date, true) != 0)
            return -1;
    }
    return done ? 0 : -1;
}

static int
s_on_worker_registered (adj_call_t *c)
{
    const Chejian__V1__WorkerRegistered *ev = c->env->worker_registered;
    adj_worker_t *w;
    if (s_worker (c, ev->worker_key, ev->resident_id_masked, &w) != 0)
        return -1;
    w->resident_id_masked = ev->resident_id_masked;
    w->birth_period = ev->birth_period;
    if (ev->status && ev->status->poverty_status
        && s_add_status (c, w, ev->status_date, ev->status->poverty_status) != 0)
        return -1;
    if (adj_write (c, ADJ_WORKERS, ev->worker_key, &w->base) != 0)
        return -1;
    /* employments learnt before the worker (a replay out of order) count from now on */
    return s_worker_workshops_changed (c, ev->worker_key, 0);
}

int
adj_on_worker_registered (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_worker_registered);
}

static int
s_on_worker_status_changed (adj_call_t *c)
{
    const Chejian__V1__WorkerStatusChanged *ev = c->env->worker_status_changed;
    const Chejian__V1__StatusChange *change = ev->change;
    if (!change || change->change_case != CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS)
        return 0;                         /* only registered-poor status matters here */
    adj_worker_t *w;
    if (s_worker (c, ev->worker_key, ev->resident_id_masked, &w) != 0
        || s_add_status (c, w, change->effective_date, change->poverty_status) != 0
        || adj_write (c, ADJ_WORKERS, ev->worker_key, &w->base) != 0)
        return -1;
    return s_worker_workshops_changed (c, ev->worker_key, change->effective_date);
}

int
adj_on_worker_status_changed (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_worker_status_changed);
}

/*  ---- employments ----  */

static s_terms_t *
s_terms (adj_call_t *c, int32_t date, const Chejian__V1__EmploymentTerms *t)
{
    s_terms_t *out = cj_arena_alloc (c->arena, sizeof *out);
    if (out) {
        chejian__adj__terms_from__init (out);
        out->effective_date = date;
        out->contract_type = t ? t->contract_type : 0;
        out->term_months = t ? t->term_months : 0;
        out->source_event_id = c->env->event_id;
    }
    return out;
}

static int
s_on_employment_started (adj_call_t *c)
{
    const Chejian__V1__EmploymentStarted *ev = c->env->employment_started;
    int32_t start = ev->terms ? ev->terms->start_date : 0;
    adj_employment_t e = CHEJIAN__ADJ__EMPLOYMENT_FACTS__INIT;
    s_terms_t *first = s_terms (c, start, ev->terms);
    if (!first)
        return -1;
    e.employment_id = ev->employment_id;
    e.worker_key = ev->worker_key;
    e.resident_id_masked = ev->resident_id_masked;
    e.workshop_id = ev->workshop_id;
    e.start_date = start;
    e.n_terms = 1;
    e.terms = &first;
    if (adj_write (c, ADJ_EMPLOYMENTS, ev->employment_id, &e.base) != 0
        || adj_ids_add (c, ADJ_EMP_BY_WS, ev->workshop_id, ev->employment_id) != 0
        || adj_ids_add (c, ADJ_EMP_BY_WORKER, ev->worker_key, ev->employment_id) != 0)
        return -1;
    return adj_workshop_changed (c, ev->workshop_id, start, true);
}

int
adj_on_employment_started (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_employment_started);
}

static int
s_employment (adj_call_t *c, const char *id, adj_employment_t **ret)
{
    return adj_read (c, ADJ_EMPLOYMENTS, id, &chejian__adj__employment_facts__descriptor,
                     (void **) ret);
}

static int
s_on_employment_amended (adj_call_t *c)
{
    const Chejian__V1__EmploymentAmended *ev = c->env->employment_amended;
    adj_employment_t *e;
    int rc = s_employment (c, ev->employment_id, &e);
    if (rc <= 0)
        return rc;                         /* an employment never started here: nothing to amend */
    s_terms_t *t = s_terms (c, ev->effective_date, ev->terms);
    s_terms_t **terms = adj_array (c, e->n_terms + 1);
    if (!t || !terms)
        return -1;
    adj_copy (terms, e->terms, e->n_terms * sizeof *terms);
    terms[e->n_terms++] = t;
    e->terms = terms;
    if (adj_write (c, ADJ_EMPLOYMENTS, e->employment_id, &e->base) != 0)
        return -1;
    return adj_workshop_changed (c, e->workshop_id, ev->effective_date, true);
}

int
adj_on_employment_amended (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_employment_amended);
}

static int
s_on_employment_ended (adj_call_t *c)
{
    const Chejian__V1__EmploymentEnded *ev = c->env->employment_ended;
    adj_employment_t *e;
    int rc = s_employment (c, ev->employment_id, &e);
    if (rc <= 0)
        return rc;
    e->end_date = ev->end_date;
    e->end_reason = ev->reason;
    e->months_served = ev->months_served;
    e->end_event_id = c->env->event_id;
    if (adj_write (c, ADJ_EMPLOYMENTS, e->employment_id, &e->base) != 0)
        return -1;
    return adj_workshop_changed (c, e->workshop_id, ev->end_date, false);
}

int
adj_on_employment_ended (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_employment_ended);
}

/*  ---- payroll ----  */

/*  Sets the gross of 'period' in 'w' (0 removes the month), keeping periods ascending.  */
static int
s_set_month (adj_call_t *c, Chejian__Adj__WageMonths *w, int32_t period, int64_t gross)
{
    size_t at = 0;
    while (at < w->n_months && w->months[at]->period < period)
        at++;
    bool found = at < w->n_months && w->months[at]->period == period;
    Chejian__Adj__WageMonth **months = adj_array (c, w->n_months + 1);
    Chejian__Adj__WageMonth *m = cj_arena_alloc (c->arena, sizeof *m);
    if (!months || !m)
        return -1;
    chejian__adj__wage_month__init (m);
    m->period = period;
    m->gross_fen = gross;
    m->source_event_id = c->env->event_id;
    size_t tail = w->n_months - at - found;
    adj_copy (months, w->months, at * sizeof *months);
    size_t n = at;
    if (gross > 0)
        months[n++] = m;
    adj_copy (months + n, w->months + at + found, tail * sizeof *months);
    w->months = months;
    w->n_months = n + tail;
    return 0;
}

static int
s_on_wage_line (adj_call_t *c)
{
    const Chejian__V1__WageLineApplied *ev = c->env->wage_line_applied;
    Chejian__Adj__WageMonths *w = NULL, fresh = CHEJIAN__ADJ__WAGE_MONTHS__INIT;
    int rc = adj_read (c, ADJ_WAGES, ev->employment_id, &chejian__adj__wage_months__descriptor,
                       (void **) &w);
    if (rc < 0)
        return -1;
    if (rc == 0)
        w = &fresh;
    w->worker_key = ev->worker_key;
    w->workshop_id = ev->workshop_id;
    if (s_set_month (c, w, ev->period, ev->removed ? 0 : ev->gross_fen) != 0
        || adj_write (c, ADJ_WAGES, ev->employment_id, &w->base) != 0)
        return -1;
    adj_ws_state_t *st = NULL;
    adj_prec_t *policy = NULL;
    int32_t date = adj_period_last_day (ev->period);
    if (adj_read (c, ADJ_WS_STATE, ev->workshop_id, &chejian__adj__workshop_state__descriptor,
                  (void **) &st) < 0
        || adj_resolve (c, ADJ_RULE (EMPLOYMENT_AWARD), date, &policy) < 0)
        return -1;
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, 2) : NULL;
    bool by_wages = rule && rule->employment_award->qualification->basis
                    == CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_MONTHS_WORKED;
    if (!by_wages && !(st && st->wage_based))
        return 0;                /* wages decide nothing for this workshop: keep it cheap */
    return adj_workshop_changed (c, ev->workshop_id, date, by_wages);
}

int
adj_on_wage_line_applied (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_wage_line);
}

static int
s_on_output (adj_call_t *c)
{
    const Chejian__V1__OutputRecorded *ev = c->env->output_recorded;
    Chejian__Adj__OutputReports *o = NULL, fresh = CHEJIAN__ADJ__OUTPUT_REPORTS__INIT;
    int rc = adj_read (c, ADJ_OUTPUTS, ev->workshop_id, &chejian__adj__output_reports__descriptor,
                       (void **) &o);
    if (rc < 0)
        return -1;
    if (rc == 0)
        o = &fresh;
    Chejian__Adj__OutputReport *r = cj_arena_alloc (c->arena, sizeof *r);
    Chejian__Adj__OutputReport **reports = adj_array (c, o->n_reports + 1);
    if (!r || !reports)
        return -1;
    chejian__adj__output_report__init (r);
    r->first_period = ev->first_period;
    r->last_period = ev->last_period;
    r->output_value_fen = ev->output_value_fen;
    size_t n = 0;
    for (size_t i = 0; i < o->n_reports; i++)          /* a report of the same months is replaced */
        if (o->reports[i]->first_period != r->first_period
            || o->reports[i]->last_period != r->last_period)
            reports[n++] = o->reports[i];
    reports[n++] = r;
    o->reports = reports;
    o->n_reports = n;
    return adj_write (c, ADJ_OUTPUTS, ev->workshop_id, &o->base);
}

int
adj_on_output_recorded (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_on_output);
}
