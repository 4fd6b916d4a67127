/*  fuzz_envelope.c - an Envelope off the wire, as every service admits it.
 *
 *  Exercises: cj_envelope_decode with its limits (the call lib/service.c and the gateway
 *  make), cj_envelope_validate (the header), then the body validator of every service that
 *  has a handler for the body (registry, payroll, adjudicator: their handler tables through
 *  *_service_def, commands, queries and consumed events alike), the Ack the service would
 *  answer with those problems, and the round trip of a decoded envelope through the encoder.
 *
 *  Asserts: no crash, leak or undefined behaviour; a refused decode reports a problem and an
 *  accepted one none; a validator that fails reports a problem, every problem has a stable
 *  code and a message; the Ack with the problems packs and unpacks with every problem (plus
 *  one for the dropped ones); a decoded envelope re-encodes into bytes that decode again
 *  within the limits and re-encode to the same bytes.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/envelope.h"
#include "chejian/log.h"
#include "adjudicator.h"
#include "fuzz.h"
#include "payroll.h"
#include "registry.h"

#define S_SERVICES 3

static cj_service_def_t s_defs[S_SERVICES];

static void
s_init (void)
{
    static int done = 0;
    static registry_t registry;
    static adjudicator_t adjudicator;
    static payroll_t *payroll;
    if (done)
        return;
    done = 1;
    cj_log_init ("fuzz", (cj_log_level_t) (CJ_LOG_ERROR + 1));   /* nothing is logged */
    payroll = payroll_new (NULL);
    FUZZ_ASSERT (payroll);
    registry_service_def (&s_defs[0], &registry);
    payroll_service_def (&s_defs[1], payroll);
    adjudicator_service_def (&s_defs[2], &adjudicator);
}

/*  Runs 'h''s validator when it handles the envelope's body: on an empty list, and on the
 *  header's problems 'header' as lib/service.c does (one answer lists them all).  */
static void
s_validate_with (const cj_handler_t *h, const cj_envelope_t *env, const cj_problems_t *header)
{
    if (h->body_case != (int) env->body_case || !h->validate)
        return;
    cj_problems_t p;
    cj_problems_init (&p);
    int rc = h->validate (env, &p);
    FUZZ_ASSERT (rc == 0 || cj_problems_any (&p));
    fuzz_check_problems (&p);
    p = *header;
    h->validate (env, &p);
    FUZZ_ASSERT (p.count + p.dropped >= header->count + header->dropped);
    fuzz_check_problems (&p);
}

static void
s_validate_body (const cj_envelope_t *env, const cj_problems_t *header)
{
    for (int s = 0; s < S_SERVICES; s++) {
        const cj_service_def_t *def = &s_defs[s];
        for (size_t i = 0; i < def->nhandlers; i++)
            s_validate_with (&def->handlers[i], env, header);
        for (size_t j = 0; j < def->nsubscriptions; j++)
            for (size_t i = 0; i < def->subscriptions[j].nhandlers; i++)
                s_validate_with (&def->subscriptions[j].handlers[i], env, header);
    }
}

/*  The REJECTED Ack the service answers with 'p' packs and unpacks whole.  */
static void
s_check_ack (const cj_envelope_t *env, const cj_problems_t *p)
{
    size_t len;
    uint8_t *bytes = cj_ack_pack_simple (env ? env->event_id : "",
                                         CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED, p, &len);
    FUZZ_ASSERT (bytes);
    cj_ack_t *ack = chejian__v1__ack__unpack (NULL, len, bytes);
    FUZZ_ASSERT (ack);
    FUZZ_ASSERT (ack->n_problems == p->count + (p->dropped ? 1 : 0));
    chejian__v1__ack__free_unpacked (ack, NULL);
    free (bytes);
}

/*  Encodes 'env', decodes the bytes, encodes again: both encodings must be equal.  */
static void
s_round_trip (const cj_envelope_t *env)
{
    size_t len1, len2;
    uint8_t *one = cj_message_pack (&env->base, &len1);
    FUZZ_ASSERT (one);
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *again = cj_envelope_decode (one, len1, &p);
    FUZZ_ASSERT (again && !cj_problems_any (&p));
    uint8_t *two = cj_message_pack (&again->base, &len2);
    FUZZ_ASSERT (two);
    FUZZ_ASSERT (len1 == len2 && memcmp (one, two, len1) == 0);
    FUZZ_ASSERT (again->body_case == env->body_case);
    free (two);
    free (one);
    cj_envelope_free (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_init ();
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *env = cj_envelope_decode (data, size, &p);
    if (!env) {
        FUZZ_ASSERT (cj_problems_any (&p));
        fuzz_check_problems (&p);
        s_check_ack (NULL, &p);
        return 0;
    }
    FUZZ_ASSERT (!cj_problems_any (&p));
    int rc = cj_envelope_validate (env, &p);
    FUZZ_ASSERT ((rc != 0) == (cj_problems_any (&p) != 0));
    fuzz_check_problems (&p);
    (void) cj_body_name ((int) env->body_case);
    (void) cj_owner_name (cj_body_owner ((int) env->body_case));
    s_validate_body (env, &p);
    s_check_ack (env, &p);
    s_round_trip (env);
    cj_envelope_free (&env);
    return 0;
}
