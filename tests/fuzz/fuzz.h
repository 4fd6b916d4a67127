/*  fuzz.h - what the fuzz targets share: an assertion that survives -DNDEBUG and makes
 *  libFuzzer (or the replay driver) report the input (its message goes straight to fd 2,
 *  which stays open when a target silences stdio's stderr), and the check that a problem
 *  carries one of the stable codes of include/chejian/problem.h.  */
#ifndef CHEJIAN_FUZZ_H
#define CHEJIAN_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/problem.h"

#define FUZZ_ASSERT(cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            dprintf (2, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #cond);     \
            abort ();                                                                         \
        }                                                                                     \
    } while (0)

/*  True when 'code' is one of the CJ_E_* codes.  */
static inline int
fuzz_known_code (const char *code)
{
    static const char *const codes[] = {
        CJ_E_REQUIRED, CJ_E_INVALID_FORMAT, CJ_E_INVALID_CHECKSUM, CJ_E_INVALID_DATE,
        CJ_E_INVALID_PERIOD, CJ_E_OUT_OF_RANGE, CJ_E_TOO_LONG, CJ_E_TOO_MANY, CJ_E_TOO_LARGE,
        CJ_E_INVALID_UTF8, CJ_E_UNKNOWN_ENUM, CJ_E_UNKNOWN_FIELD, CJ_E_WRONG_TYPE,
        CJ_E_DECODE_FAILED, CJ_E_UNKNOWN_BODY, CJ_E_WRONG_PARTITION, CJ_E_NOT_FOUND,
        CJ_E_CONFLICT, CJ_E_NOT_YET_KNOWN, CJ_E_PERMISSION_DENIED, CJ_E_INTERNAL,
        CJ_E_SERVICE_UNAVAILABLE, CJ_E_OVERLOADED,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp (code, codes[i]) == 0)
            return 1;
    return 0;
}

/*  Every stored problem of 'p' has a known code and a message.  */
static inline void
fuzz_check_problems (const cj_problems_t *p)
{
    FUZZ_ASSERT (p->count <= CJ_PROBLEMS_MAX);
    for (size_t i = 0; i < p->count; i++) {
        FUZZ_ASSERT (fuzz_known_code (p->items[i].code));
        FUZZ_ASSERT (p->items[i].message[0] != 0);
    }
    char text[2048];
    FUZZ_ASSERT (cj_problems_format (p, text, sizeof text) >= 0);
}

#endif
