/*  problem.h - the list of problems found in one message.
 *
 *  Validation never stops at the first problem: it adds every problem it finds to a
 *  cj_problems_t, each with the field it concerns (a path such as `lines[12].pieces`), a
 *  stable code (one of the CJ_E_* strings below, documented in docs/problem-codes.md) and a
 *  message a person can act on. The list is a fixed-size value (no allocation), bounded by
 *  CJ_PROBLEMS_MAX; problems beyond the bound are counted in `dropped`.
 *
 *  Field prefixes nest: cj_problems_push (p, "lines[%d]", 12) makes every later field
 *  read `lines[12].<field>` until the matching cj_problems_pop. Parts are joined with '.',
 *  except that a part starting with '[' is joined without one: push ("lines") then
 *  add ("[3]") gives `lines[3]`.
 *
 *  Strings that do not fit their buffer are cut at a UTF-8 character boundary, so a stored
 *  field or message stays valid UTF-8 (for JSON replies and logs) if its input was.
 */
#ifndef CHEJIAN_PROBLEM_H
#define CHEJIAN_PROBLEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_PROBLEMS_MAX     32
#define CJ_PROBLEM_FIELD    128
#define CJ_PROBLEM_CODE     40
#define CJ_PROBLEM_MESSAGE  200
#define CJ_PROBLEM_DEPTH    6

/*  Stable problem codes. Agencies match on these strings; never rename one.  */
#define CJ_E_REQUIRED          "REQUIRED"           /* a required field is missing or empty */
#define CJ_E_INVALID_FORMAT    "INVALID_FORMAT"     /* wrong shape: length, characters */
#define CJ_E_INVALID_CHECKSUM  "INVALID_CHECKSUM"   /* check digit/character does not match */
#define CJ_E_INVALID_DATE      "INVALID_DATE"       /* not a real yyyymmdd date */
#define CJ_E_INVALID_PERIOD    "INVALID_PERIOD"     /* not a real yyyymm period */
#define CJ_E_OUT_OF_RANGE      "OUT_OF_RANGE"       /* number outside its allowed range */
#define CJ_E_TOO_LONG          "TOO_LONG"           /* string longer than its limit */
#define CJ_E_TOO_MANY          "TOO_MANY"           /* repeated field over its count limit */
#define CJ_E_TOO_LARGE         "TOO_LARGE"          /* message over the size limit */
#define CJ_E_INVALID_UTF8      "INVALID_UTF8"       /* string is not valid UTF-8 */
#define CJ_E_UNKNOWN_ENUM      "UNKNOWN_ENUM"       /* enum value not in the contract */
#define CJ_E_UNKNOWN_FIELD     "UNKNOWN_FIELD"      /* JSON names a field the message lacks */
#define CJ_E_WRONG_TYPE        "WRONG_TYPE"         /* JSON value of the wrong type */
#define CJ_E_DECODE_FAILED     "DECODE_FAILED"      /* bytes are not a valid message */
#define CJ_E_UNKNOWN_BODY      "UNKNOWN_BODY"       /* envelope body missing or not handled here */
#define CJ_E_WRONG_PARTITION   "WRONG_PARTITION"    /* this instance does not own the county */
#define CJ_E_NOT_FOUND         "NOT_FOUND"          /* a referenced entity does not exist */
#define CJ_E_CONFLICT          "CONFLICT"           /* contradicts the current state */
#define CJ_E_NOT_YET_KNOWN     "NOT_YET_KNOWN"      /* retryable: a fact may still be in flight */
#define CJ_E_PERMISSION_DENIED "PERMISSION_DENIED"  /* the agency may not send this type */
#define CJ_E_INTERNAL          "INTERNAL"           /* our fault; retry later */
#define CJ_E_SERVICE_UNAVAILABLE "SERVICE_UNAVAILABLE" /* gateway: owner did not answer in time */
#define CJ_E_OVERLOADED        "OVERLOADED"         /* gateway: too many in flight; retry later */

typedef struct {
    char field[CJ_PROBLEM_FIELD];
    char code[CJ_PROBLEM_CODE];
    char message[CJ_PROBLEM_MESSAGE];
} cj_problem_t;

typedef struct {
    size_t       count;                 /* problems stored in items */
    size_t       dropped;               /* problems beyond CJ_PROBLEMS_MAX */
    cj_problem_t items[CJ_PROBLEMS_MAX];
    size_t       depth;                 /* field prefix stack */
    size_t       prefix_len[CJ_PROBLEM_DEPTH + 1];
    char         prefix[CJ_PROBLEM_FIELD];
} cj_problems_t;

/*  Empties 'self' (count, dropped and prefixes).  */
void cj_problems_init (cj_problems_t *self);

/*  Adds a problem for 'field' (under the current prefix; NULL or "" means the prefix itself)
 *  with 'code' and a printf-style message. Over-long parts are truncated, never overflowed.
 *  When CJ_PROBLEMS_MAX problems are stored, the problem is only counted in 'dropped'.
 *  'self' may be NULL (nothing is recorded), which lets checkers run without reporting.  */
void cj_problems_add (cj_problems_t *self, const char *field, const char *code,
                      const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

/*  Pushes a printf-style field prefix ("lines[%d]"); joined to what follows with '.'.
 *  Returns 0, or -1 when CJ_PROBLEM_DEPTH prefixes are already pushed (the prefix is then
 *  not pushed, so fields added under it carry only the outer prefixes; but pop stays
 *  balanced: a failed push is still undone by one pop). A prefix that does not fit
 *  CJ_PROBLEM_FIELD is truncated, not refused. Pop with nothing pushed does nothing.  */
int  cj_problems_push (cj_problems_t *self, const char *fmt, ...)
     __attribute__ ((format (printf, 2, 3)));
void cj_problems_pop (cj_problems_t *self);

/*  True when a stored problem is at exactly 'field' with 'code'.  */
int  cj_problems_has (const cj_problems_t *self, const char *field, const char *code);

/*  True when at least one problem was added (stored or dropped).  */
int  cj_problems_any (const cj_problems_t *self);

/*  Writes "field: code: message; ..." into 'buf' (always NUL-terminated) for logs and the
 *  CLI. A problem with an empty field is written "code: message"; when problems were
 *  dropped, "; and N more" ends the text. 'buf' may be NULL when 'size' is 0. Returns the
 *  length it would have written, like snprintf (a cut is made at a UTF-8 boundary).  */
int  cj_problems_format (const cj_problems_t *self, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
