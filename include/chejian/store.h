/*  store.h - Redis state: connection, partitioned key space, leases and the atomic fenced commit.
 *
 *  Key space. Every key carries its partition as a hash tag, so that one commit touches one
 *  partition (one Redis Cluster slot):
 *      cj:{p<partition>}:<service>:<name>          e.g. cj:{p3}:reg:workshop:W001
 *  A service's per-partition bookkeeping lives beside its state:
 *      cj:{pN}:<svc>:lease     the partition lease: fencing token, with a TTL
 *      cj:{pN}:<svc>:meta      hash: head (last outbox seq), epoch (last token issued)
 *      cj:{pN}:<svc>:outbox    stream: one entry per committed batch; entry id = "<last seq>-0",
 *                              fields "<seq>" -> encoded Envelope, in seq order
 *
 *  Commit. A cj_batch_t collects the writes of one partition (multi-field HSETs merge when they
 *  follow each other on the same key) and the events to append to the outbox. cj_store_commit
 *  sends every batch as one EVALSHA of the commit script, all pipelined in one round trip. The
 *  script refuses a batch whole when the lease token is not the partition's current one;
 *  otherwise it assigns the events dense sequence numbers (head+1 ...), appends them, and
 *  applies the writes, atomically.
 *
 *  Errors. A store keeps its last error on itself (cj_store_errstr). Any I/O error drops the
 *  connection; the next call reconnects, no sooner than the backoff allows (100 ms doubling to
 *  5 s). Functions return 0 on success and -1 on failure unless they say otherwise.
 */
#ifndef CHEJIAN_STORE_H
#define CHEJIAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_STORE_DEFAULT_URL     "redis://127.0.0.1:6379/0"
#define CJ_PARTITIONS_MAX        1024
#define CJ_KEY_MAX               256
#define CJ_BATCH_MAX_EVENTS      65536   /* events in one commit */
#define CJ_STREAM_ENTRY_EVENTS   512     /* events per outbox stream entry */

typedef struct cj_store_t cj_store_t;
typedef struct cj_batch_t cj_batch_t;

/*  ---- connection ----  */

/*  Creates a store for 'url': redis://[:password@]host[:port][/db] or unix:///path/to.sock
 *  [?db=N]. 'timeout_ms' bounds connect and each command (0 = 5000). Does not connect yet;
 *  returns NULL only for a malformed URL or no memory ('ret_err' gets a message if not NULL).  */
cj_store_t *cj_store_new (const char *url, int timeout_ms, char *ret_err, size_t err_size);
void        cj_store_destroy (cj_store_t **self_p);

/*  Connects if not connected (and the backoff allows), selects the db, authenticates and
 *  loads the scripts. Returns 0 when connected.  */
int         cj_store_connect (cj_store_t *self);
bool        cj_store_connected (const cj_store_t *self);
const char *cj_store_errstr (const cj_store_t *self);
/*  The URL with any password replaced by "***", for logs.  */
const char *cj_store_url_safe (const cj_store_t *self);

/*  One command (printf-style as redisCommand, or argv form). Returns the reply, which the
 *  caller frees with freeReplyObject, or NULL on I/O error (connection dropped, errstr set).
 *  An error *reply* (REDIS_REPLY_ERROR) is returned as a reply, not NULL.  */
redisReply *cj_store_command (cj_store_t *self, const char *fmt, ...);
redisReply *cj_store_commandv (cj_store_t *self, int argc, const char **argv,
                               const size_t *argvlen);

/*  Pipelining: append any number of commands, then collect as many replies in order.
 *  cj_store_append returns -1 if not connected. cj_store_get_reply returns NULL on I/O error
 *  (the remaining replies are lost with the connection).  */
int         cj_store_append (cj_store_t *self, int argc, const char **argv, const size_t *argvlen);
redisReply *cj_store_get_reply (cj_store_t *self);

/*  ---- key space ----  */

/*  Partition of a county code: FNV-1a (32-bit) of the code's bytes modulo 'partitions'.
 *  Stable for the life of a deployment; documented in docs/keyspace.md.  */
uint32_t cj_partition_of (const char *county, uint32_t partitions);

/*  Formats "cj:{p<partition>}:<service>:<suffix...>" into 'buf'. Returns the length, or -1 if
 *  it does not fit.  */
int cj_key (char *buf, size_t size, uint32_t partition, const char *service,
            const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

/*  ---- leases ----  */

/*  Acquires or renews the lease of ('service', 'partition') for 'ttl_ms' on behalf of
 *  'instance' (a stable id of this process's deployment slot, e.g. "<host>-registry").
 *  'token' is the token the caller holds (0 if none). On success '*ret_token' is the token
 *  now held: the same one when renewed, a new (higher) one when the lease was free, or last
 *  taken by the same instance (so a restarted process resumes at once instead of waiting for
 *  the TTL). A new token means another owner may have committed in between, so the caller
 *  reloads what it caches. Returns 1 when held, 0 when another instance holds it, -1 on
 *  error.  */
int cj_store_lease (cj_store_t *self, const char *service, uint32_t partition,
                    const char *instance, uint64_t token, int ttl_ms, uint64_t *ret_token);
/*  Releases the lease if 'token' still holds it. Returns 0 (also when not held), -1 on error.  */
int cj_store_lease_release (cj_store_t *self, const char *service, uint32_t partition,
                            uint64_t token);

/*  ---- the batch and the commit ----  */

cj_batch_t *cj_batch_new (void);
void        cj_batch_destroy (cj_batch_t **self_p);
/*  Empties the batch and binds it to ('service', 'partition', lease 'token').  */
void        cj_batch_reset (cj_batch_t *self, const char *service, uint32_t partition,
                            uint64_t token);
uint32_t    cj_batch_partition (const cj_batch_t *self);
size_t      cj_batch_writes (const cj_batch_t *self);   /* write commands queued */
size_t      cj_batch_events (const cj_batch_t *self);   /* events queued */
bool        cj_batch_empty (const cj_batch_t *self);

/*  Queue writes. Keys must belong to the batch's partition (they carry its hash tag); a key
 *  of another partition is refused with -1. Values are copied.  */
int cj_batch_hset (cj_batch_t *self, const char *key, const char *field,
                   const void *value, size_t len);
int cj_batch_hset_int (cj_batch_t *self, const char *key, const char *field, int64_t value);
int cj_batch_hdel (cj_batch_t *self, const char *key, const char *field);
int cj_batch_hincrby (cj_batch_t *self, const char *key, const char *field, int64_t delta);
int cj_batch_set (cj_batch_t *self, const char *key, const void *value, size_t len);
int cj_batch_del (cj_batch_t *self, const char *key);
int cj_batch_sadd (cj_batch_t *self, const char *key, const char *member);
int cj_batch_srem (cj_batch_t *self, const char *key, const char *member);
int cj_batch_zadd (cj_batch_t *self, const char *key, double score, const char *member);
int cj_batch_zrem (cj_batch_t *self, const char *key, const char *member);
int cj_batch_rpush (cj_batch_t *self, const char *key, const void *value, size_t len);
int cj_batch_pexpire (cj_batch_t *self, const char *key, int64_t ttl_ms);

/*  Appends an event (an encoded Envelope) to the outbox. Returns its index in the batch
 *  (0, 1, ...): after commit its seq is first_seq + index.  */
int         cj_batch_event (cj_batch_t *self, const void *data, size_t len);
/*  The bytes of event 'index'.  */
const void *cj_batch_event_data (const cj_batch_t *self, size_t index, size_t *ret_len);

/*  Reads back what the batch will write, so a handler sees the writes of earlier commands in
 *  the same batch. Looks for the last write of 'field' of hash 'key' (HSET, HDEL, DEL of the
 *  key) or of string 'key' (SET, DEL). Returns CJ_BATCH_VALUE with the bytes (valid until the
 *  batch changes), CJ_BATCH_DELETED, CJ_BATCH_ABSENT when the batch does not touch it (read
 *  Redis), or CJ_BATCH_UNKNOWN when only Redis can tell (an HINCRBY of that field).  */
typedef enum {
    CJ_BATCH_UNKNOWN = -1,
    CJ_BATCH_ABSENT  = 0,
    CJ_BATCH_VALUE   = 1,
    CJ_BATCH_DELETED = 2,
} cj_batch_lookup_t;
cj_batch_lookup_t cj_batch_hget (const cj_batch_t *self, const char *key, const char *field,
                                 const void **ret_value, size_t *ret_len);
cj_batch_lookup_t cj_batch_get (const cj_batch_t *self, const char *key,
                                const void **ret_value, size_t *ret_len);

/*  The batch's read cache: what Redis held for a key (and field) when it was read this turn,
 *  so that a handler's read is answered from memory after the runtime fetched it ahead for
 *  many messages in one pipelined round trip (see cj_ctx_prefetch). The partition has one
 *  owner, so nothing else changes these keys during the turn; pending writes of the batch
 *  still come first (cj_batch_hget). Emptied by cj_batch_reset. 'field' NULL: a string key;
 *  'value' NULL: Redis had nothing.  */
int               cj_batch_cache_put (cj_batch_t *self, const char *key, const char *field,
                                      const void *value, size_t len);
/*  CJ_BATCH_VALUE with the cached bytes, CJ_BATCH_DELETED when Redis had nothing, or
 *  CJ_BATCH_ABSENT when not cached.  */
cj_batch_lookup_t cj_batch_cache_get (const cj_batch_t *self, const char *key, const char *field,
                                      const void **ret_value, size_t *ret_len);

/*  Savepoints: a handler that fails after queueing writes rolls back to its mark, so a
 *  rejected command changes nothing.  */
typedef struct {
    size_t ops, op_args, args, bytes, events, writes;
} cj_batch_mark_t;
cj_batch_mark_t cj_batch_mark (const cj_batch_t *self);
void            cj_batch_rollback (cj_batch_t *self, cj_batch_mark_t mark);

typedef enum {
    CJ_COMMIT_OK          = 0,
    CJ_COMMIT_STALE_LEASE = 1,  /* refused whole: the token is not the partition's current one */
    CJ_COMMIT_ERROR       = 2,  /* not known to be applied: I/O error or script error */
} cj_commit_status_t;

typedef struct {
    cj_commit_status_t status;
    uint64_t           first_seq;  /* seq of event 0, when the batch had events */
    uint64_t           last_seq;
} cj_commit_result_t;

/*  Commits 'count' batches (each of a different partition, in one pipelined round trip) and
 *  writes one result per batch. Empty batches are skipped (result OK, seqs 0). Returns 0 when
 *  every batch committed, -1 otherwise (see the results; errstr tells the first failure).
 *  After an I/O error a batch's fate is unknown to this process; callers must not ack it and
 *  must rebuild their view from Redis (the dedup records make a retry safe).  */
int cj_store_commit (cj_store_t *self, cj_batch_t *const *batches, size_t count,
                     cj_commit_result_t *results);

#ifdef __cplusplus
}
#endif
#endif
