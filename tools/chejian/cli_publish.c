/*  cli_publish.c - `chejian publish`: JSON lines, each an Envelope in the proto3 JSON mapping
 *  (or, with --body NAME, each the body of that type), sent through the windowed sender.
 *  One JSON line per answer on stdout, a summary on stderr.  */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "chejian/json.h"

void
cli_publish_help (FILE *out)
{
    fputs ("usage: chejian publish [options] [FILE|-]\n\n"
           "Sends each line of FILE (default: standard input) as one message and prints one JSON\n"
           "line per answer: {\"line\", \"event_id\", \"status\", \"original_status\",\n"
           "\"problems\"} (in the order the answers come). A line is an Envelope in the proto3\n"
           "JSON mapping, e.g.\n"
           "  {\"county\":\"510822\",\"changeWorkerStatus\":{\"residentId\":\"...\",\"change\":{...}}}\n"
           "Header fields left out get defaults: source = --source (the key file's agency),\n"
           "county = --county, occurredAt = now, traceId = one per run, and eventId =\n"
           "\"pub-<32 hex>\" derived from the county and the body, so running the same file\n"
           "again is answered DUPLICATE, never applied twice. Through the gateway a line's\n"
           "own source is replaced by yours (the gateway accepts no other) and put in front\n"
           "of its event id (\"finance-510822/E1\"): ids of different sources stay apart.\n"
           "Blank lines are skipped. A line that is not JSON or not a valid envelope is reported with its\n"
           "line number and counts as rejected.\n\n"
           "Options:\n"
           "  --body NAME      each line is the body NAME (e.g. top_up_fund), wrapped in an\n"
           "                   envelope; a FILE holding one JSON object (even over many lines)\n"
           "                   is one body\n"
           "  --window N       requests in flight, 1..1000 (default 64)\n"
           "  --retries N      resends after no answer or UNAVAILABLE (default 8)\n"
           "  --settle-ms MS   how long REJECTED with only NOT_YET_KNOWN is retried (60000)\n"
           "  --quiet          no line per answer (the summary still goes to stderr)\n", out);
    cli_conn_help (out);
    fputs ("\nExit: 0 all accepted (or duplicates of accepted ones); 1 any rejected; 2 usage;\n"
           "3 gave up on some (no answer or UNAVAILABLE after the retries).\n\n"
           "Examples:\n"
           "  chejian publish --county 510822 decisions.jsonl\n"
           "  echo '{\"fundId\":\"F1\",\"amountFen\":\"100000\",...}' | \\\n"
           "      chejian publish --body top_up_fund --county 510822\n", out);
}

typedef struct {
    cli_conn_t     *conn;
    cli_sender_t   *sender;
    const ProtobufCFieldDescriptor *body;   /* --body, or NULL */
    bool            quiet;
    char            trace_id[CLI_TRACE_ID_LEN + 1];
    /* input */
    FILE           *in;
    char           *text;                   /* --body: the whole input */
    char           *cursor;
    bool            whole;                  /* --body: the input is one object */
    char           *line;
    size_t          line_cap;
    long            line_no;
    /* outcome */
    size_t          lines, accepted, duplicate, rejected, gave_up;
    size_t          resourced;              /* lines whose source was replaced by ours */
} s_publish_t;

static void
s_print (s_publish_t *self, long line, const char *event_id, const char *status,
         const char *original, json_t *problems)
{
    if (self->quiet) {
        json_decref (problems);
        return;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "line", json_integer (line));
    json_object_set_new (o, "event_id", json_string (event_id ? event_id : ""));
    json_object_set_new (o, "status", json_string (status));
    if (original)
        json_object_set_new (o, "original_status", json_string (original));
    if (problems && json_array_size (problems))
        json_object_set_new (o, "problems", problems);
    else
        json_decref (problems);
    char *text = json_dumps (o, JSON_COMPACT);
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (o);
    fflush (stdout);
}

/*  A line refused here, before sending.  */
static void
s_refuse (s_publish_t *self, long line, const char *event_id, const cj_problems_t *problems)
{
    /* the JSON parser's messages quote the input near a mistake: never an ID number */
    cj_problems_t masked = *problems;
    json_t *list = json_array ();
    for (size_t i = 0; i < masked.count; i++) {
        cli_mask_resident_ids (masked.items[i].message);
        cli_mask_resident_ids (masked.items[i].field);
        json_array_append_new (list, json_pack ("{s:s, s:s, s:s}", "field",
                                                masked.items[i].field, "code",
                                                masked.items[i].code, "message",
                                                masked.items[i].message));
    }
    self->rejected++;
    s_print (self, line, event_id, "REJECTED", NULL, list);
    if (self->quiet) {
        char text[1024];
        cj_problems_format (&masked, text, sizeof text);
        fprintf (stderr, "chejian publish: line %ld: %s\n", line, text);
    }
}

static void
s_done (void *arg, void *user, const char *event_id, cj_ack_t **ack_p)
{
    s_publish_t *self = arg;
    long line = (long) (intptr_t) user;
    cj_ack_t *ack = *ack_p;
    if (!ack || ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE) {
        self->gave_up++;
        s_print (self, line, event_id, ack ? "UNAVAILABLE" : "NO_ANSWER", NULL, NULL);
        return;
    }
    json_t *list = json_array ();
    for (size_t i = 0; i < ack->n_problems; i++)
        json_array_append_new (list, cj_json_from_message (&ack->problems[i]->base, 0));
    bool dup = ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
    Chejian__V1__AckStatus effective = dup ? ack->original_status : ack->status;
    if (effective == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED)
        self->rejected++;
    else if (dup)
        self->duplicate++;
    else
        self->accepted++;
    s_print (self, line, event_id, cj_ack_status_name (ack->status),
             dup ? cj_ack_status_name (ack->original_status) : NULL, list);
    if (self->quiet && effective == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED) {
        fprintf (stderr, "chejian publish: line %ld rejected:\n", line);
        cli_print_problems (stderr, ack, "  ");
    }
}

/*  Fills the header fields the line left out; the envelope keeps pointers to 'id'.  */
static void
s_defaults (s_publish_t *self, cj_envelope_t *env, char id[CLI_EVENT_ID_MAX],
            cj_problems_t *problems)
{
    if (!env->source || !*env->source)
        env->source = self->conn->source;
    else if (self->conn->curve && strcmp (env->source, self->conn->source) != 0) {
        /* The gateway accepts only the agency's own source: send the line as ours. Dedup is
         * per (source, event_id), so the line's own source goes in front of its event id:
         * two agencies' equal ids must not become one message (the second a DUPLICATE).  */
        self->resourced++;
        if (env->event_id && *env->event_id) {
            if (snprintf (id, CLI_EVENT_ID_MAX, "%s/%s", env->source, env->event_id)
                >= CLI_EVENT_ID_MAX)
                cj_problems_add (problems, "event_id", CJ_E_TOO_LONG,
                                 "the event id with the line's source in front (%s/...) is "
                                 "over %d characters; send it with that agency's key",
                                 env->source, CJ_EVENT_ID_MAX);
            else
                env->event_id = id;
        }
        env->source = self->conn->source;
    }
    if ((!env->county || !*env->county) && self->conn->county[0])
        env->county = self->conn->county;
    if (!env->trace_id || !*env->trace_id)
        env->trace_id = self->trace_id;
    if (!env->occurred_at)
        env->occurred_at = cli_now_ms ();
    if ((!env->event_id || !*env->event_id) && env->county && *env->county
        && cj_envelope_body (env)) {
        if (cli_content_id (id, "pub", env->county, (int) env->body_case,
                            cj_envelope_body (env)) == 0)
            env->event_id = id;
    }
    if ((!env->county || !*env->county))
        cj_problems_add (problems, "county", CJ_E_REQUIRED,
                         "no county: give \"county\" in the line or --county / CHEJIAN_COUNTY");
}

/*  One line: parse, complete, validate, submit (or refuse).  */
static int
s_line (s_publish_t *self, const char *text, size_t len, long line)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_envelope_t *env = NULL, local = CHEJIAN__V1__ENVELOPE__INIT;
    ProtobufCMessage *body = NULL;
    if (self->body) {
        body = cj_json_loads (self->body->descriptor, text, len, 0, &problems);
        if (body) {
            env = &local;
            cli_envelope_set_body (env, (int) self->body->id, body);
        }
    } else
        env = (cj_envelope_t *) cj_json_loads (&chejian__v1__envelope__descriptor, text, len, 0,
                                               &problems);
    self->lines++;
    int rc = 0;
    if (env) {
        /* the parsed header strings are put back before freeing */
        char *saved[4] = { env->event_id, env->source, env->county, env->trace_id };
        char id[CLI_EVENT_ID_MAX] = "";
        s_defaults (self, env, id, &problems);
        if (!cj_problems_any (&problems))
            cj_envelope_validate (env, &problems);
        if (!cj_problems_any (&problems))
            rc = cli_sender_submit (self->sender, env, (void *) (intptr_t) line);
        else
            s_refuse (self, line, env->event_id, &problems);
        env->event_id = saved[0];
        env->source = saved[1];
        env->county = saved[2];
        env->trace_id = saved[3];
    } else
        s_refuse (self, line, NULL, &problems);
    if (env && env != &local)
        protobuf_c_message_free_unpacked (&env->base, NULL);
    protobuf_c_message_free_unpacked (body, NULL);
    return rc;
}

static bool
s_blank (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/*  The sender asks for more: the next non-blank line, submitted (or refused).  */
static int
s_pull (void *arg)
{
    s_publish_t *self = arg;
    for (;;) {
        const char *text;
        size_t len;
        if (self->whole) {
            if (!self->text)
                return 1;
            self->line_no = 1;
            int rc = s_line (self, self->text, strlen (self->text), 1);
            free (self->text);
            self->text = NULL;
            return rc < 0 ? -1 : 0;
        }
        if (self->text) {
            if (!*self->cursor)
                return 1;
            text = self->cursor;
            char *nl = strchr (self->cursor, '\n');
            len = nl ? (size_t) (nl - self->cursor) : strlen (self->cursor);
            self->cursor += len + (nl != NULL);
        } else {
            ssize_t n = getline (&self->line, &self->line_cap, self->in);
            if (n < 0)
                return 1;
            text = self->line;
            len = (size_t) n;
        }
        self->line_no++;
        if (s_blank (text, len))
            continue;
        return s_line (self, text, len, self->line_no) < 0 ? -1 : 0;
    }
}

/*  --body: a whole input that is one JSON object is one body.  */
static int
s_read_body_input (s_publish_t *self, const char *path)
{
    self->text = cli_read_file (path, NULL);
    if (!self->text) {
        cli_error ("publish", "cannot read %s: %s", path, strerror (errno));
        return CLI_EXIT_USAGE;
    }
    self->cursor = self->text;
    json_t *json = json_loads (self->text, JSON_REJECT_DUPLICATES, NULL);
    self->whole = json && json_is_object (json);
    json_decref (json);
    return 0;
}

static int
s_options (int argc, char **argv, s_publish_t *self, cli_send_opts_t *opts, const char **path)
{
    enum { O_BODY = CLI_OPT_FIRST_COMMAND, O_QUIET };
    static const struct option options[] = {
        { "body", required_argument, NULL, O_BODY },
        { "quiet", no_argument, NULL, O_QUIET },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        CLI_SEND_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int c;
    long v;
    while ((c = getopt_long (argc, argv, "hq", options, NULL)) != -1) {
        switch (c) {
        case O_BODY:
            self->body = cli_body_field (optarg);
            if (!self->body)
                return cli_usage_error ("publish", "no body \"%s\" in the Envelope (names as in "
                                        "envelope.proto, e.g. top_up_fund)", optarg);
            break;
        case O_QUIET: case 'q': self->quiet = true; break;
        case 'h': cli_publish_help (stdout); return -1;
        default:
            if ((v = cli_option (self->conn, opts, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    if (argc - optind > 1)
        return cli_usage_error ("publish", "give at most one FILE (or - for standard input)");
    *path = optind < argc ? argv[optind] : "-";
    return 0;
}

int
cli_publish (int argc, char **argv)
{
    cli_conn_t conn;
    s_publish_t self = { .conn = &conn };
    cli_send_opts_t opts = CLI_SEND_OPTS_DEFAULT;
    const char *path = "-";
    int rc = cli_conn_init (&conn, "publish");
    if (rc == 0)
        rc = s_options (argc, argv, &self, &opts, &path);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    opts.timeout_ms = conn.timeout_ms;
    if ((rc = cli_conn_open (&conn)) != 0)
        return rc;
    cli_trace_id (self.trace_id);
    if (self.body)
        rc = s_read_body_input (&self, path);
    else if (!(self.in = strcmp (path, "-") == 0 ? stdin : fopen (path, "r"))) {
        cli_error ("publish", "cannot read %s: %s", path, strerror (errno));
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && !(self.sender = cli_sender_new (&conn, &opts, s_done, &self))) {
        cli_error ("publish", "out of memory");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0) {
        int run = cli_sender_run (self.sender, s_pull, &self);
        fprintf (stderr, "chejian publish: %zu lines: %zu accepted, %zu duplicate, %zu rejected, "
                 "%zu gave up\n", self.lines, self.accepted, self.duplicate, self.rejected,
                 self.gave_up);
        if (self.resourced)
            fprintf (stderr, "chejian publish: %zu lines named another source; sent as %s, "
                     "the agency of the key (the gateway accepts no other)\n", self.resourced,
                     conn.source);
        cli_sender_explain_gave_up (self.sender, "publish");
        rc = run != 0 ? CLI_EXIT_USAGE
           : self.gave_up ? CLI_EXIT_GAVE_UP
           : self.rejected ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
    }
    cli_sender_destroy (&self.sender);
    if (self.in && self.in != stdin)
        fclose (self.in);
    free (self.line);
    free (self.text);
    cli_conn_close (&conn);
    return rc;
}
