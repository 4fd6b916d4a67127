/*  bus_producer.c - a small producer service for the bus and store integration tests and the
 *  benchmark. It accepts BusProbe commands (any county), records each probe's payload size,
 *  and emits one BusProbeApplied event per probe through the outbox and PUB.  */
#include <stdio.h>

#include "chejian/service.h"

#define S_SHORT "tprod"

static int
s_probe_validate (const cj_envelope_t *env, cj_problems_t *problems)
{
    const Chejian__V1__BusProbe *probe = env->bus_probe;
    if (probe->n == 0)
        cj_problems_add (problems, "bus_probe.n", CJ_E_REQUIRED, "n must be 1 or more");
    return cj_problems_any (problems) ? -1 : 0;
}

static int
s_probe_apply (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    const Chejian__V1__BusProbe *probe = env->bus_probe;
    char key[CJ_KEY_MAX], field[24];
    cj_key (key, sizeof key, cj_ctx_partition (ctx), S_SHORT, "probes");
    snprintf (field, sizeof field, "%llu", (unsigned long long) probe->n);
    if (cj_batch_hset_int (cj_ctx_batch (ctx), key, field, (int64_t) probe->payload.len) != 0)
        return -1;
    Chejian__V1__BusProbeApplied applied = CHEJIAN__V1__BUS_PROBE_APPLIED__INIT;
    applied.n = probe->n;
    applied.payload = probe->payload;
    cj_envelope_t event = CHEJIAN__V1__ENVELOPE__INIT;
    event.body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED;
    event.bus_probe_applied = &applied;
    return cj_ctx_emit (ctx, &event);
}

static const cj_handler_t s_handlers[] = {
    { CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE, s_probe_validate, s_probe_apply, NULL },
};

int
main (int argc, char **argv)
{
    static const cj_service_def_t def = {
        .name = "tproducer",
        .short_name = S_SHORT,
        .owner = CJ_OWNER_REGISTRY,
        .summary = "Test producer: accepts BusProbe commands and emits BusProbeApplied events.",
        .handlers = s_handlers,
        .nhandlers = sizeof s_handlers / sizeof s_handlers[0],
        .default_port_base = 57100,
    };
    return cj_service_main (&def, argc, argv);
}
