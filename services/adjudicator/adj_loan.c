/*  adj_loan.c - guaranteed start-up loans: ApplyForLoan (eligibility and cap by applicant
 *  kind, term, one loan per person), RecordLoanDisbursement, and RecordInterestAccrual (the
 *  interest subsidy of one period, charged to the county's fund). Applicants and partners
 *  are kept by pseudonym (the registry's "worker" scheme) and masked ID only.
 *  See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

#define S_KIND(x)   CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_##x
#define S_LOAN_RULE ADJ_RULE (STARTUP_LOAN)
#define S_INT_RULE  ADJ_RULE (INTEREST_SUBSIDY)

typedef Chejian__V1__ApplyForLoan s_apply_t;

int
adj_loan (adj_call_t *c, const char *application_id, adj_loan_t **ret)
{
    return adj_read (c, ADJ_LOANS, application_id, &chejian__adj__loan_record__descriptor,
                     (void **) ret);
}

/*  ---- ApplyForLoan: validation ----  */

static void
s_forbid (cj_problems_t *p, const char *field, bool set)
{
    if (set)
        cj_problems_add (p, field, CJ_E_INVALID_FORMAT, "must be empty for this applicant kind");
}

static void
s_check_partners (cj_problems_t *p, const s_apply_t *cmd)
{
    cj_check_range (p, "partners_count", cmd->partners_count, 2, 50);
    if (cmd->n_partner_resident_ids && cmd->n_partner_resident_ids != cmd->partners_count)
        cj_problems_add (p, "partner_resident_ids", CJ_E_OUT_OF_RANGE,
                         "list none or exactly partners_count partners");
    bool lead = cmd->n_partner_resident_ids == 0;
    for (size_t i = 0; i < cmd->n_partner_resident_ids && i < 50; i++) {
        char field[40];
        snprintf (field, sizeof field, "partner_resident_ids[%zu]", i);
        if (cj_check_resident_id (p, field, cmd->partner_resident_ids[i]) != 0)
            continue;
        lead |= strcmp (cmd->partner_resident_ids[i], cmd->applicant_resident_id) == 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp (cmd->partner_resident_ids[j], cmd->partner_resident_ids[i]) == 0)
                cj_problems_add (p, field, CJ_E_INVALID_FORMAT, "the same person as [%zu]", j);
    }
    if (!lead)
        cj_problems_add (p, "partner_resident_ids", CJ_E_INVALID_FORMAT,
                         "must include the lead partner");
}

/*  The fields that depend on the applicant's kind.  */
static void
s_check_applicant (cj_problems_t *p, const s_apply_t *cmd)
{
    bool person = cmd->applicant_kind != S_KIND (ENTERPRISE);
    bool partnership = cmd->applicant_kind == S_KIND (PARTNERSHIP);
    if (person)
        cj_check_resident_id (p, "applicant_resident_id", cmd->applicant_resident_id);
    s_forbid (p, "applicant_resident_id", !person && *cmd->applicant_resident_id);
    if (cmd->applicant_kind == S_KIND (ENTERPRISE) || (partnership && *cmd->applicant_uscc))
        cj_check_uscc (p, "applicant_uscc", cmd->applicant_uscc);
    s_forbid (p, "applicant_uscc", cmd->applicant_kind == S_KIND (INDIVIDUAL)
                                   && *cmd->applicant_uscc);
    cj_check_text (p, "applicant_name", cmd->applicant_name, 64, !person || partnership);
    s_forbid (p, "applicant_name", cmd->applicant_kind == S_KIND (INDIVIDUAL)
                                   && *cmd->applicant_name);
    if (partnership)
        s_check_partners (p, cmd);
    s_forbid (p, "partners_count", !partnership && cmd->partners_count);
    s_forbid (p, "partner_resident_ids", !partnership && cmd->n_partner_resident_ids);
}

int
adj_validate_apply_for_loan (const cj_envelope_t *env, cj_problems_t *p)
{
    const s_apply_t *cmd = env->apply_for_loan;
    adj_begin (p, env);
    adj_check_id (p, "application_id", cmd->application_id, true);
    if (cj_check_enum (p, "applicant_kind", &chejian__v1__applicant_kind__descriptor,
                       (int) cmd->applicant_kind, true) == 0)
        s_check_applicant (p, cmd);
    adj_check_workshop_id (p, "workshop_id", cmd->workshop_id, false);
    cj_check_range (p, "requested_fen", cmd->requested_fen, 1, 10000000000LL);
    cj_check_range (p, "term_months", cmd->term_months, 1, 120);
    cj_check_token (p, "bank_code", cmd->bank_code, 32, CJ_TOKEN_ALNUM, "-", true);
    adj_check_not_future (p, "application_date", cmd->application_date, env);
    return adj_end (p);
}

/*  ---- ApplyForLoan: the decision ----  */

/*  The borrower index keys of an application: person pseudonyms and the USCC.  */
static char **
s_holder_keys (adj_call_t *c, const Chejian__V1__LoanDecided *ev, size_t *ret_n)
{
    char **keys = adj_array (c, ev->n_partner_keys + 2);
    size_t n = 0;
    if (!keys)
        return NULL;
    if (*ev->applicant_key)
        keys[n++] = ev->applicant_key;
    for (size_t i = 0; i < ev->n_partner_keys; i++)
        if (strcmp (ev->partner_keys[i], ev->applicant_key) != 0)
            keys[n++] = ev->partner_keys[i];
    if (*ev->applicant_uscc)
        keys[n++] = ev->applicant_uscc;
    *ret_n = n;
    return keys;
}

/*  The application of someone who already holds a granted loan, or NULL.  */
static int
s_held (adj_call_t *c, char **keys, size_t n, char **ret_application)
{
    char key[CJ_KEY_MAX];
    *ret_application = NULL;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_BORROWERS) != 0)
        return -1;
    for (size_t i = 0; i < n && !*ret_application; i++) {
        char *app = NULL;
        int rc = cj_ctx_hget (c->ctx, key, keys[i], &app, NULL);
        if (rc < 0)
            return -1;
        *ret_application = app ? cj_arena_strdup (c->arena, app) : NULL;
        free (app);
    }
    return 0;
}

static const Chejian__V1__LoanTerms *
s_terms_for (const Chejian__V1__StartupLoanParams *lp, int kind)
{
    for (size_t i = 0; i < lp->n_terms; i++)
        if ((int) lp->terms[i]->applicant_kind == kind)
            return lp->terms[i];
    return NULL;
}

/*  Decides 'ev' (its decision 'r') under 'lp': eligibility, cap, term, one loan per person.  */
static int
s_decide_loan (adj_call_t *c, const Chejian__V1__StartupLoanParams *lp, adj_drec_t *r,
               Chejian__V1__LoanDecided *ev, size_t nkeys, char **keys)
{
    const Chejian__V1__LoanTerms *t = s_terms_for (lp, (int) ev->applicant_kind);
    adj_decision_t *d = r->decision;
    char *held = NULL;
    if (!t) {
        adj_reason (c, r, "APPLICANT_KIND_NOT_ELIGIBLE", "The policy grants no loans to this "
                    "kind of applicant.");
        return 0;
    }
    uint32_t min_partners = t->min_partners ? t->min_partners : 2;
    ev->cap_fen = adj_loan_cap (t, ev->partners_count);
    ev->max_term_months = t->max_term_months;
    adj_param (c, r, "startup_loan.cap_fen", "fen", "%lld", (long long) t->cap_fen);
    if (t->applicant_kind == S_KIND (PARTNERSHIP)) {
        adj_param (c, r, "startup_loan.per_partner_cap_fen", "fen", "%lld",
                   (long long) t->per_partner_cap_fen);
        adj_param (c, r, "startup_loan.partner_bonus_bp", "bp", "%u", t->partner_bonus_bp);
        adj_param (c, r, "startup_loan.min_partners", "count", "%u", min_partners);
    }
    adj_param (c, r, "startup_loan.max_term_months", "months", "%u", t->max_term_months);
    adj_param (c, r, "startup_loan.one_loan_per_person", "bool", "%s",
               lp->one_loan_per_person ? "true" : "false");
    adj_fact (c, r, "applicable_cap_fen", "fen", d->facts_date, "adjudicator", "", "%lld",
              (long long) ev->cap_fen);
    if (lp->one_loan_per_person && s_held (c, keys, nkeys, &held) != 0)
        return -1;
    if (t->applicant_kind == S_KIND (PARTNERSHIP) && ev->partners_count < min_partners)
        adj_reason (c, r, "TOO_FEW_PARTNERS", "The partnership has fewer partners than the "
                    "policy requires (%u).", min_partners);
    else if (ev->term_months > t->max_term_months)
        adj_reason (c, r, "TERM_TOO_LONG", "The term asked for (%u months) exceeds the longest "
                    "allowed (%u months).", ev->term_months, t->max_term_months);
    else if (held)
        adj_reason (c, r, "ALREADY_HOLDS_LOAN", "The applicant or a partner already holds a "
                    "granted loan (application %s).", held);
    else {
        d->outcome = ADJ_GRANTED;
        d->amount_fen = ev->requested_fen < ev->cap_fen ? ev->requested_fen : ev->cap_fen;
        adj_reason (c, r, ev->requested_fen > ev->cap_fen ? "GRANTED_UP_TO_CAP" : "GRANTED",
                    "Granted %lld fen: the amount asked for (%lld), at most the cap (%lld).",
                    (long long) d->amount_fen, (long long) ev->requested_fen,
                    (long long) ev->cap_fen);
    }
    return 0;
}

/*  The LoanDecided event of the command, applicants pseudonymised.  */
static Chejian__V1__LoanDecided *
s_loan_event (adj_call_t *c, const s_apply_t *cmd)
{
    Chejian__V1__LoanDecided *ev = cj_arena_alloc (c->arena, sizeof *ev);
    if (!ev)
        return NULL;
    chejian__v1__loan_decided__init (ev);
    ev->application_id = cmd->application_id;
    ev->applicant_kind = cmd->applicant_kind;
    if (*cmd->applicant_resident_id) {
        ev->applicant_key = adj_person_key (c, cmd->applicant_resident_id);
        ev->applicant_resident_id_masked = adj_masked (c, cmd->applicant_resident_id);
    }
    ev->applicant_uscc = cmd->applicant_uscc;
    ev->applicant_name = cmd->applicant_name;
    ev->partners_count = cmd->partners_count;
    ev->partner_keys = adj_array (c, cmd->n_partner_resident_ids);
    for (size_t i = 0; ev->partner_keys && i < cmd->n_partner_resident_ids; i++)
        ev->partner_keys[ev->n_partner_keys++] = adj_person_key (c, cmd->partner_resident_ids[i]);
    ev->workshop_id = cmd->workshop_id;
    ev->requested_fen = cmd->requested_fen;
    ev->term_months = cmd->term_months;
    ev->bank_code = cmd->bank_code;
    return ev->partner_keys && ev->applicant_key && ev->applicant_resident_id_masked ? ev : NULL;
}

/*  Stores the loan record and, when granted, the borrower index entries.  */
static int
s_store_loan (adj_call_t *c, Chejian__V1__LoanDecided *ev, char **keys, size_t nkeys)
{
    adj_loan_t rec = CHEJIAN__ADJ__LOAN_RECORD__INIT;
    Chejian__V1__LoanView view = CHEJIAN__V1__LOAN_VIEW__INIT;
    char key[CJ_KEY_MAX];
    view.application_id = ev->application_id;
    view.decided = ev;
    rec.view = &view;
    bool granted = ev->decision->outcome == ADJ_GRANTED;
    if (granted) {
        rec.holder_keys = keys;
        rec.n_holder_keys = nkeys;
    }
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_BORROWERS) != 0)
        return -1;
    for (size_t i = 0; granted && i < nkeys; i++)
        if (cj_batch_hset (cj_ctx_batch (c->ctx), key, keys[i], ev->application_id,
                           strlen (ev->application_id)) != 0)
            return -1;
    return adj_write (c, ADJ_LOANS, ev->application_id, &rec.base);
}

static int
s_apply_for_loan (adj_call_t *c)
{
    const s_apply_t *cmd = c->env->apply_for_loan;
    adj_loan_t *old = NULL;
    adj_workshop_t *ws = NULL;
    adj_prec_t *policy = NULL;
    if (adj_loan (c, cmd->application_id, &old) < 0
        || (*cmd->workshop_id && adj_need (c, ADJ_WORKSHOPS, cmd->workshop_id,
                                           &chejian__adj__workshop_facts__descriptor, (void **) &ws,
                                           "apply_for_loan.workshop_id", CJ_E_NOT_YET_KNOWN,
                                           "workshop") < 0)
        || adj_resolve (c, S_LOAN_RULE, cmd->application_date, &policy) < 0)
        return -1;
    if (old)
        cj_problems_add (c->p, "apply_for_loan.application_id", CJ_E_CONFLICT, "is already used");
    Chejian__V1__LoanDecided *ev = cj_problems_any (c->p) ? NULL : s_loan_event (c, cmd);
    adj_drec_t *r = ev ? adj_drec_new (c, S_LOAN_RULE, cmd->application_date, policy) : NULL;
    size_t nkeys = 0;
    char **keys = r ? s_holder_keys (c, ev, &nkeys) : NULL;
    if (!keys)
        return -1;
    r->decision->outcome = ADJ_DENIED;
    r->decision->subject->application_id = cmd->application_id;
    r->decision->subject->workshop_id = cmd->workshop_id;
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, S_LOAN_RULE)
                                                 : NULL;
    if (!rule)
        adj_reason (c, r, "NO_POLICY_IN_FORCE", "No start-up loan policy is in force for the "
                    "county on the application date.");
    else if (rule->startup_loan->require_registered_workshop && !*cmd->workshop_id)
        adj_reason (c, r, "WORKSHOP_REQUIRED", "The policy lends only for a registered "
                    "workshop; the application names none.");
    else if (s_decide_loan (c, rule->startup_loan, r, ev, nkeys, keys) != 0)
        return -1;
    adj_fact (c, r, "requested_fen", "fen", cmd->application_date, c->env->source,
              c->env->event_id, "%lld", (long long) cmd->requested_fen);
    adj_fact (c, r, "term_months", "months", cmd->application_date, c->env->source,
              c->env->event_id, "%u", cmd->term_months);
    ev->granted_fen = r->decision->amount_fen;
    if (adj_record (c, r, ADJ_BODY (LOAN_DECIDED), &ev->base) != 0)
        return -1;
    return s_store_loan (c, ev, keys, nkeys);
}

int
adj_apply_apply_for_loan (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_apply_for_loan);
}

int
adj_loan_released (adj_call_t *c, const adj_drec_t *r)
{
    adj_loan_t *loan;
    char key[CJ_KEY_MAX];
    if (adj_loan (c, r->decision->subject->application_id, &loan) != 1
        || adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_BORROWERS) != 0)
        return -1;
    for (size_t i = 0; i < loan->n_holder_keys; i++)
        if (cj_batch_hdel (cj_ctx_batch (c->ctx), key, loan->holder_keys[i]) != 0)
            return -1;
    loan->n_holder_keys = 0;
    return adj_write (c, ADJ_LOANS, loan->view->application_id, &loan->base);
}

/*  ---- RecordLoanDisbursement ----  */

int
adj_validate_record_loan_disbursement (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RecordLoanDisbursement *cmd = env->record_loan_disbursement;
    adj_begin (p, env);
    adj_check_id (p, "loan_id", cmd->loan_id, true);
    adj_check_id (p, "application_id", cmd->application_id, true);
    cj_check_range (p, "principal_fen", cmd->principal_fen, 1, 10000000000LL);
    adj_check_not_future (p, "disbursed_date", cmd->disbursed_date, env);
    if (cj_check_date_required (p, "maturity_date", cmd->maturity_date) == 0
        && cmd->maturity_date <= cmd->disbursed_date)
        cj_problems_add (p, "maturity_date", CJ_E_OUT_OF_RANGE, "must be after disbursed_date");
    cj_check_range (p, "rate_bp", cmd->rate_bp, 1, 3000);
    cj_check_range (p, "reference_rate_bp", cmd->reference_rate_bp, 0, 3000);
    cj_check_token (p, "bank_code", cmd->bank_code, 32, CJ_TOKEN_ALNUM, "-", true);
    return adj_end (p);
}

/*  The state checks of a disbursement against the approved application.  */
static void
s_check_disbursement (adj_call_t *c, const adj_loan_t *loan, const adj_drec_t *cur)
{
    const Chejian__V1__RecordLoanDisbursement *cmd = c->env->record_loan_disbursement;
    const Chejian__V1__LoanDecided *d = loan->view->decided;
    const char *f = "record_loan_disbursement.";
    if (!cur || !adj_live (cur) || cur->decision->outcome != ADJ_GRANTED)
        cj_problems_add (c->p, adj_fmt (c, "%sapplication_id", f), CJ_E_CONFLICT,
                         "is not an approved application");
    else if (loan->view->disbursement)
        cj_problems_add (c->p, adj_fmt (c, "%sapplication_id", f), CJ_E_CONFLICT,
                         "was disbursed already (loan %s)", loan->view->loan_id);
    if (cmd->principal_fen > d->granted_fen)
        cj_problems_add (c->p, adj_fmt (c, "%sprincipal_fen", f), CJ_E_CONFLICT,
                         "exceeds the amount granted (%lld fen)", (long long) d->granted_fen);
    if (cmd->disbursed_date < cur->decision->facts_date)
        cj_problems_add (c->p, adj_fmt (c, "%sdisbursed_date", f), CJ_E_CONFLICT,
                         "is before the application date");
    if (cmd->maturity_date > cj_date_add_months (cmd->disbursed_date, (int) d->term_months))
        cj_problems_add (c->p, adj_fmt (c, "%smaturity_date", f), CJ_E_CONFLICT,
                         "is beyond the approved term of %u months", d->term_months);
    if (strcmp (cmd->bank_code, d->bank_code) != 0)
        cj_problems_add (c->p, adj_fmt (c, "%sbank_code", f), CJ_E_CONFLICT,
                         "differs from the application's bank");
}

static int
s_record_disbursement (adj_call_t *c)
{
    const Chejian__V1__RecordLoanDisbursement *cmd = c->env->record_loan_disbursement;
    adj_loan_t *loan;
    adj_drec_t *cur = NULL;
    char *other = NULL, key[CJ_KEY_MAX];
    if (adj_need (c, ADJ_LOANS, cmd->application_id, &chejian__adj__loan_record__descriptor,
                  (void **) &loan, "record_loan_disbursement.application_id", CJ_E_NOT_FOUND,
                  "loan application") != 1
        || adj_current (c, adj_fmt (c, "3|%s", cmd->application_id), &cur) < 0
        || adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_LOAN_IDS) != 0
        || cj_ctx_hget (c->ctx, key, cmd->loan_id, &other, NULL) < 0)
        return -1;
    if (other)
        cj_problems_add (c->p, "record_loan_disbursement.loan_id", CJ_E_CONFLICT,
                         "is already recorded");
    free (other);
    s_check_disbursement (c, loan, cur);
    if (cj_problems_any (c->p))
        return -1;
    Chejian__V1__LoanDisbursementRecorded *ev = cj_arena_alloc (c->arena, sizeof *ev);
    if (!ev)
        return -1;
    chejian__v1__loan_disbursement_recorded__init (ev);
    ev->loan_id = cmd->loan_id;
    ev->application_id = cmd->application_id;
    ev->decision_id = cur->decision->decision_id;
    ev->workshop_id = loan->view->decided->workshop_id;
    ev->applicant_kind = loan->view->decided->applicant_kind;
    ev->principal_fen = cmd->principal_fen;
    ev->disbursed_date = cmd->disbursed_date;
    ev->maturity_date = cmd->maturity_date;
    ev->rate_bp = cmd->rate_bp;
    ev->reference_rate_bp = cmd->reference_rate_bp;
    ev->bank_code = cmd->bank_code;
    loan->view->loan_id = cmd->loan_id;
    loan->view->disbursement = ev;
    if (cj_batch_hset (cj_ctx_batch (c->ctx), key, cmd->loan_id, cmd->application_id,
                       strlen (cmd->application_id)) != 0
        || adj_write (c, ADJ_LOANS, cmd->application_id, &loan->base) != 0)
        return -1;
    return adj_emit (c, ADJ_BODY (LOAN_DISBURSEMENT_RECORDED), &ev->base);
}

int
adj_apply_record_loan_disbursement (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_record_disbursement);
}

/*  ---- RecordInterestAccrual ----  */

int
adj_validate_record_interest_accrual (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RecordInterestAccrual *cmd = env->record_interest_accrual;
    adj_begin (p, env);
    adj_check_id (p, "loan_id", cmd->loan_id, true);
    cj_check_date_required (p, "period_start_date", cmd->period_start_date);
    if (adj_check_not_future (p, "period_end_date", cmd->period_end_date, env) == 0)
        cj_check_date_order (p, "period_end_date", cmd->period_start_date, cmd->period_end_date);
    cj_check_range (p, "principal_fen", cmd->principal_fen, 0, 10000000000LL);
    cj_check_range (p, "rate_bp", cmd->rate_bp, 1, 3000);
    cj_check_range (p, "interest_fen", cmd->interest_fen, 0, 1000000000LL);
    return adj_end (p);
}

/*  The loan of 'loan_id' (NOT_FOUND when none), its period not reported yet and within the
 *  loan's dates (CONFLICT).  */
static int
s_find_period (adj_call_t *c, adj_loan_t **ret)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    char key[CJ_KEY_MAX], *app = NULL;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, ADJ_LOAN_IDS) != 0
        || cj_ctx_hget (c->ctx, key, cmd->loan_id, &app, NULL) < 0)
        return -1;
    int rc = app ? adj_loan (c, app, ret) : 0;
    free (app);
    if (rc <= 0) {
        if (rc == 0)
            cj_problems_add (c->p, "record_interest_accrual.loan_id", CJ_E_NOT_FOUND,
                             "no disbursed loan with this id in county %s", c->county);
        return -1;
    }
    const Chejian__V1__LoanView *v = (*ret)->view;
    for (size_t i = 0; i < v->n_periods; i++)
        if (v->periods[i]->period_start_date == cmd->period_start_date)
            cj_problems_add (c->p, "record_interest_accrual.period_start_date", CJ_E_CONFLICT,
                             "this period is reported already");
    if (!adj_within (cmd->period_start_date, v->disbursement->disbursed_date,
                     v->disbursement->maturity_date)
        || cmd->period_end_date > v->disbursement->maturity_date)
        cj_problems_add (c->p, "record_interest_accrual.period_start_date", CJ_E_CONFLICT,
                         "the period lies outside the loan's dates");
    return cj_problems_any (c->p) ? -1 : 0;
}

/*  Whether the period gets a subsidy at all (DENIED reasons otherwise).  */
static bool
s_period_eligible (adj_call_t *c, adj_drec_t *r, const Chejian__V1__InterestSubsidyParams *ip,
                   const Chejian__V1__LoanView *v, const adj_drec_t *loan_decision)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    int32_t limit = ip->max_subsidised_months
                    ? cj_date_add_months (v->disbursement->disbursed_date,
                                          (int) ip->max_subsidised_months)
                    : v->disbursement->maturity_date;
    if (!adj_live (loan_decision)) {
        adj_reason (c, r, "LOAN_REVOKED", "The loan's approval has been revoked.");
        return false;
    }
    if (cmd->period_start_date > limit) {
        adj_reason (c, r, "SUBSIDY_PERIOD_OVER", "The period starts after the months the "
                    "policy subsidises.");
        return false;
    }
    if (cmd->overdue && ip->no_subsidy_when_overdue) {
        adj_reason (c, r, "OVERDUE", "The borrower was overdue in the period; the policy pays "
                    "no subsidy then.");
        return false;
    }
    return true;
}

/*  The payee of an interest subsidy: the bank, or the borrower.  */
static Chejian__V1__Payee *
s_interest_payee (adj_call_t *c, const Chejian__V1__InterestSubsidyParams *ip,
                  const Chejian__V1__LoanView *v)
{
    Chejian__V1__Payee *p = cj_arena_alloc (c->arena, sizeof *p);
    if (!p)
        return NULL;
    chejian__v1__payee__init (p);
    const Chejian__V1__LoanDecided *d = v->decided;
    if (ip->payee == CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_BORROWER) {
        p->kind = CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_BORROWER;
        p->borrower_key = d->applicant_key;
        p->resident_id_masked = d->applicant_resident_id_masked;
        p->name = d->applicant_name;
        p->uscc = d->applicant_uscc;
    } else {
        p->kind = CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_BANK;
        p->bank_code = d->bank_code;
    }
    p->workshop_id = d->workshop_id;
    return p;
}

/*  Computes the subsidy of the period into 'ev' and 'r'.  */
static int
s_subsidise (adj_call_t *c, adj_drec_t *r, const Chejian__V1__InterestSubsidyParams *ip,
             const Chejian__V1__LoanView *v, Chejian__V1__InterestSubsidyComputed *ev)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    ev->formula = ip->formula;
    ev->rounding = ip->rounding;
    ev->subsidy_fen = adj_interest_subsidy (ip, cmd->interest_fen, cmd->rate_bp,
                                            v->disbursement->reference_rate_bp,
                                            &ev->borrower_rate_bp, &ev->reference_rate_bp);
    ev->borrower_pays_fen = cmd->interest_fen - ev->subsidy_fen;
    adj_fact (c, r, "subsidy_exact", "fen", cmd->period_end_date, "adjudicator", "",
              "%lld rounded %s", (long long) ev->subsidy_fen,
              protobuf_c_enum_descriptor_get_value (&chejian__v1__rounding_rule__descriptor,
                                                    (int) ip->rounding)->name);
    if (ev->subsidy_fen <= 0) {
        adj_reason (c, r, "NOTHING_DUE", "The formula leaves no subsidy for this period.");
        return 0;
    }
    r->decision->amount_fen = ev->subsidy_fen;
    r->charge_source = ip->charge_source;
    r->purpose = adj_fmt (c, "创业担保贷款贴息 %s %d-%d", v->loan_id, (int) cmd->period_start_date,
                          (int) cmd->period_end_date);
    if (!(r->payee = s_interest_payee (c, ip, v)))
        return -1;
    adj_reason (c, r, "SUBSIDY_COMPUTED", "Subsidy %lld fen of interest %lld fen for %d..%d.",
                (long long) ev->subsidy_fen, (long long) cmd->interest_fen,
                (int) cmd->period_start_date, (int) cmd->period_end_date);
    return adj_plan_charge (c, r);
}

static Chejian__V1__InterestSubsidyComputed *
s_interest_event (adj_call_t *c, const Chejian__V1__LoanView *v)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    Chejian__V1__InterestSubsidyComputed *ev = cj_arena_alloc (c->arena, sizeof *ev);
    if (!ev)
        return NULL;
    chejian__v1__interest_subsidy_computed__init (ev);
    ev->loan_id = cmd->loan_id;
    ev->application_id = v->application_id;
    ev->period_start_date = cmd->period_start_date;
    ev->period_end_date = cmd->period_end_date;
    ev->principal_fen = cmd->principal_fen;
    ev->rate_bp = cmd->rate_bp;
    ev->interest_fen = cmd->interest_fen;
    ev->borrower_pays_fen = cmd->interest_fen;
    ev->bank_code = v->disbursement->bank_code;
    return ev;
}

static int
s_add_period (adj_call_t *c, adj_loan_t *loan, const adj_drec_t *r)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    Chejian__V1__LoanView *v = loan->view;
    Chejian__V1__InterestPeriodView *pv = cj_arena_alloc (c->arena, sizeof *pv);
    Chejian__V1__InterestPeriodView **periods = adj_array (c, v->n_periods + 1);
    if (!pv || !periods)
        return -1;
    chejian__v1__interest_period_view__init (pv);
    pv->period_start_date = cmd->period_start_date;
    pv->period_end_date = cmd->period_end_date;
    pv->interest_fen = cmd->interest_fen;
    pv->subsidy_fen = r->decision->amount_fen;
    pv->outcome = r->decision->outcome;
    pv->decision_id = r->decision->decision_id;
    size_t at = v->n_periods;
    while (at > 0 && v->periods[at - 1]->period_start_date > pv->period_start_date)
        at--;
    adj_copy (periods, v->periods, at * sizeof *periods);
    periods[at] = pv;
    adj_copy (periods + at + 1, v->periods + at, (v->n_periods - at) * sizeof *periods);
    v->periods = periods;
    v->n_periods++;
    return adj_write (c, ADJ_LOANS, v->application_id, &loan->base);
}

static int
s_record_interest (adj_call_t *c)
{
    const Chejian__V1__RecordInterestAccrual *cmd = c->env->record_interest_accrual;
    adj_loan_t *loan;
    adj_prec_t *policy = NULL;
    adj_drec_t *approval = NULL;
    if (s_find_period (c, &loan) != 0
        || adj_current (c, adj_fmt (c, "3|%s", loan->view->application_id), &approval) < 0
        || adj_resolve (c, S_INT_RULE, cmd->period_start_date, &policy) < 0)
        return -1;
    const Chejian__V1__LoanView *v = loan->view;
    Chejian__V1__InterestSubsidyComputed *ev = s_interest_event (c, v);
    adj_drec_t *r = ev ? adj_drec_new (c, S_INT_RULE, cmd->period_start_date, policy) : NULL;
    if (!r)
        return -1;
    Chejian__V1__Subject *s = r->decision->subject;
    s->application_id = v->application_id;
    s->loan_id = cmd->loan_id;
    s->period_start_date = cmd->period_start_date;
    s->workshop_id = v->decided->workshop_id;
    r->decision->outcome = ADJ_DENIED;
    adj_fact (c, r, "interest_fen", "fen", cmd->period_end_date, "bank", c->env->event_id,
              "%lld", (long long) cmd->interest_fen);
    adj_fact (c, r, "rate_bp", "bp", cmd->period_start_date, "bank", c->env->event_id, "%u",
              cmd->rate_bp);
    const Chejian__V1__RuleParams *rule = policy ? adj_policy_rule (policy->policy, S_INT_RULE)
                                                 : NULL;
    if (!rule)
        adj_reason (c, r, "NO_POLICY_IN_FORCE", "No interest-subsidy policy is in force for "
                    "the county at the period's start.");
    else {
        adj_cite_params (c, r, rule);
        if (s_period_eligible (c, r, rule->interest_subsidy, v, approval)
            && s_subsidise (c, r, rule->interest_subsidy, v, ev) != 0)
            return -1;
    }
    ev->subsidy_fen = r->decision->amount_fen;
    ev->borrower_pays_fen = cmd->interest_fen - ev->subsidy_fen;
    if (adj_record (c, r, ADJ_BODY (INTEREST_SUBSIDY_COMPUTED), &ev->base) != 0)
        return -1;
    return s_add_period (c, loan, r);
}

int
adj_apply_record_interest_accrual (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_record_interest);
}
