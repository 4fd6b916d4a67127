/*  cli_conn.c - connection settings: defaults, CHEJIAN_* variables, flags; key files; one
 *  DEALER per distinct endpoint.
 *
 *  With --server-key (CURVE) every body goes to the gateway. Without it the CLI speaks plain
 *  TCP, to --gateway, or, for bodies of one owner, to CHEJIAN_<OWNER>_ENDPOINT when set (a
 *  service's ROUTER, for operators inside the private network and for tests).  */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "chejian/ident.h"

static const char *const s_override_var[CLI_OWNERS] = {
    NULL, "CHEJIAN_REGISTRY_ENDPOINT", "CHEJIAN_PAYROLL_ENDPOINT", "CHEJIAN_ADJUDICATOR_ENDPOINT"
};

void
cli_conn_help (FILE *out)
{
    fputs ("Connection (flag, or variable):\n"
           "  --gateway URL       CHEJIAN_GATEWAY_ENDPOINT         default tcp://127.0.0.1:5540\n"
           "  --server-key FILE   CHEJIAN_GATEWAY_PUBLIC_KEY_FILE  the gateway's .pub (or .key);\n"
           "                      unset: plain TCP (a service's ROUTER directly, private network)\n"
           "  --key FILE          CHEJIAN_AGENCY_KEY_FILE          your agency's .key (chejian keygen);\n"
           "                      required with --server-key\n"
           "  --source ID         CHEJIAN_SOURCE                   default: the key file's agency,\n"
           "                      else \"operator\"\n"
           "  --county CODE       CHEJIAN_COUNTY                   the envelopes' county\n"
           "  --timeout MS        CHEJIAN_TIMEOUT_MS               per attempt, default 5000\n"
           "  Plain TCP only: CHEJIAN_REGISTRY_ENDPOINT, CHEJIAN_PAYROLL_ENDPOINT and\n"
           "  CHEJIAN_ADJUDICATOR_ENDPOINT send that service's bodies straight to its ROUTER.\n",
           out);
}

static int
s_copy (cli_conn_t *conn, char *dst, size_t size, const char *what, const char *value)
{
    if (strlen (value) >= size) {
        cli_error (conn->cmd, "%s is too long (at most %zu characters)", what, size - 1);
        return CLI_EXIT_USAGE;
    }
    memcpy (dst, value, strlen (value) + 1);
    return 0;
}

static int
s_set_county (cli_conn_t *conn, const char *what, const char *value)
{
    if (cj_check_county (NULL, NULL, value) != 0) {
        cli_error (conn->cmd, "%s \"%s\" is not a county code (6 digits, GB/T 2260, e.g. 510822)",
                   what, value);
        return CLI_EXIT_USAGE;
    }
    return s_copy (conn, conn->county, sizeof conn->county, what, value);
}

static int
s_set_source (cli_conn_t *conn, const char *what, const char *value)
{
    if (cj_check_token (NULL, NULL, value, CJ_SOURCE_MAX, CJ_TOKEN_LOWER | CJ_TOKEN_DIGIT, "_-",
                        true) != 0) {
        cli_error (conn->cmd, "%s \"%s\" is not a source id (1..32 of a-z 0-9 _ -)", what, value);
        return CLI_EXIT_USAGE;
    }
    return s_copy (conn, conn->source, sizeof conn->source, what, value);
}

static int
s_set_timeout (cli_conn_t *conn, const char *what, const char *value)
{
    long ms;
    if (cli_parse_int_option (value, 1, 3600000, &ms) != 0) {
        cli_error (conn->cmd, "%s \"%s\" is not a number of milliseconds (1..3600000)", what,
                   value);
        return CLI_EXIT_USAGE;
    }
    conn->timeout_ms = (int) ms;
    return 0;
}

int
cli_conn_init (cli_conn_t *conn, const char *cmd)
{
    memset (conn, 0, sizeof *conn);
    conn->cmd = cmd;
    conn->timeout_ms = 5000;
    strcpy (conn->gateway, "tcp://127.0.0.1:5540");
    const char *v;
    int rc = 0;
    if (!rc && (v = getenv ("CHEJIAN_GATEWAY_ENDPOINT")) && *v)
        rc = s_copy (conn, conn->gateway, sizeof conn->gateway, "CHEJIAN_GATEWAY_ENDPOINT", v);
    if (!rc && (v = getenv ("CHEJIAN_GATEWAY_PUBLIC_KEY_FILE")) && *v)
        rc = s_copy (conn, conn->server_key_file, sizeof conn->server_key_file,
                     "CHEJIAN_GATEWAY_PUBLIC_KEY_FILE", v);
    if (!rc && (v = getenv ("CHEJIAN_AGENCY_KEY_FILE")) && *v)
        rc = s_copy (conn, conn->key_file, sizeof conn->key_file, "CHEJIAN_AGENCY_KEY_FILE", v);
    if (!rc && (v = getenv ("CHEJIAN_SOURCE")) && *v)
        rc = s_set_source (conn, "CHEJIAN_SOURCE", v);
    if (!rc && (v = getenv ("CHEJIAN_COUNTY")) && *v)
        rc = s_set_county (conn, "CHEJIAN_COUNTY", v);
    if (!rc && (v = getenv ("CHEJIAN_TIMEOUT_MS")) && *v)
        rc = s_set_timeout (conn, "CHEJIAN_TIMEOUT_MS", v);
    for (int o = 1; !rc && o < CLI_OWNERS; o++)
        if ((v = getenv (s_override_var[o])) && *v)
            rc = s_copy (conn, conn->override[o], sizeof conn->override[o], s_override_var[o], v);
    return rc;
}

static int
s_send_option (cli_conn_t *conn, cli_send_opts_t *opts, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case CLI_OPT_WINDOW:
        if (cli_parse_int_option (arg, 1, CLI_WINDOW_MAX, &v) != 0)
            return cli_usage_error (conn->cmd, "--window takes 1..%d", CLI_WINDOW_MAX);
        opts->window = (int) v;
        return 0;
    case CLI_OPT_RETRIES:
        if (cli_parse_int_option (arg, 0, 100, &v) != 0)
            return cli_usage_error (conn->cmd, "--retries takes 0..100");
        opts->retries = (int) v;
        return 0;
    case CLI_OPT_SETTLE:
        if (cli_parse_int_option (arg, 0, 3600000, &v) != 0)
            return cli_usage_error (conn->cmd, "--settle-ms takes 0..3600000");
        opts->settle_ms = (int) v;
        return 0;
    default:
        return cli_usage_error (conn->cmd, "bad option");
    }
}

int
cli_option (cli_conn_t *conn, cli_send_opts_t *opts, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_GATEWAY:
        return s_copy (conn, conn->gateway, sizeof conn->gateway, "--gateway", arg);
    case CLI_OPT_SERVER_KEY:
        return s_copy (conn, conn->server_key_file, sizeof conn->server_key_file,
                       "--server-key", arg);
    case CLI_OPT_KEY:
        return s_copy (conn, conn->key_file, sizeof conn->key_file, "--key", arg);
    case CLI_OPT_SOURCE:
        return s_set_source (conn, "--source", arg);
    case CLI_OPT_COUNTY:
        return s_set_county (conn, "--county", arg);
    case CLI_OPT_TIMEOUT:
        return s_set_timeout (conn, "--timeout", arg);
    default:
        return opts ? s_send_option (conn, opts, opt, arg)
                    : cli_usage_error (conn->cmd, "bad option");
    }
}

int
cli_conn_open (cli_conn_t *conn)
{
    char err[512];
    conn->curve = conn->server_key_file[0] != 0;
    if (conn->curve && !conn->key_file[0]) {
        cli_error (conn->cmd, "--server-key (CHEJIAN_GATEWAY_PUBLIC_KEY_FILE) needs --key "
                   "(CHEJIAN_AGENCY_KEY_FILE): your agency's key file (make one with "
                   "`chejian keygen --agency ID BASE`)");
        return CLI_EXIT_USAGE;
    }
    if (conn->key_file[0]
        && cj_curve_keypair_load (conn->key_file, &conn->kp, err, sizeof err) != 0) {
        cli_error (conn->cmd, "cannot use key file %s: %s", conn->key_file, err);
        return CLI_EXIT_USAGE;
    }
    if (conn->curve) {
        if (!cj_curve_available ()) {
            cli_error (conn->cmd, "this libzmq has no CURVE support; install libzmq built "
                       "with libsodium");
            return CLI_EXIT_USAGE;
        }
        if (cj_curve_public_load (conn->server_key_file, conn->server_public, err,
                                  sizeof err) != 0) {
            cli_error (conn->cmd, "cannot read the gateway's public key %s: %s (ask the "
                       "gateway's operators for its .pub file)", conn->server_key_file, err);
            return CLI_EXIT_USAGE;
        }
    }
    if (!conn->source[0]) {
        const char *agency = conn->kp.agency[0] ? conn->kp.agency : "operator";
        if (conn->curve && !conn->kp.agency[0]) {
            cli_error (conn->cmd, "key file %s names no agency; give --source ID (the id "
                       "the gateway's agencies file gives your key)", conn->key_file);
            return CLI_EXIT_USAGE;
        }
        snprintf (conn->source, sizeof conn->source, "%s", agency);
    }
    for (int o = 1; o < CLI_OWNERS; o++)
        snprintf (conn->endpoint[o], sizeof conn->endpoint[o], "%s",
                  !conn->curve && conn->override[o][0] ? conn->override[o] : conn->gateway);
    return 0;
}

const char *
cli_conn_endpoint (const cli_conn_t *conn, cj_owner_t owner)
{
    return owner > 0 && owner < CLI_OWNERS ? conn->endpoint[owner] : conn->gateway;
}

const char *
cli_conn_county_or_default (const cli_conn_t *conn)
{
    return conn->county[0] ? conn->county : CLI_FALLBACK_COUNTY;
}

cj_client_t *
cli_conn_client (cli_conn_t *conn, cj_owner_t owner)
{
    if (owner <= 0 || owner >= CLI_OWNERS)
        return NULL;
    if (conn->clients[owner])
        return conn->clients[owner];
    for (int o = 1; o < CLI_OWNERS; o++)   /* the same endpoint: the same DEALER */
        if (conn->clients[o] && strcmp (conn->endpoint[o], conn->endpoint[owner]) == 0)
            return conn->clients[owner] = conn->clients[o];
    if (!conn->zctx && !(conn->zctx = zmq_ctx_new ())) {
        cli_error (conn->cmd, "cannot start ZeroMQ: %s", strerror (errno));
        return NULL;
    }
    const char *endpoint = conn->endpoint[owner];
    conn->clients[owner] = conn->curve
        ? cj_client_new_curve (conn->zctx, endpoint, &conn->kp, conn->server_public)
        : cj_client_new (conn->zctx, endpoint);
    if (!conn->clients[owner])
        cli_error (conn->cmd, "cannot connect to %s: %s (an endpoint looks like "
                   "tcp://host:port)", endpoint, zmq_strerror (errno));
    return conn->clients[owner];
}

void
cli_conn_close (cli_conn_t *conn)
{
    for (int o = 1; o < CLI_OWNERS; o++) {
        cj_client_t *c = conn->clients[o];
        if (!c)
            continue;
        for (int j = o; j < CLI_OWNERS; j++)
            if (conn->clients[j] == c)
                conn->clients[j] = NULL;
        cj_client_destroy (&c);
    }
    if (conn->zctx)
        zmq_ctx_term (conn->zctx);
    conn->zctx = NULL;
    cj_curve_keypair_wipe (&conn->kp);
}
