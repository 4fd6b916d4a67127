/*  bi_snapshot.c - see bi_snapshot.h.  */
#include "bi_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DUMP_BATCH 256

typedef struct {
    char  *key;
    char  *dump;
    size_t len;
} s_entry_t;

struct bi_snapshot_t {
    s_entry_t *entries;   /* sorted by key */
    size_t     n, cap;
};

bool
bi_snapshot_volatile (const char *key)
{
    size_t len = strlen (key);
    return len >= 6 && strcmp (key + len - 6, ":lease") == 0;
}

static int
s_entry_cmp (const void *a, const void *b)
{
    return strcmp (((const s_entry_t *) a)->key, ((const s_entry_t *) b)->key);
}

static int
s_add_key (bi_snapshot_t *self, const char *key, size_t len)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 256;
        s_entry_t *grown = realloc (self->entries, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->entries = grown;
        self->cap = cap;
    }
    s_entry_t *e = &self->entries[self->n];
    e->key = strndup (key, len);
    e->dump = NULL;
    e->len = 0;
    if (!e->key)
        return -1;
    self->n++;
    return 0;
}

/*  Collects every key name of 'store' into 'self' (SCAN; keys are read once each because the
 *  database does not change while a snapshot is taken).  */
static int
s_scan (bi_snapshot_t *self, cj_store_t *store)
{
    char cursor[32] = "0";
    do {
        redisReply *r = cj_store_command (store, "SCAN %s COUNT 1000", cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++)
            if (!bi_snapshot_volatile (keys->element[i]->str)
                && s_add_key (self, keys->element[i]->str, keys->element[i]->len) != 0) {
                freeReplyObject (r);
                return -1;
            }
        freeReplyObject (r);
    } while (strcmp (cursor, "0") != 0);
    return 0;
}

static bool
s_is_meta (const char *key)
{
    size_t len = strlen (key);
    return len >= 5 && strcmp (key + len - 5, ":meta") == 0;
}

/*  The value of a partition's meta hash without what a lease takeover rewrites ("epoch",
 *  "owner"): "head" and anything else stay compared. Returns a malloc'd text or NULL.  */
static char *
s_meta_value (const redisReply *r, size_t *ret_len)
{
    size_t size = 1;
    for (size_t i = 0; i < r->elements; i++)
        size += r->element[i]->len + 1;
    char *text = malloc (size);
    size_t len = 0;
    for (size_t i = 0; text && i + 1 < r->elements; i += 2) {
        const char *field = r->element[i]->str;
        if (strcmp (field, "epoch") == 0 || strcmp (field, "owner") == 0)
            continue;
        len += (size_t) sprintf (text + len, "%s=%s\n", field, r->element[i + 1]->str);
    }
    *ret_len = len;
    return text;
}

/*  Reads entries [first, first + n) in one pipelined round trip: DUMP, or HGETALL for a
 *  meta hash (s_meta_value).  */
static int
s_dump_range (bi_snapshot_t *self, cj_store_t *store, size_t first, size_t n)
{
    for (size_t i = first; i < first + n; i++) {
        const char *cmd = s_is_meta (self->entries[i].key) ? "HGETALL" : "DUMP";
        const char *argv[2] = { cmd, self->entries[i].key };
        size_t argvlen[2] = { strlen (cmd), strlen (self->entries[i].key) };
        if (cj_store_append (store, 2, argv, argvlen) != 0)
            return -1;
    }
    int rc = 0;
    for (size_t i = first; i < first + n; i++) {
        redisReply *r = cj_store_get_reply (store);
        s_entry_t *e = &self->entries[i];
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_STRING) {
            e->dump = malloc (r->len ? r->len : 1);
            if (e->dump)
                memcpy (e->dump, r->str, r->len);
            e->len = r->len;
            rc |= e->dump ? 0 : -1;
        } else if (r->type == REDIS_REPLY_ARRAY) {
            e->dump = s_meta_value (r, &e->len);
            rc |= e->dump ? 0 : -1;
        }   /* NIL: the key vanished (expired) between SCAN and DUMP; kept as "no value" */
        freeReplyObject (r);
    }
    return rc;
}

bi_snapshot_t *
bi_snapshot_take (cj_store_t *store)
{
    bi_snapshot_t *self = calloc (1, sizeof *self);
    if (!self || cj_store_connect (store) != 0 || s_scan (self, store) != 0)
        goto fail;
    qsort (self->entries, self->n, sizeof *self->entries, s_entry_cmp);
    for (size_t first = 0; first < self->n; first += S_DUMP_BATCH) {
        size_t n = self->n - first < S_DUMP_BATCH ? self->n - first : S_DUMP_BATCH;
        if (s_dump_range (self, store, first, n) != 0)
            goto fail;
    }
    return self;
fail:
    bi_snapshot_destroy (&self);
    return NULL;
}

void
bi_snapshot_destroy (bi_snapshot_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bi_snapshot_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free (self->entries[i].key);
        free (self->entries[i].dump);
    }
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t
bi_snapshot_size (const bi_snapshot_t *self)
{
    return self ? self->n : 0;
}

static void
s_note (char *diff, size_t size, size_t count, const char *what, const char *key)
{
    size_t used = strlen (diff);
    if (count <= 4 && used < size)
        snprintf (diff + used, size - used, "%s%s %s", used ? "; " : "", what, key);
}

size_t
bi_snapshot_diff (const bi_snapshot_t *before, const bi_snapshot_t *after, char *diff,
                  size_t size)
{
    size_t i = 0, j = 0, count = 0;
    if (size)
        diff[0] = '\0';
    while (i < before->n || j < after->n) {
        int cmp = i == before->n ? 1 : j == after->n ? -1
                : strcmp (before->entries[i].key, after->entries[j].key);
        if (cmp < 0)
            s_note (diff, size, ++count, "removed", before->entries[i++].key);
        else if (cmp > 0)
            s_note (diff, size, ++count, "added", after->entries[j++].key);
        else {
            const s_entry_t *a = &before->entries[i++], *b = &after->entries[j++];
            if (a->len != b->len || (a->len && memcmp (a->dump, b->dump, a->len) != 0))
                s_note (diff, size, ++count, "changed", a->key);
        }
    }
    return count;
}
