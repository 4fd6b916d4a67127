/*  fault_load.c - the load generator and its ledger: every command of the sample county sent
 *  through the gateway over CURVE, a window of requests in flight, a request with no answer
 *  or UNAVAILABLE sent again later with the same bytes (so the same event_id), in random
 *  order; acknowledged envelopes re-sent at random (DUPLICATE with the first outcome
 *  expected); wage reports in flight at a fault abandoned, and resolved at the end of their
 *  file: all or nothing in payroll's state, and the answer to one more send agreeing with it.
 *  See fault.h.  */
#include "fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "test_support.h"

#define S_ACK_WAIT_MS   6000   /* an Ack not here by then: the request is sent again */
#define S_QUIET_MS      6000   /* abandoned requests are resolved this long after a fault */
#define S_AGENCIES      3

#define ST(x) CHEJIAN__V1__ACK_STATUS__ACK_STATUS_##x

struct fault_load_t {
    cj_test_system_t *sys;
    void             *zctx;
    cj_client_t      *clients[S_AGENCIES];
    uint64_t          rng;
    fault_item_t     *items;
    size_t            n, cap;
    long             *ledger;
    size_t            nledger;
    long             *index;        /* open addressing: item + 1, 0 empty */
    size_t            index_cap;
    int               window, probe_permille;
    double            pace;
    fault_tick_fn    *tick;
    void             *tick_arg;
    int64_t           last_disturbed;
    fault_counts_t    counts;
};

static const char *const s_sources[S_AGENCIES] = { "hrss-510822", "finance-510822",
                                                   "bank-510822" };

/*  ---- the generator and the failures ----  */

uint64_t
fault_rand (uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

int
fault_between (uint64_t *state, int lo, int hi)
{
    return lo + (int) (fault_rand (state) % (uint64_t) (hi - lo + 1));
}

static int s_failures;

void
fault_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stdout, "FAIL ");
    vfprintf (stdout, fmt, ap);
    fprintf (stdout, "\n");
    fflush (stdout);
    va_end (ap);
    s_failures++;
}

int
fault_failures (void)
{
    return s_failures;
}

/*  ---- items and their index ----  */

static uint32_t
s_hash (int agency, const char *event_id)
{
    uint32_t h = 2166136261u ^ (uint32_t) agency;
    for (const unsigned char *p = (const unsigned char *) event_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static int
s_reindex (fault_load_t *self)
{
    size_t cap = 1024;
    while (cap < self->n * 2)
        cap *= 2;
    free (self->index);
    self->index = calloc (cap, sizeof *self->index);
    if (!self->index)
        return -1;
    self->index_cap = cap;
    for (size_t i = 0; i < self->n; i++) {
        size_t slot = s_hash (self->items[i].agency, self->items[i].event_id) & (cap - 1);
        while (self->index[slot])
            slot = (slot + 1) & (cap - 1);
        self->index[slot] = (long) i + 1;
    }
    return 0;
}

static fault_item_t *
s_find (fault_load_t *self, int agency, const char *event_id)
{
    if (!self->index_cap || !event_id)
        return NULL;
    size_t slot = s_hash (agency, event_id) & (self->index_cap - 1);
    for (; self->index[slot]; slot = (slot + 1) & (self->index_cap - 1)) {
        fault_item_t *it = &self->items[self->index[slot] - 1];
        if (it->agency == agency && strcmp (it->event_id, event_id) == 0)
            return it;
    }
    return NULL;
}

static fault_item_t *
s_new_item (fault_load_t *self)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 4096;
        fault_item_t *items = realloc (self->items, cap * sizeof *items);
        if (!items)
            return NULL;
        self->items = items;
        self->cap = cap;
    }
    fault_item_t *it = &self->items[self->n++];
    memset (it, 0, sizeof *it);
    it->dep = -1;
    it->expect = -1;
    return it;
}

/*  Fills 'it' from 'env' (packed here).  */
static int
s_fill (fault_item_t *it, const cj_envelope_t *env, int file)
{
    it->bytes = cj_message_pack (&env->base, &it->len);
    it->event_id = strdup (env->event_id);
    it->file = file;
    it->body_case = env->body_case;
    it->agency = -1;
    for (int a = 0; a < S_AGENCIES; a++)
        if (strcmp (env->source, s_sources[a]) == 0)
            it->agency = a;
    if (env->body_case == CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT) {
        it->workshop = strdup (env->submit_wage_report->workshop_id);
        it->period = env->submit_wage_report->period;
    }
    return it->bytes && it->event_id && it->agency >= 0 ? 0 : -1;
}

/*  A correction of wage report 'orig': every MONTHLY line paid something gets 1 yuan more
 *  (so every aggregate moves), under a new event id; it depends on the original.  */
static int
s_add_correction (fault_load_t *self, size_t orig, int k)
{
    cj_envelope_t *env = (cj_envelope_t *) protobuf_c_message_unpack (
        &chejian__v1__envelope__descriptor, NULL, self->items[orig].len, self->items[orig].bytes);
    if (!env)
        return -1;
    Chejian__V1__SubmitWageReport *r = env->submit_wage_report;
    int64_t delta = 0;
    for (size_t i = 0; i < r->n_lines; i++)
        if (r->lines[i]->pay_basis == CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY
            && r->lines[i]->gross_fen > 0) {
            r->lines[i]->gross_fen += 100;
            delta += 100;
        }
    if (r->total_gross_fen)
        r->total_gross_fen += delta;
    char id[160];
    snprintf (id, sizeof id, "%s-fix%d", env->event_id, k);
    char *old_id = env->event_id;
    env->event_id = id;
    env->occurred_at += 3600 * 1000;
    fault_item_t *it = s_new_item (self);
    int rc = it ? s_fill (it, env, (int) self->items[orig].file) : -1;
    env->event_id = old_id;
    protobuf_c_message_free_unpacked (&env->base, NULL);
    if (rc != 0)
        return -1;
    it->dep = (long) orig;
    self->items[orig].corrected = true;
    return 0;
}

int
fault_load_add_sample (fault_load_t *self, const sample_t *sample, int corrections)
{
    size_t first = self->n, count = sample_count (sample);
    for (size_t i = 0; i < count; i++) {
        const sample_item_t *s = sample_item (sample, i);
        fault_item_t *it = s_new_item (self);
        if (!it || s_fill (it, s->env, (int) s->file) != 0)
            return -1;
    }
    for (size_t i = 0; i < count; i++)   /* an employment ends after it started */
        if (sample_item (sample, i)->end_item >= 0)
            self->items[first + (size_t) sample_item (sample, i)->end_item].dep = (long) (first + i);
    size_t n = self->n;
    for (int k = 0; k < corrections; k++)
        for (int tries = 0; tries < 100; tries++) {
            size_t pick = first + (size_t) (fault_rand (&self->rng) % (n - first));
            fault_item_t *it = &self->items[pick];
            if (it->workshop && !it->corrected) {
                if (s_add_correction (self, pick, k) != 0)
                    return -1;
                break;
            }
        }
    return s_reindex (self);
}

int
fault_load_add_ledger (fault_load_t *self, const fault_load_t *from)
{
    size_t first = self->n;
    long *map = malloc (from->n * sizeof *map);
    if (!map)
        return -1;
    for (size_t i = 0; i < from->n; i++)
        map[i] = -1;
    for (size_t k = 0; k < from->nledger; k++) {
        const fault_item_t *src = &from->items[from->ledger[k]];
        fault_item_t *it = s_new_item (self);
        if (!it) {
            free (map);
            return -1;
        }
        it->event_id = strdup (src->event_id);
        it->bytes = malloc (src->len);
        if (!it->event_id || !it->bytes) {
            free (map);
            return -1;
        }
        memcpy (it->bytes, src->bytes, src->len);
        it->len = src->len;
        it->agency = src->agency;
        it->file = src->file;
        it->body_case = src->body_case;
        it->dep = src->dep;
        it->workshop = src->workshop ? strdup (src->workshop) : NULL;
        it->period = src->period;
        it->corrected = src->corrected;
        map[from->ledger[k]] = (long) (self->n - 1);
    }
    for (size_t i = first; i < self->n; i++)
        if (self->items[i].dep >= 0)
            self->items[i].dep = map[self->items[i].dep];
    free (map);
    return s_reindex (self);
}

/*  ---- the object ----  */

fault_load_t *
fault_load_new (cj_test_system_t *sys, const cj_curve_keypair_t kps[3], uint64_t seed)
{
    fault_load_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->sys = sys;
    self->rng = seed;
    self->window = 64;
    self->zctx = zmq_ctx_new ();
    for (int a = 0; a < S_AGENCIES; a++)
        if (!(self->clients[a] = cj_client_new_curve (self->zctx, sys->gw.router, &kps[a],
                                                      sys->gateway.public_key)))
            fault_load_destroy (&self);
    return self;
}

void
fault_load_destroy (fault_load_t **self_p)
{
    fault_load_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (int a = 0; a < S_AGENCIES; a++)
        cj_client_destroy (&self->clients[a]);
    if (self->zctx)
        zmq_ctx_term (self->zctx);
    for (size_t i = 0; i < self->n; i++) {
        free (self->items[i].event_id);
        free (self->items[i].bytes);
        free (self->items[i].workshop);
    }
    free (self->items);
    free (self->ledger);
    free (self->index);
    free (self);
    *self_p = NULL;
}

void
fault_load_set (fault_load_t *self, int window, double pace, int probe_permille,
                fault_tick_fn *tick, void *tick_arg)
{
    self->window = window;
    self->pace = pace;
    self->probe_permille = probe_permille;
    self->tick = tick;
    self->tick_arg = tick_arg;
}

const fault_counts_t *
fault_load_counts (const fault_load_t *self)
{
    return &self->counts;
}

size_t
fault_load_count (const fault_load_t *self)
{
    return self->n;
}

const fault_item_t *
fault_load_item (const fault_load_t *self, size_t i)
{
    return &self->items[i];
}

const long *
fault_load_ledger (const fault_load_t *self, size_t *ret_n)
{
    *ret_n = self->nledger;
    return self->ledger;
}

void
fault_load_disturbed (fault_load_t *self)
{
    self->last_disturbed = cj_test_now_ms ();
}

int
fault_load_inflight_reports (const fault_load_t *self)
{
    int n = 0;
    for (size_t i = 0; i < self->n; i++)
        n += self->items[i].state == FI_INFLIGHT && self->items[i].workshop
             && !self->items[i].corrected && self->items[i].dep < 0;
    return n;
}

int
fault_load_abandon (fault_load_t *self, int percent)
{
    int n = 0;
    for (size_t i = 0; i < self->n; i++) {
        fault_item_t *it = &self->items[i];
        if ((it->state == FI_INFLIGHT || it->state == FI_RETRY) && it->workshop
            && !it->corrected && it->dep < 0 && !it->was_abandoned
            && fault_between (&self->rng, 1, 100) <= percent) {
            it->state = FI_ABANDONED;
            it->was_abandoned = true;
            n++;
        }
    }
    self->counts.abandoned += n;
    fault_load_disturbed (self);
    return n;
}

/*  ---- sending and receiving ----  */

static void
s_send (fault_load_t *self, fault_item_t *it)
{
    int64_t now = cj_test_now_ms ();
    if (cj_client_send_bytes (self->clients[it->agency], it->bytes, it->len, 0) != 0) {
        it->state = FI_RETRY;   /* the send queue is full (gateway away): later */
        it->due_ms = now + 200;
        return;
    }
    if (it->sends++ == 0)
        self->counts.sent++;
    else
        self->counts.retries++;
    it->state = FI_INFLIGHT;
    it->due_ms = now + S_ACK_WAIT_MS;
}

static void
s_probe (fault_load_t *self)
{
    if (!self->nledger)
        return;
    fault_item_t *it = &self->items[self->ledger[fault_rand (&self->rng) % self->nledger]];
    if (it->probe_pending || it->state != FI_ACKED)
        return;
    if (cj_client_send_bytes (self->clients[it->agency], it->bytes, it->len, 0) == 0) {
        it->probe_pending = true;
        self->counts.probes++;
    }
}

static bool
s_only_not_yet_known (const cj_ack_t *ack)
{
    if (!ack->n_problems)
        return false;
    for (size_t i = 0; i < ack->n_problems; i++)
        if (strcmp (ack->problems[i]->code, "NOT_YET_KNOWN") != 0)
            return false;
    return true;
}

/*  The first ACCEPTED/DUPLICATE of an item: the ledger's record.  */
static void
s_first_ack (fault_load_t *self, fault_item_t *it, const cj_ack_t *ack)
{
    if (ack->status == ST (DUPLICATE) && ack->original_status != ST (ACCEPTED))
        fault_fail ("%s: DUPLICATE of a first outcome %d, not ACCEPTED", it->event_id,
                    (int) ack->original_status);
    if (it->expect == 1 && ack->status != ST (DUPLICATE))
        fault_fail ("%s: abandoned, its report was in payroll's state, yet a new send was %s "
                    "(applied twice?)", it->event_id, cj_ack_status_name (ack->status));
    if (it->expect == 0 && ack->status != ST (ACCEPTED) && it->sends <= it->sends_at_resolve + 1)
        fault_fail ("%s: abandoned, nothing of it in payroll's state, yet a new send was %s "
                    "(half-applied, or a dedup record without its writes)", it->event_id,
                    cj_ack_status_name (ack->status));
    it->state = FI_ACKED;
    it->first_status = ack->status;
    it->first_seq = ack->first_seq;
    it->last_seq = ack->last_seq;
    self->ledger[self->nledger++] = it - self->items;
    self->counts.acked++;
    if (ack->status == ST (ACCEPTED))
        self->counts.accepted++;
    else
        self->counts.duplicates++;
}

/*  Another Ack of an item already acknowledged (a probe's, or a late one of an earlier send):
 *  the outcome must be the first one's.  */
static void
s_later_ack (fault_load_t *self, fault_item_t *it, const cj_ack_t *ack)
{
    bool probe = it->probe_pending;
    it->probe_pending = false;
    if (ack->status == ST (UNAVAILABLE))
        return;
    if (ack->status == ST (ACCEPTED))
        fault_fail ("%s: ACCEPTED again after its first acknowledgement (applied twice)",
                    it->event_id);
    else if (ack->status != ST (DUPLICATE) || ack->original_status != ST (ACCEPTED)
             || ack->first_seq != it->first_seq || ack->last_seq != it->last_seq)
        fault_fail ("%s: a re-send answered %s (original %d, seqs %llu-%llu) after the first "
                    "outcome %s (seqs %llu-%llu)", it->event_id, cj_ack_status_name (ack->status),
                    (int) ack->original_status, (unsigned long long) ack->first_seq,
                    (unsigned long long) ack->last_seq, cj_ack_status_name (it->first_status),
                    (unsigned long long) it->first_seq, (unsigned long long) it->last_seq);
    else if (probe)
        self->counts.probes_ok++;
    else
        self->counts.late_acks++;
}

static void
s_on_ack (fault_load_t *self, int agency, cj_ack_t *ack)
{
    fault_item_t *it = s_find (self, agency, ack->event_id);
    if (!it)
        return;
    int64_t now = cj_test_now_ms ();
    bool applied = ack->status == ST (ACCEPTED) || ack->status == ST (DUPLICATE);
    switch (it->state) {
    case FI_ACKED:
        s_later_ack (self, it, ack);
        break;
    case FI_ABANDONED:
        it->seen_applied |= applied;
        break;
    case FI_INFLIGHT:
    case FI_RETRY:
    case FI_PENDING:
        if (applied)
            s_first_ack (self, it, ack);
        else if (ack->status == ST (UNAVAILABLE)) {
            self->counts.unavailable++;
            it->state = FI_RETRY;
            it->due_ms = now + fault_between (&self->rng, 100, 1500);
        } else if (ack->status == ST (REJECTED) && s_only_not_yet_known (ack)) {
            self->counts.not_yet_known++;
            it->state = FI_RETRY;
            it->due_ms = now + fault_between (&self->rng, 200, 800);
        } else {
            it->state = FI_FAILED;
            fault_fail ("%s: %s, first problem %s %s", it->event_id,
                        cj_ack_status_name (ack->status),
                        ack->n_problems ? ack->problems[0]->field : "-",
                        ack->n_problems ? ack->problems[0]->code : "-");
        }
        break;
    case FI_FAILED:
        break;
    }
}

void
fault_load_pump (fault_load_t *self, int ms)
{
    zmq_pollitem_t items[S_AGENCIES];
    for (int a = 0; a < S_AGENCIES; a++)
        items[a] = (zmq_pollitem_t) { cj_client_socket (self->clients[a]), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (items, S_AGENCIES, ms) <= 0)
        return;
    for (int a = 0; a < S_AGENCIES; a++) {
        cj_ack_t *ack;
        for (int k = 0; k < 1000 && (ack = cj_client_recv (self->clients[a], 0)); k++) {
            s_on_ack (self, a, ack);
            cj_ack_free (&ack);
        }
    }
}

/*  ---- resolving abandoned wage reports ----  */

/*  Payroll's current report for the item's workshop and month against the item: 1 when it
 *  is there whole, 0 when nothing of it is, -1 when payroll did not answer. A report there
 *  in part is a failure (reported; counts as there).  */
static int
s_report_state (fault_load_t *self, const fault_item_t *it)
{
    Chejian__V1__GetWageReport q = CHEJIAN__V1__GET_WAGE_REPORT__INIT;
    Chejian__V1__PageRequest page = CHEJIAN__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    q.workshop_id = it->workshop;
    q.period = it->period;
    q.page = &page;
    cj_ack_t *ack = fault_query (self->sys->pay.router,
                                 CHEJIAN__V1__ENVELOPE__BODY_GET_WAGE_REPORT, &q);
    if (!ack || ack->result_case != CHEJIAN__V1__ACK__RESULT_WAGE_REPORT) {
        cj_ack_free (&ack);
        return -1;
    }
    cj_envelope_t *env = (cj_envelope_t *) protobuf_c_message_unpack (
        &chejian__v1__envelope__descriptor, NULL, it->len, it->bytes);
    const Chejian__V1__SubmitWageReport *r = env ? env->submit_wage_report : NULL;
    int64_t total = 0;
    for (size_t i = 0; r && i < r->n_lines; i++)
        total += r->lines[i]->gross_fen;
    const Chejian__V1__WageReportView *v = ack->wage_report;
    int state;
    if (v->revision == 0 && v->line_count == 0 && v->total_gross_fen == 0)
        state = 0;
    else {
        state = 1;
        if (!r || strcmp (v->event_id, it->event_id) != 0 || v->line_count != r->n_lines
            || v->total_gross_fen != total)
            fault_fail ("%s: abandoned wage report half-applied or replaced: %u of %zu lines, "
                        "%lld of %lld fen, by %s", it->event_id, v->line_count,
                        r ? r->n_lines : 0, (long long) v->total_gross_fen, (long long) total,
                        v->event_id);
    }
    if (env)
        protobuf_c_message_free_unpacked (&env->base, NULL);
    cj_ack_free (&ack);
    return state;
}

/*  Resolves the abandoned items of 'file' once every other item of it is acknowledged and
 *  things have been quiet for S_QUIET_MS. Returns true when it resolved them.  */
static bool
s_resolve (fault_load_t *self, int file)
{
    if (cj_test_now_ms () - self->last_disturbed < S_QUIET_MS)
        return false;
    for (size_t i = 0; i < self->n; i++) {
        fault_item_t *it = &self->items[i];
        if (it->file != file || it->state != FI_ABANDONED)
            continue;
        int state = s_report_state (self, it);
        if (state < 0)
            return false;
        if (it->seen_applied && state == 0)
            fault_fail ("%s: an Ack said it was applied, payroll's state has none of it",
                        it->event_id);
        it->expect = state;
        it->sends_at_resolve = it->sends;
        it->state = FI_PENDING;
        if (state)
            self->counts.resolved_applied++;
        else
            self->counts.resolved_missing++;
    }
    return true;
}

/*  ---- the loop ----  */

int
fault_load_run (fault_load_t *self, int first, int last, int timeout_s)
{
    if (!self->ledger && !(self->ledger = malloc ((self->n + 1) * sizeof *self->ledger)))
        return -1;
    int64_t start = cj_test_now_ms (), until = start + (int64_t) timeout_s * 1000;
    long first_sends = self->counts.sent;
    size_t total = 0;
    for (size_t i = 0; i < self->n; i++)
        total += self->items[i].file >= first && self->items[i].file <= last;
    for (int file = first; file <= last; file++) {
        int window = file == SAMPLE_SETUP || file == SAMPLE_DECISIONS ? 1 : self->window;
        for (;;) {
            int64_t now = cj_test_now_ms ();
            if (now > until) {
                fault_fail ("the load of files %d..%d did not finish in %d s", first, last,
                            timeout_s);
                return -1;
            }
            int inflight = 0, open = 0, abandoned = 0;
            size_t done = 0;
            for (size_t i = 0; i < self->n; i++) {
                fault_item_t *it = &self->items[i];
                if (it->file < first || it->file > last)
                    continue;
                done += it->state == FI_ACKED || it->state == FI_FAILED;
                if (it->file != file)
                    continue;
                if (it->state == FI_INFLIGHT && now >= it->due_ms) {
                    self->counts.timeouts++;
                    it->state = FI_RETRY;
                    it->due_ms = now + fault_between (&self->rng, 0, 1000);
                }
                inflight += it->state == FI_INFLIGHT || it->state == FI_RETRY;
                open += it->state != FI_ACKED && it->state != FI_FAILED;
                abandoned += it->state == FI_ABANDONED;
            }
            if (self->tick)
                self->tick (self->tick_arg, total ? (double) done / (double) total : 1);
            if (!open)
                break;
            if (open == abandoned)
                s_resolve (self, file);
            double allowed = self->pace > 0
                ? self->pace * (double) (now - start) / 1000 + 8 : 1e18;
            for (size_t i = 0; i < self->n; i++) {
                fault_item_t *it = &self->items[i];
                if (it->file != file)
                    continue;
                bool ready = (it->state == FI_PENDING && inflight < window
                              && (it->dep < 0 || self->items[it->dep].state == FI_ACKED)
                              && (it->sends > 0 || (double) (self->counts.sent - first_sends) < allowed))
                          || (it->state == FI_RETRY && now >= it->due_ms);
                if (!ready)
                    continue;
                inflight += it->state == FI_PENDING;
                s_send (self, it);
                if (self->probe_permille && fault_between (&self->rng, 1, 1000) <= self->probe_permille)
                    s_probe (self);
            }
            fault_load_pump (self, 5);
        }
    }
    return 0;
}
