/*  fuzz_gateway.c - one agency request through chejian-gateway's request handling
 *  (services/gateway/gw_loop.c: s_take_requests, cj_router_recv, s_on_request: decode,
 *  header, agency, permission, forward or reject; then s_relay_replies or s_expire).
 *
 *  gw_loop.c is compiled into this file so that its static functions run as they are, on a
 *  gw_t made here: the agencies of tests/fuzz/gateway_agencies.json, no metrics, and inproc
 *  ZeroMQ sockets made once per process (an agency DEALER on the gateway's ROUTER, and one
 *  ROUTER per service behind the gateway's DEALERs; nothing leaves the process). The ZAP
 *  metadata a CURVE connection would carry (User-Id and the key) is chosen by the input:
 *  zmq_msg_gets is replaced, for gw_loop.c only, by s_fuzz_msg_gets.
 *
 *  Input: byte 0 bits 0-2 who sent it (0-3 an agency with its key, 4 an agency with another
 *  agency's key, 5 no ZAP metadata, 6 an unknown id, 7 an id without a key); bits 3-4 what
 *  the service does (0 answers with the reply bytes, 1 stays silent until the deadline, 2 is
 *  not connected, 3 every agency already has 1000 requests in flight, its limit). Byte 1:
 *  extra routing frames (mod 10), each a length byte (times 2) and its bytes. Then a 2-byte
 *  big-endian payload length, the payload (the envelope), and the rest: the service's reply.
 *
 *  Asserts: no crash, leak or undefined behaviour; a request with a sane route gets exactly
 *  one answer, one with a bad route (too many or too long frames) none; what is forwarded is
 *  [8-byte tag][the payload unchanged] and only for a known agency's key; the answer goes
 *  back along the route the agency sent; a service's reply is relayed byte for byte; every
 *  answer the gateway makes itself is an Ack, REJECTED or UNAVAILABLE; after each request no
 *  request is pending and every agency has as many in flight as before.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "gateway.h"
#include "fuzz.h"

static const char *s_user_id;
static const char *s_user_key;

static const char *
s_fuzz_msg_gets (const zmq_msg_t *msg, const char *property)
{
    (void) msg;
    if (strcmp (property, "User-Id") == 0)
        return s_user_id;
    return strcmp (property, GW_KEY_PROPERTY) == 0 ? s_user_key : NULL;
}

#define zmq_msg_gets(msg, property) s_fuzz_msg_gets (msg, property)
#include "gw_loop.c"
#undef zmq_msg_gets

#define S_AGENCIES 4
#define S_CLIENT_ID "fuzz-agency"

static const char *const s_ids[S_AGENCIES] = { "hrss-510822", "bank-510822", "ws-qc-p01",
                                               "admin" };

static struct {
    gw_t  gw;
    void *client;                       /* the agency's DEALER */
    void *service[4];                   /* ROUTERs behind the gateway's DEALERs, by owner */
    void *live[4];                      /* the gateway's connected DEALERs */
    void *dead;                         /* a DEALER with no peer */
    char  keys[S_AGENCIES][CJ_CURVE_Z85 + 1];
} s;

static void *
s_socket (int type, const char *bind, const char *connect)
{
    void *socket = zmq_socket (s.gw.zctx, type);
    FUZZ_ASSERT (socket);
    int zero = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &zero, sizeof zero);
    if (type == ZMQ_DEALER && connect && strcmp (connect, "inproc://fuzz-gw") == 0)
        zmq_setsockopt (socket, ZMQ_ROUTING_ID, S_CLIENT_ID, strlen (S_CLIENT_ID));
    FUZZ_ASSERT (!bind || zmq_bind (socket, bind) == 0);
    FUZZ_ASSERT (!connect || zmq_connect (socket, connect) == 0);
    return socket;
}

static void
s_init (void)
{
    if (s.gw.zctx)
        return;
    cj_log_init ("fuzz", (cj_log_level_t) (CJ_LOG_ERROR + 1));
    char err[512];
    s.gw.agencies = gw_agencies_load (FUZZ_GATEWAY_AGENCIES, err, sizeof err);
    if (!s.gw.agencies)
        fprintf (stderr, "fuzz_gateway: %s\n", err);
    FUZZ_ASSERT (s.gw.agencies);
    for (int i = 0; i < S_AGENCIES; i++) {
        gw_agency_t *a = gw_agencies_by_id (s.gw.agencies, s_ids[i]);
        FUZZ_ASSERT (a);
        snprintf (s.keys[i], sizeof s.keys[i], "%s", a->public_key);
    }
    s.gw.pending = gw_pending_new (GW_PENDING_MAX);
    FUZZ_ASSERT (s.gw.pending);
    s.gw.timeout_ms = 5000;
    s.gw.zctx = zmq_ctx_new ();
    FUZZ_ASSERT (s.gw.zctx);
    s.gw.router = s_socket (ZMQ_ROUTER, "inproc://fuzz-gw", NULL);
    s.client = s_socket (ZMQ_DEALER, NULL, "inproc://fuzz-gw");
    for (int o = CJ_OWNER_REGISTRY; o <= CJ_OWNER_ADJUDICATOR; o++) {
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "inproc://fuzz-gw-service-%d", o);
        s.service[o] = s_socket (ZMQ_ROUTER, endpoint, NULL);
        s.live[o] = s_socket (ZMQ_DEALER, NULL, endpoint);
    }
    s.dead = s_socket (ZMQ_DEALER, NULL, NULL);
}

/*  The input, cut into its parts.  */
typedef struct {
    int            who, service;
    size_t         nframes;
    const uint8_t *frame[16];
    size_t         len[16];
    const uint8_t *payload, *reply;
    size_t         payload_len, reply_len;
} s_input_t;

static void
s_parse (const uint8_t *data, size_t size, s_input_t *in)
{
    memset (in, 0, sizeof *in);
    size_t at = 0;
    in->who = size > at ? data[at++] : 0;
    in->service = (in->who >> 3) & 3;
    in->who &= 7;
    in->nframes = size > at ? data[at++] % 10 : 0;
    for (size_t i = 0; i < in->nframes; i++) {
        size_t len = size > at ? 2u * data[at++] : 0;
        in->len[i] = len < size - at ? len : size - at;
        in->frame[i] = data + at;
        at += in->len[i];
    }
    size_t len = size - at >= 2 ? (size_t) data[at] << 8 | data[at + 1] : size - at;
    at += size - at >= 2 ? 2 : size - at;
    in->payload_len = len < size - at ? len : size - at;
    in->payload = data + at;
    at += in->payload_len;
    in->reply = data + at;
    in->reply_len = size - at;
}

/*  The ZAP metadata of the connection, as the handshake would have left it.  */
static void
s_set_sender (int who)
{
    s_user_id = s_user_key = NULL;
    if (who < S_AGENCIES) {
        s_user_id = s_ids[who];
        s_user_key = s.keys[who];
    } else if (who == 4) {
        s_user_id = s_ids[0];
        s_user_key = s.keys[1];
    } else if (who == 6) {
        s_user_id = "nobody";
        s_user_key = s.keys[3];
    } else if (who == 7)
        s_user_id = s_ids[3];
}

/*  Receives every part of one message of 'socket' into 'parts' (at most 'max'; the caller
 *  closes them). Returns the number of parts, 0 when none is waiting.  */
static size_t
s_recv_all (void *socket, zmq_msg_t *parts, size_t max)
{
    size_t n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, socket, n ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            FUZZ_ASSERT (n == 0);
            return 0;
        }
        more = zmq_msg_more (&part);
        FUZZ_ASSERT (n < max);
        parts[n++] = part;
    }
    return n;
}

static void
s_close_all (zmq_msg_t *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_msg_close (&parts[i]);
}

/*  What reached 'owner''s service: [dealer id][tag][payload]; answered with the reply
 *  bytes when the service answers. Returns 1 when something was forwarded.  */
static int
s_serve (const s_input_t *in, cj_owner_t owner)
{
    zmq_msg_t parts[8];
    size_t n = s_recv_all (s.service[owner], parts, 8);
    if (n == 0)
        return 0;
    FUZZ_ASSERT (n == 3 && zmq_msg_size (&parts[1]) == sizeof (uint64_t));
    FUZZ_ASSERT (zmq_msg_size (&parts[2]) == in->payload_len
                 && memcmp (zmq_msg_data (&parts[2]), in->payload, in->payload_len) == 0);
    if (in->service == 0) {
        FUZZ_ASSERT (zmq_msg_send (&parts[0], s.service[owner], ZMQ_SNDMORE) >= 0);
        FUZZ_ASSERT (zmq_msg_send (&parts[1], s.service[owner], ZMQ_SNDMORE) >= 0);
        FUZZ_ASSERT (zmq_send (s.service[owner], in->reply, in->reply_len, 0) >= 0);
        s_relay_replies (&s.gw, owner);
        s_close_all (parts, 2);     /* sent messages are empty again; closing is harmless */
        zmq_msg_close (&parts[2]);
    } else
        s_close_all (parts, n);
    return 1;
}

/*  The answers the agency got: each along its route, each an Ack the gateway made or the
 *  service's reply relayed unchanged. Returns their number.  */
static int
s_answers (const s_input_t *in, bool relayed)
{
    int answers = 0;
    zmq_msg_t parts[16];
    size_t n;
    while ((n = s_recv_all (s.client, parts, 16)) > 0) {
        answers++;
        FUZZ_ASSERT (n == in->nframes + 1);
        for (size_t i = 0; i < in->nframes; i++)
            FUZZ_ASSERT (zmq_msg_size (&parts[i]) == in->len[i]
                         && memcmp (zmq_msg_data (&parts[i]), in->frame[i], in->len[i]) == 0);
        zmq_msg_t *ack = &parts[n - 1];
        if (relayed)
            FUZZ_ASSERT (zmq_msg_size (ack) == in->reply_len
                         && memcmp (zmq_msg_data (ack), in->reply, in->reply_len) == 0);
        else {
            cj_ack_t *a = chejian__v1__ack__unpack (NULL, zmq_msg_size (ack), zmq_msg_data (ack));
            FUZZ_ASSERT (a);
            FUZZ_ASSERT (a->status == S_REJECTED || a->status == S_UNAVAILABLE);
            FUZZ_ASSERT (a->n_problems >= 1);
            chejian__v1__ack__free_unpacked (a, NULL);
        }
        s_close_all (parts, n);
    }
    return answers;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_init ();
    s_input_t in;
    s_parse (data, size, &in);
    s_set_sender (in.who);
    s.gw.max_in_flight = 1000;
    for (int i = 0; i < S_AGENCIES; i++)   /* at the limit: as if 1000 were in flight */
        gw_agencies_by_id (s.gw.agencies, s_ids[i])->in_flight = in.service == 3 ? 1000 : 0;
    for (int o = CJ_OWNER_REGISTRY; o <= CJ_OWNER_ADJUDICATOR; o++)
        s.gw.dealer[o] = in.service == 2 ? s.dead : s.live[o];

    bool sane = in.nframes + 1 <= CJ_ROUTE_FRAMES_MAX;
    for (size_t i = 0; i < in.nframes; i++) {
        sane = sane && in.len[i] <= CJ_ROUTE_FRAME_MAX;
        FUZZ_ASSERT (zmq_send (s.client, in.frame[i], in.len[i], ZMQ_SNDMORE) >= 0);
    }
    FUZZ_ASSERT (zmq_send (s.client, in.payload, in.payload_len, 0) >= 0);
    s_take_requests (&s.gw);

    int forwarded = 0;
    for (cj_owner_t o = CJ_OWNER_REGISTRY; o <= CJ_OWNER_ADJUDICATOR; o++)
        forwarded += s_serve (&in, o);
    FUZZ_ASSERT (forwarded <= 1);
    FUZZ_ASSERT (!forwarded || (in.who < S_AGENCIES && in.service <= 1));
    s_expire (&s.gw, 0, true);          /* a silent service: UNAVAILABLE */
    int answers = s_answers (&in, forwarded && in.service == 0);
    FUZZ_ASSERT (answers == (sane ? 1 : 0));

    FUZZ_ASSERT (gw_pending_count (s.gw.pending) == 0);
    for (int i = 0; i < S_AGENCIES; i++)
        FUZZ_ASSERT (gw_agencies_by_id (s.gw.agencies, s_ids[i])->in_flight
                     == (in.service == 3 ? 1000u : 0u));
    return 0;
}
