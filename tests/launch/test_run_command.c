/*  test_run_command.c - the README's run command, `scripts/run`, as a user runs it: the whole
 *  system on its embedded default (a private redis-server, the four services, the sample
 *  county loaded through the gateway with CURVE, the bulletin printed).
 *
 *  1. `scripts/run --once` exits 0 and prints the sample county's bulletin with the figures
 *     of deploy/sample/README.md.
 *  2. A second `scripts/run --once` on the same data resumes: the import is answered
 *     DUPLICATE and the bulletin is byte-identical (nothing counted twice).
 *  3. `scripts/run` without --once stays up until SIGTERM, then stops every process cleanly
 *     (exit 0; no metrics port or redis-server left answering).
 *  Every port is a free ephemeral port on 127.0.0.1; the data lives in a temp directory.  */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_support.h"

enum { RUN_TIMEOUT_MS = 400000 };

/*  The sample county's figures (deploy/sample/README.md and expected.json): the Qingchuan
 *  bulletin's workshops, awards, loans and interest subsidy, and the sample's wages.  */
static const char *const CJ_BULLETIN_EXPECT[] = {
    "County 510822 bulletin, as of 2020-07-28",
    "728000.00",     /* employment awards granted, yuan */
    "3000000.00",    /* loan principal disbursed, yuan */
    "83000.00",      /* interest subsidy, yuan */
    "27378910.90",   /* wages paid in 2020, yuan */
    "2141.82",       /* average monthly wage, yuan */
    "5882.18",       /* average annual income increase, yuan */
};

typedef struct {
    char dir[64];
    char env[24][160];
    size_t nenv;
    int  redis_port, gateway_metrics, metrics[3];
} fixture_t;

static fixture_t F;

static void
s_env (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (F.env[F.nenv++], sizeof F.env[0], fmt, ap);
    va_end (ap);
}

static int
s_setup (void **state)
{
    (void) state;
    memset (&F, 0, sizeof F);
    snprintf (F.dir, sizeof F.dir, "/tmp/cj-runXXXXXX");
    assert_non_null (mkdtemp (F.dir));
    F.redis_port = cj_test_free_port ();
    F.gateway_metrics = cj_test_free_port ();
    s_env ("CHEJIAN_LOCAL_DIR=%s/data", F.dir);
    s_env ("CHEJIAN_BUILD_DIR=%s", CJ_TEST_BUILD_DIR);
    s_env ("CHEJIAN_LOCAL_REDIS_PORT=%d", F.redis_port);
    s_env ("CHEJIAN_GATEWAY_BIND=tcp://127.0.0.1:%d", cj_test_free_port ());
    s_env ("CHEJIAN_GATEWAY_METRICS_PORT=%d", F.gateway_metrics);
    const char *svc[3] = { "REGISTRY", "PAYROLL", "ADJUDICATOR" };
    for (int i = 0; i < 3; i++) {
        F.metrics[i] = cj_test_free_port ();
        s_env ("CHEJIAN_%s_BIND=tcp://127.0.0.1:%d", svc[i], cj_test_free_port ());
        s_env ("CHEJIAN_%s_PUB_BIND=tcp://127.0.0.1:%d", svc[i], cj_test_free_port ());
        s_env ("CHEJIAN_%s_METRICS_PORT=%d", svc[i], F.metrics[i]);
    }
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd[256];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", F.dir);
    return system (cmd) == 0 ? 0 : -1;
}

/*  Starts `scripts/run ARG...` from the source tree with the fixture's environment, stdout to
 *  'out' and stderr to 'err' (files in the temp dir). Returns the pid.  */
static int
s_start_run (const char *out, const char *err, const char *arg)
{
    pid_t pid = fork ();
    if (pid == 0) {
        unsetenv ("CHEJIAN_REDIS_URL");
        for (size_t i = 0; i < F.nenv; i++)
            putenv (F.env[i]);
        if (!freopen (out, "w", stdout) || !freopen (err, "w", stderr))
            _exit (126);
        if (chdir (CJ_TEST_SOURCE_DIR) != 0)
            _exit (126);
        execl ("scripts/run", "scripts/run", arg, (char *) NULL);
        _exit (127);
    }
    return (int) pid;
}

static char *
s_slurp (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return strdup ("");
    static char buf[1 << 20];
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose (f);
    return strdup (buf);
}

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", F.dir, name);
}

/*  Runs `scripts/run --once`; asserts exit 0; returns its stdout (the bulletin).  */
static char *
s_run_once (const char *tag)
{
    char out[128], err[128], name[32];
    snprintf (name, sizeof name, "%s.out", tag);
    s_path (out, sizeof out, name);
    snprintf (name, sizeof name, "%s.err", tag);
    s_path (err, sizeof err, name);
    int pid = s_start_run (out, err, "--once");
    int code = cj_test_wait_exit (pid, RUN_TIMEOUT_MS);
    if (code != 0) {
        char *text = s_slurp (err);
        print_message ("scripts/run --once exited %d; its stderr:\n%s\n", code, text);
        free (text);
    }
    assert_int_equal (code, 0);
    return s_slurp (out);
}

static void
test_run_once_prints_the_bulletin (void **state)
{
    (void) state;
    char *bulletin = s_run_once ("first");
    print_message ("%s", bulletin);
    for (size_t i = 0; i < sizeof CJ_BULLETIN_EXPECT / sizeof *CJ_BULLETIN_EXPECT; i++) {
        if (!strstr (bulletin, CJ_BULLETIN_EXPECT[i]))
            fail_msg ("the bulletin lacks \"%s\"", CJ_BULLETIN_EXPECT[i]);
    }
    char *again = s_run_once ("second");
    assert_string_equal (again, bulletin);
    char err[128];
    s_path (err, sizeof err, "second.err");
    char *log = s_slurp (err);
    /*  every sample file answered DUPLICATE only: nothing was applied again  */
    assert_non_null (strstr (log, "5 lines: 0 accepted, 5 duplicate, 0 rejected"));
    assert_non_null (strstr (log, "776 lines: 0 accepted, 776 duplicate, 0 rejected"));
    assert_non_null (strstr (log, "95 lines: 0 accepted, 95 duplicate, 0 rejected"));
    free (log);
    free (again);
    free (bulletin);
}

static void
test_sigterm_stops_everything (void **state)
{
    (void) state;
    char out[128], err[128];
    s_path (out, sizeof out, "up.out");
    s_path (err, sizeof err, "up.err");
    int pid = s_start_run (out, err, "--no-sample");
    bool running = false;
    for (int i = 0; i < 1200 && !running; i++) {
        char *log = s_slurp (err);
        running = strstr (log, "running;") != NULL;
        free (log);
        if (!running)
            usleep (100000);
    }
    assert_true (running);
    char body[256];
    assert_int_equal (cj_test_http_get (F.gateway_metrics, "/readyz", body, sizeof body), 200);
    for (int i = 0; i < 3; i++)
        assert_int_equal (cj_test_http_get (F.metrics[i], "/readyz", body, sizeof body), 200);
    kill (pid, SIGTERM);
    assert_int_equal (cj_test_wait_exit (pid, 60000), 0);
    assert_int_equal (cj_test_http_get (F.gateway_metrics, "/healthz", body, sizeof body), -1);
    for (int i = 0; i < 3; i++)
        assert_int_equal (cj_test_http_get (F.metrics[i], "/healthz", body, sizeof body), -1);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "redis-cli -p %d ping >/dev/null 2>&1", F.redis_port);
    assert_int_not_equal (system (cmd), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_run_once_prints_the_bulletin),
        cmocka_unit_test (test_sigterm_stops_everything),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
