/*  fuzz_json.c - proto3 JSON text into an Envelope and back (lib/json.c).
 *
 *  Exercises: cj_json_loads over the whole Envelope descriptor tree (every body of the wire
 *  contract), strictly and with CJ_JSON_IGNORE_UNKNOWN; the same text as the test messages
 *  chejian.test.AllTypes and Node (tests/proto/json_test.proto: every scalar type, bytes,
 *  floats, oneofs, recursion), which the contract alone does not reach; for text that converts,
 *  cj_json_from_message / cj_json_dumps in the three output styles (json names, proto names,
 *  defaults emitted), cj_json_loads of each output again, and the wire decoder's limits on the
 *  packed result (what `chejian publish` sends).
 *
 *  Asserts: no crash, leak or undefined behaviour; text that does not convert reports a
 *  problem with a stable code, text that converts reports none; whatever converted is written
 *  back as JSON that converts again to a message with exactly the same protobuf encoding.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/envelope.h"
#include "chejian/json.h"
#include "fuzz.h"

#include "json_test.pb-c.h"

/*  'message' written with 'flags' and read back must pack to 'bytes'.  */
static void
s_write_and_read_back (const ProtobufCMessage *message, int flags, const uint8_t *bytes,
                       size_t len)
{
    const ProtobufCMessageDescriptor *desc = message->descriptor;
    char *text = cj_json_dumps (message, flags);
    FUZZ_ASSERT (text);
    cj_problems_t p;
    cj_problems_init (&p);
    ProtobufCMessage *again = cj_json_loads (desc, text, strlen (text), 0, &p);
    FUZZ_ASSERT (again && !cj_problems_any (&p));
    size_t len2;
    uint8_t *bytes2 = cj_message_pack (again, &len2);
    FUZZ_ASSERT (bytes2);
    FUZZ_ASSERT (len2 == len && memcmp (bytes, bytes2, len) == 0);
    free (bytes2);
    protobuf_c_message_free_unpacked (again, NULL);
    free (text);
}

static void
s_convert (const ProtobufCMessageDescriptor *desc, const char *text, size_t size, int flags)
{
    cj_problems_t p;
    cj_problems_init (&p);
    ProtobufCMessage *m = cj_json_loads (desc, text, size, flags, &p);
    fuzz_check_problems (&p);
    if (!m) {
        FUZZ_ASSERT (cj_problems_any (&p));
        return;
    }
    FUZZ_ASSERT (!cj_problems_any (&p));
    size_t len;
    uint8_t *bytes = cj_message_pack (m, &len);
    FUZZ_ASSERT (bytes);
    s_write_and_read_back (m, 0, bytes, len);
    s_write_and_read_back (m, CJ_JSON_PROTO_NAMES, bytes, len);
    s_write_and_read_back (m, CJ_JSON_EMIT_DEFAULTS, bytes, len);
    if (desc == &chejian__v1__envelope__descriptor) {
        cj_problems_init (&p);
        cj_envelope_t *env = cj_envelope_decode (bytes, len, &p);   /* the limits may refuse */
        FUZZ_ASSERT (env || cj_problems_any (&p));
        cj_envelope_free (&env);
    }
    free (bytes);
    protobuf_c_message_free_unpacked (m, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    s_convert (&chejian__v1__envelope__descriptor, text, size, 0);
    s_convert (&chejian__v1__envelope__descriptor, text, size, CJ_JSON_IGNORE_UNKNOWN);
    s_convert (&chejian__test__all_types__descriptor, text, size, 0);
    s_convert (&chejian__test__node__descriptor, text, size, 0);
    return 0;
}
