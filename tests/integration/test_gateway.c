/*  test_gateway.c - chejian-gateway as deployed: the real binary in front of the real
 *  chejian-registry, chejian-payroll and chejian-adjudicator (tests/support/test_system),
 *  agencies over CURVE with their own key pairs, the fixture's redis-server.
 *  Proves: a command accepted through the gateway and DUPLICATE when sent again; the
 *  service's REJECTED relayed; header problems, undecodable and too-large messages refused by
 *  the gateway itself without reaching a service; PERMISSION_DENIED for another agency's
 *  source, a county or body not allowed, events and test bodies even for "*"; an unknown key
 *  refused at the handshake (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, no reply, counted) and a plain
 *  DEALER never answered; FetchEvents through the gateway; a stopped service answered
 *  UNAVAILABLE (SERVICE_UNAVAILABLE) and the same event_id ACCEPTED after its restart; with a
 *  silent stand-in for the adjudicator: the original bytes forwarded, the reply relayed byte
 *  for byte, the per-agency in-flight limit answered OVERLOADED at once, the timeout answered
 *  UNAVAILABLE, a late reply dropped and counted; SIGHUP: a bad file keeps the old agencies, a
 *  new agency then works, and a removed one is refused on the connection it still has;
 *  SIGTERM relays what is answered in the grace, answers UNAVAILABLE for the rest, reads
 *  nothing new, and exits 0.  */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "chejian/client.h"
#include "chejian/store.h"
#include "registry_test_data.h"
#include "test_support.h"
#include "test_system.h"

#define ACCEPTED    CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define DUPLICATE   CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE
#define REJECTED    CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define UNAVAILABLE CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE
#define B(x)        CHEJIAN__V1__ENVELOPE__BODY_##x
#define MAX_IN_FLIGHT 3
#define MAX_FRAMES    4

typedef struct {
    cj_test_system_t   sys;
    cj_store_t        *store;
    cj_curve_keypair_t hrss, finance, admin, newcomer;
    cj_client_t       *hrss_c, *finance_c, *admin_c;
    void              *zctx;          /* for the stand-in service and raw sockets */
    void              *fake;          /* ROUTER bound where the adjudicator was */
    unsigned           next_id;
    char               first_id[32];  /* the accepted RegisterWorkshop */
    uint8_t           *first_bytes;   /* and its packed envelope */
    size_t             first_len;
} fixture_t;

static fixture_t F;

/*  ---- messages ----  */

/*  'env' from 'source' for 'county' carrying 'body' at 'body_case', with a fresh event_id
 *  written into 'id' (32 bytes).  */
static void
s_envelope (cj_envelope_t *env, char *id, const char *source, const char *county,
            int body_case, const void *body)
{
    snprintf (id, 32, "gw-%u", ++F.next_id);
    reg_data_envelope (env, id, body_case, body);
    env->source = (char *) source;
    env->county = (char *) county;
}

static uint8_t *
s_pack (const cj_envelope_t *env, size_t *ret_len)
{
    uint8_t *bytes = cj_message_pack (&env->base, ret_len);
    assert_non_null (bytes);
    return bytes;
}

/*  Sends 'env' and waits for its Ack.  */
static cj_ack_t *
s_roundtrip (cj_client_t *client, const cj_envelope_t *env)
{
    assert_int_equal (cj_client_send (client, env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (client, 10000);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, env->event_id);
    return ack;
}

static bool
s_has_problem (const cj_ack_t *ack, const char *field, const char *code)
{
    for (size_t i = 0; i < ack->n_problems; i++)
        if (strcmp (ack->problems[i]->field, field) == 0
            && (!code || strcmp (ack->problems[i]->code, code) == 0))
            return true;
    return false;
}

/*  Expects 'ack' to be 'status' with exactly one problem, at 'field' with 'code'.  */
static void
s_expect_only (cj_ack_t *ack, Chejian__V1__AckStatus status, const char *field,
               const char *code)
{
    if (ack->status != status || ack->n_problems != 1 || !s_has_problem (ack, field, code))
        fail_msg ("expected %s with only %s on '%s'; got %s with %zu problems (first: %s %s)",
                  cj_ack_status_name (status), code, field, cj_ack_status_name (ack->status),
                  ack->n_problems, ack->n_problems ? ack->problems[0]->field : "-",
                  ack->n_problems ? ack->problems[0]->code : "-");
}

/*  True when nothing arrives on 'socket' within 'ms'.  */
static bool
s_silent (void *socket, int ms)
{
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    return zmq_poll (&item, 1, ms) == 0;
}

/*  ---- metrics ----  */

/*  The value of 'series' (name with its labels, as rendered) on the /metrics of 'port', or
 *  -1 when it is not there.  */
static double
s_metric (int port, const char *series)
{
    static char body[1 << 18];
    if (cj_test_http_get (port, "/metrics", body, sizeof body) != 200)
        return -1;
    size_t len = strlen (series);
    for (char *line = body; line && *line;) {
        if (strncmp (line, series, len) == 0 && line[len] == ' ')
            return strtod (line + len + 1, NULL);
        char *nl = strchr (line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    return -1;
}

static double
s_gw_metric (const char *series)
{
    return s_metric (F.sys.gw.metrics, series);
}

/*  Waits up to 5 s for 'series' on the gateway to reach 'at_least'; returns its value.  */
static double
s_wait_metric (const char *series, double at_least)
{
    double value = -1;
    for (int i = 0; i < 100 && (value = s_gw_metric (series)) < at_least; i++)
        usleep (50000);
    return value;
}

/*  ---- the stand-in for a service: a ROUTER that the gateway's DEALER reaches ----  */

typedef struct {
    size_t    n;
    zmq_msg_t part[MAX_FRAMES];
} s_frames_t;

/*  Receives one message on 'socket' within 'ms' into 'f' (the caller closes it with
 *  s_frames_close). Returns the number of parts, 0 on timeout.  */
static size_t
s_frames_recv (void *socket, s_frames_t *f, int ms)
{
    f->n = 0;
    if (s_silent (socket, ms))
        return 0;
    int more = 1;
    while (more && f->n < MAX_FRAMES) {
        zmq_msg_init (&f->part[f->n]);
        assert_true (zmq_msg_recv (&f->part[f->n], socket, 0) >= 0);
        more = zmq_msg_more (&f->part[f->n++]);
    }
    assert_false (more);
    return f->n;
}

static void
s_frames_close (s_frames_t *f)
{
    for (size_t i = 0; i < f->n; i++)
        zmq_msg_close (&f->part[i]);
    f->n = 0;
}

/*  A forwarded request as the service sees it: [gateway's id][tag][envelope]. Checks that
 *  the envelope is 'bytes' exactly.  */
static void
s_fake_expect (s_frames_t *f, const uint8_t *bytes, size_t len)
{
    if (s_frames_recv (F.fake, f, 5000) != 3)
        fail_msg ("the stand-in service got %zu frames, expected [id][tag][envelope]", f->n);
    assert_int_equal (zmq_msg_size (&f->part[1]), 8);
    assert_int_equal (zmq_msg_size (&f->part[2]), len);
    assert_memory_equal (zmq_msg_data (&f->part[2]), bytes, len);
}

/*  Answers a forwarded request 'f' with 'ack' bytes: [id][tag][ack].  */
static void
s_fake_answer (s_frames_t *f, const uint8_t *ack, size_t len)
{
    assert_true (zmq_send (F.fake, zmq_msg_data (&f->part[0]), zmq_msg_size (&f->part[0]),
                           ZMQ_SNDMORE) >= 0);
    assert_true (zmq_send (F.fake, zmq_msg_data (&f->part[1]), 8, ZMQ_SNDMORE) >= 0);
    assert_true (zmq_send (F.fake, ack, len, 0) >= 0);
}

/*  An Ack no service would make, to recognise it relayed: first_seq 424242, one problem.  */
static uint8_t *
s_crafted_ack (const char *event_id, size_t *ret_len)
{
    Chejian__V1__Problem problem = CHEJIAN__V1__PROBLEM__INIT, *problems[1] = { &problem };
    problem.field = "stand_in";
    problem.code = "CONFLICT";
    problem.message = "made by the test's stand-in service";
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    ack.event_id = (char *) event_id;
    ack.status = ACCEPTED;
    ack.first_seq = 424242;
    ack.n_problems = 1;
    ack.problems = problems;
    uint8_t *bytes = cj_message_pack (&ack.base, ret_len);
    assert_non_null (bytes);
    return bytes;
}

/*  A TopUpFund envelope from finance (its body is not checked by the stand-in).  */
static uint8_t *
s_finance_request (char *id, size_t *ret_len)
{
    Chejian__V1__TopUpFund top_up = CHEJIAN__V1__TOP_UP_FUND__INIT;
    cj_envelope_t env;
    s_envelope (&env, id, "finance", REG_DATA_COUNTY, B (TOP_UP_FUND), &top_up);
    return s_pack (&env, ret_len);
}

/*  The next message on the finance client, raw, within 'ms'; NULL on timeout.  */
static uint8_t *
s_recv_raw (cj_client_t *client, int ms, size_t *ret_len)
{
    s_frames_t f;
    if (s_frames_recv (cj_client_socket (client), &f, ms) == 0)
        return NULL;
    assert_int_equal (f.n, 1);
    *ret_len = zmq_msg_size (&f.part[0]);
    uint8_t *bytes = malloc (*ret_len + 1);
    assert_non_null (bytes);
    memcpy (bytes, zmq_msg_data (&f.part[0]), *ret_len);
    s_frames_close (&f);
    return bytes;
}

static cj_ack_t *
s_recv_ack (cj_client_t *client, int ms)
{
    cj_ack_t *ack = cj_client_recv (client, ms);
    assert_non_null (ack);
    return ack;
}

/*  ---- setup ----  */

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    char err[256];
    F.store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    assert_non_null (F.store);
    cj_test_system_t *sys = &F.sys;
    assert_int_equal (cj_test_system_init (sys, "gw"), 0);
    assert_int_equal (cj_test_system_add_agency (sys, "hrss", "[\"registry.commands\", "
                                                 "\"registry.queries\"]", "[\"510822\"]",
                                                 &F.hrss), 0);
    assert_int_equal (cj_test_system_add_agency (sys, "finance", "[\"top_up_fund\", "
                                                 "\"allocate_fund\", \"confirm_payment\", "
                                                 "\"adjudicator.queries\"]", "[\"51\"]",
                                                 &F.finance), 0);
    assert_int_equal (cj_test_system_add_agency (sys, "admin", "[\"*\"]", "[\"*\"]", &F.admin),
                      0);
    char limit[16];
    snprintf (limit, sizeof limit, "%d", MAX_IN_FLIGHT);
    assert_int_equal (cj_test_system_proc_env (&sys->gw, "CHEJIAN_GATEWAY_MAX_IN_FLIGHT", limit),
                      0);
    assert_int_equal (cj_test_system_proc_env (&sys->gw, "CHEJIAN_LOG_LEVEL", "debug"), 0);
    assert_int_equal (cj_test_system_start_all (sys, true), 0);
    F.zctx = zmq_ctx_new ();
    const char *gw = sys->gw.router, *server = sys->gateway.public_key;
    F.hrss_c = cj_client_new_curve (F.zctx, gw, &F.hrss, server);
    F.finance_c = cj_client_new_curve (F.zctx, gw, &F.finance, server);
    F.admin_c = cj_client_new_curve (F.zctx, gw, &F.admin, server);
    assert_true (F.zctx && F.hrss_c && F.finance_c && F.admin_c);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    cj_client_destroy (&F.hrss_c);
    cj_client_destroy (&F.finance_c);
    cj_client_destroy (&F.admin_c);
    if (F.fake)
        zmq_close (F.fake);
    if (F.zctx)
        zmq_ctx_term (F.zctx);
    cj_test_system_fini (&F.sys);
    cj_store_destroy (&F.store);
    free (F.first_bytes);
    return 0;
}

/*  ---- through to the services ----  */

static void
test_accepted (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW1");
    cj_envelope_t env;
    s_envelope (&env, F.first_id, "hrss", REG_DATA_COUNTY, B (REGISTER_WORKSHOP), &w.cmd);
    F.first_bytes = s_pack (&env, &F.first_len);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_true (ack->last_seq > 0);                  /* the registry committed events */
    cj_ack_free (&ack);
    assert_true (s_gw_metric ("chejian_gateway_requests_total{service=\"registry\","
                              "status=\"accepted\"}") >= 1);
}

static void
test_duplicate (void **state)
{
    (void) state;
    assert_int_equal (cj_client_send_bytes (F.hrss_c, F.first_bytes, F.first_len, 5000), 0);
    cj_ack_t *ack = s_recv_ack (F.hrss_c, 10000);
    assert_string_equal (ack->event_id, F.first_id);
    assert_int_equal (ack->status, DUPLICATE);
    assert_int_equal (ack->original_status, ACCEPTED);
    cj_ack_free (&ack);
}

static void
test_service_rejects (void **state)
{
    (void) state;
    const char *rejected = "chejian_acks_total{status=\"rejected\"}";
    double before = s_metric (F.sys.reg.metrics, rejected);
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW-BAD");
    w.cmd.workshop_id = "";
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTER_WORKSHOP), &w.cmd);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, REJECTED);
    assert_true (s_has_problem (ack, "register_workshop.workshop_id", "REQUIRED"));
    cj_ack_free (&ack);
    assert_true (before >= 0);
    assert_true (s_metric (F.sys.reg.metrics, rejected) == before + 1);   /* the registry's */
}

static void
test_header_problems_stay_at_the_gateway (void **state)
{
    (void) state;
    const char *rejected = "chejian_acks_total{status=\"rejected\"}";
    const char *gw_rejected = "chejian_gateway_requests_total{service=\"registry\","
                              "status=\"rejected\"}";
    double reg_before = s_metric (F.sys.reg.metrics, rejected);
    double gw_before = s_gw_metric (gw_rejected);
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW-HDR");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", "510800", B (REGISTER_WORKSHOP), &w.cmd);
    env.occurred_at = 1;
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, REJECTED);
    assert_int_equal (ack->n_problems, 2);
    assert_true (s_has_problem (ack, "occurred_at", "OUT_OF_RANGE"));
    assert_true (s_has_problem (ack, "county", NULL));
    cj_ack_free (&ack);
    assert_true (s_gw_metric (gw_rejected) == gw_before + 1);
    assert_true (s_metric (F.sys.reg.metrics, rejected) == reg_before);   /* never forwarded */
}

static void
test_undecodable_and_too_large (void **state)
{
    (void) state;
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff };
    assert_int_equal (cj_client_send_bytes (F.hrss_c, garbage, sizeof garbage, 5000), 0);
    cj_ack_t *ack = s_recv_ack (F.hrss_c, 5000);
    assert_int_equal (ack->status, REJECTED);
    assert_string_equal (ack->event_id, "");
    assert_true (s_has_problem (ack, "", "DECODE_FAILED"));
    cj_ack_free (&ack);

    size_t len = CJ_ENVELOPE_MAX_BYTES + 1;
    uint8_t *big = calloc (1, len);
    assert_non_null (big);
    assert_int_equal (cj_client_send_bytes (F.hrss_c, big, len, 5000), 0);
    free (big);
    ack = s_recv_ack (F.hrss_c, 10000);
    assert_int_equal (ack->status, REJECTED);
    assert_string_equal (ack->event_id, "");
    assert_true (s_has_problem (ack, "", "TOO_LARGE"));
    cj_ack_free (&ack);
}

/*  ---- permission ----  */

static void
test_body_not_allowed (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW-FIN");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "finance", REG_DATA_COUNTY, B (REGISTER_WORKSHOP), &w.cmd);
    cj_ack_t *ack = s_roundtrip (F.finance_c, &env);
    s_expect_only (ack, REJECTED, "body", "PERMISSION_DENIED");
    cj_ack_free (&ack);
}

static void
test_source_of_another_agency (void **state)
{
    (void) state;
    double before = s_gw_metric ("chejian_gateway_permission_denied_total");
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW-SRC");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "finance", REG_DATA_COUNTY, B (REGISTER_WORKSHOP), &w.cmd);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);       /* hrss's key, finance's name */
    s_expect_only (ack, REJECTED, "source", "PERMISSION_DENIED");
    cj_ack_free (&ack);
    assert_true (s_gw_metric ("chejian_gateway_permission_denied_total") == before + 1);
}

static void
test_county_not_allowed (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW-CTY");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", "510802", B (REGISTER_WORKSHOP), &w.cmd);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    s_expect_only (ack, REJECTED, "county", "PERMISSION_DENIED");
    cj_ack_free (&ack);
}

/*  "*" allows every command and query (x91 too), never an event or a test body.  */
static void
test_events_never_allowed (void **state)
{
    (void) state;
    Chejian__V1__WorkshopRegistered event = CHEJIAN__V1__WORKSHOP_REGISTERED__INIT;
    event.workshop_id = "W-GW1";
    Chejian__V1__BusProbe probe = CHEJIAN__V1__BUS_PROBE__INIT;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "admin", REG_DATA_COUNTY, B (WORKSHOP_REGISTERED), &event);
    cj_ack_t *ack = s_roundtrip (F.admin_c, &env);
    s_expect_only (ack, REJECTED, "body", "PERMISSION_DENIED");
    cj_ack_free (&ack);
    s_envelope (&env, id, "admin", REG_DATA_COUNTY, B (BUS_PROBE), &probe);
    ack = s_roundtrip (F.admin_c, &env);
    s_expect_only (ack, REJECTED, "body", "PERMISSION_DENIED");
    cj_ack_free (&ack);
    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    s_envelope (&env, id, "admin", "110101", B (REGISTRY_STATUS), &status);
    ack = s_roundtrip (F.admin_c, &env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ACK__RESULT_REGISTRY_SERVICE_STATUS);
    cj_ack_free (&ack);
}

/*  ---- who gets in ----  */

static void
test_unknown_key_refused_at_handshake (void **state)
{
    (void) state;
    cj_curve_keypair_t stranger;
    assert_int_equal (cj_curve_keypair_generate (&stranger, "stranger"), 0);
    void *dealer = zmq_socket (F.zctx, ZMQ_DEALER), *monitor = zmq_socket (F.zctx, ZMQ_PAIR);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (monitor, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal (zmq_socket_monitor (dealer, "inproc://gw-test-monitor",
                                          ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                          | ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    assert_int_equal (zmq_connect (monitor, "inproc://gw-test-monitor"), 0);
    assert_int_equal (cj_curve_make_client (dealer, &stranger, F.sys.gateway.public_key), 0);
    assert_int_equal (zmq_connect (dealer, F.sys.gw.router), 0);
    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "stranger", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    size_t len;
    uint8_t *bytes = s_pack (&env, &len);
    assert_true (zmq_send (dealer, bytes, len, 0) >= 0);
    free (bytes);

    s_frames_t f;
    assert_int_equal (s_frames_recv (monitor, &f, 5000), 2);   /* [event, value][endpoint] */
    uint16_t event;
    uint32_t value;
    memcpy (&event, zmq_msg_data (&f.part[0]), 2);
    memcpy (&value, (uint8_t *) zmq_msg_data (&f.part[0]) + 2, 4);
    s_frames_close (&f);
    assert_int_equal (event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal (value, 400);
    assert_true (s_silent (dealer, 1000));                       /* and no reply */
    assert_true (s_gw_metric ("chejian_gateway_auth_refused_total") >= 1);
    zmq_socket_monitor (dealer, NULL, 0);
    zmq_close (monitor);
    zmq_close (dealer);
    cj_curve_keypair_wipe (&stranger);
}

static void
test_plain_dealer_gets_nothing (void **state)
{
    (void) state;
    const char *accepted = "chejian_gateway_requests_total{service=\"registry\","
                           "status=\"accepted\"}";
    double before = s_gw_metric (accepted);
    cj_client_t *plain = cj_client_new (F.zctx, F.sys.gw.router);
    assert_non_null (plain);
    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    assert_int_equal (cj_client_send (plain, &env, 1000), 0);
    assert_true (s_silent (cj_client_socket (plain), 1500));
    cj_client_destroy (&plain);
    assert_true (s_gw_metric (accepted) == before);
}

/*  ---- the pull API ----  */

static void
test_fetch_events (void **state)
{
    (void) state;
    uint32_t bodies[] = { B (WORKSHOP_REGISTERED) };
    Chejian__V1__FetchEvents q = CHEJIAN__V1__FETCH_EVENTS__INIT;
    q.max_events = 100;
    q.n_body_numbers = 1;
    q.body_numbers = bodies;
    q.county_only = true;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTRY_FETCH_EVENTS), &q);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ACK__RESULT_REGISTRY_EVENTS);
    Chejian__V1__EventPage *page = ack->registry_events;
    assert_int_equal (page->n_events, 1);
    cj_envelope_t *event = page->events[0]->envelope;
    assert_int_equal (event->body_case, B (WORKSHOP_REGISTERED));
    assert_string_equal (event->causation_id, F.first_id);
    assert_string_equal (event->causation_source, "hrss");
    assert_string_equal (event->workshop_registered->workshop_id, "W-GW1");
    cj_ack_free (&ack);
}

/*  ---- a service away ----  */

static void
test_service_down_then_back (void **state)
{
    (void) state;
    assert_int_equal (cj_test_system_stop (&F.sys.reg, SIGTERM), 0);
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W-GW2");
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTER_WORKSHOP), &w.cmd);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    s_expect_only (ack, UNAVAILABLE, "registry", "SERVICE_UNAVAILABLE");
    cj_ack_free (&ack);

    assert_int_equal (cj_test_system_start (&F.sys, &F.sys.reg), 0);
    int64_t until = cj_test_now_ms () + 20000;
    do {
        ack = s_roundtrip (F.hrss_c, &env);       /* the same event_id, as a client retries */
        if (ack->status != UNAVAILABLE)
            break;
        cj_ack_free (&ack);
        usleep (200000);
    } while (cj_test_now_ms () < until);
    assert_non_null (ack);
    assert_int_equal (ack->status, ACCEPTED);          /* applied now, and once */
    cj_ack_free (&ack);
}

/*  ---- a silent service: forwarding, relaying, the limit, the timeout, late replies ----  */

/*  Stops the adjudicator and binds a ROUTER at its endpoint; returns once the gateway's
 *  DEALER has reached it (a request of finance forwarded there), in 'f'.  */
static void
s_stand_in_for_adjudicator (s_frames_t *f, char *id, uint8_t **ret_bytes, size_t *ret_len)
{
    assert_int_equal (cj_test_system_stop (&F.sys.adj, SIGTERM), 0);
    F.fake = zmq_socket (F.zctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt (F.fake, ZMQ_LINGER, &linger, sizeof linger);
    int rc = -1;
    for (int i = 0; i < 50 && (rc = zmq_bind (F.fake, F.sys.adj.router)) != 0; i++)
        usleep (100000);
    assert_int_equal (rc, 0);
    uint8_t *bytes = s_finance_request (id, ret_len);
    int64_t until = cj_test_now_ms () + 10000;
    while (cj_test_now_ms () < until) {     /* UNAVAILABLE until the DEALER reconnects */
        assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, *ret_len, 1000), 0);
        zmq_pollitem_t items[2] = { { F.fake, 0, ZMQ_POLLIN, 0 },
                                    { cj_client_socket (F.finance_c), 0, ZMQ_POLLIN, 0 } };
        assert_true (zmq_poll (items, 2, 5000) > 0);
        if (items[0].revents & ZMQ_POLLIN)
            break;                          /* forwarded */
        cj_ack_t *ack = s_recv_ack (F.finance_c, 0);
        assert_int_equal (ack->status, UNAVAILABLE);
        cj_ack_free (&ack);
        usleep (100000);
    }
    s_fake_expect (f, bytes, *ret_len);
    *ret_bytes = bytes;
}

static void
test_forward_limit_timeout_late (void **state)
{
    (void) state;
    s_frames_t first, held[MAX_IN_FLIGHT], last;
    char ids[MAX_IN_FLIGHT + 2][32];
    uint8_t *bytes;
    size_t len, ack_len, got_len;
    s_stand_in_for_adjudicator (&first, ids[0], &bytes, &len);
    free (bytes);
    /* the stand-in's answer reaches finance byte for byte */
    uint8_t *crafted = s_crafted_ack (ids[0], &ack_len);
    s_fake_answer (&first, crafted, ack_len);
    uint8_t *got = s_recv_raw (F.finance_c, 5000, &got_len);
    assert_non_null (got);
    assert_int_equal (got_len, ack_len);
    assert_memory_equal (got, crafted, ack_len);
    free (got);
    free (crafted);
    /* MAX_IN_FLIGHT held by the silent service; one more is OVERLOADED at once */
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        bytes = s_finance_request (ids[1 + i], &len);
        assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
        s_fake_expect (&held[i], bytes, len);
        free (bytes);
    }
    assert_true (s_gw_metric ("chejian_gateway_in_flight{service=\"adjudicator\"}")
                 == MAX_IN_FLIGHT);
    int64_t sent = cj_test_now_ms ();
    bytes = s_finance_request (ids[MAX_IN_FLIGHT + 1], &len);
    assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
    free (bytes);
    cj_ack_t *ack = s_recv_ack (F.finance_c, 1000);
    assert_true (cj_test_now_ms () - sent < F.sys.timeout_ms / 2);
    assert_string_equal (ack->event_id, ids[MAX_IN_FLIGHT + 1]);
    s_expect_only (ack, UNAVAILABLE, "", "OVERLOADED");
    cj_ack_free (&ack);
    /* another agency is not held up by finance's limit */
    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, ACCEPTED);
    cj_ack_free (&ack);
    /* the held ones time out: UNAVAILABLE naming the service, in the order sent */
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        ack = s_recv_ack (F.finance_c, F.sys.timeout_ms + 3000);
        assert_string_equal (ack->event_id, ids[1 + i]);
        s_expect_only (ack, UNAVAILABLE, "adjudicator", "SERVICE_UNAVAILABLE");
        cj_ack_free (&ack);
    }
    /* an answer after the timeout is dropped and counted */
    double late = s_gw_metric ("chejian_gateway_late_replies_total");
    crafted = s_crafted_ack (ids[1], &ack_len);
    s_fake_answer (&held[0], crafted, ack_len);
    free (crafted);
    assert_true (s_wait_metric ("chejian_gateway_late_replies_total", late + 1) == late + 1);
    assert_true (s_silent (cj_client_socket (F.finance_c), 300));
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        s_frames_close (&held[i]);
    /* the limit is free again */
    assert_true (s_gw_metric ("chejian_gateway_in_flight{service=\"adjudicator\"}") == 0);
    bytes = s_finance_request (id, &len);
    assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
    s_fake_expect (&last, bytes, len);
    free (bytes);
    crafted = s_crafted_ack (id, &ack_len);
    s_fake_answer (&last, crafted, ack_len);
    free (crafted);
    ack = s_recv_ack (F.finance_c, 5000);
    assert_string_equal (ack->event_id, id);
    assert_int_equal (ack->first_seq, 424242);
    cj_ack_free (&ack);
    s_frames_close (&last);
    s_frames_close (&first);
}

/*  ---- SIGHUP ----  */

static void
test_sighup_reload (void **state)
{
    (void) state;
    /* a bad file is not taken: the agencies loaded stay */
    FILE *file = fopen (F.sys.agencies_file, "w");
    assert_non_null (file);
    fputs ("{\"agencies\": [ {\"id\": \"half-written\"", file);
    fclose (file);
    double failures = s_gw_metric ("chejian_gateway_reload_failures_total");
    assert_int_equal (kill (F.sys.gw.pid, SIGHUP), 0);
    assert_true (s_wait_metric ("chejian_gateway_reload_failures_total", failures + 1)
                 == failures + 1);
    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    cj_envelope_t env;
    char id[32];
    s_envelope (&env, id, "hrss", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    cj_ack_t *ack = s_roundtrip (F.hrss_c, &env);
    assert_int_equal (ack->status, ACCEPTED);
    cj_ack_free (&ack);

    /* a new agency: refused until the gateway reads the file again */
    assert_int_equal (cj_test_system_add_agency (&F.sys, "newcomer", "[\"registry.queries\"]",
                                                 "[\"5108\"]", &F.newcomer), 0);
    const char *gw = F.sys.gw.router, *server = F.sys.gateway.public_key;
    cj_client_t *early = cj_client_new_curve (F.zctx, gw, &F.newcomer, server);
    assert_non_null (early);
    s_envelope (&env, id, "newcomer", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    assert_int_equal (cj_client_send (early, &env, 1000), 0);
    assert_true (s_silent (cj_client_socket (early), 1000));
    cj_client_destroy (&early);
    assert_int_equal (kill (F.sys.gw.pid, SIGHUP), 0);
    assert_true (s_wait_metric ("chejian_gateway_agencies", 4) == 4);
    cj_client_t *newcomer = cj_client_new_curve (F.zctx, gw, &F.newcomer, server);
    assert_non_null (newcomer);
    ack = s_roundtrip (newcomer, &env);
    assert_int_equal (ack->status, ACCEPTED);
    cj_ack_free (&ack);

    /* taken out again: its open connection is refused from the reload on */
    assert_int_equal (cj_test_system_remove_agency (&F.sys, "newcomer"), 0);
    assert_int_equal (kill (F.sys.gw.pid, SIGHUP), 0);
    for (int i = 0; i < 100 && s_gw_metric ("chejian_gateway_agencies") != 3; i++)
        usleep (50000);
    assert_true (s_gw_metric ("chejian_gateway_agencies") == 3);
    s_envelope (&env, id, "newcomer", REG_DATA_COUNTY, B (REGISTRY_STATUS), &status);
    ack = s_roundtrip (newcomer, &env);
    s_expect_only (ack, REJECTED, "", "PERMISSION_DENIED");
    cj_ack_free (&ack);
    cj_client_destroy (&newcomer);
}

/*  ---- SIGTERM ----  */

static void
test_sigterm_answers_in_flight_and_exits_zero (void **state)
{
    (void) state;
    s_frames_t answered, unanswered;
    char ids[3][32];
    size_t len, ack_len;
    uint8_t *bytes = s_finance_request (ids[0], &len);
    assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
    s_fake_expect (&answered, bytes, len);
    free (bytes);
    bytes = s_finance_request (ids[1], &len);
    assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
    s_fake_expect (&unanswered, bytes, len);
    free (bytes);

    int64_t start = cj_test_now_ms ();
    assert_int_equal (kill (F.sys.gw.pid, SIGTERM), 0);
    char body[64] = "";
    for (int i = 0; i < 100 && cj_test_http_get (F.sys.gw.metrics, "/readyz", body,
                                                 sizeof body) == 200; i++)
        usleep (20000);
    assert_string_equal (body, "stopping");
    /* what comes after the stop is not read */
    bytes = s_finance_request (ids[2], &len);
    assert_int_equal (cj_client_send_bytes (F.finance_c, bytes, len, 1000), 0);
    free (bytes);
    /* an answer within the grace is relayed; the rest gets UNAVAILABLE */
    uint8_t *crafted = s_crafted_ack (ids[0], &ack_len);
    s_fake_answer (&answered, crafted, ack_len);
    free (crafted);
    cj_ack_t *ack = s_recv_ack (F.finance_c, 5000);
    assert_string_equal (ack->event_id, ids[0]);
    assert_int_equal (ack->first_seq, 424242);
    cj_ack_free (&ack);
    ack = s_recv_ack (F.finance_c, F.sys.timeout_ms + 3000);
    assert_string_equal (ack->event_id, ids[1]);
    s_expect_only (ack, UNAVAILABLE, "adjudicator", "SERVICE_UNAVAILABLE");
    cj_ack_free (&ack);
    assert_int_equal (cj_test_system_stop (&F.sys.gw, SIGTERM), 0);
    assert_true (cj_test_now_ms () - start < 10000);
    assert_true (s_silent (cj_client_socket (F.finance_c), 300));     /* ids[2]: never read */
    assert_true (s_silent (F.fake, 0));                               /* nor forwarded */
    s_frames_close (&answered);
    s_frames_close (&unanswered);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_accepted),
        cmocka_unit_test (test_duplicate),
        cmocka_unit_test (test_service_rejects),
        cmocka_unit_test (test_header_problems_stay_at_the_gateway),
        cmocka_unit_test (test_undecodable_and_too_large),
        cmocka_unit_test (test_body_not_allowed),
        cmocka_unit_test (test_source_of_another_agency),
        cmocka_unit_test (test_county_not_allowed),
        cmocka_unit_test (test_events_never_allowed),
        cmocka_unit_test (test_unknown_key_refused_at_handshake),
        cmocka_unit_test (test_plain_dealer_gets_nothing),
        cmocka_unit_test (test_fetch_events),
        cmocka_unit_test (test_service_down_then_back),
        cmocka_unit_test (test_forward_limit_timeout_late),
        cmocka_unit_test (test_sighup_reload),
        cmocka_unit_test (test_sigterm_answers_in_flight_and_exits_zero),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
