/*  json.h - the proto3 JSON mapping, both ways, for any protobuf-c message.
 *
 *  One generic converter driven by protobuf-c's descriptors and jansson; no per-message code.
 *  Mapping (https://protobuf.dev/programming-guides/proto3/#json):
 *    - field names: lowerCamelCase json name on output; both the json name and the proto
 *      field name accepted on input;
 *    - int64/uint64/sint64/fixed64/sfixed64 as JSON strings on output; strings or integral
 *      numbers on input; 32-bit integers as numbers (integral strings also accepted);
 *    - enums by value name on output (the number if it has no name); names or numbers on input;
 *    - bytes as standard base64 (with padding) on output; standard or URL-safe on input;
 *    - bool, float/double (NaN, Infinity, -Infinity as strings), string, nested messages,
 *      repeated fields as arrays, oneof members as their chosen field;
 *    - fields at their default value are omitted on output unless CJ_JSON_EMIT_DEFAULTS;
 *      JSON null on input means "default".
 *  Unknown fields, wrong types, out-of-range numbers, unknown enum names, duplicate oneof
 *  members, over-deep nesting and over-long arrays are problems (field path, code, message),
 *  never crashes. The codes:
 *    UNKNOWN_FIELD   no such field (skipped silently under CJ_JSON_IGNORE_UNKNOWN; unknown
 *                    enum names stay a problem);
 *    WRONG_TYPE      JSON value of the wrong kind, a non-integral number for an integer, null
 *                    inside an array, a map field (maps are not supported on input);
 *    OUT_OF_RANGE    integer outside its type (2^31 into int32, -1 into uint64), float
 *                    beyond FLT_MAX, decimal string beyond double;
 *    INVALID_FORMAT  integer/number string with junk ("12x", " 1", "+1"), bad base64, a string
 *                    with U+0000, two members of one oneof, one field given under both names,
 *                    a JSON syntax error (cj_json_loads, field "");
 *    INVALID_UTF8    a string that is not UTF-8 (only possible in a json_t built with
 *                    jansson's *_nocheck functions; parsed text is checked by jansson);
 *    UNKNOWN_ENUM    an enum name not in the enum (numbers are kept as they are: proto3 enums
 *                    are open, and a number without a name is written back as a number);
 *    TOO_MANY        more than CJ_JSON_MAX_ARRAY elements;
 *    TOO_LARGE       messages nested deeper than CJ_JSON_MAX_DEPTH;
 *    INTERNAL        out of memory.
 *  Limits of the mapping as implemented: proto3 only (protoc-c 1.4.1 cannot generate proto3
 *  `optional`; proto2 has_ flags are not set), no maps on input (written as arrays of
 *  {key, value} entries on output), no well-known types (Timestamp etc. are plain messages).
 *  jansson refuses JSON integers beyond int64, so a uint64 above 2^63 - 1 must be a string.
 *  Floats are written at double precision (0.1f as 0.10000000149011612): exact, not short.
 */
#ifndef CHEJIAN_JSON_H
#define CHEJIAN_JSON_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "chejian/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_JSON_MAX_DEPTH  32     /* nesting of messages */
#define CJ_JSON_MAX_ARRAY  100000 /* elements of one repeated field */

enum {
    CJ_JSON_EMIT_DEFAULTS   = 1 << 0,  /* write fields at default values too */
    CJ_JSON_PROTO_NAMES     = 1 << 1,  /* write proto field names instead of json names */
    CJ_JSON_IGNORE_UNKNOWN  = 1 << 2,  /* input: skip unknown fields instead of a problem */
};

/*  Returns a new JSON object for 'message' (caller json_decref's it), or NULL on
 *  allocation failure or when messages are nested deeper than CJ_JSON_MAX_DEPTH. Fields come
 *  in field-number order. A string that is not valid UTF-8 (protobuf-c does not check the
 *  wire) is written with each bad byte replaced by U+FFFD.  */
json_t *cj_json_from_message (const ProtobufCMessage *message, int flags);

/*  Builds a new message of type 'descriptor' from the JSON object 'json'. On success returns
 *  the message, to be freed with protobuf_c_message_free_unpacked (message, NULL). On failure
 *  returns NULL after adding every problem found to 'problems' (field paths such as
 *  `lines[3].grossFen`, using the names as written in the input, under the caller's pushed
 *  prefix; the paths are built here, so they are not bound by CJ_PROBLEM_DEPTH). Problems
 *  already in 'problems' do not make it fail. 'problems' may be NULL.  */
ProtobufCMessage *cj_json_to_message (const ProtobufCMessageDescriptor *descriptor,
                                      const json_t *json, int flags, cj_problems_t *problems);

/*  Text conveniences. cj_json_dumps returns a malloc'd compact string (caller frees), NULL
 *  as cj_json_from_message. cj_json_loads parses 'len' bytes of text; a syntax error
 *  (duplicate keys included) is one problem with code INVALID_FORMAT and field "", naming the
 *  line and column.  */
char             *cj_json_dumps (const ProtobufCMessage *message, int flags);
ProtobufCMessage *cj_json_loads (const ProtobufCMessageDescriptor *descriptor,
                                 const char *text, size_t len, int flags,
                                 cj_problems_t *problems);

#ifdef __cplusplus
}
#endif
#endif
