/*  metrics.c - see metrics.h.
 *
 *  The registry is a list of families in registration order, each with a list of children
 *  (one per distinct label-value tuple) in registration order. Both lists only grow, under
 *  'lock'; rendering walks them under the same lock. Updates touch only the child's atomics.
 */
#include "chejian/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/*  Limits on what one registration may ask for. Label values can come from data a peer sent,
 *  so they, and the number of children per family, are bounded.  */
#define s_MAX_LABELS        16
#define s_MAX_LABEL_VALUE   1024
#define s_MAX_CHILDREN      10000
#define s_MAX_BUCKETS       64

#define s_HTTP_CONNECTIONS  32
#define s_HTTP_TIMEOUT_S    10
#define s_READY_REASON_MAX  256

typedef enum { s_COUNTER, s_GAUGE, s_HISTOGRAM } s_type_t;

static const char *s_type_names[] = { "counter", "gauge", "histogram" };

static const double s_default_buckets[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1, 2.5, 5, 10,
};

struct cj_counter_t {
    _Atomic uint64_t value;
};

/*  The double's bits, so that set and add (a CAS loop) stay lock-free.  */
struct cj_gauge_t {
    _Atomic uint64_t bits;
};

struct cj_histogram_t {
    const double    *bounds;     /* the family's upper bounds */
    size_t           nbounds;
    _Atomic uint64_t sum_bits;   /* double bits */
    _Atomic uint64_t counts[];   /* nbounds + 1 per-bucket (not cumulative) counts */
};

typedef struct s_child {
    struct s_child *next;
    char          **label_values;
    union {
        cj_counter_t counter;
        cj_gauge_t   gauge;
    } u;
    cj_histogram_t *histogram;
} s_child_t;

typedef struct s_family {
    struct s_family *next;
    char            *name;
    char            *help;
    s_type_t         type;
    size_t           nlabels;
    char           **label_names;
    double          *bounds;     /* histograms only */
    size_t           nbounds;
    size_t           nchildren;
    s_child_t       *children;
    s_child_t      **children_tail;
} s_family_t;

struct cj_metrics_t {
    pthread_mutex_t lock;
    s_family_t     *families;
    s_family_t    **families_tail;
};

/*  Label pairs collected from the variadic tail of a registration call.  */
typedef struct {
    size_t      count;
    const char *names[s_MAX_LABELS];
    const char *values[s_MAX_LABELS];
} s_labels_t;

static uint64_t
s_double_bits (double value)
{
    uint64_t bits;
    memcpy (&bits, &value, sizeof bits);
    return bits;
}

static double
s_bits_double (uint64_t bits)
{
    double value;
    memcpy (&value, &bits, sizeof value);
    return value;
}

static void
s_atomic_double_add (_Atomic uint64_t *bits, double delta)
{
    uint64_t old = atomic_load_explicit (bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit (bits, &old,
                                                   s_double_bits (s_bits_double (old) + delta),
                                                   memory_order_relaxed, memory_order_relaxed))
        ;
}

/*  Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names the same without ':', and
 *  never start with "__" (reserved by Prometheus).  */
static bool
s_name_valid (const char *name, bool allow_colon)
{
    if (!name || !*name || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '_' || (allow_colon && c == ':');
        if (!ok)
            return false;
    }
    return true;
}

/*  Reads (name, value) pairs up to the NULL sentinel into 'ret_labels', validating the names
 *  (no duplicates; "le" is reserved for histograms) and bounding the values.  */
static int
s_labels_collect (va_list args, s_type_t type, s_labels_t *ret_labels)
{
    s_labels_t labels = { 0 };
    const char *name;
    while ((name = va_arg (args, const char *)) != NULL) {
        const char *value = va_arg (args, const char *);
        if (!value || labels.count == s_MAX_LABELS)
            return -1;
        if (!s_name_valid (name, false) || strncmp (name, "__", 2) == 0
            || (type == s_HISTOGRAM && strcmp (name, "le") == 0)
            || strlen (value) > s_MAX_LABEL_VALUE)
            return -1;
        for (size_t i = 0; i < labels.count; i++)
            if (strcmp (labels.names[i], name) == 0)
                return -1;
        labels.names[labels.count] = name;
        labels.values[labels.count] = value;
        labels.count++;
    }
    *ret_labels = labels;
    return 0;
}

static void
s_strv_free (char **strv, size_t count)
{
    if (!strv)
        return;
    for (size_t i = 0; i < count; i++)
        free (strv[i]);
    free (strv);
}

static char **
s_strv_dup (const char *const *strv, size_t count)
{
    char **copy = calloc (count ? count : 1, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        copy[i] = strdup (strv[i]);
        if (!copy[i]) {
            s_strv_free (copy, i);
            return NULL;
        }
    }
    return copy;
}

static void
s_child_free (s_child_t *child, size_t nlabels)
{
    s_strv_free (child->label_values, nlabels);
    free (child->histogram);
    free (child);
}

static void
s_family_free (s_family_t *family)
{
    s_child_t *child = family->children;
    while (child) {
        s_child_t *next = child->next;
        s_child_free (child, family->nlabels);
        child = next;
    }
    s_strv_free (family->label_names, family->nlabels);
    free (family->bounds);
    free (family->help);
    free (family->name);
    free (family);
}

cj_metrics_t *
cj_metrics_new (void)
{
    cj_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (pthread_mutex_init (&self->lock, NULL) != 0) {
        free (self);
        return NULL;
    }
    self->families_tail = &self->families;
    return self;
}

void
cj_metrics_destroy (cj_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_metrics_t *self = *self_p;
    s_family_t *family = self->families;
    while (family) {
        s_family_t *next = family->next;
        s_family_free (family);
        family = next;
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static s_family_t *
s_family_find (cj_metrics_t *self, const char *name)
{
    for (s_family_t *family = self->families; family; family = family->next)
        if (strcmp (family->name, name) == 0)
            return family;
    return NULL;
}

/*  True when an existing 'family' has the type, label names (in order) and bucket bounds
 *  of a new registration.  */
static bool
s_family_matches (const s_family_t *family, s_type_t type, const s_labels_t *labels,
                  const double *bounds, size_t nbounds)
{
    if (family->type != type || family->nlabels != labels->count)
        return false;
    for (size_t i = 0; i < labels->count; i++)
        if (strcmp (family->label_names[i], labels->names[i]) != 0)
            return false;
    if (type != s_HISTOGRAM)
        return true;
    return family->nbounds == nbounds
           && memcmp (family->bounds, bounds, nbounds * sizeof *bounds) == 0;
}

static s_family_t *
s_family_new (const char *name, const char *help, s_type_t type, const s_labels_t *labels,
              const double *bounds, size_t nbounds)
{
    s_family_t *family = calloc (1, sizeof *family);
    if (!family)
        return NULL;
    family->type = type;
    family->nlabels = labels->count;
    family->nbounds = nbounds;
    family->children_tail = &family->children;
    family->name = strdup (name);
    family->help = strdup (help ? help : "");
    family->label_names = s_strv_dup (labels->names, labels->count);
    if (type == s_HISTOGRAM) {
        family->bounds = malloc (nbounds * sizeof *bounds);
        if (family->bounds)
            memcpy (family->bounds, bounds, nbounds * sizeof *bounds);
    }
    if (!family->name || !family->help || !family->label_names
        || (type == s_HISTOGRAM && !family->bounds)) {
        s_family_free (family);
        return NULL;
    }
    return family;
}

static s_child_t *
s_child_find (const s_family_t *family, const s_labels_t *labels)
{
    for (s_child_t *child = family->children; child; child = child->next) {
        size_t i = 0;
        while (i < labels->count && strcmp (child->label_values[i], labels->values[i]) == 0)
            i++;
        if (i == labels->count)
            return child;
    }
    return NULL;
}

static s_child_t *
s_child_new (const s_family_t *family, const s_labels_t *labels)
{
    s_child_t *child = calloc (1, sizeof *child);
    if (!child)
        return NULL;
    child->label_values = s_strv_dup (labels->values, labels->count);
    if (!child->label_values)
        goto fail_free_child;
    if (family->type == s_HISTOGRAM) {
        size_t counts = family->nbounds + 1;
        child->histogram = calloc (1, sizeof *child->histogram
                                      + counts * sizeof child->histogram->counts[0]);
        if (!child->histogram)
            goto fail_free_child;
        child->histogram->bounds = family->bounds;
        child->histogram->nbounds = family->nbounds;
        for (size_t i = 0; i < counts; i++)
            atomic_init (&child->histogram->counts[i], 0);
        atomic_init (&child->histogram->sum_bits, s_double_bits (0.0));
    }
    else
    if (family->type == s_GAUGE)
        atomic_init (&child->u.gauge.bits, s_double_bits (0.0));
    else
        atomic_init (&child->u.counter.value, 0);
    return child;

fail_free_child:
    s_child_free (child, labels->count);
    return NULL;
}

/*  Finds or creates the family 'name' and its child for 'labels', under the registry lock.
 *  Returns NULL on a conflicting redeclaration, a full family or allocation failure.  */
static s_child_t *
s_register (cj_metrics_t *self, const char *name, const char *help, s_type_t type,
            const s_labels_t *labels, const double *bounds, size_t nbounds)
{
    s_child_t *child = NULL;
    pthread_mutex_lock (&self->lock);
    s_family_t *family = s_family_find (self, name);
    if (family && !s_family_matches (family, type, labels, bounds, nbounds))
        goto done;
    if (!family) {
        family = s_family_new (name, help, type, labels, bounds, nbounds);
        if (!family)
            goto done;
        *self->families_tail = family;
        self->families_tail = &family->next;
    }
    child = s_child_find (family, labels);
    if (child || family->nchildren == s_MAX_CHILDREN)
        goto done;
    child = s_child_new (family, labels);
    if (child) {
        *family->children_tail = child;
        family->children_tail = &child->next;
        family->nchildren++;
    }
done:
    pthread_mutex_unlock (&self->lock);
    return child;
}

/*  Validates 'name' and the label pairs in 'args', then registers. Histogram 'bounds' must
 *  already be checked.  */
static s_child_t *
s_register_va (cj_metrics_t *self, const char *name, const char *help, s_type_t type,
               const double *bounds, size_t nbounds, va_list args)
{
    s_labels_t labels;
    if (!self || !s_name_valid (name, true) || s_labels_collect (args, type, &labels) != 0)
        return NULL;
    return s_register (self, name, help, type, &labels, bounds, nbounds);
}

cj_counter_t *
cj_metrics_counter (cj_metrics_t *self, const char *name, const char *help, ...)
{
    va_list args;
    va_start (args, help);
    s_child_t *child = s_register_va (self, name, help, s_COUNTER, NULL, 0, args);
    va_end (args);
    return child ? &child->u.counter : NULL;
}

cj_gauge_t *
cj_metrics_gauge (cj_metrics_t *self, const char *name, const char *help, ...)
{
    va_list args;
    va_start (args, help);
    s_child_t *child = s_register_va (self, name, help, s_GAUGE, NULL, 0, args);
    va_end (args);
    return child ? &child->u.gauge : NULL;
}

/*  Bucket bounds must be finite and strictly increasing.  */
static bool
s_buckets_valid (const double *buckets, size_t nbuckets)
{
    if (nbuckets > s_MAX_BUCKETS)
        return false;
    for (size_t i = 0; i < nbuckets; i++)
        if (!isfinite (buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1])))
            return false;
    return true;
}

cj_histogram_t *
cj_metrics_histogram (cj_metrics_t *self, const char *name, const char *help,
                      const double *buckets, size_t nbuckets, ...)
{
    if (!buckets || nbuckets == 0) {
        buckets = s_default_buckets;
        nbuckets = sizeof s_default_buckets / sizeof s_default_buckets[0];
    }
    if (!s_buckets_valid (buckets, nbuckets))
        return NULL;
    va_list args;
    va_start (args, nbuckets);
    s_child_t *child = s_register_va (self, name, help, s_HISTOGRAM, buckets, nbuckets, args);
    va_end (args);
    return child ? child->histogram : NULL;
}

void
cj_counter_add (cj_counter_t *self, uint64_t n)
{
    if (self)
        atomic_fetch_add_explicit (&self->value, n, memory_order_relaxed);
}

uint64_t
cj_counter_value (const cj_counter_t *self)
{
    return self ? atomic_load_explicit (&self->value, memory_order_relaxed) : 0;
}

void
cj_gauge_set (cj_gauge_t *self, double value)
{
    if (self)
        atomic_store_explicit (&self->bits, s_double_bits (value), memory_order_relaxed);
}

void
cj_gauge_add (cj_gauge_t *self, double delta)
{
    if (self)
        s_atomic_double_add (&self->bits, delta);
}

double
cj_gauge_value (const cj_gauge_t *self)
{
    return self ? s_bits_double (atomic_load_explicit (&self->bits, memory_order_relaxed))
                : 0.0;
}

void
cj_histogram_observe (cj_histogram_t *self, double value)
{
    if (!self)
        return;
    size_t bucket = 0;   /* first bound >= value; NaN falls through to +Inf */
    while (bucket < self->nbounds && !(value <= self->bounds[bucket]))
        bucket++;
    atomic_fetch_add_explicit (&self->counts[bucket], 1, memory_order_relaxed);
    s_atomic_double_add (&self->sum_bits, value);
}

uint64_t
cj_histogram_count (const cj_histogram_t *self)
{
    if (!self)
        return 0;
    uint64_t count = 0;
    for (size_t i = 0; i <= self->nbounds; i++)
        count += atomic_load_explicit (&self->counts[i], memory_order_relaxed);
    return count;
}

/*  ---------------------------------------------------------------------------------------
 *  Text exposition
 */

typedef struct {
    char  *data;
    size_t len;
    size_t cap;
    bool   failed;
} s_buf_t;

static bool
s_buf_reserve (s_buf_t *buf, size_t extra)
{
    if (buf->failed)
        return false;
    if (buf->len + extra + 1 <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < buf->len + extra + 1)
        cap *= 2;
    char *data = realloc (buf->data, cap);
    if (!data) {
        buf->failed = true;
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

static void
s_buf_append (s_buf_t *buf, const char *text, size_t len)
{
    if (!s_buf_reserve (buf, len))
        return;
    memcpy (buf->data + buf->len, text, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

static void
s_buf_puts (s_buf_t *buf, const char *text)
{
    s_buf_append (buf, text, strlen (text));
}

/*  Appends 'text' with backslash and newline escaped, and double quotes too when 'quotes'
 *  (label values escape all three, HELP text only the first two).  */
static void
s_buf_escaped (s_buf_t *buf, const char *text, bool quotes)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            s_buf_append (buf, "\\\\", 2);
        else
        if (*p == '\n')
            s_buf_append (buf, "\\n", 2);
        else
        if (*p == '"' && quotes)
            s_buf_append (buf, "\\\"", 2);
        else
            s_buf_append (buf, p, 1);
    }
}

/*  Formats 'value' the way Prometheus writes floats: "+Inf", "-Inf", "NaN", integers without
 *  a fraction ("3"), and otherwise the shortest %g form that reads back to the same double
 *  ("0.005", "1e-05").  */
static void
s_format_double (char *out, size_t size, double value)
{
    if (isnan (value)) {
        snprintf (out, size, "NaN");
        return;
    }
    if (isinf (value)) {
        snprintf (out, size, value > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf (out, size, "%.*g", precision, value);
        if (strtod (out, NULL) == value)
            return;
    }
}

static void
s_buf_double (s_buf_t *buf, double value)
{
    char text[40];
    s_format_double (text, sizeof text, value);
    s_buf_puts (buf, text);
}

static void
s_buf_uint (s_buf_t *buf, uint64_t value)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRIu64, value);
    s_buf_puts (buf, text);
}

/*  Appends "<name><suffix>{labels[,le="..."]} " for one sample of 'child'.  */
static void
s_render_sample_head (s_buf_t *buf, const s_family_t *family, const s_child_t *child,
                      const char *suffix, const char *le)
{
    s_buf_puts (buf, family->name);
    s_buf_puts (buf, suffix);
    if (family->nlabels > 0 || le) {
        s_buf_puts (buf, "{");
        for (size_t i = 0; i < family->nlabels; i++) {
            if (i > 0)
                s_buf_puts (buf, ",");
            s_buf_puts (buf, family->label_names[i]);
            s_buf_puts (buf, "=\"");
            s_buf_escaped (buf, child->label_values[i], true);
            s_buf_puts (buf, "\"");
        }
        if (le) {
            s_buf_puts (buf, family->nlabels > 0 ? ",le=\"" : "le=\"");
            s_buf_puts (buf, le);
            s_buf_puts (buf, "\"");
        }
        s_buf_puts (buf, "}");
    }
    s_buf_puts (buf, " ");
}

static void
s_render_histogram (s_buf_t *buf, const s_family_t *family, const s_child_t *child)
{
    const cj_histogram_t *histogram = child->histogram;
    uint64_t cumulative = 0;
    char le[40];
    for (size_t i = 0; i <= histogram->nbounds; i++) {
        cumulative += atomic_load_explicit (&histogram->counts[i], memory_order_relaxed);
        s_format_double (le, sizeof le, i < histogram->nbounds ? histogram->bounds[i] : INFINITY);
        s_render_sample_head (buf, family, child, "_bucket", le);
        s_buf_uint (buf, cumulative);
        s_buf_puts (buf, "\n");
    }
    s_render_sample_head (buf, family, child, "_sum", NULL);
    s_buf_double (buf, s_bits_double (atomic_load_explicit (&histogram->sum_bits,
                                                            memory_order_relaxed)));
    s_buf_puts (buf, "\n");
    /*  The count is the +Inf bucket, so the two always agree in one scrape.  */
    s_render_sample_head (buf, family, child, "_count", NULL);
    s_buf_uint (buf, cumulative);
    s_buf_puts (buf, "\n");
}

static void
s_render_family (s_buf_t *buf, const s_family_t *family)
{
    if (*family->help) {
        s_buf_puts (buf, "# HELP ");
        s_buf_puts (buf, family->name);
        s_buf_puts (buf, " ");
        s_buf_escaped (buf, family->help, false);
        s_buf_puts (buf, "\n");
    }
    s_buf_puts (buf, "# TYPE ");
    s_buf_puts (buf, family->name);
    s_buf_puts (buf, " ");
    s_buf_puts (buf, s_type_names[family->type]);
    s_buf_puts (buf, "\n");
    for (const s_child_t *child = family->children; child; child = child->next) {
        if (family->type == s_HISTOGRAM) {
            s_render_histogram (buf, family, child);
            continue;
        }
        s_render_sample_head (buf, family, child, "", NULL);
        if (family->type == s_COUNTER)
            s_buf_uint (buf, cj_counter_value (&child->u.counter));
        else
            s_buf_double (buf, cj_gauge_value (&child->u.gauge));
        s_buf_puts (buf, "\n");
    }
}

char *
cj_metrics_render (cj_metrics_t *self)
{
    if (!self)
        return NULL;
    s_buf_t buf = { 0 };
    s_buf_reserve (&buf, 0);   /* an empty registry renders as "" */
    pthread_mutex_lock (&self->lock);
    for (const s_family_t *family = self->families; family; family = family->next)
        s_render_family (&buf, family);
    pthread_mutex_unlock (&self->lock);
    if (buf.failed) {
        free (buf.data);
        return NULL;
    }
    buf.data[buf.len] = '\0';
    return buf.data;
}

/*  ---------------------------------------------------------------------------------------
 *  HTTP endpoint
 */

struct cj_http_t {
    cj_metrics_t       *metrics;
    struct MHD_Daemon  *daemon;
    int                 port;
    int                 stall_seconds;
    _Atomic int64_t     last_tick_ms;       /* CLOCK_MONOTONIC */
    atomic_bool         ready;
    pthread_mutex_t     reason_lock;
    char                reason[s_READY_REASON_MAX];
};

static int64_t
s_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  Queues one response with 'status', 'content_type' and 'body' ('body_len' bytes, freed by
 *  libmicrohttpd when 'owned', copied otherwise).  */
static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status, const char *content_type,
           char *body, size_t body_len, bool owned)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        body_len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!response) {
        if (owned)
            free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_respond_text (struct MHD_Connection *connection, unsigned int status, const char *text)
{
    return s_respond (connection, status, "text/plain; charset=utf-8", (char *) text,
                      strlen (text), false);
}

static enum MHD_Result
s_serve_metrics (cj_http_t *self, struct MHD_Connection *connection)
{
    char *text = cj_metrics_render (self->metrics);
    if (!text)
        return s_respond_text (connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return s_respond (connection, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                      text, strlen (text), true);
}

static enum MHD_Result
s_serve_healthz (cj_http_t *self, struct MHD_Connection *connection)
{
    int64_t idle_ms = s_monotonic_ms ()
                      - atomic_load_explicit (&self->last_tick_ms, memory_order_relaxed);
    if (idle_ms > (int64_t) self->stall_seconds * 1000)
        return s_respond_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE, "stalled");
    return s_respond_text (connection, MHD_HTTP_OK, "ok");
}

static enum MHD_Result
s_serve_readyz (cj_http_t *self, struct MHD_Connection *connection)
{
    char reason[s_READY_REASON_MAX];
    pthread_mutex_lock (&self->reason_lock);
    bool ready = atomic_load (&self->ready);
    memcpy (reason, self->reason, sizeof reason);
    pthread_mutex_unlock (&self->reason_lock);
    if (ready)
        return s_respond_text (connection, MHD_HTTP_OK, "ready");
    return s_respond_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                           *reason ? reason : "not ready");
}

typedef enum MHD_Result (*s_route_fn) (cj_http_t *self, struct MHD_Connection *connection);

static const struct {
    const char *path;
    s_route_fn  serve;
} s_routes[] = {
    { "/metrics", s_serve_metrics },
    { "/healthz", s_serve_healthz },
    { "/readyz",  s_serve_readyz },
};

/*  libmicrohttpd's access handler. Every route answers on the first call, before any
 *  request body is read; a body is never wanted.  */
static enum MHD_Result
s_handle_request (void *cls, struct MHD_Connection *connection, const char *url,
                  const char *method, const char *version, const char *upload_data,
                  size_t *upload_data_size, void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) con_cls;
    cj_http_t *self = cls;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++) {
        if (strcmp (url, s_routes[i].path) != 0)
            continue;
        if (strcmp (method, MHD_HTTP_METHOD_GET) != 0
            && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
            return s_respond_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                                   "method not allowed");
        return s_routes[i].serve (self, connection);
    }
    return s_respond_text (connection, MHD_HTTP_NOT_FOUND, "not found");
}

cj_http_t *
cj_http_start (cj_metrics_t *metrics, const char *bind_addr, int port, int stall_seconds)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (!metrics || !bind_addr || port < 0 || port > 65535 || stall_seconds <= 0
        || inet_pton (AF_INET, bind_addr, &addr.sin_addr) != 1) {
        errno = EINVAL;
        return NULL;
    }
    cj_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    int err = pthread_mutex_init (&self->reason_lock, NULL);
    if (err != 0)
        goto fail_free_self;
    self->metrics = metrics;
    self->stall_seconds = stall_seconds;
    atomic_init (&self->last_tick_ms, s_monotonic_ms ());
    atomic_init (&self->ready, false);
    snprintf (self->reason, sizeof self->reason, "starting");

    errno = 0;
    self->daemon = MHD_start_daemon (
        MHD_USE_AUTO_INTERNAL_THREAD, (uint16_t) port, NULL, NULL, s_handle_request, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) s_HTTP_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) s_HTTP_TIMEOUT_S,
        MHD_OPTION_END);
    if (!self->daemon) {
        err = errno ? errno : EIO;
        goto fail_destroy_lock;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0) {
        err = EIO;
        goto fail_stop_daemon;
    }
    self->port = info->port;
    return self;

fail_stop_daemon:
    MHD_stop_daemon (self->daemon);
fail_destroy_lock:
    pthread_mutex_destroy (&self->reason_lock);
fail_free_self:
    free (self);
    errno = err;
    return NULL;
}

void
cj_http_stop (cj_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_http_t *self = *self_p;
    MHD_stop_daemon (self->daemon);
    pthread_mutex_destroy (&self->reason_lock);
    free (self);
    *self_p = NULL;
}

int
cj_http_port (const cj_http_t *self)
{
    return self ? self->port : -1;
}

void
cj_http_tick (cj_http_t *self)
{
    if (self)
        atomic_store_explicit (&self->last_tick_ms, s_monotonic_ms (), memory_order_relaxed);
}

void
cj_http_set_ready (cj_http_t *self, bool ready, const char *reason)
{
    if (!self)
        return;
    pthread_mutex_lock (&self->reason_lock);
    snprintf (self->reason, sizeof self->reason, "%s", reason ? reason : "");
    atomic_store (&self->ready, ready);
    pthread_mutex_unlock (&self->reason_lock);
}
