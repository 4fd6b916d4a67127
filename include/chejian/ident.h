/*  ident.h - identifier, date and string validators used by every message's validation.
 *
 *  Each cj_check_* function returns 0 when the value is valid and -1 otherwise, after adding
 *  one problem for 'field' to 'problems' (which may be NULL to test without reporting).
 *  The identifier checks (resident ID, USCC, county, jurisdiction) treat NULL and "" as
 *  missing (REQUIRED); otherwise a wrong length or character is INVALID_FORMAT, a wrong
 *  check character INVALID_CHECKSUM. Messages never repeat an identifier, date or text
 *  checked (only cj_check_range quotes the number).
 *  The pure helpers (cj_date_*, cj_period_*) do no reporting.
 */
#ifndef CHEJIAN_IDENT_H
#define CHEJIAN_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "chejian/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_RESIDENT_ID_LEN 18
#define CJ_USCC_LEN        18

/*  18-character resident identity number (GB 11643-1999): 6-digit area code, 8-digit birth
 *  date that exists and is not after today (UTC) nor before 1900-01-01, 3-digit order code,
 *  and a MOD 11-2 check character (0-9 or X; a lowercase x is refused as INVALID_FORMAT
 *  so that one person has one spelling). A bad birth date is INVALID_DATE. The area code is
 *  only required to be digits: IDs keep the codes of abolished counties, and residence
 *  permits use 810000/820000/830000.  */
int cj_check_resident_id (cj_problems_t *problems, const char *field, const char *id);

/*  18-character unified social credit code (GB 32100-2015): registration-authority code,
 *  organisation-category code, 6-digit administrative area code, 9-character organisation
 *  code and the MOD 31 check character. Alphabet: 0-9 and A-Z without I, O, S, V, Z
 *  (uppercase only). Checked: the alphabet, the authority code (1-9, A, N or Y), the area
 *  code (6 digits) and the check character; the category code is not checked against each
 *  authority's list, which the standard's amendments extend.  */
int cj_check_uscc (cj_problems_t *problems, const char *field, const char *code);

/*  6-digit county-level administrative code (GB/T 2260): six ASCII digits, province part
 *  11..82, not ending in "00" at county level (a province or city code is not a county).  */
int cj_check_county (cj_problems_t *problems, const char *field, const char *code);

/*  Jurisdiction for policies: "000000" (national), a 2-digit province (11..82), a 4-digit
 *  city (province 11..82, not ending in "00") or a 6-digit county code (as cj_check_county).  */
int cj_check_jurisdiction (cj_problems_t *problems, const char *field, const char *code);

/*  yyyymmdd date that exists in the Gregorian calendar, years 1900..2199.  */
int cj_check_date (cj_problems_t *problems, const char *field, int32_t yyyymmdd);
/*  yyyymm period, years 1900..2199, month 1..12.  */
int cj_check_period (cj_problems_t *problems, const char *field, int32_t yyyymm);

/*  Text that is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF:
 *  INVALID_UTF8), has no control characters (U+0000..U+001F, U+007F, so no tab or newline:
 *  INVALID_FORMAT), and is at most 'max_chars' code points (TOO_LONG). 'required' refuses
 *  NULL or "" with REQUIRED; otherwise NULL and "" are valid.  */
int cj_check_text (cj_problems_t *problems, const char *field, const char *text,
                   size_t max_chars, bool required);

/*  Token characters: ASCII letters and digits as 'flags' allow, plus the characters of 'extra'.  */
enum {
    CJ_TOKEN_LOWER = 1 << 0,
    CJ_TOKEN_UPPER = 1 << 1,
    CJ_TOKEN_DIGIT = 1 << 2,
    CJ_TOKEN_ALNUM = CJ_TOKEN_LOWER | CJ_TOKEN_UPPER | CJ_TOKEN_DIGIT,
};
/*  An identifier-like token of 1..'max' characters from the set 'flags' + 'extra':
 *  REQUIRED when empty and 'required' (empty is valid otherwise), TOO_LONG, INVALID_FORMAT
 *  naming the first bad character's position.  */
int cj_check_token (cj_problems_t *problems, const char *field, const char *text, size_t max,
                    int flags, const char *extra, bool required);

/*  An enum value of 'desc' the contract defines: REQUIRED for 0 (<ENUM>_UNSPECIFIED) when
 *  'required', UNKNOWN_ENUM for a number the contract lacks.  */
int cj_check_enum (cj_problems_t *problems, const char *field,
                   const ProtobufCEnumDescriptor *desc, int value, bool required);

/*  A required date: REQUIRED for 0, otherwise as cj_check_date.  */
int cj_check_date_required (cj_problems_t *problems, const char *field, int32_t yyyymmdd);
/*  A required sub-message: REQUIRED when 'message' is NULL.  */
int cj_check_present (cj_problems_t *problems, const char *field, const void *message);
/*  A date that may be 0 ("not set"); otherwise as cj_check_date.  */
int cj_check_date_opt (cj_problems_t *problems, const char *field, int32_t yyyymmdd);
/*  'to' is not before 'from' (either 0 means not set: nothing to check); OUT_OF_RANGE on
 *  'field' otherwise.  */
int cj_check_date_order (cj_problems_t *problems, const char *field, int32_t from, int32_t to);

/*  Integer in [min, max] (inclusive).  */
int cj_check_range (cj_problems_t *problems, const char *field, int64_t value,
                    int64_t min, int64_t max);

/*  Pure date helpers. Dates are int32 yyyymmdd; periods int32 yyyymm.  */
bool    cj_date_valid (int32_t yyyymmdd);
bool    cj_period_valid (int32_t yyyymm);
/*  Days since 1970-01-01 for a valid date (proleptic Gregorian); INT32_MIN if invalid.  */
int32_t cj_date_to_days (int32_t yyyymmdd);
/*  Inverse of cj_date_to_days; 0 if the day falls outside the years 1900..2199.  */
int32_t cj_date_from_days (int32_t days);
/*  Adds 'months' (may be negative) to a date, clamping the day to the end of the month
 *  (20200131 + 1 month = 20200229). Returns 0 if the input is invalid or the result falls
 *  outside the years 1900..2199.  */
int32_t cj_date_add_months (int32_t yyyymmdd, int months);
/*  Whole months from 'from' to 'to': the largest m with cj_date_add_months (from, m) <= to.
 *  20200115..20200714 is 5, ..20200715 is 6; 20200131..20200228 is 0, ..20200229 is 1
 *  (the clamped day counts as a whole month). Returns -1 if either date is invalid or
 *  'to' < 'from'.  */
int     cj_date_months_between (int32_t from, int32_t to);
/*  The period (yyyymm) a date falls in; 0 if the date is invalid.  */
int32_t cj_date_period (int32_t yyyymmdd);
/*  Period arithmetic: add months (0 if the input is invalid or the result falls outside
 *  1900..2199); months from a to b (b - a, negative when b is earlier; INT_MIN if either
 *  is invalid).  */
int32_t cj_period_add (int32_t yyyymm, int months);
int     cj_period_diff (int32_t from, int32_t to);
/*  Today (UTC) as yyyymmdd.  */
int32_t cj_date_today (void);

/*  Writes the masked form of a valid resident ID into 'out' (19 bytes): the 6-digit area
 *  code, eight '*' over the birth date, and the last four characters: "510822********123X".
 *  Only the length is checked. Returns 0, or -1 (out untouched) if 'id' is NULL or not 18
 *  characters.  */
int cj_resident_id_mask (const char *id, char out[CJ_RESIDENT_ID_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
