/*  registry_snapshot.h - what the registry tests compare to prove "nothing changed": every
 *  key matching a pattern (e.g. "cj:*:reg:*") except leases, with its DUMP.  */
#ifndef REGISTRY_SNAPSHOT_H
#define REGISTRY_SNAPSHOT_H

#include "chejian/store.h"

/*  "key=<hex of DUMP>\n" for every key matching 'pattern' but those ending in ":lease", in
 *  key order (malloc'd; NULL when Redis cannot answer).  */
char *reg_snapshot (cj_store_t *store, const char *pattern);

#endif
