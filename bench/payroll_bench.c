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
#include "registry_feed.h"

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

/*  The peak resident memory of a process, in MiB.  */
static double
s_peak_mib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kib = 0;
    while (f && fgets (line, sizeof line, f))
        if (sscanf (line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose (f);
    return (double) kib / 1024.0;
}

/*  CPU seconds (user + system) a process has used so far.  */
static double
s_cpu (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    unsigned long utime = 0, stime = 0;
    if (f && fscanf (f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &utime, &stime) != 2)
        utime = stime = 0;
    if (f)
        fclose (f);
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

/*  ---- Redis ----  */

/*  CPU seconds Redis has used: its own ('children' false) or its forks' (AOF rewrites).  */
static double
s_redis_cpu (bool children)
{
    redisReply *r = cj_store_command (B.store, "INFO cpu");
    double sys = 0, user = 0;
    const char *suffix = children ? "_children" : "";
    char key[64];
    if (r && r->type == REDIS_REPLY_STRING) {
        snprintf (key, sizeof key, "used_cpu_sys%s:", suffix);
        const char *p = strstr (r->str, key);
        sys = p ? strtod (p + strlen (key), NULL) : 0;
        snprintf (key, sizeof key, "used_cpu_user%s:", suffix);
        p = strstr (r->str, key);
        user = p ? strtod (p + strlen (key), NULL) : 0;
    }
    if (r)
        freeReplyObject (r);
    return sys + user;
}

static uint64_t
s_hget (uint32_t p, const char *svc, const char *name, const char *field)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, svc, "%s", name);
    redisReply *r = cj_store_command (B.store, "HGET %s %s", key, field);
    uint64_t v = r && r->type == REDIS_REPLY_STRING ? strtoull (r->str, NULL, 10) : 0;
    if (r)
        freeReplyObject (r);
    return v;
}

/*  Events 'consumer' is behind 'producer' over every partition, as Redis records it.  */
static uint64_t
s_behind (const char *consumer, const char *producer)
{
    uint64_t behind = 0;
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        uint64_t head = s_hget (p, producer, "meta", "head");
        uint64_t cursor = s_hget (p, consumer, "cursors", producer);
        behind += head > cursor ? head - cursor : 0;
    }
    return behind;
}

static void
s_wait_subscribed (const char *producer, const char *consumer)
{
    for (int i = 0; i < 600; i++) {
        int n = 0;
        for (uint32_t p = 0; p < PARTITIONS; p++) {
            char key[CJ_KEY_MAX];
            cj_key (key, sizeof key, p, producer, "subscribers");
            redisReply *r = cj_store_command (B.store, "SISMEMBER %s %s", key, consumer);
            n += r && r->integer == 1;
            if (r)
                freeReplyObject (r);
        }
        if (n == PARTITIONS) {
            usleep (300000);       /* the SUB connection settles (ZeroMQ's slow joiner) */
            return;
        }
        usleep (50000);
    }
    bench_die ("%s did not subscribe to %s", consumer, producer);
}

/*  ---- the data ----  */

static void
s_counties (void)
{
    uint32_t found = 0;
    for (int code = 510101; found < PARTITIONS && code < 829999; code++) {
        char c[7];
        snprintf (c, sizeof c, "%06d", code);
        uint32_t p = cj_partition_of (c, PARTITIONS);
        if (c[4] == '0' && c[5] == '0')
            continue;
        if (!B.counties[p][0]) {
            memcpy (B.counties[p], c, 7);
            found++;
        }
    }
}

static const char *
s_county_of_workshop (long s)
{
    return B.counties[s % PARTITIONS];
}

static void
s_resident_id (long w, char out[19])
{
    static const int wt[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int32_t birth = cj_date_from_days (cj_date_to_days (19600101) + (int32_t) (w / 1000));
    snprintf (out, 19, "510822%08d%03ld", (int) birth, w % 1000);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * wt[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = 0;
}

static int64_t
s_gross (long w, int month)
{
    return 150000 + (w % 997) * 100 + month;
}

/*  Workshops, workers (half registered-poor) and their employments, through the feed.  */
static void
s_facts (reg_feed_t *feed)
{
    long nws = (B.workers + B.per_report - 1) / B.per_report;
    for (long s = 0; s < nws; s++) {
        char id[24];
        snprintf (id, sizeof id, "W%ld", s);
        if (reg_feed_workshop (feed, s_county_of_workshop (s), id,
                               CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE,
                               20190101) != 0)
            bench_die ("feed: %s", cj_store_errstr (B.store));
    }
    for (long w = 0; w < B.workers; w++) {
        char rid[19], emp[24], ws[24];
        long s = w / B.per_report;
        const char *county = s_county_of_workshop (s);
        s_resident_id (w, rid);
        snprintf (emp, sizeof emp, "E%ld", w);
        snprintf (ws, sizeof ws, "W%ld", s);
        int poverty = w % 2 ? CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
                            : CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_NOT_REGISTERED;
        if (reg_feed_worker (feed, county, rid, poverty, 20180101, 800000, 2018) != 0
            || reg_feed_employment (feed, county, emp, rid, ws, 20190101) != 0)
            bench_die ("feed: %s", cj_store_errstr (B.store));
    }
    if (reg_feed_commit (feed) != 0)
        bench_die ("feed: %s", cj_store_errstr (B.store));
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
    Chejian__V1__WageLine *lines = calloc ((size_t) n, sizeof *lines);
    Chejian__V1__WageLine **ptrs = calloc ((size_t) n, sizeof *ptrs);
    char (*rids)[19] = calloc ((size_t) n, sizeof *rids), (*emps)[24] = calloc ((size_t) n, 24);
    for (long i = 0; i < n; i++) {
        chejian__v1__wage_line__init (&lines[i]);
        s_resident_id (first + i, rids[i]);
        snprintf (emps[i], 24, "E%ld", first + i);
        lines[i].resident_id = rids[i];
        lines[i].employment_id = emps[i];
        lines[i].pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
        lines[i].gross_fen = s_gross (first + i, (int) month);
        lines[i].days_worked = 21;
        lines[i].work_site = CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
        ptrs[i] = &lines[i];
    }
    char ws[24], id[32];
    snprintf (ws, sizeof ws, "W%ld", s);
    snprintf (id, sizeof id, "r-%ld", r);
    Chejian__V1__SubmitWageReport rep = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
    rep.workshop_id = ws;
    rep.period = cj_period_add (PERIOD0, (int) month);
    rep.n_lines = (size_t) n;
    rep.lines = ptrs;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = id;
    env.source = "bench";
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = (char *) s_county_of_workshop (s);
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT;
    env.submit_wage_report = &rep;
    s_packed_t out = { NULL, 0, n };
    out.bytes = cj_message_pack (&env.base, &out.len);
    free (lines);
    free (ptrs);
    free (rids);
    free (emps);
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
        Chejian__V1__GetCountyIncomeSummary q = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
        q.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
        q.period = PERIOD0;
        cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
        env.event_id = "check";
        env.source = "bench";
        env.occurred_at = (int64_t) time (NULL) * 1000;
        env.county = B.counties[p];
        env.body_case = CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY;
        env.get_county_income_summary = &q;
        cj_ack_t *ack = cj_client_send (client, &env, 5000) == 0 ? cj_client_recv (client, 10000)
                                                                 : NULL;
        exact = exact && ack && ack->county_income_summary
                && ack->county_income_summary->total_wages_fen == expected;
        cj_ack_free (&ack);
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
    s_facts (feed);
    while (s_behind ("pay", "reg") > 0) {
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
    s_counties ();
    B.zctx = zmq_ctx_new ();
    reg_feed_t *feed = reg_feed_new (B.store, B.zctx, "tcp://127.0.0.1:*", PARTITIONS, ps);
    if (!feed)
        bench_die ("registry feed: %s", cj_store_errstr (B.store));
    s_start (reg_feed_endpoint (feed));
    s_wait_subscribed ("reg", "pay");
    s_wait_subscribed ("pay", "tpsub");
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
    double cpu[4] = { s_cpu (B.payroll), s_cpu (B.subscriber), s_redis_cpu (false),
                      s_redis_cpu (true) };
    double t0 = bench_now ();
    long refused = s_send_all (client, reports, nreports);
    double t_acked = bench_now () - t0;
    while (s_behind ("tpsub", "pay") > 0 && bench_now () - t0 < 600)
        usleep (2000);
    double t_lag0 = bench_now () - t0;
    cpu[0] = s_cpu (B.payroll) - cpu[0];
    cpu[1] = s_cpu (B.subscriber) - cpu[1];
    cpu[2] = s_redis_cpu (false) - cpu[2];
    cpu[3] = s_redis_cpu (true) - cpu[3];
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
            PERIOD0, s_check (client, nws) ? "yes" : "NO", s_peak_mib (B.payroll));

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
