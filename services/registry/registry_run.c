/*  registry_run.c - runs a handler's step with its call record: the context, the envelope,
 *  the context's arena (everything the step allocates is freed after the reply), the problem
 *  list, and the ack for queries. See registry_internal.h.  */
#include "registry_internal.h"

int
registry_run (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, reg_step_fn *step)
{
    reg_call_t call = { ctx, env, cj_ctx_arena (ctx), cj_ctx_problems (ctx), env->county, ack };
    registry_begin (call.p, env);
    int rc = call.arena ? step (&call) : -1;
    return registry_end (call.p) != 0 || rc < 0 ? -1 : 0;
}
