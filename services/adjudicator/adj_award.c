/*  adj_award.c - workshop certification (RequestCertification), one-off employment awards,
 *  and revisiting both when a fact they rest on changes.
 *
 *  Awards are decided from the facts as they arrive: whenever a workshop gains a laborer, an
 *  amendment, a status change or (for a MONTHS_WORKED rule) a wage month, and whenever it is
 *  certified, every laborer who qualifies on that date and has no award decision in that
 *  workshop yet gets one (GRANTED with the money reserved, or WAITLISTED). The facts date of
 *  an award is the date of the fact that completed it, and never before the certification it
 *  needs.
 *
 *  Revisiting: a live decision is evaluated again at its own facts date, under its own policy
 *  version, with the facts as now known; if it would no longer be granted it is revoked (with
 *  the reasons), never edited. A certification revoked this way (or by hand) takes the awards
 *  that needed it along. See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

#define S_CERT_RULE   ADJ_RULE (CERTIFICATION)
#define S_AWARD_RULE  ADJ_RULE (EMPLOYMENT_AWARD)
#define S_WORKED      CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_MONTHS_WORKED

typedef Chejian__V1__CertificationParams   s_cert_params_t;
typedef Chejian__V1__EmploymentAwardParams s_award_params_t;

/*  ---- certification ----  */

static void
s_fail (adj_call_t *c, adj_drec_t *r, bool *ok, const char *code, const char *text)
{
    *ok = false;
    adj_reason (c, r, code, "%s", text ? text : "");
}

static bool
s_type_listed (const s_cert_params_t *cp, int type)
{
    for (size_t i = 0; i < cp->n_eligible_types; i++)
        if ((int) cp->eligible_types[i] == type)
            return true;
    return cp->n_eligible_types == 0;
}

/*  The workshop itself: open on the date, of an eligible type, operating long enough.  */
static void
s_check_workshop (adj_call_t *c, const adj_workshop_t *ws, const s_cert_params_t *cp,
                  adj_drec_t *r, bool *ok)
{
    int32_t date = r->decision->facts_date;
    const ProtobufCEnumValue *type = protobuf_c_enum_descriptor_get_value (
        &chejian__v1__workshop_type__descriptor, (int) ws->type);
    adj_fact (c, r, "workshop_type", "enum", date, "registry", ws->source_event_id, "%s",
              type ? type->name : "?");
    adj_fact (c, r, "workshop_opened_date", "date", ws->opened_date, "registry",
              ws->source_event_id, "%d", (int) ws->opened_date);
    if (!adj_within (date, ws->opened_date, ws->closed_date))
        s_fail (c, r, ok, "WORKSHOP_NOT_OPEN", "The workshop is not open on the date.");
    if (!s_type_listed (cp, (int) ws->type))
        s_fail (c, r, ok, "WORKSHOP_TYPE_NOT_ELIGIBLE", "The workshop's type is not eligible.");
    int months = cj_date_months_between (ws->opened_date, date);
    if (cp->min_operating_months && (months < 0 || (uint32_t) months < cp->min_operating_months))
        s_fail (c, r, ok, "TOO_SHORT_IN_OPERATION",
                "The workshop has operated for fewer months than required.");
}

/*  The latest checklist rating on or before the date against the thresholds.  */
static int
s_check_checklist (adj_call_t *c, const adj_workshop_t *ws, const s_cert_params_t *cp,
                   adj_drec_t *r, bool *ok)
{
    Chejian__Adj__ChecklistHistory *h = NULL;
    int32_t date = r->decision->facts_date;
    if (!cp->checklist_required)
        return 0;
    if (adj_read (c, ADJ_CHECKLISTS, ws->workshop_id, &chejian__adj__checklist_history__descriptor,
                  (void **) &h) < 0)
        return -1;
    const Chejian__V1__ChecklistRecorded *last = NULL;
    for (size_t i = 0; h && i < h->n_ratings && h->ratings[i]->rated_date <= date; i++)
        last = h->ratings[i];
    int32_t oldest = cp->checklist_max_age_months
                     ? cj_date_add_months (date, -(int) cp->checklist_max_age_months) : 0;
    if (!last || last->rated_date < oldest) {
        s_fail (c, r, ok, "NO_CHECKLIST_RATING",
                "No checklist rating recent enough is recorded for the workshop.");
        return 0;
    }
    adj_fact (c, r, "checklist_items_passed", "count", last->rated_date, "adjudicator", "",
              "%u of %u", last->items_passed, last->items_total);
    const ProtobufCEnumValue *g = protobuf_c_enum_descriptor_get_value (
        &chejian__v1__checklist_grade__descriptor, (int) last->grade);
    adj_fact (c, r, "checklist_grade", "enum", last->rated_date, "adjudicator", "", "%s",
              g ? g->name : "?");
    if (last->items_passed < cp->min_checklist_items_passed)
        s_fail (c, r, ok, "CHECKLIST_ITEMS_SHORT", "Too few checklist items are met.");
    if (cp->min_checklist_grade && last->grade > cp->min_checklist_grade)
        s_fail (c, r, ok, "CHECKLIST_GRADE_LOW", "The checklist grade is below the threshold.");
    return 0;
}

/*  Output value over the 12 months to the date: a report counts in proportion to its months
 *  inside the window (rounded down).  */
static int
s_check_output (adj_call_t *c, const adj_workshop_t *ws, const s_cert_params_t *cp,
                adj_drec_t *r, bool *ok)
{
    Chejian__Adj__OutputReports *o = NULL;
    if (!cp->min_annual_output_fen)
        return 0;
    if (adj_read (c, ADJ_OUTPUTS, ws->workshop_id, &chejian__adj__output_reports__descriptor,
                  (void **) &o) < 0)
        return -1;
    int32_t last = cj_date_period (r->decision->facts_date), first = cj_period_add (last, -11);
    int64_t total = 0;
    for (size_t i = 0; o && i < o->n_reports; i++) {
        const Chejian__Adj__OutputReport *rep = o->reports[i];
        int32_t a = rep->first_period > first ? rep->first_period : first;
        int32_t b = rep->last_period < last ? rep->last_period : last;
        int span = cj_period_diff (rep->first_period, rep->last_period) + 1;
        if (b >= a && span > 0)
            total += rep->output_value_fen * (cj_period_diff (a, b) + 1) / span;
    }
    adj_fact (c, r, "annual_output_fen", "fen", r->decision->facts_date, "payroll", "", "%lld",
              (long long) total);
    if (total < cp->min_annual_output_fen)
        s_fail (c, r, ok, "OUTPUT_TOO_LOW", "The output value of the last 12 months is too low.");
    return 0;
}

/*  The qualifying laborers and the conditions on them.  */
static int
s_check_laborers (adj_call_t *c, const adj_workshop_t *ws, const s_cert_params_t *cp,
                  adj_drec_t *r, bool *ok)
{
    adj_laborer_t *ls;
    size_t n;
    int32_t date = r->decision->facts_date;
    if (adj_laborers (c, ws->workshop_id, true, &ls, &n) != 0)
        return -1;
    uint32_t count = 0;
    int64_t wages = 0;
    for (size_t i = 0; i < n; i++)
        if (adj_qualifies (c, cp->qualification, date, &ls[i])) {
            count++;
            wages += ls[i].annual_wage_fen;
            adj_fact (c, r, "qualifying_laborer", "", date, "registry",
                      ls[i].subject->terms[0]->source_event_id, "%s employment %s",
                      ls[i].worker->resident_id_masked, ls[i].subject->employment_id);
        }
    adj_fact (c, r, "qualifying_laborers", "count", date, "adjudicator", "", "%u", count);
    if (count < cp->min_qualifying_laborers)
        s_fail (c, r, ok, "TOO_FEW_QUALIFYING_LABORERS",
                adj_fmt (c, "The workshop employs %u qualifying registered-poor laborer(s) on "
                         "the date; %u are required.", count, cp->min_qualifying_laborers));
    if (cp->min_average_annual_wage_fen) {
        int64_t average = count ? wages / count : 0;
        adj_fact (c, r, "average_annual_wage_fen", "fen", date, "payroll", "", "%lld",
                  (long long) average);
        if (average < cp->min_average_annual_wage_fen)
            s_fail (c, r, ok, "AVERAGE_WAGE_TOO_LOW", "The qualifying laborers' average pay "
                    "over the last 12 months is below the threshold.");
    }
    return 0;
}

int
adj_certify (adj_call_t *c, const adj_workshop_t *ws, const s_cert_params_t *cp, adj_drec_t *r)
{
    bool ok = true;
    s_check_workshop (c, ws, cp, r, &ok);
    if (s_check_laborers (c, ws, cp, r, &ok) != 0 || s_check_output (c, ws, cp, r, &ok) != 0
        || s_check_checklist (c, ws, cp, r, &ok) != 0)
        return -1;
    adj_decision_t *d = r->decision;
    d->outcome = ok ? ADJ_GRANTED : ADJ_DENIED;
    if (ok && cp->valid_months)
        d->valid_until_date = adj_day_before (cj_date_add_months (d->facts_date,
                                                                  (int) cp->valid_months));
    if (ok)
        adj_reason (c, r, "CERTIFIED", "The workshop meets every condition of the policy on "
                    "the date and is certified.");
    return 0;
}

/*  The rule 'rule' of the policy version decision 'r' was made under (0 when gone).  */
static int
s_rule_of (adj_call_t *c, const adj_drec_t *r, int rule, const Chejian__V1__RuleParams **ret)
{
    adj_prec_t *p = NULL;
    *ret = NULL;
    int rc = adj_policy_version (c, r->decision->policy->policy_id, r->decision->policy->version,
                                 &p);
    if (rc == 1)
        *ret = adj_policy_rule (p->policy, rule);
    return rc < 0 ? -1 : 0;
}

/*  True when the certification 'cert' is granted, current and covers 'date'.  */
static bool
s_certified_on (const adj_drec_t *cert, int32_t date)
{
    return cert && adj_live (cert) && cert->decision->outcome == ADJ_GRANTED
           && date >= cert->decision->facts_date
           && (!cert->decision->valid_until_date || date <= cert->decision->valid_until_date);
}

static int
s_request_certification (adj_call_t *c)
{
    const Chejian__V1__RequestCertification *cmd = c->env->request_certification;
    adj_workshop_t *ws;
    adj_drec_t *cur = NULL;
    adj_prec_t *policy = NULL;
    if (adj_need (c, ADJ_WORKSHOPS, cmd->workshop_id, &chejian__adj__workshop_facts__descriptor,
                  (void **) &ws, "request_certification.workshop_id", CJ_E_NOT_YET_KNOWN,
                  "workshop") != 1
        || adj_current (c, adj_fmt (c, "1|%s", cmd->workshop_id), &cur) < 0
        || adj_resolve (c, S_CERT_RULE, cmd->as_of_date, &policy) < 0)
        return -1;
    if (cur && adj_live (cur) && (!cur->decision->valid_until_date
                                  || cmd->as_of_date <= cur->decision->valid_until_date)) {
        cj_problems_add (c->p, "request_certification.workshop_id", CJ_E_CONFLICT,
                         "is certified already (decision %s); a new request waits until it "
                         "lapses or is revoked", cur->decision->decision_id);
        return -1;
    }
    adj_drec_t *r = adj_drec_new (c, S_CERT_RULE, cmd->as_of_date, policy);
    if (!r)
        return -1;
    r->decision->subject->workshop_id = cmd->workshop_id;
    if (cur)
        r->decision->supersedes_decision_id = cur->decision->decision_id;
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, S_CERT_RULE)
                                                 : NULL;
    if (!rule) {
        r->decision->outcome = ADJ_DENIED;
        adj_reason (c, r, "NO_POLICY_IN_FORCE", "No certification policy is in force for the "
                    "county on the date.");
    } else {
        adj_cite_params (c, r, rule);
        if (adj_certify (c, ws, rule->certification, r) != 0)
            return -1;
    }
    if (adj_record_made (c, r) != 0)
        return -1;
    return r->decision->outcome == ADJ_GRANTED
           ? adj_workshop_changed (c, cmd->workshop_id, cmd->as_of_date, true) : 0;
}

int
adj_validate_request_certification (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RequestCertification *cmd = env->request_certification;
    adj_begin (p, env);
    adj_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    adj_check_not_future (p, "as_of_date", cmd->as_of_date, env);
    return adj_end (p);
}

int
adj_apply_request_certification (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_request_certification);
}

/*  ---- awards ----  */

/*  What one evaluation of a workshop works with.  */
typedef struct {
    const adj_workshop_t *ws;
    adj_ws_state_t       *st;
    int32_t               date;     /* of the fact that changed */
    adj_drec_t           *cert;     /* current certification decision, or NULL */
    bool                  changed;  /* st must be written */
} s_eval_t;

/*  Qualifying laborers of the workshop at 'date' under 'q' (count only).  */
static int
s_count_qualifying (adj_call_t *c, const char *ws, const adj_qual_t *q, int32_t date,
                    uint32_t *ret)
{
    adj_laborer_t *ls;
    size_t n;
    if (adj_laborers (c, ws, q->basis == S_WORKED, &ls, &n) != 0)
        return -1;
    *ret = 0;
    for (size_t i = 0; i < n; i++)
        *ret += adj_qualifies (c, q, date, &ls[i]);
    return 0;
}

/*  Re-evaluates the live certification; revokes it when it no longer holds.  */
static int
s_revisit_certification (adj_call_t *c, s_eval_t *ev)
{
    const Chejian__V1__RuleParams *rule;
    if (!ev->cert || !adj_live (ev->cert))
        return 0;
    if (s_rule_of (c, ev->cert, S_CERT_RULE, &rule) != 0)
        return -1;
    if (!rule)
        return 0;
    if (rule->certification->qualification->basis == S_WORKED && !ev->st->wage_based)
        ev->st->wage_based = ev->changed = true;
    adj_drec_t *again = adj_drec_new (c, S_CERT_RULE, ev->cert->decision->facts_date, NULL);
    if (!again || adj_certify (c, ev->ws, rule->certification, again) != 0)
        return -1;
    if (again->decision->outcome == ADJ_GRANTED)
        return 0;
    adj_drec_t *rev = adj_revocation_of (c, ev->cert, ev->date);
    if (!rev)
        return -1;
    adj_reason (c, rev, "FACTS_CHANGED", "Re-evaluated at its facts date with the facts now "
                "known, the certification no longer holds.");
    for (size_t i = 0; i < again->decision->n_reasons; i++)
        adj_reason (c, rev, again->decision->reason_codes[i], "%s", again->decision->reasons[i]);
    for (size_t i = 0; i < again->decision->n_facts; i++)
        if (rev->decision->n_facts < ADJ_FACTS_MAX)
            rev->decision->facts[rev->decision->n_facts++] = again->decision->facts[i];
    if (adj_revoke (c, ev->cert, rev) != 0)
        return -1;
    return adj_current (c, adj_fmt (c, "1|%s", ev->ws->workshop_id), &ev->cert) < 0 ? -1 : 0;
}

/*  Why the live award 'cur' would no longer be granted (NULL code: it still holds).  */
static int
s_award_still_holds (adj_call_t *c, s_eval_t *ev, const adj_drec_t *cur, adj_laborer_t *l,
                     const char **ret_code, const char **ret_why)
{
    const Chejian__V1__RuleParams *rule;
    int32_t date = cur->decision->facts_date;
    *ret_code = NULL;
    if (s_rule_of (c, cur, S_AWARD_RULE, &rule) != 0)
        return -1;
    if (!rule)
        return 0;
    const s_award_params_t *ap = rule->employment_award;
    if (adj_laborer_of (c, ev->ws->workshop_id, cur->decision->subject->worker_key,
                        ap->qualification->basis == S_WORKED, l) != 0)
        return -1;
    if (!adj_qualifies (c, ap->qualification, date, l)) {
        *ret_code = l->why_code;
        *ret_why = l->why;
    } else if (ap->require_certification && !s_certified_on (ev->cert, date)) {
        *ret_code = "CERTIFICATION_REVOKED";
        *ret_why = "the workshop's certification it relied on no longer stands";
    } else if (ap->min_qualifying_laborers) {
        uint32_t count;
        if (s_count_qualifying (c, ev->ws->workshop_id, ap->qualification, date, &count) != 0)
            return -1;
        if (count < ap->min_qualifying_laborers) {
            *ret_code = "TOO_FEW_QUALIFYING_LABORERS";
            *ret_why = "the workshop no longer had enough qualifying laborers on the date";
        }
    }
    return 0;
}

static int
s_revoke_award (adj_call_t *c, s_eval_t *ev, adj_drec_t *cur, adj_laborer_t *l,
                const char *code, const char *why)
{
    adj_drec_t *rev = adj_revocation_of (c, cur, ev->date);
    if (!rev)
        return -1;
    adj_reason (c, rev, code, "Award revoked: %s.", why);
    adj_cite_laborer (c, rev, l, cur->decision->facts_date);
    return adj_revoke (c, cur, rev);
}

static int
s_revisit_awards (adj_call_t *c, s_eval_t *ev)
{
    for (size_t i = 0; i < ev->st->n_awarded; i++) {
        adj_drec_t *cur = NULL;
        adj_laborer_t l;
        const char *code, *why = "";
        if (adj_current (c, adj_fmt (c, "2|%s|%s", ev->ws->workshop_id, ev->st->awarded[i]),
                         &cur) < 0)
            return -1;
        if (!adj_live (cur))
            continue;
        if (s_award_still_holds (c, ev, cur, &l, &code, &why) != 0
            || (code && s_revoke_award (c, ev, cur, &l, code, why) != 0))
            return -1;
    }
    return 0;
}

static bool
s_awarded (const adj_ws_state_t *st, const char *worker_key)
{
    for (size_t i = 0; i < st->n_awarded; i++)
        if (strcmp (st->awarded[i], worker_key) == 0)
            return true;
    return false;
}

/*  The money of the workshop's live awards (for max_award_per_workshop_fen).  */
static int
s_awarded_fen (adj_call_t *c, const s_eval_t *ev, int64_t *ret)
{
    *ret = 0;
    for (size_t i = 0; i < ev->st->n_awarded; i++) {
        adj_drec_t *cur = NULL;
        if (adj_current (c, adj_fmt (c, "2|%s|%s", ev->ws->workshop_id, ev->st->awarded[i]),
                         &cur) < 0)
            return -1;
        *ret += adj_live (cur) ? cur->decision->amount_fen : 0;
    }
    return 0;
}

static int
s_note_awarded (adj_call_t *c, s_eval_t *ev, const char *worker_key)
{
    char **list = adj_array (c, ev->st->n_awarded + 1);
    if (!list)
        return -1;
    adj_copy (list, ev->st->awarded, ev->st->n_awarded * sizeof *list);
    list[ev->st->n_awarded++] = (char *) worker_key;
    ev->st->awarded = list;
    ev->changed = true;
    return 0;
}

/*  Decides the award of qualifying laborer 'l' under 'policy' at 'date'.  */
static int
s_award (adj_call_t *c, s_eval_t *ev, const adj_prec_t *policy, const s_award_params_t *ap,
         adj_laborer_t *l, int32_t date, uint32_t count)
{
    adj_drec_t *r = adj_drec_new (c, S_AWARD_RULE, date, policy);
    if (!r || !(r->payee = adj_workshop_payee (c, ev->ws)))
        return -1;
    adj_decision_t *d = r->decision;
    d->subject->workshop_id = ev->ws->workshop_id;
    d->subject->worker_key = (char *) l->worker_key;
    d->subject->resident_id_masked = l->worker->resident_id_masked;
    d->subject->employment_id = l->subject->employment_id;
    r->charge_source = ap->charge_source;
    r->purpose = adj_fmt (c, "一次性就业奖补 %s", l->worker->resident_id_masked);
    adj_cite_params (c, r, adj_policy_rule (policy->policy, S_AWARD_RULE));
    adj_cite_laborer (c, r, l, date);
    adj_fact (c, r, "qualifying_laborers", "count", date, "adjudicator", "", "%u", count);
    if (ev->cert && ap->require_certification)
        adj_fact (c, r, "certification_decision_id", "", ev->cert->decision->facts_date,
                  "adjudicator", "", "%s", ev->cert->decision->decision_id);
    int64_t room = ap->award_per_laborer_fen, awarded = 0;
    if (ap->max_award_per_workshop_fen) {
        if (s_awarded_fen (c, ev, &awarded) != 0)
            return -1;
        room = ap->max_award_per_workshop_fen - awarded;
    }
    d->amount_fen = room < ap->award_per_laborer_fen ? room : ap->award_per_laborer_fen;
    if (d->amount_fen <= 0) {
        d->amount_fen = 0;
        d->outcome = ADJ_DENIED;
        adj_reason (c, r, "WORKSHOP_CAP_REACHED", "The workshop has received the most awards "
                    "the policy allows.");
    } else {
        adj_reason (c, r, "LABORER_QUALIFIES", "Laborer %s qualifies in workshop %s on %d; "
                    "award %lld fen once.", l->worker->resident_id_masked, ev->ws->workshop_id,
                    (int) date, (long long) d->amount_fen);
        if (adj_plan_charge (c, r) != 0)
            return -1;
    }
    return adj_record_made (c, r) != 0 ? -1 : s_note_awarded (c, ev, l->worker_key);
}

/*  Awards every laborer that qualifies at the evaluation's date and has none yet.  */
static int
s_grant_awards (adj_call_t *c, s_eval_t *ev)
{
    adj_prec_t *policy = NULL;
    int32_t date = ev->date;
    if (ev->cert && adj_live (ev->cert) && ev->cert->decision->facts_date > date)
        date = ev->cert->decision->facts_date;
    if (adj_resolve (c, S_AWARD_RULE, date, &policy) < 0)
        return -1;
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, S_AWARD_RULE)
                                                 : NULL;
    if (!rule || (rule->employment_award->require_certification && !s_certified_on (ev->cert, date)))
        return 0;
    const s_award_params_t *ap = rule->employment_award;
    adj_laborer_t *ls;
    size_t n;
    uint32_t count = 0;
    if (adj_laborers (c, ev->ws->workshop_id, ap->qualification->basis == S_WORKED, &ls, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        count += adj_qualifies (c, ap->qualification, date, &ls[i]);
    if (count == 0 || count < ap->min_qualifying_laborers)
        return 0;
    if (ap->qualification->basis == S_WORKED && !ev->st->wage_based)
        ev->st->wage_based = ev->changed = true;
    for (size_t i = 0; i < n; i++)
        if (ls[i].subject && !s_awarded (ev->st, ls[i].worker_key)
            && s_award (c, ev, policy, ap, &ls[i], date, count) != 0)
            return -1;
    return 0;
}

int
adj_workshop_changed (adj_call_t *c, const char *ws_id, int32_t date, bool grant)
{
    adj_workshop_t *ws;
    adj_ws_state_t fresh = CHEJIAN__ADJ__WORKSHOP_STATE__INIT;
    s_eval_t ev = { .date = date };
    int rc = adj_workshop (c, ws_id, &ws);
    if (rc <= 0)
        return rc;
    ev.ws = ws;
    if ((rc = adj_read (c, ADJ_WS_STATE, ws_id, &chejian__adj__workshop_state__descriptor,
                        (void **) &ev.st)) < 0
        || adj_current (c, adj_fmt (c, "1|%s", ws_id), &ev.cert) < 0)
        return -1;
    if (rc == 0)
        ev.st = &fresh;
    if (s_revisit_certification (c, &ev) != 0 || s_revisit_awards (c, &ev) != 0
        || (grant && s_grant_awards (c, &ev) != 0))
        return -1;
    return ev.changed ? adj_write (c, ADJ_WS_STATE, ws_id, &ev.st->base) : 0;
}
