/*  adj_qualify.c - which laborers of a workshop qualify under a policy's LaborerQualification
 *  at a date, and why the others do not. A laborer is one worker with that worker's
 *  employments in the workshop; the rule asks, on the date:
 *    - the registered-poor status is one of eligible_statuses (and, with
 *      revoke_if_status_revoked, the registration has not since been revoked as wrong);
 *    - the age is within the bounds (whole years from the first day of the birth month);
 *    - CONTRACT_TERM: an employment open on the date, of an eligible contract type, whose term
 *      is at least min_contract_months (0 = open-ended meets it) and, with
 *      revoke_if_ended_early, that did not end before serving that many months;
 *    - MONTHS_WORKED: over the window_months ending with the date's month, at least
 *      min_months_worked months with wages > 0 and at least min_earnings_fen earned in this
 *      workshop (all of the worker's employments here that started by the date).
 *  An employment ended as ENTERED_IN_ERROR never counts. See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

#define S_WORKED CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_MONTHS_WORKED

/*  ---- loading ----  */

static adj_laborer_t *
s_find (adj_laborer_t *ls, size_t n, const char *worker_key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (ls[i].worker_key, worker_key) == 0)
            return &ls[i];
    return NULL;
}

/*  Adds employment 'e' to its worker's entry in 'ls' (a new entry when needed).  */
static int
s_group (adj_call_t *c, adj_laborer_t *ls, size_t *n, adj_employment_t *e, size_t cap)
{
    adj_laborer_t *l = s_find (ls, *n, e->worker_key);
    if (!l) {
        l = &ls[(*n)++];
        memset (l, 0, sizeof *l);
        l->worker_key = e->worker_key;
        l->emps = adj_array (c, cap);
        l->wages = adj_array (c, cap);
        if (!l->emps || !l->wages)
            return -1;
    }
    l->emps[l->nemps++] = e;
    return 0;
}

static int
s_load_worker (adj_call_t *c, adj_laborer_t *l, bool wages)
{
    if (adj_read (c, ADJ_WORKERS, l->worker_key, &chejian__adj__worker_facts__descriptor,
                  (void **) &l->worker) < 0)
        return -1;
    for (size_t i = 0; wages && i < l->nemps; i++)
        if (adj_read (c, ADJ_WAGES, l->emps[i]->employment_id,
                      &chejian__adj__wage_months__descriptor, (void **) &l->wages[i]) < 0)
            return -1;
    return 0;
}

static int
s_laborer_cmp (const void *a, const void *b)
{
    const adj_laborer_t *x = a, *y = b;
    int32_t sx = x->nemps ? x->emps[0]->start_date : 0, sy = y->nemps ? y->emps[0]->start_date : 0;
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return strcmp (x->worker_key, y->worker_key);
}

int
adj_laborers (adj_call_t *c, const char *ws, bool wages, adj_laborer_t **ret, size_t *ret_n)
{
    adj_ids_t *ids;
    if (adj_ids (c, ADJ_EMP_BY_WS, ws, &ids) != 0)
        return -1;
    adj_laborer_t *ls = cj_arena_alloc (c->arena, (ids->n_ids + 1) * sizeof *ls);
    size_t n = 0;
    for (size_t i = 0; ls && i < ids->n_ids; i++) {
        adj_employment_t *e;
        int rc = adj_read (c, ADJ_EMPLOYMENTS, ids->ids[i],
                           &chejian__adj__employment_facts__descriptor, (void **) &e);
        if (rc < 0 || (rc == 1 && s_group (c, ls, &n, e, ids->n_ids) != 0))
            return -1;
    }
    for (size_t i = 0; ls && i < n; i++)
        if (s_load_worker (c, &ls[i], wages) != 0)
            return -1;
    if (!ls)
        return -1;
    qsort (ls, n, sizeof *ls, s_laborer_cmp);
    *ret = ls;
    *ret_n = n;
    return 0;
}

int
adj_laborer_of (adj_call_t *c, const char *ws, const char *worker_key, bool wages,
                adj_laborer_t *ret)
{
    adj_ids_t *ids;
    if (adj_ids (c, ADJ_EMP_BY_WORKER, worker_key, &ids) != 0)
        return -1;
    memset (ret, 0, sizeof *ret);
    ret->worker_key = worker_key;
    ret->emps = adj_array (c, ids->n_ids);
    ret->wages = adj_array (c, ids->n_ids);
    for (size_t i = 0; ret->emps && ret->wages && i < ids->n_ids; i++) {
        adj_employment_t *e;
        int rc = adj_read (c, ADJ_EMPLOYMENTS, ids->ids[i],
                           &chejian__adj__employment_facts__descriptor, (void **) &e);
        if (rc < 0)
            return -1;
        if (rc == 1 && strcmp (e->workshop_id, ws) == 0)
            ret->emps[ret->nemps++] = e;
    }
    return ret->emps && ret->wages ? s_load_worker (c, ret, wages) : -1;
}

/*  ---- the tests ----  */

static bool
s_listed (const int *values, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (values[i] == value)
            return true;
    return n == 0;
}

static bool
s_fail (adj_call_t *c, adj_laborer_t *l, const char *code, const char *fmt, const char *masked)
{
    l->why_code = code;
    l->why = adj_fmt (c, fmt, masked);
    l->subject = NULL;
    return false;
}

/*  The person-level tests: status, revoked registration, age.  */
static bool
s_person_ok (adj_call_t *c, const adj_qual_t *q, int32_t date, adj_laborer_t *l)
{
    const adj_worker_t *w = l->worker;
    const char *who = w ? w->resident_id_masked : "";
    if (!w)
        return s_fail (c, l, "WORKER_NOT_KNOWN", "laborer %s is not known from the registry", who);
    if (!s_listed ((const int *) q->eligible_statuses, q->n_eligible_statuses,
                   (int) adj_status_on (w, date)) || !q->n_eligible_statuses)
        return s_fail (c, l, "STATUS_NOT_ELIGIBLE",
                       "laborer %s does not hold an eligible registered-poor status on the date",
                       who);
    if (q->revoke_if_status_revoked && adj_status_revoked (w, NULL))
        return s_fail (c, l, "STATUS_REVOKED",
                       "laborer %s's registration was revoked as wrongly registered", who);
    int age = adj_age_on (w->birth_period, date);
    if ((q->min_age_years && (age < 0 || (uint32_t) age < q->min_age_years))
        || (q->max_age_years && (age < 0 || (uint32_t) age > q->max_age_years)))
        return s_fail (c, l, "AGE_OUT_OF_RANGE", "laborer %s's age is outside the bounds", who);
    return true;
}

static bool
s_ended_early (const adj_qual_t *q, const adj_employment_t *e)
{
    return q->revoke_if_ended_early && e->end_date && q->min_contract_months
           && e->months_served < q->min_contract_months;
}

/*  CONTRACT_TERM: the first employment that meets every condition; else the reason of the
 *  employment that came closest.  */
static bool
s_term_ok (adj_call_t *c, const adj_qual_t *q, int32_t date, adj_laborer_t *l)
{
    const char *code = "NOT_EMPLOYED_ON_DATE", *why = "laborer %s is not employed here on the date";
    for (size_t i = 0; i < l->nemps; i++) {
        adj_employment_t *e = l->emps[i];
        const Chejian__Adj__TermsFrom *t = adj_terms_on (e, date);
        bool no_term = t && t->term_months == 0
                       && t->contract_type == CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_NONE;
        if (!t || !adj_open_on (e, date))
            continue;
        if (!s_listed ((const int *) q->contract_types, q->n_contract_types, (int) t->contract_type)) {
            code = "CONTRACT_TYPE_NOT_ELIGIBLE";
            why = "laborer %s's contract type does not count";
        } else if ((t->term_months && t->term_months < q->min_contract_months)
                   || (no_term && q->min_contract_months)) {
            code = "CONTRACT_TOO_SHORT";
            why = "laborer %s's contract term is shorter than the minimum";
        } else if (s_ended_early (q, e)) {
            code = "ENDED_EARLY";
            why = "laborer %s's employment ended before the minimum term";
        } else {
            l->subject = e;
            return true;
        }
    }
    return s_fail (c, l, code, why, l->worker->resident_id_masked);
}

/*  Sums the wages of 'l' per month over [first, last] into months worked and earnings, from
 *  the employments that count; the last counted one is the subject.  */
static void
s_sum_wages (const adj_qual_t *q, int32_t date, int32_t first, int32_t last, adj_laborer_t *l,
             uint32_t *ret_months, int64_t *ret_earned)
{
    int64_t per_month[61] = { 0 };
    int span = cj_period_diff (first, last) + 1;
    *ret_earned = 0;
    for (size_t i = 0; i < l->nemps; i++) {
        const adj_employment_t *e = l->emps[i];
        const Chejian__Adj__TermsFrom *t = e->n_terms ? e->terms[0] : NULL;
        if (adj_voided (e) || e->start_date > date || !t || !l->wages[i]
            || !s_listed ((const int *) q->contract_types, q->n_contract_types,
                          (int) t->contract_type))
            continue;
        l->subject = l->subject && l->subject->start_date > e->start_date ? l->subject : l->emps[i];
        for (size_t m = 0; m < l->wages[i]->n_months; m++) {
            int at = cj_period_diff (first, l->wages[i]->months[m]->period);
            if (at >= 0 && at < span && at < 61) {
                per_month[at] += l->wages[i]->months[m]->gross_fen;
                *ret_earned += l->wages[i]->months[m]->gross_fen;
            }
        }
    }
    *ret_months = 0;
    for (int m = 0; m < span && m < 61; m++)
        *ret_months += per_month[m] > 0;
}

static bool
s_worked_ok (adj_call_t *c, const adj_qual_t *q, int32_t date, adj_laborer_t *l)
{
    int32_t last = cj_date_period (date), first = cj_period_add (last, 1 - (int) q->window_months);
    l->subject = NULL;
    s_sum_wages (q, date, first, last, l, &l->months_worked, &l->earned_fen);
    const char *who = l->worker->resident_id_masked;
    if (!l->subject)
        return s_fail (c, l, "NOT_EMPLOYED_ON_DATE", "laborer %s has no counted employment here",
                       who);
    if (l->months_worked < q->min_months_worked)
        return s_fail (c, l, "TOO_FEW_MONTHS_WORKED",
                       "laborer %s worked fewer months in the window than required", who);
    if (l->earned_fen < q->min_earnings_fen)
        return s_fail (c, l, "TOO_LITTLE_EARNED",
                       "laborer %s earned less in the window than required", who);
    for (size_t i = 0; i < l->nemps; i++)
        if (l->emps[i] == l->subject && s_ended_early (q, l->emps[i]))
            return s_fail (c, l, "ENDED_EARLY",
                           "laborer %s's employment ended before the minimum term", who);
    return true;
}

/*  Wages of 'l' over the 12 months ending with the date's month (certification's average).  */
static void
s_annual_wage (int32_t date, adj_laborer_t *l)
{
    int32_t last = cj_date_period (date), first = cj_period_add (last, -11);
    l->annual_wage_fen = 0;
    for (size_t i = 0; i < l->nemps; i++)
        for (size_t m = 0; l->wages[i] && m < l->wages[i]->n_months; m++) {
            int32_t period = l->wages[i]->months[m]->period;
            if (period >= first && period <= last)
                l->annual_wage_fen += l->wages[i]->months[m]->gross_fen;
        }
}

bool
adj_qualifies (adj_call_t *c, const adj_qual_t *q, int32_t date, adj_laborer_t *l)
{
    l->why_code = NULL;
    l->why = NULL;
    l->subject = NULL;
    s_annual_wage (date, l);
    if (!s_person_ok (c, q, date, l))
        return false;
    return q->basis == S_WORKED ? s_worked_ok (c, q, date, l) : s_term_ok (c, q, date, l);
}

/*  ---- citing ----  */

void
adj_cite_laborer (adj_call_t *c, adj_drec_t *r, const adj_laborer_t *l, int32_t date)
{
    const adj_worker_t *w = l->worker;
    const adj_employment_t *e = l->subject;
    if (!w)
        return;
    const Chejian__Adj__StatusEntry *latest = NULL;
    adj_status_revoked (w, &latest);
    const ProtobufCEnumValue *st = protobuf_c_enum_descriptor_get_value (
        &chejian__v1__poverty_status__descriptor, (int) adj_status_on (w, date));
    adj_fact (c, r, "poverty_status", "enum", date, "registry",
              latest ? latest->source_event_id : "", "%s", st ? st->name : "UNSPECIFIED");
    if (!e)
        return;
    const Chejian__Adj__TermsFrom *t = adj_terms_on (e, date);
    adj_fact (c, r, "employment_start_date", "date", e->start_date, "registry",
              e->terms[0]->source_event_id, "%d", (int) e->start_date);
    if (t) {
        const ProtobufCEnumValue *ct = protobuf_c_enum_descriptor_get_value (
            &chejian__v1__contract_type__descriptor, (int) t->contract_type);
        adj_fact (c, r, "contract_type", "enum", t->effective_date, "registry",
                  t->source_event_id, "%s", ct ? ct->name : "?");
        adj_fact (c, r, "contract_term_months", "months", t->effective_date, "registry",
                  t->source_event_id, "%u", t->term_months);
    }
    if (e->end_date)
        adj_fact (c, r, "months_served", "months", e->end_date, "registry", e->end_event_id,
                  "%u", e->months_served);
    if (l->months_worked || l->earned_fen) {
        adj_fact (c, r, "months_worked", "months", date, "payroll", "", "%u", l->months_worked);
        adj_fact (c, r, "earned_fen", "fen", date, "payroll", "", "%lld",
                  (long long) l->earned_fen);
    }
}
