/*  replay_main.c - runs a fuzz target's LLVMFuzzerTestOneInput once on every file of the
 *  directories (or on the files) named on the command line, in name order, so that the seed
 *  corpus and every past finding are replayed by ctest in the ordinary (gcc, sanitizer)
 *  builds. Files whose names start with '.' or "README" are skipped. A crash, sanitizer
 *  report or failed assertion in the target fails the run; otherwise it prints how many
 *  inputs it ran and exits 0.  */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

/*  Reads 'path' whole into a malloc'd buffer (at least one byte allocated).  */
static uint8_t *
s_read (const char *path, size_t *ret_len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0, n;
    uint8_t *buf = malloc (cap);
    while (buf && (n = fread (buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc (buf, cap *= 2);
            if (!bigger)
                free (buf);
            buf = bigger;
        }
    }
    if (buf && ferror (f)) {
        free (buf);
        buf = NULL;
    }
    fclose (f);
    *ret_len = len;
    return buf;
}

static int
s_run_file (const char *path)
{
    size_t len;
    uint8_t *data = s_read (path, &len);
    if (!data) {
        fprintf (stderr, "replay: cannot read %s: %s\n", path, strerror (errno));
        return -1;
    }
    /* an exact-size copy, so that ASan sees reads past the end as libFuzzer would */
    uint8_t *exact = malloc (len ? len : 1);
    if (exact && len)
        memcpy (exact, data, len);
    free (data);
    if (!exact)
        return -1;
    LLVMFuzzerTestOneInput (exact, len);
    free (exact);
    return 0;
}

static int
s_skip (const struct dirent *entry)
{
    return entry->d_name[0] != '.' && strncmp (entry->d_name, "README", 6) != 0;
}

/*  Runs every regular file of 'dir' in name order; returns the number run, -1 on error.  */
static long
s_run_dir (const char *dir)
{
    struct dirent **names;
    int n = scandir (dir, &names, s_skip, alphasort);
    if (n < 0) {
        fprintf (stderr, "replay: cannot list %s: %s\n", dir, strerror (errno));
        return -1;
    }
    long ran = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf (path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (ran >= 0 && stat (path, &st) == 0 && S_ISREG (st.st_mode))
            ran = s_run_file (path) == 0 ? ran + 1 : -1;
        free (names[i]);
    }
    free (names);
    return ran;
}

int
main (int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize (&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long ran = -1;
        if (stat (argv[i], &st) != 0)
            fprintf (stderr, "replay: %s: %s\n", argv[i], strerror (errno));
        else if (S_ISDIR (st.st_mode))
            ran = s_run_dir (argv[i]);
        else
            ran = s_run_file (argv[i]) == 0 ? 1 : -1;
        if (ran < 0)
            return 1;
        total += ran;
    }
    printf ("replay: %ld inputs ran without a finding\n", total);
    return 0;
}
