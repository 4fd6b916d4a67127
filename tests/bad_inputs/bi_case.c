/*  bi_case.c - see bi_case.h.  */
#include "bi_case.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chejian/envelope.h"
#include "chejian/json.h"
#include "chejian/problem.h"

#define S_UNKNOWN_FIELD_TAG 0x7a   /* field 15, wire type 2: not a field of Envelope */

/*  ---- checking a case's shape ----  */

static const char *s_members[] = { "name", "about", "agency", "send", "transform", "expect",
                                   "times", NULL };
static const char *s_transforms[] = { "repeat", "fill", "set_string_bytes", "truncate",
                                      "append_hex", "pad_to", "raw_hex", NULL };
static const char *s_statuses[] = { "REJECTED", "DUPLICATE", "UNAVAILABLE", NULL };

static bool
s_in (const char *word, const char **list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp (word, list[i]) == 0)
            return true;
    return false;
}

/*  True when 'o' has a string member 'key' (non-empty).  */
static bool
s_has_string (const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s && *s;
}

static int
s_check_transform (const json_t *t, char *err, size_t size)
{
    const char *key;
    json_t *arg;
    json_object_foreach ((json_t *) t, key, arg) {
        bool ok;
        if (!s_in (key, s_transforms)) {
            snprintf (err, size, "unknown transform \"%s\"", key);
            return -1;
        }
        if (strcmp (key, "repeat") == 0)
            ok = s_has_string (arg, "path") && json_integer_value (json_object_get (arg, "count")) > 0;
        else if (strcmp (key, "fill") == 0)
            ok = s_has_string (arg, "path") && json_integer_value (json_object_get (arg, "length")) > 0;
        else if (strcmp (key, "set_string_bytes") == 0)
            ok = s_has_string (arg, "path") && json_is_string (json_object_get (arg, "hex"));
        else if (strcmp (key, "truncate") == 0 || strcmp (key, "pad_to") == 0)
            ok = json_integer_value (arg) > 0;
        else
            ok = json_is_string (arg);
        if (!ok) {
            snprintf (err, size, "transform \"%s\" has bad arguments", key);
            return -1;
        }
    }
    return 0;
}

static int
s_check_expect (const json_t *e, char *err, size_t size)
{
    const char *status = json_string_value (json_object_get (e, "status"));
    if (!status || !s_in (status, s_statuses)) {
        snprintf (err, size, "expect.status must be REJECTED, DUPLICATE or UNAVAILABLE");
        return -1;
    }
    json_t *problems = json_object_get (e, "problems"), *p;
    size_t i;
    json_array_foreach (problems, i, p)
        if (!json_is_string (json_object_get (p, "field")) || !s_has_string (p, "code")) {
            snprintf (err, size, "expect.problems[%zu] needs \"field\" and \"code\"", i);
            return -1;
        }
    if (strcmp (status, "REJECTED") == 0 && json_array_size (problems) == 0) {
        snprintf (err, size, "a REJECTED case names at least one expected problem");
        return -1;
    }
    return 0;
}

int
bi_case_check (const json_t *c, char *err, size_t size)
{
    const char *key, *name = json_string_value (json_object_get (c, "name"));
    json_t *value;
    if (!json_is_object (c) || !name || !*name || strspn (name, "abcdefghijklmnopqrstuvwxyz"
                                                          "0123456789._-") != strlen (name)) {
        snprintf (err, size, "\"name\" must be [a-z0-9._-]+");
        return -1;
    }
    json_object_foreach ((json_t *) c, key, value)
        if (!s_in (key, s_members)) {
            snprintf (err, size, "unknown member \"%s\"", key);
            return -1;
        }
    json_t *t = json_object_get (c, "transform");
    if (!s_has_string (c, "about")) {
        snprintf (err, size, "\"about\" is required");
        return -1;
    }
    if (!json_is_object (json_object_get (c, "send")) && !json_object_get (t, "raw_hex")) {
        snprintf (err, size, "\"send\" (an object) is required unless transform.raw_hex");
        return -1;
    }
    if (t && !json_is_object (t)) {
        snprintf (err, size, "\"transform\" is an object");
        return -1;
    }
    if (t && s_check_transform (t, err, size) != 0)
        return -1;
    json_t *times = json_object_get (c, "times");
    if (times && (json_integer_value (times) < 1 || json_integer_value (times) > 5)) {
        snprintf (err, size, "\"times\" is 1..5");
        return -1;
    }
    if (!json_is_object (json_object_get (c, "expect"))) {
        snprintf (err, size, "\"expect\" is required");
        return -1;
    }
    return s_check_expect (json_object_get (c, "expect"), err, size);
}

const char *
bi_case_agency (const json_t *c)
{
    const char *agency = json_string_value (json_object_get (c, "agency"));
    return agency ? agency : BI_DEFAULT_AGENCY;
}

/*  ---- paths: "a.b[2].c" ----  */

/*  Splits the next part of '*path' into 'name' and 'index' (-1 when none) and advances
 *  '*path' past it and its '.'. Returns 0, or -1 on a malformed path.  */
static int
s_next_part (const char **path, char *name, size_t size, long *index)
{
    size_t len = strcspn (*path, ".[");
    if (len == 0 || len >= size)
        return -1;
    memcpy (name, *path, len);
    name[len] = '\0';
    *path += len;
    *index = -1;
    if (**path == '[') {
        char *end;
        *index = strtol (*path + 1, &end, 10);
        if (*end != ']' || *index < 0)
            return -1;
        *path = end + 1;
    }
    if (**path == '.')
        (*path)++;
    return 0;
}

/*  The JSON value at 'path' under 'root' (borrowed), or NULL.  */
static json_t *
s_json_at (json_t *root, const char *path)
{
    char name[128];
    long index;
    while (root && *path) {
        if (s_next_part (&path, name, sizeof name, &index) != 0)
            return NULL;
        root = json_object_get (root, name);
        if (index >= 0)
            root = json_array_get (root, (size_t) index);
    }
    return root;
}

/*  "repeat": the array at 'path' grown to 'count' elements, copies of its last one.  */
static int
s_repeat (json_t *send, const json_t *arg, char *err, size_t size)
{
    json_t *array = s_json_at (send, json_string_value (json_object_get (arg, "path")));
    size_t count = (size_t) json_integer_value (json_object_get (arg, "count"));
    if (!json_is_array (array) || json_array_size (array) == 0) {
        snprintf (err, size, "repeat: no non-empty array at the path");
        return -1;
    }
    json_t *last = json_array_get (array, json_array_size (array) - 1);
    while (json_array_size (array) < count)
        if (json_array_append_new (array, json_deep_copy (last)) != 0)
            return -1;
    return 0;
}

/*  "fill": the string member at 'path' set to 'text' (default "x") repeated 'length' times.  */
static int
s_fill (json_t *send, const json_t *arg, char *err, size_t size)
{
    const char *path = json_string_value (json_object_get (arg, "path"));
    const char *text = json_string_value (json_object_get (arg, "text"));
    size_t length = (size_t) json_integer_value (json_object_get (arg, "length"));
    const char *leaf = strrchr (path, '.');
    char parent_path[256];
    snprintf (parent_path, sizeof parent_path, "%.*s", leaf ? (int) (leaf - path) : 0, path);
    json_t *parent = leaf ? s_json_at (send, parent_path) : send;
    if (!json_is_object (parent)) {
        snprintf (err, size, "fill: no object holds the path");
        return -1;
    }
    text = text && *text ? text : "x";
    size_t unit = strlen (text);
    char *value = malloc (unit * length + 1);
    if (!value)
        return -1;
    for (size_t i = 0; i < length; i++)
        memcpy (value + i * unit, text, unit);
    value[unit * length] = '\0';
    int rc = json_object_set_new (parent, leaf ? leaf + 1 : path, json_string (value));
    free (value);
    return rc;
}

/*  The string slot at proto-name 'path' under 'message', or NULL. Parts with an index name a
 *  repeated field's element; a oneof member must be the one set.  */
static char **
s_string_slot (ProtobufCMessage *message, const char *path)
{
    char name[128];
    long index;
    while (message && *path) {
        if (s_next_part (&path, name, sizeof name, &index) != 0)
            return NULL;
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name (message->descriptor, name);
        if (!f)
            return NULL;
        char *base = (char *) message;
        void *slot = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *) (base + f->quantifier_offset);
            if (index < 0 || (size_t) index >= n)
                return NULL;
            slot = (char *) *(void **) slot + (size_t) index * sizeof (void *);
        } else if (index >= 0 || ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                                  && *(uint32_t *) (base + f->quantifier_offset) != f->id))
            return NULL;
        if (f->type == PROTOBUF_C_TYPE_STRING)
            return *path ? NULL : (char **) slot;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            return NULL;
        message = *(ProtobufCMessage **) slot;
    }
    return NULL;
}

/*  Decodes hex digits (spaces allowed between bytes) into a malloc'd buffer with a NUL after
 *  the bytes. Returns NULL on a bad digit.  */
static uint8_t *
s_unhex (const char *hex, size_t *ret_len)
{
    size_t n = 0;
    uint8_t *out = malloc (strlen (hex) / 2 + 1);
    while (out && *hex) {
        unsigned byte;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        if (sscanf (hex, "%2x", &byte) != 1 || !hex[1] || hex[1] == ' ') {
            free (out);
            return NULL;
        }
        out[n++] = (uint8_t) byte;
        hex += 2;
    }
    if (out)
        out[n] = 0;
    *ret_len = n;
    return out;
}

static size_t
s_varint_size (size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/*  "pad_to": appends an unknown length-delimited field (15) so that the whole is 'target'
 *  bytes. Returns the new buffer (the old one is consumed) or NULL.  */
static uint8_t *
s_pad_to (uint8_t *bytes, size_t *len, size_t target)
{
    for (size_t vs = 1; vs <= 5; vs++) {
        if (target < *len + 1 + vs)
            break;
        size_t payload = target - *len - 1 - vs;
        if (s_varint_size (payload) != vs)
            continue;
        uint8_t *grown = realloc (bytes, target);
        if (!grown)
            break;
        size_t at = *len;
        grown[at++] = S_UNKNOWN_FIELD_TAG;
        for (size_t v = payload; ; v >>= 7) {
            grown[at++] = (uint8_t) ((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
            if (v < 0x80)
                break;
        }
        memset (grown + at, 'x', payload);
        *len = target;
        return grown;
    }
    free (bytes);
    return NULL;
}

/*  Step 5: the byte-level transforms of 't' on 'bytes' (consumed; the result is returned).  */
static uint8_t *
s_bytes_transforms (const json_t *t, uint8_t *bytes, size_t *len, char *err, size_t size)
{
    json_int_t cut = json_integer_value (json_object_get (t, "truncate"));
    if (cut > 0) {
        if ((size_t) cut >= *len) {
            snprintf (err, size, "truncate: only %zu bytes", *len);
            free (bytes);
            return NULL;
        }
        *len -= (size_t) cut;
    }
    const char *hex = json_string_value (json_object_get (t, "append_hex"));
    if (hex) {
        size_t extra;
        uint8_t *tail = s_unhex (hex, &extra), *grown = tail ? realloc (bytes, *len + extra) : NULL;
        if (!grown) {
            snprintf (err, size, "append_hex: bad hex");
            free (tail);
            free (bytes);
            return NULL;
        }
        memcpy (grown + *len, tail, extra);
        free (tail);
        bytes = grown;
        *len += extra;
    }
    json_int_t target = json_integer_value (json_object_get (t, "pad_to"));
    if (target > 0 && !(bytes = s_pad_to (bytes, len, (size_t) target)))
        snprintf (err, size, "pad_to: cannot pad to %lld bytes", (long long) target);
    return bytes;
}

/*  Steps 2-4: converts 'send' and packs it, with "set_string_bytes" of 't' applied.  */
static uint8_t *
s_pack (const json_t *send, const json_t *t, size_t *ret_len, char *err, size_t size)
{
    cj_problems_t problems;
    cj_problems_init (&problems);
    ProtobufCMessage *env = cj_json_to_message (&chejian__v1__envelope__descriptor, send, 0,
                                                &problems);
    if (!env) {
        cj_problems_format (&problems, err, size);
        return NULL;
    }
    const json_t *sb = json_object_get (t, "set_string_bytes");
    char **slot = NULL, *saved = NULL;
    uint8_t *raw = NULL;
    if (sb) {
        size_t n;
        slot = s_string_slot (env, json_string_value (json_object_get (sb, "path")));
        raw = s_unhex (json_string_value (json_object_get (sb, "hex")), &n);
        if (!slot || !raw) {
            snprintf (err, size, "set_string_bytes: %s", slot ? "bad hex" : "no string at the path");
            free (raw);
            protobuf_c_message_free_unpacked (env, NULL);
            return NULL;
        }
        saved = *slot;
        *slot = (char *) raw;
    }
    uint8_t *bytes = cj_message_pack (env, ret_len);
    if (slot)
        *slot = saved;   /* the message frees what it allocated, never 'raw' */
    free (raw);
    protobuf_c_message_free_unpacked (env, NULL);
    return bytes;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  Step 1b: the header members 'send' lacks (under either name) get their defaults.  */
static void
s_defaults (json_t *send, const json_t *c)
{
    char id[128];
    snprintf (id, sizeof id, "bi-%s", json_string_value (json_object_get (c, "name")));
    if (!json_object_get (send, "eventId") && !json_object_get (send, "event_id"))
        json_object_set_new (send, "eventId", json_string (id));
    if (!json_object_get (send, "source"))
        json_object_set_new (send, "source", json_string (bi_case_agency (c)));
    if (!json_object_get (send, "occurredAt") && !json_object_get (send, "occurred_at"))
        json_object_set_new (send, "occurredAt", json_integer (s_now_ms ()));
    if (!json_object_get (send, "county"))
        json_object_set_new (send, "county", json_string (BI_DEFAULT_COUNTY));
}

uint8_t *
bi_case_bytes (const json_t *c, size_t *ret_len, char *ret_event_id, size_t id_size,
               char *err, size_t size)
{
    const json_t *t = json_object_get (c, "transform");
    const char *raw_hex = json_string_value (json_object_get (t, "raw_hex"));
    snprintf (ret_event_id, id_size, "%s", "");
    if (raw_hex) {
        uint8_t *bytes = s_unhex (raw_hex, ret_len);
        if (!bytes)
            snprintf (err, size, "raw_hex: bad hex");
        return bytes;
    }
    json_t *send = json_deep_copy (json_object_get (c, "send"));
    if (!send)
        return NULL;
    uint8_t *bytes = NULL;
    const json_t *arg;
    if ((arg = json_object_get (t, "repeat")) && s_repeat (send, arg, err, size) != 0)
        goto done;
    if ((arg = json_object_get (t, "fill")) && s_fill (send, arg, err, size) != 0)
        goto done;
    s_defaults (send, c);
    bytes = s_pack (send, t, ret_len, err, size);
    if (bytes && t)
        bytes = s_bytes_transforms (t, bytes, ret_len, err, size);
    /*  The Ack carries the event id as the receiver decodes it, after every transform.  */
    cj_envelope_t *env = bytes ? chejian__v1__envelope__unpack (NULL, *ret_len, bytes) : NULL;
    snprintf (ret_event_id, id_size, "%s", env ? env->event_id : "");
    cj_envelope_free (&env);
done:
    json_decref (send);
    return bytes;
}

uint8_t *
bi_envelope_bytes (const json_t *env, size_t *ret_len, char *err, size_t size)
{
    return s_pack (env, NULL, ret_len, err, size);
}
