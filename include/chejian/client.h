/*  client.h - a DEALER connection to a chejian endpoint (a service or the gateway), for the
 *  CLI, the tests and the benchmarks. Requests are Envelopes, replies Acks, matched by
 *  event_id; many may be in flight. A caller that gets no Ack in time sends the same envelope
 *  again (same event_id): the service answers DUPLICATE with the first outcome, so a retry
 *  never applies anything twice.  */
#ifndef CHEJIAN_CLIENT_H
#define CHEJIAN_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "chejian/curve.h"
#include "chejian/envelope.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cj_client_t cj_client_t;

/*  Connects a DEALER to 'endpoint'. 'zmq_ctx' may be NULL (the client makes its own).
 *  Returns NULL with errno set.  */
cj_client_t *cj_client_new (void *zmq_ctx, const char *endpoint);
/*  The same over CURVE: 'kp' is the agency's key pair, 'server_public' the gateway's public
 *  key (Z85). The handshake happens in the background; a key the gateway does not know is
 *  refused there, and requests then simply get no reply.  */
cj_client_t *cj_client_new_curve (void *zmq_ctx, const char *endpoint,
                                  const cj_curve_keypair_t *kp, const char *server_public);
void         cj_client_destroy (cj_client_t **self_p);
void        *cj_client_socket (cj_client_t *self);

/*  Sends an envelope (packed here) or bytes already packed. Blocks at most 'timeout_ms'
 *  when the send queue is full. Returns 0 or -1.  */
int cj_client_send (cj_client_t *self, const cj_envelope_t *env, int timeout_ms);
int cj_client_send_bytes (cj_client_t *self, const void *data, size_t len, int timeout_ms);

/*  Waits up to 'timeout_ms' for one Ack. Returns it (free with cj_ack_free), or NULL on
 *  timeout (errno EAGAIN) or an undecodable reply (errno EPROTO).  */
cj_ack_t *cj_client_recv (cj_client_t *self, int timeout_ms);
void      cj_ack_free (cj_ack_t **ack_p);

/*  Name of an Ack status: "ACCEPTED", "DUPLICATE", ...  */
const char *cj_ack_status_name (Chejian__V1__AckStatus status);

#ifdef __cplusplus
}
#endif
#endif
