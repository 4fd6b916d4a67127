/*  registry_employment.c - StartEmployment, AmendEmployment and EndEmployment, and the two
 *  employment indexes (by workshop, by worker) that every check and headcount reads.
 *
 *  Invariants kept here: an employment lies within its workshop's open dates; a worker has
 *  at most one employment in a workshop that is open or overlaps a new start date; terms
 *  change from non-decreasing effective dates; an employment ended as ENTERED_IN_ERROR is
 *  voided (it blocks nothing and counts nowhere) but stays listed.  */
#include <string.h>

#include "registry_internal.h"

#define S_MIN_WORKING_AGE_MONTHS (16 * 12)    /* Labour Law art. 15 */

typedef Chejian__V1__EmploymentTerms s_terms_t;
typedef Chejian__Registry__TermsFrom s_terms_from_t;

const s_terms_t *
registry_terms_on (const reg_employment_t *e, int32_t date)
{
    size_t i = 0;
    while (i + 1 < e->n_terms && e->terms[i + 1]->effective_date <= date)
        i++;
    return e->terms[i]->terms;
}

int32_t
registry_start_date (const reg_employment_t *e)
{
    return e->terms[0]->effective_date;
}

bool
registry_ref_open_on (const reg_ref_t *ref, int32_t date)
{
    return !ref->voided && registry_within (date, ref->start_date, ref->end_date);
}

bool
registry_employment_open_on (const reg_employment_t *e, int32_t date)
{
    return e->end_reason
           != CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR
        && registry_within (date, registry_start_date (e), e->end_date);
}

int
registry_read_refs (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                    const char *id, reg_refs_t **ret)
{
    int rc = registry_read (ctx, arena, county, hash, id,
                            &chejian__registry__employment_refs__descriptor, (void **) ret);
    if (rc == 0 && (*ret = cj_arena_alloc (arena, sizeof **ret)))
        chejian__registry__employment_refs__init (*ret);
    return rc < 0 || !*ret ? -1 : 0;
}

/*  ---- validation ----  */

static void
s_check_pay (cj_problems_t *p, const s_terms_t *t)
{
    bool monthly = t->pay_basis == CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
    bool piece = t->pay_basis == CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE;
    if (monthly)
        cj_check_range (p, "monthly_wage_fen", t->monthly_wage_fen, 1, 100000000);
    if (piece)
        cj_check_range (p, "unit_rate_millifen", t->unit_rate_millifen, 1, 1000000000);
    if (!monthly && t->monthly_wage_fen)
        cj_problems_add (p, "monthly_wage_fen", CJ_E_OUT_OF_RANGE, "must be 0 unless monthly");
    if (!piece && t->unit_rate_millifen)
        cj_problems_add (p, "unit_rate_millifen", CJ_E_OUT_OF_RANGE,
                         "must be 0 unless piece rate");
}

static void
s_check_terms (cj_problems_t *p, const s_terms_t *t)
{
    if (cj_check_present (p, "terms", t) != 0)
        return;
    cj_problems_push (p, "terms");
    cj_check_enum (p, "contract_type", &chejian__v1__contract_type__descriptor,
                         (int) t->contract_type, true);
    cj_check_date_required (p, "start_date", t->start_date);
    if (cj_check_range (p, "term_months", t->term_months, 0, 600) == 0 && t->term_months
        && t->contract_type == CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_NONE)
        cj_problems_add (p, "term_months", CJ_E_OUT_OF_RANGE,
                         "must be 0 when there is no contract (CONTRACT_TYPE_NONE)");
    cj_check_enum (p, "work_mode", &chejian__v1__work_mode__descriptor,
                         (int) t->work_mode, true);
    if (cj_check_enum (p, "pay_basis", &chejian__v1__pay_basis__descriptor,
                             (int) t->pay_basis, true) == 0)
        s_check_pay (p, t);
    cj_check_text (p, "job_title", t->job_title, 32, false);
    cj_problems_pop (p);
}

/*  The worker must be 16 on the start date (the birth date is in the resident ID).  */
static void
s_check_age (cj_problems_t *p, const char *resident_id, int32_t start_date)
{
    if (cj_check_resident_id (NULL, NULL, resident_id) != 0 || !cj_date_valid (start_date))
        return;
    int32_t birth = 0;
    for (int i = 6; i < 14; i++)
        birth = birth * 10 + (resident_id[i] - '0');
    int32_t sixteen = cj_date_add_months (birth, S_MIN_WORKING_AGE_MONTHS);
    if (sixteen > start_date)
        cj_problems_add (p, "terms.start_date", CJ_E_OUT_OF_RANGE,
                         "the worker is under the minimum working age of 16 on this date");
}

int
registry_validate_start_employment (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__StartEmployment *cmd = env->start_employment;
    registry_begin (p, env);
    registry_check_id (p, "employment_id", cmd->employment_id, true);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    registry_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    s_check_terms (p, cmd->terms);
    if (cmd->terms)
        s_check_age (p, cmd->resident_id, cmd->terms->start_date);
    return registry_end (p);
}

int
registry_validate_amend_employment (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__AmendEmployment *cmd = env->amend_employment;
    registry_begin (p, env);
    registry_check_id (p, "employment_id", cmd->employment_id, true);
    s_check_terms (p, cmd->terms);
    if (cj_check_date_required (p, "effective_date", cmd->effective_date) == 0 && cmd->terms)
        cj_check_date_order (p, "effective_date", cmd->terms->start_date, cmd->effective_date);
    return registry_end (p);
}

int
registry_validate_end_employment (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__EndEmployment *cmd = env->end_employment;
    registry_begin (p, env);
    registry_check_id (p, "employment_id", cmd->employment_id, true);
    cj_check_date_required (p, "end_date", cmd->end_date);
    cj_check_enum (p, "reason", &chejian__v1__employment_end_reason__descriptor,
                         (int) cmd->reason, true);
    bool other = cmd->reason == CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_OTHER;
    cj_check_text (p, "note", cmd->note, 128, other);
    return registry_end (p);
}

/*  ---- the indexes ----  */

static int
s_write_refs (cj_ctx_t *ctx, const char *county, const char *hash, const char *id,
              const reg_refs_t *refs)
{
    return registry_write (ctx, county, hash, id, &refs->base);
}

/*  Appends 'ref' to 'refs' (in the arena) and writes them under 'id' of 'hash'.  */
static int
s_add_ref (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
           const char *id, reg_refs_t *refs, reg_ref_t *ref)
{
    reg_ref_t **all = cj_arena_alloc (arena, (refs->n_refs + 1) * sizeof *all);
    if (!all)
        return -1;
    if (refs->n_refs)                   /* an empty index has no array */
        memcpy (all, refs->refs, refs->n_refs * sizeof *all);
    all[refs->n_refs] = ref;
    refs->refs = all;
    refs->n_refs++;
    return s_write_refs (ctx, county, hash, id, refs);
}

/*  Marks employment 'e' ended in the index 'hash' of 'id'.  */
static int
s_end_ref (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
           const char *id, const reg_employment_t *e)
{
    reg_refs_t *refs = NULL;
    if (registry_read_refs (ctx, arena, county, hash, id, &refs) != 0)
        return -1;
    for (size_t i = 0; i < refs->n_refs; i++)
        if (strcmp (refs->refs[i]->employment_id, e->employment_id) == 0) {
            refs->refs[i]->end_date = e->end_date;
            refs->refs[i]->voided = e->end_reason
                == CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_ENTERED_IN_ERROR;
        }
    return s_write_refs (ctx, county, hash, id, refs);
}

/*  ---- StartEmployment ----  */

typedef struct {
    reg_worker_t   *worker;
    reg_workshop_t *workshop;
    reg_refs_t     *by_worker, *by_workshop;
} s_start_t;

/*  The worker may have no other employment in the workshop that is open or ends on or
 *  after 'start'.  */
static void
s_check_overlap (cj_problems_t *p, const reg_refs_t *refs, const char *workshop_id,
                 int32_t start)
{
    for (size_t i = 0; i < refs->n_refs; i++) {
        const reg_ref_t *r = refs->refs[i];
        if (r->voided || strcmp (r->workshop_id, workshop_id) != 0)
            continue;
        if (r->end_date == 0)
            cj_problems_add (p, "resident_id", CJ_E_CONFLICT, "the worker already has an open "
                             "employment in this workshop (%s)", r->employment_id);
        else if (r->end_date >= start)
            cj_problems_add (p, "terms.start_date", CJ_E_CONFLICT, "the worker's employment %s "
                             "in this workshop ends on %d, on or after this date",
                             r->employment_id, (int) r->end_date);
    }
}

/*  Adds CONFLICT when 'date' is outside the open dates of workshop 'ws'.  */
static void
s_check_open_on (cj_problems_t *p, const char *field, const reg_workshop_t *ws, int32_t date)
{
    const Chejian__V1__WorkshopDetails *d = ws->details;
    if (registry_within (date, d->opened_date, d->closed_date))
        return;
    if (d->closed_date)
        cj_problems_add (p, field, CJ_E_CONFLICT, "the workshop is open from %d to %d only",
                         (int) d->opened_date, (int) d->closed_date);
    else
        cj_problems_add (p, field, CJ_E_CONFLICT, "the workshop opens on %d",
                         (int) d->opened_date);
}

static void
s_check_capacity (cj_problems_t *p, const char *field, const reg_refs_t *refs)
{
    if (refs->n_refs >= REG_REFS_MAX)
        cj_problems_add (p, field, CJ_E_TOO_MANY, "holds %d employments, the most kept",
                         REG_REFS_MAX);
}

/*  Reads what StartEmployment checks; adds NOT_FOUND / CONFLICT problems. Returns 1 when
 *  everything it refers to exists, 0 when not, -1 on error.  */
static int
s_load_start (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, s_start_t *s)
{
    const Chejian__V1__StartEmployment *cmd = env->start_employment;
    cj_problems_t *p = cj_ctx_problems (ctx);
    void *existing = NULL;
    int rc = registry_read (ctx, arena, env->county, REG_EMPLOYMENTS, cmd->employment_id,
                            &chejian__registry__employment_record__descriptor, &existing);
    if (rc == 1)
        cj_problems_add (p, "employment_id", CJ_E_CONFLICT,
                         "an employment with this id is already registered in the county");
    int w = registry_find_worker (ctx, arena, env->county, cmd->resident_id, "resident_id",
                                  &s->worker);
    int ws = registry_require (ctx, arena, env->county, REG_WORKSHOPS, cmd->workshop_id,
                               &chejian__registry__workshop_record__descriptor,
                               (void **) &s->workshop, "workshop_id", "workshop");
    if (rc < 0 || w < 0 || ws < 0)
        return -1;
    if (w != 1 || ws != 1)
        return 0;
    if (registry_read_refs (ctx, arena, env->county, REG_EMP_BY_WORKER, s->worker->worker_key,
                            &s->by_worker) != 0
        || registry_read_refs (ctx, arena, env->county, REG_EMP_BY_WORKSHOP, cmd->workshop_id,
                               &s->by_workshop) != 0)
        return -1;
    return 1;
}

static int
s_write_start (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, s_start_t *s)
{
    const Chejian__V1__StartEmployment *cmd = env->start_employment;
    s_terms_from_t from = CHEJIAN__REGISTRY__TERMS_FROM__INIT, *froms[1] = { &from };
    from.effective_date = cmd->terms->start_date;
    from.terms = cmd->terms;
    reg_employment_t e = CHEJIAN__REGISTRY__EMPLOYMENT_RECORD__INIT;
    e.employment_id = cmd->employment_id;
    e.worker_key = s->worker->worker_key;
    e.resident_id_masked = s->worker->resident_id_masked;
    e.workshop_id = cmd->workshop_id;
    e.n_terms = 1;
    e.terms = froms;
    reg_ref_t ref = CHEJIAN__REGISTRY__EMPLOYMENT_REF__INIT;
    ref.employment_id = e.employment_id;
    ref.worker_key = e.worker_key;
    ref.workshop_id = e.workshop_id;
    ref.start_date = from.effective_date;
    Chejian__V1__EmploymentStarted ev = CHEJIAN__V1__EMPLOYMENT_STARTED__INIT;
    ev.employment_id = e.employment_id;
    ev.worker_key = e.worker_key;
    ev.resident_id_masked = e.resident_id_masked;
    ev.workshop_id = e.workshop_id;
    ev.terms = cmd->terms;
    if (registry_write (ctx, env->county, REG_EMPLOYMENTS, e.employment_id, &e.base) != 0
        || s_add_ref (ctx, arena, env->county, REG_EMP_BY_WORKER, e.worker_key, s->by_worker,
                      &ref) != 0
        || s_add_ref (ctx, arena, env->county, REG_EMP_BY_WORKSHOP, e.workshop_id,
                      s->by_workshop, &ref) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED, &ev.base);
}

static int
s_start (reg_call_t *c)
{
    const Chejian__V1__StartEmployment *cmd = c->env->start_employment;
    s_start_t s = { 0 };
    int rc = s_load_start (c->ctx, c->arena, c->env, &s);
    if (rc != 1)
        return rc;
    s_check_open_on (c->p, "terms.start_date", s.workshop, cmd->terms->start_date);
    s_check_overlap (c->p, s.by_worker, cmd->workshop_id, cmd->terms->start_date);
    s_check_capacity (c->p, "resident_id", s.by_worker);
    s_check_capacity (c->p, "workshop_id", s.by_workshop);
    return cj_problems_any (c->p) ? 0 : s_write_start (c->ctx, c->arena, c->env, &s);
}

int
registry_apply_start_employment (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_start);
}

/*  ---- AmendEmployment and EndEmployment ----  */

/*  Reads employment 'id', which must exist and not have ended, and its workshop. Returns 1
 *  when both are there and it is open, 0 after adding a problem, -1 on error.  */
static int
s_load_open (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id,
             reg_employment_t **ret_e, reg_workshop_t **ret_ws)
{
    int rc = registry_require (ctx, arena, county, REG_EMPLOYMENTS, id,
                               &chejian__registry__employment_record__descriptor,
                               (void **) ret_e, "employment_id", "employment");
    if (rc != 1)
        return rc;
    if ((*ret_e)->end_date) {
        cj_problems_add (cj_ctx_problems (ctx), "employment_id", CJ_E_CONFLICT,
                         "the employment ended on %d", (int) (*ret_e)->end_date);
        return 0;
    }
    rc = registry_read (ctx, arena, county, REG_WORKSHOPS, (*ret_e)->workshop_id,
                        &chejian__registry__workshop_record__descriptor, (void **) ret_ws);
    return rc == 1 ? 1 : -1;            /* an employment's workshop is never removed */
}

/*  Appends the amendment to the terms of 'e' and emits EmploymentAmended.  */
static int
s_write_amendment (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env,
                   reg_employment_t *e)
{
    const Chejian__V1__AmendEmployment *cmd = env->amend_employment;
    s_terms_from_t **terms = cj_arena_alloc (arena, (e->n_terms + 1) * sizeof *terms);
    s_terms_from_t *from = cj_arena_alloc (arena, sizeof *from);
    if (!terms || !from)
        return -1;
    chejian__registry__terms_from__init (from);
    from->effective_date = cmd->effective_date;
    from->terms = cmd->terms;
    memcpy (terms, e->terms, e->n_terms * sizeof *terms);
    terms[e->n_terms++] = from;
    e->terms = terms;
    Chejian__V1__EmploymentAmended ev = CHEJIAN__V1__EMPLOYMENT_AMENDED__INIT;
    ev.employment_id = e->employment_id;
    ev.worker_key = e->worker_key;
    ev.resident_id_masked = e->resident_id_masked;
    ev.workshop_id = e->workshop_id;
    ev.terms = cmd->terms;
    ev.effective_date = cmd->effective_date;
    if (registry_write (ctx, env->county, REG_EMPLOYMENTS, e->employment_id, &e->base) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_AMENDED, &ev.base);
}

/*  What an amendment must agree with: the original start date, the last amendment's date,
 *  the workshop's open dates, and the bound on amendments.  */
static void
s_check_amendment (cj_problems_t *p, const Chejian__V1__AmendEmployment *cmd,
                   const reg_employment_t *e, const reg_workshop_t *ws)
{
    if (cmd->terms->start_date != registry_start_date (e))
        cj_problems_add (p, "terms.start_date", CJ_E_CONFLICT,
                         "must equal the employment's start date (%d)",
                         (int) registry_start_date (e));
    int32_t last = e->terms[e->n_terms - 1]->effective_date;
    if (cmd->effective_date < last)
        cj_problems_add (p, "effective_date", CJ_E_CONFLICT,
                         "the terms already changed from %d; amend from that date on",
                         (int) last);
    s_check_open_on (p, "effective_date", ws, cmd->effective_date);
    if (e->n_terms >= REG_TERMS_MAX)
        cj_problems_add (p, "employment_id", CJ_E_TOO_MANY,
                         "the employment has %d amendments, the most kept", REG_TERMS_MAX - 1);
}

static int
s_amend (reg_call_t *c)
{
    const Chejian__V1__AmendEmployment *cmd = c->env->amend_employment;
    reg_employment_t *e = NULL;
    reg_workshop_t *ws = NULL;
    int rc = s_load_open (c->ctx, c->arena, c->county, cmd->employment_id, &e, &ws);
    if (rc != 1)
        return rc;
    s_check_amendment (c->p, cmd, e, ws);
    return cj_problems_any (c->p) ? 0 : s_write_amendment (c->ctx, c->arena, c->env, e);
}

int
registry_apply_amend_employment (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_amend);
}

static void
s_check_end (cj_problems_t *p, const Chejian__V1__EndEmployment *cmd, const reg_employment_t *e,
             const reg_workshop_t *ws)
{
    int32_t last = e->terms[e->n_terms - 1]->effective_date;
    if (cmd->end_date < last)
        cj_problems_add (p, "end_date", CJ_E_CONFLICT, "must not be before %d, the %s",
                         (int) last, e->n_terms > 1 ? "date of the last amendment"
                                                    : "start date");
    else
        s_check_open_on (p, "end_date", ws, cmd->end_date);
}

/*  Ends 'e', updates both indexes and emits EmploymentEnded.  */
static int
s_write_end (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, reg_employment_t *e)
{
    const Chejian__V1__EndEmployment *cmd = env->end_employment;
    e->end_date = cmd->end_date;
    e->end_reason = cmd->reason;
    e->end_note = cmd->note;
    const s_terms_t *terms = e->terms[e->n_terms - 1]->terms;
    Chejian__V1__EmploymentEnded ev = CHEJIAN__V1__EMPLOYMENT_ENDED__INIT;
    ev.employment_id = e->employment_id;
    ev.worker_key = e->worker_key;
    ev.resident_id_masked = e->resident_id_masked;
    ev.workshop_id = e->workshop_id;
    ev.start_date = registry_start_date (e);
    ev.term_months = terms->term_months;
    ev.contract_type = terms->contract_type;
    ev.end_date = e->end_date;
    ev.reason = e->end_reason;
    int32_t after_end = cj_date_from_days (cj_date_to_days (e->end_date) + 1);
    int months = cj_date_months_between (ev.start_date, after_end);
    ev.months_served = months > 0 ? (uint32_t) months : 0;
    if (registry_write (ctx, env->county, REG_EMPLOYMENTS, e->employment_id, &e->base) != 0
        || s_end_ref (ctx, arena, env->county, REG_EMP_BY_WORKER, e->worker_key, e) != 0
        || s_end_ref (ctx, arena, env->county, REG_EMP_BY_WORKSHOP, e->workshop_id, e) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED, &ev.base);
}

static int
s_end (reg_call_t *c)
{
    const Chejian__V1__EndEmployment *cmd = c->env->end_employment;
    reg_employment_t *e = NULL;
    reg_workshop_t *ws = NULL;
    int rc = s_load_open (c->ctx, c->arena, c->county, cmd->employment_id, &e, &ws);
    if (rc != 1)
        return rc;
    s_check_end (c->p, cmd, e, ws);
    return cj_problems_any (c->p) ? 0 : s_write_end (c->ctx, c->arena, c->env, e);
}

int
registry_apply_end_employment (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_end);
}
