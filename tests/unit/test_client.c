/*  test_client.c - the DEALER client against a ROUTER the test binds on 127.0.0.1: an
 *  envelope goes out and arrives intact, the Ack sent back with cj_router_send comes back
 *  from cj_client_recv (several in flight, in any order), a timeout is NULL with EAGAIN, an
 *  undecodable reply is NULL with EPROTO, and the status names.  */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#include "chejian/bus.h"
#include "chejian/client.h"
#include "test_support.h"

typedef struct {
    void        *zctx;
    void        *router;
    char         endpoint[256];
    cj_client_t *client;
} fixture_t;

static fixture_t F;

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    F.zctx = zmq_ctx_new ();
    assert_non_null (F.zctx);
    F.router = zmq_socket (F.zctx, ZMQ_ROUTER);
    assert_non_null (F.router);
    int linger = 0;
    zmq_setsockopt (F.router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal (zmq_bind (F.router, "tcp://127.0.0.1:*"), 0);
    size_t size = sizeof F.endpoint;
    assert_int_equal (zmq_getsockopt (F.router, ZMQ_LAST_ENDPOINT, F.endpoint, &size), 0);
    F.client = cj_client_new (F.zctx, F.endpoint);
    assert_non_null (F.client);
    assert_non_null (cj_client_socket (F.client));
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    cj_client_destroy (&F.client);
    if (F.router)
        zmq_close (F.router);
    if (F.zctx)
        zmq_ctx_term (F.zctx);
    return 0;
}

static void
s_envelope (cj_envelope_t *env, Chejian__V1__BusProbe *probe, const char *event_id, uint64_t n)
{
    chejian__v1__envelope__init (env);
    chejian__v1__bus_probe__init (probe);
    probe->n = n;
    env->event_id = (char *) event_id;
    env->source = "hrss";
    env->occurred_at = 1700000000000LL;
    env->county = "510822";
    env->body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE;
    env->bus_probe = probe;
}

/*  Receives one request on the test's ROUTER (waiting up to 3 s).  */
static void
s_router_recv (cj_route_t *route, zmq_msg_t *payload)
{
    zmq_pollitem_t item = { F.router, 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 3000), 1);
    size_t malformed = 0;
    assert_int_equal (cj_router_recv (F.router, route, payload, &malformed), 1);
    assert_int_equal (malformed, 0);
}

/*  Receives one request, checks it is the envelope 'event_id' with probe 'n', and keeps its
 *  route in 'route'.  */
static void
s_expect_envelope (cj_route_t *route, const char *event_id, uint64_t n)
{
    zmq_msg_t payload;
    s_router_recv (route, &payload);
    assert_int_equal (route->nframes, 1);                 /* the DEALER's identity */
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_envelope_t *env = cj_envelope_decode (zmq_msg_data (&payload), zmq_msg_size (&payload),
                                             &problems);
    zmq_msg_close (&payload);
    assert_non_null (env);
    assert_string_equal (env->event_id, event_id);
    assert_string_equal (env->county, "510822");
    assert_int_equal (env->body_case, CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE);
    assert_int_equal (env->bus_probe->n, n);
    cj_envelope_free (&env);
}

static void
s_reply (const cj_route_t *route, const char *event_id, Chejian__V1__AckStatus status,
         const cj_problems_t *problems)
{
    size_t len = 0;
    uint8_t *bytes = cj_ack_pack_simple (event_id, status, problems, &len);
    assert_non_null (bytes);
    assert_int_equal (cj_router_send (F.router, route, bytes, len), 0);
    free (bytes);
}

static void
test_round_trip (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe, "evt-1", 42);
    assert_int_equal (cj_client_send (F.client, &env, 1000), 0);
    cj_route_t route;
    s_expect_envelope (&route, "evt-1", 42);

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, "county", CJ_E_WRONG_PARTITION, "retry");
    s_reply (&route, "evt-1", CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, &problems);
    cj_ack_t *ack = cj_client_recv (F.client, 3000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, "evt-1");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE);
    assert_int_equal (ack->n_problems, 1);
    assert_string_equal (ack->problems[0]->code, CJ_E_WRONG_PARTITION);
    cj_ack_free (&ack);
    assert_null (ack);
    cj_ack_free (&ack);                       /* idempotent */
    cj_ack_free (NULL);
}

static void
test_many_in_flight (void **state)
{
    (void) state;
    static const char *const ids[] = { "a-1", "a-2", "a-3" };
    cj_route_t routes[3];
    for (int i = 0; i < 3; i++) {
        cj_envelope_t env;
        Chejian__V1__BusProbe probe;
        s_envelope (&env, &probe, ids[i], (uint64_t) i + 1);
        assert_int_equal (cj_client_send (F.client, &env, 1000), 0);
    }
    for (int i = 0; i < 3; i++)
        s_expect_envelope (&routes[i], ids[i], (uint64_t) i + 1);
    /* answered out of order: the client matches by event_id, not by position */
    for (int i = 2; i >= 0; i--)
        s_reply (&routes[i], ids[i], CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED, NULL);
    for (int i = 2; i >= 0; i--) {
        cj_ack_t *ack = cj_client_recv (F.client, 3000);
        assert_non_null (ack);
        assert_string_equal (ack->event_id, ids[i]);
        assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
        assert_int_equal (ack->n_problems, 0);
        cj_ack_free (&ack);
    }
}

static void
test_send_bytes (void **state)
{
    (void) state;
    static const uint8_t raw[] = { 0x0a, 0x02, 'i', 'd' };      /* event_id = "id" */
    assert_int_equal (cj_client_send_bytes (F.client, raw, sizeof raw, 1000), 0);
    cj_route_t route;
    zmq_msg_t payload;
    s_router_recv (&route, &payload);
    assert_int_equal (zmq_msg_size (&payload), sizeof raw);
    assert_memory_equal (zmq_msg_data (&payload), raw, sizeof raw);
    zmq_msg_close (&payload);
}

static void
test_timeout (void **state)
{
    (void) state;
    int64_t t0 = cj_test_now_ms ();
    errno = 0;
    assert_null (cj_client_recv (F.client, 200));
    int64_t waited = cj_test_now_ms () - t0;
    assert_int_equal (errno, EAGAIN);
    assert_true (waited >= 150);
    assert_true (waited < 3000);
    errno = 0;
    assert_null (cj_client_recv (F.client, 0));      /* a poll, not a wait */
    assert_int_equal (errno, EAGAIN);

    /* the request was received but never answered: still a timeout */
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe, "slow-1", 1);
    assert_int_equal (cj_client_send (F.client, &env, 1000), 0);
    cj_route_t route;
    s_expect_envelope (&route, "slow-1", 1);
    errno = 0;
    assert_null (cj_client_recv (F.client, 100));
    assert_int_equal (errno, EAGAIN);
    /* a late answer is still delivered */
    s_reply (&route, "slow-1", CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED, NULL);
    cj_ack_t *ack = cj_client_recv (F.client, 3000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, "slow-1");
    cj_ack_free (&ack);
}

static void
test_undecodable_reply (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe, "evt-2", 2);
    assert_int_equal (cj_client_send (F.client, &env, 1000), 0);
    cj_route_t route;
    s_expect_envelope (&route, "evt-2", 2);
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0x01 };
    assert_int_equal (cj_router_send (F.router, &route, garbage, sizeof garbage), 0);
    errno = 0;
    assert_null (cj_client_recv (F.client, 3000));
    assert_int_equal (errno, EPROTO);
    /* the client is still usable: the real answer comes next */
    s_reply (&route, "evt-2", CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED, NULL);
    cj_ack_t *ack = cj_client_recv (F.client, 3000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, "evt-2");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    cj_ack_free (&ack);
}

static void
test_own_context_and_bad_endpoint (void **state)
{
    (void) state;
    /* with no context the client makes (and terminates) its own */
    cj_client_t *own = cj_client_new (NULL, F.endpoint);
    assert_non_null (own);
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe, "own-1", 9);
    assert_int_equal (cj_client_send (own, &env, 1000), 0);
    cj_route_t route;
    s_expect_envelope (&route, "own-1", 9);
    s_reply (&route, "own-1", CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE, NULL);
    cj_ack_t *ack = cj_client_recv (own, 3000);
    assert_non_null (ack);
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    cj_ack_free (&ack);
    cj_client_destroy (&own);
    assert_null (own);
    cj_client_destroy (&own);
    cj_client_destroy (NULL);

    errno = 0;
    assert_null (cj_client_new (F.zctx, "not an endpoint"));
    assert_int_not_equal (errno, 0);
    assert_null (cj_client_new (NULL, "tcp://"));
}

static void
test_status_names (void **state)
{
    (void) state;
    assert_string_equal (cj_ack_status_name (CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED),
                         "ACCEPTED");
    assert_string_equal (cj_ack_status_name (CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE),
                         "DUPLICATE");
    assert_string_equal (cj_ack_status_name (CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED),
                         "REJECTED");
    assert_string_equal (cj_ack_status_name (CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE),
                         "UNAVAILABLE");
    assert_string_equal (cj_ack_status_name (CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNSPECIFIED),
                         "UNSPECIFIED");
    assert_string_equal (cj_ack_status_name ((Chejian__V1__AckStatus) 99), "UNSPECIFIED");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_round_trip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_many_in_flight, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_bytes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_undecodable_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_context_and_bad_endpoint, s_setup, s_teardown),
        cmocka_unit_test (test_status_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
