/*  cli.h - the pieces the `chejian` commands share: exit codes, the connection settings
 *  (flags and CHEJIAN_* variables), the windowed sender with retries, envelopes and bodies,
 *  CSV cells, and the commands' entry points.
 *
 *  Every command is main-level code: it prints its own errors (naming the cause and the fix)
 *  to stderr and returns one of the CLI_EXIT_* codes.  */
#ifndef CHEJIAN_CLI_H
#define CHEJIAN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chejian/client.h"
#include "chejian/curve.h"
#include "chejian/envelope.h"
#include "chejian/problem.h"

/*  Exit codes (docs/2026-11-23-gateway-cli.md).  */
#define CLI_EXIT_OK       0   /* success */
#define CLI_EXIT_REJECTED 1   /* something was rejected (publish, import, query) or not ready (status) */
#define CLI_EXIT_USAGE    2   /* usage or configuration error */
#define CLI_EXIT_GAVE_UP  3   /* unavailable after retries, no answer */

#define CLI_ENDPOINT_MAX  256
#define CLI_PATH_MAX      1024
#define CLI_WINDOW_MAX    1000   /* the gateway's default in-flight limit per agency */

/*  ---- commands (cli_<name>.c) ----  */

typedef struct {
    const char *name;
    int       (*run) (int argc, char **argv);
    void      (*help) (FILE *out);
    const char *summary;
} cli_command_t;

int  cli_main (int argc, char **argv);
int  cli_keygen (int argc, char **argv);
int  cli_publish (int argc, char **argv);
int  cli_import (int argc, char **argv);
int  cli_query (int argc, char **argv);
int  cli_events (int argc, char **argv);
int  cli_status (int argc, char **argv);
int  cli_report (int argc, char **argv);
void cli_keygen_help (FILE *out);
void cli_publish_help (FILE *out);
void cli_import_help (FILE *out);
void cli_query_help (FILE *out);
void cli_events_help (FILE *out);
void cli_status_help (FILE *out);
void cli_report_help (FILE *out);

/*  Prints "chejian CMD: <message>" to stderr.  */
void cli_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/*  Prints the usage error, "run `chejian CMD --help`", and returns CLI_EXIT_USAGE.  */
int  cli_usage_error (const char *cmd, const char *fmt, ...)
     __attribute__ ((format (printf, 2, 3)));

/*  ---- connection (cli_conn.c) ----  */

/*  getopt_long values of the connection options every command takes.  */
enum {
    CLI_OPT_GATEWAY = 1000,
    CLI_OPT_SERVER_KEY,
    CLI_OPT_KEY,
    CLI_OPT_SOURCE,
    CLI_OPT_COUNTY,
    CLI_OPT_TIMEOUT,
    CLI_OPT_WINDOW,
    CLI_OPT_RETRIES,
    CLI_OPT_SETTLE,
    CLI_OPT_FIRST_COMMAND   /* commands number their own long-only options from here */
};

#define CLI_CONN_LONG_OPTIONS                                                                 \
    { "gateway", required_argument, NULL, CLI_OPT_GATEWAY },                                  \
    { "server-key", required_argument, NULL, CLI_OPT_SERVER_KEY },                            \
    { "key", required_argument, NULL, CLI_OPT_KEY },                                          \
    { "source", required_argument, NULL, CLI_OPT_SOURCE },                                    \
    { "county", required_argument, NULL, CLI_OPT_COUNTY },                                    \
    { "timeout", required_argument, NULL, CLI_OPT_TIMEOUT }

/*  The sender's options: --retries alone (queries), or all three (publish, import).  */
#define CLI_RETRIES_LONG_OPTION { "retries", required_argument, NULL, CLI_OPT_RETRIES }
#define CLI_SEND_LONG_OPTIONS                                                                 \
    { "window", required_argument, NULL, CLI_OPT_WINDOW },                                    \
    { "settle-ms", required_argument, NULL, CLI_OPT_SETTLE },                                 \
    CLI_RETRIES_LONG_OPTION

/*  The help text of those options, for every command's --help.  */
void cli_conn_help (FILE *out);

#define CLI_OWNERS 4   /* indexed by cj_owner_t (0 unused) */

typedef struct cli_send_opts_t cli_send_opts_t;

typedef struct {
    const char        *cmd;                                 /* for messages */
    char               gateway[CLI_ENDPOINT_MAX];
    char               override[CLI_OWNERS][CLI_ENDPOINT_MAX]; /* CHEJIAN_<OWNER>_ENDPOINT, plain TCP only */
    char               server_key_file[CLI_PATH_MAX];
    char               key_file[CLI_PATH_MAX];
    char               source[CJ_SOURCE_MAX + 1];
    char               county[16];
    int                timeout_ms;
    /* after cli_conn_open */
    bool               curve;
    cj_curve_keypair_t kp;
    char               server_public[CJ_CURVE_Z85 + 1];
    void              *zctx;
    cj_client_t       *clients[CLI_OWNERS];                 /* one per distinct endpoint, shared */
    char               endpoint[CLI_OWNERS][CLI_ENDPOINT_MAX];
} cli_conn_t;

/*  Defaults, then the CHEJIAN_* variables. Returns 0, or CLI_EXIT_USAGE after printing which
 *  variable is bad.  */
int  cli_conn_init (cli_conn_t *conn, const char *cmd);
/*  Takes an option a command does not handle itself: a connection option, a sender option
 *  (into 'opts', which may be NULL when the command has none), or else a usage error.
 *  Returns 0, or CLI_EXIT_USAGE after printing why.  */
int  cli_option (cli_conn_t *conn, cli_send_opts_t *opts, int opt, const char *arg);
/*  Loads the key files and settles the source. Connects nothing yet. Returns 0 or
 *  CLI_EXIT_USAGE (printed).  */
int  cli_conn_open (cli_conn_t *conn);
/*  The client for bodies of 'owner' (connected on first use), or NULL (printed).  */
cj_client_t *cli_conn_client (cli_conn_t *conn, cj_owner_t owner);
const char  *cli_conn_endpoint (const cli_conn_t *conn, cj_owner_t owner);
/*  The county for requests that need one: --county, or CLI_FALLBACK_COUNTY.  */
const char  *cli_conn_county_or_default (const cli_conn_t *conn);
void cli_conn_close (cli_conn_t *conn);

#define CLI_FALLBACK_COUNTY "110101"   /* status: any county code will do */

/*  ---- the sender (cli_send.c) ----  */

struct cli_send_opts_t {
    int window;      /* requests in flight, 1..CLI_WINDOW_MAX */
    int retries;     /* resends after no answer or UNAVAILABLE */
    int settle_ms;   /* how long REJECTED with only NOT_YET_KNOWN is retried */
    int timeout_ms;  /* per attempt */
    bool quiet;      /* no retry notes on stderr */
};

#define CLI_SEND_OPTS_DEFAULT { 64, 8, 60000, 5000, false }

typedef struct cli_sender_t cli_sender_t;

/*  Called once per request with its final answer: ACCEPTED, DUPLICATE or REJECTED (settled),
 *  or, when the sender gave up, the last UNAVAILABLE ack or NULL (no answer). 'user' is what
 *  the request was submitted with. The callback may keep the ack (set *ack_p to NULL) and may
 *  submit more requests.  */
typedef void (cli_done_fn) (void *arg, void *user, const char *event_id, cj_ack_t **ack_p);
/*  Asked for more work when the window has room: submits requests and returns 0, or returns
 *  1 when there is nothing more (then it is not asked again), -1 to stop with an error.  */
typedef int  (cli_pull_fn) (void *arg);

cli_sender_t *cli_sender_new (cli_conn_t *conn, const cli_send_opts_t *opts, cli_done_fn *done,
                              void *arg);
void          cli_sender_destroy (cli_sender_t **self_p);
/*  Queues an envelope (packed now; the caller keeps 'env'). Returns 0 or -1 (out of memory,
 *  or no connection for its owner: printed).  */
int  cli_sender_submit (cli_sender_t *self, const cj_envelope_t *env, void *user);
/*  The same for an envelope already packed ('bytes', taken and freed here) of 'owner'.  */
int  cli_sender_submit_bytes (cli_sender_t *self, uint8_t *bytes, size_t len,
                              const char *event_id, cj_owner_t owner, void *user);
/*  Sends until every queued request (and every one 'pull', which may be NULL, submits) is
 *  done. Returns 0, or -1 when 'pull' failed or a connection could not be made.  */
int  cli_sender_run (cli_sender_t *self, cli_pull_fn *pull, void *pull_arg);
/*  Requests given up on so far, and the endpoint of the last one.  */
size_t      cli_sender_gave_up (const cli_sender_t *self);
const char *cli_sender_gave_up_endpoint (const cli_sender_t *self);
/*  Prints the usual advice after giving up (no answer from ...: is the gateway running?).  */
void        cli_sender_explain_gave_up (const cli_sender_t *self, const char *cmd);

/*  Sends one envelope and waits for its final ack (caller frees), or NULL after giving up
 *  (explained on stderr).  */
cj_ack_t *cli_request (cli_conn_t *conn, const cli_send_opts_t *opts, const cj_envelope_t *env);

/*  Sends one query 'body' (kept by the caller) at 'body_case' for 'county' with a fresh
 *  event id, no settling; returns the final ack (caller frees) or NULL after giving up
 *  (explained).  */
cj_ack_t *cli_ask (cli_conn_t *conn, const cli_send_opts_t *opts, int body_case,
                   ProtobufCMessage *body, const char *county);
/*  The exit code for a query's answer: 0 ACCEPTED, 1 otherwise (problems printed), 3 for
 *  NULL.  */
int  cli_ack_exit (const char *cmd, const cj_ack_t *ack);
/*  Prints 'message' (NULL: {}) as pretty proto3 JSON on stdout. Returns 0 or -1.  */
int  cli_print_json_message (const ProtobufCMessage *message);

/*  True when 'ack' is REJECTED and every problem is NOT_YET_KNOWN.  */
bool cli_ack_only_not_yet_known (const cj_ack_t *ack);

/*  ---- envelopes and bodies (cli_body.c) ----  */

#define CLI_EVENT_ID_MAX (CJ_EVENT_ID_MAX + 1)
#define CLI_TRACE_ID_LEN 16

/*  The Envelope body field named 'name' (proto name "get_workshop" or json name
 *  "getWorkshop"), or NULL.  */
const ProtobufCFieldDescriptor *cli_body_field (const char *name);
/*  Sets 'env''s body to 'body' (not copied) at 'body_case'.  */
void cli_envelope_set_body (cj_envelope_t *env, int body_case, ProtobufCMessage *body);
/*  Fills a header: 'event_id', 'source', 'county', now, 'trace_id' (not copied).  */
void cli_envelope_header (cj_envelope_t *env, const char *event_id, const char *source,
                          const char *county, const char *trace_id);
/*  A content-derived event id: "<prefix>-<32 hex>", the hex the unkeyed BLAKE2b-128 of the
 *  county, NUL, the body's field number (4 bytes, big-endian) and the packed body. Returns
 *  0, or -1 when out of memory.  */
int  cli_content_id (char out[CLI_EVENT_ID_MAX], const char *prefix, const char *county,
                     int body_case, const ProtobufCMessage *body);
/*  A random trace id of CLI_TRACE_ID_LEN hex characters.  */
void cli_trace_id (char out[CLI_TRACE_ID_LEN + 1]);
int64_t cli_now_ms (void);
/*  Today in China (UTC+8) as yyyymmdd: what the services read as "today".  */
int32_t cli_today_cn (void);
/*  The result message of an answered query, or NULL.  */
const ProtobufCMessage *cli_ack_result (const cj_ack_t *ack);
/*  Prints 'ack''s problems to stderr, one "  field: CODE message" per line.  */
void cli_print_problems (FILE *out, const cj_ack_t *ack, const char *indent);
/*  Formats whole fen as yuan with two decimals ("-12.05"); no floating point.  */
char *cli_format_yuan (int64_t fen, char buf[32]);
/*  Reads a whole file ("-" = stdin) into a NUL-terminated malloc'd buffer. Returns NULL
 *  (errno set) on failure.  */
char *cli_read_file (const char *path, size_t *ret_len);
/*  Masks every resident ID in 'text' in place (17 digits and a check character become
 *  "510822********123X"), for messages that may echo input.  */
void cli_mask_resident_ids (char *text);
/*  Parses a decimal integer option in [min, max]. Returns 0 or -1.  */
int  cli_parse_int_option (const char *text, long min, long max, long *ret);

/*  ---- CSV cells (cli_fields.c). Each parser returns NULL when 'text' is good (and writes
 *  the value), else the problem code (CJ_E_*) and writes nothing.  ----  */

/*  Integer fen: digits only, at most 10^15.  */
const char *cli_parse_fen (const char *text, int64_t *ret_fen);
/*  Yuan with at most two decimals ("12", "12.5", "12.05"), exactly, into fen.  */
const char *cli_parse_yuan (const char *text, int64_t *ret_fen);
/*  1/0, true/false, yes/no (any case).  */
const char *cli_parse_bool (const char *text, bool *ret);
/*  yyyymmdd that exists.  */
const char *cli_parse_date (const char *text, int32_t *ret);
/*  yyyymm that exists.  */
const char *cli_parse_period (const char *text, int32_t *ret);
/*  Digits only, at most 'max'.  */
const char *cli_parse_uint (const char *text, uint64_t max, uint64_t *ret);
/*  The short name (value name without the enum's prefix, any case: "park",
 *  "labour_contract") or the full name ("WORKSHOP_TYPE_PARK") of a value of 'desc' other
 *  than UNSPECIFIED.  */
const char *cli_parse_enum (const ProtobufCEnumDescriptor *desc, const char *text, int *ret);
/*  The short name of 'value' in lower case into 'buf' ("park"); the number if it has none.  */
const char *cli_enum_short_name (const ProtobufCEnumDescriptor *desc, int value, char *buf,
                                 size_t size);

/*  ---- CSV import (cli_csv.c, cli_import.c) ----  */

typedef enum {
    CLI_KIND_WORKSHOPS = 0,
    CLI_KIND_WORKERS,
    CLI_KIND_EMPLOYMENTS,
    CLI_KIND_WAGES,
    CLI_KINDS
} cli_kind_t;

/*  The kind named 'name' ("workers"), or -1.  */
int         cli_kind_by_name (const char *name);
/*  The kind a file name implies (basename starts with the kind's name), or -1.  */
int         cli_kind_of_path (const char *path);
const char *cli_kind_name (int kind);

#define CLI_MAX_WAGE_LINES 5000

/*  One request an import sends: a record (a wage report: a group of lines).  */
typedef struct cli_item_t cli_item_t;
typedef struct cli_file_t cli_file_t;

struct cli_item_t {
    cli_file_t *file;
    int         line;                  /* line of the record (a wage report: of its first line) */
    int        *lines;                 /* a wage report: the line of each wage line */
    size_t      n_lines;               /* rows this item stands for (1, or the report's lines) */
    char        event_id[CLI_EVENT_ID_MAX];
    uint8_t    *bytes;                 /* the packed envelope */
    size_t      len;
    char        end_id[CLI_EVENT_ID_MAX];  /* employments: EndEmployment to send after the start */
    uint8_t    *end_bytes;
    size_t      end_len;
    int         first_outcome;         /* employments: the start's outcome while the end is out */
};

typedef struct {
    int   line;
    char *text;                        /* "file:line: field CODE message" */
} cli_reject_t;

struct cli_file_t {
    const char   *path;
    int           kind;
    size_t        records, accepted, duplicate, rejected, gave_up;
    cli_item_t   *items;
    size_t        n_items;
    cli_reject_t *rejects;
    size_t        n_rejects, rejects_cap;
};

/*  What the envelopes of an import carry besides their bodies.  */
typedef struct {
    const char *source;
    const char *county;     /* default for rows without a county cell; may be NULL */
    const char *trace_id;
} cli_import_ctx_t;

/*  Reads 'file' (path and kind set): the header, every row into items (envelopes packed) or
 *  rejects (a cell's problem names file:line:column). Returns 0, or -1 when the file cannot
 *  be used at all (unreadable, malformed CSV, bad header: printed to stderr, nothing kept).  */
int  cli_file_load (cli_file_t *file, const cli_import_ctx_t *ctx);
void cli_file_fini (cli_file_t *file);
/*  Adds a reject line for 'line' (the text is formatted; "file:line: " is prepended).  */
void cli_file_reject (cli_file_t *file, int line, const char *fmt, ...)
     __attribute__ ((format (printf, 3, 4)));
/*  Each problem of a rejected answer to 'item' as a reject of the file line it concerns: a
 *  wage report's "submit_wage_report.lines[i]..." problem names the line of its i-th wage
 *  line, any other problem the item's line.  */
void cli_item_reject_ack (cli_item_t *item, const cj_ack_t *ack);
/*  The index i of a problem field "submit_wage_report.lines[i]..." (the i-th line of the
 *  report), or -1 when the field names no wage line.  */
long cli_wage_line_index (const char *field);

#endif
