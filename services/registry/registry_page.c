/*  registry_page.c - paging and ordering of list results. A page token is the sort key of the
 *  last row of the previous page: opaque to clients, stable when rows are added between
 *  pages (a row sorting before the token is not shown again). See registry_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

int
registry_page (cj_arena_t *arena, const reg_table_t *rows,
               const Chejian__V1__PageRequest *request, reg_page_t *ret)
{
    char *const *keys = rows->keys;
    size_t n = rows->n;
    const char *token = request && request->page_token ? request->page_token : "";
    size_t size = request && request->page_size ? request->page_size : REG_PAGE_DEFAULT;
    size_t lo = 0, hi = n;
    while (*token && lo < hi) {                 /* first key after the token */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp (keys[mid], token) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t count = n - lo < size ? n - lo : size;
    char *next = cj_arena_strdup (arena, lo + count < n ? keys[lo + count - 1] : "");
    if (!next)
        return -1;
    *ret = (reg_page_t) { lo, count, next };
    return 0;
}

Chejian__V1__PageInfo *
registry_page_info (cj_arena_t *arena, const reg_page_t *page, uint64_t total)
{
    Chejian__V1__PageInfo *info = cj_arena_alloc (arena, sizeof *info);
    if (info) {
        chejian__v1__page_info__init (info);
        info->next_page_token = page->next_token;
        info->total_count = total;
    }
    return info;
}

int
registry_table_init (reg_table_t *t, cj_arena_t *arena, size_t capacity)
{
    t->keys = cj_arena_alloc (arena, (capacity + 1) * sizeof *t->keys);
    t->rows = cj_arena_alloc (arena, (capacity + 1) * sizeof *t->rows);
    t->n = 0;
    return t->keys && t->rows ? 0 : -1;
}

void
registry_table_add (reg_table_t *t, char *key, void *row)
{
    t->keys[t->n] = key;
    t->rows[t->n++] = row;
}

typedef struct {
    char *key;
    void *row;
} s_pair_t;

static int
s_pair_cmp (const void *a, const void *b)
{
    return strcmp (((const s_pair_t *) a)->key, ((const s_pair_t *) b)->key);
}

int
registry_table_sort (reg_table_t *t)
{
    s_pair_t *pairs = malloc ((t->n ? t->n : 1) * sizeof *pairs);
    if (!pairs)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        pairs[i] = (s_pair_t) { t->keys[i], t->rows[i] };
    qsort (pairs, t->n, sizeof *pairs, s_pair_cmp);
    for (size_t i = 0; i < t->n; i++) {
        t->keys[i] = pairs[i].key;
        t->rows[i] = pairs[i].row;
    }
    free (pairs);
    return 0;
}

void *
registry_table_find (const reg_table_t *t, const char *key)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp (t->keys[mid], key);
        if (cmp == 0)
            return t->rows[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

char *
registry_date_key (cj_arena_t *arena, int32_t date, const char *id)
{
    size_t size = strlen (id) + 10;
    char *key = cj_arena_alloc (arena, size);
    if (key)
        snprintf (key, size, "%08d %s", (int) date, id);
    return key;
}

static int
s_str_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

size_t
registry_unique (char **items, size_t n)
{
    if (n == 0)
        return 0;
    qsort (items, n, sizeof *items, s_str_cmp);
    size_t kept = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp (items[kept - 1], items[i]) != 0)
            items[kept++] = items[i];
    return kept;
}
