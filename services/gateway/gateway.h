/*  gateway.h - chejian-gateway: the one endpoint agencies reach (CURVE ROUTER), in front of
 *  the services' internal ROUTERs. See docs/2026-11-23-gateway-cli.md for the contract.
 *
 *  The parts, each without the others' sockets so that each can be tested alone:
 *      gw_agencies.c  the agencies file: who may connect (keys), send what (bodies), where
 *                     (counties); the permission check of one envelope;
 *      gw_pending.c   requests forwarded to a service and not yet answered, by tag;
 *      gw_zap.c       the ZAP handler (RFC 27) that lets known CURVE keys in;
 *      gw_gateway.c   configuration, sockets, metrics, SIGHUP reload, main;
 *      gw_loop.c      the zmq_poll loop: requests in, forwarding, replies, deadlines, stop.
 */
#ifndef CHEJIAN_GATEWAY_H
#define CHEJIAN_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/bus.h"
#include "chejian/config.h"
#include "chejian/curve.h"
#include "chejian/envelope.h"
#include "chejian/metrics.h"
#include "chejian/problem.h"

#define GW_AGENCIES_MAX   1000     /* agencies in one file */
#define GW_COUNTIES_MAX   64       /* jurisdiction prefixes of one agency */
#define GW_BODY_MAX       1000     /* body numbers are 100..999 */
#define GW_PENDING_MAX    16384    /* requests in flight, all agencies together */
#define GW_ZAP_ENDPOINT   "inproc://zeromq.zap.01"
#define GW_ZAP_DOMAIN     "chejian"
#define GW_KEY_PROPERTY   "X-Chejian-Key"   /* ZAP metadata: the Z85 key the peer used */

/*  ---- agencies (gw_agencies.c) ----  */

typedef struct {
    char     id[CJ_CURVE_AGENCY_MAX + 1];
    char     public_key[CJ_CURVE_Z85 + 1];
    uint8_t  key[32];                          /* public_key decoded */
    size_t   ncounties;
    char     counties[GW_COUNTIES_MAX][7];     /* prefixes; "" matches every county ("*") */
    uint8_t  may_send[GW_BODY_MAX / 8 + 1];    /* bit per body number */
    size_t   in_flight;                        /* owned by the loop; carried over on reload */
} gw_agency_t;

typedef struct gw_agencies_t gw_agencies_t;

/*  Reads and checks the agencies file at 'path' (docs/2026-11-23-gateway-cli.md). Returns
 *  the set (destroy with gw_agencies_destroy), or NULL with a message naming the file, the
 *  entry and the fix in 'err'. Never puts a key in 'err'.  */
gw_agencies_t *gw_agencies_load (const char *path, char *err, size_t err_size);
void           gw_agencies_destroy (gw_agencies_t **self_p);
size_t         gw_agencies_count (const gw_agencies_t *self);
/*  The agency with 'id', or with the 32-byte public 'key'; NULL when none.  */
gw_agency_t   *gw_agencies_by_id (gw_agencies_t *self, const char *id);
gw_agency_t   *gw_agencies_by_key (gw_agencies_t *self, const uint8_t key[32]);
/*  Copies the in-flight counts of 'old' into the agencies of 'self' with the same id.  */
void           gw_agencies_carry (gw_agencies_t *self, gw_agencies_t *old);

/*  True when 'agency' may send body number 'body_case' (never an event or a test body).  */
bool gw_agency_may_send (const gw_agency_t *agency, int body_case);
/*  Checks a validated envelope against 'agency': source, county, body. Returns 0, or -1
 *  after adding a PERMISSION_DENIED problem for each of them that is not allowed.  */
int  gw_agency_permit (const gw_agency_t *agency, const cj_envelope_t *env,
                       cj_problems_t *problems);

/*  ---- pending requests (gw_pending.c) ----  */

typedef struct {
    uint64_t   tag;              /* 0 when the slot is free */
    int64_t    deadline_ms;      /* monotonic */
    int64_t    received_ns;      /* monotonic, for the latency histogram */
    cj_owner_t owner;
    uint8_t   *route;            /* the agency's routing frames, packed */
    size_t     route_len;
    char       agency[CJ_CURVE_AGENCY_MAX + 1];
    char       event_id[CJ_EVENT_ID_MAX + 1];
    char       trace_id[CJ_TRACE_ID_MAX + 1];
} gw_request_t;

typedef struct gw_pending_t gw_pending_t;

/*  A table for at most 'max' requests in flight (tags are chosen so that every lookup is
 *  one slot). Returns NULL when out of memory.  */
gw_pending_t *gw_pending_new (size_t max);
void          gw_pending_destroy (gw_pending_t **self_p);
size_t        gw_pending_count (const gw_pending_t *self);
/*  A new entry with a fresh tag and 'deadline_ms' (deadlines must not decrease from one call
 *  to the next), or NULL when 'max' are in flight. The caller fills the rest.  */
gw_request_t *gw_pending_add (gw_pending_t *self, int64_t deadline_ms);
/*  The entry of 'tag', or NULL (answered, expired, or never issued).  */
gw_request_t *gw_pending_find (gw_pending_t *self, uint64_t tag);
/*  Frees the entry's route and the slot.  */
void          gw_pending_remove (gw_pending_t *self, gw_request_t *request);
/*  The oldest entry whose deadline is at or before 'now_ms', or NULL.  */
gw_request_t *gw_pending_expired (gw_pending_t *self, int64_t now_ms);
/*  The earliest deadline in the table, or -1 when it is empty.  */
int64_t       gw_pending_next_deadline (gw_pending_t *self);
/*  Keeps a copy of 'route' on 'request' (replaces any). Returns 0, or -1 when out of memory.  */
int           gw_request_set_route (gw_request_t *request, const cj_route_t *route);
/*  The route kept on 'request', into 'route'.  */
void          gw_request_route (const gw_request_t *request, cj_route_t *route);

/*  ---- ZAP (gw_zap.c) ----  */

/*  Binds the ZAP handler's socket in 'zctx'; must happen before any CURVE socket binds.
 *  Returns the socket, or NULL with errno set.  */
void *gw_zap_new (void *zctx);
/*  Answers one ZAP request waiting on 'zap' from 'agencies'. Returns 1 when the peer was
 *  let in, 0 when refused (its address, for the log, in 'ret_address'), -1 when nothing was
 *  waiting.  */
int   gw_zap_handle (void *zap, gw_agencies_t *agencies, char *ret_address,
                     size_t address_size);

/*  ---- the gateway (gw_gateway.c, gw_loop.c) ----  */

typedef struct {
    cj_counter_t   *requests[4][5];      /* by owner (0 = none) and Ack status */
    cj_gauge_t     *in_flight[4];        /* by owner */
    cj_histogram_t *latency[4];          /* by owner */
    cj_counter_t   *auth_refused, *permission_denied, *late_replies, *malformed;
    cj_counter_t   *reload_failures;
    cj_gauge_t     *agencies;
} gw_metrics_t;

/*  At most one log line per second for what a peer can make happen many times a second.  */
typedef struct {
    int64_t  last_ms;
    uint64_t suppressed;       /* lines not written since the last one */
} gw_ratelog_t;

typedef struct {
    cj_config_t        *config;
    cj_metrics_t       *metrics;
    cj_http_t          *http;
    gw_metrics_t        m;
    gw_agencies_t      *agencies;
    gw_pending_t       *pending;
    void               *zctx;
    void               *zap;             /* REP, inproc://zeromq.zap.01 */
    void               *router;          /* agencies, CURVE */
    void               *dealer[4];       /* by owner; [0] unused */
    const char         *agencies_path;
    int64_t             timeout_ms;
    size_t              max_in_flight;   /* per agency */
    gw_ratelog_t        log_refused, log_overloaded, log_unavailable[4];
} gw_t;

/*  The process: --help, configuration, sockets, the loop, a clean stop. Returns the exit
 *  code (0, 1 runtime failure, 2 usage or configuration).  */
int  gw_main (int argc, char **argv);

/*  Reads the agencies file again (SIGHUP); a bad file keeps the loaded one.  */
void gw_reload (gw_t *self);

/*  SIGTERM/SIGINT ask the loop to stop, SIGHUP to reload; SIGPIPE is ignored.  */
void gw_signals_install (void);

/*  Runs the loop until SIGTERM/SIGINT, then answers what is in flight (relayed when the
 *  service answers within the timeout, at most 8 s, UNAVAILABLE otherwise) and returns.  */
void gw_run (gw_t *self);

#endif
