/*  adjudicator_test_ctx.h - runs the adjudicator core's handlers the way the service runtime
 *  does, without sockets: the library's handler context (cj_ctx_new) over real batches (one
 *  per partition, under real "adj" leases), the fixture's redis-server, and a fresh
 *  pseudonym key shared with the event builders (so worker keys match the registry's).
 *
 *  A command is validated, applied (rolled back when refused) and committed; a registry or
 *  payroll event is applied as a subscription delivers it and committed; a query is
 *  validated and answered from Redis.  */
#ifndef ADJUDICATOR_TEST_CTX_H
#define ADJUDICATOR_TEST_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "chejian/envelope.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"

typedef struct adj_test_t adj_test_t;

/*  A harness on the fixture's Redis, emptied (FLUSHALL); NULL when Redis is not there.  */
adj_test_t *adj_test_new (void);
void        adj_test_destroy (adj_test_t **self_p);
cj_store_t *adj_test_store (adj_test_t *self);
const cj_pseudonym_t *adj_test_key (adj_test_t *self);

/*  Validates and applies a command of 'county' and commits it. Returns its Ack status:
 *  ACCEPTED, REJECTED (problems in adj_test_problems) or UNAVAILABLE.  */
Chejian__V1__AckStatus adj_test_command (adj_test_t *self, const char *county, int body_case,
                                         const void *body);
/*  adj_test_command expecting ACCEPTED: 0, or -1 after printing the problems on stderr.  */
int adj_test_accept (adj_test_t *self, const char *county, int body_case, const void *body);
/*  The same with a whole envelope (its event_id and source as given).  */
Chejian__V1__AckStatus adj_test_envelope (adj_test_t *self, const cj_envelope_t *env);
/*  Applies an event of 'source' ("registry", "payroll") in 'county' and commits it.
 *  Returns 0, or -1 when the handler refused it (it would be dead-lettered).  */
int adj_test_event (adj_test_t *self, const char *county, const char *source, int body_case,
                    const void *body);

const cj_problems_t *adj_test_problems (adj_test_t *self);
/*  True when some problem of the last message is at 'field' with 'code'.  */
int  adj_test_has_problem (adj_test_t *self, const char *field, const char *code);
/*  The events the last command or event emitted, decoded (valid until the next one).  */
size_t               adj_test_nevents (adj_test_t *self);
const cj_envelope_t *adj_test_emitted (adj_test_t *self, size_t index);
/*  How many of them have 'body_case'.  */
size_t               adj_test_count (adj_test_t *self, int body_case);

/*  Answers a query of 'county'. The Ack is valid until the next query.  */
const cj_ack_t *adj_test_query (adj_test_t *self, const char *county, int body_case,
                                const void *body);

/*  A DUMP of every adjudicator key but the leases (malloc'd): equal means unchanged.  */
char *adj_test_snapshot (adj_test_t *self);

/*  Fills 'env' as an agency's envelope for 'county' (source "hrss", occurred now) with a
 *  fresh event_id kept in a static ring, carrying 'body' at 'body_case'.  */
void adj_test_fill (cj_envelope_t *env, const char *county, int body_case, const void *body);

#endif

/*  ---- registry and payroll facts, as their events (worker keys from the harness's key) ----  */

/*  Publishes the shipped policy file 'file' in 'county' (expects ACCEPTED).  */
int  adj_test_publish (adj_test_t *self, const char *county, const char *file);
int  adj_test_workshop (adj_test_t *self, const char *county, const char *id, int type,
                        int32_t opened);
/*  Registers the worker of 'resident_id' with 'poverty' status from 'status_date'.  */
int  adj_test_worker (adj_test_t *self, const char *county, const char *resident_id,
                      int poverty, int32_t status_date);
int  adj_test_status (adj_test_t *self, const char *county, const char *resident_id,
                      int poverty, int32_t effective);
/*  Starts employment 'id' (labour contract of 'term' months, on site).  */
int  adj_test_employ (adj_test_t *self, const char *county, const char *id,
                      const char *resident_id, const char *workshop, int32_t start,
                      uint32_t term);
int  adj_test_end (adj_test_t *self, const char *county, const char *id, const char *resident_id,
                   const char *workshop, int32_t start, int32_t end, uint32_t months_served,
                   int reason);
int  adj_test_wage (adj_test_t *self, const char *county, const char *employment_id,
                    const char *resident_id, const char *workshop, int32_t period,
                    int64_t gross);
/*  The pseudonym of a resident ID under the harness's key (static buffer).  */
const char *adj_test_worker_key (adj_test_t *self, const char *resident_id);
