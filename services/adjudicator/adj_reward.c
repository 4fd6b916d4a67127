/*  adj_reward.c - workshop checklist ratings (RecordChecklistRating, e.g. Fengjie's "8个一")
 *  and the annual reward by grade and headcount (RequestAnnualReward, Chongqing 2022).
 *
 *  Staff of a year: distinct workers whose employments in the workshop cover at least
 *  min_staff_months whole months of the year (registered-poor on 31 December when the
 *  policy counts only them). The grade is that of the latest rating within the year.
 *  See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

#define S_REWARD ADJ_RULE (ANNUAL_REWARD)

typedef Chejian__V1__RecordChecklistRating s_rating_t;

/*  ---- RecordChecklistRating ----  */

static void
s_check_items (cj_problems_t *p, const s_rating_t *cmd)
{
    uint32_t passed = 0;
    if (cmd->n_items > 32)
        cj_problems_add (p, "items", CJ_E_TOO_MANY, "at most 32 items (got %zu)", cmd->n_items);
    for (size_t i = 0; i < cmd->n_items && i < 32; i++) {
        cj_problems_push (p, "items[%zu]", i);
        cj_check_token (p, "code", cmd->items[i]->code, 16, CJ_TOKEN_ALNUM, "._-", true);
        cj_check_text (p, "label", cmd->items[i]->label, 64, false);
        passed += cmd->items[i]->passed;
        cj_problems_pop (p);
    }
    if (cmd->n_items && cmd->items_total != cmd->n_items)
        cj_problems_add (p, "items_total", CJ_E_OUT_OF_RANGE, "must equal the items listed");
    if (cmd->n_items && cmd->items_passed != passed)
        cj_problems_add (p, "items_passed", CJ_E_OUT_OF_RANGE,
                         "must equal the items listed as passed");
}

int
adj_validate_record_checklist_rating (const cj_envelope_t *env, cj_problems_t *p)
{
    const s_rating_t *cmd = env->record_checklist_rating;
    adj_begin (p, env);
    adj_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    adj_check_not_future (p, "rated_date", cmd->rated_date, env);
    s_check_items (p, cmd);
    if (cj_check_range (p, "items_total", cmd->items_total, 1, 32) == 0
        && cmd->items_passed > cmd->items_total)
        cj_problems_add (p, "items_passed", CJ_E_OUT_OF_RANGE, "exceeds items_total");
    cj_check_range (p, "score", cmd->score, 0, 100);
    cj_check_enum (p, "grade", &chejian__v1__checklist_grade__descriptor, (int) cmd->grade, true);
    cj_check_enum (p, "assessor", &chejian__v1__agency_kind__descriptor, (int) cmd->assessor,
                   true);
    cj_check_text (p, "document", cmd->document, 64, false);
    return adj_end (p);
}

static Chejian__V1__ChecklistRecorded *
s_recorded (adj_call_t *c, const s_rating_t *cmd)
{
    Chejian__V1__ChecklistRecorded *ev = cj_arena_alloc (c->arena, sizeof *ev);
    if (!ev)
        return NULL;
    chejian__v1__checklist_recorded__init (ev);
    ev->workshop_id = cmd->workshop_id;
    ev->rated_date = cmd->rated_date;
    ev->n_items = cmd->n_items;
    ev->items = cmd->items;
    ev->items_passed = cmd->items_passed;
    ev->items_total = cmd->items_total;
    ev->score = cmd->score;
    ev->grade = cmd->grade;
    ev->assessor = cmd->assessor;
    ev->document = cmd->document;
    return ev;
}

/*  True when the two ratings carry the same content.  */
static bool
s_same (const Chejian__V1__ChecklistRecorded *a, const Chejian__V1__ChecklistRecorded *b)
{
    size_t la, lb;
    uint8_t *pa = cj_message_pack (&a->base, &la), *pb = cj_message_pack (&b->base, &lb);
    bool same = pa && pb && la == lb && memcmp (pa, pb, la) == 0;
    free (pa);
    free (pb);
    return same;
}

static int
s_record_rating (adj_call_t *c)
{
    const s_rating_t *cmd = c->env->record_checklist_rating;
    adj_workshop_t *ws;
    Chejian__Adj__ChecklistHistory *h = NULL, fresh = CHEJIAN__ADJ__CHECKLIST_HISTORY__INIT;
    Chejian__V1__ChecklistRecorded *ev = s_recorded (c, cmd);
    if (!ev || adj_need (c, ADJ_WORKSHOPS, cmd->workshop_id,
                         &chejian__adj__workshop_facts__descriptor, (void **) &ws,
                         "record_checklist_rating.workshop_id", CJ_E_NOT_YET_KNOWN,
                         "workshop") != 1
        || adj_read (c, ADJ_CHECKLISTS, cmd->workshop_id,
                     &chejian__adj__checklist_history__descriptor, (void **) &h) < 0)
        return -1;
    h = h ? h : &fresh;
    size_t at = 0;
    while (at < h->n_ratings && h->ratings[at]->rated_date < cmd->rated_date)
        at++;
    if (at < h->n_ratings && h->ratings[at]->rated_date == cmd->rated_date) {
        if (s_same (h->ratings[at], ev))
            return 0;                  /* the same rating again: nothing new */
        cj_problems_add (c->p, "record_checklist_rating.rated_date", CJ_E_CONFLICT,
                         "the workshop has another rating on this date");
        return -1;
    }
    Chejian__V1__ChecklistRecorded **ratings = adj_array (c, h->n_ratings + 1);
    if (!ratings)
        return -1;
    adj_copy (ratings, h->ratings, at * sizeof *ratings);
    ratings[at] = ev;
    adj_copy (ratings + at + 1, h->ratings + at, (h->n_ratings - at) * sizeof *ratings);
    h->ratings = ratings;
    h->n_ratings++;
    if (adj_write (c, ADJ_CHECKLISTS, cmd->workshop_id, &h->base) != 0)
        return -1;
    return adj_emit (c, ADJ_BODY (CHECKLIST_RECORDED), &ev->base);
}

int
adj_apply_record_checklist_rating (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_record_rating);
}

/*  ---- RequestAnnualReward ----  */

int
adj_validate_request_annual_reward (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RequestAnnualReward *cmd = env->request_annual_reward;
    adj_begin (p, env);
    adj_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    if (cj_check_range (p, "year", cmd->year, 1900, 2199) == 0
        && cmd->year >= adj_date_of_ms (env->occurred_at) / 10000)
        cj_problems_add (p, "year", CJ_E_OUT_OF_RANGE, "must be a year completed before the "
                         "envelope's date");
    return adj_end (p);
}

/*  Whole months of 'year' that employment 'e' covers.  */
static int
s_months_in_year (const adj_employment_t *e, int32_t year)
{
    int32_t from = year * 10000 + 101, to = year * 10000 + 1231;
    int32_t a = e->start_date > from ? e->start_date : from;
    int32_t b = e->end_date && e->end_date < to ? e->end_date : to;
    if (adj_voided (e) || b < a)
        return 0;
    return cj_date_months_between (a, cj_date_from_days (cj_date_to_days (b) + 1));
}

/*  Staff counted for the year.  */
static int
s_staff (adj_call_t *c, const char *ws, const Chejian__V1__AnnualRewardParams *rp,
         int32_t year, uint32_t *ret)
{
    adj_laborer_t *ls;
    size_t n;
    if (adj_laborers (c, ws, false, &ls, &n) != 0)
        return -1;
    *ret = 0;
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        for (size_t j = 0; j < ls[i].nemps; j++) {
            int m = s_months_in_year (ls[i].emps[j], year);
            best = m > best ? m : best;
        }
        bool poor = ls[i].worker
                    && adj_registered_poor (adj_status_on (ls[i].worker, year * 10000 + 1231));
        *ret += best > 0 && (uint32_t) best >= rp->min_staff_months
                && (!rp->count_registered_poor_only || poor);
    }
    return 0;
}

/*  The grade of the latest rating within the year (UNSPECIFIED when none).  */
static int
s_grade (adj_call_t *c, const char *ws, int32_t year, Chejian__V1__ChecklistGrade *ret)
{
    Chejian__Adj__ChecklistHistory *h = NULL;
    *ret = CHEJIAN__V1__CHECKLIST_GRADE__CHECKLIST_GRADE_UNSPECIFIED;
    if (adj_read (c, ADJ_CHECKLISTS, ws, &chejian__adj__checklist_history__descriptor,
                  (void **) &h) < 0)
        return -1;
    for (size_t i = 0; h && i < h->n_ratings; i++)
        if (h->ratings[i]->rated_date / 10000 == year)
            *ret = h->ratings[i]->grade;
    return 0;
}

/*  True when a granted certification covered some day of the year.  */
static int
s_certified_in (adj_call_t *c, const char *ws, int32_t year, bool *ret)
{
    adj_drec_t *cert = NULL;
    if (adj_current (c, adj_fmt (c, "1|%s", ws), &cert) < 0)
        return -1;
    *ret = cert && adj_live (cert) && cert->decision->outcome == ADJ_GRANTED
           && cert->decision->facts_date <= year * 10000 + 1231
           && (!cert->decision->valid_until_date
               || cert->decision->valid_until_date >= year * 10000 + 101);
    return 0;
}

/*  Decides the reward into 'r' under 'rp'.  */
static int
s_reward (adj_call_t *c, const adj_workshop_t *ws, const Chejian__V1__AnnualRewardParams *rp,
          int32_t year, adj_drec_t *r)
{
    Chejian__V1__ChecklistGrade grade;
    uint32_t staff;
    bool certified;
    if (s_staff (c, ws->workshop_id, rp, year, &staff) != 0
        || s_grade (c, ws->workshop_id, year, &grade) != 0
        || s_certified_in (c, ws->workshop_id, year, &certified) != 0)
        return -1;
    int32_t end = year * 10000 + 1231;
    adj_fact (c, r, "staff_counted", "count", end, "registry", "", "%u", staff);
    adj_fact (c, r, "checklist_grade", "enum", end, "adjudicator", "", "%s",
              protobuf_c_enum_descriptor_get_value (&chejian__v1__checklist_grade__descriptor,
                                                    (int) grade)->name);
    if (rp->require_certification && !certified) {
        adj_reason (c, r, "NOT_CERTIFIED", "The workshop was not certified during the year.");
        return 0;
    }
    for (size_t i = 0; i < rp->n_tiers; i++) {
        const Chejian__V1__RewardTier *t = rp->tiers[i];
        if (t->grade == grade && staff >= t->min_staff && (!t->max_staff || staff <= t->max_staff)) {
            r->decision->amount_fen = t->amount_fen;
            adj_reason (c, r, "TIER_MATCHED", "Grade and %u staff match tier %zu: %lld fen.",
                        staff, i, (long long) t->amount_fen);
            return adj_plan_charge (c, r);
        }
    }
    adj_reason (c, r, "NO_TIER", "No reward tier matches the workshop's grade and staff.");
    return 0;
}

static int
s_request_reward (adj_call_t *c)
{
    const Chejian__V1__RequestAnnualReward *cmd = c->env->request_annual_reward;
    adj_workshop_t *ws;
    adj_drec_t *cur = NULL;
    adj_prec_t *policy = NULL;
    int32_t end = cmd->year * 10000 + 1231;
    if (adj_need (c, ADJ_WORKSHOPS, cmd->workshop_id, &chejian__adj__workshop_facts__descriptor,
                  (void **) &ws, "request_annual_reward.workshop_id", CJ_E_NOT_YET_KNOWN,
                  "workshop") != 1
        || adj_current (c, adj_fmt (c, "5|%s|%d", cmd->workshop_id, (int) cmd->year), &cur) < 0
        || adj_resolve (c, S_REWARD, end, &policy) < 0)
        return -1;
    if (adj_live (cur)) {
        cj_problems_add (c->p, "request_annual_reward.year", CJ_E_CONFLICT,
                         "the workshop's reward for this year is decided (decision %s)",
                         cur->decision->decision_id);
        return -1;
    }
    adj_drec_t *r = adj_drec_new (c, S_REWARD, end, policy);
    if (!r || !(r->payee = adj_workshop_payee (c, ws)))
        return -1;
    r->decision->outcome = ADJ_DENIED;
    r->decision->subject->workshop_id = cmd->workshop_id;
    r->decision->subject->year = cmd->year;
    r->decision->supersedes_decision_id = cur ? cur->decision->decision_id : "";
    r->purpose = adj_fmt (c, "扶贫车间年度奖励 %d", (int) cmd->year);
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, S_REWARD)
                                                 : NULL;
    if (!rule)
        adj_reason (c, r, "NO_POLICY_IN_FORCE", "No annual-reward policy is in force for the "
                    "county at the end of the year.");
    else {
        adj_cite_params (c, r, rule);
        r->charge_source = rule->annual_reward->charge_source;
        if (s_reward (c, ws, rule->annual_reward, cmd->year, r) != 0)
            return -1;
    }
    return adj_record_made (c, r);
}

int
adj_apply_request_annual_reward (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_request_reward);
}
