/*  test_pseudonym.c - keyed pseudonyms: key files, stability, separation, refusal of bad keys.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "chejian/pseudonym.h"

static char s_dir[64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/cj-pseudonym-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    chmod (path, mode);
}

static void
test_create_load_and_hash (void **state)
{
    (void) state;
    char path[128], err[256], a[CJ_PSEUDONYM_HEX + 1], b[CJ_PSEUDONYM_HEX + 1];
    snprintf (path, sizeof path, "%s/key", s_dir);
    assert_int_equal (cj_pseudonym_create_key_file (path), 0);
    assert_int_equal (cj_pseudonym_create_key_file (path), -1);     /* never overwrites */
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    cj_pseudonym_t *ps = cj_pseudonym_load (path, err, sizeof err);
    assert_non_null (ps);
    cj_pseudonym_of (ps, "worker", "510822198001010015", a);
    cj_pseudonym_of (ps, "worker", "510822198001010015", b);
    assert_int_equal (strlen (a), CJ_PSEUDONYM_HEX);
    assert_string_equal (a, b);                                     /* stable */
    assert_null (strstr (a, "510822"));
    cj_pseudonym_of (ps, "household", "510822198001010015", b);
    assert_string_not_equal (a, b);                                 /* contexts separate */
    cj_pseudonym_of (ps, "worker", "11010519491231002X", b);
    assert_string_not_equal (a, b);
    cj_pseudonym_destroy (&ps);
    assert_null (ps);
    cj_pseudonym_destroy (&ps);
}

static void
test_known_key_gives_known_pseudonym (void **state)
{
    (void) state;
    char path[128], err[256], a[CJ_PSEUDONYM_HEX + 1], c[CJ_PSEUDONYM_HEX + 1];
    snprintf (path, sizeof path, "%s/fixed", s_dir);
    s_write (path, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
    cj_pseudonym_t *ps = cj_pseudonym_load (path, err, sizeof err);
    assert_non_null (ps);
    cj_pseudonym_of (ps, "worker", "510822198001010015", a);
    /* a different secret gives a different pseudonym */
    char other[128];
    snprintf (other, sizeof other, "%s/other", s_dir);
    s_write (other, "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600);
    cj_pseudonym_t *ps2 = cj_pseudonym_load (other, err, sizeof err);
    assert_non_null (ps2);
    cj_pseudonym_of (ps2, "worker", "510822198001010015", c);
    assert_string_not_equal (a, c);
    cj_pseudonym_destroy (&ps);
    cj_pseudonym_destroy (&ps2);
}

static void
test_bad_key_files_refused (void **state)
{
    (void) state;
    char path[128], err[256];
    assert_null (cj_pseudonym_load ("/nonexistent/key", err, sizeof err));
    assert_non_null (strstr (err, "cannot open"));
    assert_null (cj_pseudonym_load (NULL, err, sizeof err));
    snprintf (path, sizeof path, "%s/short", s_dir);
    s_write (path, "abcd", 0600);
    assert_null (cj_pseudonym_load (path, err, sizeof err));
    assert_non_null (strstr (err, "64 hex"));
    snprintf (path, sizeof path, "%s/nothex", s_dir);
    s_write (path, "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600);
    assert_null (cj_pseudonym_load (path, err, sizeof err));
    snprintf (path, sizeof path, "%s/open", s_dir);
    s_write (path, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0644);
    assert_null (cj_pseudonym_load (path, err, sizeof err));
    assert_non_null (strstr (err, "chmod 600"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_create_load_and_hash),
        cmocka_unit_test (test_known_key_gives_known_pseudonym),
        cmocka_unit_test (test_bad_key_files_refused),
    };
    return cmocka_run_group_tests_name ("pseudonym", tests, s_setup, s_teardown);
}
