/*  registry_internal.h - what the registry core's files share: limits, the key space, record
 *  I/O, a per-handler arena, the validators of shared records, worker statuses, employment
 *  indexes and paging. Not for use outside services/registry and its tests.
 *
 *  Key space (docs/2026-11-23-registry.md): every record lives in a hash of its county,
 *      cj:{p<N>}:reg:<county>:<hash>   field <id>   value packed protobuf
 *  and the list indexes are sorted sets of the county, cj:{p<N>}:reg:<county>:<index>.
 */
#ifndef CHEJIAN_REGISTRY_INTERNAL_H
#define CHEJIAN_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/envelope.h"
#include "chejian/ident.h"
#include "chejian/problem.h"
#include "chejian/service.h"
#include "chejian/arena.h"
#include "registry.h"
#include "registry_state.pb-c.h"

/*  ---- limits (the contract's, and ours where it is silent) ----  */
#define REG_ID_MAX           64      /* *_id: 1..64 of [A-Za-z0-9._:-] */
#define REG_WORKSHOP_ID_MAX  32      /* workshop_id: 1..32 of [A-Za-z0-9._-] */
#define REG_HOUSEHOLD_ID_MAX 32      /* household_id: 1..32 of [A-Za-z0-9-] */
#define REG_HISTORY_MAX      500     /* status history entries of one worker */
#define REG_TERMS_MAX        100     /* terms of one employment (start + amendments) */
#define REG_REFS_MAX         10000   /* employments of one workshop or worker */
#define REG_PARENT_DEPTH     16      /* workshop parent chain walked for cycles */
#define REG_CHILDREN_MAX     1000    /* child_workshop_ids in a WorkshopView */
#define REG_PAGE_DEFAULT     100
#define REG_PAGE_MAX         500
#define REG_TOKEN_MAX        256

/*  ---- hashes and indexes of a county ----  */
#define REG_WORKSHOPS        "workshops"        /* workshop_id -> WorkshopRecord */
#define REG_WORKERS          "workers"          /* worker_key -> WorkerRecord */
#define REG_EMPLOYMENTS      "employments"      /* employment_id -> EmploymentRecord */
#define REG_EMP_BY_WORKSHOP  "emp_by_workshop"  /* workshop_id -> EmploymentRefs */
#define REG_EMP_BY_WORKER    "emp_by_worker"    /* worker_key -> EmploymentRefs */
#define REG_SHAREHOLDINGS    "shareholdings"    /* shareholding_id -> ShareholdingRecorded */
#define REG_TRAININGS        "trainings"        /* training_id -> TrainingRecorded */
#define REG_POSTS            "posts"            /* post_id -> PostView */

typedef Chejian__Registry__WorkshopRecord   reg_workshop_t;
typedef Chejian__Registry__WorkerRecord     reg_worker_t;
typedef Chejian__Registry__EmploymentRecord reg_employment_t;
typedef Chejian__Registry__EmploymentRefs   reg_refs_t;
typedef Chejian__Registry__EmploymentRef    reg_ref_t;

/*  Rows with a string key each, sorted by key for ordering, paging and lookup.  */
typedef struct {
    char  **keys;
    void  **rows;
    size_t  n;
} reg_table_t;

/*  ---- running a handler ----  */

/*  What one command or query handler works with: its context and envelope, an arena freed
 *  when it is done, its problems (prefixed by the body's field name), the county, and for a
 *  query the Ack to put the result in (NULL for a command).  */
typedef struct {
    cj_ctx_t            *ctx;
    const cj_envelope_t *env;
    cj_arena_t         *arena;
    cj_problems_t       *p;
    const char          *county;
    cj_ack_t            *ack;
} reg_call_t;

/*  A handler's body: adds problems to refuse; returns < 0 when Redis cannot answer.  */
typedef int (reg_step_fn) (reg_call_t *call);

/*  Runs 'step' for a command ('ack' NULL) or a query the way the runtime expects: 0, or -1
 *  when problems were added (REJECTED) or 'step' failed (UNAVAILABLE). A query's arena is
 *  handed to the context to outlive the Ack; a command's is freed at once.  */
int registry_run (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, reg_step_fn *step);

/*  ---- keys, records and indexes (registry_store.c) ----  */

/*  "cj:{p<partition>}:reg:<county>:<name>" into 'buf'. Returns 0, or -1 if it does not fit.  */
int  registry_key (char *buf, size_t size, uint32_t partition, const char *county,
                   const char *name);
/*  Reads field 'id' of the county hash 'hash' as the handler sees it (pending writes of the
 *  batch first, then Redis) and unpacks it into the arena. Returns 1 with '*ret', 0 when
 *  absent, -1 when Redis cannot answer or the record does not decode (logged).  */
int  registry_read (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                    const char *id, const ProtobufCMessageDescriptor *desc, void **ret);
/*  As registry_read, for a reference that must exist: adds NOT_FOUND for 'field' (naming
 *  'what') when it does not.  */
int  registry_require (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                       const char *hash, const char *id, const ProtobufCMessageDescriptor *desc,
                       void **ret, const char *field, const char *what);
/*  Packs 'msg' into field 'id' of the county hash 'hash' in the batch.  */
int  registry_write (cj_ctx_t *ctx, const char *county, const char *hash, const char *id,
                     const ProtobufCMessage *msg);
/*  Adds 'member' with 'score' to (or removes it from) the county's sorted set 'index'.  */
int  registry_index_add (cj_ctx_t *ctx, const char *county, const char *index, double score,
                         const char *member);
int  registry_index_del (cj_ctx_t *ctx, const char *county, const char *index,
                         const char *member);
/*  Emits an event whose body is 'body' at Envelope body case 'body_case'.  */
int  registry_emit (cj_ctx_t *ctx, int body_case, const ProtobufCMessage *body);
/*  Sets the result oneof of 'ack' to 'result' at Ack result case 'result_case'.  */
void registry_set_result (cj_ack_t *ack, int result_case, const ProtobufCMessage *result);
/*  The registry's secret for pseudonyms.  */
const cj_pseudonym_t *registry_pseudonym (cj_ctx_t *ctx);
/*  The pseudonym of a resident ID ("worker" context; also operators and partners) or of a
 *  household id ("household"), allocated in the arena.  */
char *registry_worker_key (cj_ctx_t *ctx, cj_arena_t *arena, const char *resident_id);
char *registry_household_key (cj_ctx_t *ctx, cj_arena_t *arena, const char *household_id);
/*  The masked form of a resident ID, in the arena.  */
char *registry_masked (cj_arena_t *arena, const char *resident_id);

/*  ---- reads for queries (straight from Redis: queries run after the commit) ----  */

/*  Unpacks fields 'ids' of the county hash 'hash' (HMGET in chunks); absent ones are NULL
 *  in 'ret' (n entries, caller's array). Returns 0 or -1.  */
int  registry_read_many (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                         const char *hash, char *const *ids, size_t n,
                         const ProtobufCMessageDescriptor *desc, void **ret);
/*  Every record of the county hash 'hash' (HSCAN), unpacked into the arena.  */
int  registry_read_all (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                        const char *hash, const ProtobufCMessageDescriptor *desc,
                        void ***ret_items, size_t *ret_n);
/*  Members of the county's sorted set 'index' with score in [min, max] in order.  */
int  registry_index_range (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                           const char *index, int64_t min, int64_t max,
                           char ***ret_members, size_t *ret_n);

/*  The records of 'hash' named by the members of 'index' with score in [min, max], in the
 *  index's order (members without a record are left out).  */
int  registry_read_index (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                          const char *index, int64_t min, int64_t max, const char *hash,
                          const ProtobufCMessageDescriptor *desc, void ***ret_items,
                          size_t *ret_n);

/*  ---- dates ----  */

/*  The date (yyyymmdd) of Unix ms 'ms' in China (UTC+8).  */
int32_t registry_date_of_ms (int64_t ms);
/*  'date', or today in China when 'date' is 0.  */
int32_t registry_as_of (int32_t date);
/*  Wall clock, Unix ms.  */
int64_t registry_now_ms (void);
/*  True when 'date' lies in [from, to] where to == 0 means open-ended.  */
bool    registry_within (int32_t date, int32_t from, int32_t to);

/*  ---- validators of shared pieces (registry_check.c); each adds every problem found ----  */

/*  1..'max' characters of [A-Za-z0-9] plus 'extra' ("._:-" for ids); "" is REQUIRED when
 *  'required', else valid.  */
int  registry_check_token (cj_problems_t *p, const char *field, const char *text, size_t max,
                           const char *extra, bool required);
int  registry_check_id (cj_problems_t *p, const char *field, const char *id, bool required);
int  registry_check_workshop_id (cj_problems_t *p, const char *field, const char *id,
                                 bool required);
/*  Required dates and sub-messages, enums, optional dates and date order: cj_check_* in
 *  chejian/ident.h.  */
/*  A field that only the registry fills (EVENTS/STATE ONLY) must be empty in commands.  */
int  registry_check_unset (cj_problems_t *p, const char *field, const char *text);
int  registry_check_location (cj_problems_t *p, const char *field,
                              const Chejian__V1__Location *loc, const char *county);
int  registry_check_disability (cj_problems_t *p, const char *field,
                                const Chejian__V1__Disability *d);
/*  "" or a division code of 'digits' digits that starts with 'prefix'.  */
int  registry_check_division (cj_problems_t *p, const char *field, const char *code,
                              size_t digits, const char *prefix);
int  registry_check_page (cj_problems_t *p, const char *field,
                          const Chejian__V1__PageRequest *page);
/*  The common start of a body validator: pushes the body's field name as the problems'
 *  prefix. registry_end pops it and returns -1 when any problem was added.  */
void registry_begin (cj_problems_t *p, const cj_envelope_t *env);
int  registry_end (cj_problems_t *p);

/*  ---- workers (registry_worker.c) ----  */

bool registry_is_poor (Chejian__V1__PovertyStatus status);
/*  The statuses in force on 'date' (history entries effective on or before it, in order);
 *  '*ret' points its disability at 'disability'.  */
void registry_status_on (const reg_worker_t *worker, int32_t date,
                         Chejian__V1__WorkerStatus *ret, Chejian__V1__Disability *disability);
/*  Reads the worker of 'resident_id' (adds NOT_FOUND for 'field' when not registered).  */
int  registry_find_worker (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                           const char *resident_id, const char *field, reg_worker_t **ret);

/*  The workers of the 'n' worker keys 'keys' (sorted and deduplicated in place; unknown keys
 *  left out) as a sorted table of reg_worker_t rows; registry_people_all: every worker of the county.  */
int  registry_people (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, char **keys,
                      size_t n, reg_table_t *ret);
int  registry_people_all (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                          reg_table_t *ret);
/*  True when the worker of 'key' in 'people' is registered-poor on 'date'.  */
bool registry_poor_on (const reg_table_t *people, const char *key, int32_t date);

/*  Headcounts over the distinct workers of employments open on a date.  */
typedef struct {
    uint32_t workers, poor, disabled, allowance, relocated, home_based;
} reg_headcount_t;
/*  Counts the distinct workers of the 'n' employments 'open' (all open on 'date'), their
 *  statuses on 'date' taken from 'people'.  */
int  registry_headcount (const reg_table_t *people, reg_employment_t *const *open, size_t n,
                         int32_t date, reg_headcount_t *ret);

/*  ---- workshops (registry_workshop.c) ----  */

Chejian__V1__WorkshopStatus registry_workshop_status (const reg_workshop_t *ws, int32_t date);

/*  ---- employments (registry_employment.c) ----  */

/*  The terms of 'e' in force on 'date' (the start terms before the start).  */
const Chejian__V1__EmploymentTerms *registry_terms_on (const reg_employment_t *e, int32_t date);
int32_t registry_start_date (const reg_employment_t *e);
/*  True when 'ref' / 'e' is an employment (not voided) open on 'date'.  */
bool    registry_ref_open_on (const reg_ref_t *ref, int32_t date);
bool    registry_employment_open_on (const reg_employment_t *e, int32_t date);
/*  The employment index of a workshop or worker ('hash' REG_EMP_BY_*); an empty one when
 *  none. Returns 0 or -1.  */
int     registry_read_refs (cj_ctx_t *ctx, cj_arena_t *arena, const char *county,
                            const char *hash, const char *id, reg_refs_t **ret);

/*  ---- posts (registry_query_lists.c) ----  */

/*  True when the post assignment is held on 'date': started, and neither ended (EndPost)
 *  nor past its planned end before it.  */
bool registry_post_open_on (const Chejian__V1__PostView *view, int32_t date);

/*  ---- paging (registry_page.c) ----  */

/*  One page of the sorted 'rows': the rows after the page token's key,
 *  at most the page size. Writes the first row and count, and the next token ("" on the
 *  last page) into the arena.  */
typedef struct {
    size_t first, count;
    char  *next_token;
} reg_page_t;
int  registry_page (cj_arena_t *arena, const reg_table_t *rows,
                    const Chejian__V1__PageRequest *request, reg_page_t *ret);
/*  A PageInfo in the arena for 'page' of 'total' rows.  */
Chejian__V1__PageInfo *registry_page_info (cj_arena_t *arena, const reg_page_t *page,
                                           uint64_t total);
/*  A table of room for 'capacity' rows in the arena (n = 0).  */
int   registry_table_init (reg_table_t *t, cj_arena_t *arena, size_t capacity);
void  registry_table_add (reg_table_t *t, char *key, void *row);
/*  Sorts the rows by key (strcmp order).  */
int   registry_table_sort (reg_table_t *t);
/*  The row of 'key' in a sorted table, or NULL.  */
void *registry_table_find (const reg_table_t *t, const char *key);
/*  "<8-digit date> <id>" into the arena: the sort key of lists ordered by a date then id.  */
char *registry_date_key (cj_arena_t *arena, int32_t date, const char *id);
/*  Sorts 'items' and removes duplicates in place; returns how many are left.  */
size_t registry_unique (char **items, size_t n);

/*  ---- the handlers (one row each in registry_table.c) ----  */

#define REG_HANDLER(name)                                                              \
    int registry_validate_##name (const cj_envelope_t *env, cj_problems_t *problems);  \
    int registry_apply_##name (cj_ctx_t *ctx, const cj_envelope_t *env)
#define REG_QUERY(name)                                                                \
    int registry_validate_##name (const cj_envelope_t *env, cj_problems_t *problems);  \
    int registry_query_##name (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)

REG_HANDLER (register_workshop);
REG_HANDLER (update_workshop);
REG_HANDLER (register_worker);
REG_HANDLER (update_worker);
REG_HANDLER (change_worker_status);
REG_HANDLER (start_employment);
REG_HANDLER (amend_employment);
REG_HANDLER (end_employment);
REG_HANDLER (record_shareholding);
REG_HANDLER (record_training);
REG_HANDLER (assign_post);
REG_HANDLER (end_post);
REG_QUERY (get_workshop);
REG_QUERY (list_workshops);
REG_QUERY (get_worker);
REG_QUERY (list_employments);
REG_QUERY (list_shareholdings);
REG_QUERY (list_trainings);
REG_QUERY (list_posts);
REG_QUERY (get_registry_summary);

#endif
