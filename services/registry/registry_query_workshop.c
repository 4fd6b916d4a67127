/*  registry_query_workshop.c - GetWorkshop and ListWorkshops: workshop records with their
 *  status and headcounts on a date. Headcounts are computed at query time from the
 *  workshop's employment index and its workers' status histories, never kept as counters:
 *  a correction dated in the past (an employment ended back in time, a status revoked)
 *  changes every figure it should.  */
#include <stdio.h>
#include <string.h>

#include "registry_internal.h"

typedef Chejian__V1__WorkshopView s_view_t;

/*  The employments of workshop 'id' open on 'date', as records.  */
static int
s_open_employments (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id,
                    int32_t date, reg_employment_t ***ret, size_t *ret_n)
{
    reg_refs_t *refs = NULL;
    if (registry_read_refs (ctx, arena, county, REG_EMP_BY_WORKSHOP, id, &refs) != 0)
        return -1;
    char **ids = cj_arena_alloc (arena, (refs->n_refs + 1) * sizeof *ids);
    reg_employment_t **emps = cj_arena_alloc (arena, (refs->n_refs + 1) * sizeof *emps);
    if (!ids || !emps)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < refs->n_refs; i++)
        if (registry_ref_open_on (refs->refs[i], date))
            ids[n++] = refs->refs[i]->employment_id;
    if (registry_read_many (ctx, arena, county, REG_EMPLOYMENTS, ids, n,
                            &chejian__registry__employment_record__descriptor,
                            (void **) emps) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!emps[i])
            return -1;                  /* an index entry without its record */
    *ret = emps;
    *ret_n = n;
    return 0;
}

/*  Fills the headcounts of 'view' (workshop 'id' on 'date').  */
static int
s_headcounts (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, s_view_t *view)
{
    reg_employment_t **emps = NULL;
    size_t n = 0;
    if (s_open_employments (ctx, arena, county, view->workshop_id, view->as_of_date, &emps,
                            &n) != 0)
        return -1;
    char **keys = cj_arena_alloc (arena, (n + 1) * sizeof *keys);
    reg_table_t people;
    reg_headcount_t h;
    if (!keys)
        return -1;
    for (size_t i = 0; i < n; i++)
        keys[i] = emps[i]->worker_key;
    if (registry_people (ctx, arena, county, keys, n, &people) != 0
        || registry_headcount (&people, emps, n, view->as_of_date, &h) != 0)
        return -1;
    view->headcount = h.workers;
    view->poor_headcount = h.poor;
    view->disabled_headcount = h.disabled;
    view->allowance_headcount = h.allowance;
    view->relocated_headcount = h.relocated;
    view->home_based_headcount = h.home_based;
    return 0;
}

/*  The view of workshop 'ws' on 'date' with its headcounts (no children), in the arena.  */
static s_view_t *
s_view (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, reg_workshop_t *ws, int32_t date)
{
    s_view_t *view = cj_arena_alloc (arena, sizeof *view);
    if (!view)
        return NULL;
    chejian__v1__workshop_view__init (view);
    view->workshop_id = ws->workshop_id;
    view->county = (char *) county;
    view->version = ws->version;
    view->details = ws->details;
    view->status = registry_workshop_status (ws, date);
    view->as_of_date = date;
    view->registered_at_ms = ws->registered_at_ms;
    view->updated_at_ms = ws->updated_at_ms;
    return s_headcounts (ctx, arena, county, view) == 0 ? view : NULL;
}

int
registry_validate_get_workshop (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetWorkshop *q = env->get_workshop;
    registry_begin (p, env);
    registry_check_workshop_id (p, "workshop_id", q->workshop_id, true);
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    return registry_end (p);
}

/*  Adds the ids of the workshop's children (at most REG_CHILDREN_MAX) to 'view'.  */
static int
s_children (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, s_view_t *view)
{
    char index[REG_ID_MAX + 16];
    snprintf (index, sizeof index, "ws_children:%s", view->workshop_id);
    if (registry_index_range (ctx, arena, county, index, 0, 0, &view->child_workshop_ids,
                              &view->n_child_workshop_ids) != 0)
        return -1;
    if (view->n_child_workshop_ids > REG_CHILDREN_MAX)
        view->n_child_workshop_ids = REG_CHILDREN_MAX;
    return 0;
}

static int
s_get_workshop (reg_call_t *c)
{
    const Chejian__V1__GetWorkshop *q = c->env->get_workshop;
    reg_workshop_t *ws = NULL;
    int rc = registry_require (c->ctx, c->arena, c->county, REG_WORKSHOPS, q->workshop_id,
                               &chejian__registry__workshop_record__descriptor, (void **) &ws,
                               "workshop_id", "workshop");
    if (rc != 1)
        return rc;
    s_view_t *view = s_view (c->ctx, c->arena, c->county, ws, registry_as_of (q->as_of_date));
    if (!view || s_children (c->ctx, c->arena, c->county, view) != 0)
        return -1;
    registry_set_result (c->ack, CHEJIAN__V1__ACK__RESULT_WORKSHOP, &view->base);
    return 0;
}

int
registry_query_get_workshop (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_get_workshop);
}

/*  ---- ListWorkshops ----  */

int
registry_validate_list_workshops (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListWorkshops *q = env->list_workshops;
    registry_begin (p, env);
    cj_check_enum (p, "type", &chejian__v1__workshop_type__descriptor, (int) q->type,
                         false);
    cj_check_enum (p, "status", &chejian__v1__workshop_status__descriptor,
                         (int) q->status, false);
    cj_check_enum (p, "role", &chejian__v1__workshop_role__descriptor, (int) q->role,
                         false);
    registry_check_workshop_id (p, "parent_workshop_id", q->parent_workshop_id, false);
    registry_check_division (p, "township_code", q->township_code, 9, env->county);
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    registry_check_page (p, "page", q->page);
    return registry_end (p);
}

static bool
s_matches (const Chejian__V1__ListWorkshops *q, const reg_workshop_t *ws, int32_t date)
{
    const Chejian__V1__WorkshopDetails *d = ws->details;
    return (!q->type || d->type == q->type)
        && (!q->status || registry_workshop_status (ws, date) == q->status)
        && (!q->role || d->role == q->role)
        && (!*q->parent_workshop_id || strcmp (d->parent_workshop_id, q->parent_workshop_id) == 0)
        && (!*q->township_code || strcmp (d->location->township_code, q->township_code) == 0);
}

/*  The workshops the filter can match: the children of the parent, or those of the type,
 *  or all of the county.  */
static int
s_candidates (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, void ***ret,
              size_t *ret_n)
{
    const Chejian__V1__ListWorkshops *q = env->list_workshops;
    const ProtobufCMessageDescriptor *desc = &chejian__registry__workshop_record__descriptor;
    char index[REG_ID_MAX + 16];
    if (*q->parent_workshop_id)
        snprintf (index, sizeof index, "ws_children:%s", q->parent_workshop_id);
    else if (q->type)
        snprintf (index, sizeof index, "ws_type:%d", (int) q->type);
    else
        return registry_read_all (ctx, arena, env->county, REG_WORKSHOPS, desc, ret, ret_n);
    return registry_read_index (ctx, arena, env->county, index, 0, 0, REG_WORKSHOPS, desc, ret,
                                ret_n);
}

/*  The page of 'rows' as a WorkshopList with the views' headcounts.  */
static Chejian__V1__WorkshopList *
s_list (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, const reg_table_t *rows,
        int32_t date)
{
    Chejian__V1__WorkshopList *list = cj_arena_alloc (arena, sizeof *list);
    reg_page_t page;
    if (!list || registry_page (arena, rows, env->list_workshops->page, &page) != 0)
        return NULL;
    chejian__v1__workshop_list__init (list);
    list->workshops = cj_arena_alloc (arena, (page.count + 1) * sizeof *list->workshops);
    list->page = registry_page_info (arena, &page, rows->n);
    if (!list->workshops || !list->page)
        return NULL;
    for (size_t i = 0; i < page.count; i++)
        if (!(list->workshops[list->n_workshops++] = s_view (ctx, arena, env->county,
                                                             rows->rows[page.first + i], date)))
            return NULL;
    return list;
}

static int
s_list_workshops (reg_call_t *c)
{
    const Chejian__V1__ListWorkshops *q = c->env->list_workshops;
    int32_t date = registry_as_of (q->as_of_date);
    void **all = NULL;
    size_t n = 0;
    reg_table_t rows;
    if (s_candidates (c->ctx, c->arena, c->env, &all, &n) != 0
        || registry_table_init (&rows, c->arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_matches (q, all[i], date))
            registry_table_add (&rows, ((reg_workshop_t *) all[i])->workshop_id, all[i]);
    Chejian__V1__WorkshopList *list = registry_table_sort (&rows) == 0
                                      ? s_list (c->ctx, c->arena, c->env, &rows, date) : NULL;
    if (!list)
        return -1;
    registry_set_result (c->ack, CHEJIAN__V1__ACK__RESULT_WORKSHOPS, &list->base);
    return 0;
}

int
registry_query_list_workshops (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_list_workshops);
}
