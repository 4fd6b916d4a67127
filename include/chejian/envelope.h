/*  envelope.h - the Envelope and the Ack on the wire: decode with hard limits, validate,
 *  encode, and classify a body by owner and kind.
 *
 *  The body oneof is numbered by owner and kind (proto/chejian/v1/envelope.proto):
 *      100-199 registry commands    200-299 registry queries    300-399 registry events
 *      400-499 payroll commands     500-599 payroll queries     600-699 payroll events
 *      700-799 adjudication cmds    800-899 adjudication queries 900-999 adjudication events
 *  so routing needs no per-message table.
 */
#ifndef CHEJIAN_ENVELOPE_H
#define CHEJIAN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "chejian/problem.h"
#include "chejian/v1/envelope.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef Chejian__V1__Envelope cj_envelope_t;
typedef Chejian__V1__Ack      cj_ack_t;

#define CJ_ENVELOPE_MAX_BYTES    (4u << 20)  /* one encoded envelope */
#define CJ_ENVELOPE_MAX_REPEATED 10000       /* elements of any repeated field */
#define CJ_ENVELOPE_MAX_STRING   65536       /* bytes of any string or bytes field */
#define CJ_ENVELOPE_MAX_DEPTH    16          /* nesting of messages */
#define CJ_EVENT_ID_MAX          128
#define CJ_SOURCE_MAX            32
#define CJ_TRACE_ID_MAX          64

typedef enum {
    CJ_OWNER_NONE = 0,
    CJ_OWNER_REGISTRY = 1,
    CJ_OWNER_PAYROLL = 2,
    CJ_OWNER_ADJUDICATOR = 3,
} cj_owner_t;

typedef enum {
    CJ_KIND_NONE = 0,
    CJ_KIND_COMMAND = 1,
    CJ_KIND_QUERY = 2,
    CJ_KIND_EVENT = 3,
} cj_kind_t;

/*  Decodes 'len' bytes. Refuses (NULL, one problem) input over CJ_ENVELOPE_MAX_BYTES
 *  (TOO_LARGE), bytes that are not an Envelope (DECODE_FAILED), and a decoded message with a
 *  repeated field, string or nesting over the limits above (TOO_MANY / TOO_LONG). Free the
 *  result with cj_envelope_free.  */
cj_envelope_t *cj_envelope_decode (const void *data, size_t len, cj_problems_t *problems);
void           cj_envelope_free (cj_envelope_t **self_p);

/*  Checks the header: event_id (1..128 chars of [A-Za-z0-9._:/#@-]), source (1..32 of
 *  [a-z0-9_-]), occurred_at (ms, after 2000-01-01 and at most a day ahead of now), county
 *  (a county code), trace_id (at most 64 printable ASCII), and that a body is set.
 *  Returns 0, or -1 after adding every problem found.  */
int cj_envelope_validate (const cj_envelope_t *self, cj_problems_t *problems);

/*  Encodes any protobuf-c message into a malloc'd buffer (caller frees). Returns NULL when out
 *  of memory.  */
uint8_t *cj_message_pack (const ProtobufCMessage *message, size_t *ret_len);

/*  The body: its message (NULL when none is set), its field name ("register_workshop"), owner
 *  and kind.  */
const ProtobufCMessage *cj_envelope_body (const cj_envelope_t *self);
const char *cj_body_name (int body_case);
cj_owner_t  cj_body_owner (int body_case);
cj_kind_t   cj_body_kind (int body_case);
const char *cj_owner_name (cj_owner_t owner);   /* "registry", "payroll", "adjudicator" */

/*  Storage for an Ack's problems: the Problem structs point into the cj_problems_t, which
 *  must outlive the ack's use.  */
typedef struct {
    Chejian__V1__Problem  items[CJ_PROBLEMS_MAX + 1];
    Chejian__V1__Problem *ptrs[CJ_PROBLEMS_MAX + 1];
    char                dropped[CJ_PROBLEM_MESSAGE];
} cj_ack_problems_t;

/*  Points 'ack'->problems at every problem in 'problems', plus one TOO_MANY problem saying
 *  how many more were found when some were dropped.  */
void cj_ack_attach_problems (cj_ack_t *ack, const cj_problems_t *problems,
                             cj_ack_problems_t *storage);

/*  Encodes an Ack with 'status' and 'problems' (may be NULL) for 'event_id'; malloc'd.  */
uint8_t *cj_ack_pack_simple (const char *event_id, Chejian__V1__AckStatus status,
                             const cj_problems_t *problems, size_t *ret_len);

#ifdef __cplusplus
}
#endif
#endif
