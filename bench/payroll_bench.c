/*  payroll_bench - wage lines per second through chejian-payroll, end to end, beside the raw
 *  pipelined XADD rate redis-benchmark measures on the same Redis in the same run. Prints
 *  figures; asserts nothing (but says whether the county totals came out exact).
 *
 *  Set-up (not timed as the result): the registry's facts for 'workers' workers (one
 *  workshop per 'per_report' workers, eight counties, one per partition) written to the
 *  registry's outbox and published by registry_feed, as chejian-registry would; the real
 *  chejian-payroll applies them from its subscription. Timed: 'lines' wage lines in reports
 *  of 'per_report' lines (months 202001, 202002 ... until the lines are sent), sent by a
 *  DEALER client with 'window' reports in flight, until every report is acknowledged
 *  (durable), and until the test subscriber (tests/integration/payroll_subscriber, standing
 *  in for the adjudicator) has applied every WageLineApplied event: its lag is zero.
 *
 *  usage: payroll_bench [lines [workers [per_report [window]]]]   (1000000 300000 200 32)
 *  env:   CHEJIAN_REDIS_URL (default: a private redis-server, AOF everysec)
 *         CHEJIAN_BENCH_PAYROLL, CHEJIAN_BENCH_SUBSCRIBER (default: the build tree's binaries)
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_support.h"
#include "chejian/client.h"
#include "chejian/envelope.h"
#include "chejian/ident.h"
#include "chejian/pseudonym.h"
#include "bench_feed.h"

#define PARTITIONS 8
#define PERIOD0    202001

typedef struct {
    long        lines, workers, per_report, window;
    char        counties[PARTITIONS][7];
    char        dir[64], url[128], key[128], bins[2][PATH_MAX + 64];
    cj_store_t *store;
    void       *zctx;
    pid_t       payroll, subscriber;
    char        router[64], pub[64];
    int         metrics;
} bench_t;

static bench_t B;

/*  ---- processes ----  */

static pid_t
s_spawn (const char *bin, char env[][200], size_t n)
{
    pid_t pid = fork ();
    if (pid == 0) {
        for (size_t i = 0; i < n; i++)
            putenv (env[i]);
        execl (bin, bin, (char *) NULL);
        _exit (127);
    }
    return pid;
}

static size_t
s_env (char env[][200], const char *svc, const char *router, const char *pub)
{
    size_t n = 0;
    snprintf (env[n++], 200, "CHEJIAN_REDIS_URL=%s", B.url);
    snprintf (env[n++], 200, "CHEJIAN_PARTITIONS=%d", PARTITIONS);
    snprintf (env[n++], 200, "CHEJIAN_%s_BIND=%s", svc, router);
    snprintf (env[n++], 200, "CHEJIAN_%s_PUB_BIND=%s", svc, pub);
    snprintf (env[n++], 200, "CHEJIAN_%s_METRICS_PORT=0", svc);
    snprintf (env[n++], 200, "CHEJIAN_LOG_LEVEL=warn");
    snprintf (env[n++], 200, "CHEJIAN_PSEUDONYM_KEY_FILE=%s", B.key);
    return n;
}

static void
s_start (const char *feed_endpoint)
{
    char env[12][200], sub_router[64], sub_pub[64];
    snprintf (B.router, sizeof B.router, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (B.pub, sizeof B.pub, "tcp://127.0.0.1:%d", bench_free_port ());
    size_t n = s_env (env, "PAYROLL", B.router, B.pub);
    snprintf (env[n++], 200, "CHEJIAN_REGISTRY_PUB_ENDPOINT=%s", feed_endpoint);
    B.payroll = s_spawn (B.bins[0], env, n);
    snprintf (sub_router, sizeof sub_router, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (sub_pub, sizeof sub_pub, "tcp://127.0.0.1:%d", bench_free_port ());
    n = s_env (env, "TPAYSUB", sub_router, sub_pub);
    snprintf (env[n++], 200, "CHEJIAN_PAYROLL_PUB_ENDPOINT=%s", B.pub);
    snprintf (env[n++], 200, "CHEJIAN_TEST_RECORD=0");
    B.subscriber = s_spawn (B.bins[1], env, n);
}

static void
s_stop (pid_t pid)
{
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
}

/*  ---- the data ----  */

static const char *
s_county_of_workshop (long s)
{
    return B.counties[s % PARTITIONS];
}

static int64_t
s_gross (long w, int month)
{
    return 150000 + (w % 997) * 100 + month;
}

typedef struct {
    uint8_t *bytes;
    size_t   len;
    long     lines;
} s_packed_t;

/*  Report 'r' (workshop r % nws, month r / nws), packed.  */
static s_packed_t
s_pack_report (long r, long nws, long lines_left)
{
    long s = r % nws, month = r / nws, first = s * B.per_report;
    long n = B.per_report < B.workers - first ? B.per_report : B.workers - first;
    n = n < lines_left ? n : lines_left;
    char ws[24], id[32];
    snprintf (ws, sizeof ws, "W%ld", s);
    snprintf (id, sizeof id, "r-%ld", r);
    s_packed_t out = { NULL, 0, n };
    out.bytes = bench_wage_report (id, "bench", s_county_of_workshop (s), ws,
                                   cj_period_add (PERIOD0, (int) month), first, n, s_gross,
                                   &out.len);
    return out;
}

/*  ---- the timed part ----  */

/*  Sends every report with 'window' in flight; a report answered UNAVAILABLE goes again.
 *  Returns the number refused (REJECTED).  */
static long
s_send_all (cj_client_t *client, s_packed_t *reports, long n)
{
    long next = 0, done = 0, inflight = 0, refused = 0;
    while (done < n) {
        while (next < n && inflight < B.window) {
            if (cj_client_send_bytes (client, reports[next].bytes, reports[next].len, 5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
            next++;
            inflight++;
        }
        cj_ack_t *ack = cj_client_recv (client, 30000);
        if (!ack)
            bench_die ("no ack within 30 s (is chejian-payroll running?)");
        inflight--;
        long r = strtol (ack->event_id + 2, NULL, 10);
        if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE && r >= 0 && r < n) {
            cj_client_send_bytes (client, reports[r].bytes, reports[r].len, 5000);
            inflight++;
        } else {
            done++;
            if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED && refused++ == 0)
                fprintf (stderr, "payroll_bench: report %ld refused: %s %s\n", r,
                         ack->n_problems ? ack->problems[0]->field : "",
                         ack->n_problems ? ack->problems[0]->code : "");
        }
        cj_ack_free (&ack);
    }
    return refused;
}

/*  The county totals of the first month against the lines sent.  */
static bool
s_check (cj_client_t *client, long nws)
{
    bool exact = true;
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        int64_t expected = 0;
        for (long s = p; s < nws; s += PARTITIONS)
            for (long w = s * B.per_report; w < (s + 1) * B.per_report && w < B.workers
                 && w < B.lines; w++)
                expected += s_gross (w, 0);
        exact = bench_county_wages_are (client, "bench", B.counties[p], PERIOD0, expected)
                && exact;
    }
    return exact;
}

static void
s_args (int argc, char **argv)
{
    B.lines = argc > 1 ? atol (argv[1]) : 1000000;
    B.workers = argc > 2 ? atol (argv[2]) : 300000;
    B.per_report = argc > 3 ? atol (argv[3]) : 200;
    B.window = argc > 4 ? atol (argv[4]) : 32;
    if (B.lines <= 0 || B.workers <= 0 || B.per_report <= 0 || B.per_report > 5000
        || B.window <= 0 || B.lines > B.workers * 60)
        bench_die ("usage: payroll_bench [lines [workers [per_report<=5000 [window]]]]");
    char exe[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *dir = dirname (exe);
    snprintf (B.bins[0], sizeof B.bins[0], "%s/../services/payroll/chejian-payroll", dir);
    snprintf (B.bins[1], sizeof B.bins[1], "%s/../tests/integration/payroll_subscriber", dir);
    if (getenv ("CHEJIAN_BENCH_PAYROLL"))
        snprintf (B.bins[0], sizeof B.bins[0], "%s", getenv ("CHEJIAN_BENCH_PAYROLL"));
    if (getenv ("CHEJIAN_BENCH_SUBSCRIBER"))
        snprintf (B.bins[1], sizeof B.bins[1], "%s", getenv ("CHEJIAN_BENCH_SUBSCRIBER"));
    for (int i = 0; i < 2; i++)
        if (access (B.bins[i], X_OK) != 0)
            bench_die ("binary not found: %s (build it, or set CHEJIAN_BENCH_PAYROLL / "
                       "CHEJIAN_BENCH_SUBSCRIBER)", B.bins[i]);
}

/*  Registry facts through the feed, until payroll has applied them all: seconds taken.  */
static double
s_setup_facts (reg_feed_t *feed)
{
    double t0 = bench_now ();
    bench_feed_facts (feed, B.store, B.counties, PARTITIONS, B.workers, B.per_report);
    while (bench_behind (B.store, PARTITIONS, "pay", "reg") > 0) {
        reg_feed_heartbeat (feed);
        if (bench_now () - t0 > 600)
            bench_die ("payroll did not apply the registry's facts within 600 s");
        usleep (20000);
    }
    return bench_now () - t0;
}

int
main (int argc, char **argv)
{
    s_args (argc, argv);
    int port;
    B.store = bench_redis (B.dir, sizeof B.dir, B.url, sizeof B.url, &port);
    printf ("payroll_bench: %ld wage lines for %ld workers in reports of %ld lines, %ld reports "
            "in flight, %d partitions, redis %s\n", B.lines, B.workers, B.per_report, B.window,
            PARTITIONS, cj_store_url_safe (B.store));
    char command[300];
    snprintf (command, sizeof command, "XADD cj:bench:raw '*' f %s", bench_payload (200));
    double base = bench_redis_rate (port, 500000, command);
    redisReply *r = cj_store_command (B.store, "DEL cj:bench:raw");
    if (r)
        freeReplyObject (r);
    printf ("  baseline   redis-benchmark XADD 200 B, pipelined 100:      %10.0f ops/s\n", base);

    char tmp[] = "/tmp/payroll-bench-XXXXXX", err[256];
    if (!mkdtemp (tmp))
        bench_die ("mkdtemp: %s", strerror (errno));
    snprintf (B.key, sizeof B.key, "%s/pseudonym.key", tmp);
    cj_pseudonym_t *ps = cj_pseudonym_create_key_file (B.key) == 0
                         ? cj_pseudonym_load (B.key, err, sizeof err) : NULL;
    if (!ps)
        bench_die ("pseudonym key: %s", strerror (errno));
    bench_counties (B.counties, PARTITIONS);
    B.zctx = zmq_ctx_new ();
    reg_feed_t *feed = reg_feed_new (B.store, B.zctx, "tcp://127.0.0.1:*", PARTITIONS, ps);
    if (!feed)
        bench_die ("registry feed: %s", cj_store_errstr (B.store));
    s_start (reg_feed_endpoint (feed));
    bench_wait_subscribed (B.store, PARTITIONS, "reg", "pay");
    bench_wait_subscribed (B.store, PARTITIONS, "pay", "tpsub");
    double t_facts = s_setup_facts (feed);
    printf ("  set-up     %ld workshops, %ld workers, %ld employments applied in %.2f s "
            "(%.0f events/s)\n", (B.workers + B.per_report - 1) / B.per_report, B.workers,
            B.workers, t_facts, (double) (2 * B.workers) / t_facts);

    long nws = (B.workers + B.per_report - 1) / B.per_report, nreports = 0, sent_lines = 0;
    s_packed_t *reports = calloc ((size_t) (B.lines / 1 + 1), sizeof *reports);
    while (sent_lines < B.lines) {
        reports[nreports] = s_pack_report (nreports, nws, B.lines - sent_lines);
        sent_lines += reports[nreports++].lines;
    }
    cj_client_t *client = cj_client_new (B.zctx, B.router);
    double cpu[4] = { bench_cpu (B.payroll), bench_cpu (B.subscriber),
                      bench_redis_cpu (B.store, 0), bench_redis_cpu (B.store, 1) };
    double t0 = bench_now ();
    long refused = s_send_all (client, reports, nreports);
    double t_acked = bench_now () - t0;
    while (bench_behind (B.store, PARTITIONS, "tpsub", "pay") > 0 && bench_now () - t0 < 600)
        usleep (2000);
    double t_lag0 = bench_now () - t0;
    cpu[0] = bench_cpu (B.payroll) - cpu[0];
    cpu[1] = bench_cpu (B.subscriber) - cpu[1];
    cpu[2] = bench_redis_cpu (B.store, 0) - cpu[2];
    cpu[3] = bench_redis_cpu (B.store, 1) - cpu[3];
    printf ("  payroll    client -> validate -> apply -> durable -> ack:    %10.0f lines/s  "
            "(%.2fx baseline)  %ld reports in %.2f s, %ld not accepted\n",
            (double) sent_lines / t_acked, (double) sent_lines / t_acked / base, nreports,
            t_acked, refused);
    printf ("             ... -> events -> subscriber applied (lag zero): %10.0f lines/s  "
            "(%.2fx baseline)  lag zero %.2f s after the first report\n",
            (double) sent_lines / t_lag0, (double) sent_lines / t_lag0 / base, t_lag0);
    printf ("  cpu        payroll %.2f s, subscriber %.2f s, redis %.2f s (+ %.2f s in its "
            "AOF-rewrite forks), over %.2f s on %ld cores\n", cpu[0], cpu[1], cpu[2], cpu[3],
            t_lag0, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("  check      county totals of %d exact to the fen: %s; payroll peak RSS %.0f MiB\n",
            PERIOD0, s_check (client, nws) ? "yes" : "NO", bench_rss_mib (B.payroll, 1));

    cj_client_destroy (&client);
    s_stop (B.payroll);
    s_stop (B.subscriber);
    reg_feed_destroy (&feed);
    zmq_ctx_term (B.zctx);
    for (long i = 0; i < nreports; i++)
        free (reports[i].bytes);
    free (reports);
    cj_pseudonym_destroy (&ps);
    unlink (B.key);
    rmdir (tmp);
    bench_redis_stop (&B.store, B.dir);
    return 0;
}
