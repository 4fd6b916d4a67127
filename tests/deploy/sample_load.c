/*  sample_load.c - the committed sample county gives the bulletin's figures.
 *
 *  Starts the three services (test_system), sends every command of the sample county
 *  (tools/sample: the same commands deploy/sample/ holds) file by file straight to their
 *  ROUTERs, waits for the consumers between the registry's facts and the decisions, then
 *  asks GetRegistrySummary (2020-07-28), GetCountyIncomeSummary (2020) and
 *  GetAdjudicationSummary and compares every field of deploy/sample/expected.json.  */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chejian/client.h"
#include "chejian/json.h"
#include "sample_send.h"
#include "test_support.h"

/*  Asks 'owner''s query and compares its result with expected[key]. Returns 0 when equal.  */
static int
s_compare (cj_test_system_t *sys, const char *router, int body_case, void *query,
           json_t *expected, const char *key)
{
    cj_client_t *c = cj_client_new (NULL, router);
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    char id[64];
    snprintf (id, sizeof id, "sample-load-%s", key);
    env.event_id = id;
    env.source = "sample-load";
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = SAMPLE_COUNTY;
    env.body_case = body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    memcpy ((char *) &env + f->offset, &query, sizeof query);
    cj_ack_t *ack = NULL;
    if (c && cj_client_send (c, &env, 2000) == 0)
        ack = cj_client_recv (c, 10000);
    json_t *got = ack && ack->result_case ? cj_json_from_message (&ack->base, 0) : NULL;
    json_t *result = NULL;
    const char *name;
    json_t *value;
    json_object_foreach (got, name, value)
        if (strcmp (name, "eventId") && strcmp (name, "status") && json_is_object (value))
            result = value;
    int bad = 0;
    json_object_foreach (json_object_get (expected, key), name, value) {
        json_t *have = json_object_get (result, name);
        if (!json_equal (have, value)) {
            char *want_text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
            char *have_text = have ? json_dumps (have, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            fprintf (stderr, "FAIL %s.%s: expected %s, got %s\n", key, name, want_text,
                     have_text ? have_text : "(none)");
            free (want_text);
            free (have_text);
            bad++;
        }
    }
    printf ("%s %s (%zu fields)\n", bad || !result ? "FAIL" : "ok  ", key,
            json_object_size (json_object_get (expected, key)));
    json_decref (got);
    cj_ack_free (&ack);
    cj_client_destroy (&c);
    (void) sys;
    return bad || !result ? -1 : 0;
}

int
main (void)
{
    char err[256];
    cj_test_system_t sys;
    json_error_t jerr;
    json_t *expected = json_load_file (CJ_SAMPLE_DIR "/expected.json", 0, &jerr);
    sample_t *sample = sample_new (CJ_SAMPLE_POLICY, 0, err, sizeof err);
    if (!expected || !sample || !cj_test_redis_url ()) {
        fprintf (stderr, "FAIL: %s\n", !expected ? jerr.text : !sample ? err : "no redis fixture");
        return 1;
    }
    if (cj_test_system_init (&sys, "sample") != 0 || cj_test_system_start_all (&sys, false) != 0) {
        fprintf (stderr, "FAIL: the services did not start (logs under tests/integration/)\n");
        cj_test_system_fini (&sys);
        return 1;
    }
    int64_t t0 = cj_test_now_ms ();
    int sent = 0, total = 0, bad = 0;
    bad += sample_send (&sys, sample, SAMPLE_SETUP, SAMPLE_WAGES, NULL, NULL, &sent) != 0;
    total += sent;
    int64_t t1 = cj_test_now_ms ();
    bad += sample_settle (&sys, 60000) != 0;
    bad += sample_send (&sys, sample, SAMPLE_STAKES, SAMPLE_DECISIONS, NULL, NULL, &sent) != 0;
    total += sent;
    bad += sample_settle (&sys, 60000) != 0;
    printf ("sent %d commands: setup + CSV files in %.1f s, all settled after %.1f s\n", total,
            (double) (t1 - t0) / 1000, (double) (cj_test_now_ms () - t0) / 1000);

    Chejian__V1__GetRegistrySummary rq = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    rq.as_of_date = SAMPLE_BULLETIN_DATE;
    rq.year = 2020;
    Chejian__V1__GetCountyIncomeSummary iq = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    iq.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR;
    iq.year = 2020;
    Chejian__V1__GetAdjudicationSummary aq = CHEJIAN__V1__GET_ADJUDICATION_SUMMARY__INIT;
    bad += s_compare (&sys, sys.reg.router, CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY, &rq,
                      expected, "registrySummary") != 0;
    bad += s_compare (&sys, sys.pay.router, CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY,
                      &iq, expected, "countyIncomeSummary") != 0;
    bad += s_compare (&sys, sys.adj.router, CHEJIAN__V1__ENVELOPE__BODY_GET_ADJUDICATION_SUMMARY,
                      &aq, expected, "adjudicationSummary") != 0;
    cj_test_system_fini (&sys);
    sample_destroy (&sample);
    json_decref (expected);
    printf ("%s\n", bad ? "FAILED" : "the sample county shows the bulletin's figures");
    return bad ? 1 : 0;
}
