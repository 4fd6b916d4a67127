/*  pay_other.c - RecordShareholderPayment (dividends and guaranteed minimums of a stake, per
 *  year and kind) and SubmitOutputReport (a workshop's output over months of one year). Both
 *  replace what was recorded for the same key and move the aggregates by the difference.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "payroll_internal.h"

/*  Reads one field as the handler sees it (this turn's writes first) and unpacks it with
 *  'desc'. Returns 1 with '*ret' (free with protobuf_c_message_free_unpacked), 0 when absent,
 *  -1 when the store cannot answer or the record does not decode.  */
static int
s_read_message (const pay_io_t *io, const char *key, const char *field,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
    const char *fields[] = { field };
    pay_value_t value = { 0 };
    pay_read_t read = { key, fields, 1, true, &value };
    if (io->read (io->self, &read, 1) != 0)
        return -1;
    *ret = value.found ? protobuf_c_message_unpack (desc, NULL, value.len, value.data) : NULL;
    free (value.data);
    if (value.found && !*ret)
        cj_error ("payroll record %s of %s does not decode", field, key);
    return value.found ? (*ret ? 1 : -1) : 0;
}

static int
s_room (const pay_io_t *io, size_t events)
{
    return io->room (io->self) >= events ? 0 : -1;
}

/*  ---- shareholder payments ----  */

typedef struct {
    pay_part_t                                 *part;
    const cj_envelope_t                        *env;
    const Chejian__V1__RecordShareholderPayment *r;
    const pay_stake_t                          *stake;
    pay_worker_t                               *was, *now;   /* attributed before / now */
    int64_t                                     before;      /* amount recorded before */
} s_payment_t;

/*  The key of the payment year's record of 'worker'.  */
static void
s_year_key (const s_payment_t *pay, const pay_worker_t *worker, char key[PAY_FIELD_MAX])
{
    char county[PAY_COUNTY_LEN + 1];
    pay_worker_county (worker, county);
    pay_key_wy (key, county, worker->rec.key + PAY_COUNTY_LEN + 1, pay->r->year);
}

/*  Asks for the payment year's record of 'worker' (when it has one) and the county-years
 *  its change moves.  */
static int
s_want_payee (s_payment_t *pay, const pay_worker_t *worker)
{
    char key[PAY_FIELD_MAX];
    s_year_key (pay, worker, key);
    if (pay_worker_year ((pay_worker_t *) worker, pay->r->year, false)
        && pay_want (pay->part, PAY_WY, key) != 0)
        return -1;
    return pay_want_worker (pay->part, worker, pay->r->year);
}

/*  Moves the attributed worker's income of the payment's year by 'delta'.  */
static int
s_attribute (s_payment_t *pay, pay_worker_t *worker, int64_t delta)
{
    if (!worker || delta == 0)
        return 0;
    char key[PAY_FIELD_MAX];
    s_year_key (pay, worker, key);
    pay_wy_t *wy = pay_get_new (pay->part, PAY_WY, key);
    pay_worker_begin (worker, pay->r->year, pay->part->snap);
    pay_year_t *y = pay_worker_year (worker, pay->r->year, true);
    if (!wy || !y || pay_dirty (pay->part, PAY_WY, wy) != 0)
        return -1;
    wy->worker = worker;
    y->v[pay->r->kind == PAY_DIVIDEND ? WY_DIVIDENDS : WY_GUARANTEED] += delta;
    return pay_worker_end (pay->part, worker, pay->part->snap);
}

/*  The worker a payment is attributed to (the stake's signing member), made known as an
 *  unregistered worker when the registry has not (yet) registered them.  */
static pay_worker_t *
s_payee (pay_part_t *part, const char *county, const char *worker_key, bool *ret_oom)
{
    if (!*worker_key)
        return NULL;
    char key[PAY_FIELD_MAX];
    pay_key_worker (key, county, worker_key);
    pay_worker_t *w = pay_get_new (part, PAY_WORKER, key);
    *ret_oom = *ret_oom || !w;
    return w;
}

static int
s_payment_change (s_payment_t *pay, const pay_io_t *io, const char *key, const char *field)
{
    const Chejian__V1__RecordShareholderPayment *r = pay->r;
    char cy_key[PAY_FIELD_MAX];
    pay_key_cy (cy_key, pay->env->county, r->year);
    pay_counts_t *cy = pay_get (pay->part, PAY_CY, cy_key);
    if (!cy || s_attribute (pay, pay->was, -pay->before) != 0
        || s_attribute (pay, pay->now, r->amount_fen) != 0)
        return -1;
    cy->v[r->kind == PAY_DIVIDEND ? CY_DIVIDENDS : CY_GUARANTEED] += r->amount_fen - pay->before;
    if (pay_dirty (pay->part, PAY_CY, cy) != 0)
        return -1;
    Chejian__V1__ShareholderPaymentRecorded ev = CHEJIAN__V1__SHAREHOLDER_PAYMENT_RECORDED__INIT;
    ev.shareholding_id = r->shareholding_id;
    ev.household_key = (char *) pay->stake->household_key;
    ev.worker_key = (char *) pay->stake->worker_key;
    ev.workshop_id = (char *) pay->stake->workshop_id;
    ev.year = r->year;
    ev.kind = r->kind;
    ev.amount_fen = r->amount_fen;
    ev.paid_date = r->paid_date;
    ev.guaranteed_annual_fen = pay->stake->guaranteed;
    int len = pay_pack (pay->part, &ev.base);     /* stored with delta 0 */
    if (len < 0 || io->hset (io->self, key, field, pay->part->buf, (size_t) len) != 0)
        return -1;
    ev.delta_fen = r->amount_fen - pay->before;
    pay->part->emitted++;
    return io->emit (io->self, CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDER_PAYMENT_RECORDED,
                     &ev.base);
}

/*  Decides a payment: the stake known, the replaced amount read, every aggregate fetched.  */
static int
s_payment_decide (s_payment_t *pay, const pay_io_t *io, const char *key, const char *field)
{
    ProtobufCMessage *msg = NULL;
    int rc = s_read_message (io, key, field, &chejian__v1__shareholder_payment_recorded__descriptor,
                             &msg);
    if (rc < 0)
        return -1;
    const Chejian__V1__ShareholderPaymentRecorded *old = (void *) msg;
    bool oom = false;
    pay->before = old ? old->amount_fen : 0;
    pay->was = old ? s_payee (pay->part, pay->env->county, old->worker_key, &oom) : NULL;
    pay->now = s_payee (pay->part, pay->env->county, pay->stake->worker_key, &oom);
    if (msg)
        protobuf_c_message_free_unpacked (msg, NULL);
    char cy_key[PAY_FIELD_MAX];
    pay_key_cy (cy_key, pay->env->county, pay->r->year);
    if (oom || pay_want (pay->part, PAY_CY, cy_key) != 0
        || (pay->was && s_want_payee (pay, pay->was) != 0)
        || (pay->now && s_want_payee (pay, pay->now) != 0)
        || pay_fetch (pay->part, io) != 0)
        return -1;
    return s_room (io, 1);
}

int
pay_apply_shareholder_payment (payroll_t *payroll, pay_part_t *part, const pay_io_t *io,
                               const cj_envelope_t *env, cj_problems_t *problems)
{
    (void) payroll;
    const Chejian__V1__RecordShareholderPayment *r = env->record_shareholder_payment;
    s_payment_t pay = { .part = part, .env = env, .r = r };
    char key[CJ_KEY_MAX], field[PAY_FIELD_MAX];
    pay_key_id (field, env->county, r->shareholding_id);
    if (!(pay.stake = pay_get (part, PAY_STAKE, field))) {
        cj_problems_add (problems, "record_shareholder_payment.shareholding_id",
                         CJ_E_NOT_YET_KNOWN,
                         "shareholding not known (yet) from the registry's events; retry later");
        return -1;
    }
    cj_key (key, sizeof key, part->partition, PAYROLL_SHORT_NAME, PAY_HASH_SHPAY ":%s:%s",
            env->county, pay.stake->workshop_id);
    snprintf (field, sizeof field, "%s:%d:%d", r->shareholding_id, (int) r->year, (int) r->kind);
    if (s_payment_decide (&pay, io, key, field) != 0)
        return -1;
    if (s_payment_change (&pay, io, key, field) != 0) {
        cj_error ("payroll: payment %s could not be applied; partition %u turn dropped",
                  env->event_id, part->partition);
        part->poisoned = true;
        return -1;
    }
    return 0;
}

/*  ---- output reports ----  */

/*  The part of 'total' attributed to month 'i' of 'n': spread evenly, the remainder to the
 *  last month.  */
static int64_t
s_share (int64_t total, int n, int i)
{
    int64_t even = total / n;
    return i < n - 1 ? even : total - even * (n - 1);
}

/*  Another stored report of the workshop (with any value) covering one of these months.  */
static const pay_output_t *
s_overlap (const pay_outputs_t *outputs, int32_t first, int32_t last)
{
    for (size_t i = 0; outputs && i < outputs->n; i++) {
        const pay_output_t *o = &outputs->items[i];
        bool same = o->first == first && o->last == last;
        if (!same && (o->output || o->revenue) && o->first <= last && first <= o->last)
            return o;
    }
    return NULL;
}

static const pay_output_t *
s_same (const pay_outputs_t *outputs, int32_t first, int32_t last)
{
    for (size_t i = 0; outputs && i < outputs->n; i++)
        if (outputs->items[i].first == first && outputs->items[i].last == last)
            return &outputs->items[i];
    return NULL;
}

static int
s_output_check (pay_part_t *part, const cj_envelope_t *env, const pay_workshop_t **ret_ws,
                cj_problems_t *problems)
{
    const Chejian__V1__SubmitOutputReport *r = env->submit_output_report;
    char key[PAY_FIELD_MAX];
    pay_key_id (key, env->county, r->workshop_id);
    const pay_workshop_t *ws = pay_get (part, PAY_WORKSHOP, key);
    const pay_output_t *o = s_overlap (pay_map_get (part->outputs, key), r->first_period,
                                       r->last_period);
    cj_problems_push (problems, "submit_output_report");
    if (!ws)
        cj_problems_add (problems, "workshop_id", CJ_E_NOT_YET_KNOWN,
                         "workshop not known (yet) from the registry's events; retry later");
    else if (ws->opened / 100 > r->first_period)
        cj_problems_add (problems, "first_period", CJ_E_CONFLICT,
                         "before the month the workshop opened");
    else if (o)
        cj_problems_add (problems, "first_period", CJ_E_CONFLICT,
                         "overlaps the stored report for %d..%d; set that one to zero first",
                         (int) o->first, (int) o->last);
    cj_problems_pop (problems);
    *ret_ws = ws;
    return cj_problems_any (problems) ? -1 : 0;
}

/*  Moves each month's output by the difference of its share.  */
static int
s_output_months (pay_part_t *part, const cj_envelope_t *env, const pay_workshop_t *ws,
                 const pay_output_t *old, const pay_output_t *now)
{
    const char *county = env->county, *id = env->submit_output_report->workshop_id;
    int n = cj_period_diff (now->first, now->last) + 1;
    for (int i = 0; i < n; i++) {
        int32_t period = cj_period_add (now->first, i);
        pay_sm_snap_t snap;
        pay_sm_t *sm = pay_sm_begin (part, county, id, period, &snap);
        if (!sm)
            return -1;
        if (sm->revision == 0) {
            sm->type = ws->type;
            sm->counted = pay_role_counted (ws->role);
        }
        sm->v[SM_OUTPUT] += s_share (now->output, n, i) - s_share (old->output, n, i);
        if (pay_sm_end (part, sm, county, id, period, &snap) != 0)
            return -1;
    }
    return 0;
}

static int
s_output_change (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env,
                 const pay_workshop_t *ws, const pay_output_t *old, const pay_output_t *now)
{
    const Chejian__V1__SubmitOutputReport *r = env->submit_output_report;
    char key[CJ_KEY_MAX], field[PAY_FIELD_MAX];
    pay_key_id (field, env->county, r->workshop_id);
    if (s_output_months (part, env, ws, old, now) != 0 || pay_outputs_put (part, field, now) != 0)
        return -1;
    Chejian__V1__OutputRecorded ev = CHEJIAN__V1__OUTPUT_RECORDED__INIT;
    ev.workshop_id = r->workshop_id;
    ev.first_period = r->first_period;
    ev.last_period = r->last_period;
    ev.output_value_fen = r->output_value_fen;
    ev.revenue_fen = r->revenue_fen;
    pay_hash_key (key, part->partition, PAY_HASH_OUTPUT);
    snprintf (field, sizeof field, "%s:%s:%d:%d", env->county, r->workshop_id,
              (int) r->first_period, (int) r->last_period);
    int len = pay_pack (part, &ev.base);        /* stored with deltas 0 */
    if (len < 0 || io->hset (io->self, key, field, part->buf, (size_t) len) != 0)
        return -1;
    ev.delta_output_fen = now->output - old->output;
    ev.delta_revenue_fen = now->revenue - old->revenue;
    part->emitted++;
    return io->emit (io->self, CHEJIAN__V1__ENVELOPE__BODY_OUTPUT_RECORDED, &ev.base);
}

int
pay_apply_output_report (payroll_t *payroll, pay_part_t *part, const pay_io_t *io,
                         const cj_envelope_t *env, cj_problems_t *problems)
{
    (void) payroll;
    const Chejian__V1__SubmitOutputReport *r = env->submit_output_report;
    const pay_workshop_t *ws;
    if (s_output_check (part, env, &ws, problems) != 0)
        return -1;
    char key[PAY_FIELD_MAX];
    pay_key_id (key, env->county, r->workshop_id);
    const pay_output_t *same = s_same (pay_map_get (part->outputs, key), r->first_period,
                                       r->last_period);
    pay_output_t old = same ? *same : (pay_output_t) { r->first_period, r->last_period, 0, 0 };
    pay_output_t now = { r->first_period, r->last_period, r->output_value_fen, r->revenue_fen };
    for (int32_t p = r->first_period; p <= r->last_period; p = cj_period_add (p, 1))
        if (pay_want_sm (part, env->county, r->workshop_id, p) != 0)
            return -1;
    if (pay_fetch (part, io) != 0 || s_room (io, 1) != 0)
        return -1;
    if (s_output_change (part, io, env, ws, &old, &now) != 0) {
        cj_error ("payroll: output report %s could not be applied; partition %u turn dropped",
                  env->event_id, part->partition);
        part->poisoned = true;
        return -1;
    }
    return 0;
}
