/*  test_support.c - see test_support.h.  */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
cj_test_redis_port (void)
{
    FILE *f = fopen (CJ_TEST_REDIS_DIR "/port", "r");
    if (!f)
        return -1;
    int port = -1;
    if (fscanf (f, "%d", &port) != 1)
        port = -1;
    fclose (f);
    return port;
}

const char *
cj_test_redis_url (void)
{
    static char url[128];
    const char *env = getenv ("CHEJIAN_TEST_REDIS_URL");
    if (env && *env)
        return env;
    int port = cj_test_redis_port ();
    if (port <= 0)
        return NULL;
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    return url;
}

const char *
cj_test_bin (const char *relative)
{
    static char path[4096];
    snprintf (path, sizeof path, "%s/%s", CJ_TEST_BIN_DIR, relative);
    return path;
}

int64_t
cj_test_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cj_test_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
        && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    close (fd);
    return port;
}
