/*  adjudicator_test_ctx.c - see adjudicator_test_ctx.h. Handlers get the library's own context
 *  (include/chejian/ctx.h), begun as the runtime begins it.  */
#include "adjudicator_test_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adjudicator.h"
#include "chejian/ctx.h"
#include "adjudicator_test_data.h"
#include "chejian/ident.h"
#include "registry_snapshot.h"
#include "test_support.h"

#define S_PARTITIONS 8
#define S_MAX_EVENTS 4096

struct adj_test_t {
    cj_store_t     *store;
    cj_batch_t     *batch[S_PARTITIONS];
    uint64_t        token[S_PARTITIONS];
    uint64_t        seq;
    adjudicator_t   adj;
    cj_pseudonym_t *key;
    cj_ctx_t       *ctx;
    cj_ack_t        ack;
    cj_ack_problems_t ack_problems;
    cj_envelope_t  *events[S_MAX_EVENTS];
    size_t          nevents;
};

static int
s_leases (adj_test_t *self)
{
    for (uint32_t p = 0; p < S_PARTITIONS; p++) {
        if (!(self->batch[p] = cj_batch_new ())
            || cj_store_lease (self->store, ADJUDICATOR_SHORT_NAME, p, "test", 0, 600000,
                               &self->token[p]) != 1)
            return -1;
        cj_batch_reset (self->batch[p], ADJUDICATOR_SHORT_NAME, p, self->token[p]);
    }
    return 0;
}

adj_test_t *
adj_test_new (void)
{
    const char *url = cj_test_redis_url ();
    adj_test_t *self = url ? calloc (1, sizeof *self) : NULL;
    char dir[] = "/tmp/adjtestXXXXXX", file[64], err[128];
    if (!self || !mkdtemp (dir))
        return NULL;
    snprintf (file, sizeof file, "%s/key", dir);
    self->store = cj_store_new (url, 5000, err, sizeof err);
    if (cj_pseudonym_create_key_file (file) == 0)
        self->key = cj_pseudonym_load (file, err, sizeof err);
    unlink (file);
    rmdir (dir);
    self->adj.pseudonym = self->key;
    cj_ctx_env_t env = { self->store, NULL, &self->adj, ADJUDICATOR_NAME, ADJUDICATOR_SHORT_NAME };
    self->ctx = cj_ctx_new (&env);
    redisReply *r = self->store ? cj_store_command (self->store, "FLUSHALL") : NULL;
    if (r)
        freeReplyObject (r);
    if (!r || !self->key || !self->ctx || s_leases (self) != 0)
        adj_test_destroy (&self);
    return self;
}

static void
s_free_events (adj_test_t *self)
{
    for (size_t i = 0; i < self->nevents; i++)
        cj_envelope_free (&self->events[i]);
    self->nevents = 0;
}

void
adj_test_destroy (adj_test_t **self_p)
{
    adj_test_t *self = *self_p;
    if (!self)
        return;
    cj_ctx_destroy (&self->ctx);
    s_free_events (self);
    for (uint32_t p = 0; p < S_PARTITIONS; p++)
        cj_batch_destroy (&self->batch[p]);
    adjudicator_reset (&self->adj, UINT32_MAX);
    cj_store_destroy (&self->store);
    cj_pseudonym_destroy (&self->key);
    free (self);
    *self_p = NULL;
}

cj_store_t *
adj_test_store (adj_test_t *self)
{
    return self->store;
}

const cj_pseudonym_t *
adj_test_key (adj_test_t *self)
{
    return self->key;
}

void
adj_test_fill (cj_envelope_t *env, const char *county, int body_case, const void *body)
{
    static char ids[256][32];
    static unsigned next;
    struct timespec ts;
    char *id = ids[next % 256];
    snprintf (id, sizeof ids[0], "a-%u-%ld", next++, (long) getpid ());
    clock_gettime (CLOCK_REALTIME, &ts);
    chejian__v1__envelope__init (env);
    env->event_id = id;
    env->source = "hrss";
    env->occurred_at = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    env->county = (char *) county;
    env->body_case = body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    memcpy ((char *) env + f->offset, &body, sizeof body);
}

/*  Commits partition 'p' and decodes the events the batch gained.  */
static int
s_commit (adj_test_t *self, uint32_t p)
{
    cj_commit_result_t result;
    s_free_events (self);
    for (size_t i = 0; i < cj_batch_events (self->batch[p]) && self->nevents < S_MAX_EVENTS; i++) {
        size_t len;
        const void *data = cj_batch_event_data (self->batch[p], i, &len);
        self->events[self->nevents++] = cj_envelope_decode (data, len, NULL);
    }
    int rc = cj_store_commit (self->store, &self->batch[p], 1, &result);
    cj_batch_reset (self->batch[p], ADJUDICATOR_SHORT_NAME, p, self->token[p]);
    if (rc != 0)
        adjudicator_reset (&self->adj, p);
    return rc;
}

/*  Runs the handler of 'env' into its partition's batch; rolls back when refused.  */
static int
s_apply (adj_test_t *self, const cj_envelope_t *env, uint64_t seq, bool validate)
{
    uint32_t p = cj_partition_of (env->county, S_PARTITIONS);
    const cj_handler_t *h = adjudicator_handler (env->body_case);
    cj_ctx_begin (self->ctx, self->batch[p], p, seq, env);
    cj_batch_mark_t mark = cj_batch_mark (self->batch[p]);
    int rc = h && h->apply ? 0 : -1;
    if (rc == 0 && validate)
        rc = cj_envelope_validate (env, cj_ctx_problems (self->ctx)) != 0 || !h->validate
             ? -1 : h->validate (env, cj_ctx_problems (self->ctx));
    if (rc == 0 && !cj_problems_any (cj_ctx_problems (self->ctx)))
        rc = h->apply (self->ctx, env);
    if (rc != 0 || cj_problems_any (cj_ctx_problems (self->ctx))) {
        cj_batch_rollback (self->batch[p], mark);
        s_free_events (self);
        return -1;
    }
    return s_commit (self, p) == 0 ? 0 : -2;
}

Chejian__V1__AckStatus
adj_test_envelope (adj_test_t *self, const cj_envelope_t *env)
{
    int rc = s_apply (self, env, 0, true);
    if (rc == 0)
        return CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
    return rc == -1 && cj_problems_any (cj_ctx_problems (self->ctx))
           ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
           : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
}

Chejian__V1__AckStatus
adj_test_command (adj_test_t *self, const char *county, int body_case, const void *body)
{
    cj_envelope_t env;
    adj_test_fill (&env, county, body_case, body);
    return adj_test_envelope (self, &env);
}

int
adj_test_accept (adj_test_t *self, const char *county, int body_case, const void *body)
{
    if (adj_test_command (self, county, body_case, body) == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        return 0;
    char text[512];
    cj_problems_format (cj_ctx_problems (self->ctx), text, sizeof text);
    fprintf (stderr, "body %d refused: %s\n", body_case, text);
    return -1;
}

int
adj_test_event (adj_test_t *self, const char *county, const char *source, int body_case,
                const void *body)
{
    cj_envelope_t env;
    char id[48];
    adj_test_fill (&env, county, body_case, body);
    snprintf (id, sizeof id, "%s-ev-%llu", source, (unsigned long long) ++self->seq);
    env.event_id = id;
    env.source = (char *) source;
    return s_apply (self, &env, self->seq, false) == 0 ? 0 : -1;
}

const cj_problems_t *
adj_test_problems (adj_test_t *self)
{
    return cj_ctx_problems (self->ctx);
}

int
adj_test_has_problem (adj_test_t *self, const char *field, const char *code)
{
    return cj_problems_has (cj_ctx_problems (self->ctx), field, code);
}

size_t
adj_test_nevents (adj_test_t *self)
{
    return self->nevents;
}

const cj_envelope_t *
adj_test_emitted (adj_test_t *self, size_t index)
{
    return index < self->nevents ? self->events[index] : NULL;
}

size_t
adj_test_count (adj_test_t *self, int body_case)
{
    size_t n = 0;
    for (size_t i = 0; i < self->nevents; i++)
        n += self->events[i] && (int) self->events[i]->body_case == body_case;
    return n;
}

const cj_ack_t *
adj_test_query (adj_test_t *self, const char *county, int body_case, const void *body)
{
    cj_envelope_t env;
    adj_test_fill (&env, county, body_case, body);
    uint32_t p = cj_partition_of (county, S_PARTITIONS);
    const cj_handler_t *h = adjudicator_handler (body_case);
    cj_ctx_begin (self->ctx, NULL, p, 0, &env);
    chejian__v1__ack__init (&self->ack);
    int rc = h && h->query ? h->validate (&env, cj_ctx_problems (self->ctx)) : -1;
    if (rc == 0 && !cj_problems_any (cj_ctx_problems (self->ctx)))
        rc = h->query (self->ctx, &env, &self->ack);
    bool any = cj_problems_any (cj_ctx_problems (self->ctx));
    self->ack.status = rc == 0 && !any ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                       : any ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
                             : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
    if (self->ack.status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        self->ack.result_case = CHEJIAN__V1__ACK__RESULT__NOT_SET;
    cj_ack_attach_problems (&self->ack, cj_ctx_problems (self->ctx), &self->ack_problems);
    return &self->ack;
}

char *
adj_test_snapshot (adj_test_t *self)
{
    return reg_snapshot (self->store, "cj:*:adj:*");
}

/*  ---- facts ----  */

int
adj_test_publish (adj_test_t *self, const char *county, const char *file)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    Chejian__V1__PublishPolicy *pp = adj_data_load_policy (file, &problems);
    if (!pp)
        return -1;
    Chejian__V1__AckStatus status = adj_test_command (self, county,
                                                      CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY, pp);
    protobuf_c_message_free_unpacked (&pp->base, NULL);
    return status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED ? 0 : -1;
}

const char *
adj_test_worker_key (adj_test_t *self, const char *resident_id)
{
    static char out[4][CJ_PSEUDONYM_HEX + 1];
    static unsigned next;
    char *key = out[next++ % 4];
    cj_pseudonym_of (self->key, "worker", resident_id, key);
    return key;
}

static char *
s_masked (const char *resident_id)
{
    static char out[4][CJ_RESIDENT_ID_LEN + 1];
    static unsigned next;
    char *m = out[next++ % 4];
    cj_resident_id_mask (resident_id, m);
    return m;
}

int
adj_test_workshop (adj_test_t *self, const char *county, const char *id, int type,
                   int32_t opened)
{
    Chejian__V1__Operator op = CHEJIAN__V1__OPERATOR__INIT;
    op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_COOPERATIVE;
    op.name = "青川县青坪村茶叶专业合作社";
    op.uscc = "91350100M000100Y43";
    Chejian__V1__WorkshopDetails d = CHEJIAN__V1__WORKSHOP_DETAILS__INIT;
    d.name = "扶贫车间";
    d.type = type;
    d.operator_ = &op;
    d.opened_date = opened;
    Chejian__V1__WorkshopRegistered ev = CHEJIAN__V1__WORKSHOP_REGISTERED__INIT;
    ev.workshop_id = (char *) id;
    ev.version = 1;
    ev.details = &d;
    return adj_test_event (self, county, "registry", CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED,
                           &ev);
}

int
adj_test_worker (adj_test_t *self, const char *county, const char *resident_id, int poverty,
                 int32_t status_date)
{
    Chejian__V1__WorkerStatus st = CHEJIAN__V1__WORKER_STATUS__INIT;
    st.poverty_status = poverty;
    Chejian__V1__WorkerRegistered ev = CHEJIAN__V1__WORKER_REGISTERED__INIT;
    ev.worker_key = (char *) adj_test_worker_key (self, resident_id);
    ev.resident_id_masked = s_masked (resident_id);
    char birth[7];
    memcpy (birth, resident_id + 6, 6);
    birth[6] = 0;
    ev.birth_period = atoi (birth);
    ev.status = &st;
    ev.status_date = status_date;
    return adj_test_event (self, county, "registry", CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED,
                           &ev);
}

int
adj_test_status (adj_test_t *self, const char *county, const char *resident_id, int poverty,
                 int32_t effective)
{
    Chejian__V1__StatusChange ch = CHEJIAN__V1__STATUS_CHANGE__INIT;
    ch.effective_date = effective;
    ch.source_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
    ch.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS;
    ch.poverty_status = poverty;
    Chejian__V1__WorkerStatusChanged ev = CHEJIAN__V1__WORKER_STATUS_CHANGED__INIT;
    ev.worker_key = (char *) adj_test_worker_key (self, resident_id);
    ev.resident_id_masked = s_masked (resident_id);
    ev.change = &ch;
    return adj_test_event (self, county, "registry",
                           CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED, &ev);
}

int
adj_test_employ (adj_test_t *self, const char *county, const char *id, const char *resident_id,
                 const char *workshop, int32_t start, uint32_t term)
{
    Chejian__V1__EmploymentTerms t = CHEJIAN__V1__EMPLOYMENT_TERMS__INIT;
    t.contract_type = CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT;
    t.start_date = start;
    t.term_months = term;
    t.work_mode = CHEJIAN__V1__WORK_MODE__WORK_MODE_ON_SITE_FIXED_HOURS;
    t.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
    t.monthly_wage_fen = 300000;
    Chejian__V1__EmploymentStarted ev = CHEJIAN__V1__EMPLOYMENT_STARTED__INIT;
    ev.employment_id = (char *) id;
    ev.worker_key = (char *) adj_test_worker_key (self, resident_id);
    ev.resident_id_masked = s_masked (resident_id);
    ev.workshop_id = (char *) workshop;
    ev.terms = &t;
    return adj_test_event (self, county, "registry", CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED,
                           &ev);
}

int
adj_test_end (adj_test_t *self, const char *county, const char *id, const char *resident_id,
              const char *workshop, int32_t start, int32_t end, uint32_t months_served,
              int reason)
{
    Chejian__V1__EmploymentEnded ev = CHEJIAN__V1__EMPLOYMENT_ENDED__INIT;
    ev.employment_id = (char *) id;
    ev.worker_key = (char *) adj_test_worker_key (self, resident_id);
    ev.resident_id_masked = s_masked (resident_id);
    ev.workshop_id = (char *) workshop;
    ev.start_date = start;
    ev.end_date = end;
    ev.months_served = months_served;
    ev.reason = reason;
    ev.contract_type = CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT;
    return adj_test_event (self, county, "registry", CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED,
                           &ev);
}

int
adj_test_wage (adj_test_t *self, const char *county, const char *employment_id,
               const char *resident_id, const char *workshop, int32_t period, int64_t gross)
{
    Chejian__V1__WageLineApplied ev = CHEJIAN__V1__WAGE_LINE_APPLIED__INIT;
    ev.worker_key = (char *) adj_test_worker_key (self, resident_id);
    ev.resident_id_masked = s_masked (resident_id);
    ev.workshop_id = (char *) workshop;
    ev.employment_id = (char *) employment_id;
    ev.period = period;
    ev.revision = 1;
    ev.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
    ev.work_site = CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
    ev.gross_fen = gross;
    ev.delta_fen = gross;
    ev.removed = gross == 0;
    return adj_test_event (self, county, "payroll", CHEJIAN__V1__ENVELOPE__BODY_WAGE_LINE_APPLIED,
                           &ev);
}
