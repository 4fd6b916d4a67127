/*  bi_case.h - one case of the bad-input catalogue (catalogue.jsonl): checking its shape and
 *  turning it into the bytes to send.
 *
 *  A case is a JSON object: "name", "about", optional "agency", "send" (an Envelope in proto3
 *  JSON), optional "transform" (the documented set below), "expect", optional "times". The
 *  bytes are made in a fixed order (README.md):
 *    1. JSON level, on a copy of "send": "repeat" (grow an array), "fill" (a long string);
 *       then the header defaults (eventId "bi-<name>", source = the agency, occurredAt now,
 *       county 510822) for members that are absent;
 *    2. the repo's converter (chejian/json.h) to a chejian.v1.Envelope;
 *    3. struct level: "set_string_bytes" (bytes JSON cannot hold, e.g. invalid UTF-8);
 *    4. packed by protobuf-c;
 *    5. byte level: "truncate", "append_hex", "pad_to"; or "raw_hex" instead of 1-5.  */
#ifndef BI_CASE_H
#define BI_CASE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BI_DEFAULT_AGENCY "hrss-510822"
#define BI_DEFAULT_COUNTY "510822"

/*  Checks the shape of case 'c' (members, transform names and arguments, expectations).
 *  Returns 0, or -1 after writing why into 'err'.  */
int bi_case_check (const json_t *c, char *err, size_t size);

/*  The agency that sends case 'c' (its "agency", else BI_DEFAULT_AGENCY).  */
const char *bi_case_agency (const json_t *c);

/*  The encoded bytes of case 'c' (malloc'd, caller frees), their length in 'ret_len' and the
 *  event id the Ack should carry in 'ret_event_id' (as the bytes decode; "" when they do
 *  not). Returns NULL after
 *  writing why into 'err' (a case the converter refuses is a catalogue error).  */
uint8_t *bi_case_bytes (const json_t *c, size_t *ret_len, char *ret_event_id, size_t id_size,
                        char *err, size_t size);

/*  The bytes of setup line 'env' (an Envelope in proto3 JSON, complete), as bi_case_bytes.  */
uint8_t *bi_envelope_bytes (const json_t *env, size_t *ret_len, char *err, size_t size);

#endif
