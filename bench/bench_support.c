/*  bench_support.c - see bench_support.h.  */
#include "bench_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chejian/envelope.h"
#include "chejian/ident.h"

double
bench_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
bench_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
        && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

void
bench_die (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "bench: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    exit (1);
}

/*  Starts a private redis-server (AOF everysec, like production) in a temporary directory.  */
static int
s_start_redis (char *dir, size_t size)
{
    snprintf (dir, size, "/tmp/chejian-bench-XXXXXX");
    if (!mkdtemp (dir))
        bench_die ("mkdtemp: %s", strerror (errno));
    int port = bench_free_port ();
    char cmd[1024];
    snprintf (cmd, sizeof cmd,
              "redis-server --bind 127.0.0.1 --port %d --dir %s --daemonize yes --pidfile %s/redis.pid"
              " --logfile %s/redis.log --appendonly yes --appendfsync everysec --save ''",
              port, dir, dir, dir);
    if (system (cmd) != 0)
        bench_die ("could not start redis-server (is it installed?)");
    return port;
}

cj_store_t *
bench_redis (char *dir, size_t dir_size, char *url, size_t url_size, int *ret_port)
{
    const char *env_url = getenv ("CHEJIAN_REDIS_URL");
    int port = 0;
    dir[0] = 0;
    if (env_url && *env_url)
        snprintf (url, url_size, "%s", env_url);
    else {
        port = s_start_redis (dir, dir_size);
        snprintf (url, url_size, "redis://127.0.0.1:%d/0", port);
    }
    char err[256];
    cj_store_t *store = cj_store_new (url, 5000, err, sizeof err);
    if (!store)
        bench_die ("%s", err);
    for (int i = 0; i < 50 && cj_store_connect (store) != 0; i++)
        usleep (100000);
    if (!cj_store_connected (store))
        bench_die ("redis: %s", cj_store_errstr (store));
    if (port == 0 && sscanf (url, "redis://%*[^:]:%d", &port) != 1)
        port = 6379;
    redisReply *r = cj_store_command (store, "FLUSHALL");
    if (r)
        freeReplyObject (r);
    *ret_port = port;
    return store;
}

void
bench_redis_stop (cj_store_t **store, const char *dir)
{
    if (dir[0]) {
        redisReply *r = cj_store_command (*store, "SHUTDOWN NOSAVE");
        if (r)
            freeReplyObject (r);
        char cmd[128];
        snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
        if (system (cmd) != 0)
            fprintf (stderr, "bench: could not remove %s\n", dir);
    }
    cj_store_destroy (store);
}

double
bench_redis_rate (int port, long n, const char *command)
{
    char cmd[8192];
    snprintf (cmd, sizeof cmd, "redis-benchmark -h 127.0.0.1 -p %d -n %ld -P 100 -c 4 -q %s"
              " 2>/dev/null | tr '\\r' '\\n'", port, n, command);
    FILE *out = popen (cmd, "r");
    if (!out)
        return 0;
    char line[8192];
    double rps = 0;
    while (fgets (line, sizeof line, out)) {
        /* "XADD cj:bench:raw * f xxx...: 123456.79 requests per second, p50=..." */
        char *end = strstr (line, " requests per second");
        if (!end)
            continue;
        *end = 0;
        char *num = strrchr (line, ' ');
        if (num)
            rps = strtod (num + 1, NULL);
    }
    pclose (out);
    return rps;
}

const char *
bench_payload (size_t size)
{
    static char payload[4096];
    size = size < sizeof payload ? size : sizeof payload - 1;
    memset (payload, 'x', size);
    payload[size] = 0;
    return payload;
}

double
bench_cpu (pid_t pid)
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

double
bench_rss_mib (pid_t pid, int peak)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kib = 0;
    const char *fmt = peak ? "VmHWM: %ld kB" : "VmRSS: %ld kB";
    while (f && fgets (line, sizeof line, f))
        if (sscanf (line, fmt, &kib) == 1)
            break;
    if (f)
        fclose (f);
    return (double) kib / 1024.0;
}

double
bench_redis_info (cj_store_t *store, const char *field)
{
    redisReply *r = cj_store_command (store, "INFO");
    double v = 0;
    char key[80];
    snprintf (key, sizeof key, "\n%s:", field);
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *p = strstr (r->str, key);
        v = p ? strtod (p + strlen (key), NULL) : 0;
    }
    if (r)
        freeReplyObject (r);
    return v;
}

double
bench_redis_cpu (cj_store_t *store, int children)
{
    return bench_redis_info (store, children ? "used_cpu_sys_children" : "used_cpu_sys")
           + bench_redis_info (store, children ? "used_cpu_user_children" : "used_cpu_user");
}

static uint64_t
s_hget (cj_store_t *store, uint32_t p, const char *svc, const char *name, const char *field)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, svc, "%s", name);
    redisReply *r = cj_store_command (store, "HGET %s %s", key, field);
    uint64_t v = r && r->type == REDIS_REPLY_STRING ? strtoull (r->str, NULL, 10) : 0;
    if (r)
        freeReplyObject (r);
    return v;
}

uint64_t
bench_behind (cj_store_t *store, uint32_t partitions, const char *consumer, const char *producer)
{
    uint64_t behind = 0;
    for (uint32_t p = 0; p < partitions; p++) {
        uint64_t head = s_hget (store, p, producer, "meta", "head");
        uint64_t cursor = s_hget (store, p, consumer, "cursors", producer);
        behind += head > cursor ? head - cursor : 0;
    }
    return behind;
}

void
bench_wait_subscribed (cj_store_t *store, uint32_t partitions, const char *producer,
                       const char *consumer)
{
    for (int i = 0; i < 1200; i++) {
        uint32_t n = 0;
        for (uint32_t p = 0; p < partitions; p++) {
            char key[CJ_KEY_MAX];
            cj_key (key, sizeof key, p, producer, "subscribers");
            redisReply *r = cj_store_command (store, "SISMEMBER %s %s", key, consumer);
            n += r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
            if (r)
                freeReplyObject (r);
        }
        if (n == partitions) {
            usleep (300000);       /* the SUB connection settles (ZeroMQ's slow joiner) */
            return;
        }
        usleep (50000);
    }
    bench_die ("%s did not subscribe to %s", consumer, producer);
}

void
bench_counties (char out[][7], uint32_t partitions)
{
    uint32_t found = 0;
    for (uint32_t p = 0; p < partitions; p++)
        out[p][0] = 0;
    for (int code = 510101; found < partitions && code < 829999; code++) {
        char c[7];
        snprintf (c, sizeof c, "%06d", code);
        if (c[4] == '0' && c[5] == '0')
            continue;
        uint32_t p = cj_partition_of (c, partitions);
        if (!out[p][0]) {
            memcpy (out[p], c, 7);
            found++;
        }
    }
}

void
bench_resident_id (long w, char out[19])
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

uint8_t *
bench_wage_report (const char *event_id, const char *source, const char *county,
                   const char *workshop, int32_t period, long first, long n,
                   int64_t (*gross) (long w, int month), size_t *ret_len)
{
    Chejian__V1__WageLine *lines = calloc ((size_t) n, sizeof *lines);
    Chejian__V1__WageLine **ptrs = calloc ((size_t) n, sizeof *ptrs);
    char (*rids)[19] = calloc ((size_t) n, sizeof *rids), (*emps)[24] = calloc ((size_t) n, 24);
    uint8_t *bytes = NULL;
    int month = cj_period_diff (202001, period);
    if (!lines || !ptrs || !rids || !emps)
        goto done;
    for (long i = 0; i < n; i++) {
        chejian__v1__wage_line__init (&lines[i]);
        bench_resident_id (first + i, rids[i]);
        snprintf (emps[i], 24, "E%ld", first + i);
        lines[i].resident_id = rids[i];
        lines[i].employment_id = emps[i];
        lines[i].pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
        lines[i].gross_fen = gross (first + i, month);
        lines[i].days_worked = 21;
        lines[i].work_site = CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
        ptrs[i] = &lines[i];
    }
    Chejian__V1__SubmitWageReport rep = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
    rep.workshop_id = (char *) workshop;
    rep.period = period;
    rep.n_lines = (size_t) n;
    rep.lines = ptrs;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = (char *) event_id;
    env.source = (char *) source;
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = (char *) county;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT;
    env.submit_wage_report = &rep;
    bytes = cj_message_pack (&env.base, ret_len);
done:
    free (lines);
    free (ptrs);
    free (rids);
    free (emps);
    return bytes;
}

bool
bench_county_wages_are (cj_client_t *client, const char *source, const char *county,
                        int32_t period, int64_t expected)
{
    Chejian__V1__GetCountyIncomeSummary q = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    q.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
    q.period = period;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "bench-wages-check";
    env.source = (char *) source;
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = (char *) county;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY;
    env.get_county_income_summary = &q;
    cj_ack_t *ack = cj_client_send (client, &env, 5000) == 0 ? cj_client_recv (client, 30000)
                                                             : NULL;
    bool exact = ack && ack->county_income_summary
                 && ack->county_income_summary->total_wages_fen == expected;
    cj_ack_free (&ack);
    return exact;
}
