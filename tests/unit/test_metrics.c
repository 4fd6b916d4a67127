/*  test_metrics.c - the metrics registry, its text exposition and the HTTP endpoint, fetched
 *  over loopback with a tiny plain-socket HTTP client.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "chejian/metrics.h"

/*  ---------------------------------------------------------------------------------------
 *  Registry and rendering
 */

static void
test_counter_renders_with_escaped_labels (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    assert_non_null (m);
    cj_counter_t *plain = cj_metrics_counter (m, "chejian_started_total",
                                              "Starts, with a \\ and a\nnewline", NULL);
    cj_counter_t *a = cj_metrics_counter (m, "chejian_events_applied_total", "Events applied",
                                          "subscription", "registry", "partition", "3", NULL);
    cj_counter_t *b = cj_metrics_counter (m, "chejian_events_applied_total", "Events applied",
                                          "subscription", "we\"ird\\va\nlue",
                                          "partition", "0", NULL);
    assert_non_null (plain);
    assert_non_null (a);
    assert_non_null (b);
    assert_ptr_not_equal (a, b);
    cj_counter_add (plain, 1);
    cj_counter_add (a, 41);
    cj_counter_add (a, 1);
    assert_int_equal (cj_counter_value (a), 42);
    assert_int_equal (cj_counter_value (b), 0);

    char *text = cj_metrics_render (m);
    assert_non_null (text);
    assert_string_equal (text,
        "# HELP chejian_started_total Starts, with a \\\\ and a\\nnewline\n"
        "# TYPE chejian_started_total counter\n"
        "chejian_started_total 1\n"
        "# HELP chejian_events_applied_total Events applied\n"
        "# TYPE chejian_events_applied_total counter\n"
        "chejian_events_applied_total{subscription=\"registry\",partition=\"3\"} 42\n"
        "chejian_events_applied_total{subscription=\"we\\\"ird\\\\va\\nlue\",partition=\"0\"} 0\n");
    free (text);
    cj_metrics_destroy (&m);
    assert_null (m);
    cj_metrics_destroy (&m);
}

static void
test_gauge_values_render_like_prometheus (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    cj_gauge_t *lag = cj_metrics_gauge (m, "chejian_consumer_lag_events", "Lag",
                                        "partition", "1", NULL);
    cj_gauge_t *tiny = cj_metrics_gauge (m, "chejian_tiny", "", NULL);
    cj_gauge_t *third = cj_metrics_gauge (m, "chejian_third", "A third", NULL);
    cj_gauge_t *inf = cj_metrics_gauge (m, "chejian_inf", "Infinite", "sign", "+", NULL);
    cj_gauge_t *ninf = cj_metrics_gauge (m, "chejian_inf", "Infinite", "sign", "-", NULL);
    cj_gauge_t *nan = cj_metrics_gauge (m, "chejian_nan", "Not a number", NULL);
    cj_gauge_set (lag, 5);
    cj_gauge_add (lag, -2);
    assert_true (cj_gauge_value (lag) == 3.0);
    cj_gauge_set (tiny, 0.00001);
    cj_gauge_set (third, 1.0 / 3.0);
    cj_gauge_set (inf, INFINITY);
    cj_gauge_set (ninf, -INFINITY);
    cj_gauge_set (nan, NAN);

    char *text = cj_metrics_render (m);
    assert_non_null (text);
    assert_string_equal (text,
        "# HELP chejian_consumer_lag_events Lag\n"
        "# TYPE chejian_consumer_lag_events gauge\n"
        "chejian_consumer_lag_events{partition=\"1\"} 3\n"
        "# TYPE chejian_tiny gauge\n"
        "chejian_tiny 1e-05\n"
        "# HELP chejian_third A third\n"
        "# TYPE chejian_third gauge\n"
        "chejian_third 0.3333333333333333\n"
        "# HELP chejian_inf Infinite\n"
        "# TYPE chejian_inf gauge\n"
        "chejian_inf{sign=\"+\"} +Inf\n"
        "chejian_inf{sign=\"-\"} -Inf\n"
        "# HELP chejian_nan Not a number\n"
        "# TYPE chejian_nan gauge\n"
        "chejian_nan NaN\n");
    free (text);
    cj_metrics_destroy (&m);
}

static void
test_histogram_renders_cumulative_buckets (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    const double buckets[] = { 0.005, 0.5, 1 };
    cj_histogram_t *h = cj_metrics_histogram (m, "chejian_ack_seconds", "Ack latency",
                                              buckets, 3, "service", "payroll", NULL);
    assert_non_null (h);
    cj_histogram_observe (h, 0.001);
    cj_histogram_observe (h, 0.005);   /* le is inclusive */
    cj_histogram_observe (h, 0.25);
    cj_histogram_observe (h, 7);
    assert_int_equal (cj_histogram_count (h), 4);

    char *text = cj_metrics_render (m);
    assert_non_null (text);
    assert_string_equal (text,
        "# HELP chejian_ack_seconds Ack latency\n"
        "# TYPE chejian_ack_seconds histogram\n"
        "chejian_ack_seconds_bucket{service=\"payroll\",le=\"0.005\"} 2\n"
        "chejian_ack_seconds_bucket{service=\"payroll\",le=\"0.5\"} 3\n"
        "chejian_ack_seconds_bucket{service=\"payroll\",le=\"1\"} 3\n"
        "chejian_ack_seconds_bucket{service=\"payroll\",le=\"+Inf\"} 4\n"
        "chejian_ack_seconds_sum{service=\"payroll\"} 7.256\n"
        "chejian_ack_seconds_count{service=\"payroll\"} 4\n");
    free (text);
    cj_metrics_destroy (&m);
}

static void
test_histogram_default_buckets (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    cj_histogram_t *h = cj_metrics_histogram (m, "chejian_processing_seconds", "Processing",
                                              NULL, 0, NULL);
    assert_non_null (h);
    cj_histogram_observe (h, 0.0003);
    char *text = cj_metrics_render (m);
    assert_non_null (text);
    assert_string_equal (text,
        "# HELP chejian_processing_seconds Processing\n"
        "# TYPE chejian_processing_seconds histogram\n"
        "chejian_processing_seconds_bucket{le=\"0.0001\"} 0\n"
        "chejian_processing_seconds_bucket{le=\"0.00025\"} 0\n"
        "chejian_processing_seconds_bucket{le=\"0.0005\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.001\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.0025\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.005\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.01\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.025\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.05\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.1\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.25\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"0.5\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"1\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"2.5\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"5\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"10\"} 1\n"
        "chejian_processing_seconds_bucket{le=\"+Inf\"} 1\n"
        "chejian_processing_seconds_sum 0.0003\n"
        "chejian_processing_seconds_count 1\n");
    free (text);
    /*  Same family without buckets again: the same child.  */
    assert_ptr_equal (cj_metrics_histogram (m, "chejian_processing_seconds", "Processing",
                                            NULL, 0, NULL), h);
    cj_metrics_destroy (&m);
}

static void
test_same_labels_same_child (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    cj_counter_t *a = cj_metrics_counter (m, "x_total", "X", "p", "1", NULL);
    cj_counter_t *b = cj_metrics_counter (m, "x_total", "X (help ignored)", "p", "1", NULL);
    cj_counter_t *c = cj_metrics_counter (m, "x_total", "X", "p", "2", NULL);
    assert_non_null (a);
    assert_ptr_equal (a, b);
    assert_ptr_not_equal (a, c);
    cj_gauge_t *g = cj_metrics_gauge (m, "g", "G", NULL);
    assert_ptr_equal (cj_metrics_gauge (m, "g", "G", NULL), g);
    cj_metrics_destroy (&m);
}

static void
test_conflicts_and_bad_names_return_null (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    const double buckets[] = { 1, 2 };
    const double unsorted[] = { 2, 1 };
    assert_non_null (cj_metrics_counter (m, "x_total", "X", "p", "1", NULL));
    assert_non_null (cj_metrics_histogram (m, "h", "H", buckets, 2, NULL));
    /*  Another type, other label names (or order), other buckets.  */
    assert_null (cj_metrics_gauge (m, "x_total", "X", "p", "1", NULL));
    assert_null (cj_metrics_histogram (m, "x_total", "X", NULL, 0, "p", "1", NULL));
    assert_null (cj_metrics_counter (m, "x_total", "X", "q", "1", NULL));
    assert_null (cj_metrics_counter (m, "x_total", "X", NULL));
    assert_null (cj_metrics_counter (m, "x_total", "X", "p", "1", "q", "2", NULL));
    assert_null (cj_metrics_histogram (m, "h", "H", NULL, 0, NULL));
    /*  Invalid names, labels and buckets.  */
    assert_null (cj_metrics_counter (m, "1abc", "bad", NULL));
    assert_null (cj_metrics_counter (m, "a-b", "bad", NULL));
    assert_null (cj_metrics_counter (m, "", "bad", NULL));
    assert_null (cj_metrics_counter (m, "ok", "bad label", "a:b", "1", NULL));
    assert_null (cj_metrics_counter (m, "ok", "bad label", "__x", "1", NULL));
    assert_null (cj_metrics_counter (m, "ok", "bad label", "9", "1", NULL));
    assert_null (cj_metrics_counter (m, "ok", "dup label", "a", "1", "a", "2", NULL));
    assert_null (cj_metrics_histogram (m, "hh", "le is reserved", NULL, 0, "le", "1", NULL));
    assert_null (cj_metrics_histogram (m, "hh", "unsorted", unsorted, 2, NULL));
    /*  Colons are fine in metric names; nothing invalid was registered.  */
    assert_non_null (cj_metrics_counter (m, "job:ok_total", "Recorded", NULL));
    char *text = cj_metrics_render (m);
    assert_null (strstr (text, "# TYPE ok "));
    assert_null (strstr (text, "# TYPE hh "));
    assert_non_null (strstr (text, "# TYPE job:ok_total counter\n"));
    free (text);
    /*  Updates through a failed registration are harmless no-ops.  */
    cj_counter_add (NULL, 1);
    cj_gauge_set (NULL, 1);
    cj_gauge_add (NULL, 1);
    cj_histogram_observe (NULL, 1);
    assert_int_equal (cj_counter_value (NULL), 0);
    cj_metrics_destroy (&m);
}

static void
test_empty_registry_renders_empty (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    char *text = cj_metrics_render (m);
    assert_string_equal (text, "");
    free (text);
    cj_metrics_destroy (&m);
}

/*  ---------------------------------------------------------------------------------------
 *  Concurrent updates
 */

#define s_ROUNDS 200000

typedef struct {
    cj_counter_t   *counter;
    cj_gauge_t     *gauge;
    cj_histogram_t *histogram;
} s_targets_t;

static void *
s_update_thread (void *arg)
{
    s_targets_t *targets = arg;
    for (int i = 0; i < s_ROUNDS; i++) {
        cj_counter_add (targets->counter, 1);
        cj_gauge_add (targets->gauge, 0.5);
        cj_histogram_observe (targets->histogram, (i % 2) ? 0.25 : 2);
    }
    return NULL;
}

static void
test_concurrent_updates_sum (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    const double buckets[] = { 1 };
    s_targets_t targets = {
        cj_metrics_counter (m, "c_total", "C", NULL),
        cj_metrics_gauge (m, "g", "G", NULL),
        cj_metrics_histogram (m, "h", "H", buckets, 1, NULL),
    };
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_create (&threads[i], NULL, s_update_thread, &targets), 0);
    for (int i = 0; i < 20; i++)   /* scrapes while the threads update */
        free (cj_metrics_render (m));
    for (int i = 0; i < 2; i++)
        pthread_join (threads[i], NULL);

    assert_int_equal (cj_counter_value (targets.counter), 2 * s_ROUNDS);
    assert_true (cj_gauge_value (targets.gauge) == s_ROUNDS);
    assert_int_equal (cj_histogram_count (targets.histogram), 2 * s_ROUNDS);
    char *text = cj_metrics_render (m);
    char expected[512];
    snprintf (expected, sizeof expected,
              "h_bucket{le=\"1\"} %d\nh_bucket{le=\"+Inf\"} %d\nh_sum %d\nh_count %d\n",
              s_ROUNDS, 2 * s_ROUNDS, (int) (s_ROUNDS * 0.25 + s_ROUNDS * 2), 2 * s_ROUNDS);
    assert_non_null (strstr (text, expected));
    free (text);
    cj_metrics_destroy (&m);
}

/*  ---------------------------------------------------------------------------------------
 *  HTTP endpoint
 */

typedef struct {
    int  status;
    char head[2048];
    char body[16384];
} s_reply_t;

/*  Sends 'request' (a complete HTTP/1.1 request) to 127.0.0.1:'port', reads the reply to
 *  EOF and splits it into status code, head and body.  */
static void
s_http (int port, const char *request, s_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct timeval timeout = { .tv_sec = 5 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    size_t len = strlen (request);
    assert_int_equal (send (fd, request, len, MSG_NOSIGNAL), (ssize_t) len);

    static char raw[sizeof reply->head + sizeof reply->body];
    size_t used = 0;
    ssize_t n;
    while (used < sizeof raw - 1 && (n = recv (fd, raw + used, sizeof raw - 1 - used, 0)) > 0)
        used += (size_t) n;
    close (fd);
    raw[used] = '\0';

    assert_int_equal (sscanf (raw, "HTTP/1.1 %d ", &reply->status), 1);
    char *end_of_head = strstr (raw, "\r\n\r\n");
    assert_non_null (end_of_head);
    size_t head_len = (size_t) (end_of_head - raw);
    assert_true (head_len < sizeof reply->head);
    memcpy (reply->head, raw, head_len);
    snprintf (reply->body, sizeof reply->body, "%s", end_of_head + 4);
}

static void
s_get (int port, const char *method, const char *path, s_reply_t *reply)
{
    char request[256];
    snprintf (request, sizeof request,
              "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, path);
    s_http (port, request, reply);
}

static void
test_http_endpoints (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    cj_counter_add (cj_metrics_counter (m, "chejian_requests_total", "Requests", NULL), 7);
    cj_http_t *http = cj_http_start (m, "127.0.0.1", 0, 1);
    assert_non_null (http);
    int port = cj_http_port (http);
    assert_true (port > 0 && port < 65536);
    static s_reply_t reply;

    s_get (port, "GET", "/metrics", &reply);
    assert_int_equal (reply.status, 200);
    assert_non_null (strstr (reply.head, "Content-Type: text/plain; version=0.0.4"));
    assert_string_equal (reply.body,
        "# HELP chejian_requests_total Requests\n"
        "# TYPE chejian_requests_total counter\n"
        "chejian_requests_total 7\n");

    s_get (port, "HEAD", "/metrics", &reply);
    assert_int_equal (reply.status, 200);
    assert_non_null (strstr (reply.head, "Content-Type: text/plain; version=0.0.4"));
    assert_string_equal (reply.body, "");

    s_get (port, "GET", "/healthz", &reply);
    assert_int_equal (reply.status, 200);
    assert_non_null (strstr (reply.head, "Content-Type: text/plain"));
    assert_string_equal (reply.body, "ok");

    s_get (port, "GET", "/readyz", &reply);
    assert_int_equal (reply.status, 503);
    assert_string_equal (reply.body, "starting");
    cj_http_set_ready (http, false, "redis unreachable");
    s_get (port, "GET", "/readyz", &reply);
    assert_int_equal (reply.status, 503);
    assert_string_equal (reply.body, "redis unreachable");
    cj_http_set_ready (http, true, NULL);
    s_get (port, "GET", "/readyz", &reply);
    assert_int_equal (reply.status, 200);
    assert_string_equal (reply.body, "ready");
    cj_http_set_ready (http, false, NULL);
    s_get (port, "GET", "/readyz", &reply);
    assert_int_equal (reply.status, 503);
    assert_string_equal (reply.body, "not ready");

    s_get (port, "GET", "/nope", &reply);
    assert_int_equal (reply.status, 404);
    assert_string_equal (reply.body, "not found");

    s_http (port, "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  "Content-Length: 3\r\n\r\nx=1", &reply);
    assert_int_equal (reply.status, 405);
    assert_non_null (strstr (reply.head, "Allow: GET, HEAD"));
    s_get (port, "DELETE", "/healthz", &reply);
    assert_int_equal (reply.status, 405);

    /*  No tick for more than stall_seconds: stalled; a tick makes it healthy again.  */
    usleep (1300 * 1000);
    s_get (port, "GET", "/healthz", &reply);
    assert_int_equal (reply.status, 503);
    assert_string_equal (reply.body, "stalled");
    cj_http_tick (http);
    s_get (port, "GET", "/healthz", &reply);
    assert_int_equal (reply.status, 200);

    cj_http_stop (&http);
    assert_null (http);
    cj_http_stop (&http);
    cj_metrics_destroy (&m);
}

static void
test_http_start_rejects_bad_arguments (void **state)
{
    (void) state;
    cj_metrics_t *m = cj_metrics_new ();
    assert_null (cj_http_start (m, "localhost", 0, 1));
    assert_null (cj_http_start (m, "127.0.0.1", 70000, 1));
    assert_null (cj_http_start (m, "127.0.0.1", 0, 0));
    /*  A port already taken.  */
    cj_http_t *first = cj_http_start (m, "127.0.0.1", 0, 5);
    assert_non_null (first);
    assert_null (cj_http_start (m, "127.0.0.1", cj_http_port (first), 5));
    cj_http_stop (&first);
    cj_metrics_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counter_renders_with_escaped_labels),
        cmocka_unit_test (test_gauge_values_render_like_prometheus),
        cmocka_unit_test (test_histogram_renders_cumulative_buckets),
        cmocka_unit_test (test_histogram_default_buckets),
        cmocka_unit_test (test_same_labels_same_child),
        cmocka_unit_test (test_conflicts_and_bad_names_return_null),
        cmocka_unit_test (test_empty_registry_renders_empty),
        cmocka_unit_test (test_concurrent_updates_sum),
        cmocka_unit_test (test_http_endpoints),
        cmocka_unit_test (test_http_start_rejects_bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
