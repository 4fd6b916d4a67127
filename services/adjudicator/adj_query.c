/*  adj_query.c - the queries about decisions: ListDecisions, ExplainDecision and
 *  GetAdjudicationSummary, and the reads every query shares (queries run after the turn's
 *  commit and read Redis directly). See adjudicator_internal.h.  */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"
#include "chejian/log.h"

#define S_CHUNK 256

/*  ---- reads ----  */

static int
s_unpack_reply (adj_call_t *c, const redisReply *el, const ProtobufCMessageDescriptor *desc,
                void **ret)
{
    *ret = NULL;
    if (el->type != REDIS_REPLY_STRING)
        return 0;
    *ret = protobuf_c_message_unpack (desc, cj_arena_allocator (c->arena), el->len,
                                      (const uint8_t *) el->str);
    if (!*ret)
        cj_error ("a %s record of county %s does not decode", desc->name, c->county);
    return *ret ? 0 : -1;
}

/*  Unpacks fields 'ids' of the county hash 'hash' into 'ret' (NULL where absent).  */
static int
s_read_many (adj_call_t *c, const char *hash, char **ids, size_t n,
             const ProtobufCMessageDescriptor *desc, void **ret)
{
    char key[CJ_KEY_MAX];
    const char *argv[S_CHUNK + 2] = { "HMGET", key };
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, hash) != 0)
        return -1;
    for (size_t at = 0; at < n; at += S_CHUNK) {
        size_t count = n - at < S_CHUNK ? n - at : S_CHUNK;
        memcpy (argv + 2, ids + at, count * sizeof *ids);
        redisReply *reply = cj_store_commandv (cj_ctx_store (c->ctx), (int) count + 2, argv, NULL);
        int rc = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == count ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < count; i++)
            rc = s_unpack_reply (c, reply->element[i], desc, &ret[at + i]);
        if (reply)
            freeReplyObject (reply);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/*  Removes NULL entries of 'items' in place.  */
static size_t
s_compact (void **items, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i])
            items[kept++] = items[i];
    return kept;
}

int
adj_read_ids (adj_call_t *c, const char *hash, char **ids, size_t n,
            const ProtobufCMessageDescriptor *desc, void ***ret_items, size_t *ret_n)
{
    void **items = adj_array (c, n);
    if (!items || s_read_many (c, hash, ids, n, desc, items) != 0)
        return -1;
    *ret_items = items;
    *ret_n = s_compact (items, n);
    return 0;
}

int
adj_list_keys (adj_call_t *c, const char *fmt, const char *name, char ***ret, size_t *ret_n)
{
    char key[CJ_KEY_MAX];
    redisReply *reply;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, name) != 0
        || !(reply = cj_store_command (cj_ctx_store (c->ctx), fmt, key)))
        return -1;
    size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
    int rc = reply->type == REDIS_REPLY_ARRAY ? 0 : -1;
    char **items = adj_array (c, n);
    for (size_t i = 0; rc == 0 && items && i < n; i++)
        items[i] = cj_arena_strdup (c->arena, reply->element[i]->str ? reply->element[i]->str : "");
    freeReplyObject (reply);
    if (rc != 0 || !items)
        return -1;
    *ret = items;
    *ret_n = n;
    return 0;
}

int
adj_read_all (adj_call_t *c, const char *hash, const ProtobufCMessageDescriptor *desc,
              void ***ret_items, size_t *ret_n)
{
    char **ids;
    size_t n;
    if (adj_list_keys (c, "HKEYS %s", hash, &ids, &n) != 0)
        return -1;
    return adj_read_ids (c, hash, ids, n, desc, ret_items, ret_n);
}

/*  ---- paging by a number (newest first for decisions, oldest first elsewhere) ----  */

void
adj_page (const uint64_t *numbers, size_t n, const Chejian__V1__PageRequest *req, bool descending,
        adj_page_t *ret)
{
    uint64_t after = req && *req->page_token ? strtoull (req->page_token, NULL, 10) : 0;
    size_t size = req && req->page_size ? req->page_size : ADJ_PAGE_DEFAULT, first = 0;
    while (after && first < n && (descending ? numbers[first] >= after : numbers[first] <= after))
        first++;
    ret->first = first;
    ret->count = n - first < size ? n - first : size;
    ret->total = n;
}

Chejian__V1__PageInfo *
adj_page_info (adj_call_t *c, const uint64_t *numbers, size_t n, const adj_page_t *page)
{
    Chejian__V1__PageInfo *info = cj_arena_alloc (c->arena, sizeof *info);
    if (!info)
        return NULL;
    chejian__v1__page_info__init (info);
    size_t end = page->first + page->count;
    info->next_page_token = end < n ? adj_fmt (c, "%" PRIu64, numbers[end - 1]) : "";
    info->total_count = page->total;
    return info->next_page_token ? info : NULL;
}

/*  ---- ListDecisions ----  */

int
adj_validate_list_decisions (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListDecisions *q = env->list_decisions;
    adj_begin (p, env);
    switch (q->subject_case) {
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_WORKSHOP_ID:
        adj_check_workshop_id (p, "workshop_id", q->workshop_id, true);
        break;
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_RESIDENT_ID:
        cj_check_resident_id (p, "resident_id", q->resident_id);
        break;
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_APPLICATION_ID:
        adj_check_id (p, "application_id", q->application_id, true);
        break;
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_LOAN_ID:
        adj_check_id (p, "loan_id", q->loan_id, true);
        break;
    default:
        break;
    }
    cj_check_enum (p, "rule", &chejian__v1__rule_kind__descriptor, (int) q->rule, false);
    cj_check_enum (p, "outcome", &chejian__v1__decision_outcome__descriptor, (int) q->outcome,
                   false);
    cj_check_date_opt (p, "from_date", q->from_date);
    if (cj_check_date_opt (p, "to_date", q->to_date) == 0)
        cj_check_date_order (p, "to_date", q->from_date, q->to_date);
    adj_check_page (p, "page", q->page);
    return adj_end (p);
}

static const char *
s_decision_index (adj_call_t *c, const Chejian__V1__ListDecisions *q)
{
    switch (q->subject_case) {
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_WORKSHOP_ID:
        return adj_fmt (c, "ix:ws:%s", q->workshop_id);
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_RESIDENT_ID:
        return adj_fmt (c, "ix:wk:%s", adj_person_key (c, q->resident_id));
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_APPLICATION_ID:
        return adj_fmt (c, "ix:app:%s", q->application_id);
    case CHEJIAN__V1__LIST_DECISIONS__SUBJECT_LOAN_ID:
        return adj_fmt (c, "ix:loan:%s", q->loan_id);
    default:
        return "ix:all";
    }
}

static bool
s_decision_wanted (const Chejian__V1__ListDecisions *q, const adj_drec_t *r)
{
    const adj_decision_t *d = r->decision;
    return (!q->rule || d->rule == q->rule) && (!q->outcome || d->outcome == q->outcome)
           && (!q->from_date || d->facts_date >= q->from_date)
           && (!q->to_date || d->facts_date <= q->to_date)
           && (q->include_superseded || !*r->superseded_by);
}

static int
s_list_decisions (adj_call_t *c)
{
    const Chejian__V1__ListDecisions *q = c->env->list_decisions;
    char **ids;
    size_t n, kept = 0;
    adj_drec_t **recs;
    const char *index = s_decision_index (c, q);
    if (!index || adj_list_keys (c, "ZREVRANGE %s 0 -1", index, &ids, &n) != 0
        || adj_read_ids (c, ADJ_DECISIONS, ids, n, &chejian__adj__decision_record__descriptor,
                       (void ***) &recs, &n) != 0)
        return -1;
    uint64_t *numbers = cj_arena_alloc (c->arena, (n + 1) * sizeof *numbers);
    Chejian__V1__DecisionList *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!numbers || !out)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_decision_wanted (q, recs[i])) {
            numbers[kept] = recs[i]->number;
            recs[kept++] = recs[i];
        }
    adj_page_t page;
    adj_page (numbers, kept, q->page, true, &page);
    chejian__v1__decision_list__init (out);
    out->decisions = adj_array (c, page.count);
    for (size_t i = 0; out->decisions && i < page.count; i++)
        out->decisions[out->n_decisions++] = recs[page.first + i]->decision;
    if (!out->decisions || !(out->page = adj_page_info (c, numbers, kept, &page)))
        return -1;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_DECISIONS, &out->base);
    return 0;
}

int
adj_query_list_decisions (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_list_decisions);
}

/*  ---- ExplainDecision ----  */

int
adj_validate_explain_decision (const cj_envelope_t *env, cj_problems_t *p)
{
    adj_begin (p, env);
    adj_check_id (p, "decision_id", env->explain_decision->decision_id, true);
    return adj_end (p);
}

/*  The explanation as text: outcome, rule, policy, parameters, facts and reasons.  */
static char *
s_summary (adj_call_t *c, const adj_decision_t *d)
{
    char buf[2001];
    size_t used = 0;
    const ProtobufCEnumValue *rule = protobuf_c_enum_descriptor_get_value (
        &chejian__v1__rule_kind__descriptor, (int) d->rule);
    const ProtobufCEnumValue *out = protobuf_c_enum_descriptor_get_value (
        &chejian__v1__decision_outcome__descriptor, (int) d->outcome);
#define S_ADD(...) used += (size_t) snprintf (buf + used, used < sizeof buf ? sizeof buf - used : 0, __VA_ARGS__)
    S_ADD ("Decision %s: %s on %s, %lld fen, facts of %d.", d->decision_id,
           out ? out->name : "?", rule ? rule->name : "?", (long long) d->amount_fen,
           (int) d->facts_date);
    if (*d->policy->policy_id)
        S_ADD (" Policy %s version %u (%s, in force %d..%d).", d->policy->policy_id,
               d->policy->version, d->policy->jurisdiction, (int) d->policy->effective_from_date,
               (int) d->policy->effective_to_date);
    for (size_t i = 0; i < d->n_params && used < sizeof buf; i++)
        S_ADD (" %s = %s %s.", d->params[i]->name, d->params[i]->value, d->params[i]->unit);
    for (size_t i = 0; i < d->n_facts && used < sizeof buf; i++)
        S_ADD (" Fact %s = %s %s (%d, %s).", d->facts[i]->name, d->facts[i]->value,
               d->facts[i]->unit, (int) d->facts[i]->as_of_date, d->facts[i]->source);
    for (size_t i = 0; i < d->n_reasons && used < sizeof buf; i++)
        S_ADD (" %s", d->reasons[i]);
#undef S_ADD
    if (used >= sizeof buf) {         /* cut at a character boundary */
        size_t end = sizeof buf - 1;
        while (end > 0 && ((unsigned char) buf[end] & 0xC0) == 0x80)
            end--;
        buf[end] = 0;
    }
    return cj_arena_strdup (c->arena, buf);
}

/*  The payments of the decision and of revocations of it.  */
static int
s_explain_payments (adj_call_t *c, const adj_drec_t *r, adj_drec_t **chain, size_t n,
                    Chejian__V1__DecisionExplanation *out)
{
    char **ids = adj_array (c, n + 1);
    size_t k = 0;
    if (!ids)
        return -1;
    if (*r->instruction_id)
        ids[k++] = r->instruction_id;
    for (size_t i = 0; i < n && k < ADJ_CHAIN_MAX; i++)
        if (strcmp (chain[i]->decision->supersedes_decision_id, r->decision->decision_id) == 0
            && *chain[i]->claw_back_instruction_id)
            ids[k++] = chain[i]->claw_back_instruction_id;
    adj_payment_t **pays;
    if (adj_read_ids (c, ADJ_PAYMENTS, ids, k, &chejian__adj__payment_record__descriptor,
                    (void ***) &pays, &k) != 0 || !(out->payments = adj_array (c, k)))
        return -1;
    for (size_t i = 0; i < k; i++)
        out->payments[out->n_payments++] = pays[i]->view;
    return 0;
}

static int
s_explain (adj_call_t *c)
{
    const char *id = c->env->explain_decision->decision_id;
    adj_drec_t *r, **chain;
    adj_ids_t *ids = NULL;
    size_t n;
    if (adj_need (c, ADJ_DECISIONS, id, &chejian__adj__decision_record__descriptor, (void **) &r,
                  "explain_decision.decision_id", CJ_E_NOT_FOUND, "decision") != 1
        || adj_read (c, ADJ_CHAINS, r->subject_key, &chejian__adj__id_list__descriptor,
                     (void **) &ids) < 0)
        return -1;
    n = ids ? ids->n_ids : 0;
    if (adj_read_ids (c, ADJ_DECISIONS, ids ? ids->ids : NULL, n,
                    &chejian__adj__decision_record__descriptor, (void ***) &chain, &n) != 0)
        return -1;
    Chejian__V1__DecisionExplanation *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out)
        return -1;
    chejian__v1__decision_explanation__init (out);
    out->decision = r->decision;
    out->chain = adj_array (c, n);
    for (size_t i = 0; out->chain && i < n && out->n_chain < ADJ_CHAIN_MAX; i++)
        out->chain[out->n_chain++] = chain[i]->decision;
    if (!out->chain || s_explain_payments (c, r, chain, n, out) != 0
        || !(out->summary = s_summary (c, r->decision)))
        return -1;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_DECISION_EXPLANATION, &out->base);
    return 0;
}

int
adj_query_explain_decision (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_explain);
}

/*  ---- GetAdjudicationSummary ----  */

int
adj_validate_get_adjudication_summary (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetAdjudicationSummary *q = env->get_adjudication_summary;
    adj_begin (p, env);
    cj_check_date_opt (p, "from_date", q->from_date);
    if (cj_check_date_opt (p, "to_date", q->to_date) == 0)
        cj_check_date_order (p, "to_date", q->from_date, q->to_date);
    return adj_end (p);
}

typedef Chejian__V1__AdjudicationSummary s_summary_t;

/*  The totals row of 'rule' (made on first use).  */
static Chejian__V1__RuleTotals *
s_totals (adj_call_t *c, s_summary_t *out, int rule)
{
    for (size_t i = 0; i < out->n_by_rule; i++)
        if ((int) out->by_rule[i]->rule == rule)
            return out->by_rule[i];
    Chejian__V1__RuleTotals *t = cj_arena_alloc (c->arena, sizeof *t);
    if (!t)
        return NULL;
    chejian__v1__rule_totals__init (t);
    t->rule = rule;
    out->by_rule[out->n_by_rule++] = t;
    return t;
}

/*  Counts one decision (and, for current grants, the programme figures).  */
static void
s_count_decision (adj_call_t *c, s_summary_t *out, const adj_drec_t *r, char **workshops,
                  size_t *nws)
{
    const adj_decision_t *d = r->decision;
    Chejian__V1__RuleTotals *t = s_totals (c, out, (int) d->rule);
    bool current = !*r->superseded_by;
    if (!t)
        return;
    if (d->outcome == ADJ_REVOKED) {
        t->revoked_count++;
        t->revoked_fen += d->amount_fen;
    }
    if (!current)
        return;
    t->granted_count += d->outcome == ADJ_GRANTED;
    t->granted_fen += d->outcome == ADJ_GRANTED ? d->amount_fen : 0;
    t->denied_count += d->outcome == ADJ_DENIED;
    t->waitlisted_count += d->outcome == ADJ_WAITLISTED;
    t->waitlisted_fen += d->outcome == ADJ_WAITLISTED ? d->amount_fen : 0;
    if (d->outcome != ADJ_GRANTED)
        return;
    out->certified_workshops += d->rule == ADJ_RULE (CERTIFICATION);
    out->loans_approved += d->rule == ADJ_RULE (STARTUP_LOAN);
    out->loans_approved_fen += d->rule == ADJ_RULE (STARTUP_LOAN) ? d->amount_fen : 0;
    out->interest_subsidy_fen += d->rule == ADJ_RULE (INTEREST_SUBSIDY) ? d->amount_fen : 0;
    if (d->rule != ADJ_RULE (EMPLOYMENT_AWARD))
        return;
    out->awarded_laborers++;
    out->awards_fen += d->amount_fen;
    for (size_t i = 0; i < *nws; i++)
        if (strcmp (workshops[i], d->subject->workshop_id) == 0)
            return;
    workshops[(*nws)++] = d->subject->workshop_id;
}

/*  Paid and clawed-back money per rule, from the closed instructions.  */
static int
s_count_payments (adj_call_t *c, s_summary_t *out, const Chejian__V1__GetAdjudicationSummary *q)
{
    adj_payment_t **pays;
    size_t n;
    if (adj_read_all (c, ADJ_PAYMENTS, &chejian__adj__payment_record__descriptor,
                      (void ***) &pays, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const Chejian__V1__PaymentView *v = pays[i]->view;
        if (v->state != CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_CLOSED
            || (q->from_date && v->value_date < q->from_date)
            || (q->to_date && v->value_date > q->to_date))
            continue;
        Chejian__V1__RuleTotals *t = s_totals (c, out, (int) v->instruction->rule);
        if (!t)
            return -1;
        if (v->instruction->direction == CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_PAY)
            t->paid_fen += v->instruction->amount_fen;
        else
            t->clawed_back_fen += v->instruction->amount_fen;
    }
    return 0;
}

/*  Disbursed loans in the range (by disbursed date).  */
static int
s_count_loans (adj_call_t *c, s_summary_t *out, const Chejian__V1__GetAdjudicationSummary *q)
{
    adj_loan_t **loans;
    size_t n, nws = 0;
    if (adj_read_all (c, ADJ_LOANS, &chejian__adj__loan_record__descriptor, (void ***) &loans,
                      &n) != 0)
        return -1;
    char **workshops = adj_array (c, n);
    for (size_t i = 0; workshops && i < n; i++) {
        const Chejian__V1__LoanDisbursementRecorded *d = loans[i]->view->disbursement;
        if (!d || (q->from_date && d->disbursed_date < q->from_date)
            || (q->to_date && d->disbursed_date > q->to_date))
            continue;
        out->loans_disbursed++;
        out->loans_disbursed_fen += d->principal_fen;
        bool seen = !*d->workshop_id;
        for (size_t j = 0; j < nws && !seen; j++)
            seen = strcmp (workshops[j], d->workshop_id) == 0;
        if (!seen)
            workshops[nws++] = d->workshop_id;
    }
    out->workshops_with_loans = (uint32_t) nws;
    return workshops ? 0 : -1;
}

static int
s_adjudication_summary (adj_call_t *c)
{
    const Chejian__V1__GetAdjudicationSummary *q = c->env->get_adjudication_summary;
    adj_drec_t **recs;
    size_t n, nws = 0;
    s_summary_t *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out || adj_read_all (c, ADJ_DECISIONS, &chejian__adj__decision_record__descriptor,
                              (void ***) &recs, &n) != 0)
        return -1;
    chejian__v1__adjudication_summary__init (out);
    out->county = (char *) c->county;
    out->from_date = q->from_date;
    out->to_date = q->to_date;
    out->by_rule = adj_array (c, 8);
    char **workshops = adj_array (c, n);
    if (!out->by_rule || !workshops)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const adj_decision_t *d = recs[i]->decision;
        if ((!q->from_date || d->facts_date >= q->from_date)
            && (!q->to_date || d->facts_date <= q->to_date))
            s_count_decision (c, out, recs[i], workshops, &nws);
    }
    out->awarded_workshops = (uint32_t) nws;
    if (s_count_payments (c, out, q) != 0 || s_count_loans (c, out, q) != 0)
        return -1;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_ADJUDICATION_SUMMARY, &out->base);
    return 0;
}

int
adj_query_get_adjudication_summary (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_adjudication_summary);
}
