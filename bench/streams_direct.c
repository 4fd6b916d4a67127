/*  streams_direct.c - see bench_support.h (bench_streams_direct).
 *
 *  The same work as chejian's event path with Redis Streams alone and no business state: a
 *  producer appends 'n' entries with XADD, pipelined with a window in flight; a consumer in
 *  another thread, on its own connection, reads them with XREADGROUP (COUNT 1000, BLOCK) and
 *  acknowledges each read with one XACK of every id it got. The clock runs from the first XADD
 *  to the XACK of the last entry.  */
#include "bench_support.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STREAM   "cj:bench:direct"
#define S_READ     1000

typedef struct {
    int         port;
    long        n, window;
    size_t      payload;
    long        acked;     /* atomic: the consumer's count */
    int         stop;      /* atomic: the producer failed */
    const char *error;
} s_job_t;

static redisContext *
s_connect (int port)
{
    struct timeval tv = { 10, 0 };
    redisContext *c = redisConnectWithTimeout ("127.0.0.1", port, tv);
    if (c && c->err) {
        redisFree (c);
        return NULL;
    }
    return c;
}

static void *
s_consumer (void *arg)
{
    s_job_t *job = arg;
    redisContext *c = s_connect (job->port);
    const char **argv = malloc ((S_READ + 3) * sizeof *argv);
    size_t *argl = malloc ((S_READ + 3) * sizeof *argl);
    if (!c || !argv || !argl) {
        job->error = "consumer: cannot connect";
        goto done;
    }
    while (__atomic_load_n (&job->acked, __ATOMIC_RELAXED) < job->n
           && !__atomic_load_n (&job->stop, __ATOMIC_RELAXED)) {
        redisReply *r = redisCommand (c, "XREADGROUP GROUP g c COUNT %d BLOCK 1000 STREAMS "
                                      S_STREAM " >", S_READ);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            job->error = "consumer: XREADGROUP failed";
            if (r)
                freeReplyObject (r);
            break;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {   /* timed out: read again */
            freeReplyObject (r);
            continue;
        }
        redisReply *entries = r->element[0]->element[1];
        size_t k = 0;
        argv[k] = "XACK", argl[k++] = 4;
        argv[k] = S_STREAM, argl[k++] = strlen (S_STREAM);
        argv[k] = "g", argl[k++] = 1;
        for (size_t i = 0; i < entries->elements; i++) {
            redisReply *id = entries->element[i]->element[0];
            argv[k] = id->str, argl[k++] = id->len;
        }
        redisReply *a = redisCommandArgv (c, (int) k, argv, argl);
        if (!a || a->type != REDIS_REPLY_INTEGER) {
            job->error = "consumer: XACK failed";
            if (a)
                freeReplyObject (a);
            freeReplyObject (r);
            break;
        }
        __atomic_add_fetch (&job->acked, a->integer, __ATOMIC_RELAXED);
        freeReplyObject (a);
        freeReplyObject (r);
    }
done:
    free (argv);
    free (argl);
    if (c)
        redisFree (c);
    return NULL;
}

/*  Appends 'n' entries keeping at most 'window' replies outstanding.  */
static const char *
s_produce (redisContext *c, long n, long window, const char *payload)
{
    long sent = 0, answered = 0;
    while (answered < n) {
        while (sent < n && sent - answered < window) {
            if (redisAppendCommand (c, "XADD " S_STREAM " * f %s", payload) != REDIS_OK)
                return "producer: cannot queue XADD";
            sent++;
        }
        redisReply *r;
        if (redisGetReply (c, (void **) &r) != REDIS_OK || !r)
            return "producer: connection lost";
        bool ok = r->type == REDIS_REPLY_STRING;
        freeReplyObject (r);
        if (!ok)
            return "producer: XADD failed";
        answered++;
    }
    return NULL;
}

double
bench_streams_direct (int port, long n, long window, size_t payload)
{
    s_job_t job = { .port = port, .n = n, .window = window, .payload = payload };
    redisContext *c = s_connect (port);
    if (!c)
        return 0;
    redisReply *r = redisCommand (c, "DEL " S_STREAM);
    if (r)
        freeReplyObject (r);
    r = redisCommand (c, "XGROUP CREATE " S_STREAM " g $ MKSTREAM");
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject (r);
    pthread_t consumer;
    if (!ok || pthread_create (&consumer, NULL, s_consumer, &job) != 0) {
        redisFree (c);
        return 0;
    }
    double t0 = bench_now ();
    const char *err = s_produce (c, n, window, bench_payload (payload));
    if (err)
        __atomic_store_n (&job.stop, 1, __ATOMIC_RELAXED);  /* after its current read */
    pthread_join (consumer, NULL);
    double t = bench_now () - t0;
    r = redisCommand (c, "DEL " S_STREAM);
    if (r)
        freeReplyObject (r);
    redisFree (c);
    if (err || job.error) {
        fprintf (stderr, "bench: streams-direct: %s\n", err ? err : job.error);
        return 0;
    }
    return (double) n / t;
}
