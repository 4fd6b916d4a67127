/*  registry_snapshot.c - see registry_snapshot.h.  */
#include "registry_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  Appends 'key' and the hex of its DUMP to the growing text '*buf'.  */
static int
s_append (cj_store_t *store, const char *key, char **buf, size_t *len)
{
    redisReply *dump = cj_store_command (store, "DUMP %s", key);
    if (!dump)
        return -1;
    size_t need = strlen (key) + 2 * dump->len + 3;
    char *grown = realloc (*buf, *len + need + 1);
    if (!grown) {
        freeReplyObject (dump);
        return -1;
    }
    *buf = grown;
    *len += (size_t) sprintf (grown + *len, "%s=", key);
    for (size_t i = 0; i < dump->len; i++)
        *len += (size_t) sprintf (grown + *len, "%02x", (unsigned char) dump->str[i]);
    *len += (size_t) sprintf (grown + *len, "\n");
    freeReplyObject (dump);
    return 0;
}

char *
reg_snapshot (cj_store_t *store, const char *pattern)
{
    redisReply *keys = cj_store_command (store, "KEYS %s", pattern);
    if (!keys || keys->type != REDIS_REPLY_ARRAY) {
        if (keys)
            freeReplyObject (keys);
        return NULL;
    }
    char **names = malloc ((keys->elements + 1) * sizeof *names);
    size_t n = 0, len = 0;
    for (size_t i = 0; names && i < keys->elements; i++) {
        char *key = keys->element[i]->str;
        size_t klen = strlen (key);
        if (klen < 6 || strcmp (key + klen - 6, ":lease") != 0)
            names[n++] = key;
    }
    char *buf = names ? calloc (1, 1) : NULL;
    if (buf)
        qsort (names, n, sizeof *names, s_cmp);
    for (size_t i = 0; buf && i < n; i++)
        if (s_append (store, names[i], &buf, &len) != 0) {
            free (buf);
            buf = NULL;
        }
    free (names);
    freeReplyObject (keys);
    return buf;
}
