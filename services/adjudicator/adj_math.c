/*  adj_math.c - dates in China, rounding, the interest-subsidy formulas and loan caps: pure
 *  functions, computed exactly in integers. See adjudicator_internal.h.
 *
 *  Rounding (docs/2026-11-23-adjudicator.md): an amount is computed as one exact fraction
 *  numerator / denominator of non-negative integers and rounded once to whole fen:
 *  DOWN truncates; HALF_UP adds one when twice the remainder is at least the denominator
 *  (四舍五入); HALF_EVEN adds one when twice the remainder exceeds it, and on an exact half
 *  only when the quotient is odd.  */
#include "adjudicator_internal.h"

int32_t
adj_date_of_ms (int64_t ms)
{
    int64_t seconds = ms / 1000 + 8 * 3600;
    return cj_date_from_days ((int32_t) (seconds / 86400));
}

int32_t
adj_day_before (int32_t date)
{
    return cj_date_from_days (cj_date_to_days (date) - 1);
}

int32_t
adj_period_last_day (int32_t period)
{
    return adj_day_before (cj_period_add (period, 1) * 100 + 1);
}

bool
adj_within (int32_t date, int32_t from, int32_t to)
{
    return date >= from && (to == 0 || date <= to);
}

int
adj_age_on (int32_t birth_period, int32_t date)
{
    if (!cj_period_valid (birth_period))
        return -1;
    int months = cj_date_months_between (birth_period * 100 + 1, date);
    return months < 0 ? -1 : months / 12;
}

int64_t
adj_round_div (int64_t numerator, int64_t denominator, Chejian__V1__RoundingRule rule)
{
    int64_t q = numerator / denominator, rem = numerator % denominator;
    switch (rule) {
    case CHEJIAN__V1__ROUNDING_RULE__ROUNDING_RULE_HALF_UP:
        return q + (2 * rem >= denominator && rem);
    case CHEJIAN__V1__ROUNDING_RULE__ROUNDING_RULE_HALF_EVEN:
        return q + (2 * rem > denominator || (2 * rem == denominator && (q & 1)));
    default:
        return q;
    }
}

int64_t
adj_interest_subsidy (const Chejian__V1__InterestSubsidyParams *params, int64_t interest_fen,
                      uint32_t rate_bp, uint32_t loan_ref_bp, uint32_t *ret_borrower_rate_bp,
                      uint32_t *ret_reference_bp)
{
    *ret_borrower_rate_bp = 0;
    *ret_reference_bp = 0;
    if (params->formula == CHEJIAN__V1__INTEREST_FORMULA__INTEREST_FORMULA_SHARE_OF_INTEREST)
        return adj_round_div (interest_fen * params->share_bp, 10000, params->rounding);
    if (rate_bp == 0)
        return 0;
    int64_t ref = loan_ref_bp ? loan_ref_bp : params->reference_rate_bp;
    int64_t r = rate_bp;
    if (params->max_rate_over_reference_bp && r > ref + params->max_rate_over_reference_bp)
        r = ref + params->max_rate_over_reference_bp;
    int64_t b = ref > params->margin_bp ? ref - params->margin_bp : 0;
    int64_t public_bp = r > b ? r - b : 0;
    *ret_reference_bp = (uint32_t) ref;
    *ret_borrower_rate_bp = (uint32_t) (rate_bp - public_bp);
    return adj_round_div (interest_fen * public_bp, rate_bp, params->rounding);
}

int64_t
adj_loan_cap (const Chejian__V1__LoanTerms *terms, uint32_t partners)
{
    if (terms->applicant_kind != CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_PARTNERSHIP)
        return terms->cap_fen;
    int64_t combined = (int64_t) partners * terms->per_partner_cap_fen
                       * (10000 + terms->partner_bonus_bp) / 10000;
    return terms->cap_fen > 0 && terms->cap_fen < combined ? terms->cap_fen : combined;
}
