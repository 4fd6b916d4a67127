/*  registry_holdings.c - what a worker or household holds besides employments:
 *  RecordShareholding (a stake in a shareholding workshop, replaced whole by a later message
 *  with the same id), RecordTraining (one person-time), AssignPost and EndPost (public-welfare
 *  posts). Records are stored as the contract's own messages (ShareholdingRecorded,
 *  TrainingRecorded, PostView) with sorted-set indexes for the list queries.  */
#include <stdio.h>
#include <string.h>

#include "registry_internal.h"

typedef Chejian__V1__ShareholdingRecorded s_stake_t;
typedef Chejian__V1__TrainingRecorded     s_training_t;
typedef Chejian__V1__PostView             s_post_t;

/*  Adds 'id' to the county index "<prefix>:<part>" with 'score'.  */
static int
s_index (cj_ctx_t *ctx, const char *county, const char *prefix, const char *part,
         double score, const char *id)
{
    char index[REG_ID_MAX + 32];
    snprintf (index, sizeof index, "%s:%s", prefix, part);
    return registry_index_add (ctx, county, index, score, id);
}

/*  Adds CONFLICT on 'id_field' when record 'id' of 'hash' exists. Returns -1 on error.  */
static int
s_require_new (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
               const char *id, const ProtobufCMessageDescriptor *desc, const char *id_field)
{
    void *existing = NULL;
    int rc = registry_read (ctx, arena, county, hash, id, desc, &existing);
    if (rc == 1)
        cj_problems_add (cj_ctx_problems (ctx), id_field, CJ_E_CONFLICT,
                         "a record with this id is already registered in the county");
    return rc < 0 ? -1 : 0;
}

/*  Reads the workshop 'id' when one is named ("" names none); NOT_FOUND when absent.  */
static int
s_require_workshop (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id)
{
    reg_workshop_t *ws = NULL;
    return *id ? registry_require (ctx, arena, county, REG_WORKSHOPS, id,
                                   &chejian__registry__workshop_record__descriptor,
                                   (void **) &ws, "workshop_id", "workshop") : 1;
}

/*  ---- RecordShareholding ----  */

int
registry_validate_record_shareholding (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RecordShareholding *cmd = env->record_shareholding;
    registry_begin (p, env);
    registry_check_id (p, "shareholding_id", cmd->shareholding_id, true);
    registry_check_token (p, "household_id", cmd->household_id, REG_HOUSEHOLD_ID_MAX, "-", true);
    if (*cmd->resident_id)
        cj_check_resident_id (p, "resident_id", cmd->resident_id);
    registry_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    cj_check_range (p, "land_mu_x100", cmd->land_mu_x100, 0, 1000000);
    cj_check_range (p, "funds_fen", cmd->funds_fen, 0, 1000000000);
    if (cmd->land_mu_x100 == 0 && cmd->funds_fen == 0)
        cj_problems_add (p, "land_mu_x100", CJ_E_REQUIRED,
                         "a stake invests land (land_mu_x100) or funds (funds_fen)");
    cj_check_range (p, "guaranteed_annual_fen", cmd->guaranteed_annual_fen, 0, 100000000);
    cj_check_range (p, "dividend_share_bp", cmd->dividend_share_bp, 0, 10000);
    cj_check_text (p, "dividend_terms", cmd->dividend_terms, 256, false);
    cj_check_date_required (p, "start_date", cmd->start_date);
    if (cj_check_date_opt (p, "end_date", cmd->end_date) == 0)
        cj_check_date_order (p, "end_date", cmd->start_date, cmd->end_date);
    return registry_end (p);
}

/*  The stake as stored and emitted, version 'version', worker 'w' (NULL when none).  */
static void
s_stake_from (s_stake_t *s, const Chejian__V1__RecordShareholding *cmd, uint32_t version,
              const char *household_key, const reg_worker_t *w)
{
    chejian__v1__shareholding_recorded__init (s);
    s->shareholding_id = cmd->shareholding_id;
    s->version = version;
    s->household_key = (char *) household_key;
    s->worker_key = w ? w->worker_key : "";
    s->resident_id_masked = w ? w->resident_id_masked : "";
    s->workshop_id = cmd->workshop_id;
    s->land_mu_x100 = cmd->land_mu_x100;
    s->funds_fen = cmd->funds_fen;
    s->guaranteed_annual_fen = cmd->guaranteed_annual_fen;
    s->dividend_share_bp = cmd->dividend_share_bp;
    s->dividend_terms = cmd->dividend_terms;
    s->start_date = cmd->start_date;
    s->end_date = cmd->end_date;
}

/*  A replacement keeps the stake's household and workshop.  */
static void
s_check_replacement (cj_problems_t *p, const s_stake_t *old, const s_stake_t *now)
{
    if (strcmp (old->household_key, now->household_key) != 0)
        cj_problems_add (p, "household_id", CJ_E_CONFLICT,
                         "the stake belongs to another household; use a new shareholding_id");
    if (strcmp (old->workshop_id, now->workshop_id) != 0)
        cj_problems_add (p, "workshop_id", CJ_E_CONFLICT, "the stake is in workshop %s; use a "
                         "new shareholding_id", old->workshop_id);
}

static int
s_write_stake (cj_ctx_t *ctx, const char *county, const s_stake_t *s)
{
    if (registry_write (ctx, county, REG_SHAREHOLDINGS, s->shareholding_id, &s->base) != 0)
        return -1;
    if (s->version == 1
        && (s_index (ctx, county, "sh_ws", s->workshop_id, 0, s->shareholding_id) != 0
            || s_index (ctx, county, "sh_hh", s->household_key, 0, s->shareholding_id) != 0))
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDING_RECORDED, &s->base);
}

static int
s_record_stake (reg_call_t *c)
{
    const Chejian__V1__RecordShareholding *cmd = c->env->record_shareholding;
    reg_worker_t *w = NULL;
    s_stake_t *old = NULL, now;
    int rc = s_require_workshop (c->ctx, c->arena, c->county, cmd->workshop_id);
    if (rc >= 0 && *cmd->resident_id)
        rc = registry_find_worker (c->ctx, c->arena, c->county, cmd->resident_id, "resident_id",
                                   &w);
    if (rc >= 0)
        rc = registry_read (c->ctx, c->arena, c->county, REG_SHAREHOLDINGS,
                            cmd->shareholding_id, &chejian__v1__shareholding_recorded__descriptor,
                            (void **) &old);
    const char *household_key = rc >= 0 ? registry_household_key (c->ctx, c->arena,
                                                                  cmd->household_id) : NULL;
    if (!household_key)
        return -1;
    s_stake_from (&now, cmd, old ? old->version + 1 : 1, household_key, w);
    if (old)
        s_check_replacement (c->p, old, &now);
    return cj_problems_any (c->p) ? 0 : s_write_stake (c->ctx, c->county, &now);
}

int
registry_apply_record_shareholding (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_record_stake);
}

/*  ---- RecordTraining ----  */

int
registry_validate_record_training (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RecordTraining *cmd = env->record_training;
    registry_begin (p, env);
    registry_check_id (p, "training_id", cmd->training_id, true);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    cj_check_text (p, "course", cmd->course, 64, true);
    cj_check_text (p, "industry", cmd->industry, 32, false);
    cj_check_range (p, "hours", cmd->hours, 1, 2000);
    cj_check_enum (p, "certificate", &chejian__v1__certificate_kind__descriptor,
                         (int) cmd->certificate, true);
    cj_check_text (p, "provider", cmd->provider, 64, false);
    cj_check_date_required (p, "start_date", cmd->start_date);
    if (cj_check_date_required (p, "end_date", cmd->end_date) == 0)
        cj_check_date_order (p, "end_date", cmd->start_date, cmd->end_date);
    registry_check_workshop_id (p, "workshop_id", cmd->workshop_id, false);
    return registry_end (p);
}

static int
s_write_training (cj_ctx_t *ctx, const cj_envelope_t *env, const reg_worker_t *w)
{
    const Chejian__V1__RecordTraining *cmd = env->record_training;
    Chejian__V1__WorkerStatus status;
    Chejian__V1__Disability disability;
    registry_status_on (w, cmd->end_date, &status, &disability);
    s_training_t t = CHEJIAN__V1__TRAINING_RECORDED__INIT;
    t.training_id = cmd->training_id;
    t.worker_key = w->worker_key;
    t.resident_id_masked = w->resident_id_masked;
    t.course = cmd->course;
    t.industry = cmd->industry;
    t.hours = cmd->hours;
    t.certificate = cmd->certificate;
    t.provider = cmd->provider;
    t.start_date = cmd->start_date;
    t.end_date = cmd->end_date;
    t.workshop_id = cmd->workshop_id;
    t.poverty_status = status.poverty_status;
    const char *county = env->county;
    if (registry_write (ctx, county, REG_TRAININGS, t.training_id, &t.base) != 0
        || registry_index_add (ctx, county, "trn_all", t.end_date, t.training_id) != 0
        || s_index (ctx, county, "trn_wk", t.worker_key, t.end_date, t.training_id) != 0
        || (*t.workshop_id
            && s_index (ctx, county, "trn_ws", t.workshop_id, t.end_date, t.training_id) != 0))
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_TRAINING_RECORDED, &t.base);
}

static int
s_record_training (reg_call_t *c)
{
    const Chejian__V1__RecordTraining *cmd = c->env->record_training;
    reg_worker_t *w = NULL;
    if (s_require_new (c->ctx, c->arena, c->county, REG_TRAININGS, cmd->training_id,
                       &chejian__v1__training_recorded__descriptor, "training_id") != 0
        || s_require_workshop (c->ctx, c->arena, c->county, cmd->workshop_id) < 0
        || registry_find_worker (c->ctx, c->arena, c->county, cmd->resident_id, "resident_id",
                                 &w) < 0)
        return -1;
    return cj_problems_any (c->p) ? 0 : s_write_training (c->ctx, c->env, w);
}

int
registry_apply_record_training (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_record_training);
}

/*  ---- AssignPost and EndPost ----  */

int
registry_validate_assign_post (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__AssignPost *cmd = env->assign_post;
    registry_begin (p, env);
    registry_check_id (p, "post_id", cmd->post_id, true);
    cj_check_resident_id (p, "resident_id", cmd->resident_id);
    cj_check_enum (p, "post_type", &chejian__v1__post_type__descriptor,
                         (int) cmd->post_type, true);
    cj_check_text (p, "post_name", cmd->post_name, 64, false);
    cj_check_range (p, "monthly_pay_fen", cmd->monthly_pay_fen, 1, 10000000);
    cj_check_enum (p, "funded_by", &chejian__v1__fund_source__descriptor,
                         (int) cmd->funded_by, false);
    registry_check_location (p, "location", cmd->location, env->county);
    cj_check_date_required (p, "start_date", cmd->start_date);
    if (cj_check_date_opt (p, "end_date", cmd->end_date) == 0)
        cj_check_date_order (p, "end_date", cmd->start_date, cmd->end_date);
    return registry_end (p);
}

static int
s_write_post (cj_ctx_t *ctx, const cj_envelope_t *env, const reg_worker_t *w)
{
    const Chejian__V1__AssignPost *cmd = env->assign_post;
    Chejian__V1__PostAssigned a = CHEJIAN__V1__POST_ASSIGNED__INIT;
    a.post_id = cmd->post_id;
    a.worker_key = w->worker_key;
    a.resident_id_masked = w->resident_id_masked;
    a.post_type = cmd->post_type;
    a.post_name = cmd->post_name;
    a.monthly_pay_fen = cmd->monthly_pay_fen;
    a.funded_by = cmd->funded_by;
    a.location = cmd->location;
    a.start_date = cmd->start_date;
    a.end_date = cmd->end_date;
    s_post_t view = CHEJIAN__V1__POST_VIEW__INIT;
    view.post = &a;
    char type[12];
    snprintf (type, sizeof type, "%d", (int) a.post_type);
    const char *county = env->county;
    if (registry_write (ctx, county, REG_POSTS, a.post_id, &view.base) != 0
        || registry_index_add (ctx, county, "post_all", a.start_date, a.post_id) != 0
        || s_index (ctx, county, "post_wk", a.worker_key, a.start_date, a.post_id) != 0
        || s_index (ctx, county, "post_type", type, a.start_date, a.post_id) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_POST_ASSIGNED, &a.base);
}

static int
s_assign_post (reg_call_t *c)
{
    const Chejian__V1__AssignPost *cmd = c->env->assign_post;
    reg_worker_t *w = NULL;
    if (s_require_new (c->ctx, c->arena, c->county, REG_POSTS, cmd->post_id,
                       &chejian__v1__post_view__descriptor, "post_id") != 0
        || registry_find_worker (c->ctx, c->arena, c->county, cmd->resident_id, "resident_id",
                                 &w) < 0)
        return -1;
    return cj_problems_any (c->p) ? 0 : s_write_post (c->ctx, c->env, w);
}

int
registry_apply_assign_post (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_assign_post);
}

int
registry_validate_end_post (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__EndPost *cmd = env->end_post;
    registry_begin (p, env);
    registry_check_id (p, "post_id", cmd->post_id, true);
    cj_check_date_required (p, "end_date", cmd->end_date);
    cj_check_text (p, "reason", cmd->reason, 128, false);
    return registry_end (p);
}

static int
s_close_post (cj_ctx_t *ctx, const cj_envelope_t *env, s_post_t *view)
{
    const Chejian__V1__EndPost *cmd = env->end_post;
    cj_problems_t *p = cj_ctx_problems (ctx);
    const Chejian__V1__PostAssigned *a = view->post;
    if (view->ended_date)
        cj_problems_add (p, "post_id", CJ_E_CONFLICT, "the post assignment ended on %d",
                         (int) view->ended_date);
    else if (cmd->end_date < a->start_date)
        cj_problems_add (p, "end_date", CJ_E_CONFLICT,
                         "must not be before the assignment's start date (%d)",
                         (int) a->start_date);
    if (cj_problems_any (p))
        return 0;
    view->ended_date = cmd->end_date;
    view->end_reason = cmd->reason;
    Chejian__V1__PostEnded ev = CHEJIAN__V1__POST_ENDED__INIT;
    ev.post_id = a->post_id;
    ev.worker_key = a->worker_key;
    ev.resident_id_masked = a->resident_id_masked;
    ev.post_type = a->post_type;
    ev.end_date = cmd->end_date;
    ev.reason = cmd->reason;
    if (registry_write (ctx, env->county, REG_POSTS, a->post_id, &view->base) != 0)
        return -1;
    return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_POST_ENDED, &ev.base);
}

static int
s_end_post (reg_call_t *c)
{
    s_post_t *view = NULL;
    int rc = registry_require (c->ctx, c->arena, c->county, REG_POSTS, c->env->end_post->post_id,
                               &chejian__v1__post_view__descriptor, (void **) &view, "post_id",
                               "post assignment");
    return rc == 1 ? s_close_post (c->ctx, c->env, view) : rc;
}

int
registry_apply_end_post (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_end_post);
}
