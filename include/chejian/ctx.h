/*  ctx.h - what a handler sees of the message it handles: the partition's batch to write
 *  into, reads that see the batch's pending writes, event emission, problems, and deferred
 *  frees for query results.
 *
 *  The service runtime makes one context and begins it for every command, event and query it
 *  hands to a handler. Tests drive handlers the same way without sockets: cj_ctx_new with
 *  the fixture's store, cj_ctx_begin with a batch, call the handler, cj_store_commit.
 */
#ifndef CHEJIAN_CTX_H
#define CHEJIAN_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/arena.h"
#include "chejian/config.h"
#include "chejian/envelope.h"
#include "chejian/problem.h"
#include "chejian/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cj_ctx_t cj_ctx_t;

typedef struct {
    cj_store_t        *store;
    const cj_config_t *config;      /* may be NULL (tests) */
    void              *arg;         /* the service's own state, for cj_ctx_arg */
    const char        *name;        /* service name: the source of emitted events */
    const char        *short_name;  /* key space name: prefixes emitted event ids */
} cj_ctx_env_t;

/*  A context over 'env' (copied; the strings and objects must outlive it).  */
cj_ctx_t *cj_ctx_new (const cj_ctx_env_t *env);
void      cj_ctx_destroy (cj_ctx_t **self_p);
/*  Starts handling 'cause' (a command, query or subscription event) in 'partition': writes
 *  go to 'batch' (NULL for a query), problems start empty, 'seq' is the event's seq (0 for
 *  commands and queries).  */
void      cj_ctx_begin (cj_ctx_t *self, cj_batch_t *batch, uint32_t partition, uint64_t seq,
                        const cj_envelope_t *cause);
/*  Ends it: runs the deferred frees and resets the arena.  */
void      cj_ctx_end (cj_ctx_t *self);

cj_store_t      *cj_ctx_store (cj_ctx_t *ctx);
cj_batch_t      *cj_ctx_batch (cj_ctx_t *ctx);
cj_problems_t   *cj_ctx_problems (cj_ctx_t *ctx);
uint32_t         cj_ctx_partition (const cj_ctx_t *ctx);
uint64_t         cj_ctx_seq (const cj_ctx_t *ctx);     /* seq of the event being applied */
const cj_config_t *cj_ctx_config (const cj_ctx_t *ctx);
void            *cj_ctx_arg (const cj_ctx_t *ctx);
/*  Emits a domain event caused by the message being handled: 'event' has its body set; the
 *  runtime fills event_id (derived from the cause, so a replay emits the same ids), source,
 *  occurred_at, county, trace_id and causation_id, and appends it to the outbox.  */
int              cj_ctx_emit (cj_ctx_t *ctx, cj_envelope_t *event);
/*  Reads field 'field' of hash 'key' (cj_ctx_get: string 'key') as the handler's message
 *  sees it: the pending write of an earlier message of this batch, else Redis. Returns 1 with
 *  a malloc'd NUL-terminated copy in '*ret_value' (caller frees; '*ret_len' its length), 0
 *  when absent, -1 when Redis cannot answer.  */
int              cj_ctx_hget (cj_ctx_t *ctx, const char *key, const char *field,
                              char **ret_value, size_t *ret_len);
int              cj_ctx_get (cj_ctx_t *ctx, const char *key, char **ret_value, size_t *ret_len);
/*  ---- reading ahead ----
 *  A runtime that handles many messages in a turn can run each handler once first in
 *  probing mode: a read that neither the batch's pending writes nor its read cache can
 *  answer is noted as wanted and fails (-1), the handler gives up, and its writes are rolled
 *  back. cj_ctx_prefetch then fetches everything wanted, for every message, in one pipelined
 *  round trip into the batches' read caches; a second probe finds the reads that depended on
 *  the first, and so on. The real pass then reads from memory. Only for handlers whose sole
 *  effects are the batch's writes and events (no state of their own in memory).  */
void             cj_ctx_probe (cj_ctx_t *ctx, bool on);
bool             cj_ctx_probing (const cj_ctx_t *ctx);
/*  True when the message begun last wanted a read that was not cached.  */
bool             cj_ctx_probe_missed (const cj_ctx_t *ctx);
/*  Reads every wanted key into its batch's read cache in one pipelined round trip. Returns
 *  the number fetched, or -1 when Redis cannot answer (nothing is cached then).  */
int              cj_ctx_prefetch (cj_ctx_t *ctx);

/*  Memory for this message (unpacked records, events, query results): valid until the reply
 *  is sent, freed with the context's next message. NULL when out of memory.  */
cj_arena_t      *cj_ctx_arena (cj_ctx_t *ctx);
/*  Frees 'ptr' with 'fn' after the query's Ack has been sent.  */
int              cj_ctx_defer_free (cj_ctx_t *ctx, void (*fn) (void *), void *ptr);

#ifdef __cplusplus
}
#endif
#endif
