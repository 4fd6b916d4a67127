/*  test_support.c - see test_support.h.  */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
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

int
cj_test_http_get (int port, const char *path, char *body, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    /* A stopped process (SIGSTOP in the fault test) still has its listen backlog: connect
     * succeeds and the read would wait for ever. 2 s is far above any answer of a live one. */
    struct timeval tv = { .tv_sec = 2 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (fd);
        return -1;
    }
    char request[512];
    int n = snprintf (request, sizeof request,
                      "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write (fd, request, (size_t) n) != n) {
        close (fd);
        return -1;
    }
    size_t cap = 1 << 20, len = 0;
    char *all = malloc (cap + 1);
    ssize_t r;
    while (all && (r = read (fd, all + len, cap - len)) > 0)
        len += (size_t) r;
    close (fd);
    if (!all)
        return -1;
    all[len] = 0;
    int status = -1;
    if (sscanf (all, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    const char *start = strstr (all, "\r\n\r\n");
    if (body && size) {
        snprintf (body, size, "%s", start ? start + 4 : "");
    }
    free (all);
    return status;
}

int
cj_test_wait_exit (int pid, int timeout_ms)
{
    int64_t deadline = cj_test_now_ms () + timeout_ms;
    int status = 0;
    while (waitpid (pid, &status, WNOHANG) != pid) {
        if (cj_test_now_ms () > deadline) {
            kill (pid, SIGKILL);
            waitpid (pid, &status, 0);
            return -1;
        }
        usleep (20000);
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

int
cj_test_spawn (const char *relative, char env[][160], size_t n, const char *log)
{
    char path[4096];
    snprintf (path, sizeof path, "%s", cj_test_bin (relative));
    pid_t pid = fork ();
    if (pid == 0) {
        for (size_t i = 0; i < n; i++)
            putenv (env[i]);
        if (!freopen (log, "a", stderr))
            _exit (126);
        execl (path, path, (char *) NULL);
        _exit (127);
    }
    return pid;
}
