/*  test_system.h - the whole system for integration tests: the three services and the
 *  gateway as real processes on free 127.0.0.1 ports, against the fixture's redis-server,
 *  with a private temp directory for the pseudonym secret, the gateway's key pair and the
 *  agencies file.  */
#ifndef CHEJIAN_TEST_SYSTEM_H
#define CHEJIAN_TEST_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>

#include "chejian/curve.h"

typedef struct {
    const char *name;      /* "registry" */
    const char *bin;       /* "services/registry/chejian-registry" */
    const char *prefix;    /* "REGISTRY": CHEJIAN_<prefix>_BIND ... */
    int         pid;       /* 0 when not running */
    int         metrics;   /* metrics port */
    char        router[64], pub[64];   /* endpoints (pub "" for the gateway) */
    char        log[256];  /* stderr of the process */
    char        env[8][160];   /* extra "NAME=value" (cj_test_system_proc_env) */
    size_t      nenv;
} cj_test_proc_t;

typedef struct {
    char               dir[48];            /* temp directory (removed by fini) */
    char               pseudonym_key[100];
    char               gateway_key[100];   /* the gateway's .key file */
    char               agencies_file[100];
    cj_curve_keypair_t gateway;            /* the gateway's pair (public_key for clients) */
    int                partitions;         /* CHEJIAN_PARTITIONS (default 4) */
    int                timeout_ms;         /* CHEJIAN_GATEWAY_TIMEOUT_MS (default 2000) */
    cj_test_proc_t     reg, pay, adj, gw;
    void              *agencies;           /* json_t: the agencies file's content */
} cj_test_system_t;

/*  Prepares 'sys': empties the fixture's Redis (FLUSHALL), a temp dir named after 'tag', the pseudonym secret, the gateway's key
 *  pair, an empty agencies file, free ports for every process, logs under the build tree
 *  (tests/integration/<tag>-<name>.log). Starts nothing. Returns 0 or -1.  */
int  cj_test_system_init (cj_test_system_t *sys, const char *tag);
/*  Adds an agency with a new key pair to the agencies file (rewritten at once; a running
 *  gateway reads it again on SIGHUP). 'may_send' and 'counties' are JSON arrays as text,
 *  e.g. "[\"registry.commands\"]", "[\"510822\"]". Writes the pair to 'ret_kp'.  */
int  cj_test_system_add_agency (cj_test_system_t *sys, const char *id, const char *may_send,
                                const char *counties, cj_curve_keypair_t *ret_kp);
/*  Removes agency 'id' from the agencies file (rewritten at once). Returns 0, or -1 when it
 *  is not there or the file cannot be written.  */
int  cj_test_system_remove_agency (cj_test_system_t *sys, const char *id);
/*  Adds "'name'='value'" to the environment 'proc' is started with from now on (after the
 *  system's own variables, so it overrides them), e.g. CHEJIAN_GATEWAY_MAX_IN_FLIGHT. At most
 *  8 per process. Returns 0, or -1 when full or too long.  */
int  cj_test_system_proc_env (cj_test_proc_t *proc, const char *name, const char *value);
/*  Starts one process without waiting for it (e.g. one that will be catching up for long).
 *  Returns 0, or -1 when it cannot be started.  */
int  cj_test_system_launch (cj_test_system_t *sys, cj_test_proc_t *p);
/*  Starts one process and waits up to 20 s for its /readyz. Returns 0, or -1 (the log says
 *  why).  */
int  cj_test_system_start (cj_test_system_t *sys, cj_test_proc_t *proc);
/*  Starts registry, payroll, adjudicator and, when 'gateway', the gateway.  */
int  cj_test_system_start_all (cj_test_system_t *sys, bool gateway);
/*  Sends 'signo' and waits up to 10 s. Returns the exit code (128 + signal when killed), or
 *  -1 when it had to be SIGKILLed after the wait.  */
int  cj_test_system_stop (cj_test_proc_t *proc, int signo);
/*  Stops whatever runs (SIGTERM), removes the temp dir.  */
void cj_test_system_fini (cj_test_system_t *sys);

#endif
