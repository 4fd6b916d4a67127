/*  registry_people.c - workers as the queries see them: tables of worker records by key,
 *  statuses on a date, and headcounts over the distinct workers of open employments.
 *  Statuses are always computed from the history at query time, so a status change dated
 *  in the past corrects every figure that depends on it.  */
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

int
registry_people (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, char **keys, size_t n,
                 reg_table_t *ret)
{
    n = registry_unique (keys, n);
    void **workers = cj_arena_alloc (arena, (n + 1) * sizeof *workers);
    if (!workers || registry_table_init (ret, arena, n) != 0
        || registry_read_many (ctx, arena, county, REG_WORKERS, keys, n,
                               &chejian__registry__worker_record__descriptor, workers) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (workers[i])
            registry_table_add (ret, keys[i], workers[i]);
    return 0;
}

int
registry_people_all (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, reg_table_t *ret)
{
    void **workers = NULL;
    size_t n = 0;
    if (registry_read_all (ctx, arena, county, REG_WORKERS,
                           &chejian__registry__worker_record__descriptor, &workers, &n) != 0
        || registry_table_init (ret, arena, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        registry_table_add (ret, ((reg_worker_t *) workers[i])->worker_key, workers[i]);
    return registry_table_sort (ret);
}

bool
registry_poor_on (const reg_table_t *people, const char *key, int32_t date)
{
    const reg_worker_t *w = registry_table_find (people, key);
    if (!w)
        return false;
    Chejian__V1__WorkerStatus status;
    Chejian__V1__Disability disability;
    registry_status_on (w, date, &status, &disability);
    return registry_is_poor (status.poverty_status);
}

static int
s_by_worker (const void *a, const void *b)
{
    return strcmp ((*(reg_employment_t *const *) a)->worker_key,
                   (*(reg_employment_t *const *) b)->worker_key);
}

/*  Counts one worker whose open employments are 'group[0..n)'.  */
static void
s_count_worker (const reg_table_t *people, reg_employment_t *const *group, size_t n,
                int32_t date, reg_headcount_t *ret)
{
    ret->workers++;
    bool home = false;
    for (size_t i = 0; i < n; i++)
        home = home || registry_terms_on (group[i], date)->work_mode
                       == CHEJIAN__V1__WORK_MODE__WORK_MODE_HOME_BASED;
    ret->home_based += home;
    const reg_worker_t *w = registry_table_find (people, group[0]->worker_key);
    if (!w)
        return;
    Chejian__V1__WorkerStatus status;
    Chejian__V1__Disability disability;
    registry_status_on (w, date, &status, &disability);
    ret->poor += registry_is_poor (status.poverty_status);
    ret->disabled += disability.certified;
    ret->allowance += status.minimum_allowance_household;
    ret->relocated += status.relocated_household;
}

int
registry_headcount (const reg_table_t *people, reg_employment_t *const *open, size_t n,
                    int32_t date, reg_headcount_t *ret)
{
    *ret = (reg_headcount_t) { 0 };
    reg_employment_t **sorted = malloc ((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return -1;
    if (n)
        memcpy (sorted, open, n * sizeof *sorted);
    qsort (sorted, n, sizeof *sorted, s_by_worker);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp (sorted[i]->worker_key, sorted[j]->worker_key) == 0; j++)
            ;
        s_count_worker (people, sorted + i, j - i, date, ret);
    }
    free (sorted);
    return 0;
}
