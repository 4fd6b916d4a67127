/*  test_system.c - see test_system.h.  */
#include "test_system.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chejian/pseudonym.h"
#include "chejian/store.h"
#include "test_support.h"

static void
s_proc_init (cj_test_proc_t *p, const char *tag, const char *name, const char *bin,
             const char *prefix, bool has_pub)
{
    memset (p, 0, sizeof *p);
    p->name = name;
    p->bin = bin;
    p->prefix = prefix;
    snprintf (p->router, sizeof p->router, "tcp://127.0.0.1:%d", cj_test_free_port ());
    if (has_pub)
        snprintf (p->pub, sizeof p->pub, "tcp://127.0.0.1:%d", cj_test_free_port ());
    p->metrics = cj_test_free_port ();
    char rel[200];
    snprintf (rel, sizeof rel, "tests/integration/%s-%s.log", tag, name);
    snprintf (p->log, sizeof p->log, "%s", cj_test_bin (rel));
}

static int
s_write_agencies (cj_test_system_t *sys)
{
    char tmp[120];
    snprintf (tmp, sizeof tmp, "%s.tmp", sys->agencies_file);
    if (json_dump_file ((json_t *) sys->agencies, tmp, JSON_INDENT (2)) != 0)
        return -1;
    return rename (tmp, sys->agencies_file);
}

/*  Empties the fixture's Redis: every test of the whole system starts from nothing.  */
static int
s_flush_redis (void)
{
    char err[256];
    cj_store_t *store = cj_store_new (cj_test_redis_url (), 5000, err, sizeof err);
    redisReply *reply = store ? cj_store_command (store, "FLUSHALL") : NULL;
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (reply)
        freeReplyObject (reply);
    cj_store_destroy (&store);
    if (rc != 0)
        fprintf (stderr, "test_system: cannot empty the test redis: %s\n", err);
    return rc;
}

int
cj_test_system_init (cj_test_system_t *sys, const char *tag)
{
    memset (sys, 0, sizeof *sys);
    if (s_flush_redis () != 0)
        return -1;
    sys->partitions = 4;
    sys->timeout_ms = 2000;
    snprintf (sys->dir, sizeof sys->dir, "/tmp/cj-%sXXXXXX", tag);
    if (!mkdtemp (sys->dir))
        return -1;
    snprintf (sys->pseudonym_key, sizeof sys->pseudonym_key, "%s/pseudonym.key", sys->dir);
    snprintf (sys->agencies_file, sizeof sys->agencies_file, "%s/agencies.json", sys->dir);
    char base[90], err[256];
    snprintf (base, sizeof base, "%s/gateway", sys->dir);
    snprintf (sys->gateway_key, sizeof sys->gateway_key, "%s.key", base);
    if (cj_pseudonym_create_key_file (sys->pseudonym_key) != 0
        || cj_curve_keypair_generate (&sys->gateway, NULL) != 0
        || cj_curve_keypair_save (&sys->gateway, base, false, err, sizeof err) != 0) {
        fprintf (stderr, "test_system: %s\n", err);
        return -1;
    }
    sys->agencies = json_pack ("{s:[]}", "agencies");
    if (!sys->agencies || s_write_agencies (sys) != 0)
        return -1;
    s_proc_init (&sys->reg, tag, "registry", "services/registry/chejian-registry", "REGISTRY", true);
    s_proc_init (&sys->pay, tag, "payroll", "services/payroll/chejian-payroll", "PAYROLL", true);
    s_proc_init (&sys->adj, tag, "adjudicator", "services/adjudicator/chejian-adjudicator",
                 "ADJUDICATOR", true);
    s_proc_init (&sys->gw, tag, "gateway", "services/gateway/chejian-gateway", "GATEWAY", false);
    return 0;
}

int
cj_test_system_add_agency (cj_test_system_t *sys, const char *id, const char *may_send,
                           const char *counties, cj_curve_keypair_t *ret_kp)
{
    if (cj_curve_keypair_generate (ret_kp, id) != 0)
        return -1;
    json_t *send = json_loads (may_send, 0, NULL), *where = json_loads (counties, 0, NULL);
    json_t *agency = json_pack ("{s:s, s:s, s:o, s:o}", "id", id, "public_key",
                                ret_kp->public_key, "counties", where, "may_send", send);
    if (!agency || json_array_append_new (json_object_get (sys->agencies, "agencies"), agency))
        return -1;
    return s_write_agencies (sys);
}

int
cj_test_system_remove_agency (cj_test_system_t *sys, const char *id)
{
    json_t *list = json_object_get (sys->agencies, "agencies");
    for (size_t i = 0; i < json_array_size (list); i++) {
        const char *it = json_string_value (json_object_get (json_array_get (list, i), "id"));
        if (it && strcmp (it, id) == 0)
            return json_array_remove (list, i) == 0 ? s_write_agencies (sys) : -1;
    }
    return -1;
}

int
cj_test_system_proc_env (cj_test_proc_t *p, const char *name, const char *value)
{
    if (p->nenv == sizeof p->env / sizeof p->env[0])
        return -1;
    int n = snprintf (p->env[p->nenv], sizeof p->env[0], "%s=%s", name, value);
    if (n < 0 || (size_t) n >= sizeof p->env[0])
        return -1;
    p->nenv++;
    return 0;
}

int
cj_test_system_launch (cj_test_system_t *sys, cj_test_proc_t *p)
{
    char env[32][160];
    size_t n = 0;
    snprintf (env[n++], 160, "CHEJIAN_REDIS_URL=%s", cj_test_redis_url ());
    snprintf (env[n++], 160, "CHEJIAN_PARTITIONS=%d", sys->partitions);
    snprintf (env[n++], 160, "CHEJIAN_%s_BIND=%s", p->prefix, p->router);
    snprintf (env[n++], 160, "CHEJIAN_%s_METRICS_PORT=%d", p->prefix, p->metrics);
    snprintf (env[n++], 160, "CHEJIAN_INSTANCE_ID=test-%s", p->name);
    snprintf (env[n++], 160, "CHEJIAN_LEASE_TTL_MS=3000");
    snprintf (env[n++], 160, "CHEJIAN_PSEUDONYM_KEY_FILE=%s", sys->pseudonym_key);
    if (p->pub[0])
        snprintf (env[n++], 160, "CHEJIAN_%s_PUB_BIND=%s", p->prefix, p->pub);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_PUB_ENDPOINT=%s", sys->reg.pub);
    snprintf (env[n++], 160, "CHEJIAN_PAYROLL_PUB_ENDPOINT=%s", sys->pay.pub);
    snprintf (env[n++], 160, "CHEJIAN_REGISTRY_ENDPOINT=%s", sys->reg.router);
    snprintf (env[n++], 160, "CHEJIAN_PAYROLL_ENDPOINT=%s", sys->pay.router);
    snprintf (env[n++], 160, "CHEJIAN_ADJUDICATOR_ENDPOINT=%s", sys->adj.router);
    snprintf (env[n++], 160, "CHEJIAN_GATEWAY_SECRET_KEY_FILE=%s", sys->gateway_key);
    snprintf (env[n++], 160, "CHEJIAN_GATEWAY_AGENCIES_FILE=%s", sys->agencies_file);
    snprintf (env[n++], 160, "CHEJIAN_GATEWAY_TIMEOUT_MS=%d", sys->timeout_ms);
    for (size_t i = 0; i < p->nenv; i++)
        memcpy (env[n++], p->env[i], 160);
    p->pid = cj_test_spawn (p->bin, env, n, p->log);
    return p->pid > 0 ? 0 : -1;
}

int
cj_test_system_start (cj_test_system_t *sys, cj_test_proc_t *p)
{
    if (cj_test_system_launch (sys, p) != 0)
        return -1;
    char body[256] = "";
    for (int i = 0; i < 400; i++) {
        if (cj_test_http_get (p->metrics, "/readyz", body, sizeof body) == 200)
            return 0;
        usleep (50000);
    }
    fprintf (stderr, "test_system: %s did not become ready (%s); see %s\n", p->name, body,
             p->log);
    return -1;
}

int
cj_test_system_start_all (cj_test_system_t *sys, bool gateway)
{
    if (cj_test_system_start (sys, &sys->reg) != 0 || cj_test_system_start (sys, &sys->pay) != 0
        || cj_test_system_start (sys, &sys->adj) != 0)
        return -1;
    return gateway ? cj_test_system_start (sys, &sys->gw) : 0;
}

int
cj_test_system_stop (cj_test_proc_t *p, int signo)
{
    if (p->pid <= 0)
        return 0;
    kill (p->pid, signo);
    int code = cj_test_wait_exit (p->pid, 10000);
    p->pid = 0;
    return code;
}

void
cj_test_system_fini (cj_test_system_t *sys)
{
    cj_test_system_stop (&sys->gw, SIGTERM);
    cj_test_system_stop (&sys->adj, SIGTERM);
    cj_test_system_stop (&sys->pay, SIGTERM);
    cj_test_system_stop (&sys->reg, SIGTERM);
    json_decref ((json_t *) sys->agencies);
    sys->agencies = NULL;
    if (sys->dir[0]) {
        const char *files[] = { "pseudonym.key", "gateway.key", "gateway.pub", "agencies.json" };
        char path[256];
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            snprintf (path, sizeof path, "%s/%s", sys->dir, files[i]);
            unlink (path);
        }
        rmdir (sys->dir);
    }
    cj_curve_keypair_wipe (&sys->gateway);
}
