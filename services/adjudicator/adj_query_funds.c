/*  adj_query_funds.c - the queries about money and policy: ListFunds, ListFundMovements,
 *  ListPayments, GetLoan, GetPolicyInForce and GetPolicy. See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

/*  ---- ListFunds ----  */

int
adj_validate_list_funds (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListFunds *q = env->list_funds;
    adj_begin (p, env);
    adj_check_id (p, "fund_id", q->fund_id, false);
    cj_check_enum (p, "source", &chejian__v1__fund_source__descriptor, (int) q->source, false);
    return adj_end (p);
}

static int
s_fund_cmp (const void *a, const void *b)
{
    return strcmp ((*(adj_fund_t *const *) a)->balance->fund_id,
                   (*(adj_fund_t *const *) b)->balance->fund_id);
}

/*  The waitlist of the fund's source in its balance.  */
static int
s_waiting (adj_call_t *c, Chejian__V1__FundBalance *b)
{
    Chejian__Adj__Waitlist *queue;
    if (adj_waitlist (c, (int) b->source, &queue) != 0)
        return -1;
    b->waitlisted_count = (uint32_t) queue->n_entries;
    for (size_t i = 0; i < queue->n_entries; i++)
        b->waitlisted_fen += queue->entries[i]->amount_fen;
    return 0;
}

static int
s_list_funds (adj_call_t *c)
{
    const Chejian__V1__ListFunds *q = c->env->list_funds;
    adj_fund_t **funds;
    size_t n;
    Chejian__V1__FundList *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out || adj_read_all (c, ADJ_FUNDS, &chejian__adj__fund_record__descriptor,
                              (void ***) &funds, &n) != 0)
        return -1;
    qsort (funds, n, sizeof *funds, s_fund_cmp);
    chejian__v1__fund_list__init (out);
    if (!(out->funds = adj_array (c, n)))
        return -1;
    for (size_t i = 0; i < n && out->n_funds < 100; i++) {
        Chejian__V1__FundBalance *b = funds[i]->balance;
        if ((*q->fund_id && strcmp (q->fund_id, b->fund_id) != 0)
            || (q->source && b->source != q->source))
            continue;
        if (s_waiting (c, b) != 0)
            return -1;
        out->funds[out->n_funds++] = b;
    }
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_FUNDS, &out->base);
    return 0;
}

int
adj_query_list_funds (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_list_funds);
}

/*  ---- ListFundMovements ----  */

int
adj_validate_list_fund_movements (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListFundMovements *q = env->list_fund_movements;
    adj_begin (p, env);
    adj_check_id (p, "fund_id", q->fund_id, true);
    cj_check_enum (p, "kind", &chejian__v1__fund_movement_kind__descriptor, (int) q->kind, false);
    cj_check_date_opt (p, "from_date", q->from_date);
    if (cj_check_date_opt (p, "to_date", q->to_date) == 0)
        cj_check_date_order (p, "to_date", q->from_date, q->to_date);
    adj_check_page (p, "page", q->page);
    return adj_end (p);
}

static bool
s_movement_wanted (const Chejian__V1__ListFundMovements *q, const Chejian__V1__FundMovement *m)
{
    return (!q->kind || m->kind == q->kind) && (!q->from_date || m->value_date >= q->from_date)
           && (!q->to_date || m->value_date <= q->to_date);
}

/*  The movements of the fund that pass the filter, oldest first, numbered by position.  */
static int
s_movements (adj_call_t *c, const Chejian__V1__ListFundMovements *q,
             Chejian__V1__FundMovement ***ret, uint64_t **ret_numbers, size_t *ret_n)
{
    char key[CJ_KEY_MAX];
    redisReply *reply;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county,
                 adj_fmt (c, "mv:%s", q->fund_id)) != 0
        || !(reply = cj_store_command (cj_ctx_store (c->ctx), "LRANGE %s 0 -1", key)))
        return -1;
    size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0, kept = 0;
    Chejian__V1__FundMovement **rows = adj_array (c, n);
    uint64_t *numbers = cj_arena_alloc (c->arena, (n + 1) * sizeof *numbers);
    int rc = rows && numbers && reply->type == REDIS_REPLY_ARRAY ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const redisReply *el = reply->element[i];
        Chejian__V1__FundMovement *m = chejian__v1__fund_movement__unpack (
            cj_arena_allocator (c->arena), el->len, (const uint8_t *) el->str);
        if (!m)
            rc = -1;
        else if (s_movement_wanted (q, m)) {
            numbers[kept] = i + 1;
            rows[kept++] = m;
        }
    }
    freeReplyObject (reply);
    *ret = rows;
    *ret_numbers = numbers;
    *ret_n = kept;
    return rc;
}

static int
s_list_movements (adj_call_t *c)
{
    const Chejian__V1__ListFundMovements *q = c->env->list_fund_movements;
    adj_fund_t *f;
    if (adj_need (c, ADJ_FUNDS, q->fund_id, &chejian__adj__fund_record__descriptor, (void **) &f,
                  "list_fund_movements.fund_id", CJ_E_NOT_FOUND, "fund") != 1)
        return -1;
    Chejian__V1__FundMovement **rows;
    uint64_t *numbers;
    size_t n;
    if (s_movements (c, q, &rows, &numbers, &n) != 0)
        return -1;
    adj_page_t page;
    adj_page (numbers, n, q->page, false, &page);
    Chejian__V1__FundMovementList *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out)
        return -1;
    chejian__v1__fund_movement_list__init (out);
    out->movements = rows + page.first;
    out->n_movements = page.count;
    if (!(out->page = adj_page_info (c, numbers, n, &page)))
        return -1;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_FUND_MOVEMENTS, &out->base);
    return 0;
}

int
adj_query_list_fund_movements (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_list_movements);
}

/*  ---- ListPayments ----  */

int
adj_validate_list_payments (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListPayments *q = env->list_payments;
    adj_begin (p, env);
    cj_check_enum (p, "state", &chejian__v1__payment_state__descriptor, (int) q->state, false);
    cj_check_enum (p, "rule", &chejian__v1__rule_kind__descriptor, (int) q->rule, false);
    adj_check_workshop_id (p, "workshop_id", q->workshop_id, false);
    adj_check_id (p, "fund_id", q->fund_id, false);
    cj_check_enum (p, "direction", &chejian__v1__payment_direction__descriptor,
                   (int) q->direction, false);
    adj_check_page (p, "page", q->page);
    return adj_end (p);
}

static bool
s_payment_wanted (const Chejian__V1__ListPayments *q, const adj_payment_t *pay)
{
    const Chejian__V1__PaymentInstruction *in = pay->view->instruction;
    const char *payee_ws = in->payee ? in->payee->workshop_id : "";
    return (!q->state || pay->view->state == q->state) && (!q->rule || in->rule == q->rule)
           && (!*q->fund_id || strcmp (in->fund_id, q->fund_id) == 0)
           && (!q->direction || in->direction == q->direction)
           && (!*q->workshop_id || strcmp (pay->workshop_id, q->workshop_id) == 0
               || strcmp (payee_ws, q->workshop_id) == 0);
}

static int
s_payment_cmp (const void *a, const void *b)
{
    uint64_t x = (*(adj_payment_t *const *) a)->number, y = (*(adj_payment_t *const *) b)->number;
    return x < y ? -1 : x > y;
}

static int
s_list_payments (adj_call_t *c)
{
    const Chejian__V1__ListPayments *q = c->env->list_payments;
    adj_payment_t **pays;
    size_t n, kept = 0;
    Chejian__V1__PaymentList *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out || adj_read_all (c, ADJ_PAYMENTS, &chejian__adj__payment_record__descriptor,
                              (void ***) &pays, &n) != 0)
        return -1;
    qsort (pays, n, sizeof *pays, s_payment_cmp);
    uint64_t *numbers = cj_arena_alloc (c->arena, (n + 1) * sizeof *numbers);
    chejian__v1__payment_list__init (out);
    if (!numbers)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_payment_wanted (q, pays[i])) {
            out->total_fen += pays[i]->view->instruction->amount_fen;
            numbers[kept] = pays[i]->number;
            pays[kept++] = pays[i];
        }
    adj_page_t page;
    adj_page (numbers, kept, q->page, false, &page);
    if (!(out->payments = adj_array (c, page.count))
        || !(out->page = adj_page_info (c, numbers, kept, &page)))
        return -1;
    for (size_t i = 0; i < page.count; i++)
        out->payments[out->n_payments++] = pays[page.first + i]->view;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_PAYMENTS, &out->base);
    return 0;
}

int
adj_query_list_payments (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_list_payments);
}

/*  ---- GetLoan ----  */

int
adj_validate_get_loan (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetLoan *q = env->get_loan;
    adj_begin (p, env);
    if (q->key_case == CHEJIAN__V1__GET_LOAN__KEY_APPLICATION_ID)
        adj_check_id (p, "application_id", q->application_id, true);
    else if (q->key_case == CHEJIAN__V1__GET_LOAN__KEY_LOAN_ID)
        adj_check_id (p, "loan_id", q->loan_id, true);
    else
        cj_problems_add (p, "key", CJ_E_REQUIRED, "application_id or loan_id is required");
    return adj_end (p);
}

/*  The state, the period outcomes and the totals as the current decisions say.  */
static int
s_loan_now (adj_call_t *c, Chejian__V1__LoanView *v)
{
    adj_drec_t *cur = NULL;
    if (adj_current (c, adj_fmt (c, "3|%s", v->application_id), &cur) < 0)
        return -1;
    v->state = cur && adj_live (cur) && cur->decision->outcome == ADJ_GRANTED
               ? (v->disbursement ? CHEJIAN__V1__LOAN_STATE__LOAN_STATE_DISBURSED
                                  : CHEJIAN__V1__LOAN_STATE__LOAN_STATE_APPROVED)
               : CHEJIAN__V1__LOAN_STATE__LOAN_STATE_DENIED;
    for (size_t i = 0; i < v->n_periods; i++) {
        Chejian__V1__InterestPeriodView *pv = v->periods[i];
        adj_drec_t *d = NULL;
        if (adj_current (c, adj_fmt (c, "4|%s|%d", v->loan_id, (int) pv->period_start_date),
                         &d) < 0)
            return -1;
        if (d) {
            pv->outcome = d->decision->outcome;
            pv->decision_id = d->decision->decision_id;
            pv->subsidy_fen = d->decision->outcome == ADJ_REVOKED ? 0 : d->decision->amount_fen;
        }
        v->interest_total_fen += pv->interest_fen;
        v->subsidy_total_fen += pv->outcome == ADJ_GRANTED ? pv->subsidy_fen : 0;
    }
    return 0;
}

static int
s_get_loan (adj_call_t *c)
{
    const Chejian__V1__GetLoan *q = c->env->get_loan;
    const char *app = q->application_id;
    char *found = NULL, key[CJ_KEY_MAX];
    adj_loan_t *loan = NULL;
    if (q->key_case == CHEJIAN__V1__GET_LOAN__KEY_LOAN_ID) {
        if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_LOAN_IDS) != 0
            || cj_ctx_hget (c->ctx, key, q->loan_id, &found, NULL) < 0)
            return -1;
        app = found ? cj_arena_strdup (c->arena, found) : NULL;
        free (found);
    }
    int rc = app ? adj_loan (c, app, &loan) : 0;
    if (rc == 0)
        cj_problems_add (c->p, q->key_case == CHEJIAN__V1__GET_LOAN__KEY_LOAN_ID
                         ? "get_loan.loan_id" : "get_loan.application_id", CJ_E_NOT_FOUND,
                         "no such loan in county %s", c->county);
    if (rc != 1 || s_loan_now (c, loan->view) != 0)
        return -1;
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_LOAN, &loan->view->base);
    return 0;
}

int
adj_query_get_loan (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_get_loan);
}

/*  ---- GetPolicyInForce ----  */

int
adj_validate_get_policy_in_force (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetPolicyInForce *q = env->get_policy_in_force;
    adj_begin (p, env);
    cj_check_date_opt (p, "date", q->date);
    if (cj_check_enum (p, "rule", &chejian__v1__rule_kind__descriptor, (int) q->rule, false) == 0
        && q->rule == ADJ_RULE (FUND_ALLOCATION))
        cj_problems_add (p, "rule", CJ_E_OUT_OF_RANGE, "fund allocations have no policy");
    return adj_end (p);
}

static Chejian__V1__RuleInForce *
s_rule_in_force (adj_call_t *c, int rule, const adj_prec_t *rec)
{
    Chejian__V1__RuleInForce *r = cj_arena_alloc (c->arena, sizeof *r);
    if (!r)
        return NULL;
    chejian__v1__rule_in_force__init (r);
    r->rule = rule;
    r->policy = adj_policy_ref (c, rec->policy);
    r->title = rec->policy->title;
    r->issuing_document = rec->policy->issuing_document;
    r->params = (Chejian__V1__RuleParams *) adj_policy_rule (rec->policy, rule);
    return r->policy ? r : NULL;
}

static int
s_policy_in_force (adj_call_t *c)
{
    const Chejian__V1__GetPolicyInForce *q = c->env->get_policy_in_force;
    Chejian__V1__PolicyInForce *out = cj_arena_alloc (c->arena, sizeof *out);
    if (!out)
        return -1;
    chejian__v1__policy_in_force__init (out);
    out->county = (char *) c->county;
    out->date = q->date ? q->date : c->today;
    if (!(out->rules = adj_array (c, 5)))
        return -1;
    for (int rule = ADJ_RULE (CERTIFICATION); rule <= ADJ_RULE (ANNUAL_REWARD); rule++) {
        adj_prec_t *rec = NULL;
        if (q->rule && rule != (int) q->rule)
            continue;
        int rc = adj_resolve (c, rule, out->date, &rec);
        if (rc < 0 || (rc == 1 && !(out->rules[out->n_rules++] = s_rule_in_force (c, rule, rec))))
            return -1;
    }
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_POLICY_IN_FORCE, &out->base);
    return 0;
}

int
adj_query_get_policy_in_force (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_policy_in_force);
}

/*  ---- GetPolicy ----  */

int
adj_validate_get_policy (const cj_envelope_t *env, cj_problems_t *p)
{
    adj_begin (p, env);
    adj_check_id (p, "policy_id", env->get_policy->policy_id, true);
    return adj_end (p);
}

static int
s_u32_cmp (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

static int
s_get_policy (adj_call_t *c)
{
    const Chejian__V1__GetPolicy *q = c->env->get_policy;
    adj_prec_t *rec = NULL;
    Chejian__Adj__PolicyCatalog *catalog = NULL;
    int rc = adj_policy_version (c, q->policy_id, q->version, &rec);
    if (rc == 0)
        cj_problems_add (c->p, q->version ? "get_policy.version" : "get_policy.policy_id",
                         CJ_E_NOT_FOUND, "no such policy version is stored");
    Chejian__V1__PolicyView *out = rc == 1 ? cj_arena_alloc (c->arena, sizeof *out) : NULL;
    if (!out || adj_get (c, NULL, ADJ_CATALOG, "all", &chejian__adj__policy_catalog__descriptor,
                         (void **) &catalog) != 1)
        return -1;
    chejian__v1__policy_view__init (out);
    out->policy = rec->policy;
    out->published_at_ms = rec->published_at_ms;
    out->published_by = rec->published_by;
    out->versions = cj_arena_alloc (c->arena, (catalog->n_entries + 1) * sizeof *out->versions);
    for (size_t i = 0; out->versions && i < catalog->n_entries && out->n_versions < 100; i++)
        if (strcmp (catalog->entries[i]->policy_id, q->policy_id) == 0)
            out->versions[out->n_versions++] = catalog->entries[i]->version;
    if (!out->versions)
        return -1;
    qsort (out->versions, out->n_versions, sizeof *out->versions, s_u32_cmp);
    adj_set_result (c, CHEJIAN__V1__ACK__RESULT_POLICY, &out->base);
    return 0;
}

int
adj_query_get_policy (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return adj_run (ctx, env, ack, s_get_policy);
}
