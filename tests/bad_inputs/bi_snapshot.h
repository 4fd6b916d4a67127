/*  bi_snapshot.h - what Redis holds, key by key, to prove a rejected input changed nothing.
 *
 *  A snapshot is every key of the database (SCAN) with its DUMP: the serialised value of any
 *  type (string, hash, set, sorted set, list, stream), so two snapshots are equal exactly when
 *  every key has the same type and content. TTLs are not part of DUMP. What changes with time
 *  alone is left out (README.md): the partition leases (bi_snapshot_volatile), and the
 *  "epoch" and "owner" fields of each partition's meta hash, which a lease takeover rewrites
 *  (the meta hash is read with HGETALL; its "head" is compared).  */
#ifndef BI_SNAPSHOT_H
#define BI_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "chejian/store.h"

typedef struct bi_snapshot_t bi_snapshot_t;

/*  True for a key left out of snapshots: a partition lease ("...:lease", its fencing token
 *  under a PX TTL, replaced when a lease lapses and is taken again).  */
bool bi_snapshot_volatile (const char *key);

/*  Reads every non-volatile key of 'store' with its DUMP. Returns NULL on a Redis error.  */
bi_snapshot_t *bi_snapshot_take (cj_store_t *store);
void           bi_snapshot_destroy (bi_snapshot_t **self_p);
size_t         bi_snapshot_size (const bi_snapshot_t *self);

/*  Compares 'before' with 'after'. Returns the number of keys added, removed or changed, and
 *  writes up to a few of them ("changed cj:{p1}:reg:meta; added ...") into 'diff'.  */
size_t bi_snapshot_diff (const bi_snapshot_t *before, const bi_snapshot_t *after, char *diff,
                         size_t size);

#endif
