/*  test_cli_units.c - the CLI's pieces without a network: CSV cells (money, enums, booleans,
 *  dates, periods), whole files with bad cells named by file:line:column (a quoted cell over
 *  two lines counts both), content-derived event ids, wage reports built from lines and the
 *  mapping of their problems back to the lines of the file.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

static char s_dir[64];

static const char *
s_path (const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf (p, 256, "%s/%s", s_dir, name);
    return p;
}

static const char *
s_write (const char *name, const char *text)
{
    const char *path = s_path (name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

static const char *
s_data (const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf (p, 512, "%s/%s", CLI_TEST_DATA, name);
    return p;
}

static const cli_import_ctx_t s_ctx = { "hrss-test", "510822", "trace0001" };

static void
s_load (cli_file_t *f, const char *path, int kind, const cli_import_ctx_t *ctx, int expect)
{
    memset (f, 0, sizeof *f);
    f->path = path;
    f->kind = kind;
    assert_int_equal (cli_file_load (f, ctx), expect);
}

static bool
s_has_reject (const cli_file_t *f, const char *text)
{
    for (size_t i = 0; i < f->n_rejects; i++)
        if (strstr (f->rejects[i].text, text))
            return true;
    return false;
}

static void
s_expect_reject (const cli_file_t *f, const char *text)
{
    if (s_has_reject (f, text))
        return;
    for (size_t i = 0; i < f->n_rejects; i++)
        print_message ("  %s\n", f->rejects[i].text);
    fail_msg ("no reject \"%s\"", text);
}

static cj_envelope_t *
s_decode (const cli_item_t *item)
{
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *env = cj_envelope_decode (item->bytes, item->len, &p);
    assert_non_null (env);
    return env;
}

/*  ---- cells ----  */

static void
test_money (void **state)
{
    (void) state;
    int64_t fen = -1;
    assert_null (cli_parse_fen ("350050", &fen));
    assert_int_equal (fen, 350050);
    assert_null (cli_parse_fen ("0", &fen));
    assert_int_equal (fen, 0);
    assert_string_equal (cli_parse_fen ("", &fen), CJ_E_INVALID_FORMAT);
    assert_string_equal (cli_parse_fen ("-1", &fen), CJ_E_INVALID_FORMAT);
    assert_string_equal (cli_parse_fen ("12.5", &fen), CJ_E_INVALID_FORMAT);
    assert_string_equal (cli_parse_fen ("1000000000000001", &fen), CJ_E_OUT_OF_RANGE);
    assert_null (cli_parse_yuan ("3500", &fen));
    assert_int_equal (fen, 350000);
    assert_null (cli_parse_yuan ("3500.5", &fen));
    assert_int_equal (fen, 350050);
    assert_null (cli_parse_yuan ("3500.05", &fen));
    assert_int_equal (fen, 350005);
    assert_null (cli_parse_yuan ("0.01", &fen));
    assert_int_equal (fen, 1);
    /* 0.1 + 0.2 style trouble cannot happen: 19.99 is exactly 1999 fen */
    assert_null (cli_parse_yuan ("19.99", &fen));
    assert_int_equal (fen, 1999);
    assert_null (cli_parse_yuan ("10000000000000.00", &fen));
    assert_int_equal (fen, 1000000000000000LL);
    const char *bad[] = { "", ".5", "12.", "1.234", "1e3", "1,000", "-5", " 5", "5 ", "1.2.3" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fen = 77;
        assert_string_equal (cli_parse_yuan (bad[i], &fen), CJ_E_INVALID_FORMAT);
        assert_int_equal (fen, 77);
    }
    assert_string_equal (cli_parse_yuan ("99999999999999999999", &fen), CJ_E_OUT_OF_RANGE);
    char buf[32];
    assert_string_equal (cli_format_yuan (258205, buf), "2582.05");
    assert_string_equal (cli_format_yuan (5, buf), "0.05");
    assert_string_equal (cli_format_yuan (-1205, buf), "-12.05");
    assert_string_equal (cli_format_yuan (INT64_MIN, buf), "-92233720368547758.08");
}

static void
test_enums (void **state)
{
    (void) state;
    int v = -1;
    const ProtobufCEnumDescriptor *wt = &chejian__v1__workshop_type__descriptor;
    const char *park[] = { "park", "PARK", "Park", "WORKSHOP_TYPE_PARK", "workshop_type_park" };
    for (size_t i = 0; i < 5; i++) {
        v = -1;
        assert_null (cli_parse_enum (wt, park[i], &v));
        assert_int_equal (v, CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK);
    }
    assert_null (cli_parse_enum (&chejian__v1__contract_type__descriptor, "labour_contract", &v));
    assert_int_equal (v, CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT);
    assert_null (cli_parse_enum (&chejian__v1__work_mode__descriptor, "on_site_fixed_hours", &v));
    assert_int_equal (v, CHEJIAN__V1__WORK_MODE__WORK_MODE_ON_SITE_FIXED_HOURS);
    assert_null (cli_parse_enum (&chejian__v1__employment_end_reason__descriptor, "resigned", &v));
    assert_int_equal (v, CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_RESIGNED);
    v = 42;
    assert_string_equal (cli_parse_enum (wt, "unspecified", &v), CJ_E_UNKNOWN_ENUM);
    assert_string_equal (cli_parse_enum (wt, "WORKSHOP_TYPE_UNSPECIFIED", &v), CJ_E_UNKNOWN_ENUM);
    assert_string_equal (cli_parse_enum (wt, "parks", &v), CJ_E_UNKNOWN_ENUM);
    assert_string_equal (cli_parse_enum (wt, "1", &v), CJ_E_UNKNOWN_ENUM);
    assert_string_equal (cli_parse_enum (wt, "", &v), CJ_E_UNKNOWN_ENUM);
    assert_int_equal (v, 42);
    char buf[40];
    assert_string_equal (cli_enum_short_name (&chejian__v1__work_mode__descriptor, 3, buf,
                                              sizeof buf), "home_based");
    assert_string_equal (cli_enum_short_name (wt, 99, buf, sizeof buf), "99");
}

static void
test_booleans_dates_numbers (void **state)
{
    (void) state;
    bool b = false;
    const char *yes[] = { "1", "true", "TRUE", "yes", "Yes" }, *no[] = { "0", "false", "no", "NO" };
    for (size_t i = 0; i < 5; i++) {
        b = false;
        assert_null (cli_parse_bool (yes[i], &b));
        assert_true (b);
    }
    for (size_t i = 0; i < 4; i++) {
        b = true;
        assert_null (cli_parse_bool (no[i], &b));
        assert_false (b);
    }
    assert_string_equal (cli_parse_bool ("y", &b), CJ_E_INVALID_FORMAT);
    assert_string_equal (cli_parse_bool ("2", &b), CJ_E_INVALID_FORMAT);
    int32_t d = 0;
    assert_null (cli_parse_date ("20240229", &d));
    assert_int_equal (d, 20240229);
    assert_string_equal (cli_parse_date ("20230229", &d), CJ_E_INVALID_DATE);
    assert_string_equal (cli_parse_date ("2024-02-29", &d), CJ_E_INVALID_FORMAT);
    assert_string_equal (cli_parse_date ("2024022", &d), CJ_E_INVALID_FORMAT);
    assert_null (cli_parse_period ("202612", &d));
    assert_int_equal (d, 202612);
    assert_string_equal (cli_parse_period ("202613", &d), CJ_E_INVALID_PERIOD);
    assert_string_equal (cli_parse_period ("20261", &d), CJ_E_INVALID_FORMAT);
    uint64_t u = 0;
    assert_null (cli_parse_uint ("4294967295", UINT32_MAX, &u));
    assert_int_equal (u, 4294967295u);
    assert_string_equal (cli_parse_uint ("4294967296", UINT32_MAX, &u), CJ_E_OUT_OF_RANGE);
    assert_string_equal (cli_parse_uint ("12a", UINT32_MAX, &u), CJ_E_INVALID_FORMAT);
}

/*  ---- files ----  */

static void
test_bad_cells_named_by_line_and_column (void **state)
{
    (void) state;
    const char *path = s_write ("workshops_cells.csv",
        "County,workshop_id,name,type,address,opened_date,floor_area_m2,operator_registered_poor,"
        "township_name\n"
        "510822,W1,\"A, the first\",park,\"line one\nline two\",20260301,100,yes,竹园镇\n"
        "510822,W2,B,parks,x,20260230,1x,maybe,竹园镇\n"
        ",W3,C,park,,20260301,,,\n"
        "\n"
        "510822,W4,D,park\n"
        ",,,,,,,,\n"
        "510823,W5,E,home_workshop,,20260301,5000000000,0,\"\"\n");
    cli_file_t f;
    cli_import_ctx_t ctx = { "hrss-test", NULL, "t" };
    s_load (&f, path, CLI_KIND_WORKSHOPS, &ctx, 0);
    assert_int_equal (f.records, 5);
    assert_int_equal (f.rejected, 4);
    assert_int_equal (f.n_items, 1);
    char want[512];
#define S_EXPECT(line, rest)                                                                  \
    snprintf (want, sizeof want, "%s:%d%s", path, line, rest);                                \
    s_expect_reject (&f, want)
    S_EXPECT (4, ":type: UNKNOWN_ENUM not one of park, home_workshop, family_style");
    S_EXPECT (4, ":opened_date: INVALID_DATE");
    S_EXPECT (4, ":floor_area_m2: INVALID_FORMAT");
    S_EXPECT (4, ":operator_registered_poor: INVALID_FORMAT");
    S_EXPECT (5, ":county: REQUIRED");
    S_EXPECT (7, ": 4 cells; the header has 9 columns");
    S_EXPECT (9, ":floor_area_m2: OUT_OF_RANGE");
    /* the rejects never quote a cell */
    assert_false (s_has_reject (&f, "parks"));
    /* the good row: a quoted cell over two lines, and the next record is line 4 */
    const cli_item_t *item = &f.items[0];
    assert_int_equal (item->line, 2);
    assert_int_equal (strncmp (item->event_id, "csv-workshops-", 14), 0);
    cj_envelope_t *env = s_decode (item);
    assert_string_equal (env->county, "510822");
    assert_string_equal (env->source, "hrss-test");
    assert_int_equal (env->body_case, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP);
    const Chejian__V1__WorkshopDetails *d = env->register_workshop->details;
    assert_string_equal (d->name, "A, the first");
    assert_string_equal (d->location->address, "line one\nline two");
    assert_int_equal (d->type, CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK);
    assert_int_equal (d->floor_area_m2, 100);
    assert_true (d->operator_->registered_poor);
    assert_int_equal (d->opened_date, 20260301);
    cj_envelope_free (&env);
    cli_file_fini (&f);
}

static void
test_bad_files (void **state)
{
    (void) state;
    cli_file_t f;
    s_load (&f, s_write ("workers_x.csv", "county,resident_id,colour\n"), CLI_KIND_WORKERS,
            &s_ctx, -1);
    s_load (&f, s_write ("workers_y.csv", "county,name\n510822,X\n"), CLI_KIND_WORKERS, &s_ctx,
            -1);
    s_load (&f, s_write ("workers_z.csv", "resident_id,name\n\"a\"b,c\n"), CLI_KIND_WORKERS,
            &s_ctx, -1);
    s_load (&f, s_write ("workers_q.csv", "resident_id,name\n\"a,c\n"), CLI_KIND_WORKERS,
            &s_ctx, -1);
    s_load (&f, s_write ("workers_e.csv", ""), CLI_KIND_WORKERS, &s_ctx, -1);
    s_load (&f, s_write ("workers_d.csv", "resident_id,name,name\n"), CLI_KIND_WORKERS, &s_ctx,
            -1);
    /* a first cell over two lines: the record starts on the first */
    s_load (&f, s_write ("workers_n.csv", "name,resident_id\n\"two\nlines\",x\r\nthird,y\n"),
            CLI_KIND_WORKERS, &s_ctx, 0);
    assert_int_equal (f.n_items, 2);
    assert_int_equal (f.items[0].line, 2);
    assert_int_equal (f.items[1].line, 4);
    cli_file_fini (&f);
    /* fen and yuan columns may both be in the header, but one per row */
    const char *path = s_write ("workers_m.csv",
        "\xef\xbb\xbfresident_id,baseline_annual_income_fen,baseline_annual_income_yuan\n"
        "510822198503121006,100,\n"
        "510822198503121006,100,1.00\n");
    s_load (&f, path, CLI_KIND_WORKERS, &s_ctx, 0);
    assert_int_equal (f.n_items, 1);
    char want[300];
    snprintf (want, sizeof want, "%s:3:baseline_annual_income_fen: INVALID_FORMAT give one of "
              "baseline_annual_income_fen and baseline_annual_income_yuan", path);
    s_expect_reject (&f, want);
    cli_file_fini (&f);
}

/*  Every item of the file, by event id.  */
static void
s_ids (const cli_file_t *f, char ids[][CLI_EVENT_ID_MAX], size_t max)
{
    assert_true (f->n_items <= max);
    for (size_t i = 0; i < f->n_items; i++)
        memcpy (ids[i], f->items[i].event_id, CLI_EVENT_ID_MAX);
}

static void
test_content_ids (void **state)
{
    (void) state;
    char a[32][CLI_EVENT_ID_MAX], b[32][CLI_EVENT_ID_MAX];
    cli_file_t f;
    s_load (&f, s_data ("workers.csv"), CLI_KIND_WORKERS, &s_ctx, 0);
    assert_int_equal (f.n_items, 20);
    s_ids (&f, a, 32);
    for (size_t i = 0; i < f.n_items; i++) {
        assert_int_equal (strlen (a[i]), strlen ("csv-workers-") + 32);
        assert_int_equal (strncmp (a[i], "csv-workers-", 12), 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal (a[i], a[j]);
    }
    cli_file_fini (&f);
    /* the same records, another run (another trace id and source): the same ids */
    cli_import_ctx_t other = { "another", "510822", "trace0002" };
    s_load (&f, s_data ("workers.csv"), CLI_KIND_WORKERS, &other, 0);
    s_ids (&f, b, 32);
    for (size_t i = 0; i < 20; i++)
        assert_string_equal (a[i], b[i]);
    cli_file_fini (&f);
    /* one cell changed: that record's id changes, no other */
    char *text = cli_read_file (s_data ("workers.csv"), NULL);
    assert_non_null (text);
    char *third = strstr (text, "\n510822");
    for (int i = 0; i < 2; i++)
        third = strstr (third + 1, "\n510822");
    char *status = strstr (third, ",20160101,");
    memcpy (status, ",20160102,", 10);
    const char *changed = s_write ("workers_changed.csv", text);
    free (text);
    s_load (&f, changed, CLI_KIND_WORKERS, &s_ctx, 0);
    s_ids (&f, b, 32);
    for (size_t i = 0; i < 20; i++)
        if (i == 2)
            assert_string_not_equal (a[i], b[i]);
        else
            assert_string_equal (a[i], b[i]);
    cli_file_fini (&f);
    /* rows without a county take --county, which is part of the id */
    s_load (&f, s_data ("employments.csv"), CLI_KIND_EMPLOYMENTS, &s_ctx, 0);
    s_ids (&f, a, 32);
    assert_int_equal (f.n_items, 20);
    assert_non_null (f.items[19].end_bytes);          /* the one that ends */
    assert_int_equal (strncmp (f.items[19].end_id, "csv-employments-", 16), 0);
    assert_string_not_equal (f.items[19].end_id, f.items[19].event_id);
    assert_null (f.items[0].end_bytes);
    cli_file_fini (&f);
    cli_import_ctx_t county = { "hrss-test", "510823", "t" };
    s_load (&f, s_data ("employments.csv"), CLI_KIND_EMPLOYMENTS, &county, 0);
    s_ids (&f, b, 32);
    for (size_t i = 0; i < 20; i++)
        assert_string_not_equal (a[i], b[i]);
    cli_file_fini (&f);
}

/*  A fake REJECTED answer with problems on 'fields'.  */
static void
s_reject_item (cli_item_t *item, const char *const *fields, size_t n)
{
    Chejian__V1__Problem p[8], *pp[8];
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    for (size_t i = 0; i < n; i++) {
        chejian__v1__problem__init (&p[i]);
        p[i].field = (char *) fields[i];
        p[i].code = "CONFLICT";
        p[i].message = "a reason";
        pp[i] = &p[i];
    }
    ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED;
    ack.n_problems = n;
    ack.problems = pp;
    cli_item_reject_ack (item, &ack);
}

static void
test_wage_reports_and_problem_lines (void **state)
{
    (void) state;
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[12].employment_id"), 12);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[0]"), 0);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[3].x.y"), 3);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines"), -1);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[x]"), -1);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[]"), -1);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.lines[1]x"), -1);
    assert_int_equal (cli_wage_line_index ("submit_wage_report.period"), -1);
    assert_int_equal (cli_wage_line_index ("lines[2].pieces"), -1);
    assert_int_equal (cli_wage_line_index ("register_worker.lines[2]"), -1);

    cli_file_t f;
    s_load (&f, s_data ("wages.csv"), CLI_KIND_WAGES, &s_ctx, 0);
    assert_int_equal (f.records, 39);
    assert_int_equal (f.n_items, 6);   /* 3 workshops x 2 months */
    cli_item_t *w01 = &f.items[0];
    assert_int_equal (w01->n_lines, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal (w01->lines[i], 2 + (int) i);
    cj_envelope_t *env = s_decode (w01);
    const Chejian__V1__SubmitWageReport *r = env->submit_wage_report;
    assert_non_null (r);
    assert_string_equal (r->workshop_id, "QC-W01");
    assert_int_equal (r->period, 202609);
    assert_int_equal (r->paid_date, 20261010);
    assert_int_equal (r->revision, 0);
    assert_int_equal (r->n_lines, 8);
    assert_string_equal (r->lines[0]->employment_id, "E-001");
    assert_string_equal (r->lines[7]->employment_id, "E-008");
    assert_int_equal (r->lines[3]->gross_fen, 300000);
    cj_envelope_free (&env);
    env = s_decode (&f.items[1]);   /* QC-W02: piece rate, gross given in yuan */
    assert_int_equal (env->submit_wage_report->lines[0]->gross_fen, 210000);
    assert_int_equal (env->submit_wage_report->lines[0]->pieces, 6000);
    assert_int_equal (env->submit_wage_report->lines[0]->unit_rate_millifen, 35000);
    assert_int_equal (env->submit_wage_report->lines[0]->work_site,
                      CHEJIAN__V1__WORK_SITE__WORK_SITE_HOME);
    cj_envelope_free (&env);
    cli_item_t *oct = &f.items[5];   /* QC-W03 202610: 5 lines, 36..40 */
    assert_int_equal (oct->n_lines, 5);
    assert_int_equal (oct->lines[0], 36);

    const char *fields[] = { "submit_wage_report.lines[2].employment_id",
                             "submit_wage_report.period", "submit_wage_report.lines[99].x" };
    s_reject_item (oct, fields, 3);
    char want[400];
    snprintf (want, sizeof want, "%s:38: submit_wage_report.lines[2].employment_id CONFLICT "
              "a reason", f.path);
    s_expect_reject (&f, want);
    snprintf (want, sizeof want, "%s:36: submit_wage_report.period CONFLICT", f.path);
    s_expect_reject (&f, want);
    snprintf (want, sizeof want, "%s:36: submit_wage_report.lines[99].x CONFLICT", f.path);
    s_expect_reject (&f, want);
    cli_file_fini (&f);

    /* a report with a bad line is not sent; its other lines are rejected with it */
    s_load (&f, s_data ("bad/wages_bad.csv"), CLI_KIND_WAGES, &s_ctx, 0);
    assert_int_equal (f.records, 5);
    assert_int_equal (f.n_items, 1);
    assert_int_equal (f.items[0].n_lines, 3);
    assert_int_equal (f.rejected, 2);
    snprintf (want, sizeof want, "%s:6:gross_fen: INVALID_FORMAT", f.path);
    s_expect_reject (&f, want);
    snprintf (want, sizeof want, "%s:5: not sent: the report of workshop QC-W02 for 202608 "
              "(2 lines) has a bad line (line 6)", f.path);
    s_expect_reject (&f, want);
    cli_file_fini (&f);
}

static void
test_kinds_and_bodies (void **state)
{
    (void) state;
    assert_int_equal (cli_kind_of_path ("/x/y/wages-2026-10.csv"), CLI_KIND_WAGES);
    assert_int_equal (cli_kind_of_path ("workshops.csv"), CLI_KIND_WORKSHOPS);
    assert_int_equal (cli_kind_of_path ("dir.workers/employments.csv"), CLI_KIND_EMPLOYMENTS);
    assert_int_equal (cli_kind_of_path ("people.csv"), -1);
    assert_int_equal (cli_kind_by_name ("workers"), CLI_KIND_WORKERS);
    assert_int_equal (cli_kind_by_name ("worker"), -1);
    const ProtobufCFieldDescriptor *f = cli_body_field ("get_workshop");
    assert_non_null (f);
    assert_int_equal (f->id, CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP);
    assert_ptr_equal (cli_body_field ("getWorkshop"), f);
    assert_null (cli_body_field ("get_workshopx"));
    assert_null (cli_body_field ("event_id"));
    char text[] = "near '510822198503121006', 12345678901234567 and 51082219850312100X";
    cli_mask_resident_ids (text);
    assert_string_equal (text, "near '510822********1006', 12345678901234567 and "
                               "510822********100X");
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/cliunitXXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_money),
        cmocka_unit_test (test_enums),
        cmocka_unit_test (test_booleans_dates_numbers),
        cmocka_unit_test (test_bad_cells_named_by_line_and_column),
        cmocka_unit_test (test_bad_files),
        cmocka_unit_test (test_content_ids),
        cmocka_unit_test (test_wage_reports_and_problem_lines),
        cmocka_unit_test (test_kinds_and_bodies),
    };
    return cmocka_run_group_tests_name ("cli.units", tests, s_setup, s_teardown);
}
