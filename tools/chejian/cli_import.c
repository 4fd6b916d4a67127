/*  cli_import.c - `chejian import`: CSV files of workshops, workers, employments and wages
 *  (read by cli_csv.c) sent kind by kind through the windowed sender; answers mapped back to
 *  the files' lines; a summary per file.  */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_REJECTS_SHOWN 20

void
cli_import_help (FILE *out)
{
    fputs ("usage: chejian import [options] FILE...\n\n"
           "Imports CSV files (UTF-8, RFC 4180, a header row naming the columns in any order).\n"
           "A file's kind comes from its name (workshops*.csv, workers*.csv, employments*.csv,\n"
           "wages*.csv) or --kind. Files are imported kind by kind in that order, whatever the\n"
           "order given; each kind is finished before the next starts.\n\n"
           "Cells: blank = not stated. Enums by short name (park, labour_contract,\n"
           "on_site_fixed_hours) or full name (WORKSHOP_TYPE_PARK); booleans 1/0, true/false,\n"
           "yes/no; dates yyyymmdd; periods yyyymm; money as whole fen in a *_fen column or as\n"
           "yuan with at most two decimals in the matching *_yuan column (one of the two).\n"
           "A county column, or --county for rows without one.\n\n"
           "Columns:\n"
           "  workshops    county workshop_id name type role parent_workshop_id township_name\n"
           "               township_code village_name village_code address site_kind site_name\n"
           "               floor_area_m2 industry industry_code operator_kind operator_name\n"
           "               operator_resident_id operator_uscc operator_registered_poor\n"
           "               opened_date closed_date planned_jobs              -> RegisterWorkshop\n"
           "  workers      county resident_id name household_id baseline_annual_income_fen|_yuan\n"
           "               baseline_year poverty_status disability_grade (blank: not certified)\n"
           "               disability_category minimum_allowance_household relocated_household\n"
           "               status_date status_agency                          -> RegisterWorker\n"
           "  employments  county employment_id resident_id workshop_id contract_type start_date\n"
           "               term_months work_mode pay_basis monthly_wage_fen|_yuan\n"
           "               unit_rate_millifen job_title end_date end_reason  -> StartEmployment,\n"
           "               then EndEmployment (once the start is accepted) when end_date is set\n"
           "  wages        county workshop_id period resident_id employment_id pay_basis\n"
           "               gross_fen|_yuan days_worked pieces unit_rate_millifen work_site\n"
           "               paid_date   -> one SubmitWageReport per (county, workshop, period),\n"
           "               lines in file order, at most 5000 (revision 0: a changed month\n"
           "               replaces the one sent before)\n\n"
           "Event ids come from the content (csv-<kind>-<32 hex>): importing the same files\n"
           "again is answered DUPLICATE and changes nothing; an edited row gets a new id.\n"
           "Rows with a bad cell are reported as file:line:column and not sent (a wage report\n"
           "with a bad line is not sent at all). At the end a summary per file (records,\n"
           "accepted, duplicate, rejected) and the first 20 rejected lines as\n"
           "file:line: field CODE message. Names and resident IDs are never printed.\n"
           "A progress line is shown on stderr when it is a terminal.\n\n"
           "Options:\n"
           "  --kind K         the kind of every FILE: workshops, workers, employments, wages\n"
           "  --window N       requests in flight, 1..1000 (default 64)\n"
           "  --retries N      resends after no answer or UNAVAILABLE (default 8)\n"
           "  --settle-ms MS   how long REJECTED with only NOT_YET_KNOWN (payroll has not yet\n"
           "                   heard of a worker or employment) is retried (default 60000)\n", out);
    cli_conn_help (out);
    fputs ("\nExit: 0 every row accepted or duplicate; 1 some rejected; 2 usage, or a file that\n"
           "cannot be read (bad header, malformed CSV: then nothing is sent); 3 gave up.\n\n"
           "Examples:\n"
           "  chejian import --county 510822 workshops.csv workers.csv employments.csv wages.csv\n"
           "  chejian import --kind wages --county 510822 2026-10-payroll.csv\n", out);
}

enum { S_ACCEPTED = 1, S_DUPLICATE, S_REJECTED, S_GAVE_UP };

typedef struct {
    cli_conn_t   *conn;
    cli_sender_t *sender;
    cli_file_t   *files;
    size_t        n_files;
    int           kind;                 /* the kind being sent */
    size_t        file_i, item_i;       /* the next item to send */
    bool          progress;
    int64_t       progress_at;
    size_t        stage_rows, stage_done;
} s_import_t;

static int
s_outcome (const cj_ack_t *ack)
{
    if (!ack || ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE)
        return S_GAVE_UP;
    Chejian__V1__AckStatus st = ack->status;
    if (st == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
        return ack->original_status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
               ? S_REJECTED : S_DUPLICATE;
    return st == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED ? S_ACCEPTED : S_REJECTED;
}

void
cli_item_reject_ack (cli_item_t *item, const cj_ack_t *ack)
{
    for (size_t i = 0; i < ack->n_problems; i++) {
        const Chejian__V1__Problem *p = ack->problems[i];
        long index = item->lines ? cli_wage_line_index (p->field) : -1;
        int line = index >= 0 && (size_t) index < item->n_lines ? item->lines[index] : item->line;
        cli_file_reject (item->file, line, "%s%s%s %s", p->field, p->field[0] ? " " : "",
                         p->code, p->message);
    }
    if (ack->n_problems == 0)
        cli_file_reject (item->file, item->line, "REJECTED without a reason");
}

static void
s_progress (s_import_t *self, bool last)
{
    if (!self->progress)
        return;
    int64_t now = cli_now_ms ();
    if (!last && now - self->progress_at < 200)
        return;
    self->progress_at = now;
    size_t pct = self->stage_rows ? self->stage_done * 100 / self->stage_rows : 100;
    char bar[31];
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = 0;
    fprintf (stderr, "\r\033[Kimporting %-11s [%s] %zu/%zu rows", cli_kind_name (self->kind),
             bar, self->stage_done, self->stage_rows);
    if (last)
        fputs ("\r\033[K", stderr);
}

static void
s_done (void *arg, void *user, const char *event_id, cj_ack_t **ack_p)
{
    s_import_t *self = arg;
    cli_item_t *item = user;
    cli_file_t *f = item->file;
    int outcome = s_outcome (*ack_p);
    if (item->end_bytes && !item->first_outcome
        && (outcome == S_ACCEPTED || outcome == S_DUPLICATE)) {
        item->first_outcome = outcome;   /* the start is in: now the end */
        uint8_t *bytes = item->end_bytes;
        item->end_bytes = NULL;
        cli_sender_submit_bytes (self->sender, bytes, item->end_len, item->end_id,
                                 CJ_OWNER_REGISTRY, item);
        return;
    }
    if (outcome == S_REJECTED)
        cli_item_reject_ack (item, *ack_p);
    else if (outcome == S_GAVE_UP)
        cli_file_reject (f, item->line, "gave up: %s (event_id %s)",
                         *ack_p ? "UNAVAILABLE after the retries" : "no answer", event_id);
    else if (item->first_outcome == S_ACCEPTED)
        outcome = S_ACCEPTED;            /* a start accepted, its end a duplicate */
    switch (outcome) {
    case S_ACCEPTED:  f->accepted += item->n_lines; break;
    case S_DUPLICATE: f->duplicate += item->n_lines; break;
    case S_REJECTED:  f->rejected += item->n_lines; break;
    default:          f->gave_up += item->n_lines; break;
    }
    self->stage_done += item->n_lines;
    s_progress (self, false);
}

/*  The sender asks for more: the next item of the kind being sent.  */
static int
s_pull (void *arg)
{
    s_import_t *self = arg;
    for (; self->file_i < self->n_files; self->file_i++, self->item_i = 0) {
        cli_file_t *f = &self->files[self->file_i];
        if (f->kind != self->kind || self->item_i >= f->n_items)
            continue;
        cli_item_t *item = &f->items[self->item_i++];
        uint8_t *bytes = item->bytes;
        item->bytes = NULL;
        cj_owner_t owner = self->kind == CLI_KIND_WAGES ? CJ_OWNER_PAYROLL : CJ_OWNER_REGISTRY;
        return cli_sender_submit_bytes (self->sender, bytes, item->len, item->event_id, owner,
                                        item) == 0 ? 0 : -1;
    }
    return 1;
}

static int
s_reject_cmp (const void *a, const void *b)
{
    const cli_reject_t *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

/*  The summary (stdout): a row per file, then the first rejected lines of each file.  */
static void
s_summary (s_import_t *self)
{
    size_t width = 4, gave_up = 0;
    for (size_t i = 0; i < self->n_files; i++) {
        size_t len = strlen (self->files[i].path);
        width = len > width ? len : width;
        gave_up += self->files[i].gave_up;
    }
    printf ("%-*s  %-11s %8s %9s %10s %9s%s\n", (int) width, "file", "kind", "records",
            "accepted", "duplicate", "rejected", gave_up ? "   gave up" : "");
    for (size_t i = 0; i < self->n_files; i++) {
        cli_file_t *f = &self->files[i];
        printf ("%-*s  %-11s %8zu %9zu %10zu %9zu", (int) width, f->path, cli_kind_name (f->kind),
                f->records, f->accepted, f->duplicate, f->rejected);
        if (gave_up)
            printf (" %9zu", f->gave_up);
        putchar ('\n');
    }
    for (size_t i = 0; i < self->n_files; i++) {
        cli_file_t *f = &self->files[i];
        if (!f->n_rejects)
            continue;
        qsort (f->rejects, f->n_rejects, sizeof *f->rejects, s_reject_cmp);
        size_t shown = f->n_rejects < S_REJECTS_SHOWN ? f->n_rejects : S_REJECTS_SHOWN;
        printf ("\n%s: %zu rejected rows, %zu problems%s:\n", f->path, f->rejected, f->n_rejects,
                shown < f->n_rejects ? " (the first 20)" : "");
        for (size_t j = 0; j < shown; j++)
            printf ("  %s\n", f->rejects[j].text);
        if (shown < f->n_rejects)
            printf ("  ... and %zu more\n", f->n_rejects - shown);
    }
    fflush (stdout);
}

static int
s_options (int argc, char **argv, cli_conn_t *conn, cli_send_opts_t *opts, int *kind)
{
    enum { O_KIND = CLI_OPT_FIRST_COMMAND };
    static const struct option options[] = {
        { "kind", required_argument, NULL, O_KIND },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        CLI_SEND_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int c;
    long v;
    while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_KIND:
            if ((*kind = cli_kind_by_name (optarg)) < 0)
                return cli_usage_error ("import", "--kind takes workshops, workers, employments "
                                        "or wages");
            break;
        case 'h': cli_import_help (stdout); return -1;
        default:
            if ((v = cli_option (conn, opts, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error ("import", "give the CSV files to import");
    return 0;
}

/*  The files in kind order (stable), each with its kind.  */
static int
s_files (s_import_t *self, int argc, char **argv, int kind)
{
    size_t n = (size_t) (argc - optind);
    self->files = calloc (n, sizeof *self->files);
    if (!self->files)
        return CLI_EXIT_USAGE;
    for (int k = 0; k < CLI_KINDS; k++)
        for (int i = optind; i < argc; i++) {
            int fk = kind >= 0 ? kind : cli_kind_of_path (argv[i]);
            if (fk < 0 && k == 0)
                return cli_usage_error ("import", "cannot tell the kind of %s from its name "
                                        "(workshops*, workers*, employments*, wages*): give "
                                        "--kind", argv[i]);
            if (fk == k)
                self->files[self->n_files++] = (cli_file_t) { .path = argv[i], .kind = fk };
        }
    return 0;
}

static int
s_send (s_import_t *self, const cli_send_opts_t *opts)
{
    self->sender = cli_sender_new (self->conn, opts, s_done, self);
    if (!self->sender)
        return -1;
    for (int k = 0; k < CLI_KINDS; k++) {
        self->kind = k;
        self->file_i = self->item_i = 0;
        self->stage_rows = self->stage_done = 0;
        for (size_t i = 0; i < self->n_files; i++)
            if (self->files[i].kind == k)
                for (size_t j = 0; j < self->files[i].n_items; j++)
                    self->stage_rows += self->files[i].items[j].n_lines;
        if (!self->stage_rows)
            continue;
        if (cli_sender_run (self->sender, s_pull, self) != 0)
            return -1;
        s_progress (self, true);
    }
    return 0;
}

int
cli_import (int argc, char **argv)
{
    cli_conn_t conn;
    cli_send_opts_t opts = CLI_SEND_OPTS_DEFAULT;
    s_import_t self = { .conn = &conn };
    int kind = -1, rc = cli_conn_init (&conn, "import");
    if (rc == 0)
        rc = s_options (argc, argv, &conn, &opts, &kind);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    opts.timeout_ms = conn.timeout_ms;
    if ((rc = s_files (&self, argc, argv, kind)) != 0 || (rc = cli_conn_open (&conn)) != 0) {
        free (self.files);
        return rc;
    }
    char trace[CLI_TRACE_ID_LEN + 1];
    cli_trace_id (trace);
    cli_import_ctx_t ctx = { conn.source, conn.county[0] ? conn.county : NULL, trace };
    for (size_t i = 0; rc == 0 && i < self.n_files; i++)
        if (cli_file_load (&self.files[i], &ctx) != 0) {
            cli_error ("import", "nothing was sent: fix %s and run the import again",
                       self.files[i].path);
            rc = CLI_EXIT_USAGE;
        }
    self.progress = isatty (STDERR_FILENO);
    if (rc == 0) {
        if (s_send (&self, &opts) != 0)
            rc = CLI_EXIT_USAGE;
        s_summary (&self);
        size_t rejected = 0, gave_up = 0;
        for (size_t i = 0; i < self.n_files; i++) {
            rejected += self.files[i].rejected;
            gave_up += self.files[i].gave_up;
        }
        if (self.sender)
            cli_sender_explain_gave_up (self.sender, "import");
        if (rc == 0)
            rc = gave_up ? CLI_EXIT_GAVE_UP : rejected ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
    }
    cli_sender_destroy (&self.sender);
    for (size_t i = 0; i < self.n_files; i++)
        cli_file_fini (&self.files[i]);
    free (self.files);
    cli_conn_close (&conn);
    return rc;
}
