/*  adjudicator_test_data.c - see adjudicator_test_data.h.  */
#include "adjudicator_test_data.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/json.h"
#include "registry_test_data.h"

const char *const adj_data_policy_files[] = {
    "000000-national-2021.json", "45-guangxi-2018.json", "45-guangxi-2022.json",
    "50-chongqing-2022.json", "500236-fengjie-2018.json", "500237-wushan-2018.json",
    "510822-qingchuan-2019.json", NULL,
};

const char *
adj_data_policy_dir (void)
{
    return CJ_POLICY_DIR;
}

static char *
s_slurp (const char *path, size_t *ret_len)
{
    FILE *f = fopen (path, "rb");
    char *text = NULL;
    long len = -1;
    if (f && fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0
        && (text = malloc ((size_t) len + 1)) && fread (text, 1, (size_t) len, f) == (size_t) len)
        text[len] = 0;
    else {
        free (text);
        text = NULL;
    }
    if (f)
        fclose (f);
    *ret_len = text ? (size_t) len : 0;
    return text;
}

Chejian__V1__PublishPolicy *
adj_data_load_policy (const char *file, cj_problems_t *problems)
{
    char path[512];
    size_t len;
    snprintf (path, sizeof path, "%s/%s", CJ_POLICY_DIR, file);
    char *text = s_slurp (path, &len);
    if (!text) {
        cj_problems_add (problems, "", CJ_E_NOT_FOUND, "cannot read %s", path);
        return NULL;
    }
    ProtobufCMessage *m = cj_json_loads (&chejian__v1__publish_policy__descriptor, text, len, 0,
                                         problems);
    free (text);
    return (Chejian__V1__PublishPolicy *) m;
}

/*  ---- valid messages ----  */

static void
s_policy (adj_data_msgs_t *m)
{
    chejian__v1__laborer_qualification__init (&m->qual);
    m->statuses[0] = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR;
    m->statuses[1] = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT;
    m->qual.eligible_statuses = m->statuses;
    m->qual.n_eligible_statuses = 2;
    m->qual.basis = CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_CONTRACT_TERM;
    m->qual.min_contract_months = 6;
    chejian__v1__employment_award_params__init (&m->award);
    m->award.award_per_laborer_fen = 50000;
    m->award.qualification = &m->qual;
    m->award.charge_source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY;
    chejian__v1__rule_params__init (&m->rule);
    m->rule.params_case = CHEJIAN__V1__RULE_PARAMS__PARAMS_EMPLOYMENT_AWARD;
    m->rule.employment_award = &m->award;
    m->rules[0] = &m->rule;
    chejian__v1__policy__init (&m->policy);
    m->policy.policy_id = "51-sichuan-award";
    m->policy.version = 1;
    m->policy.title = "四川省就业扶贫车间奖补（省级默认）";
    m->policy.jurisdiction = "51";
    m->policy.effective_from_date = 20180101;
    m->policy.n_rules = 1;
    m->policy.rules = m->rules;
    chejian__v1__publish_policy__init (&m->publish);
    m->publish.policy = &m->policy;
}

static void
s_loans (adj_data_msgs_t *m)
{
    chejian__v1__apply_for_loan__init (&m->loan);
    for (int i = 0; i < 3; i++) {
        reg_data_resident_id (m->ids[i], 19800101, 900 + i);
        m->partners[i] = m->ids[i];
    }
    m->loan.application_id = "APP1";
    m->loan.applicant_kind = CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP;
    m->loan.applicant_resident_id = m->ids[0];
    m->loan.applicant_name = "青川县三友服装加工合伙企业";
    m->loan.partners_count = 3;
    m->loan.n_partner_resident_ids = 3;
    m->loan.partner_resident_ids = m->partners;
    m->loan.workshop_id = "W1";
    m->loan.requested_fen = 50000000;
    m->loan.term_months = 24;
    m->loan.bank_code = "313662000015";
    m->loan.application_date = 20200301;
    chejian__v1__record_loan_disbursement__init (&m->disbursement);
    m->disbursement.loan_id = "L1";
    m->disbursement.application_id = "APP1";
    m->disbursement.principal_fen = 45000000;
    m->disbursement.disbursed_date = 20200315;
    m->disbursement.maturity_date = 20220314;
    m->disbursement.rate_bp = 435;
    m->disbursement.bank_code = "313662000015";
    chejian__v1__record_interest_accrual__init (&m->interest);
    m->interest.loan_id = "L1";
    m->interest.period_start_date = 20200315;
    m->interest.period_end_date = 20200614;
    m->interest.principal_fen = 45000000;
    m->interest.rate_bp = 435;
    m->interest.interest_fen = 493425;
}

static void
s_others (adj_data_msgs_t *m)
{
    chejian__v1__top_up_fund__init (&m->top_up);
    m->top_up.fund_id = "510822-employment-subsidy";
    m->top_up.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY;
    m->top_up.amount_fen = 100000000;
    m->top_up.value_date = 20200101;
    m->top_up.reference = "青财社〔2020〕1号";
    m->top_up.provider = "青川县财政局";
    chejian__v1__allocate_fund__init (&m->allocate);
    m->allocate.allocation_id = "A1";
    m->allocate.fund_id = "510822-employment-subsidy";
    m->allocate.workshop_id = "W1";
    m->allocate.amount_fen = 2000000;
    m->allocate.purpose = "车间设备提档升级";
    m->allocate.allocation_date = 20200401;
    for (int i = 0; i < 2; i++) {
        chejian__v1__checklist_item__init (&m->item[i]);
        m->item[i].code = i ? "2" : "1";
        m->item[i].label = i ? "一套管理制度" : "一个固定场所";
        m->item[i].passed = true;
        m->items[i] = &m->item[i];
    }
    chejian__v1__record_checklist_rating__init (&m->rating);
    m->rating.workshop_id = "W1";
    m->rating.rated_date = 20200501;
    m->rating.n_items = 2;
    m->rating.items = m->items;
    m->rating.items_passed = 2;
    m->rating.items_total = 2;
    m->rating.grade = CHEJIAN__V1__CHECKLIST_GRADE__CHECKLIST_GRADE_PASS;
    m->rating.assessor = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_HUMAN_RESOURCES;
    chejian__v1__confirm_payment__init (&m->confirm);
    m->confirm.instruction_id = "pay-1";
    m->confirm.attempt = 1;
    m->confirm.result = CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_PAID;
    m->confirm.amount_fen = 2000000;
    m->confirm.bank_reference = "BR-0001";
    m->confirm.value_date = 20200410;
    chejian__v1__request_certification__init (&m->certify);
    m->certify.workshop_id = "W1";
    m->certify.as_of_date = 20200601;
    chejian__v1__request_annual_reward__init (&m->reward);
    m->reward.workshop_id = "W1";
    m->reward.year = 2020;
    chejian__v1__revoke_decision__init (&m->revoke);
    m->revoke.decision_id = "dec-1";
    m->revoke.reason = "审计发现";
    chejian__v1__list_decisions__init (&m->list);
    chejian__v1__get_loan__init (&m->get_loan);
    m->get_loan.key_case = CHEJIAN__V1__GET_LOAN__KEY_APPLICATION_ID;
    m->get_loan.application_id = "APP1";
}

void
adj_data_msgs (adj_data_msgs_t *m)
{
    memset (m, 0, sizeof *m);
    s_policy (m);
    s_loans (m);
    s_others (m);
}

const void *
adj_data_body (adj_data_msgs_t *m, int body_case)
{
    switch (body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY:           return &m->publish;
    case CHEJIAN__V1__ENVELOPE__BODY_TOP_UP_FUND:              return &m->top_up;
    case CHEJIAN__V1__ENVELOPE__BODY_ALLOCATE_FUND:            return &m->allocate;
    case CHEJIAN__V1__ENVELOPE__BODY_APPLY_FOR_LOAN:           return &m->loan;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_LOAN_DISBURSEMENT: return &m->disbursement;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_INTEREST_ACCRUAL:  return &m->interest;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_CHECKLIST_RATING:  return &m->rating;
    case CHEJIAN__V1__ENVELOPE__BODY_CONFIRM_PAYMENT:          return &m->confirm;
    case CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION:    return &m->certify;
    case CHEJIAN__V1__ENVELOPE__BODY_REQUEST_ANNUAL_REWARD:    return &m->reward;
    case CHEJIAN__V1__ENVELOPE__BODY_REVOKE_DECISION:          return &m->revoke;
    case CHEJIAN__V1__ENVELOPE__BODY_LIST_DECISIONS:           return &m->list;
    case CHEJIAN__V1__ENVELOPE__BODY_GET_LOAN:                 return &m->get_loan;
    default:                                                   return NULL;
    }
}

/*  ---- the catalogue ----  */

#define S_SPOIL(name, stmt) static void name (adj_data_msgs_t *m) { stmt; }

S_SPOIL (s_policy_no_id, m->policy.policy_id = "")
S_SPOIL (s_policy_bad_id, m->policy.policy_id = "a b")
S_SPOIL (s_policy_version_0, m->policy.version = 0)
S_SPOIL (s_policy_bad_jurisdiction, m->policy.jurisdiction = "5100")
S_SPOIL (s_policy_other_jurisdiction, m->policy.jurisdiction = "50")
S_SPOIL (s_policy_dates_reversed, m->policy.effective_to_date = 20170101)
S_SPOIL (s_policy_bad_date, m->policy.effective_from_date = 20190230)
S_SPOIL (s_policy_no_rules, m->policy.n_rules = 0)
S_SPOIL (s_policy_award_zero, m->award.award_per_laborer_fen = 0)
S_SPOIL (s_policy_no_statuses, m->qual.n_eligible_statuses = 0)
S_SPOIL (s_policy_bad_status, m->statuses[1] = 99)
S_SPOIL (s_policy_no_basis, m->qual.basis = 0)
S_SPOIL (s_policy_no_source, m->award.charge_source = 0)
S_SPOIL (s_policy_window_for_term, m->qual.window_months = 12)
S_SPOIL (s_policy_no_params, m->rule.params_case = 0)
S_SPOIL (s_top_up_zero, m->top_up.amount_fen = 0)
S_SPOIL (s_top_up_no_source, m->top_up.source = 0)
S_SPOIL (s_top_up_bad_fund, m->top_up.fund_id = "fund/1")
S_SPOIL (s_top_up_bad_date, m->top_up.value_date = 20201301)
S_SPOIL (s_allocate_no_purpose, m->allocate.purpose = "")
S_SPOIL (s_allocate_future, m->allocate.allocation_date = 21000101)
S_SPOIL (s_loan_no_kind, m->loan.applicant_kind = 0)
S_SPOIL (s_loan_bad_checksum, m->ids[1][17] = m->ids[1][17] == '0' ? '1' : '0')
S_SPOIL (s_loan_count_mismatch, m->loan.partners_count = 4)
S_SPOIL (s_loan_individual_name, {
    m->loan.applicant_kind = CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_INDIVIDUAL;
    m->loan.n_partner_resident_ids = 0;
    m->loan.partners_count = 0;
})
S_SPOIL (s_loan_term_long, m->loan.term_months = 121)
S_SPOIL (s_loan_no_bank, m->loan.bank_code = "")
S_SPOIL (s_loan_enterprise_no_uscc, {
    m->loan.applicant_kind = CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_ENTERPRISE;
    m->loan.applicant_resident_id = "";
    m->loan.n_partner_resident_ids = 0;
    m->loan.partners_count = 0;
})
S_SPOIL (s_disb_maturity, m->disbursement.maturity_date = 20200301)
S_SPOIL (s_disb_rate, m->disbursement.rate_bp = 0)
S_SPOIL (s_interest_order, m->interest.period_end_date = 20200301)
S_SPOIL (s_interest_negative, m->interest.interest_fen = -1)
S_SPOIL (s_rating_mismatch, m->rating.items_passed = 1)
S_SPOIL (s_rating_no_grade, m->rating.grade = 0)
S_SPOIL (s_rating_total, m->rating.items_total = 33)
S_SPOIL (s_confirm_no_result, m->confirm.result = 0)
S_SPOIL (s_confirm_no_reference, m->confirm.bank_reference = "")
S_SPOIL (s_confirm_failed_amount, {
    m->confirm.result = CHEJIAN__V1__PAYMENT_RESULT__PAYMENT_RESULT_FAILED;
    m->confirm.failure_reason = "户名不符";
})
S_SPOIL (s_confirm_attempt_0, m->confirm.attempt = 0)
S_SPOIL (s_certify_future, m->certify.as_of_date = 21000101)
S_SPOIL (s_certify_bad_ws, m->certify.workshop_id = "W 1")
S_SPOIL (s_reward_this_year, m->reward.year = 2199)
S_SPOIL (s_revoke_no_reason, m->revoke.reason = "")
S_SPOIL (s_revoke_control_char, m->revoke.reason = "a\nb")
S_SPOIL (s_list_bad_outcome, m->list.outcome = 9)
S_SPOIL (s_list_dates, { m->list.from_date = 20200601; m->list.to_date = 20200101; })
S_SPOIL (s_get_loan_no_key, m->get_loan.key_case = 0)

#define S_P  CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY
#define S_T  CHEJIAN__V1__ENVELOPE__BODY_TOP_UP_FUND
#define S_A  CHEJIAN__V1__ENVELOPE__BODY_ALLOCATE_FUND
#define S_L  CHEJIAN__V1__ENVELOPE__BODY_APPLY_FOR_LOAN
#define S_D  CHEJIAN__V1__ENVELOPE__BODY_RECORD_LOAN_DISBURSEMENT
#define S_I  CHEJIAN__V1__ENVELOPE__BODY_RECORD_INTEREST_ACCRUAL
#define S_R  CHEJIAN__V1__ENVELOPE__BODY_RECORD_CHECKLIST_RATING
#define S_C  CHEJIAN__V1__ENVELOPE__BODY_CONFIRM_PAYMENT
#define S_Q  CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION
#define S_W  CHEJIAN__V1__ENVELOPE__BODY_REQUEST_ANNUAL_REWARD
#define S_V  CHEJIAN__V1__ENVELOPE__BODY_REVOKE_DECISION
#define S_LD CHEJIAN__V1__ENVELOPE__BODY_LIST_DECISIONS
#define S_GL CHEJIAN__V1__ENVELOPE__BODY_GET_LOAN
#define S_POL "publish_policy.policy."
#define S_AW  S_POL "rules[0].employment_award."

const adj_data_case_t adj_data_cases[] = {
    { "policy without id", S_P, s_policy_no_id, S_POL "policy_id", "REQUIRED" },
    { "policy id with a space", S_P, s_policy_bad_id, S_POL "policy_id", "INVALID_FORMAT" },
    { "policy version 0", S_P, s_policy_version_0, S_POL "version", "OUT_OF_RANGE" },
    { "jurisdiction a province city code", S_P, s_policy_bad_jurisdiction, S_POL "jurisdiction", "INVALID_FORMAT" },
    { "jurisdiction without the envelope's county", S_P, s_policy_other_jurisdiction, S_POL "jurisdiction", "OUT_OF_RANGE" },
    { "policy ends before it starts", S_P, s_policy_dates_reversed, S_POL "effective_to_date", "OUT_OF_RANGE" },
    { "policy starts on 30 February", S_P, s_policy_bad_date, S_POL "effective_from_date", "INVALID_DATE" },
    { "policy without rules", S_P, s_policy_no_rules, S_POL "rules", "REQUIRED" },
    { "award of 0 fen", S_P, s_policy_award_zero, S_AW "award_per_laborer_fen", "OUT_OF_RANGE" },
    { "no eligible status", S_P, s_policy_no_statuses, S_AW "qualification.eligible_statuses", "REQUIRED" },
    { "an unknown status", S_P, s_policy_bad_status, S_AW "qualification.eligible_statuses[1]", "UNKNOWN_ENUM" },
    { "no qualification basis", S_P, s_policy_no_basis, S_AW "qualification.basis", "REQUIRED" },
    { "no fund source", S_P, s_policy_no_source, S_AW "charge_source", "REQUIRED" },
    { "a window on a contract-term rule", S_P, s_policy_window_for_term, S_AW "qualification.window_months", "INVALID_FORMAT" },
    { "a rule without parameters", S_P, s_policy_no_params, S_POL "rules[0].params", "REQUIRED" },
    { "top-up of 0 fen", S_T, s_top_up_zero, "top_up_fund.amount_fen", "OUT_OF_RANGE" },
    { "top-up without source", S_T, s_top_up_no_source, "top_up_fund.source", "REQUIRED" },
    { "fund id with a slash", S_T, s_top_up_bad_fund, "top_up_fund.fund_id", "INVALID_FORMAT" },
    { "top-up in month 13", S_T, s_top_up_bad_date, "top_up_fund.value_date", "INVALID_DATE" },
    { "allocation without purpose", S_A, s_allocate_no_purpose, "allocate_fund.purpose", "REQUIRED" },
    { "allocation in the future", S_A, s_allocate_future, "allocate_fund.allocation_date", "OUT_OF_RANGE" },
    { "loan without applicant kind", S_L, s_loan_no_kind, "apply_for_loan.applicant_kind", "REQUIRED" },
    { "partner ID with a bad check digit", S_L, s_loan_bad_checksum, "apply_for_loan.partner_resident_ids[1]", "INVALID_CHECKSUM" },
    { "partners listed not the count", S_L, s_loan_count_mismatch, "apply_for_loan.partner_resident_ids", "OUT_OF_RANGE" },
    { "an individual with a venture name", S_L, s_loan_individual_name, "apply_for_loan.applicant_name", "INVALID_FORMAT" },
    { "a 121-month term", S_L, s_loan_term_long, "apply_for_loan.term_months", "OUT_OF_RANGE" },
    { "no bank", S_L, s_loan_no_bank, "apply_for_loan.bank_code", "REQUIRED" },
    { "an enterprise without USCC", S_L, s_loan_enterprise_no_uscc, "apply_for_loan.applicant_uscc", "REQUIRED" },
    { "maturity before disbursement", S_D, s_disb_maturity, "record_loan_disbursement.maturity_date", "OUT_OF_RANGE" },
    { "a rate of 0 bp", S_D, s_disb_rate, "record_loan_disbursement.rate_bp", "OUT_OF_RANGE" },
    { "interest period ends before it starts", S_I, s_interest_order, "record_interest_accrual.period_end_date", "OUT_OF_RANGE" },
    { "negative interest", S_I, s_interest_negative, "record_interest_accrual.interest_fen", "OUT_OF_RANGE" },
    { "items passed disagree with the items", S_R, s_rating_mismatch, "record_checklist_rating.items_passed", "OUT_OF_RANGE" },
    { "rating without grade", S_R, s_rating_no_grade, "record_checklist_rating.grade", "REQUIRED" },
    { "33 items assessed", S_R, s_rating_total, "record_checklist_rating.items_total", "OUT_OF_RANGE" },
    { "confirmation without result", S_C, s_confirm_no_result, "confirm_payment.result", "REQUIRED" },
    { "paid without bank reference", S_C, s_confirm_no_reference, "confirm_payment.bank_reference", "REQUIRED" },
    { "a failure with an amount", S_C, s_confirm_failed_amount, "confirm_payment.amount_fen", "OUT_OF_RANGE" },
    { "attempt 0", S_C, s_confirm_attempt_0, "confirm_payment.attempt", "OUT_OF_RANGE" },
    { "certification in the future", S_Q, s_certify_future, "request_certification.as_of_date", "OUT_OF_RANGE" },
    { "workshop id with a space", S_Q, s_certify_bad_ws, "request_certification.workshop_id", "INVALID_FORMAT" },
    { "reward for a year not over", S_W, s_reward_this_year, "request_annual_reward.year", "OUT_OF_RANGE" },
    { "revocation without reason", S_V, s_revoke_no_reason, "revoke_decision.reason", "REQUIRED" },
    { "reason with a newline", S_V, s_revoke_control_char, "revoke_decision.reason", "INVALID_FORMAT" },
    { "list by an unknown outcome", S_LD, s_list_bad_outcome, "list_decisions.outcome", "UNKNOWN_ENUM" },
    { "list dates reversed", S_LD, s_list_dates, "list_decisions.to_date", "OUT_OF_RANGE" },
    { "loan by neither key", S_GL, s_get_loan_no_key, "get_loan.key", "REQUIRED" },
};

const size_t adj_data_ncases = sizeof adj_data_cases / sizeof adj_data_cases[0];
