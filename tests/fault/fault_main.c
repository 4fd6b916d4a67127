/*  fault_main.c - the fault test (tests/fault/README.md): the whole system on a private
 *  redis-server, the sample county sent through the gateway while processes are killed and
 *  restarted, Redis restarted, subscribers stalled behind tiny HWMs; then the state checked
 *  against the ledger, against Redis itself, and against a fault-free run of the same ledger.
 *
 *  CHEJIAN_FAULT_SEED reproduces a run; CHEJIAN_FAULT_SECONDS makes it a soak (rounds until
 *  that many seconds have passed).  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chejian/store.h"
#include "fault.h"
#include "sample_send.h"
#include "test_support.h"

/*  ---- the private redis-server ----  */

typedef struct {
    int  pid, port;
    char dir[200], url[64];
} s_redis_t;

static int
s_redis_ping (s_redis_t *r, int timeout_ms)
{
    int64_t until = cj_test_now_ms () + timeout_ms;
    while (cj_test_now_ms () < until) {
        char err[128];
        cj_store_t *store = cj_store_new (r->url, 1000, err, sizeof err);
        redisReply *reply = store ? cj_store_command (store, "PING") : NULL;
        bool up = reply && reply->type == REDIS_REPLY_STATUS;
        if (reply)
            freeReplyObject (reply);
        cj_store_destroy (&store);
        if (up)
            return 0;
        usleep (50000);
    }
    return -1;
}

/*  Starts redis-server on the data in 'r->dir' (AOF on, 'fsync' everysec or always).  */
static int
s_redis_start (s_redis_t *r, const char *fsync)
{
    char port[16], log[260];
    snprintf (port, sizeof port, "%d", r->port);
    snprintf (log, sizeof log, "%s/redis.log", r->dir);
    int pid = fork ();
    if (pid == 0) {
        execlp ("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
                "--dir", r->dir, "--appendonly", "yes", "--appendfsync", fsync, "--save", "",
                "--logfile", log, "--daemonize", "no", (char *) NULL);
        _exit (127);
    }
    r->pid = pid;
    return pid > 0 ? s_redis_ping (r, 20000) : -1;
}

static int
s_redis_stop (s_redis_t *r, int signo)
{
    if (r->pid <= 0)
        return 0;
    kill (r->pid, signo);
    int code = cj_test_wait_exit (r->pid, 20000);
    r->pid = 0;
    return code;
}

static int
s_redis_flush (s_redis_t *r)
{
    char err[128];
    cj_store_t *store = cj_store_new (r->url, 5000, err, sizeof err);
    redisReply *reply = store ? cj_store_command (store, "FLUSHALL") : NULL;
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (reply)
        freeReplyObject (reply);
    cj_store_destroy (&store);
    return rc;
}

/*  ---- the faults ----  */

typedef enum { F_KILL, F_STALL, F_REDIS_TERM, F_REDIS_KILL } s_kind_t;

typedef struct {
    s_kind_t        kind;
    cj_test_proc_t *proc;     /* F_KILL, F_STALL */
    int64_t         at_ms;    /* since the load started */
    int             down_ms;  /* until restart / SIGCONT */
    int             step;     /* 0 to do, 1 done, waiting for the second half, 2 over */
    int64_t         second_ms;
    int             abandoned;
    char            log[200];
} s_fault_t;

typedef struct {
    cj_test_system_t *sys;
    s_redis_t        *redis;
    fault_load_t     *load;
    s_fault_t         faults[32];
    int               nfaults;
    int64_t           start_ms;
    uint64_t          rng;
} s_run_t;

static const char *
s_fault_name (const s_fault_t *f)
{
    switch (f->kind) {
    case F_KILL: return "SIGKILL";
    case F_STALL: return "SIGSTOP";
    case F_REDIS_TERM: return "redis SIGTERM (AOF everysec, graceful)";
    default: return "redis SIGKILL (AOF always)";
    }
}

static void
s_fault_step (s_run_t *run, s_fault_t *f, int64_t now)
{
    double t = (double) (now - run->start_ms) / 1000;
    if (f->step == 0) {
        if (f->kind == F_KILL) {
            if (f->proc == &run->sys->gw || f->proc == &run->sys->pay)
                f->abandoned = fault_load_abandon (run->load, 50);
            cj_test_system_stop (f->proc, SIGKILL);
        } else if (f->kind == F_STALL)
            kill (f->proc->pid, SIGSTOP);
        else {
            f->abandoned = fault_load_abandon (run->load, 50);
            int code = s_redis_stop (run->redis, f->kind == F_REDIS_TERM ? SIGTERM : SIGKILL);
            if (f->kind == F_REDIS_TERM && code != 0)
                fault_fail ("redis-server did not stop cleanly on SIGTERM (%d)", code);
        }
        snprintf (f->log, sizeof f->log, "t=%5.1fs %s%s%s", t, s_fault_name (f),
                  f->proc ? " " : "", f->proc ? f->proc->name : "");
        f->step = 1;
        f->second_ms = now + f->down_ms;
    } else if (f->step == 1 && now >= f->second_ms) {
        int rc = 0;
        if (f->kind == F_KILL)
            rc = cj_test_system_start (run->sys, f->proc);
        else if (f->kind == F_STALL)
            rc = kill (f->proc->pid, SIGCONT);
        else
            rc = s_redis_start (run->redis, "always");
        if (rc != 0)
            fault_fail ("%s: could not bring it back", f->log);
        size_t len = strlen (f->log);
        snprintf (f->log + len, sizeof f->log - len, ", back after %.1f s%s",
                  (double) (cj_test_now_ms () - (f->second_ms - f->down_ms)) / 1000,
                  f->kind == F_STALL ? " (SIGCONT)" : "");
        if (f->abandoned) {
            len = strlen (f->log);
            snprintf (f->log + len, sizeof f->log - len, ", %d wage reports in flight abandoned",
                      f->abandoned);
        }
        f->step = 2;
    }
    fault_load_disturbed (run->load);
}

/*  A process of the system that exited by itself is a failure (and is started again).  */
static void
s_check_alive (s_run_t *run)
{
    cj_test_proc_t *procs[] = { &run->sys->reg, &run->sys->pay, &run->sys->adj, &run->sys->gw };
    for (int i = 0; i < 4; i++) {
        int status;
        if (procs[i]->pid > 0 && waitpid (procs[i]->pid, &status, WNOHANG) == procs[i]->pid) {
            fault_fail ("%s exited by itself (%s %d); see %s", procs[i]->name,
                        WIFSIGNALED (status) ? "signal" : "code",
                        WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status),
                        procs[i]->log);
            procs[i]->pid = 0;
            cj_test_system_start (run->sys, procs[i]);
        }
    }
}

/*  The load's turn: the next fault when its time has come, one at a time.  */
static void
s_tick (void *arg, double progress)
{
    (void) progress;
    s_run_t *run = arg;
    int64_t now = cj_test_now_ms ();
    static int64_t last_alive;
    if (now - last_alive > 500) {
        s_check_alive (run);
        last_alive = now;
    }
    bool busy = false;
    for (int i = 0; i < run->nfaults; i++)
        busy |= run->faults[i].step == 1;
    for (int i = 0; i < run->nfaults; i++) {
        s_fault_t *f = &run->faults[i];
        if (f->step == 2)
            continue;
        if (f->at_ms < 0 && f->step == 0) {   /* waits for wage reports in flight */
            if (busy || fault_load_inflight_reports (run->load) < 8)
                continue;
            f->at_ms = now - run->start_ms;
        }
        if (f->step == 1 || now - run->start_ms >= f->at_ms)
            s_fault_step (run, f, now);
        return;
    }
}

static int
s_by_time (const void *a, const void *b)
{
    int64_t x = ((const s_fault_t *) a)->at_ms, y = ((const s_fault_t *) b)->at_ms;
    return x < y ? -1 : x > y;
}

static int
s_by_log (const void *a, const void *b)   /* "t=  8.3s ...": by the time injected */
{
    return strcmp (((const s_fault_t *) a)->log, ((const s_fault_t *) b)->log);
}

/*  The faults of one round over 'seconds' of load: each process SIGKILLed once, payroll and
 *  the adjudicator stalled, redis stopped gracefully then killed.  */
static void
s_plan (s_run_t *run, int seconds)
{
    cj_test_system_t *sys = run->sys;
    cj_test_proc_t *kills[] = { &sys->reg, &sys->pay, &sys->adj, &sys->gw };
    int64_t span = (int64_t) seconds * 1000;
    run->nfaults = 0;
    for (int rep = 0; rep < (seconds >= 200 ? 2 : 1); rep++) {
        for (int i = 0; i < 4; i++)
            run->faults[run->nfaults++] = (s_fault_t) { .kind = F_KILL, .proc = kills[i],
                .down_ms = fault_between (&run->rng, 100, 1500) };
        run->faults[run->nfaults++] = (s_fault_t) { .kind = F_STALL, .proc = &sys->adj,
            .down_ms = fault_between (&run->rng, 3000, 5000) };
        run->faults[run->nfaults++] = (s_fault_t) { .kind = F_STALL, .proc = &sys->pay,
            .down_ms = fault_between (&run->rng, 2000, 4000) };
    }
    run->faults[run->nfaults++] = (s_fault_t) { .kind = F_KILL, .proc = &sys->gw,
        .down_ms = fault_between (&run->rng, 100, 1000), .at_ms = -1 };
    run->faults[run->nfaults++] = (s_fault_t) { .kind = F_REDIS_TERM,
        .down_ms = fault_between (&run->rng, 200, 1500) };
    run->faults[run->nfaults++] = (s_fault_t) { .kind = F_REDIS_KILL,
        .down_ms = fault_between (&run->rng, 200, 1500) };
    int64_t redis_at[2];
    for (int i = 0; i < run->nfaults; i++)
        if (run->faults[i].at_ms == 0)
            run->faults[i].at_ms = span / 20 + (int64_t) (fault_rand (&run->rng) % (uint64_t) (span * 3 / 4));
    redis_at[0] = run->faults[run->nfaults - 2].at_ms;
    redis_at[1] = run->faults[run->nfaults - 1].at_ms;
    if (redis_at[0] > redis_at[1]) {   /* graceful first: the kill runs under fsync always */
        run->faults[run->nfaults - 2].at_ms = redis_at[1];
        run->faults[run->nfaults - 1].at_ms = redis_at[0];
    }
    qsort (run->faults, (size_t) run->nfaults, sizeof run->faults[0], s_by_time);
}

/*  ---- one round ----  */

typedef struct {
    uint64_t seed;
    int      seconds, employed, corrections;
} s_round_t;

static int
s_start_system (cj_test_system_t *sys)
{
    const char *producers[] = { "registry", "payroll", "adjudicator" };
    (void) producers;
    return cj_test_system_start_all (sys, true);
}

static void s_tick (void *arg, double progress);

/*  Waits until every consumer lag is 0, the faults going on meanwhile ('run' may be NULL).  */
static int
s_settle (cj_test_system_t *sys, void *run, int timeout_ms)
{
    int64_t until = cj_test_now_ms () + timeout_ms;
    while (cj_test_now_ms () < until) {
        if (run)
            s_tick (run, 1);
        if (sample_settle (sys, 300) == 0)
            return 0;
    }
    return -1;
}

static int
s_phases (cj_test_system_t *sys, fault_load_t *load, void *run, int timeout_s)
{
    int rc = fault_load_run (load, SAMPLE_SETUP, SAMPLE_WAGES, timeout_s);
    if (rc == 0 && s_settle (sys, run, 180000) != 0)
        fault_fail ("the consumers did not catch up after the facts");
    if (rc == 0)
        rc = fault_load_run (load, SAMPLE_STAKES, SAMPLE_DECISIONS, timeout_s);
    return rc;
}

static int
s_round (s_redis_t *redis, const s_round_t *round, const sample_t *sample)
{
    int failures_before = fault_failures ();
    cj_test_system_t sys;
    cj_curve_keypair_t kps[3];
    const char *agencies[] = { "hrss-510822", "finance-510822", "bank-510822" };
    printf ("round: seed %llu, %d s of load, %d people employed, %d wage corrections\n",
            (unsigned long long) round->seed, round->seconds, round->employed,
            round->corrections);
    if (cj_test_system_init (&sys, "fault") != 0) {
        fault_fail ("test_system_init");
        return 1;
    }
    for (int a = 0; a < 3; a++)
        cj_test_system_add_agency (&sys, agencies[a], "[\"*\"]", "[\"510822\"]", &kps[a]);
    sys.timeout_ms = 2000;
    /* PUB drops: tiny queues on every producer and subscriber */
    cj_test_proc_t *svcs[] = { &sys.reg, &sys.pay, &sys.adj };
    for (int i = 0; i < 3; i++) {
        cj_test_system_proc_env (svcs[i], "CHEJIAN_PUB_HWM", "20");
        cj_test_system_proc_env (svcs[i], "CHEJIAN_SUB_HWM", "20");
    }
    if (s_start_system (&sys) != 0) {
        fault_fail ("the system did not start (logs under tests/integration/fault-*.log)");
        cj_test_system_fini (&sys);
        return 1;
    }
    s_run_t run = { .sys = &sys, .redis = redis, .rng = round->seed ^ 0xfa017ULL };
    run.load = fault_load_new (&sys, kps, round->seed);
    if (!run.load || fault_load_add_sample (run.load, sample, round->corrections) != 0) {
        fault_fail ("cannot build the load");
        return 1;
    }
    size_t items = fault_load_count (run.load);
    fault_load_set (run.load, 48, (double) items / (round->seconds * 0.85), 30, s_tick, &run);
    s_plan (&run, round->seconds);
    int64_t t0 = cj_test_now_ms ();
    run.start_ms = t0;
    int rc = s_phases (&sys, run.load, &run, round->seconds * 6 + 300);
    for (int i = 0; i < run.nfaults; i++)   /* any fault left: now, and wait it out */
        while (run.faults[i].step != 2) {
            s_fault_step (&run, &run.faults[i], run.faults[i].step == 0 ? cj_test_now_ms ()
                                                                          : run.faults[i].second_ms);
            fault_load_pump (run.load, 10);
        }
    s_check_alive (&run);
    int64_t t1 = cj_test_now_ms ();
    if (sample_settle (&sys, 180000) != 0)
        fault_fail ("a consumer lag did not return to 0 within 180 s");
    int64_t t2 = cj_test_now_ms ();
    fault_load_pump (run.load, 1000);   /* late acks and probes */
    const fault_counts_t *c = fault_load_counts (run.load);
    printf ("load: %zu envelopes in %.1f s, lags 0 after %.1f s more\n", items,
            (double) (t1 - t0) / 1000, (double) (t2 - t1) / 1000);
    printf ("  sent %ld, acknowledged %ld (%ld ACCEPTED, %ld DUPLICATE first), re-sends %ld "
            "(%ld timeouts, %ld UNAVAILABLE, %ld NOT_YET_KNOWN), duplicates probed %ld (%ld "
            "answered DUPLICATE with the first outcome), late acks %ld\n",
            c->sent, c->acked, c->accepted, c->duplicates, c->retries, c->timeouts,
            c->unavailable, c->not_yet_known, c->probes, c->probes_ok, c->late_acks);
    printf ("  abandoned %ld wage reports in flight: %ld found whole in payroll (DUPLICATE on "
            "re-send), %ld found absent (ACCEPTED on re-send), none in part\n", c->abandoned,
            c->resolved_applied, c->resolved_missing);
    printf ("faults (in the order injected):\n");
    qsort (run.faults, (size_t) run.nfaults, sizeof run.faults[0], s_by_log);
    for (int i = 0; i < run.nfaults; i++)
        printf ("  %s\n", run.faults[i].log);

    int checks = 0;
    printf ("checks:\n");
    json_t *snap = rc == 0 ? fault_snapshot (&sys, run.load) : NULL;
    if (snap) {
        checks += fault_check_ledger (&sys, run.load, snap, sample);
        checks += fault_check_redis (redis->url, snap);
    }

    /* the reference: the same ledger, in its order, into an empty system with no faults
     * (same keys: the pseudonyms must come out the same) */
    cj_test_proc_t *order[] = { &sys.gw, &sys.adj, &sys.pay, &sys.reg };
    for (int i = 0; i < 4; i++) {
        int code = cj_test_system_stop (order[i], SIGTERM);
        if (code != 0)
            fault_fail ("%s exited with %d on SIGTERM after the load", order[i]->name, code);
    }
    fault_load_t *ref = NULL;
    if (snap && s_redis_flush (redis) == 0 && s_start_system (&sys) == 0
        && (ref = fault_load_new (&sys, kps, round->seed))
        && fault_load_add_ledger (ref, run.load) == 0) {
        int64_t r0 = cj_test_now_ms ();
        fault_load_set (ref, 64, 0, 0, NULL, NULL);
        if (s_phases (&sys, ref, NULL, 600) == 0 && s_settle (&sys, NULL, 180000) == 0) {
            json_t *rsnap = fault_snapshot (&sys, ref);
            fault_check_redis (redis->url, rsnap);
            printf ("  reference run: %zu envelopes in %.1f s\n", fault_load_count (ref),
                    (double) (cj_test_now_ms () - r0) / 1000);
            checks += fault_check_same (snap, rsnap);
            json_decref (rsnap);
        } else
            fault_fail ("the reference run did not complete");
    } else if (snap)
        fault_fail ("the reference run could not start");
    fault_load_destroy (&ref);
    cj_test_system_fini (&sys);
    json_decref (snap);
    fault_load_destroy (&run.load);
    for (int a = 0; a < 3; a++)
        cj_curve_keypair_wipe (&kps[a]);
    int failed = fault_failures () - failures_before;
    printf ("round %llu: %d checks passed, %d failures\n", (unsigned long long) round->seed,
            checks, failed);
    return failed ? 1 : 0;
}

static long
s_env_long (const char *name, long fallback)
{
    const char *v = getenv (name);
    return v && *v ? strtol (v, NULL, 10) : fallback;
}

int
main (void)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    signal (SIGPIPE, SIG_IGN);
    uint64_t seed = (uint64_t) s_env_long ("CHEJIAN_FAULT_SEED", 0);
    if (!seed)
        seed = (uint64_t) time (NULL) ^ ((uint64_t) getpid () << 16);
    long total_s = s_env_long ("CHEJIAN_FAULT_SECONDS", 0);
    bool soak = total_s > 0;
    s_round_t round = { .seed = seed,
                        .seconds = soak ? (int) (total_s < 150 ? total_s : 150) : 45,
                        .employed = (int) s_env_long ("CHEJIAN_FAULT_EMPLOYED", soak ? 2500 : 938),
                        .corrections = (int) s_env_long ("CHEJIAN_FAULT_CORRECTIONS", 12) };
    printf ("fault test: seed %llu (CHEJIAN_FAULT_SEED=%llu reproduces it)\n",
            (unsigned long long) seed, (unsigned long long) seed);

    s_redis_t redis = { .port = cj_test_free_port () };
    snprintf (redis.dir, sizeof redis.dir, "%s", CJ_FAULT_REDIS_DIR);
    snprintf (redis.url, sizeof redis.url, "redis://127.0.0.1:%d/0", redis.port);
    char cmd[520];
    snprintf (cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", redis.dir, redis.dir);
    if (system (cmd) != 0 || s_redis_start (&redis, "everysec") != 0) {
        fprintf (stderr, "FAIL: cannot start redis-server in %s\n", redis.dir);
        return 1;
    }
    setenv ("CHEJIAN_TEST_REDIS_URL", redis.url, 1);
    char err[256];
    sample_t *sample = sample_new (CJ_SAMPLE_POLICY, round.employed, err, sizeof err);
    if (!sample) {
        fprintf (stderr, "FAIL: %s\n", err);
        s_redis_stop (&redis, SIGTERM);
        return 1;
    }
    int64_t t0 = cj_test_now_ms ();
    int failed = 0, rounds = 0;
    do {
        if (redis.pid <= 0 || rounds > 0) {   /* each round starts on everysec */
            s_redis_stop (&redis, SIGTERM);
            s_redis_start (&redis, "everysec");
        }
        failed += s_round (&redis, &round, sample);
        rounds++;
        round.seed = fault_rand (&round.seed) | 1;
    } while (soak && (cj_test_now_ms () - t0) / 1000 < total_s);
    s_redis_stop (&redis, SIGTERM);
    sample_destroy (&sample);
    printf ("%s: %d round(s) in %.1f s, %d failure(s)\n", failed ? "FAILED" : "PASSED", rounds,
            (double) (cj_test_now_ms () - t0) / 1000, fault_failures ());
    (void) errno;
    return failed ? 1 : 0;
}
