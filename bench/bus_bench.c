/*  bus_bench - events per second through commit -> publish -> consume -> cursor commit,
 *  beside the raw pipelined XADD rate that redis-benchmark measures on the same Redis in the
 *  same run. Prints figures; asserts nothing.
 *
 *  The producer side runs in this process on the library (leases, cj_store_commit of batches
 *  of events, cj_pub_event of each committed event); the consumer is the real test consumer
 *  service (tests/integration/bus_consumer) in its own process, applying every event through
 *  the subscription path and committing its cursors. The clock stops when every partition's
 *  cursor equals the producer's head.
 *
 *  usage: bus_bench [events [batch-per-partition [partitions]]]
 *  env:   CHEJIAN_REDIS_URL (default: start a private redis-server, AOF everysec)
 *         CHEJIAN_BENCH_CONSUMER (default: <dir of this binary>/../tests/integration/bus_consumer)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "chejian/bus.h"
#include "chejian/client.h"
#include "chejian/envelope.h"
#include "chejian/store.h"
#include "bench_support.h"

#define PAYLOAD 200

/*  redis-benchmark pipelined XADD of PAYLOAD-byte entries: requests per second.  */
static double
s_baseline (int port, long n)
{
    char command[PAYLOAD + 64];
    snprintf (command, sizeof command, "XADD cj:bench:raw '*' f %s", bench_payload (PAYLOAD));
    return bench_redis_rate (port, n, command);
}

static pid_t
s_spawn (const char *bin, const char *redis_url, const char *pub, uint32_t partitions,
         const char *router)
{
    pid_t pid = fork ();
    if (pid == 0) {
        char env[12][160];
        snprintf (env[0], 160, "CHEJIAN_REDIS_URL=%s", redis_url);
        snprintf (env[1], 160, "CHEJIAN_PARTITIONS=%u", partitions);
        snprintf (env[2], 160, "CHEJIAN_TPRODUCER_PUB_ENDPOINT=%s", pub);
        snprintf (env[3], 160, "CHEJIAN_TCONSUMER_BIND=tcp://127.0.0.1:%d", bench_free_port ());
        snprintf (env[4], 160, "CHEJIAN_TCONSUMER_PUB_BIND=tcp://127.0.0.1:%d", bench_free_port ());
        snprintf (env[5], 160, "CHEJIAN_TCONSUMER_METRICS_PORT=0");
        snprintf (env[6], 160, "CHEJIAN_TEST_RECORD=0");
        snprintf (env[7], 160, "CHEJIAN_LOG_LEVEL=warn");
        snprintf (env[8], 160, "CHEJIAN_TPRODUCER_PUB_BIND=%s", pub);
        snprintf (env[9], 160, "CHEJIAN_TPRODUCER_BIND=%s", router ? router : "tcp://127.0.0.1:*");
        snprintf (env[10], 160, "CHEJIAN_TPRODUCER_METRICS_PORT=0");
        snprintf (env[11], 160, "CHEJIAN_BATCH_MAX=1024");
        for (int i = 0; i < 12; i++)
            putenv (env[i]);
        execl (bin, bin, (char *) NULL);
        _exit (127);
    }
    return pid;
}

static long long
s_hget_int (cj_store_t *store, const char *key, const char *field)
{
    redisReply *r = cj_store_command (store, "HGET %s %s", key, field);
    long long v = r && r->type == REDIS_REPLY_STRING ? atoll (r->str) : 0;
    if (r)
        freeReplyObject (r);
    return v;
}

/*  A county code per partition, so every partition gets events.  */
static void
s_counties (uint32_t partitions, char counties[][7])
{
    uint32_t found = 0;
    for (int code = 110101; found < partitions && code < 829999; code++) {
        char c[7];
        snprintf (c, sizeof c, "%06d", code);
        if (c[4] == '0' && c[5] == '0')
            continue;
        uint32_t p = cj_partition_of (c, partitions);
        if (!counties[p][0]) {
            memcpy (counties[p], c, 7);
            found++;
        }
    }
}

/*  Waits until the consumer holds every partition and has registered as a subscriber, then
 *  lets the SUB connection settle (ZeroMQ's slow joiner).  */
static void
s_wait_subscribed (cj_store_t *store, uint32_t partitions)
{
    for (int i = 0; i < 200; i++) {
        uint32_t owned = 0;
        for (uint32_t p = 0; p < partitions; p++) {
            char key[CJ_KEY_MAX];
            cj_key (key, sizeof key, p, "tprod", "subscribers");
            redisReply *r = cj_store_command (store, "SISMEMBER %s tcons", key);
            owned += r && r->integer == 1;
            if (r)
                freeReplyObject (r);
        }
        if (owned == partitions)
            break;
        usleep (50000);
    }
    usleep (500000);
}

/*  Total events the consumer is behind the producer's heads as recorded in Redis.  */
static uint64_t
s_behind (cj_store_t *store, uint32_t partitions)
{
    uint64_t behind = 0;
    for (uint32_t p = 0; p < partitions; p++) {
        char meta[CJ_KEY_MAX], cursors[CJ_KEY_MAX];
        cj_key (meta, sizeof meta, p, "tprod", "meta");
        cj_key (cursors, sizeof cursors, p, "tcons", "cursors");
        long long head = s_hget_int (store, meta, "head");
        long long cursor = s_hget_int (store, cursors, "tprod");
        behind += (uint64_t) (head > cursor ? head - cursor : 0);
    }
    return behind;
}

/*  The command path: a DEALER client -> the test producer service's ROUTER (decode, validate,
 *  dedup, apply, commit, ack, publish) -> the test consumer service. 'window' commands in
 *  flight.  */
static void
s_command_path (cj_store_t *store, const char *url, const char *consumer_bin, long commands,
                uint32_t partitions, int window, double base)
{
    redisReply *r = cj_store_command (store, "FLUSHALL");
    if (r)
        freeReplyObject (r);
    char producer_bin[PATH_MAX + 64], router[64], pub[64];
    snprintf (producer_bin, sizeof producer_bin, "%s", consumer_bin);
    char *slash = strrchr (producer_bin, '/');
    snprintf (slash + 1, sizeof producer_bin - (size_t) (slash + 1 - producer_bin), "bus_producer");
    snprintf (router, sizeof router, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (pub, sizeof pub, "tcp://127.0.0.1:%d", bench_free_port ());
    pid_t prod = s_spawn (producer_bin, url, pub, partitions, router);
    pid_t cons = s_spawn (consumer_bin, url, pub, partitions, NULL);
    s_wait_subscribed (store, partitions);
    char counties[64][7] = { { 0 } };
    s_counties (partitions, counties);
    cj_client_t *client = cj_client_new (NULL, router);
    uint8_t payload[PAYLOAD];
    memset (payload, 'x', sizeof payload);
    long sent = 0, acked = 0, refused = 0;
    double t0 = bench_now ();
    while (acked < commands) {
        while (sent < commands && sent - acked < window) {
            Chejian__V1__BusProbe body = CHEJIAN__V1__BUS_PROBE__INIT;
            cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
            char id[32];
            snprintf (id, sizeof id, "cmd-%ld", sent);
            body.n = (uint64_t) sent + 1;
            body.payload.data = payload;
            body.payload.len = sizeof payload;
            env.event_id = id;
            env.source = "bench";
            env.occurred_at = (int64_t) time (NULL) * 1000;
            env.county = counties[sent % partitions];
            env.body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE;
            env.bus_probe = &body;
            if (cj_client_send (client, &env, 5000) != 0)
                bench_die ("send: %s", zmq_strerror (errno));
            sent++;
        }
        cj_ack_t *ack = cj_client_recv (client, 10000);
        if (!ack)
            bench_die ("no ack within 10 s (%s)", "is the producer running?");
        refused += ack->status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
        acked++;
        cj_ack_free (&ack);
    }
    double t_acked = bench_now () - t0;
    while (s_behind (store, partitions) > 0 && bench_now () - t0 < 600)
        usleep (2000);
    double t_consumed = bench_now () - t0;
    printf ("  commands  client -> service -> durable -> ack:  %10.0f acks/s    (%.2fx baseline)"
            "  window %d, %ld not accepted\n", commands / t_acked,
            base > 0 ? commands / t_acked / base : 0, window, refused);
    printf ("            ... -> publish -> consumer cursor:    %10.0f events/s  (%.2fx baseline)"
            "  lag zero %.2f s after the first command\n", commands / t_consumed,
            base > 0 ? commands / t_consumed / base : 0, t_consumed);
    cj_client_destroy (&client);
    kill (prod, SIGTERM);
    kill (cons, SIGTERM);
    waitpid (prod, NULL, 0);
    waitpid (cons, NULL, 0);
}

int
main (int argc, char **argv)
{
    long events = argc > 1 ? atol (argv[1]) : 1000000;
    long per_batch = argc > 2 ? atol (argv[2]) : 512;
    uint32_t partitions = argc > 3 ? (uint32_t) atol (argv[3]) : 8;
    if (events <= 0 || per_batch <= 0 || partitions == 0 || partitions > 64)
        bench_die ("usage: bus_bench [events [batch-per-partition [partitions<=64]]]%s", "");

    char dir[64], url[128];
    int port;
    cj_store_t *store = bench_redis (dir, sizeof dir, url, sizeof url, &port);
    redisReply *r;

    printf ("bus_bench: %ld events of %d-byte payload, %u partitions, %ld events per partition "
            "per commit, redis %s\n", events, PAYLOAD, partitions, per_batch,
            cj_store_url_safe (store));
    double base = s_baseline (port, events < 500000 ? events : 500000);
    r = cj_store_command (store, "DEL cj:bench:raw");
    freeReplyObject (r);
    printf ("  baseline  redis-benchmark XADD, pipelined 100:   %10.0f ops/s\n", base);

    /* producer: the library, in this process */
    void *zctx = zmq_ctx_new ();
    char pub_endpoint[64];
    snprintf (pub_endpoint, sizeof pub_endpoint, "tcp://127.0.0.1:%d", bench_free_port ());
    cj_pub_t *pub = cj_pub_new (zctx, pub_endpoint, "tprod", 1000000);
    if (!pub)
        bench_die ("cannot bind the PUB socket: %s", zmq_strerror (errno));
    uint64_t tokens[64];
    for (uint32_t p = 0; p < partitions; p++)
        if (cj_store_lease (store, "tprod", p, "bench", 0, 600000, &tokens[p]) != 1)
            bench_die ("lease: %s", cj_store_errstr (store));

    char exe[PATH_MAX], consumer[PATH_MAX + 64];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    snprintf (consumer, sizeof consumer, "%s/../tests/integration/bus_consumer", dirname (exe));
    if (getenv ("CHEJIAN_BENCH_CONSUMER"))
        snprintf (consumer, sizeof consumer, "%s", getenv ("CHEJIAN_BENCH_CONSUMER"));
    if (access (consumer, X_OK) != 0)
        bench_die ("consumer binary not found: %s (build the tests or set CHEJIAN_BENCH_CONSUMER)",
               consumer);
    pid_t child = s_spawn (consumer, url, pub_endpoint, partitions, NULL);
    s_wait_subscribed (store, partitions);

    char counties[64][7] = { { 0 } };
    s_counties (partitions, counties);
    cj_batch_t *batches[64];
    for (uint32_t p = 0; p < partitions; p++)
        batches[p] = cj_batch_new ();
    uint8_t payload[PAYLOAD];
    memset (payload, 'x', sizeof payload);
    uint64_t heads[64] = { 0 };
    cj_commit_result_t results[64];
    double t0 = bench_now ();
    long produced = 0;
    while (produced < events) {
        for (uint32_t p = 0; p < partitions; p++) {
            cj_batch_reset (batches[p], "tprod", p, tokens[p]);
            for (long k = 0; k < per_batch && produced < events; k++, produced++) {
                Chejian__V1__BusProbeApplied body = CHEJIAN__V1__BUS_PROBE_APPLIED__INIT;
                cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
                char id[32];
                snprintf (id, sizeof id, "bench-%ld", produced);
                body.n = (uint64_t) produced + 1;
                body.payload.data = payload;
                body.payload.len = sizeof payload;
                env.event_id = id;
                env.source = "tproducer";
                env.occurred_at = 1700000000000;
                env.county = counties[p];
                env.body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED;
                env.bus_probe_applied = &body;
                uint8_t buf[512];
                size_t len = chejian__v1__envelope__pack (&env, buf);
                cj_batch_event (batches[p], buf, len);
            }
        }
        if (cj_store_commit (store, batches, partitions, results) != 0)
            bench_die ("commit: %s", cj_store_errstr (store));
        for (uint32_t p = 0; p < partitions; p++) {
            size_t nev = cj_batch_events (batches[p]);
            for (size_t e = 0; e < nev; e++) {
                size_t len;
                const void *data = cj_batch_event_data (batches[p], e, &len);
                cj_pub_event (pub, p, results[p].first_seq + e, data, len);
            }
            if (nev)
                heads[p] = results[p].last_seq;
        }
    }
    double t_produced = bench_now () - t0;
    double t_consumed = 0;
    for (;;) {
        uint64_t behind = 0;
        for (uint32_t p = 0; p < partitions; p++) {
            char key[CJ_KEY_MAX];
            cj_key (key, sizeof key, p, "tcons", "cursors");
            uint64_t cursor = (uint64_t) s_hget_int (store, key, "tprod");
            behind += heads[p] - (cursor < heads[p] ? cursor : heads[p]);
        }
        if (behind == 0) {
            t_consumed = bench_now () - t0;
            break;
        }
        for (uint32_t p = 0; p < partitions; p++)   /* heartbeats, as a producer service sends */
            cj_pub_heartbeat (pub, p, heads[p]);
        if (bench_now () - t0 > 600)
            bench_die ("the consumer did not catch up within %s", "600 s");
        usleep (2000);
    }
    double produce_rate = (double) events / t_produced;
    double consume_rate = (double) events / t_consumed;
    printf ("  producer  commit + publish:                      %10.0f events/s  (%.2fx baseline)\n",
            produce_rate, base > 0 ? produce_rate / base : 0);
    printf ("  consumer  applied + cursor committed (end to end):%9.0f events/s  (%.2fx baseline)"
            "  lag zero %.2f s after the first commit\n",
            consume_rate, base > 0 ? consume_rate / base : 0, t_consumed);
    kill (child, SIGTERM);
    waitpid (child, NULL, 0);
    cj_pub_destroy (&pub);
    s_command_path (store, url, consumer, events / 5, partitions, 2000, base);
    for (uint32_t p = 0; p < partitions; p++)
        cj_batch_destroy (&batches[p]);
    zmq_ctx_term (zctx);
    bench_redis_stop (&store, dir);
    return 0;
}
