/*  registry_feed.h - registry events without the registry: a producer written with the store
 *  library alone (a "reg" lease per partition, events committed to the registry's outbox with
 *  cj_store_commit, then published with cj_pub_event, heartbeats with cj_pub_heartbeat),
 *  exactly as chejian-registry's runtime would. For the payroll tests when the registry
 *  binary is not built, and for the payroll benchmark (hundreds of thousands of facts fast).
 *  Events carry source "registry" and the same bodies the registry emits.  */
#ifndef REGISTRY_FEED_H
#define REGISTRY_FEED_H

#include <stdint.h>

#include "chejian/envelope.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"

typedef struct reg_feed_t reg_feed_t;

/*  Takes the "reg" leases of 'partitions' partitions on 'store' and binds a PUB on
 *  'endpoint' (e.g. "tcp://127.0.0.1:*"). NULL when a lease is held by someone else or the
 *  bind fails.  */
reg_feed_t *reg_feed_new (cj_store_t *store, void *zmq_ctx, const char *endpoint,
                          uint32_t partitions, const cj_pseudonym_t *pseudonym);
void        reg_feed_destroy (reg_feed_t **self_p);
const char *reg_feed_endpoint (const reg_feed_t *self);

/*  Queues an event of 'county' (committed at the next reg_feed_commit, or earlier when a
 *  partition's batch is full). Returns 0 or -1.  */
int  reg_feed_add (reg_feed_t *self, const char *county, int body_case,
                   const ProtobufCMessage *body);
/*  Commits every queued event and publishes it. Returns 0 or -1.  */
int  reg_feed_commit (reg_feed_t *self);
/*  Publishes a heartbeat (the head seq) for every partition.  */
void reg_feed_heartbeat (reg_feed_t *self);
/*  Events committed so far in partition 'p'.  */
uint64_t reg_feed_head (const reg_feed_t *self, uint32_t p);

/*  Fills 'ch' with a change of the poverty status to 'poverty' from 'effective', decided by
 *  the poverty office (as ChangeWorkerStatus sends it and WorkerStatusChanged carries it).  */
void reg_feed_poverty_change (Chejian__V1__StatusChange *ch, int poverty, int32_t effective);

/*  The registry's events, built from the same inputs as the registry's commands.  */
int reg_feed_workshop (reg_feed_t *self, const char *county, const char *id, int type,
                       int32_t opened);
int reg_feed_worker (reg_feed_t *self, const char *county, const char *resident_id,
                     int poverty, int32_t status_date, int64_t baseline, int32_t baseline_year);
int reg_feed_employment (reg_feed_t *self, const char *county, const char *id,
                         const char *resident_id, const char *workshop_id, int32_t start);
int reg_feed_status (reg_feed_t *self, const char *county, const char *resident_id,
                     int poverty, int32_t effective);

#endif
