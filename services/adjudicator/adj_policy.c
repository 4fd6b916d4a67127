/*  adj_policy.c - PublishPolicy, the partition's policy catalogue, resolution of the rule in
 *  force for a county at a date, and the citation of a rule's parameters in a decision.
 *
 *  Policies are partition-wide: a policy of a jurisdiction wider than a county is published
 *  once per partition (any county of the jurisdiction in that partition routes it) and then
 *  serves every county of the partition inside the jurisdiction. A later copy of the same
 *  id and version with the same content changes nothing. See adjudicator_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"

typedef Chejian__Adj__PolicyCatalog s_catalog_t;
typedef Chejian__Adj__CatalogEntry  s_entry_t;

const Chejian__V1__RuleParams *
adj_policy_rule (const adj_policy_t *policy, int rule)
{
    for (size_t i = 0; i < policy->n_rules; i++)
        if ((int) policy->rules[i]->params_case == rule)
            return policy->rules[i];
    return NULL;
}

/*  ---- the catalogue, cached per partition ----  */

/*  The partition's cache slot; none for queries, which may read a partition another
 *  instance owns (commands and events only run where this instance holds the lease), and
 *  none for the runtime's read-ahead probes, which must leave memory as it was.  */
static s_catalog_t **
s_cache (adj_call_t *c)
{
    adjudicator_t *adj = cj_ctx_arg (c->ctx);
    uint32_t p = cj_ctx_partition (c->ctx);
    return p < ADJ_CATALOG_CACHE && !c->ack && !cj_ctx_probing (c->ctx)
           ? (s_catalog_t **) &adj->catalog[p] : NULL;
}

void
adjudicator_reset (adjudicator_t *adj, uint32_t partition)
{
    for (uint32_t p = 0; p < ADJ_CATALOG_CACHE; p++)
        if (partition == UINT32_MAX || p == partition) {
            if (adj->catalog[p])
                chejian__adj__policy_catalog__free_unpacked (adj->catalog[p], NULL);
            adj->catalog[p] = NULL;
        }
}

/*  Keeps a malloc'd copy of 'catalog' as the partition's cached one.  */
static void
s_cache_keep (adj_call_t *c, const s_catalog_t *catalog)
{
    s_catalog_t **slot = s_cache (c);
    size_t len;
    uint8_t *bytes = slot ? cj_message_pack (&catalog->base, &len) : NULL;
    if (!bytes)
        return;
    if (*slot)
        chejian__adj__policy_catalog__free_unpacked (*slot, NULL);
    *slot = chejian__adj__policy_catalog__unpack (NULL, len, bytes);
    free (bytes);
}

static int
s_catalog (adj_call_t *c, s_catalog_t **ret)
{
    s_catalog_t **slot = s_cache (c);
    if (slot && *slot) {
        *ret = *slot;
        return 0;
    }
    int rc = adj_get (c, NULL, ADJ_CATALOG, "all", &chejian__adj__policy_catalog__descriptor,
                      (void **) ret);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (!(*ret = cj_arena_alloc (c->arena, sizeof **ret)))
            return -1;
        chejian__adj__policy_catalog__init (*ret);
    }
    s_cache_keep (c, *ret);
    return 0;
}

static char *
s_policy_field (adj_call_t *c, const char *id, uint32_t version)
{
    return adj_fmt (c, "%s@%u", id, version);
}

int
adj_policy_version (adj_call_t *c, const char *policy_id, uint32_t version, adj_prec_t **ret)
{
    s_catalog_t *catalog;
    if (s_catalog (c, &catalog) != 0)
        return -1;
    uint32_t latest = 0;
    for (size_t i = 0; i < catalog->n_entries; i++)
        if (strcmp (catalog->entries[i]->policy_id, policy_id) == 0
            && catalog->entries[i]->version > latest)
            latest = catalog->entries[i]->version;
    version = version ? version : latest;
    if (version == 0)
        return 0;
    return adj_get (c, NULL, ADJ_POLICIES, s_policy_field (c, policy_id, version),
                    &chejian__adj__policy_record__descriptor, (void **) ret);
}

/*  ---- resolution ----  */

static size_t
s_specificity (const char *jurisdiction)
{
    return strcmp (jurisdiction, "000000") == 0 ? 0 : strlen (jurisdiction);
}

/*  True when 'e' applies to 'county' at 'date' for 'rule'.  */
static bool
s_applies (const s_entry_t *e, const char *county, int rule, int32_t date)
{
    size_t n = s_specificity (e->jurisdiction);
    return (e->rule_mask & (1u << rule)) && adj_within (date, e->effective_from_date,
                                                       e->effective_to_date)
           && strncmp (county, e->jurisdiction, n) == 0;
}

/*  True when 'a' wins over 'b': more specific jurisdiction; then, for the same policy, the
 *  higher version; then the later effective_from_date, then the greater policy id.  */
static bool
s_better (const s_entry_t *a, const s_entry_t *b)
{
    size_t sa = s_specificity (a->jurisdiction), sb = s_specificity (b->jurisdiction);
    if (sa != sb)
        return sa > sb;
    int id = strcmp (a->policy_id, b->policy_id);
    if (id == 0)
        return a->version > b->version;
    if (a->effective_from_date != b->effective_from_date)
        return a->effective_from_date > b->effective_from_date;
    return id > 0;
}

int
adj_resolve (adj_call_t *c, int rule, int32_t date, adj_prec_t **ret)
{
    s_catalog_t *catalog;
    if (s_catalog (c, &catalog) != 0)
        return -1;
    const s_entry_t *best = NULL;
    for (size_t i = 0; i < catalog->n_entries; i++) {
        const s_entry_t *e = catalog->entries[i];
        if (s_applies (e, c->county, rule, date) && (!best || s_better (e, best)))
            best = e;
    }
    if (!best)
        return 0;
    return adj_get (c, NULL, ADJ_POLICIES, s_policy_field (c, best->policy_id, best->version),
                    &chejian__adj__policy_record__descriptor, (void **) ret);
}

adj_policy_ref_t *
adj_policy_ref (adj_call_t *c, const adj_policy_t *policy)
{
    adj_policy_ref_t *ref = cj_arena_alloc (c->arena, sizeof *ref);
    if (!ref)
        return NULL;
    chejian__v1__policy_ref__init (ref);
    if (policy) {
        ref->policy_id = policy->policy_id;
        ref->version = policy->version;
        ref->jurisdiction = policy->jurisdiction;
        ref->effective_from_date = policy->effective_from_date;
        ref->effective_to_date = policy->effective_to_date;
    }
    return ref;
}

/*  ---- PublishPolicy ----  */

int
adj_validate_publish_policy (const cj_envelope_t *env, cj_problems_t *p)
{
    adj_begin (p, env);
    adj_check_policy (p, env->publish_policy->policy, env->county);
    return adj_end (p);
}

static uint32_t
s_rule_mask (const adj_policy_t *policy)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < policy->n_rules; i++)
        mask |= 1u << policy->rules[i]->params_case;
    return mask;
}

/*  The stored version of the same id just below 'policy' (0 none); -1 when 'policy' is not
 *  above every stored version (CONFLICT added), 1 when this very version is stored with the
 *  same content (nothing to do).  */
static int
s_check_version (adj_call_t *c, const s_catalog_t *catalog, const adj_policy_t *policy,
                 uint32_t *ret_previous)
{
    uint32_t top = 0;
    for (size_t i = 0; i < catalog->n_entries; i++)
        if (strcmp (catalog->entries[i]->policy_id, policy->policy_id) == 0
            && catalog->entries[i]->version > top)
            top = catalog->entries[i]->version;
    *ret_previous = top;
    if (policy->version > top)
        return 0;
    adj_prec_t *stored = NULL;
    int rc = adj_get (c, NULL, ADJ_POLICIES, s_policy_field (c, policy->policy_id,
                      policy->version), &chejian__adj__policy_record__descriptor, (void **) &stored);
    if (rc < 0)
        return -2;
    size_t a_len = 0, b_len = 0;
    uint8_t *a = rc ? cj_message_pack (&stored->policy->base, &a_len) : NULL;
    uint8_t *b = cj_message_pack (&policy->base, &b_len);
    bool same = a && b && a_len == b_len && memcmp (a, b, a_len) == 0;
    free (a);
    free (b);
    if (same)
        return 1;
    cj_problems_add (c->p, "publish_policy.policy.version", CJ_E_CONFLICT,
                     rc ? "this version is stored with other content; publish a new version"
                        : "must be greater than every stored version of the policy (%u)", top);
    return -1;
}

static int
s_add_to_catalog (adj_call_t *c, s_catalog_t *catalog, const adj_policy_t *policy)
{
    if (catalog->n_entries >= ADJ_CATALOG_MAX) {
        cj_problems_add (c->p, "publish_policy.policy", CJ_E_TOO_MANY,
                         "the partition holds %d policy versions already", ADJ_CATALOG_MAX);
        return -1;
    }
    s_entry_t *e = cj_arena_alloc (c->arena, sizeof *e);
    s_entry_t **entries = adj_array (c, catalog->n_entries + 1);
    if (!e || !entries)
        return -1;
    chejian__adj__catalog_entry__init (e);
    e->policy_id = policy->policy_id;
    e->version = policy->version;
    e->jurisdiction = policy->jurisdiction;
    e->effective_from_date = policy->effective_from_date;
    e->effective_to_date = policy->effective_to_date;
    e->rule_mask = s_rule_mask (policy);
    adj_copy (entries, catalog->entries, catalog->n_entries * sizeof *entries);
    entries[catalog->n_entries] = e;
    s_catalog_t grown = *catalog;
    grown.entries = entries;
    grown.n_entries++;
    if (adj_put (c, NULL, ADJ_CATALOG, "all", &grown.base) != 0)
        return -1;
    s_cache_keep (c, &grown);
    return 0;
}

static int
s_publish (adj_call_t *c)
{
    adj_policy_t *policy = c->env->publish_policy->policy;
    s_catalog_t *catalog;
    uint32_t previous = 0;
    if (s_catalog (c, &catalog) != 0)
        return -1;
    int rc = s_check_version (c, catalog, policy, &previous);
    if (rc != 0)
        return rc == 1 ? 0 : -1;
    adj_prec_t rec = CHEJIAN__ADJ__POLICY_RECORD__INIT;
    rec.policy = policy;
    rec.published_at_ms = c->env->occurred_at;
    rec.published_by = c->env->source;
    Chejian__V1__PolicyPublished ev = CHEJIAN__V1__POLICY_PUBLISHED__INIT;
    ev.policy = policy;
    ev.superseded_version = previous;
    /* the catalogue last: it updates the partition's cache, which a failure must not leave
       ahead of the batch */
    if (adj_put (c, NULL, ADJ_POLICIES, s_policy_field (c, policy->policy_id, policy->version),
                 &rec.base) != 0
        || adj_emit (c, ADJ_BODY (POLICY_PUBLISHED), &ev.base) != 0)
        return -1;
    return s_add_to_catalog (c, catalog, policy);
}

int
adj_apply_publish_policy (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return adj_run (ctx, env, NULL, s_publish);
}

/*  ---- citing parameters ----  */

static const char *
s_enum_name (const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    return v ? v->name : "?";
}

/*  "A,B,C" of a repeated enum field, "" when empty.  */
static char *
s_enum_list (adj_call_t *c, const ProtobufCEnumDescriptor *desc, const int *values, size_t n)
{
    char buf[ADJ_TEXT_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof buf; i++)
        used += (size_t) snprintf (buf + used, sizeof buf - used, "%s%s", i ? "," : "",
                                   s_enum_name (desc, values[i]));
    return adj_fmt (c, "%s", buf);
}

#define S_CITE_NUM(c, r, prefix, name, unit, value) \
    adj_param (c, r, adj_fmt (c, "%s.%s", prefix, name), unit, "%lld", (long long) (value))
#define S_CITE_ENUM(c, r, prefix, name, type, value) \
    adj_param (c, r, adj_fmt (c, "%s.%s", prefix, name), "enum", "%s", \
               s_enum_name (&chejian__v1__##type##__descriptor, (int) (value)))

void
adj_cite_qualification (adj_call_t *c, adj_drec_t *r, const char *prefix, const adj_qual_t *q)
{
    adj_param (c, r, adj_fmt (c, "%s.eligible_statuses", prefix), "enum", "%s",
               s_enum_list (c, &chejian__v1__poverty_status__descriptor,
                            (const int *) q->eligible_statuses, q->n_eligible_statuses));
    adj_param (c, r, adj_fmt (c, "%s.contract_types", prefix), "enum", "%s",
               q->n_contract_types ? s_enum_list (c, &chejian__v1__contract_type__descriptor,
                                                  (const int *) q->contract_types,
                                                  q->n_contract_types) : "any");
    S_CITE_ENUM (c, r, prefix, "basis", qualification_basis, q->basis);
    if (q->basis == CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_MONTHS_WORKED) {
        S_CITE_NUM (c, r, prefix, "min_months_worked", "months", q->min_months_worked);
        S_CITE_NUM (c, r, prefix, "window_months", "months", q->window_months);
        S_CITE_NUM (c, r, prefix, "min_earnings_fen", "fen", q->min_earnings_fen);
    }
    if (q->min_contract_months
        || q->basis == CHEJIAN__V1__QUALIFICATION_BASIS__QUALIFICATION_BASIS_CONTRACT_TERM)
        S_CITE_NUM (c, r, prefix, "min_contract_months", "months", q->min_contract_months);
    if (q->min_age_years)
        S_CITE_NUM (c, r, prefix, "min_age_years", "years", q->min_age_years);
    if (q->max_age_years)
        S_CITE_NUM (c, r, prefix, "max_age_years", "years", q->max_age_years);
    adj_param (c, r, adj_fmt (c, "%s.revoke_if_status_revoked", prefix), "bool", "%s",
               q->revoke_if_status_revoked ? "true" : "false");
    adj_param (c, r, adj_fmt (c, "%s.revoke_if_ended_early", prefix), "bool", "%s",
               q->revoke_if_ended_early ? "true" : "false");
}

static void
s_cite_certification (adj_call_t *c, adj_drec_t *r, const Chejian__V1__CertificationParams *cp)
{
    const char *pre = "certification";
    S_CITE_NUM (c, r, pre, "min_qualifying_laborers", "count", cp->min_qualifying_laborers);
    adj_cite_qualification (c, r, "certification.qualification", cp->qualification);
    if (cp->n_eligible_types)
        adj_param (c, r, "certification.eligible_types", "enum", "%s",
                   s_enum_list (c, &chejian__v1__workshop_type__descriptor,
                                (const int *) cp->eligible_types, cp->n_eligible_types));
    if (cp->checklist_required) {
        S_CITE_NUM (c, r, pre, "min_checklist_items_passed", "count",
                    cp->min_checklist_items_passed);
        S_CITE_ENUM (c, r, pre, "min_checklist_grade", checklist_grade, cp->min_checklist_grade);
        S_CITE_NUM (c, r, pre, "checklist_max_age_months", "months", cp->checklist_max_age_months);
    }
    if (cp->min_operating_months)
        S_CITE_NUM (c, r, pre, "min_operating_months", "months", cp->min_operating_months);
    if (cp->min_annual_output_fen)
        S_CITE_NUM (c, r, pre, "min_annual_output_fen", "fen", cp->min_annual_output_fen);
    if (cp->min_average_annual_wage_fen)
        S_CITE_NUM (c, r, pre, "min_average_annual_wage_fen", "fen",
                    cp->min_average_annual_wage_fen);
    S_CITE_NUM (c, r, pre, "valid_months", "months", cp->valid_months);
}

static void
s_cite_award (adj_call_t *c, adj_drec_t *r, const Chejian__V1__EmploymentAwardParams *ap)
{
    const char *pre = "employment_award";
    S_CITE_NUM (c, r, pre, "award_per_laborer_fen", "fen", ap->award_per_laborer_fen);
    adj_cite_qualification (c, r, "employment_award.qualification", ap->qualification);
    adj_param (c, r, "employment_award.require_certification", "bool", "%s",
               ap->require_certification ? "true" : "false");
    S_CITE_NUM (c, r, pre, "min_qualifying_laborers", "count", ap->min_qualifying_laborers);
    S_CITE_ENUM (c, r, pre, "charge_source", fund_source, ap->charge_source);
    if (ap->max_award_per_workshop_fen)
        S_CITE_NUM (c, r, pre, "max_award_per_workshop_fen", "fen", ap->max_award_per_workshop_fen);
}

static void
s_cite_interest (adj_call_t *c, adj_drec_t *r, const Chejian__V1__InterestSubsidyParams *ip)
{
    const char *pre = "interest_subsidy";
    S_CITE_ENUM (c, r, pre, "formula", interest_formula, ip->formula);
    if (ip->formula == CHEJIAN__V1__INTEREST_FORMULA__INTEREST_FORMULA_SHARE_OF_INTEREST)
        S_CITE_NUM (c, r, pre, "share_bp", "bp", ip->share_bp);
    else {
        S_CITE_NUM (c, r, pre, "reference_rate_bp", "bp", ip->reference_rate_bp);
        S_CITE_NUM (c, r, pre, "margin_bp", "bp", ip->margin_bp);
        S_CITE_NUM (c, r, pre, "max_rate_over_reference_bp", "bp", ip->max_rate_over_reference_bp);
    }
    S_CITE_ENUM (c, r, pre, "rounding", rounding_rule, ip->rounding);
    S_CITE_NUM (c, r, pre, "max_subsidised_months", "months", ip->max_subsidised_months);
    adj_param (c, r, "interest_subsidy.no_subsidy_when_overdue", "bool", "%s",
               ip->no_subsidy_when_overdue ? "true" : "false");
    S_CITE_ENUM (c, r, pre, "charge_source", fund_source, ip->charge_source);
}

static void
s_cite_reward (adj_call_t *c, adj_drec_t *r, const Chejian__V1__AnnualRewardParams *rp)
{
    for (size_t i = 0; i < rp->n_tiers; i++) {
        const Chejian__V1__RewardTier *t = rp->tiers[i];
        adj_param (c, r, adj_fmt (c, "annual_reward.tiers[%zu]", i), "fen",
                   "%s staff %u..%u: %lld", s_enum_name (&chejian__v1__checklist_grade__descriptor,
                   (int) t->grade), t->min_staff, t->max_staff, (long long) t->amount_fen);
    }
    S_CITE_NUM (c, r, "annual_reward", "min_staff_months", "months", rp->min_staff_months);
    adj_param (c, r, "annual_reward.count_registered_poor_only", "bool", "%s",
               rp->count_registered_poor_only ? "true" : "false");
    adj_param (c, r, "annual_reward.require_certification", "bool", "%s",
               rp->require_certification ? "true" : "false");
    S_CITE_ENUM (c, r, "annual_reward", "charge_source", fund_source, rp->charge_source);
}

void
adj_cite_params (adj_call_t *c, adj_drec_t *r, const Chejian__V1__RuleParams *rule)
{
    switch (rule->params_case) {
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_CERTIFICATION:
        s_cite_certification (c, r, rule->certification);
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_EMPLOYMENT_AWARD:
        s_cite_award (c, r, rule->employment_award);
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_INTEREST_SUBSIDY:
        s_cite_interest (c, r, rule->interest_subsidy);
        break;
    case CHEJIAN__V1__RULE_PARAMS__PARAMS_ANNUAL_REWARD:
        s_cite_reward (c, r, rule->annual_reward);
        break;
    default:
        break;                    /* loans cite the terms of the applicant's kind themselves */
    }
}
