/*  promtool_metrics.c - every service's /metrics passes `promtool check metrics`.
 *
 *  Starts chejian-registry, chejian-payroll, chejian-adjudicator and, when the build has it,
 *  chejian-gateway (test_system: free ports, the fixture's redis-server, a pseudonym secret,
 *  the gateway's key pair and agencies file), lints each idle /metrics, then sends traffic
 *  (one workshop of the sample county with its workers, employments and wage reports, the
 *  policy, the funds and the workshop's certification, straight to the services' ROUTERs;
 *  a query through the gateway when it runs) so that the labelled series appear (acks by
 *  status, consumer lag per subscription and partition, latencies), waits until the
 *  consumers have caught up, and lints again. Any complaint of promtool fails the test and
 *  is printed as promtool wrote it. Exit 77 (skipped) when promtool is not installed.  */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chejian/client.h"
#include "sample.h"
#include "sample_send.h"
#include "test_support.h"
#include "test_system.h"

#define S_BODY_MAX (4 << 20)
#define S_SHOP     "QC-P03"     /* the sample workshop sent as traffic */

static int s_failures;

/*  Lints one /metrics page with promtool; returns 0 when promtool has nothing to say.  */
static int
s_lint (const cj_test_proc_t *p, const char *when)
{
    char *body = malloc (S_BODY_MAX);
    char path[512], out[512], cmd[1200];
    int status = body ? cj_test_http_get (p->metrics, "/metrics", body, S_BODY_MAX) : -1;
    if (status != 200) {
        fprintf (stderr, "FAIL %s (%s): GET /metrics answered %d\n", p->name, when, status);
        free (body);
        return -1;
    }
    snprintf (path, sizeof path, "%s", cj_test_bin ("tests/deploy"));
    snprintf (path + strlen (path), sizeof path - strlen (path), "/metrics-%s-%s.prom", p->name, when);
    snprintf (out, sizeof out, "%s.promtool", path);
    FILE *f = fopen (path, "w");
    if (!f || fputs (body, f) < 0 || fclose (f) != 0) {
        fprintf (stderr, "FAIL: cannot write %s\n", path);
        free (body);
        return -1;
    }
    size_t series = 0;
    for (const char *c = body; *c; c++)
        series += *c == '\n' && c[1] && c[1] != '#';
    free (body);
    snprintf (cmd, sizeof cmd, "promtool check metrics < '%s' > '%s' 2>&1", path, out);
    int rc = system (cmd);
    char said[4096] = "";
    f = fopen (out, "r");
    size_t n = f ? fread (said, 1, sizeof said - 1, f) : 0;
    said[n] = 0;
    if (f)
        fclose (f);
    if (rc != 0 || n > 0) {
        fprintf (stderr, "FAIL %s (%s): promtool check metrics (exit %d) on %s:\n%s\n", p->name,
                 when, rc, path, said);
        return -1;
    }
    printf ("ok   %s (%s): %zu samples, promtool silent\n", p->name, when, series);
    return 0;
}

static void
s_lint_all (cj_test_system_t *sys, bool gateway, const char *when)
{
    cj_test_proc_t *procs[] = { &sys->reg, &sys->pay, &sys->adj, &sys->gw };
    for (size_t i = 0; i < (gateway ? 4u : 3u); i++)
        if (s_lint (procs[i], when) != 0)
            s_failures++;
}

/*  The sample's items that concern workshop S_SHOP (and the county-wide setup).  */
static bool
s_wanted (const sample_t *sample, size_t i, void *arg)
{
    const cj_envelope_t *env = sample_item (sample, i)->env;
    const sample_item_t *next = sample_item (sample, i + 1);
    (void) arg;
    switch (env->body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_PUBLISH_POLICY:
    case CHEJIAN__V1__ENVELOPE__BODY_TOP_UP_FUND:
    case CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP:
        return true;
    case CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER:    /* its employment comes next */
        return next && next->env->body_case == CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT
            && strcmp (next->env->start_employment->workshop_id, S_SHOP) == 0;
    case CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT:
        return strcmp (env->start_employment->workshop_id, S_SHOP) == 0;
    case CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT:
        return strcmp (env->submit_wage_report->workshop_id, S_SHOP) == 0;
    case CHEJIAN__V1__ENVELOPE__BODY_REQUEST_CERTIFICATION:
        return strcmp (env->request_certification->workshop_id, S_SHOP) == 0;
    default:
        return false;
    }
}

/*  Sends the workshop's part of the sample county to the services.  */
static int
s_traffic (cj_test_system_t *sys)
{
    char err[256];
    int sent = 0;
    sample_t *sample = sample_new (CJ_SAMPLE_POLICY, 0, err, sizeof err);
    if (!sample) {
        fprintf (stderr, "FAIL: sample: %s\n", err);
        return -1;
    }
    int bad = sample_send (sys, sample, 0, SAMPLE_FILES - 1, s_wanted, NULL, &sent);
    printf ("traffic: %d commands of the sample county (workshop %s) sent, %d refused\n", sent,
            S_SHOP, bad);
    sample_destroy (&sample);
    return bad == 0 ? 0 : -1;
}

/*  A registry query through the gateway over CURVE, as agency "promtool-test".  */
static void
s_gateway_query (cj_test_system_t *sys, const cj_curve_keypair_t *kp)
{
    cj_client_t *c = cj_client_new_curve (NULL, sys->gw.router, kp, sys->gateway.public_key);
    Chejian__V1__GetRegistrySummary q = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "promtool-query-1";
    env.source = "promtool-test";
    env.occurred_at = (int64_t) time (NULL) * 1000;
    env.county = SAMPLE_COUNTY;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY;
    env.get_registry_summary = &q;
    cj_ack_t *ack = NULL;
    if (c && cj_client_send (c, &env, 2000) == 0)
        ack = cj_client_recv (c, 5000);
    printf ("gateway: a query answered %s\n", ack ? cj_ack_status_name (ack->status) : "nothing");
    cj_ack_free (&ack);
    cj_client_destroy (&c);
}

int
main (void)
{
    if (system ("command -v promtool > /dev/null 2>&1") != 0) {
        printf ("SKIPPED: promtool is not installed (Debian 12 package prometheus; scripts/deps "
                "installs it)\n");
        return 77;
    }
    if (!cj_test_redis_url ()) {
        fprintf (stderr, "FAIL: the redis fixture is not running\n");
        return 1;
    }
    cj_test_system_t sys;
    cj_curve_keypair_t agency;
    bool gateway;
    if (cj_test_system_init (&sys, "promtool") != 0
        || cj_test_system_add_agency (&sys, "promtool-test", "[\"*.queries\"]", "[\"510822\"]",
                                      &agency) != 0) {
        fprintf (stderr, "FAIL: cannot prepare the system\n");
        return 1;
    }
    gateway = access (cj_test_bin (sys.gw.bin), X_OK) == 0;
    printf ("gateway: %s\n", gateway ? "built, started too" : "not built yet, left out");
    if (cj_test_system_start_all (&sys, gateway) != 0) {
        fprintf (stderr, "FAIL: the services did not start (logs under tests/integration/)\n");
        cj_test_system_fini (&sys);
        return 1;
    }
    s_lint_all (&sys, gateway, "idle");
    if (s_traffic (&sys) != 0)
        s_failures++;
    if (gateway)
        s_gateway_query (&sys, &agency);
    sample_settle (&sys, 15000);
    s_lint_all (&sys, gateway, "busy");
    cj_curve_keypair_wipe (&agency);
    cj_test_system_fini (&sys);
    printf ("%s\n", s_failures ? "FAILED" : "every /metrics passes promtool check metrics");
    return s_failures ? 1 : 0;
}
