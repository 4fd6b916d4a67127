/*  adj_table.c - the adjudicator's one dispatch table: every adjudication command (validate
 *  + apply) and query (validate + answer) of the v1 contract, and the registry's and
 *  payroll's events it consumes, found by Envelope body case. Adding a message means adding
 *  a row. Also the service definition: subscriptions, options and hooks.  */
#include "adjudicator_internal.h"

#define S_COMMAND(CASE, name) \
    { CHEJIAN__V1__ENVELOPE__BODY_##CASE, adj_validate_##name, adj_apply_##name, NULL }
#define S_QUERY(CASE, name) \
    { CHEJIAN__V1__ENVELOPE__BODY_##CASE, adj_validate_##name, NULL, adj_query_##name }
#define S_EVENT(CASE, name) { CHEJIAN__V1__ENVELOPE__BODY_##CASE, NULL, adj_on_##name, NULL }
#define S_COUNT(table) (sizeof table / sizeof table[0])

static const cj_handler_t s_handlers[] = {
    S_COMMAND (PUBLISH_POLICY, publish_policy),
    S_COMMAND (TOP_UP_FUND, top_up_fund),
    S_COMMAND (ALLOCATE_FUND, allocate_fund),
    S_COMMAND (APPLY_FOR_LOAN, apply_for_loan),
    S_COMMAND (RECORD_LOAN_DISBURSEMENT, record_loan_disbursement),
    S_COMMAND (RECORD_INTEREST_ACCRUAL, record_interest_accrual),
    S_COMMAND (RECORD_CHECKLIST_RATING, record_checklist_rating),
    S_COMMAND (CONFIRM_PAYMENT, confirm_payment),
    S_COMMAND (REQUEST_CERTIFICATION, request_certification),
    S_COMMAND (REQUEST_ANNUAL_REWARD, request_annual_reward),
    S_COMMAND (REVOKE_DECISION, revoke_decision),
    S_QUERY (LIST_DECISIONS, list_decisions),
    S_QUERY (EXPLAIN_DECISION, explain_decision),
    S_QUERY (LIST_FUNDS, list_funds),
    S_QUERY (LIST_FUND_MOVEMENTS, list_fund_movements),
    S_QUERY (GET_POLICY_IN_FORCE, get_policy_in_force),
    S_QUERY (GET_POLICY, get_policy),
    S_QUERY (LIST_PAYMENTS, list_payments),
    S_QUERY (GET_LOAN, get_loan),
    S_QUERY (GET_ADJUDICATION_SUMMARY, get_adjudication_summary),
};

static const cj_handler_t s_registry_events[] = {
    S_EVENT (WORKSHOP_REGISTERED, workshop),
    S_EVENT (WORKSHOP_UPDATED, workshop),
    S_EVENT (WORKER_REGISTERED, worker_registered),
    S_EVENT (WORKER_STATUS_CHANGED, worker_status_changed),
    S_EVENT (EMPLOYMENT_STARTED, employment_started),
    S_EVENT (EMPLOYMENT_AMENDED, employment_amended),
    S_EVENT (EMPLOYMENT_ENDED, employment_ended),
};

static const cj_handler_t s_payroll_events[] = {
    S_EVENT (WAGE_LINE_APPLIED, wage_line_applied),
    S_EVENT (OUTPUT_RECORDED, output_recorded),
};

static const cj_subscription_t s_subscriptions[] = {
    { "reg", "CHEJIAN_REGISTRY_PUB_ENDPOINT", s_registry_events, S_COUNT (s_registry_events) },
    { "pay", "CHEJIAN_PAYROLL_PUB_ENDPOINT", s_payroll_events, S_COUNT (s_payroll_events) },
};

/*  The endpoints of the producers (the runtime reads them; declared here with their
 *  one-machine defaults), and the pseudonym key file.  */
static const cj_config_option_t s_options[] = {
    CJ_PSEUDONYM_KEY_OPTION,
    { "CHEJIAN_REGISTRY_PUB_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5551",
      "chejian-registry's PUB endpoint (its events)", 0, 0 },
    { "CHEJIAN_PAYROLL_PUB_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5561",
      "chejian-payroll's PUB endpoint (its events)", 0, 0 },
};

static int
s_init (void *arg, const cj_config_t *config, char *err, size_t err_size)
{
    adjudicator_t *adj = arg;
    adj->pseudonym = cj_pseudonym_from_config (config, err, err_size);
    return adj->pseudonym ? 0 : -1;
}

static void
s_fini (void *arg)
{
    adjudicator_t *adj = arg;
    cj_pseudonym_destroy (&adj->pseudonym);
    adjudicator_reset (adj, UINT32_MAX);
}

static void
s_partition_reset (void *arg, uint32_t partition)
{
    adjudicator_reset (arg, partition);
}

static const cj_handler_t *
s_find (const cj_handler_t *table, size_t n, int body_case)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].body_case == body_case)
            return &table[i];
    return NULL;
}

const cj_handler_t *
adjudicator_handler (int body_case)
{
    const cj_handler_t *h = s_find (s_handlers, S_COUNT (s_handlers), body_case);
    if (!h)
        h = s_find (s_registry_events, S_COUNT (s_registry_events), body_case);
    return h ? h : s_find (s_payroll_events, S_COUNT (s_payroll_events), body_case);
}

void
adjudicator_service_def (cj_service_def_t *def, adjudicator_t *adj)
{
    *def = (cj_service_def_t) {
        .name = ADJUDICATOR_NAME,
        .short_name = ADJUDICATOR_SHORT_NAME,
        .owner = CJ_OWNER_ADJUDICATOR,
        .summary = "chejian-adjudicator: dated county policy, workshop certification, one-off "
                   "employment awards funded from county budgets, start-up loans and interest "
                   "subsidies, payment instructions and confirmations. Accepts adjudication "
                   "commands and queries (Envelope bodies 700-710, 800-808) on its ROUTER, "
                   "consumes the registry's and payroll's events, and publishes adjudication "
                   "events (900-911) on its PUB socket.",
        .handlers = s_handlers,
        .nhandlers = S_COUNT (s_handlers),
        .subscriptions = s_subscriptions,
        .nsubscriptions = S_COUNT (s_subscriptions),
        .options = s_options,
        .noptions = S_COUNT (s_options),
        .partition_reset = s_partition_reset,
        .arg = adj,
        .read_ahead = true,
        .default_port_base = ADJUDICATOR_PORT_BASE,
        .init = s_init,
        .fini = s_fini,
    };
}
