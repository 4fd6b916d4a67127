/*  fuzz_policy.c - a policy file (deploy/policy/NAME.json: the proto3 JSON of a PublishPolicy
 *  body) through the adjudicator's policy code (services/adjudicator/adj_policy.c,
 *  adj_check.c).
 *
 *  Exercises: the policy loader (cj_json_loads of a PublishPolicy, as the sample generator and
 *  the tests read the shipped files), the adjudicator's PublishPolicy validator from its
 *  handler table on an envelope for county 510822 (jurisdiction check included),
 *  adj_check_policy without a county, the same validation after the envelope went through
 *  the wire encoding and the decoder's limits, and for a policy that passes: adj_policy_rule
 *  for each rule kind and the citation of every rule's parameters in a decision record
 *  (adj_drec_new, adj_cite_params, in an arena, as decisions cite them), packed and unpacked.
 *
 *  Asserts: no crash, leak or undefined behaviour; text that does not load reports a
 *  problem; validation reports problems with stable codes and finds the same number after
 *  the wire round trip; a valid policy has one rule per kind, found by adj_policy_rule; the
 *  decision record citing it packs and unpacks, each parameter with a name and a value.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator.h"
#include "adjudicator_internal.h"
#include "chejian/arena.h"
#include "chejian/json.h"
#include "chejian/log.h"
#include "fuzz.h"

static const cj_handler_t *s_handler;

static void
s_init (void)
{
    if (s_handler)
        return;
    cj_log_init ("fuzz", (cj_log_level_t) (CJ_LOG_ERROR + 1));
    s_handler = adjudicator_handler (CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY);
    FUZZ_ASSERT (s_handler && s_handler->validate);
}

/*  The problems the service finds in 'env': header and body.  */
static size_t
s_validate (const cj_envelope_t *env)
{
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_validate (env, &p);
    int rc = s_handler->validate (env, &p);
    FUZZ_ASSERT ((rc != 0) == (cj_problems_any (&p) != 0));
    fuzz_check_problems (&p);
    return p.count + p.dropped;
}

/*  What a decision cites of each rule of the valid 'policy'.  */
static void
s_cite (adj_policy_t *policy)
{
    cj_arena_t *arena = cj_arena_new ();
    FUZZ_ASSERT (arena);
    cj_problems_t p;
    cj_problems_init (&p);
    adj_call_t c = { .arena = arena, .p = &p, .county = "510822",
                     .today = policy->effective_from_date };
    adj_prec_t rec = CHEJIAN__ADJ__POLICY_RECORD__INIT;
    rec.policy = policy;
    for (size_t i = 0; i < policy->n_rules; i++) {
        const Chejian__V1__RuleParams *rule = policy->rules[i];
        FUZZ_ASSERT (adj_policy_rule (policy, (int) rule->params_case) == rule);
        adj_drec_t *r = adj_drec_new (&c, (int) rule->params_case, policy->effective_from_date,
                                      &rec);
        FUZZ_ASSERT (r);
        adj_cite_params (&c, r, rule);
        for (size_t j = 0; j < r->decision->n_params; j++)
            FUZZ_ASSERT (r->decision->params[j]->name && r->decision->params[j]->value);
        size_t len;
        uint8_t *bytes = cj_message_pack (&r->base, &len);
        FUZZ_ASSERT (bytes);
        adj_drec_t *back = chejian__adj__decision_record__unpack (NULL, len, bytes);
        FUZZ_ASSERT (back && back->decision->n_params == r->decision->n_params);
        chejian__adj__decision_record__free_unpacked (back, NULL);
        free (bytes);
    }
    cj_arena_destroy (&arena);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_init ();
    cj_problems_t p;
    cj_problems_init (&p);
    Chejian__V1__PublishPolicy *body = (Chejian__V1__PublishPolicy *) cj_json_loads (
        &chejian__v1__publish_policy__descriptor, (const char *) data, size, 0, &p);
    fuzz_check_problems (&p);
    if (!body) {
        FUZZ_ASSERT (cj_problems_any (&p));
        return 0;
    }
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "fuzz-policy-1";
    env.source = "hrss-510822";
    env.occurred_at = 1593565200000LL;
    env.county = "510822";
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY;
    env.publish_policy = body;
    size_t found = s_validate (&env);

    cj_problems_init (&p);
    int rc = adj_check_policy (&p, body->policy, NULL);
    FUZZ_ASSERT ((rc != 0) == (cj_problems_any (&p) != 0));
    fuzz_check_problems (&p);
    if (found == 0)
        FUZZ_ASSERT (rc == 0);

    size_t len;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    FUZZ_ASSERT (bytes);
    cj_problems_init (&p);
    cj_envelope_t *decoded = cj_envelope_decode (bytes, len, &p);
    if (decoded)
        FUZZ_ASSERT (s_validate (decoded) == found);
    else
        FUZZ_ASSERT (cj_problems_any (&p));   /* over the wire limits */
    cj_envelope_free (&decoded);
    free (bytes);

    if (found == 0)
        s_cite (body->policy);
    protobuf_c_message_free_unpacked (&body->base, NULL);
    return 0;
}
