/*  test_bad_inputs.c - the bad-input catalogue (catalogue.jsonl) against the real system: the
 *  three services and the gateway as real processes (tests/support/test_system) on the
 *  fixture's redis-server, each case sent over CURVE through the gateway by its agency.
 *
 *  First the catalogue itself is checked (at least BI_MIN_CASES cases, unique names, known
 *  members and transforms); then setup.jsonl is sent (every line must be ACCEPTED; a
 *  NOT_YET_KNOWN refusal is retried while the services learn each other's events) and the
 *  consumers are let catch up; then Redis is checked to stand still on its own (two snapshots
 *  two seconds apart). Each case is then sent and passes when its Ack has the expected status
 *  (and original status), every expected {field, code} is among the problems, every problem
 *  has a message, and Redis after equals Redis before (bi_snapshot). A DUPLICATE of a setup
 *  command must also report the setup's sequence range.
 *
 *  Output: one line per failed case with what failed (status, fields and codes; never a
 *  problem's message, nor an ID or a name), the counts by body and by code, and
 *  "bad_inputs: N passed, M failed". BI_VERBOSE=1 in the environment prints every Ack.
 *  Usage: test_bad_inputs [DIR] (DIR holds catalogue.jsonl and setup.jsonl).  */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bi_case.h"
#include "bi_snapshot.h"
#include "chejian/client.h"
#include "chejian/store.h"
#include "test_support.h"
#include "test_system.h"

#define BI_MIN_CASES   60
#define BI_ACK_WAIT_MS 10000
#define BI_WHY         1024
#define BI_METRICS_MAX (1 << 20)

#ifndef BI_DIR
#define BI_DIR "."
#endif

/*  The agencies of the test's gateway. hrss may send everything, finance and the bank what
 *  their real counterparts send (docs/2026-11-23-gateway-cli.md); all only for 510822.  */
static const struct {
    const char *id, *may_send, *counties;
} s_agencies[] = {
    { "hrss-510822", "[\"*\"]", "[\"510822\"]" },
    { "finance-510822", "[\"top_up_fund\", \"allocate_fund\", \"confirm_payment\", "
                        "\"revoke_decision\", \"adjudicator.queries\"]", "[\"510822\"]" },
    { "bank-510822", "[\"apply_for_loan\", \"record_loan_disbursement\", "
                     "\"record_interest_accrual\", \"adjudicator.queries\"]", "[\"510822\"]" },
};
#define BI_AGENCIES (sizeof s_agencies / sizeof s_agencies[0])

typedef struct {
    cj_test_system_t sys;
    cj_store_t      *store;
    cj_client_t     *clients[BI_AGENCIES];
    json_t          *cases, *setup;
    json_t          *setup_seqs;      /* event_id -> [first_seq, last_seq] of the setup */
    json_t          *by_body, *by_code;
    bool             verbose;
} bi_t;

/*  ---- files ----  */

/*  Reads the JSON lines of 'path' into an array (blank lines skipped). Returns NULL after
 *  printing the line that does not parse.  */
static json_t *
s_load_lines (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        fprintf (stderr, "bad_inputs: cannot open %s: %s\n", path, strerror (errno));
        return NULL;
    }
    json_t *lines = json_array ();
    char *line = NULL;
    size_t cap = 0;
    int number = 0;
    while (lines && getline (&line, &cap, f) > 0) {
        number++;
        if (strspn (line, " \t\r\n") == strlen (line))
            continue;
        json_error_t error;
        json_t *value = json_loads (line, JSON_REJECT_DUPLICATES, &error);
        if (!value) {
            fprintf (stderr, "bad_inputs: %s:%d: %s\n", path, number, error.text);
            json_decref (lines);
            lines = NULL;
            break;
        }
        json_object_set_new (value, "_line", json_integer (number));
        json_array_append_new (lines, value);
    }
    free (line);
    fclose (f);
    return lines;
}

/*  The catalogue's own checks. Returns 0 when every case is well formed, names are unique and
 *  there are at least BI_MIN_CASES.  */
static int
s_check_catalogue (json_t *cases)
{
    int bad = 0;
    json_t *names = json_object (), *c;
    size_t i;
    json_array_foreach (cases, i, c) {
        char err[256] = "";
        json_t *copy = json_deep_copy (c);
        json_object_del (copy, "_line");
        const char *name = json_string_value (json_object_get (c, "name"));
        if (bi_case_check (copy, err, sizeof err) == 0 && json_object_get (names, name))
            snprintf (err, sizeof err, "name used twice");
        if (err[0]) {
            fprintf (stderr, "bad_inputs: catalogue.jsonl:%lld: %s\n",
                     (long long) json_integer_value (json_object_get (c, "_line")), err);
            bad++;
        }
        if (name)
            json_object_set_new (names, name, json_true ());
        json_decref (copy);
    }
    json_decref (names);
    if (json_array_size (cases) < BI_MIN_CASES) {
        fprintf (stderr, "bad_inputs: the catalogue has %zu cases; at least %d are required\n",
                 json_array_size (cases), BI_MIN_CASES);
        bad++;
    }
    return bad ? -1 : 0;
}

/*  ---- talking to the gateway ----  */

static cj_client_t *
s_client (bi_t *t, const char *agency)
{
    for (size_t i = 0; i < BI_AGENCIES; i++)
        if (strcmp (s_agencies[i].id, agency) == 0)
            return t->clients[i];
    return NULL;
}

/*  Sends 'bytes' and waits for the Ack of 'event_id' (or of "", the gateway's answer to bytes
 *  it cannot decode). Returns the Ack or NULL on timeout.  */
static cj_ack_t *
s_call (cj_client_t *client, const uint8_t *bytes, size_t len, const char *event_id)
{
    if (cj_client_send_bytes (client, bytes, len, 5000) != 0)
        return NULL;
    int64_t until = cj_test_now_ms () + BI_ACK_WAIT_MS;
    while (cj_test_now_ms () < until) {
        cj_ack_t *ack = cj_client_recv (client, (int) (until - cj_test_now_ms ()));
        if (!ack)
            return NULL;
        if (strcmp (ack->event_id, event_id) == 0 || ack->event_id[0] == '\0')
            return ack;
        cj_ack_free (&ack);   /* a late answer to an earlier case */
    }
    return NULL;
}

static bool
s_only_not_yet_known (const cj_ack_t *ack)
{
    if (ack->status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED || ack->n_problems == 0)
        return false;
    for (size_t i = 0; i < ack->n_problems; i++)
        if (strcmp (ack->problems[i]->code, "NOT_YET_KNOWN") != 0)
            return false;
    return true;
}

static void
s_print_ack (const char *label, const cj_ack_t *ack)
{
    fprintf (stderr, "  %s: %s", label, cj_ack_status_name (ack->status));
    if (ack->original_status)
        fprintf (stderr, " (original %s)", cj_ack_status_name (ack->original_status));
    for (size_t i = 0; i < ack->n_problems; i++)
        fprintf (stderr, "%s %s %s \"%s\"", i ? ";" : "", ack->problems[i]->field,
                 ack->problems[i]->code, ack->problems[i]->message);
    fprintf (stderr, "\n");
}

/*  Sends every setup line through its source's agency; each must be ACCEPTED (NOT_YET_KNOWN
 *  is retried for up to 20 s with the same envelope). Records each sequence range.  */
static int
s_run_setup (bi_t *t)
{
    json_t *line;
    size_t i;
    json_array_foreach (t->setup, i, line) {
        json_t *env = json_deep_copy (line);
        json_object_del (env, "_line");
        char err[256] = "";
        size_t len;
        uint8_t *bytes = bi_envelope_bytes (env, &len, err, sizeof err);
        const char *id = json_string_value (json_object_get (env, "eventId"));
        cj_client_t *client = s_client (t, json_string_value (json_object_get (env, "source")));
        cj_ack_t *ack = NULL;
        for (int64_t until = cj_test_now_ms () + 20000; bytes && id && client;) {
            ack = s_call (client, bytes, len, id);
            if (!ack || !s_only_not_yet_known (ack) || cj_test_now_ms () > until)
                break;
            cj_ack_free (&ack);
            usleep (200000);
        }
        bool ok = ack && ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
        if (ok)
            json_object_set_new (t->setup_seqs, id, json_pack ("[I,I]", (json_int_t) ack->first_seq,
                                                               (json_int_t) ack->last_seq));
        else {
            fprintf (stderr, "bad_inputs: setup.jsonl:%lld not accepted%s%s\n",
                     (long long) json_integer_value (json_object_get (line, "_line")),
                     err[0] ? ": " : "", err);
            if (ack)
                s_print_ack ("answer", ack);
        }
        cj_ack_free (&ack);
        free (bytes);
        json_decref (env);
        if (!ok)
            return -1;
    }
    return 0;
}

/*  Waits until every chejian_consumer_lag_events gauge of payroll and the adjudicator is 0.  */
static int
s_settle (bi_t *t, int timeout_ms)
{
    char *body = malloc (BI_METRICS_MAX);
    int64_t until = cj_test_now_ms () + timeout_ms;
    int rc = -1;
    while (body && rc != 0 && cj_test_now_ms () < until) {
        bool behind = false, seen = false;
        int ports[2] = { t->sys.pay.metrics, t->sys.adj.metrics };
        for (int k = 0; k < 2; k++) {
            if (cj_test_http_get (ports[k], "/metrics", body, BI_METRICS_MAX) != 200) {
                behind = true;
                continue;
            }
            const char *series = "\nchejian_consumer_lag_events{";
            for (char *at = strstr (body, series); at; at = strstr (at + 1, series)) {
                char *value = strchr (at, '}');
                seen = true;
                behind |= value && atof (value + 1) > 0;
            }
        }
        if (seen && !behind)
            rc = 0;
        else
            usleep (200000);
    }
    free (body);
    return rc;
}

/*  ---- one case ----  */

/*  Appends a printf-style note to 'why'.  */
static void __attribute__ ((format (printf, 3, 4)))
s_why (char *why, size_t size, const char *fmt, ...)
{
    size_t used = strlen (why);
    if (used + 2 >= size)
        return;
    if (used)
        used += (size_t) snprintf (why + used, size - used, "; ");
    va_list args;
    va_start (args, fmt);
    vsnprintf (why + used, size - used, fmt, args);
    va_end (args);
}

/*  Compares 'ack' with the case's "expect"; notes every difference in 'why'.  */
static void
s_check_ack (bi_t *t, const cj_ack_t *ack, const json_t *expect, const char *event_id,
             char *why, size_t size)
{
    const char *status = json_string_value (json_object_get (expect, "status"));
    const char *original = json_string_value (json_object_get (expect, "original_status"));
    if (strcmp (cj_ack_status_name (ack->status), status) != 0)
        s_why (why, size, "status %s, expected %s", cj_ack_status_name (ack->status), status);
    if (original && strcmp (cj_ack_status_name (ack->original_status), original) != 0)
        s_why (why, size, "original status %s, expected %s",
               cj_ack_status_name (ack->original_status), original);
    json_t *p, *seqs = json_object_get (t->setup_seqs, event_id);
    size_t i;
    json_array_foreach (json_object_get (expect, "problems"), i, p) {
        const char *field = json_string_value (json_object_get (p, "field"));
        const char *code = json_string_value (json_object_get (p, "code"));
        bool found = false;
        for (size_t k = 0; k < ack->n_problems && !found; k++)
            found = strcmp (ack->problems[k]->field, field) == 0
                    && strcmp (ack->problems[k]->code, code) == 0;
        if (!found)
            s_why (why, size, "no %s on '%s'", code, field);
    }
    for (size_t k = 0; k < ack->n_problems; k++)
        if (!ack->problems[k]->message || !ack->problems[k]->message[0])
            s_why (why, size, "problem %s on '%s' has no message", ack->problems[k]->code,
                   ack->problems[k]->field);
    if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED && ack->n_problems == 0)
        s_why (why, size, "rejected without a problem");
    if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE && seqs
        && ((json_int_t) ack->first_seq != json_integer_value (json_array_get (seqs, 0))
            || (json_int_t) ack->last_seq != json_integer_value (json_array_get (seqs, 1))))
        s_why (why, size, "duplicate reports seqs %llu..%llu, not the original's",
               (unsigned long long) ack->first_seq, (unsigned long long) ack->last_seq);
    if (why[0]) {
        char got[512] = "";
        for (size_t k = 0; k < ack->n_problems && strlen (got) < 400; k++)
            snprintf (got + strlen (got), sizeof got - strlen (got), "%s%s %s", k ? ", " : "",
                      ack->problems[k]->field, ack->problems[k]->code);
        s_why (why, size, "got %s [%s]", cj_ack_status_name (ack->status), got);
    }
}

/*  Sends case 'c' ("times" times) and checks its Ack and Redis. Returns 0 when it passed;
 *  otherwise 'why' says what failed.  */
static int
s_run_case (bi_t *t, const json_t *c, char *why, size_t size)
{
    char err[256] = "", event_id[160];
    size_t len;
    uint8_t *bytes = bi_case_bytes (c, &len, event_id, sizeof event_id, err, sizeof err);
    cj_client_t *client = s_client (t, bi_case_agency (c));
    if (!bytes || !client) {
        s_why (why, size, "cannot build the case: %s", client ? err : "unknown agency");
        free (bytes);
        return -1;
    }
    json_int_t times = json_integer_value (json_object_get (c, "times"));
    for (json_int_t k = 0; k < (times ? times : 1) && !why[0]; k++) {
        bi_snapshot_t *before = bi_snapshot_take (t->store);
        cj_ack_t *ack = before ? s_call (client, bytes, len, event_id) : NULL;
        bi_snapshot_t *after = ack ? bi_snapshot_take (t->store) : NULL;
        if (!after)
            s_why (why, size, "%s", before && !ack ? "no answer" : "cannot read redis");
        else {
            if (t->verbose)
                s_print_ack (json_string_value (json_object_get (c, "name")), ack);
            s_check_ack (t, ack, json_object_get (c, "expect"), event_id, why, size);
            char diff[512];
            size_t changed = bi_snapshot_diff (before, after, diff, sizeof diff);
            if (changed)
                s_why (why, size, "redis changed: %zu keys (%s)", changed, diff);
            if (k > 0 && why[0])
                s_why (why, size, "(on sending it again)");
        }
        cj_ack_free (&ack);
        bi_snapshot_destroy (&before);
        bi_snapshot_destroy (&after);
    }
    free (bytes);
    return why[0] ? -1 : 0;
}

/*  ---- counts for the summary ----  */

static void
s_count (json_t *counts, const char *key)
{
    json_int_t n = json_integer_value (json_object_get (counts, key));
    json_object_set_new (counts, key, json_integer (n + 1));
}

/*  The body member of case 'c' ("registerWorker"), or what it sends instead.  */
static const char *
s_case_body (const json_t *c)
{
    static const char *header[] = { "eventId", "event_id", "source", "occurredAt", "occurred_at",
                                    "county", "traceId", "trace_id", "causationId",
                                    "causation_id", "causationSource", "causation_source" };
    const char *key;
    json_t *value;
    json_object_foreach (json_object_get (c, "send"), key, value) {
        bool is_header = false;
        for (size_t i = 0; i < sizeof header / sizeof *header; i++)
            is_header |= strcmp (key, header[i]) == 0;
        if (!is_header)
            return key;
    }
    return json_object_get (c, "send") ? "(no body)" : "(raw bytes)";
}

static void
s_print_counts (const char *title, json_t *counts)
{
    const char *key;
    json_t *n;
    fprintf (stderr, "%s:", title);
    json_object_foreach (counts, key, n)
        fprintf (stderr, " %s %lld,", key, (long long) json_integer_value (n));
    fprintf (stderr, "\n");
}

/*  ---- the run ----  */

static int
s_start (bi_t *t)
{
    char err[256];
    if (cj_test_system_init (&t->sys, "bad") != 0)
        return -1;
    cj_curve_keypair_t kp[BI_AGENCIES];
    for (size_t i = 0; i < BI_AGENCIES; i++)
        if (cj_test_system_add_agency (&t->sys, s_agencies[i].id, s_agencies[i].may_send,
                                       s_agencies[i].counties, &kp[i]) != 0)
            return -1;
    if (cj_test_system_start_all (&t->sys, true) != 0)
        return -1;
    for (size_t i = 0; i < BI_AGENCIES; i++) {
        t->clients[i] = cj_client_new_curve (NULL, t->sys.gw.router, &kp[i],
                                             t->sys.gateway.public_key);
        cj_curve_keypair_wipe (&kp[i]);
        if (!t->clients[i])
            return -1;
    }
    t->store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    return t->store ? 0 : -1;
}

/*  Two snapshots two seconds apart must be equal: what bi_snapshot leaves out is all that
 *  changes on its own.  */
static int
s_check_still (bi_t *t)
{
    bi_snapshot_t *a = bi_snapshot_take (t->store);
    sleep (2);
    bi_snapshot_t *b = bi_snapshot_take (t->store);
    char diff[512] = "";
    size_t changed = a && b ? bi_snapshot_diff (a, b, diff, sizeof diff) : 1;
    if (changed)
        fprintf (stderr, "bad_inputs: redis changes on its own (%zu keys: %s)\n", changed, diff);
    else
        fprintf (stderr, "bad_inputs: redis holds %zu keys and stands still\n",
                 bi_snapshot_size (a));
    bi_snapshot_destroy (&a);
    bi_snapshot_destroy (&b);
    return changed ? -1 : 0;
}

static int
s_run_cases (bi_t *t)
{
    int passed = 0, failed = 0;
    json_t *c, *p;
    size_t i, k;
    json_array_foreach (t->cases, i, c) {
        char why[BI_WHY] = "";
        const char *name = json_string_value (json_object_get (c, "name"));
        if (s_run_case (t, c, why, sizeof why) == 0)
            passed++;
        else {
            failed++;
            fprintf (stderr, "FAIL %s (catalogue.jsonl:%lld): %s\n", name,
                     (long long) json_integer_value (json_object_get (c, "_line")), why);
        }
        s_count (t->by_body, s_case_body (c));
        json_t *expect = json_object_get (c, "expect");
        if (json_array_size (json_object_get (expect, "problems")) == 0)
            s_count (t->by_code, json_string_value (json_object_get (expect, "status")));
        json_array_foreach (json_object_get (expect, "problems"), k, p)
            s_count (t->by_code, json_string_value (json_object_get (p, "code")));
    }
    s_print_counts ("cases by body", t->by_body);
    s_print_counts ("expected problems by code", t->by_code);
    printf ("bad_inputs: %d passed, %d failed\n", passed, failed);
    return failed ? -1 : 0;
}

/*  Stops every process with SIGTERM: each must exit 0 (a crash, or a sanitizer's report at
 *  exit, fails the test; the process's log says why).  */
static int
s_stop_all (bi_t *t)
{
    cj_test_proc_t *procs[] = { &t->sys.gw, &t->sys.adj, &t->sys.pay, &t->sys.reg };
    int rc = 0;
    for (size_t i = 0; i < sizeof procs / sizeof *procs; i++) {
        if (procs[i]->pid <= 0)
            continue;
        int code = cj_test_system_stop (procs[i], SIGTERM);
        if (code != 0) {
            fprintf (stderr, "bad_inputs: %s exited with %d (see %s)\n", procs[i]->name, code,
                     procs[i]->log);
            rc = -1;
        }
    }
    return rc;
}

int
main (int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : BI_DIR;
    char path[512];
    bi_t t;
    memset (&t, 0, sizeof t);
    t.verbose = getenv ("BI_VERBOSE") && strcmp (getenv ("BI_VERBOSE"), "1") == 0;
    snprintf (path, sizeof path, "%s/catalogue.jsonl", dir);
    t.cases = s_load_lines (path);
    snprintf (path, sizeof path, "%s/setup.jsonl", dir);
    t.setup = s_load_lines (path);
    if (!t.cases || !t.setup || s_check_catalogue (t.cases) != 0)
        return 1;
    t.setup_seqs = json_object ();
    t.by_body = json_object ();
    t.by_code = json_object ();
    int64_t started = cj_test_now_ms ();
    int rc = 1;
    if (!cj_test_redis_url ())
        fprintf (stderr, "bad_inputs: the redis fixture is not running\n");
    else if (s_start (&t) != 0)
        fprintf (stderr, "bad_inputs: cannot start the system (logs: %s)\n", t.sys.gw.log);
    else if (s_run_setup (&t) == 0 && s_settle (&t, 30000) == 0 && s_check_still (&t) == 0) {
        fprintf (stderr, "bad_inputs: setup of %zu commands done in %lld ms\n",
                 json_array_size (t.setup), (long long) (cj_test_now_ms () - started));
        rc = s_run_cases (&t) == 0 ? 0 : 1;
    }
    for (size_t i = 0; i < BI_AGENCIES; i++)
        cj_client_destroy (&t.clients[i]);
    if (s_stop_all (&t) != 0)
        rc = 1;
    fprintf (stderr, "bad_inputs: %lld ms in all\n", (long long) (cj_test_now_ms () - started));
    cj_store_destroy (&t.store);
    cj_test_system_fini (&t.sys);
    json_decref (t.cases);
    json_decref (t.setup);
    json_decref (t.setup_seqs);
    json_decref (t.by_body);
    json_decref (t.by_code);
    return rc;
}
