/*  test_service.c - the service runtime, black-box, through the test services built in
 *  tests/integration (bus_producer "tproducer", bus_consumer "tconsumer"): --help, argument
 *  and configuration errors (exit 2), a bind that fails (exit 1), readiness while Redis is
 *  away and once it is there, /metrics, a command answered, SIGTERM (exit 0 within 10 s) and
 *  the leases released by a clean stop.
 *
 *  Needs the binaries: run ctest after a full build (cmake --build), not after building
 *  test_service alone; the test fails with a clear message when they are missing. Every child
 *  runs on 127.0.0.1 with free ports and is killed in teardown whatever happened.  */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "chejian/client.h"
#include "chejian/envelope.h"
#include "chejian/store.h"
#include "test_support.h"

#define PRODUCER   "tests/integration/bus_producer"
#define CONSUMER   "tests/integration/bus_consumer"
#define MAX_CHILD  8
#define MAX_ENV    24
#define PARTITIONS 3

extern char **environ;

typedef struct {
    pid_t pid;
    char  out[512], err[512];    /* files with its stdout and stderr */
} s_child_t;

typedef struct {
    s_child_t   child[MAX_CHILD];
    size_t      nchild;
    cj_store_t *store;
    int         listen_fd;       /* a port held busy by the test */
    int         router_port, pub_port, metrics_port;
    char        env[MAX_ENV][256];
    size_t      nenv;
} fixture_t;

static fixture_t F;

/*  ---- children ----  */

/*  Sets "NAME=value" in the environment of the next child, replacing an earlier NAME.  */
static void
s_env (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void
s_env (const char *fmt, ...)
{
    char entry[sizeof F.env[0]];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (entry, sizeof entry, fmt, ap);
    va_end (ap);
    const char *eq = strchr (entry, '=');
    assert_non_null (eq);
    size_t name_len = (size_t) (eq - entry) + 1;
    size_t i = 0;
    while (i < F.nenv && strncmp (F.env[i], entry, name_len) != 0)
        i++;
    assert_true (i < MAX_ENV);
    memcpy (F.env[i], entry, sizeof entry);
    if (i == F.nenv)
        F.nenv++;
}

/*  The usual environment of the producer: the fixture's Redis and free ports.  */
static void
s_env_producer (const char *redis_url)
{
    s_env ("CHEJIAN_REDIS_URL=%s", redis_url);
    s_env ("CHEJIAN_PARTITIONS=%d", PARTITIONS);
    s_env ("CHEJIAN_TPRODUCER_BIND=tcp://127.0.0.1:%d", F.router_port);
    s_env ("CHEJIAN_TPRODUCER_PUB_BIND=tcp://127.0.0.1:%d", F.pub_port);
    s_env ("CHEJIAN_TPRODUCER_METRICS_PORT=%d", F.metrics_port);
    s_env ("CHEJIAN_LEASE_TTL_MS=3000");
    s_env ("CHEJIAN_REDIS_TIMEOUT_MS=1000");
}

static const char *
s_bin (const char *relative)
{
    const char *bin = cj_test_bin (relative);
    if (access (bin, X_OK) != 0)
        fail_msg ("%s is not built: test_service runs the test services of tests/integration; "
                  "build everything (cmake --build <dir>) before ctest", bin);
    return bin;
}

/*  Starts 'relative' with the parent's environment minus every CHEJIAN_ variable, plus the
 *  ones added with s_env (then forgotten), and one argument 'arg' (may be NULL). Its stdout
 *  and stderr go to files; it dies with the test process.  */
static s_child_t *
s_spawn (const char *relative, const char *arg)
{
    assert_true (F.nchild < MAX_CHILD);
    char bin[4096];
    snprintf (bin, sizeof bin, "%s", s_bin (relative));
    s_child_t *c = &F.child[F.nchild];
    snprintf (c->out, sizeof c->out, "%s.%d.%zu.out", cj_test_bin ("tests/test_service"),
              (int) getpid (), F.nchild);
    snprintf (c->err, sizeof c->err, "%s.%d.%zu.err", cj_test_bin ("tests/test_service"),
              (int) getpid (), F.nchild);
    char *envp[256];
    size_t n = 0;
    for (char **e = environ; *e && n < 256 - MAX_ENV - 1; e++)
        if (strncmp (*e, "CHEJIAN_", 8) != 0)
            envp[n++] = *e;
    for (size_t i = 0; i < F.nenv; i++)
        envp[n++] = F.env[i];
    envp[n] = NULL;
    pid_t parent = getpid ();
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        int out = open (c->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open (c->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || dup2 (out, 1) < 0 || dup2 (err, 2) < 0)
            _exit (126);
        char *argv[] = { bin, (char *) arg, NULL };
        execve (bin, argv, envp);
        _exit (127);
    }
    c->pid = pid;
    F.nchild++;
    F.nenv = 0;
    return c;
}

/*  Waits up to 'ms' for 'c' to exit; returns its exit code, or -1 if it is still running
 *  (-2 - signal if it was killed by a signal).  */
static int
s_wait_exit (s_child_t *c, int ms)
{
    int64_t deadline = cj_test_now_ms () + ms;
    for (;;) {
        int status = 0;
        pid_t r = waitpid (c->pid, &status, WNOHANG);
        if (r == c->pid) {
            c->pid = 0;
            return WIFEXITED (status) ? WEXITSTATUS (status) : -2 - WTERMSIG (status);
        }
        assert_int_equal (r, 0);
        if (cj_test_now_ms () > deadline)
            return -1;
        usleep (20000);
    }
}

/*  The whole of a child's output file (static buffer).  */
static const char *
s_read (const char *path)
{
    static char text[1 << 16];
    text[0] = 0;
    FILE *f = fopen (path, "r");
    if (!f)
        return text;
    size_t n = fread (text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose (f);
    return text;
}

/*  Runs 'relative' with 'arg' to completion (10 s at most) and returns its exit code.  */
static int
s_run (const char *relative, const char *arg, s_child_t **ret_child)
{
    s_child_t *c = s_spawn (relative, arg);
    int code = s_wait_exit (c, 10000);
    if (code == -1)
        fail_msg ("%s %s did not exit within 10 s", relative, arg ? arg : "");
    *ret_child = c;
    return code;
}

/*  SIGTERM, then exit code 0 within 10 s.  */
static void
s_stop_clean (s_child_t *c)
{
    assert_true (c->pid > 0);
    assert_int_equal (kill (c->pid, SIGTERM), 0);
    int64_t t0 = cj_test_now_ms ();
    int code = s_wait_exit (c, 10000);
    if (code != 0)
        fail_msg ("after SIGTERM: %s (stderr: %.500s)",
                  code == -1 ? "still running after 10 s" : "did not exit with 0",
                  s_read (c->err));
    assert_true (cj_test_now_ms () - t0 < 10000);
}

static int
s_http (int port, const char *path, char *body, size_t size)
{
    return cj_test_http_get (port, path, body, size);
}

/*  Polls GET 'path' until it answers 'status' with a body containing 'needle' (may be NULL),
 *  for at most 'ms'; fails naming what it last saw.  */
static void
s_wait_http (s_child_t *c, int port, const char *path, int status, const char *needle, int ms)
{
    static char body[1 << 16];
    int got = -1;
    int64_t deadline = cj_test_now_ms () + ms;
    while (cj_test_now_ms () < deadline) {
        got = s_http (port, path, body, sizeof body);
        if (got == status && (!needle || strstr (body, needle)))
            return;
        if (c->pid > 0 && s_wait_exit (c, 0) != -1)
            fail_msg ("the service exited while waiting for %s (stderr: %.500s)", path,
                      s_read (c->err));
        usleep (50000);
    }
    fail_msg ("GET %s: expected %d%s%s, last got %d: %.300s", path, status,
              needle ? " with " : "", needle ? needle : "", got, got >= 0 ? body : "");
}

/*  ---- set-up ----  */

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    F.listen_fd = -1;
    const char *url = cj_test_redis_url ();
    if (!url)
        fail_msg ("the redis fixture is not running (run through ctest)");
    char err[256];
    F.store = cj_store_new (url, 5000, err, sizeof err);
    assert_non_null (F.store);
    redisReply *r = cj_store_command (F.store, "FLUSHALL");
    assert_non_null (r);
    freeReplyObject (r);
    F.router_port = cj_test_free_port ();
    F.pub_port = cj_test_free_port ();
    F.metrics_port = cj_test_free_port ();
    assert_true (F.router_port > 0 && F.pub_port > 0 && F.metrics_port > 0);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    for (size_t i = 0; i < F.nchild; i++) {
        s_child_t *c = &F.child[i];
        if (c->pid > 0) {
            kill (c->pid, SIGKILL);
            waitpid (c->pid, NULL, 0);
            c->pid = 0;
        }
        unlink (c->out);
        unlink (c->err);
    }
    if (F.listen_fd >= 0)
        close (F.listen_fd);
    cj_store_destroy (&F.store);
    return 0;
}

/*  ---- tests ----  */

static void
test_help_lists_every_variable (void **state)
{
    (void) state;
    static const char *const producer_vars[] = {
        "CHEJIAN_TPRODUCER_BIND", "CHEJIAN_TPRODUCER_ENDPOINT", "CHEJIAN_TPRODUCER_PUB_BIND",
        "CHEJIAN_TPRODUCER_PUB_ENDPOINT", "CHEJIAN_TPRODUCER_METRICS_PORT",
        "CHEJIAN_REDIS_URL", "CHEJIAN_REDIS_TIMEOUT_MS", "CHEJIAN_PARTITIONS",
        "CHEJIAN_METRICS_BIND", "CHEJIAN_LOG_LEVEL", "CHEJIAN_INSTANCE_ID", "CHEJIAN_BATCH_MAX",
        "CHEJIAN_LEASE_TTL_MS", "CHEJIAN_DEDUP_WINDOW_HOURS", "CHEJIAN_OUTBOX_KEEP",
        "CHEJIAN_PUB_HWM", "CHEJIAN_SUB_HWM",
    };
    /* a bad environment does not stop --help */
    s_env ("CHEJIAN_PARTITIONS=0");
    s_child_t *c;
    assert_int_equal (s_run (PRODUCER, "--help", &c), 0);
    const char *out = s_read (c->out);
    assert_non_null (strstr (out, "Usage:"));
    assert_non_null (strstr (out, "BusProbe"));                  /* the summary */
    for (size_t i = 0; i < sizeof producer_vars / sizeof producer_vars[0]; i++)
        if (!strstr (out, producer_vars[i]))
            fail_msg ("producer --help does not list %s:\n%s", producer_vars[i], out);

    static const char *const consumer_vars[] = {
        "CHEJIAN_TCONSUMER_BIND", "CHEJIAN_TCONSUMER_METRICS_PORT", "CHEJIAN_REDIS_URL",
        "CHEJIAN_PARTITIONS", "CHEJIAN_TPRODUCER_PUB_ENDPOINT", "CHEJIAN_TEST_APPLY_DELAY_US",
        "CHEJIAN_TEST_RECORD",
    };
    assert_int_equal (s_run (CONSUMER, "-h", &c), 0);
    out = s_read (c->out);
    for (size_t i = 0; i < sizeof consumer_vars / sizeof consumer_vars[0]; i++)
        if (!strstr (out, consumer_vars[i]))
            fail_msg ("consumer -h does not list %s:\n%s", consumer_vars[i], out);
}

static void
test_unknown_argument_exits_2 (void **state)
{
    (void) state;
    s_child_t *c;
    assert_int_equal (s_run (PRODUCER, "--frobnicate", &c), 2);
    assert_non_null (strstr (s_read (c->err), "--frobnicate"));
    assert_null (strstr (s_read (c->out), "CHEJIAN_REDIS_URL"));
}

static void
test_bad_configuration_exits_2 (void **state)
{
    (void) state;
    static const struct { const char *assignment, *name; } cases[] = {
        { "CHEJIAN_PARTITIONS=0", "CHEJIAN_PARTITIONS" },
        { "CHEJIAN_PARTITIONS=lots", "CHEJIAN_PARTITIONS" },
        { "CHEJIAN_PARTITIONS=1025", "CHEJIAN_PARTITIONS" },
        { "CHEJIAN_LOG_LEVEL=loud", "CHEJIAN_LOG_LEVEL" },
        { "CHEJIAN_TPRODUCER_METRICS_PORT=70000", "CHEJIAN_TPRODUCER_METRICS_PORT" },
        { "CHEJIAN_LEASE_TTL_MS=10", "CHEJIAN_LEASE_TTL_MS" },
        { "CHEJIAN_REDIS_URL=http://127.0.0.1:1", "CHEJIAN_REDIS_URL" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_env_producer (cj_test_redis_url ());
        s_env ("%s", cases[i].assignment);
        s_child_t *c;
        int code = s_run (PRODUCER, NULL, &c);
        const char *err = s_read (c->err);
        int want = strstr (cases[i].name, "REDIS_URL") ? 1 : 2;   /* parsed at start-up */
        if (code != want || !strstr (err, cases[i].name))
            fail_msg ("%s: exit %d (expected %d), stderr: %.500s", cases[i].assignment, code,
                      want, err);
    }
}

/*  Holds 'port' busy with a listening TCP socket.  */
static void
s_hold_port (int port)
{
    F.listen_fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (F.listen_fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (F.listen_fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (F.listen_fd, 4), 0);
}

static void
test_bind_in_use_exits_1 (void **state)
{
    (void) state;
    static const char *const vars[] = { "CHEJIAN_TPRODUCER_BIND", "CHEJIAN_TPRODUCER_PUB_BIND",
                                        "CHEJIAN_TPRODUCER_METRICS_PORT" };
    for (size_t i = 0; i < 3; i++) {
        int busy = i == 0 ? F.router_port : i == 1 ? F.pub_port : F.metrics_port;
        s_hold_port (busy);
        s_env_producer (cj_test_redis_url ());
        s_child_t *c;
        int code = s_run (PRODUCER, NULL, &c);
        const char *err = s_read (c->err);
        if (code != 1 || !strstr (err, vars[i]))
            fail_msg ("%s in use: exit %d (expected 1), stderr: %.500s", vars[i], code, err);
        close (F.listen_fd);
        F.listen_fd = -1;
    }
}

static void
test_redis_away_not_ready (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", cj_test_free_port ());
    s_env_producer (url);
    s_child_t *c = s_spawn (PRODUCER, NULL);
    s_wait_http (c, F.metrics_port, "/readyz", 503, "redis", 10000);
    char body[4096];
    assert_int_equal (s_http (F.metrics_port, "/healthz", body, sizeof body), 200);
    /* it stays up, and stays not ready */
    usleep (1500000);
    assert_int_equal (s_wait_exit (c, 0), -1);
    assert_int_equal (s_http (F.metrics_port, "/readyz", body, sizeof body), 503);
    assert_non_null (strstr (body, "redis"));
    assert_int_equal (s_http (F.metrics_port, "/healthz", body, sizeof body), 200);
    assert_int_equal (s_http (F.metrics_port, "/metrics", body, sizeof body), 200);
    assert_non_null (strstr (body, "chejian_partitions_owned 0"));
    s_stop_clean (c);
}

static bool
s_lease_exists (uint32_t p)
{
    char key[CJ_KEY_MAX];
    cj_key (key, sizeof key, p, "tprod", "lease");
    redisReply *r = cj_store_command (F.store, "EXISTS %s", key);
    assert_non_null (r);
    bool exists = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject (r);
    return exists;
}

/*  Sends one BusProbe on a DEALER and returns the Ack's status.  */
static int
s_send_probe (const char *event_id, uint64_t n)
{
    void *zctx = zmq_ctx_new ();
    void *dealer = zmq_socket (zctx, ZMQ_DEALER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", F.router_port);
    assert_int_equal (zmq_connect (dealer, endpoint), 0);
    Chejian__V1__BusProbe probe = CHEJIAN__V1__BUS_PROBE__INIT;
    probe.n = n;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = (char *) event_id;
    env.source = "test";
    env.occurred_at = 1700000000000LL;
    env.county = "510822";
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE;
    env.bus_probe = &probe;
    size_t len = 0;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    assert_non_null (bytes);
    assert_int_equal (zmq_send (dealer, bytes, len, 0), (int) len);
    free (bytes);
    uint8_t reply[4096];
    int got = zmq_recv (dealer, reply, sizeof reply, 0);
    int status = -1;
    if (got > 0 && got <= (int) sizeof reply) {
        cj_ack_t *ack = chejian__v1__ack__unpack (NULL, (size_t) got, reply);
        if (ack) {
            status = ack->status;
            chejian__v1__ack__free_unpacked (ack, NULL);
        }
    }
    zmq_close (dealer);
    zmq_ctx_term (zctx);
    return status;
}

static void
test_ready_metrics_sigterm_releases_leases (void **state)
{
    (void) state;
    s_env_producer (cj_test_redis_url ());
    s_env ("CHEJIAN_LOG_LEVEL=debug");
    s_child_t *c = s_spawn (PRODUCER, NULL);
    s_wait_http (c, F.metrics_port, "/readyz", 200, NULL, 10000);
    static char body[1 << 16];
    assert_int_equal (s_http (F.metrics_port, "/healthz", body, sizeof body), 200);
    /* every partition is leased (a single instance owns them all) */
    int64_t deadline = cj_test_now_ms () + 5000;
    while (!(s_lease_exists (0) && s_lease_exists (1) && s_lease_exists (2))
           && cj_test_now_ms () < deadline)
        usleep (50000);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_true (s_lease_exists (p));
    assert_false (s_lease_exists (PARTITIONS));

    assert_int_equal (s_send_probe ("svc-1", 1), CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_int_equal (s_send_probe ("svc-1", 1), CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
    assert_int_equal (s_send_probe ("svc-2", 0), CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);

    s_wait_http (c, F.metrics_port, "/metrics", 200, "chejian_partitions_owned 3", 5000);
    assert_int_equal (s_http (F.metrics_port, "/metrics", body, sizeof body), 200);
    assert_non_null (strstr (body, "chejian_acks_total{status=\"accepted\"} 1"));
    assert_non_null (strstr (body, "chejian_acks_total{status=\"duplicate\"} 1"));
    assert_non_null (strstr (body, "chejian_acks_total{status=\"rejected\"} 1"));
    assert_non_null (strstr (body, "chejian_outbox_head_seq"));

    s_stop_clean (c);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        if (s_lease_exists (p))
            fail_msg ("the lease of partition %u is still held after a clean stop", p);
    /* its logs are JSON lines */
    const char *err = s_read (c->err);
    assert_true (err[0] == '{');
    assert_non_null (strstr (err, "stopped"));
}

/*  Sends a query envelope with 'body_case' set to 'body' and returns the Ack.  */
static cj_ack_t *
s_query (int body_case, ProtobufCMessage *body, const char *county)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", F.router_port);
    cj_client_t *client = cj_client_new (NULL, endpoint);
    assert_non_null (client);
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "q-1";
    env.source = "test";
    env.occurred_at = 1700000000000LL;
    env.county = (char *) county;
    env.body_case = (Chejian__V1__Envelope__BodyCase) body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    *(ProtobufCMessage **) ((char *) &env + f->offset) = body;
    assert_int_equal (cj_client_send (client, &env, 5000), 0);
    cj_ack_t *ack = cj_client_recv (client, 10000);
    assert_non_null (ack);
    cj_client_destroy (&client);
    return ack;
}

/*  The queries every service answers without a handler of its own: FetchEvents (x90) reads
 *  the outbox of the county's partition after a seq, with filters and paging;
 *  GetServiceStatus (x91) reports readiness, leases and outbox bounds.  */
static void
test_generic_queries (void **state)
{
    (void) state;
    s_env_producer (cj_test_redis_url ());
    s_child_t *c = s_spawn (PRODUCER, NULL);
    s_wait_http (c, F.metrics_port, "/readyz", 200, NULL, 10000);
    char id[32];
    for (int i = 1; i <= 5; i++) {
        snprintf (id, sizeof id, "gq-%d", i);
        assert_int_equal (s_send_probe (id, (uint64_t) i), CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    }
    Chejian__V1__FetchEvents fetch = CHEJIAN__V1__FETCH_EVENTS__INIT;
    fetch.after_seq = 1;
    fetch.max_events = 3;
    cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_FETCH_EVENTS, &fetch.base, "510822");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ACK__RESULT_REGISTRY_EVENTS);
    Chejian__V1__EventPage *page = ack->registry_events;
    assert_int_equal (page->n_events, 3);
    assert_int_equal (page->events[0]->seq, 2);
    assert_int_equal (page->events[2]->seq, 4);
    assert_int_equal (page->events[0]->envelope->bus_probe_applied->n, 2);
    assert_int_equal (page->next_after_seq, 4);
    assert_int_equal (page->head_seq, 5);
    assert_int_equal (page->first_available_seq, 1);
    assert_true (page->more);
    assert_false (page->truncated);
    assert_string_equal (page->events[1]->envelope->causation_id, "gq-3");
    cj_ack_free (&ack);
    /* a filter on a body number none of them has: nothing, but the page still advances */
    uint32_t numbers[] = { 300 };
    fetch.after_seq = 0;
    fetch.max_events = 0;
    fetch.n_body_numbers = 1;
    fetch.body_numbers = numbers;
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_FETCH_EVENTS, &fetch.base, "510822");
    assert_int_equal (ack->registry_events->n_events, 0);
    assert_int_equal (ack->registry_events->next_after_seq, 5);
    assert_false (ack->registry_events->more);
    cj_ack_free (&ack);
    fetch.max_events = 1001;
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_FETCH_EVENTS, &fetch.base, "510822");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_string_equal (ack->problems[0]->code, "OUT_OF_RANGE");
    cj_ack_free (&ack);

    Chejian__V1__GetServiceStatus status = CHEJIAN__V1__GET_SERVICE_STATUS__INIT;
    status.all_partitions = true;
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_REGISTRY_STATUS, &status.base, "510822");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    Chejian__V1__ServiceStatus *st = ack->registry_service_status;
    assert_string_equal (st->service, "tproducer");
    assert_int_equal (st->partitions_total, PARTITIONS);
    assert_int_equal (st->n_partitions, PARTITIONS);
    assert_true (st->ready);
    uint64_t events = 0;
    for (size_t i = 0; i < st->n_partitions; i++) {
        assert_true (st->partitions[i]->owned);
        assert_true (st->partitions[i]->lease_token > 0);
        events += st->partitions[i]->outbox_length;
    }
    assert_int_equal (events, 5);
    cj_ack_free (&ack);
    s_stop_clean (c);
}

static void
test_consumer_ready_and_stops (void **state)
{
    (void) state;
    s_env ("CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    s_env ("CHEJIAN_PARTITIONS=%d", PARTITIONS);
    s_env ("CHEJIAN_TCONSUMER_BIND=tcp://127.0.0.1:%d", F.router_port);
    s_env ("CHEJIAN_TCONSUMER_PUB_BIND=tcp://127.0.0.1:%d", F.pub_port);
    s_env ("CHEJIAN_TCONSUMER_METRICS_PORT=%d", F.metrics_port);
    s_env ("CHEJIAN_TPRODUCER_PUB_ENDPOINT=tcp://127.0.0.1:%d", cj_test_free_port ());
    s_child_t *c = s_spawn (CONSUMER, NULL);
    s_wait_http (c, F.metrics_port, "/readyz", 200, NULL, 10000);
    static char body[1 << 16];
    assert_int_equal (s_http (F.metrics_port, "/metrics", body, sizeof body), 200);
    assert_non_null (strstr (body, "chejian_consumer_lag_events"));
    assert_non_null (strstr (body, "chejian_partitions_owned"));
    redisReply *r = cj_store_command (F.store, "SISMEMBER cj:{p0}:tprod:subscribers tcons");
    assert_non_null (r);
    assert_int_equal (r->integer, 1);                /* registered for outbox trimming */
    freeReplyObject (r);
    s_stop_clean (c);
    r = cj_store_command (F.store, "EXISTS cj:{p0}:tcons:lease");
    assert_non_null (r);
    assert_int_equal (r->integer, 0);
    freeReplyObject (r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_help_lists_every_variable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_argument_exits_2, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_configuration_exits_2, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bind_in_use_exits_1, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_redis_away_not_ready, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ready_metrics_sigterm_releases_leases, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_generic_queries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consumer_ready_and_stops, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
