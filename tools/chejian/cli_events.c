/*  cli_events.c - `chejian events SERVICE`: a service's outbox through the x90 FetchEvents
 *  query (the gateway's pull API), one JSON line per event.  */
#include "cli.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "chejian/json.h"

#define S_MAX_TYPES 64

void
cli_events_help (FILE *out)
{
    fputs ("usage: chejian events [options] SERVICE\n\n"
           "Reads the events of SERVICE (registry, payroll or adjudicator) for the partition of\n"
           "--county, after a sequence number, and prints one JSON line per event:\n"
           "{\"seq\": \"..\", \"envelope\": {...}} (proto3 JSON of SequencedEvent), ascending seq.\n"
           "At the end stderr says the --after to use next time. If events were trimmed from\n"
           "the outbox before you read them, a WARNING says which.\n\n"
           "Options:\n"
           "  --after SEQ      only events with seq > SEQ (default 0: from the oldest kept)\n"
           "  --types LIST     only these body numbers: 904,905 or 904-907 or 300,904-907\n"
           "  --county-only    only events of --county (a partition holds several counties)\n"
           "  --max N          stop after N events (default 1000, with --follow none; 0 = no limit)\n"
           "  --follow         keep reading: ask again every second until interrupted\n"
           "  --retries N      resends after no answer or UNAVAILABLE (default 8)\n", out);
    cli_conn_help (out);
    fputs ("\nExit: 0 read; 1 rejected; 2 usage; 3 gave up.\n\n"
           "Examples:\n"
           "  chejian events --county 510822 registry\n"
           "  chejian events --county 510822 --types 904-907 --after 1200 --follow adjudicator\n",
           out);
}

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

/*  "904,905" or "904-907" (or both) into 'out'. Returns the count, or -1.  */
static int
s_parse_types (const char *text, uint32_t out[S_MAX_TYPES])
{
    int n = 0;
    char *copy = strdup (text), *save = NULL;
    for (char *part = copy ? strtok_r (copy, ",", &save) : NULL; part;
         part = strtok_r (NULL, ",", &save)) {
        char *dash = strchr (part, '-');
        long from, to;
        if (dash)
            *dash = 0;
        if (cli_parse_int_option (part, 100, 999, &from) != 0
            || cli_parse_int_option (dash ? dash + 1 : part, 100, 999, &to) != 0 || to < from) {
            n = -1;
            break;
        }
        for (long v = from; v <= to && n >= 0; v++)
            n = n < S_MAX_TYPES ? (out[n] = (uint32_t) v, n + 1) : -1;
        if (n < 0)
            break;
    }
    free (copy);
    return copy ? n : -1;
}

typedef struct {
    int      body_case;
    uint64_t after;
    long     max;
    bool     follow;
    Chejian__V1__FetchEvents fetch;
    uint32_t types[S_MAX_TYPES];
} s_events_t;

static int
s_service (const char *name)
{
    if (strcmp (name, "registry") == 0)
        return CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_FETCH_EVENTS;
    if (strcmp (name, "payroll") == 0)
        return CHEJIAN__V1__ENVELOPE__BODY_PAYROLL_FETCH_EVENTS;
    if (strcmp (name, "adjudicator") == 0 || strcmp (name, "adjudication") == 0)
        return CHEJIAN__V1__ENVELOPE__BODY_ADJUDICATION_FETCH_EVENTS;
    return 0;
}

static int
s_options (int argc, char **argv, cli_conn_t *conn, cli_send_opts_t *opts, s_events_t *ev)
{
    enum { O_AFTER = CLI_OPT_FIRST_COMMAND, O_TYPES, O_COUNTY_ONLY, O_MAX, O_FOLLOW };
    static const struct option options[] = {
        { "after", required_argument, NULL, O_AFTER },
        { "types", required_argument, NULL, O_TYPES },
        { "county-only", no_argument, NULL, O_COUNTY_ONLY },
        { "max", required_argument, NULL, O_MAX },
        { "follow", no_argument, NULL, O_FOLLOW },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        CLI_RETRIES_LONG_OPTION,
        { NULL, 0, NULL, 0 }
    };
    int c, n;
    long v;
    uint64_t u;
    while ((c = getopt_long (argc, argv, "hf", options, NULL)) != -1) {
        switch (c) {
        case O_AFTER:
            if (cli_parse_uint (optarg, UINT64_MAX, &u) != NULL)
                return cli_usage_error ("events", "--after takes a sequence number");
            ev->after = u;
            break;
        case O_TYPES:
            if ((n = s_parse_types (optarg, ev->types)) <= 0)
                return cli_usage_error ("events", "--types takes body numbers 100..999 as "
                                        "904,905 or 904-907, at most %d", S_MAX_TYPES);
            ev->fetch.n_body_numbers = (size_t) n;
            ev->fetch.body_numbers = ev->types;
            break;
        case O_COUNTY_ONLY: ev->fetch.county_only = true; break;
        case O_MAX:
            if (cli_parse_int_option (optarg, 0, 1000000000, &ev->max) != 0)
                return cli_usage_error ("events", "--max takes 0 (no limit) .. 1000000000");
            break;
        case O_FOLLOW: case 'f': ev->follow = true; break;
        case 'h': cli_events_help (stdout); return -1;
        default:
            if ((v = cli_option (conn, opts, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    if (ev->max < 0)
        ev->max = ev->follow ? 0 : 1000;
    if (optind + 1 != argc || !(ev->body_case = s_service (argv[optind])))
        return cli_usage_error ("events", "give one SERVICE: registry, payroll or adjudicator");
    if (!conn->county[0])
        return cli_usage_error ("events", "give --county (or CHEJIAN_COUNTY): events are read "
                                "from the partition of that county");
    return 0;
}

/*  Prints one page; returns the events printed.  */
static long
s_page (const Chejian__V1__EventPage *page)
{
    if (page->truncated)
        fprintf (stderr, "chejian events: WARNING: events %" PRIu64 "..%" PRIu64 " of %s were "
                 "trimmed from the outbox before they were read: they are lost to this reader "
                 "(the oldest kept is %" PRIu64 "). Read more often.\n", page->after_seq + 1,
                 page->first_available_seq - 1, page->topic, page->first_available_seq);
    for (size_t i = 0; i < page->n_events; i++) {
        char *text = cj_json_dumps (&page->events[i]->base, 0);
        if (text)
            printf ("%s\n", text);
        free (text);
    }
    fflush (stdout);
    return (long) page->n_events;
}

static void
s_sleep_second (void)
{
    for (int i = 0; i < 10 && !s_stop; i++)
        nanosleep (&(struct timespec) { 0, 100000000 }, NULL);
}

int
cli_events (int argc, char **argv)
{
    cli_conn_t conn;
    cli_send_opts_t opts = CLI_SEND_OPTS_DEFAULT;
    s_events_t ev = { .max = -1, .fetch = CHEJIAN__V1__FETCH_EVENTS__INIT };
    int rc = cli_conn_init (&conn, "events");
    if (rc == 0)
        rc = s_options (argc, argv, &conn, &opts, &ev);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    opts.timeout_ms = conn.timeout_ms;
    if ((rc = cli_conn_open (&conn)) != 0)
        return rc;
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    long printed = 0;
    while (!s_stop) {
        long left = ev.max ? ev.max - printed : 1000;
        ev.fetch.after_seq = ev.after;
        ev.fetch.max_events = (uint32_t) (left < 1000 ? left : 1000);
        cj_ack_t *ack = cli_ask (&conn, &opts, ev.body_case, &ev.fetch.base, conn.county);
        rc = cli_ack_exit ("events", ack);
        const Chejian__V1__EventPage *page =
            rc == 0 ? (const Chejian__V1__EventPage *) cli_ack_result (ack) : NULL;
        bool more = false;
        if (page) {
            printed += s_page (page);
            if (page->next_after_seq > ev.after)
                ev.after = page->next_after_seq;
            more = page->more;
        }
        cj_ack_free (&ack);
        if (rc != 0 || (ev.max && printed >= ev.max))
            break;
        if (!more) {
            if (!ev.follow)
                break;
            s_sleep_second ();
        }
    }
    fprintf (stderr, "chejian events: %ld events; next time: --after %" PRIu64 "\n", printed,
             ev.after);
    cli_conn_close (&conn);
    return rc;
}
