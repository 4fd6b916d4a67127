/*  log.c - see log.h.
 *
 *  Each line is built whole (a jansson object dumped into a buffer, then a newline) and
 *  written to fd 2 under one mutex, so lines from different threads never interleave even
 *  when the kernel takes a long line in several writes.
 */
#include "chejian/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define s_SERVICE_MAX   64
#define s_MESSAGE_MAX   4096            /* bytes of formatted message kept, marker included */
#define s_TRUNCATED     "...[truncated]"
#define s_LINE_STACK    8192            /* lines up to this size are built on the stack */

static const char *s_level_names[] = { "debug", "info", "warn", "error" };

/*  Keys the logger writes itself; a caller's field of the same name is dropped.  */
static const char *s_reserved_keys[] = { "ts", "level", "service", "msg", "event_id",
                                         "trace_id" };

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;   /* s_service and fd 2 */
static char            s_service[s_SERVICE_MAX] = "chejian";
static atomic_int      s_min_level = CJ_LOG_INFO;

void
cj_log_init (const char *service, cj_log_level_t level)
{
    pthread_mutex_lock (&s_lock);
    snprintf (s_service, sizeof s_service, "%s", service && *service ? service : "chejian");
    pthread_mutex_unlock (&s_lock);
    atomic_store (&s_min_level, (int) level);
}

int
cj_log_level_parse (const char *text, cj_log_level_t *ret_level)
{
    static const struct {
        const char    *name;
        cj_log_level_t level;
    } names[] = {
        { "debug", CJ_LOG_DEBUG }, { "info", CJ_LOG_INFO }, { "warn", CJ_LOG_WARN },
        { "warning", CJ_LOG_WARN }, { "error", CJ_LOG_ERROR },
    };
    if (!text)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp (text, names[i].name) == 0) {
            *ret_level = names[i].level;
            return 0;
        }
    return -1;
}

int
cj_log_enabled (cj_log_level_t level)
{
    return (int) level >= atomic_load (&s_min_level);
}

static const char *
s_level_name (cj_log_level_t level)
{
    if ((int) level <= CJ_LOG_DEBUG)
        return s_level_names[CJ_LOG_DEBUG];
    if ((int) level >= CJ_LOG_ERROR)
        return s_level_names[CJ_LOG_ERROR];
    return s_level_names[level];
}

/*  Writes the current UTC time as "2026-11-23T18:39:00.123Z" into 'out' (at least 25).  */
static void
s_timestamp (char *out, size_t size)
{
    struct timespec now;
    struct tm tm;
    clock_gettime (CLOCK_REALTIME, &now);
    gmtime_r (&now.tv_sec, &tm);
    size_t len = strftime (out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (out + len, size - len, ".%03ldZ", now.tv_nsec / 1000000);
}

/*  Length of the valid UTF-8 sequence at 's' (at most 'len' bytes), or 0 if invalid.  */
static size_t
s_utf8_sequence (const unsigned char *s, size_t len)
{
    size_t need;
    unsigned int cp;
    if (s[0] < 0x80)
        return 1;
    else if ((s[0] & 0xE0) == 0xC0) { need = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { need = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { need = 4; cp = s[0] & 0x07; }
    else
        return 0;
    if (need > len)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    bool overlong = (need == 2 && cp < 0x80) || (need == 3 && cp < 0x800)
                    || (need == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/*  Replaces every byte that is not part of valid UTF-8 in 'text' (NUL-terminated, edited in
 *  place) with '?', so jansson accepts it; a message is never lost to one bad byte.  */
static void
s_utf8_repair (char *text)
{
    size_t len = strlen (text);
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_sequence ((const unsigned char *) text + i, len - i);
        if (n == 0) {
            text[i] = '?';
            n = 1;
        }
        i += n;
    }
}

/*  A JSON string for 'text', repairing invalid UTF-8 in a bounded copy if need be.  */
static json_t *
s_json_text (const char *text)
{
    json_t *value = json_string (text);
    if (value)
        return value;
    char copy[s_MESSAGE_MAX];
    snprintf (copy, sizeof copy, "%s", text);
    s_utf8_repair (copy);
    return json_string (copy);
}

/*  Formats the message into 'out' (s_MESSAGE_MAX bytes). A message that does not fit is cut
 *  on a character boundary and ends with s_TRUNCATED.  */
static void
s_format_message (char *out, const char *fmt, va_list args)
{
    if (!fmt) {
        out[0] = '\0';
        return;
    }
    int len = vsnprintf (out, s_MESSAGE_MAX, fmt, args);
    if (len < 0)
        snprintf (out, s_MESSAGE_MAX, "(unformattable message)");
    else
    if (len >= s_MESSAGE_MAX) {
        size_t cut = s_MESSAGE_MAX - sizeof s_TRUNCATED;
        while (cut > 0 && ((unsigned char) out[cut] & 0xC0) == 0x80)
            cut--;   /* do not split a UTF-8 sequence */
        memcpy (out + cut, s_TRUNCATED, sizeof s_TRUNCATED);
    }
}

/*  Adds the members of 'fields' (when it is an object) to 'line', skipping reserved keys.  */
static void
s_add_fields (json_t *line, json_t *fields)
{
    if (!json_is_object (fields))
        return;
    const char *key;
    json_t *value;
    json_object_foreach (fields, key, value) {
        bool reserved = false;
        for (size_t i = 0; i < sizeof s_reserved_keys / sizeof s_reserved_keys[0]; i++)
            reserved = reserved || strcmp (key, s_reserved_keys[i]) == 0;
        if (!reserved)
            json_object_set (line, key, value);
    }
}

static void
s_write_all (const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write (STDERR_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;   /* nowhere left to report a failing stderr */
        data += n;
        len -= (size_t) n;
    }
}

/*  Dumps 'line' compactly (UTF-8, not escaped to ASCII) with a trailing newline and writes
 *  it in one call, building it on the stack when it fits.  */
static void
s_emit (const json_t *line)
{
    char stack[s_LINE_STACK];
    char *text = stack;
    size_t len = json_dumpb (line, stack, sizeof stack - 1, JSON_COMPACT);
    if (len == 0)
        return;
    if (len > sizeof stack - 1) {
        text = malloc (len + 1);
        if (!text)
            return;
        if (json_dumpb (line, text, len, JSON_COMPACT) != len) {
            free (text);
            return;
        }
    }
    text[len] = '\n';
    pthread_mutex_lock (&s_lock);
    s_write_all (text, len + 1);
    pthread_mutex_unlock (&s_lock);
    if (text != stack)
        free (text);
}

void
cj_log_write (cj_log_level_t level, const char *event_id, const char *trace_id,
              json_t *fields, const char *fmt, ...)
{
    if (!cj_log_enabled (level))
        goto done;
    char ts[40];
    s_timestamp (ts, sizeof ts);
    char message[s_MESSAGE_MAX];
    va_list args;
    va_start (args, fmt);
    s_format_message (message, fmt, args);
    va_end (args);
    char service[s_SERVICE_MAX];
    pthread_mutex_lock (&s_lock);
    memcpy (service, s_service, sizeof service);
    pthread_mutex_unlock (&s_lock);

    json_t *line = json_object ();
    if (!line)
        goto done;
    json_object_set_new (line, "ts", json_string (ts));
    json_object_set_new (line, "level", json_string (s_level_name (level)));
    json_object_set_new (line, "service", s_json_text (service));
    json_object_set_new (line, "msg", s_json_text (message));
    if (event_id)
        json_object_set_new (line, "event_id", s_json_text (event_id));
    if (trace_id)
        json_object_set_new (line, "trace_id", s_json_text (trace_id));
    s_add_fields (line, fields);
    s_emit (line);
    json_decref (line);
done:
    json_decref (fields);
}
