/*  registry_test_ctx.c - see registry_test_ctx.h. Handlers get the library's own context
 *  (include/chejian/ctx.h), begun as the runtime begins it.  */
#include "registry_test_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chejian/pseudonym.h"
#include "chejian/service.h"
#include "registry.h"
#include "registry_snapshot.h"
#include "registry_test_data.h"
#include "test_support.h"

#define S_PARTITIONS 8
#define S_MAX_EVENTS 64

struct reg_test_t {
    cj_store_t     *store;
    cj_batch_t     *batch;
    uint32_t        partition;
    uint64_t        token;
    bool            open;              /* reg_test_begin called */
    registry_t      registry;
    cj_pseudonym_t *key;
    cj_ctx_t       *ctx;
    cj_ack_t        ack;
    cj_ack_problems_t ack_problems;
    cj_envelope_t  *events[S_MAX_EVENTS];
    size_t          nevents;
    char            problem[CJ_PROBLEM_FIELD + CJ_PROBLEM_CODE + 2];
};

/*  ---- the harness ----  */

reg_test_t *
reg_test_new (void)
{
    const char *url = cj_test_redis_url ();
    reg_test_t *self = url ? calloc (1, sizeof *self) : NULL;
    char dir[] = "/tmp/regtestXXXXXX", file[64], err[128];
    if (!self || !mkdtemp (dir))
        return NULL;
    snprintf (file, sizeof file, "%s/key", dir);
    self->store = cj_store_new (url, 5000, err, sizeof err);
    self->batch = cj_batch_new ();
    if (cj_pseudonym_create_key_file (file) == 0)
        self->key = cj_pseudonym_load (file, err, sizeof err);
    unlink (file);
    rmdir (dir);
    self->registry.pseudonym = self->key;
    cj_ctx_env_t env = { self->store, NULL, &self->registry, REGISTRY_NAME, REGISTRY_SHORT_NAME };
    self->ctx = cj_ctx_new (&env);
    self->partition = cj_partition_of (REG_TEST_COUNTY, S_PARTITIONS);
    redisReply *r = self->store ? cj_store_command (self->store, "FLUSHALL") : NULL;
    if (r)
        freeReplyObject (r);
    if (!r || !self->batch || !self->key || !self->ctx
        || cj_store_lease (self->store, REGISTRY_SHORT_NAME, self->partition, "test", 0, 600000,
                           &self->token) != 1)
        reg_test_destroy (&self);
    else
        cj_batch_reset (self->batch, REGISTRY_SHORT_NAME, self->partition, self->token);
    return self;
}

static void
s_free_events (reg_test_t *self)
{
    for (size_t i = 0; i < self->nevents; i++)
        cj_envelope_free (&self->events[i]);
    self->nevents = 0;
}

void
reg_test_destroy (reg_test_t **self_p)
{
    reg_test_t *self = *self_p;
    if (!self)
        return;
    cj_ctx_destroy (&self->ctx);
    s_free_events (self);
    cj_batch_destroy (&self->batch);
    cj_store_destroy (&self->store);
    cj_pseudonym_destroy (&self->key);
    free (self);
    *self_p = NULL;
}

cj_store_t *
reg_test_store (reg_test_t *self)
{
    return self->store;
}

void
reg_test_envelope (cj_envelope_t *env, int body_case, const void *body)
{
    static char ids[64][32];
    static unsigned next;
    char *id = ids[next % 64];
    snprintf (id, sizeof ids[0], "t-%u-%ld", next++, (long) getpid ());
    reg_data_envelope (env, id, body_case, body);
}

/*  Decodes the events the batch gained from index 'first' on.  */
static void
s_keep_events (reg_test_t *self, size_t first)
{
    s_free_events (self);
    for (size_t i = first; i < cj_batch_events (self->batch) && self->nevents < S_MAX_EVENTS;
         i++) {
        size_t len;
        const void *data = cj_batch_event_data (self->batch, i, &len);
        self->events[self->nevents++] = cj_envelope_decode (data, len, NULL);
    }
}

Chejian__V1__AckStatus
reg_test_command (reg_test_t *self, const cj_envelope_t *env)
{
    const cj_handler_t *h = registry_handler (env->body_case);
    cj_ctx_begin (self->ctx, self->batch, self->partition, 0, env);
    cj_batch_mark_t mark = cj_batch_mark (self->batch);
    int rc = h && h->apply ? h->validate (env, cj_ctx_problems (self->ctx)) : -1;
    if (rc == 0 && !cj_problems_any (cj_ctx_problems (self->ctx)))
        rc = h->apply (self->ctx, env);
    if (rc != 0 || cj_problems_any (cj_ctx_problems (self->ctx))) {
        cj_batch_rollback (self->batch, mark);
        s_free_events (self);
        return cj_problems_any (cj_ctx_problems (self->ctx))
               ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
               : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
    }
    s_keep_events (self, mark.events);
    if (!self->open && reg_test_commit (self) != 0)
        return CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
    return CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
}

void
reg_test_begin (reg_test_t *self)
{
    self->open = true;
}

int
reg_test_commit (reg_test_t *self)
{
    cj_commit_result_t result;
    self->open = false;
    int rc = cj_store_commit (self->store, &self->batch, 1, &result);
    cj_batch_reset (self->batch, REGISTRY_SHORT_NAME, self->partition, self->token);
    return rc;
}

const cj_problems_t *
reg_test_problems (reg_test_t *self)
{
    return cj_ctx_problems (self->ctx);
}

const char *
reg_test_problem (reg_test_t *self, size_t i)
{
    const cj_problems_t *p = cj_ctx_problems (self->ctx);
    snprintf (self->problem, sizeof self->problem, "%s %s", i < p->count ? p->items[i].field
              : "", i < p->count ? p->items[i].code : "");
    return self->problem;
}

int
reg_test_has_problem (reg_test_t *self, const char *field, const char *code)
{
    return cj_problems_has (cj_ctx_problems (self->ctx), field, code);
}

size_t
reg_test_nevents (reg_test_t *self)
{
    return self->nevents;
}

const cj_envelope_t *
reg_test_event (reg_test_t *self, size_t index)
{
    return index < self->nevents ? self->events[index] : NULL;
}

const cj_ack_t *
reg_test_query (reg_test_t *self, const cj_envelope_t *env)
{
    const cj_handler_t *h = registry_handler (env->body_case);
    cj_ctx_begin (self->ctx, NULL, self->partition, 0, env);
    chejian__v1__ack__init (&self->ack);
    int rc = h && h->query ? h->validate (env, cj_ctx_problems (self->ctx)) : -1;
    if (rc == 0 && !cj_problems_any (cj_ctx_problems (self->ctx)))
        rc = h->query (self->ctx, env, &self->ack);
    self->ack.status = rc == 0 && !cj_problems_any (cj_ctx_problems (self->ctx))
                       ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                       : cj_problems_any (cj_ctx_problems (self->ctx))
                       ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
                       : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
    if (self->ack.status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        self->ack.result_case = CHEJIAN__V1__ACK__RESULT__NOT_SET;
    cj_ack_attach_problems (&self->ack, cj_ctx_problems (self->ctx), &self->ack_problems);
    return &self->ack;
}

char *
reg_test_snapshot (reg_test_t *self)
{
    return reg_snapshot (self->store, "cj:*:reg:*");
}

