/*  test_registry_commands.c - the registry's command handlers against the fixture's
 *  redis-server: every case of the bad-message catalogue is refused with its field and code
 *  and changes nothing; each command's event and stored state; pseudonyms and what is never
 *  stored; status history; the employment rules (one open employment per worker and
 *  workshop, overlaps, open dates, ENTERED_IN_ERROR); a batch seeing its own pending writes.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry.h"
#include "registry_test_ctx.h"
#include "registry_test_data.h"

#define ACCEPTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define REJECTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED

static reg_test_t *T;

static int
s_setup (void **state)
{
    (void) state;
    T = reg_test_new ();
    return T ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    reg_test_destroy (&T);
    return 0;
}

static Chejian__V1__AckStatus
s_send (int body_case, const void *body)
{
    cj_envelope_t env;
    reg_test_envelope (&env, body_case, body);
    return reg_test_command (T, &env);
}

/*  Sends and expects ACCEPTED, printing the problems otherwise.  */
static void
s_accept (int body_case, const void *body)
{
    if (s_send (body_case, body) != ACCEPTED) {
        char text[1024];
        cj_problems_format (reg_test_problems (T), text, sizeof text);
        fail_msg ("body %d refused: %s", body_case, text);
    }
}

static int
s_send_cb (void *arg, int body_case, const void *body)
{
    (void) arg;
    return s_send (body_case, body) == ACCEPTED ? 0 : -1;
}

static void
s_reject (int body_case, const void *body, const char *field, const char *code)
{
    assert_int_equal (s_send (body_case, body), REJECTED);
    if (!reg_test_has_problem (T, field, code)) {
        char text[1024];
        cj_problems_format (reg_test_problems (T), text, sizeof text);
        fail_msg ("expected %s %s, got: %s", field, code, text);
    }
    assert_int_equal (reg_test_nevents (T), 0);
}

static const cj_envelope_t *
s_event (size_t i, int body_case)
{
    const cj_envelope_t *ev = reg_test_event (T, i);
    assert_non_null (ev);
    assert_int_equal (ev->body_case, body_case);
    assert_string_equal (ev->source, "registry");
    assert_string_equal (ev->county, REG_TEST_COUNTY);
    return ev;
}

/*  True when 'needle' occurs in a reply or any of its elements.  */
static int
s_in_reply (const redisReply *r, const char *needle)
{
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return memmem (r->str, r->len, needle, strlen (needle)) != NULL;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (s_in_reply (r->element[i], needle))
            return 1;
    return 0;
}

/*  True when 'needle' occurs in any key name or value of Redis: hashes, sorted sets, sets,
 *  strings and the outbox streams (the events).  */
static int
s_stored_anywhere (const char *needle)
{
    cj_store_t *store = reg_test_store (T);
    redisReply *keys = cj_store_command (store, "KEYS *");
    assert_non_null (keys);
    int found = s_in_reply (keys, needle);
    for (size_t i = 0; !found && i < keys->elements; i++) {
        const char *key = keys->element[i]->str;
        redisReply *type = cj_store_command (store, "TYPE %s", key);
        const char *t = type->str;
        redisReply *v = strcmp (t, "hash") == 0 ? cj_store_command (store, "HGETALL %s", key)
                      : strcmp (t, "zset") == 0 ? cj_store_command (store, "ZRANGE %s 0 -1", key)
                      : strcmp (t, "set") == 0 ? cj_store_command (store, "SMEMBERS %s", key)
                      : strcmp (t, "stream") == 0 ? cj_store_command (store, "XRANGE %s - +", key)
                      : cj_store_command (store, "GET %s", key);
        found = v && s_in_reply (v, needle);
        freeReplyObject (type);
        if (v)
            freeReplyObject (v);
    }
    freeReplyObject (keys);
    return found;
}

static void
test_catalogue_refused_changes_nothing (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    assert_int_equal (reg_data_setup (&m, s_send_cb, NULL), 0);
    for (size_t i = 0; i < reg_data_ncases; i++) {
        const reg_data_case_t *c = &reg_data_cases[i];
        reg_data_msgs (&m);
        c->spoil (&m);
        char *before = reg_test_snapshot (T);
        print_message ("%s\n", c->name);
        s_reject (c->body_case, reg_data_body (&m, c->body_case), c->field, c->code);
        char *after = reg_test_snapshot (T);
        assert_non_null (before);
        assert_string_equal (before, after);
        free (before);
        free (after);
    }
}

static void
test_register_workshop_pseudonymises_operator (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W1");
    char id[19];
    reg_data_resident_id (id, 19700101, 9);
    w.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PERSON;
    w.op.name = "赵大勇";
    w.op.uscc = "";
    w.op.resident_id = id;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
    assert_int_equal (reg_test_nevents (T), 1);
    const cj_envelope_t *ev = s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED);
    const Chejian__V1__WorkshopRegistered *r = ev->workshop_registered;
    assert_string_equal (r->workshop_id, "W1");
    assert_int_equal (r->version, 1);
    assert_string_equal (r->details->operator_->resident_id, "");
    assert_int_equal (strlen (r->details->operator_->operator_key), 32);
    assert_memory_equal (r->details->operator_->resident_id_masked, "510822********", 14);
    assert_string_equal (r->details->operator_->resident_id_masked + 14, id + 14);
    assert_int_equal (r->details->role, CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP);
    assert_string_equal (r->details->name, "青坪茶叶扶贫车间");
    assert_false (s_stored_anywhere (id));
    assert_true (s_stored_anywhere ("赵大勇"));       /* operators' names are public */
}

static void
test_update_workshop_versions_and_changed_fields (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W1");
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
    w.details.name = "青坪茶叶扶贫车间 (二期)";
    w.details.closed_date = 20251231;
    w.update.expected_version = 1;
    w.update.effective_date = 20210101;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update);
    const Chejian__V1__WorkshopUpdated *u =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_UPDATED)->workshop_updated;
    assert_int_equal (u->version, 2);
    assert_int_equal (u->effective_date, 20210101);
    assert_int_equal (u->n_changed_fields, 2);
    assert_string_equal (u->changed_fields[0], "name");
    assert_string_equal (u->changed_fields[1], "closed_date");
    w.update.expected_version = 1;                     /* stale */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update,
              "update_workshop.expected_version", "CONFLICT");
    w.update.expected_version = 0;                     /* unconditional */
    w.update.effective_date = 0;                       /* the envelope's date */
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update);
    u = s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_UPDATED)->workshop_updated;
    assert_int_equal (u->version, 3);
    assert_int_equal (u->n_changed_fields, 0);
    assert_true (u->effective_date > 20260000);
}

static void
test_parent_links_refuse_cycles (void **state)
{
    (void) state;
    reg_data_workshop_t a, b, c;
    reg_data_workshop (&a, "PARK");
    a.details.role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HOST;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &a.cmd);
    reg_data_workshop (&b, "W1");
    b.details.parent_workshop_id = "PARK";
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &b.cmd);
    reg_data_workshop (&c, "W1-B");
    c.details.role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_BRANCH;
    c.details.parent_workshop_id = "W1";
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &c.cmd);
    a.details.parent_workshop_id = "W1-B";             /* PARK -> W1-B -> W1 -> PARK */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &a.update,
              "update_workshop.details.parent_workshop_id", "CONFLICT");
}

static void
test_register_worker_keeps_no_id_nor_name (void **state)
{
    (void) state;
    reg_data_worker_t w;
    reg_data_worker (&w, 1);
    w.cmd.name = "王秀英";
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &w.cmd);
    const Chejian__V1__WorkerRegistered *r =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED)->worker_registered;
    assert_int_equal (strlen (r->worker_key), 32);
    assert_memory_equal (r->resident_id_masked, "510822********", 14);
    assert_string_equal (r->resident_id_masked + 14, w.resident_id + 14);
    assert_int_equal (r->birth_period, 198503);
    assert_string_equal (r->details->household_id, "");
    assert_int_equal (strlen (r->details->household_key), 32);
    assert_int_equal (r->status->poverty_status, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR);
    assert_int_equal (r->status_date, 20160101);
    assert_false (s_stored_anywhere (w.resident_id));
    assert_false (s_stored_anywhere (w.household));
    assert_false (s_stored_anywhere ("王秀英"));
    /* the same person in the same county again */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &w.cmd, "register_worker.resident_id",
              "CONFLICT");
    /* an update replaces the details; the pseudonym stays */
    w.details.household_id = "";
    w.details.baseline_annual_income_fen = 0;
    w.details.baseline_year = 0;
    Chejian__V1__UpdateWorker u = CHEJIAN__V1__UPDATE_WORKER__INIT;
    u.resident_id = w.resident_id;
    u.details = &w.details;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKER, &u);
    const Chejian__V1__WorkerUpdated *up =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKER_UPDATED)->worker_updated;
    assert_string_equal (up->details->household_key, "");
}

static void
test_status_change_history (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &m.worker.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS, &m.change_status);
    const Chejian__V1__WorkerStatusChanged *c =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED)->worker_status_changed;
    assert_int_equal (c->status_before->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR);
    assert_int_equal (c->status_after->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT);
    assert_int_equal (c->change->effective_date, 20200701);
    /* a change dated before the latest one: the latest still decides status_after */
    m.change.effective_date = 20180101;
    m.change.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_MINIMUM_ALLOWANCE_HOUSEHOLD;
    m.change.minimum_allowance_household = 1;
    m.change.source_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_CIVIL_AFFAIRS;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS, &m.change_status);
    c = s_event (0, CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED)->worker_status_changed;
    assert_false (c->status_before->minimum_allowance_household);
    assert_true (c->status_after->minimum_allowance_household);
    assert_int_equal (c->status_after->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT);
}

static void
s_world (reg_data_msgs_t *m)
{
    reg_data_msgs (m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &m->workshop.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &m->worker.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &m->worker2.cmd);
}

static void
test_employment_life_cycle (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    const Chejian__V1__EmploymentStarted *st =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED)->employment_started;
    assert_string_equal (st->employment_id, "E1");
    assert_string_equal (st->workshop_id, "W1");
    assert_int_equal (strlen (st->worker_key), 32);
    assert_int_equal (st->terms->monthly_wage_fen, 300000);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_AMEND_EMPLOYMENT, &m.amend);
    const Chejian__V1__EmploymentAmended *am =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_AMENDED)->employment_amended;
    assert_int_equal (am->effective_date, 20200901);
    assert_int_equal (am->terms->monthly_wage_fen, 320000);
    m.amend.effective_date = 20200801;                 /* before the last amendment */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_AMEND_EMPLOYMENT, &m.amend,
              "amend_employment.effective_date", "CONFLICT");
    m.end.end_date = 20200831;                         /* before the last amendment */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end, "end_employment.end_date",
              "CONFLICT");
    m.end.end_date = 20210228;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end);
    const Chejian__V1__EmploymentEnded *en =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED)->employment_ended;
    assert_int_equal (en->start_date, 20200301);
    assert_int_equal (en->end_date, 20210228);
    assert_int_equal (en->months_served, 12);
    assert_int_equal (en->term_months, 12);
    assert_int_equal (en->contract_type, CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end, "end_employment.employment_id",
              "CONFLICT");
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_AMEND_EMPLOYMENT, &m.amend,
              "amend_employment.employment_id", "CONFLICT");
}

static void
test_months_served_of_the_contract_example (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    m.end.end_date = 20200831;                 /* 20200301..20200831 is 6 months */
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end);
    assert_int_equal (s_event (0, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED)
                          ->employment_ended->months_served, 6);
}

static void
test_rehire_and_overlap (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    m.end.end_date = 20201231;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end);
    reg_data_employment_t e2;
    reg_data_employment (&e2, "E2", 1, "W1", 20201201);        /* overlaps E1's last month */
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e2.cmd,
              "start_employment.terms.start_date", "CONFLICT");
    e2.terms.start_date = 20210101;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e2.cmd);
    /* the same worker in another workshop at the same time is allowed */
    reg_data_workshop_t w2;
    reg_data_workshop (&w2, "W2");
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w2.cmd);
    reg_data_employment_t e3;
    reg_data_employment (&e3, "E3", 1, "W2", 20210101);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e3.cmd);
}

static void
test_entered_in_error_blocks_nothing (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    m.end.end_date = 20200301;
    m.end.reason = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end);
    reg_data_employment_t e2;
    reg_data_employment (&e2, "E2", 1, "W1", 20200301);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e2.cmd);
}

static void
test_workshop_closes_after_its_employments (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    m.workshop.details.closed_date = 20201231;
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &m.workshop.update,
              "update_workshop.details.closed_date", "CONFLICT");
    m.end.end_date = 20201231;
    m.end.reason = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_WORKSHOP_CLOSED;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &m.end);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &m.workshop.update);
    reg_data_employment_t e2;
    reg_data_employment (&e2, "E2", 2, "W1", 20210104);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e2.cmd,
              "start_employment.terms.start_date", "CONFLICT");
}

static void
test_batch_sees_its_pending_writes (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    char *before = reg_test_snapshot (T);
    reg_test_begin (T);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &m.workshop.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &m.worker.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd);
    reg_data_employment_t e2;
    reg_data_employment (&e2, "E2", 1, "W1", 20200601);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e2.cmd,
              "start_employment.resident_id", "CONFLICT");
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &m.workshop.cmd,
              "register_workshop.workshop_id", "CONFLICT");
    char *pending = reg_test_snapshot (T);
    assert_string_equal (before, pending);             /* nothing reached Redis yet */
    assert_int_equal (reg_test_commit (T), 0);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &m.employment.cmd,
              "start_employment.employment_id", "CONFLICT");
    free (before);
    free (pending);
}

static void
test_holdings (void **state)
{
    (void) state;
    reg_data_msgs_t m;
    s_world (&m);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING, &m.holdings.cmd);
    const Chejian__V1__ShareholdingRecorded *s =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDING_RECORDED)->shareholding_recorded;
    assert_int_equal (s->version, 1);
    assert_int_equal (strlen (s->household_key), 32);
    assert_int_equal (strlen (s->worker_key), 32);
    m.holdings.cmd.funds_fen = 800000;                 /* a replacement */
    m.holdings.cmd.resident_id = "";
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING, &m.holdings.cmd);
    s = s_event (0, CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDING_RECORDED)->shareholding_recorded;
    assert_int_equal (s->version, 2);
    assert_int_equal (s->funds_fen, 800000);
    assert_string_equal (s->worker_key, "");
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, &m.holdings.training);
    const Chejian__V1__TrainingRecorded *t =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_TRAINING_RECORDED)->training_recorded;
    assert_int_equal (t->poverty_status, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, &m.holdings.training,
              "record_training.training_id", "CONFLICT");
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST, &m.holdings.post);
    const Chejian__V1__PostAssigned *p =
        s_event (0, CHEJIAN__V1__ENVELOPE__BODY_POST_ASSIGNED)->post_assigned;
    assert_int_equal (p->monthly_pay_fen, 50000);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_POST, &m.end_post);
    const Chejian__V1__PostEnded *pe = s_event (0, CHEJIAN__V1__ENVELOPE__BODY_POST_ENDED)->post_ended;
    assert_int_equal (pe->end_date, 20201231);
    assert_int_equal (pe->post_type, CHEJIAN__V1__POST_TYPE__POST_TYPE_RIVER_PATROL);
    s_reject (CHEJIAN__V1__ENVELOPE__BODY_END_POST, &m.end_post, "end_post.post_id", "CONFLICT");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_catalogue_refused_changes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_register_workshop_pseudonymises_operator, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_update_workshop_versions_and_changed_fields, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_parent_links_refuse_cycles, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_register_worker_keeps_no_id_nor_name, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_change_history, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_employment_life_cycle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_months_served_of_the_contract_example, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rehire_and_overlap, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_entered_in_error_blocks_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_workshop_closes_after_its_employments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_sees_its_pending_writes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_holdings, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("unit.registry_commands", tests, NULL, NULL);
}
