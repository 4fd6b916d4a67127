/*  registry_query_worker.c - GetWorker (statuses on a date and the whole status history) and
 *  ListEmployments (of a workshop or of a worker, optionally only those open on a date).
 *  A worker is looked up by the pseudonym of the resident ID in the query; answers carry the
 *  pseudonym and the masked ID only.  */
#include "registry_internal.h"

typedef Chejian__V1__EmploymentView s_emp_view_t;

int
registry_validate_get_worker (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetWorker *q = env->get_worker;
    registry_begin (p, env);
    cj_check_resident_id (p, "resident_id", q->resident_id);
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    return registry_end (p);
}

/*  The number of employments of worker 'w' open on 'date'.  */
static int
s_open_count (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const reg_worker_t *w,
              int32_t date, uint32_t *ret)
{
    reg_refs_t *refs = NULL;
    if (registry_read_refs (ctx, arena, county, REG_EMP_BY_WORKER, w->worker_key, &refs) != 0)
        return -1;
    *ret = 0;
    for (size_t i = 0; i < refs->n_refs; i++)
        *ret += registry_ref_open_on (refs->refs[i], date);
    return 0;
}

static Chejian__V1__WorkerView *
s_worker_view (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, reg_worker_t *w,
               int32_t date)
{
    Chejian__V1__WorkerView *view = cj_arena_alloc (arena, sizeof *view);
    Chejian__V1__WorkerStatus *status = cj_arena_alloc (arena, sizeof *status);
    Chejian__V1__Disability *disability = cj_arena_alloc (arena, sizeof *disability);
    if (!view || !status || !disability)
        return NULL;
    chejian__v1__worker_view__init (view);
    registry_status_on (w, date, status, disability);
    view->worker_key = w->worker_key;
    view->resident_id_masked = w->resident_id_masked;
    view->birth_period = w->birth_period;
    view->details = w->details;
    view->status = status;
    view->as_of_date = date;
    view->n_history = w->n_history;
    view->history = w->history;
    view->registered_at_ms = w->registered_at_ms;
    return s_open_count (ctx, arena, county, w, date, &view->open_employments) == 0 ? view
                                                                                   : NULL;
}

static int
s_get_worker (reg_call_t *c)
{
    const Chejian__V1__GetWorker *q = c->env->get_worker;
    reg_worker_t *w = NULL;
    int rc = registry_find_worker (c->ctx, c->arena, c->county, q->resident_id, "resident_id",
                                   &w);
    if (rc != 1)
        return rc;
    Chejian__V1__WorkerView *view = s_worker_view (c->ctx, c->arena, c->county, w,
                                                   registry_as_of (q->as_of_date));
    if (!view)
        return -1;
    registry_set_result (c->ack, CHEJIAN__V1__ACK__RESULT_WORKER, &view->base);
    return 0;
}

int
registry_query_get_worker (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_get_worker);
}

/*  ---- ListEmployments ----  */

int
registry_validate_list_employments (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListEmployments *q = env->list_employments;
    registry_begin (p, env);
    if (q->subject_case == CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_WORKSHOP_ID)
        registry_check_workshop_id (p, "workshop_id", q->workshop_id, true);
    else if (q->subject_case == CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_RESIDENT_ID)
        cj_check_resident_id (p, "resident_id", q->resident_id);
    else
        cj_problems_add (p, "subject", CJ_E_REQUIRED, "name a workshop_id or a resident_id");
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    registry_check_page (p, "page", q->page);
    return registry_end (p);
}

/*  registry_read_refs with 1 for success.  */
static int
s_refs (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
        const char *id, reg_refs_t **ret)
{
    return registry_read_refs (ctx, arena, county, hash, id, ret) == 0 ? 1 : -1;
}

/*  The employment index of the query's subject; NOT_FOUND when it is not registered.
 *  Returns 1, 0 (not found) or -1.  */
static int
s_subject_refs (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, reg_refs_t **ret)
{
    const Chejian__V1__ListEmployments *q = env->list_employments;
    if (q->subject_case == CHEJIAN__V1__LIST_EMPLOYMENTS__SUBJECT_WORKSHOP_ID) {
        void *ws = NULL;
        int rc = registry_require (ctx, arena, env->county, REG_WORKSHOPS, q->workshop_id,
                                   &chejian__registry__workshop_record__descriptor, &ws,
                                   "workshop_id", "workshop");
        return rc == 1 ? s_refs (ctx, arena, env->county, REG_EMP_BY_WORKSHOP, q->workshop_id,
                                 ret) : rc;
    }
    reg_worker_t *w = NULL;
    int rc = registry_find_worker (ctx, arena, env->county, q->resident_id, "resident_id", &w);
    return rc == 1 ? s_refs (ctx, arena, env->county, REG_EMP_BY_WORKER, w->worker_key, ret)
                   : rc;
}

static s_emp_view_t *
s_emp_view (cj_arena_t *arena, const reg_employment_t *e, const reg_table_t *people,
            int32_t date)
{
    s_emp_view_t *view = cj_arena_alloc (arena, sizeof *view);
    if (!view)
        return NULL;
    chejian__v1__employment_view__init (view);
    view->employment_id = e->employment_id;
    view->worker_key = e->worker_key;
    view->resident_id_masked = e->resident_id_masked;
    view->workshop_id = e->workshop_id;
    view->terms = e->terms[e->n_terms - 1]->terms;
    view->end_date = e->end_date;
    view->end_reason = e->end_reason;
    view->open = registry_employment_open_on (e, date);
    const reg_worker_t *w = registry_table_find (people, e->worker_key);
    if (w) {
        Chejian__V1__WorkerStatus status;
        Chejian__V1__Disability disability;
        registry_status_on (w, date, &status, &disability);
        view->poverty_status = status.poverty_status;
    }
    return view;
}

/*  The page of 'rows' (index refs) as an EmploymentList of views on 'date'.  */
static Chejian__V1__EmploymentList *
s_emp_list (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, const reg_table_t *rows,
            int32_t date)
{
    Chejian__V1__EmploymentList *list = cj_arena_alloc (arena, sizeof *list);
    reg_page_t page;
    if (!list || registry_page (arena, rows, env->list_employments->page, &page) != 0)
        return NULL;
    chejian__v1__employment_list__init (list);
    char **ids = cj_arena_alloc (arena, (page.count + 1) * sizeof *ids);
    char **keys = cj_arena_alloc (arena, (page.count + 1) * sizeof *keys);
    reg_employment_t **emps = cj_arena_alloc (arena, (page.count + 1) * sizeof *emps);
    list->employments = cj_arena_alloc (arena, (page.count + 1) * sizeof *list->employments);
    list->page = registry_page_info (arena, &page, rows->n);
    reg_table_t people;
    if (!ids || !keys || !emps || !list->employments || !list->page)
        return NULL;
    for (size_t i = 0; i < page.count; i++) {
        const reg_ref_t *ref = rows->rows[page.first + i];
        ids[i] = ref->employment_id;
        keys[i] = ref->worker_key;
    }
    if (registry_read_many (ctx, arena, env->county, REG_EMPLOYMENTS, ids, page.count,
                            &chejian__registry__employment_record__descriptor,
                            (void **) emps) != 0
        || registry_people (ctx, arena, env->county, keys, page.count, &people) != 0)
        return NULL;
    for (size_t i = 0; i < page.count; i++)
        if (!emps[i] || !(list->employments[list->n_employments++]
                          = s_emp_view (arena, emps[i], &people, date)))
            return NULL;
    return list;
}

static int
s_list_employments (reg_call_t *c)
{
    const Chejian__V1__ListEmployments *q = c->env->list_employments;
    reg_refs_t *refs = NULL;
    reg_table_t rows;
    int rc = s_subject_refs (c->ctx, c->arena, c->env, &refs);
    if (rc != 1)
        return rc;
    if (registry_table_init (&rows, c->arena, refs->n_refs) != 0)
        return -1;
    for (size_t i = 0; i < refs->n_refs; i++) {
        reg_ref_t *ref = refs->refs[i];
        char *key = registry_date_key (c->arena, ref->start_date, ref->employment_id);
        if (!key)
            return -1;
        if (!q->as_of_date || registry_ref_open_on (ref, q->as_of_date))
            registry_table_add (&rows, key, ref);
    }
    Chejian__V1__EmploymentList *list = registry_table_sort (&rows) == 0
        ? s_emp_list (c->ctx, c->arena, c->env, &rows, registry_as_of (q->as_of_date)) : NULL;
    if (!list)
        return -1;
    registry_set_result (c->ack, CHEJIAN__V1__ACK__RESULT_EMPLOYMENTS, &list->base);
    return 0;
}

int
registry_query_list_employments (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_list_employments);
}
