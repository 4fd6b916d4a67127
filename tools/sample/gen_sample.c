/*  gen_sample.c - chejian-sample-gen: writes the sample county 510822 (sample.h) as the
 *  files of deploy/sample/, or checks such files.
 *
 *      chejian-sample-gen [--policy FILE] [--employed N] DIR
 *                                                writes DIR/setup.jsonl, workshops.csv,
 *                                                workers.csv, employments.csv, wages.csv,
 *                                                stakes.jsonl, decisions.jsonl, expected.json
 *      chejian-sample-gen --check DIR            reads them back: every CSV through libcsv
 *                                                (header, cells, enum names, resident IDs,
 *                                                USCCs, dates, references between files),
 *                                                every JSON line through the generic
 *                                                converter and the envelope's header checks
 *
 *  CSV: the columns of `chejian import` (docs/2026-11-23-gateway-cli.md), UTF-8, RFC 4180
 *  quoting, LF line ends, enums by lower-case short name, money in fen, blank = not stated.
 *  JSONL: one Envelope a line in proto3 JSON (lowerCamelCase, int64 as strings).  */
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/ident.h"
#include "chejian/json.h"
#include "sample.h"

#ifndef CJ_SAMPLE_POLICY
#define CJ_SAMPLE_POLICY "deploy/policy/510822-qingchuan-2019.json"
#endif

#define S_CELLS 32
#define S_CELL  512

static const char *const s_workshop_columns[] = {
    "county", "workshop_id", "name", "type", "role", "parent_workshop_id", "township_name",
    "township_code", "village_name", "village_code", "address", "site_kind", "site_name",
    "floor_area_m2", "industry", "industry_code", "operator_kind", "operator_name",
    "operator_resident_id", "operator_uscc", "operator_registered_poor", "opened_date",
    "closed_date", "planned_jobs", NULL,
};
static const char *const s_worker_columns[] = {
    "county", "resident_id", "name", "household_id", "baseline_annual_income_fen",
    "baseline_year", "poverty_status", "disability_grade", "disability_category",
    "minimum_allowance_household", "relocated_household", "status_date", "status_agency", NULL,
};
static const char *const s_employment_columns[] = {
    "county", "employment_id", "resident_id", "workshop_id", "contract_type", "start_date",
    "term_months", "work_mode", "pay_basis", "monthly_wage_fen", "unit_rate_millifen",
    "job_title", "end_date", "end_reason", NULL,
};
static const char *const s_wage_columns[] = {
    "county", "workshop_id", "period", "resident_id", "employment_id", "pay_basis", "gross_fen",
    "days_worked", "pieces", "unit_rate_millifen", "work_site", "paid_date", NULL,
};

/*  The columns of a CSV file, NULL for a JSONL file.  */
static const char *const *
s_columns (sample_file_t file)
{
    switch (file) {
    case SAMPLE_WORKSHOPS:   return s_workshop_columns;
    case SAMPLE_WORKERS:     return s_worker_columns;
    case SAMPLE_EMPLOYMENTS: return s_employment_columns;
    case SAMPLE_WAGES:       return s_wage_columns;
    default:                 return NULL;
    }
}

/*  The enum a column holds, or NULL.  */
static const ProtobufCEnumDescriptor *
s_column_enum (const char *column)
{
    static const struct {
        const char                    *column;
        const ProtobufCEnumDescriptor *desc;
    } map[] = {
        { "type", &chejian__v1__workshop_type__descriptor },
        { "role", &chejian__v1__workshop_role__descriptor },
        { "site_kind", &chejian__v1__site_kind__descriptor },
        { "operator_kind", &chejian__v1__operator_kind__descriptor },
        { "poverty_status", &chejian__v1__poverty_status__descriptor },
        { "disability_category", &chejian__v1__disability_category__descriptor },
        { "status_agency", &chejian__v1__agency_kind__descriptor },
        { "contract_type", &chejian__v1__contract_type__descriptor },
        { "work_mode", &chejian__v1__work_mode__descriptor },
        { "pay_basis", &chejian__v1__pay_basis__descriptor },
        { "work_site", &chejian__v1__work_site__descriptor },
        { "end_reason", &chejian__v1__employment_end_reason__descriptor },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp (map[i].column, column) == 0)
            return map[i].desc;
    return NULL;
}

/*  Length of the prefix an enum's value names share ("WORKSHOP_TYPE_").  */
static size_t
s_enum_prefix (const ProtobufCEnumDescriptor *desc)
{
    const ProtobufCEnumValue *unspecified = protobuf_c_enum_descriptor_get_value (desc, 0);
    return unspecified ? strlen (unspecified->name) - strlen ("UNSPECIFIED") : 0;
}

/*  ---- a set of strings ----  */

typedef struct {
    char  **slots;
    size_t  cap, n;
} s_set_t;

static uint32_t
s_hash (const char *text)
{
    uint32_t h = 2166136261u;
    for (const char *c = text; *c; c++)
        h = (h ^ (uint8_t) *c) * 16777619u;
    return h;
}

/*  Adds 'kind' + 'value'; returns 1 when added, 0 when present, -1 when out of memory.  */
static int
s_set_add (s_set_t *set, const char *kind, const char *value)
{
    if (set->n * 2 >= set->cap) {
        s_set_t bigger = { calloc (set->cap ? set->cap * 2 : 4096, sizeof (char *)),
                           set->cap ? set->cap * 2 : 4096, 0 };
        if (!bigger.slots)
            return -1;
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i]) {
                size_t k = s_hash (set->slots[i]) % bigger.cap;
                while (bigger.slots[k])
                    k = (k + 1) % bigger.cap;
                bigger.slots[k] = set->slots[i];
                bigger.n++;
            }
        free (set->slots);
        *set = bigger;
    }
    char key[S_CELL + 32];
    snprintf (key, sizeof key, "%s:%s", kind, value);
    for (size_t k = s_hash (key) % set->cap;; k = (k + 1) % set->cap) {
        if (!set->slots[k]) {
            if (!(set->slots[k] = strdup (key)))
                return -1;
            set->n++;
            return 1;
        }
        if (strcmp (set->slots[k], key) == 0)
            return 0;
    }
}

static bool
s_set_has (const s_set_t *set, const char *kind, const char *value)
{
    char key[S_CELL + 32];
    if (!set->cap || snprintf (key, sizeof key, "%s:%s", kind, value) >= (int) sizeof key)
        return false;
    for (size_t k = s_hash (key) % set->cap; set->slots[k]; k = (k + 1) % set->cap)
        if (strcmp (set->slots[k], key) == 0)
            return true;
    return false;
}

static void
s_set_free (s_set_t *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free (set->slots[i]);
    free (set->slots);
    memset (set, 0, sizeof *set);
}

/*  ---- writing ----  */

typedef struct {
    char   cells[S_CELLS][S_CELL];
    size_t n;
} s_row_t;

static void
s_cell (s_row_t *row, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (row->cells[row->n++], S_CELL, fmt, ap);
    va_end (ap);
}

/*  A number, or a blank cell for 0 (not stated).  */
static void
s_opt (s_row_t *row, long long value)
{
    if (value)
        s_cell (row, "%lld", value);
    else
        s_cell (row, "%s", "");
}

/*  An enum cell: the value's lower-case short name ("labour_contract"); blank for 0.  */
static void
s_enum (s_row_t *row, const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    char *cell = row->cells[row->n++];
    cell[0] = 0;
    if (!value || !v)
        return;
    snprintf (cell, S_CELL, "%s", v->name + s_enum_prefix (desc));
    for (char *c = cell; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');
}

/*  Writes a row, quoting (RFC 4180) the cells that need it.  */
static int
s_write_row (FILE *f, const s_row_t *row)
{
    for (size_t i = 0; i < row->n; i++) {
        const char *cell = row->cells[i];
        if (i)
            fputc (',', f);
        if (!strpbrk (cell, ",\"\r\n")) {
            fputs (cell, f);
            continue;
        }
        fputc ('"', f);
        for (const char *c = cell; *c; c++) {
            if (*c == '"')
                fputc ('"', f);
            fputc (*c, f);
        }
        fputc ('"', f);
    }
    return fputc ('\n', f) == EOF ? -1 : 0;
}

static void
s_workshop_row (s_row_t *r, const cj_envelope_t *env)
{
    const Chejian__V1__RegisterWorkshop *c = env->register_workshop;
    const Chejian__V1__WorkshopDetails *d = c->details;
    const Chejian__V1__Location *l = d->location;
    const Chejian__V1__Operator *o = d->operator_;
    bool person = o->kind == CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PERSON;
    s_cell (r, "%s", env->county);
    s_cell (r, "%s", c->workshop_id);
    s_cell (r, "%s", d->name);
    s_enum (r, &chejian__v1__workshop_type__descriptor, d->type);
    s_enum (r, &chejian__v1__workshop_role__descriptor, d->role);
    s_cell (r, "%s", d->parent_workshop_id);
    s_cell (r, "%s", l->township_name);
    s_cell (r, "%s", l->township_code);
    s_cell (r, "%s", l->village_name);
    s_cell (r, "%s", l->village_code);
    s_cell (r, "%s", l->address);
    s_enum (r, &chejian__v1__site_kind__descriptor, d->site_kind);
    s_cell (r, "%s", d->site_name);
    s_opt (r, d->floor_area_m2);
    s_cell (r, "%s", d->industry);
    s_cell (r, "%s", d->industry_code);
    s_enum (r, &chejian__v1__operator_kind__descriptor, o->kind);
    s_cell (r, "%s", o->name);
    s_cell (r, "%s", o->resident_id);
    s_cell (r, "%s", o->uscc);
    s_cell (r, "%s", person ? (o->registered_poor ? "1" : "0") : "");
    s_opt (r, d->opened_date);
    s_opt (r, d->closed_date);
    s_opt (r, d->planned_jobs);
}

static void
s_worker_row (s_row_t *r, const cj_envelope_t *env)
{
    const Chejian__V1__RegisterWorker *w = env->register_worker;
    const Chejian__V1__WorkerStatus *st = w->status;
    bool disabled = st->disability && st->disability->certified;
    s_cell (r, "%s", env->county);
    s_cell (r, "%s", w->resident_id);
    s_cell (r, "%s", w->name);
    s_cell (r, "%s", w->details->household_id);
    s_opt (r, w->details->baseline_annual_income_fen);
    s_opt (r, w->details->baseline_year);
    s_enum (r, &chejian__v1__poverty_status__descriptor, st->poverty_status);
    s_opt (r, disabled ? st->disability->grade : 0);
    s_enum (r, &chejian__v1__disability_category__descriptor,
            disabled ? st->disability->category : 0);
    s_cell (r, "%d", st->minimum_allowance_household);
    s_cell (r, "%d", st->relocated_household);
    s_opt (r, w->status_date);
    s_enum (r, &chejian__v1__agency_kind__descriptor, w->status_agency);
}

static void
s_employment_row (s_row_t *r, const cj_envelope_t *env, const cj_envelope_t *end_env)
{
    const Chejian__V1__StartEmployment *e = env->start_employment;
    const Chejian__V1__EmploymentTerms *t = e->terms;
    const Chejian__V1__EndEmployment *end = end_env ? end_env->end_employment : NULL;
    s_cell (r, "%s", env->county);
    s_cell (r, "%s", e->employment_id);
    s_cell (r, "%s", e->resident_id);
    s_cell (r, "%s", e->workshop_id);
    s_enum (r, &chejian__v1__contract_type__descriptor, t->contract_type);
    s_opt (r, t->start_date);
    s_cell (r, "%u", t->term_months);
    s_enum (r, &chejian__v1__work_mode__descriptor, t->work_mode);
    s_enum (r, &chejian__v1__pay_basis__descriptor, t->pay_basis);
    s_opt (r, t->monthly_wage_fen);
    s_opt (r, t->unit_rate_millifen);
    s_cell (r, "%s", t->job_title);
    s_opt (r, end ? end->end_date : 0);
    s_enum (r, &chejian__v1__employment_end_reason__descriptor, end ? end->reason : 0);
}

static int
s_wage_rows (FILE *f, const cj_envelope_t *env)
{
    const Chejian__V1__SubmitWageReport *rep = env->submit_wage_report;
    for (size_t i = 0; i < rep->n_lines; i++) {
        const Chejian__V1__WageLine *l = rep->lines[i];
        bool piece = l->pay_basis == CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE;
        s_row_t r = { .n = 0 };
        s_cell (&r, "%s", env->county);
        s_cell (&r, "%s", rep->workshop_id);
        s_cell (&r, "%d", rep->period);
        s_cell (&r, "%s", l->resident_id);
        s_cell (&r, "%s", l->employment_id);
        s_enum (&r, &chejian__v1__pay_basis__descriptor, l->pay_basis);
        s_cell (&r, "%lld", (long long) l->gross_fen);
        s_opt (&r, l->days_worked);
        if (piece)
            s_cell (&r, "%u", l->pieces);
        else
            s_cell (&r, "%s", "");
        s_opt (&r, l->unit_rate_millifen);
        s_enum (&r, &chejian__v1__work_site__descriptor, l->work_site);
        s_opt (&r, rep->paid_date);
        if (s_write_row (f, &r) != 0)
            return -1;
    }
    return 0;
}

static int
s_write_item (FILE *f, const sample_t *sample, const sample_item_t *item)
{
    static s_row_t row;
    row.n = 0;
    const cj_envelope_t *env = item->env;
    switch (item->file) {
    case SAMPLE_WORKSHOPS:
        s_workshop_row (&row, env);
        break;
    case SAMPLE_WORKERS:
        s_worker_row (&row, env);
        break;
    case SAMPLE_EMPLOYMENTS:
        if (env->body_case != CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT)
            return 0;            /* an end: written on its start's row */
        s_employment_row (&row, env, item->end_item >= 0
                          ? sample_item (sample, (size_t) item->end_item)->env : NULL);
        break;
    case SAMPLE_WAGES:
        return s_wage_rows (f, env);
    default: {
        char *json = cj_json_dumps (&env->base, 0);
        int rc = json && fprintf (f, "%s\n", json) > 0 ? 0 : -1;
        free (json);
        return rc;
    }
    }
    return s_write_row (f, &row);
}

static int
s_write (const sample_t *sample, const char *dir)
{
    for (int file = 0; file < SAMPLE_FILES; file++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, sample_file_name ((sample_file_t) file));
        FILE *f = fopen (path, "w");
        if (!f) {
            fprintf (stderr, "chejian-sample-gen: cannot write %s: %s\n", path, strerror (errno));
            return -1;
        }
        int rc = 0;
        const char *const *columns = s_columns ((sample_file_t) file);
        if (columns) {
            s_row_t header = { .n = 0 };
            for (const char *const *c = columns; *c; c++)
                s_cell (&header, "%s", *c);
            rc = s_write_row (f, &header);
        }
        for (size_t i = 0; rc == 0 && i < sample_count (sample); i++)
            if ((int) sample_item (sample, i)->file == file)
                rc = s_write_item (f, sample, sample_item (sample, i));
        if (fclose (f) != 0 || rc != 0) {
            fprintf (stderr, "chejian-sample-gen: cannot write %s\n", path);
            return -1;
        }
    }
    char path[4096];
    snprintf (path, sizeof path, "%s/expected.json", dir);
    json_t *expected = sample_expected (sample);
    char *text = expected ? json_dumps (expected, JSON_INDENT (2)) : NULL;
    FILE *f = text ? fopen (path, "w") : NULL;
    int rc = f && fprintf (f, "%s\n", text) > 0 ? 0 : -1;
    if (f && fclose (f) != 0)
        rc = -1;
    free (text);
    json_decref (expected);
    if (rc != 0)
        fprintf (stderr, "chejian-sample-gen: cannot write %s\n", path);
    return rc;
}

/*  ---- checking ----  */

typedef struct {
    sample_file_t file;
    const char   *path;
    s_set_t      *known;       /* "workshop:ID", "worker:ID", "employment:ID", "event:SRC/ID" */
    char        **header;
    size_t        ncolumns;
    char         *cells[S_CELLS];
    size_t        ncells;
    bool          too_many;
    long          line, rows, errors;
} s_check_t;

static void
s_complain (s_check_t *c, const char *column, const char *fmt, ...)
{
    va_list ap;
    fprintf (stderr, "%s:%ld: %s%s", c->path, c->line, column ? column : "", column ? ": " : "");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    c->errors++;
}

static bool
s_digits (const char *text)
{
    for (const char *t = text; *t; t++)
        if (*t < '0' || *t > '9')
            return false;
    return true;
}

static bool
s_enum_ok (const ProtobufCEnumDescriptor *desc, const char *cell)
{
    size_t prefix = s_enum_prefix (desc);
    for (unsigned i = 0; i < desc->n_values; i++) {
        char name[S_CELL];
        snprintf (name, sizeof name, "%s", desc->values[i].name + prefix);
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char) (*c - 'A' + 'a');
        if (desc->values[i].value && strcmp (name, cell) == 0)
            return true;
    }
    return false;
}

/*  A problem reported by an ident check, or NULL.  */
static const char *
s_ident (int (*check) (cj_problems_t *, const char *, const char *), const char *value,
         cj_problems_t *p)
{
    cj_problems_init (p);
    return check (p, "", value) == 0 ? NULL : p->items[0].code;
}

/*  The checks of one cell by its column's name.  */
static void
s_check_cell (s_check_t *c, const char *column, const char *cell, cj_problems_t *p)
{
    const ProtobufCEnumDescriptor *desc = s_column_enum (column);
    const char *why = NULL;
    size_t len = strlen (column);
    if (strcmp (column, "county") == 0 && strcmp (cell, SAMPLE_COUNTY) != 0)
        why = "not the sample's county";
    else if (!*cell)
        why = strcmp (column, "resident_id") == 0 || strcmp (column, "workshop_id") == 0
              || strcmp (column, "employment_id") == 0 ? "required" : NULL;
    else if (desc)
        why = s_enum_ok (desc, cell) ? NULL : "not a lower-case short name of the enum";
    else if (len >= 11 && strcmp (column + len - 11, "resident_id") == 0)
        why = s_ident (cj_check_resident_id, cell, p);
    else if (strcmp (column, "operator_uscc") == 0)
        why = s_ident (cj_check_uscc, cell, p);
    else if (len >= 5 && strcmp (column + len - 5, "_date") == 0)
        why = s_digits (cell) && cj_check_date (NULL, NULL, atoi (cell)) == 0 ? NULL : "not a yyyymmdd date";
    else if (strcmp (column, "period") == 0)
        why = s_digits (cell) && cj_check_period (NULL, NULL, atoi (cell)) == 0 ? NULL : "not a yyyymm period";
    else if (strstr (column, "_household") || strcmp (column, "operator_registered_poor") == 0)
        why = strcmp (cell, "0") == 0 || strcmp (cell, "1") == 0 ? NULL : "not 0 or 1";
    else if (strstr (column, "_fen") || strstr (column, "_m2") || strstr (column, "_jobs")
             || strstr (column, "_months") || strstr (column, "_year") || strstr (column, "_grade")
             || strstr (column, "days_") || strcmp (column, "pieces") == 0)
        why = s_digits (cell) ? NULL : "not a whole number";
    if (why)
        s_complain (c, column, "%s", why);
}

static const char *
s_get (const s_check_t *c, const char *column)
{
    for (size_t i = 0; i < c->ncolumns && i < c->ncells; i++)
        if (strcmp (c->header[i], column) == 0)
            return c->cells[i];
    return "";
}

/*  References between the files, and each id once.  */
static void
s_check_refs (s_check_t *c)
{
    static const struct {
        sample_file_t file;
        const char   *column, *kind;
    } defines[] = {
        { SAMPLE_WORKSHOPS, "workshop_id", "workshop" },
        { SAMPLE_WORKERS, "resident_id", "worker" },
        { SAMPLE_EMPLOYMENTS, "employment_id", "employment" },
    }, refers[] = {
        { SAMPLE_EMPLOYMENTS, "resident_id", "worker" },
        { SAMPLE_EMPLOYMENTS, "workshop_id", "workshop" },
        { SAMPLE_WAGES, "resident_id", "worker" },
        { SAMPLE_WAGES, "workshop_id", "workshop" },
        { SAMPLE_WAGES, "employment_id", "employment" },
    };
    for (size_t i = 0; i < sizeof refers / sizeof refers[0]; i++)
        if (refers[i].file == c->file && !s_set_has (c->known, refers[i].kind, s_get (c, refers[i].column)))
            s_complain (c, refers[i].column, "no such %s in the files before", refers[i].kind);
    for (size_t i = 0; i < sizeof defines / sizeof defines[0]; i++)
        if (defines[i].file == c->file
            && s_set_add (c->known, defines[i].kind, s_get (c, defines[i].column)) != 1)
            s_complain (c, defines[i].column, "repeats an earlier %s", defines[i].kind);
    if (c->file == SAMPLE_EMPLOYMENTS) {      /* a wage line's employment is its worker's */
        char pair[S_CELL * 2];
        snprintf (pair, sizeof pair, "%s/%s/%s", s_get (c, "employment_id"),
                  s_get (c, "resident_id"), s_get (c, "workshop_id"));
        s_set_add (c->known, "terms", pair);
    }
    if (c->file == SAMPLE_WAGES) {
        char pair[S_CELL * 2];
        snprintf (pair, sizeof pair, "%s/%s/%s", s_get (c, "employment_id"),
                  s_get (c, "resident_id"), s_get (c, "workshop_id"));
        if (!s_set_has (c->known, "terms", pair))
            s_complain (c, "employment_id", "is not this worker's employment in this workshop");
    }
}

static void
s_on_field (void *data, size_t len, void *arg)
{
    s_check_t *c = arg;
    if (c->ncells == S_CELLS) {
        c->too_many = true;
        return;
    }
    char *cell = malloc (len + 1);
    if (cell) {
        memcpy (cell, data, len);
        cell[len] = 0;
    }
    c->cells[c->ncells++] = cell;
}

static void
s_on_row (int terminator, void *arg)
{
    s_check_t *c = arg;
    (void) terminator;
    c->line++;
    if (!c->header) {                             /* the header row names the columns */
        const char *const *want = s_columns (c->file);
        size_t n = 0;
        while (want[n])
            n++;
        c->header = calloc (c->ncells + 1, sizeof (char *));
        for (size_t i = 0; c->header && i < c->ncells; i++) {
            c->header[i] = c->cells[i];
            c->cells[i] = NULL;
            if (i >= n || strcmp (c->header[i], want[i]) != 0)
                s_complain (c, c->header[i], "unexpected column (want %s)", i < n ? want[i] : "none");
        }
        c->ncolumns = c->header ? c->ncells : 0;
        if (c->ncells != n)
            s_complain (c, NULL, "%zu columns, want %zu", c->ncells, n);
        c->ncells = 0;
        return;
    }
    cj_problems_t *p = malloc (sizeof *p);
    c->rows++;
    if (c->too_many || c->ncells != c->ncolumns)
        s_complain (c, NULL, "%zu cells, the header has %zu", c->ncells, c->ncolumns);
    else
        for (size_t i = 0; p && i < c->ncells; i++)
            s_check_cell (c, c->header[i], c->cells[i] ? c->cells[i] : "", p);
    if (!c->too_many && c->ncells == c->ncolumns)
        s_check_refs (c);
    free (p);
    for (size_t i = 0; i < c->ncells; i++)
        free (c->cells[i]);
    c->ncells = 0;
    c->too_many = false;
}

static void
s_check_csv (s_check_t *c, FILE *f)
{
    struct csv_parser parser;
    char buf[65536];
    size_t n;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        s_complain (c, NULL, "out of memory");
        return;
    }
    while ((n = fread (buf, 1, sizeof buf, f)) > 0)
        if (csv_parse (&parser, buf, n, s_on_field, s_on_row, c) != n) {
            s_complain (c, NULL, "not RFC 4180: %s", csv_strerror (csv_error (&parser)));
            break;
        }
    if (csv_fini (&parser, s_on_field, s_on_row, c) != 0)
        s_complain (c, NULL, "not RFC 4180 at the end: %s", csv_strerror (csv_error (&parser)));
    csv_free (&parser);
    for (size_t i = 0; c->header && i < c->ncolumns; i++)
        free (c->header[i]);
    free (c->header);
    for (size_t i = 0; i < c->ncells; i++)
        free (c->cells[i]);
}

/*  The identifiers inside the bodies of the JSONL commands, and their references.  */
static void
s_check_body (s_check_t *c, const cj_envelope_t *env, cj_problems_t *p)
{
    const char *why;
    switch (env->body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP: {
        const Chejian__V1__Operator *o = env->register_workshop->details->operator_;
        for (size_t i = 0; i < o->n_partners; i++)
            if ((why = s_ident (cj_check_resident_id, o->partners[i]->resident_id, p)))
                s_complain (c, "partners.resident_id", "%s", why);
        if (*o->uscc && (why = s_ident (cj_check_uscc, o->uscc, p)))
            s_complain (c, "operator.uscc", "%s", why);
        s_set_add (c->known, "workshop", env->register_workshop->workshop_id);
        break;
    }
    case CHEJIAN__V1__ENVELOPE__BODY_APPLY_FOR_LOAN: {
        const Chejian__V1__ApplyForLoan *a = env->apply_for_loan;
        for (size_t i = 0; i < a->n_partner_resident_ids; i++)
            if ((why = s_ident (cj_check_resident_id, a->partner_resident_ids[i], p)))
                s_complain (c, "partner_resident_ids", "%s", why);
        if (*a->applicant_resident_id && (why = s_ident (cj_check_resident_id, a->applicant_resident_id, p)))
            s_complain (c, "applicant_resident_id", "%s", why);
        if (*a->applicant_uscc && (why = s_ident (cj_check_uscc, a->applicant_uscc, p)))
            s_complain (c, "applicant_uscc", "%s", why);
        if (!s_set_has (c->known, "workshop", a->workshop_id))
            s_complain (c, "workshop_id", "no such workshop");
        break;
    }
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING: {
        const Chejian__V1__RecordShareholding *h = env->record_shareholding;
        if (*h->resident_id && !s_set_has (c->known, "worker", h->resident_id))
            s_complain (c, "resident_id", "no such worker");
        if (!s_set_has (c->known, "workshop", h->workshop_id))
            s_complain (c, "workshop_id", "no such workshop");
        break;
    }
    case CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION:
        if (!s_set_has (c->known, "workshop", env->request_certification->workshop_id))
            s_complain (c, "workshop_id", "no such workshop");
        break;
    default:
        break;
    }
}

static void
s_check_jsonl (s_check_t *c, FILE *f)
{
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    cj_problems_t *p = malloc (sizeof *p);
    while (p && (len = getline (&line, &size, f)) > 0) {
        c->line++;
        c->rows++;
        cj_problems_init (p);
        cj_envelope_t *env = (cj_envelope_t *) cj_json_loads (&chejian__v1__envelope__descriptor,
                                                              line, (size_t) len, 0, p);
        if (env)
            cj_envelope_validate (env, p);
        if (p->count) {
            char text[1024];
            cj_problems_format (p, text, sizeof text);
            s_complain (c, NULL, "%s", text);
        } else if (!env)
            s_complain (c, NULL, "does not convert");
        if (env && env->body_case == CHEJIAN__V1__ENVELOPE__BODY__NOT_SET)
            s_complain (c, NULL, "no body");
        if (env) {
            char id[300];
            snprintf (id, sizeof id, "%s/%s", env->source, env->event_id);
            if (s_set_add (c->known, "event", id) != 1)
                s_complain (c, "eventId", "repeats an earlier event id of the source");
            s_check_body (c, env, p);
            protobuf_c_message_free_unpacked (&env->base, NULL);
        }
    }
    free (line);
    free (p);
}

static int
s_check (const char *dir)
{
    s_set_t known = { NULL, 0, 0 };
    long errors = 0;
    for (int file = 0; file < SAMPLE_FILES; file++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, sample_file_name ((sample_file_t) file));
        s_check_t c = { .file = (sample_file_t) file, .path = path, .known = &known };
        FILE *f = fopen (path, "rb");
        if (!f) {
            fprintf (stderr, "%s: %s\n", path, strerror (errno));
            errors++;
            continue;
        }
        if (s_columns ((sample_file_t) file))
            s_check_csv (&c, f);
        else
            s_check_jsonl (&c, f);
        fclose (f);
        printf ("%-16s %6ld %s, %ld problem(s)\n", sample_file_name ((sample_file_t) file),
                c.rows, s_columns ((sample_file_t) file) ? "rows" : "lines", c.errors);
        errors += c.errors + (c.rows == 0);
    }
    s_set_free (&known);
    return errors ? 1 : 0;
}

static void
s_usage (FILE *f)
{
    fprintf (f, "usage: chejian-sample-gen [--policy FILE] [--employed N] DIR\n"
                "           write the sample county 510822 into DIR\n"
                "       chejian-sample-gen --check DIR\n"
                "           check the files in DIR\n"
                "--policy defaults to %s;\n"
                "--employed (people in work, 938 of them registered-poor) to %d.\n",
             CJ_SAMPLE_POLICY, SAMPLE_EMPLOYED);
}

int
main (int argc, char **argv)
{
    const char *policy = CJ_SAMPLE_POLICY, *dir = NULL;
    bool check = false;
    int employed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_usage (stdout);
            return 0;
        } else if (strcmp (argv[i], "--check") == 0)
            check = true;
        else if (strcmp (argv[i], "--policy") == 0 && i + 1 < argc)
            policy = argv[++i];
        else if (strcmp (argv[i], "--employed") == 0 && i + 1 < argc && atoi (argv[i + 1]) > 0)
            employed = atoi (argv[++i]);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (!dir) {
        s_usage (stderr);
        return 2;
    }
    if (check)
        return s_check (dir);
    char err[512] = "";
    sample_t *sample = sample_new (policy, employed, err, sizeof err);
    if (!sample) {
        fprintf (stderr, "chejian-sample-gen: %s\n", err);
        return 1;
    }
    int rc = s_write (sample, dir);
    sample_destroy (&sample);
    return rc ? 1 : 0;
}
