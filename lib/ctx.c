/*  ctx.c - what a handler sees of the message it handles. See include/chejian/ctx.h.  */
#include "chejian/ctx.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFER_MAX 64

/*  A read a probe wanted: 'name' is "key\0field\0" (field "" and 'hash' false for a string
 *  key).  */
typedef struct {
    cj_batch_t *batch;
    char       *name;
    bool        hash;
} s_want_t;

struct cj_ctx_t {
    cj_ctx_env_t         env;
    cj_batch_t          *batch;
    uint32_t             partition;
    uint64_t             seq;
    const cj_envelope_t *cause;
    unsigned             emitted;
    cj_problems_t        problems;
    cj_arena_t          *arena;     /* made on first use, reset by cj_ctx_end */
    size_t               ndefer;
    struct { void (*fn) (void *); void *ptr; } defer[S_DEFER_MAX];
    bool                 probing, missed;
    s_want_t            *wants;     /* reads wanted by probes, until cj_ctx_prefetch */
    size_t               nwants, cwants;
};

cj_store_t        *cj_ctx_store (cj_ctx_t *ctx) { return ctx->env.store; }
cj_batch_t        *cj_ctx_batch (cj_ctx_t *ctx) { return ctx->batch; }
cj_problems_t     *cj_ctx_problems (cj_ctx_t *ctx) { return &ctx->problems; }
uint32_t           cj_ctx_partition (const cj_ctx_t *ctx) { return ctx->partition; }
uint64_t           cj_ctx_seq (const cj_ctx_t *ctx) { return ctx->seq; }
const cj_config_t *cj_ctx_config (const cj_ctx_t *ctx) { return ctx->env.config; }
void              *cj_ctx_arg (const cj_ctx_t *ctx) { return ctx->env.arg; }

int
cj_ctx_defer_free (cj_ctx_t *ctx, void (*fn) (void *), void *ptr)
{
    if (ctx->ndefer == S_DEFER_MAX)
        return -1;
    ctx->defer[ctx->ndefer].fn = fn;
    ctx->defer[ctx->ndefer++].ptr = ptr;
    return 0;
}

/*  Copies 'len' bytes into a new NUL-terminated buffer.  */
static int
s_copy_out (const void *data, size_t len, char **ret_value, size_t *ret_len)
{
    char *copy = malloc (len + 1);
    if (!copy)
        return -1;
    memcpy (copy, data, len);
    copy[len] = 0;
    *ret_value = copy;
    if (ret_len)
        *ret_len = len;
    return 1;
}

/*  Notes a read the probe could not answer.  */
static void
s_want (cj_ctx_t *ctx, const char *key, const char *field)
{
    ctx->missed = true;
    if (ctx->nwants == ctx->cwants) {
        size_t cap = ctx->cwants ? ctx->cwants * 2 : 256;
        s_want_t *grown = realloc (ctx->wants, cap * sizeof *grown);
        if (!grown)
            return;                 /* a read ahead is only a hint */
        ctx->wants = grown;
        ctx->cwants = cap;
    }
    size_t klen = strlen (key), flen = field ? strlen (field) : 0;
    char *name = malloc (klen + flen + 2);
    if (!name)
        return;
    memcpy (name, key, klen + 1);
    memcpy (name + klen + 1, field ? field : "", flen + 1);
    ctx->wants[ctx->nwants++] = (s_want_t) { ctx->batch, name, field != NULL };
}

/*  What the handler's message sees of ('key', 'field') ('field' NULL: a string key): the
 *  batch's pending write, else the batch's read cache, else Redis (cached for the turn).  */
static int
s_ctx_read (cj_ctx_t *ctx, const char *key, const char *field, char **ret_value,
            size_t *ret_len)
{
    if (ctx->batch) {
        const void *data;
        size_t len;
        cj_batch_lookup_t found = field ? cj_batch_hget (ctx->batch, key, field, &data, &len)
                                        : cj_batch_get (ctx->batch, key, &data, &len);
        if (found == CJ_BATCH_ABSENT)
            found = cj_batch_cache_get (ctx->batch, key, field, &data, &len);
        if (found == CJ_BATCH_VALUE)
            return s_copy_out (data, len, ret_value, ret_len);
        if (found == CJ_BATCH_DELETED)
            return 0;
        if (found == CJ_BATCH_UNKNOWN)
            return -1;         /* a handler that reads what it HINCRBYs must keep the sum itself */
        if (ctx->probing) {
            s_want (ctx, key, field);
            return -1;
        }
    }
    redisReply *reply = field ? cj_store_command (ctx->env.store, "HGET %s %s", key, field)
                              : cj_store_command (ctx->env.store, "GET %s", key);
    if (!reply)
        return -1;
    int rc = reply->type == REDIS_REPLY_STRING ? s_copy_out (reply->str, reply->len, ret_value,
                                                            ret_len)
             : reply->type == REDIS_REPLY_NIL  ? 0 : -1;
    if (rc >= 0 && ctx->batch)
        cj_batch_cache_put (ctx->batch, key, field, rc == 1 ? reply->str : NULL,
                            rc == 1 ? reply->len : 0);
    freeReplyObject (reply);
    return rc;
}

void cj_ctx_probe (cj_ctx_t *ctx, bool on) { ctx->probing = on; }
bool cj_ctx_probing (const cj_ctx_t *ctx) { return ctx->probing; }
bool cj_ctx_probe_missed (const cj_ctx_t *ctx) { return ctx->missed; }

static void
s_wants_clear (cj_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->nwants; i++)
        free (ctx->wants[i].name);
    ctx->nwants = 0;
}

/*  Wants by batch, then string keys before hashes, then key, then field.  */
static int
s_want_cmp (const void *a, const void *b)
{
    const s_want_t *x = a, *y = b;
    if (x->batch != y->batch)
        return (uintptr_t) x->batch < (uintptr_t) y->batch ? -1 : 1;
    if (x->hash != y->hash)
        return x->hash ? 1 : -1;
    int c = strcmp (x->name, y->name);
    return c ? c : strcmp (x->name + strlen (x->name) + 1, y->name + strlen (y->name) + 1);
}

static const char *
s_want_field (const s_want_t *w)
{
    return w->name + strlen (w->name) + 1;
}

/*  One command of a prefetch: GET of wants[first] (a string key), or HMGET of the distinct
 *  fields of wants[first..end) (one hash key).  */
typedef struct {
    size_t first, end;
} s_fetch_t;

#define S_HMGET_MAX 1000   /* fields per HMGET */

/*  The end of the command starting at wants[i].  */
static size_t
s_fetch_end (const cj_ctx_t *ctx, size_t i)
{
    const s_want_t *w = &ctx->wants[i];
    size_t j = i + 1, fields = 1;
    for (; j < ctx->nwants; j++) {
        const s_want_t *v = &ctx->wants[j];
        if (v->batch != w->batch || v->hash != w->hash || strcmp (v->name, w->name) != 0)
            break;
        bool same = strcmp (s_want_field (v), s_want_field (&ctx->wants[j - 1])) == 0;
        if (!same && (!w->hash || fields == S_HMGET_MAX))
            break;
        fields += !same;
    }
    return j;
}

int
cj_ctx_prefetch (cj_ctx_t *ctx)
{
    if (ctx->nwants == 0)
        return 0;
    /* one HMGET per hash key (its distinct fields), one GET per string key */
    qsort (ctx->wants, ctx->nwants, sizeof *ctx->wants, s_want_cmp);
    size_t ncmds = 0;
    for (size_t i = 0; i < ctx->nwants; i = s_fetch_end (ctx, i))
        ncmds++;
    s_fetch_t *cmds = malloc (ncmds * sizeof *cmds);
    const char **argv = malloc ((S_HMGET_MAX + 2) * sizeof *argv);
    if (!cmds || !argv) {
        free (cmds);
        free (argv);
        s_wants_clear (ctx);
        return -1;
    }
    int rc = 0;
    size_t sent = 0, fetched = 0;
    for (size_t i = 0; i < ctx->nwants && rc == 0; i = cmds[sent++].end) {
        cmds[sent] = (s_fetch_t) { i, s_fetch_end (ctx, i) };
        const s_want_t *w = &ctx->wants[i];
        int argc = 0;
        argv[argc++] = w->hash ? "HMGET" : "GET";
        argv[argc++] = w->name;
        for (size_t k = i; w->hash && k < cmds[sent].end; k++)
            if (k == i || strcmp (s_want_field (&ctx->wants[k]), argv[argc - 1]) != 0)
                argv[argc++] = s_want_field (&ctx->wants[k]);
        if (cj_store_append (ctx->env.store, argc, argv, NULL) != 0)
            rc = -1;
    }
    if (rc != 0)
        sent--;                 /* the last one was not appended */
    for (size_t c = 0; c < sent; c++) {
        redisReply *reply = cj_store_get_reply (ctx->env.store);
        if (!reply) {
            rc = -1;
            break;              /* the connection is gone: the rest has no replies */
        }
        const s_want_t *w = &ctx->wants[cmds[c].first];
        size_t nvalues = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 1;
        size_t v = 0;
        for (size_t k = cmds[c].first; rc == 0 && k < cmds[c].end; k++) {
            if (k > cmds[c].first
                && strcmp (s_want_field (&ctx->wants[k]), s_want_field (&ctx->wants[k - 1])) == 0)
                continue;       /* the same field again */
            const redisReply *value = reply->type == REDIS_REPLY_ARRAY
                                      ? (v < nvalues ? reply->element[v] : NULL) : reply;
            v++;
            if (value && (value->type == REDIS_REPLY_STRING || value->type == REDIS_REPLY_NIL)) {
                bool some = value->type == REDIS_REPLY_STRING;
                cj_batch_cache_put (w->batch, w->name, w->hash ? s_want_field (&ctx->wants[k])
                                                               : NULL,
                                    some ? value->str : NULL, some ? value->len : 0);
                fetched++;
            }
        }
        freeReplyObject (reply);
    }
    free (cmds);
    free (argv);
    s_wants_clear (ctx);
    return rc < 0 ? -1 : (int) fetched;
}

int
cj_ctx_hget (cj_ctx_t *ctx, const char *key, const char *field, char **ret_value,
             size_t *ret_len)
{
    return s_ctx_read (ctx, key, field, ret_value, ret_len);
}

int
cj_ctx_get (cj_ctx_t *ctx, const char *key, char **ret_value, size_t *ret_len)
{
    return s_ctx_read (ctx, key, NULL, ret_value, ret_len);
}

cj_ctx_t *
cj_ctx_new (const cj_ctx_env_t *env)
{
    cj_ctx_t *self = calloc (1, sizeof *self);
    if (self)
        self->env = *env;
    return self;
}

void
cj_ctx_destroy (cj_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_ctx_end (*self_p);
    s_wants_clear (*self_p);
    free ((*self_p)->wants);
    cj_arena_destroy (&(*self_p)->arena);
    free (*self_p);
    *self_p = NULL;
}

void
cj_ctx_begin (cj_ctx_t *self, cj_batch_t *batch, uint32_t partition, uint64_t seq,
              const cj_envelope_t *cause)
{
    cj_ctx_end (self);
    self->batch = batch;
    self->partition = partition;
    self->seq = seq;
    self->cause = cause;
    self->emitted = 0;
    self->missed = false;
    cj_problems_init (&self->problems);
}

void
cj_ctx_end (cj_ctx_t *self)
{
    for (size_t i = 0; i < self->ndefer; i++)
        self->defer[i].fn (self->defer[i].ptr);
    self->ndefer = 0;
    cj_arena_reset (self->arena);
}

cj_arena_t *
cj_ctx_arena (cj_ctx_t *ctx)
{
    if (!ctx->arena)
        ctx->arena = cj_arena_new ();
    return ctx->arena;
}

int
cj_ctx_emit (cj_ctx_t *ctx, cj_envelope_t *event)
{
    if (!ctx->batch || !ctx->cause)
        return -1;
    /* The id is derived from the cause, so re-applying a cause emits identical events. */
    unsigned char hash[16];
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, sizeof hash);
    crypto_generichash_update (&state, (const unsigned char *) ctx->cause->source,
                               strlen (ctx->cause->source) + 1);
    crypto_generichash_update (&state, (const unsigned char *) ctx->cause->event_id,
                               strlen (ctx->cause->event_id));
    crypto_generichash_final (&state, hash, sizeof hash);
    char hex[33], event_id[CJ_EVENT_ID_MAX + 1];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    snprintf (event_id, sizeof event_id, "%s-%s-%u", ctx->env.short_name, hex,
              ctx->emitted++);
    event->event_id = event_id;
    event->source = (char *) ctx->env.name;
    event->occurred_at = ctx->cause->occurred_at;
    event->county = ctx->cause->county;
    event->trace_id = ctx->cause->trace_id;
    event->causation_id = ctx->cause->event_id;
    event->causation_source = ctx->cause->source;
    size_t len;
    uint8_t *bytes = cj_message_pack (&event->base, &len);
    event->event_id = event->source = event->county = event->trace_id = "";
    event->causation_id = event->causation_source = "";
    if (!bytes)
        return -1;
    int rc = cj_batch_event (ctx->batch, bytes, len);
    free (bytes);
    return rc < 0 ? -1 : 0;
}

