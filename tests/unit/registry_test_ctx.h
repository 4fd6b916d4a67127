/*  registry_test_ctx.h - runs the registry core's handlers the way the service runtime does,
 *  without sockets: a test context (the cj_ctx_* functions, linked in place of the runtime's)
 *  over a real batch, the fixture's redis-server, and a fresh pseudonym key.
 *
 *  A command is validated, applied into the partition's batch (rolled back when refused)
 *  and, unless a batch is open, committed with the real commit script under a real lease.
 *  A query is validated and answered from Redis.  */
#ifndef REGISTRY_TEST_CTX_H
#define REGISTRY_TEST_CTX_H

#include <stddef.h>

#include "chejian/envelope.h"
#include "chejian/store.h"

#include "registry_test_data.h"

#define REG_TEST_COUNTY REG_DATA_COUNTY

typedef struct reg_test_t reg_test_t;

/*  A harness on the fixture's Redis, emptied (FLUSHALL); NULL when Redis is not there.  */
reg_test_t *reg_test_new (void);
void        reg_test_destroy (reg_test_t **self_p);
cj_store_t *reg_test_store (reg_test_t *self);

/*  Fills 'env' as an agency's envelope for the county REG_TEST_COUNTY with a fresh event_id,
 *  carrying 'body' at 'body_case'.  */
void reg_test_envelope (cj_envelope_t *env, int body_case, const void *body);

/*  Validates and applies a command; commits it unless reg_test_begin opened a batch.
 *  Returns the Ack status it gets: ACCEPTED, REJECTED (problems in reg_test_problems) or
 *  UNAVAILABLE.  */
Chejian__V1__AckStatus reg_test_command (reg_test_t *self, const cj_envelope_t *env);
/*  Several commands in one batch: begin, commands, commit (0 when committed).  */
void reg_test_begin (reg_test_t *self);
int  reg_test_commit (reg_test_t *self);
/*  The problems of the last command or query, and "field code" of problem 'i' ("" past the
 *  end), for assertions.  */
const cj_problems_t *reg_test_problems (reg_test_t *self);
const char          *reg_test_problem (reg_test_t *self, size_t i);
/*  True when some problem of the last message is at 'field' with 'code'.  */
int                  reg_test_has_problem (reg_test_t *self, const char *field, const char *code);
/*  The events the last command emitted, decoded (valid until the next command).  */
size_t               reg_test_nevents (reg_test_t *self);
const cj_envelope_t *reg_test_event (reg_test_t *self, size_t index);

/*  Answers a query. Returns the Ack (status, problems, result), valid until the next query.  */
const cj_ack_t *reg_test_query (reg_test_t *self, const cj_envelope_t *env);

/*  A DUMP of every registry key of the county's partition but the lease, as one string
 *  (malloc'd): equal before and after means nothing changed.  */
char *reg_test_snapshot (reg_test_t *self);

#endif
