/*  bus.c - ROUTER requests, PUB of committed events, SUB with cursors and catch-up.
 *  See include/chejian/bus.h for the protocol.  */
#include "chejian/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_TOPIC_MAX        48
#define S_CATCHUP_ENTRIES  16     /* stream entries read per XRANGE */
#define S_DEFAULT_HWM      100000

/*  ---- ROUTER ----  */

/*  Discards the rest of a multipart message.  */
static void
s_drain_parts (void *socket)
{
    int more = 1;
    size_t size = sizeof more;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            return;
        }
        more = zmq_msg_more (&part);
        zmq_msg_close (&part);
    }
    (void) size;
}

int
cj_router_recv (void *router, cj_route_t *route, void *payload, size_t *ret_malformed)
{
    zmq_msg_t *msg = payload;
    route->nframes = 0;
    for (;;) {
        zmq_msg_init (msg);
        if (zmq_msg_recv (msg, router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (msg);
            if (errno == EAGAIN && route->nframes == 0)
                return 0;
            return errno == EAGAIN ? 0 : -1;
        }
        if (!zmq_msg_more (msg))
            break;
        size_t len = zmq_msg_size (msg);
        if (route->nframes == CJ_ROUTE_FRAMES_MAX || len > CJ_ROUTE_FRAME_MAX) {
            zmq_msg_close (msg);
            s_drain_parts (router);
            if (ret_malformed)
                (*ret_malformed)++;
            return 0;
        }
        memcpy (route->frame[route->nframes], zmq_msg_data (msg), len);
        route->len[route->nframes++] = len;
        zmq_msg_close (msg);
    }
    if (route->nframes == 0) {           /* a ROUTER always prefixes the peer identity */
        zmq_msg_close (msg);
        if (ret_malformed)
            (*ret_malformed)++;
        return 0;
    }
    return 1;
}

int
cj_router_send (void *router, const cj_route_t *route, const void *data, size_t len)
{
    for (size_t i = 0; i < route->nframes; i++)
        if (zmq_send (router, route->frame[i], route->len[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return -1;
    return zmq_send (router, data, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/*  ---- PUB ----  */

struct cj_pub_t {
    void *socket;
    char  producer[32];
    char  endpoint[256];
};

static void
s_put_u64 (uint8_t out[8], uint64_t value)
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        out[i] = (uint8_t) value;
}

static uint64_t
s_get_u64 (const uint8_t in[8])
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | in[i];
    return value;
}

cj_pub_t *
cj_pub_new (void *zmq_ctx, const char *endpoint, const char *producer, int sndhwm)
{
    cj_pub_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->producer, sizeof self->producer, "%s", producer);
    self->socket = zmq_socket (zmq_ctx, ZMQ_PUB);
    if (!self->socket)
        goto fail;
    int hwm = sndhwm > 0 ? sndhwm : S_DEFAULT_HWM, linger = 0;
    zmq_setsockopt (self->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind (self->socket, endpoint) != 0)
        goto fail;
    size_t size = sizeof self->endpoint;
    if (zmq_getsockopt (self->socket, ZMQ_LAST_ENDPOINT, self->endpoint, &size) != 0)
        snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    return self;

fail:;
    int saved = errno;
    cj_pub_destroy (&self);
    errno = saved;
    return NULL;
}

void
cj_pub_destroy (cj_pub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->socket)
        zmq_close ((*self_p)->socket);
    free (*self_p);
    *self_p = NULL;
}

const char *
cj_pub_endpoint (const cj_pub_t *self)
{
    return self->endpoint;
}

static int
s_pub_send (cj_pub_t *self, uint32_t partition, uint64_t seq, const void *data, size_t len,
            bool heartbeat)
{
    char topic[S_TOPIC_MAX];
    uint8_t seqbuf[8];
    int tlen = snprintf (topic, sizeof topic, "%s.%u", self->producer, partition);
    s_put_u64 (seqbuf, seq);
    if (zmq_send (self->socket, topic, (size_t) tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (heartbeat)
        return zmq_send (self->socket, seqbuf, 8, ZMQ_DONTWAIT) < 0 ? -1 : 0;
    if (zmq_send (self->socket, seqbuf, 8, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send (self->socket, data, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

int
cj_pub_event (cj_pub_t *self, uint32_t partition, uint64_t seq, const void *data, size_t len)
{
    return s_pub_send (self, partition, seq, data, len, false);
}

int
cj_pub_heartbeat (cj_pub_t *self, uint32_t partition, uint64_t head)
{
    return s_pub_send (self, partition, head, NULL, 0, true);
}

static int
s_parse_u64 (const char *text, size_t len, uint64_t *ret_value)
{
    uint64_t value = 0;
    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (uint64_t) (text[i] - '0');
    }
    *ret_value = value;
    return 0;
}

int
cj_outbox_head (cj_store_t *store, const char *producer, uint32_t partition, uint64_t *ret_head)
{
    char meta[CJ_KEY_MAX];
    cj_key (meta, sizeof meta, partition, producer, "meta");
    redisReply *reply = cj_store_command (store, "HGET %s head", meta);
    if (!reply)
        return -1;
    int rc = 0;
    uint64_t head = 0;
    if (reply->type == REDIS_REPLY_STRING)
        rc = s_parse_u64 (reply->str, reply->len, &head);
    else if (reply->type != REDIS_REPLY_NIL)
        rc = -1;
    freeReplyObject (reply);
    if (rc == 0)
        *ret_head = head;
    return rc;
}

long long
cj_outbox_trim (cj_store_t *store, const char *producer, uint32_t partition, uint64_t keep)
{
    char subs[CJ_KEY_MAX], outbox[CJ_KEY_MAX];
    cj_key (subs, sizeof subs, partition, producer, "subscribers");
    cj_key (outbox, sizeof outbox, partition, producer, "outbox");
    redisReply *members = cj_store_command (store, "SMEMBERS %s", subs);
    if (!members || members->type != REDIS_REPLY_ARRAY) {
        if (members)
            freeReplyObject (members);
        return -1;
    }
    uint64_t lowest = UINT64_MAX;
    for (size_t i = 0; i < members->elements; i++) {
        char cursors[CJ_KEY_MAX];
        cj_key (cursors, sizeof cursors, partition, members->element[i]->str, "cursors");
        redisReply *reply = cj_store_command (store, "HGET %s %s", cursors, producer);
        uint64_t cursor = 0;
        if (!reply) {
            freeReplyObject (members);
            return -1;
        }
        if (reply->type == REDIS_REPLY_STRING)
            s_parse_u64 (reply->str, reply->len, &cursor);
        freeReplyObject (reply);
        if (cursor < lowest)
            lowest = cursor;
    }
    freeReplyObject (members);
    if (lowest == UINT64_MAX || lowest <= keep)
        return 0;     /* no subscriber known yet, or nothing old enough */
    redisReply *reply = cj_store_command (store, "XTRIM %s MINID %" PRIu64 "-0", outbox,
                                          lowest - keep + 1);
    if (!reply)
        return -1;
    long long removed = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    freeReplyObject (reply);
    return removed;
}

/*  ---- SUB ----  */

typedef struct {
    bool            owned;
    bool            stuck;      /* the outbox lost events we never applied */
    uint64_t        cursor;     /* durable */
    uint64_t        pending;    /* applied into the current batch */
    uint64_t        head;       /* highest seq known to exist */
    cj_gauge_t     *lag;
    cj_counter_t   *delivered, *applied, *redelivered, *dead, *gaps;
} s_part_t;

struct cj_sub_t {
    void            *socket;
    cj_store_t      *store;
    char             consumer[32];
    char             producer[32];
    uint32_t         partitions;
    cj_sub_apply_fn *apply;
    cj_sub_read_ahead_fn *read_ahead;
    void            *arg;
    s_part_t        *part;
};

void
cj_sub_set_read_ahead (cj_sub_t *self, cj_sub_read_ahead_fn *fn)
{
    self->read_ahead = fn;
}

cj_sub_t *
cj_sub_new (void *zmq_ctx, cj_store_t *store, cj_metrics_t *metrics, const char *consumer,
            const char *producer, const char *endpoint, uint32_t partitions, int rcvhwm,
            cj_sub_apply_fn *apply, void *arg)
{
    cj_sub_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->partitions = partitions;
    self->apply = apply;
    self->arg = arg;
    snprintf (self->consumer, sizeof self->consumer, "%s", consumer);
    snprintf (self->producer, sizeof self->producer, "%s", producer);
    self->part = calloc (partitions, sizeof *self->part);
    self->socket = zmq_socket (zmq_ctx, ZMQ_SUB);
    if (!self->part || !self->socket)
        goto fail;
    int hwm = rcvhwm > 0 ? rcvhwm : S_DEFAULT_HWM, linger = 0;
    char prefix[S_TOPIC_MAX];
    int plen = snprintf (prefix, sizeof prefix, "%s.", producer);
    zmq_setsockopt (self->socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->socket, ZMQ_SUBSCRIBE, prefix, (size_t) plen);
    if (zmq_connect (self->socket, endpoint) != 0)
        goto fail;
    char sub[64];
    snprintf (sub, sizeof sub, "%s.%s", consumer, producer);
    for (uint32_t p = 0; metrics && p < partitions; p++) {
        char ps[16];
        snprintf (ps, sizeof ps, "%u", p);
        s_part_t *pt = &self->part[p];
#define S_LABELS "subscription", sub, "partition", ps, NULL
        pt->lag = cj_metrics_gauge (metrics, "chejian_consumer_lag_events",
                                    "Producer head seq minus the durable cursor", S_LABELS);
        pt->delivered = cj_metrics_counter (metrics, "chejian_events_delivered_total",
                                            "Events received on the live PUB path", S_LABELS);
        pt->applied = cj_metrics_counter (metrics, "chejian_events_applied_total",
                                          "Events applied (live or caught up)", S_LABELS);
        pt->redelivered = cj_metrics_counter (metrics, "chejian_events_redelivered_total",
                                              "Events read back from the outbox after a gap",
                                              S_LABELS);
        pt->dead = cj_metrics_counter (metrics, "chejian_events_dead_lettered_total",
                                       "Events that could never be applied", S_LABELS);
        pt->gaps = cj_metrics_counter (metrics, "chejian_consumer_gaps_total",
                                       "Gaps detected on the live path", S_LABELS);
#undef S_LABELS
    }
    return self;

fail:
    cj_sub_destroy (&self);
    return NULL;
}

void
cj_sub_destroy (cj_sub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_sub_t *self = *self_p;
    if (self->socket)
        zmq_close (self->socket);
    free (self->part);
    free (self);
    *self_p = NULL;
}

void *cj_sub_socket (cj_sub_t *self) { return self->socket; }
const char *cj_sub_producer (const cj_sub_t *self) { return self->producer; }

static void
s_update_lag (s_part_t *pt)
{
    if (pt->lag)
        cj_gauge_set (pt->lag, pt->head > pt->cursor ? (double) (pt->head - pt->cursor) : 0.0);
}

static void
s_count (cj_counter_t *counter, uint64_t n)
{
    if (counter)
        cj_counter_add (counter, n);
}

int
cj_sub_own (cj_sub_t *self, uint32_t partition)
{
    if (partition >= self->partitions)
        return -1;
    s_part_t *pt = &self->part[partition];
    char cursors[CJ_KEY_MAX], subs[CJ_KEY_MAX];
    cj_key (cursors, sizeof cursors, partition, self->consumer, "cursors");
    cj_key (subs, sizeof subs, partition, self->producer, "subscribers");
    redisReply *reply = cj_store_command (self->store, "HGET %s %s", cursors, self->producer);
    if (!reply)
        return -1;
    uint64_t cursor = 0;
    int rc = reply->type == REDIS_REPLY_STRING ? s_parse_u64 (reply->str, reply->len, &cursor)
             : reply->type == REDIS_REPLY_NIL  ? 0 : -1;
    freeReplyObject (reply);
    uint64_t head = 0;
    if (rc != 0 || cj_outbox_head (self->store, self->producer, partition, &head) != 0)
        return -1;
    reply = cj_store_command (self->store, "SADD %s %s", subs, self->consumer);
    if (!reply)
        return -1;
    freeReplyObject (reply);
    pt->owned = true;
    pt->stuck = false;
    pt->cursor = pt->pending = cursor;
    pt->head = head > cursor ? head : cursor;
    s_update_lag (pt);
    return 0;
}

void
cj_sub_disown (cj_sub_t *self, uint32_t partition)
{
    if (partition < self->partitions)
        self->part[partition].owned = false;
}

/*  Decodes and applies event 'seq' of 'partition' into 'batch'; an event that cannot be
 *  decoded or applied is dead-lettered instead, so the cursor still moves past it.  */
static void
s_apply (cj_sub_t *self, uint32_t partition, uint64_t seq, const void *data, size_t len,
         cj_envelope_t *event, cj_batch_t *batch)
{
    s_part_t *pt = &self->part[partition];
    cj_problems_t problems;
    cj_problems_init (&problems);
    if (!event)
        event = cj_envelope_decode (data, len, &problems);
    cj_batch_mark_t mark = cj_batch_mark (batch);
    int rc = event ? self->apply (self->arg, partition, seq, event, batch) : -1;
    cj_envelope_free (&event);
    if (rc != 0) {
        cj_batch_rollback (batch, mark);
        char key[CJ_KEY_MAX], head[96];
        cj_key (key, sizeof key, partition, self->consumer, "deadletter:%s", self->producer);
        int hlen = snprintf (head, sizeof head, "seq=%" PRIu64 " reason=%s\n", seq,
                             problems.count ? problems.items[0].code : "handler refused");
        char *entry = malloc ((size_t) hlen + len);
        if (entry) {
            memcpy (entry, head, (size_t) hlen);
            memcpy (entry + hlen, data, len);
            cj_batch_rpush (batch, key, entry, (size_t) hlen + len);
            free (entry);
        }
        s_count (pt->dead, 1);
    } else
        s_count (pt->applied, 1);
    pt->pending = seq;
}

/*  Parses a topic "<producer>.<partition>" into 'ret_partition'.  */
static int
s_parse_topic (const cj_sub_t *self, const char *topic, size_t len, uint32_t *ret_partition)
{
    size_t plen = strlen (self->producer);
    uint64_t partition;
    if (len <= plen + 1 || memcmp (topic, self->producer, plen) != 0 || topic[plen] != '.'
        || s_parse_u64 (topic + plen + 1, len - plen - 1, &partition) != 0
        || partition >= self->partitions)
        return -1;
    *ret_partition = (uint32_t) partition;
    return 0;
}

/*  One live message as received: topic, seq and (for an event) the envelope.  */
typedef struct {
    zmq_msg_t      frames[3];
    size_t         count;
    cj_envelope_t *event;      /* decoded ahead for the read-ahead, else NULL */
} s_inmsg_t;

/*  Receives one live message into 'm' without blocking. Returns 0 when none is waiting.  */
static int
s_recv_live (cj_sub_t *self, s_inmsg_t *m)
{
    int more = 1;
    m->count = 0;
    m->event = NULL;
    while (more && m->count < 3) {
        zmq_msg_init (&m->frames[m->count]);
        if (zmq_msg_recv (&m->frames[m->count], self->socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&m->frames[m->count]);
            break;
        }
        more = zmq_msg_more (&m->frames[m->count]);
        m->count++;
    }
    if (more && m->count)
        s_drain_parts (self->socket);   /* more than three frames: not ours */
    return m->count > 0;
}

/*  The partition and seq of a live message of a partition this consumer owns; -1 otherwise.  */
static int
s_live_seq (cj_sub_t *self, const s_inmsg_t *m, uint32_t *ret_partition, uint64_t *ret_seq)
{
    if (m->count < 2 || zmq_msg_size (&m->frames[1]) != 8
        || s_parse_topic (self, zmq_msg_data ((zmq_msg_t *) &m->frames[0]),
                          zmq_msg_size (&m->frames[0]), ret_partition) != 0
        || !self->part[*ret_partition].owned)
        return -1;
    *ret_seq = s_get_u64 (zmq_msg_data ((zmq_msg_t *) &m->frames[1]));
    return 0;
}

/*  Decodes the events of 'in' that will be applied (next in order in their partition) and
 *  hands them to the read-ahead.  */
static void
s_read_ahead_live (cj_sub_t *self, s_inmsg_t *in, size_t n, cj_batch_t *const *batches)
{
    uint64_t next[CJ_PARTITIONS_MAX];
    cj_sub_item_t *items = malloc (n * sizeof *items);
    if (!items || self->partitions > CJ_PARTITIONS_MAX) {
        free (items);
        return;
    }
    for (uint32_t p = 0; p < self->partitions; p++)
        next[p] = self->part[p].pending;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p;
        uint64_t seq;
        if (in[i].count != 3 || s_live_seq (self, &in[i], &p, &seq) != 0 || seq != next[p] + 1
            || !batches[p] || self->part[p].stuck)
            continue;
        cj_problems_t problems;
        cj_problems_init (&problems);
        in[i].event = cj_envelope_decode (zmq_msg_data (&in[i].frames[2]),
                                          zmq_msg_size (&in[i].frames[2]), &problems);
        next[p] = seq;
        if (in[i].event)
            items[k++] = (cj_sub_item_t) { p, seq, in[i].event, batches[p] };
    }
    if (k)
        self->read_ahead (self->arg, items, k);
    free (items);
}

int
cj_sub_drain (cj_sub_t *self, cj_batch_t *const *batches, size_t max)
{
    s_inmsg_t *in = max ? malloc (max * sizeof *in) : NULL;
    if (!in)
        return max ? -1 : 0;
    size_t n = 0;
    while (n < max && s_recv_live (self, &in[n]))
        n++;
    if (self->read_ahead && n)
        s_read_ahead_live (self, in, n, batches);
    int applied = 0;
    for (size_t i = 0; i < n; i++) {
        s_inmsg_t *m = &in[i];
        uint32_t partition;
        uint64_t seq;
        if (s_live_seq (self, m, &partition, &seq) == 0) {
            s_part_t *pt = &self->part[partition];
            if (seq > pt->head)
                pt->head = seq;
            if (m->count == 3) {
                s_count (pt->delivered, 1);
                if (seq == pt->pending + 1 && batches[partition] && !pt->stuck) {
                    s_apply (self, partition, seq, zmq_msg_data (&m->frames[2]),
                             zmq_msg_size (&m->frames[2]), m->event, batches[partition]);
                    m->event = NULL;            /* s_apply freed it */
                    applied++;
                } else if (seq > pt->pending + 1)
                    s_count (pt->gaps, 1);
            }
        }
        cj_envelope_free (&m->event);
        for (size_t f = 0; f < m->count; f++)
            zmq_msg_close (&m->frames[f]);
    }
    free (in);
    return applied;
}

/*  An event of an outbox range decoded ahead; the list ends with seq 0.  */
typedef struct {
    uint64_t       seq;
    cj_envelope_t *event;
} s_catch_up_item_t;

/*  Decodes the events of an XRANGE reply that catch-up will apply (up to 'max', in order
 *  after the pending cursor) and hands them to the read-ahead. Returns them (NULL when there
 *  are none or memory is short: the catch-up then decodes as it applies).  */
static s_catch_up_item_t *
s_read_ahead_range (cj_sub_t *self, uint32_t partition, const redisReply *reply,
                    cj_batch_t *batch, size_t max)
{
    size_t cap = 0;
    for (size_t e = 0; e < reply->elements; e++)
        cap += reply->element[e]->element[1]->elements / 2;
    cap = cap < max ? cap : max;
    s_catch_up_item_t *out = calloc (cap + 1, sizeof *out);
    cj_sub_item_t *items = calloc (cap + 1, sizeof *items);
    size_t k = 0;
    uint64_t next = self->part[partition].pending;
    for (size_t e = 0; out && items && e < reply->elements && k < cap; e++) {
        const redisReply *fields = reply->element[e]->element[1];
        for (size_t f = 0; f + 1 < fields->elements && k < cap; f += 2) {
            uint64_t seq;
            if (s_parse_u64 (fields->element[f]->str, fields->element[f]->len, &seq) != 0
                || seq <= next)
                continue;
            if (seq != next + 1)
                goto done;
            cj_problems_t problems;
            cj_problems_init (&problems);
            cj_envelope_t *event = cj_envelope_decode (fields->element[f + 1]->str,
                                                       fields->element[f + 1]->len, &problems);
            next = seq;
            if (!event)
                continue;
            out[k] = (s_catch_up_item_t) { seq, event };
            items[k++] = (cj_sub_item_t) { partition, seq, event, batch };
        }
    }
done:
    if (k)
        self->read_ahead (self->arg, items, k);
    free (items);
    if (out && k == 0) {
        free (out);
        out = NULL;
    }
    return out;
}

/*  Reads events of 'partition' after its pending cursor from the producer's outbox and
 *  applies up to 'max' of them. Returns the number applied, or -1 on a Redis error.  */
static int
s_catch_up_partition (cj_sub_t *self, uint32_t partition, cj_batch_t *batch, size_t max)
{
    s_part_t *pt = &self->part[partition];
    char outbox[CJ_KEY_MAX];
    cj_key (outbox, sizeof outbox, partition, self->producer, "outbox");
    int applied = 0;
    while ((size_t) applied < max && pt->head > pt->pending) {
        redisReply *reply = cj_store_command (self->store, "XRANGE %s %" PRIu64 "-0 + COUNT %d",
                                              outbox, pt->pending + 1, S_CATCHUP_ENTRIES);
        if (!reply)
            return -1;
        if (reply->type != REDIS_REPLY_ARRAY) {
            freeReplyObject (reply);
            return -1;
        }
        uint64_t before = pt->pending;
        s_catch_up_item_t *ahead = self->read_ahead
                                   ? s_read_ahead_range (self, partition, reply, batch,
                                                         max - (size_t) applied)
                                   : NULL;
        size_t next_ahead = 0;
        for (size_t e = 0; e < reply->elements && (size_t) applied < max; e++) {
            redisReply *fields = reply->element[e]->element[1];
            for (size_t f = 0; f + 1 < fields->elements && (size_t) applied < max; f += 2) {
                uint64_t seq;
                if (s_parse_u64 (fields->element[f]->str, fields->element[f]->len, &seq) != 0
                    || seq <= pt->pending)
                    continue;
                if (seq != pt->pending + 1) {
                    pt->stuck = true;       /* trimmed before we applied it: never skip */
                    break;
                }
                cj_envelope_t *event = NULL;
                if (ahead && ahead[next_ahead].seq == seq) {
                    event = ahead[next_ahead].event;
                    ahead[next_ahead++].event = NULL;
                }
                s_apply (self, partition, seq, fields->element[f + 1]->str,
                         fields->element[f + 1]->len, event, batch);
                s_count (pt->redelivered, 1);
                applied++;
            }
            if (pt->stuck)
                break;
        }
        for (size_t i = 0; ahead && ahead[i].seq; i++)
            cj_envelope_free (&ahead[i].event);
        free (ahead);
        freeReplyObject (reply);
        if (pt->pending == before) {         /* the outbox has nothing after our cursor */
            if (pt->head > pt->pending)
                pt->stuck = true;
            break;
        }
        if (pt->stuck)
            break;
    }
    return applied;
}

int
cj_sub_catch_up (cj_sub_t *self, cj_batch_t *const *batches, size_t max)
{
    int total = 0;
    for (uint32_t p = 0; p < self->partitions; p++) {
        s_part_t *pt = &self->part[p];
        if (!pt->owned || pt->stuck || !batches[p] || pt->head <= pt->pending)
            continue;
        int n = s_catch_up_partition (self, p, batches[p], max);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

int
cj_sub_prepare_commit (cj_sub_t *self, cj_batch_t *const *batches)
{
    char cursors[CJ_KEY_MAX];
    for (uint32_t p = 0; p < self->partitions; p++) {
        s_part_t *pt = &self->part[p];
        if (!pt->owned || pt->pending == pt->cursor || !batches[p])
            continue;
        cj_key (cursors, sizeof cursors, p, self->consumer, "cursors");
        if (cj_batch_hset_int (batches[p], cursors, self->producer, (int64_t) pt->pending) != 0)
            return -1;
    }
    return 0;
}

void
cj_sub_committed (cj_sub_t *self, uint32_t partition, bool ok)
{
    if (partition >= self->partitions)
        return;
    s_part_t *pt = &self->part[partition];
    if (ok)
        pt->cursor = pt->pending;
    else
        pt->pending = pt->cursor;
    s_update_lag (pt);
}

uint64_t cj_sub_cursor (const cj_sub_t *self, uint32_t p) { return self->part[p].cursor; }
uint64_t cj_sub_head (const cj_sub_t *self, uint32_t p) { return self->part[p].head; }

uint64_t
cj_sub_lag (const cj_sub_t *self, uint32_t p)
{
    const s_part_t *pt = &self->part[p];
    return pt->head > pt->cursor ? pt->head - pt->cursor : 0;
}

uint64_t
cj_sub_max_lag (const cj_sub_t *self)
{
    uint64_t max = 0;
    for (uint32_t p = 0; p < self->partitions; p++)
        if (self->part[p].owned && cj_sub_lag (self, p) > max)
            max = cj_sub_lag (self, p);
    return max;
}

bool
cj_sub_behind (const cj_sub_t *self)
{
    for (uint32_t p = 0; p < self->partitions; p++) {
        const s_part_t *pt = &self->part[p];
        if (pt->owned && !pt->stuck && pt->head > pt->pending)
            return true;
    }
    return false;
}

bool
cj_sub_stuck (const cj_sub_t *self, uint32_t partition)
{
    return partition < self->partitions && self->part[partition].owned
           && self->part[partition].stuck;
}

void
cj_sub_totals (const cj_sub_t *self, uint32_t partition, uint64_t *ret_redelivered,
               uint64_t *ret_dead_lettered)
{
    const s_part_t *pt = partition < self->partitions ? &self->part[partition] : NULL;
    *ret_redelivered = pt && pt->redelivered ? cj_counter_value (pt->redelivered) : 0;
    *ret_dead_lettered = pt && pt->dead ? cj_counter_value (pt->dead) : 0;
}
