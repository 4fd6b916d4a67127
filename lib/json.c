/*  json.c - the proto3 JSON mapping for any protobuf-c message. See json.h.
 *
 *  Everything is driven by the descriptors: one row of s_types per protobuf-c field type says
 *  how big one element is, how to read it from JSON, how to write it, and what its default
 *  looks like. Messages are built exactly as protobuf_c_message_unpack builds them (malloc for
 *  every message, string, bytes buffer and repeated array; message_init for every message),
 *  and the message being built is at every moment one that protobuf_c_message_free_unpacked
 *  (message, NULL) frees whole; so on failure we simply free it.
 *
 *  protobuf-c 1.4.1's field descriptors carry no json_name, so the json name is derived from
 *  the proto name as protoc does it (ToJsonName: drop each '_', upper-case the next letter).
 */
#include "chejian/json.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define s_member(message, offset) ((char *) (message) + (offset))

//  What one call of cj_json_to_message is doing: where it is, and what it found wrong.
typedef struct {
    cj_problems_t *problems;
    int            flags;
    size_t         failures;                    //  Problems this call added
    char           path[2 * CJ_PROBLEM_FIELD];  //  Field path as written in the input
    size_t         path_len;
} s_reader_t;

//  A reader writes one value read from 'json' to 'out', or adds a problem and returns -1
//  (a sub-message reader returns 0 once the message exists, its fields' problems aside).
typedef int     (s_read_fn) (s_reader_t *self, const ProtobufCFieldDescriptor *field,
                             const json_t *json, int depth, void *out);
typedef json_t *(s_write_fn) (const ProtobufCFieldDescriptor *field, const void *member,
                              int flags, int depth);
typedef bool    (s_is_default_fn) (const void *member);

//  How to handle one protobuf-c field type.
typedef struct {
    size_t           size;          //  Of one element of a repeated field
    s_read_fn       *read;
    s_write_fn      *write;
    s_is_default_fn *is_default;
} s_type_t;

static const s_type_t *s_type_of (const ProtobufCFieldDescriptor *field);
static ProtobufCMessage *s_read_message (s_reader_t *self,
                                         const ProtobufCMessageDescriptor *descriptor,
                                         const json_t *json, int depth);
static json_t *s_write_message (const ProtobufCMessage *message, int flags, int depth);


//  --------------------------------------------------------------------------------------
//  Names, paths and problems

/*  True when 'key' is the json name of proto field 'name' (lowerCamelCase, as protoc's
 *  ToJsonName: every '_' dropped and the character after it upper-cased).  */
static bool
s_json_name_equals (const char *name, const char *key)
{
    bool upper = false;
    for (; *name; name++) {
        if (*name == '_') {
            upper = true;
            continue;
        }
        char c = upper && *name >= 'a' && *name <= 'z' ? (char) (*name - 'a' + 'A') : *name;
        upper = false;
        if (*key++ != c)
            return false;
    }
    return *key == '\0';
}

/*  Writes the json name of proto field 'name' into 'buf', which holds strlen (name) + 1.  */
static void
s_json_name (const char *name, char *buf)
{
    bool upper = false;
    for (; *name; name++) {
        if (*name == '_')
            upper = true;
        else {
            *buf++ = upper && *name >= 'a' && *name <= 'z' ? (char) (*name - 'a' + 'A') : *name;
            upper = false;
        }
    }
    *buf = '\0';
}

/*  Finds the field of 'descriptor' named 'key' by its proto name or its json name.  */
static const ProtobufCFieldDescriptor *
s_find_field (const ProtobufCMessageDescriptor *descriptor, const char *key)
{
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field_by_name (descriptor, key);
    for (unsigned i = 0; !field && i < descriptor->n_fields; i++)
        if (s_json_name_equals (descriptor->fields[i].name, key))
            field = &descriptor->fields[i];
    return field;
}

/*  Appends 'name' (".name", or "[3]" for an index) to the reader's path; returns the old
 *  length for s_path_leave. An over-long path is cut; the problem list cuts it further.  */
static size_t
s_path_enter (s_reader_t *self, const char *fmt, ...)
{
    size_t saved = self->path_len;
    size_t room = sizeof self->path - self->path_len;
    if (self->path_len > 0 && fmt[0] != '[' && room > 1) {
        self->path[self->path_len++] = '.';
        self->path[self->path_len] = '\0';
        room--;
    }
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (self->path + self->path_len, room, fmt, args);
    va_end (args);
    if (n > 0)
        self->path_len += (size_t) n < room ? (size_t) n : room - 1;
    return saved;
}

static void
s_path_leave (s_reader_t *self, size_t saved)
{
    self->path_len = saved;
    self->path[saved] = '\0';
}

/*  Adds a problem with 'code' at the reader's current path. Always returns -1, so that a
 *  reader can `return s_fail (...)`.  */
static int __attribute__ ((format (printf, 3, 4)))
s_fail (s_reader_t *self, const char *code, const char *fmt, ...)
{
    char message[CJ_PROBLEM_MESSAGE];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    self->failures++;
    cj_problems_add (self->problems, self->path, code, "%s", message);
    return -1;
}

static int
s_fail_memory (s_reader_t *self)
{
    return s_fail (self, CJ_E_INTERNAL, "out of memory");
}

static const char *
s_json_type_name (const json_t *json)
{
    switch (json_typeof (json)) {
        case JSON_OBJECT:  return "an object";
        case JSON_ARRAY:   return "an array";
        case JSON_STRING:  return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL:    return "a number";
        case JSON_TRUE:
        case JSON_FALSE:   return "a boolean";
        case JSON_NULL:    return "null";
    }
    return "an unknown JSON value";
}

static int
s_fail_type (s_reader_t *self, const char *expected, const json_t *json)
{
    return s_fail (self, CJ_E_WRONG_TYPE, "expected %s, got %s", expected,
                   s_json_type_name (json));
}


//  --------------------------------------------------------------------------------------
//  UTF-8

/*  Returns the length of the longest valid UTF-8 (RFC 3629: no overlongs, surrogates or
 *  code points above U+10FFFF) prefix of the 'len' bytes at 'text'.  */
static size_t
s_utf8_valid_prefix (const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1
                    : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 4;
        if (need == 4 || len - i <= need)
            return i;
        unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        if (need > 0 && (s[i + 1] < lo || s[i + 1] > hi))
            return i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += need + 1;
    }
    return len;
}

/*  Returns a JSON string for the 'len' bytes at 'text', with each byte that is not part of
 *  valid UTF-8 replaced by U+FFFD (a message unpacked from the wire is not checked).  */
static json_t *
s_json_string_lossy (const char *text, size_t len)
{
    size_t valid = s_utf8_valid_prefix (text, len);
    if (valid == len)
        return json_stringn (text, len);
    char *clean = malloc (3 * len);
    if (!clean)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < len; ) {
        size_t n = s_utf8_valid_prefix (text + i, len - i);
        memcpy (clean + out, text + i, n);
        out += n;
        i += n;
        if (i < len) {
            memcpy (clean + out, "\xEF\xBF\xBD", 3);
            out += 3;
            i++;
        }
    }
    json_t *string = json_stringn (clean, out);
    free (clean);
    return string;
}


//  --------------------------------------------------------------------------------------
//  Numbers in, shared by every integer and enum type

/*  Parses 'text' as an optional '-' and decimal digits, nothing else. Returns 0, or -1 when
 *  it is not such a string, or -2 when the magnitude exceeds 2^64 - 1.  */
static int
s_parse_decimal (const char *text, bool *ret_negative, uint64_t *ret_magnitude)
{
    bool negative = *text == '-';
    if (negative)
        text++;
    if (!*text)
        return -1;
    uint64_t magnitude = 0;
    for (; *text; text++) {
        if (*text < '0' || *text > '9')
            return -1;
        unsigned digit = (unsigned) (*text - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
            return -2;
        magnitude = magnitude * 10 + digit;
    }
    *ret_negative = negative;
    *ret_magnitude = magnitude;
    return 0;
}

/*  Reads an integer between 'min' and 'max' from a JSON integer, an integral JSON number or
 *  a decimal string, and writes it to 'ret_value' in two's complement (the caller narrows
 *  it). Adds a problem and returns -1 if it is not one.  */
static int
s_read_integer (s_reader_t *self, const json_t *json, int64_t min, uint64_t max,
                uint64_t *ret_value)
{
    bool negative = false;
    uint64_t magnitude = 0;
    if (json_is_integer (json)) {
        json_int_t value = json_integer_value (json);
        negative = value < 0;
        magnitude = negative ? (uint64_t) -(value + 1) + 1 : (uint64_t) value;
    }
    else
    if (json_is_real (json)) {
        double value = json_real_value (json);
        negative = value < 0;
        double absolute = negative ? -value : value;
        if (!(absolute < 18446744073709551616.0))
            return s_fail (self, CJ_E_OUT_OF_RANGE, "%g is outside [%" PRId64 ", %" PRIu64 "]",
                           value, min, max);
        magnitude = (uint64_t) absolute;
        if ((double) magnitude != absolute)
            return s_fail (self, CJ_E_WRONG_TYPE, "expected an integer, got %g", value);
    }
    else
    if (json_is_string (json)) {
        int rc = s_parse_decimal (json_string_value (json), &negative, &magnitude);
        if (rc == -1)
            return s_fail (self, CJ_E_INVALID_FORMAT, "\"%s\" is not a decimal integer",
                           json_string_value (json));
        if (rc == -2)
            return s_fail (self, CJ_E_OUT_OF_RANGE, "%s is outside [%" PRId64 ", %" PRIu64 "]",
                           json_string_value (json), min, max);
    }
    else
        return s_fail_type (self, "an integer", json);

    uint64_t limit = !negative ? max : min < 0 ? (uint64_t) -(min + 1) + 1 : 0;
    if (magnitude > limit)
        return s_fail (self, CJ_E_OUT_OF_RANGE, "%s%" PRIu64 " is outside [%" PRId64
                       ", %" PRIu64 "]", negative ? "-" : "", magnitude, min, max);
    *ret_value = negative ? (uint64_t) 0 - magnitude : magnitude;
    return 0;
}

/*  Reads a number from a JSON number, "NaN", "Infinity", "-Infinity" or a decimal string.  */
static int
s_read_real (s_reader_t *self, const json_t *json, double *ret_value)
{
    if (json_is_number (json)) {
        *ret_value = json_number_value (json);
        return 0;
    }
    if (!json_is_string (json))
        return s_fail_type (self, "a number", json);

    const char *text = json_string_value (json);
    if (strcmp (text, "NaN") == 0)
        *ret_value = NAN;
    else
    if (strcmp (text, "Infinity") == 0)
        *ret_value = INFINITY;
    else
    if (strcmp (text, "-Infinity") == 0)
        *ret_value = -INFINITY;
    else {
        char *end = NULL;
        errno = 0;
        double value = strtod (text, &end);
        if (!*text || text[strspn (text, "0123456789+-.eE")] || *end)
            return s_fail (self, CJ_E_INVALID_FORMAT, "\"%s\" is not a number", text);
        if (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL))
            return s_fail (self, CJ_E_OUT_OF_RANGE, "%s is outside the range of double", text);
        *ret_value = value;
    }
    return 0;
}


//  --------------------------------------------------------------------------------------
//  Readers: one per family of field types; each writes one value to 'out'

static int
s_read_int32 (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
              int depth, void *out)
{
    (void) field, (void) depth;
    uint64_t value = 0;
    if (s_read_integer (self, json, INT32_MIN, INT32_MAX, &value))
        return -1;
    *(int32_t *) out = (int32_t) value;
    return 0;
}

static int
s_read_uint32 (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
               int depth, void *out)
{
    (void) field, (void) depth;
    uint64_t value = 0;
    if (s_read_integer (self, json, 0, UINT32_MAX, &value))
        return -1;
    *(uint32_t *) out = (uint32_t) value;
    return 0;
}

static int
s_read_int64 (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
              int depth, void *out)
{
    (void) field, (void) depth;
    uint64_t value = 0;
    if (s_read_integer (self, json, INT64_MIN, INT64_MAX, &value))
        return -1;
    *(int64_t *) out = (int64_t) value;
    return 0;
}

static int
s_read_uint64 (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
               int depth, void *out)
{
    (void) field, (void) depth;
    return s_read_integer (self, json, 0, UINT64_MAX, (uint64_t *) out);
}

static int
s_read_float (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
              int depth, void *out)
{
    (void) field, (void) depth;
    double value = 0;
    if (s_read_real (self, json, &value))
        return -1;
    if (isfinite (value) && (value > FLT_MAX || value < -FLT_MAX))
        return s_fail (self, CJ_E_OUT_OF_RANGE, "%g is outside the range of float", value);
    *(float *) out = (float) value;
    return 0;
}

static int
s_read_double (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
               int depth, void *out)
{
    (void) field, (void) depth;
    return s_read_real (self, json, (double *) out);
}

static int
s_read_bool (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
             int depth, void *out)
{
    (void) field, (void) depth;
    if (!json_is_boolean (json))
        return s_fail_type (self, "true or false", json);
    *(protobuf_c_boolean *) out = json_is_true (json);
    return 0;
}

/*  An enum is its value name or its number; proto3 enums are open, so any int32 number is
 *  kept (and written back as a number when it has no name).  */
static int
s_read_enum (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
             int depth, void *out)
{
    (void) depth;
    const ProtobufCEnumDescriptor *descriptor = field->descriptor;
    if (json_is_string (json)) {
        const ProtobufCEnumValue *value =
            protobuf_c_enum_descriptor_get_value_by_name (descriptor, json_string_value (json));
        if (!value)
            return s_fail (self, CJ_E_UNKNOWN_ENUM, "\"%s\" is not a value of %s",
                           json_string_value (json), descriptor->name);
        *(int32_t *) out = value->value;
        return 0;
    }
    if (!json_is_number (json))
        return s_fail_type (self, "an enum name or number", json);
    return s_read_int32 (self, field, json, depth, out);
}

static int
s_read_string (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
               int depth, void *out)
{
    (void) field, (void) depth;
    if (!json_is_string (json))
        return s_fail_type (self, "a string", json);
    const char *text = json_string_value (json);
    size_t len = json_string_length (json);
    if (memchr (text, '\0', len))
        return s_fail (self, CJ_E_INVALID_FORMAT, "a string may not contain U+0000");
    if (s_utf8_valid_prefix (text, len) != len)
        return s_fail (self, CJ_E_INVALID_UTF8, "not valid UTF-8");
    char *copy = malloc (len + 1);
    if (!copy)
        return s_fail_memory (self);
    memcpy (copy, text, len + 1);
    *(char **) out = copy;
    return 0;
}

/*  Bytes are base64, standard or URL-safe, padded or not.  */
static int
s_read_bytes (s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *json,
              int depth, void *out)
{
    (void) field, (void) depth;
    static const int variants [] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING
    };
    if (!json_is_string (json))
        return s_fail_type (self, "a base64 string", json);
    const char *text = json_string_value (json);
    size_t text_len = json_string_length (json);
    if (text_len == 0)
        return 0;
    size_t max = text_len / 4 * 3 + 3;
    unsigned char *data = malloc (max);
    if (!data)
        return s_fail_memory (self);
    for (size_t i = 0; i < sizeof variants / sizeof variants [0]; i++) {
        size_t len = 0;
        if (sodium_base642bin (data, max, text, text_len, NULL, &len, NULL, variants [i]) == 0
            && len > 0) {
            ProtobufCBinaryData *bytes = out;
            bytes->data = data;
            bytes->len = len;
            return 0;
        }
    }
    free (data);
    return s_fail (self, CJ_E_INVALID_FORMAT, "not standard or URL-safe base64");
}

static int
s_read_submessage (s_reader_t *self, const ProtobufCFieldDescriptor *field,
                   const json_t *json, int depth, void *out)
{
    ProtobufCMessage *message = s_read_message (self, field->descriptor, json, depth + 1);
    *(ProtobufCMessage **) out = message;
    return message ? 0 : -1;
}


//  --------------------------------------------------------------------------------------
//  Writers: one per family of field types; each returns a new JSON value or NULL

static json_t *
s_write_int32 (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    return json_integer (*(const int32_t *) member);
}

static json_t *
s_write_uint32 (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    return json_integer (*(const uint32_t *) member);
}

static json_t *
s_write_int64 (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, *(const int64_t *) member);
    return json_string (text);
}

static json_t *
s_write_uint64 (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    char text [24];
    snprintf (text, sizeof text, "%" PRIu64, *(const uint64_t *) member);
    return json_string (text);
}

/*  NaN and the infinities have no JSON number; proto3 writes them as strings.  */
static json_t *
s_write_real (double value)
{
    if (isnan (value))
        return json_string ("NaN");
    if (isinf (value))
        return json_string (value > 0 ? "Infinity" : "-Infinity");
    return json_real (value);
}

static json_t *
s_write_float (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    return s_write_real (*(const float *) member);
}

static json_t *
s_write_double (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    return s_write_real (*(const double *) member);
}

static json_t *
s_write_bool (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    return json_boolean (*(const protobuf_c_boolean *) member);
}

static json_t *
s_write_enum (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) flags, (void) depth;
    int32_t number = *(const int32_t *) member;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (field->descriptor, number);
    return value ? json_string (value->name) : json_integer (number);
}

static json_t *
s_write_string (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    const char *text = *(const char * const *) member;
    return text ? s_json_string_lossy (text, strlen (text)) : json_string ("");
}

static json_t *
s_write_bytes (const ProtobufCFieldDescriptor *field, const void *member, int flags, int depth)
{
    (void) field, (void) flags, (void) depth;
    const ProtobufCBinaryData *bytes = member;
    if (bytes->len == 0 || !bytes->data)
        return json_string ("");
    size_t size = sodium_base64_ENCODED_LEN (bytes->len, sodium_base64_VARIANT_ORIGINAL);
    char *text = malloc (size);
    if (!text)
        return NULL;
    sodium_bin2base64 (text, size, bytes->data, bytes->len, sodium_base64_VARIANT_ORIGINAL);
    json_t *string = json_stringn (text, size - 1);
    free (text);
    return string;
}

static json_t *
s_write_submessage (const ProtobufCFieldDescriptor *field, const void *member, int flags,
                    int depth)
{
    (void) field;
    const ProtobufCMessage *message = *(const ProtobufCMessage * const *) member;
    return message ? s_write_message (message, flags, depth + 1) : json_object ();
}


//  --------------------------------------------------------------------------------------
//  Defaults (proto3: zero, false, empty, unset), as protobuf-c's packer sees them

static bool
s_is_zero32 (const void *member)
{
    return *(const uint32_t *) member == 0;
}

static bool
s_is_zero64 (const void *member)
{
    return *(const uint64_t *) member == 0;
}

static bool
s_is_zero_float (const void *member)
{
    return *(const float *) member == 0;
}

static bool
s_is_zero_double (const void *member)
{
    return *(const double *) member == 0;
}

static bool
s_is_empty_string (const void *member)
{
    const char *text = *(const char * const *) member;
    return !text || !*text;
}

static bool
s_is_empty_bytes (const void *member)
{
    return ((const ProtobufCBinaryData *) member)->len == 0;
}

static bool
s_is_null_message (const void *member)
{
    return *(const ProtobufCMessage * const *) member == NULL;
}


//  --------------------------------------------------------------------------------------
//  The table: one row per protobuf-c field type

static const s_type_t s_types [] = {
    [PROTOBUF_C_TYPE_INT32]    = { 4, s_read_int32, s_write_int32, s_is_zero32 },
    [PROTOBUF_C_TYPE_SINT32]   = { 4, s_read_int32, s_write_int32, s_is_zero32 },
    [PROTOBUF_C_TYPE_SFIXED32] = { 4, s_read_int32, s_write_int32, s_is_zero32 },
    [PROTOBUF_C_TYPE_INT64]    = { 8, s_read_int64, s_write_int64, s_is_zero64 },
    [PROTOBUF_C_TYPE_SINT64]   = { 8, s_read_int64, s_write_int64, s_is_zero64 },
    [PROTOBUF_C_TYPE_SFIXED64] = { 8, s_read_int64, s_write_int64, s_is_zero64 },
    [PROTOBUF_C_TYPE_UINT32]   = { 4, s_read_uint32, s_write_uint32, s_is_zero32 },
    [PROTOBUF_C_TYPE_FIXED32]  = { 4, s_read_uint32, s_write_uint32, s_is_zero32 },
    [PROTOBUF_C_TYPE_UINT64]   = { 8, s_read_uint64, s_write_uint64, s_is_zero64 },
    [PROTOBUF_C_TYPE_FIXED64]  = { 8, s_read_uint64, s_write_uint64, s_is_zero64 },
    [PROTOBUF_C_TYPE_FLOAT]    = { 4, s_read_float, s_write_float, s_is_zero_float },
    [PROTOBUF_C_TYPE_DOUBLE]   = { 8, s_read_double, s_write_double, s_is_zero_double },
    [PROTOBUF_C_TYPE_BOOL]     = { sizeof (protobuf_c_boolean), s_read_bool, s_write_bool,
                                   s_is_zero32 },
    [PROTOBUF_C_TYPE_ENUM]     = { 4, s_read_enum, s_write_enum, s_is_zero32 },
    [PROTOBUF_C_TYPE_STRING]   = { sizeof (char *), s_read_string, s_write_string,
                                   s_is_empty_string },
    [PROTOBUF_C_TYPE_BYTES]    = { sizeof (ProtobufCBinaryData), s_read_bytes, s_write_bytes,
                                   s_is_empty_bytes },
    [PROTOBUF_C_TYPE_MESSAGE]  = { sizeof (ProtobufCMessage *), s_read_submessage,
                                   s_write_submessage, s_is_null_message },
};

/*  The row for 'field''s type, or NULL for a type this protobuf-c does not have.  */
static const s_type_t *
s_type_of (const ProtobufCFieldDescriptor *field)
{
    size_t type = (size_t) field->type;
    if (type >= sizeof s_types / sizeof s_types [0] || !s_types [type].read)
        return NULL;
    return &s_types [type];
}

/*  True when repeated message 'field' of 'parent' is a map (protoc's generated
 *  <Parent>.<Name>Entry with fields key = 1 and value = 2), which we do not convert.  */
static bool
s_is_map (const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *field)
{
    if (field->type != PROTOBUF_C_TYPE_MESSAGE || field->label != PROTOBUF_C_LABEL_REPEATED)
        return false;
    const ProtobufCMessageDescriptor *entry = field->descriptor;
    size_t parent_len = strlen (parent->name);
    size_t short_len = strlen (entry->short_name);
    return entry->n_fields == 2
        && entry->fields [0].id == 1 && strcmp (entry->fields [0].name, "key") == 0
        && entry->fields [1].id == 2 && strcmp (entry->fields [1].name, "value") == 0
        && strncmp (entry->name, parent->name, parent_len) == 0
        && entry->name [parent_len] == '.'
        && short_len > 5 && strcmp (entry->short_name + short_len - 5, "Entry") == 0;
}


//  --------------------------------------------------------------------------------------
//  JSON to message

/*  Reads the JSON array 'json' into repeated 'field' of 'message': the array is allocated
 *  zeroed and counted first, so the message stays freeable whatever an element does. Every
 *  bad element is reported (failures are counted on the reader).  */
static int
s_read_repeated (s_reader_t *self, ProtobufCMessage *message,
                 const ProtobufCFieldDescriptor *field, const json_t *json, int depth)
{
    const s_type_t *type = s_type_of (field);
    if (s_is_map (message->descriptor, field))
        return s_fail (self, CJ_E_WRONG_TYPE, "map fields are not supported");
    if (!json_is_array (json))
        return s_fail_type (self, "an array", json);
    size_t count = json_array_size (json);
    if (count > CJ_JSON_MAX_ARRAY)
        return s_fail (self, CJ_E_TOO_MANY, "%zu elements; at most %d allowed", count,
                       CJ_JSON_MAX_ARRAY);
    if (count == 0)
        return 0;
    char *items = calloc (count, type->size);
    if (!items)
        return s_fail_memory (self);
    *(void **) s_member (message, field->offset) = items;
    *(size_t *) s_member (message, field->quantifier_offset) = count;

    for (size_t i = 0; i < count; i++) {
        size_t saved = s_path_enter (self, "[%zu]", i);
        const json_t *item = json_array_get (json, i);
        if (json_is_null (item))
            s_fail (self, CJ_E_WRONG_TYPE, "null is not allowed in an array");
        else
            type->read (self, field, item, depth, items + i * type->size);
        s_path_leave (self, saved);
    }
    return 0;
}

/*  Reads 'json' into 'field' of 'message'. 'seen' holds, per field index, the input name
 *  already used for it (to name the other member of a oneof).  */
static int
s_read_field (s_reader_t *self, ProtobufCMessage *message,
              const ProtobufCFieldDescriptor *field, const json_t *json, int depth,
              const char **seen)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const s_type_t *type = s_type_of (field);
    if (!type)
        return s_fail (self, CJ_E_INTERNAL, "field type %d is not supported", field->type);
    if (json_is_null (json))
        return 0;       //  Default, and not a choice of oneof member
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return s_read_repeated (self, message, field, json, depth);

    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *chosen = (uint32_t *) s_member (message, field->quantifier_offset);
        if (*chosen != 0) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field (descriptor, *chosen);
            return s_fail (self, CJ_E_INVALID_FORMAT,
                           "'%s' is set too, and at most one member of a oneof may be",
                           other && seen [other - descriptor->fields]
                           ? seen [other - descriptor->fields] : "another member");
        }
        *chosen = field->id;    //  Chosen before the member is written, so it gets freed
    }
    return type->read (self, field, json, depth, s_member (message, field->offset));
}

/*  Reads every member of JSON object 'json' into 'message', adding a problem for each one
 *  that is wrong and carrying on with the next.  */
static void
s_read_fields (s_reader_t *self, ProtobufCMessage *message, const json_t *json, int depth)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const char **seen = calloc (descriptor->n_fields + 1, sizeof *seen);
    if (!seen) {
        s_fail_memory (self);
        return;
    }
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) json, key, value) {
        size_t saved = s_path_enter (self, "%s", key);
        const ProtobufCFieldDescriptor *field = s_find_field (descriptor, key);
        if (!field) {
            if (!(self->flags & CJ_JSON_IGNORE_UNKNOWN))
                s_fail (self, CJ_E_UNKNOWN_FIELD, "%s has no field '%s'",
                        descriptor->name, key);
        }
        else
        if (seen [field - descriptor->fields])
            s_fail (self, CJ_E_INVALID_FORMAT, "'%s' and '%s' name the same field",
                    key, seen [field - descriptor->fields]);
        else {
            seen [field - descriptor->fields] = key;
            s_read_field (self, message, field, value, depth, seen);
        }
        s_path_leave (self, saved);
    }
    free (seen);
}

/*  Builds a message of type 'descriptor' at nesting 'depth' (1 for the top) from 'json'.
 *  Returns it even when some fields were wrong (the caller counts failures), or NULL when
 *  'json' is not an object, is too deep, or memory ran out.  */
static ProtobufCMessage *
s_read_message (s_reader_t *self, const ProtobufCMessageDescriptor *descriptor,
                const json_t *json, int depth)
{
    if (!json_is_object (json)) {
        if (json)
            s_fail_type (self, "an object", json);
        else
            s_fail (self, CJ_E_WRONG_TYPE, "expected an object, got nothing");
        return NULL;
    }
    if (depth > CJ_JSON_MAX_DEPTH) {
        s_fail (self, CJ_E_TOO_LARGE, "messages nested deeper than %d levels",
                CJ_JSON_MAX_DEPTH);
        return NULL;
    }
    ProtobufCMessage *message = malloc (descriptor->sizeof_message);
    if (!message) {
        s_fail_memory (self);
        return NULL;
    }
    descriptor->message_init (message);
    s_read_fields (self, message, json, depth);
    return message;
}

ProtobufCMessage *
cj_json_to_message (const ProtobufCMessageDescriptor *descriptor, const json_t *json,
                    int flags, cj_problems_t *problems)
{
    s_reader_t reader = { .problems = problems, .flags = flags };
    ProtobufCMessage *message = s_read_message (&reader, descriptor, json, 1);
    if (reader.failures > 0) {
        protobuf_c_message_free_unpacked (message, NULL);
        return NULL;
    }
    return message;
}

ProtobufCMessage *
cj_json_loads (const ProtobufCMessageDescriptor *descriptor, const char *text, size_t len,
               int flags, cj_problems_t *problems)
{
    json_error_t error;
    json_t *json = text ? json_loadb (text, len, JSON_REJECT_DUPLICATES, &error) : NULL;
    if (!json) {
        if (text)
            cj_problems_add (problems, "", CJ_E_INVALID_FORMAT, "line %d, column %d: %s",
                             error.line, error.column, error.text);
        else
            cj_problems_add (problems, "", CJ_E_INVALID_FORMAT, "no JSON text");
        return NULL;
    }
    ProtobufCMessage *message = cj_json_to_message (descriptor, json, flags, problems);
    json_decref (json);
    return message;
}


//  --------------------------------------------------------------------------------------
//  Message to JSON

static json_t *
s_write_repeated (const ProtobufCMessage *message, const ProtobufCFieldDescriptor *field,
                  int flags, int depth)
{
    const s_type_t *type = s_type_of (field);
    size_t count = *(const size_t *) s_member (message, field->quantifier_offset);
    const char *items = *(char * const *) s_member (message, field->offset);
    json_t *array = json_array ();
    for (size_t i = 0; array && i < count; i++)
        if (json_array_append_new (array,
                                   type->write (field, items + i * type->size, flags, depth)))
            goto fail_free_array;
    return array;

fail_free_array:
    json_decref (array);
    return NULL;
}

/*  Returns the JSON value of 'field' of 'message', or sets '*ret_skip' when the field is
 *  left out (at its default, or a oneof member not chosen).  */
static json_t *
s_write_field (const ProtobufCMessage *message, const ProtobufCFieldDescriptor *field,
               int flags, int depth, bool *ret_skip)
{
    const s_type_t *type = s_type_of (field);
    const void *member = s_member (message, field->offset);
    bool emit_defaults = flags & CJ_JSON_EMIT_DEFAULTS;
    *ret_skip = true;
    if (!type)
        return NULL;
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!emit_defaults && *(const size_t *) s_member (message, field->quantifier_offset) == 0)
            return NULL;
        *ret_skip = false;
        return s_write_repeated (message, field, flags, depth);
    }
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t chosen = *(const uint32_t *) s_member (message, field->quantifier_offset);
        bool unset_pointer = (field->type == PROTOBUF_C_TYPE_STRING
                              || field->type == PROTOBUF_C_TYPE_MESSAGE)
                             && *(const void * const *) member == NULL;
        if (chosen != field->id || unset_pointer)
            return NULL;
    }
    else
    if (field->type == PROTOBUF_C_TYPE_MESSAGE ? s_is_null_message (member)
                                               : !emit_defaults && type->is_default (member))
        return NULL;
    *ret_skip = false;
    return type->write (field, member, flags, depth);
}

/*  Returns the JSON object for 'message' at nesting 'depth', or NULL when memory runs out
 *  or the message is nested deeper than CJ_JSON_MAX_DEPTH.  */
static json_t *
s_write_message (const ProtobufCMessage *message, int flags, int depth)
{
    if (depth > CJ_JSON_MAX_DEPTH)
        return NULL;
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    json_t *object = json_object ();
    if (!object)
        return NULL;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        bool skip;
        json_t *value = s_write_field (message, field, flags, depth, &skip);
        if (skip)
            continue;
        if (!value)
            goto fail_free_object;

        size_t name_len = strlen (field->name);
        char name_buf [64];
        char *name = name_len < sizeof name_buf ? name_buf : malloc (name_len + 1);
        if (!name) {
            json_decref (value);
            goto fail_free_object;
        }
        if (flags & CJ_JSON_PROTO_NAMES)
            memcpy (name, field->name, name_len + 1);
        else
            s_json_name (field->name, name);
        int rc = json_object_set_new (object, name, value);
        if (name != name_buf)
            free (name);
        if (rc)
            goto fail_free_object;
    }
    return object;

fail_free_object:
    json_decref (object);
    return NULL;
}

json_t *
cj_json_from_message (const ProtobufCMessage *message, int flags)
{
    if (!message)
        return NULL;
    return s_write_message (message, flags, 1);
}

char *
cj_json_dumps (const ProtobufCMessage *message, int flags)
{
    json_t *json = cj_json_from_message (message, flags);
    if (!json)
        return NULL;
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    return text;
}
