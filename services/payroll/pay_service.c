/*  pay_service.c - the payroll core bound to the service runtime: the I/O seam over the
 *  runtime's context, batch and store; the one dispatch table (commands, queries, registry
 *  events); the partition hooks; the service definition. See payroll.h.
 *
 *  A partition's turn is "poisoned" when memory got ahead of what the batch will commit (an
 *  event that could not be applied now, a change that failed midway). The flush then makes
 *  the commit fail on purpose (a batch with a stale lease token): the runtime drops the
 *  partition, nothing of the turn is committed, commands get UNAVAILABLE and are retried,
 *  events come again from the registry's outbox, and the facts reload from Redis.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "payroll_internal.h"

#define S_HMGET_CHUNK 512
#define S_HSCAN_COUNT "1000"

/*  ---- the I/O seam over the runtime ----  */

typedef struct {
    cj_ctx_t   *ctx;     /* NULL in the flush */
    cj_batch_t *batch;   /* NULL for queries */
    cj_store_t *store;
} s_io_t;

/*  Copies 'len' bytes into 'value' (NUL-terminated). 0 or -1.  */
static int
s_copy_value (pay_value_t *value, const void *data, size_t len)
{
    if (!(value->data = malloc (len + 1)))
        return -1;
    memcpy (value->data, data, len);
    value->data[len] = 0;
    value->len = len;
    value->found = true;
    return 0;
}

/*  Answers a field from this turn's batch when it holds a write of it: 1 answered (found or
 *  deleted), 0 not in the batch, -1 when only Redis can tell or no memory.  */
static int
s_from_batch (s_io_t *io, const char *key, const char *field, pay_value_t *value)
{
    const void *data;
    size_t len;
    cj_batch_lookup_t found = io->batch ? cj_batch_hget (io->batch, key, field, &data, &len)
                                        : CJ_BATCH_ABSENT;
    switch (found) {
    case CJ_BATCH_ABSENT:  return 0;
    case CJ_BATCH_DELETED: return 1;
    case CJ_BATCH_VALUE:   return s_copy_value (value, data, len) == 0 ? 1 : -1;
    default:               return -1;
    }
}

/*  Appends HMGETs (in chunks) for the fields of 'r' not 'answered' yet; returns how many,
 *  or -1.  */
static long
s_append_hmgets (s_io_t *io, const pay_read_t *r, const bool *answered, const char **argv)
{
    size_t n = 0;
    long sent = 0;
    for (size_t i = 0; i <= r->nfields; i++) {
        if (i < r->nfields && !answered[i])
            argv[2 + n++] = r->fields[i];
        if (n == S_HMGET_CHUNK || (i == r->nfields && n)) {
            argv[0] = "HMGET";
            argv[1] = r->key;
            if (cj_store_append (io->store, (int) n + 2, argv, NULL) != 0)
                return -1;
            sent++;
            n = 0;
        }
    }
    return sent;
}

/*  Reads one HMGET reply into the values of the next fields not 'answered' (from '*at').  */
static int
s_read_hmget (redisReply *reply, pay_read_t *r, const bool *answered, size_t *at)
{
    int rc = reply->type == REDIS_REPLY_ARRAY ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < reply->elements; k++) {
        while (*at < r->nfields && answered[*at])
            (*at)++;
        if (*at == r->nfields)
            return -1;
        redisReply *e = reply->element[k];
        if (e->type == REDIS_REPLY_STRING)
            rc = s_copy_value (&r->values[*at], e->str, e->len);
        (*at)++;
    }
    return rc;
}

/*  Answers from this turn's batch what it holds (reads that ask for it), marking 'answered'.  */
static int
s_read_batch (s_io_t *io, pay_read_t *reads, size_t nreads, bool *answered)
{
    for (size_t r = 0, at = 0; r < nreads; at += reads[r++].nfields)
        for (size_t i = 0; i < reads[r].nfields; i++) {
            reads[r].values[i] = (pay_value_t) { 0 };
            int in = reads[r].pending ? s_from_batch (io, reads[r].key, reads[r].fields[i],
                                                      &reads[r].values[i]) : 0;
            if (in < 0)
                return -1;
            answered[at + i] = in == 1;
        }
    return 0;
}

/*  Every field of every read: this turn's batch where asked and it knows, then Redis, all
 *  HMGETs pipelined in one round trip. Every reply is read, even after a bad one, so that the
 *  connection stays in step.  */
static int
s_read (void *self, pay_read_t *reads, size_t nreads)
{
    s_io_t *io = self;
    size_t total = 0;
    for (size_t r = 0; r < nreads; r++)
        total += reads[r].nfields;
    bool *answered = calloc (total ? total : 1, sizeof *answered);
    long *sent = calloc (nreads ? nreads : 1, sizeof *sent);
    const char **argv = malloc ((S_HMGET_CHUNK + 2) * sizeof *argv);
    int rc = answered && sent && argv && cj_store_connect (io->store) == 0
             && s_read_batch (io, reads, nreads, answered) == 0 ? 0 : -1;
    for (size_t r = 0, at = 0; r < nreads && rc == 0; at += reads[r++].nfields)
        rc = (sent[r] = s_append_hmgets (io, &reads[r], answered + at, argv)) < 0 ? -1 : 0;
    bool lost = !sent;              /* the connection dropped, and the other replies with it */
    for (size_t r = 0, at = 0; r < nreads && !lost; at += reads[r++].nfields) {
        size_t field = 0;
        for (long c = 0; c < sent[r] && !lost; c++) {
            redisReply *reply = cj_store_get_reply (io->store);
            lost = !reply;
            if (lost || (rc == 0 && s_read_hmget (reply, &reads[r], answered + at, &field) != 0))
                rc = -1;
            if (reply)
                freeReplyObject (reply);
        }
    }
    free (answered);
    free (sent);
    free (argv);
    return rc;
}

static int
s_scan (void *self, const char *key, pay_scan_fn *fn, void *arg)
{
    s_io_t *io = self;
    char cursor[32] = "0";
    do {
        const char *argv[] = { "HSCAN", key, cursor, "COUNT", S_HSCAN_COUNT };
        redisReply *r = cj_store_commandv (io->store, 5, argv, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        pay_copy (cursor, sizeof cursor, r->element[0]->str);
        redisReply *items = r->element[1];
        int rc = 0;
        for (size_t i = 0; i + 1 < items->elements && rc == 0; i += 2)
            rc = fn (arg, items->element[i]->str, (const uint8_t *) items->element[i + 1]->str,
                     items->element[i + 1]->len);
        freeReplyObject (r);
        if (rc != 0)
            return -1;
    } while (strcmp (cursor, "0") != 0);
    return 0;
}

static int
s_hset (void *self, const char *key, const char *field, const void *data, size_t len)
{
    s_io_t *io = self;
    return io->batch ? cj_batch_hset (io->batch, key, field, data, len) : -1;
}

static int
s_hdel (void *self, const char *key, const char *field)
{
    s_io_t *io = self;
    return io->batch ? cj_batch_hdel (io->batch, key, field) : -1;
}

static int
s_emit (void *self, int body_case, const ProtobufCMessage *body)
{
    s_io_t *io = self;
    cj_envelope_t event = CHEJIAN__V1__ENVELOPE__INIT;
    event.body_case = body_case;
    memcpy (&event.wage_line_applied, &body, sizeof body);   /* every body member is a pointer */
    return io->ctx ? cj_ctx_emit (io->ctx, &event) : -1;
}

static size_t
s_room (void *self)
{
    s_io_t *io = self;
    size_t used = io->batch ? cj_batch_events (io->batch) : CJ_BATCH_MAX_EVENTS;
    return CJ_BATCH_MAX_EVENTS - used;
}

static pay_io_t
s_io (s_io_t *io)
{
    return (pay_io_t) { io, s_read, s_scan, s_hset, s_hdel, s_emit, s_room };
}

/*  ---- handlers ----  */

/*  The partition of the message in hand, its facts loaded; NULL when that is not possible
 *  now (the caller answers UNAVAILABLE or poisons the turn).  */
static pay_part_t *
s_part (cj_ctx_t *ctx, const pay_io_t *io)
{
    payroll_t *payroll = cj_ctx_arg (ctx);
    pay_part_t *part = payroll_part (payroll, cj_ctx_partition (ctx));
    if (!part)
        return NULL;
    if (pay_part_load (part, io) != 0) {
        cj_warn ("payroll: cannot load partition %u: %s", part->partition,
                 cj_store_errstr (cj_ctx_store (ctx)));
        return NULL;
    }
    return part;
}

static int
s_command (cj_ctx_t *ctx, const cj_envelope_t *env, pay_command_fn *fn)
{
    s_io_t sio = { ctx, cj_ctx_batch (ctx), cj_ctx_store (ctx) };
    pay_io_t io = s_io (&sio);
    pay_part_t *part = s_part (ctx, &io);
    if (!part || part->poisoned)
        return -1;
    return fn (cj_ctx_arg (ctx), part, &io, env, cj_ctx_problems (ctx));
}

/*  An event is never refused (a dead letter would lose a fact): what cannot be applied now
 *  poisons the turn, and the event comes again.  */
static int
s_event (cj_ctx_t *ctx, const cj_envelope_t *env, pay_event_fn *fn)
{
    s_io_t sio = { ctx, cj_ctx_batch (ctx), cj_ctx_store (ctx) };
    pay_io_t io = s_io (&sio);
    pay_part_t *part = s_part (ctx, &io);
    if (!part) {
        part = payroll_part (cj_ctx_arg (ctx), cj_ctx_partition (ctx));
        if (part)
            part->poisoned = true;
        return part ? 0 : -1;
    }
    if (!part->poisoned && fn (part, &io, env) != 0) {
        cj_log_write (CJ_LOG_WARN, env->event_id, env->trace_id, NULL,
                      "payroll: %s cannot be applied now; partition %u turn dropped, it comes "
                      "again", cj_body_name (env->body_case), part->partition);
        part->poisoned = true;
    }
    return 0;
}

/*  A query reads the committed state; its result lives in the message's arena, which the
 *  runtime frees after the reply.  */
static int
s_query (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, pay_query_fn *fn)
{
    s_io_t sio = { ctx, NULL, cj_ctx_store (ctx) };
    pay_io_t io = s_io (&sio);
    cj_arena_t *arena = cj_ctx_arena (ctx);
    if (!arena || cj_store_connect (sio.store) != 0)
        return -1;
    pay_query_t q = { cj_ctx_arg (ctx), cj_ctx_partition (ctx), &io, env, ack, arena,
                      cj_ctx_problems (ctx) };
    return fn (&q);
}

/*  One wrapper per body, so that the table below is the only dispatch.  */
#define S_COMMAND(name) \
    static int s_##name (cj_ctx_t *ctx, const cj_envelope_t *env) \
    { return s_command (ctx, env, pay_apply_##name); }
#define S_EVENT(name) \
    static int s_##name (cj_ctx_t *ctx, const cj_envelope_t *env) \
    { return s_event (ctx, env, pay_on_##name); }
#define S_QUERY(name) \
    static int s_query_##name (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack) \
    { return s_query (ctx, env, ack, pay_query_##name); }

S_COMMAND (wage_report)
S_COMMAND (shareholder_payment)
S_COMMAND (output_report)
S_QUERY (worker_income)
S_QUERY (workshop_payroll)
S_QUERY (county_summary)
S_QUERY (wage_report)
S_QUERY (shareholder_payments)
S_EVENT (workshop_registered)
S_EVENT (workshop_updated)
S_EVENT (worker_registered)
S_EVENT (worker_updated)
S_EVENT (worker_status_changed)
S_EVENT (employment_started)
S_EVENT (employment_amended)
S_EVENT (employment_ended)
S_EVENT (shareholding_recorded)

#define B(name) CHEJIAN__V1__ENVELOPE__BODY_##name

static const cj_handler_t s_handlers[] = {
    { B (SUBMIT_WAGE_REPORT), pay_validate_wage_report, s_wage_report, NULL },
    { B (RECORD_SHAREHOLDER_PAYMENT), pay_validate_shareholder_payment, s_shareholder_payment,
      NULL },
    { B (SUBMIT_OUTPUT_REPORT), pay_validate_output_report, s_output_report, NULL },
    { B (GET_WORKER_INCOME), pay_validate_worker_income, NULL, s_query_worker_income },
    { B (GET_WORKSHOP_PAYROLL), pay_validate_workshop_payroll, NULL, s_query_workshop_payroll },
    { B (GET_COUNTY_INCOME_SUMMARY), pay_validate_county_summary, NULL,
      s_query_county_summary },
    { B (GET_WAGE_REPORT), pay_validate_wage_report_query, NULL, s_query_wage_report },
    { B (LIST_SHAREHOLDER_PAYMENTS), pay_validate_shareholder_payments, NULL,
      s_query_shareholder_payments },
};

static const cj_handler_t s_registry_events[] = {
    { B (WORKSHOP_REGISTERED), NULL, s_workshop_registered, NULL },
    { B (WORKSHOP_UPDATED), NULL, s_workshop_updated, NULL },
    { B (WORKER_REGISTERED), NULL, s_worker_registered, NULL },
    { B (WORKER_UPDATED), NULL, s_worker_updated, NULL },
    { B (WORKER_STATUS_CHANGED), NULL, s_worker_status_changed, NULL },
    { B (EMPLOYMENT_STARTED), NULL, s_employment_started, NULL },
    { B (EMPLOYMENT_AMENDED), NULL, s_employment_amended, NULL },
    { B (EMPLOYMENT_ENDED), NULL, s_employment_ended, NULL },
    { B (SHAREHOLDING_RECORDED), NULL, s_shareholding_recorded, NULL },
};

static const cj_subscription_t s_subscriptions[] = {
    { "reg", PAYROLL_REGISTRY_ENDPOINT_VAR, s_registry_events,
      sizeof s_registry_events / sizeof s_registry_events[0] },
};

static const cj_config_option_t s_options[] = {
    CJ_PSEUDONYM_KEY_OPTION,
    { PAYROLL_REGISTRY_ENDPOINT_VAR, CJ_CONFIG_STRING, "tcp://127.0.0.1:5551",
      "Where the registry publishes its events", 0, 0 },
    { "CHEJIAN_BATCH_MAX", CJ_CONFIG_INT, "128",
      "Messages drained and committed per loop turn (a wage report holds up to 5000 lines)", 1,
      65536 },
};

/*  ---- partition hooks ----  */

static void
s_partition_reset (void *arg, uint32_t p)
{
    payroll_t *payroll = arg;
    if (p < payroll->npart && payroll->parts[p])
        pay_part_reset (payroll->parts[p]);
}

/*  Makes the partition's commit fail on purpose: the batch takes a lease token no lease ever
 *  has, and one write so that it is not skipped as empty.  */
static void
s_poison_batch (payroll_t *payroll, uint32_t p, cj_batch_t *batch)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, PAYROLL_SHORT_NAME, "meta");
    cj_batch_reset (batch, PAYROLL_SHORT_NAME, p, 0);
    cj_batch_hset (batch, key, "poisoned", "1", 1);
    pay_part_reset (payroll->parts[p]);
}

static int
s_flush (void *arg, uint32_t p, cj_batch_t *batch)
{
    payroll_t *payroll = arg;
    pay_part_t *part = p < payroll->npart ? payroll->parts[p] : NULL;
    if (!part)
        return 0;
    s_io_t sio = { NULL, batch, NULL };
    pay_io_t io = s_io (&sio);
    if (!part->poisoned && part->emitted != cj_batch_events (batch))
        cj_error ("payroll partition %u: %zu events emitted, %zu in the batch: a change was "
                  "rolled back after memory moved; turn dropped", p, part->emitted,
                  cj_batch_events (batch));
    else if (!part->poisoned && pay_flush (part, &io) == 0)
        return 0;
    s_poison_batch (payroll, p, batch);
    return -1;
}

/*  ---- the service ----  */

/*  Loads the pseudonym secret once the configuration is read (missing or bad: exit 2).  */
static int
s_init (void *arg, const cj_config_t *config, char *err, size_t err_size)
{
    payroll_t *payroll = arg;
    if (payroll->pseudonym)
        return 0;
    payroll->pseudonym = cj_pseudonym_from_config (config, err, err_size);
    payroll->owns_pseudonym = payroll->pseudonym != NULL;
    return payroll->pseudonym ? 0 : -1;
}

static void
s_fini (void *arg)
{
    payroll_t *payroll = arg;
    if (payroll->owns_pseudonym)
        cj_pseudonym_destroy (&payroll->pseudonym);
    payroll->owns_pseudonym = false;
}

payroll_t *
payroll_new (const cj_pseudonym_t *pseudonym)
{
    payroll_t *self = calloc (1, sizeof *self);
    if (self)
        self->pseudonym = (cj_pseudonym_t *) pseudonym;
    return self;
}

void
payroll_destroy (payroll_t **self_p)
{
    payroll_t *self = *self_p;
    if (!self)
        return;
    for (uint32_t p = 0; p < self->npart; p++)
        pay_part_destroy (&self->parts[p]);
    s_fini (self);
    free (self);
    *self_p = NULL;
}

void
payroll_service_def (cj_service_def_t *def, payroll_t *payroll)
{
    *def = (cj_service_def_t) {
        .name = PAYROLL_NAME,
        .short_name = PAYROLL_SHORT_NAME,
        .owner = CJ_OWNER_PAYROLL,
        .summary = "chejian-payroll: wage reports (with corrections), dividends and guaranteed "
                   "payments, output reports; income aggregates per worker, workshop and county "
                   "exact to the fen, and the income increase of registered-poor laborers. "
                   "Learns workers, workshops and employments from the registry's events.",
        .handlers = s_handlers,
        .nhandlers = sizeof s_handlers / sizeof s_handlers[0],
        .subscriptions = s_subscriptions,
        .nsubscriptions = 1,
        .options = s_options,
        .noptions = sizeof s_options / sizeof s_options[0],
        .partition_reset = s_partition_reset,
        .flush = s_flush,
        .arg = payroll,
        .default_port_base = PAYROLL_PORT_BASE,
        .init = s_init,
        .fini = s_fini,
    };
}
