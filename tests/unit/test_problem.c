/*  test_problem.c - the bounded problem list: adding, prefixes, bounds, formatting.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "chejian/problem.h"

/*  True if 'text' is well-formed UTF-8 (structure only; enough to see a cut character).  */
static int
s_utf8_ok (const char *text)
{
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 0;
        if (n == 0)
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

static void
test_init_empties (void **state)
{
    (void) state;
    cj_problems_t problems;
    memset (&problems, 0x5A, sizeof problems);
    cj_problems_init (&problems);
    assert_int_equal (problems.count, 0);
    assert_int_equal (problems.dropped, 0);
    assert_int_equal (problems.depth, 0);
    assert_string_equal (problems.prefix, "");
    assert_false (cj_problems_any (&problems));

    cj_problems_push (&problems, "lines");
    cj_problems_add (&problems, "x", "CODE", "m");
    cj_problems_init (&problems);
    assert_int_equal (problems.count, 0);
    assert_int_equal (problems.depth, 0);
    assert_string_equal (problems.prefix, "");
}

static void
test_add_stores_field_code_message (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, "worker_id", CJ_E_REQUIRED, "is required");
    cj_problems_add (&problems, "pieces", CJ_E_OUT_OF_RANGE, "must be at most %d (got %d)",
                     1000, 1001);
    assert_int_equal (problems.count, 2);
    assert_true (cj_problems_any (&problems));
    assert_string_equal (problems.items[0].field, "worker_id");
    assert_string_equal (problems.items[0].code, "REQUIRED");
    assert_string_equal (problems.items[0].message, "is required");
    assert_string_equal (problems.items[1].field, "pieces");
    assert_string_equal (problems.items[1].code, "OUT_OF_RANGE");
    assert_string_equal (problems.items[1].message, "must be at most 1000 (got 1001)");
}

static void
test_add_null_arguments (void **state)
{
    (void) state;
    cj_problems_add (NULL, "field", CJ_E_INTERNAL, "nothing recorded");    // must not crash
    assert_false (cj_problems_any (NULL));

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, NULL, NULL, NULL);
    cj_problems_add (&problems, "", CJ_E_TOO_LARGE, "%s", "");
    assert_int_equal (problems.count, 2);
    assert_string_equal (problems.items[0].field, "");
    assert_string_equal (problems.items[0].code, "");
    assert_string_equal (problems.items[0].message, "");
    assert_string_equal (problems.items[1].field, "");
    assert_string_equal (problems.items[1].code, "TOO_LARGE");
}

static void
test_prefix_joins_with_dot (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_problems_push (&problems, "lines[%d]", 12), 0);
    cj_problems_add (&problems, "pieces", CJ_E_OUT_OF_RANGE, "m");
    assert_int_equal (cj_problems_push (&problems, "rate"), 0);
    cj_problems_add (&problems, "cents", CJ_E_OUT_OF_RANGE, "m");
    cj_problems_add (&problems, NULL, CJ_E_REQUIRED, "m");
    cj_problems_add (&problems, "", CJ_E_REQUIRED, "m");
    cj_problems_pop (&problems);
    cj_problems_add (&problems, "worker", CJ_E_REQUIRED, "m");
    cj_problems_pop (&problems);
    cj_problems_add (&problems, "period", CJ_E_INVALID_PERIOD, "m");

    assert_int_equal (problems.count, 6);
    assert_string_equal (problems.items[0].field, "lines[12].pieces");
    assert_string_equal (problems.items[1].field, "lines[12].rate.cents");
    assert_string_equal (problems.items[2].field, "lines[12].rate");
    assert_string_equal (problems.items[3].field, "lines[12].rate");
    assert_string_equal (problems.items[4].field, "lines[12].worker");
    assert_string_equal (problems.items[5].field, "period");
    assert_int_equal (problems.depth, 0);
    assert_string_equal (problems.prefix, "");
}

static void
test_prefix_index_joins_without_dot (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_push (&problems, "lines");
    cj_problems_add (&problems, "[3]", CJ_E_REQUIRED, "m");
    cj_problems_push (&problems, "[%zu]", (size_t) 4);
    cj_problems_add (&problems, "pieces", CJ_E_REQUIRED, "m");
    cj_problems_add (&problems, "[0]", CJ_E_REQUIRED, "m");
    cj_problems_pop (&problems);
    cj_problems_pop (&problems);
    cj_problems_add (&problems, "[7]", CJ_E_REQUIRED, "m");     // no prefix: no dot either

    assert_string_equal (problems.items[0].field, "lines[3]");
    assert_string_equal (problems.items[1].field, "lines[4].pieces");
    assert_string_equal (problems.items[2].field, "lines[4][0]");
    assert_string_equal (problems.items[3].field, "[7]");
}

static void
test_pop_without_push_does_nothing (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_pop (&problems);
    cj_problems_pop (NULL);
    assert_int_equal (problems.depth, 0);
    cj_problems_push (&problems, "a");
    cj_problems_pop (&problems);
    cj_problems_pop (&problems);
    cj_problems_add (&problems, "b", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[0].field, "b");
    assert_int_equal (cj_problems_push (NULL, "x"), -1);
}

static void
test_prefix_depth_overflow_stays_balanced (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    for (int i = 0; i < CJ_PROBLEM_DEPTH; i++)
        assert_int_equal (cj_problems_push (&problems, "p%d", i), 0);
    assert_string_equal (problems.prefix, "p0.p1.p2.p3.p4.p5");

    //  Two failed pushes: fields stay under the deepest prefix that fitted
    assert_int_equal (cj_problems_push (&problems, "too_deep"), -1);
    assert_int_equal (cj_problems_push (&problems, "deeper"), -1);
    cj_problems_add (&problems, "f", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[0].field, "p0.p1.p2.p3.p4.p5.f");

    cj_problems_pop (&problems);                //  undoes "deeper"
    cj_problems_pop (&problems);                //  undoes "too_deep"
    cj_problems_add (&problems, "g", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[1].field, "p0.p1.p2.p3.p4.p5.g");

    cj_problems_pop (&problems);                //  undoes "p5"
    cj_problems_add (&problems, "h", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[2].field, "p0.p1.p2.p3.p4.h");

    for (int i = 0; i < CJ_PROBLEM_DEPTH - 1; i++)
        cj_problems_pop (&problems);
    cj_problems_add (&problems, "i", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[3].field, "i");
    assert_int_equal (problems.depth, 0);

    //  The stack works again after overflowing
    assert_int_equal (cj_problems_push (&problems, "again"), 0);
    cj_problems_add (&problems, "j", CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[4].field, "again.j");
}

static void
test_dropped_beyond_max (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    for (int i = 0; i < CJ_PROBLEMS_MAX; i++)
        cj_problems_add (&problems, "f", CJ_E_REQUIRED, "problem %d", i);
    assert_int_equal (problems.count, CJ_PROBLEMS_MAX);
    assert_int_equal (problems.dropped, 0);

    cj_problems_add (&problems, "f", CJ_E_REQUIRED, "one over");
    cj_problems_add (&problems, "f", CJ_E_REQUIRED, "two over");
    cj_problems_add (&problems, "f", CJ_E_REQUIRED, "three over");
    assert_int_equal (problems.count, CJ_PROBLEMS_MAX);
    assert_int_equal (problems.dropped, 3);
    assert_string_equal (problems.items[CJ_PROBLEMS_MAX - 1].message, "problem 31");

    cj_problems_t only_dropped;
    cj_problems_init (&only_dropped);
    only_dropped.dropped = 1;
    assert_true (cj_problems_any (&only_dropped));
}

static void
test_truncation_never_overflows (void **state)
{
    (void) state;
    char long_text[1000];
    memset (long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, long_text, long_text, "%s%s", long_text, long_text);
    assert_int_equal (strlen (problems.items[0].field), CJ_PROBLEM_FIELD - 1);
    assert_int_equal (strlen (problems.items[0].code), CJ_PROBLEM_CODE - 1);
    assert_int_equal (strlen (problems.items[0].message), CJ_PROBLEM_MESSAGE - 1);

    //  A long prefix is truncated; a field after it is cut, not written past the end
    assert_int_equal (cj_problems_push (&problems, "%s", long_text), 0);
    assert_int_equal (strlen (problems.prefix), CJ_PROBLEM_FIELD - 1);
    assert_int_equal (cj_problems_push (&problems, "inner"), 0);
    cj_problems_add (&problems, "field", CJ_E_REQUIRED, "m");
    assert_int_equal (strlen (problems.items[1].field), CJ_PROBLEM_FIELD - 1);
    cj_problems_pop (&problems);
    cj_problems_pop (&problems);
    assert_string_equal (problems.prefix, "");

    //  Exactly at the limit: kept whole
    char exact[CJ_PROBLEM_FIELD];
    memset (exact, 'b', sizeof exact - 1);
    exact[sizeof exact - 1] = '\0';
    cj_problems_add (&problems, exact, CJ_E_REQUIRED, "m");
    assert_string_equal (problems.items[2].field, exact);
}

static void
test_truncation_keeps_utf8_whole (void **state)
{
    (void) state;
    char chinese[400] = "";
    for (int i = 0; i < 100; i++)
        strcat (chinese, "车");                    //  3 bytes each

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, chinese, CJ_E_TOO_LONG, "%s", chinese);
    //  199 bytes would cut the 67th character: 66 whole ones (198 bytes) are kept
    assert_int_equal (strlen (problems.items[0].message), 198);
    assert_true (s_utf8_ok (problems.items[0].message));
    //  127 bytes would cut the 43rd character: 42 whole ones (126 bytes) are kept
    assert_int_equal (strlen (problems.items[0].field), 126);
    assert_true (s_utf8_ok (problems.items[0].field));

    //  A 4-byte character cut after 1, 2 or 3 bytes is dropped whole
    for (int pad = 0; pad < 4; pad++) {
        char text[CJ_PROBLEM_MESSAGE + 8];
        memset (text, 'a', sizeof text);
        size_t at = CJ_PROBLEM_MESSAGE - 1 - (size_t) pad - 1;
        memcpy (text + at, "\xF0\x9F\x98\x80", 4);
        text[at + 4] = '\0';
        cj_problems_add (&problems, "f", CJ_E_TOO_LONG, "%s", text);
        const char *kept = problems.items[problems.count - 1].message;
        assert_true (s_utf8_ok (kept));
        size_t expected = pad >= 3 ? at + 4 : at;
        assert_int_equal (strlen (kept), expected);
    }
}

static void
test_format_lists_problems (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    char buf[512];

    assert_int_equal (cj_problems_format (&problems, buf, sizeof buf), 0);
    assert_string_equal (buf, "");

    cj_problems_add (&problems, "worker.id", CJ_E_INVALID_CHECKSUM, "check character does not match");
    cj_problems_add (&problems, NULL, CJ_E_UNKNOWN_BODY, "body is not set");
    cj_problems_add (&problems, "period", CJ_E_INVALID_PERIOD, NULL);
    const char *expected = "worker.id: INVALID_CHECKSUM: check character does not match; "
                           "UNKNOWN_BODY: body is not set; period: INVALID_PERIOD";
    int n = cj_problems_format (&problems, buf, sizeof buf);
    assert_string_equal (buf, expected);
    assert_int_equal (n, strlen (expected));

    //  Sizing call, like snprintf
    assert_int_equal (cj_problems_format (&problems, NULL, 0), n);
}

static void
test_format_truncates_and_terminates (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, "a", "B", "c");
    cj_problems_add (&problems, "d", "E", "f");     //  "a: B: c; d: E: f" is 16 bytes

    struct { char buf[8]; char guard[8]; } out;
    memset (&out, '#', sizeof out);
    assert_int_equal (cj_problems_format (&problems, out.buf, sizeof out.buf), 16);
    assert_string_equal (out.buf, "a: B: c");
    for (size_t i = 0; i < sizeof out.guard; i++)
        assert_int_equal (out.guard[i], '#');

    char one[1] = { 'x' };
    assert_int_equal (cj_problems_format (&problems, one, 1), 16);
    assert_int_equal (one[0], '\0');

    //  A cut in the middle of a character drops the character
    cj_problems_t chinese;
    cj_problems_init (&chinese);
    cj_problems_add (&chinese, "名称", "X", "车间");  //  "名称: X: 车间"
    char small[6];                                   //  5 bytes: "名" and 2 bytes of "称"
    assert_int_equal (cj_problems_format (&chinese, small, sizeof small), 17);
    assert_string_equal (small, "名");
}

static void
test_format_mentions_dropped (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    for (int i = 0; i < CJ_PROBLEMS_MAX + 5; i++)
        cj_problems_add (&problems, "f", "C", "m");
    char buf[4096];
    int n = cj_problems_format (&problems, buf, sizeof buf);
    assert_int_equal (n, strlen (buf));
    const char *tail = "; f: C: m; and 5 more";
    assert_string_equal (buf + strlen (buf) - strlen (tail), tail);
    assert_int_equal (strncmp (buf, "f: C: m; f: C: m", 16), 0);
}

static void
test_has (void **state)
{
    (void) state;
    cj_problems_t p;
    cj_problems_init (&p);
    assert_false (cj_problems_has (&p, "county", CJ_E_INVALID_FORMAT));
    cj_problems_push (&p, "lines[%d]", 2);
    cj_problems_add (&p, "pieces", CJ_E_OUT_OF_RANGE, "too many");
    cj_problems_pop (&p);
    assert_true (cj_problems_has (&p, "lines[2].pieces", CJ_E_OUT_OF_RANGE));
    assert_false (cj_problems_has (&p, "lines[2].pieces", CJ_E_REQUIRED));
    assert_false (cj_problems_has (&p, "pieces", CJ_E_OUT_OF_RANGE));
    assert_false (cj_problems_has (NULL, "pieces", CJ_E_OUT_OF_RANGE));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_has),
        cmocka_unit_test (test_init_empties),
        cmocka_unit_test (test_add_stores_field_code_message),
        cmocka_unit_test (test_add_null_arguments),
        cmocka_unit_test (test_prefix_joins_with_dot),
        cmocka_unit_test (test_prefix_index_joins_without_dot),
        cmocka_unit_test (test_pop_without_push_does_nothing),
        cmocka_unit_test (test_prefix_depth_overflow_stays_balanced),
        cmocka_unit_test (test_dropped_beyond_max),
        cmocka_unit_test (test_truncation_never_overflows),
        cmocka_unit_test (test_truncation_keeps_utf8_whole),
        cmocka_unit_test (test_format_lists_problems),
        cmocka_unit_test (test_format_truncates_and_terminates),
        cmocka_unit_test (test_format_mentions_dropped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
