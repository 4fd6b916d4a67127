/*  gw_zap.c - the ZAP handler (ZeroMQ RFC 27) of the agencies' CURVE ROUTER, over plain
 *  libzmq. See gateway.h.
 *
 *  libzmq sends a request for every CURVE handshake to inproc://zeromq.zap.01 in the same
 *  context and waits for the reply before it lets the peer in:
 *      request: "1.0", request_id, domain, address, routing_id, mechanism, credentials...
 *               (CURVE: one credential, the client's 32-byte public key)
 *      reply:   "1.0", request_id, status ("200" / "400" / "500"), status text, user id,
 *               metadata (ZMTP property list)
 *  The user id, the agency's id, comes back on every message of the connection as the
 *  "User-Id" property; the metadata adds GW_KEY_PROPERTY, the key the agency used, so that a
 *  connection whose key left the agencies file (SIGHUP) can be refused later.  */
#include "gateway.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define S_FRAMES 7   /* frames read; the rest of a request is drained */

enum { S_VERSION, S_REQUEST_ID, S_DOMAIN, S_ADDRESS, S_ROUTING_ID, S_MECHANISM, S_CREDENTIAL };

void *
gw_zap_new (void *zctx)
{
    void *zap = zmq_socket (zctx, ZMQ_REP);
    int linger = 0;
    if (!zap)
        return NULL;
    if (zmq_setsockopt (zap, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_bind (zap, GW_ZAP_ENDPOINT) != 0) {
        int saved = errno;
        zmq_close (zap);
        errno = saved;
        return NULL;
    }
    return zap;
}

/*  Receives one request into 'frames' (all initialised; the caller closes them). Returns the
 *  number of frames kept, or 0 when nothing was waiting.  */
static size_t
s_recv_request (void *zap, zmq_msg_t frames[S_FRAMES])
{
    size_t n = 0;
    for (size_t i = 0; i < S_FRAMES; i++)
        zmq_msg_init (&frames[i]);
    bool more = true;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *msg = n < S_FRAMES ? &frames[n] : &scratch;
        if (msg == &scratch)
            zmq_msg_init (&scratch);
        if (zmq_msg_recv (msg, zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0)
            return n;
        more = zmq_msg_more (msg);
        if (msg == &scratch)
            zmq_msg_close (&scratch);
        else
            n++;
    }
    return n;
}

static bool
s_frame_is (zmq_msg_t *frame, const char *text)
{
    size_t len = strlen (text);
    return zmq_msg_size (frame) == len && memcmp (zmq_msg_data (frame), text, len) == 0;
}

/*  The metadata of an admitted agency: one property, GW_KEY_PROPERTY = its Z85 key.  */
static size_t
s_metadata (const gw_agency_t *agency, uint8_t *out, size_t size)
{
    size_t name = strlen (GW_KEY_PROPERTY), value = strlen (agency->public_key);
    if (1 + name + 4 + value > size)
        return 0;
    size_t at = 0;
    out[at++] = (uint8_t) name;
    memcpy (out + at, GW_KEY_PROPERTY, name);
    at += name;
    for (int shift = 24; shift >= 0; shift -= 8)
        out[at++] = (uint8_t) (value >> shift);
    memcpy (out + at, agency->public_key, value);
    return at + value;
}

static void
s_reply (void *zap, zmq_msg_t *request_id, const char *status, const char *text,
         const gw_agency_t *agency)
{
    uint8_t metadata[128];
    size_t mlen = agency ? s_metadata (agency, metadata, sizeof metadata) : 0;
    const char *user = agency ? agency->id : "";
    zmq_send (zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (zap, zmq_msg_data (request_id), zmq_msg_size (request_id), ZMQ_SNDMORE);
    zmq_send (zap, status, strlen (status), ZMQ_SNDMORE);
    zmq_send (zap, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (zap, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (zap, metadata, mlen, 0);
}

int
gw_zap_handle (void *zap, gw_agencies_t *agencies, char *ret_address, size_t address_size)
{
    zmq_msg_t f[S_FRAMES];
    size_t n = s_recv_request (zap, f);
    int rc = -1;
    if (address_size)
        ret_address[0] = 0;
    if (n == 0)
        goto done;
    if (n < S_CREDENTIAL || !s_frame_is (&f[S_VERSION], "1.0")) {
        s_reply (zap, &f[n > S_REQUEST_ID ? S_REQUEST_ID : 0], "500", "malformed ZAP request",
                 NULL);
        rc = 0;
        goto done;
    }
    snprintf (ret_address, address_size, "%.*s", (int) zmq_msg_size (&f[S_ADDRESS]),
              (const char *) zmq_msg_data (&f[S_ADDRESS]));
    gw_agency_t *agency = NULL;
    if (n > S_CREDENTIAL && s_frame_is (&f[S_MECHANISM], "CURVE")
        && zmq_msg_size (&f[S_CREDENTIAL]) == 32)
        agency = gw_agencies_by_key (agencies, zmq_msg_data (&f[S_CREDENTIAL]));
    if (agency)
        s_reply (zap, &f[S_REQUEST_ID], "200", "OK", agency);
    else
        s_reply (zap, &f[S_REQUEST_ID], "400", "key not in the agencies file", NULL);
    rc = agency ? 1 : 0;
done:
    for (size_t i = 0; i < S_FRAMES; i++)
        zmq_msg_close (&f[i]);
    return rc;
}
