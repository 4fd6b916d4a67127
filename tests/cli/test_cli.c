/*  test_cli.c - the real `chejian` binary against the real services (registry, payroll,
 *  adjudicator) and the fixture's redis-server.
 *
 *  `test_cli plain`: plain TCP, each service's bodies to its ROUTER (CHEJIAN_*_ENDPOINT).
 *  `test_cli gateway`: everything through chejian-gateway over CURVE, as an agency with
 *  may_send ["*"] and counties ["*"] whose key files the test writes.
 *
 *  Proves: a small county imported from tests/cli/data is accepted whole; importing it again
 *  is all DUPLICATE and leaves every Redis key (but leases and dedup records) byte for byte
 *  the same; status waits until ready and caught up (lag 0); query and report print the
 *  figures of the data; events returns the registry's events with increasing seq, filtered
 *  by type; bad CSV rows are rejected with their file:line (a wage report's problem on the
 *  line of the wage line), and no resident ID or name is printed; publish reports a bad
 *  line with its number and exits 1, and a re-run is DUPLICATE; keygen; usage errors exit 2;
 *  an endpoint that never answers exits 3 with advice.  */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "chejian/store.h"
#include "test_support.h"
#include "test_system.h"

#define COUNTY "510822"

typedef struct {
    int  code;
    char out[65536];
    char err[65536];
} s_run_t;

static struct {
    bool             gateway;
    cj_test_system_t sys;
    char             dir[64];     /* the test's own temp dir (key files, JSON lines) */
    char             key[128];    /* the agency's .key (gateway mode) */
    char             pub[128];    /* the gateway's .pub */
    s_run_t          r;
} T;

/*  ---- running the binary ----  */

static void
s_read_file (const char *path, char *buf, size_t size)
{
    buf[0] = 0;
    FILE *f = fopen (path, "r");
    if (!f)
        return;
    size_t n = fread (buf, 1, size - 1, f);
    buf[n] = 0;
    fclose (f);
}

/*  Runs `chejian ARGS...` (NULL-terminated) with the mode's environment plus 'env'
 *  ("NAME=value" entries, NULL-terminated, may be NULL); stdout and stderr in T.r.  */
static s_run_t *
s_chejian_env (const char *const *env, const char *arg, ...)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = cj_test_bin ("tools/chejian/chejian");
    argv[n++] = arg;
    va_list ap;
    va_start (ap, arg);
    while (n < 63 && (argv[n] = va_arg (ap, const char *)) != NULL)
        n++;
    va_end (ap);
    argv[n] = NULL;
    char out[128], err[128];
    snprintf (out, sizeof out, "%s/stdout", T.dir);
    snprintf (err, sizeof err, "%s/stderr", T.dir);
    char bin[4096];
    snprintf (bin, sizeof bin, "%s", argv[0]);
    argv[0] = bin;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int in = open ("/dev/null", O_RDONLY);
        int o = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open (err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0)
            _exit (126);
        dup2 (in, 0);
        dup2 (o, 1);
        dup2 (e, 2);
        for (size_t i = 0; env && env[i]; i++)
            putenv ((char *) env[i]);
        execv (bin, (char *const *) argv);
        _exit (127);
    }
    T.r.code = cj_test_wait_exit (pid, 240000);
    s_read_file (out, T.r.out, sizeof T.r.out);
    s_read_file (err, T.r.err, sizeof T.r.err);
    if (T.r.code < 0 || T.r.code > 3)
        print_message ("chejian %s: exit %d\nstdout:\n%s\nstderr:\n%s\n", arg, T.r.code,
                       T.r.out, T.r.err);
    /* under -DCHEJIAN_SANITIZE=ON a finding may exit 1, a code the tests also expect */
    if (strstr (T.r.err, "Sanitizer") || strstr (T.r.err, "runtime error:"))
        fail_msg ("chejian %s: a sanitizer finding:\n%s", arg, T.r.err);
    return &T.r;
}

#define s_chejian(...) s_chejian_env (NULL, __VA_ARGS__, (const char *) NULL)

static void
s_expect (int code)
{
    if (T.r.code != code)
        fail_msg ("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", T.r.code, code, T.r.out,
                  T.r.err);
}

static const char *
s_data (const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf (p, 512, "%s/%s", CLI_TEST_DATA, name);
    return p;
}

/*  The counts of the summary row of the file whose path ends in "/'name'".  */
static void
s_counts (const char *name, long *records, long *accepted, long *duplicate, long *rejected)
{
    char needle[128];
    snprintf (needle, sizeof needle, "/%s ", name);
    const char *row = strstr (T.r.out, needle);
    if (!row)
        fail_msg ("no summary row for %s in:\n%s", name, T.r.out);
    char kind[32];
    assert_int_equal (sscanf (row + strlen (needle), "%31s %ld %ld %ld %ld", kind, records,
                              accepted, duplicate, rejected), 5);
}

static void
s_expect_counts (const char *name, long records, long accepted, long duplicate, long rejected)
{
    long r, a, d, x;
    s_counts (name, &r, &a, &d, &x);
    if (r != records || a != accepted || d != duplicate || x != rejected)
        fail_msg ("%s: %ld records, %ld accepted, %ld duplicate, %ld rejected; expected %ld %ld "
                  "%ld %ld\n%s\n%s", name, r, a, d, x, records, accepted, duplicate, rejected,
                  T.r.out, T.r.err);
}

static void
s_expect_out (const char *text)
{
    if (!strstr (T.r.out, text))
        fail_msg ("stdout lacks \"%s\":\n%s\nstderr:\n%s", text, T.r.out, T.r.err);
}

static void
s_expect_err (const char *text)
{
    if (!strstr (T.r.err, text))
        fail_msg ("stderr lacks \"%s\":\n%s", text, T.r.err);
}

/*  Every key of the deployment with a hash of its DUMP, but the leases and dedup records
 *  (which a re-run may touch without changing any state). Free with s_state_free.  */
typedef struct {
    size_t  n;
    char  **keys;
    uint8_t (*hashes)[16];
} s_state_t;

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
s_redis_state (s_state_t *state)
{
    char err[256];
    cj_store_t *store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    assert_non_null (store);
    redisReply *keys = cj_store_command (store, "KEYS cj:*");
    assert_non_null (keys);
    assert_int_equal (keys->type, REDIS_REPLY_ARRAY);
    size_t n = keys->elements;
    state->keys = calloc (n ? n : 1, sizeof *state->keys);
    state->hashes = calloc (n ? n : 1, sizeof *state->hashes);
    state->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = keys->element[i]->str;
        size_t len = strlen (k);
        if (strstr (k, ":dedup:") || (len > 6 && strcmp (k + len - 6, ":lease") == 0))
            continue;
        state->keys[state->n++] = strdup (k);
    }
    qsort (state->keys, state->n, sizeof *state->keys, s_strcmp);
    for (size_t i = 0; i < state->n; i++) {
        redisReply *dump = cj_store_command (store, "DUMP %s", state->keys[i]);
        assert_non_null (dump);
        crypto_generichash (state->hashes[i], 16, (const uint8_t *) (dump->str ? dump->str : ""),
                            dump->type == REDIS_REPLY_STRING ? dump->len : 0, NULL, 0);
        freeReplyObject (dump);
    }
    freeReplyObject (keys);
    cj_store_destroy (&store);
}

static void
s_state_free (s_state_t *state)
{
    for (size_t i = 0; i < state->n; i++)
        free (state->keys[i]);
    free (state->keys);
    free (state->hashes);
}

/*  Fails naming every key that differs.  */
static void
s_expect_same_state (const s_state_t *a, const s_state_t *b)
{
    bool same = a->n == b->n;
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (strcmp (a->keys[i], b->keys[i]) != 0 || memcmp (a->hashes[i], b->hashes[i], 16)) {
            print_message ("differs: %s / %s\n", a->keys[i], b->keys[i]);
            same = false;
        }
    if (!same)
        fail_msg ("the state changed (%zu keys before, %zu after)", a->n, b->n);
}

/*  ---- setup ----  */

static int
s_setup (void **state)
{
    (void) state;
    snprintf (T.dir, sizeof T.dir, "/tmp/clitestXXXXXX");
    assert_non_null (mkdtemp (T.dir));
    assert_int_equal (cj_test_system_init (&T.sys, T.gateway ? "cligw" : "cliplain"), 0);
    if (T.gateway) {
        cj_curve_keypair_t kp;
        assert_int_equal (cj_test_system_add_agency (&T.sys, "hrss-test", "[\"*\"]", "[\"*\"]",
                                                     &kp), 0);
        char base[96], err[256];
        snprintf (base, sizeof base, "%s/hrss", T.dir);
        assert_int_equal (cj_curve_keypair_save (&kp, base, false, err, sizeof err), 0);
        snprintf (T.key, sizeof T.key, "%s.key", base);
        snprintf (T.pub, sizeof T.pub, "%s/gateway.pub", T.sys.dir);
        cj_curve_keypair_wipe (&kp);
    }
    assert_int_equal (cj_test_system_start_all (&T.sys, T.gateway), 0);
    static char env[8][200];
    if (T.gateway) {
        snprintf (env[0], 200, "CHEJIAN_GATEWAY_ENDPOINT=%s", T.sys.gw.router);
        snprintf (env[1], 200, "CHEJIAN_GATEWAY_PUBLIC_KEY_FILE=%s", T.pub);
        snprintf (env[2], 200, "CHEJIAN_AGENCY_KEY_FILE=%s", T.key);
        for (int i = 0; i < 3; i++)
            putenv (env[i]);
        unsetenv ("CHEJIAN_REGISTRY_ENDPOINT");
        unsetenv ("CHEJIAN_PAYROLL_ENDPOINT");
        unsetenv ("CHEJIAN_ADJUDICATOR_ENDPOINT");
    } else {
        /* nothing listens on the gateway endpoint: every body must take its override */
        snprintf (env[0], 200, "CHEJIAN_GATEWAY_ENDPOINT=tcp://127.0.0.1:%d",
                  cj_test_free_port ());
        snprintf (env[1], 200, "CHEJIAN_REGISTRY_ENDPOINT=%s", T.sys.reg.router);
        snprintf (env[2], 200, "CHEJIAN_PAYROLL_ENDPOINT=%s", T.sys.pay.router);
        snprintf (env[3], 200, "CHEJIAN_ADJUDICATOR_ENDPOINT=%s", T.sys.adj.router);
        snprintf (env[4], 200, "CHEJIAN_SOURCE=hrss-test");
        for (int i = 0; i < 5; i++)
            putenv (env[i]);
        unsetenv ("CHEJIAN_GATEWAY_PUBLIC_KEY_FILE");
        unsetenv ("CHEJIAN_AGENCY_KEY_FILE");
    }
    unsetenv ("CHEJIAN_COUNTY");
    unsetenv ("CHEJIAN_TIMEOUT_MS");
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    cj_test_system_fini (&T.sys);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", T.dir);
    if (system (cmd) != 0)
        print_message ("could not remove %s\n", T.dir);
    return 0;
}

/*  ---- tests, in order: each builds on the state the previous ones left ----  */

static void
test_import_all_accepted (void **state)
{
    (void) state;
    /* given out of order: imported workshops, workers, employments, wages */
    s_chejian ("import", "--county", COUNTY, s_data ("wages.csv"), s_data ("employments.csv"),
               s_data ("workers.csv"), s_data ("workshops.csv"));
    s_expect (0);
    s_expect_counts ("workshops.csv", 4, 4, 0, 0);
    s_expect_counts ("workers.csv", 20, 20, 0, 0);
    s_expect_counts ("employments.csv", 20, 20, 0, 0);
    s_expect_counts ("wages.csv", 39, 39, 0, 0);
}

/*  Every subscription row of the status table shows lag 0.  */
static void
s_expect_lag_zero (void)
{
    const char *table = strstr (T.r.out, "CONSUMER");
    assert_non_null (table);
    int rows = 0;
    for (const char *line = strchr (table, '\n'); line && line[1]; line = strchr (line + 1, '\n')) {
        char consumer[32], producer[32];
        unsigned long long partition, cursor, head, lag;
        if (sscanf (line + 1, "%31s %31s %llu %llu %llu %llu", consumer, producer, &partition,
                    &cursor, &head, &lag) != 6)
            continue;
        rows++;
        if (lag != 0 || cursor != head)
            fail_msg ("a subscription lags:\n%s", T.r.out);
    }
    assert_true (rows >= 2);
}

static void
test_status_caught_up (void **state)
{
    (void) state;
    s_chejian ("status", "--wait", "60", "--caught-up");
    s_expect (0);
    assert_non_null (strstr (T.r.out, "registry     ready"));
    assert_non_null (strstr (T.r.out, "payroll      ready"));
    assert_non_null (strstr (T.r.out, "adjudicator  ready"));
    s_expect_lag_zero ();
    s_chejian ("status", "--json");
    s_expect (0);
    json_t *j = json_loads (T.r.out, 0, NULL);
    assert_non_null (j);
    assert_true (json_is_true (json_object_get (j, "ready")));
    assert_int_equal (json_array_size (json_object_get (j, "services")), 3);
    json_decref (j);
}

static void
test_reimport_duplicate_same_state (void **state)
{
    (void) state;
    s_state_t before, after;
    s_redis_state (&before);
    assert_true (before.n > 10);
    s_chejian ("import", "--county", COUNTY, s_data ("workshops.csv"), s_data ("workers.csv"),
               s_data ("employments.csv"), s_data ("wages.csv"));
    s_expect (0);
    s_expect_counts ("workshops.csv", 4, 0, 4, 0);
    s_expect_counts ("workers.csv", 20, 0, 20, 0);
    s_expect_counts ("employments.csv", 20, 0, 20, 0);
    s_expect_counts ("wages.csv", 39, 0, 39, 0);
    s_chejian ("status", "--wait", "60", "--caught-up");
    s_expect (0);
    s_redis_state (&after);
    s_expect_same_state (&before, &after);
    s_state_free (&before);
    s_state_free (&after);
}

static json_t *
s_json_out (void)
{
    json_error_t e;
    json_t *j = json_loads (T.r.out, 0, &e);
    if (!j)
        fail_msg ("stdout is not JSON (%s):\n%s", e.text, T.r.out);
    return j;
}

static void
s_expect_json_string (json_t *o, const char *key, const char *value)
{
    const char *v = json_string_value (json_object_get (o, key));
    if (!v || strcmp (v, value) != 0)
        fail_msg ("\"%s\" is %s, expected %s", key, v ? v : "missing", value);
}

static void
s_expect_json_int (json_t *o, const char *key, long long value)
{
    json_t *v = json_object_get (o, key);
    if (!json_is_integer (v) || json_integer_value (v) != value)
        fail_msg ("\"%s\" is not %lld", key, value);
}

static void
test_query_and_report (void **state)
{
    (void) state;
    s_chejian ("query", "--county", COUNTY, "get_workshop",
               "{\"workshopId\":\"QC-W01\",\"asOfDate\":20261031}");
    s_expect (0);
    json_t *j = s_json_out ();
    s_expect_json_int (j, "headcount", 8);
    s_expect_json_int (j, "poorHeadcount", 7);
    json_decref (j);

    s_chejian ("query", "--county", COUNTY, "get_county_income_summary", "{\"year\":2026}");
    s_expect (0);
    j = s_json_out ();
    /* Sep: 8 x 3000 + 6 x 2100 + 6 x 2500 yuan; Oct: the same less one who left */
    s_expect_json_string (j, "totalWagesFen", "10070000");
    s_expect_json_string (j, "averageMonthlyWageFen", "258205");   /* 10070000 / 39 */
    s_expect_json_int (j, "paidHeadcount", 20);
    char increase[32];
    snprintf (increase, sizeof increase, "%s",
              json_string_value (json_object_get (j, "averageIncreaseFen")));
    json_decref (j);

    s_chejian ("report", "--county", COUNTY, "--year", "2026", "--as-of", "20261031",
               "--format", "json");
    s_expect (0);
    j = s_json_out ();
    s_expect_json_int (j, "workshops", 3);
    s_expect_json_int (j, "workshops_park", 1);
    s_expect_json_int (j, "workshops_home_workshop", 1);
    s_expect_json_int (j, "workshops_shareholding", 1);
    s_expect_json_int (j, "hosts", 1);
    s_expect_json_int (j, "employed", 19);
    s_expect_json_int (j, "poor_employed", 16);
    s_expect_json_string (j, "wages_yuan", "100700.00");
    s_expect_json_string (j, "average_monthly_wage_yuan", "2582.05");
    long long fen = atoll (increase);
    char yuan[32];
    snprintf (yuan, sizeof yuan, "%lld.%02lld", fen / 100, fen % 100);
    s_expect_json_string (j, "average_income_increase_yuan", yuan);
    s_expect_json_int (j, "awards_laborers", 0);
    s_expect_json_string (j, "interest_subsidy_yuan", "0.00");
    json_decref (j);

    s_chejian ("report", "--county", COUNTY, "--year", "2026", "--as-of", "20261031");
    s_expect (0);
    s_expect_out ("County 510822 bulletin, as of 2026-10-31");
    s_expect_out ("Average monthly wage (yuan)");
    s_expect_out ("2582.05");
    s_chejian ("report", "--county", COUNTY, "--year", "2026", "--as-of", "20261031",
               "--format", "csv");
    s_expect (0);
    assert_int_equal (strncmp (T.r.out, "metric,value\n", 13), 0);
    s_expect_out ("\nemployed,19\n");
    s_expect_out ("\naverage_monthly_wage_yuan,2582.05\n");
}

static void
test_events (void **state)
{
    (void) state;
    s_chejian ("events", "--county", COUNTY, "--max", "0", "registry");
    s_expect (0);
    /* 4 workshops, 20 workers, 20 employments started, 1 ended */
    long long last = 0;
    int n = 0;
    for (char *line = T.r.out; *line; n++) {
        char *nl = strchr (line, '\n');
        assert_non_null (nl);
        json_t *e = json_loadb (line, (size_t) (nl - line), 0, NULL);
        assert_non_null (e);
        long long seq = atoll (json_string_value (json_object_get (e, "seq")));
        assert_true (seq > last);
        last = seq;
        assert_non_null (json_object_get (json_object_get (e, "envelope"), "source"));
        json_decref (e);
        line = nl + 1;
    }
    assert_int_equal (n, 45);
    s_expect_err ("--after 45");
    s_chejian ("events", "--county", COUNTY, "--types", "300", "--county-only", "registry");
    s_expect (0);
    n = 0;
    for (const char *p = T.r.out; (p = strstr (p, "\"workshopRegistered\"")); p++)
        n++;
    assert_int_equal (n, 4);
    s_chejian ("events", "--county", COUNTY, "--types", "305-307", "--after", "24",
               "registry");
    s_expect (0);
    s_expect_out ("\"employmentEnded\"");
    s_expect_err ("--after 45");
}

/*  True when 'text' holds 17 digits and a check character in a row: a resident ID.  */
static bool
s_has_resident_id (const char *text)
{
    int run = 0;
    for (const char *p = text; *p; p++) {
        bool digit = *p >= '0' && *p <= '9';
        if ((digit || *p == 'X') && run == 17)
            return true;
        run = digit ? run + 1 : 0;
    }
    return false;
}

static void
test_bad_csv (void **state)
{
    (void) state;
    s_chejian ("import", "--county", COUNTY, s_data ("bad/wages_bad.csv"),
               s_data ("bad/workers_bad.csv"));
    s_expect (1);
    s_expect_counts ("workers_bad.csv", 5, 1, 0, 4);
    s_expect_counts ("wages_bad.csv", 5, 0, 0, 5);
    s_expect_out ("workers_bad.csv:3:status_date: INVALID_DATE");
    s_expect_out ("workers_bad.csv:4: register_worker.resident_id INVALID_CHECKSUM");
    s_expect_out ("workers_bad.csv:5:poverty_status: UNKNOWN_ENUM");
    s_expect_out ("workers_bad.csv:6:baseline_annual_income_yuan: INVALID_FORMAT");
    /* the third line of the report of QC-W01 for 202608 is line 4 of the file */
    s_expect_out ("wages_bad.csv:4: submit_wage_report.lines[2].employment_id CONFLICT");
    s_expect_out ("wages_bad.csv:6:gross_fen: INVALID_FORMAT");
    s_expect_out ("wages_bad.csv:5: not sent: the report of workshop QC-W02 for 202608");
    assert_false (s_has_resident_id (T.r.out));
    assert_false (s_has_resident_id (T.r.err));
    assert_null (strstr (T.r.out, "孙二"));
    /* the rejected month was not recorded */
    s_chejian ("query", "--county", COUNTY, "get_wage_report",
               "{\"workshopId\":\"QC-W01\",\"period\":202608}");
    s_expect (0);
    json_t *j = s_json_out ();
    assert_null (json_object_get (j, "lines"));
    json_decref (j);
}

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

#define S_WORKSHOP(id) "{\"workshopId\":\"" id "\",\"details\":{\"name\":\"九号车间\"," \
    "\"type\":\"WORKSHOP_TYPE_PARK\",\"location\":{\"townshipName\":\"竹园镇\"},"           \
    "\"siteKind\":\"SITE_KIND_VILLAGE\",\"industry\":\"服装\",\"operator\":{\"kind\":"     \
    "\"OPERATOR_KIND_ENTERPRISE\",\"name\":\"某公司\",\"uscc\":\"91350100M000100Y43\"},"    \
    "\"openedDate\":20260301}}"

/*  The JSON line of stdout answering 'line'.  */
static json_t *
s_answer (int line)
{
    for (char *p = T.r.out; *p;) {
        char *nl = strchr (p, '\n');
        assert_non_null (nl);
        json_t *a = json_loadb (p, (size_t) (nl - p), 0, NULL);
        assert_non_null (a);
        if (json_integer_value (json_object_get (a, "line")) == line)
            return a;
        json_decref (a);
        p = nl + 1;
    }
    fail_msg ("no answer for line %d:\n%s", line, T.r.out);
    return NULL;
}

static void
s_expect_answer (int line, const char *status, const char *code)
{
    json_t *a = s_answer (line);
    s_expect_json_string (a, "status", status);
    if (code)
        s_expect_json_string (json_array_get (json_object_get (a, "problems"), 0), "code", code);
    json_decref (a);
}

static void
test_publish (void **state)
{
    (void) state;
    char path[128], body[128];
    snprintf (path, sizeof path, "%s/lines.jsonl", T.dir);
    s_write (path, "{\"county\":\"510822\",\"registerWorkshop\":" S_WORKSHOP ("QC-W09") "}\n"
                   "{not json\n"
                   "\n"
                   "{\"registerWorkshop\":" S_WORKSHOP ("QC-W10") "}\n"
                   "{\"county\":\"510822\",\"registerWorkshop\":{\"workshopId\":\"QC-W11\"}}\n"
                   "{\"source\":\"finance-510822\",\"registerWorkshop\":" S_WORKSHOP ("QC-W13")
                   "}\n");
    s_chejian ("publish", "--county", COUNTY, path);
    s_expect (1);
    s_expect_answer (1, "ACCEPTED", NULL);
    s_expect_answer (2, "REJECTED", "INVALID_FORMAT");
    s_expect_answer (4, "ACCEPTED", NULL);
    s_expect_answer (5, "REJECTED", "REQUIRED");
    s_expect_answer (6, "ACCEPTED", NULL);
    s_expect_err ("5 lines: 3 accepted, 0 duplicate, 2 rejected, 0 gave up");
    if (T.gateway)   /* the gateway takes only the agency's own source */
        s_expect_err ("1 lines named another source; sent as hrss-test");
    /* the same lines again: the derived ids are the same, so nothing is applied twice */
    s_chejian ("publish", "--county", COUNTY, path);
    s_expect (1);
    s_expect_answer (1, "DUPLICATE", NULL);
    s_expect_answer (4, "DUPLICATE", NULL);
    /* a body over several lines */
    snprintf (body, sizeof body, "%s/body.json", T.dir);
    s_write (body, "{\n  \"workshopId\": \"QC-W12\",\n  \"details\": {\"name\": \"十二\",\n"
                   "    \"type\": \"WORKSHOP_TYPE_PARK\", \"location\": {\"townshipName\": "
                   "\"竹园镇\"},\n    \"siteKind\": \"SITE_KIND_VILLAGE\", \"industry\": \"服装\",\n"
                   "    \"operator\": {\"kind\": \"OPERATOR_KIND_ENTERPRISE\", \"name\": \"某公司\","
                   " \"uscc\": \"91350100M000100Y43\"},\n    \"openedDate\": 20260301}\n}\n");
    s_chejian ("publish", "--county", COUNTY, "--body", "register_workshop", body);
    s_expect (0);
    s_expect_answer (1, "ACCEPTED", NULL);
    s_chejian ("query", "--county", COUNTY, "get_workshop", "{\"workshopId\":\"QC-W12\"}");
    s_expect (0);
    s_expect_out ("\"十二\"");
}

static void
test_keygen_and_usage (void **state)
{
    (void) state;
    char base[128], keyfile[160], pubfile[160], pseudonym[160];
    snprintf (base, sizeof base, "%s/newkey", T.dir);
    snprintf (keyfile, sizeof keyfile, "%s.key", base);
    snprintf (pubfile, sizeof pubfile, "%s.pub", base);
    snprintf (pseudonym, sizeof pseudonym, "%s/pseudonym.key", T.dir);
    s_chejian ("keygen", "--agency", "finance-510822", base);
    s_expect (0);
    char pub[128];
    s_read_file (pubfile, pub, sizeof pub);
    assert_int_equal (strlen (T.r.out), 41);
    assert_int_equal (strncmp (T.r.out, pub, 40), 0);
    struct stat st;
    assert_int_equal (stat (keyfile, &st), 0);
    assert_int_equal (st.st_mode & 077, 0);
    s_chejian ("keygen", "--agency", "finance-510822", base);
    s_expect (2);
    s_chejian ("keygen", "--force", "--agency", "finance-510822", base);
    s_expect (0);
    s_chejian ("keygen", "--pseudonym", pseudonym);
    s_expect (0);
    s_chejian ("keygen", "--pseudonym", pseudonym);
    s_expect (2);

    s_chejian ("nosuch");
    s_expect (2);
    s_chejian ("import");
    s_expect (2);
    s_chejian ("import", s_data ("unknown.csv"));
    s_expect (2);
    s_chejian ("query", "--county", COUNTY, "register_workshop", "{}");
    s_expect (2);
    s_chejian ("query", "get_workshop", "{}");
    s_expect (2);
    s_chejian ("report", "--county", "5108", "--year", "2026");
    s_expect (2);
    s_chejian ("--help");
    s_expect (0);
    s_expect_out ("import");
    const char *commands[] = { "keygen", "publish", "import", "query", "events", "status",
                               "report" };
    for (size_t i = 0; i < 7; i++) {
        s_chejian (commands[i], "--help");
        s_expect (0);
        s_expect_out ("Examples:");
    }
}

/*  An endpoint that never answers: exit 3 and advice. Through the gateway, also a key the
 *  gateway does not know (refused at the handshake: no answer either).  */
static void
test_gave_up (void **state)
{
    (void) state;
    char dead[64], env[128];
    snprintf (dead, sizeof dead, "tcp://127.0.0.1:%d", cj_test_free_port ());
    snprintf (env, sizeof env, "CHEJIAN_REGISTRY_ENDPOINT=%s", dead);
    const char *envs[] = { env, NULL };
    s_chejian_env (envs, "query", "--county", COUNTY, "--gateway", dead, "--timeout", "200",
                   "--retries", "1", "get_workshop", "{\"workshopId\":\"QC-W01\"}", NULL);
    s_expect (3);
    s_expect_err ("no answer from");
    if (!T.gateway)
        return;
    char base[128], key[160];
    snprintf (base, sizeof base, "%s/stranger", T.dir);
    snprintf (key, sizeof key, "%s.key", base);
    s_chejian ("keygen", "--agency", "stranger", base);
    s_expect (0);
    s_chejian ("query", "--county", COUNTY, "--key", key, "--timeout", "300", "--retries", "0",
               "list_funds");
    s_expect (3);
    s_expect_err ("agencies file");
}

int
main (int argc, char **argv)
{
    T.gateway = argc > 1 && strcmp (argv[1], "gateway") == 0;
    if (!cj_test_redis_url ()) {
        fprintf (stderr, "test_cli: the redis fixture is not running (ctest starts it)\n");
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_import_all_accepted),
        cmocka_unit_test (test_status_caught_up),
        cmocka_unit_test (test_reimport_duplicate_same_state),
        cmocka_unit_test (test_query_and_report),
        cmocka_unit_test (test_events),
        cmocka_unit_test (test_bad_csv),
        cmocka_unit_test (test_publish),
        cmocka_unit_test (test_keygen_and_usage),
        cmocka_unit_test (test_gave_up),
    };
    return cmocka_run_group_tests_name (T.gateway ? "cli.gateway" : "cli.plain", tests, s_setup,
                                        s_teardown);
}
