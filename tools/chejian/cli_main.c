/*  cli_main.c - `chejian <command> [options]`: the table of commands, global help.  */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

static const cli_command_t s_commands[] = {
    { "keygen",  cli_keygen,  cli_keygen_help,  "make a CURVE key pair (or a pseudonym secret)" },
    { "publish", cli_publish, cli_publish_help, "send JSON envelopes (or bodies), one per line" },
    { "import",  cli_import,  cli_import_help,  "import workshops, workers, employments, wages from CSV" },
    { "query",   cli_query,   cli_query_help,   "ask one query, print its result as JSON" },
    { "events",  cli_events,  cli_events_help,  "read a service's events (the pull API)" },
    { "status",  cli_status,  cli_status_help,  "readiness, partitions and subscription lags" },
    { "report",  cli_report,  cli_report_help,  "the county bulletin (text, JSON or CSV)" },
};
#define S_NCOMMANDS (sizeof s_commands / sizeof *s_commands)

void
cli_error (const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "chejian%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
}

int
cli_usage_error (const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "chejian %s: ", cmd);
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\nrun `chejian %s --help` for the options and examples\n", cmd);
    va_end (ap);
    return CLI_EXIT_USAGE;
}

static void
s_help (FILE *out)
{
    fputs ("usage: chejian <command> [options] [arguments]\n\n"
           "The command-line client of chejian: talks to the gateway (CURVE) or, on the private\n"
           "network, straight to the services (plain TCP).\n\nCommands:\n", out);
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        fprintf (out, "  %-8s %s\n", s_commands[i].name, s_commands[i].summary);
    fputs ("\n`chejian help COMMAND` or `chejian COMMAND --help` prints a command's options and\n"
           "examples.\n\n", out);
    cli_conn_help (out);
    fputs ("\nExit codes: 0 success; 1 something was rejected (publish, import, query) or not\n"
           "ready (status); 2 usage or configuration error; 3 gave up (no answer, or\n"
           "UNAVAILABLE after the retries).\n\n"
           "Examples:\n"
           "  chejian keygen --agency hrss-510822 var/keys/hrss\n"
           "  export CHEJIAN_GATEWAY_PUBLIC_KEY_FILE=var/keys/gateway.pub\n"
           "  export CHEJIAN_AGENCY_KEY_FILE=var/keys/hrss.key CHEJIAN_COUNTY=510822\n"
           "  chejian import workshops.csv workers.csv employments.csv wages.csv\n"
           "  chejian report --year 2026\n", out);
}

static const cli_command_t *
s_find (const char *name)
{
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (strcmp (s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

int
cli_main (int argc, char **argv)
{
    if (argc < 2) {
        s_help (stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0) {
        s_help (stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp (name, "help") == 0) {
        if (argc < 3) {
            s_help (stdout);
            return CLI_EXIT_OK;
        }
        const cli_command_t *c = s_find (argv[2]);
        if (!c) {
            cli_error (NULL, "no command \"%s\"; `chejian --help` lists them", argv[2]);
            return CLI_EXIT_USAGE;
        }
        c->help (stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp (name, "--version") == 0) {
        printf ("chejian %s\n", CHEJIAN_VERSION);
        return CLI_EXIT_OK;
    }
    const cli_command_t *c = s_find (name);
    if (!c) {
        cli_error (NULL, "no command \"%s\"; `chejian --help` lists them", name);
        return CLI_EXIT_USAGE;
    }
    static char prog[32];   /* getopt's own messages say "chejian import: ..." */
    snprintf (prog, sizeof prog, "chejian %s", c->name);
    argv[1] = prog;
    optind = 1;             /* each command parses argv[1..] as its own argv */
    return c->run (argc - 1, argv + 1);
}
