/*  registry_query_lists.c - ListShareholdings, ListTrainings and ListPosts: records found
 *  through a sorted-set index of the county (by workshop, household, worker, type, or all),
 *  filtered, ordered and paged. A worker or workshop named in a filter must be registered
 *  (NOT_FOUND otherwise); a household has no record of its own, so an unknown one lists
 *  nothing.  */
#include <stdio.h>
#include <string.h>

#include "registry_internal.h"

#define S_DATE_MAX 99991231

typedef Chejian__V1__TrainingRecorded s_training_t;
typedef Chejian__V1__PostView         s_post_t;

/*  Names in 'index' the county index "<prefix>:<worker key>" of the worker of 'resident_id'
 *  (NOT_FOUND when not registered). Returns 1, 0 or -1.  */
static int
s_worker_index (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *resident_id,
                const char *prefix, char *index, size_t size)
{
    reg_worker_t *w = NULL;
    int rc = registry_find_worker (ctx, arena, county, resident_id, "resident_id", &w);
    if (rc == 1)
        snprintf (index, size, "%s:%s", prefix, w->worker_key);
    return rc;
}

/*  The same for workshop 'id' ("<prefix>:<workshop id>").  */
static int
s_workshop_index (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id,
                  const char *prefix, char *index, size_t size)
{
    void *ws = NULL;
    int rc = registry_require (ctx, arena, county, REG_WORKSHOPS, id,
                               &chejian__registry__workshop_record__descriptor, &ws,
                               "workshop_id", "workshop");
    if (rc == 1)
        snprintf (index, size, "%s:%s", prefix, id);
    return rc;
}

/*  Sorts 'rows', takes the page 'request' asks for, and answers with 'list' (a list result
 *  whose field 1 is the repeated items and whose field "page" is the PageInfo) at Ack result
 *  case 'result_case'.  */
static int
s_answer (reg_call_t *c, reg_table_t *rows, const Chejian__V1__PageRequest *request,
          ProtobufCMessage *list, int result_case)
{
    reg_page_t page;
    if (registry_table_sort (rows) != 0 || registry_page (c->arena, rows, request, &page) != 0)
        return -1;
    Chejian__V1__PageInfo *info = registry_page_info (c->arena, &page, rows->n);
    const ProtobufCFieldDescriptor *items =
        protobuf_c_message_descriptor_get_field (list->descriptor, 1);
    const ProtobufCFieldDescriptor *paging =
        protobuf_c_message_descriptor_get_field_by_name (list->descriptor, "page");
    if (!info || !items || !paging)
        return -1;
    void **first = rows->rows + page.first;
    memcpy ((char *) list + items->quantifier_offset, &page.count, sizeof page.count);
    memcpy ((char *) list + items->offset, &first, sizeof first);
    memcpy ((char *) list + paging->offset, &info, sizeof info);
    registry_set_result (c->ack, result_case, list);
    return 0;
}

/*  ---- ListShareholdings ----  */

int
registry_validate_list_shareholdings (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListShareholdings *q = env->list_shareholdings;
    registry_begin (p, env);
    if (q->subject_case == CHEJIAN__V1__LIST_SHAREHOLDINGS__SUBJECT_WORKSHOP_ID)
        registry_check_workshop_id (p, "workshop_id", q->workshop_id, true);
    else if (q->subject_case == CHEJIAN__V1__LIST_SHAREHOLDINGS__SUBJECT_HOUSEHOLD_ID)
        registry_check_token (p, "household_id", q->household_id, REG_HOUSEHOLD_ID_MAX, "-",
                              true);
    else
        cj_problems_add (p, "subject", CJ_E_REQUIRED, "name a workshop_id or a household_id");
    registry_check_page (p, "page", q->page);
    return registry_end (p);
}

static int
s_list_shareholdings (reg_call_t *c)
{
    const Chejian__V1__ListShareholdings *q = c->env->list_shareholdings;
    char index[REG_ID_MAX + 16];
    int rc = 1;
    if (q->subject_case == CHEJIAN__V1__LIST_SHAREHOLDINGS__SUBJECT_WORKSHOP_ID)
        rc = s_workshop_index (c->ctx, c->arena, c->county, q->workshop_id, "sh_ws", index,
                               sizeof index);
    else
        snprintf (index, sizeof index, "sh_hh:%s",
                  registry_household_key (c->ctx, c->arena, q->household_id));
    void **items = NULL;
    size_t n = 0;
    reg_table_t rows;
    if (rc != 1)
        return rc;
    if (registry_read_index (c->ctx, c->arena, c->county, index, 0, 0, REG_SHAREHOLDINGS,
                             &chejian__v1__shareholding_recorded__descriptor, &items, &n) != 0
        || registry_table_init (&rows, c->arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        registry_table_add (&rows, ((Chejian__V1__ShareholdingRecorded *) items[i])
                                   ->shareholding_id, items[i]);
    Chejian__V1__ShareholdingList *list = cj_arena_alloc (c->arena, sizeof *list);
    if (!list)
        return -1;
    chejian__v1__shareholding_list__init (list);
    return s_answer (c, &rows, q->page, &list->base, CHEJIAN__V1__ACK__RESULT_SHAREHOLDINGS);
}

int
registry_query_list_shareholdings (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_list_shareholdings);
}

/*  ---- ListTrainings ----  */

int
registry_validate_list_trainings (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListTrainings *q = env->list_trainings;
    registry_begin (p, env);
    if (*q->resident_id)
        cj_check_resident_id (p, "resident_id", q->resident_id);
    registry_check_workshop_id (p, "workshop_id", q->workshop_id, false);
    cj_check_date_opt (p, "from_date", q->from_date);
    if (cj_check_date_opt (p, "to_date", q->to_date) == 0)
        cj_check_date_order (p, "to_date", q->from_date, q->to_date);
    registry_check_page (p, "page", q->page);
    return registry_end (p);
}

/*  The trainings the filter selects, by the narrowest index.  */
static int
s_trainings_found (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, void ***ret,
                   size_t *ret_n)
{
    const Chejian__V1__ListTrainings *q = env->list_trainings;
    char index[REG_ID_MAX + 16] = "trn_all";
    int rc = 1;
    if (*q->resident_id)
        rc = s_worker_index (ctx, arena, env->county, q->resident_id, "trn_wk", index,
                             sizeof index);
    char by_workshop[REG_ID_MAX + 16];
    if (rc == 1 && *q->workshop_id)     /* must exist; its index when no worker is named */
        rc = s_workshop_index (ctx, arena, env->county, q->workshop_id, "trn_ws", by_workshop,
                               sizeof by_workshop);
    if (rc == 1 && *q->workshop_id && !*q->resident_id)
        memcpy (index, by_workshop, sizeof index);
    if (rc != 1)
        return rc;
    return registry_read_index (ctx, arena, env->county, index, q->from_date,
                                q->to_date ? q->to_date : S_DATE_MAX, REG_TRAININGS,
                                &chejian__v1__training_recorded__descriptor, ret, ret_n)
           == 0 ? 1 : -1;
}

/*  Keeps the matching trainings in 'rows' with their trainee's poverty status on the end
 *  date as known now; counts the registered-poor person-times.  */
static int
s_training_rows (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, void **items,
                 size_t n, reg_table_t *rows, uint64_t *ret_poor)
{
    const char *workshop = env->list_trainings->workshop_id;
    char **keys = cj_arena_alloc (arena, (n + 1) * sizeof *keys);
    reg_table_t people;
    if (!keys || registry_table_init (rows, arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        keys[i] = ((s_training_t *) items[i])->worker_key;
    if (registry_people (ctx, arena, env->county, keys, n, &people) != 0)
        return -1;
    *ret_poor = 0;
    for (size_t i = 0; i < n; i++) {
        s_training_t *t = items[i];
        if (*workshop && strcmp (t->workshop_id, workshop) != 0)
            continue;
        char *key = registry_date_key (arena, t->end_date, t->training_id);
        if (!key)
            return -1;
        const reg_worker_t *w = registry_table_find (&people, t->worker_key);
        Chejian__V1__WorkerStatus status;
        Chejian__V1__Disability disability;
        if (w) {
            registry_status_on (w, t->end_date, &status, &disability);
            t->poverty_status = status.poverty_status;
        }
        *ret_poor += registry_is_poor (t->poverty_status);
        registry_table_add (rows, key, t);
    }
    return 0;
}

static int
s_list_trainings (reg_call_t *c)
{
    void **items = NULL;
    size_t n = 0;
    reg_table_t rows;
    int rc = s_trainings_found (c->ctx, c->arena, c->env, &items, &n);
    if (rc != 1)
        return rc;
    Chejian__V1__TrainingList *list = cj_arena_alloc (c->arena, sizeof *list);
    if (!list)
        return -1;
    chejian__v1__training_list__init (list);
    if (s_training_rows (c->ctx, c->arena, c->env, items, n, &rows,
                         &list->poor_person_times) != 0)
        return -1;
    return s_answer (c, &rows, c->env->list_trainings->page, &list->base,
                     CHEJIAN__V1__ACK__RESULT_TRAININGS);
}

int
registry_query_list_trainings (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_list_trainings);
}

/*  ---- ListPosts ----  */

bool
registry_post_open_on (const s_post_t *view, int32_t date)
{
    int32_t last = view->ended_date ? view->ended_date : view->post->end_date;
    return registry_within (date, view->post->start_date, last);
}

int
registry_validate_list_posts (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__ListPosts *q = env->list_posts;
    registry_begin (p, env);
    cj_check_enum (p, "post_type", &chejian__v1__post_type__descriptor,
                         (int) q->post_type, false);
    if (*q->resident_id)
        cj_check_resident_id (p, "resident_id", q->resident_id);
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    registry_check_page (p, "page", q->page);
    return registry_end (p);
}

static int
s_posts_found (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, void ***ret,
               size_t *ret_n)
{
    const Chejian__V1__ListPosts *q = env->list_posts;
    char index[REG_ID_MAX + 16] = "post_all";
    int rc = 1;
    if (*q->resident_id)
        rc = s_worker_index (ctx, arena, env->county, q->resident_id, "post_wk", index,
                             sizeof index);
    else if (q->post_type)
        snprintf (index, sizeof index, "post_type:%d", (int) q->post_type);
    if (rc != 1)
        return rc;
    return registry_read_index (ctx, arena, env->county, index, 0, S_DATE_MAX, REG_POSTS,
                                &chejian__v1__post_view__descriptor, ret, ret_n) == 0 ? 1 : -1;
}

static int
s_list_posts (reg_call_t *c)
{
    const Chejian__V1__ListPosts *q = c->env->list_posts;
    void **items = NULL;
    size_t n = 0;
    reg_table_t rows;
    int rc = s_posts_found (c->ctx, c->arena, c->env, &items, &n);
    if (rc != 1)
        return rc;
    if (registry_table_init (&rows, c->arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        s_post_t *view = items[i];
        char *key = registry_date_key (c->arena, view->post->start_date, view->post->post_id);
        if (!key)
            return -1;
        if ((!q->post_type || view->post->post_type == q->post_type)
            && (!q->as_of_date || registry_post_open_on (view, q->as_of_date)))
            registry_table_add (&rows, key, view);
    }
    Chejian__V1__PostList *list = cj_arena_alloc (c->arena, sizeof *list);
    if (!list)
        return -1;
    chejian__v1__post_list__init (list);
    return s_answer (c, &rows, q->page, &list->base, CHEJIAN__V1__ACK__RESULT_POSTS);
}

int
registry_query_list_posts (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_list_posts);
}
