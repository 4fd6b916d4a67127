/*  adj_check.c - validators of the pieces adjudication messages share: identifiers, dates,
 *  paging, and a whole policy with every rule's parameters. Each adds every problem it finds
 *  and returns 0 when the value is valid, -1 otherwise. See adjudicator_internal.h.  */
#include <string.h>

#include "adjudicator_internal.h"

#define S_ENUM(p, field, type, value, required) \
    cj_check_enum (p, field, &chejian__v1__##type##__descriptor, (int) (value), required)

/*  Runs 'check' under the prefix 'field' and says whether it added a problem.  */
#define S_SCOPED(p, field, check)                                \
    do {                                                         \
        cj_problems_push (p, "%s", field);                       \
        check;                                                   \
        cj_problems_pop (p);                                     \
    } while (0)

int
adj_check_id (cj_problems_t *p, const char *field, const char *id, bool required)
{
    return cj_check_token (p, field, id, ADJ_ID_MAX, CJ_TOKEN_ALNUM, "._:-", required);
}

int
adj_check_workshop_id (cj_problems_t *p, const char *field, const char *id, bool required)
{
    return cj_check_token (p, field, id, ADJ_WORKSHOP_ID_MAX, CJ_TOKEN_ALNUM, "._-", required);
}

int
adj_check_not_future (cj_problems_t *p, const char *field, int32_t date,
                      const cj_envelope_t *env)
{
    if (cj_check_date_required (p, field, date) != 0)
        return -1;
    if (date <= adj_date_of_ms (env->occurred_at))
        return 0;
    cj_problems_add (p, field, CJ_E_OUT_OF_RANGE, "is after the envelope's date");
    return -1;
}

int
adj_check_page (cj_problems_t *p, const char *field, const Chejian__V1__PageRequest *page)
{
    if (!page)
        return 0;
    cj_problems_push (p, "%s", field);
    int rc = cj_check_token (p, "page_token", page->page_token, 256, CJ_TOKEN_ALNUM, "._:-",
                             false);
    rc |= cj_check_range (p, "page_size", page->page_size, 0, ADJ_PAGE_MAX);
    cj_problems_pop (p);
    return rc ? -1 : 0;
}

void
adj_begin (cj_problems_t *p, const cj_envelope_t *env)
{
    cj_problems_push (p, "%s", cj_body_name (env->body_case));
}

int
adj_end (cj_problems_t *p)
{
    cj_problems_pop (p);
    return cj_problems_any (p) ? -1 : 0;
}

/*  ---- policies ----  */

/*  Each value of a repeated enum field: defined, not UNSPECIFIED, not repeated.  */
static void
s_check_enum_list (cj_problems_t *p, const char *field, const ProtobufCEnumDescriptor *desc,
                   const int *values, size_t n, size_t min, size_t max)
{
    if (n < min)
        cj_problems_add (p, field, CJ_E_REQUIRED, "list at least %zu value(s)", min);
    if (n > max)
        cj_problems_add (p, field, CJ_E_TOO_MANY, "at most %zu values (got %zu)", max, n);
    for (size_t i = 0; i < n && i < max; i++) {
        char name[48];
        snprintf (name, sizeof name, "%s[%zu]", field, i);
        cj_check_enum (p, name, desc, values[i], true);
        for (size_t j = 0; j < i; j++)
            if (values[j] == values[i])
                cj_problems_add (p, name, CJ_E_INVALID_FORMAT, "repeats %s[%zu]", field, j);
    }
}

static void
s_check_qualification (cj_problems_t *p, const adj_qual_t *q)
{
    s_check_enum_list (p, "eligible_statuses", &chejian__v1__poverty_status__descriptor,
                       (const int *) q->eligible_statuses, q->n_eligible_statuses, 1, 5);
    s_check_enum_list (p, "contract_types", &chejian__v1__contract_type__descriptor,
                       (const int *) q->contract_types, q->n_contract_types, 0, 3);
    S_ENUM (p, "basis", qualification_basis, q->basis, true);
    cj_check_range (p, "min_contract_months", q->min_contract_months, 0, 600);
    bool worked = q->basis == CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_MONTHS_WORKED;
    if (worked) {
        cj_check_range (p, "window_months", q->window_months, 1, 60);
        cj_check_range (p, "min_months_worked", q->min_months_worked, 1,
                        q->window_months ? q->window_months : 60);
    } else if (q->window_months || q->min_months_worked || q->min_earnings_fen)
        cj_problems_add (p, q->window_months ? "window_months" : q->min_months_worked
                         ? "min_months_worked" : "min_earnings_fen", CJ_E_INVALID_FORMAT,
                         "applies only to basis QUALIFICATION_BASIS_MONTHS_WORKED");
    cj_check_range (p, "min_earnings_fen", q->min_earnings_fen, 0, 10000000000LL);
    cj_check_range (p, "min_age_years", q->min_age_years, 0, 150);
    cj_check_range (p, "max_age_years", q->max_age_years, 0, 150);
    if (q->max_age_years && q->min_age_years > q->max_age_years)
        cj_problems_add (p, "max_age_years", CJ_E_OUT_OF_RANGE, "is below min_age_years");
}

static void
s_check_qual_field (cj_problems_t *p, const adj_qual_t *q)
{
    if (cj_check_present (p, "qualification", q) == 0)
        S_SCOPED (p, "qualification", s_check_qualification (p, q));
}

static void
s_check_certification (cj_problems_t *p, const Chejian__V1__CertificationParams *cp)
{
    cj_check_range (p, "min_qualifying_laborers", cp->min_qualifying_laborers, 1, 1000);
    s_check_qual_field (p, cp->qualification);
    s_check_enum_list (p, "eligible_types", &chejian__v1__workshop_type__descriptor,
                       (const int *) cp->eligible_types, cp->n_eligible_types, 0, 6);
    cj_check_range (p, "min_checklist_items_passed", cp->min_checklist_items_passed, 0, 32);
    S_ENUM (p, "min_checklist_grade", checklist_grade, cp->min_checklist_grade, false);
    cj_check_range (p, "checklist_max_age_months", cp->checklist_max_age_months, 0, 600);
    cj_check_range (p, "min_operating_months", cp->min_operating_months, 0, 600);
    cj_check_range (p, "min_annual_output_fen", cp->min_annual_output_fen, 0, ADJ_MONEY_MAX);
    cj_check_range (p, "min_average_annual_wage_fen", cp->min_average_annual_wage_fen, 0,
                    10000000000LL);
    cj_check_range (p, "valid_months", cp->valid_months, 0, 600);
}

static void
s_check_award (cj_problems_t *p, const Chejian__V1__EmploymentAwardParams *ap)
{
    cj_check_range (p, "award_per_laborer_fen", ap->award_per_laborer_fen, 1, 100000000);
    s_check_qual_field (p, ap->qualification);
    cj_check_range (p, "min_qualifying_laborers", ap->min_qualifying_laborers, 0, 1000);
    S_ENUM (p, "charge_source", fund_source, ap->charge_source, true);
    cj_check_range (p, "max_award_per_workshop_fen", ap->max_award_per_workshop_fen, 0,
                    1000000000000LL);
}

static void
s_check_loan_terms (cj_problems_t *p, const Chejian__V1__LoanTerms *t)
{
    bool partnership = t->applicant_kind == CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP;
    S_ENUM (p, "applicant_kind", applicant_kind, t->applicant_kind, true);
    cj_check_range (p, "cap_fen", t->cap_fen, partnership ? 0 : 1, 10000000000LL);
    cj_check_range (p, "per_partner_cap_fen", t->per_partner_cap_fen, partnership ? 1 : 0,
                    partnership ? 10000000000LL : 0);
    cj_check_range (p, "partner_bonus_bp", t->partner_bonus_bp, 0, partnership ? 10000 : 0);
    if (t->min_partners)
        cj_check_range (p, "min_partners", t->min_partners, 2, partnership ? 50 : 0);
    cj_check_range (p, "max_term_months", t->max_term_months, 1, 120);
}

static void
s_check_loan (cj_problems_t *p, const Chejian__V1__StartupLoanParams *lp)
{
    if (lp->n_terms < 1 || lp->n_terms > 3)
        cj_problems_add (p, "terms", lp->n_terms ? CJ_E_TOO_MANY : CJ_E_REQUIRED,
                         "one to three applicant kinds");
    for (size_t i = 0; i < lp->n_terms && i < 3; i++) {
        cj_problems_push (p, "terms[%zu]", i);
        if (cj_check_present (p, "", lp->terms[i]) == 0) {
            s_check_loan_terms (p, lp->terms[i]);
            for (size_t j = 0; j < i; j++)
                if (lp->terms[j] && lp->terms[j]->applicant_kind == lp->terms[i]->applicant_kind)
                    cj_problems_add (p, "applicant_kind", CJ_E_INVALID_FORMAT,
                                     "repeats terms[%zu]", j);
        }
        cj_problems_pop (p);
    }
}

static void
s_check_interest (cj_problems_t *p, const Chejian__V1__InterestSubsidyParams *ip)
{
    S_ENUM (p, "formula", interest_formula, ip->formula, true);
    bool share = ip->formula == CHEJIAN__V1__INTEREST_FORMULA__INTEREST_FORMULA_SHARE_OF_INTEREST;
    cj_check_range (p, "share_bp", ip->share_bp, share ? 1 : 0, share ? 10000 : 0);
    cj_check_range (p, "reference_rate_bp", ip->reference_rate_bp, 0, 3000);
    cj_check_range (p, "margin_bp", ip->margin_bp, 0, 3000);
    cj_check_range (p, "max_rate_over_reference_bp", ip->max_rate_over_reference_bp, 0, 3000);
    S_ENUM (p, "rounding", rounding_rule, ip->rounding, true);
    cj_check_range (p, "max_subsidised_months", ip->max_subsidised_months, 0, 120);
    S_ENUM (p, "charge_source", fund_source, ip->charge_source, true);
    if (S_ENUM (p, "payee", payee_kind, ip->payee, false) == 0
        && ip->payee == CHEJIAN__V1__PAYEE_KIND__PAYEE_KIND_WORKSHOP)
        cj_problems_add (p, "payee", CJ_E_OUT_OF_RANGE, "is BANK or BORROWER");
}

static void
s_check_reward (cj_problems_t *p, const Chejian__V1__AnnualRewardParams *rp)
{
    if (rp->n_tiers < 1 || rp->n_tiers > 32)
        cj_problems_add (p, "tiers", rp->n_tiers ? CJ_E_TOO_MANY : CJ_E_REQUIRED,
                         "one to 32 tiers");
    for (size_t i = 0; i < rp->n_tiers && i < 32; i++) {
        const Chejian__V1__RewardTier *t = rp->tiers[i];
        cj_problems_push (p, "tiers[%zu]", i);
        S_ENUM (p, "grade", checklist_grade, t->grade, true);
        cj_check_range (p, "min_staff", t->min_staff, 0, 100000);
        if (t->max_staff && t->max_staff < t->min_staff)
            cj_problems_add (p, "max_staff", CJ_E_OUT_OF_RANGE, "is below min_staff");
        cj_check_range (p, "amount_fen", t->amount_fen, 1, 1000000000LL);
        cj_problems_pop (p);
    }
    cj_check_range (p, "min_staff_months", rp->min_staff_months, 0, 12);
    S_ENUM (p, "charge_source", fund_source, rp->charge_source, true);
}

/*  One rule: its oneof set and its parameters.  */
static void
s_check_rule (cj_problems_t *p, const Chejian__V1__RuleParams *r)
{
    switch (r->params_case) {
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_CERTIFICATION:
        S_SCOPED (p, "certification", s_check_certification (p, r->certification));
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_EMPLOYMENT_AWARD:
        S_SCOPED (p, "employment_award", s_check_award (p, r->employment_award));
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_STARTUP_LOAN:
        S_SCOPED (p, "startup_loan", s_check_loan (p, r->startup_loan));
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_INTEREST_SUBSIDY:
        S_SCOPED (p, "interest_subsidy", s_check_interest (p, r->interest_subsidy));
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_ANNUAL_REWARD:
        S_SCOPED (p, "annual_reward", s_check_reward (p, r->annual_reward));
        break;
    default:
        cj_problems_add (p, "params", CJ_E_REQUIRED, "one rule's parameters are required");
    }
}

static void
s_check_rules (cj_problems_t *p, const adj_policy_t *policy)
{
    if (policy->n_rules < 1 || policy->n_rules > 8)
        cj_problems_add (p, "rules", policy->n_rules ? CJ_E_TOO_MANY : CJ_E_REQUIRED,
                         "one to eight rules");
    for (size_t i = 0; i < policy->n_rules && i < 8; i++) {
        const Chejian__V1__RuleParams *r = policy->rules[i];
        cj_problems_push (p, "rules[%zu]", i);
        if (cj_check_present (p, "", r) == 0) {
            s_check_rule (p, r);
            for (size_t j = 0; j < i; j++)
                if (policy->rules[j] && policy->rules[j]->params_case == r->params_case
                    && r->params_case)
                    cj_problems_add (p, "params", CJ_E_INVALID_FORMAT,
                                     "a second rule of the kind of rules[%zu]", j);
        }
        cj_problems_pop (p);
    }
}

/*  True when county code 'county' lies in 'jurisdiction' ("000000" holds every county).  */
static bool
s_in_jurisdiction (const char *jurisdiction, const char *county)
{
    return strcmp (jurisdiction, "000000") == 0
           || strncmp (county, jurisdiction, strlen (jurisdiction)) == 0;
}

int
adj_check_policy (cj_problems_t *p, const adj_policy_t *policy, const char *county)
{
    if (cj_check_present (p, "policy", policy) != 0)
        return -1;
    size_t before = p->count + p->dropped;
    cj_problems_push (p, "policy");
    adj_check_id (p, "policy_id", policy->policy_id, true);
    cj_check_range (p, "version", policy->version, 1, 1000000);
    cj_check_text (p, "title", policy->title, 128, true);
    if (cj_check_jurisdiction (p, "jurisdiction", policy->jurisdiction) == 0 && county
        && !s_in_jurisdiction (policy->jurisdiction, county))
        cj_problems_add (p, "jurisdiction", CJ_E_OUT_OF_RANGE,
                         "does not hold the envelope's county; send the policy with a county "
                         "of its jurisdiction");
    cj_check_date_required (p, "effective_from_date", policy->effective_from_date);
    if (cj_check_date_opt (p, "effective_to_date", policy->effective_to_date) == 0)
        cj_check_date_order (p, "effective_to_date", policy->effective_from_date,
                             policy->effective_to_date);
    cj_check_text (p, "issuing_document", policy->issuing_document, 128, false);
    s_check_rules (p, policy);
    cj_problems_pop (p);
    return p->count + p->dropped > before ? -1 : 0;
}
