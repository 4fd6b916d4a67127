/*  adj_decide.c - decisions: building one (parameters, facts, reasons), recording it with its
 *  events and its money in one go, chains of decisions on one subject, and revocations.
 *
 *  Every decision is a new record: a grant after waitlisting or a revocation supersedes the
 *  earlier decision, which is marked superseded and otherwise left as it was. The events of
 *  one decision are emitted together: the decision's event, then FundMoved, then
 *  PaymentInstructed / PaymentCancelled. See adjudicator_internal.h.  */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

/*  ---- building ----  */

adj_drec_t *
adj_drec_new (adj_call_t *c, int rule, int32_t facts_date, const adj_prec_t *policy)
{
    adj_drec_t *r = cj_arena_alloc (c->arena, sizeof *r);
    adj_decision_t *d = cj_arena_alloc (c->arena, sizeof *d);
    Chejian__V1__Subject *s = cj_arena_alloc (c->arena, sizeof *s);
    if (!r || !d || !s)
        return NULL;
    chejian__adj__decision_record__init (r);
    chejian__v1__decision__init (d);
    chejian__v1__subject__init (s);
    d->params = adj_array (c, ADJ_PARAMS_MAX);
    d->facts = adj_array (c, ADJ_FACTS_MAX);
    d->reasons = adj_array (c, ADJ_REASONS_MAX);
    d->reason_codes = adj_array (c, ADJ_REASONS_MAX);
    d->policy = adj_policy_ref (c, policy ? policy->policy : NULL);
    if (!d->params || !d->facts || !d->reasons || !d->reason_codes || !d->policy)
        return NULL;
    d->rule = rule;
    d->facts_date = facts_date;
    d->subject = s;
    r->decision = d;
    return r;
}

static char *
s_vfmt (adj_call_t *c, const char *fmt, va_list ap)
{
    char buf[ADJ_TEXT_MAX + 1];
    vsnprintf (buf, sizeof buf, fmt, ap);
    return cj_arena_strdup (c->arena, buf);
}

void
adj_param (adj_call_t *c, adj_drec_t *r, const char *name, const char *unit, const char *fmt, ...)
{
    adj_decision_t *d = r->decision;
    Chejian__V1__ParamValue *v = d->n_params < ADJ_PARAMS_MAX
                                 ? cj_arena_alloc (c->arena, sizeof *v) : NULL;
    if (!v)
        return;
    chejian__v1__param_value__init (v);
    va_list ap;
    va_start (ap, fmt);
    v->value = s_vfmt (c, fmt, ap);
    va_end (ap);
    v->name = (char *) name;
    v->unit = (char *) unit;
    v->policy = d->policy;
    if (v->value && v->name)
        d->params[d->n_params++] = v;
}

void
adj_fact (adj_call_t *c, adj_drec_t *r, const char *name, const char *unit, int32_t date,
          const char *source, const char *event_id, const char *fmt, ...)
{
    adj_decision_t *d = r->decision;
    Chejian__V1__Fact *f = d->n_facts < ADJ_FACTS_MAX ? cj_arena_alloc (c->arena, sizeof *f)
                                                      : NULL;
    if (!f)
        return;
    chejian__v1__fact__init (f);
    va_list ap;
    va_start (ap, fmt);
    f->value = s_vfmt (c, fmt, ap);
    va_end (ap);
    f->name = (char *) name;
    f->unit = (char *) unit;
    f->as_of_date = date;
    f->source = (char *) source;
    f->source_event_id = (char *) (event_id ? event_id : "");
    if (f->value)
        d->facts[d->n_facts++] = f;
}

void
adj_reason (adj_call_t *c, adj_drec_t *r, const char *code, const char *fmt, ...)
{
    adj_decision_t *d = r->decision;
    if (d->n_reasons >= ADJ_REASONS_MAX)
        return;
    va_list ap;
    va_start (ap, fmt);
    char *text = s_vfmt (c, fmt, ap);
    va_end (ap);
    if (!text)
        return;
    d->reasons[d->n_reasons++] = text;
    d->reason_codes[d->n_reason_codes++] = (char *) code;
}

/*  ---- chains ----  */

char *
adj_subject_key (adj_call_t *c, int rule, const Chejian__V1__Subject *s)
{
    switch (rule) {
    case ADJ_RULE (CERTIFICATION):
        return adj_fmt (c, "1|%s", s->workshop_id);
    case ADJ_RULE (EMPLOYMENT_AWARD):
        return adj_fmt (c, "2|%s|%s", s->workshop_id, s->worker_key);
    case ADJ_RULE (STARTUP_LOAN):
        return adj_fmt (c, "3|%s", s->application_id);
    case ADJ_RULE (INTEREST_SUBSIDY):
        return adj_fmt (c, "4|%s|%d", s->loan_id, (int) s->period_start_date);
    case ADJ_RULE (ANNUAL_REWARD):
        return adj_fmt (c, "5|%s|%d", s->workshop_id, (int) s->year);
    default:
        return adj_fmt (c, "6|%s", s->allocation_id);
    }
}

int
adj_decision (adj_call_t *c, const char *id, adj_drec_t **ret)
{
    return adj_read (c, ADJ_DECISIONS, id, &chejian__adj__decision_record__descriptor,
                     (void **) ret);
}

int
adj_current (adj_call_t *c, const char *subject_key, adj_drec_t **ret)
{
    adj_ids_t *chain;
    if (adj_ids (c, ADJ_CHAINS, subject_key, &chain) != 0)
        return -1;
    return chain->n_ids ? adj_decision (c, chain->ids[chain->n_ids - 1], ret) : 0;
}

bool
adj_live (const adj_drec_t *r)
{
    return r && !*r->superseded_by
           && (r->decision->outcome == ADJ_GRANTED || r->decision->outcome == ADJ_WAITLISTED);
}

/*  ---- money ----  */

int
adj_plan_charge (adj_call_t *c, adj_drec_t *r)
{
    adj_decision_t *d = r->decision;
    adj_fund_t *f = NULL;
    Chejian__Adj__Waitlist *queue;
    if (adj_fund_of_source (c, r->charge_source, &f) < 0
        || adj_waitlist (c, r->charge_source, &queue) != 0)
        return -1;
    int64_t available = f ? f->balance->available_fen : 0;
    d->fund_id = f ? f->balance->fund_id : "";
    adj_fact (c, r, "fund_available_fen", "fen", c->today, "adjudicator", "", "%lld",
              (long long) available);
    if (f && queue->n_entries == 0 && available >= d->amount_fen) {
        d->outcome = ADJ_GRANTED;
        return 0;
    }
    d->outcome = ADJ_WAITLISTED;
    d->waitlist_position = (uint32_t) queue->n_entries + 1;
    if (!f)
        adj_reason (c, r, "FUND_NOT_OPEN", "No fund of this source is open in the county yet; "
                    "the decision waits for its first top-up (position %u).",
                    d->waitlist_position);
    else if (queue->n_entries)
        adj_reason (c, r, "FUND_QUEUE", "%zu earlier decision(s) wait for this fund; this one "
                    "waits behind them (position %u).", queue->n_entries, d->waitlist_position);
    else
        adj_reason (c, r, "FUND_SHORT", "The fund has %lld fen available, less than the %lld "
                    "fen due; the decision waits for a top-up (position %u).",
                    (long long) available, (long long) d->amount_fen, d->waitlist_position);
    return 0;
}

static int
s_queue (adj_call_t *c, const adj_drec_t *r)
{
    Chejian__Adj__Waitlist *queue;
    Chejian__Adj__WaitEntry *e = cj_arena_alloc (c->arena, sizeof *e);
    if (!e || adj_waitlist (c, r->charge_source, &queue) != 0)
        return -1;
    Chejian__Adj__WaitEntry **entries = adj_array (c, queue->n_entries + 1);
    if (!entries)
        return -1;
    chejian__adj__wait_entry__init (e);
    e->decision_id = r->decision->decision_id;
    e->amount_fen = r->decision->amount_fen;
    adj_copy (entries, queue->entries, queue->n_entries * sizeof *entries);
    entries[queue->n_entries++] = e;
    queue->entries = entries;
    return adj_write (c, ADJ_WAITLIST, adj_fmt (c, "%d", (int) r->charge_source), &queue->base);
}

/*  Removes decision 'id' from the queue of 'source' (when there).  */
static int
s_unqueue (adj_call_t *c, int source, const char *id)
{
    Chejian__Adj__Waitlist *queue;
    if (adj_waitlist (c, source, &queue) != 0)
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < queue->n_entries; i++)
        if (strcmp (queue->entries[i]->decision_id, id) != 0)
            queue->entries[kept++] = queue->entries[i];
    if (kept == queue->n_entries)
        return 0;
    queue->n_entries = kept;
    return adj_write (c, ADJ_WAITLIST, adj_fmt (c, "%d", source), &queue->base);
}

/*  GRANTED with money: reserve it (an allocation moves it as ALLOCATION) and instruct.  */
static int
s_reserve (adj_call_t *c, adj_drec_t *r)
{
    adj_decision_t *d = r->decision;
    adj_fund_t *f;
    if (adj_fund (c, d->fund_id, &f) != 1)
        return -1;
    adj_move_t m = { d->rule == ADJ_RULE (FUND_ALLOCATION)
                     ? CHEJIAN__V1__FUND_MOVEMENT_KIND__FUND_MOVEMENT_KIND_ALLOCATION
                     : CHEJIAN__V1__FUND_MOVEMENT_KIND__FUND_MOVEMENT_KIND_RESERVATION,
                     d->amount_fen, d->decision_id, "", d->subject->workshop_id, "",
                     c->today };
    if (adj_fund_move (c, f, &m) != 0)
        return -1;
    adj_payment_t *pay = adj_instruct (c, r, CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_PAY,
                                       d->fund_id, d->amount_fen, "");
    if (!pay)
        return -1;
    r->instruction_id = pay->view->instruction->instruction_id;
    return 0;
}

/*  The money of a revocation 'rev' of 'old': a waitlisted one leaves the queue; an open
 *  instruction is cancelled and its reservation released; a paid one is clawed back.  */
static int
s_unwind (adj_call_t *c, adj_drec_t *rev, adj_drec_t *old)
{
    if (old->decision->outcome == ADJ_WAITLISTED)
        return s_unqueue (c, old->charge_source, old->decision->decision_id);
    adj_payment_t *pay = NULL;
    if (!*old->instruction_id || adj_payment (c, old->instruction_id, &pay) != 1)
        return *old->instruction_id ? -1 : 0;
    Chejian__V1__PaymentView *v = pay->view;
    const char *fund_id = v->instruction->fund_id;
    if (v->state == CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_CLOSED) {
        adj_payment_t *back = adj_instruct (c, rev, CHEJIAN__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_CLAW_BACK,
                                            fund_id, v->instruction->amount_fen,
                                            v->instruction->instruction_id);
        rev->claw_back_instruction_id = back ? back->view->instruction->instruction_id : "";
        return back ? 0 : -1;
    }
    adj_fund_t *f;
    if (adj_fund (c, fund_id, &f) != 1)
        return -1;
    adj_move_t m = { CHEJIAN__V1__FUND_MOVEMENT_KIND__FUND_MOVEMENT_KIND_RELEASE,
                     v->instruction->amount_fen, old->decision->decision_id,
                     v->instruction->instruction_id, old->decision->subject->workshop_id, "",
                     c->today };
    if (adj_fund_move (c, f, &m) != 0)
        return -1;
    v->state = CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_CANCELLED;
    v->closed_at_ms = c->env->occurred_at;
    Chejian__V1__PaymentCancelled ev = CHEJIAN__V1__PAYMENT_CANCELLED__INIT;
    ev.instruction_id = v->instruction->instruction_id;
    ev.decision_id = old->decision->decision_id;
    ev.revocation_decision_id = rev->decision->decision_id;
    ev.amount_fen = v->instruction->amount_fen;
    return adj_write (c, ADJ_PAYMENTS, ev.instruction_id, &pay->base) != 0 ? -1
           : adj_emit (c, ADJ_BODY (PAYMENT_CANCELLED), &ev.base);
}

/*  ---- recording ----  */

/*  Points field 1 (the decision) of event 'body' at 'd'.  */
static void
s_set_decision (ProtobufCMessage *body, adj_decision_t *d)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (body->descriptor, 1);
    memcpy ((char *) body + f->offset, &d, sizeof d);
}

/*  Keeps the event's other fields on the record (for a grant after waitlisting).  */
static int
s_keep_event (adj_drec_t *r, int event_case, ProtobufCMessage *body)
{
    s_set_decision (body, NULL);
    size_t len;
    uint8_t *bytes = cj_message_pack (body, &len);
    s_set_decision (body, r->decision);
    if (!bytes)
        return -1;
    r->event_case = event_case;
    r->event.data = bytes;          /* freed after the record is written */
    r->event.len = len;
    return 0;
}

static int
s_indexes (adj_call_t *c, const adj_drec_t *r)
{
    const Chejian__V1__Subject *s = r->decision->subject;
    double n = (double) r->number;
    const char *id = r->decision->decision_id;
    int rc = adj_index (c, "all", n, id);
    if (*s->workshop_id)
        rc |= adj_index (c, adj_fmt (c, "ws:%s", s->workshop_id), n, id);
    if (*s->worker_key)
        rc |= adj_index (c, adj_fmt (c, "wk:%s", s->worker_key), n, id);
    if (*s->application_id)
        rc |= adj_index (c, adj_fmt (c, "app:%s", s->application_id), n, id);
    if (*s->loan_id)
        rc |= adj_index (c, adj_fmt (c, "loan:%s", s->loan_id), n, id);
    return rc ? -1 : 0;
}

static int
s_supersede (adj_call_t *c, const adj_drec_t *r, adj_drec_t **ret_old)
{
    const char *old_id = r->decision->supersedes_decision_id;
    *ret_old = NULL;
    if (!*old_id)
        return 0;
    if (adj_decision (c, old_id, ret_old) != 1)
        return -1;
    (*ret_old)->superseded_by = r->decision->decision_id;
    return adj_write (c, ADJ_DECISIONS, old_id, &(*ret_old)->base);
}

/*  The money step after the decision's event.  */
static int
s_money (adj_call_t *c, adj_drec_t *r, adj_drec_t *old)
{
    switch (r->decision->outcome) {
    case ADJ_GRANTED:
        return r->decision->amount_fen > 0 && *r->decision->fund_id ? s_reserve (c, r) : 0;
    case ADJ_WAITLISTED:
        return s_queue (c, r);
    case ADJ_REVOKED:
        return old ? s_unwind (c, r, old) : 0;
    default:
        return 0;
    }
}

int
adj_record (adj_call_t *c, adj_drec_t *r, int event_case, ProtobufCMessage *event)
{
    adj_decision_t *d = r->decision;
    adj_drec_t *old = NULL;
    if (!(d->decision_id = adj_next_id (c, "dec", &r->number))
        || !(r->subject_key = adj_subject_key (c, d->rule, d->subject)))
        return -1;
    d->decided_at_ms = c->env->occurred_at;
    d->cause_source = c->env->source;
    d->cause_event_id = c->env->event_id;
    s_set_decision (event, d);
    if (s_keep_event (r, event_case, event) != 0)
        return -1;
    int rc = s_supersede (c, r, &old) != 0 || adj_emit (c, event_case, event) != 0
             || s_money (c, r, old) != 0
             || adj_ids_add (c, ADJ_CHAINS, r->subject_key, d->decision_id) != 0
             || adj_write (c, ADJ_DECISIONS, d->decision_id, &r->base) != 0
             || s_indexes (c, r) != 0 ? -1 : 0;
    free (r->event.data);
    r->event.data = NULL;
    r->event.len = 0;
    return rc;
}

int
adj_record_made (adj_call_t *c, adj_drec_t *r)
{
    Chejian__V1__DecisionMade ev = CHEJIAN__V1__DECISION_MADE__INIT;
    return adj_record (c, r, ADJ_BODY (DECISION_MADE), &ev.base);
}

/*  ---- revocations ----  */

adj_drec_t *
adj_revocation_of (adj_call_t *c, const adj_drec_t *old, int32_t date)
{
    adj_drec_t *r = adj_drec_new (c, old->decision->rule, date, NULL);
    if (!r)
        return NULL;
    adj_decision_t *d = r->decision;
    d->policy = old->decision->policy;
    d->subject = old->decision->subject;
    d->outcome = ADJ_REVOKED;
    d->fund_id = old->decision->fund_id;
    d->supersedes_decision_id = old->decision->decision_id;
    adj_copy (d->params, old->decision->params, old->decision->n_params * sizeof *d->params);
    d->n_params = old->decision->n_params;
    r->charge_source = old->charge_source;
    r->payee = old->payee;
    r->purpose = old->purpose;
    return r;
}

/*  The amounts a revocation of 'old' releases and claws back.  */
static int
s_unwind_amounts (adj_call_t *c, const adj_drec_t *old, int64_t *ret_released,
                  int64_t *ret_claw)
{
    *ret_released = *ret_claw = 0;
    adj_payment_t *pay = NULL;
    if (old->decision->outcome != ADJ_GRANTED || !*old->instruction_id)
        return 0;
    if (adj_payment (c, old->instruction_id, &pay) != 1)
        return -1;
    bool paid = pay->view->state == CHEJIAN__V1__PAYMENT_STATE__PAYMENT_STATE_CLOSED;
    *(paid ? ret_claw : ret_released) = pay->view->instruction->amount_fen;
    return 0;
}

int
adj_revoke (adj_call_t *c, adj_drec_t *old, adj_drec_t *rev)
{
    Chejian__V1__DecisionRevoked ev = CHEJIAN__V1__DECISION_REVOKED__INIT;
    if (s_unwind_amounts (c, old, &ev.released_fen, &ev.claw_back_fen) != 0)
        return -1;
    rev->decision->amount_fen = ev.released_fen + ev.claw_back_fen;
    adj_fact (c, rev, "revoked_amount_fen", "fen", c->today, "adjudicator", "", "%lld",
              (long long) old->decision->amount_fen);
    ev.revoked_decision_id = old->decision->decision_id;
    ev.revoked_rule = old->decision->rule;
    if (adj_record (c, rev, ADJ_BODY (DECISION_REVOKED), &ev.base) != 0)
        return -1;
    if (old->decision->rule == ADJ_RULE (STARTUP_LOAN) && adj_loan_released (c, old) != 0)
        return -1;
    return ev.released_fen || old->decision->outcome == ADJ_WAITLISTED
           ? adj_serve_waitlist (c, old->charge_source) : 0;
}

/*  ---- RevokeDecision ----  */

int
adj_validate_revoke_decision (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RevokeDecision *cmd = env->revoke_decision;
    adj_begin (p, env);
    adj_check_id (p, "decision_id", cmd->decision_id, true);
    cj_check_text (p, "reason", cmd->reason, 256, true);
    cj_check_text (p, "document", cmd->document, 64, false);
    return adj_end (p);
}

static int
s_revoke_by_hand (adj_call_t *c)
{
    const Chejian__V1__RevokeDecision *cmd = c->env->revoke_decision;
    adj_drec_t *old;
    if (adj_need (c, ADJ_DECISIONS, cmd->decision_id, &chejian__adj__decision_record__descriptor,
                  (void **) &old, "revoke_decision.decision_id", CJ_E_NOT_FOUND, "decision") != 1)
        return -1;
    if (!adj_live (old)) {
        cj_problems_add (c->p, "revoke_decision.decision_id", CJ_E_CONFLICT,
                         "is not a current GRANTED or WAITLISTED decision%s%s",
                         *old->superseded_by ? "; superseded by " : "", old->superseded_by);
        return -1;
    }
    adj_drec_t *rev = adj_revocation_of (c, old, c->today);
    if (!rev)
        return -1;
    adj_reason (c, rev, "REVOKED_BY_HAND", "Revoked by %s: %s", c->env->source, cmd->reason);
    if (*cmd->document)
        adj_fact (c, rev, "revocation_document", "", c->today, c->env->source, c->env->event_id,
                  "%s", cmd->document);
    if (adj_revoke (c, old, rev) != 0)
        return -1;
    const Chejian__V1__Subject *s = old->decision->subject;
    bool workshop_rule = old->decision->rule == ADJ_RULE (CERTIFICATION)
                         || old->decision->rule == ADJ_RULE (EMPLOYMENT_AWARD);
    return workshop_rule ? adj_workshop_changed (c, s->workshop_id, c->today, false) : 0;
}

int
adj_apply_revoke_decision (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_revoke_by_hand);
}
