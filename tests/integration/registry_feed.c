/*  registry_feed.c - see registry_feed.h.  */
#include "registry_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/bus.h"
#include "chejian/ident.h"

#define S_BATCH_EVENTS 20000       /* a partition's batch is committed when this full */

struct reg_feed_t {
    cj_store_t           *store;
    cj_pub_t             *pub;
    const cj_pseudonym_t *pseudonym;
    uint32_t              partitions;
    uint64_t             *tokens, *heads;
    cj_batch_t          **batches;
    uint64_t              next_id;
};

reg_feed_t *
reg_feed_new (cj_store_t *store, void *zmq_ctx, const char *endpoint, uint32_t partitions,
              const cj_pseudonym_t *pseudonym)
{
    reg_feed_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->pseudonym = pseudonym;
    self->partitions = partitions;
    self->tokens = calloc (partitions, sizeof *self->tokens);
    self->heads = calloc (partitions, sizeof *self->heads);
    self->batches = calloc (partitions, sizeof *self->batches);
    self->pub = cj_pub_new (zmq_ctx, endpoint, "reg", 1000000);
    if (!self->tokens || !self->heads || !self->batches || !self->pub)
        goto fail;
    for (uint32_t p = 0; p < partitions; p++) {
        if (cj_store_lease (store, "reg", p, "registry-feed", 0, 3600000, &self->tokens[p]) != 1
            || cj_outbox_head (store, "reg", p, &self->heads[p]) != 0
            || !(self->batches[p] = cj_batch_new ()))
            goto fail;
        cj_batch_reset (self->batches[p], "reg", p, self->tokens[p]);
    }
    return self;
fail:
    reg_feed_destroy (&self);
    return NULL;
}

void
reg_feed_destroy (reg_feed_t **self_p)
{
    reg_feed_t *self = *self_p;
    if (!self)
        return;
    for (uint32_t p = 0; self->batches && p < self->partitions; p++) {
        if (self->tokens[p])
            cj_store_lease_release (self->store, "reg", p, self->tokens[p]);
        cj_batch_destroy (&self->batches[p]);
    }
    cj_pub_destroy (&self->pub);
    free (self->tokens);
    free (self->heads);
    free (self->batches);
    free (self);
    *self_p = NULL;
}

const char *
reg_feed_endpoint (const reg_feed_t *self)
{
    return cj_pub_endpoint (self->pub);
}

uint64_t
reg_feed_head (const reg_feed_t *self, uint32_t p)
{
    return self->heads[p];
}

/*  Commits partition 'p''s batch and publishes its events.  */
static int
s_commit (reg_feed_t *self, uint32_t p)
{
    cj_batch_t *b = self->batches[p];
    size_t n = cj_batch_events (b);
    if (n == 0)
        return 0;
    cj_commit_result_t res;
    if (cj_store_commit (self->store, &b, 1, &res) != 0)
        return -1;
    for (size_t e = 0; e < n; e++) {
        size_t len;
        const void *data = cj_batch_event_data (b, e, &len);
        cj_pub_event (self->pub, p, res.first_seq + e, data, len);
    }
    self->heads[p] = res.last_seq;
    cj_batch_reset (b, "reg", p, self->tokens[p]);
    return 0;
}

int
reg_feed_commit (reg_feed_t *self)
{
    for (uint32_t p = 0; p < self->partitions; p++)
        if (s_commit (self, p) != 0)
            return -1;
    return 0;
}

void
reg_feed_heartbeat (reg_feed_t *self)
{
    for (uint32_t p = 0; p < self->partitions; p++)
        cj_pub_heartbeat (self->pub, p, self->heads[p]);
}

int
reg_feed_add (reg_feed_t *self, const char *county, int body_case, const ProtobufCMessage *body)
{
    char id[48];
    snprintf (id, sizeof id, "reg-feed-%llu", (unsigned long long) ++self->next_id);
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = id;
    env.source = "registry";
    env.occurred_at = 1600000000000;
    env.county = (char *) county;
    env.causation_id = id;
    env.causation_source = "hrss";
    env.body_case = body_case;
    memcpy (&env.wage_line_applied, &body, sizeof body);   /* every body member is a pointer */
    size_t len;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    uint32_t p = cj_partition_of (county, self->partitions);
    int rc = bytes && cj_batch_event (self->batches[p], bytes, len) >= 0 ? 0 : -1;
    free (bytes);
    if (rc == 0 && cj_batch_events (self->batches[p]) >= S_BATCH_EVENTS)
        rc = s_commit (self, p);
    return rc;
}

/*  ---- the registry's events ----  */

int
reg_feed_workshop (reg_feed_t *self, const char *county, const char *id, int type,
                   int32_t opened)
{
    Chejian__V1__WorkshopDetails d = CHEJIAN__V1__WORKSHOP_DETAILS__INIT;
    d.name = "扶贫车间";
    d.type = type;
    d.role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
    d.opened_date = opened;
    Chejian__V1__WorkshopRegistered ev = CHEJIAN__V1__WORKSHOP_REGISTERED__INIT;
    ev.workshop_id = (char *) id;
    ev.version = 1;
    ev.details = &d;
    return reg_feed_add (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED, &ev.base);
}

int
reg_feed_worker (reg_feed_t *self, const char *county, const char *resident_id, int poverty,
                 int32_t status_date, int64_t baseline, int32_t baseline_year)
{
    char key[CJ_PSEUDONYM_HEX + 1], masked[CJ_RESIDENT_ID_LEN + 1];
    cj_pseudonym_of (self->pseudonym, "worker", resident_id, key);
    cj_resident_id_mask (resident_id, masked);
    Chejian__V1__WorkerDetails d = CHEJIAN__V1__WORKER_DETAILS__INIT;
    d.baseline_annual_income_fen = baseline;
    d.baseline_year = baseline_year;
    Chejian__V1__WorkerStatus st = CHEJIAN__V1__WORKER_STATUS__INIT;
    st.poverty_status = poverty;
    Chejian__V1__WorkerRegistered ev = CHEJIAN__V1__WORKER_REGISTERED__INIT;
    ev.worker_key = key;
    ev.resident_id_masked = masked;
    ev.birth_period = (int32_t) strtol ((char[7]) { resident_id[6], resident_id[7], resident_id[8],
                                                    resident_id[9], resident_id[10],
                                                    resident_id[11], 0 }, NULL, 10);
    ev.details = &d;
    ev.status = &st;
    ev.status_date = status_date;
    ev.status_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
    return reg_feed_add (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED, &ev.base);
}

int
reg_feed_employment (reg_feed_t *self, const char *county, const char *id,
                     const char *resident_id, const char *workshop_id, int32_t start)
{
    char key[CJ_PSEUDONYM_HEX + 1], masked[CJ_RESIDENT_ID_LEN + 1];
    cj_pseudonym_of (self->pseudonym, "worker", resident_id, key);
    cj_resident_id_mask (resident_id, masked);
    Chejian__V1__EmploymentTerms t = CHEJIAN__V1__EMPLOYMENT_TERMS__INIT;
    t.contract_type = CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT;
    t.start_date = start;
    t.term_months = 12;
    t.work_mode = CHEJIAN__V1__WORK_MODE__WORK_MODE_ON_SITE_FIXED_HOURS;
    t.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
    t.monthly_wage_fen = 300000;
    Chejian__V1__EmploymentStarted ev = CHEJIAN__V1__EMPLOYMENT_STARTED__INIT;
    ev.employment_id = (char *) id;
    ev.worker_key = key;
    ev.resident_id_masked = masked;
    ev.workshop_id = (char *) workshop_id;
    ev.terms = &t;
    return reg_feed_add (self, county, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED, &ev.base);
}

void
reg_feed_poverty_change (Chejian__V1__StatusChange *ch, int poverty, int32_t effective)
{
    chejian__v1__status_change__init (ch);
    ch->effective_date = effective;
    ch->source_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
    ch->change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS;
    ch->poverty_status = poverty;
}

int
reg_feed_status (reg_feed_t *self, const char *county, const char *resident_id, int poverty,
                 int32_t effective)
{
    char key[CJ_PSEUDONYM_HEX + 1], masked[CJ_RESIDENT_ID_LEN + 1];
    cj_pseudonym_of (self->pseudonym, "worker", resident_id, key);
    cj_resident_id_mask (resident_id, masked);
    Chejian__V1__StatusChange ch;
    reg_feed_poverty_change (&ch, poverty, effective);
    Chejian__V1__WorkerStatusChanged ev = CHEJIAN__V1__WORKER_STATUS_CHANGED__INIT;
    ev.worker_key = key;
    ev.resident_id_masked = masked;
    ev.change = &ch;
    return reg_feed_add (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED,
                         &ev.base);
}
