/*  service.c - the service runtime: configuration, sockets, leases, the batch loop.
 *  See include/chejian/service.h.  */
#include "chejian/service.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "chejian/bus.h"
#include "chejian/log.h"

#define S_NAME_MAX        64
#define S_DEDUP_SEP       "\x1f"
#define S_TRIM_EVERY_MS   10000
#define S_HEARTBEAT_MS    1000
#define S_CATCHUP_MAX     4096      /* events read from outboxes per loop turn */
#define S_PROBE_ROUNDS    4         /* read-ahead rounds: reads that depend on reads */
#define S_STOP_GRACE_MS   8000

static volatile sig_atomic_t s_stop_requested = 0;

static void
s_on_signal (int signo)
{
    (void) signo;
    s_stop_requested = 1;
}

typedef struct {
    cj_route_t          route;
    zmq_msg_t           payload;
    int64_t             received_ns;
    cj_envelope_t      *env;
    const cj_handler_t *handler;
    uint32_t            partition;
    bool                done;        /* answered already (rejected, unavailable ...) */
    int                 dup_of;      /* index of an earlier request with the same id, or -1 */
    redisReply         *outcome;     /* dedup record found in Redis */
    size_t              ev_first, ev_count;
    uint8_t            *accepted;    /* the Ack a retry will see, written at commit */
    size_t              accepted_len;
    char                dedup_field[CJ_SOURCE_MAX + CJ_EVENT_ID_MAX + 2];
} s_request_t;

typedef struct {
    bool     owned;
    uint64_t token;
    uint64_t head;               /* last outbox seq committed */
    int64_t  dedup_gen_expired;  /* last dedup generation given a TTL by this process */
} s_partition_t;

typedef struct {
    cj_service_t            *service;
    const cj_subscription_t *def;
} s_sub_arg_t;


struct cj_service_t {
    const cj_service_def_t *def;
    cj_config_t            *config;
    cj_config_option_t      common[32];
    char                    names[5][S_NAME_MAX];
    char                    values[5][96];
    char                    instance[128];
    cj_store_t             *store;
    cj_ctx_t               *ctx;       /* handed to every handler */
    void                   *zctx;
    void                   *router;
    cj_pub_t               *pub;
    cj_sub_t              **subs;
    s_sub_arg_t            *sub_args;
    cj_metrics_t           *metrics;
    cj_http_t              *http;
    uint32_t                partitions;
    s_partition_t          *part;
    cj_batch_t            **batch;     /* one per partition */
    cj_batch_t            **active;    /* batch[p] when owned, else NULL */
    s_request_t            *req;
    size_t                  nreq, max_batch;
    int                     lease_ttl_ms;
    int64_t                 dedup_window_ms;
    uint64_t                outbox_keep;
    int64_t                 next_lease_ms, next_heartbeat_ms, next_trim_ms;
    size_t                  malformed;
    int64_t                 started_at_ms;
    bool                    ready;
    char                    not_ready_reason[160];
    /* metrics */
    cj_counter_t           *acks[5];   /* by Chejian__V1__AckStatus */
    cj_counter_t           *published, *commit_failures;
    cj_histogram_t         *commit_seconds, *ack_seconds, *batch_size;
    cj_gauge_t             *owned_gauge, **head_gauge, **outbox_gauge;
};

/*  ---- clocks ----  */

static int64_t
s_mono_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t s_mono_ms (void) { return s_mono_ns () / 1000000; }

static int64_t
s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  ---- configuration ----  */

/*  Declares the options every service has, named after the service ("registry" ->
 *  CHEJIAN_REGISTRY_BIND ...), then the service's own.  */
static int
s_declare_config (cj_service_t *self)
{
    const cj_service_def_t *def = self->def;
    char upper[32];
    size_t i;
    for (i = 0; def->name[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char) toupper ((unsigned char) def->name[i]);
    upper[i] = 0;
    int base = def->default_port_base;
    struct { const char *suffix; cj_config_type_t type; char value[96]; const char *help;
             int64_t min, max; } per[] = {
        { "BIND", CJ_CONFIG_STRING, "", "ZeroMQ endpoint the command/query ROUTER binds", 0, 0 },
        { "ENDPOINT", CJ_CONFIG_STRING, "", "Endpoint clients and the gateway connect to", 0, 0 },
        { "PUB_BIND", CJ_CONFIG_STRING, "", "ZeroMQ endpoint the event PUB socket binds", 0, 0 },
        { "PUB_ENDPOINT", CJ_CONFIG_STRING, "", "Endpoint subscribers connect to for events", 0, 0 },
        { "METRICS_PORT", CJ_CONFIG_INT, "", "HTTP port of /metrics, /healthz, /readyz (0 = ephemeral)", 0, 65535 },
    };
    snprintf (per[0].value, sizeof per[0].value, "tcp://127.0.0.1:%d", base);
    snprintf (per[1].value, sizeof per[1].value, "tcp://127.0.0.1:%d", base);
    snprintf (per[2].value, sizeof per[2].value, "tcp://127.0.0.1:%d", base + 1);
    snprintf (per[3].value, sizeof per[3].value, "tcp://127.0.0.1:%d", base + 1);
    snprintf (per[4].value, sizeof per[4].value, "%d", base + 1000);
    size_t n = 0;
    for (i = 0; i < 5; i++, n++) {
        snprintf (self->names[n], S_NAME_MAX, "CHEJIAN_%s_%s", upper, per[i].suffix);
        memcpy (self->values[i], per[i].value, sizeof self->values[i]);
        self->common[n] = (cj_config_option_t) { self->names[n], per[i].type, self->values[i],
                                                 per[i].help, per[i].min, per[i].max };
    }
    static const cj_config_option_t shared[] = {
        { "CHEJIAN_REDIS_URL", CJ_CONFIG_STRING, CJ_STORE_DEFAULT_URL,
          "Redis: redis://[:password@]host[:port][/db] or unix:///path.sock[?db=N]", 0, 0 },
        { "CHEJIAN_REDIS_TIMEOUT_MS", CJ_CONFIG_INT, "5000",
          "Timeout of each Redis connect and command", 100, 600000 },
        { "CHEJIAN_PARTITIONS", CJ_CONFIG_INT, "8",
          "Partitions of the key space; fixed for the life of a deployment", 1, CJ_PARTITIONS_MAX },
        { "CHEJIAN_METRICS_BIND", CJ_CONFIG_STRING, "127.0.0.1",
          "IPv4 address the HTTP metrics server binds (0.0.0.0 in containers)", 0, 0 },
        { "CHEJIAN_LOG_LEVEL", CJ_CONFIG_STRING, "info", "debug, info, warn or error", 0, 0 },
        { "CHEJIAN_INSTANCE_ID", CJ_CONFIG_STRING, NULL,
          "Stable id of this instance for partition leases (default <hostname>-<service>)", 0, 0 },
        { "CHEJIAN_BATCH_MAX", CJ_CONFIG_INT, "512",
          "Messages drained and committed per loop turn", 1, 65536 },
        { "CHEJIAN_LEASE_TTL_MS", CJ_CONFIG_INT, "10000",
          "Partition lease TTL; a dead instance's partitions move after this", 500, 600000 },
        { "CHEJIAN_DEDUP_WINDOW_HOURS", CJ_CONFIG_INT, "168",
          "A retried envelope is recognised for at least this long", 1, 87600 },
        { "CHEJIAN_OUTBOX_KEEP", CJ_CONFIG_INT, "1000000",
          "Outbox events kept per partition below the slowest subscriber's cursor", 0, INT64_MAX },
        { "CHEJIAN_PUB_HWM", CJ_CONFIG_INT, "100000",
          "Events queued per subscriber before PUB drops (they are caught up from Redis)", 1, 10000000 },
        { "CHEJIAN_SUB_HWM", CJ_CONFIG_INT, "100000",
          "Live events queued per subscription before they are dropped (and caught up)", 1, 10000000 },
    };
    for (i = 0; i < sizeof shared / sizeof shared[0]; i++)
        self->common[n++] = shared[i];
    if (cj_config_declare (self->config, self->common, n) != 0
        || (def->noptions && cj_config_declare (self->config, def->options, def->noptions) != 0))
        return -1;
    return 0;
}

static const char *
s_opt (const cj_service_t *self, const char *suffix)
{
    char name[S_NAME_MAX];
    char upper[32];
    size_t i;
    for (i = 0; self->def->name[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char) toupper ((unsigned char) self->def->name[i]);
    upper[i] = 0;
    snprintf (name, sizeof name, "CHEJIAN_%s_%s", upper, suffix);
    for (i = 0; i < 5; i++)
        if (strcmp (self->names[i], name) == 0)
            return self->names[i];
    return NULL;
}

/*  ---- replies ----  */

static void
s_reply (cj_service_t *self, s_request_t *req, cj_ack_t *ack)
{
    size_t len;
    uint8_t *bytes = cj_message_pack (&ack->base, &len);
    if (bytes) {
        if (cj_router_send (self->router, &req->route, bytes, len) != 0)
            cj_debug ("reply to a peer that is gone: %s", zmq_strerror (errno));
        free (bytes);
    }
    if (ack->status < 5)
        cj_counter_add (self->acks[ack->status], 1);
    cj_histogram_observe (self->ack_seconds, (double) (s_mono_ns () - req->received_ns) / 1e9);
    req->done = true;
}

/*  Answers 'req' with 'status' and 'problems' (may be NULL) and logs a rejection.  */
static void
s_reply_status (cj_service_t *self, s_request_t *req, Chejian__V1__AckStatus status,
                const cj_problems_t *problems)
{
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    cj_ack_problems_t storage;
    ack.event_id = req->env ? req->env->event_id : "";
    ack.status = status;
    ack.partition = req->partition;
    cj_ack_attach_problems (&ack, problems, &storage);
    if (problems && problems->count && cj_log_enabled (CJ_LOG_INFO)) {
        char text[512];
        cj_problems_format (problems, text, sizeof text);
        cj_log_write (CJ_LOG_INFO, ack.event_id, req->env ? req->env->trace_id : NULL, NULL,
                      "%s %s: %s", status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
                                       ? "rejected" : "unavailable",
                      req->env ? cj_body_name (req->env->body_case) : "message", text);
    }
    s_reply (self, req, &ack);
}

static void
s_reply_problem (cj_service_t *self, s_request_t *req, Chejian__V1__AckStatus status,
                 const char *field, const char *code, const char *message)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, field, code, "%s", message);
    s_reply_status (self, req, status, &problems);
}

/*  ---- partitions and leases ----  */

static void
s_partition_lost (cj_service_t *self, uint32_t p)
{
    if (!self->part[p].owned)
        return;
    self->part[p].owned = false;
    self->active[p] = NULL;
    for (size_t i = 0; i < self->def->nsubscriptions; i++)
        cj_sub_disown (self->subs[i], p);
    if (self->def->partition_reset)
        self->def->partition_reset (self->def->arg, p);
    cj_warn ("partition %u lost", p);
}

/*  Takes partition 'p' with 'token': loads its head and subscription cursors.  */
static int
s_partition_gained (cj_service_t *self, uint32_t p, uint64_t token)
{
    s_partition_t *pt = &self->part[p];
    if (cj_outbox_head (self->store, self->def->short_name, p, &pt->head) != 0)
        return -1;
    for (size_t i = 0; i < self->def->nsubscriptions; i++)
        if (cj_sub_own (self->subs[i], p) != 0)
            return -1;
    if (self->def->partition_reset)
        self->def->partition_reset (self->def->arg, p);
    pt->owned = true;
    pt->token = token;
    pt->dedup_gen_expired = -1;
    self->active[p] = self->batch[p];
    cj_gauge_set (self->head_gauge[p], (double) pt->head);
    cj_info ("partition %u owned (token %" PRIu64 ", head %" PRIu64 ")", p, token, pt->head);
    return 0;
}

static void
s_renew_leases (cj_service_t *self)
{
    size_t owned = 0;
    for (uint32_t p = 0; p < self->partitions; p++) {
        s_partition_t *pt = &self->part[p];
        uint64_t token = 0;
        int rc = cj_store_lease (self->store, self->def->short_name, p, self->instance,
                                 pt->owned ? pt->token : 0, self->lease_ttl_ms, &token);
        if (rc < 0) {
            cj_warn ("lease renewal failed: %s", cj_store_errstr (self->store));
            break;       /* Redis is away; commits will be refused if a lease expires */
        }
        if (rc == 0 || (pt->owned && token != pt->token))
            s_partition_lost (self, p);
        if (rc == 1 && !pt->owned && s_partition_gained (self, p, token) != 0) {
            cj_warn ("could not load partition %u: %s", p, cj_store_errstr (self->store));
            cj_store_lease_release (self->store, self->def->short_name, p, token);
        }
        owned += pt->owned;
    }
    cj_gauge_set (self->owned_gauge, (double) owned);
}

/*  ---- the batch ----  */

static const cj_handler_t *
s_find_handler (const cj_handler_t *handlers, size_t n, int body_case)
{
    for (size_t i = 0; i < n; i++)
        if (handlers[i].body_case == body_case)
            return &handlers[i];
    return NULL;
}

/*  ---- the queries every service answers: x90 FetchEvents, x91 GetServiceStatus ----  */

static const cj_handler_t s_generic_handler = { 0, NULL, NULL, NULL };

/*  x90 or x91 of any owner's query range.  */
static bool
s_generic_query (int body)
{
    return cj_body_kind (body) == CJ_KIND_QUERY && (body % 100 == 90 || body % 100 == 91);
}

/*  Sets Ack.result to 'result', the member numbered 'number' (query body number - 100).  */
static void
s_ack_set_result (cj_ack_t *ack, int number, ProtobufCMessage *result)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__ack__descriptor, (unsigned) number);
    if (!f)
        return;
    *(uint32_t *) ((char *) ack + f->quantifier_offset) = (uint32_t) number;
    *(ProtobufCMessage **) ((char *) ack + f->offset) = result;
}

/*  The lowest seq still in an outbox (0 when empty), from its first stream entry.  */
static uint64_t
s_outbox_first (cj_service_t *self, uint32_t p)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, self->def->short_name, "outbox");
    redisReply *r = cj_store_command (self->store, "XRANGE %s - + COUNT 1", key);
    uint64_t first = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1
        && r->element[0]->element[1]->elements >= 2)
        first = strtoull (r->element[0]->element[1]->element[0]->str, NULL, 10);
    if (r)
        freeReplyObject (r);
    return first;
}

static bool
s_event_wanted (const Chejian__V1__FetchEvents *q, const cj_envelope_t *env, const char *county)
{
    if (q->county_only && strcmp (env->county, county) != 0)
        return false;
    for (size_t i = 0; i < q->n_body_numbers; i++)
        if ((int) q->body_numbers[i] == (int) env->body_case)
            return true;
    return q->n_body_numbers == 0;
}

/*  FetchEvents: events of the outbox of the county's partition after a seq, filtered.
 *  Answers into 'page'; the events are decoded copies freed by s_free_page.  */
static int
s_fetch_events (cj_service_t *self, const cj_envelope_t *env, Chejian__V1__EventPage *page,
                cj_problems_t *problems)
{
    const Chejian__V1__FetchEvents *q = (const Chejian__V1__FetchEvents *) cj_envelope_body (env);
    if (q->max_events > 1000 || q->n_body_numbers > 64) {
        cj_problems_push (problems, "%s", cj_body_name (env->body_case));
        if (q->max_events > 1000)
            cj_problems_add (problems, "max_events", CJ_E_OUT_OF_RANGE,
                             "must be from 1 to 1000, or 0 for 100 (got %u)", q->max_events);
        if (q->n_body_numbers > 64)
            cj_problems_add (problems, "body_numbers", CJ_E_TOO_MANY,
                             "at most 64 body numbers (got %zu)", q->n_body_numbers);
        cj_problems_pop (problems);
        return -1;
    }
    uint32_t p = cj_partition_of (env->county, self->partitions), max = q->max_events ? q->max_events : 100;
    uint64_t head = 0;
    if (cj_outbox_head (self->store, self->def->short_name, p, &head) != 0)
        return -1;
    page->partition = p;
    page->after_seq = q->after_seq;
    page->head_seq = head;
    page->first_available_seq = s_outbox_first (self, p);
    page->truncated = page->first_available_seq > q->after_seq + 1;
    page->events = calloc (max, sizeof *page->events);
    if (!page->events)
        return -1;
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, self->def->short_name, "outbox");
    uint64_t next = q->after_seq;
    while (page->n_events < max && next < head) {
        redisReply *r = cj_store_command (self->store, "XRANGE %s %" PRIu64 "-0 + COUNT 4", key,
                                          next + 1);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            if (r)
                freeReplyObject (r);
            return r ? 0 : -1;
        }
        for (size_t e = 0; e < r->elements && page->n_events < max; e++) {
            redisReply *fields = r->element[e]->element[1];
            for (size_t f = 0; f + 1 < fields->elements && page->n_events < max; f += 2) {
                uint64_t seq = strtoull (fields->element[f]->str, NULL, 10);
                if (seq <= next)
                    continue;
                next = seq;
                cj_envelope_t *ev = chejian__v1__envelope__unpack (
                    NULL, fields->element[f + 1]->len, (const uint8_t *) fields->element[f + 1]->str);
                if (!ev || !s_event_wanted (q, ev, env->county)) {
                    cj_envelope_free (&ev);
                    continue;
                }
                Chejian__V1__SequencedEvent *se = malloc (sizeof *se);
                if (!se) {
                    cj_envelope_free (&ev);
                    freeReplyObject (r);
                    return -1;
                }
                chejian__v1__sequenced_event__init (se);
                se->seq = seq;
                se->envelope = ev;
                page->events[page->n_events++] = se;
            }
        }
        freeReplyObject (r);
        page->next_after_seq = next;
    }
    page->next_after_seq = next;
    page->more = next < head;
    return 0;
}

static void
s_free_page (Chejian__V1__EventPage *page)
{
    for (size_t i = 0; i < page->n_events; i++) {
        cj_envelope_free (&page->events[i]->envelope);
        free (page->events[i]);
    }
    free (page->events);
}

/*  GetServiceStatus: readiness, partitions and subscriptions of this instance.  */
static int
s_service_status (cj_service_t *self, const cj_envelope_t *env, Chejian__V1__ServiceStatus *st)
{
    const Chejian__V1__GetServiceStatus *q =
        (const Chejian__V1__GetServiceStatus *) cj_envelope_body (env);
    uint32_t first = q->all_partitions ? 0 : cj_partition_of (env->county, self->partitions);
    uint32_t last = q->all_partitions ? self->partitions : first + 1;
    size_t nsubs = self->def->nsubscriptions;
    st->service = (char *) self->def->name;
    st->instance_id = self->instance;
    st->version = CHEJIAN_VERSION;
    st->ready = self->ready;
    st->not_ready_reason = self->not_ready_reason;
    st->started_at_ms = self->started_at_ms;
    st->now_ms = s_wall_ms ();
    st->partitions_total = self->partitions;
    st->partitions = calloc (last - first, sizeof *st->partitions);
    st->subscriptions = calloc ((last - first) * (nsubs ? nsubs : 1), sizeof *st->subscriptions);
    if (!st->partitions || !st->subscriptions)
        return -1;
    for (uint32_t p = first; p < last; p++) {
        Chejian__V1__PartitionStatus *ps = malloc (sizeof *ps);
        if (!ps)
            return -1;
        chejian__v1__partition_status__init (ps);
        st->partitions[st->n_partitions++] = ps;
        ps->partition = p;
        ps->owned = self->part[p].owned;
        ps->lease_token = self->part[p].owned ? self->part[p].token : 0;
        if (!ps->owned && cj_outbox_head (self->store, self->def->short_name, p,
                                          &ps->outbox_head_seq) != 0)
            return -1;
        if (ps->owned)
            ps->outbox_head_seq = self->part[p].head;
        ps->outbox_first_seq = s_outbox_first (self, p);
        ps->outbox_length = ps->outbox_first_seq ? ps->outbox_head_seq - ps->outbox_first_seq + 1 : 0;
        for (size_t i = 0; i < nsubs; i++) {
            Chejian__V1__SubscriptionStatus *ss = malloc (sizeof *ss);
            if (!ss)
                return -1;
            chejian__v1__subscription_status__init (ss);
            st->subscriptions[st->n_subscriptions++] = ss;
            ss->producer = (char *) self->def->subscriptions[i].producer;
            ss->partition = p;
            ss->cursor_seq = cj_sub_cursor (self->subs[i], p);
            ss->producer_head_seq = cj_sub_head (self->subs[i], p);
            ss->lag_events = cj_sub_lag (self->subs[i], p);
            cj_sub_totals (self->subs[i], p, &ss->redelivered_total, &ss->dead_lettered_total);
        }
    }
    return 0;
}

static void
s_free_status (Chejian__V1__ServiceStatus *st)
{
    for (size_t i = 0; i < st->n_partitions; i++)
        free (st->partitions[i]);
    for (size_t i = 0; i < st->n_subscriptions; i++)
        free (st->subscriptions[i]);
    free (st->partitions);
    free (st->subscriptions);
}

/*  Answers x90/x91 for this service.  */
static void
s_answer_generic (cj_service_t *self, s_request_t *req)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    Chejian__V1__EventPage page = CHEJIAN__V1__EVENT_PAGE__INIT;
    Chejian__V1__ServiceStatus status = CHEJIAN__V1__SERVICE_STATUS__INIT;
    char topic[64];
    int body = req->env->body_case, rc;
    if (body % 100 == 90) {
        rc = s_fetch_events (self, req->env, &page, &problems);
        snprintf (topic, sizeof topic, "%s.%u", self->def->name, page.partition);
        page.topic = topic;
        s_ack_set_result (&ack, body - 100, &page.base);
    } else {
        rc = s_service_status (self, req->env, &status);
        s_ack_set_result (&ack, body - 100, &status.base);
    }
    if (rc != 0 || cj_problems_any (&problems)) {
        bool retry = !cj_problems_any (&problems);
        if (retry)
            cj_problems_add (&problems, "", CJ_E_INTERNAL, "cannot answer now; retry");
        s_reply_status (self, req, retry ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE
                                         : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED,
                        &problems);
    } else {
        ack.event_id = req->env->event_id;
        ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
        ack.partition = cj_partition_of (req->env->county, self->partitions);
        s_reply (self, req, &ack);
    }
    s_free_page (&page);
    s_free_status (&status);
}

/*  Decodes and checks one request; answers it at once when it cannot go further.  */
static void
s_admit (cj_service_t *self, s_request_t *req)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    req->env = cj_envelope_decode (zmq_msg_data (&req->payload), zmq_msg_size (&req->payload),
                                   &problems);
    if (!req->env) {
        s_reply_status (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED, &problems);
        return;
    }
    /* Header and body problems are reported together, so one answer lists them all. */
    cj_envelope_validate (req->env, &problems);
    int body = req->env->body_case;
    cj_kind_t kind = cj_body_kind (body);
    req->handler = s_find_handler (self->def->handlers, self->def->nhandlers, body);
    if (!req->handler && cj_body_owner (body) == self->def->owner && s_generic_query (body))
        req->handler = &s_generic_handler;
    if (cj_body_owner (body) != self->def->owner || kind == CJ_KIND_EVENT || !req->handler) {
        if (body != CHEJIAN__V1__ENVELOPE__BODY__NOT_SET)
            cj_problems_add (&problems, "body", CJ_E_UNKNOWN_BODY,
                             "%s is not a command or query that %s accepts",
                             cj_body_name (body), self->def->name);
    } else if (req->handler->validate)
        req->handler->validate (req->env, &problems);
    if (cj_problems_any (&problems)) {
        s_reply_status (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED, &problems);
        return;
    }
    req->partition = cj_partition_of (req->env->county, self->partitions);
    if (kind == CJ_KIND_COMMAND && !self->part[req->partition].owned) {
        s_reply_problem (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, "county",
                         CJ_E_WRONG_PARTITION,
                         "this instance does not own the county's partition now; retry");
        return;
    }
    snprintf (req->dedup_field, sizeof req->dedup_field, "%s" S_DEDUP_SEP "%s",
              req->env->source, req->env->event_id);
}

static int64_t
s_dedup_gen (const cj_service_t *self)
{
    return s_wall_ms () / self->dedup_window_ms;
}

/*  Looks up the dedup records of every admitted command, two generations per partition
 *  (HMGET each), in one pipelined round trip; marks duplicates within the batch too.
 *  Returns 0, or -1 when Redis is away.  */
static int
s_dedup_lookup (cj_service_t *self)
{
    int64_t gen = s_dedup_gen (self);
    size_t nfields = 0;
    for (size_t i = 0; i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        if (r->done || cj_body_kind (r->env->body_case) != CJ_KIND_COMMAND)
            continue;
        nfields++;
        for (size_t j = 0; j < i; j++)
            if (!self->req[j].done && self->req[j].dup_of < 0
                && strcmp (self->req[j].dedup_field, r->dedup_field) == 0) {
                r->dup_of = (int) j;
                break;
            }
    }
    if (nfields == 0)
        return 0;
    /* Group the requests by partition in 'idx'; send two HMGETs per partition, all
       pipelined; then read the replies back in the same order. */
    const char **argv = malloc ((nfields + 2) * sizeof *argv);
    size_t *idx = malloc (nfields * sizeof *idx);
    size_t *group = calloc (self->partitions + 1, sizeof *group);   /* start of each partition */
    int rc = -1;
    if (!argv || !idx || !group)
        goto done;
    size_t n = 0;
    for (uint32_t p = 0; p < self->partitions; p++) {
        group[p] = n;
        for (size_t i = 0; i < self->nreq; i++) {
            s_request_t *r = &self->req[i];
            if (!r->done && r->partition == p && r->dup_of < 0
                && cj_body_kind (r->env->body_case) == CJ_KIND_COMMAND)
                idx[n++] = i;
        }
    }
    group[self->partitions] = n;
    for (uint32_t p = 0; p < self->partitions; p++) {
        size_t count = group[p + 1] - group[p];
        for (size_t m = 0; m < count; m++)
            argv[2 + m] = self->req[idx[group[p] + m]].dedup_field;
        for (int64_t g = gen; count && g >= gen - 1; g--) {
            char key[CJ_KEY_MAX];         /* hiredis copies the command when appending */
            cj_key (key, sizeof key, p, self->def->short_name, "dedup:%" PRId64, g);
            argv[0] = "HMGET";
            argv[1] = key;
            if (cj_store_append (self->store, (int) count + 2, argv, NULL) != 0)
                goto done;
        }
    }
    for (uint32_t p = 0; p < self->partitions; p++) {
        size_t count = group[p + 1] - group[p];
        for (int k = 0; count && k < 2; k++) {
            redisReply *reply = cj_store_get_reply (self->store);
            if (!reply)
                goto done;
            for (size_t m = 0; reply->type == REDIS_REPLY_ARRAY && m < reply->elements
                               && m < count; m++) {
                s_request_t *r = &self->req[idx[group[p] + m]];
                if (!r->outcome && reply->element[m]->type == REDIS_REPLY_STRING) {
                    r->outcome = reply->element[m];
                    reply->element[m] = NULL;       /* now owned by the request */
                }
            }
            freeReplyObject (reply);
        }
    }
    rc = 0;
done:
    free (argv);
    free (idx);
    free (group);
    return rc;
}

/*  Answers a command whose dedup record was found: DUPLICATE with the original outcome.  */
static void
s_reply_duplicate (cj_service_t *self, s_request_t *req, const uint8_t *outcome, size_t len)
{
    cj_ack_t *original = chejian__v1__ack__unpack (NULL, len, outcome);
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    if (original)
        ack = *original;
    ack.event_id = req->env->event_id;
    ack.original_status = original ? original->status : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
    ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
    s_reply (self, req, &ack);
    if (original)
        chejian__v1__ack__free_unpacked (original, NULL);
}

/*  Applies one admitted (already validated) command into its partition's batch, recording its
 *  dedup outcome. A rejected command is answered now and leaves the batch as it was.  */
static void
s_apply_command (cj_service_t *self, s_request_t *req)
{
    cj_batch_t *batch = self->batch[req->partition];
    cj_ctx_t *ctx = self->ctx;
    cj_ctx_begin (ctx, batch, req->partition, 0, req->env);
    cj_batch_mark_t mark = cj_batch_mark (batch);
    int rc = req->handler->apply ? req->handler->apply (ctx, req->env) : -1;
    if (rc != 0 || cj_problems_any (cj_ctx_problems (ctx))) {
        cj_batch_rollback (batch, mark);
        if (!cj_problems_any (cj_ctx_problems (ctx))) {
            cj_problems_add (cj_ctx_problems (ctx), "", CJ_E_INTERNAL,
                             "cannot decide now (state store unavailable); retry with the same event_id");
            s_reply_status (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE,
                            cj_ctx_problems (ctx));
        } else
            s_reply_status (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED,
                            cj_ctx_problems (ctx));
        return;
    }
    req->ev_first = mark.events;
    req->ev_count = cj_batch_events (batch) - mark.events;
    /* The outcome a retry will see. Seqs are predicted from the head this owner holds; the
       commit script assigns the same ones, or the commit is refused whole. */
    s_partition_t *pt = &self->part[req->partition];
    uint64_t base = pt->head + 1 + req->ev_first;
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    ack.event_id = req->env->event_id;
    ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
    ack.partition = req->partition;
    ack.first_seq = req->ev_count ? base : 0;
    ack.last_seq = req->ev_count ? base + req->ev_count - 1 : 0;
    req->accepted = cj_message_pack (&ack.base, &req->accepted_len);
    if (!req->accepted) {
        cj_batch_rollback (batch, mark);
        s_reply_problem (self, req, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, "",
                         CJ_E_INTERNAL, "out of memory; retry");
    }
}

/*  Adds the dedup records of the commands accepted into partition 'p' this turn as one
 *  multi-field HSET (one write per batch, not one per command), and gives the generation a
 *  TTL once per partition and generation (two windows, so a record lives at least one).  */
static int
s_write_dedup (cj_service_t *self, uint32_t p)
{
    int64_t gen = s_dedup_gen (self);
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, self->def->short_name, "dedup:%" PRId64, gen);
    bool any = false;
    for (size_t i = 0; i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        if (r->done || r->partition != p || !r->accepted)
            continue;
        if (cj_batch_hset (self->batch[p], key, r->dedup_field, r->accepted,
                           r->accepted_len) != 0)
            return -1;
        any = true;
    }
    if (any && self->part[p].dedup_gen_expired != gen) {
        if (cj_batch_pexpire (self->batch[p], key, 2 * self->dedup_window_ms + 3600000) != 0)
            return -1;
        self->part[p].dedup_gen_expired = gen;
    }
    return 0;
}

/*  ---- reading ahead ----  */

typedef struct {
    const cj_handler_t  *handler;
    uint32_t             partition;
    uint64_t             seq;
    const cj_envelope_t *env;
    cj_batch_t          *batch;
    bool                 done;      /* its probe missed nothing */
} s_probe_t;

/*  Runs the handlers of 'items' in probing mode, fetching what they missed after each round,
 *  until a round misses nothing (or S_PROBE_ROUNDS). Changes no batch.  */
static void
s_probe (cj_service_t *self, s_probe_t *items, size_t n)
{
    cj_ctx_t *ctx = self->ctx;
    for (int round = 0; round < S_PROBE_ROUNDS; round++) {
        bool missed = false;
        cj_ctx_probe (ctx, true);
        for (size_t i = 0; i < n; i++) {
            s_probe_t *it = &items[i];
            if (it->done)
                continue;
            cj_ctx_begin (ctx, it->batch, it->partition, it->seq, it->env);
            cj_batch_mark_t mark = cj_batch_mark (it->batch);
            it->handler->apply (ctx, it->env);
            cj_batch_rollback (it->batch, mark);
            it->done = !cj_ctx_probe_missed (ctx);
            missed = missed || !it->done;
        }
        cj_ctx_end (ctx);
        cj_ctx_probe (ctx, false);
        if (!missed || cj_ctx_prefetch (ctx) <= 0)
            break;
    }
}

/*  The commands of this turn that will be applied, read ahead.  */
static void
s_read_ahead_commands (cj_service_t *self)
{
    s_probe_t *items = malloc (self->nreq * sizeof *items);
    size_t n = 0;
    for (size_t i = 0; items && i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        if (!r->done && cj_body_kind (r->env->body_case) == CJ_KIND_COMMAND && !r->outcome
            && r->dup_of < 0 && r->handler && r->handler->apply)
            items[n++] = (s_probe_t) { r->handler, r->partition, 0, r->env,
                                       self->batch[r->partition], false };
    }
    if (n)
        s_probe (self, items, n);
    free (items);
}

/*  The subscription's read-ahead (cj_sub_read_ahead_fn).  */
static void
s_read_ahead_events (void *arg, const cj_sub_item_t *events, size_t n)
{
    s_sub_arg_t *sa = arg;
    s_probe_t *items = malloc (n * sizeof *items);
    size_t k = 0;
    for (size_t i = 0; items && i < n; i++) {
        const cj_handler_t *h = s_find_handler (sa->def->handlers, sa->def->nhandlers,
                                                events[i].event->body_case);
        if (h && h->apply)
            items[k++] = (s_probe_t) { h, events[i].partition, events[i].seq, events[i].event,
                                       events[i].batch, false };
    }
    if (k)
        s_probe (sa->service, items, k);
    free (items);
}

/*  The subscription callback: finds the service's handler for the event and applies it.  */
static int
s_apply_event (void *arg, uint32_t partition, uint64_t seq, const cj_envelope_t *event,
               cj_batch_t *batch)
{
    s_sub_arg_t *sa = arg;
    const cj_handler_t *h = s_find_handler (sa->def->handlers, sa->def->nhandlers,
                                            event->body_case);
    if (!h || !h->apply)
        return 0;                       /* not an event this service needs */
    cj_ctx_t *ctx = sa->service->ctx;
    cj_ctx_begin (ctx, batch, partition, seq, event);
    int rc = h->apply (ctx, event);
    if (rc != 0 || cj_problems_any (cj_ctx_problems (ctx))) {
        char text[512];
        cj_problems_format (cj_ctx_problems (ctx), text, sizeof text);
        cj_log_write (CJ_LOG_ERROR, event->event_id, event->trace_id, NULL,
                      "dead-lettered %s from %s seq %" PRIu64 ": %s",
                      cj_body_name (event->body_case), sa->def->producer, seq, text);
        return -1;
    }
    return 0;
}

static void
s_answer_query (cj_service_t *self, s_request_t *req)
{
    if (req->handler == &s_generic_handler) {
        s_answer_generic (self, req);
        return;
    }
    cj_ctx_t *ctx = self->ctx;
    cj_ctx_begin (ctx, NULL, req->partition, 0, req->env);
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    int rc = req->handler->query (ctx, req->env, &ack);
    if (rc != 0 || cj_problems_any (cj_ctx_problems (ctx))) {
        bool retry = !cj_problems_any (cj_ctx_problems (ctx));
        if (retry)
            cj_problems_add (cj_ctx_problems (ctx), "", CJ_E_INTERNAL,
                             "cannot answer now (state store unavailable); retry");
        s_reply_status (self, req, retry ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE
                                         : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED,
                        cj_ctx_problems (ctx));
    } else {
        ack.event_id = req->env->event_id;
        ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
        ack.partition = req->partition;
        s_reply (self, req, &ack);
    }
    cj_ctx_end (ctx);
}

/*  Answers command 'r' after its partition's commit 'res': ACCEPTED, or DUPLICATE when it
 *  repeats 'orig' (an original accepted in the same turn), with the original's seq range;
 *  UNAVAILABLE when the commit did not happen.  */
static void
s_reply_committed (cj_service_t *self, s_request_t *r, const s_request_t *orig,
                   const cj_commit_result_t *res)
{
    if (res->status != CJ_COMMIT_OK) {
        s_reply_problem (self, r, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, "",
                         CJ_E_INTERNAL, "state store unavailable; retry with the same event_id");
        return;
    }
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    ack.event_id = r->env->event_id;
    ack.status = orig == r ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                           : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
    ack.original_status = orig == r ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNSPECIFIED
                                    : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
    ack.partition = r->partition;
    if (orig->ev_count) {
        ack.first_seq = res->first_seq + orig->ev_first;
        ack.last_seq = ack.first_seq + orig->ev_count - 1;
    }
    s_reply (self, r, &ack);
}

/*  After the commit: ack the commands of partitions that committed, publish their events,
 *  and answer UNAVAILABLE where the commit did not happen (the client retries).  */
static void
s_after_commit (cj_service_t *self, const cj_commit_result_t *results)
{
    for (uint32_t p = 0; p < self->partitions; p++) {
        if (!self->active[p])
            continue;
        const cj_commit_result_t *res = &results[p];
        bool ok = res->status == CJ_COMMIT_OK;
        for (size_t i = 0; i < self->def->nsubscriptions; i++)
            cj_sub_committed (self->subs[i], p, ok);
        if (!ok) {
            cj_counter_add (self->commit_failures, 1);
            cj_error ("commit of partition %u failed: %s", p, cj_store_errstr (self->store));
            /* Refused (stale lease) or unknown fate (the reply was lost): either way what this
               process holds in memory for the partition may be wrong. Drop it and take the
               lease again at once: a new token fences any commit still in flight, and the
               head, cursors and caches are reloaded from Redis. */
            s_partition_lost (self, p);
            self->next_lease_ms = 0;
            continue;
        }
        size_t nev = cj_batch_events (self->batch[p]);
        if (nev && res->first_seq != self->part[p].head + 1)
            cj_error ("partition %u: outbox head moved under us (expected %" PRIu64
                      ", got %" PRIu64 ")", p, self->part[p].head + 1, res->first_seq);
        for (size_t e = 0; e < nev; e++) {
            size_t len;
            const void *data = cj_batch_event_data (self->batch[p], e, &len);
            cj_pub_event (self->pub, p, res->first_seq + e, data, len);
        }
        if (nev) {
            self->part[p].head = res->last_seq;
            cj_counter_add (self->published, nev);
            cj_gauge_set (self->head_gauge[p], (double) res->last_seq);
        }
    }
    /* Originals first, then repeats of them received in the same turn. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < self->nreq; i++) {
            s_request_t *r = &self->req[i];
            if (!r->done && cj_body_kind (r->env->body_case) == CJ_KIND_COMMAND
                && (r->dup_of >= 0) == (pass == 1))
                s_reply_committed (self, r, pass ? &self->req[r->dup_of] : r,
                                   &results[r->partition]);
        }
}

static void
s_release_requests (cj_service_t *self)
{
    for (size_t i = 0; i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        zmq_msg_close (&r->payload);
        cj_envelope_free (&r->env);
        free (r->accepted);
        if (r->outcome)
            freeReplyObject (r->outcome);
    }
    self->nreq = 0;
}

/*  One turn of the loop: drain, decide, commit, answer. Returns the number of messages and
 *  events handled.  */
static size_t
s_turn (cj_service_t *self, bool take_requests)
{
    for (uint32_t p = 0; p < self->partitions; p++)
        if (self->part[p].owned)
            cj_batch_reset (self->batch[p], self->def->short_name, p, self->part[p].token);
    int64_t now = s_mono_ns ();
    while (take_requests && self->nreq < self->max_batch) {
        s_request_t *r = &self->req[self->nreq];
        memset (r, 0, sizeof *r);
        r->dup_of = -1;
        int rc = cj_router_recv (self->router, &r->route, &r->payload, &self->malformed);
        if (rc <= 0)
            break;
        r->received_ns = now;
        self->nreq++;
        s_admit (self, r);
    }
    size_t handled = self->nreq;
    bool redis_ok = cj_store_connect (self->store) == 0;
    if (redis_ok && s_dedup_lookup (self) != 0)
        redis_ok = false;
    if (redis_ok && self->def->read_ahead)
        s_read_ahead_commands (self);
    for (size_t i = 0; i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        if (r->done || cj_body_kind (r->env->body_case) != CJ_KIND_COMMAND)
            continue;
        if (!redis_ok)
            s_reply_problem (self, r, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, "",
                             CJ_E_INTERNAL, "state store unavailable; retry with the same event_id");
        else if (r->outcome)
            s_reply_duplicate (self, r, (const uint8_t *) r->outcome->str, r->outcome->len);
        else if (r->dup_of >= 0) {
            const s_request_t *orig = &self->req[r->dup_of];
            if (orig->outcome)
                s_reply_duplicate (self, r, (const uint8_t *) orig->outcome->str,
                                   orig->outcome->len);
            else if (orig->done) {        /* the original was refused: judge this one anew */
                r->dup_of = -1;
                s_apply_command (self, r);
            }                             /* else: answered after the commit */
        } else
            s_apply_command (self, r);
    }
    for (size_t i = 0; redis_ok && i < self->def->nsubscriptions; i++) {
        int n = cj_sub_drain (self->subs[i], self->active, self->max_batch);
        int m = cj_sub_catch_up (self->subs[i], self->active, S_CATCHUP_MAX);
        handled += (size_t) (n > 0 ? n : 0) + (size_t) (m > 0 ? m : 0);
        if (m < 0 || cj_sub_prepare_commit (self->subs[i], self->active) != 0)
            redis_ok = false;
    }
    cj_commit_result_t results[CJ_PARTITIONS_MAX];
    bool skip[CJ_PARTITIONS_MAX] = { false };   /* not committed: its messages are retried */
    if (redis_ok) {
        for (uint32_t p = 0; p < self->partitions; p++)
            if (self->active[p]) {
                if (self->def->flush && self->def->flush (self->def->arg, p, self->batch[p]) != 0)
                    cj_error ("flush of partition %u failed", p);
                skip[p] = s_write_dedup (self, p) != 0;
                if (skip[p])
                    cj_error ("partition %u: out of memory writing dedup records", p);
            }
        int64_t t0 = s_mono_ns ();
        cj_batch_t *to_commit[CJ_PARTITIONS_MAX];
        size_t n = 0;
        uint32_t which[CJ_PARTITIONS_MAX];
        for (uint32_t p = 0; p < self->partitions; p++)
            if (self->active[p] && !skip[p] && !cj_batch_empty (self->batch[p])) {
                which[n] = p;
                to_commit[n++] = self->batch[p];
            }
        cj_commit_result_t packed[CJ_PARTITIONS_MAX];
        cj_store_commit (self->store, to_commit, n, packed);
        for (uint32_t p = 0; p < self->partitions; p++)
            results[p] = (cj_commit_result_t) { .status = skip[p] ? CJ_COMMIT_ERROR : CJ_COMMIT_OK };
        for (size_t i = 0; i < n; i++)
            results[which[i]] = packed[i];
        if (n) {
            cj_histogram_observe (self->commit_seconds, (double) (s_mono_ns () - t0) / 1e9);
            cj_histogram_observe (self->batch_size, (double) handled);
        }
    } else
        for (uint32_t p = 0; p < self->partitions; p++)
            results[p] = (cj_commit_result_t) { .status = CJ_COMMIT_ERROR };
    s_after_commit (self, results);
    for (size_t i = 0; i < self->nreq; i++) {
        s_request_t *r = &self->req[i];
        if (!r->done && cj_body_kind (r->env->body_case) == CJ_KIND_QUERY)
            s_answer_query (self, r);
    }
    s_release_requests (self);
    return handled;
}

/*  ---- set-up, the loop, shut-down ----  */

static void
s_heartbeat (cj_service_t *self)
{
    for (uint32_t p = 0; p < self->partitions; p++)
        if (self->part[p].owned)
            cj_pub_heartbeat (self->pub, p, self->part[p].head);
}

/*  Trims each owned outbox below its slowest subscriber and reports its length in stream
 *  entries (one entry per committed batch).  */
static void
s_trim_outboxes (cj_service_t *self)
{
    for (uint32_t p = 0; p < self->partitions; p++) {
        if (!self->part[p].owned)
            continue;
        char key[CJ_KEY_MAX];
        cj_key (key, sizeof key, p, self->def->short_name, "outbox");
        redisReply *len = NULL;
        if (cj_outbox_trim (self->store, self->def->short_name, p, self->outbox_keep) < 0
            || !(len = cj_store_command (self->store, "XLEN %s", key))) {
            cj_warn ("outbox trim of partition %u failed: %s", p, cj_store_errstr (self->store));
            return;
        }
        if (len->type == REDIS_REPLY_INTEGER)
            cj_gauge_set (self->outbox_gauge[p], (double) len->integer);
        freeReplyObject (len);
    }
}

static void
s_update_readiness (cj_service_t *self)
{
    size_t owned = 0;
    for (uint32_t p = 0; p < self->partitions; p++)
        owned += self->part[p].owned;
    uint64_t lag = 0;
    for (size_t i = 0; i < self->def->nsubscriptions; i++) {
        uint64_t l = cj_sub_max_lag (self->subs[i]);
        lag = l > lag ? l : lag;
    }
    char reason[160];
    bool ready = false;
    const char *stuck = NULL;
    uint32_t stuck_partition = 0;
    for (size_t i = 0; i < self->def->nsubscriptions && !stuck; i++)
        for (uint32_t p = 0; p < self->partitions && !stuck; p++)
            if (cj_sub_stuck (self->subs[i], p)) {
                stuck = self->def->subscriptions[i].producer;
                stuck_partition = p;
            }
    if (stuck) {
        snprintf (reason, sizeof reason, "subscription to %s partition %u is stuck: its outbox "
                  "no longer holds the next event", stuck, stuck_partition);
        cj_error ("%s", reason);
    } else if (!cj_store_connected (self->store))
        snprintf (reason, sizeof reason, "redis unreachable: %s", cj_store_errstr (self->store));
    else if (owned == 0)
        snprintf (reason, sizeof reason, "no partition owned yet");
    else if (lag > 10000)
        snprintf (reason, sizeof reason, "catching up: %" PRIu64 " events behind", lag);
    else {
        ready = true;
        snprintf (reason, sizeof reason, "ready: %zu of %u partitions", owned, self->partitions);
    }
    cj_http_set_ready (self->http, ready, reason);
    self->ready = ready;
    snprintf (self->not_ready_reason, sizeof self->not_ready_reason, "%s", ready ? "" : reason);
}

static void
s_destroy (cj_service_t **self_p)
{
    cj_service_t *self = *self_p;
    if (!self)
        return;
    for (uint32_t p = 0; self->part && p < self->partitions; p++)
        if (self->part[p].owned && self->store)
            cj_store_lease_release (self->store, self->def->short_name, p, self->part[p].token);
    cj_http_stop (&self->http);
    for (size_t i = 0; self->subs && i < self->def->nsubscriptions; i++)
        cj_sub_destroy (&self->subs[i]);
    free (self->subs);
    free (self->sub_args);
    cj_pub_destroy (&self->pub);
    if (self->router)
        zmq_close (self->router);
    if (self->zctx)
        zmq_ctx_term (self->zctx);
    for (uint32_t p = 0; self->batch && p < self->partitions; p++)
        cj_batch_destroy (&self->batch[p]);
    free (self->batch);
    free (self->active);
    free (self->part);
    free (self->head_gauge);
    free (self->outbox_gauge);
    free (self->req);
    cj_ctx_destroy (&self->ctx);
    cj_store_destroy (&self->store);
    cj_metrics_destroy (&self->metrics);
    cj_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

static void
s_register_metrics (cj_service_t *self)
{
    static const char *const status[5] = { "unspecified", "accepted", "duplicate", "rejected",
                                           "unavailable" };
    cj_metrics_t *m = self->metrics;
    for (int i = 0; i < 5; i++)
        self->acks[i] = cj_metrics_counter (m, "chejian_acks_total",
                                            "Replies sent, by status", "status", status[i], NULL);
    self->published = cj_metrics_counter (m, "chejian_events_published_total",
                                          "Events committed to the outbox and published", NULL);
    self->commit_failures = cj_metrics_counter (m, "chejian_commit_failures_total",
                                                "Partition commits refused or failed", NULL);
    self->commit_seconds = cj_metrics_histogram (m, "chejian_commit_seconds",
                                                 "Round trip of one pipelined commit", NULL, 0,
                                                 NULL);
    self->ack_seconds = cj_metrics_histogram (m, "chejian_ack_latency_seconds",
                                              "From receiving a message to its Ack", NULL, 0,
                                              NULL);
    static const double sizes[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096 };
    self->batch_size = cj_metrics_histogram (m, "chejian_batch_messages",
                                             "Messages and events handled per loop turn", sizes,
                                             sizeof sizes / sizeof sizes[0], NULL);
    self->owned_gauge = cj_metrics_gauge (m, "chejian_partitions_owned",
                                          "Partitions this instance holds the lease of", NULL);
    for (uint32_t p = 0; p < self->partitions; p++) {
        char ps[16];
        snprintf (ps, sizeof ps, "%u", p);
        self->head_gauge[p] = cj_metrics_gauge (m, "chejian_outbox_head_seq",
                                                "Last committed outbox seq", "partition", ps,
                                                NULL);
        self->outbox_gauge[p] = cj_metrics_gauge (m, "chejian_outbox_length_entries",
                                                  "Outbox stream entries kept (one per batch)",
                                                  "partition", ps, NULL);
    }
}

/*  Builds the service from its loaded configuration: sockets, store, metrics. Returns 0, or
 *  -1 after logging the cause.  */
static int
s_init (cj_service_t *self)
{
    const cj_service_def_t *def = self->def;
    cj_config_t *config = self->config;
    self->started_at_ms = s_wall_ms ();
    self->partitions = (uint32_t) cj_config_int (config, "CHEJIAN_PARTITIONS");
    self->max_batch = (size_t) cj_config_int (config, "CHEJIAN_BATCH_MAX");
    self->lease_ttl_ms = (int) cj_config_int (config, "CHEJIAN_LEASE_TTL_MS");
    self->dedup_window_ms = cj_config_int (config, "CHEJIAN_DEDUP_WINDOW_HOURS") * 3600000;
    self->outbox_keep = (uint64_t) cj_config_int (config, "CHEJIAN_OUTBOX_KEEP");
    const char *instance = cj_config_str (config, "CHEJIAN_INSTANCE_ID");
    if (instance && *instance)
        snprintf (self->instance, sizeof self->instance, "%s", instance);
    else {
        char host[64] = "localhost";
        gethostname (host, sizeof host - 1);
        snprintf (self->instance, sizeof self->instance, "%s-%s", host, def->name);
    }
    self->part = calloc (self->partitions, sizeof *self->part);
    self->batch = calloc (self->partitions, sizeof *self->batch);
    self->active = calloc (self->partitions, sizeof *self->active);
    self->head_gauge = calloc (self->partitions, sizeof *self->head_gauge);
    self->outbox_gauge = calloc (self->partitions, sizeof *self->outbox_gauge);
    self->req = calloc (self->max_batch, sizeof *self->req);
    self->metrics = cj_metrics_new ();
    if (!self->part || !self->batch || !self->active || !self->head_gauge || !self->outbox_gauge
        || !self->req
        || !self->metrics)
        goto fail;
    for (uint32_t p = 0; p < self->partitions; p++)
        if (!(self->batch[p] = cj_batch_new ()))
            goto fail;
    s_register_metrics (self);

    char err[256];
    self->store = cj_store_new (cj_config_str (config, "CHEJIAN_REDIS_URL"),
                                (int) cj_config_int (config, "CHEJIAN_REDIS_TIMEOUT_MS"),
                                err, sizeof err);
    if (!self->store) {
        cj_error ("CHEJIAN_REDIS_URL: %s", err);
        goto fail;
    }
    cj_ctx_env_t ctx_env = { self->store, config, def->arg, def->name, def->short_name };
    if (!(self->ctx = cj_ctx_new (&ctx_env)))
        goto fail;
    self->zctx = zmq_ctx_new ();
    self->router = self->zctx ? zmq_socket (self->zctx, ZMQ_ROUTER) : NULL;
    if (!self->router)
        goto fail;
    int linger = 0, hwm = 10000, mandatory = 0;
    int64_t maxmsg = CJ_ENVELOPE_MAX_BYTES + 1024;
    zmq_setsockopt (self->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (self->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (self->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    const char *bind = cj_config_str (config, s_opt (self, "BIND"));
    if (zmq_bind (self->router, bind) != 0) {
        cj_error ("%s=%s: cannot bind: %s", s_opt (self, "BIND"), bind, zmq_strerror (errno));
        goto fail;
    }
    const char *pub_bind = cj_config_str (config, s_opt (self, "PUB_BIND"));
    self->pub = cj_pub_new (self->zctx, pub_bind, def->short_name,
                            (int) cj_config_int (config, "CHEJIAN_PUB_HWM"));
    if (!self->pub) {
        cj_error ("%s=%s: cannot bind: %s", s_opt (self, "PUB_BIND"), pub_bind,
                  zmq_strerror (errno));
        goto fail;
    }
    self->subs = calloc (def->nsubscriptions ? def->nsubscriptions : 1, sizeof *self->subs);
    self->sub_args = calloc (def->nsubscriptions ? def->nsubscriptions : 1,
                             sizeof *self->sub_args);
    if (!self->subs || !self->sub_args)
        goto fail;
    for (size_t i = 0; i < def->nsubscriptions; i++) {
        const cj_subscription_t *sd = &def->subscriptions[i];
        const char *endpoint = cj_config_str (config, sd->endpoint_var);
        self->sub_args[i] = (s_sub_arg_t) { self, sd };
        self->subs[i] = cj_sub_new (self->zctx, self->store, self->metrics, def->short_name,
                                    sd->producer, endpoint, self->partitions,
                                    (int) cj_config_int (config, "CHEJIAN_SUB_HWM"),
                                    s_apply_event, &self->sub_args[i]);
        if (self->subs[i] && def->read_ahead)
            cj_sub_set_read_ahead (self->subs[i], s_read_ahead_events);
        if (!self->subs[i]) {
            cj_error ("%s=%s: cannot connect: %s", sd->endpoint_var, endpoint,
                      zmq_strerror (errno));
            goto fail;
        }
    }
    int port = (int) cj_config_int (config, s_opt (self, "METRICS_PORT"));
    const char *mbind = cj_config_str (config, "CHEJIAN_METRICS_BIND");
    self->http = cj_http_start (self->metrics, mbind, port, 30);
    if (!self->http) {
        cj_error ("%s=%d: cannot start the HTTP server on %s: %s", s_opt (self, "METRICS_PORT"),
                  port, mbind, strerror (errno));
        goto fail;
    }
    cj_http_set_ready (self->http, false, "starting");
    cj_info ("listening on %s, publishing on %s, metrics on %s:%d, redis %s, %u partitions, "
             "instance %s", bind, cj_pub_endpoint (self->pub), mbind, cj_http_port (self->http),
             cj_store_url_safe (self->store), self->partitions, self->instance);
    return 0;

fail:
    return -1;
}

static void
s_run (cj_service_t *self)
{
    int64_t stop_deadline = 0;
    while (true) {
        int64_t now = s_mono_ms ();
        if (s_stop_requested && !stop_deadline) {
            cj_info ("stopping: finishing what is in hand");
            stop_deadline = now + S_STOP_GRACE_MS;
        }
        if (now >= self->next_lease_ms) {
            if (cj_store_connect (self->store) == 0)
                s_renew_leases (self);
            self->next_lease_ms = now + self->lease_ttl_ms / 3;
        }
        if (now >= self->next_heartbeat_ms) {
            s_heartbeat (self);
            s_update_readiness (self);
            self->next_heartbeat_ms = now + S_HEARTBEAT_MS;
        }
        if (now >= self->next_trim_ms) {
            s_trim_outboxes (self);
            self->next_trim_ms = now + S_TRIM_EVERY_MS;
        }
        cj_http_tick (self->http);

        bool catching_up = false;
        for (size_t i = 0; i < self->def->nsubscriptions; i++)
            catching_up = catching_up || cj_sub_behind (self->subs[i]);
        zmq_pollitem_t items[1 + 8];
        size_t nitems = 0;
        if (!stop_deadline)
            items[nitems++] = (zmq_pollitem_t) { self->router, 0, ZMQ_POLLIN, 0 };
        for (size_t i = 0; i < self->def->nsubscriptions && nitems < 9; i++)
            items[nitems++] = (zmq_pollitem_t) { cj_sub_socket (self->subs[i]), 0, ZMQ_POLLIN, 0 };
        int64_t next = self->next_heartbeat_ms < self->next_lease_ms ? self->next_heartbeat_ms
                                                                      : self->next_lease_ms;
        long timeout = catching_up || stop_deadline ? 0 : (long) (next - now);
        if (timeout > 100)
            timeout = 100;
        int rc = zmq_poll (items, (int) nitems, timeout < 0 ? 0 : timeout);
        if (rc < 0 && errno != EINTR) {
            cj_error ("zmq_poll: %s", zmq_strerror (errno));
            break;
        }
        size_t handled = s_turn (self, !stop_deadline);
        if (stop_deadline && (handled == 0 || s_mono_ms () > stop_deadline))
            break;
        if (!cj_store_connected (self->store) && handled == 0 && !stop_deadline)
            usleep (10000);    /* Redis away: do not spin while the backoff runs */
    }
}

int
cj_service_main (const cj_service_def_t *def, int argc, char **argv)
{
    if (sodium_init () < 0) {
        fprintf (stderr, "%s: libsodium failed to initialise\n", def->name);
        return 1;
    }
    cj_service_t *self = calloc (1, sizeof *self);
    if (!self || !(self->config = cj_config_new ())) {
        fprintf (stderr, "%s: out of memory\n", def->name);
        free (self);
        return 1;
    }
    self->def = def;
    int code = 0;
    bool initialised = false;
    if (s_declare_config (self) != 0) {
        fprintf (stderr, "%s: out of memory\n", def->name);
        code = 1;
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            cj_config_print_help (self->config, stdout, argv[0], def->summary);
            goto done;
        }
        fprintf (stderr, "%s: unknown argument '%s' (configuration is by environment; see --help)\n",
                 def->name, argv[i]);
        code = 2;
        goto done;
    }
    cj_problems_t problems;
    cj_problems_init (&problems);
    if (cj_config_load (self->config, &problems) != 0) {
        char text[1024];
        cj_problems_format (&problems, text, sizeof text);
        fprintf (stderr, "%s: bad configuration: %s\n", def->name, text);
        code = 2;
        goto done;
    }
    cj_log_level_t level = CJ_LOG_INFO;
    if (cj_log_level_parse (cj_config_str (self->config, "CHEJIAN_LOG_LEVEL"), &level) != 0) {
        fprintf (stderr, "%s: CHEJIAN_LOG_LEVEL must be debug, info, warn or error\n", def->name);
        code = 2;
        goto done;
    }
    cj_log_init (def->name, level);
    char err[512] = "";
    if (def->init && def->init (def->arg, self->config, err, sizeof err) != 0) {
        fprintf (stderr, "%s: bad configuration: %s\n", def->name, err);
        code = 2;
        goto done;
    }
    initialised = true;

    struct sigaction sa = { .sa_handler = s_on_signal };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    if (s_init (self) != 0) {
        code = 1;
        goto done;
    }
    s_run (self);
    cj_info ("stopped");
done:
    s_destroy (&self);
    if (initialised && def->fini)
        def->fini (def->arg);
    return code;
}
