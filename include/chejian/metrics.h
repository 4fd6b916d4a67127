/*  metrics.h - counters, gauges and histograms with labels, Prometheus text exposition, and
 *  the HTTP endpoint (/metrics, /healthz, /readyz) served by libmicrohttpd's own thread.
 *
 *  Registration (cj_metrics_counter & co.) takes a lock and may allocate; do it once and keep
 *  the returned pointer, which stays valid until the registry is destroyed. Updating a metric
 *  is lock-free (C11 atomics), so the service loop never waits for a scrape.
 *
 *  Label pairs are given as variadic (name, value) strings ending with NULL:
 *      cj_counter_t *c = cj_metrics_counter (m, "chejian_events_applied_total",
 *                                            "Events applied by this service",
 *                                            "subscription", "registry", "partition", "3", NULL);
 *  The same name with the same label values returns the same child. A name is one family
 *  with one type, help and label-name list; registering it again with a different type or
 *  label names (compared in order) returns NULL; so does a histogram with other buckets.
 *  The help text of the first registration is kept. Registration also returns NULL for an
 *  invalid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name ([a-zA-Z_][a-zA-Z0-9_]*, not
 *  "__*", not "le" on histograms), a repeated label name, more than 16 labels, a label value
 *  over 1024 bytes, more than 10000 children in one family, or allocation failure. The
 *  update functions accept NULL and do nothing, so a failed registration never crashes
 *  the loop.
 */
#ifndef CHEJIAN_METRICS_H
#define CHEJIAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cj_metrics_t   cj_metrics_t;
typedef struct cj_counter_t   cj_counter_t;
typedef struct cj_gauge_t     cj_gauge_t;
typedef struct cj_histogram_t cj_histogram_t;
typedef struct cj_http_t      cj_http_t;

cj_metrics_t *cj_metrics_new (void);
void          cj_metrics_destroy (cj_metrics_t **self_p);

cj_counter_t   *cj_metrics_counter (cj_metrics_t *self, const char *name, const char *help, ...)
                __attribute__ ((sentinel));
cj_gauge_t     *cj_metrics_gauge (cj_metrics_t *self, const char *name, const char *help, ...)
                __attribute__ ((sentinel));
/*  'buckets' are the upper bounds, finite and strictly increasing, at most 64 (the +Inf
 *  bucket is implicit); they are copied. NULL/0 means the default latency buckets in seconds:
 *  0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10.  */
cj_histogram_t *cj_metrics_histogram (cj_metrics_t *self, const char *name, const char *help,
                                      const double *buckets, size_t nbuckets, ...)
                __attribute__ ((sentinel));

void     cj_counter_add (cj_counter_t *self, uint64_t n);
uint64_t cj_counter_value (const cj_counter_t *self);
void     cj_gauge_set (cj_gauge_t *self, double value);
void     cj_gauge_add (cj_gauge_t *self, double delta);
double   cj_gauge_value (const cj_gauge_t *self);
void     cj_histogram_observe (cj_histogram_t *self, double value);
uint64_t cj_histogram_count (const cj_histogram_t *self);

/*  Renders every family in the Prometheus text format 0.0.4 (# HELP, # TYPE, samples with
 *  escaped label values; histograms as _bucket{le=...}, _sum, _count). Returns a malloc'd
 *  NUL-terminated string the caller frees, or NULL on allocation failure.  */
char *cj_metrics_render (cj_metrics_t *self);

/*  Starts the HTTP server on 'bind_addr' (IPv4 dotted quad, e.g. "127.0.0.1" or "0.0.0.0")
 *  and 'port' (0 = an ephemeral port; see cj_http_port). Serves:
 *    GET /metrics  200, text/plain; version=0.0.4
 *    GET /healthz  200 "ok" while the loop has called cj_http_tick within the last
 *                  'stall_seconds' (503 "stalled" otherwise)
 *    GET /readyz   200 "ready" after cj_http_set_ready (self, true, ...), else 503 with the
 *                  reason last given
 *  other paths 404, other methods 405 (with "Allow: GET, HEAD"); HEAD works wherever GET
 *  does. /healthz counts from the start until the first tick; /readyz starts 503 "starting".
 *  At most 32 connections, each closed after 10 s idle. 'metrics' must outlive the server.
 *  Returns NULL on failure with errno set (EINVAL for a bad address, port or
 *  'stall_seconds' <= 0).  */
cj_http_t *cj_http_start (cj_metrics_t *metrics, const char *bind_addr, int port,
                          int stall_seconds);
/*  Stops the server thread and frees 'self'; NULL-safe and idempotent.  */
void       cj_http_stop (cj_http_t **self_p);
int        cj_http_port (const cj_http_t *self);
void       cj_http_tick (cj_http_t *self);
/*  Called from the loop: cj_http_tick every iteration (cheap: one clock read and an atomic
 *  store); cj_http_set_ready when readiness changes. 'reason' (may be NULL) is copied,
 *  truncated to 255 bytes, and served as the 503 body ("not ready" when empty).  */
void       cj_http_set_ready (cj_http_t *self, bool ready, const char *reason);

#ifdef __cplusplus
}
#endif
#endif
