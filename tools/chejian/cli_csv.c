/*  cli_csv.c - CSV files into the envelopes an import sends.
 *
 *  libcsv parses (RFC 4180, strict); we feed it one physical line at a time so that every
 *  record knows the line it starts on. The header names the columns; each kind's table maps
 *  a column to a field path of the body ("details.location.township_name"), and the field's
 *  descriptor says how to read the cell (string, enum name, boolean, date, period, fen or
 *  yuan, whole number). A row becomes a JSON object that the generic proto3 JSON converter
 *  turns into the body, so no column is handled by hand-written per-message code.
 *  Wage rows are grouped per (county, workshop, period) into one SubmitWageReport each.  */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <csv.h>
#include <jansson.h>

#include "chejian/ident.h"
#include "chejian/json.h"

/*  Which message of a row a column fills.  */
enum { S_MAIN, S_END, S_REPORT, S_TARGETS };

typedef struct {
    const char *column;
    const char *path;      /* proto field names, dotted, in the target message */
    int         target;
} s_column_t;

typedef struct {
    const char                       *name;
    const char                       *id_prefix;    /* "csv-workshops" */
    int                               body_case;    /* the command of a row (a report for wages) */
    const ProtobufCMessageDescriptor *row;          /* what a row's S_MAIN columns build */
    const s_column_t                 *columns;
    const char                       *keys[4];      /* columns the header must have */
} s_kind_t;

#define B(x) CHEJIAN__V1__ENVELOPE__BODY_##x

static const s_column_t s_workshop_columns[] = {
    { "workshop_id", "workshop_id", S_MAIN },
    { "name", "details.name", S_MAIN },
    { "type", "details.type", S_MAIN },
    { "role", "details.role", S_MAIN },
    { "parent_workshop_id", "details.parent_workshop_id", S_MAIN },
    { "township_name", "details.location.township_name", S_MAIN },
    { "township_code", "details.location.township_code", S_MAIN },
    { "village_name", "details.location.village_name", S_MAIN },
    { "village_code", "details.location.village_code", S_MAIN },
    { "address", "details.location.address", S_MAIN },
    { "site_kind", "details.site_kind", S_MAIN },
    { "site_name", "details.site_name", S_MAIN },
    { "floor_area_m2", "details.floor_area_m2", S_MAIN },
    { "industry", "details.industry", S_MAIN },
    { "industry_code", "details.industry_code", S_MAIN },
    { "operator_kind", "details.operator.kind", S_MAIN },
    { "operator_name", "details.operator.name", S_MAIN },
    { "operator_resident_id", "details.operator.resident_id", S_MAIN },
    { "operator_uscc", "details.operator.uscc", S_MAIN },
    { "operator_registered_poor", "details.operator.registered_poor", S_MAIN },
    { "opened_date", "details.opened_date", S_MAIN },
    { "closed_date", "details.closed_date", S_MAIN },
    { "planned_jobs", "details.planned_jobs", S_MAIN },
    { NULL, NULL, 0 }
};

static const s_column_t s_worker_columns[] = {
    { "resident_id", "resident_id", S_MAIN },
    { "name", "name", S_MAIN },
    { "household_id", "details.household_id", S_MAIN },
    { "baseline_annual_income_fen", "details.baseline_annual_income_fen", S_MAIN },
    { "baseline_year", "details.baseline_year", S_MAIN },
    { "poverty_status", "status.poverty_status", S_MAIN },
    { "disability_grade", "status.disability.grade", S_MAIN },
    { "disability_category", "status.disability.category", S_MAIN },
    { "minimum_allowance_household", "status.minimum_allowance_household", S_MAIN },
    { "relocated_household", "status.relocated_household", S_MAIN },
    { "status_date", "status_date", S_MAIN },
    { "status_agency", "status_agency", S_MAIN },
    { NULL, NULL, 0 }
};

static const s_column_t s_employment_columns[] = {
    { "employment_id", "employment_id", S_MAIN },
    { "resident_id", "resident_id", S_MAIN },
    { "workshop_id", "workshop_id", S_MAIN },
    { "contract_type", "terms.contract_type", S_MAIN },
    { "start_date", "terms.start_date", S_MAIN },
    { "term_months", "terms.term_months", S_MAIN },
    { "work_mode", "terms.work_mode", S_MAIN },
    { "pay_basis", "terms.pay_basis", S_MAIN },
    { "monthly_wage_fen", "terms.monthly_wage_fen", S_MAIN },
    { "unit_rate_millifen", "terms.unit_rate_millifen", S_MAIN },
    { "job_title", "terms.job_title", S_MAIN },
    { "end_date", "end_date", S_END },
    { "end_reason", "reason", S_END },
    { NULL, NULL, 0 }
};

static const s_column_t s_wage_columns[] = {
    { "workshop_id", "workshop_id", S_REPORT },
    { "period", "period", S_REPORT },
    { "paid_date", "paid_date", S_REPORT },
    { "resident_id", "resident_id", S_MAIN },
    { "employment_id", "employment_id", S_MAIN },
    { "pay_basis", "pay_basis", S_MAIN },
    { "gross_fen", "gross_fen", S_MAIN },
    { "days_worked", "days_worked", S_MAIN },
    { "pieces", "pieces", S_MAIN },
    { "unit_rate_millifen", "unit_rate_millifen", S_MAIN },
    { "work_site", "work_site", S_MAIN },
    { NULL, NULL, 0 }
};

static const s_kind_t s_kinds[CLI_KINDS] = {
    { "workshops", "csv-workshops", B (REGISTER_WORKSHOP),
      &chejian__v1__register_workshop__descriptor, s_workshop_columns, { "workshop_id" } },
    { "workers", "csv-workers", B (REGISTER_WORKER),
      &chejian__v1__register_worker__descriptor, s_worker_columns, { "resident_id" } },
    { "employments", "csv-employments", B (START_EMPLOYMENT),
      &chejian__v1__start_employment__descriptor, s_employment_columns, { "employment_id" } },
    { "wages", "csv-wages", B (SUBMIT_WAGE_REPORT), &chejian__v1__wage_line__descriptor,
      s_wage_columns, { "workshop_id", "period", "resident_id" } },
};

static const ProtobufCMessageDescriptor *const s_target_desc[CLI_KINDS][S_TARGETS] = {
    { &chejian__v1__register_workshop__descriptor, NULL, NULL },
    { &chejian__v1__register_worker__descriptor, NULL, NULL },
    { &chejian__v1__start_employment__descriptor, &chejian__v1__end_employment__descriptor, NULL },
    { &chejian__v1__wage_line__descriptor, NULL, &chejian__v1__submit_wage_report__descriptor },
};

int
cli_kind_by_name (const char *name)
{
    for (int k = 0; k < CLI_KINDS; k++)
        if (strcmp (s_kinds[k].name, name) == 0)
            return k;
    return -1;
}

int
cli_kind_of_path (const char *path)
{
    const char *base = strrchr (path, '/');
    base = base ? base + 1 : path;
    for (int k = 0; k < CLI_KINDS; k++)
        if (strncmp (base, s_kinds[k].name, strlen (s_kinds[k].name)) == 0)
            return k;
    return -1;
}

const char *
cli_kind_name (int kind)
{
    return kind >= 0 && kind < CLI_KINDS ? s_kinds[kind].name : "?";
}

long
cli_wage_line_index (const char *field)
{
    static const char prefix[] = "submit_wage_report.lines[";
    if (strncmp (field, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = field + sizeof prefix - 1;
    char *end;
    errno = 0;
    if (*p < '0' || *p > '9')
        return -1;
    long i = strtol (p, &end, 10);
    if (errno || *end != ']' || (end[1] && end[1] != '.' && end[1] != '['))
        return -1;
    return i;
}

/*  ---- rejects ----  */

static void
s_vreject (cli_file_t *file, int line, const char *column, const char *fmt, va_list ap)
{
    if (file->n_rejects == file->rejects_cap) {
        size_t cap = file->rejects_cap ? 2 * file->rejects_cap : 16;
        cli_reject_t *more = realloc (file->rejects, cap * sizeof *more);
        if (!more)
            return;
        file->rejects = more;
        file->rejects_cap = cap;
    }
    char text[1024];
    int n = snprintf (text, sizeof text, "%s:%d:%s%s ", file->path, line, column ? column : "",
                      column ? ":" : "");
    if (n > 0 && (size_t) n < sizeof text)
        vsnprintf (text + n, sizeof text - (size_t) n, fmt, ap);
    char *copy = strdup (text);
    if (copy)
        file->rejects[file->n_rejects++] = (cli_reject_t) { line, copy };
}

void
cli_file_reject (cli_file_t *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vreject (file, line, NULL, fmt, ap);
    va_end (ap);
}

/*  A cell's problem: "file:line:column: CODE message".  */
static void __attribute__ ((format (printf, 4, 5)))
s_reject_cell (cli_file_t *file, int line, const char *column, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vreject (file, line, column, fmt, ap);
    va_end (ap);
}

/*  ---- reading one file ----  */

typedef struct {
    int  column;     /* index in the kind's table; -1 for county */
    bool yuan;       /* a *_yuan cell for a *_fen column */
} s_header_t;

/*  A wage report being gathered.  */
typedef struct {
    char                   county[8];
    char                  *workshop_id;
    int32_t                period, paid_date;
    Chejian__V1__WageLine **lines;
    int                   *line_nos;
    size_t                 n, cap;
    int                    bad_line;       /* first line with a problem, 0 if none */
} s_group_t;

typedef struct {
    cli_file_t             *file;
    const cli_import_ctx_t *ctx;
    const s_kind_t         *kind;
    struct csv_parser       parser;
    char                  **cells;
    size_t                  n_cells, cap_cells;
    long                    line, pending_start, record_line;
    bool                    have_header, failed;
    s_header_t             *header;
    size_t                  n_header;
    size_t                  items_cap;
    s_group_t              *groups;
    size_t                  n_groups, groups_cap, last_group;
} s_load_t;

static cli_item_t *
s_new_item (s_load_t *self, int line)
{
    cli_file_t *f = self->file;
    if (f->n_items == self->items_cap) {
        size_t cap = self->items_cap ? 2 * self->items_cap : 64;
        cli_item_t *more = realloc (f->items, cap * sizeof *more);
        if (!more)
            return NULL;
        f->items = more;
        self->items_cap = cap;
    }
    cli_item_t *item = &f->items[f->n_items++];
    memset (item, 0, sizeof *item);
    item->file = f;
    item->line = line;
    item->n_lines = 1;
    return item;
}

/*  Finds the column of the kind's table a header cell names.  */
static int
s_header_cell (s_load_t *self, const char *name, s_header_t *out)
{
    if (strcasecmp (name, "county") == 0) {
        *out = (s_header_t) { -1, false };
        return 0;
    }
    const s_column_t *cols = self->kind->columns;
    size_t len = strlen (name);
    for (int i = 0; cols[i].column; i++) {
        if (strcasecmp (cols[i].column, name) == 0) {
            *out = (s_header_t) { i, false };
            return 0;
        }
        size_t clen = strlen (cols[i].column);   /* gross_yuan for gross_fen */
        if (clen > 4 && strcmp (cols[i].column + clen - 4, "_fen") == 0 && len == clen + 1
            && strncasecmp (name, cols[i].column, clen - 4) == 0
            && strcasecmp (name + clen - 4, "_yuan") == 0) {
            *out = (s_header_t) { i, true };
            return 0;
        }
    }
    return -1;
}

static int
s_header (s_load_t *self)
{
    cli_file_t *f = self->file;
    self->header = calloc (self->n_cells ? self->n_cells : 1, sizeof *self->header);
    if (!self->header)
        return -1;
    self->n_header = self->n_cells;
    for (size_t i = 0; i < self->n_cells; i++) {
        const char *name = self->cells[i];
        if (i == 0 && strncmp (name, "\xef\xbb\xbf", 3) == 0)   /* a UTF-8 byte order mark */
            name += 3;
        if (s_header_cell (self, name, &self->header[i]) != 0) {
            cli_error ("import", "%s:%ld: unknown column \"%s\" for %s (the columns are in "
                       "`chejian import --help`)", f->path, self->record_line, name,
                       self->kind->name);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (self->header[j].column == self->header[i].column
                && self->header[j].yuan == self->header[i].yuan) {
                cli_error ("import", "%s:%ld: column \"%s\" given twice", f->path,
                           self->record_line, name);
                return -1;
            }
    }
    for (size_t k = 0; k < 4 && self->kind->keys[k]; k++) {
        bool found = false;
        for (size_t i = 0; i < self->n_header; i++)
            found |= self->header[i].column >= 0
                     && strcmp (self->kind->columns[self->header[i].column].column,
                                self->kind->keys[k]) == 0;
        if (!found) {
            cli_error ("import", "%s:%ld: the header has no column \"%s\" (needed for %s)",
                       f->path, self->record_line, self->kind->keys[k], self->kind->name);
            return -1;
        }
    }
    return 0;
}

/*  The descriptor of the field at 'path' under 'desc', with the JSON object (made as
 *  needed under 'root') that holds it and its name in 'ret_name'.  */
static const ProtobufCFieldDescriptor *
s_resolve (const ProtobufCMessageDescriptor *desc, const char *path, json_t *root,
           json_t **ret_parent, char ret_name[64])
{
    json_t *parent = root;
    const ProtobufCFieldDescriptor *f = NULL;
    for (;;) {
        const char *dot = strchr (path, '.');
        size_t len = dot ? (size_t) (dot - path) : strlen (path);
        if (len >= 64)
            return NULL;
        memcpy (ret_name, path, len);
        ret_name[len] = 0;
        f = protobuf_c_message_descriptor_get_field_by_name (desc, ret_name);
        if (!f || !dot)
            break;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            return NULL;
        json_t *child = json_object_get (parent, ret_name);
        if (!child) {
            child = json_object ();
            json_object_set_new (parent, ret_name, child);
        }
        parent = child;
        desc = f->descriptor;
        path = dot + 1;
    }
    *ret_parent = parent;
    return f;
}

static bool
s_ends_with (const char *s, const char *suffix)
{
    size_t a = strlen (s), b = strlen (suffix);
    return a >= b && strcmp (s + a - b, suffix) == 0;
}

/*  Reads one cell as field 'f'. Returns the JSON value, or NULL with the problem in
 *  'code'/'msg' (never quoting the cell: it may be personal data in the wrong column).  */
static json_t *
s_cell (const ProtobufCFieldDescriptor *f, bool yuan, const char *text, const char **code,
        char *msg, size_t size)
{
    uint64_t u;
    int32_t d;
    int64_t fen;
    bool b;
    int e;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        json_t *s = json_string (text);
        if (!s) {
            *code = CJ_E_INVALID_UTF8;
            snprintf (msg, size, "not UTF-8 text (save the file as UTF-8)");
        }
        return s;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        if (!(*code = cli_parse_enum (ed, text, &e)))
            return json_integer (e);
        int n = snprintf (msg, size, "not one of");
        char name[64];
        for (unsigned i = 0; i < ed->n_values && n > 0 && (size_t) n < size; i++)
            if (ed->values[i].value)
                n += snprintf (msg + n, size - (size_t) n, "%s %s", i > 1 ? "," : "",
                               cli_enum_short_name (ed, ed->values[i].value, name, sizeof name));
        return NULL;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!(*code = cli_parse_bool (text, &b)))
            return json_boolean (b);
        snprintf (msg, size, "not a boolean (1/0, true/false, yes/no)");
        return NULL;
    case PROTOBUF_C_TYPE_INT32:
        if (s_ends_with (f->name, "_date")) {
            if (!(*code = cli_parse_date (text, &d)))
                return json_integer (d);
            snprintf (msg, size, "%s", strcmp (*code, CJ_E_INVALID_DATE) == 0 ? "no such date"
                                                                   : "not a date yyyymmdd");
            return NULL;
        }
        if (strcmp (f->name, "period") == 0) {
            if (!(*code = cli_parse_period (text, &d)))
                return json_integer (d);
            snprintf (msg, size, "%s", strcmp (*code, CJ_E_INVALID_PERIOD) == 0 ? "no such month"
                                                                     : "not a period yyyymm");
            return NULL;
        }
        if (!(*code = cli_parse_uint (text, INT32_MAX, &u)))
            return json_integer ((json_int_t) u);
        break;
    case PROTOBUF_C_TYPE_UINT32:
        if (!(*code = cli_parse_uint (text, UINT32_MAX, &u)))
            return json_integer ((json_int_t) u);
        break;
    case PROTOBUF_C_TYPE_INT64:
        if (s_ends_with (f->name, "_fen")) {
            if (!(*code = yuan ? cli_parse_yuan (text, &fen) : cli_parse_fen (text, &fen)))
                return json_integer (fen);
            snprintf (msg, size, "%s", strcmp (*code, CJ_E_OUT_OF_RANGE) == 0 ? "too large"
                                       : yuan ? "not yuan with at most two decimals (e.g. 3500.50)"
                                              : "not whole fen (digits only, e.g. 350050)");
            return NULL;
        }
        if (!(*code = cli_parse_uint (text, INT64_MAX, &u)))
            return json_integer ((json_int_t) u);
        break;
    default:
        *code = CJ_E_INTERNAL;
        snprintf (msg, size, "no reader for this field type");
        return NULL;
    }
    snprintf (msg, size, "%s", strcmp (*code, CJ_E_OUT_OF_RANGE) == 0 ? "too large"
                                                          : "not a whole number (digits only)");
    return NULL;
}

/*  The row's cells into one JSON object per target. Every sub-message a column of the kind
 *  lives in is made even when its cells are blank, so that a blank cell reads "not stated"
 *  (the service then names the missing field itself). Returns the number of problems.  */
static int
s_row_json (s_load_t *self, json_t *targets[S_TARGETS], char county[8])
{
    cli_file_t *f = self->file;
    int problems = 0, line = (int) self->record_line;
    const s_column_t *cols = self->kind->columns;
    for (int i = 0; cols[i].column; i++) {
        json_t *parent;
        char name[64];
        s_resolve (s_target_desc[f->kind][cols[i].target], cols[i].path,
                   targets[cols[i].target], &parent, name);
    }
    int set_by[64];
    for (size_t i = 0; i < 64; i++)
        set_by[i] = -1;
    county[0] = 0;
    for (size_t i = 0; i < self->n_cells && i < self->n_header; i++) {
        const char *text = self->cells[i];
        if (!*text)
            continue;
        const s_header_t *h = &self->header[i];
        if (h->column < 0) {
            if (cj_check_county (NULL, NULL, text) != 0 || strlen (text) != 6) {
                s_reject_cell (f, line, "county", "INVALID_FORMAT not a county code (6 digits)");
                problems++;
            } else
                memcpy (county, text, 7);
            continue;
        }
        const s_column_t *col = &cols[h->column];
        if (set_by[h->column] >= 0) {
            s_reject_cell (f, line, col->column, "INVALID_FORMAT give one of %.*s_fen and "
                           "%.*s_yuan", (int) strlen (col->column) - 4, col->column,
                           (int) strlen (col->column) - 4, col->column);
            problems++;
            continue;
        }
        set_by[h->column] = (int) i;
        json_t *parent;
        char name[64];
        const ProtobufCFieldDescriptor *fd =
            s_resolve (s_target_desc[f->kind][col->target], col->path, targets[col->target],
                       &parent, name);
        const char *code = NULL;
        char msg[600];
        json_t *value = fd ? s_cell (fd, h->yuan, text, &code, msg, sizeof msg) : NULL;
        if (!value) {
            char column[64];   /* as the header names it */
            snprintf (column, sizeof column, "%.*s%s",
                      (int) strlen (col->column) - (h->yuan ? 4 : 0), col->column,
                      h->yuan ? "_yuan" : "");
            s_reject_cell (f, line, column, "%s %s", fd ? code : CJ_E_INTERNAL,
                           fd ? msg : "bad column table");
            problems++;
            continue;
        }
        json_object_set_new (parent, name, value);
    }
    if (!county[0] && self->ctx->county)
        snprintf (county, 8, "%s", self->ctx->county);
    if (!county[0]) {
        s_reject_cell (f, line, "county", "REQUIRED no county: add a county column or give "
                       "--county");
        problems++;
    }
    return problems;
}

/*  A worker with a disability grade or category holds a certificate.  */
static void
s_fix_worker (json_t *row)
{
    json_t *dis = json_object_get (json_object_get (row, "status"), "disability");
    if (dis && json_object_size (dis))
        json_object_set_new (dis, "certified", json_true ());
}

/*  Builds a message of 'desc' from 'json'; a problem (there should be none: cells were
 *  read by type) becomes a reject of the row.  */
static ProtobufCMessage *
s_message (s_load_t *self, const ProtobufCMessageDescriptor *desc, json_t *json)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    ProtobufCMessage *m = cj_json_to_message (desc, json, 0, &problems);
    for (size_t i = 0; !m && i < problems.count; i++)
        cli_file_reject (self->file, (int) self->record_line, "%s %s %s",
                         problems.items[i].field, problems.items[i].code,
                         problems.items[i].message);
    return m;
}

/*  Packs the envelope of 'body' for 'county' with a content-derived id.  */
static int
s_pack (s_load_t *self, const char *county, int body_case, ProtobufCMessage *body,
        char id[CLI_EVENT_ID_MAX], uint8_t **ret_bytes, size_t *ret_len)
{
    if (cli_content_id (id, self->kind->id_prefix, county, body_case, body) != 0)
        return -1;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    cli_envelope_header (&env, id, self->ctx->source, county, self->ctx->trace_id);
    cli_envelope_set_body (&env, body_case, body);
    *ret_bytes = cj_message_pack (&env.base, ret_len);
    return *ret_bytes ? 0 : -1;
}

/*  A workshop, worker or employment row (without problems so far) into its item.  */
static int
s_row_item (s_load_t *self, json_t *targets[S_TARGETS], const char *county)
{
    int line = (int) self->record_line;
    if (self->file->kind == CLI_KIND_WORKERS)
        s_fix_worker (targets[S_MAIN]);
    ProtobufCMessage *main = s_message (self, self->kind->row, targets[S_MAIN]);
    ProtobufCMessage *end = NULL;
    if (main && json_object_size (targets[S_END])) {
        if (!json_object_get (targets[S_END], "end_date")) {
            s_reject_cell (self->file, line, "end_date", "REQUIRED end_reason is given "
                           "without an end_date");
            protobuf_c_message_free_unpacked (main, NULL);
            return 1;
        }
        json_object_set (targets[S_END], "employment_id",
                         json_object_get (targets[S_MAIN], "employment_id"));
        end = s_message (self, &chejian__v1__end_employment__descriptor, targets[S_END]);
        if (!end) {
            protobuf_c_message_free_unpacked (main, NULL);
            return 1;
        }
    }
    if (!main)
        return 1;
    int rc = 0;
    cli_item_t *item = s_new_item (self, line);
    if (!item
        || s_pack (self, county, self->kind->body_case, main, item->event_id, &item->bytes,
                   &item->len) != 0
        || (end && s_pack (self, county, B (END_EMPLOYMENT), end, item->end_id,
                           &item->end_bytes, &item->end_len) != 0))
        rc = -1;
    protobuf_c_message_free_unpacked (main, NULL);
    protobuf_c_message_free_unpacked (end, NULL);
    return rc;
}

/*  The wage report a row belongs to (made when new), or NULL when out of memory.  */
static s_group_t *
s_group (s_load_t *self, const char *county, const char *workshop, int32_t period)
{
    for (size_t n = 0; n < self->n_groups; n++) {
        size_t i = (self->last_group + n) % self->n_groups;   /* files come sorted, mostly */
        s_group_t *g = &self->groups[i];
        if (g->period == period && strcmp (g->county, county) == 0
            && strcmp (g->workshop_id, workshop) == 0) {
            self->last_group = i;
            return g;
        }
    }
    if (self->n_groups == self->groups_cap) {
        size_t cap = self->groups_cap ? 2 * self->groups_cap : 16;
        s_group_t *more = realloc (self->groups, cap * sizeof *more);
        if (!more)
            return NULL;
        self->groups = more;
        self->groups_cap = cap;
    }
    s_group_t *g = &self->groups[self->n_groups];
    memset (g, 0, sizeof *g);
    snprintf (g->county, sizeof g->county, "%s", county);
    g->period = period;
    if (!(g->workshop_id = strdup (workshop)))
        return NULL;
    self->last_group = self->n_groups++;
    return g;
}

static int
s_group_add (s_group_t *g, Chejian__V1__WageLine *line, int line_no)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 32;
        Chejian__V1__WageLine **lines = realloc (g->lines, cap * sizeof *lines);
        if (lines)
            g->lines = lines;
        int *nos = lines ? realloc (g->line_nos, cap * sizeof *nos) : NULL;
        if (!nos)
            return -1;
        g->line_nos = nos;
        g->cap = cap;
    }
    g->lines[g->n] = line;
    g->line_nos[g->n++] = line_no;
    return 0;
}

/*  A wage row into its report. 'bad' rows only mark the report (it is not sent).  */
static int
s_wage_row (s_load_t *self, json_t *targets[S_TARGETS], const char *county, int problems)
{
    int line = (int) self->record_line;
    json_t *rep = targets[S_REPORT];
    const char *workshop = json_string_value (json_object_get (rep, "workshop_id"));
    int32_t period = (int32_t) json_integer_value (json_object_get (rep, "period"));
    int32_t paid = (int32_t) json_integer_value (json_object_get (rep, "paid_date"));
    if (!workshop || !period) {
        if (!problems)
            s_reject_cell (self->file, line, workshop ? "period" : "workshop_id", "REQUIRED a "
                           "wage line needs its workshop_id and period");
        return 1;   /* no report to mark */
    }
    s_group_t *g = s_group (self, county[0] ? county : "", workshop, period);
    if (!g)
        return -1;
    if (!problems && paid && g->paid_date && paid != g->paid_date) {
        s_reject_cell (self->file, line, "paid_date", "CONFLICT differs from the paid_date of "
                       "line %d of the same report", g->line_nos[0]);
        problems++;
    }
    Chejian__V1__WageLine *wl = problems ? NULL
        : (Chejian__V1__WageLine *) s_message (self, self->kind->row, targets[S_MAIN]);
    if (!wl) {
        if (!g->bad_line)
            g->bad_line = line;
        return s_group_add (g, NULL, line) == 0 ? 1 : -1;
    }
    if (paid && !g->paid_date)
        g->paid_date = paid;
    return s_group_add (g, wl, line);
}

static void
s_group_free (s_group_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        protobuf_c_message_free_unpacked (g->lines[i] ? &g->lines[i]->base : NULL, NULL);
    free (g->lines);
    free (g->line_nos);
    free (g->workshop_id);
}

/*  Every gathered report into an item, or into rejects when one of its lines is bad or it
 *  has too many lines.  */
static int
s_finish_groups (s_load_t *self)
{
    cli_file_t *f = self->file;
    int rc = 0;
    for (size_t i = 0; i < self->n_groups; i++) {
        s_group_t *g = &self->groups[i];
        if (g->bad_line || g->n > CLI_MAX_WAGE_LINES) {
            size_t good = 0;
            for (size_t j = 0; j < g->n; j++)
                good += g->lines[j] != NULL;
            if (g->n > CLI_MAX_WAGE_LINES)
                cli_file_reject (f, g->line_nos[0], "lines TOO_MANY the report of workshop %s "
                                 "for %d has %zu lines; at most %d", g->workshop_id, g->period,
                                 g->n, CLI_MAX_WAGE_LINES);
            else if (good)
                cli_file_reject (f, g->line_nos[0], "not sent: the report of workshop %s for "
                                 "%d (%zu lines) has a bad line (line %d)", g->workshop_id,
                                 g->period, g->n, g->bad_line);
            f->rejected += good;
            continue;
        }
        Chejian__V1__SubmitWageReport r = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
        r.workshop_id = g->workshop_id;
        r.period = g->period;
        r.paid_date = g->paid_date;
        r.n_lines = g->n;
        r.lines = g->lines;
        cli_item_t *item = s_new_item (self, g->line_nos[0]);
        if (!item || s_pack (self, g->county, B (SUBMIT_WAGE_REPORT), &r.base, item->event_id,
                             &item->bytes, &item->len) != 0) {
            rc = -1;
            break;
        }
        item->lines = g->line_nos;
        item->n_lines = g->n;
        g->line_nos = NULL;
    }
    return rc;
}

static bool
s_all_blank (char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i][0])
            return false;
    return true;
}

/*  One record: the header, or a row.  */
static void
s_record (s_load_t *self)
{
    if (self->failed)
        return;
    if (!self->have_header) {
        self->have_header = true;
        self->failed = s_header (self) != 0;
        return;
    }
    if (s_all_blank (self->cells, self->n_cells))
        return;
    cli_file_t *f = self->file;
    int line = (int) self->record_line;
    f->records++;
    json_t *targets[S_TARGETS] = { json_object (), json_object (), json_object () };
    char county[8];
    int problems = 0;
    if (self->n_cells != self->n_header) {
        cli_file_reject (f, line, "%zu cells; the header has %zu columns", self->n_cells,
                         self->n_header);
        problems++;
    }
    problems += s_row_json (self, targets, county);
    int rc = f->kind == CLI_KIND_WAGES ? s_wage_row (self, targets, county, problems)
           : problems ? 1 : s_row_item (self, targets, county);
    if (rc > 0)
        f->rejected++;
    if (rc < 0) {
        cli_error ("import", "%s:%d: out of memory", f->path, line);
        self->failed = true;
    }
    for (int t = 0; t < S_TARGETS; t++)
        json_decref (targets[t]);
}

static void
s_on_field (void *data, size_t len, void *arg)
{
    s_load_t *self = arg;
    if (self->n_cells == 0)
        self->record_line = self->pending_start;
    if (self->n_cells == self->cap_cells) {
        size_t cap = self->cap_cells ? 2 * self->cap_cells : 32;
        char **more = realloc (self->cells, cap * sizeof *more);
        if (!more) {
            self->failed = true;
            return;
        }
        self->cells = more;
        self->cap_cells = cap;
    }
    char *cell = malloc (len + 1);
    if (!cell) {
        self->failed = true;
        return;
    }
    memcpy (cell, data ? data : "", len);
    cell[len] = 0;
    self->cells[self->n_cells++] = cell;
}

static void
s_on_record (int terminator, void *arg)
{
    (void) terminator;
    s_load_t *self = arg;
    if (self->n_cells == 0)
        self->record_line = self->pending_start;
    s_record (self);
    for (size_t i = 0; i < self->n_cells; i++)
        free (self->cells[i]);
    self->n_cells = 0;
}

/*  libcsv's state between records (ROW_NOT_BEGUN in libcsv.c): no part of a record read.  */
#define S_CSV_ROW_NOT_BEGUN 0

/*  Feeds 'text' to libcsv one physical line at a time, noting the line each record starts
 *  on (a quoted cell may span lines, so that is the line where the parser last stood
 *  between records).  */
static int
s_parse (s_load_t *self, const char *text, size_t len)
{
    size_t pos = 0;
    for (self->line = 1; pos < len && !self->failed; self->line++) {
        const char *nl = memchr (text + pos, '\n', len - pos);
        size_t n = nl ? (size_t) (nl - (text + pos)) + 1 : len - pos;
        if (self->parser.pstate == S_CSV_ROW_NOT_BEGUN)
            self->pending_start = self->line;
        if (csv_parse (&self->parser, text + pos, n, s_on_field, s_on_record, self) != n) {
            cli_error ("import", "%s:%ld: malformed CSV (%s): check the quotes on this line",
                       self->file->path, self->line,
                       csv_strerror (csv_error (&self->parser)));
            return -1;
        }
        pos += n;
    }
    if (!self->failed && csv_fini (&self->parser, s_on_field, s_on_record, self) != 0) {
        cli_error ("import", "%s:%ld: malformed CSV (%s): a quoted cell is not closed",
                   self->file->path, self->pending_start,
                   csv_strerror (csv_error (&self->parser)));
        return -1;
    }
    if (!self->failed && !self->have_header) {
        cli_error ("import", "%s: empty file: a CSV file starts with a header row naming its "
                   "columns", self->file->path);
        return -1;
    }
    return self->failed ? -1 : 0;
}

int
cli_file_load (cli_file_t *file, const cli_import_ctx_t *ctx)
{
    size_t len;
    char *text = cli_read_file (file->path, &len);
    if (!text) {
        cli_error ("import", "cannot read %s: %s", file->path, strerror (errno));
        return -1;
    }
    s_load_t self = { .file = file, .ctx = ctx, .kind = &s_kinds[file->kind] };
    csv_init (&self.parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    int rc = s_parse (&self, text, len);
    if (rc == 0 && file->kind == CLI_KIND_WAGES)
        rc = s_finish_groups (&self);
    csv_free (&self.parser);
    for (size_t i = 0; i < self.n_groups; i++)
        s_group_free (&self.groups[i]);
    free (self.groups);
    for (size_t i = 0; i < self.n_cells; i++)
        free (self.cells[i]);
    free (self.cells);
    free (self.header);
    free (text);
    if (rc != 0)
        cli_file_fini (file);
    return rc;
}

void
cli_file_fini (cli_file_t *file)
{
    for (size_t i = 0; i < file->n_items; i++) {
        free (file->items[i].bytes);
        free (file->items[i].end_bytes);
        free (file->items[i].lines);
    }
    free (file->items);
    file->items = NULL;
    file->n_items = 0;
    for (size_t i = 0; i < file->n_rejects; i++)
        free (file->rejects[i].text);
    free (file->rejects);
    file->rejects = NULL;
    file->n_rejects = file->rejects_cap = 0;
}
