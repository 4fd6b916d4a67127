/*  cli_query.c - `chejian query NAME [JSON]`: one query body, its result as pretty JSON; and
 *  cli_ask, the one-query helper report, events and status use.  */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "chejian/json.h"

void
cli_query_help (FILE *out)
{
    fputs ("usage: chejian query [options] NAME [JSON]\n"
           "       chejian query [options] NAME --file FILE\n\n"
           "Sends the query NAME (a query body of envelope.proto: get_workshop, list_workshops,\n"
           "get_worker, list_employments, get_registry_summary, get_worker_income,\n"
           "get_county_income_summary, get_wage_report, list_decisions, explain_decision,\n"
           "list_funds, list_payments, get_loan, get_adjudication_summary, ...) for --county\n"
           "with JSON as its body (proto3 JSON mapping; default {}), and prints the result as\n"
           "pretty JSON. A REJECTED answer prints its problems on stderr.\n\n"
           "Options:\n"
           "  --file FILE      read the body from FILE (- for standard input)\n"
           "  --retries N      resends after no answer or UNAVAILABLE (default 8)\n", out);
    cli_conn_help (out);
    fputs ("\nExit: 0 answered; 1 rejected; 2 usage; 3 gave up.\n\n"
           "Examples:\n"
           "  chejian query --county 510822 get_workshop '{\"workshopId\":\"QC-W01\"}'\n"
           "  chejian query --county 510822 get_county_income_summary '{\"year\":2026}'\n"
           "  chejian query --county 510822 list_decisions '{\"workshopId\":\"QC-W01\"}'\n", out);
}

cj_ack_t *
cli_ask (cli_conn_t *conn, const cli_send_opts_t *opts, int body_case, ProtobufCMessage *body,
         const char *county)
{
    char id[CLI_EVENT_ID_MAX], trace[CLI_TRACE_ID_LEN + 1];
    cli_trace_id (trace);
    snprintf (id, sizeof id, "query-%s", trace);
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    cli_envelope_header (&env, id, conn->source, county, trace);
    cli_envelope_set_body (&env, body_case, body);
    cli_send_opts_t one = *opts;
    one.window = 1;
    one.settle_ms = 0;
    return cli_request (conn, &one, &env);
}

/*  Prints a REJECTED answer's problems; returns the exit code for 'ack'.  */
int
cli_ack_exit (const char *cmd, const cj_ack_t *ack)
{
    if (!ack)
        return CLI_EXIT_GAVE_UP;
    if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        return CLI_EXIT_OK;
    cli_error (cmd, "%s:", cj_ack_status_name (ack->status));
    cli_print_problems (stderr, ack, "  ");
    return CLI_EXIT_REJECTED;
}

static int
s_options (int argc, char **argv, cli_conn_t *conn, cli_send_opts_t *opts, const char **file)
{
    enum { O_FILE = CLI_OPT_FIRST_COMMAND };
    static const struct option options[] = {
        { "file", required_argument, NULL, O_FILE },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        CLI_RETRIES_LONG_OPTION,
        { NULL, 0, NULL, 0 }
    };
    int c;
    long v;
    while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_FILE: *file = optarg; break;
        case 'h': cli_query_help (stdout); return -1;
        default:
            if ((v = cli_option (conn, opts, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    int args = argc - optind;
    if (args < 1 || args > 2 || (args == 2 && *file))
        return cli_usage_error ("query", "give the query NAME and, as an argument or with "
                                "--file, its JSON body");
    return 0;
}

/*  Prints 'message' as pretty JSON on stdout.  */
int
cli_print_json_message (const ProtobufCMessage *message)
{
    json_t *json = message ? cj_json_from_message (message, 0) : json_object ();
    char *text = json ? json_dumps (json, JSON_INDENT (2)) : NULL;
    json_decref (json);
    if (!text)
        return -1;
    printf ("%s\n", text);
    free (text);
    return 0;
}

int
cli_query (int argc, char **argv)
{
    cli_conn_t conn;
    cli_send_opts_t opts = CLI_SEND_OPTS_DEFAULT;
    const char *file = NULL;
    int rc = cli_conn_init (&conn, "query");
    if (rc == 0)
        rc = s_options (argc, argv, &conn, &opts, &file);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    opts.timeout_ms = conn.timeout_ms;
    const char *name = argv[optind];
    const ProtobufCFieldDescriptor *f = cli_body_field (name);
    if (!f || cj_body_kind ((int) f->id) != CJ_KIND_QUERY)
        return cli_usage_error ("query", "\"%s\" is not a query body of envelope.proto%s", name,
                                f ? " (commands go with `chejian publish --body`)" : "");
    if (!conn.county[0])
        return cli_usage_error ("query", "give --county (or CHEJIAN_COUNTY): the county the "
                                "query is about");
    char *text = NULL;
    if (file && !(text = cli_read_file (file, NULL))) {
        cli_error ("query", "cannot read %s: %s", file, strerror (errno));
        return CLI_EXIT_USAGE;
    }
    const char *json = text ? text : optind + 1 < argc ? argv[optind + 1] : "{}";
    cj_problems_t problems;
    cj_problems_init (&problems);
    ProtobufCMessage *body = cj_json_loads (f->descriptor, json, strlen (json), 0, &problems);
    free (text);
    if (!body) {
        char msg[2048];
        cj_problems_format (&problems, msg, sizeof msg);
        return cli_usage_error ("query", "the JSON body of %s is not valid: %s", name, msg);
    }
    if ((rc = cli_conn_open (&conn)) == 0) {
        cj_ack_t *ack = cli_ask (&conn, &opts, (int) f->id, body, conn.county);
        rc = cli_ack_exit ("query", ack);
        if (rc == CLI_EXIT_OK && cli_print_json_message (cli_ack_result (ack)) != 0)
            rc = CLI_EXIT_USAGE;
        cj_ack_free (&ack);
    }
    protobuf_c_message_free_unpacked (body, NULL);
    cli_conn_close (&conn);
    return rc;
}
