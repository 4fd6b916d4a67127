/*  test_curve.c - CURVE key pairs and their files: a saved pair loads back whole; a key file
 *  others can read, a public key that is not the secret's, a bad key or agency are refused;
 *  files are not overwritten without 'force'; a public key loads from .pub or .key.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "chejian/curve.h"

static char dir[64];

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", dir, name);
}

static void
s_write (const char *name, const char *text, mode_t mode)
{
    char path[128];
    s_path (path, sizeof path, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    assert_int_equal (chmod (path, mode), 0);
}

static void
test_round_trip (void **state)
{
    (void) state;
    assert_true (cj_curve_available ());
    cj_curve_keypair_t kp, back;
    assert_int_equal (cj_curve_keypair_generate (&kp, "finance-510822"), 0);
    assert_true (cj_curve_key_valid (kp.public_key));
    assert_true (cj_curve_key_valid (kp.secret_key));
    char base[128], path[128], err[256], pub[CJ_CURVE_Z85 + 1];
    s_path (base, sizeof base, "finance");
    assert_int_equal (cj_curve_keypair_save (&kp, base, false, err, sizeof err), 0);
    s_path (path, sizeof path, "finance.key");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (cj_curve_keypair_load (path, &back, err, sizeof err), 0);
    assert_string_equal (back.agency, "finance-510822");
    assert_string_equal (back.public_key, kp.public_key);
    assert_string_equal (back.secret_key, kp.secret_key);
    assert_int_equal (cj_curve_public_load (path, pub, err, sizeof err), 0);
    assert_string_equal (pub, kp.public_key);
    s_path (path, sizeof path, "finance.pub");
    assert_int_equal (cj_curve_public_load (path, pub, err, sizeof err), 0);
    assert_string_equal (pub, kp.public_key);
    /*  no overwrite without force; with force, the new pair replaces the old  */
    cj_curve_keypair_t other;
    assert_int_equal (cj_curve_keypair_generate (&other, NULL), 0);
    assert_int_equal (cj_curve_keypair_save (&other, base, false, err, sizeof err), -1);
    assert_non_null (strstr (err, "--force"));
    assert_int_equal (cj_curve_keypair_save (&other, base, true, err, sizeof err), 0);
    s_path (path, sizeof path, "finance.key");
    assert_int_equal (cj_curve_keypair_load (path, &back, err, sizeof err), 0);
    assert_string_equal (back.public_key, other.public_key);
    assert_string_equal (back.agency, "");
    cj_curve_keypair_wipe (&back);
    assert_string_equal (back.secret_key, "");
}

static void
test_refusals (void **state)
{
    (void) state;
    cj_curve_keypair_t a, b, out;
    assert_int_equal (cj_curve_keypair_generate (&a, "a"), 0);
    assert_int_equal (cj_curve_keypair_generate (&b, "b"), 0);
    assert_int_equal (cj_curve_keypair_generate (&out, "Not An Agency"), -1);
    char text[512], path[128], err[256], pub[CJ_CURVE_Z85 + 1];
    /*  readable by others  */
    snprintf (text, sizeof text, "{\"agency\":\"a\",\"public_key\":\"%s\",\"secret_key\":\"%s\"}",
              a.public_key, a.secret_key);
    s_write ("open.key", text, 0644);
    s_path (path, sizeof path, "open.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    assert_non_null (strstr (err, "chmod 600"));
    /*  a public key that is not the secret's  */
    snprintf (text, sizeof text, "{\"agency\":\"a\",\"public_key\":\"%s\",\"secret_key\":\"%s\"}",
              b.public_key, a.secret_key);
    s_write ("mixed.key", text, 0600);
    s_path (path, sizeof path, "mixed.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    assert_non_null (strstr (err, "does not belong"));
    /*  a bad agency, a short key, not JSON, a missing file  */
    snprintf (text, sizeof text, "{\"agency\":\"A B\",\"public_key\":\"%s\",\"secret_key\":\"%s\"}",
              a.public_key, a.secret_key);
    s_write ("agency.key", text, 0600);
    s_path (path, sizeof path, "agency.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    s_write ("short.key", "{\"public_key\":\"abc\",\"secret_key\":\"def\"}", 0600);
    s_path (path, sizeof path, "short.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    s_write ("text.key", "not json", 0600);
    s_path (path, sizeof path, "text.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    assert_int_equal (cj_curve_public_load (path, pub, err, sizeof err), -1);
    s_path (path, sizeof path, "missing.key");
    assert_int_equal (cj_curve_keypair_load (path, &out, err, sizeof err), -1);
    assert_non_null (strstr (err, "chejian keygen"));
    assert_false (cj_curve_key_valid ("short"));
    assert_false (cj_curve_key_valid (NULL));
}

int
main (void)
{
    snprintf (dir, sizeof dir, "/tmp/cj-curveXXXXXX");
    if (!mkdtemp (dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_refusals),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
        rc = 1;
    return rc;
}
