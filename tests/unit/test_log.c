/*  test_log.c - JSON lines on stderr: fd 2 is pointed at a temporary file while logging, and
 *  every line is parsed back with jansson.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chejian/log.h"

typedef struct {
    FILE *file;
    int   saved_fd;
} s_capture_t;

/*  Points fd 2 at a fresh temporary file.  */
static void
s_capture_begin (s_capture_t *capture)
{
    fflush (stderr);
    capture->file = tmpfile ();
    assert_non_null (capture->file);
    capture->saved_fd = dup (STDERR_FILENO);
    assert_true (capture->saved_fd >= 0);
    assert_int_equal (dup2 (fileno (capture->file), STDERR_FILENO), STDERR_FILENO);
}

/*  Restores fd 2 and returns the captured lines as a JSON array of parsed objects (every line
 *  must parse as one object; it fails the test otherwise).  */
static json_t *
s_capture_end (s_capture_t *capture)
{
    assert_int_equal (dup2 (capture->saved_fd, STDERR_FILENO), STDERR_FILENO);
    close (capture->saved_fd);
    json_t *lines = json_array ();
    rewind (capture->file);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline (&line, &cap, capture->file)) > 0) {
        assert_int_equal (line[len - 1], '\n');
        json_error_t error;
        json_t *object = json_loadb (line, (size_t) len - 1, 0, &error);
        if (!object)
            fail_msg ("line does not parse (%s): %s", error.text, line);
        assert_true (json_is_object (object));
        json_array_append_new (lines, object);
    }
    free (line);
    fclose (capture->file);
    return lines;
}

static const char *
s_field (json_t *lines, size_t index, const char *key)
{
    return json_string_value (json_object_get (json_array_get (lines, index), key));
}

static void
test_line_has_every_field (void **state)
{
    (void) state;
    cj_log_init ("registry", CJ_LOG_INFO);
    time_t before = time (NULL);
    s_capture_t capture;
    s_capture_begin (&capture);
    cj_log_write (CJ_LOG_WARN, "ev-42", "tr-7", json_pack ("{s:s, s:i}", "stream", "outbox",
                                                           "batch", 200),
                  "lag is %d events on %s", 12, "p3");
    cj_info ("plain line, ünïcødé kept as UTF-8");
    json_t *lines = s_capture_end (&capture);
    assert_int_equal (json_array_size (lines), 2);

    json_t *first = json_array_get (lines, 0);
    assert_int_equal (json_object_size (first), 8);
    assert_string_equal (s_field (lines, 0, "level"), "warn");
    assert_string_equal (s_field (lines, 0, "service"), "registry");
    assert_string_equal (s_field (lines, 0, "msg"), "lag is 12 events on p3");
    assert_string_equal (s_field (lines, 0, "event_id"), "ev-42");
    assert_string_equal (s_field (lines, 0, "trace_id"), "tr-7");
    assert_string_equal (s_field (lines, 0, "stream"), "outbox");
    assert_int_equal (json_integer_value (json_object_get (first, "batch")), 200);

    /*  ts: UTC RFC 3339 with milliseconds, close to now.  */
    const char *ts = s_field (lines, 0, "ts");
    assert_non_null (ts);
    regex_t re;
    assert_int_equal (regcomp (&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                    "\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal (regexec (&re, ts, 0, NULL, 0), 0);
    regfree (&re);
    struct tm tm = { 0 };
    assert_non_null (strptime (ts, "%Y-%m-%dT%H:%M:%S", &tm));
    time_t logged = timegm (&tm);
    assert_true (logged >= before - 1 && logged <= time (NULL) + 1);

    assert_int_equal (json_object_size (json_array_get (lines, 1)), 4);
    assert_string_equal (s_field (lines, 1, "level"), "info");
    assert_string_equal (s_field (lines, 1, "msg"), "plain line, ünïcødé kept as UTF-8");
    assert_null (json_object_get (json_array_get (lines, 1), "event_id"));
    json_decref (lines);
}

static void
test_raw_line_is_compact_utf8 (void **state)
{
    (void) state;
    cj_log_init ("gateway", CJ_LOG_INFO);
    s_capture_t capture;
    s_capture_begin (&capture);
    cj_error ("é\nsecond \"line\"");
    fflush (stderr);
    rewind (capture.file);
    char raw[512] = "";
    size_t n = fread (raw, 1, sizeof raw - 1, capture.file);
    raw[n] = '\0';
    json_decref (s_capture_end (&capture));
    /*  One line, no spaces after separators, UTF-8 not escaped, the newline escaped.  */
    assert_non_null (strstr (raw, ",\"level\":\"error\",\"service\":\"gateway\","
                                  "\"msg\":\"é\\nsecond \\\"line\\\"\"}\n"));
    assert_int_equal (strncmp (raw, "{\"ts\":\"", 7), 0);
    assert_ptr_equal (strchr (raw, '\n'), raw + strlen (raw) - 1);
}

static void
test_fields_never_override_standard_keys (void **state)
{
    (void) state;
    cj_log_init ("payroll", CJ_LOG_DEBUG);
    s_capture_t capture;
    s_capture_begin (&capture);
    cj_log_write (CJ_LOG_INFO, NULL, "tr-1",
                  json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ts", "yesterday",
                             "level", "fatal", "service", "evil", "msg", "other",
                             "event_id", "forged", "trace_id", "forged", "ok", 1),
                  "real");
    /*  Not an object: ignored, still consumed.  */
    cj_log_write (CJ_LOG_INFO, NULL, NULL, json_pack ("[i, i]", 1, 2), "array fields");
    json_t *lines = s_capture_end (&capture);
    assert_int_equal (json_array_size (lines), 2);
    assert_string_equal (s_field (lines, 0, "level"), "info");
    assert_string_equal (s_field (lines, 0, "service"), "payroll");
    assert_string_equal (s_field (lines, 0, "msg"), "real");
    assert_string_equal (s_field (lines, 0, "trace_id"), "tr-1");
    assert_null (json_object_get (json_array_get (lines, 0), "event_id"));
    assert_true (json_is_true (json_object_get (json_array_get (lines, 0), "ok")));
    assert_int_equal (json_object_size (json_array_get (lines, 1)), 4);
    json_decref (lines);
}

static void
test_level_filtering_consumes_fields (void **state)
{
    (void) state;
    cj_log_init ("registry", CJ_LOG_WARN);
    assert_false (cj_log_enabled (CJ_LOG_DEBUG));
    assert_false (cj_log_enabled (CJ_LOG_INFO));
    assert_true (cj_log_enabled (CJ_LOG_WARN));
    assert_true (cj_log_enabled (CJ_LOG_ERROR));
    s_capture_t capture;
    s_capture_begin (&capture);
    /*  Filtered lines still consume their fields (LeakSanitizer checks).  */
    cj_log_write (CJ_LOG_DEBUG, NULL, NULL, json_pack ("{s:s}", "k", "v"), "dropped");
    cj_log_write (CJ_LOG_INFO, NULL, NULL, json_pack ("{s:s}", "k", "v"), "dropped");
    cj_log_write (CJ_LOG_WARN, NULL, NULL, json_pack ("{s:s}", "k", "v"), "kept");
    cj_error ("kept too");
    json_t *lines = s_capture_end (&capture);
    assert_int_equal (json_array_size (lines), 2);
    assert_string_equal (s_field (lines, 0, "level"), "warn");
    assert_string_equal (s_field (lines, 0, "k"), "v");
    assert_string_equal (s_field (lines, 1, "level"), "error");
    json_decref (lines);

    cj_log_init ("registry", CJ_LOG_DEBUG);
    s_capture_begin (&capture);
    cj_debug ("now visible");
    lines = s_capture_end (&capture);
    assert_int_equal (json_array_size (lines), 1);
    assert_string_equal (s_field (lines, 0, "level"), "debug");
    json_decref (lines);
}

static void
test_long_and_invalid_messages (void **state)
{
    (void) state;
    cj_log_init ("registry", CJ_LOG_INFO);
    size_t big = 10000;
    char *text = malloc (big + 1);
    memset (text, 'x', big);
    text[big] = '\0';
    s_capture_t capture;
    s_capture_begin (&capture);
    cj_info ("%s", text);
    cj_info ("bad bytes: \xff\xfe end");
    cj_log_write (CJ_LOG_INFO, "\xc3", NULL, NULL, "bad event id");
    json_t *lines = s_capture_end (&capture);
    free (text);
    assert_int_equal (json_array_size (lines), 3);

    const char *msg = s_field (lines, 0, "msg");
    size_t len = strlen (msg);
    assert_true (len < 4096);
    assert_true (len > 4000);
    assert_string_equal (msg + len - strlen ("...[truncated]"), "...[truncated]");
    assert_string_equal (s_field (lines, 1, "msg"), "bad bytes: ?? end");
    assert_string_equal (s_field (lines, 2, "event_id"), "?");
    json_decref (lines);
}

static void
test_level_parse (void **state)
{
    (void) state;
    cj_log_level_t level = CJ_LOG_ERROR;
    assert_int_equal (cj_log_level_parse ("debug", &level), 0);
    assert_int_equal (level, CJ_LOG_DEBUG);
    assert_int_equal (cj_log_level_parse ("INFO", &level), 0);
    assert_int_equal (level, CJ_LOG_INFO);
    assert_int_equal (cj_log_level_parse ("Warn", &level), 0);
    assert_int_equal (level, CJ_LOG_WARN);
    assert_int_equal (cj_log_level_parse ("warning", &level), 0);
    assert_int_equal (level, CJ_LOG_WARN);
    assert_int_equal (cj_log_level_parse ("error", &level), 0);
    assert_int_equal (level, CJ_LOG_ERROR);
    level = CJ_LOG_INFO;
    assert_int_equal (cj_log_level_parse ("fatal", &level), -1);
    assert_int_equal (cj_log_level_parse ("", &level), -1);
    assert_int_equal (cj_log_level_parse ("info ", &level), -1);
    assert_int_equal (cj_log_level_parse (NULL, &level), -1);
    assert_int_equal (level, CJ_LOG_INFO);
}

#define s_THREAD_LINES 500

static void *
s_log_thread (void *arg)
{
    const char *name = arg;
    char padding[3000];
    memset (padding, 'p', sizeof padding - 1);
    padding[sizeof padding - 1] = '\0';
    for (int i = 0; i < s_THREAD_LINES; i++)
        cj_log_write (CJ_LOG_INFO, NULL, NULL, json_pack ("{s:s, s:i}", "thread", name, "i", i),
                      "line %d %s", i, padding);
    return NULL;
}

static void
test_threads_never_interleave (void **state)
{
    (void) state;
    cj_log_init ("registry", CJ_LOG_INFO);
    s_capture_t capture;
    s_capture_begin (&capture);
    pthread_t threads[2];
    pthread_create (&threads[0], NULL, s_log_thread, "a");
    pthread_create (&threads[1], NULL, s_log_thread, "b");
    pthread_join (threads[0], NULL);
    pthread_join (threads[1], NULL);
    json_t *lines = s_capture_end (&capture);   /* fails on any line that does not parse */
    assert_int_equal (json_array_size (lines), 2 * s_THREAD_LINES);
    json_decref (lines);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_line_has_every_field),
        cmocka_unit_test (test_raw_line_is_compact_utf8),
        cmocka_unit_test (test_fields_never_override_standard_keys),
        cmocka_unit_test (test_level_filtering_consumes_fields),
        cmocka_unit_test (test_long_and_invalid_messages),
        cmocka_unit_test (test_level_parse),
        cmocka_unit_test (test_threads_never_interleave),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
