/*  config.h - configuration from environment variables, with defaults and a --help table.
 *
 *  A program declares its options as tables of cj_config_option_t (the common ones from the
 *  service runtime plus its own), loads them once from the environment, and reads typed
 *  values by name. Every value is validated at load time, so a bad setting stops the program
 *  at start with a message naming the variable, not later with a mystery.
 */
#ifndef CHEJIAN_CONFIG_H
#define CHEJIAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chejian/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CJ_CONFIG_STRING = 0,
    CJ_CONFIG_INT    = 1,   /* decimal int64 within [min, max] */
    CJ_CONFIG_BOOL   = 2,   /* 1/0, true/false, yes/no, on/off (case-insensitive) */
} cj_config_type_t;

typedef struct {
    const char      *name;          /* environment variable, e.g. "CHEJIAN_REDIS_URL" */
    cj_config_type_t type;
    const char      *default_value; /* as text; NULL means "no default" (empty string) */
    const char      *help;          /* one line for the --help table */
    int64_t          min, max;      /* CJ_CONFIG_INT only; both 0 means any int64 */
} cj_config_option_t;

typedef struct cj_config_t cj_config_t;

/*  Creates an empty configuration. Destroy with cj_config_destroy.  */
cj_config_t *cj_config_new (void);
void         cj_config_destroy (cj_config_t **self_p);

/*  Declares 'count' options from 'options' (the table must outlive 'self'). A name declared
 *  twice keeps the later declaration (so a service can override a common default).
 *  Returns 0, or -1 on allocation failure.  */
int cj_config_declare (cj_config_t *self, const cj_config_option_t *options, size_t count);

/*  Reads every declared option from the environment (or its default; a variable set to the
 *  empty string counts as unset) and validates it; values are copied. Undeclared variables
 *  are ignored. Returns 0, or -1 after adding one problem per bad variable (field = variable
 *  name, code INVALID_FORMAT or OUT_OF_RANGE). May be called again; a later declare needs a
 *  new load before any read.  */
int cj_config_load (cj_config_t *self, cj_problems_t *problems);

/*  Typed reads by name, after a successful load. Reading an undeclared name, the wrong
 *  type, or before a successful load is a programming error: it aborts with a message on
 *  stderr. cj_config_str's result is owned by 'self' and valid until the next load.  */
const char *cj_config_str (const cj_config_t *self, const char *name);
int64_t     cj_config_int (const cj_config_t *self, const char *name);
bool        cj_config_bool (const cj_config_t *self, const char *name);

/*  Prints usage: "Usage: <program> [--help]", the 'summary' paragraph, then an aligned table
 *  of every option in declaration order: NAME, TYPE (ints with their range, "int 1..1024"),
 *  DEFAULT ("-" for none), DESCRIPTION.  */
void cj_config_print_help (const cj_config_t *self, FILE *out, const char *program,
                           const char *summary);

#ifdef __cplusplus
}
#endif
#endif
