/*  test_config.c - options from the environment: defaults, overrides, validation problems,
 *  redeclaration and the --help table.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chejian/config.h"

static const cj_config_option_t s_common[] = {
    { "CHEJIAN_TEST_REDIS_URL", CJ_CONFIG_STRING, "redis://127.0.0.1:6379/0",
      "Redis holding state and outboxes", 0, 0 },
    { "CHEJIAN_TEST_PARTITIONS", CJ_CONFIG_INT, "16", "Number of county partitions", 1, 1024 },
    { "CHEJIAN_TEST_METRICS_PORT", CJ_CONFIG_INT, "9100", "HTTP port for /metrics", 0, 65535 },
    { "CHEJIAN_TEST_VERBOSE", CJ_CONFIG_BOOL, "false", "Log at debug level", 0, 0 },
    { "CHEJIAN_TEST_KEY_FILE", CJ_CONFIG_STRING, NULL, "Signing key file", 0, 0 },
    { "CHEJIAN_TEST_OFFSET", CJ_CONFIG_INT, "-5", "Any int64", 0, 0 },
};
#define s_COMMON_COUNT (sizeof s_common / sizeof s_common[0])

static int
s_clear_env (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_COMMON_COUNT; i++)
        unsetenv (s_common[i].name);
    unsetenv ("CHEJIAN_TEST_UNDECLARED");
    return 0;
}

static cj_config_t *
s_config_common (void)
{
    cj_config_t *config = cj_config_new ();
    assert_non_null (config);
    assert_int_equal (cj_config_declare (config, s_common, s_COMMON_COUNT), 0);
    return config;
}

static void
test_defaults (void **state)
{
    (void) state;
    cj_config_t *config = s_config_common ();
    cj_problems_t problems;
    cj_problems_init (&problems);
    setenv ("CHEJIAN_TEST_UNDECLARED", "whatever", 1);   /* ignored */
    assert_int_equal (cj_config_load (config, &problems), 0);
    assert_false (cj_problems_any (&problems));
    assert_string_equal (cj_config_str (config, "CHEJIAN_TEST_REDIS_URL"),
                         "redis://127.0.0.1:6379/0");
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_PARTITIONS"), 16);
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_METRICS_PORT"), 9100);
    assert_false (cj_config_bool (config, "CHEJIAN_TEST_VERBOSE"));
    assert_string_equal (cj_config_str (config, "CHEJIAN_TEST_KEY_FILE"), "");
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_OFFSET"), -5);
    cj_config_destroy (&config);
    assert_null (config);
    cj_config_destroy (&config);
}

static void
test_environment_overrides (void **state)
{
    (void) state;
    cj_config_t *config = s_config_common ();
    setenv ("CHEJIAN_TEST_REDIS_URL", "redis://redis:6379/2", 1);
    setenv ("CHEJIAN_TEST_PARTITIONS", "1024", 1);
    setenv ("CHEJIAN_TEST_METRICS_PORT", "0", 1);
    setenv ("CHEJIAN_TEST_VERBOSE", "ON", 1);
    setenv ("CHEJIAN_TEST_KEY_FILE", "", 1);              /* empty counts as unset */
    setenv ("CHEJIAN_TEST_OFFSET", "-9223372036854775808", 1);
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), 0);
    /*  The value is copied: changing the environment later does not change it.  */
    setenv ("CHEJIAN_TEST_REDIS_URL", "redis://elsewhere/0", 1);
    assert_string_equal (cj_config_str (config, "CHEJIAN_TEST_REDIS_URL"),
                         "redis://redis:6379/2");
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_PARTITIONS"), 1024);
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_METRICS_PORT"), 0);
    assert_true (cj_config_bool (config, "CHEJIAN_TEST_VERBOSE"));
    assert_string_equal (cj_config_str (config, "CHEJIAN_TEST_KEY_FILE"), "");
    assert_true (cj_config_int (config, "CHEJIAN_TEST_OFFSET") == INT64_MIN);
    cj_config_destroy (&config);
}

static void
test_bool_spellings (void **state)
{
    (void) state;
    static const struct {
        const char *text;
        bool        value;
    } cases[] = {
        { "1", true }, { "true", true }, { "YES", true }, { "On", true },
        { "0", false }, { "FALSE", false }, { "no", false }, { "off", false },
    };
    cj_config_t *config = s_config_common ();
    cj_problems_t problems;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv ("CHEJIAN_TEST_VERBOSE", cases[i].text, 1);
        cj_problems_init (&problems);
        assert_int_equal (cj_config_load (config, &problems), 0);
        assert_true (cj_config_bool (config, "CHEJIAN_TEST_VERBOSE") == cases[i].value);
    }
    setenv ("CHEJIAN_TEST_VERBOSE", "maybe", 1);
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), -1);
    assert_int_equal (problems.count, 1);
    assert_string_equal (problems.items[0].field, "CHEJIAN_TEST_VERBOSE");
    assert_string_equal (problems.items[0].code, CJ_E_INVALID_FORMAT);
    cj_config_destroy (&config);
}

static void
test_bad_values_name_the_variable (void **state)
{
    (void) state;
    cj_config_t *config = s_config_common ();
    setenv ("CHEJIAN_TEST_PARTITIONS", "0", 1);             /* below min */
    setenv ("CHEJIAN_TEST_METRICS_PORT", "80x", 1);         /* trailing garbage */
    setenv ("CHEJIAN_TEST_OFFSET", "99999999999999999999", 1);   /* overflows int64 */
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), -1);
    assert_int_equal (problems.count, 3);
    assert_string_equal (problems.items[0].field, "CHEJIAN_TEST_PARTITIONS");
    assert_string_equal (problems.items[0].code, CJ_E_OUT_OF_RANGE);
    assert_non_null (strstr (problems.items[0].message, "between 1 and 1024"));
    assert_string_equal (problems.items[1].field, "CHEJIAN_TEST_METRICS_PORT");
    assert_string_equal (problems.items[1].code, CJ_E_INVALID_FORMAT);
    assert_non_null (strstr (problems.items[1].message, "80x"));
    assert_string_equal (problems.items[2].field, "CHEJIAN_TEST_OFFSET");
    assert_string_equal (problems.items[2].code, CJ_E_OUT_OF_RANGE);

    static const char *malformed[] = { " 5", "5 ", "+", "0x10", "1e3", "--1" };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        s_clear_env (NULL);
        setenv ("CHEJIAN_TEST_PARTITIONS", malformed[i], 1);
        cj_problems_init (&problems);
        assert_int_equal (cj_config_load (config, &problems), -1);
        assert_int_equal (problems.count, 1);
        assert_string_equal (problems.items[0].field, "CHEJIAN_TEST_PARTITIONS");
        assert_string_equal (problems.items[0].code, CJ_E_INVALID_FORMAT);
    }
    setenv ("CHEJIAN_TEST_PARTITIONS", "1025", 1);
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), -1);
    assert_string_equal (problems.items[0].code, CJ_E_OUT_OF_RANGE);
    cj_config_destroy (&config);
}

static void
test_redeclaration_overrides_default (void **state)
{
    (void) state;
    static const cj_config_option_t service[] = {
        { "CHEJIAN_TEST_PARTITIONS", CJ_CONFIG_INT, "4", "Partitions of this service", 1, 8 },
        { "CHEJIAN_TEST_BATCH", CJ_CONFIG_INT, "200", "Events per commit", 1, 500 },
    };
    cj_config_t *config = s_config_common ();
    assert_int_equal (cj_config_declare (config, service, 2), 0);
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), 0);
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_PARTITIONS"), 4);
    assert_int_equal (cj_config_int (config, "CHEJIAN_TEST_BATCH"), 200);
    /*  The later range applies too.  */
    setenv ("CHEJIAN_TEST_PARTITIONS", "16", 1);
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), -1);
    assert_string_equal (problems.items[0].code, CJ_E_OUT_OF_RANGE);
    cj_config_destroy (&config);
}

static void
test_help_lists_every_option (void **state)
{
    (void) state;
    cj_config_t *config = s_config_common ();
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    cj_config_print_help (config, out, "chejian-registry", "Keeps the resident registry.");
    fclose (out);

    const char *intro = "Usage: chejian-registry [--help]\n\nKeeps the resident registry.\n";
    assert_int_equal (strncmp (text, intro, strlen (intro)), 0);
    const char *header = strstr (text, "  NAME  ");
    assert_non_null (header);
    const char *type_col = strstr (header, "TYPE");
    size_t type_at = (size_t) (type_col - header);
    for (size_t i = 0; i < s_COMMON_COUNT; i++) {
        const char *row = strstr (text, s_common[i].name);
        assert_non_null (row);
        assert_non_null (strstr (row, s_common[i].help));
        /*  Aligned: each row's TYPE column starts under the header's.  */
        row -= 2;
        assert_true (row[type_at - 1] == ' ' && row[type_at] != ' ');
    }
    assert_non_null (strstr (text, "int 1..1024"));
    assert_non_null (strstr (text, "int 0..65535"));
    assert_non_null (strstr (text, "redis://127.0.0.1:6379/0"));
    free (text);
    cj_config_destroy (&config);
}

/*  Runs 'misuse' in a child process and checks that it aborts.  */
static void
s_assert_aborts (void (*misuse) (const cj_config_t *config), const cj_config_t *config)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int devnull = open ("/dev/null", O_WRONLY);
        dup2 (devnull, STDERR_FILENO);
        misuse (config);
        _exit (0);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT);
}

static void
s_read_undeclared (const cj_config_t *config)
{
    cj_config_str (config, "CHEJIAN_TEST_NOPE");
}

static void
s_read_wrong_type (const cj_config_t *config)
{
    cj_config_bool (config, "CHEJIAN_TEST_PARTITIONS");
}

static void
s_read_after_failed_load (const cj_config_t *config)
{
    cj_config_int (config, "CHEJIAN_TEST_PARTITIONS");
}

static void
test_misuse_aborts (void **state)
{
    (void) state;
    cj_config_t *config = s_config_common ();
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_config_load (config, &problems), 0);
    s_assert_aborts (s_read_undeclared, config);
    s_assert_aborts (s_read_wrong_type, config);
    setenv ("CHEJIAN_TEST_PARTITIONS", "many", 1);
    assert_int_equal (cj_config_load (config, &problems), -1);
    s_assert_aborts (s_read_after_failed_load, config);
    cj_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_defaults, s_clear_env),
        cmocka_unit_test_setup (test_environment_overrides, s_clear_env),
        cmocka_unit_test_setup (test_bool_spellings, s_clear_env),
        cmocka_unit_test_setup (test_bad_values_name_the_variable, s_clear_env),
        cmocka_unit_test_setup (test_redeclaration_overrides_default, s_clear_env),
        cmocka_unit_test_setup (test_help_lists_every_option, s_clear_env),
        cmocka_unit_test_setup (test_misuse_aborts, s_clear_env),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
