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
