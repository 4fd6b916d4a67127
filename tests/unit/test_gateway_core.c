/*  test_gateway_core.c - chejian-gateway's parts without sockets: the agencies file (groups,
 *  single bodies, jurisdictions, what is refused and how the error reads), the permission
 *  check, and the pending table (limits, deadlines in tag order, tags that skip a slot still
 *  taken, routes kept).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway.h"

#define B(x) CHEJIAN__V1__ENVELOPE__BODY_##x

static const char *const s_key1 = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
static const char *const s_key2 = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

static char s_path[64];
static char s_err[512];

/*  Writes 'json' (a printf format; %1$s and %2$s are the two keys) to a temp file and loads
 *  it.  */
static gw_agencies_t *
s_load (const char *json)
{
    snprintf (s_path, sizeof s_path, "/tmp/gw-agenciesXXXXXX");
    int fd = mkstemp (s_path);
    assert_true (fd >= 0);
    FILE *f = fdopen (fd, "w");
    assert_non_null (f);
    fprintf (f, json, s_key1, s_key2);
    fclose (f);
    s_err[0] = 0;
    gw_agencies_t *agencies = gw_agencies_load (s_path, s_err, sizeof s_err);
    unlink (s_path);
    return agencies;
}

static gw_agency_t *
s_one (gw_agencies_t *agencies, const char *id)
{
    assert_non_null (agencies);
    gw_agency_t *agency = gw_agencies_by_id (agencies, id);
    assert_non_null (agency);
    return agency;
}

static void
test_groups_and_names (void **state)
{
    (void) state;
    gw_agencies_t *a = s_load (
        "{\"agencies\": ["
        "{\"id\": \"hrss\", \"public_key\": \"%1$s\", \"counties\": [\"510822\"],"
        " \"may_send\": [\"registry.commands\", \"adjudication_fetch_events\"]},"
        "{\"id\": \"audit\", \"public_key\": \"%2$s\", \"counties\": [\"*\"],"
        " \"may_send\": [\"*.queries\"], \"comment\": \"read only\"}]}");
    assert_non_null (a);
    assert_int_equal (gw_agencies_count (a), 2);
    gw_agency_t *hrss = s_one (a, "hrss"), *audit = s_one (a, "audit");
    assert_true (gw_agency_may_send (hrss, B (REGISTER_WORKSHOP)));
    assert_true (gw_agency_may_send (hrss, B (END_POST)));
    assert_true (gw_agency_may_send (hrss, B (ADJUDICATION_FETCH_EVENTS)));
    assert_false (gw_agency_may_send (hrss, B (GET_WORKSHOP)));
    assert_false (gw_agency_may_send (hrss, B (REGISTRY_FETCH_EVENTS)));
    assert_false (gw_agency_may_send (hrss, B (BUS_PROBE)));          /* in the command range */
    assert_false (gw_agency_may_send (hrss, B (TOP_UP_FUND)));
    assert_true (gw_agency_may_send (audit, B (GET_WORKSHOP)));
    assert_true (gw_agency_may_send (audit, B (PAYROLL_STATUS)));
    assert_true (gw_agency_may_send (audit, B (LIST_PAYMENTS)));
    assert_false (gw_agency_may_send (audit, B (REGISTER_WORKSHOP)));
    assert_false (gw_agency_may_send (audit, B (WORKSHOP_REGISTERED)));
    assert_false (gw_agency_may_send (audit, 0));
    uint8_t key[32];
    memcpy (key, hrss->key, 32);
    assert_ptr_equal (gw_agencies_by_key (a, key), hrss);
    key[0] ^= 1;
    assert_null (gw_agencies_by_key (a, key));
    assert_null (gw_agencies_by_id (a, "nobody"));
    gw_agencies_destroy (&a);
    gw_agencies_destroy (&a);
    assert_null (a);
}

static void
test_star_never_allows_events (void **state)
{
    (void) state;
    gw_agencies_t *a = s_load ("{\"agencies\": [{\"id\": \"admin\", \"public_key\": \"%1$s\","
                               " \"counties\": [\"*\"], \"may_send\": [\"*\"]}]}");
    gw_agency_t *admin = s_one (a, "admin");
    for (int body = 100; body < GW_BODY_MAX; body++) {
        cj_kind_t kind = cj_body_kind (body);
        bool exists = strcmp (cj_body_name (body), "none") != 0;
        bool expected = exists && (kind == CJ_KIND_COMMAND || kind == CJ_KIND_QUERY)
                        && body != B (BUS_PROBE);
        if (gw_agency_may_send (admin, body) != expected)
            fail_msg ("body %d (%s): may_send is %d", body, cj_body_name (body), !expected);
    }
    gw_agencies_destroy (&a);
}

static void
s_permit (gw_agency_t *agency, const char *source, const char *county, int body,
          cj_problems_t *problems)
{
    Chejian__V1__GetWorkshop any = CHEJIAN__V1__GET_WORKSHOP__INIT;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.source = (char *) source;
    env.county = (char *) county;
    env.body_case = body;
    env.get_workshop = &any;        /* the check reads the body's number only */
    cj_problems_init (problems);
    gw_agency_permit (agency, &env, problems);
}

static void
test_permit (void **state)
{
    (void) state;
    gw_agencies_t *a = s_load ("{\"agencies\": [{\"id\": \"city\", \"public_key\": \"%1$s\","
                               " \"counties\": [\"5108\", \"510902\"],"
                               " \"may_send\": [\"registry.queries\"]}]}");
    gw_agency_t *city = s_one (a, "city");
    cj_problems_t p;
    s_permit (city, "city", "510822", B (GET_WORKSHOP), &p);
    assert_int_equal (p.count, 0);
    s_permit (city, "city", "510902", B (GET_WORKSHOP), &p);
    assert_int_equal (p.count, 0);
    s_permit (city, "city", "510903", B (GET_WORKSHOP), &p);
    assert_int_equal (p.count, 1);
    assert_true (cj_problems_has (&p, "county", CJ_E_PERMISSION_DENIED));
    s_permit (city, "town", "510822", B (GET_WORKSHOP), &p);
    assert_int_equal (p.count, 1);
    assert_true (cj_problems_has (&p, "source", CJ_E_PERMISSION_DENIED));
    s_permit (city, "town", "110101", B (UPDATE_WORKSHOP), &p);     /* all three at once */
    assert_int_equal (p.count, 3);
    assert_true (cj_problems_has (&p, "body", CJ_E_PERMISSION_DENIED));
    gw_agencies_destroy (&a);
}

/*  Each bad file is refused with a message naming the entry; keys never appear in it.  */
static void
test_bad_files (void **state)
{
    (void) state;
    static const struct { const char *json, *expected; } cases[] = {
        { "[]", "{\"agencies\": [...]}" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\"", "not valid JSON" },
        { "{\"agencies\": [{\"id\": \"A\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\"]}]}", "agencies[0].id" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"short\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\"]}]}", "agencies[0].public_key" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"510800\"],"
          " \"may_send\": [\"*\"]}]}", "agencies[0].counties[0]" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [],"
          " \"may_send\": [\"*\"]}]}", "agencies[0].counties" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\", \"decision_made\"]}]}", "agencies[0].may_send[1]" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*.commands\"]}]}", "agencies[0].may_send[0]" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\"], \"maysend\": []}]}", "unknown member 'maysend'" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\"]}, {\"id\": \"a\", \"public_key\": \"%2$s\", \"counties\":"
          " [\"*\"], \"may_send\": [\"*\"]}]}", "'a' is listed twice" },
        { "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", \"counties\": [\"*\"],"
          " \"may_send\": [\"*\"]}, {\"id\": \"b\", \"public_key\": \"%1$s\", \"counties\":"
          " [\"*\"], \"may_send\": [\"*\"]}]}", "the same public_key" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_agencies_t *a = s_load (cases[i].json);
        if (a || !strstr (s_err, cases[i].expected) || !strstr (s_err, "/tmp/gw-agencies")
            || strstr (s_err, s_key1) || strstr (s_err, s_key2))
            fail_msg ("case %zu: loaded %d, message '%s'", i, a != NULL, s_err);
    }
    assert_null (gw_agencies_load ("/nonexistent/agencies.json", s_err, sizeof s_err));
    assert_non_null (strstr (s_err, "/nonexistent/agencies.json"));
}

static void
test_carry_in_flight (void **state)
{
    (void) state;
    const char *json = "{\"agencies\": [{\"id\": \"a\", \"public_key\": \"%1$s\", "
                       "\"counties\": [\"*\"], \"may_send\": [\"*\"]}, {\"id\": \"b\", "
                       "\"public_key\": \"%2$s\", \"counties\": [\"*\"], \"may_send\": [\"*\"]}]}";
    gw_agencies_t *old = s_load (json), *fresh = s_load (json);
    s_one (old, "a")->in_flight = 7;
    gw_agencies_carry (fresh, old);
    assert_int_equal (s_one (fresh, "a")->in_flight, 7);
    assert_int_equal (s_one (fresh, "b")->in_flight, 0);
    gw_agencies_destroy (&old);
    gw_agencies_destroy (&fresh);
}

/*  ---- pending ----  */

static void
test_pending_limit_and_deadlines (void **state)
{
    (void) state;
    gw_pending_t *p = gw_pending_new (3);
    assert_non_null (p);
    assert_int_equal (gw_pending_next_deadline (p), -1);
    gw_request_t *r1 = gw_pending_add (p, 100), *r2 = gw_pending_add (p, 200);
    gw_request_t *r3 = gw_pending_add (p, 300);
    assert_true (r1 && r2 && r3);
    assert_null (gw_pending_add (p, 400));                   /* the limit */
    uint64_t t1 = r1->tag, t2 = r2->tag, t3 = r3->tag;
    assert_true (t1 < t2 && t2 < t3);
    assert_ptr_equal (gw_pending_find (p, t2), r2);
    assert_null (gw_pending_find (p, 0));
    assert_null (gw_pending_expired (p, 99));
    assert_ptr_equal (gw_pending_expired (p, 100), r1);
    gw_pending_remove (p, r2);                               /* answered in time */
    assert_null (gw_pending_find (p, t2));
    gw_pending_remove (p, r1);
    assert_int_equal (gw_pending_next_deadline (p), 300);
    assert_null (gw_pending_expired (p, 299));
    assert_ptr_equal (gw_pending_expired (p, 1000), gw_pending_find (p, t3));
    gw_pending_remove (p, gw_pending_find (p, t3));
    assert_int_equal (gw_pending_count (p), 0);
    assert_null (gw_pending_expired (p, 1000));
    gw_pending_destroy (&p);
    gw_pending_destroy (&p);
}

/*  One request stays while thousands come and go: its slot is skipped, its tag still
 *  finds it, and no later tag finds it.  */
static void
test_pending_skips_taken_slots (void **state)
{
    (void) state;
    gw_pending_t *p = gw_pending_new (2);                    /* 4 slots */
    gw_request_t *held = gw_pending_add (p, 1);
    uint64_t held_tag = held->tag;
    for (int i = 0; i < 5000; i++) {
        gw_request_t *r = gw_pending_add (p, 2 + i);
        assert_non_null (r);
        assert_true (r != held && r->tag != held_tag);
        assert_ptr_equal (gw_pending_find (p, r->tag), r);
        gw_pending_remove (p, r);
    }
    assert_ptr_equal (gw_pending_find (p, held_tag), held);
    assert_int_equal (held->deadline_ms, 1);
    assert_int_equal (gw_pending_count (p), 1);
    gw_pending_destroy (&p);
}

static void
test_route_kept (void **state)
{
    (void) state;
    gw_pending_t *p = gw_pending_new (1);
    gw_request_t *r = gw_pending_add (p, 1);
    cj_route_t in = { 0 }, out;
    in.nframes = 2;
    in.len[0] = 5;
    memcpy (in.frame[0], "\0abcd", 5);
    in.len[1] = 0;                                           /* a REQ peer's delimiter */
    assert_int_equal (gw_request_set_route (r, &in), 0);
    gw_request_route (r, &out);
    assert_int_equal (out.nframes, 2);
    assert_int_equal (out.len[0], 5);
    assert_memory_equal (out.frame[0], "\0abcd", 5);
    assert_int_equal (out.len[1], 0);
    gw_pending_destroy (&p);                                 /* frees the route too */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_groups_and_names),
        cmocka_unit_test (test_star_never_allows_events),
        cmocka_unit_test (test_permit),
        cmocka_unit_test (test_bad_files),
        cmocka_unit_test (test_carry_in_flight),
        cmocka_unit_test (test_pending_limit_and_deadlines),
        cmocka_unit_test (test_pending_skips_taken_slots),
        cmocka_unit_test (test_route_kept),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
