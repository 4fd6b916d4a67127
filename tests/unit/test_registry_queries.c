/*  test_registry_queries.c - the registry's queries against the fixture's redis-server, over
 *  a small county: a host park, workshops of three types (one branch, one closed, one
 *  planned), five workers of every poverty status, employments open, ended, home-based and
 *  entered in error, stakes, trainings and posts. Headcounts on dates, a status revoked back
 *  in time, filters, ordering and paging, the bulletin summary, NOT_FOUND.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "registry.h"
#include "registry_test_ctx.h"
#include "registry_test_data.h"

#define ACCEPTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
#define REJECTED CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
#define POOR     CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR

static reg_test_t *T;

static void
s_accept (int body_case, const void *body)
{
    cj_envelope_t env;
    reg_test_envelope (&env, body_case, body);
    if (reg_test_command (T, &env) != ACCEPTED) {
        char text[1024];
        cj_problems_format (reg_test_problems (T), text, sizeof text);
        fail_msg ("body %d refused: %s", body_case, text);
    }
}

static const cj_ack_t *
s_query (int body_case, const void *body)
{
    cj_envelope_t env;
    reg_test_envelope (&env, body_case, body);
    return reg_test_query (T, &env);
}

/*  Appends 'id' to the space-separated list in 'buf'.  */
static void
s_join (char *buf, size_t size, const char *id)
{
    size_t len = strlen (buf);
    snprintf (buf + len, size - len, "%s%s", len ? " " : "", id);
}

/*  ---- the county ----  */

static void
s_workshop (const char *id, int type, int role, const char *parent, const char *township,
            int32_t opened, int32_t closed)
{
    reg_data_workshop_t w;
    reg_data_workshop (&w, id);
    w.details.type = type;
    w.details.role = role;
    w.details.parent_workshop_id = (char *) parent;
    w.location.township_code = (char *) township;
    w.details.opened_date = opened;
    w.details.closed_date = closed;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, &w.cmd);
}

static void
s_worker (int n, int poverty, int disabled, int allowance, int relocated)
{
    reg_data_worker_t w;
    reg_data_worker (&w, n);
    w.status.poverty_status = poverty;
    w.disability.certified = disabled;
    w.disability.grade = disabled ? 2 : 0;
    w.disability.category = disabled ? CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_PHYSICAL
                                     : 0;
    w.status.minimum_allowance_household = allowance;
    w.status.relocated_household = relocated;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &w.cmd);
}

static void
s_change_poverty (int n, int poverty, int32_t effective)
{
    reg_data_msgs_t m;
    reg_data_msgs (&m);
    char id[19];
    reg_data_resident_id (id, 19850312, n);
    m.change_status.resident_id = id;
    m.change.poverty_status = poverty;
    m.change.effective_date = effective;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS, &m.change_status);
}

static void
s_employment (const char *id, int n, const char *workshop, int32_t start, int home,
              int32_t end, int reason)
{
    reg_data_employment_t e;
    reg_data_employment (&e, id, n, workshop, start);
    if (home) {
        e.terms.work_mode = CHEJIAN__V1__WORK_MODE__WORK_MODE_HOME_BASED;
        e.terms.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE;
        e.terms.monthly_wage_fen = 0;
        e.terms.unit_rate_millifen = 35000;
    }
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, &e.cmd);
    if (!end)
        return;
    Chejian__V1__EndEmployment ee = CHEJIAN__V1__END_EMPLOYMENT__INIT;
    ee.employment_id = (char *) id;
    ee.end_date = end;
    ee.reason = reason;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT, &ee);
}

static void
s_holdings (void)
{
    reg_data_holdings_t h;
    reg_data_holdings (&h, 1, "W1");
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING, &h.cmd);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, &h.training);
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST, &h.post);
    h.cmd.shareholding_id = "S2";
    h.cmd.household_id = "H-0003";
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING, &h.cmd);
    reg_data_holdings (&h, 2, "");
    h.training.training_id = "T2";
    h.training.start_date = 20200310;
    h.training.end_date = 20200315;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, &h.training);
    h.post.post_id = "P3";
    h.post.post_type = CHEJIAN__V1__POST_TYPE__POST_TYPE_FOREST_PATROL;
    h.post.start_date = 20210101;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST, &h.post);
    reg_data_holdings (&h, 4, "W1");
    h.training.training_id = "T3";
    h.training.start_date = 20200501;
    h.training.end_date = 20200510;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, &h.training);
    reg_data_holdings (&h, 3, "W1");
    h.post.post_id = "P2";
    h.post.post_type = CHEJIAN__V1__POST_TYPE__POST_TYPE_CLEANING;
    h.post.monthly_pay_fen = 60000;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST, &h.post);
    Chejian__V1__EndPost ep = CHEJIAN__V1__END_POST__INIT;
    ep.post_id = "P2";
    ep.end_date = 20200630;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_END_POST, &ep);
}

/*  W2 closes at the end of 2020, after its employments ended.  */
static void
s_close_w2 (void)
{
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W2");
    w.details.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE;
    w.location.township_code = "510822105";
    w.details.opened_date = 20190601;
    w.details.closed_date = 20201231;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update);
}

static int
s_setup (void **state)
{
    (void) state;
    if (!(T = reg_test_new ()))
        return -1;
    const int host = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HOST;
    const int branch = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_BRANCH;
    const int share = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_SHAREHOLDING;
    const int factory = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE;
    s_workshop ("PARK", CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_PARK, host, "", "", 20180101, 0);
    s_workshop ("W1", share, 0, "PARK", "510822104", 20190301, 0);
    s_workshop ("W1-B", share, branch, "W1", "510822104", 20190301, 0);
    s_workshop ("W2", factory, 0, "", "510822105", 20190601, 0);
    s_workshop ("W3", CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_HOME_WORKSHOP, 0, "", "", 20210601, 0);
    s_worker (1, POOR, 0, 0, 0);
    s_worker (2, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_NOT_REGISTERED, 0, 0, 0);
    s_worker (3, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED, 1, 1, 0);
    s_worker (4, POOR, 0, 0, 1);
    s_worker (5, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT, 0, 0, 0);
    s_change_poverty (4, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED, 20200101);
    const int term = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_TERM_EXPIRED;
    s_employment ("E1", 1, "W1", 20200301, 0, 0, 0);
    s_employment ("E2", 2, "W1", 20190401, 1, 20200531, term);
    s_employment ("E3", 3, "W1", 20200101, 1, 0, 0);
    s_employment ("E4", 4, "W1", 20200101, 0, 0, 0);
    s_employment ("E5", 5, "W2", 20190601, 0, 20201231, term);
    s_employment ("E6", 1, "W2", 20200401, 0, 20201130, term);
    s_employment ("E7", 5, "W1", 20200101, 0, 20200101,
                  CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR);
    s_close_w2 ();
    s_holdings ();
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    reg_test_destroy (&T);
    return 0;
}

/*  ---- workshops ----  */

static const Chejian__V1__WorkshopView *
s_get_workshop (const char *id, int32_t date)
{
    Chejian__V1__GetWorkshop q = CHEJIAN__V1__GET_WORKSHOP__INIT;
    q.workshop_id = (char *) id;
    q.as_of_date = date;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP, &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->result_case, CHEJIAN__V1__ACK__RESULT_WORKSHOP);
    return ack->workshop;
}

static void
test_workshop_headcounts_on_dates (void **state)
{
    (void) state;
    const Chejian__V1__WorkshopView *v = s_get_workshop ("W1", 20200601);
    assert_string_equal (v->county, REG_TEST_COUNTY);
    assert_int_equal (v->status, CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_OPEN);
    assert_int_equal (v->headcount, 3);            /* E1, E3, E4; E2 ended, E7 void */
    assert_int_equal (v->poor_headcount, 2);       /* worker 4 revoked since 2020-01-01 */
    assert_int_equal (v->disabled_headcount, 1);
    assert_int_equal (v->allowance_headcount, 1);
    assert_int_equal (v->relocated_headcount, 1);
    assert_int_equal (v->home_based_headcount, 1);
    assert_int_equal (v->n_child_workshop_ids, 1);
    assert_string_equal (v->child_workshop_ids[0], "W1-B");
    assert_int_equal (v->version, 1);
    assert_true (v->registered_at_ms > 0);
    v = s_get_workshop ("W1", 20200531);           /* E2's last day */
    assert_int_equal (v->headcount, 4);
    assert_int_equal (v->home_based_headcount, 2);
    assert_int_equal (v->poor_headcount, 2);
    v = s_get_workshop ("W2", 20210101);
    assert_int_equal (v->status, CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_CLOSED);
    assert_int_equal (v->headcount, 0);
    assert_int_equal (v->version, 2);
    v = s_get_workshop ("W3", 20200601);
    assert_int_equal (v->status, CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_PLANNED);
    v = s_get_workshop ("PARK", 0);                /* today */
    assert_int_equal (v->n_child_workshop_ids, 1);
    assert_true (v->as_of_date > 20260000);
}

static void
test_status_revoked_back_in_time_changes_headcount (void **state)
{
    (void) state;
    s_change_poverty (1, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED, 20200101);
    const Chejian__V1__WorkshopView *v = s_get_workshop ("W1", 20200601);
    assert_int_equal (v->headcount, 3);
    assert_int_equal (v->poor_headcount, 1);
}

static void
test_get_workshop_not_found (void **state)
{
    (void) state;
    Chejian__V1__GetWorkshop q = CHEJIAN__V1__GET_WORKSHOP__INIT;
    q.workshop_id = "W9";
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP, &q);
    assert_int_equal (ack->status, REJECTED);
    assert_int_equal (ack->n_problems, 1);
    assert_string_equal (ack->problems[0]->field, "get_workshop.workshop_id");
    assert_string_equal (ack->problems[0]->code, "NOT_FOUND");
}

/*  Lists workshops with 'q' and checks the ids in order ("PARK W1 ...").  */
static const Chejian__V1__WorkshopList *
s_list_workshops (Chejian__V1__ListWorkshops *q, const char *expected)
{
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_WORKSHOPS, q);
    assert_int_equal (ack->status, ACCEPTED);
    char ids[256] = "";
    for (size_t i = 0; i < ack->workshops->n_workshops; i++)
        s_join (ids, sizeof ids, ack->workshops->workshops[i]->workshop_id);
    assert_string_equal (ids, expected);
    return ack->workshops;
}

static void
test_list_workshops_filters (void **state)
{
    (void) state;
    Chejian__V1__ListWorkshops q = CHEJIAN__V1__LIST_WORKSHOPS__INIT;
    q.as_of_date = 20200601;
    s_list_workshops (&q, "PARK W1 W1-B W2 W3");
    q.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_SHAREHOLDING;
    const Chejian__V1__WorkshopList *l = s_list_workshops (&q, "W1 W1-B");
    assert_int_equal (l->page->total_count, 2);
    assert_int_equal (l->workshops[0]->headcount, 3);
    assert_int_equal (l->workshops[0]->n_child_workshop_ids, 0);
    q.type = 0;
    q.status = CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_OPEN;
    s_list_workshops (&q, "PARK W1 W1-B W2");
    q.as_of_date = 20210101;
    q.status = CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_CLOSED;
    s_list_workshops (&q, "W2");
    q.status = 0;
    q.role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HOST;
    s_list_workshops (&q, "PARK");
    q.role = 0;
    q.parent_workshop_id = "PARK";
    s_list_workshops (&q, "W1");
    q.parent_workshop_id = "";
    q.township_code = "510822105";
    s_list_workshops (&q, "W2");
}

static void
test_list_workshops_follows_updates (void **state)
{
    (void) state;
    reg_data_workshop_t w;
    reg_data_workshop (&w, "W3");                  /* W3 becomes family-style, in the park */
    w.details.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FAMILY_STYLE;
    w.details.parent_workshop_id = "PARK";
    w.location.township_code = "";
    w.details.opened_date = 20210601;
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update);
    Chejian__V1__ListWorkshops q = CHEJIAN__V1__LIST_WORKSHOPS__INIT;
    q.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_HOME_WORKSHOP;
    s_list_workshops (&q, "");
    q.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FAMILY_STYLE;
    s_list_workshops (&q, "W3");
    q.type = 0;
    q.parent_workshop_id = "PARK";
    s_list_workshops (&q, "W1 W3");
    w.details.parent_workshop_id = "";             /* and out of it again */
    s_accept (CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP, &w.update);
    s_list_workshops (&q, "W1");
    assert_int_equal (s_get_workshop ("PARK", 20220101)->n_child_workshop_ids, 1);
}

static void
test_list_workshops_pages (void **state)
{
    (void) state;
    Chejian__V1__ListWorkshops q = CHEJIAN__V1__LIST_WORKSHOPS__INIT;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    char token[300];
    page.page_size = 2;
    q.page = &page;
    const Chejian__V1__WorkshopList *l = s_list_workshops (&q, "PARK W1");
    assert_int_equal (l->page->total_count, 5);
    snprintf (token, sizeof token, "%s", l->page->next_page_token);
    page.page_token = token;
    l = s_list_workshops (&q, "W1-B W2");
    snprintf (token, sizeof token, "%s", l->page->next_page_token);
    l = s_list_workshops (&q, "W3");
    assert_string_equal (l->page->next_page_token, "");
}

/*  ---- workers and employments ----  */

static const Chejian__V1__WorkerView *
s_get_worker (int n, int32_t date)
{
    char id[19];
    reg_data_resident_id (id, 19850312, n);
    Chejian__V1__GetWorker q = CHEJIAN__V1__GET_WORKER__INIT;
    q.resident_id = id;
    q.as_of_date = date;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER, &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_memory_equal (ack->worker->resident_id_masked, "510822********", 14);
    assert_string_equal (ack->worker->resident_id_masked + 14, id + 14);
    return ack->worker;
}

static void
test_get_worker_history (void **state)
{
    (void) state;
    const Chejian__V1__WorkerView *v = s_get_worker (1, 20200601);
    assert_int_equal (v->status->poverty_status, POOR);
    assert_int_equal (v->n_history, 4);
    assert_int_equal (v->open_employments, 2);     /* E1 in W1, E6 in W2 */
    assert_int_equal (v->birth_period, 198503);
    assert_string_equal (v->details->household_id, "");
    s_change_poverty (1, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT, 20200701);
    s_change_poverty (1, CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED, 20180101);
    v = s_get_worker (1, 20200801);
    assert_int_equal (v->status->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT);
    assert_int_equal (v->n_history, 6);
    assert_int_equal (v->history[4]->change->effective_date, 20180101);
    assert_int_equal (v->history[5]->change->effective_date, 20200701);
    assert_string_equal (v->history[5]->recorded_by, "hrss");
    assert_int_equal (v->open_employments, 2);
    v = s_get_worker (1, 20201201);                /* E6 ended on 2020-11-30 */
    assert_int_equal (v->open_employments, 1);
    v = s_get_worker (1, 20190101);
    assert_int_equal (v->status->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED);
    v = s_get_worker (3, 20200601);
    assert_true (v->status->disability->certified);
    assert_true (v->status->minimum_allowance_household);
    v = s_get_worker (4, 20191231);
    assert_int_equal (v->status->poverty_status, POOR);
    assert_true (v->status->relocated_household);
}

static const Chejian__V1__EmploymentList *
s_list_employments (const char *workshop, int worker, int32_t date, const char *expected)
{
    char id[19];
    Chejian__V1__ListEmployments q = CHEJIAN__V1__LIST_EMPLOYMENTS__INIT;
    if (workshop) {
        q.subject_case = CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_WORKSHOP_ID;
        q.workshop_id = (char *) workshop;
    } else {
        reg_data_resident_id (id, 19850312, worker);
        q.subject_case = CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_RESIDENT_ID;
        q.resident_id = id;
    }
    q.as_of_date = date;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_EMPLOYMENTS, &q);
    assert_int_equal (ack->status, ACCEPTED);
    char ids[256] = "";
    for (size_t i = 0; i < ack->employments->n_employments; i++)
        s_join (ids, sizeof ids, ack->employments->employments[i]->employment_id);
    assert_string_equal (ids, expected);
    return ack->employments;
}

static void
test_list_employments (void **state)
{
    (void) state;
    const Chejian__V1__EmploymentList *l = s_list_employments ("W1", 0, 0, "E2 E3 E4 E7 E1");
    assert_int_equal (l->page->total_count, 5);
    assert_int_equal (l->employments[3]->end_reason,
                      CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR);
    assert_false (l->employments[3]->open);
    l = s_list_employments ("W1", 0, 20200601, "E3 E4 E1");
    assert_int_equal (l->employments[1]->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED);
    assert_true (l->employments[1]->open);
    assert_int_equal (l->employments[0]->terms->work_mode,
                      CHEJIAN__V1__WORK_MODE__WORK_MODE_HOME_BASED);
    s_list_employments (NULL, 1, 0, "E1 E6");
    l = s_list_employments (NULL, 1, 20201201, "E1");
    assert_int_equal (l->employments[0]->poverty_status, POOR);
    s_list_employments (NULL, 2, 20200601, "");
}

static void
test_list_employments_not_found (void **state)
{
    (void) state;
    Chejian__V1__ListEmployments q = CHEJIAN__V1__LIST_EMPLOYMENTS__INIT;
    char id[19];
    reg_data_resident_id (id, 19900101, 8);
    q.subject_case = CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_RESIDENT_ID;
    q.resident_id = id;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_EMPLOYMENTS, &q);
    assert_int_equal (ack->status, REJECTED);
    assert_string_equal (ack->problems[0]->field, "list_employments.resident_id");
    assert_string_equal (ack->problems[0]->code, "NOT_FOUND");
}

/*  ---- stakes, trainings, posts ----  */

static void
test_list_shareholdings (void **state)
{
    (void) state;
    Chejian__V1__ListShareholdings q = CHEJIAN__V1__LIST_SHAREHOLDINGS__INIT;
    q.subject_case = CHEJIAN__V1__LIST_SHAREHOLDINGS__SUBJECT_WORKSHOP_ID;
    q.workshop_id = "W1";
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_SHAREHOLDINGS, &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->shareholdings->n_shareholdings, 2);
    assert_string_equal (ack->shareholdings->shareholdings[0]->shareholding_id, "S1");
    assert_string_equal (ack->shareholdings->shareholdings[1]->shareholding_id, "S2");
    q.subject_case = CHEJIAN__V1__LIST_SHAREHOLDINGS__SUBJECT_HOUSEHOLD_ID;
    q.household_id = "H-0003";
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_SHAREHOLDINGS, &q);
    assert_int_equal (ack->shareholdings->n_shareholdings, 1);
    assert_string_equal (ack->shareholdings->shareholdings[0]->shareholding_id, "S2");
    assert_int_equal (ack->shareholdings->page->total_count, 1);
    q.household_id = "H-9999";
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_SHAREHOLDINGS, &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->shareholdings->n_shareholdings, 0);
}

static const Chejian__V1__TrainingList *
s_list_trainings (int worker, const char *workshop, int32_t from, int32_t to, size_t expected)
{
    char id[19] = "";
    if (worker)
        reg_data_resident_id (id, 19850312, worker);
    Chejian__V1__ListTrainings q = CHEJIAN__V1__LIST_TRAININGS__INIT;
    q.resident_id = id;
    q.workshop_id = (char *) workshop;
    q.from_date = from;
    q.to_date = to;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_TRAININGS, &q);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->trainings->n_trainings, expected);
    assert_int_equal (ack->trainings->page->total_count, expected);
    return ack->trainings;
}

static void
test_list_trainings (void **state)
{
    (void) state;
    const Chejian__V1__TrainingList *l = s_list_trainings (0, "", 0, 0, 3);
    assert_int_equal (l->poor_person_times, 1);    /* T1 only: T2 not registered, T3 revoked */
    assert_string_equal (l->trainings[0]->training_id, "T1");
    assert_string_equal (l->trainings[2]->training_id, "T3");
    assert_int_equal (l->trainings[2]->poverty_status,
                      CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_REVOKED);
    l = s_list_trainings (0, "", 20200101, 20201231, 2);
    assert_int_equal (l->poor_person_times, 0);
    l = s_list_trainings (0, "W1", 0, 0, 2);
    assert_string_equal (l->trainings[1]->training_id, "T3");
    s_list_trainings (1, "", 0, 0, 1);
    s_list_trainings (1, "W1", 20200101, 0, 0);
}

static void
s_list_posts (int type, int worker, int32_t date, const char *expected)
{
    char id[19] = "";
    if (worker)
        reg_data_resident_id (id, 19850312, worker);
    Chejian__V1__ListPosts q = CHEJIAN__V1__LIST_POSTS__INIT;
    q.post_type = type;
    q.resident_id = id;
    q.as_of_date = date;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_LIST_POSTS, &q);
    assert_int_equal (ack->status, ACCEPTED);
    char ids[128] = "";
    for (size_t i = 0; i < ack->posts->n_posts; i++)
        s_join (ids, sizeof ids, ack->posts->posts[i]->post->post_id);
    assert_string_equal (ids, expected);
}

static void
test_list_posts (void **state)
{
    (void) state;
    s_list_posts (0, 0, 0, "P1 P2 P3");
    s_list_posts (0, 0, 20200701, "P1");
    s_list_posts (0, 0, 20200601, "P1 P2");
    s_list_posts (CHEJIAN__V1__POST_TYPE__POST_TYPE_CLEANING, 0, 0, "P2");
    s_list_posts (0, 3, 0, "P2");
    s_list_posts (CHEJIAN__V1__POST_TYPE__POST_TYPE_RIVER_PATROL, 3, 0, "");
}

/*  ---- the bulletin ----  */

static void
test_registry_summary (void **state)
{
    (void) state;
    Chejian__V1__GetRegistrySummary q = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    q.as_of_date = 20200601;
    const cj_ack_t *ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY, &q);
    assert_int_equal (ack->status, ACCEPTED);
    const Chejian__V1__RegistrySummary *s = ack->registry_summary;
    assert_string_equal (s->county, REG_TEST_COUNTY);
    assert_int_equal (s->year, 2020);
    assert_int_equal (s->workshops, 3);            /* W1, W1-B, W2; W3 planned */
    assert_int_equal (s->hosts, 1);
    assert_int_equal (s->n_by_type, 2);
    assert_int_equal (s->by_type[0]->type, CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_SHAREHOLDING);
    assert_int_equal (s->by_type[0]->workshops, 2);
    assert_int_equal (s->by_type[0]->headcount, 3);
    assert_int_equal (s->by_type[0]->poor_headcount, 2);
    assert_int_equal (s->by_type[1]->type, CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE);
    assert_int_equal (s->by_type[1]->headcount, 2);
    assert_int_equal (s->by_type[1]->poor_headcount, 2);
    assert_int_equal (s->workers_registered, 5);
    assert_int_equal (s->poor_workers_registered, 3);
    assert_int_equal (s->employed_headcount, 4);
    assert_int_equal (s->poor_employed_headcount, 3);
    assert_int_equal (s->disabled_employed_headcount, 1);
    assert_int_equal (s->allowance_employed_headcount, 1);
    assert_int_equal (s->relocated_employed_headcount, 1);
    assert_int_equal (s->home_based_headcount, 1);
    assert_int_equal (s->training_person_times, 2);
    assert_int_equal (s->poor_training_person_times, 0);
    assert_int_equal (s->n_posts_by_type, 2);
    assert_int_equal (s->poor_post_holders, 2);
    q.year = 2019;
    ack = s_query (CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY, &q);
    assert_int_equal (ack->registry_summary->training_person_times, 1);
    assert_int_equal (ack->registry_summary->poor_training_person_times, 1);
}

static void
test_other_county_sees_nothing (void **state)
{
    (void) state;
    Chejian__V1__ListWorkshops q = CHEJIAN__V1__LIST_WORKSHOPS__INIT;
    cj_envelope_t env;
    reg_test_envelope (&env, CHEJIAN__V1__ENVELOPE__BODY_LIST_WORKSHOPS, &q);
    env.county = "510802";
    const cj_ack_t *ack = reg_test_query (T, &env);
    assert_int_equal (ack->status, ACCEPTED);
    assert_int_equal (ack->workshops->n_workshops, 0);
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_workshop_headcounts_on_dates),
        S_TEST (test_status_revoked_back_in_time_changes_headcount),
        S_TEST (test_get_workshop_not_found),
        S_TEST (test_list_workshops_filters),
        S_TEST (test_list_workshops_follows_updates),
        S_TEST (test_list_workshops_pages),
        S_TEST (test_get_worker_history),
        S_TEST (test_list_employments),
        S_TEST (test_list_employments_not_found),
        S_TEST (test_list_shareholdings),
        S_TEST (test_list_trainings),
        S_TEST (test_list_posts),
        S_TEST (test_registry_summary),
        S_TEST (test_other_county_sees_nothing),
    };
    return cmocka_run_group_tests_name ("unit.registry_queries", tests, NULL, NULL);
}
