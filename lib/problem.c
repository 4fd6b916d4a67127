/*  problem.c - the bounded list of validation problems. See problem.h.
 *
 *  Nothing here allocates. Every string is copied with an explicit bound, and a string cut
 *  short is cut at a UTF-8 character boundary, so that a truncated field or message is still
 *  valid UTF-8 when it is put into a JSON reply or log line.
 */
#include "chejian/problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*  A bounded string being built: 'buf' holds at most 'size' - 1 bytes and a NUL; 'len' is the
 *  length the string would have without the bound.  */
typedef struct {
    char  *buf;
    size_t size;
    size_t len;
} s_writer_t;

/*  Cuts the string in 'buf' (whose first 'len' bytes are kept) back to the start of its last
 *  UTF-8 character if that character is incomplete, and terminates it. Returns the new
 *  length.  */
static size_t
s_cut_utf8 (char *buf, size_t len)
{
    size_t start = len;
    size_t back = 0;
    while (start > 0 && back < 4
           && ((unsigned char) buf[start - 1] & 0xC0) == 0x80) {
        start--;
        back++;
    }
    if (start > 0) {
        unsigned char lead = (unsigned char) buf[start - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (need > 1 && back + 1 < need)
            len = start - 1;
    }
    buf[len] = '\0';
    return len;
}

/*  Appends 'text' to 'w', keeping what fits.  */
static void
s_put (s_writer_t *w, const char *text)
{
    size_t text_len = strlen (text);
    if (w->size > 0 && w->len < w->size - 1) {
        size_t room = w->size - 1 - w->len;
        size_t n = text_len < room ? text_len : room;
        memcpy (w->buf + w->len, text, n);
        w->buf[w->len + n] = '\0';
    }
    w->len += text_len;
}

/*  Terminates 'w', cutting an incomplete trailing UTF-8 character if the bound was hit.
 *  Returns the number of bytes kept.  */
static size_t
s_finish (s_writer_t *w)
{
    if (w->size == 0)
        return 0;
    if (w->len < w->size)
        return w->len;
    return s_cut_utf8 (w->buf, w->size - 1);
}

/*  Copies 'text' (NULL reads as "") into 'buf' of 'size' bytes, truncating.  */
static void
s_copy (char *buf, size_t size, const char *text)
{
    s_writer_t w = { buf, size, 0 };
    buf[0] = '\0';
    s_put (&w, text ? text : "");
    s_finish (&w);
}

/*  Formats into 'buf' of 'size' bytes, truncating at a character boundary.  */
static void
s_vformat (char *buf, size_t size, const char *fmt, va_list args)
{
    if (!fmt) {
        buf[0] = '\0';
        return;
    }
    int n = vsnprintf (buf, size, fmt, args);
    if (n < 0)
        buf[0] = '\0';
    else
    if ((size_t) n >= size)
        s_cut_utf8 (buf, size - 1);
}

/*  Writes 'prefix' joined to 'name' into 'buf' of CJ_PROBLEM_FIELD bytes: with a '.' between
 *  them, except when either is empty or 'name' starts with '[' (an index). Returns the
 *  length kept.  */
static size_t
s_join (char *buf, const char *prefix, const char *name)
{
    s_writer_t w = { buf, CJ_PROBLEM_FIELD, 0 };
    buf[0] = '\0';
    s_put (&w, prefix);
    if (*prefix && *name && *name != '[')
        s_put (&w, ".");
    s_put (&w, name);
    return s_finish (&w);
}

void
cj_problems_init (cj_problems_t *self)
{
    memset (self, 0, sizeof *self);
}

void
cj_problems_add (cj_problems_t *self, const char *field, const char *code,
                 const char *fmt, ...)
{
    if (!self)
        return;
    if (self->count >= CJ_PROBLEMS_MAX) {
        self->dropped++;
        return;
    }
    cj_problem_t *problem = &self->items[self->count++];
    s_join (problem->field, self->prefix, field ? field : "");
    s_copy (problem->code, sizeof problem->code, code);

    va_list args;
    va_start (args, fmt);
    s_vformat (problem->message, sizeof problem->message, fmt, args);
    va_end (args);
}

int
cj_problems_push (cj_problems_t *self, const char *fmt, ...)
{
    if (!self)
        return -1;
    if (self->depth >= CJ_PROBLEM_DEPTH) {
        self->depth++;          //  Counted so that the matching pop stays balanced
        return -1;
    }
    char name[CJ_PROBLEM_FIELD];
    va_list args;
    va_start (args, fmt);
    s_vformat (name, sizeof name, fmt, args);
    va_end (args);

    char joined[CJ_PROBLEM_FIELD];
    size_t len = s_join (joined, self->prefix, name);
    memcpy (self->prefix, joined, len + 1);
    self->depth++;
    self->prefix_len[self->depth] = len;
    return 0;
}

void
cj_problems_pop (cj_problems_t *self)
{
    if (!self || self->depth == 0)
        return;
    self->depth--;
    size_t level = self->depth < CJ_PROBLEM_DEPTH ? self->depth : CJ_PROBLEM_DEPTH;
    self->prefix[self->prefix_len[level]] = '\0';
}

int
cj_problems_any (const cj_problems_t *self)
{
    return self && (self->count > 0 || self->dropped > 0);
}

int
cj_problems_format (const cj_problems_t *self, char *buf, size_t size)
{
    s_writer_t w = { buf, size, 0 };
    if (size > 0)
        buf[0] = '\0';
    size_t count = self->count < CJ_PROBLEMS_MAX ? self->count : CJ_PROBLEMS_MAX;
    for (size_t i = 0; i < count; i++) {
        const cj_problem_t *problem = &self->items[i];
        if (i > 0)
            s_put (&w, "; ");
        if (problem->field[0]) {
            s_put (&w, problem->field);
            s_put (&w, ": ");
        }
        s_put (&w, problem->code);
        if (problem->message[0]) {
            s_put (&w, ": ");
            s_put (&w, problem->message);
        }
    }
    if (self->dropped > 0) {
        char more[48];
        snprintf (more, sizeof more, "%sand %zu more", count > 0 ? "; " : "", self->dropped);
        s_put (&w, more);
    }
    s_finish (&w);
    return (int) w.len;
}

int
cj_problems_has (const cj_problems_t *self, const char *field, const char *code)
{
    for (size_t i = 0; self && i < self->count; i++)
        if (strcmp (self->items[i].field, field) == 0 && strcmp (self->items[i].code, code) == 0)
            return 1;
    return 0;
}
