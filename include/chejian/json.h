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
 *  never crashes.
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
 *  allocation failure.  */
json_t *cj_json_from_message (const ProtobufCMessage *message, int flags);

/*  Builds a new message of type 'descriptor' from the JSON object 'json'. On success returns
 *  the message, to be freed with protobuf_c_message_free_unpacked (message, NULL). On failure
 *  returns NULL after adding every problem found to 'problems' (field paths such as
 *  `lines[3].grossFen`, using the names as written in the input).  */
ProtobufCMessage *cj_json_to_message (const ProtobufCMessageDescriptor *descriptor,
                                      const json_t *json, int flags, cj_problems_t *problems);

/*  Text conveniences. cj_json_dumps returns a malloc'd compact string (caller frees).
 *  cj_json_loads parses 'len' bytes of text; a syntax error is one problem with code
 *  INVALID_FORMAT naming the line and column.  */
char             *cj_json_dumps (const ProtobufCMessage *message, int flags);
ProtobufCMessage *cj_json_loads (const ProtobufCMessageDescriptor *descriptor,
                                 const char *text, size_t len, int flags,
                                 cj_problems_t *problems);

#ifdef __cplusplus
}
#endif
#endif
