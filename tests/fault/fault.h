/*  fault.h - the fault test's parts: the load generator with its ledger (fault_load.c), the
 *  state snapshot and the checks (fault_check.c), and the private redis-server and the fault
 *  schedule (fault_main.c). See README.md beside this file.  */
#ifndef CHEJIAN_FAULT_H
#define CHEJIAN_FAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/client.h"
#include "sample.h"
#include "test_system.h"

/*  ---- the seeded generator (xorshift64*) ----  */
uint64_t fault_rand (uint64_t *state);
int      fault_between (uint64_t *state, int lo, int hi);   /* lo..hi inclusive */

/*  ---- the failures found: printed at once, counted ----  */
void fault_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
int  fault_failures (void);

/*  ---- the ledger ----  */

typedef enum {
    FI_PENDING,     /* not sent yet (or to be sent again from scratch) */
    FI_INFLIGHT,    /* sent, waiting for its Ack until due_ms */
    FI_RETRY,       /* to be sent again, same bytes, at due_ms */
    FI_ACKED,       /* first ACCEPTED or DUPLICATE recorded */
    FI_ABANDONED,   /* in flight at a fault and given up; resolved at the end of its phase */
    FI_FAILED,      /* refused for good: a failure of the run */
} fault_item_state_t;

typedef struct {
    char      *event_id;
    uint8_t   *bytes;          /* the packed Envelope: every send is these bytes */
    size_t     len;
    int        agency;         /* index of the source's client */
    int        file;           /* sample_file_t: the barrier it belongs to */
    int        body_case;
    long       dep;            /* item acknowledged before this one is sent, or -1 */
    fault_item_state_t state;
    int64_t    due_ms;
    int        sends;
    int        first_status;   /* of the first ACCEPTED/DUPLICATE Ack */
    uint64_t   first_seq, last_seq;
    bool       probe_pending;  /* a re-send of the acknowledged envelope is in flight */
    bool       was_abandoned;
    bool       seen_applied;   /* an ACCEPTED/DUPLICATE arrived while abandoned */
    int        expect;         /* after resolution: 1 applied (DUPLICATE), 0 not, -1 none */
    int        sends_at_resolve;
    /* wage reports: what the ledger implies */
    char      *workshop;       /* SubmitWageReport: workshop and period */
    int        period;
    bool       corrected;      /* a correction of it is in the item list */
} fault_item_t;

typedef struct {
    long sent, acked, accepted, duplicates, retries, timeouts, unavailable, not_yet_known;
    long probes, probes_ok, abandoned, resolved_applied, resolved_missing, late_acks;
} fault_counts_t;

typedef struct fault_load_t fault_load_t;
/*  Called by the load loop every turn with the fraction of items acknowledged.  */
typedef void (fault_tick_fn) (void *arg, double progress);

/*  A load over 'sys' through its gateway with the three agencies' key pairs ('kps': hrss,
 *  finance, bank). 'seed' drives every random choice. The items are added next.  */
fault_load_t *fault_load_new (cj_test_system_t *sys, const cj_curve_keypair_t kps[3],
                              uint64_t seed);
void          fault_load_destroy (fault_load_t **self_p);
/*  The sample's items, plus 'corrections' wage-report corrections (each depends on its
 *  original). Returns 0 or -1.  */
int           fault_load_add_sample (fault_load_t *self, const sample_t *sample, int corrections);
/*  The items of 'from', in its ledger order (acknowledged items only), for the reference run.  */
int           fault_load_add_ledger (fault_load_t *self, const fault_load_t *from);
/*  Knobs: requests in flight, a pace in items per second (0 none), re-sends of acknowledged
 *  envelopes per 1000 sends, and the turn callback.  */
void          fault_load_set (fault_load_t *self, int window, double pace, int probe_permille,
                              fault_tick_fn *tick, void *tick_arg);
/*  Sends the files [first, last] (barrier between files) until every item is acknowledged,
 *  abandoned items resolved. Returns 0, or -1 on a timeout of 'timeout_s'.  */
int           fault_load_run (fault_load_t *self, int first, int last, int timeout_s);
/*  Wage reports in flight that could be abandoned.  */
int           fault_load_inflight_reports (const fault_load_t *self);
/*  Marks about 'percent' % of the wage reports in flight as abandoned.  */
int           fault_load_abandon (fault_load_t *self, int percent);
/*  Tells the loop that something was disturbed now (a fault): abandoned items are resolved
 *  only some seconds after the last disturbance.  */
void          fault_load_disturbed (fault_load_t *self);
const fault_counts_t *fault_load_counts (const fault_load_t *self);
size_t        fault_load_count (const fault_load_t *self);
const fault_item_t *fault_load_item (const fault_load_t *self, size_t i);
/*  Item indexes in ledger order (first acknowledgement).  */
const long   *fault_load_ledger (const fault_load_t *self, size_t *ret_n);
void          fault_load_pump (fault_load_t *self, int ms);   /* receive for 'ms' */

/*  ---- the snapshot and the checks (fault_check.c) ----  */

/*  Asks every query the checks compare; returns {name: result JSON} or NULL.  */
json_t *fault_snapshot (cj_test_system_t *sys, const fault_load_t *load);
/*  The checks of one snapshot against the ledger and the sample's figures (every failure
 *  reported through fault_fail). Returns the number of checks passed.  */
int     fault_check_ledger (cj_test_system_t *sys, const fault_load_t *load, json_t *snap,
                            const sample_t *sample);
/*  The fault run's snapshot against the reference run's. Returns the number of keys equal.  */
int     fault_check_same (json_t *fault, json_t *reference);
/*  Dead-letter lists and outboxes straight from Redis: no dead letter, dense seqs, no event
 *  id twice. Adds "outbox:<svc>" (sorted event ids) to 'snap'. Returns checks passed.  */
int     fault_check_redis (const char *redis_url, json_t *snap);
/*  One query straight to a service's ROUTER: the Ack (cj_ack_free), NULL after 10 s of
 *  attempts.  */
cj_ack_t *fault_query (const char *router, int body_case, void *query);

#endif
