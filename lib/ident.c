/*  ident.c - identifier, date and text validators. See ident.h.
 *
 *  Messages never repeat a resident ID or any part of it (not even the birth date): they
 *  name the part that is wrong, so that a clerk can find the mistake on the form.
 */
#include "chejian/ident.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#define S_YEAR_MIN 1900
#define S_YEAR_MAX 2199

static const int s_resident_weights[CJ_RESIDENT_ID_LEN - 1] = {
    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};
static const char s_resident_check_chars[] = "10X98765432";

static const char s_uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int s_uscc_weights[CJ_USCC_LEN - 1] = {
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};
static const char s_uscc_authorities[] = "123456789ANY";


//  ---------------------------------------------------------------------------------------
//  Dates

static bool
s_leap_year (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_days_in_month (int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && s_leap_year (year) ? 29 : days[month - 1];
}

/*  True if 'yyyymmdd' names a day of the Gregorian calendar in any year from 1 on.  */
static bool
s_date_exists (int32_t yyyymmdd)
{
    if (yyyymmdd <= 0)
        return false;
    int year = yyyymmdd / 10000;
    int month = yyyymmdd / 100 % 100;
    int day = yyyymmdd % 100;
    return year >= 1 && month >= 1 && month <= 12
        && day >= 1 && day <= s_days_in_month (year, month);
}

/*  Days from 1970-01-01 to year/month/day, for years >= 1 (after H. Hinnant's
 *  days_from_civil: the year is counted from March so that Feb 29 is its last day).  */
static int32_t
s_days_from_civil (int year, int month, int day)
{
    year -= month <= 2;
    int era = year / 400;
    int year_of_era = year - era * 400;                                  // [0, 399]
    int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/*  Months since year 0 for a year and month; the unit of all month arithmetic here.  */
static int64_t
s_month_index (int year, int month)
{
    return (int64_t) year * 12 + (month - 1);
}

/*  True if month index 'index' lies in years S_YEAR_MIN..S_YEAR_MAX.  */
static bool
s_month_index_valid (int64_t index)
{
    return index >= s_month_index (S_YEAR_MIN, 1) && index <= s_month_index (S_YEAR_MAX, 12);
}

bool
cj_date_valid (int32_t yyyymmdd)
{
    int year = yyyymmdd / 10000;
    return year >= S_YEAR_MIN && year <= S_YEAR_MAX && s_date_exists (yyyymmdd);
}

bool
cj_period_valid (int32_t yyyymm)
{
    int year = yyyymm / 100;
    int month = yyyymm % 100;
    return yyyymm > 0 && year >= S_YEAR_MIN && year <= S_YEAR_MAX && month >= 1 && month <= 12;
}

int32_t
cj_date_to_days (int32_t yyyymmdd)
{
    if (!cj_date_valid (yyyymmdd))
        return INT32_MIN;
    return s_days_from_civil (yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
}

/*  The inverse of s_days_from_civil (H. Hinnant's civil_from_days), for 'days' within
 *  S_YEAR_MIN..S_YEAR_MAX so that every intermediate is positive.  */
int32_t
cj_date_from_days (int32_t days)
{
    if (days < s_days_from_civil (S_YEAR_MIN, 1, 1)
        || days > s_days_from_civil (S_YEAR_MAX, 12, 31))
        return 0;
    int z = days + 719468;
    int era = z / 146097;
    int day_of_era = z - era * 146097;                                   // [0, 146096]
    int year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524
                       - day_of_era / 146096) / 365;                     // [0, 399]
    int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int march_month = (5 * day_of_year + 2) / 153;                       // 0 = March
    int day = day_of_year - (153 * march_month + 2) / 5 + 1;
    int month = march_month < 10 ? march_month + 3 : march_month - 9;
    int year = year_of_era + era * 400 + (month <= 2);
    return year * 10000 + month * 100 + day;
}

int32_t
cj_date_add_months (int32_t yyyymmdd, int months)
{
    if (!cj_date_valid (yyyymmdd))
        return 0;
    int64_t index = s_month_index (yyyymmdd / 10000, yyyymmdd / 100 % 100) + months;
    if (!s_month_index_valid (index))
        return 0;
    int year = (int) (index / 12);
    int month = (int) (index % 12) + 1;
    int day = yyyymmdd % 100;
    int last = s_days_in_month (year, month);
    return year * 10000 + month * 100 + (day < last ? day : last);
}

/*  The month difference of the two dates is the answer, or one more than it when the day
 *  of 'to' comes before the (clamped) day reached by adding it to 'from'.  */
int
cj_date_months_between (int32_t from, int32_t to)
{
    if (!cj_date_valid (from) || !cj_date_valid (to) || to < from)
        return -1;
    int months = (int) (s_month_index (to / 10000, to / 100 % 100)
                        - s_month_index (from / 10000, from / 100 % 100));
    if (cj_date_add_months (from, months) > to)
        months--;
    return months;
}

int32_t
cj_date_period (int32_t yyyymmdd)
{
    return cj_date_valid (yyyymmdd) ? yyyymmdd / 100 : 0;
}

int32_t
cj_period_add (int32_t yyyymm, int months)
{
    if (!cj_period_valid (yyyymm))
        return 0;
    int64_t index = s_month_index (yyyymm / 100, yyyymm % 100) + months;
    if (!s_month_index_valid (index))
        return 0;
    return (int32_t) (index / 12 * 100 + index % 12 + 1);
}

int
cj_period_diff (int32_t from, int32_t to)
{
    if (!cj_period_valid (from) || !cj_period_valid (to))
        return INT_MIN;
    return (int) (s_month_index (to / 100, to % 100) - s_month_index (from / 100, from % 100));
}

int32_t
cj_date_today (void)
{
    time_t now = time (NULL);
    struct tm tm;
    if (!gmtime_r (&now, &tm))
        return 0;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int
cj_check_date (cj_problems_t *problems, const char *field, int32_t yyyymmdd)
{
    if (cj_date_valid (yyyymmdd))
        return 0;
    cj_problems_add (problems, field, CJ_E_INVALID_DATE,
                     "must be a real date written yyyymmdd, in the years 1900 to 2199");
    return -1;
}

int
cj_check_period (cj_problems_t *problems, const char *field, int32_t yyyymm)
{
    if (cj_period_valid (yyyymm))
        return 0;
    cj_problems_add (problems, field, CJ_E_INVALID_PERIOD,
                     "must be a month written yyyymm, in the years 1900 to 2199");
    return -1;
}


//  ---------------------------------------------------------------------------------------
//  Identifiers

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

/*  True if the first 'count' characters of 'text' are ASCII digits.  */
static bool
s_all_digits (const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!s_is_digit (text[i]))
            return false;
    return true;
}

/*  The number written by the first 'count' digits of 'text' (which are digits).  */
static int32_t
s_digits_value (const char *text, size_t count)
{
    int32_t value = 0;
    for (size_t i = 0; i < count; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

/*  Adds REQUIRED and returns true if 'text' is NULL or empty.  */
static bool
s_missing (cj_problems_t *problems, const char *field, const char *text)
{
    if (text && *text)
        return false;
    cj_problems_add (problems, field, CJ_E_REQUIRED, "is required");
    return true;
}

int
cj_check_resident_id (cj_problems_t *problems, const char *field, const char *id)
{
    if (s_missing (problems, field, id))
        return -1;
    size_t length = strlen (id);
    if (length != CJ_RESIDENT_ID_LEN) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "must be 18 characters (got %zu)", length);
        return -1;
    }
    if (!s_all_digits (id, CJ_RESIDENT_ID_LEN - 1)) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "characters 1 to 17 must be digits");
        return -1;
    }
    char check = id[CJ_RESIDENT_ID_LEN - 1];
    if (!s_is_digit (check) && check != 'X') {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "check character (character 18) must be a digit or an uppercase X");
        return -1;
    }
    int32_t birth = s_digits_value (id + 6, 8);
    const char *date_problem = !s_date_exists (birth) ? "is not a real date"
                             : birth < 19000101       ? "is before 1900-01-01"
                             : birth > cj_date_today () ? "is in the future"
                             : NULL;
    if (date_problem) {
        cj_problems_add (problems, field, CJ_E_INVALID_DATE,
                         "birth date (characters 7 to 14) %s", date_problem);
        return -1;
    }
    int sum = 0;
    for (size_t i = 0; i < CJ_RESIDENT_ID_LEN - 1; i++)
        sum += (id[i] - '0') * s_resident_weights[i];
    char expected = s_resident_check_chars[sum % 11];
    if (check != expected) {
        cj_problems_add (problems, field, CJ_E_INVALID_CHECKSUM,
                         "check character does not match (expected %c)", expected);
        return -1;
    }
    return 0;
}

/*  The value 0..30 of a USCC character, or -1 if it is not in the alphabet.  */
static int
s_uscc_value (char c)
{
    const char *found = c ? strchr (s_uscc_alphabet, c) : NULL;
    return found ? (int) (found - s_uscc_alphabet) : -1;
}

int
cj_check_uscc (cj_problems_t *problems, const char *field, const char *code)
{
    if (s_missing (problems, field, code))
        return -1;
    size_t length = strlen (code);
    if (length != CJ_USCC_LEN) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "must be 18 characters (got %zu)", length);
        return -1;
    }
    for (size_t i = 0; i < CJ_USCC_LEN; i++)
        if (s_uscc_value (code[i]) < 0) {
            cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                             "character %zu is not a digit or an uppercase letter other than "
                             "I, O, S, V, Z", i + 1);
            return -1;
        }
    if (!strchr (s_uscc_authorities, code[0])) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "registration authority code (character 1) must be 1 to 9, A, N or Y");
        return -1;
    }
    if (!s_all_digits (code + 2, 6)) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "administrative area code (characters 3 to 8) must be 6 digits");
        return -1;
    }
    int sum = 0;
    for (size_t i = 0; i < CJ_USCC_LEN - 1; i++)
        sum += s_uscc_value (code[i]) * s_uscc_weights[i];
    char expected = s_uscc_alphabet[(31 - sum % 31) % 31];
    if (code[CJ_USCC_LEN - 1] != expected) {
        cj_problems_add (problems, field, CJ_E_INVALID_CHECKSUM,
                         "check character does not match (expected %c)", expected);
        return -1;
    }
    return 0;
}

/*  Checks the shape of an administrative area code of 'length' (2, 4 or 6) digits, known to
 *  be digits: province 11..82, and a city or county part that is not "00".  */
static int
s_check_area (cj_problems_t *problems, const char *field, const char *code, size_t length)
{
    int32_t province = s_digits_value (code, 2);
    if (province < 11 || province > 82) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "province part (first two digits) must be 11 to 82");
        return -1;
    }
    if (length > 2 && code[length - 2] == '0' && code[length - 1] == '0') {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT, "%s",
                         length == 4 ? "a city code cannot end in 00"
                                     : "is not a county code (it ends in 00)");
        return -1;
    }
    return 0;
}

int
cj_check_county (cj_problems_t *problems, const char *field, const char *code)
{
    if (s_missing (problems, field, code))
        return -1;
    if (strlen (code) != 6 || !s_all_digits (code, 6)) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT, "must be 6 digits");
        return -1;
    }
    return s_check_area (problems, field, code, 6);
}

int
cj_check_jurisdiction (cj_problems_t *problems, const char *field, const char *code)
{
    if (s_missing (problems, field, code))
        return -1;
    size_t length = strlen (code);
    if ((length != 2 && length != 4 && length != 6) || !s_all_digits (code, length)) {
        cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                         "must be 000000 (national), or a 2-digit province, 4-digit city or "
                         "6-digit county code");
        return -1;
    }
    if (strcmp (code, "000000") == 0)
        return 0;
    return s_check_area (problems, field, code, length);
}

int
cj_resident_id_mask (const char *id, char out[CJ_RESIDENT_ID_LEN + 1])
{
    if (!id || !out || strnlen (id, CJ_RESIDENT_ID_LEN + 1) != CJ_RESIDENT_ID_LEN)
        return -1;
    memcpy (out, id, 6);
    memset (out + 6, '*', 8);
    memcpy (out + 14, id + 14, 4);
    out[CJ_RESIDENT_ID_LEN] = '\0';
    return 0;
}


//  ---------------------------------------------------------------------------------------
//  Text and numbers

/*  Decodes the UTF-8 character at 'text' into 'ret_code_point' and returns its length in
 *  bytes, or 0 if it is malformed, overlong, a surrogate or above U+10FFFF. The string's
 *  NUL ends a truncated sequence (it is not a continuation byte), so this never reads past
 *  it.  */
static size_t
s_utf8_decode (const unsigned char *text, uint32_t *ret_code_point)
{
    unsigned char lead = text[0];
    size_t length;
    uint32_t code_point, lowest;
    if (lead < 0x80) {
        *ret_code_point = lead;
        return 1;
    }
    else
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2; code_point = lead & 0x1F; lowest = 0x80;
    }
    else
    if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3; code_point = lead & 0x0F; lowest = 0x800;
    }
    else
    if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4; code_point = lead & 0x07; lowest = 0x10000;
    }
    else
        return 0;

    for (size_t i = 1; i < length; i++) {
        if ((text[i] & 0xC0) != 0x80)
            return 0;
        code_point = (code_point << 6) | (text[i] & 0x3F);
    }
    if (code_point < lowest || code_point > 0x10FFFF
        || (code_point >= 0xD800 && code_point <= 0xDFFF))
        return 0;
    *ret_code_point = code_point;
    return length;
}

int
cj_check_text (cj_problems_t *problems, const char *field, const char *text,
               size_t max_chars, bool required)
{
    if (!text || !*text) {
        if (!required)
            return 0;
        cj_problems_add (problems, field, CJ_E_REQUIRED, "is required");
        return -1;
    }
    const unsigned char *bytes = (const unsigned char *) text;
    size_t offset = 0, chars = 0;
    while (bytes[offset]) {
        uint32_t code_point;
        size_t length = s_utf8_decode (bytes + offset, &code_point);
        if (length == 0) {
            cj_problems_add (problems, field, CJ_E_INVALID_UTF8,
                             "is not valid UTF-8 (at byte %zu)", offset + 1);
            return -1;
        }
        if (code_point < 0x20 || code_point == 0x7F) {
            cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                             "contains a control character (character %zu)", chars + 1);
            return -1;
        }
        offset += length;
        chars++;
    }
    if (chars > max_chars) {
        cj_problems_add (problems, field, CJ_E_TOO_LONG,
                         "must be at most %zu characters (got %zu)", max_chars, chars);
        return -1;
    }
    return 0;
}

int
cj_check_range (cj_problems_t *problems, const char *field, int64_t value,
                int64_t min, int64_t max)
{
    if (value >= min && value <= max)
        return 0;
    cj_problems_add (problems, field, CJ_E_OUT_OF_RANGE,
                     "must be from %" PRId64 " to %" PRId64 " (got %" PRId64 ")",
                     min, max, value);
    return -1;
}

/*  ---- tokens, enums, optional dates ----  */

static bool
s_token_char (unsigned char c, int flags, const char *extra)
{
    if (c >= 'a' && c <= 'z')
        return flags & CJ_TOKEN_LOWER;
    if (c >= 'A' && c <= 'Z')
        return flags & CJ_TOKEN_UPPER;
    if (c >= '0' && c <= '9')
        return flags & CJ_TOKEN_DIGIT;
    return c && c < 0x80 && strchr (extra, c);
}

int
cj_check_token (cj_problems_t *problems, const char *field, const char *text, size_t max,
                int flags, const char *extra, bool required)
{
    if (!text || !*text) {
        if (required)
            cj_problems_add (problems, field, CJ_E_REQUIRED, "is required");
        return required ? -1 : 0;
    }
    size_t len = strlen (text);
    if (len > max) {
        cj_problems_add (problems, field, CJ_E_TOO_LONG,
                         "must be at most %zu characters (got %zu)", max, len);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (!s_token_char ((unsigned char) text[i], flags, extra)) {
            cj_problems_add (problems, field, CJ_E_INVALID_FORMAT,
                             "character %zu is not one of %s%s%s %s", i + 1,
                             flags & CJ_TOKEN_UPPER ? "A-Z " : "",
                             flags & CJ_TOKEN_LOWER ? "a-z " : "",
                             flags & CJ_TOKEN_DIGIT ? "0-9" : "", extra);
            return -1;
        }
    return 0;
}

int
cj_check_enum (cj_problems_t *problems, const char *field, const ProtobufCEnumDescriptor *desc,
               int value, bool required)
{
    if (value == 0 && required) {
        cj_problems_add (problems, field, CJ_E_REQUIRED,
                         "is required (%s_UNSPECIFIED is not a value)", desc->short_name);
        return -1;
    }
    if (!protobuf_c_enum_descriptor_get_value (desc, value)) {
        cj_problems_add (problems, field, CJ_E_UNKNOWN_ENUM, "%d is not a %s of the contract",
                         value, desc->short_name);
        return -1;
    }
    return 0;
}

int
cj_check_date_required (cj_problems_t *problems, const char *field, int32_t yyyymmdd)
{
    if (yyyymmdd != 0)
        return cj_check_date (problems, field, yyyymmdd);
    cj_problems_add (problems, field, CJ_E_REQUIRED, "is required (yyyymmdd)");
    return -1;
}

int
cj_check_present (cj_problems_t *problems, const char *field, const void *message)
{
    if (message)
        return 0;
    cj_problems_add (problems, field, CJ_E_REQUIRED, "is required");
    return -1;
}

int
cj_check_date_opt (cj_problems_t *problems, const char *field, int32_t yyyymmdd)
{
    return yyyymmdd == 0 ? 0 : cj_check_date (problems, field, yyyymmdd);
}

int
cj_check_date_order (cj_problems_t *problems, const char *field, int32_t from, int32_t to)
{
    if (!from || !to || to >= from)
        return 0;
    cj_problems_add (problems, field, CJ_E_OUT_OF_RANGE, "must not be before the start date (%d)",
                     (int) from);
    return -1;
}
