/*  fuzz_csv.c - a CSV file of `chejian import` (tools/chejian/cli_csv.c, cli_fields.c).
 *
 *  Input: the first byte picks the kind (bits 0-1: workshops, workers, employments, wages)
 *  and whether --county 510822 is given (bit 2); the rest is the file. It is read by
 *  cli_file_load, the very call `chejian import` makes for each file before sending anything
 *  (header, libcsv, cells, the column-to-field mapping, the JSON converter, wage reports
 *  grouped per workshop and month, envelopes packed with content-derived ids). The file is an
 *  in-memory memfd named by /proc/self/fd/N: nothing touches the disk and no socket is made.
 *  The import's own messages about unusable files (stdio stderr) go to /dev/null.
 *
 *  Asserts: no crash, leak or undefined behaviour; a usable file accounts for every record
 *  (rows in items plus rejected rows equal the records read), each item is an envelope that
 *  decodes within the wire limits with the kind's body (and an EndEmployment after an
 *  employment when there is one), an event id csv-<kind>-..., and wage lines numbered in
 *  file order; an unusable file keeps nothing.  */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chejian/envelope.h"
#include "cli.h"
#include "fuzz.h"

#define B(x) CHEJIAN__V1__ENVELOPE__BODY_##x

static int  s_fd = -1;
static char s_path[64];

static void
s_init (void)
{
    if (s_fd >= 0)
        return;
    s_fd = memfd_create ("fuzz-csv", 0);
    FUZZ_ASSERT (s_fd >= 0);
    snprintf (s_path, sizeof s_path, "/proc/self/fd/%d", s_fd);
    FILE *quiet = fopen ("/dev/null", "w");
    FUZZ_ASSERT (quiet);
    stderr = quiet;   /* sanitizers and libFuzzer write to fd 2 themselves */
}

/*  The packed envelope 'bytes' decodes with body 'body_case' and event id 'id'.  */
static void
s_check_envelope (const uint8_t *bytes, size_t len, int body_case, const char *id)
{
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *env = cj_envelope_decode (bytes, len, &p);
    FUZZ_ASSERT (env && !cj_problems_any (&p));
    FUZZ_ASSERT ((int) env->body_case == body_case && cj_envelope_body (env));
    FUZZ_ASSERT (strcmp (env->event_id, id) == 0);
    cj_envelope_free (&env);
}

static void
s_check_file (const cli_file_t *f)
{
    static const int bodies[CLI_KINDS] = {
        B (REGISTER_WORKSHOP), B (REGISTER_WORKER), B (START_EMPLOYMENT), B (SUBMIT_WAGE_REPORT),
    };
    char prefix[32];
    snprintf (prefix, sizeof prefix, "csv-%s-", cli_kind_name (f->kind));
    size_t rows = 0;
    for (size_t i = 0; i < f->n_items; i++) {
        const cli_item_t *item = &f->items[i];
        FUZZ_ASSERT (item->file == f && item->n_lines >= 1 && item->line >= 1);
        FUZZ_ASSERT (strncmp (item->event_id, prefix, strlen (prefix)) == 0);
        s_check_envelope (item->bytes, item->len, bodies[f->kind], item->event_id);
        if (item->end_bytes) {
            FUZZ_ASSERT (f->kind == CLI_KIND_EMPLOYMENTS);
            s_check_envelope (item->end_bytes, item->end_len, B (END_EMPLOYMENT), item->end_id);
        }
        if (f->kind == CLI_KIND_WAGES) {
            FUZZ_ASSERT (item->lines && item->n_lines <= CLI_MAX_WAGE_LINES);
            FUZZ_ASSERT (item->lines[0] == item->line);
            for (size_t j = 1; j < item->n_lines; j++)
                FUZZ_ASSERT (item->lines[j] > item->lines[j - 1]);
        } else
            FUZZ_ASSERT (item->n_lines == 1 && !item->lines);
        rows += item->n_lines;
    }
    FUZZ_ASSERT (rows + f->rejected == f->records);
    FUZZ_ASSERT (f->accepted == 0 && f->duplicate == 0 && f->gave_up == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_init ();
    if (size < 1)
        return 0;
    FUZZ_ASSERT (ftruncate (s_fd, 0) == 0);
    FUZZ_ASSERT (pwrite (s_fd, data + 1, size - 1, 0) == (ssize_t) (size - 1));
    cli_file_t file = { .path = s_path, .kind = data[0] & 3 };
    cli_import_ctx_t ctx = { "fuzz-import", data[0] & 4 ? "510822" : NULL, "0123456789abcdef" };
    if (cli_file_load (&file, &ctx) == 0)
        s_check_file (&file);
    else
        FUZZ_ASSERT (file.n_items == 0 && file.n_rejects == 0 && !file.items && !file.rejects);
    cli_file_fini (&file);
    return 0;
}
