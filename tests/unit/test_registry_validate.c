/*  test_registry_validate.c - the registry's validators, without state: every valid message
 *  passes; every validation case of the shared catalogue (registry_test_data.c) gives its
 *  field and code; every problem of a message is reported at once; operator kinds, partners,
 *  locations, terms and the query validators.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "registry.h"
#include "registry_test_ctx.h"
#include "registry_test_data.h"

static cj_problems_t s_problems;

/*  Validates 'body' as 'body_case'; returns the validator's result.  */
static int
s_validate (int body_case, const void *body)
{
    cj_envelope_t env;
    reg_test_envelope (&env, body_case, body);
    cj_problems_init (&s_problems);
    const cj_handler_t *h = registry_handler (body_case);
    assert_non_null (h);
    return h->validate (&env, &s_problems);
}

static int
s_has (const char *field, const char *code)
{
    for (size_t i = 0; i < s_problems.count; i++)
        if (strcmp (s_problems.items[i].field, field) == 0
            && strcmp (s_problems.items[i].code, code) == 0)
            return 1;
    return 0;
}

static void
s_expect (int body_case, const void *body, const char *field, const char *code)
{
    assert_int_equal (s_validate (body_case, body), -1);
    if (!s_has (field, code)) {
        char text[1024];
        cj_problems_format (&s_problems, text, sizeof text);
        fail_msg ("expected %s %s, got: %s", field, code, text);
    }
}

static void
test_valid_messages_pass (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    for (int body = 100; body <= 111; body++) {
        if (s_validate (body, reg_data_body (&m, body)) != 0) {
            char text[1024];
            cj_problems_format (&s_problems, text, sizeof text);
            fail_msg ("body %d: %s", body, text);
        }
    }
}

static void
test_catalogue_validation_cases (void **state)
{
    (void) state;
    size_t checked = 0;
    for (size_t i = 0; i < reg_data_ncases; i++) {
        const reg_data_case_t *c = &reg_data_cases[i];
        if (c->needs_state)
            continue;
        reg_data_msgs_t m;
        reg_data_msgs (&m);
        c->spoil (&m);
        print_message ("%s\n", c->name);
        s_expect (c->body_case, reg_data_body (&m, c->body_case), c->field, c->code);
        checked++;
    }
    assert_true (checked >= 50);
}

static void
test_every_problem_at_once (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "");
    w.details.name = "";
    w.details.type = 42;
    w.details.opened_date = 20190229;
    w.fund.amount_fen = -5;
    w.op.uscc = "";
    w.location.township_name = "";
    assert_int_equal (s_validate (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd), -1);
    assert_int_equal (s_problems.count, 7);
    assert_true (s_has ("register_workshop.workshop_id", "REQUIRED"));
    assert_true (s_has ("register_workshop.details.name", "REQUIRED"));
    assert_true (s_has ("register_workshop.details.type", "UNKNOWN_ENUM"));
    assert_true (s_has ("register_workshop.details.opened_date", "INVALID_DATE"));
    assert_true (s_has ("register_workshop.details.funds[0].amount_fen", "OUT_OF_RANGE"));
    assert_true (s_has ("register_workshop.details.operator.uscc", "REQUIRED"));
    assert_true (s_has ("register_workshop.details.location.township_name", "REQUIRED"));
}

static void
test_operator_kinds (void **state)
{
    (void) state;
    const int body = CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP;
    reg_data_workshop_t w;
    char id1[19], id2[19];
    reg_data_resident_id (id1, 19700101, 1);
    reg_data_resident_id (id2, 19720202, 2);
    reg_data_workshop (&w, "W1");                  /* a person: resident ID, no USCC */
    w.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PERSON;
    w.op.resident_id = id1;
    w.op.registered_poor = 1;
    s_expect (body, &w.cmd, "register_workshop.details.operator.uscc", "INVALID_FORMAT");
    w.op.uscc = "";
    assert_int_equal (s_validate (body, &w.cmd), 0);
    reg_data_workshop (&w, "W1");                  /* an enterprise: USCC, no resident ID */
    w.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_ENTERPRISE;
    w.op.resident_id = id1;
    w.op.registered_poor = 1;
    s_expect (body, &w.cmd, "register_workshop.details.operator.resident_id", "INVALID_FORMAT");
    assert_true (s_has ("register_workshop.details.operator.registered_poor", "INVALID_FORMAT"));
    reg_data_workshop (&w, "W1");                  /* a partnership of two */
    w.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PARTNERSHIP;
    w.op.uscc = "";
    for (int i = 0; i < 2; i++) {
        chejian__v1__partner__init (&w.partner[i]);
        w.partner[i].name = i ? "李四" : "张三";
        w.partner[i].resident_id = i ? id2 : id1;
        w.partner[i].share_bp = 5000;
        w.partners[i] = &w.partner[i];
    }
    w.op.n_partners = 2;
    w.op.partners = w.partners;
    assert_int_equal (s_validate (body, &w.cmd), 0);
    w.partner[1].share_bp = 5001;
    s_expect (body, &w.cmd, "register_workshop.details.operator.partners", "OUT_OF_RANGE");
    w.partner[1].share_bp = 5000;
    w.partner[1].resident_id = id1;
    s_expect (body, &w.cmd, "register_workshop.details.operator.partners[1].resident_id",
              "INVALID_FORMAT");
    w.partner[1].resident_id = id2;
    w.partner[0].partner_key = "abc";
    s_expect (body, &w.cmd, "register_workshop.details.operator.partners[0].partner_key",
              "INVALID_FORMAT");
}

static void
test_partners_bounded (void **state)
{
    (void) state;
    static Chejian__V1__Partner partner[51];
    static Chejian__V1__Partner *partners[51];
    static char ids[51][19];
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W1");
    w.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PARTNERSHIP;
    for (int i = 0; i < 51; i++) {
        chejian__v1__partner__init (&partner[i]);
        reg_data_resident_id (ids[i], 19700101, i);
        partner[i].name = "合伙人";
        partner[i].resident_id = ids[i];
        partners[i] = &partner[i];
    }
    w.op.n_partners = 51;
    w.op.partners = partners;
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd,
              "register_workshop.details.operator.partners", "TOO_MANY");
}

static void
test_location_codes (void **state)
{
    (void) state;
    const int body = CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W1");
    w.location.village_code = "510822104201";
    assert_int_equal (s_validate (body, &w.cmd), 0);
    w.location.village_code = "510822105201";      /* not in its township */
    s_expect (body, &w.cmd, "register_workshop.details.location.village_code", "INVALID_FORMAT");
    w.location.village_code = "51082210420";       /* 11 digits */
    s_expect (body, &w.cmd, "register_workshop.details.location.village_code", "INVALID_FORMAT");
    w.location.village_code = "";
    w.location.township_code = "";
    w.location.address = "";
    w.details.location = NULL;
    s_expect (body, &w.cmd, "register_workshop.details.location", "REQUIRED");
}

static void
test_terms (void **state)
{
    (void) state;
    const int body = CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT;
    reg_data_employment_t e;
    reg_data_employment (&e, "E1", 1, "W1", 20200301);
    e.terms.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE;     /* wage left set */
    s_expect (body, &e.cmd, "start_employment.terms.unit_rate_millifen", "OUT_OF_RANGE");
    assert_true (s_has ("start_employment.terms.monthly_wage_fen", "OUT_OF_RANGE"));
    e.terms.monthly_wage_fen = 0;
    e.terms.unit_rate_millifen = 35000;
    e.terms.work_mode = CHEJIAN__V1__WORK_MODE__WORK_MODE_HOME_BASED;
    assert_int_equal (s_validate (body, &e.cmd), 0);
    e.terms.work_mode = 0;
    s_expect (body, &e.cmd, "start_employment.terms.work_mode", "REQUIRED");
    e.cmd.terms = NULL;
    s_expect (body, &e.cmd, "start_employment.terms", "REQUIRED");
    reg_data_employment (&e, "E 1", 1, "W1", 20200301);
    s_expect (body, &e.cmd, "start_employment.employment_id", "INVALID_FORMAT");
}

static void
test_status_changes (void **state)
{
    (void) state;
    const int body = CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS;
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    m.change.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_DISABILITY;
    m.change.disability = &m.disability;
    m.disability.certified = 1;
    s_expect (body, &m.change_status, "change_worker_status.change.disability.grade",
              "OUT_OF_RANGE");
    assert_true (s_has ("change_worker_status.change.disability.category", "REQUIRED"));
    m.disability.grade = 2;
    m.disability.category = CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_HEARING;
    assert_int_equal (s_validate (body, &m.change_status), 0);
    m.disability.certified = 0;                   /* withdrawn: no grade nor category */
    s_expect (body, &m.change_status, "change_worker_status.change.disability.grade",
              "INVALID_FORMAT");
    m.change.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_RELOCATED_HOUSEHOLD;
    m.change.relocated_household = 0;             /* false is a value, not a missing one */
    assert_int_equal (s_validate (body, &m.change_status), 0);
    m.change.source_agency = 13;
    s_expect (body, &m.change_status, "change_worker_status.change.source_agency",
              "UNKNOWN_ENUM");
}

static void
test_query_validators (void **state)
{
    (void) state;
    Chejian__V1__ListWorkshops lw = CHEJIAN__V1__LIST_WORKSHOPS__INIT;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 501;
    lw.page = &page;
    lw.status = 7;
    lw.township_code = "500236104";
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_LIST_WORKSHOPS, &lw, "list_workshops.page.page_size",
              "OUT_OF_RANGE");
    assert_true (s_has ("list_workshops.status", "UNKNOWN_ENUM"));
    assert_true (s_has ("list_workshops.township_code", "INVALID_FORMAT"));
    Chejian__V1__ListEmployments le = CHEJIAN__V1__LIST_EMPLOYMENTS__INIT;
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_LIST_EMPLOYMENTS, &le, "list_employments.subject",
              "REQUIRED");
    le.subject_case = CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_RESIDENT_ID;
    le.resident_id = "";
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_LIST_EMPLOYMENTS, &le, "list_employments.resident_id",
              "REQUIRED");
    Chejian__V1__ListTrainings lt = CHEJIAN__V1__LIST_TRAININGS__INIT;
    lt.from_date = 20200101;
    lt.to_date = 20191231;
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_LIST_TRAININGS, &lt, "list_trainings.to_date",
              "OUT_OF_RANGE");
    Chejian__V1__GetRegistrySummary gs = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    gs.as_of_date = 20200230;
    gs.year = 1899;
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY, &gs,
              "get_registry_summary.as_of_date", "INVALID_DATE");
    assert_true (s_has ("get_registry_summary.year", "OUT_OF_RANGE"));
    Chejian__V1__GetWorker gw = CHEJIAN__V1__GET_WORKER__INIT;
    s_expect (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER, &gw, "get_worker.resident_id", "REQUIRED");
}

static void
test_every_body_has_a_row (void **state)
{
    (void) state;
    for (int body = 100; body <= 111; body++)
        assert_non_null (registry_handler (body)->apply);
    for (int body = 200; body <= 207; body++)
        assert_non_null (registry_handler (body)->query);
    assert_null (registry_handler (CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE));
    assert_null (registry_handler (CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_body_has_a_row),
        cmocka_unit_test (test_valid_messages_pass),
        cmocka_unit_test (test_catalogue_validation_cases),
        cmocka_unit_test (test_every_problem_at_once),
        cmocka_unit_test (test_operator_kinds),
        cmocka_unit_test (test_partners_bounded),
        cmocka_unit_test (test_location_codes),
        cmocka_unit_test (test_terms),
        cmocka_unit_test (test_status_changes),
        cmocka_unit_test (test_query_validators),
    };
    return cmocka_run_group_tests_name ("unit.registry_validate", tests, NULL, NULL);
}
