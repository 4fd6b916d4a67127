/*  bus.h - ZeroMQ transport: the service's ROUTER endpoint, PUB of committed events with
 *  heartbeats, and SUB with per-(producer, partition) cursors, gap detection and catch-up
 *  from the producer's outbox stream in Redis.
 *
 *  Wire formats:
 *      request  (DEALER -> ROUTER): [routing frames...] [Envelope]
 *      reply    (ROUTER -> DEALER): [routing frames...] [Ack]
 *      event    (PUB -> SUB):       ["<producer>.<partition>"] [seq, 8 bytes big-endian] [Envelope]
 *      heartbeat(PUB -> SUB):       ["<producer>.<partition>"] [head seq, 8 bytes big-endian]
 *
 *  Delivery: ZeroMQ carries the live path and may drop (PUB drops when a subscriber's queue is
 *  full, or while it is away); Redis is the source of truth. A subscriber applies an event only
 *  when seq == cursor + 1, committing its writes and the new cursor in one batch; anything
 *  else is ignored, and a seq or heartbeat beyond the cursor makes it read the missing range
 *  from the producer's outbox (XRANGE). So nothing is lost and nothing is applied twice.
 */
#ifndef CHEJIAN_BUS_H
#define CHEJIAN_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/envelope.h"
#include "chejian/metrics.h"
#include "chejian/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_ROUTE_FRAMES_MAX  8      /* routing frames kept per request */
#define CJ_ROUTE_FRAME_MAX   256    /* bytes of one routing frame */

/*  ---- ROUTER: requests in, replies out ----  */

typedef struct {
    size_t   nframes;
    size_t   len[CJ_ROUTE_FRAMES_MAX];
    uint8_t  frame[CJ_ROUTE_FRAMES_MAX][CJ_ROUTE_FRAME_MAX];
} cj_route_t;

/*  Receives one request without blocking. Returns 1 with the routing frames in 'route' and
 *  the payload in 'payload' (an initialised zmq_msg_t the caller closes), 0 when none is
 *  waiting, -1 on error. A malformed request (no payload, too many or too long routing
 *  frames) is consumed and reported as 0 after counting it in '*ret_malformed'.  */
int cj_router_recv (void *router, cj_route_t *route, void *payload, size_t *ret_malformed);
/*  Sends 'data' back along 'route'. Never blocks (ZMQ_DONTWAIT): a peer that went away or is
 *  not reading loses its reply, and it retries with the same event_id. Returns 0 or -1.  */
int cj_router_send (void *router, const cj_route_t *route, const void *data, size_t len);

/*  ---- PUB ----  */

typedef struct cj_pub_t cj_pub_t;

/*  Binds a PUB socket on 'endpoint' for 'producer' (short service name, e.g. "reg").
 *  'sndhwm' bounds messages queued per subscriber (0 = 100000).  */
cj_pub_t   *cj_pub_new (void *zmq_ctx, const char *endpoint, const char *producer, int sndhwm);
void        cj_pub_destroy (cj_pub_t **self_p);
/*  The endpoint actually bound (resolves "tcp://127.0.0.1:*").  */
const char *cj_pub_endpoint (const cj_pub_t *self);
int         cj_pub_event (cj_pub_t *self, uint32_t partition, uint64_t seq,
                          const void *data, size_t len);
int         cj_pub_heartbeat (cj_pub_t *self, uint32_t partition, uint64_t head);

/*  Trims the outbox of 'producer' partition 'partition' below the lowest cursor of its
 *  registered subscribers, keeping at least 'keep' events below it. Returns the number of
 *  stream entries removed, or -1 on error.  */
long long cj_outbox_trim (cj_store_t *store, const char *producer, uint32_t partition,
                          uint64_t keep);
/*  The head seq of 'producer' partition 'partition' as recorded in Redis (0 if none); -1 on
 *  error.  */
int cj_outbox_head (cj_store_t *store, const char *producer, uint32_t partition,
                    uint64_t *ret_head);

/*  ---- SUB ----  */

typedef struct cj_sub_t cj_sub_t;

/*  Applies one event to 'batch' (the consumer's batch for that partition). Return 0 when
 *  applied; a negative value when the event can never be applied (it is then dead-lettered:
 *  kept in cj:{pN}:<consumer>:deadletter:<producer> with the reason, counted, and passed).  */
typedef int (cj_sub_apply_fn) (void *arg, uint32_t partition, uint64_t seq,
                               const cj_envelope_t *event, cj_batch_t *batch);

/*  A subscription of 'consumer' to 'producer' at 'endpoint', over 'partitions' partitions.
 *  'rcvhwm' bounds live messages queued (0 = 100000; beyond it they are dropped and caught
 *  up from Redis). 'metrics' may be NULL.  */
cj_sub_t *cj_sub_new (void *zmq_ctx, cj_store_t *store, cj_metrics_t *metrics,
                      const char *consumer, const char *producer, const char *endpoint,
                      uint32_t partitions, int rcvhwm, cj_sub_apply_fn *apply, void *arg);
void      cj_sub_destroy (cj_sub_t **self_p);
void     *cj_sub_socket (cj_sub_t *self);
const char *cj_sub_producer (const cj_sub_t *self);

/*  Reading ahead (optional): before applying what it drained or caught up, the subscription
 *  hands the runtime the events it is about to apply, in order, so that it can fetch the
 *  state they will read in one round trip (cj_ctx_prefetch). A hint: it changes nothing.  */
typedef struct {
    uint32_t             partition;
    uint64_t             seq;
    const cj_envelope_t *event;
    cj_batch_t          *batch;
} cj_sub_item_t;
typedef void (cj_sub_read_ahead_fn) (void *arg, const cj_sub_item_t *items, size_t n);
void cj_sub_set_read_ahead (cj_sub_t *self, cj_sub_read_ahead_fn *fn);

/*  Starts consuming 'partition' (the consumer now owns it): loads the durable cursor and the
 *  producer's head from Redis and registers the consumer for outbox trimming. Returns 0 or -1.  */
int  cj_sub_own (cj_sub_t *self, uint32_t partition);
/*  Stops consuming 'partition' (lease lost).  */
void cj_sub_disown (cj_sub_t *self, uint32_t partition);

/*  Receives up to 'max' live messages without blocking and applies those that are next in
 *  order into batches[partition] (NULL for partitions not owned). Returns the number of
 *  events applied, or -1 on error.  */
int cj_sub_drain (cj_sub_t *self, cj_batch_t *const *batches, size_t max);
/*  For each owned partition behind the producer's known head, reads up to 'max' missing
 *  events from the outbox and applies them into batches[partition]. Returns the number
 *  applied, or -1 on a Redis error.  */
int cj_sub_catch_up (cj_sub_t *self, cj_batch_t *const *batches, size_t max);
/*  Adds the cursor writes for what was applied to each partition's batch. Call once, after
 *  draining and catching up, before the commit.  */
int cj_sub_prepare_commit (cj_sub_t *self, cj_batch_t *const *batches);
/*  Tells the outcome of the commit of 'partition': on success the applied events become
 *  durable; on failure they are forgotten and will be applied again from the outbox.  */
void cj_sub_committed (cj_sub_t *self, uint32_t partition, bool ok);

/*  Cursor (last durably applied seq), known producer head, and lag (head - cursor).  */
uint64_t cj_sub_cursor (const cj_sub_t *self, uint32_t partition);
uint64_t cj_sub_head (const cj_sub_t *self, uint32_t partition);
uint64_t cj_sub_lag (const cj_sub_t *self, uint32_t partition);
/*  Largest lag over owned partitions.  */
uint64_t cj_sub_max_lag (const cj_sub_t *self);
/*  Events of 'partition' read back from the outbox after gaps, and dead-lettered (counted
 *  only when the subscription has metrics; 0 otherwise).  */
void     cj_sub_totals (const cj_sub_t *self, uint32_t partition, uint64_t *ret_redelivered,
                        uint64_t *ret_dead_lettered);
/*  True when an owned partition is behind its known head and can make progress (so the loop
 *  should not sleep).  */
bool     cj_sub_behind (const cj_sub_t *self);
/*  True when the outbox of 'partition' no longer holds the next event to apply (it was
 *  trimmed or deleted under this subscriber): the subscription stops there rather than skip,
 *  and an operator must act.  */
bool     cj_sub_stuck (const cj_sub_t *self, uint32_t partition);

#ifdef __cplusplus
}
#endif
#endif
