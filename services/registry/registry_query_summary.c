/*  registry_query_summary.c - GetRegistrySummary: the county's registry figures for a
 *  bulletin on a date (workshops by type, workers, employed headcounts by status, training
 *  person-times of a year, public-welfare posts). Everything is counted from the records at
 *  query time; a county holds thousands to tens of thousands of records, read in chunks.  */
#include <string.h>

#include "registry_internal.h"

#define S_TYPES 32      /* room for WorkshopType and PostType values */

typedef Chejian__V1__RegistrySummary s_summary_t;

typedef struct {
    cj_ctx_t          *ctx;
    cj_arena_t       *arena;
    const char        *county;
    int32_t            date;      /* of the counts */
    s_summary_t       *summary;
    reg_table_t        workshops;    /* counted workshops open on the date, by id */
    reg_table_t        people;       /* every worker, by key */
    reg_employment_t **open;         /* employments open on the date */
    size_t             nopen;
} s_ctx_t;

static bool
s_counted (const reg_workshop_t *ws)
{
    return ws->details->role == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP
        || ws->details->role == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_BRANCH;
}

/*  Workshops and hosts open on the date; the counted ones kept in s->workshops.  */
static int
s_workshops (s_ctx_t *s)
{
    void **all = NULL;
    size_t n = 0;
    if (registry_read_all (s->ctx, s->arena, s->county, REG_WORKSHOPS,
                           &chejian__registry__workshop_record__descriptor, &all, &n) != 0
        || registry_table_init (&s->workshops, s->arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        reg_workshop_t *ws = all[i];
        if (registry_workshop_status (ws, s->date)
            != CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_OPEN)
            continue;
        if (s_counted (ws))
            registry_table_add (&s->workshops, ws->workshop_id, ws);
        else
            s->summary->hosts++;
    }
    s->summary->workshops = (uint32_t) s->workshops.n;
    return registry_table_sort (&s->workshops);
}

/*  Registered workers and employments open on the date, with their headcounts.  */
static int
s_workers (s_ctx_t *s)
{
    s_summary_t *sum = s->summary;
    void **all = NULL;
    size_t n = 0;
    reg_headcount_t h;
    if (registry_people_all (s->ctx, s->arena, s->county, &s->people) != 0
        || registry_read_all (s->ctx, s->arena, s->county, REG_EMPLOYMENTS,
                              &chejian__registry__employment_record__descriptor, &all, &n) != 0)
        return -1;
    sum->workers_registered = (uint32_t) s->people.n;
    for (size_t i = 0; i < s->people.n; i++)
        sum->poor_workers_registered += registry_poor_on (&s->people, s->people.keys[i],
                                                          s->date);
    s->open = (reg_employment_t **) all;
    for (size_t i = 0; i < n; i++)
        if (registry_employment_open_on (all[i], s->date))
            s->open[s->nopen++] = all[i];
    if (registry_headcount (&s->people, s->open, s->nopen, s->date, &h) != 0)
        return -1;
    sum->employed_headcount = h.workers;
    sum->poor_employed_headcount = h.poor;
    sum->disabled_employed_headcount = h.disabled;
    sum->allowance_employed_headcount = h.allowance;
    sum->relocated_employed_headcount = h.relocated;
    sum->home_based_headcount = h.home_based;
    return 0;
}

/*  The counts of workshop type 'type' (NULL when it has no counted workshop open).  */
static Chejian__V1__WorkshopTypeCount *
s_type_count (s_ctx_t *s, int type, reg_employment_t **subset)
{
    Chejian__V1__WorkshopTypeCount *count = cj_arena_alloc (s->arena, sizeof *count);
    if (!count)
        return NULL;
    chejian__v1__workshop_type_count__init (count);
    count->type = (Chejian__V1__WorkshopType) type;
    for (size_t i = 0; i < s->workshops.n; i++)
        count->workshops += (int) ((reg_workshop_t *) s->workshops.rows[i])->details->type == type;
    size_t n = 0;
    for (size_t i = 0; i < s->nopen; i++) {
        const reg_workshop_t *ws = registry_table_find (&s->workshops, s->open[i]->workshop_id);
        if (ws && (int) ws->details->type == type)
            subset[n++] = s->open[i];
    }
    reg_headcount_t h;
    if (registry_headcount (&s->people, subset, n, s->date, &h) != 0)
        return NULL;
    count->headcount = h.workers;
    count->poor_headcount = h.poor;
    return count;
}

static int
s_by_type (s_ctx_t *s)
{
    const ProtobufCEnumDescriptor *types = &chejian__v1__workshop_type__descriptor;
    s_summary_t *sum = s->summary;
    reg_employment_t **subset = cj_arena_alloc (s->arena, (s->nopen + 1) * sizeof *subset);
    sum->by_type = cj_arena_alloc (s->arena, (types->n_values + 1) * sizeof *sum->by_type);
    if (!subset || !sum->by_type)
        return -1;
    for (unsigned i = 0; i < types->n_values; i++) {
        if (types->values[i].value == 0)
            continue;
        Chejian__V1__WorkshopTypeCount *count = s_type_count (s, types->values[i].value, subset);
        if (!count)
            return -1;
        if (count->workshops)
            sum->by_type[sum->n_by_type++] = count;
    }
    return 0;
}

/*  Training person-times ending in the summary's year, and those of registered-poor
 *  trainees (their status on the training's end date).  */
static int
s_trainings (s_ctx_t *s)
{
    s_summary_t *sum = s->summary;
    void **all = NULL;
    size_t n = 0;
    if (registry_read_index (s->ctx, s->arena, s->county, "trn_all", sum->year * 10000 + 101,
                             sum->year * 10000 + 1231, REG_TRAININGS,
                             &chejian__v1__training_recorded__descriptor, &all, &n) != 0)
        return -1;
    sum->training_person_times = n;
    for (size_t i = 0; i < n; i++) {
        const Chejian__V1__TrainingRecorded *t = all[i];
        sum->poor_training_person_times += registry_poor_on (&s->people, t->worker_key,
                                                             t->end_date);
    }
    return 0;
}

/*  Posts held on the date per type, and the distinct registered-poor holders.  */
static int
s_posts (s_ctx_t *s)
{
    s_summary_t *sum = s->summary;
    void **all = NULL;
    size_t n = 0, npoor = 0;
    Chejian__V1__PostTypeCount *by_type[S_TYPES] = { NULL };
    if (registry_read_all (s->ctx, s->arena, s->county, REG_POSTS,
                           &chejian__v1__post_view__descriptor, &all, &n) != 0)
        return -1;
    char **poor = cj_arena_alloc (s->arena, (n + 1) * sizeof *poor);
    sum->posts_by_type = cj_arena_alloc (s->arena, S_TYPES * sizeof *sum->posts_by_type);
    if (!poor || !sum->posts_by_type)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const Chejian__V1__PostAssigned *a = ((Chejian__V1__PostView *) all[i])->post;
        if (!registry_post_open_on (all[i], s->date) || (unsigned) a->post_type >= S_TYPES)
            continue;
        Chejian__V1__PostTypeCount **c = &by_type[a->post_type];
        if (!*c) {
            if (!(*c = cj_arena_alloc (s->arena, sizeof **c)))
                return -1;
            chejian__v1__post_type_count__init (*c);
            (*c)->post_type = a->post_type;
            sum->posts_by_type[sum->n_posts_by_type++] = *c;
        }
        (*c)->posts++;
        (*c)->monthly_pay_fen += a->monthly_pay_fen;
        if (registry_poor_on (&s->people, a->worker_key, s->date))
            poor[npoor++] = a->worker_key;
    }
    sum->poor_post_holders = (uint32_t) registry_unique (poor, npoor);
    return 0;
}

int
registry_validate_get_registry_summary (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__GetRegistrySummary *q = env->get_registry_summary;
    registry_begin (p, env);
    cj_check_date_opt (p, "as_of_date", q->as_of_date);
    if (q->year)
        cj_check_range (p, "year", q->year, 1900, 2199);
    return registry_end (p);
}

static int
s_summary (reg_call_t *c)
{
    const Chejian__V1__GetRegistrySummary *q = c->env->get_registry_summary;
    s_ctx_t s = { .ctx = c->ctx, .arena = c->arena, .county = c->county,
                  .date = registry_as_of (q->as_of_date) };
    if (!(s.summary = cj_arena_alloc (c->arena, sizeof *s.summary)))
        return -1;
    chejian__v1__registry_summary__init (s.summary);
    s.summary->county = (char *) c->county;
    s.summary->as_of_date = s.date;
    s.summary->year = q->year ? q->year : s.date / 10000;
    if (s_workshops (&s) || s_workers (&s) || s_by_type (&s) || s_trainings (&s) || s_posts (&s))
        return -1;
    registry_set_result (c->ack, CHEJIAN__V1__ACK__RESULT_REGISTRY_SUMMARY, &s.summary->base);
    return 0;
}

int
registry_query_get_registry_summary (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
{
    return registry_run (ctx, env, ack, s_summary);
}
