/*  client.c - a DEALER connection to a chejian endpoint. See include/chejian/client.h.  */
#include "chejian/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <zmq.h>

struct cj_client_t {
    void *zctx;
    bool  own_ctx;
    void *socket;
};

static cj_client_t *
client_new (void *zmq_ctx, const char *endpoint, const cj_curve_keypair_t *kp,
            const char *server_public)
{
    cj_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->zctx = zmq_ctx;
    if (!self->zctx) {
        self->zctx = zmq_ctx_new ();
        self->own_ctx = true;
    }
    self->socket = self->zctx ? zmq_socket (self->zctx, ZMQ_DEALER) : NULL;
    int linger = 0, hwm = 100000;
    if (!self->socket
        || zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt (self->socket, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0
        || zmq_setsockopt (self->socket, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
        || (kp && cj_curve_make_client (self->socket, kp, server_public) != 0)
        || zmq_connect (self->socket, endpoint) != 0) {
        int saved = errno;
        cj_client_destroy (&self);
        errno = saved;
        return NULL;
    }
    return self;
}

cj_client_t *
cj_client_new (void *zmq_ctx, const char *endpoint)
{
    return client_new (zmq_ctx, endpoint, NULL, NULL);
}

cj_client_t *
cj_client_new_curve (void *zmq_ctx, const char *endpoint, const cj_curve_keypair_t *kp,
                     const char *server_public)
{
    if (!kp || !cj_curve_key_valid (server_public)) {
        errno = EINVAL;
        return NULL;
    }
    return client_new (zmq_ctx, endpoint, kp, server_public);
}

void
cj_client_destroy (cj_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_client_t *self = *self_p;
    if (self->socket)
        zmq_close (self->socket);
    if (self->own_ctx && self->zctx)
        zmq_ctx_term (self->zctx);
    free (self);
    *self_p = NULL;
}

void *
cj_client_socket (cj_client_t *self)
{
    return self->socket;
}

int
cj_client_send_bytes (cj_client_t *self, const void *data, size_t len, int timeout_ms)
{
    zmq_setsockopt (self->socket, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    return zmq_send (self->socket, data, len, 0) < 0 ? -1 : 0;
}

int
cj_client_send (cj_client_t *self, const cj_envelope_t *env, int timeout_ms)
{
    size_t len;
    uint8_t *bytes = cj_message_pack (&env->base, &len);
    if (!bytes)
        return -1;
    int rc = cj_client_send_bytes (self, bytes, len, timeout_ms);
    free (bytes);
    return rc;
}

cj_ack_t *
cj_client_recv (cj_client_t *self, int timeout_ms)
{
    zmq_pollitem_t item = { self->socket, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0) {
        errno = EAGAIN;
        return NULL;
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, self->socket, 0) < 0) {
        zmq_msg_close (&msg);
        return NULL;
    }
    cj_ack_t *ack = chejian__v1__ack__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
    zmq_msg_close (&msg);
    if (!ack)
        errno = EPROTO;
    return ack;
}

void
cj_ack_free (cj_ack_t **ack_p)
{
    if (!ack_p || !*ack_p)
        return;
    chejian__v1__ack__free_unpacked (*ack_p, NULL);
    *ack_p = NULL;
}

const char *
cj_ack_status_name (Chejian__V1__AckStatus status)
{
    switch (status) {
    case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED:    return "ACCEPTED";
    case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE:   return "DUPLICATE";
    case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED:    return "REJECTED";
    case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE: return "UNAVAILABLE";
    default:                                             return "UNSPECIFIED";
    }
}
