/*  payroll_subscriber.c - a consumer of payroll's events for the integration tests and the
 *  benchmark, standing in for the adjudicator. It applies payroll's events in order, exactly
 *  once, and appends one line per event to the list cj:{pN}:tpsub:events:
 *      600 <worker_key> <workshop_id> <period> <gross_fen> <delta_fen>[ removed]
 *      601 <workshop_id> <period> <revision_before> <revision_after> <delta_fen>
 *      602 <shareholding_id> <year> <kind> <delta_fen>
 *      603 <workshop_id> <first_period> <last_period> <delta_output_fen>
 *  CHEJIAN_TEST_RECORD=0 makes it record nothing but its cursor (for the benchmark).  */
#include <inttypes.h>
#include <stdio.h>

#include "chejian/service.h"

#define S_SHORT "tpsub"

static int
s_describe (const cj_envelope_t *ev, char *out, size_t size)
{
    switch (ev->body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_WAGE_LINE_APPLIED: {
        const Chejian__V1__WageLineApplied *w = ev->wage_line_applied;
        return snprintf (out, size, "600 %s %s %d %" PRId64 " %" PRId64 "%s", w->worker_key,
                         w->workshop_id, (int) w->period, w->gross_fen, w->delta_fen,
                         w->removed ? " removed" : "");
    }
    case CHEJIAN__V1__ENVELOPE__BODY_WAGE_REPORT_CORRECTED: {
        const Chejian__V1__WageReportCorrected *c = ev->wage_report_corrected;
        return snprintf (out, size, "601 %s %d %u %u %" PRId64, c->workshop_id, (int) c->period,
                         c->revision_before, c->revision_after, c->delta_fen);
    }
    case CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDER_PAYMENT_RECORDED: {
        const Chejian__V1__ShareholderPaymentRecorded *s = ev->shareholder_payment_recorded;
        return snprintf (out, size, "602 %s %d %d %" PRId64, s->shareholding_id, (int) s->year,
                         (int) s->kind, s->delta_fen);
    }
    default: {
        const Chejian__V1__OutputRecorded *o = ev->output_recorded;
        return snprintf (out, size, "603 %s %d %d %" PRId64, o->workshop_id,
                         (int) o->first_period, (int) o->last_period, o->delta_output_fen);
    }
    }
}

static int
s_record (cj_ctx_t *ctx, const cj_envelope_t *ev)
{
    if (!cj_config_bool (cj_ctx_config (ctx), "CHEJIAN_TEST_RECORD"))
        return 0;
    char key[CJ_KEY_MAX], line[512];
    cj_key (key, sizeof key, cj_ctx_partition (ctx), S_SHORT, "events");
    int n = s_describe (ev, line, sizeof line);
    return cj_batch_rpush (cj_ctx_batch (ctx), key, line, (size_t) n);
}

static const cj_handler_t s_events[] = {
    { CHEJIAN__V1__ENVELOPE__BODY_WAGE_LINE_APPLIED, NULL, s_record, NULL },
    { CHEJIAN__V1__ENVELOPE__BODY_WAGE_REPORT_CORRECTED, NULL, s_record, NULL },
    { CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDER_PAYMENT_RECORDED, NULL, s_record, NULL },
    { CHEJIAN__V1__ENVELOPE__BODY_OUTPUT_RECORDED, NULL, s_record, NULL },
};

static const cj_subscription_t s_subscriptions[] = {
    { "pay", "CHEJIAN_PAYROLL_PUB_ENDPOINT", s_events, sizeof s_events / sizeof s_events[0] },
};

static const cj_config_option_t s_options[] = {
    { "CHEJIAN_PAYROLL_PUB_ENDPOINT", CJ_CONFIG_STRING, "tcp://127.0.0.1:5561",
      "Where chejian-payroll publishes its events", 0, 0 },
    { "CHEJIAN_TEST_RECORD", CJ_CONFIG_BOOL, "1", "Record each event applied in a list", 0, 0 },
};

int
main (int argc, char **argv)
{
    static const cj_service_def_t def = {
        .name = "tpaysub",
        .short_name = S_SHORT,
        .owner = CJ_OWNER_ADJUDICATOR,
        .summary = "Test subscriber of payroll's events: applies them in order, exactly once.",
        .subscriptions = s_subscriptions,
        .nsubscriptions = 1,
        .options = s_options,
        .noptions = sizeof s_options / sizeof s_options[0],
        .default_port_base = 57300,
    };
    return cj_service_main (&def, argc, argv);
}
