/*  test_ident.c - resident ID, USCC, area codes, dates, periods, text and ranges.
 *
 *  Valid identifiers are built here with check characters computed from the standards'
 *  own definitions (weights 2^(17-i) mod 11 and 3^i mod 31), not from the tables in
 *  ident.c, so that a wrong table there fails these tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chejian/ident.h"

//  ---------------------------------------------------------------------------------------
//  Helpers

/*  Builds a resident ID from 'area' (6 digits), 'birth' (yyyymmdd) and 'order' (0..999) with
 *  the check character that makes sum(a_i * 2^(17-i)) + check == 1 (mod 11), X standing
 *  for 10 (ISO 7064 MOD 11-2).  */
static void
s_make_id (char out[19], const char *area, int32_t birth, int order)
{
    char digits[48];
    snprintf (digits, sizeof digits, "%.6s%08d%03d", area, (int) birth, order);
    memcpy (out, digits, 17);
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int weight = 1;
        for (int k = 0; k < 17 - i; k++)
            weight = weight * 2 % 11;
        sum += (out[i] - '0') * weight;
    }
    int check = 0;
    while ((sum + check) % 11 != 1)
        check++;
    out[17] = check == 10 ? 'X' : (char) ('0' + check);
    out[18] = '\0';
}

static const char s_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/*  Completes 'code' (17 characters given) with the check character c that makes
 *  sum(v_i * 3^i) + v(c) == 0 (mod 31).  */
static void
s_make_uscc (char out[19], const char *first17)
{
    memcpy (out, first17, 17);
    int sum = 0, weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += (int) (strchr (s_alphabet, out[i]) - s_alphabet) * weight;
        weight = weight * 3 % 31;
    }
    int check = 0;
    while ((sum + check) % 31 != 0)
        check++;
    out[17] = s_alphabet[check];
    out[18] = '\0';
}

/*  Asserts that 'problems' holds exactly one problem, for 'field' with 'code', and empties
 *  it for the next check.  */
static void
s_expect (cj_problems_t *problems, const char *field, const char *code)
{
    assert_int_equal (problems->count, 1);
    assert_string_equal (problems->items[0].field, field);
    assert_string_equal (problems->items[0].code, code);
    assert_true (strlen (problems->items[0].message) > 0);
    cj_problems_init (problems);
}

/*  Checks 'id' and asserts the result: 'code' NULL means valid. Also asserts that no failure
 *  message repeats the ID or its birth date, and that NULL problems gives the same answer.  */
static void
s_check_id (const char *id, const char *code)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    int rc = cj_check_resident_id (&problems, "worker.id", id);
    assert_int_equal (cj_check_resident_id (NULL, "worker.id", id), rc);
    if (!code) {
        assert_int_equal (rc, 0);
        assert_int_equal (problems.count, 0);
        return;
    }
    assert_int_equal (rc, -1);
    const char *message = problems.items[0].message;
    if (id && strlen (id) >= 14) {
        char birth[9];
        memcpy (birth, id + 6, 8);
        birth[8] = '\0';
        assert_null (strstr (message, id));
        assert_null (strstr (message, birth));
    }
    s_expect (&problems, "worker.id", code);
}

static void
s_check_uscc (const char *code_text, const char *code)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    int rc = cj_check_uscc (&problems, "operator.uscc", code_text);
    assert_int_equal (cj_check_uscc (NULL, "operator.uscc", code_text), rc);
    if (!code) {
        assert_int_equal (rc, 0);
        assert_int_equal (problems.count, 0);
        return;
    }
    assert_int_equal (rc, -1);
    s_expect (&problems, "operator.uscc", code);
}

/*  cj_check_county or cj_check_jurisdiction on 'text'; 'code' NULL means valid.  */
static void
s_check_area (int (*check) (cj_problems_t *, const char *, const char *),
              const char *text, const char *code)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    int rc = check (&problems, "county", text);
    if (!code) {
        assert_int_equal (rc, 0);
        assert_int_equal (problems.count, 0);
        return;
    }
    assert_int_equal (rc, -1);
    s_expect (&problems, "county", code);
}

static void
s_check_text (const char *text, size_t max_chars, bool required, const char *code)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    int rc = cj_check_text (&problems, "name", text, max_chars, required);
    assert_int_equal (cj_check_text (NULL, "name", text, max_chars, required), rc);
    if (!code) {
        assert_int_equal (rc, 0);
        assert_int_equal (problems.count, 0);
        return;
    }
    assert_int_equal (rc, -1);
    s_expect (&problems, "name", code);
}

//  ---------------------------------------------------------------------------------------
//  Resident ID

static void
test_resident_id_fixed_valid (void **state)
{
    (void) state;
    //  Check characters worked out by hand from GB 11643
    s_check_id ("510822198001010015", NULL);
    s_check_id ("11010519491231002X", NULL);
    s_check_id ("440308200002291231", NULL);        //  born on a leap day
    s_check_id ("110101190001010014", NULL);        //  first accepted birth date

    char id[19];
    s_make_id (id, "510822", 19800101, 1);
    assert_string_equal (id, "510822198001010015");
}

static void
test_resident_id_constructed_valid (void **state)
{
    (void) state;
    const char *areas[] = { "510822", "500236", "500237", "110105", "830000", "999999" };
    const int32_t births[] = { 19000101, 19491001, 19600229, 19991231, 20000229, 20200714 };
    int saw_x = 0;
    char id[19];
    for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++)
        for (size_t b = 0; b < sizeof births / sizeof births[0]; b++)
            for (int order = 0; order < 1000; order += 37) {
                s_make_id (id, areas[a], births[b], order);
                saw_x += id[17] == 'X';
                s_check_id (id, NULL);
            }
    assert_true (saw_x > 0);        //  the X check character was exercised

    s_make_id (id, "510822", cj_date_today (), 123);
    s_check_id (id, NULL);          //  born today
}

static void
test_resident_id_format (void **state)
{
    (void) state;
    s_check_id (NULL, CJ_E_REQUIRED);
    s_check_id ("", CJ_E_REQUIRED);
    s_check_id ("51082219800101001", CJ_E_INVALID_FORMAT);         //  17
    s_check_id ("5108221980010100150", CJ_E_INVALID_FORMAT);       //  19
    s_check_id ("510822 98001010015", CJ_E_INVALID_FORMAT);
    s_check_id ("51082219800101001A", CJ_E_INVALID_FORMAT);
    s_check_id ("X10822198001010015", CJ_E_INVALID_FORMAT);
    s_check_id ("5108221980010100１5", CJ_E_INVALID_FORMAT);       //  full-width digit
    s_check_id ("11010519491231002x", CJ_E_INVALID_FORMAT);        //  lowercase x

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_check_resident_id (&problems, "id", "123");
    assert_non_null (strstr (problems.items[0].message, "18"));
    assert_null (strstr (problems.items[0].message, "123 "));
}

static void
test_resident_id_birth_date (void **state)
{
    (void) state;
    char id[19];
    const int32_t bad[] = {
        19800230, 19000229, 21000229, 19810229, 19800431, 19801301, 19800001, 19800100,
        18991231, 18000101, 101, 99999999, 29991231
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_make_id (id, "510822", bad[i], 1);
        s_check_id (id, CJ_E_INVALID_DATE);
    }
    //  Tomorrow (UTC) is in the future
    int32_t tomorrow = cj_date_from_days (cj_date_to_days (cj_date_today ()) + 1);
    assert_true (cj_date_valid (tomorrow));
    s_make_id (id, "510822", tomorrow, 1);
    s_check_id (id, CJ_E_INVALID_DATE);
}

static void
test_resident_id_checksum (void **state)
{
    (void) state;
    char id[19];
    s_make_id (id, "510822", 19800101, 1);
    const char checks[] = "0123456789X";
    for (size_t i = 0; i < 11; i++) {
        if (checks[i] == id[17])
            continue;
        char wrong[19];
        memcpy (wrong, id, sizeof wrong);
        wrong[17] = checks[i];
        s_check_id (wrong, CJ_E_INVALID_CHECKSUM);
    }
    //  A single changed digit anywhere is caught
    for (size_t pos = 0; pos < 17; pos++) {
        if (pos >= 6 && pos < 14)
            continue;               //  birth date digits could make the date invalid instead
        char wrong[19];
        memcpy (wrong, id, sizeof wrong);
        wrong[pos] = wrong[pos] == '9' ? '8' : (char) (wrong[pos] + 1);
        s_check_id (wrong, CJ_E_INVALID_CHECKSUM);
    }
    //  Swapping two adjacent different digits is caught
    s_check_id ("510822198001010051", CJ_E_INVALID_CHECKSUM);

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_check_resident_id (&problems, "id", "510822198001010016");
    assert_string_equal (problems.items[0].message,
                         "check character does not match (expected 5)");
    cj_problems_init (&problems);
    cj_check_resident_id (&problems, "id", "110105194912310021");
    assert_string_equal (problems.items[0].message,
                         "check character does not match (expected X)");
}

static void
test_resident_id_mask (void **state)
{
    (void) state;
    char out[CJ_RESIDENT_ID_LEN + 1];
    assert_int_equal (cj_resident_id_mask ("510822198001010015", out), 0);
    assert_string_equal (out, "510822********0015");
    assert_int_equal (cj_resident_id_mask ("11010519491231002X", out), 0);
    assert_string_equal (out, "110105********002X");

    memcpy (out, "untouched-buffer!", 18);
    assert_int_equal (cj_resident_id_mask ("51082219800101001", out), -1);
    assert_int_equal (cj_resident_id_mask ("5108221980010100150", out), -1);
    assert_int_equal (cj_resident_id_mask ("", out), -1);
    assert_int_equal (cj_resident_id_mask (NULL, out), -1);
    assert_memory_equal (out, "untouched-buffer!", 18);
}

//  ---------------------------------------------------------------------------------------
//  USCC

static void
test_uscc_valid (void **state)
{
    (void) state;
    s_check_uscc ("91350100M000100Y43", NULL);

    //  Every authority code, and every check value including 0 (31 - 0 wraps to 0)
    const char authorities[] = "123456789ANY";
    int seen[31] = { 0 };
    char first17[18], code[19];
    for (size_t a = 0; a < strlen (authorities); a++)
        for (int k = 0; k < 31 * 4; k++) {
            snprintf (first17, sizeof first17, "%c%c510822%c%c%c%c%c%c%c%c%c",
                      authorities[a], s_alphabet[1 + k % 9], s_alphabet[k % 31],
                      s_alphabet[(k * 7) % 31], s_alphabet[(k * 3) % 31], '0', '0',
                      s_alphabet[(k / 31) % 31], '1', s_alphabet[(k * 11) % 31],
                      s_alphabet[(k + a) % 31]);
            s_make_uscc (code, first17);
            seen[strchr (s_alphabet, code[17]) - s_alphabet] = 1;
            s_check_uscc (code, NULL);
        }
    for (int v = 0; v < 31; v++)
        assert_true (seen[v]);
}

static void
test_uscc_invalid (void **state)
{
    (void) state;
    s_check_uscc (NULL, CJ_E_REQUIRED);
    s_check_uscc ("", CJ_E_REQUIRED);
    s_check_uscc ("91350100M000100Y4", CJ_E_INVALID_FORMAT);           //  17
    s_check_uscc ("91350100M000100Y433", CJ_E_INVALID_FORMAT);         //  19
    s_check_uscc ("91350100m000100Y43", CJ_E_INVALID_FORMAT);          //  lowercase
    s_check_uscc ("91350100M000100Y4 ", CJ_E_INVALID_FORMAT);
    const char *excluded = "IOSVZ";
    for (size_t i = 0; i < 5; i++) {
        char code[19] = "91350100M000100Y43";
        code[8] = excluded[i];
        s_check_uscc (code, CJ_E_INVALID_FORMAT);
    }
    //  Authority codes outside 1-9, A, N, Y, with a correct check character
    char code[19];
    const char *bad_authorities = "0BCDEFGHJKLMPQRTUWX";
    for (size_t i = 0; i < strlen (bad_authorities); i++) {
        char first17[18] = "91350100M000100Y4";
        first17[0] = bad_authorities[i];
        s_make_uscc (code, first17);
        s_check_uscc (code, CJ_E_INVALID_FORMAT);
    }
    //  A letter in the area code, with a correct check character
    s_make_uscc (code, "9135A100M000100Y4");
    s_check_uscc (code, CJ_E_INVALID_FORMAT);
    s_make_uscc (code, "91350100M000100Y4");
    assert_string_equal (code, "91350100M000100Y43");

    //  Wrong check characters
    for (size_t i = 0; i < 31; i++) {
        if (s_alphabet[i] == '3')
            continue;
        char wrong[19] = "91350100M000100Y43";
        wrong[17] = s_alphabet[i];
        s_check_uscc (wrong, CJ_E_INVALID_CHECKSUM);
    }
    s_check_uscc ("91350100M000100Y34", CJ_E_INVALID_CHECKSUM);
    s_check_uscc ("91350100M000010Y43", CJ_E_INVALID_CHECKSUM);

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_check_uscc (&problems, "uscc", "91350100M000100Y40");
    assert_string_equal (problems.items[0].message,
                         "check character does not match (expected 3)");
}

//  ---------------------------------------------------------------------------------------
//  County and jurisdiction

static void
test_county (void **state)
{
    (void) state;
    const char *valid[] = { "510822", "500236", "110105", "110101", "820101", "650101",
                            "429004", "110001" };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        s_check_area (cj_check_county, valid[i], NULL);

    s_check_area (cj_check_county, NULL, CJ_E_REQUIRED);
    s_check_area (cj_check_county, "", CJ_E_REQUIRED);
    const char *invalid[] = {
        "51082", "5108221", "51082a", " 10822", "51 822", "５10822",
        "100101", "830101", "000101", "990101",          //  province part
        "510800", "510000", "110100", "820000", "000000" //  city, province, national
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        s_check_area (cj_check_county, invalid[i], CJ_E_INVALID_FORMAT);
}

static void
test_jurisdiction (void **state)
{
    (void) state;
    const char *valid[] = { "000000", "11", "51", "82", "5108", "5001", "4290",
                            "510822", "110105", "820101" };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        s_check_area (cj_check_jurisdiction, valid[i], NULL);

    s_check_area (cj_check_jurisdiction, NULL, CJ_E_REQUIRED);
    s_check_area (cj_check_jurisdiction, "", CJ_E_REQUIRED);
    const char *invalid[] = {
        "5", "510", "51082", "5108221", "0", "0000", "00",   //  lengths; national is 000000
        "10", "83", "99", "1001", "8301", "830101",          //  province part
        "5100", "510800", "510000",                          //  ends in 00
        "5a", "51 8", "51082x", "-51"
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        s_check_area (cj_check_jurisdiction, invalid[i], CJ_E_INVALID_FORMAT);
}

//  ---------------------------------------------------------------------------------------
//  Dates and periods

static void
test_date_valid (void **state)
{
    (void) state;
    const int32_t valid[] = { 19000101, 21991231, 20000229, 20240229, 19960229, 20230131,
                              20230430, 20231231, 20230228, 19700101 };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_true (cj_date_valid (valid[i]));
    const int32_t invalid[] = { 18991231, 22000101, 19000229, 21000229, 20230229, 20230431,
                                20230631, 20230931, 20231131, 20230132, 20230013, 20231301,
                                20230100, 20230001, 0, -20200101, 2020011, 202001011,
                                INT32_MAX, INT32_MIN };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_false (cj_date_valid (invalid[i]));

    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_check_date (&problems, "start", 20200229), 0);
    assert_int_equal (problems.count, 0);
    assert_int_equal (cj_check_date (&problems, "start", 20190229), -1);
    s_expect (&problems, "start", CJ_E_INVALID_DATE);
    assert_int_equal (cj_check_date (NULL, "start", 0), -1);
}

static void
test_period_valid (void **state)
{
    (void) state;
    const int32_t valid[] = { 190001, 219912, 202001, 202012, 202007 };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_true (cj_period_valid (valid[i]));
    const int32_t invalid[] = { 189912, 220001, 202000, 202013, 0, -202001, 20200101, 20201,
                                INT32_MIN, INT32_MAX };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_false (cj_period_valid (invalid[i]));

    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_check_period (&problems, "period", 202007), 0);
    assert_int_equal (problems.count, 0);
    assert_int_equal (cj_check_period (&problems, "period", 20200715), -1);
    s_expect (&problems, "period", CJ_E_INVALID_PERIOD);
}

static void
test_date_days_fixed (void **state)
{
    (void) state;
    assert_int_equal (cj_date_to_days (19700101), 0);
    assert_int_equal (cj_date_to_days (19700102), 1);
    assert_int_equal (cj_date_to_days (19691231), -1);
    assert_int_equal (cj_date_to_days (19000101), -25567);
    assert_int_equal (cj_date_to_days (20000301), 11017);
    assert_int_equal (cj_date_to_days (20200229), 18321);
    assert_int_equal (cj_date_to_days (21991231), 84005);
    assert_int_equal (cj_date_to_days (20190229), INT32_MIN);
    assert_int_equal (cj_date_to_days (18991231), INT32_MIN);
    assert_int_equal (cj_date_to_days (0), INT32_MIN);

    assert_int_equal (cj_date_from_days (0), 19700101);
    assert_int_equal (cj_date_from_days (-1), 19691231);
    assert_int_equal (cj_date_from_days (18321), 20200229);
    assert_int_equal (cj_date_from_days (-25567), 19000101);
    assert_int_equal (cj_date_from_days (84005), 21991231);
    assert_int_equal (cj_date_from_days (-25568), 0);
    assert_int_equal (cj_date_from_days (84006), 0);
    assert_int_equal (cj_date_from_days (INT32_MIN), 0);
    assert_int_equal (cj_date_from_days (INT32_MAX), 0);
}

/*  Walks every day from 1900-01-01 to 2199-12-31 with a naive calendar and checks both
 *  conversions against it.  */
static void
test_date_days_every_day (void **state)
{
    (void) state;
    static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int year = 1900, month = 1, day = 1;
    int32_t days = -25567;
    int leap_days = 0;
    while (year <= 2199) {
        int32_t date = year * 10000 + month * 100 + day;
        assert_true (cj_date_valid (date));
        assert_int_equal (cj_date_to_days (date), days);
        assert_int_equal (cj_date_from_days (days), date);

        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int last = month_days[month - 1] + (month == 2 && leap);
        leap_days += month == 2 && day == 29;
        if (++day > last) {
            day = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
        days++;
    }
    assert_int_equal (days, 84006);
    assert_int_equal (leap_days, 73);       //  75 multiples of 4 in 1900..2196, less 1900, 2100
}

static void
test_date_add_months (void **state)
{
    (void) state;
    assert_int_equal (cj_date_add_months (20200131, 1), 20200229);
    assert_int_equal (cj_date_add_months (20190131, 1), 20190228);
    assert_int_equal (cj_date_add_months (20200131, 3), 20200430);
    assert_int_equal (cj_date_add_months (20200229, 12), 20210228);
    assert_int_equal (cj_date_add_months (20200229, 48), 20240229);
    assert_int_equal (cj_date_add_months (20200531, -1), 20200430);
    assert_int_equal (cj_date_add_months (20200331, -1), 20200229);
    assert_int_equal (cj_date_add_months (20201231, 1), 20210131);
    assert_int_equal (cj_date_add_months (20200115, -13), 20181215);
    assert_int_equal (cj_date_add_months (20200115, 0), 20200115);
    assert_int_equal (cj_date_add_months (20200115, 6), 20200715);
    assert_int_equal (cj_date_add_months (19000101, 300 * 12 - 1), 21991201);
    assert_int_equal (cj_date_add_months (21991231, -(300 * 12 - 1)), 19000131);

    assert_int_equal (cj_date_add_months (21991231, 1), 0);
    assert_int_equal (cj_date_add_months (19000131, -1), 0);
    assert_int_equal (cj_date_add_months (20200230, 1), 0);
    assert_int_equal (cj_date_add_months (0, 1), 0);
    assert_int_equal (cj_date_add_months (20200115, INT_MAX), 0);
    assert_int_equal (cj_date_add_months (20200115, INT_MIN), 0);
}

static void
test_date_months_between (void **state)
{
    (void) state;
    assert_int_equal (cj_date_months_between (20200115, 20200714), 5);
    assert_int_equal (cj_date_months_between (20200115, 20200715), 6);
    assert_int_equal (cj_date_months_between (20200131, 20200228), 0);
    assert_int_equal (cj_date_months_between (20200131, 20200229), 1);
    assert_int_equal (cj_date_months_between (20200229, 20200328), 0);
    assert_int_equal (cj_date_months_between (20200229, 20200329), 1);
    assert_int_equal (cj_date_months_between (20200115, 20200115), 0);
    assert_int_equal (cj_date_months_between (20191231, 20200101), 0);
    assert_int_equal (cj_date_months_between (20190101, 20200101), 12);
    assert_int_equal (cj_date_months_between (19000101, 21991231), 300 * 12 - 1);
    assert_int_equal (cj_date_months_between (20200715, 20200115), -1);
    assert_int_equal (cj_date_months_between (20190229, 20200101), -1);
    assert_int_equal (cj_date_months_between (20190101, 20200230), -1);

    //  The definition itself, over many pairs: add (from, m) <= to < add (from, m + 1)
    const int32_t froms[] = { 20200131, 20200229, 20200115, 20191130, 20200301, 20210228 };
    for (size_t f = 0; f < sizeof froms / sizeof froms[0]; f++) {
        int32_t start = cj_date_to_days (froms[f]);
        for (int32_t offset = 0; offset < 800; offset++) {
            int32_t to = cj_date_from_days (start + offset);
            int m = cj_date_months_between (froms[f], to);
            assert_true (m >= 0);
            assert_true (cj_date_add_months (froms[f], m) <= to);
            assert_true (cj_date_add_months (froms[f], m + 1) > to);
        }
    }
}

static void
test_period_arithmetic (void **state)
{
    (void) state;
    assert_int_equal (cj_date_period (20200715), 202007);
    assert_int_equal (cj_date_period (19000101), 190001);
    assert_int_equal (cj_date_period (20190229), 0);
    assert_int_equal (cj_date_period (0), 0);

    assert_int_equal (cj_period_add (202012, 1), 202101);
    assert_int_equal (cj_period_add (202001, -1), 201912);
    assert_int_equal (cj_period_add (202006, 0), 202006);
    assert_int_equal (cj_period_add (202006, 25), 202207);
    assert_int_equal (cj_period_add (202006, -18), 201812);
    assert_int_equal (cj_period_add (190001, 300 * 12 - 1), 219912);
    assert_int_equal (cj_period_add (219912, 1), 0);
    assert_int_equal (cj_period_add (190001, -1), 0);
    assert_int_equal (cj_period_add (202013, 1), 0);
    assert_int_equal (cj_period_add (202001, INT_MAX), 0);
    assert_int_equal (cj_period_add (202001, INT_MIN), 0);

    assert_int_equal (cj_period_diff (202001, 202012), 11);
    assert_int_equal (cj_period_diff (202012, 202001), -11);
    assert_int_equal (cj_period_diff (201912, 202001), 1);
    assert_int_equal (cj_period_diff (202007, 202007), 0);
    assert_int_equal (cj_period_diff (190001, 219912), 300 * 12 - 1);
    assert_int_equal (cj_period_diff (202000, 202001), INT_MIN);
    assert_int_equal (cj_period_diff (202001, 220001), INT_MIN);
    for (int m = -40; m <= 40; m++)
        assert_int_equal (cj_period_diff (202006, cj_period_add (202006, m)), m);
}

static void
test_date_today (void **state)
{
    (void) state;
    time_t before = time (NULL);
    int32_t today = cj_date_today ();
    time_t after = time (NULL);
    struct tm tm_before, tm_after;
    gmtime_r (&before, &tm_before);
    gmtime_r (&after, &tm_after);
    int32_t expect_before = (tm_before.tm_year + 1900) * 10000 + (tm_before.tm_mon + 1) * 100
                          + tm_before.tm_mday;
    int32_t expect_after = (tm_after.tm_year + 1900) * 10000 + (tm_after.tm_mon + 1) * 100
                         + tm_after.tm_mday;
    assert_true (today == expect_before || today == expect_after);
    assert_true (cj_date_valid (today));
    assert_true (today >= 20240101);
}

//  ---------------------------------------------------------------------------------------
//  Text and ranges

static void
test_text_required_and_length (void **state)
{
    (void) state;
    s_check_text (NULL, 10, true, CJ_E_REQUIRED);
    s_check_text ("", 10, true, CJ_E_REQUIRED);
    s_check_text (NULL, 10, false, NULL);
    s_check_text ("", 10, false, NULL);
    s_check_text ("", 0, false, NULL);

    s_check_text ("hello", 5, true, NULL);
    s_check_text ("hello", 4, true, CJ_E_TOO_LONG);
    s_check_text ("h", 0, false, CJ_E_TOO_LONG);
    s_check_text ("青川县扶贫车间", 7, true, NULL);         //  7 characters, 21 bytes
    s_check_text ("青川县扶贫车间", 6, true, CJ_E_TOO_LONG);
    s_check_text ("\xF0\x9F\x98\x80", 1, true, NULL);       //  one 4-byte character
    s_check_text ("a b", 3, true, NULL);                    //  space is not a control

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_check_text (&problems, "name", "青川县扶贫车间", 6, true);
    assert_string_equal (problems.items[0].message, "must be at most 6 characters (got 7)");
}

static void
test_text_utf8 (void **state)
{
    (void) state;
    const char *valid[] = {
        "\x7E", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
        "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "na\xC3\xAFve"
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        s_check_text (valid[i], 10, true, NULL);

    const char *invalid[] = {
        "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xE0\x9F\xBF",             //  overlong
        "\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF",
        "\xED\xA0\x80", "\xED\xBF\xBF",                                     //  surrogates
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF",         //  > U+10FFFF
        "\x80", "\xBF", "\xFE", "\xFF",                                     //  stray bytes
        "\xC3", "ab\xE8\xBD", "\xF0\x9F\x98", "\xE8\x41\x41", "\xC3\xC3\xA9" //  cut short
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        s_check_text (invalid[i], 10, true, CJ_E_INVALID_UTF8);

    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_check_text (&problems, "name", "ab\xFF", 10, true);
    assert_non_null (strstr (problems.items[0].message, "byte 3"));
}

static void
test_text_control_characters (void **state)
{
    (void) state;
    const char *invalid[] = { "a\tb", "a\nb", "\r", "\x01", "\x1F", "\x7F", "车间\x1B" };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        s_check_text (invalid[i], 10, true, CJ_E_INVALID_FORMAT);
    //  An invalid byte before the limit wins over length
    s_check_text ("abcdef\xFF", 3, true, CJ_E_INVALID_UTF8);
}

static void
test_range (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    assert_int_equal (cj_check_range (&problems, "pieces", 0, 0, 10), 0);
    assert_int_equal (cj_check_range (&problems, "pieces", 10, 0, 10), 0);
    assert_int_equal (cj_check_range (&problems, "pieces", 5, 5, 5), 0);
    assert_int_equal (cj_check_range (&problems, "x", INT64_MIN, INT64_MIN, INT64_MAX), 0);
    assert_int_equal (cj_check_range (&problems, "x", INT64_MAX, INT64_MIN, INT64_MAX), 0);
    assert_int_equal (problems.count, 0);

    assert_int_equal (cj_check_range (&problems, "pieces", -1, 0, 10), -1);
    assert_string_equal (problems.items[0].message, "must be from 0 to 10 (got -1)");
    s_expect (&problems, "pieces", CJ_E_OUT_OF_RANGE);
    assert_int_equal (cj_check_range (&problems, "pieces", 11, 0, 10), -1);
    s_expect (&problems, "pieces", CJ_E_OUT_OF_RANGE);
    assert_int_equal (cj_check_range (&problems, "cents", INT64_MAX, 0, INT64_MAX - 1), -1);
    s_expect (&problems, "cents", CJ_E_OUT_OF_RANGE);
    assert_int_equal (cj_check_range (NULL, "cents", 1, 2, 3), -1);
}

static void
test_checks_use_prefix (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_push (&problems, "workers[%d]", 2);
    cj_check_resident_id (&problems, "id", "510822198001010016");
    cj_check_date (&problems, "hired_on", 20200230);
    cj_check_text (&problems, "name", NULL, 10, true);
    cj_problems_pop (&problems);
    assert_int_equal (problems.count, 3);
    assert_string_equal (problems.items[0].field, "workers[2].id");
    assert_string_equal (problems.items[1].field, "workers[2].hired_on");
    assert_string_equal (problems.items[2].field, "workers[2].name");
}

/*  Tokens, enums of the contract, optional dates and date order.  */
static void
test_token_enum_optional_dates (void **state)
{
    (void) state;
    cj_problems_t p;
    cj_problems_init (&p);
    assert_int_equal (cj_check_token (&p, "id", "W-001.a:b", 16, CJ_TOKEN_ALNUM, "._:-", true), 0);
    assert_int_equal (cj_check_token (&p, "id", "", 16, CJ_TOKEN_ALNUM, "-", false), 0);
    assert_int_equal (p.count, 0);
    assert_int_equal (cj_check_token (&p, "id", "", 16, CJ_TOKEN_ALNUM, "-", true), -1);
    assert_string_equal (p.items[0].code, CJ_E_REQUIRED);
    assert_int_equal (cj_check_token (&p, "id", "abcdefghijklmnopq", 16, CJ_TOKEN_ALNUM, "", true), -1);
    assert_string_equal (p.items[1].code, CJ_E_TOO_LONG);
    assert_int_equal (cj_check_token (&p, "src", "Hr", 8, CJ_TOKEN_LOWER, "", true), -1);
    assert_string_equal (p.items[2].code, CJ_E_INVALID_FORMAT);
    assert_int_equal (cj_check_token (&p, "id", "a b", 8, CJ_TOKEN_ALNUM, "-", true), -1);
    assert_int_equal (cj_check_token (&p, "id", "\xe5\x8e\xbf", 8, CJ_TOKEN_ALNUM, "-", true), -1);
    cj_problems_init (&p);
    static const ProtobufCEnumValue values[] = { { "X_UNSPECIFIED", "X_UNSPECIFIED", 0 },
                                                 { "X_A", "X_A", 1 }, { "X_C", "X_C", 3 } };
    static const ProtobufCEnumValueIndex by_name[] = { { "X_A", 1 }, { "X_C", 2 },
                                                       { "X_UNSPECIFIED", 0 } };
    static const ProtobufCIntRange ranges[] = { { 0, 0 }, { 3, 2 }, { 0, 3 } };
    const ProtobufCEnumDescriptor desc = { PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC, "t.X", "X", "X",
                                           "t", 3, values, 3, by_name, 2, ranges, NULL, NULL,
                                           NULL, NULL };
    assert_int_equal (cj_check_enum (&p, "kind", &desc, 1, true), 0);
    assert_int_equal (cj_check_enum (&p, "kind", &desc, 3, true), 0);
    assert_int_equal (cj_check_enum (&p, "kind", &desc, 0, false), 0);
    assert_int_equal (p.count, 0);
    assert_int_equal (cj_check_enum (&p, "kind", &desc, 0, true), -1);
    assert_string_equal (p.items[0].code, CJ_E_REQUIRED);
    assert_int_equal (cj_check_enum (&p, "kind", &desc, 2, true), -1);
    assert_string_equal (p.items[1].code, CJ_E_UNKNOWN_ENUM);
    cj_problems_init (&p);
    assert_int_equal (cj_check_date_opt (&p, "end", 0), 0);
    assert_int_equal (cj_check_date_opt (&p, "end", 20200229), 0);
    assert_int_equal (cj_check_date_opt (&p, "end", 20210229), -1);
    assert_int_equal (cj_check_date_order (&p, "end", 20200101, 20200101), 0);
    assert_int_equal (cj_check_date_order (&p, "end", 20200101, 0), 0);
    assert_int_equal (cj_check_date_order (&p, "end", 20200102, 20200101), -1);
    assert_int_equal (p.count, 2);
    assert_string_equal (p.items[1].code, CJ_E_OUT_OF_RANGE);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_resident_id_fixed_valid),
        cmocka_unit_test (test_resident_id_constructed_valid),
        cmocka_unit_test (test_resident_id_format),
        cmocka_unit_test (test_resident_id_birth_date),
        cmocka_unit_test (test_resident_id_checksum),
        cmocka_unit_test (test_resident_id_mask),
        cmocka_unit_test (test_uscc_valid),
        cmocka_unit_test (test_uscc_invalid),
        cmocka_unit_test (test_county),
        cmocka_unit_test (test_jurisdiction),
        cmocka_unit_test (test_date_valid),
        cmocka_unit_test (test_period_valid),
        cmocka_unit_test (test_date_days_fixed),
        cmocka_unit_test (test_date_days_every_day),
        cmocka_unit_test (test_date_add_months),
        cmocka_unit_test (test_date_months_between),
        cmocka_unit_test (test_period_arithmetic),
        cmocka_unit_test (test_date_today),
        cmocka_unit_test (test_text_required_and_length),
        cmocka_unit_test (test_text_utf8),
        cmocka_unit_test (test_text_control_characters),
        cmocka_unit_test (test_range),
        cmocka_unit_test (test_checks_use_prefix),
        cmocka_unit_test (test_token_enum_optional_dates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
