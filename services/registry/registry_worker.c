/*  registry_worker.c - RegisterWorker, UpdateWorker and ChangeWorkerStatus; a worker's
 *  statuses on a date from the history of changes, which is kept whole (by effective date,
 *  then arrival), never overwritten.
 *
 *  Privacy: a worker is stored under the pseudonym of the resident ID with the masked ID;
 *  the household under the pseudonym of its number. The worker's name is validated and then
 *  dropped: nothing reads it back, so the registry does not keep it.  */
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

typedef Chejian__V1__StatusChange       s_change_t;
typedef Chejian__V1__StatusHistoryEntry s_entry_t;

bool
registry_is_poor (Chejian__V1__PovertyStatus status)
{
    return status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
        || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT
        || status == CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_MONITORED;
}

/*  Applies one change to 'status'.  */
static void
s_apply_change (const s_change_t *c, Chejian__V1__WorkerStatus *status,
                Chejian__V1__Disability *disability)
{
    switch (c->change_case) {
    case CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS:
        status->poverty_status = c->poverty_status;
        break;
    case CHEJIAN__V1__STATUS_CHANGE__CHANGE_DISABILITY:
        *disability = *c->disability;
        break;
    case CHEJIAN__V1__STATUS_CHANGE__CHANGE_MINIMUM_ALLOWANCE_HOUSEHOLD:
        status->minimum_allowance_household = c->minimum_allowance_household;
        break;
    case CHEJIAN__V1__STATUS_CHANGE__CHANGE_RELOCATED_HOUSEHOLD:
        status->relocated_household = c->relocated_household;
        break;
    default:
        break;
    }
}

/*  The statuses in force on 'date' from 'n' history entries.  */
static void
s_status_from (s_entry_t *const *history, size_t n, int32_t date,
               Chejian__V1__WorkerStatus *ret, Chejian__V1__Disability *disability)
{
    chejian__v1__worker_status__init (ret);
    chejian__v1__disability__init (disability);
    for (size_t i = 0; i < n && history[i]->change->effective_date <= date; i++)
        s_apply_change (history[i]->change, ret, disability);
    ret->disability = disability;
}

void
registry_status_on (const reg_worker_t *worker, int32_t date, Chejian__V1__WorkerStatus *ret,
                    Chejian__V1__Disability *disability)
{
    s_status_from (worker->history, worker->n_history, date, ret, disability);
}

int
registry_find_worker (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                      const char *resident_id, const char *field, reg_worker_t **ret)
{
    char *key = registry_worker_key (ctx, arena, resident_id);
    if (!key)
        return -1;
    return registry_require (ctx, arena, county, REG_WORKERS, key,
                             &chejian__registry__worker_record__descriptor, (void **) ret,
                             field, "worker");
}

/*  ---- validation ----  */

static void
s_check_details (cj_problems_t *p, const Chejian__V1__WorkerDetails *d)
{
    if (cj_check_present (p, "details", d) != 0)
        return;
    cj_problems_push (p, "details");
    registry_check_token (p, "household_id", d->household_id, REG_HOUSEHOLD_ID_MAX, "-", false);
    registry_check_unset (p, "household_key", d->household_key);
    cj_check_range (p, "baseline_annual_income_fen", d->baseline_annual_income_fen, 0,
                    10000000000LL);
    if (d->baseline_year)
        cj_check_range (p, "baseline_year", d->baseline_year, 1900, 2199);
    else if (d->baseline_annual_income_fen > 0)
        cj_problems_add (p, "baseline_year", CJ_E_REQUIRED,
                         "a baseline income names the year it refers to");
    cj_problems_pop (p);
}

static void
s_check_status (cj_problems_t *p, const Chejian__V1__WorkerStatus *status)
{
    if (cj_check_present (p, "status", status) != 0)
        return;
    cj_problems_push (p, "status");
    cj_check_enum (p, "poverty_status", &chejian__v1__poverty_status__descriptor,
                         (int) status->poverty_status, true);
    registry_check_disability (p, "disability", status->disability);
    cj_problems_pop (p);
}

static void
s_check_change (cj_problems_t *p, const s_change_t *c)
{
    if (cj_check_present (p, "change", c) != 0)
        return;
    cj_problems_push (p, "change");
    cj_check_date_required (p, "effective_date", c->effective_date);
    cj_check_enum (p, "source_agency", &chejian__v1__agency_kind__descriptor,
                         (int) c->source_agency, true);
    cj_check_text (p, "source_document", c->source_document, 64, false);
    if (c->change_case == CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS)
        cj_check_enum (p, "poverty_status", &chejian__v1__poverty_status__descriptor,
                             (int) c->poverty_status, true);
    else if (c->change_case == CHEJIAN__V1__STATUS_CHANGE__CHANGE_DISABILITY)
        registry_check_disability (p, "disability", c->disability);
    else if (c->change_case == CHEJIAN__V1__STATUS_CHANGE__CHANGE__NOT_SET)
        cj_problems_add (p, "", CJ_E_REQUIRED, "set one of poverty_status, disability, "
                         "minimum_allowance_household, relocated_household");
    cj_problems_pop (p);
}

int
registry_validate_register_worker (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RegisterWorker *cmd = env->register_worker;
    registry_begin (p, env);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    cj_check_text (p, "name", cmd->name, 32, true);
    s_check_details (p, cmd->details);
    s_check_status (p, cmd->status);
    cj_check_date_required (p, "status_date", cmd->status_date);
    cj_check_enum (p, "status_agency", &chejian__v1__agency_kind__descriptor,
                         (int) cmd->status_agency, true);
    return registry_end (p);
}

int
registry_validate_update_worker (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__UpdateWorker *cmd = env->update_worker;
    registry_begin (p, env);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    cj_check_text (p, "name", cmd->name, 32, false);
    s_check_details (p, cmd->details);
    return registry_end (p);
}

int
registry_validate_change_worker_status (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ChangeWorkerStatus *cmd = env->change_worker_status;
    registry_begin (p, env);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    s_check_change (p, cmd->change);
    return registry_end (p);
}

/*  ---- writing ----  */

/*  WorkerDetails as stored and emitted: the household keyed by pseudonym.  */
static Chejian__V1__WorkerDetails *
s_public_details (cj_ctx_t *ctx, cj_arena_t *arena, const Chejian__V1__WorkerDetails *in)
{
    Chejian__V1__WorkerDetails *d = cj_arena_alloc (arena, sizeof *d);
    if (!d)
        return NULL;
    *d = *in;
    d->household_id = "";
    d->household_key = *in->household_id ? registry_household_key (ctx, arena, in->household_id)
                                          : "";
    return d->household_key ? d : NULL;
}

/*  A history entry for 'change' sent by 'env', in the arena.  */
static s_entry_t *
s_entry (cj_arena_t *arena, const cj_envelope_t *env, const s_change_t *change)
{
    s_entry_t *e = cj_arena_alloc (arena, sizeof *e);
    s_change_t *c = cj_arena_alloc (arena, sizeof *c);
    if (!e || !c)
        return NULL;
    chejian__v1__status_history_entry__init (e);
    *c = *change;
    e->change = c;
    e->recorded_by = env->source;
    e->event_id = env->event_id;
    e->recorded_at_ms = registry_now_ms ();
    return e;
}

/*  The registration's statuses as four history entries, one per status.  */
static s_entry_t **
s_registration_history (cj_arena_t *arena, const cj_envelope_t *env)
{
    const Chejian__V1__RegisterWorker *cmd = env->register_worker;
    static const Chejian__V1__Disability none = CHEJIAN__V1__DISABILITY__INIT;
    s_change_t c = CHEJIAN__V1__STATUS_CHANGE__INIT;
    c.effective_date = cmd->status_date;
    c.source_agency = cmd->status_agency;
    static const Chejian__V1__StatusChange__ChangeCase cases[4] = {
        CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS,
        CHEJIAN__V1__STATUS_CHANGE__CHANGE_DISABILITY,
        CHEJIAN__V1__STATUS_CHANGE__CHANGE_MINIMUM_ALLOWANCE_HOUSEHOLD,
        CHEJIAN__V1__STATUS_CHANGE__CHANGE_RELOCATED_HOUSEHOLD,
    };
    s_entry_t **history = cj_arena_alloc (arena, 4 * sizeof *history);
    for (int i = 0; history && i < 4; i++) {
        c.change_case = cases[i];
        if (i == 0)
            c.poverty_status = cmd->status->poverty_status;
        else if (i == 1)
            c.disability = (Chejian__V1__Disability *) (cmd->status->disability
                                                        ? cmd->status->disability : &none);
        else
            c.minimum_allowance_household = i == 2 ? cmd->status->minimum_allowance_household
                                                   : cmd->status->relocated_household;
        if (!(history[i] = s_entry (arena, env, &c)))
            return NULL;
    }
    return history;
}

/*  yyyymm of birth: characters 7 to 12 of a (valid) resident ID.  */
static int32_t
s_birth_period (const char *resident_id)
{
    char digits[7];
    memcpy (digits, resident_id + 6, 6);
    digits[6] = 0;
    return (int32_t) strtol (digits, NULL, 10);
}

static int
s_emit_registered (cj_ctx_t *ctx, const cj_envelope_t *env, const reg_worker_t *w)
{
    const Chejian__V1__RegisterWorker *cmd = env->register_worker;
    Chejian__V1__WorkerRegistered ev = CHEJIAN__V1__WORKER_REGISTERED__INIT;
    ev.worker_key = w->worker_key;
    ev.resident_id_masked = w->resident_id_masked;
    ev.birth_period = w->birth_period;
    ev.details = w->details;
    ev.status = cmd->status;
    ev.status_date = cmd->status_date;
    ev.status_agency = cmd->status_agency;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED, &ev.base);
}

static int
s_register (reg_call_t *c)
{
    const Chejian__V1__RegisterWorker *cmd = c->env->register_worker;
    reg_worker_t *old = NULL, w = CHEJIAN__REGISTRY__WORKER_RECORD__INIT;
    w.worker_key = registry_worker_key (c->ctx, c->arena, cmd->resident_id);
    int rc = w.worker_key ? registry_read (c->ctx, c->arena, c->county, REG_WORKERS,
                                           w.worker_key,
                                           &chejian__registry__worker_record__descriptor,
                                           (void **) &old) : -1;
    if (rc == 1)
        cj_problems_add (c->p, "resident_id", CJ_E_CONFLICT,
                         "this person is already registered in the county");
    if (rc != 0)
        return rc;
    w.resident_id_masked = registry_masked (c->arena, cmd->resident_id);
    w.birth_period = s_birth_period (cmd->resident_id);
    w.details = s_public_details (c->ctx, c->arena, cmd->details);
    w.history = s_registration_history (c->arena, c->env);
    w.n_history = 4;
    w.registered_at_ms = registry_now_ms ();
    if (!w.resident_id_masked || !w.details || !w.history
        || registry_write (c->ctx, c->county, REG_WORKERS, w.worker_key, &w.base) != 0)
        return -1;
    return s_emit_registered (c->ctx, c->env, &w);
}

int
registry_apply_register_worker (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_register);
}

static int
s_update (reg_call_t *c)
{
    const Chejian__V1__UpdateWorker *cmd = c->env->update_worker;
    reg_worker_t *w = NULL;
    int rc = registry_find_worker (c->ctx, c->arena, c->county, cmd->resident_id, "resident_id",
                                   &w);
    if (rc != 1)
        return rc;
    w->details = s_public_details (c->ctx, c->arena, cmd->details);
    Chejian__V1__WorkerUpdated ev = CHEJIAN__V1__WORKER_UPDATED__INIT;
    ev.worker_key = w->worker_key;
    ev.resident_id_masked = w->resident_id_masked;
    ev.details = w->details;
    if (!w->details || registry_write (c->ctx, c->county, REG_WORKERS, w->worker_key,
                                       &w->base) != 0)
        return -1;
    return registry_emit (c->ctx, CHEJIAN__V1__ENVELOPE__BODY_WORKER_UPDATED, &ev.base);
}

int
registry_apply_update_worker (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_update);
}

/*  Inserts 'entry' into the history of 'w' after every entry effective on or before it.  */
static int
s_insert_entry (cj_arena_t *arena, reg_worker_t *w, s_entry_t *entry)
{
    s_entry_t **history = cj_arena_alloc (arena, (w->n_history + 1) * sizeof *history);
    if (!history)
        return -1;
    size_t at = w->n_history;
    while (at > 0 && w->history[at - 1]->change->effective_date > entry->change->effective_date)
        at--;
    memcpy (history, w->history, at * sizeof *history);
    history[at] = entry;
    memcpy (history + at + 1, w->history + at, (w->n_history - at) * sizeof *history);
    w->history = history;
    w->n_history++;
    return 0;
}

/*  Records the change in the history of 'w' and emits WorkerStatusChanged with the statuses
 *  before and after it, both on the latest effective date of the new history.  */
static int
s_record_change (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, reg_worker_t *w)
{
    const Chejian__V1__ChangeWorkerStatus *cmd = env->change_worker_status;
    s_entry_t **before = w->history;
    size_t nbefore = w->n_history;
    s_entry_t *entry = s_entry (arena, env, cmd->change);
    if (!entry || s_insert_entry (arena, w, entry) != 0)
        return -1;
    int32_t latest = w->history[w->n_history - 1]->change->effective_date;
    Chejian__V1__WorkerStatus status_before, status_after;
    Chejian__V1__Disability disability_before, disability_after;
    s_status_from (before, nbefore, latest, &status_before, &disability_before);
    registry_status_on (w, latest, &status_after, &disability_after);
    Chejian__V1__WorkerStatusChanged ev = CHEJIAN__V1__WORKER_STATUS_CHANGED__INIT;
    ev.worker_key = w->worker_key;
    ev.resident_id_masked = w->resident_id_masked;
    ev.change = cmd->change;
    ev.status_before = &status_before;
    ev.status_after = &status_after;
    if (registry_write (ctx, env->county, REG_WORKERS, w->worker_key, &w->base) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED, &ev.base);
}

static int
s_change (reg_call_t *c)
{
    reg_worker_t *w = NULL;
    int rc = registry_find_worker (c->ctx, c->arena, c->county,
                                   c->env->change_worker_status->resident_id, "resident_id", &w);
    if (rc != 1)
        return rc;
    if (w->n_history < REG_HISTORY_MAX)
        return s_record_change (c->ctx, c->arena, c->env, w);
    cj_problems_add (c->p, "change", CJ_E_TOO_MANY,
                     "the worker's status history is full (%d entries)", REG_HISTORY_MAX);
    return 0;
}

int
registry_apply_change_worker_status (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_change);
}
