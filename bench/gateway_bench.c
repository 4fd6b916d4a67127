/*  gateway_bench - agencies' envelopes through chejian-gateway (CURVE on) to durable apply
 *  and ack, beside two baselines measured on the same Redis in the same run: redis-benchmark's
 *  pipelined XADD, and Redis Streams used directly (XADD -> XREADGROUP -> XACK, no ZeroMQ, no
 *  business state). Prints figures; asserts nothing.
 *
 *  The system is the real one: chejian-registry, chejian-payroll, chejian-adjudicator and
 *  chejian-gateway as processes (tests/support/test_system), against a private redis-server
 *  (AOF everysec). The envelopes are RegisterWorker commands of one agency over CURVE, each a
 *  new worker in one of eight counties (one per partition); every one is validated,
 *  pseudonymised, deduplicated, committed with its WorkerRegistered event, acknowledged, and
 *  then applied by payroll's and the adjudicator's subscriptions.
 *
 *  Phases (each can be skipped by giving it 0):
 *    burst      --events N (200000) with --window W (4096) in flight: acknowledged events/s,
 *               then the time until both subscriptions' lag is zero;
 *    sustained  --rate R (50000) offered for --seconds S (20), window W: the rate achieved,
 *               the largest lag seen (sampled every 250 ms), the lag at the end;
 *    latency    --rates 1000,10000,50000 offered for --latency-seconds S (10) each, open loop
 *               (sent on schedule whatever the answers do, up to the window): ack latency
 *               p50 / p99 / p999 per rate.
 *  Then the memory: each process's RSS and Redis's used memory, per 100k workers.
 *
 *  usage: gateway_bench [--events N] [--window W] [--rate R] [--seconds S]
 *                       [--rates R1,R2,...] [--latency-seconds S] [--baseline N]
 *  env:   CHEJIAN_REDIS_URL (default: a private redis-server, AOF everysec)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_support.h"
#include "chejian/client.h"
#include "chejian/envelope.h"
#include "test_support.h"
#include "test_system.h"

#define PARTITIONS 8
#define AGENCY     "hrss-bench"
#define PAYLOAD    200

typedef struct {
    long   events, window, rate, seconds, latency_seconds, baseline;
    long   rates[8];
    size_t nrates;
} s_args_t;

typedef struct {
    uint8_t *bytes;
    size_t   len;
} s_msg_t;

static struct {
    s_args_t           a;
    cj_test_system_t   sys;
    cj_curve_keypair_t agency;
    cj_store_t        *store;
    char               dir[64], url[128];
    char               counties[PARTITIONS][7];
    long               next_worker;     /* workers numbered across phases */
    double             base_xadd, base_streams;
} B;

/*  ---- envelopes ----  */

/*  'n' RegisterWorker envelopes for the next 'n' workers, packed; event ids "b<index>".  */
static s_msg_t *
s_pack (long n)
{
    s_msg_t *msgs = calloc ((size_t) n, sizeof *msgs);
    if (!msgs)
        bench_die ("out of memory");
    Chejian__V1__WorkerDetails details = CHEJIAN__V1__WORKER_DETAILS__INIT;
    Chejian__V1__Disability disability = CHEJIAN__V1__DISABILITY__INIT;
    Chejian__V1__WorkerStatus status = CHEJIAN__V1__WORKER_STATUS__INIT;
    Chejian__V1__RegisterWorker cmd = CHEJIAN__V1__REGISTER_WORKER__INIT;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    char rid[19], household[24], id[24];
    details.household_id = household;
    details.baseline_annual_income_fen = 360000;
    details.baseline_year = 2018;
    status.poverty_status = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR;
    status.disability = &disability;
    cmd.resident_id = rid;
    cmd.name = "王秀英";
    cmd.details = &details;
    cmd.status = &status;
    cmd.status_date = 20160101;
    cmd.status_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
    env.event_id = id;
    env.source = AGENCY;
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER;
    env.register_worker = &cmd;
    for (long i = 0; i < n; i++) {
        long w = B.next_worker++;
        bench_resident_id (w, rid);
        snprintf (household, sizeof household, "H-%ld", w);
        snprintf (id, sizeof id, "b%ld", i);
        env.county = B.counties[w % PARTITIONS];
        status.poverty_status = w % 3 ? CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_NOT_REGISTERED
                                      : CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR;
        msgs[i].bytes = cj_message_pack (&env.base, &msgs[i].len);
        if (!msgs[i].bytes)
            bench_die ("out of memory");
    }
    return msgs;
}

static void
s_free (s_msg_t *msgs, long n)
{
    for (long i = 0; i < n; i++)
        free (msgs[i].bytes);
    free (msgs);
}

/*  ---- the sender ----  */

typedef struct {
    long    sent, acked, accepted, rejected, unavailable, resent;
    double *latency;          /* seconds, by index (NULL: not kept) */
    double *sent_at;
} s_run_t;

static uint64_t
s_lag (void)
{
    return bench_behind (B.store, PARTITIONS, "pay", "reg")
           + bench_behind (B.store, PARTITIONS, "adj", "reg");
}

/*  Receives what has arrived (waiting up to 'timeout_ms' for the first): counts each Ack,
 *  resends an UNAVAILABLE one (same bytes, same event_id). Returns the number received.  */
static long
s_receive (cj_client_t *client, s_msg_t *msgs, long n, s_run_t *run, int timeout_ms)
{
    zmq_pollitem_t item = { cj_client_socket (client), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return 0;
    long got = 0;
    cj_ack_t *ack;
    while ((ack = cj_client_recv (client, 0)) != NULL) {
        double now = bench_now ();
        long i = ack->event_id && ack->event_id[0] == 'b' ? strtol (ack->event_id + 1, NULL, 10)
                                                          : -1;
        got++;
        if (i < 0 || i >= n) {
            cj_ack_free (&ack);
            continue;
        }
        switch (ack->status) {
        case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE:
            run->unavailable++;
            run->resent++;
            if (cj_client_send_bytes (client, msgs[i].bytes, msgs[i].len, 5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
            cj_ack_free (&ack);
            continue;
        case CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED:
            if (run->rejected++ == 0)
                fprintf (stderr, "gateway_bench: %s rejected: %s %s %s\n", ack->event_id,
                         ack->n_problems ? ack->problems[0]->field : "",
                         ack->n_problems ? ack->problems[0]->code : "",
                         ack->n_problems ? ack->problems[0]->message : "");
            break;
        default:
            run->accepted++;
            break;
        }
        run->acked++;
        if (run->latency)
            run->latency[i] = now - run->sent_at[i];
        cj_ack_free (&ack);
    }
    return got;
}

/*  Sends 'n' messages, offered at 'rate' per second (0: as fast as the window allows), at
 *  most 'window' unanswered, until all are acknowledged. Calls 'tick' every 250 ms.  */
static double
s_run (cj_client_t *client, s_msg_t *msgs, long n, long rate, long window, s_run_t *run,
       void (*tick) (double t))
{
    double t0 = bench_now (), next_tick = t0 + 0.25;
    while (run->acked < n) {
        double now = bench_now ();
        long due = rate > 0 ? (long) ((now - t0) * (double) rate) + 1 : n;
        due = due < n ? due : n;
        while (run->sent < due && run->sent - run->acked < window) {
            if (run->sent_at)
                run->sent_at[run->sent] = bench_now ();
            if (cj_client_send_bytes (client, msgs[run->sent].bytes, msgs[run->sent].len,
                                      5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
            run->sent++;
        }
        int timeout = run->sent < n && run->sent - run->acked < window ? 0 : 5;
        if (rate > 0 && run->sent < n && run->sent - run->acked < window)
            timeout = 1;
        s_receive (client, msgs, n, run, timeout);
        if (tick && bench_now () >= next_tick) {
            tick (bench_now () - t0);
            next_tick += 0.25;
        }
        if (bench_now () - t0 > 600)
            bench_die ("no progress for 600 s: %ld of %ld acknowledged", run->acked, n);
    }
    return bench_now () - t0;
}

/*  Seconds until both subscriptions' lag is zero (600 at most).  */
static double
s_until_lag_zero (void)
{
    double t0 = bench_now ();
    while (s_lag () > 0 && bench_now () - t0 < 600)
        usleep (2000);
    return bench_now () - t0;
}

/*  ---- phases ----  */

static void
s_burst (cj_client_t *client)
{
    s_msg_t *msgs = s_pack (B.a.events);
    s_run_t run = { 0 };
    double cpu0[5] = { bench_cpu (B.sys.gw.pid), bench_cpu (B.sys.reg.pid),
                       bench_cpu (B.sys.pay.pid), bench_cpu (B.sys.adj.pid),
                       bench_redis_cpu (B.store, 0) };
    double t = s_run (client, msgs, B.a.events, 0, B.a.window, &run, NULL);
    double rate = (double) B.a.events / t;
    double lag0 = s_until_lag_zero ();
    printf ("  burst      %ld RegisterWorker, window %ld:            %10.0f acked/s  "
            "(%.2fx XADD, %.2fx streams-direct)  %.2f s, %ld rejected, %ld resent\n",
            B.a.events, B.a.window, rate, rate / B.base_xadd, rate / B.base_streams, t,
            run.rejected, run.resent);
    printf ("             ... payroll and adjudicator lag zero %.2f s after the last ack "
            "(%.0f events/s end to end)\n", lag0, (double) B.a.events / (t + lag0));
    printf ("             cpu: gateway %.2f s, registry %.2f s, payroll %.2f s, adjudicator "
            "%.2f s, redis %.2f s\n", bench_cpu (B.sys.gw.pid) - cpu0[0],
            bench_cpu (B.sys.reg.pid) - cpu0[1], bench_cpu (B.sys.pay.pid) - cpu0[2],
            bench_cpu (B.sys.adj.pid) - cpu0[3], bench_redis_cpu (B.store, 0) - cpu0[4]);
    s_free (msgs, B.a.events);
}

static uint64_t s_max_lag;

static void
s_sample_lag (double t)
{
    (void) t;
    uint64_t lag = s_lag ();
    s_max_lag = lag > s_max_lag ? lag : s_max_lag;
}

static void
s_sustained (cj_client_t *client)
{
    long n = B.a.rate * B.a.seconds;
    s_msg_t *msgs = s_pack (n);
    s_run_t run = { 0 };
    s_max_lag = 0;
    double t = s_run (client, msgs, n, B.a.rate, B.a.window, &run, s_sample_lag);
    uint64_t end_lag = s_lag ();
    double lag0 = s_until_lag_zero ();
    double rate = (double) n / t;
    printf ("  sustained  %ld/s offered for %ld s, window %ld:       %10.0f acked/s  "
            "(%.2fx XADD, %.2fx streams-direct)  %ld rejected, %ld resent\n",
            B.a.rate, B.a.seconds, B.a.window, rate, rate / B.base_xadd,
            rate / B.base_streams, run.rejected, run.resent);
    printf ("             subscriptions' lag: at most %" PRIu64 " events (%.0f ms of load), "
            "%" PRIu64 " at the last ack, zero %.2f s later\n", s_max_lag,
            1000.0 * (double) s_max_lag / (double) B.a.rate, end_lag, lag0);
    s_free (msgs, n);
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_latency (cj_client_t *client, long rate)
{
    long n = rate * B.a.latency_seconds;
    s_msg_t *msgs = s_pack (n);
    s_run_t run = { 0 };
    run.latency = calloc ((size_t) n, sizeof *run.latency);
    run.sent_at = calloc ((size_t) n, sizeof *run.sent_at);
    double t = s_run (client, msgs, n, rate, B.a.window, &run, NULL);
    qsort (run.latency, (size_t) n, sizeof *run.latency, s_cmp);
    double p50 = run.latency[n / 2], p99 = run.latency[(long) ((double) n * 0.99)];
    double p999 = run.latency[(long) ((double) n * 0.999)], max = run.latency[n - 1];
    printf ("  latency    %6ld/s offered for %ld s (achieved %7.0f/s):  p50 %7.3f ms  "
            "p99 %7.3f ms  p999 %7.3f ms  max %7.3f ms\n", rate, B.a.latency_seconds,
            (double) n / t, p50 * 1e3, p99 * 1e3, p999 * 1e3, max * 1e3);
    s_until_lag_zero ();
    free (run.latency);
    free (run.sent_at);
    s_free (msgs, n);
}

/*  ---- set-up ----  */

static void
s_args (int argc, char **argv)
{
    B.a = (s_args_t) { .events = 200000, .window = 4096, .rate = 50000, .seconds = 20,
                       .latency_seconds = 10, .baseline = 500000,
                       .rates = { 1000, 10000, 50000 }, .nrates = 3 };
    static const struct option opts[] = {
        { "events", required_argument, NULL, 'n' }, { "window", required_argument, NULL, 'w' },
        { "rate", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
        { "rates", required_argument, NULL, 'R' },
        { "latency-seconds", required_argument, NULL, 'l' },
        { "baseline", required_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 } };
    int c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': B.a.events = atol (optarg); break;
        case 'w': B.a.window = atol (optarg); break;
        case 'r': B.a.rate = atol (optarg); break;
        case 's': B.a.seconds = atol (optarg); break;
        case 'l': B.a.latency_seconds = atol (optarg); break;
        case 'b': B.a.baseline = atol (optarg); break;
        case 'R': {
            B.a.nrates = 0;
            for (char *tok = strtok (optarg, ","); tok && B.a.nrates < 8; tok = strtok (NULL, ","))
                if (atol (tok) > 0)
                    B.a.rates[B.a.nrates++] = atol (tok);
            break;
        }
        default:
            printf ("usage: gateway_bench [--events N] [--window W] [--rate R] [--seconds S]\n"
                    "                     [--rates R1,R2,...] [--latency-seconds S] "
                    "[--baseline N]\n(0 skips a phase; see the comment at the top of "
                    "bench/gateway_bench.c)\n");
            exit (c == 'h' ? 0 : 2);
        }
    }
    if (B.a.events < 0 || B.a.window <= 0 || B.a.window > 16000 || B.a.rate < 0
        || B.a.seconds < 0 || B.a.latency_seconds < 0 || B.a.baseline < 1000)
        bench_die ("bad arguments (--help)");
}

static void
s_start_system (void)
{
    setenv ("CHEJIAN_TEST_REDIS_URL", B.url, 1);
    if (cj_test_system_init (&B.sys, "bench") != 0)
        bench_die ("could not prepare the system");
    B.sys.partitions = PARTITIONS;
    B.sys.timeout_ms = 10000;
    char counties[PARTITIONS * 10 + 8] = "[";
    for (int p = 0; p < PARTITIONS; p++)
        snprintf (counties + strlen (counties), sizeof counties - strlen (counties),
                  "%s\"%s\"", p ? "," : "", B.counties[p]);
    strcat (counties, "]");
    if (cj_test_system_add_agency (&B.sys, AGENCY, "[\"registry.commands\"]", counties,
                                   &B.agency) != 0)
        bench_die ("could not write the agencies file");
    cj_test_proc_t *procs[] = { &B.sys.reg, &B.sys.pay, &B.sys.adj, &B.sys.gw };
    for (size_t i = 0; i < 4; i++)
        cj_test_system_proc_env (procs[i], "CHEJIAN_LOG_LEVEL", "warn");
    cj_test_system_proc_env (&B.sys.gw, "CHEJIAN_GATEWAY_MAX_IN_FLIGHT", "16000");
    if (cj_test_system_start_all (&B.sys, true) != 0)
        bench_die ("the system did not start (logs under the build tree's tests/integration)");
    bench_wait_subscribed (B.store, PARTITIONS, "reg", "pay");
    bench_wait_subscribed (B.store, PARTITIONS, "reg", "adj");
}

static void
s_memory (void)
{
    double workers = (double) B.next_worker, per = workers / 100000.0;
    if (per <= 0)
        return;
    double used = bench_redis_info (B.store, "used_memory") / 1048576.0;
    printf ("  memory     after %.0f workers: RSS gateway %.0f MiB, registry %.0f MiB, payroll "
            "%.0f MiB, adjudicator %.0f MiB; redis used_memory %.0f MiB = %.1f MiB per 100k "
            "workers (registry, payroll and adjudicator state, outboxes, dedup records)\n",
            workers, bench_rss_mib (B.sys.gw.pid, 0), bench_rss_mib (B.sys.reg.pid, 0),
            bench_rss_mib (B.sys.pay.pid, 0), bench_rss_mib (B.sys.adj.pid, 0), used,
            used / per);
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
    printf ("gateway_bench: RegisterWorker envelopes of one agency through chejian-gateway "
            "(CURVE), %d partitions, redis %s, %ld cores\n", PARTITIONS,
            cj_store_url_safe (B.store), sysconf (_SC_NPROCESSORS_ONLN));
    char command[PAYLOAD + 64];
    snprintf (command, sizeof command, "XADD cj:bench:raw '*' f %s", bench_payload (PAYLOAD));
    B.base_xadd = bench_redis_rate (port, B.a.baseline, command);
    redisReply *r = cj_store_command (B.store, "DEL cj:bench:raw");
    if (r)
        freeReplyObject (r);
    B.base_streams = bench_streams_direct (port, B.a.baseline, 1000, PAYLOAD);
    if (B.base_xadd <= 0 || B.base_streams <= 0)
        bench_die ("a baseline could not run (is redis-benchmark installed?)");
    printf ("  baseline   redis-benchmark XADD %d B, pipelined 100:       %10.0f ops/s\n",
            PAYLOAD, B.base_xadd);
    printf ("  baseline   streams-direct XADD -> XREADGROUP -> XACK:   %10.0f acked/s  "
            "(%.2fx XADD)\n", B.base_streams, B.base_streams / B.base_xadd);

    s_start_system ();
    cj_client_t *client = cj_client_new_curve (NULL, B.sys.gw.router, &B.agency,
                                               B.sys.gateway.public_key);
    if (!client)
        bench_die ("client: %s", strerror (errno));
    if (B.a.events > 0)
        s_burst (client);
    if (B.a.rate > 0 && B.a.seconds > 0)
        s_sustained (client);
    for (size_t i = 0; B.a.latency_seconds > 0 && i < B.a.nrates; i++)
        s_latency (client, B.a.rates[i]);
    s_memory ();
    cj_client_destroy (&client);
    cj_test_system_fini (&B.sys);
    bench_redis_stop (&B.store, B.dir);
    return 0;
}
