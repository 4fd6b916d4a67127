/*  envelope.c - decode with hard limits, validate, encode; body classification.
 *  See include/chejian/envelope.h.  */
#include "chejian/envelope.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chejian/ident.h"

#define S_MS_2000_01_01  946684800000LL
#define S_MS_PER_DAY     86400000LL

/*  Walks a decoded message and reports the first field number 0, or repeated field, string or
 *  nesting over the limits. protobuf-c bounds allocation by the input size; these bounds keep
 *  handlers from ever seeing absurd shapes.  */
static int
s_check_limits (const ProtobufCMessage *message, int depth, cj_problems_t *problems)
{
    const ProtobufCMessageDescriptor *desc = message->descriptor;
    if (depth > CJ_ENVELOPE_MAX_DEPTH) {
        cj_problems_add (problems, "", CJ_E_TOO_MANY, "messages nested deeper than %d",
                         CJ_ENVELOPE_MAX_DEPTH);
        return -1;
    }
    /* protobuf-c 1.4 keeps a field number 0 written as an over-long varint ("82 00") as an
       unknown field, and would re-encode it as "02", which it then refuses */
    for (size_t i = 0; i < message->n_unknown_fields; i++)
        if (message->unknown_fields[i].tag == 0) {
            cj_problems_add (problems, "", CJ_E_DECODE_FAILED, "field number 0 is not valid");
            return -1;
        }
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        const char *base = (const char *) message;
        size_t n = 1;
        const void *values = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *) (base + f->quantifier_offset);
            values = *(void *const *) (base + f->offset);
            if (n > CJ_ENVELOPE_MAX_REPEATED) {
                cj_problems_add (problems, f->name, CJ_E_TOO_MANY,
                                 "%zu elements; at most %d", n, CJ_ENVELOPE_MAX_REPEATED);
                return -1;
            }
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *) (base + f->quantifier_offset) != f->id)
                continue;
        }
        for (size_t j = 0; j < n; j++) {
            size_t len = 0;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                const char *text = ((const char *const *) values)[j];
                len = text ? strlen (text) : 0;
            } else if (f->type == PROTOBUF_C_TYPE_BYTES)
                len = ((const ProtobufCBinaryData *) values)[j].len;
            else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                const ProtobufCMessage *sub = ((const ProtobufCMessage *const *) values)[j];
                if (sub) {
                    cj_problems_push (problems, "%s", f->name);
                    int rc = s_check_limits (sub, depth + 1, problems);
                    cj_problems_pop (problems);
                    if (rc != 0)
                        return -1;
                }
            }
            if (len > CJ_ENVELOPE_MAX_STRING) {
                cj_problems_add (problems, f->name, CJ_E_TOO_LONG, "%zu bytes; at most %d",
                                 len, CJ_ENVELOPE_MAX_STRING);
                return -1;
            }
        }
    }
    return 0;
}

cj_envelope_t *
cj_envelope_decode (const void *data, size_t len, cj_problems_t *problems)
{
    if (len > CJ_ENVELOPE_MAX_BYTES) {
        cj_problems_add (problems, "", CJ_E_TOO_LARGE, "envelope of %zu bytes; at most %u",
                         len, CJ_ENVELOPE_MAX_BYTES);
        return NULL;
    }
    cj_envelope_t *self = chejian__v1__envelope__unpack (NULL, len, data);
    if (!self) {
        cj_problems_add (problems, "", CJ_E_DECODE_FAILED,
                         "%zu bytes are not a chejian.v1.Envelope", len);
        return NULL;
    }
    if (s_check_limits (&self->base, 0, problems) != 0) {
        cj_envelope_free (&self);
        return NULL;
    }
    return self;
}

void
cj_envelope_free (cj_envelope_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    chejian__v1__envelope__free_unpacked (*self_p, NULL);
    *self_p = NULL;
}

int
cj_envelope_validate (const cj_envelope_t *self, cj_problems_t *problems)
{
    size_t before = problems->count + problems->dropped;
    cj_check_token (problems, "event_id", self->event_id, CJ_EVENT_ID_MAX, CJ_TOKEN_ALNUM,
                    "._:/#@-", true);
    cj_check_token (problems, "source", self->source, CJ_SOURCE_MAX,
                    CJ_TOKEN_LOWER | CJ_TOKEN_DIGIT, "_-", true);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (self->occurred_at < S_MS_2000_01_01 || self->occurred_at > now_ms + S_MS_PER_DAY)
        cj_problems_add (problems, "occurred_at", CJ_E_OUT_OF_RANGE,
                         "%lld is not a Unix time in ms between 2000-01-01 and tomorrow",
                         (long long) self->occurred_at);
    cj_check_county (problems, "county", self->county);
    size_t tlen = self->trace_id ? strlen (self->trace_id) : 0;
    if (tlen > CJ_TRACE_ID_MAX)
        cj_problems_add (problems, "trace_id", CJ_E_TOO_LONG, "%zu characters; at most %d",
                         tlen, CJ_TRACE_ID_MAX);
    else
        for (size_t i = 0; i < tlen; i++)
            if (self->trace_id[i] < 0x21 || self->trace_id[i] > 0x7e) {
                cj_problems_add (problems, "trace_id", CJ_E_INVALID_FORMAT,
                                 "printable ASCII without spaces only");
                break;
            }
    if (self->body_case == CHEJIAN__V1__ENVELOPE__BODY__NOT_SET || !cj_envelope_body (self))
        cj_problems_add (problems, "body", CJ_E_REQUIRED, "the envelope carries no body");
    return problems->count + problems->dropped > before ? -1 : 0;
}

uint8_t *
cj_message_pack (const ProtobufCMessage *message, size_t *ret_len)
{
    size_t len = protobuf_c_message_get_packed_size (message);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack (message, buf);
    *ret_len = len;
    return buf;
}

const ProtobufCMessage *
cj_envelope_body (const cj_envelope_t *self)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) self->body_case);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return *(const ProtobufCMessage *const *) ((const char *) self + f->offset);
}

const char *
cj_body_name (int body_case)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ? f->name : "none";
}

cj_owner_t
cj_body_owner (int body_case)
{
    if (body_case < 100 || body_case > 999)
        return CJ_OWNER_NONE;
    return (cj_owner_t) ((body_case - 100) / 300 + 1);
}

cj_kind_t
cj_body_kind (int body_case)
{
    if (body_case < 100 || body_case > 999)
        return CJ_KIND_NONE;
    return (cj_kind_t) ((body_case / 100 - 1) % 3 + 1);
}

const char *
cj_owner_name (cj_owner_t owner)
{
    switch (owner) {
    case CJ_OWNER_REGISTRY:    return "registry";
    case CJ_OWNER_PAYROLL:     return "payroll";
    case CJ_OWNER_ADJUDICATOR: return "adjudicator";
    default:                   return "none";
    }
}

void
cj_ack_attach_problems (cj_ack_t *ack, const cj_problems_t *problems, cj_ack_problems_t *storage)
{
    size_t n = 0;
    for (size_t i = 0; problems && i < problems->count; i++, n++) {
        chejian__v1__problem__init (&storage->items[n]);
        storage->items[n].field = (char *) problems->items[i].field;
        storage->items[n].code = (char *) problems->items[i].code;
        storage->items[n].message = (char *) problems->items[i].message;
        storage->ptrs[n] = &storage->items[n];
    }
    if (problems && problems->dropped) {
        chejian__v1__problem__init (&storage->items[n]);
        snprintf (storage->dropped, sizeof storage->dropped,
                  "%zu more problems were found and not listed", problems->dropped);
        storage->items[n].field = "";
        storage->items[n].code = CJ_E_TOO_MANY;
        storage->items[n].message = storage->dropped;
        storage->ptrs[n] = &storage->items[n];
        n++;
    }
    ack->n_problems = n;
    ack->problems = n ? storage->ptrs : NULL;
}

uint8_t *
cj_ack_pack_simple (const char *event_id, Chejian__V1__AckStatus status,
                    const cj_problems_t *problems, size_t *ret_len)
{
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;
    cj_ack_problems_t storage;
    ack.event_id = (char *) (event_id ? event_id : "");
    ack.status = status;
    cj_ack_attach_problems (&ack, problems, &storage);
    return cj_message_pack (&ack.base, ret_len);
}
