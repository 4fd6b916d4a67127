/*  log.h - one JSON object per line on stderr.
 *
 *  {"ts":"2026-11-23T18:39:00.123Z","level":"info","service":"registry",
 *   "msg":"...","event_id":"...","trace_id":"..."}
 *
 *  The process has one logger, set up once by cj_log_init. Lines are written whole with one
 *  write(2), so lines from the metrics thread never interleave with the loop's. Never pass
 *  a resident ID or a person's name to these functions.
 *
 *  The formatted message keeps at most 4 KiB; a longer one is cut on a character boundary
 *  and ends with "...[truncated]". Bytes that are not valid UTF-8 are written as '?'.
 */
#ifndef CHEJIAN_LOG_H
#define CHEJIAN_LOG_H

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CJ_LOG_DEBUG = 0,
    CJ_LOG_INFO  = 1,
    CJ_LOG_WARN  = 2,
    CJ_LOG_ERROR = 3,
} cj_log_level_t;

/*  Sets the service name and the lowest level written. Before init, the service is
 *  "chejian" and the level is info.  */
void cj_log_init (const char *service, cj_log_level_t level);

/*  Parses "debug", "info", "warn"/"warning", "error" (case-insensitive) into 'ret_level'.
 *  Returns 0, or -1 for anything else ('ret_level' untouched).  */
int  cj_log_level_parse (const char *text, cj_log_level_t *ret_level);

/*  True if 'level' would be written.  */
int  cj_log_enabled (cj_log_level_t level);

/*  Writes one line. 'event_id' and 'trace_id' may be NULL (then omitted). 'fields' may be
 *  NULL; otherwise it is a JSON object whose members are added to the line, and it is
 *  consumed (json_decref'd) in every case, even when the level is filtered out. Members
 *  named like a standard key (ts, level, service, msg, event_id, trace_id) are dropped; a
 *  'fields' that is not an object is ignored.  */
void cj_log_write (cj_log_level_t level, const char *event_id, const char *trace_id,
                   json_t *fields, const char *fmt, ...)
     __attribute__ ((format (printf, 5, 6)));

#define cj_debug(...) cj_log_write (CJ_LOG_DEBUG, NULL, NULL, NULL, __VA_ARGS__)
#define cj_info(...)  cj_log_write (CJ_LOG_INFO,  NULL, NULL, NULL, __VA_ARGS__)
#define cj_warn(...)  cj_log_write (CJ_LOG_WARN,  NULL, NULL, NULL, __VA_ARGS__)
#define cj_error(...) cj_log_write (CJ_LOG_ERROR, NULL, NULL, NULL, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
