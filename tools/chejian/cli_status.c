/*  cli_status.c - `chejian status`: GetServiceStatus (x91, all partitions) of the three
 *  services; readiness, partitions owned, and every subscription's cursor, head and lag.  */
#include "cli.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "chejian/json.h"

void
cli_status_help (FILE *out)
{
    fputs ("usage: chejian status [options]\n\n"
           "Asks registry, payroll and adjudicator for their status (GetServiceStatus over all\n"
           "partitions) and prints two tables: each service (ready or not and why, instance,\n"
           "partitions owned), then each subscription (consumer, producer, partition, cursor,\n"
           "head, lag). The head is the producer's outbox head as the producer itself reports\n"
           "it (or as the consumer last heard, if higher), so lag 0 means the consumer has\n"
           "applied everything committed so far.\n\n"
           "Options:\n"
           "  --wait SECONDS   ask again every second until the condition holds or the time is\n"
           "                   up (default 0: ask once)\n"
           "  --caught-up      also require every lag to be 0\n"
           "  --json           print one JSON object instead of the tables\n", out);
    cli_conn_help (out);
    fputs ("  Through the gateway all three queries go to --gateway; in plain TCP set\n"
           "  CHEJIAN_REGISTRY_ENDPOINT, CHEJIAN_PAYROLL_ENDPOINT, CHEJIAN_ADJUDICATOR_ENDPOINT.\n"
           "  The envelopes carry --county, or " CLI_FALLBACK_COUNTY " when none is given.\n\n"
           "Exit: 0 every service answered ready (and, with --caught-up, every lag is 0);\n"
           "1 otherwise; 2 usage.\n\n"
           "Examples:\n"
           "  chejian status\n"
           "  chejian status --wait 60                 # the launcher, after starting services\n"
           "  chejian status --wait 120 --caught-up    # after an import, before a report\n", out);
}

static const int s_body[CLI_OWNERS] = {
    0, CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_STATUS, CHEJIAN__V1__ENVELOPE__BODY_PAYROLL_STATUS,
    CHEJIAN__V1__ENVELOPE__BODY_ADJUDICATION_STATUS
};

typedef struct {
    cj_ack_t *acks[CLI_OWNERS];
} s_round_t;

static void
s_done (void *arg, void *user, const char *event_id, cj_ack_t **ack_p)
{
    (void) event_id;
    s_round_t *round = arg;
    int owner = (int) (intptr_t) user;
    cj_ack_free (&round->acks[owner]);
    round->acks[owner] = *ack_p;
    *ack_p = NULL;
}

static const Chejian__V1__ServiceStatus *
s_status (const s_round_t *round, int owner)
{
    const cj_ack_t *ack = round->acks[owner];
    if (!ack || ack->status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
        return NULL;
    return (const Chejian__V1__ServiceStatus *) cli_ack_result (ack);
}

/*  Asks the three services at once, each attempt at most 'timeout_ms'.  */
static int
s_ask (cli_conn_t *conn, s_round_t *round, int timeout_ms)
{
    cli_send_opts_t opts = { CLI_OWNERS, 0, 0, timeout_ms, true };
    cli_sender_t *sender = cli_sender_new (conn, &opts, s_done, round);
    if (!sender)
        return -1;
    char trace[CLI_TRACE_ID_LEN + 1], id[CLI_OWNERS][CLI_EVENT_ID_MAX];
    cli_trace_id (trace);
    Chejian__V1__GetServiceStatus body = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    body.all_partitions = true;
    int rc = 0;
    for (int o = 1; o < CLI_OWNERS && rc == 0; o++) {
        cj_ack_free (&round->acks[o]);
        snprintf (id[o], sizeof id[o], "status-%s-%d", trace, o);
        cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
        cli_envelope_header (&env, id[o], conn->source, cli_conn_county_or_default (conn), trace);
        cli_envelope_set_body (&env, s_body[o], &body.base);
        rc = cli_sender_submit (sender, &env, (void *) (intptr_t) o);
    }
    if (rc == 0)
        rc = cli_sender_run (sender, NULL, NULL);
    cli_sender_destroy (&sender);
    return rc;
}

/*  The producer's own outbox head for 'partition', or 0 when unknown.  */
static uint64_t
s_producer_head (const s_round_t *round, const char *producer, uint32_t partition)
{
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        /* producers are named by the services' short names ("reg" for "registry") */
        if (!st || !*producer || strncmp (st->service, producer, strlen (producer)) != 0)
            continue;
        for (size_t i = 0; i < st->n_partitions; i++)
            if (st->partitions[i]->partition == partition)
                return st->partitions[i]->outbox_head_seq;
    }
    return 0;
}

static uint64_t
s_head (const s_round_t *round, const Chejian__V1__SubscriptionStatus *sub)
{
    uint64_t own = s_producer_head (round, sub->producer, sub->partition);
    return own > sub->producer_head_seq ? own : sub->producer_head_seq;
}

static uint64_t
s_lag (const s_round_t *round, const Chejian__V1__SubscriptionStatus *sub)
{
    uint64_t head = s_head (round, sub);
    return head > sub->cursor_seq ? head - sub->cursor_seq : 0;
}

static bool
s_ready (const s_round_t *round)
{
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        if (!st || !st->ready)
            return false;
    }
    return true;
}

static bool
s_caught_up (const s_round_t *round)
{
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        for (size_t i = 0; st && i < st->n_subscriptions; i++)
            if (s_lag (round, st->subscriptions[i]) != 0)
                return false;
    }
    return true;
}

/*  "0-3" style list of the partitions this instance owns.  */
static void
s_owned (const Chejian__V1__ServiceStatus *st, char *buf, size_t size)
{
    size_t n = 0, owned = 0;
    buf[0] = 0;
    for (size_t i = 0; i < st->n_partitions; i++) {
        if (!st->partitions[i]->owned)
            continue;
        uint32_t from = st->partitions[i]->partition, to = from;
        while (i + 1 < st->n_partitions && st->partitions[i + 1]->owned
               && st->partitions[i + 1]->partition == to + 1)
            to = st->partitions[++i]->partition;
        owned += to - from + 1;
        if (n < size)
            n += (size_t) snprintf (buf + n, size - n, "%s%u", n ? "," : "", from);
        if (to != from && n < size)
            n += (size_t) snprintf (buf + n, size - n, "-%u", to);
    }
    char tail[48];
    snprintf (tail, sizeof tail, "%s%zu of %u", n ? " (" : "", owned, st->partitions_total);
    if (n < size)
        n += (size_t) snprintf (buf + n, size - n, "%s%s", tail, n ? ")" : "");
}

static void
s_print_tables (const cli_conn_t *conn, const s_round_t *round)
{
    printf ("%-12s %-10s %-24s %s\n", "SERVICE", "STATE", "INSTANCE", "PARTITIONS OWNED");
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        const cj_ack_t *ack = round->acks[o];
        if (!st) {
            printf ("%-12s %-10s %s%s%s\n", cj_owner_name ((cj_owner_t) o),
                    ack ? cj_ack_status_name (ack->status) : "no answer",
                    ack ? "" : "from ", ack ? "" : cli_conn_endpoint (conn, (cj_owner_t) o),
                    ack && ack->n_problems ? ack->problems[0]->message : "");
            continue;
        }
        char owned[256];
        s_owned (st, owned, sizeof owned);
        printf ("%-12s %-10s %-24s %s", st->service, st->ready ? "ready" : "not ready",
                st->instance_id, owned);
        if (!st->ready)
            printf ("  (%s)", st->not_ready_reason);
        putchar ('\n');
    }
    printf ("\n%-12s %-12s %9s %10s %10s %8s\n", "CONSUMER", "PRODUCER", "PARTITION", "CURSOR",
            "HEAD", "LAG");
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        for (size_t i = 0; st && i < st->n_subscriptions; i++) {
            const Chejian__V1__SubscriptionStatus *sub = st->subscriptions[i];
            printf ("%-12s %-12s %9u %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", st->service,
                    sub->producer, sub->partition, sub->cursor_seq, s_head (round, sub),
                    s_lag (round, sub));
        }
    }
}

static void
s_print_json (const s_round_t *round, bool ready, bool caught_up)
{
    json_t *services = json_array (), *subs = json_array ();
    for (int o = 1; o < CLI_OWNERS; o++) {
        const Chejian__V1__ServiceStatus *st = s_status (round, o);
        const cj_ack_t *ack = round->acks[o];
        json_array_append_new (services, json_pack (
            "{s:s, s:s, s:o}", "service", cj_owner_name ((cj_owner_t) o), "answer",
            ack ? cj_ack_status_name (ack->status) : "NO_ANSWER", "status",
            st ? cj_json_from_message (&st->base, 0) : json_null ()));
        for (size_t i = 0; st && i < st->n_subscriptions; i++) {
            const Chejian__V1__SubscriptionStatus *sub = st->subscriptions[i];
            json_array_append_new (subs, json_pack (
                "{s:s, s:s, s:i, s:I, s:I, s:I}", "consumer", st->service, "producer",
                sub->producer, "partition", (int) sub->partition, "cursor",
                (json_int_t) sub->cursor_seq, "head", (json_int_t) s_head (round, sub), "lag",
                (json_int_t) s_lag (round, sub)));
        }
    }
    json_t *o = json_pack ("{s:b, s:b, s:o, s:o}", "ready", ready, "caught_up", caught_up,
                           "services", services, "subscriptions", subs);
    char *text = json_dumps (o, JSON_INDENT (2));
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (o);
}

int
cli_status (int argc, char **argv)
{
    enum { O_WAIT = CLI_OPT_FIRST_COMMAND, O_CAUGHT_UP, O_JSON };
    static const struct option options[] = {
        { "wait", required_argument, NULL, O_WAIT },
        { "caught-up", no_argument, NULL, O_CAUGHT_UP },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    cli_conn_t conn;
    int rc = cli_conn_init (&conn, "status"), c;
    long wait_s = 0, v;
    bool want_caught_up = false, json = false;
    while (rc == 0 && (c = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_WAIT:
            if (cli_parse_int_option (optarg, 0, 86400, &wait_s) != 0)
                return cli_usage_error ("status", "--wait takes seconds, 0..86400");
            break;
        case O_CAUGHT_UP: want_caught_up = true; break;
        case O_JSON: json = true; break;
        case 'h': cli_status_help (stdout); return CLI_EXIT_OK;
        default:
            if ((v = cli_option (&conn, NULL, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    if (rc)
        return rc;
    if (optind != argc)
        return cli_usage_error ("status", "takes no arguments");
    if ((rc = cli_conn_open (&conn)) != 0)
        return rc;
    s_round_t round;
    memset (&round, 0, sizeof round);
    int64_t deadline = cli_now_ms () + wait_s * 1000;
    bool ready = false, caught_up = false;
    for (;;) {
        int64_t left = deadline - cli_now_ms ();
        int timeout = left > conn.timeout_ms || left < 1000 ? conn.timeout_ms : (int) left;
        if (s_ask (&conn, &round, timeout) != 0) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        ready = s_ready (&round);
        caught_up = s_caught_up (&round);
        if ((ready && (caught_up || !want_caught_up)) || cli_now_ms () + 1000 > deadline)
            break;
        nanosleep (&(struct timespec) { 1, 0 }, NULL);
    }
    if (rc == 0) {
        if (json)
            s_print_json (&round, ready, caught_up);
        else
            s_print_tables (&conn, &round);
        rc = ready && (caught_up || !want_caught_up) ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
        if (rc && !json)
            fprintf (stderr, "chejian status: %s%s\n", ready ? "" : "not every service is ready",
                     ready ? "some consumers still lag" : "");
    }
    for (int o = 1; o < CLI_OWNERS; o++)
        cj_ack_free (&round.acks[o]);
    cli_conn_close (&conn);
    return rc;
}
