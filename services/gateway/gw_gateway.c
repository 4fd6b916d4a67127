/*  gw_gateway.c - the gateway's configuration, sockets, metrics and life cycle. See
 *  gateway.h; the loop is in gw_loop.c.  */
#include "gateway.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "chejian/log.h"

#define S_PROGRAM "chejian-gateway"

static const char *const s_summary =
    "The one endpoint agencies reach: a CURVE ROUTER that lets in the keys of the agencies "
    "file, checks each envelope (size, header, the agency's source, counties and bodies) and "
    "forwards it to the owning service, relaying the service's Ack unchanged. SIGHUP reads "
    "the agencies file again; SIGTERM answers what is in flight and exits 0.";

static const cj_config_option_t s_options[] = {
    { "CHEJIAN_GATEWAY_BIND", CJ_CONFIG_STRING, "tcp://*:5540",
      "ZeroMQ endpoint of the agencies' CURVE ROUTER", 0, 0 },
    { "CHEJIAN_GATEWAY_METRICS_PORT", CJ_CONFIG_INT, "6540",
      "HTTP port of /metrics, /healthz, /readyz (0 = ephemeral)", 0, 65535 },
    { "CHEJIAN_METRICS_BIND", CJ_CONFIG_STRING, "127.0.0.1",
      "IPv4 address the HTTP metrics server binds (0.0.0.0 in containers)", 0, 0 },
    { "CHEJIAN_GATEWAY_SECRET_KEY_FILE", CJ_CONFIG_STRING, NULL,
      "Required: the gateway's key pair, BASE.key of `chejian keygen BASE` (mode 0600)", 0, 0 },
    { "CHEJIAN_GATEWAY_AGENCIES_FILE", CJ_CONFIG_STRING, NULL,
      "Required: JSON agencies (id, public_key, counties, may_send); read again on SIGHUP",
      0, 0 },
    { "CHEJIAN_REGISTRY_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5550",
      "chejian-registry's ROUTER", 0, 0 },
    { "CHEJIAN_PAYROLL_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5560",
      "chejian-payroll's ROUTER", 0, 0 },
    { "CHEJIAN_ADJUDICATOR_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5570",
      "chejian-adjudicator's ROUTER", 0, 0 },
    { "CHEJIAN_GATEWAY_TIMEOUT_MS", CJ_CONFIG_INT, "5000",
      "A request its service has not answered by then gets UNAVAILABLE", 100, 600000 },
    { "CHEJIAN_GATEWAY_MAX_IN_FLIGHT", CJ_CONFIG_INT, "1000",
      "Requests in flight per agency; more get UNAVAILABLE (OVERLOADED) at once", 1,
      GW_PENDING_MAX },
    { "CHEJIAN_LOG_LEVEL", CJ_CONFIG_STRING, "info", "debug, info, warn or error", 0, 0 },
    { "CHEJIAN_INSTANCE_ID", CJ_CONFIG_STRING, NULL,
      "Name of this instance in the logs (default <hostname>-gateway)", 0, 0 },
};

static const char *const s_endpoint_var[4] = {
    NULL, "CHEJIAN_REGISTRY_ENDPOINT", "CHEJIAN_PAYROLL_ENDPOINT", "CHEJIAN_ADJUDICATOR_ENDPOINT"
};

/*  ---- metrics ----  */

static void
s_register_metrics (gw_t *self)
{
    static const char *const status[5] = { "unspecified", "accepted", "duplicate", "rejected",
                                           "unavailable" };
    cj_metrics_t *m = self->metrics;
    gw_metrics_t *g = &self->m;
    for (cj_owner_t o = CJ_OWNER_NONE; o <= CJ_OWNER_ADJUDICATOR; o++) {
        const char *service = o == CJ_OWNER_NONE ? "none" : cj_owner_name (o);
        for (int s = 0; s < 5; s++)
            g->requests[o][s] = cj_metrics_counter (
                m, "chejian_gateway_requests_total", "Requests answered, by owning service "
                "(none: undecodable or without a body) and Ack status", "service", service,
                "status", status[s], NULL);
        if (o == CJ_OWNER_NONE)
            continue;
        g->in_flight[o] = cj_metrics_gauge (m, "chejian_gateway_in_flight", "Requests "
                                            "forwarded to the service and not yet answered",
                                            "service", service, NULL);
        g->latency[o] = cj_metrics_histogram (m, "chejian_gateway_ack_latency_seconds",
                                              "From receiving a forwarded request to its "
                                              "answer (relayed, or UNAVAILABLE at the timeout)",
                                              NULL, 0, "service", service, NULL);
    }
    g->auth_refused = cj_metrics_counter (m, "chejian_gateway_auth_refused_total",
                                          "CURVE handshakes refused: key not in the agencies "
                                          "file", NULL);
    g->permission_denied = cj_metrics_counter (m, "chejian_gateway_permission_denied_total",
                                               "Requests refused for the agency's source, "
                                               "counties or bodies", NULL);
    g->late_replies = cj_metrics_counter (m, "chejian_gateway_late_replies_total",
                                          "Service replies dropped: after the timeout, or "
                                          "malformed", NULL);
    g->malformed = cj_metrics_counter (m, "chejian_gateway_malformed_requests_total",
                                       "Agency messages dropped for their framing (too many or "
                                       "too long routing frames)", NULL);
    g->reload_failures = cj_metrics_counter (m, "chejian_gateway_reload_failures_total",
                                             "SIGHUP reloads that kept the old agencies "
                                             "because the file was bad", NULL);
    g->agencies = cj_metrics_gauge (m, "chejian_gateway_agencies", "Agencies loaded from the "
                                    "agencies file", NULL);
}

/*  ---- files ----  */

/*  Loads the key pair and the agencies file named by the configuration. Returns 0, or -1
 *  after telling on stderr which variable is wrong and how to fix it.  */
static int
s_load_files (gw_t *self, cj_curve_keypair_t *kp)
{
    const char *key_file = cj_config_str (self->config, "CHEJIAN_GATEWAY_SECRET_KEY_FILE");
    const char *agencies = cj_config_str (self->config, "CHEJIAN_GATEWAY_AGENCIES_FILE");
    char err[512];
    if (!cj_curve_available ()) {
        fprintf (stderr, "%s: this libzmq has no CURVE; install a libzmq built with libsodium\n",
                 S_PROGRAM);
        return -1;
    }
    if (!*key_file || !*agencies) {
        fprintf (stderr, "%s: %s is required: %s\n", S_PROGRAM,
                 !*key_file ? "CHEJIAN_GATEWAY_SECRET_KEY_FILE" : "CHEJIAN_GATEWAY_AGENCIES_FILE",
                 !*key_file ? "set it to the gateway's BASE.key (make one with `chejian keygen "
                              "BASE`)"
                            : "set it to the JSON agencies file "
                              "(docs/2026-11-23-gateway-cli.md)");
        return -1;
    }
    if (cj_curve_keypair_load (key_file, kp, err, sizeof err) != 0) {
        fprintf (stderr, "%s: CHEJIAN_GATEWAY_SECRET_KEY_FILE: %s (the gateway's pair is made "
                 "with `chejian keygen BASE`)\n", S_PROGRAM, err);
        return -1;
    }
    if (kp->agency[0]) {
        fprintf (stderr, "%s: CHEJIAN_GATEWAY_SECRET_KEY_FILE: %s is the key pair of agency "
                 "'%s', not the gateway's; make the gateway's own with `chejian keygen BASE`\n",
                 S_PROGRAM, key_file, kp->agency);
        return -1;
    }
    self->agencies_path = agencies;
    self->agencies = gw_agencies_load (agencies, err, sizeof err);
    if (!self->agencies) {
        fprintf (stderr, "%s: CHEJIAN_GATEWAY_AGENCIES_FILE: %s\n", S_PROGRAM, err);
        return -1;
    }
    return 0;
}

void
gw_reload (gw_t *self)
{
    char err[512];
    gw_agencies_t *fresh = gw_agencies_load (self->agencies_path, err, sizeof err);
    if (!fresh) {
        cj_counter_add (self->m.reload_failures, 1);
        cj_warn ("agencies file not reloaded, keeping the %zu agencies loaded: %s",
                 gw_agencies_count (self->agencies), err);
        return;
    }
    gw_agencies_carry (fresh, self->agencies);
    gw_agencies_destroy (&self->agencies);
    self->agencies = fresh;
    cj_gauge_set (self->m.agencies, (double) gw_agencies_count (fresh));
    cj_info ("agencies file reloaded: %zu agencies", gw_agencies_count (fresh));
}

/*  ---- sockets ----  */

/*  The agencies' ROUTER: CURVE server with 'kp', bound after the ZAP handler.  */
static int
s_bind_router (gw_t *self, const cj_curve_keypair_t *kp)
{
    const char *bind = cj_config_str (self->config, "CHEJIAN_GATEWAY_BIND");
    self->router = zmq_socket (self->zctx, ZMQ_ROUTER);
    int linger = 0, hwm = 10000, mandatory = 0;
    int64_t maxmsg = CJ_ENVELOPE_MAX_BYTES + 1024;
    if (!self->router
        || zmq_setsockopt (self->router, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt (self->router, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
        || zmq_setsockopt (self->router, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0
        || zmq_setsockopt (self->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) != 0
        || zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0
        || zmq_setsockopt (self->router, ZMQ_ZAP_DOMAIN, GW_ZAP_DOMAIN,
                           strlen (GW_ZAP_DOMAIN)) != 0
        || cj_curve_make_server (self->router, kp) != 0) {
        cj_error ("cannot make the agencies' socket: %s", zmq_strerror (errno));
        return -1;
    }
    if (zmq_bind (self->router, bind) != 0) {
        cj_error ("CHEJIAN_GATEWAY_BIND=%s: cannot bind: %s", bind, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

/*  One DEALER per service. ZMQ_IMMEDIATE: with the service away a send fails at once (and
 *  the agency hears UNAVAILABLE) instead of queueing for a peer that may never come.  */
static int
s_connect_services (gw_t *self)
{
    for (cj_owner_t o = CJ_OWNER_REGISTRY; o <= CJ_OWNER_ADJUDICATOR; o++) {
        const char *endpoint = cj_config_str (self->config, s_endpoint_var[o]);
        void *dealer = self->dealer[o] = zmq_socket (self->zctx, ZMQ_DEALER);
        int linger = 0, immediate = 1, hwm = GW_PENDING_MAX, ivl_max = 1000;
        if (!dealer || zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger) != 0
            || zmq_setsockopt (dealer, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0
            || zmq_setsockopt (dealer, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0
            || zmq_setsockopt (dealer, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
            || zmq_setsockopt (dealer, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max) != 0
            || zmq_connect (dealer, endpoint) != 0) {
            cj_error ("%s=%s: cannot connect: %s", s_endpoint_var[o], endpoint,
                      zmq_strerror (errno));
            return -1;
        }
    }
    return 0;
}

/*  Sockets (ZAP first), metrics, HTTP. Returns 0, or -1 after logging the cause.  */
static int
s_init (gw_t *self, const cj_curve_keypair_t *kp)
{
    self->timeout_ms = cj_config_int (self->config, "CHEJIAN_GATEWAY_TIMEOUT_MS");
    self->max_in_flight = (size_t) cj_config_int (self->config, "CHEJIAN_GATEWAY_MAX_IN_FLIGHT");
    self->metrics = cj_metrics_new ();
    self->pending = gw_pending_new (GW_PENDING_MAX);
    self->zctx = zmq_ctx_new ();
    if (!self->metrics || !self->pending || !self->zctx) {
        cj_error ("out of memory");
        return -1;
    }
    s_register_metrics (self);
    cj_gauge_set (self->m.agencies, (double) gw_agencies_count (self->agencies));
    if (!(self->zap = gw_zap_new (self->zctx))) {
        cj_error ("cannot bind the ZAP handler on %s: %s", GW_ZAP_ENDPOINT, zmq_strerror (errno));
        return -1;
    }
    if (s_bind_router (self, kp) != 0 || s_connect_services (self) != 0)
        return -1;
    int port = (int) cj_config_int (self->config, "CHEJIAN_GATEWAY_METRICS_PORT");
    const char *mbind = cj_config_str (self->config, "CHEJIAN_METRICS_BIND");
    self->http = cj_http_start (self->metrics, mbind, port, 30);
    if (!self->http) {
        cj_error ("CHEJIAN_GATEWAY_METRICS_PORT=%d: cannot start the HTTP server on %s: %s",
                  port, mbind, strerror (errno));
        return -1;
    }
    return 0;
}

static void
s_destroy (gw_t **self_p)
{
    gw_t *self = *self_p;
    if (!self)
        return;
    cj_http_stop (&self->http);
    for (int o = 0; o < 4; o++)
        if (self->dealer[o])
            zmq_close (self->dealer[o]);
    if (self->router)
        zmq_close (self->router);
    if (self->zap)
        zmq_close (self->zap);
    if (self->zctx)
        zmq_ctx_term (self->zctx);
    gw_pending_destroy (&self->pending);
    gw_agencies_destroy (&self->agencies);
    cj_metrics_destroy (&self->metrics);
    cj_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

/*  ---- main ----  */

/*  --help, the configuration and the log. Returns -1 to go on, or the exit code.  */
static int
s_configure (gw_t *self, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            cj_config_print_help (self->config, stdout, argv[0], s_summary);
            return 0;
        }
        fprintf (stderr, "%s: unknown argument '%s' (configuration is by environment; see "
                 "--help)\n", S_PROGRAM, argv[i]);
        return 2;
    }
    cj_problems_t problems;
    cj_problems_init (&problems);
    if (cj_config_load (self->config, &problems) != 0) {
        char text[1024];
        cj_problems_format (&problems, text, sizeof text);
        fprintf (stderr, "%s: bad configuration: %s (see --help)\n", S_PROGRAM, text);
        return 2;
    }
    cj_log_level_t level = CJ_LOG_INFO;
    if (cj_log_level_parse (cj_config_str (self->config, "CHEJIAN_LOG_LEVEL"), &level) != 0) {
        fprintf (stderr, "%s: CHEJIAN_LOG_LEVEL must be debug, info, warn or error\n", S_PROGRAM);
        return 2;
    }
    cj_log_init ("gateway", level);
    return -1;
}

static void
s_log_start (gw_t *self)
{
    char instance[128];
    const char *id = cj_config_str (self->config, "CHEJIAN_INSTANCE_ID");
    if (id && *id)
        snprintf (instance, sizeof instance, "%s", id);
    else {
        char host[64] = "localhost";
        gethostname (host, sizeof host - 1);
        snprintf (instance, sizeof instance, "%s-gateway", host);
    }
    cj_info ("listening on %s (CURVE), %zu agencies, services %s %s %s, timeout %lld ms, "
             "%zu in flight per agency, metrics on %s:%d, instance %s",
             cj_config_str (self->config, "CHEJIAN_GATEWAY_BIND"),
             gw_agencies_count (self->agencies),
             cj_config_str (self->config, s_endpoint_var[1]),
             cj_config_str (self->config, s_endpoint_var[2]),
             cj_config_str (self->config, s_endpoint_var[3]), (long long) self->timeout_ms,
             self->max_in_flight, cj_config_str (self->config, "CHEJIAN_METRICS_BIND"),
             cj_http_port (self->http), instance);
}

int
gw_main (int argc, char **argv)
{
    gw_t *self = calloc (1, sizeof *self);
    if (!self || !(self->config = cj_config_new ())
        || cj_config_declare (self->config, s_options,
                              sizeof s_options / sizeof s_options[0]) != 0) {
        fprintf (stderr, "%s: out of memory\n", S_PROGRAM);
        s_destroy (&self);
        return 1;
    }
    int code = s_configure (self, argc, argv);
    cj_curve_keypair_t kp;
    memset (&kp, 0, sizeof kp);
    if (code < 0 && s_load_files (self, &kp) != 0)
        code = 2;
    if (code < 0) {
        gw_signals_install ();
        int rc = s_init (self, &kp);
        cj_curve_keypair_wipe (&kp);
        if (rc == 0) {
            cj_http_set_ready (self->http, true, "ready");
            s_log_start (self);
            gw_run (self);
            cj_info ("stopped");
        }
        code = rc == 0 ? 0 : 1;
    }
    cj_curve_keypair_wipe (&kp);
    s_destroy (&self);
    return code;
}
