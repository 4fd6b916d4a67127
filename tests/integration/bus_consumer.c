/*  bus_consumer.c - a small consumer service for the integration tests and the benchmark.
 *  It subscribes to the test producer and appends each BusProbeApplied's n to the list
 *  cj:{pN}:tcons:applied, so a test can check that every event was applied once, in order.
 *  CHEJIAN_TEST_APPLY_DELAY_US makes it slow (to force PUB drops); CHEJIAN_TEST_RECORD=0
 *  makes it record nothing but its cursor (for the benchmark).  */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "chejian/service.h"

#define S_SHORT "tcons"

static int
s_applied (cj_ctx_t *ctx, const cj_envelope_t *event)
{
    const cj_config_t *config = cj_ctx_config (ctx);
    int64_t delay = cj_config_int (config, "CHEJIAN_TEST_APPLY_DELAY_US");
    if (delay > 0)
        usleep ((useconds_t) delay);
    if (!cj_config_bool (config, "CHEJIAN_TEST_RECORD"))
        return 0;
    char key[CJ_KEY_MAX], value[24];
    cj_key (key, sizeof key, cj_ctx_partition (ctx), S_SHORT, "applied");
    int n = snprintf (value, sizeof value, "%llu",
                      (unsigned long long) event->bus_probe_applied->n);
    return cj_batch_rpush (cj_ctx_batch (ctx), key, value, (size_t) n);
}

static const cj_handler_t s_events[] = {
    { CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED, NULL, s_applied, NULL },
};

static const cj_subscription_t s_subscriptions[] = {
    { "tprod", "CHEJIAN_TPRODUCER_PUB_ENDPOINT", s_events, sizeof s_events / sizeof s_events[0] },
};

static const cj_config_option_t s_options[] = {
    { "CHEJIAN_TPRODUCER_PUB_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:57101",
      "Where the test producer publishes", 0, 0 },
    { "CHEJIAN_TEST_APPLY_DELAY_US", CJ_CONFIG_INT, "0", "Sleep per event applied", 0, 1000000 },
    { "CHEJIAN_TEST_RECORD", CJ_CONFIG_BOOL, "1", "Record each applied n in a list", 0, 0 },
};

int
main (int argc, char **argv)
{
    static const cj_service_def_t def = {
        .name = "tconsumer",
        .short_name = S_SHORT,
        .owner = CJ_OWNER_PAYROLL,
        .summary = "Test consumer: applies the test producer's events in order, exactly once.",
        .subscriptions = s_subscriptions,
        .nsubscriptions = 1,
        .options = s_options,
        .noptions = sizeof s_options / sizeof s_options[0],
        .default_port_base = 57200,
    };
    return cj_service_main (&def, argc, argv);
}
