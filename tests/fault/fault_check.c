/*  fault_check.c - what the fault test compares: a snapshot of the services' query results,
 *  the ledger's implications to the fen, and Redis itself (dead letters, outboxes). See
 *  fault.h.  */
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chejian/json.h"
#include "chejian/store.h"
#include "test_support.h"

#define S_FIRST_PERIOD 202001
#define S_LAST_PERIOD  202006
#define BODY(x) CHEJIAN__V1__ENVELOPE__BODY_##x

/*  ---- queries ----  */

typedef struct {
    char         router[64];
    cj_client_t *client;
} s_conn_t;

static s_conn_t s_conns[4];

static cj_client_t *
s_client (const char *router)
{
    for (int i = 0; i < 4; i++)
        if (s_conns[i].client && strcmp (s_conns[i].router, router) == 0)
            return s_conns[i].client;
    for (int i = 0; i < 4; i++)
        if (!s_conns[i].client) {
            snprintf (s_conns[i].router, sizeof s_conns[i].router, "%s", router);
            return s_conns[i].client = cj_client_new (NULL, router);
        }
    return NULL;
}

cj_ack_t *
fault_query (const char *router, int body_case, void *query)
{
    static unsigned counter;
    cj_client_t *c = s_client (router);
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    char id[64];
    snprintf (id, sizeof id, "fault-query-%u", ++counter);
    env.event_id = id;
    env.source = "fault-check";
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = SAMPLE_COUNTY;
    env.body_case = body_case;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (
        &chejian__v1__envelope__descriptor, (unsigned) body_case);
    memcpy ((char *) &env + f->offset, &query, sizeof query);
    int64_t until = cj_test_now_ms () + 10000;
    while (c && cj_test_now_ms () < until) {
        if (cj_client_send (c, &env, 1000) != 0)
            continue;
        cj_ack_t *ack;
        while ((ack = cj_client_recv (c, 3000))) {
            if (strcmp (ack->event_id, id) == 0
                && ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
                return ack;
            bool mine = strcmp (ack->event_id, id) == 0;
            cj_ack_free (&ack);
            if (mine)
                break;
        }
    }
    return NULL;
}

/*  The result of an Ack as JSON (caller decrefs), or NULL.  */
static json_t *
s_result (cj_ack_t *ack)
{
    json_t *all = ack ? cj_json_from_message (&ack->base, 0) : NULL, *result = NULL;
    const char *name;
    json_t *value;
    json_object_foreach (all, name, value)
        if (strcmp (name, "eventId") && strcmp (name, "status") && json_is_object (value))
            result = json_incref (value);
    json_decref (all);
    return result;
}

/*  Asks one query and stores its result in 'snap' under 'key' (JSON null when no answer).  */
static json_t *
s_ask (json_t *snap, const char *key, const char *router, int body_case, void *query)
{
    cj_ack_t *ack = fault_query (router, body_case, query);
    json_t *result = s_result (ack);
    cj_ack_free (&ack);
    if (!result)
        fault_fail ("query %s: no answer", key);
    json_object_set_new (snap, key, result ? result : json_null ());
    return json_object_get (snap, key);
}

/*  A paged list: every page's 'field' array concatenated under 'key'.  */
static void
s_ask_all (json_t *snap, const char *key, const char *router, int body_case, void *query,
           Chejian__V1__PageRequest *page, const char *field)
{
    json_t *all = json_array ();
    char token[300] = "";
    for (int pages = 0; pages < 1000; pages++) {
        page->page_token = token;
        page->page_size = 500;
        cj_ack_t *ack = fault_query (router, body_case, query);
        json_t *result = s_result (ack);
        cj_ack_free (&ack);
        if (!result) {
            fault_fail ("query %s: no answer", key);
            break;
        }
        json_array_extend (all, json_object_get (result, field));
        const char *next = json_string_value (
            json_object_get (json_object_get (result, "page"), "nextPageToken"));
        snprintf (token, sizeof token, "%s", next ? next : "");
        json_decref (result);
        if (!token[0])
            break;
    }
    json_object_set_new (snap, key, all);
}

static cj_envelope_t *
s_unpack (const fault_item_t *it)
{
    return (cj_envelope_t *) protobuf_c_message_unpack (&chejian__v1__envelope__descriptor,
                                                        NULL, it->len, it->bytes);
}

json_t *
fault_snapshot (cj_test_system_t *sys, const fault_load_t *load)
{
    json_t *snap = json_object ();
    Chejian__V1__GetRegistrySummary rq = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    rq.as_of_date = SAMPLE_BULLETIN_DATE;
    rq.year = 2020;
    s_ask (snap, "registrySummary", sys->reg.router, BODY (GET_REGISTRY_SUMMARY), &rq);
    Chejian__V1__GetCountyIncomeSummary iq = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    iq.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR;
    iq.year = 2020;
    s_ask (snap, "countyIncomeSummary", sys->pay.router, BODY (GET_COUNTY_INCOME_SUMMARY), &iq);
    iq.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_PERIOD;
    for (int p = S_FIRST_PERIOD; p <= S_LAST_PERIOD; p++) {
        char key[64];
        snprintf (key, sizeof key, "income:%d", p);
        iq.period = p;
        s_ask (snap, key, sys->pay.router, BODY (GET_COUNTY_INCOME_SUMMARY), &iq);
    }
    Chejian__V1__GetAdjudicationSummary aq = CHEJIAN__V1__GET_ADJUDICATION_SUMMARY__INIT;
    s_ask (snap, "adjudicationSummary", sys->adj.router, BODY (GET_ADJUDICATION_SUMMARY), &aq);

    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    Chejian__V1__ListDecisions dq = CHEJIAN__V1__LIST_DECISIONS__INIT;
    dq.page = &page;
    dq.include_superseded = true;
    s_ask_all (snap, "decisions", sys->adj.router, BODY (LIST_DECISIONS), &dq, &page, "decisions");
    dq.include_superseded = false;
    s_ask_all (snap, "liveDecisions", sys->adj.router, BODY (LIST_DECISIONS), &dq, &page,
               "decisions");
    Chejian__V1__ListPayments pq = CHEJIAN__V1__LIST_PAYMENTS__INIT;
    pq.page = &page;
    s_ask_all (snap, "payments", sys->adj.router, BODY (LIST_PAYMENTS), &pq, &page, "payments");
    Chejian__V1__ListFunds fq = CHEJIAN__V1__LIST_FUNDS__INIT;
    s_ask (snap, "funds", sys->adj.router, BODY (LIST_FUNDS), &fq);

    int workers = 0;
    for (size_t i = 0; i < fault_load_count (load); i++) {
        const fault_item_t *it = fault_load_item (load, i);
        if (it->state != FI_ACKED)
            continue;
        cj_envelope_t *env = s_unpack (it);
        char key[200];
        if (!env)
            continue;
        if (env->body_case == BODY (REGISTER_WORKSHOP)) {
            Chejian__V1__GetWorkshopPayroll q = CHEJIAN__V1__GET_WORKSHOP_PAYROLL__INIT;
            q.workshop_id = env->register_workshop->workshop_id;
            q.from_period = S_FIRST_PERIOD;
            q.to_period = S_LAST_PERIOD;
            snprintf (key, sizeof key, "payroll:%s", q.workshop_id);
            s_ask (snap, key, sys->pay.router, BODY (GET_WORKSHOP_PAYROLL), &q);
        } else if (env->body_case == BODY (SUBMIT_WAGE_REPORT) && !it->corrected) {
            Chejian__V1__GetWageReport q = CHEJIAN__V1__GET_WAGE_REPORT__INIT;
            Chejian__V1__PageRequest p = CHEJIAN__V1__PAGE_REQUEST__INIT;
            q.workshop_id = it->workshop;
            q.period = it->period;
            q.page = &p;
            p.page_size = 500;
            snprintf (key, sizeof key, "report:%s:%d", it->workshop, it->period);
            json_t *r = s_ask (snap, key, sys->pay.router, BODY (GET_WAGE_REPORT), &q);
            json_object_del (r, "acceptedAtMs");   /* the wall clock of the commit */
        } else if (env->body_case == BODY (REGISTER_WORKER)) {
            Chejian__V1__GetWorkerIncome q = CHEJIAN__V1__GET_WORKER_INCOME__INIT;
            q.resident_id = env->register_worker->resident_id;
            q.from_period = S_FIRST_PERIOD;
            q.to_period = 202012;
            snprintf (key, sizeof key, "worker:%s", it->event_id);   /* the same in both runs */
            workers++;
            s_ask (snap, key, sys->pay.router, BODY (GET_WORKER_INCOME), &q);
        } else if (env->body_case == BODY (APPLY_FOR_LOAN)) {
            Chejian__V1__GetLoan q = CHEJIAN__V1__GET_LOAN__INIT;
            q.key_case = CHEJIAN__V1__GET_LOAN__KEY_APPLICATION_ID;
            q.application_id = env->apply_for_loan->application_id;
            snprintf (key, sizeof key, "loan:%s", q.application_id);
            s_ask (snap, key, sys->adj.router, BODY (GET_LOAN), &q);
        }
        protobuf_c_message_free_unpacked (&env->base, NULL);
    }
    return snap;
}

/*  ---- the ledger's implications ----  */

static int64_t
s_int (json_t *obj, const char *field)
{
    json_t *v = json_object_get (obj, field);
    return json_is_string (v) ? atoll (json_string_value (v)) : json_integer_value (v);
}

/*  Adds 'fen' to the counter 'key' of 'sums'.  */
static void
s_sum (json_t *sums, const char *key, int64_t fen)
{
    json_object_set_new (sums, key, json_integer (json_integer_value (json_object_get (sums, key))
                                                  + fen));
}

/*  The wage figures the ledger implies: per report slot its effective item, per worker and
 *  workshop-month and month and year the gross. Checks them against the snapshot.  */
static int
s_check_wages (const fault_load_t *load, json_t *snap)
{
    size_t n;
    const long *ledger = fault_load_ledger (load, &n);
    json_t *effective = json_object (), *revisions = json_object (), *sums = json_object ();
    json_t *worker_of = json_object ();   /* resident id -> worker key in the snapshot */
    int workers = 0, passed = 0, bad = 0;
    for (size_t i = 0; i < fault_load_count (load); i++) {   /* as fault_snapshot numbers them */
        const fault_item_t *it = fault_load_item (load, i);
        if (it->state != FI_ACKED || it->body_case != BODY (REGISTER_WORKER))
            continue;
        cj_envelope_t *env = s_unpack (it);
        char key[200];
        snprintf (key, sizeof key, "worker:%s", it->event_id);
        workers++;
        if (env)
            json_object_set_new (worker_of, env->register_worker->resident_id, json_string (key));
        if (env)
            protobuf_c_message_free_unpacked (&env->base, NULL);
    }
    for (size_t k = 0; k < n; k++) {   /* ledger order: the last report of a slot counts */
        const fault_item_t *it = fault_load_item (load, (size_t) ledger[k]);
        if (!it->workshop)
            continue;
        char slot[160];
        snprintf (slot, sizeof slot, "%s:%d", it->workshop, it->period);
        json_object_set_new (effective, slot, json_integer (ledger[k]));
        s_sum (revisions, slot, 1);
    }
    const char *slot;
    json_t *value;
    json_object_foreach (effective, slot, value) {
        const fault_item_t *it = fault_load_item (load, (size_t) json_integer_value (value));
        cj_envelope_t *env = s_unpack (it);
        if (!env)
            continue;
        int64_t total = 0;
        char key[200];
        for (size_t l = 0; l < env->submit_wage_report->n_lines; l++) {
            const Chejian__V1__WageLine *line = env->submit_wage_report->lines[l];
            total += line->gross_fen;
            const char *w = json_string_value (json_object_get (worker_of, line->resident_id));
            if (w)
                s_sum (sums, w, line->gross_fen);
            else
                bad++, fault_fail ("%s: a line of a worker the ledger does not hold", it->event_id);
        }
        snprintf (key, sizeof key, "month:%d", it->period);
        s_sum (sums, key, total);
        s_sum (sums, "year", total);
        snprintf (key, sizeof key, "report:%s", slot);
        json_t *view = json_object_get (snap, key);
        const char *eid = json_string_value (json_object_get (view, "eventId"));
        if (!eid || strcmp (eid, it->event_id) || s_int (view, "totalGrossFen") != total
            || s_int (view, "lineCount") != (int64_t) env->submit_wage_report->n_lines
            || s_int (view, "revision") != json_integer_value (json_object_get (revisions, slot)))
            bad++, fault_fail ("wage report %s: %lld fen in %lld lines, revision %lld, by %s; "
                               "the ledger says %lld fen in %zu lines, revision %lld, by %s",
                               slot, (long long) s_int (view, "totalGrossFen"),
                               (long long) s_int (view, "lineCount"),
                               (long long) s_int (view, "revision"), eid ? eid : "-",
                               (long long) total, env->submit_wage_report->n_lines,
                               (long long) json_integer_value (json_object_get (revisions, slot)),
                               it->event_id);
        /* the workshop's month */
        snprintf (key, sizeof key, "payroll:%s", it->workshop);
        json_t *months = json_object_get (json_object_get (snap, key), "months");
        size_t m;
        json_t *month;
        int64_t have = -1;
        json_array_foreach (months, m, month)
            if (s_int (month, "period") == it->period)
                have = s_int (month, "totalWagesFen");
        if (have != total)
            bad++, fault_fail ("workshop month %s: %lld fen, the ledger says %lld", slot,
                               (long long) have, (long long) total);
        protobuf_c_message_free_unpacked (&env->base, NULL);
    }
    passed += bad == 0 ? 2 : 0;   /* every report; every workshop-month */
    int wbad = 0;
    const char *resident;
    json_object_foreach (worker_of, resident, value) {
        const char *key = json_string_value (value);
        int64_t want = json_integer_value (json_object_get (sums, key)), have = 0;
        size_t y;
        json_t *year;
        json_array_foreach (json_object_get (json_object_get (snap, key), "years"), y, year)
            if (s_int (year, "year") == 2020)
                have = s_int (year, "wagesFen");
        if (have != want && wbad++ < 10)
            fault_fail ("%s: 2020 wages %lld fen, the ledger says %lld", key, (long long) have,
                        (long long) want);
    }
    passed += wbad == 0;
    int cbad = 0;
    for (int p = S_FIRST_PERIOD; p <= S_LAST_PERIOD; p++) {
        char key[64], skey[64];
        snprintf (key, sizeof key, "income:%d", p);
        snprintf (skey, sizeof skey, "month:%d", p);
        int64_t have = s_int (json_object_get (snap, key), "totalWagesFen");
        int64_t want = json_integer_value (json_object_get (sums, skey));
        if (have != want)
            cbad++, fault_fail ("county %d: %lld fen, the ledger says %lld", p, (long long) have,
                                (long long) want);
    }
    int64_t year = s_int (json_object_get (snap, "countyIncomeSummary"), "totalWagesFen");
    if (year != json_integer_value (json_object_get (sums, "year")))
        cbad++, fault_fail ("county 2020: %lld fen, the ledger says %lld", (long long) year,
                            (long long) json_integer_value (json_object_get (sums, "year")));
    passed += cbad == 0;
    printf ("  ledger: %zu wage reports, %d workers, %lld fen in 2020: %s\n",
            json_object_size (effective), workers,
            (long long) json_integer_value (json_object_get (sums, "year")),
            bad || wbad || cbad ? "MISMATCH" : "every report, workshop-month, worker and month "
                                                "to the fen");
    json_decref (effective);
    json_decref (revisions);
    json_decref (sums);
    json_decref (worker_of);
    return passed;
}

/*  The sample's figures: every field of 'expected'[key] equal in the snapshot, but for the
 *  wage sums and averages when corrections moved them (checked above to the fen).  */
static int
s_check_expected (json_t *snap, json_t *expected, const char *key, bool corrected)
{
    const char *name;
    json_t *value;
    int bad = 0;
    json_object_foreach (json_object_get (expected, key), name, value) {
        if (corrected && (strstr (name, "Wage") || strstr (name, "ncrease") || strstr (name, "byType")))
            continue;
        json_t *have = json_object_get (json_object_get (snap, key), name);
        if (!json_equal (have, value)) {
            char *w = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
            char *h = have ? json_dumps (have, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            fault_fail ("%s.%s: expected %s, got %s", key, name, w, h ? h : "(none)");
            free (w);
            free (h);
            bad++;
        }
    }
    return bad == 0;
}

/*  Awards: at most one live GRANTED award per laborer and workshop; funds balance and hold
 *  what the live decisions reserved.  */
static int
s_check_decisions (const fault_load_t *load, json_t *snap)
{
    json_t *seen = json_object (), *reserved = json_object (), *topped = json_object ();
    size_t i;
    json_t *d;
    int dup = 0, passed = 0, bad = 0;
    json_array_foreach (json_object_get (snap, "liveDecisions"), i, d) {
        const char *outcome = json_string_value (json_object_get (d, "outcome"));
        const char *rule = json_string_value (json_object_get (d, "rule"));
        if (!outcome || strcmp (outcome, "DECISION_OUTCOME_GRANTED"))
            continue;
        const char *fund = json_string_value (json_object_get (d, "fundId"));
        if (fund && *fund)
            s_sum (reserved, fund, s_int (d, "amountFen"));
        if (!rule || strcmp (rule, "RULE_KIND_EMPLOYMENT_AWARD"))
            continue;
        json_t *subject = json_object_get (d, "subject");
        char key[300];
        snprintf (key, sizeof key, "%s|%s",
                  json_string_value (json_object_get (subject, "workshopId")) ?: "",
                  json_string_value (json_object_get (subject, "workerKey")) ?: "");
        if (json_object_get (seen, key))
            dup++;
        json_object_set_new (seen, key, json_true ());
    }
    if (dup)
        fault_fail ("%d laborers have two live granted awards in one workshop", dup);
    else
        passed++;
    json_t *ids = json_object ();
    json_array_foreach (json_object_get (snap, "decisions"), i, d) {
        const char *id = json_string_value (json_object_get (d, "decisionId"));
        if (id && json_object_get (ids, id))
            bad++;
        if (id)
            json_object_set_new (ids, id, json_true ());
    }
    if (bad)
        fault_fail ("%d decision ids appear twice", bad);
    else
        passed++;
    json_decref (ids);
    for (size_t k = 0; k < fault_load_count (load); k++) {
        const fault_item_t *it = fault_load_item (load, k);
        if (it->state != FI_ACKED || it->body_case != BODY (TOP_UP_FUND))
            continue;
        cj_envelope_t *env = s_unpack (it);
        if (env)
            s_sum (topped, env->top_up_fund->fund_id, env->top_up_fund->amount_fen);
        if (env)
            protobuf_c_message_free_unpacked (&env->base, NULL);
    }
    bad = 0;
    json_array_foreach (json_object_get (json_object_get (snap, "funds"), "funds"), i, d) {
        const char *fund = json_string_value (json_object_get (d, "fundId"));
        int64_t top = s_int (d, "toppedUpFen"), avail = s_int (d, "availableFen");
        int64_t res = s_int (d, "reservedFen"), paid = s_int (d, "paidFen");
        int64_t want_top = json_integer_value (json_object_get (topped, fund ? fund : ""));
        int64_t want_res = json_integer_value (json_object_get (reserved, fund ? fund : ""));
        if (avail < 0 || avail + res + paid != top || top != want_top || res + paid != want_res)
            bad++, fault_fail ("fund %s: topped up %lld (ledger %lld), available %lld, reserved "
                               "%lld + paid %lld (live grants %lld)", fund ? fund : "?",
                               (long long) top, (long long) want_top, (long long) avail,
                               (long long) res, (long long) paid, (long long) want_res);
    }
    if (!bad && json_array_size (json_object_get (json_object_get (snap, "funds"), "funds")))
        passed++;
    else if (!bad)
        fault_fail ("no fund in the snapshot");
    printf ("  decisions: %zu (%zu live), %zu laborers awarded once each, %zu funds balanced\n",
            json_array_size (json_object_get (snap, "decisions")),
            json_array_size (json_object_get (snap, "liveDecisions")), json_object_size (seen),
            json_array_size (json_object_get (json_object_get (snap, "funds"), "funds")));
    json_decref (seen);
    json_decref (reserved);
    json_decref (topped);
    return passed;
}

int
fault_check_ledger (cj_test_system_t *sys, const fault_load_t *load, json_t *snap,
                    const sample_t *sample)
{
    (void) sys;
    bool corrected = false;
    for (size_t i = 0; i < fault_load_count (load); i++)
        corrected |= fault_load_item (load, i)->corrected;
    int passed = s_check_wages (load, snap) + s_check_decisions (load, snap);
    json_t *expected = sample_expected (sample);
    passed += s_check_expected (snap, expected, "registrySummary", false);
    passed += s_check_expected (snap, expected, "countyIncomeSummary", corrected);
    passed += s_check_expected (snap, expected, "adjudicationSummary", false);
    json_decref (expected);
    return passed;
}

int
fault_check_same (json_t *fault, json_t *reference)
{
    const char *key;
    json_t *value;
    int same = 0, differ = 0;
    json_object_foreach (reference, key, value) {
        if (json_equal (value, json_object_get (fault, key)))
            same++;
        else {
            if (differ++ < 20)
                fault_fail ("%s differs from the fault-free reference run", key);
            if (differ == 1 && getenv ("CHEJIAN_FAULT_DUMP")) {   /* both sides, for a diff */
                char path[300];
                snprintf (path, sizeof path, "%s.fault.json", getenv ("CHEJIAN_FAULT_DUMP"));
                json_dump_file (json_object_get (fault, key), path, JSON_INDENT (1));
                snprintf (path, sizeof path, "%s.reference.json", getenv ("CHEJIAN_FAULT_DUMP"));
                json_dump_file (value, path, JSON_INDENT (1));
            }
        }
    }
    json_object_foreach (fault, key, value)
        if (!json_object_get (reference, key) && differ++ < 20)
            fault_fail ("%s is only in the fault run", key);
    printf ("  reference: %d of %zu results equal to the fault-free run of the same ledger\n",
            same, json_object_size (reference));
    return differ ? 0 : 1;
}

/*  ---- Redis itself ----  */

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  The outbox 'key': seqs dense from 1, no event id twice; the sorted ids under 'name'.  */
static int
s_check_outbox (cj_store_t *store, const char *key, json_t *snap)
{
    redisReply *r = cj_store_command (store, "XRANGE %s - +", key);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        fault_fail ("XRANGE %s failed", key);
        if (r)
            freeReplyObject (r);
        return 0;
    }
    size_t cap = 1024, n = 0;
    char **ids = malloc (cap * sizeof *ids);
    unsigned long long next = 1;
    int bad = 0;
    for (size_t e = 0; e < r->elements; e++) {
        redisReply *fields = r->element[e]->element[1];
        for (size_t f = 0; f + 1 < fields->elements; f += 2) {
            unsigned long long seq = strtoull (fields->element[f]->str, NULL, 10);
            if (seq != next && bad++ < 3)
                fault_fail ("%s: seq %llu where %llu was due", key, seq, next);
            next = seq + 1;
            cj_envelope_t *env = cj_envelope_decode (fields->element[f + 1]->str,
                                                     fields->element[f + 1]->len, NULL);
            if (!env) {
                bad++;
                continue;
            }
            if (n == cap)
                ids = realloc (ids, (cap *= 2) * sizeof *ids);
            ids[n++] = strdup (env->event_id);
            cj_envelope_free (&env);
        }
    }
    freeReplyObject (r);
    qsort (ids, n, sizeof *ids, s_strcmp);
    json_t *list = json_array ();
    int twice = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp (ids[i], ids[i - 1]) == 0 && twice++ < 3)
            fault_fail ("%s: event %s appears twice", key, ids[i]);
        json_array_append_new (list, json_string (ids[i]));
    }
    for (size_t i = 0; i < n; i++)
        free (ids[i]);
    free (ids);
    char name[200];
    snprintf (name, sizeof name, "outbox:%s", key);
    json_object_set_new (snap, name, list);
    printf ("  %s: %zu events, seqs dense, each event id once%s\n", key, n,
            bad || twice ? ": NO" : "");
    return bad || twice ? 0 : 1;
}

int
fault_check_redis (const char *redis_url, json_t *snap)
{
    char err[256];
    cj_store_t *store = cj_store_new (redis_url, 10000, err, sizeof err);
    int passed = 0, letters = 0, outboxes = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = store ? cj_store_command (store, "SCAN %s COUNT 1000", cursor) : NULL;
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            fault_fail ("cannot SCAN the fault test's redis");
            if (r)
                freeReplyObject (r);
            cj_store_destroy (&store);
            return passed;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *key = r->element[1]->element[i]->str;
            if (strstr (key, ":deadletter:")) {
                redisReply *len = cj_store_command (store, "LLEN %s", key);
                fault_fail ("dead letters in %s: %lld", key, len ? len->integer : -1);
                if (len)
                    freeReplyObject (len);
                letters++;
            }
            size_t kl = strlen (key);
            if (kl > 7 && strcmp (key + kl - 7, ":outbox") == 0) {
                passed += s_check_outbox (store, key, snap);
                outboxes++;
            }
        }
        freeReplyObject (r);
    } while (strcmp (cursor, "0") != 0);
    cj_store_destroy (&store);
    if (!letters) {
        printf ("  no dead letter\n");
        passed++;
    }
    if (outboxes < 3)
        fault_fail ("only %d outboxes in redis", outboxes);
    return passed;
}
