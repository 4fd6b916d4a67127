/*  service.h - the service runtime: one single-threaded zmq_poll loop per service.
 *
 *  A service is a table. cj_service_main parses --help, loads the configuration, binds its
 *  ROUTER and PUB, connects its subscriptions, holds partition leases, and runs the loop:
 *
 *    1. drain up to CHEJIAN_BATCH_MAX requests from the ROUTER and the subscriptions;
 *    2. for each command: decode and validate the envelope, look up the dedup record
 *       (answer DUPLICATE with the first outcome), validate the body, apply it into the
 *       partition's batch (a rejected command is rolled back and changes nothing);
 *    3. apply subscription events that are next in order, catch up gaps from outboxes;
 *    4. commit every partition's batch atomically (state, dedup records, outbox events,
 *       cursors), all in one pipelined round trip;
 *    5. only then ack the commands and publish the events; answer the queries.
 *
 *  Handlers are plain C over the decoded protobuf structs: they read state through the store,
 *  add writes and events through the context, and never touch sockets.
 */
#ifndef CHEJIAN_SERVICE_H
#define CHEJIAN_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/config.h"
#include "chejian/ctx.h"
#include "chejian/envelope.h"
#include "chejian/metrics.h"
#include "chejian/problem.h"
#include "chejian/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cj_service_t cj_service_t;

/*  Validates the body of 'env' without reading state; adds every problem found.  */
typedef int (cj_validate_fn) (const cj_envelope_t *env, cj_problems_t *problems);
/*  Applies a command or an event from a subscription: reads state, adds writes and events
 *  through 'ctx'. To reject a command, add problems to cj_ctx_problems and return -1: its
 *  writes are rolled back and it gets REJECTED. Returning -1 without a problem means "cannot
 *  decide now" (Redis unreachable): the command gets UNAVAILABLE and is retried by its sender.
 *  For a subscription event a non-zero return dead-letters it.  */
typedef int (cj_apply_fn) (cj_ctx_t *ctx, const cj_envelope_t *env);
/*  Answers a query: sets a result on 'ack' (owned by the caller; anything the handler
 *  allocates for it is freed by the handler's cj_ctx_defer_free calls), or adds problems.  */
typedef int (cj_query_fn) (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack);
/*  Partition life cycle: called when a partition is gained, lost, or its commit failed (the
 *  service drops or reloads whatever it caches for it), and before each commit (to flush
 *  aggregates kept in memory into the batch).  */
typedef void (cj_partition_fn) (void *arg, uint32_t partition);
typedef int  (cj_flush_fn) (void *arg, uint32_t partition, cj_batch_t *batch);

typedef struct {
    int             body_case;   /* CHEJIAN__V1__ENVELOPE__BODY_<X> */
    cj_validate_fn *validate;    /* may be NULL */
    cj_apply_fn    *apply;       /* commands */
    cj_query_fn    *query;       /* queries */
} cj_handler_t;

typedef struct {
    const char         *producer;  /* short name of the producing service, e.g. "reg" */
    const char         *endpoint_var; /* config variable with its PUB endpoint */
    const cj_handler_t *handlers;  /* apply functions by event body case */
    size_t              nhandlers;
} cj_subscription_t;

typedef struct {
    const char               *name;        /* "registry": logs, metrics, config prefix */
    const char               *short_name;  /* "reg": key space and PUB topics */
    cj_owner_t                owner;       /* which body range this service accepts */
    const char               *summary;     /* a paragraph for --help */
    const cj_handler_t       *handlers;
    size_t                    nhandlers;
    const cj_subscription_t  *subscriptions;
    size_t                    nsubscriptions;
    const cj_config_option_t *options;     /* the service's own configuration */
    size_t                    noptions;
    cj_partition_fn          *partition_reset;
    cj_flush_fn              *flush;
    void                     *arg;
    /*  Read ahead (see cj_ctx_probe): before applying a turn's commands and events, run each
     *  handler in probing mode to learn the state it reads, and fetch that for the whole turn
     *  in a few pipelined round trips instead of one per read. Only for services whose
     *  handlers have no effects beyond the batch (payroll keeps aggregates in memory).  */
    bool                      read_ahead;
    int                       default_port_base;  /* ROUTER port; PUB +1; metrics +1000 */
    /*  Called once the configuration is loaded, before any socket or Redis connection: loads
     *  what the service needs (key files ...). Returns 0, or -1 with a message in 'err' naming
     *  the variable at fault: the process then exits 2 (a configuration error).  */
    int                     (*init) (void *arg, const cj_config_t *config, char *err,
                                     size_t err_size);
    /*  Called at exit after a successful init.  */
    void                    (*fini) (void *arg);
} cj_service_def_t;

/*  Runs the service; returns the process exit code (0 after a clean SIGTERM/SIGINT).  */
int cj_service_main (const cj_service_def_t *def, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
