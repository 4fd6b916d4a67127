/*  adj_fund.c - fund accounts and their movements, payment instructions, the waitlist, and
 *  the commands of finance: TopUpFund, AllocateFund, ConfirmPayment.
 *
 *  Balances: available + reserved + paid == topped_up after every movement, and no balance
 *  ever goes below 0 (a movement that would is refused whole). A waitlist per fund source is
 *  served first come, first served: a decision is granted only when every decision queued
 *  before it has been. See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

#define S_KIND(x)  CHEJIAN__V1__FUND_MOVEMENT_KIND__FUND_MOVEMENT_KIND_##x
#define S_STATE(x) CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_##x
#define S_PAY      CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_PAY
#define S_CLAW     CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_CLAW_BACK

/*  ---- reads ----  */

int
adj_fund (adj_call_t *c, const char *fund_id, adj_fund_t **ret)
{
    if (!fund_id || !*fund_id)
        return 0;
    return adj_read (c, ADJ_FUNDS, fund_id, &chejian__adj__fund_record__descriptor, (void **) ret);
}

int
adj_fund_of_source (adj_call_t *c, int source, adj_fund_t **ret)
{
    char *id = NULL, key[CJ_KEY_MAX];
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_FUND_SOURCES) != 0)
        return -1;
    int rc = cj_ctx_hget (c->ctx, key, adj_fmt (c, "%d", source), &id, NULL);
    if (rc == 1)
        rc = adj_fund (c, id, ret);
    free (id);
    return rc;
}

int
adj_waitlist (adj_call_t *c, int source, Chejian__Adj__Waitlist **ret)
{
    int rc = adj_read (c, ADJ_WAITLIST, adj_fmt (c, "%d", source),
                       &chejian__adj__waitlist__descriptor, (void **) ret);
    if (rc == 0) {
        if (!(*ret = cj_arena_alloc (c->arena, sizeof **ret)))
            return -1;
        chejian__adj__waitlist__init (*ret);
    }
    return rc < 0 ? -1 : 0;
}

int
adj_payment (adj_call_t *c, const char *id, adj_payment_t **ret)
{
    return adj_read (c, ADJ_PAYMENTS, id, &chejian__adj__payment_record__descriptor,
                     (void **) ret);
}

/*  ---- movements ----  */

/*  Applies 'm' to the balances of 'b'; -1 when a balance would go below 0.  */
static int
s_apply_move (Chejian__V1__FundBalance *b, const adj_move_t *m)
{
    int64_t a = m->amount, avail = b->available_fen, res = b->reserved_fen, paid = b->paid_fen;
    switch (m->kind) {
    case S_KIND (TOP_UP):      b->topped_up_fen += a; avail += a; break;
    case S_KIND (ALLOCATION):
    case S_KIND (RESERVATION): avail -= a; res += a; break;
    case S_KIND (RELEASE):     res -= a; avail += a; break;
    case S_KIND (PAYMENT):     res -= a; paid += a; break;
    case S_KIND (RECOVERY):    paid -= a; avail += a; b->recovered_fen += a; break;
    default:                   return -1;
    }
    if (a <= 0 || avail < 0 || res < 0 || paid < 0)
        return -1;
    b->available_fen = avail;
    b->reserved_fen = res;
    b->paid_fen = paid;
    return 0;
}

static Chejian__V1__FundMovement *
s_movement (adj_call_t *c, const adj_fund_t *f, const adj_move_t *m)
{
    Chejian__V1__FundMovement *mv = cj_arena_alloc (c->arena, sizeof *mv);
    if (!mv || !(mv->movement_id = adj_next_id (c, "mv", NULL)))
        return NULL;
    const Chejian__V1__FundBalance *b = f->balance;
    char *id = mv->movement_id;
    chejian__v1__fund_movement__init (mv);
    mv->movement_id = id;
    mv->fund_id = b->fund_id;
    mv->source = b->source;
    mv->kind = m->kind;
    mv->amount_fen = m->amount;
    mv->topped_up_after_fen = b->topped_up_fen;
    mv->available_after_fen = b->available_fen;
    mv->reserved_after_fen = b->reserved_fen;
    mv->paid_after_fen = b->paid_fen;
    mv->decision_id = (char *) (m->decision_id ? m->decision_id : "");
    mv->instruction_id = (char *) (m->instruction_id ? m->instruction_id : "");
    mv->workshop_id = (char *) (m->workshop_id ? m->workshop_id : "");
    mv->reference = (char *) (m->reference ? m->reference : "");
    mv->value_date = m->value_date;
    return mv;
}

int
adj_fund_move (adj_call_t *c, adj_fund_t *f, const adj_move_t *m)
{
    if (s_apply_move (f->balance, m) != 0) {
        cj_problems_add (c->p, "", CJ_E_CONFLICT, "fund %s: a movement of %lld fen would take "
                         "a balance below zero", f->balance->fund_id, (long long) m->amount);
        return -1;
    }
    f->balance->last_movement_at_ms = c->env->occurred_at;
    Chejian__V1__FundMovement *mv = s_movement (c, f, m);
    char key[CJ_KEY_MAX], name[CJ_KEY_MAX];
    snprintf (name, sizeof name, "mv:%s", f->balance->fund_id);
    size_t len;
    uint8_t *bytes = mv ? cj_message_pack (&mv->base, &len) : NULL;
    int rc = !bytes || adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, name) != 0
             || cj_batch_rpush (cj_ctx_batch (c->ctx), key, bytes, len) != 0 ? -1 : 0;
    free (bytes);
    if (rc != 0 || adj_write (c, ADJ_FUNDS, f->balance->fund_id, &f->base) != 0)
        return -1;
    Chejian__V1__FundMoved ev = CHEJIAN__V1__FUND_MOVED__INIT;
    ev.movement = mv;
    return adj_emit (c, ADJ_BODY (FUND_MOVED), &ev.base);
}

/*  ---- instructions ----  */

adj_payment_t *
adj_instruct (adj_call_t *c, const adj_drec_t *r, int direction, const char *fund_id,
              int64_t amount, const char *reverses)
{
    adj_payment_t *rec = cj_arena_alloc (c->arena, sizeof *rec);
    Chejian__V1__PaymentView *v = cj_arena_alloc (c->arena, sizeof *v);
    Chejian__V1__PaymentInstruction *in = cj_arena_alloc (c->arena, sizeof *in);
    adj_fund_t *f = NULL;
    if (!rec || !v || !in || adj_fund (c, fund_id, &f) != 1)
        return NULL;
    chejian__adj__payment_record__init (rec);
    chejian__v1__payment_view__init (v);
    chejian__v1__payment_instruction__init (in);
    if (!(in->instruction_id = adj_next_id (c, "pay", &rec->number)))
        return NULL;
    in->decision_id = r->decision->decision_id;
    in->rule = r->decision->rule;
    in->direction = direction;
    in->payee = r->payee;
    in->fund_id = (char *) fund_id;
    in->fund_source = f->balance->source;
    in->amount_fen = amount;
    in->purpose = r->purpose ? r->purpose : "";
    in->attempt = 1;
    in->instructed_date = c->today;
    in->reverses_instruction_id = (char *) reverses;
    v->instruction = in;
    v->state = S_STATE (OPEN);
    v->instructed_at_ms = c->env->occurred_at;
    rec->view = v;
    rec->workshop_id = r->decision->subject->workshop_id;
    Chejian__V1__PaymentInstructed ev = CHEJIAN__V1__PAYMENT_INSTRUCTED__INIT;
    ev.instruction = in;
    if (adj_write (c, ADJ_PAYMENTS, in->instruction_id, &rec->base) != 0
        || adj_emit (c, ADJ_BODY (PAYMENT_INSTRUCTED), &ev.base) != 0)
        return NULL;
    return rec;
}

/*  ---- the waitlist ----  */

/*  A GRANTED decision superseding the waitlisted 'old': the same rule, subject, policy,
 *  parameters, facts and money, and the reasons that were not about the fund.  */
static adj_drec_t *
s_grant_of (adj_call_t *c, const adj_drec_t *old)
{
    const adj_decision_t *o = old->decision;
    adj_drec_t *r = adj_drec_new (c, o->rule, o->facts_date, NULL);
    if (!r)
        return NULL;
    adj_decision_t *d = r->decision;
    d->policy = o->policy;
    d->subject = o->subject;
    d->amount_fen = o->amount_fen;
    d->valid_until_date = o->valid_until_date;
    d->supersedes_decision_id = o->decision_id;
    adj_copy (d->params, o->params, o->n_params * sizeof *d->params);
    d->n_params = o->n_params;
    adj_copy (d->facts, o->facts, o->n_facts * sizeof *d->facts);
    d->n_facts = o->n_facts;
    for (size_t i = 0; i < o->n_reasons; i++)
        if (strncmp (o->reason_codes[i], "FUND_", 5) != 0)
            adj_reason (c, r, o->reason_codes[i], "%s", o->reasons[i]);
    r->charge_source = old->charge_source;
    r->payee = old->payee;
    r->purpose = old->purpose;
    return r;
}

/*  Grants the waitlisted decision 'old' now that its fund has the money.  */
static int
s_grant_waiting (adj_call_t *c, const adj_drec_t *old, const adj_fund_t *f)
{
    adj_drec_t *r = s_grant_of (c, old);
    if (!r)
        return -1;
    adj_decision_t *d = r->decision;
    d->outcome = ADJ_GRANTED;
    d->fund_id = f->balance->fund_id;
    adj_fact (c, r, "fund_available_fen", "fen", c->today, "adjudicator", "", "%lld",
              (long long) f->balance->available_fen);
    adj_reason (c, r, "FUND_TOPPED_UP", "Granted from the waitlist (decision %s) now that fund "
                "%s has the money.", old->decision->decision_id, f->balance->fund_id);
    const ProtobufCFieldDescriptor *body = protobuf_c_message_descriptor_get_field (
        &chejian__v1__envelope__descriptor, (unsigned) old->event_case);
    ProtobufCMessage *event = body ? protobuf_c_message_unpack (body->descriptor,
                                                                cj_arena_allocator (c->arena),
                                                                old->event.len, old->event.data)
                                   : NULL;
    return event ? adj_record (c, r, old->event_case, event) : -1;
}

int
adj_serve_waitlist (adj_call_t *c, int source)
{
    for (;;) {
        Chejian__Adj__Waitlist *queue;
        adj_fund_t *f = NULL;
        adj_drec_t *old = NULL;
        if (adj_waitlist (c, source, &queue) != 0 || adj_fund_of_source (c, source, &f) < 0)
            return -1;
        if (!queue->n_entries || !f || f->balance->available_fen < queue->entries[0]->amount_fen)
            return 0;
        Chejian__Adj__WaitEntry *head = queue->entries[0];
        queue->entries++;
        queue->n_entries--;
        if (adj_write (c, ADJ_WAITLIST, adj_fmt (c, "%d", source), &queue->base) != 0
            || adj_decision (c, head->decision_id, &old) < 0)
            return -1;
        if (adj_live (old) && old->decision->outcome == ADJ_WAITLISTED
            && s_grant_waiting (c, old, f) != 0)
            return -1;
    }
}

/*  ---- TopUpFund ----  */

int
adj_validate_top_up_fund (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__TopUpFund *cmd = env->top_up_fund;
    adj_begin (p, env);
    adj_check_id (p, "fund_id", cmd->fund_id, true);
    cj_check_enum (p, "source", &chejian__v1__fund_source__descriptor, (int) cmd->source, true);
    cj_check_range (p, "amount_fen", cmd->amount_fen, 1, 1000000000000LL);
    cj_check_date_required (p, "value_date", cmd->value_date);
    cj_check_text (p, "reference", cmd->reference, 64, false);
    cj_check_text (p, "provider", cmd->provider, 64, false);
    return adj_end (p);
}

/*  The fund of the command, opened at its first top-up; CONFLICT on a source mismatch or a
 *  second fund of one source.  */
static int
s_open_fund (adj_call_t *c, const Chejian__V1__TopUpFund *cmd, adj_fund_t **ret)
{
    int rc = adj_fund (c, cmd->fund_id, ret);
    if (rc == 1 && (int) (*ret)->balance->source != (int) cmd->source)
        cj_problems_add (c->p, "top_up_fund.source", CJ_E_CONFLICT,
                         "differs from the fund's source");
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    adj_fund_t *other = NULL;
    if ((rc = adj_fund_of_source (c, cmd->source, &other)) != 0) {
        if (rc > 0)
            cj_problems_add (c->p, "top_up_fund.fund_id", CJ_E_CONFLICT,
                             "the county already has a fund of this source (one per source)");
        return rc < 0 ? -1 : 0;
    }
    adj_fund_t *f = cj_arena_alloc (c->arena, sizeof *f);
    Chejian__V1__FundBalance *b = cj_arena_alloc (c->arena, sizeof *b);
    char key[CJ_KEY_MAX];
    if (!f || !b || adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county,
                             ADJ_FUND_SOURCES) != 0)
        return -1;
    chejian__adj__fund_record__init (f);
    chejian__v1__fund_balance__init (b);
    b->fund_id = cmd->fund_id;
    b->source = cmd->source;
    f->balance = b;
    *ret = f;
    return cj_batch_hset (cj_ctx_batch (c->ctx), key, adj_fmt (c, "%d", (int) cmd->source),
                          cmd->fund_id, strlen (cmd->fund_id));
}

static int
s_top_up (adj_call_t *c)
{
    const Chejian__V1__TopUpFund *cmd = c->env->top_up_fund;
    adj_fund_t *f = NULL;
    if (s_open_fund (c, cmd, &f) != 0 || cj_problems_any (c->p))
        return -1;
    if (f->balance->topped_up_fen + cmd->amount_fen > ADJ_MONEY_MAX) {
        cj_problems_add (c->p, "top_up_fund.amount_fen", CJ_E_OUT_OF_RANGE,
                         "would take the fund beyond %lld fen", (long long) ADJ_MONEY_MAX);
        return -1;
    }
    if (*cmd->provider)
        f->balance->provider = cmd->provider;
    adj_move_t m = { S_KIND (TOP_UP), cmd->amount_fen, "", "", "", cmd->reference,
                     cmd->value_date };
    if (adj_fund_move (c, f, &m) != 0)
        return -1;
    return adj_serve_waitlist (c, cmd->source);
}

int
adj_apply_top_up_fund (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_top_up);
}

/*  ---- AllocateFund ----  */

int
adj_validate_allocate_fund (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__AllocateFund *cmd = env->allocate_fund;
    adj_begin (p, env);
    adj_check_id (p, "allocation_id", cmd->allocation_id, true);
    adj_check_id (p, "fund_id", cmd->fund_id, true);
    adj_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    cj_check_range (p, "amount_fen", cmd->amount_fen, 1, 100000000000LL);
    cj_check_text (p, "purpose", cmd->purpose, 128, true);
    adj_check_not_future (p, "allocation_date", cmd->allocation_date, env);
    cj_check_text (p, "reference", cmd->reference, 64, false);
    return adj_end (p);
}

Chejian__V1__Payee *
adj_workshop_payee (adj_call_t *c, const adj_workshop_t *ws)
{
    Chejian__V1__Payee *p = cj_arena_alloc (c->arena, sizeof *p);
    if (p) {
        chejian__v1__payee__init (p);
        p->kind = CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_WORKSHOP;
        p->workshop_id = ws->workshop_id;
        p->name = ws->name;
        p->uscc = ws->operator_uscc;
    }
    return p;
}

static int
s_allocate (adj_call_t *c)
{
    const Chejian__V1__AllocateFund *cmd = c->env->allocate_fund;
    adj_workshop_t *ws;
    adj_fund_t *f;
    adj_drec_t *prior = NULL;
    if (adj_current (c, adj_fmt (c, "6|%s", cmd->allocation_id), &prior) < 0
        || adj_need (c, ADJ_FUNDS, cmd->fund_id, &chejian__adj__fund_record__descriptor,
                     (void **) &f, "allocate_fund.fund_id", CJ_E_NOT_FOUND, "fund") < 0
        || adj_need (c, ADJ_WORKSHOPS, cmd->workshop_id, &chejian__adj__workshop_facts__descriptor,
                     (void **) &ws, "allocate_fund.workshop_id", CJ_E_NOT_YET_KNOWN,
                     "workshop") < 0)
        return -1;
    if (prior)
        cj_problems_add (c->p, "allocate_fund.allocation_id", CJ_E_CONFLICT, "is already used");
    if (cj_problems_any (c->p))
        return -1;
    if (f->balance->available_fen < cmd->amount_fen) {
        cj_problems_add (c->p, "allocate_fund.amount_fen", CJ_E_CONFLICT,
                         "exceeds the fund's available balance (%lld fen)",
                         (long long) f->balance->available_fen);
        return -1;
    }
    adj_drec_t *r = adj_drec_new (c, ADJ_RULE (FUND_ALLOCATION), cmd->allocation_date, NULL);
    if (!r || !(r->payee = adj_workshop_payee (c, ws)))
        return -1;
    adj_decision_t *d = r->decision;
    d->subject->workshop_id = cmd->workshop_id;
    d->subject->allocation_id = cmd->allocation_id;
    d->outcome = ADJ_GRANTED;
    d->amount_fen = cmd->amount_fen;
    d->fund_id = cmd->fund_id;
    r->charge_source = f->balance->source;
    r->purpose = cmd->purpose;
    adj_fact (c, r, "fund_available_fen", "fen", c->today, "adjudicator", "", "%lld",
              (long long) f->balance->available_fen);
    adj_fact (c, r, "allocation_reference", "", cmd->allocation_date, c->env->source,
              c->env->event_id, "%s", cmd->reference);
    adj_reason (c, r, "ALLOCATED", "%lld fen of fund %s allocated to workshop %s: %s.",
                (long long) cmd->amount_fen, cmd->fund_id, cmd->workshop_id, cmd->purpose);
    return adj_record_made (c, r);
}

int
adj_apply_allocate_fund (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_allocate);
}

/*  ---- ConfirmPayment ----  */

int
adj_validate_confirm_payment (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ConfirmPayment *cmd = env->confirm_payment;
    bool paid = cmd->result == CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    adj_begin (p, env);
    adj_check_id (p, "instruction_id", cmd->instruction_id, true);
    cj_check_range (p, "attempt", cmd->attempt, 1, 1000);
    cj_check_enum (p, "result", &chejian__v1__payment_result__descriptor, (int) cmd->result, true);
    if (paid) {
        cj_check_range (p, "amount_fen", cmd->amount_fen, 1, ADJ_MONEY_MAX);
        cj_check_text (p, "bank_reference", cmd->bank_reference, 64, true);
        adj_check_not_future (p, "value_date", cmd->value_date, env);
        if (*cmd->failure_reason)
            cj_problems_add (p, "failure_reason", CJ_E_INVALID_FORMAT, "is for FAILED only");
    } else if (cmd->result) {
        cj_check_range (p, "amount_fen", cmd->amount_fen, 0, 0);
        cj_check_text (p, "failure_reason", cmd->failure_reason, 256, true);
    }
    return adj_end (p);
}

static int
s_emit_closed (adj_call_t *c, const Chejian__V1__PaymentInstruction *in,
               const Chejian__V1__ConfirmPayment *cmd)
{
    Chejian__V1__PaymentClosed ev = CHEJIAN__V1__PAYMENT_CLOSED__INIT;
    ev.instruction_id = in->instruction_id;
    ev.decision_id = in->decision_id;
    ev.direction = in->direction;
    ev.fund_id = in->fund_id;
    ev.amount_fen = in->amount_fen;
    ev.attempt = in->attempt;
    ev.bank_reference = cmd->bank_reference;
    ev.value_date = cmd->value_date;
    return adj_emit (c, ADJ_BODY (PAYMENT_CLOSED), &ev.base);
}

/*  A PAID confirmation of an instruction cancelled meanwhile: the money left the fund after
 *  all, so it is reserved again and paid, and a CLAW_BACK follows for the revocation.  */
static int
s_paid_after_cancel (adj_call_t *c, adj_payment_t *pay, adj_fund_t *f)
{
    Chejian__V1__PaymentInstruction *in = pay->view->instruction;
    adj_drec_t *old = NULL, *rev = NULL;
    adj_move_t m = { S_KIND (RESERVATION), in->amount_fen, in->decision_id,
                     in->instruction_id, pay->workshop_id, "", c->today };
    if (adj_decision (c, in->decision_id, &old) != 1
        || adj_decision (c, old->superseded_by, &rev) != 1)
        return -1;
    if (f->balance->available_fen < in->amount_fen) {
        cj_problems_add (c->p, "confirm_payment.instruction_id", CJ_E_CONFLICT,
                         "was cancelled and its money is committed elsewhere now; top up fund "
                         "%s by %lld fen, then confirm again", f->balance->fund_id,
                         (long long) (in->amount_fen - f->balance->available_fen));
        return -1;
    }
    if (adj_fund_move (c, f, &m) != 0)
        return -1;
    m.kind = S_KIND (PAYMENT);
    m.reference = c->env->confirm_payment->bank_reference;
    m.value_date = c->env->confirm_payment->value_date;
    if (adj_fund_move (c, f, &m) != 0 || s_emit_closed (c, in, c->env->confirm_payment) != 0)
        return -1;
    adj_payment_t *back = adj_instruct (c, rev, S_CLAW, in->fund_id, in->amount_fen,
                                        in->instruction_id);
    if (!back)
        return -1;
    rev->claw_back_instruction_id = back->view->instruction->instruction_id;
    return adj_write (c, ADJ_DECISIONS, rev->decision->decision_id, &rev->base);
}

static int
s_paid (adj_call_t *c, adj_payment_t *pay, adj_fund_t *f)
{
    const Chejian__V1__ConfirmPayment *cmd = c->env->confirm_payment;
    Chejian__V1__PaymentInstruction *in = pay->view->instruction;
    adj_move_t m = { in->direction == S_PAY ? S_KIND (PAYMENT) : S_KIND (RECOVERY),
                     in->amount_fen, in->decision_id, in->instruction_id, pay->workshop_id,
                     cmd->bank_reference, cmd->value_date };
    return adj_fund_move (c, f, &m) != 0 ? -1 : s_emit_closed (c, in, cmd);
}

static int
s_failed (adj_call_t *c, adj_payment_t *pay)
{
    const Chejian__V1__ConfirmPayment *cmd = c->env->confirm_payment;
    Chejian__V1__PaymentView *v = pay->view;
    Chejian__V1__PaymentReopened ev = CHEJIAN__V1__PAYMENT_REOPENED__INIT;
    ev.instruction_id = v->instruction->instruction_id;
    ev.decision_id = v->instruction->decision_id;
    ev.failed_attempt = v->instruction->attempt;
    ev.attempt = ++v->instruction->attempt;
    ev.failure_reason = cmd->failure_reason;
    ev.instruction = v->instruction;
    v->last_failure_reason = cmd->failure_reason;
    return adj_emit (c, ADJ_BODY (PAYMENT_REOPENED), &ev.base);
}

/*  The state checks of a confirmation: the attempt, the amount, the instruction's state.  */
static int
s_check_confirmation (adj_call_t *c, const adj_payment_t *pay)
{
    const Chejian__V1__ConfirmPayment *cmd = c->env->confirm_payment;
    const Chejian__V1__PaymentView *v = pay->view;
    bool paid = cmd->result == CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    if (v->state == S_STATE (CLOSED))
        cj_problems_add (c->p, "confirm_payment.instruction_id", CJ_E_CONFLICT,
                         "is closed already: it was confirmed paid");
    else if (v->state == S_STATE (CANCELLED) && !paid)
        cj_problems_add (c->p, "confirm_payment.instruction_id", CJ_E_CONFLICT,
                         "was cancelled: there is nothing to try again");
    if (cmd->attempt != v->instruction->attempt)
        cj_problems_add (c->p, "confirm_payment.attempt", CJ_E_CONFLICT,
                         "the instruction's current attempt is %u", v->instruction->attempt);
    if (paid && cmd->amount_fen != v->instruction->amount_fen)
        cj_problems_add (c->p, "confirm_payment.amount_fen", CJ_E_CONFLICT,
                         "differs from the instruction's amount (%lld fen)",
                         (long long) v->instruction->amount_fen);
    return cj_problems_any (c->p) ? -1 : 0;
}

static int
s_confirm (adj_call_t *c)
{
    const Chejian__V1__ConfirmPayment *cmd = c->env->confirm_payment;
    adj_payment_t *pay;
    adj_fund_t *f;
    if (adj_need (c, ADJ_PAYMENTS, cmd->instruction_id, &chejian__adj__payment_record__descriptor,
                  (void **) &pay, "confirm_payment.instruction_id", CJ_E_NOT_FOUND,
                  "payment instruction") != 1
        || s_check_confirmation (c, pay) != 0
        || adj_fund (c, pay->view->instruction->fund_id, &f) != 1)
        return -1;
    Chejian__V1__PaymentView *v = pay->view;
    int rc;
    if (cmd->result == CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_FAILED)
        rc = s_failed (c, pay);
    else {
        rc = v->state == S_STATE (CANCELLED) ? s_paid_after_cancel (c, pay, f) : s_paid (c, pay, f);
        v->state = S_STATE (CLOSED);
        v->bank_reference = cmd->bank_reference;
        v->value_date = cmd->value_date;
        v->closed_at_ms = c->env->occurred_at;
    }
    return rc != 0 ? -1 : adj_write (c, ADJ_PAYMENTS, v->instruction->instruction_id, &pay->base);
}

int
adj_apply_confirm_payment (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_confirm);
}
