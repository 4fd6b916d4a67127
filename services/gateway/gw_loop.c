/*  gw_loop.c - the gateway's single-threaded zmq_poll loop. See gateway.h.
 *
 *  One turn: answer ZAP requests (handshakes), take agency requests (check, then forward
 *  [tag][envelope] to the owning service's DEALER), relay service replies ([tag][ack]) to
 *  the agency that asked, answer UNAVAILABLE for requests past their deadline.  */
#include "gateway.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "chejian/log.h"

#define S_REQUESTS_PER_TURN 256     /* agency requests taken per turn */
#define S_REPLIES_PER_TURN  1024    /* replies relayed per service per turn */
#define S_POLL_MAX_MS       100
#define S_STOP_GRACE_MS     8000    /* within the 10 s a stop may take */
#define S_RATELOG_MS        1000    /* see gw_ratelog_t */

#define S_ACCEPTED    CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define S_REJECTED    CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define S_UNAVAILABLE CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE

static volatile sig_atomic_t s_stop_requested = 0;
static volatile sig_atomic_t s_reload_requested = 0;

static void
s_on_stop (int signo)
{
    (void) signo;
    s_stop_requested = 1;
}

static void
s_on_reload (int signo)
{
    (void) signo;
    s_reload_requested = 1;
}

void
gw_signals_install (void)
{
    struct sigaction stop = { .sa_handler = s_on_stop }, reload = { .sa_handler = s_on_reload };
    sigemptyset (&stop.sa_mask);
    sigemptyset (&reload.sa_mask);
    sigaction (SIGTERM, &stop, NULL);
    sigaction (SIGINT, &stop, NULL);
    sigaction (SIGHUP, &reload, NULL);
    signal (SIGPIPE, SIG_IGN);
}

static int64_t
s_mono_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t s_mono_ms (void) { return s_mono_ns () / 1000000; }

/*  True when a line of the kind 'r' counts may be written now; the number of lines held back
 *  since the last one goes to 'ret_suppressed'.  */
static bool
s_ratelog (gw_ratelog_t *r, uint64_t *ret_suppressed)
{
    int64_t now = s_mono_ms ();
    if (r->last_ms && now - r->last_ms < S_RATELOG_MS) {
        r->suppressed++;
        return false;
    }
    *ret_suppressed = r->suppressed;
    r->last_ms = now;
    r->suppressed = 0;
    return true;
}

/*  ---- answers made by the gateway ----  */

/*  Sends an Ack with 'status' and 'problems' (may be NULL) for 'event_id' along 'route',
 *  and counts it under 'owner'.  */
static void
s_answer (gw_t *self, const cj_route_t *route, cj_owner_t owner, const char *event_id,
          Chejian__V1__AckStatus status, const cj_problems_t *problems)
{
    size_t len;
    uint8_t *ack = cj_ack_pack_simple (event_id, status, problems, &len);
    if (ack && cj_router_send (self->router, route, ack, len) != 0)
        cj_debug ("answer to an agency that is gone: %s", zmq_strerror (errno));
    free (ack);
    cj_counter_add (self->m.requests[owner][status], 1);
}

/*  The same with one problem. Logged at debug with the event's ids, and at 'level' at most
 *  once a second for the kind 'r' counts (with how many were not logged).  */
static void __attribute__ ((format (printf, 11, 12)))
s_answer_problem (gw_t *self, const cj_route_t *route, cj_owner_t owner, const char *event_id,
                  const char *trace_id, Chejian__V1__AckStatus status, cj_log_level_t level,
                  gw_ratelog_t *r, const char *field, const char *code, const char *fmt, ...)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    char message[CJ_PROBLEM_MESSAGE];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    cj_problems_add (&problems, field, code, "%s", message);
    const char *what = status == S_REJECTED ? "rejected" : "unavailable";
    cj_log_write (CJ_LOG_DEBUG, event_id, trace_id, NULL, "%s: %s: %s", what, code, message);
    uint64_t held_back;
    if (cj_log_enabled (level) && s_ratelog (r, &held_back))
        cj_log_write (level, event_id, trace_id, NULL, "%s: %s: %s (and %llu more like it "
                      "since the last such line)", what, code, message,
                      (unsigned long long) held_back);
    s_answer (self, route, owner, event_id, status, &problems);
}

/*  REJECTED with every problem of 'problems', logged at info.  */
static void
s_reject (gw_t *self, const cj_route_t *route, const cj_envelope_t *env,
          const cj_problems_t *problems)
{
    if (cj_log_enabled (CJ_LOG_INFO)) {
        char text[512];
        cj_problems_format (problems, text, sizeof text);
        cj_log_write (CJ_LOG_INFO, env ? env->event_id : NULL, env ? env->trace_id : NULL,
                      NULL, "rejected %s: %s", env ? cj_body_name (env->body_case) : "message",
                      text);
    }
    s_answer (self, route, env ? cj_body_owner (env->body_case) : CJ_OWNER_NONE,
              env ? env->event_id : "", S_REJECTED, problems);
}

/*  ---- requests from agencies ----  */

/*  The agency that sent 'payload', from the connection's ZAP user id, as long as the key it
 *  connected with is still that agency's in the agencies file; else NULL with a problem.  */
static gw_agency_t *
s_agency_of (gw_t *self, zmq_msg_t *payload, cj_problems_t *problems)
{
    const char *id = zmq_msg_gets (payload, "User-Id");
    const char *key = zmq_msg_gets (payload, GW_KEY_PROPERTY);
    gw_agency_t *agency = gw_agencies_by_id (self->agencies, id);
    if (agency && key && strcmp (agency->public_key, key) == 0)
        return agency;
    cj_problems_add (problems, "", CJ_E_PERMISSION_DENIED, "the key of this connection is no "
                     "longer in the agencies file; connect again with a current key");
    return NULL;
}

/*  A request leaves the table: the agency and the service have one less in flight.  */
static void
s_complete (gw_t *self, gw_request_t *request)
{
    gw_agency_t *agency = gw_agencies_by_id (self->agencies, request->agency);
    if (agency && agency->in_flight > 0)
        agency->in_flight--;
    cj_gauge_add (self->m.in_flight[request->owner], -1);
    cj_histogram_observe (self->m.latency[request->owner],
                          (double) (s_mono_ns () - request->received_ns) / 1e9);
    gw_pending_remove (self->pending, request);
}

/*  Records 'env' as in flight for 'agency' and sends [tag][payload] to its service. Answers
 *  at once when the agency or the gateway is at its limit or the service is away.  */
static void
s_forward (gw_t *self, const cj_route_t *route, zmq_msg_t *payload, const cj_envelope_t *env,
           gw_agency_t *agency)
{
    cj_owner_t owner = cj_body_owner (env->body_case);
    const char *service = cj_owner_name (owner);
    if (agency->in_flight >= self->max_in_flight) {
        s_answer_problem (self, route, owner, env->event_id, env->trace_id, S_UNAVAILABLE,
                          CJ_LOG_WARN, &self->log_overloaded, "", CJ_E_OVERLOADED,
                          "agency '%s' has %zu requests in flight, its limit; retry later "
                          "with the same event_id", agency->id, agency->in_flight);
        return;
    }
    gw_request_t *request = gw_pending_add (self->pending, s_mono_ms () + self->timeout_ms);
    if (!request) {
        s_answer_problem (self, route, owner, env->event_id, env->trace_id, S_UNAVAILABLE,
                          CJ_LOG_WARN, &self->log_overloaded, "", CJ_E_OVERLOADED,
                          "the gateway has %d requests in flight, its limit; retry later "
                          "with the same event_id", GW_PENDING_MAX);
        return;
    }
    request->owner = owner;
    request->received_ns = s_mono_ns ();
    snprintf (request->agency, sizeof request->agency, "%s", agency->id);
    snprintf (request->event_id, sizeof request->event_id, "%s", env->event_id);
    snprintf (request->trace_id, sizeof request->trace_id, "%s", env->trace_id);
    void *dealer = self->dealer[owner];
    if (gw_request_set_route (request, route) != 0
        || zmq_send (dealer, &request->tag, sizeof request->tag, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        gw_pending_remove (self->pending, request);
        s_answer_problem (self, route, owner, env->event_id, env->trace_id, S_UNAVAILABLE,
                          CJ_LOG_WARN, &self->log_unavailable[owner], service,
                          CJ_E_SERVICE_UNAVAILABLE, "%s is not connected to the gateway (down "
                          "or restarting); retry with the same event_id", service);
        return;
    }
    agency->in_flight++;
    cj_gauge_add (self->m.in_flight[owner], 1);
    zmq_msg_send (payload, dealer, ZMQ_DONTWAIT);  /* a message's later parts always go */
}

/*  Checks one request (decode, header, permission) and forwards it or answers it.  */
static void
s_on_request (gw_t *self, const cj_route_t *route, zmq_msg_t *payload)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_envelope_t *env = cj_envelope_decode (zmq_msg_data (payload), zmq_msg_size (payload),
                                             &problems);
    if (!env) {
        s_reject (self, route, NULL, &problems);
        return;
    }
    if (cj_envelope_validate (env, &problems) != 0) {
        s_reject (self, route, env, &problems);          /* header problems: never forwarded */
        goto done;
    }
    gw_agency_t *agency = s_agency_of (self, payload, &problems);
    if (!agency || gw_agency_permit (agency, env, &problems) != 0) {
        cj_counter_add (self->m.permission_denied, 1);
        s_reject (self, route, env, &problems);
        goto done;
    }
    s_forward (self, route, payload, env, agency);
done:
    cj_envelope_free (&env);
}

static void
s_take_requests (gw_t *self)
{
    for (int i = 0; i < S_REQUESTS_PER_TURN; i++) {
        cj_route_t route;
        zmq_msg_t payload;
        size_t malformed = 0;
        int rc = cj_router_recv (self->router, &route, &payload, &malformed);
        cj_counter_add (self->m.malformed, malformed);
        if (rc <= 0 && malformed == 0)
            return;
        if (rc == 1) {
            s_on_request (self, &route, &payload);
            zmq_msg_close (&payload);
        }
    }
}

/*  ---- replies from services ----  */

static int
s_varint (const uint8_t *data, size_t len, size_t *at, uint64_t *ret_value)
{
    uint64_t value = 0;
    for (int shift = 0; *at < len && shift < 64; shift += 7) {
        uint8_t byte = data[(*at)++];
        value |= (uint64_t) (byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *ret_value = value;
            return 0;
        }
    }
    return -1;
}

/*  The status of a packed Ack (field 2, a varint), read without decoding the rest (a page
 *  of events can be large). UNSPECIFIED when absent or unreadable.  */
static Chejian__V1__AckStatus
s_ack_status (const uint8_t *data, size_t len)
{
    size_t at = 0;
    uint64_t key, value;
    while (at < len && s_varint (data, len, &at, &key) == 0) {
        int wire = (int) (key & 7);
        if (wire == 0 && s_varint (data, len, &at, &value) == 0) {
            if (key >> 3 == 2)
                return value < 5 ? (Chejian__V1__AckStatus) value : 0;
        } else if (wire == 2 && s_varint (data, len, &at, &value) == 0 && value <= len - at)
            at += value;
        else if (wire == 1 || wire == 5)
            at += wire == 1 ? 8 : 4;
        else
            break;
    }
    return 0;
}

/*  Receives one reply [tag][ack] from 'owner''s DEALER into 'ret_tag' and 'ack' (the caller
 *  closes it). Returns 1, 0 when none is waiting, -1 for a malformed reply (consumed).  */
static int
s_recv_reply (void *dealer, uint64_t *ret_tag, zmq_msg_t *ack)
{
    zmq_msg_t tag;
    zmq_msg_init (&tag);
    zmq_msg_init (ack);
    if (zmq_msg_recv (&tag, dealer, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&tag);
        return 0;
    }
    bool ok = zmq_msg_more (&tag) && zmq_msg_size (&tag) == sizeof *ret_tag;
    if (ok)
        memcpy (ret_tag, zmq_msg_data (&tag), sizeof *ret_tag);
    int more = zmq_msg_more (&tag);
    zmq_msg_close (&tag);
    for (int part = 0; more; part++) {
        zmq_msg_close (ack);
        zmq_msg_init (ack);
        if (zmq_msg_recv (ack, dealer, 0) < 0)
            return -1;
        more = zmq_msg_more (ack);
        ok = ok && part == 0 && !more;
    }
    return ok ? 1 : -1;
}

/*  Relays replies of 'owner''s service to the agencies that asked.  */
static void
s_relay_replies (gw_t *self, cj_owner_t owner)
{
    for (int i = 0; i < S_REPLIES_PER_TURN; i++) {
        uint64_t tag = 0;
        zmq_msg_t ack;
        int rc = s_recv_reply (self->dealer[owner], &tag, &ack);
        gw_request_t *request = rc == 1 ? gw_pending_find (self->pending, tag) : NULL;
        if (rc != 0 && (!request || request->owner != owner)) {
            cj_counter_add (self->m.late_replies, 1);
            cj_debug ("%s: reply dropped (late or malformed)", cj_owner_name (owner));
        } else if (request) {
            cj_route_t route;
            gw_request_route (request, &route);
            if (cj_router_send (self->router, &route, zmq_msg_data (&ack), zmq_msg_size (&ack)))
                cj_debug ("reply to an agency that is gone: %s", zmq_strerror (errno));
            cj_counter_add (self->m.requests[owner][s_ack_status (zmq_msg_data (&ack),
                                                                  zmq_msg_size (&ack))], 1);
            s_complete (self, request);
        }
        zmq_msg_close (&ack);
        if (rc == 0)
            return;
    }
}

/*  Answers UNAVAILABLE for every request whose deadline is at or before 'now_ms' (for all
 *  of them when 'stopping').  */
static void
s_expire (gw_t *self, int64_t now_ms, bool stopping)
{
    gw_request_t *request;
    while ((request = gw_pending_expired (self->pending, stopping ? INT64_MAX : now_ms))) {
        cj_route_t route;
        gw_request_route (request, &route);
        const char *service = cj_owner_name (request->owner);
        s_answer_problem (self, &route, request->owner, request->event_id, request->trace_id,
                          S_UNAVAILABLE, CJ_LOG_WARN, &self->log_unavailable[request->owner],
                          service, CJ_E_SERVICE_UNAVAILABLE,
                          "%s did not answer %s; retry with the same event_id", service,
                          stopping ? "before the gateway stopped" : "in time");
        s_complete (self, request);
    }
}

/*  ---- handshakes ----  */

static void
s_serve_zap (gw_t *self)
{
    char address[64];
    int rc;
    while ((rc = gw_zap_handle (self->zap, self->agencies, address, sizeof address)) >= 0) {
        uint64_t held_back;
        if (rc == 1)
            cj_debug ("an agency connected from %s", address);
        else {
            cj_counter_add (self->m.auth_refused, 1);
            if (s_ratelog (&self->log_refused, &held_back))
                cj_info ("refused a CURVE handshake from %s: its key is not in the agencies "
                         "file (and %llu more since the last such line)", address,
                         (unsigned long long) held_back);
        }
    }
}

/*  ---- the loop ----  */

/*  How long the next poll may wait: until the next deadline, at most S_POLL_MAX_MS.  */
static long
s_poll_timeout (gw_t *self, int64_t now, int64_t stop_at)
{
    int64_t until = now + S_POLL_MAX_MS;
    int64_t deadline = gw_pending_next_deadline (self->pending);
    if (deadline >= 0 && deadline < until)
        until = deadline;
    if (stop_at && stop_at < until)
        until = stop_at;
    return until > now ? (long) (until - now) : 0;
}

/*  Starts the stop: no more requests are read; returns when the grace ends.  */
static int64_t
s_begin_stop (gw_t *self, int64_t now)
{
    int64_t grace = self->timeout_ms < S_STOP_GRACE_MS ? self->timeout_ms : S_STOP_GRACE_MS;
    cj_info ("stopping: waiting up to %lld ms for %zu requests in flight", (long long) grace,
             gw_pending_count (self->pending));
    cj_http_set_ready (self->http, false, "stopping");
    return now + grace;
}

void
gw_run (gw_t *self)
{
    int64_t stop_at = 0;
    for (;;) {
        int64_t now = s_mono_ms ();
        if (s_reload_requested) {
            s_reload_requested = 0;
            gw_reload (self);
        }
        if (s_stop_requested && !stop_at)
            stop_at = s_begin_stop (self, now);
        if (stop_at && (gw_pending_count (self->pending) == 0 || now >= stop_at))
            break;
        cj_http_tick (self->http);
        zmq_pollitem_t items[5] = {
            { self->zap, 0, ZMQ_POLLIN, 0 },
            { self->dealer[CJ_OWNER_REGISTRY], 0, ZMQ_POLLIN, 0 },
            { self->dealer[CJ_OWNER_PAYROLL], 0, ZMQ_POLLIN, 0 },
            { self->dealer[CJ_OWNER_ADJUDICATOR], 0, ZMQ_POLLIN, 0 },
            { self->router, 0, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, stop_at ? 4 : 5, s_poll_timeout (self, now, stop_at)) < 0
            && errno != EINTR) {
            cj_error ("zmq_poll: %s", zmq_strerror (errno));
            break;
        }
        s_serve_zap (self);
        for (cj_owner_t o = CJ_OWNER_REGISTRY; o <= CJ_OWNER_ADJUDICATOR; o++)
            s_relay_replies (self, o);
        if (!stop_at)
            s_take_requests (self);
        s_expire (self, s_mono_ms (), false);
    }
    s_expire (self, 0, true);            /* what is left gets UNAVAILABLE */
    int linger = 1000;                   /* and those answers leave before the socket closes */
    zmq_setsockopt (self->router, ZMQ_LINGER, &linger, sizeof linger);
}
