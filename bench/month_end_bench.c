/*  month_end_bench - a county's month end through chejian-gateway (CURVE on): wage lines for
 *  every worker and a certification request for every workshop, until every subscription's
 *  lag is zero and every award is decided; then the replay of the outboxes and the memory.
 *  Prints figures beside redis-benchmark's pipelined XADD measured on the same Redis in the
 *  same run; asserts nothing, but says whether the totals came out exact.
 *
 *  The system: chejian-payroll, chejian-adjudicator and chejian-gateway as processes
 *  (tests/support/test_system) on a private redis-server (AOF everysec), 8 counties (one per
 *  partition). The registry's facts (workshops, workers, employments: 2 per worker) come from
 *  registry_feed, which commits them to the registry's outbox exactly as chejian-registry
 *  would (registering 300k people through the registry is gateway_bench's subject).
 *
 *    1. replay (registry outbox): the facts are committed while no consumer runs; payroll and
 *       the adjudicator then start and rebuild their registry facts from the outbox alone.
 *    2. set-up: a policy (the Qingchuan policy, jurisdiction "51") and an employment-subsidy
 *       fund per county, through the gateway.
 *    3. month end (timed): one certification request per workshop, then 'lines' wage lines in
 *       reports of 'per_report' lines (one workshop and month each), 'window' reports in
 *       flight, until all are acknowledged; then until payroll -> adjudicator lag is zero and
 *       the adjudicator reports every award (one per registered-poor laborer: half of them).
 *    4. memory: RSS of each process, Redis used_memory, per 100k workers.
 *    5. replay (all outboxes): the adjudicator's keys are deleted and it starts again empty; it
 *       rebuilds from the registry's and payroll's outboxes alone (no commands): events/s.
 *
 *  usage: month_end_bench [lines [workers [per_report [window]]]]   (1000000 300000 200 64)
 *  env:   CHEJIAN_REDIS_URL (default: a private redis-server, AOF everysec)
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#include "bench_support.h"
#include "chejian/client.h"
#include "chejian/envelope.h"
#include "chejian/bus.h"
#include "chejian/ident.h"
#include "chejian/json.h"
#include "chejian/pseudonym.h"
#include "bench_feed.h"
#include "test_support.h"
#include "test_system.h"

#define PARTITIONS 8
#define PERIOD0    202001
#define AGENCY     "county-bench"
#define AWARD_FEN  100000

static struct {
    long               lines, workers, per_report, window, nws;
    char               counties[PARTITIONS][7];
    char               dir[64], url[128];
    cj_store_t        *store;
    cj_test_system_t   sys;
    cj_curve_keypair_t agency;
    cj_client_t       *client;
    double             base;
} B;

static int64_t
s_gross (long w, int month)
{
    return 150000 + (w % 997) * 100 + month;
}

static const char *
s_county_of_workshop (long s)
{
    return B.counties[s % PARTITIONS];
}

/*  ---- sending ----  */

typedef struct {
    uint8_t *bytes;
    size_t   len;
} s_msg_t;

/*  Sends 'msgs' with 'window' in flight until each is answered (UNAVAILABLE: again, same
 *  bytes). Event ids must be "<prefix><index>". Returns the number REJECTED.  */
static long
s_send_all (s_msg_t *msgs, long n, long window, size_t prefix)
{
    long next = 0, done = 0, inflight = 0, refused = 0;
    while (done < n) {
        while (next < n && inflight < window) {
            if (cj_client_send_bytes (B.client, msgs[next].bytes, msgs[next].len, 5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
            next++;
            inflight++;
        }
        cj_ack_t *ack = cj_client_recv (B.client, 60000);
        if (!ack)
            bench_die ("no answer within 60 s (%ld of %ld answered)", done, n);
        long i = strlen (ack->event_id) > prefix ? strtol (ack->event_id + prefix, NULL, 10) : -1;
        if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE && i >= 0 && i < n) {
            if (cj_client_send_bytes (B.client, msgs[i].bytes, msgs[i].len, 5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
        } else {
            inflight--;
            done++;
            if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED && refused++ == 0)
                fprintf (stderr, "month_end_bench: %s refused: %s %s %s\n", ack->event_id,
                         ack->n_problems ? ack->problems[0]->field : "",
                         ack->n_problems ? ack->problems[0]->code : "",
                         ack->n_problems ? ack->problems[0]->message : "");
        }
        cj_ack_free (&ack);
    }
    return refused;
}

/*  Packs 'envelope' (proto3 JSON; taken); exits when it does not convert.  */
static s_msg_t
s_from_json (json_t *envelope)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    ProtobufCMessage *m = envelope ? cj_json_to_message (&chejian__v1__envelope__descriptor,
                                                         envelope, 0, &problems) : NULL;
    json_decref (envelope);
    if (!m)
        bench_die ("a set-up envelope does not convert: %s %s",
                   problems.count ? problems.items[0].field : "",
                   problems.count ? problems.items[0].message : "");
    s_msg_t out = { NULL, 0 };
    out.bytes = cj_message_pack (m, &out.len);
    protobuf_c_message_free_unpacked (m, NULL);
    return out;
}

static json_t *
s_envelope (const char *id, const char *county, const char *body, json_t *value)
{
    char ms[32];
    snprintf (ms, sizeof ms, "%lld", (long long) time (NULL) * 1000);
    return json_pack ("{s:s, s:s, s:s, s:s, s:o}", "eventId", id, "source", AGENCY,
                      "occurredAt", ms, "county", county, body, value);
}

/*  One policy (the Qingchuan policy for jurisdiction "51") and one fund top-up per county.  */
static void
s_policies_and_funds (void)
{
    json_error_t err;
    json_t *file = json_load_file (CJ_POLICY_DIR "/510822-qingchuan-2019.json", 0, &err);
    json_t *policy = file ? json_object_get (file, "policy") : NULL;
    if (!policy)
        bench_die ("%s: %s", CJ_POLICY_DIR "/510822-qingchuan-2019.json", err.text);
    json_object_set_new (policy, "policyId", json_string ("bench-51"));
    json_object_set_new (policy, "jurisdiction", json_string ("51"));
    s_msg_t msgs[2 * PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
        char id[32], fund[32], amount[32];
        snprintf (id, sizeof id, "s%d", 2 * p);
        msgs[2 * p] = s_from_json (s_envelope (id, B.counties[p], "publishPolicy",
                                               json_pack ("{s:O}", "policy", policy)));
        snprintf (id, sizeof id, "s%d", 2 * p + 1);
        snprintf (fund, sizeof fund, "%s-employment", B.counties[p]);
        snprintf (amount, sizeof amount, "%lld", (long long) AWARD_FEN * B.workers);
        msgs[2 * p + 1] = s_from_json (s_envelope (
            id, B.counties[p], "topUpFund",
            json_pack ("{s:s, s:s, s:s, s:i, s:s, s:s}", "fundId", fund, "source",
                       "FUND_SOURCE_EMPLOYMENT_SUBSIDY", "amountFen", amount, "valueDate",
                       20190110, "reference", "bench", "provider", "bench")));
    }
    json_decref (file);
    long refused = s_send_all (msgs, 2 * PARTITIONS, 2 * PARTITIONS, 1);
    for (int i = 0; i < 2 * PARTITIONS; i++)
        free (msgs[i].bytes);
    if (refused)
        bench_die ("%ld set-up commands were refused", refused);
}

/*  ---- waiting and counting ----  */

/*  Prints the reason codes of the decisions on workshop W0 (no personal data): why the
 *  awards did not come.  */
static void
s_explain (void)
{
    Chejian__V1__ListDecisions q = CHEJIAN__V1__LIST_DECISIONS__INIT;
    q.subject_case = CHEJIAN__V1__LIST_DECISIONS__SUBJECT_WORKSHOP_ID;
    q.workshop_id = "W0";
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "q-decisions";
    env.source = AGENCY;
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = B.counties[0];
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_LIST_DECISIONS;
    env.list_decisions = &q;
    cj_ack_t *ack = cj_client_send (B.client, &env, 5000) == 0
                    ? cj_client_recv (B.client, 30000) : NULL;
    const Chejian__V1__DecisionList *list = ack ? ack->decisions : NULL;
    fprintf (stderr, "month_end_bench: %zu decisions on W0\n", list ? list->n_decisions : 0);
    for (size_t i = 0; list && i < list->n_decisions && i < 3; i++)
        for (size_t k = 0; k < list->decisions[i]->n_reason_codes; k++)
            fprintf (stderr, "  decision %zu: %s: %s\n", i, list->decisions[i]->reason_codes[k],
                     k < list->decisions[i]->n_reasons ? list->decisions[i]->reasons[k] : "");
    cj_ack_free (&ack);
}

/*  Awards granted, over every county (GetAdjudicationSummary through the gateway).  */
static long
s_awards (int64_t *ret_fen)
{
    long awards = 0;
    int64_t fen = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        Chejian__V1__GetAdjudicationSummary q = CHEJIAN__V1__GET_ADJUDICATION_SUMMARY__INIT;
        cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
        env.event_id = "q-summary";
        env.source = AGENCY;
        env.occurred_at = (int64_t) time (NULL) * 1000;
        env.county = B.counties[p];
        env.body_case = CHEJIAN__V1__ENVELOPE__BODY_GET_ADJUDICATION_SUMMARY;
        env.get_adjudication_summary = &q;
        cj_ack_t *ack = cj_client_send (B.client, &env, 5000) == 0
                        ? cj_client_recv (B.client, 30000) : NULL;
        if (!ack || !ack->adjudication_summary)
            bench_die ("no adjudication summary for %s", B.counties[p]);
        awards += ack->adjudication_summary->awarded_laborers;
        fen += ack->adjudication_summary->awards_fen;
        cj_ack_free (&ack);
    }
    if (ret_fen)
        *ret_fen = fen;
    return awards;
}

static uint64_t
s_adj_behind (void)
{
    return bench_behind (B.store, PARTITIONS, "adj", "reg")
           + bench_behind (B.store, PARTITIONS, "adj", "pay");
}

/*  Seconds from 't0' until 'behind' is 0 (dies after 'limit' s).  */
static double
s_until_zero (uint64_t (*behind) (void), double t0, double limit)
{
    while (behind () > 0) {
        if (bench_now () - t0 > limit)
            bench_die ("still %" PRIu64 " events behind after %.0f s", behind (), limit);
        usleep (5000);
    }
    return bench_now () - t0;
}

static uint64_t
s_pay_behind (void)
{
    return bench_behind (B.store, PARTITIONS, "pay", "reg");
}

static uint64_t
s_all_behind (void)
{
    return s_pay_behind () + s_adj_behind ();
}

/*  Deletes every key of the adjudicator (state, cursors, dedup, outbox, leases).  */
static long
s_wipe_adjudicator (void)
{
    long deleted = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = cj_store_command (B.store, "SCAN %s MATCH cj:{p*}:adj:* COUNT 1000",
                                          cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            bench_die ("SCAN failed");
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *d = cj_store_command (B.store, "UNLINK %s", r->element[1]->element[i]->str);
            deleted += d && d->type == REDIS_REPLY_INTEGER ? d->integer : 0;
            if (d)
                freeReplyObject (d);
        }
        freeReplyObject (r);
    } while (strcmp (cursor, "0") != 0);
    return deleted;
}

/*  Certification requests (ids "c<i>") and wage reports (ids "r<i>"), packed.  */
static s_msg_t *
s_certifications (void)
{
    s_msg_t *msgs = calloc ((size_t) B.nws, sizeof *msgs);
    Chejian__V1__RequestCertification rc = CHEJIAN__V1__REQUEST_CERTIFICATION__INIT;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    char ws[24], id[24];
    rc.workshop_id = ws;
    rc.as_of_date = 20190701;          /* within the 12-month contracts from 2019-01-01 */
    env.event_id = id;
    env.source = AGENCY;
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION;
    env.request_certification = &rc;
    for (long s = 0; msgs && s < B.nws; s++) {
        snprintf (ws, sizeof ws, "W%ld", s);
        snprintf (id, sizeof id, "c%ld", s);
        env.county = (char *) s_county_of_workshop (s);
        msgs[s].bytes = cj_message_pack (&env.base, &msgs[s].len);
    }
    return msgs;
}

static s_msg_t *
s_reports (long *ret_n, long *ret_lines)
{
    long max = B.lines / 1 + 1, n = 0, lines = 0;
    s_msg_t *msgs = calloc ((size_t) max, sizeof *msgs);
    while (msgs && lines < B.lines) {
        long s = n % B.nws, month = n / B.nws, first = s * B.per_report;
        long k = B.per_report < B.workers - first ? B.per_report : B.workers - first;
        k = k < B.lines - lines ? k : B.lines - lines;
        char ws[24], id[32];
        snprintf (ws, sizeof ws, "W%ld", s);
        snprintf (id, sizeof id, "r%ld", n);
        msgs[n].bytes = bench_wage_report (id, AGENCY, s_county_of_workshop (s), ws,
                                           cj_period_add (PERIOD0, (int) month), first, k,
                                           s_gross, &msgs[n].len);
        if (!msgs[n].bytes)
            bench_die ("out of memory");
        lines += k;
        n++;
    }
    *ret_n = n;
    *ret_lines = lines;
    return msgs;
}

/*  The county totals of the first month from payroll against the lines sent.  */
static bool
s_check_wages (void)
{
    bool exact = true;
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        int64_t expected = 0;
        for (long s = p; s < B.nws; s += PARTITIONS)
            for (long w = s * B.per_report; w < (s + 1) * B.per_report && w < B.workers
                 && w < B.lines; w++)
                expected += s_gross (w, 0);
        exact = bench_county_wages_are (B.client, AGENCY, B.counties[p], PERIOD0, expected)
                && exact;
    }
    return exact;
}

/*  ---- the run ----  */

static void
s_args (int argc, char **argv)
{
    B.lines = argc > 1 ? atol (argv[1]) : 1000000;
    B.workers = argc > 2 ? atol (argv[2]) : 300000;
    B.per_report = argc > 3 ? atol (argv[3]) : 200;
    B.window = argc > 4 ? atol (argv[4]) : 64;
    if (B.lines <= 0 || B.workers <= 0 || B.per_report <= 0 || B.per_report > 5000
        || B.window <= 0 || B.lines > B.workers * 60 || argc > 5)
        bench_die ("usage: month_end_bench [lines [workers [per_report<=5000 [window]]]]");
    B.nws = (B.workers + B.per_report - 1) / B.per_report;
}

/*  Starts 'proc'; waits for its readiness unless it will be catching up ('ready' false).  */
static void
s_start (cj_test_proc_t *proc, bool ready)
{
    if (proc->nenv == 0)
        cj_test_system_proc_env (proc, "CHEJIAN_LOG_LEVEL", "warn");
    if ((ready ? cj_test_system_start (&B.sys, proc) : cj_test_system_launch (&B.sys, proc)) != 0)
        bench_die ("%s did not start (see %s)", proc->name, proc->log);
}

int
main (int argc, char **argv)
{
    s_args (argc, argv);
    signal (SIGPIPE, SIG_IGN);
    setvbuf (stdout, NULL, _IOLBF, 0);
    int port;
    B.store = bench_redis (B.dir, sizeof B.dir, B.url, sizeof B.url, &port);
    bench_counties (B.counties, PARTITIONS);
    printf ("month_end_bench: %ld wage lines for %ld workers in %ld workshops, reports of %ld "
            "lines, %ld in flight, through chejian-gateway (CURVE), %d partitions, %ld cores\n",
            B.lines, B.workers, B.nws, B.per_report, B.window, PARTITIONS,
            sysconf (_SC_NPROCESSORS_ONLN));
    char command[300];
    snprintf (command, sizeof command, "XADD cj:bench:raw '*' f %s", bench_payload (200));
    B.base = bench_redis_rate (port, 500000, command);
    redisReply *r = cj_store_command (B.store, "DEL cj:bench:raw");
    if (r)
        freeReplyObject (r);
    printf ("  baseline   redis-benchmark XADD 200 B, pipelined 100:   %10.0f ops/s\n", B.base);

    setenv ("CHEJIAN_TEST_REDIS_URL", B.url, 1);
    if (cj_test_system_init (&B.sys, "month-end") != 0)
        bench_die ("could not prepare the system");
    B.sys.partitions = PARTITIONS;
    B.sys.timeout_ms = 30000;
    if (cj_test_system_add_agency (&B.sys, AGENCY, "[\"*\"]", "[\"*\"]", &B.agency) != 0)
        bench_die ("could not write the agencies file");
    char err[256];
    cj_pseudonym_t *ps = cj_pseudonym_load (B.sys.pseudonym_key, err, sizeof err);
    void *zctx = zmq_ctx_new ();
    reg_feed_t *feed = ps ? reg_feed_new (B.store, zctx, "tcp://127.0.0.1:*", PARTITIONS, ps)
                          : NULL;
    if (!feed)
        bench_die ("registry feed: %s", ps ? cj_store_errstr (B.store) : err);
    snprintf (B.sys.reg.pub, sizeof B.sys.reg.pub, "%s", reg_feed_endpoint (feed));

    /* 1. replay of the registry's outbox */
    double t0 = bench_now ();
    bench_feed_facts (feed, B.store, B.counties, PARTITIONS, B.workers, B.per_report);
    long facts = B.nws + 2 * B.workers;
    printf ("  facts      %ld registry events committed to the outbox in %.2f s (no consumer "
            "running)\n", facts, bench_now () - t0);
    t0 = bench_now ();
    s_start (&B.sys.pay, false);
    s_start (&B.sys.adj, false);
    double t_start = bench_now () - t0;
    double t_replay = s_until_zero (s_all_behind, t0, 900);
    printf ("  replay     payroll and adjudicator rebuilt from the registry outbox: %ld events "
            "each in %.2f s (started in %.2f s): %10.0f events/s applied  (%.2fx XADD)\n",
            facts, t_replay, t_start, 2.0 * (double) facts / t_replay,
            2.0 * (double) facts / t_replay / B.base);

    /* 2. set-up through the gateway */
    s_start (&B.sys.gw, true);
    B.client = cj_client_new_curve (zctx, B.sys.gw.router, &B.agency, B.sys.gateway.public_key);
    if (!B.client)
        bench_die ("client: %s", strerror (errno));
    s_policies_and_funds ();

    /* 3. month end */
    long nreports, lines;
    s_msg_t *certs = s_certifications (), *reports = s_reports (&nreports, &lines);
    if (!certs || !reports)
        bench_die ("out of memory");
    long expected_awards = B.workers / 2;
    double cpu0[4] = { bench_cpu (B.sys.gw.pid), bench_cpu (B.sys.pay.pid),
                       bench_cpu (B.sys.adj.pid), bench_redis_cpu (B.store, 0) };
    t0 = bench_now ();
    long refused = s_send_all (certs, B.nws, B.window, 1);
    double t_certs = bench_now () - t0;
    refused += s_send_all (reports, nreports, B.window, 1);
    double t_acked = bench_now () - t0;
    double t_lag0 = s_until_zero (s_adj_behind, t0, 900);
    long awards = 0;
    int64_t award_fen = 0;
    long last = -1;
    double since = bench_now ();
    while ((awards = s_awards (&award_fen)) < expected_awards) {
        if (awards != last)
            last = awards, since = bench_now ();
        else if (bench_now () - since > 10)
            break;                  /* no new award for 10 s: it will not come */
        usleep (20000);
    }
    double t_done = bench_now () - t0;
    if (awards != expected_awards)
        s_explain ();
    printf ("  month end  %ld certification requests acknowledged in %.2f s, %ld wage lines in "
            "%ld reports acknowledged %.2f s after the start (%.0f lines/s, %.2fx XADD), %ld "
            "refused\n", B.nws, t_certs, lines, nreports, t_acked,
            (double) lines / t_acked, (double) lines / t_acked / B.base, refused);
    printf ("             every lag zero after %.2f s; %ld awards (%s%ld expected), %.2f yuan, "
            "decided after %.2f s  <- the month end's figure\n", t_lag0, awards,
            awards == expected_awards ? "= " : "NOT the ", expected_awards,
            (double) award_fen / 100.0, t_done);
    printf ("             cpu: gateway %.2f s, payroll %.2f s, adjudicator %.2f s, redis %.2f s "
            "over %.2f s\n", bench_cpu (B.sys.gw.pid) - cpu0[0],
            bench_cpu (B.sys.pay.pid) - cpu0[1], bench_cpu (B.sys.adj.pid) - cpu0[2],
            bench_redis_cpu (B.store, 0) - cpu0[3], t_done);
    printf ("  check      county wage totals of %d exact to the fen: %s; awards %s\n", PERIOD0,
            s_check_wages () ? "yes" : "NO",
            award_fen == (int64_t) expected_awards * AWARD_FEN ? "exact" : "NOT exact");

    /* 4. memory */
    double per = (double) B.workers / 100000.0;
    double used = bench_redis_info (B.store, "used_memory") / 1048576.0;
    printf ("  memory     %ld workers, %ld lines: RSS payroll %.0f MiB (peak %.0f), adjudicator "
            "%.0f MiB, gateway %.0f MiB; redis used_memory %.0f MiB; per 100k workers: "
            "payroll %.0f MiB, adjudicator %.0f MiB, redis %.0f MiB\n", B.workers, lines,
            bench_rss_mib (B.sys.pay.pid, 0), bench_rss_mib (B.sys.pay.pid, 1),
            bench_rss_mib (B.sys.adj.pid, 0), bench_rss_mib (B.sys.gw.pid, 0), used,
            bench_rss_mib (B.sys.pay.pid, 0) / per, bench_rss_mib (B.sys.adj.pid, 0) / per,
            used / per);

    /* 5. replay of every outbox into an empty adjudicator */
    uint64_t pay_events = 0;
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        uint64_t head = 0;
        cj_outbox_head (B.store, "pay", p, &head);
        pay_events += head;
    }
    cj_test_system_stop (&B.sys.adj, SIGTERM);
    long deleted = s_wipe_adjudicator ();
    t0 = bench_now ();
    s_start (&B.sys.adj, false);
    double t_adj = s_until_zero (s_adj_behind, t0, 900);
    double events = (double) facts + (double) pay_events;
    printf ("  replay     adjudicator emptied (%ld keys) and rebuilt from the registry and "
            "payroll outboxes: %.0f events in %.2f s: %10.0f events/s  (%.2fx XADD)\n",
            deleted, events, t_adj, events / t_adj, events / t_adj / B.base);

    cj_client_destroy (&B.client);
    cj_test_system_fini (&B.sys);
    reg_feed_destroy (&feed);
    zmq_ctx_term (zctx);
    for (long i = 0; i < B.nws; i++)
        free (certs[i].bytes);
    for (long i = 0; i < nreports; i++)
        free (reports[i].bytes);
    free (certs);
    free (reports);
    cj_pseudonym_destroy (&ps);
    bench_redis_stop (&B.store, B.dir);
    return 0;
}
