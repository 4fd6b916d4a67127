/*  payroll_harness.c - see payroll_harness.h.  */
#include "payroll_harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chejian/envelope.h"

#define S_SEP '\x1f'

/*  One value of the fake store: "<key>\x1f<field>" -> bytes ('deleted' in pending writes).  */
typedef struct {
    pay_rec_t rec;
    bool      deleted;
    size_t    len;
    uint8_t  *data;
} s_value_t;

/*  A pending write, kept in order so that a rollback can undo the latest ones.  */
typedef struct {
    char     *kf;
    s_value_t prev;       /* the pending value it replaced (rec.key NULL: none) */
} s_undo_t;

struct ph_t {
    payroll_t      *payroll;
    cj_pseudonym_t *pseudonym;
    char            key_file[64];
    pay_map_t      *committed, *pending;
    s_undo_t       *undo;
    size_t          nundo, cundo;
    uint8_t       **turn_events;          /* encoded envelopes emitted this turn */
    size_t         *turn_lens, nturn, cturn;
    cj_envelope_t **events;               /* committed, decoded */
    size_t          nevents, cevents;
    const cj_envelope_t *cause;
    unsigned        emitted;
    cj_problems_t   problems;
    pay_io_t        io;
    bool            fail_reads;
    cj_arena_t    *arena;
    pay_map_t      *accepted;             /* event ids accepted (committed), as dedup */
    char          **turn_ids;             /* accepted in this turn, not committed yet */
    size_t          nturn_ids, cturn_ids;
    void          **msgs;                 /* builders' allocations */
    size_t          nmsgs, cmsgs;
};

/*  ---- the fake store ----  */

static void
s_value_free (void *v)
{
    s_value_t *value = v;
    if (value) {
        free (value->data);
        free ((char *) value->rec.key);
    }
    free (value);
}

static char *
s_kf (const char *key, const char *field)
{
    size_t kl = strlen (key), fl = strlen (field);
    char *kf = malloc (kl + fl + 2);
    memcpy (kf, key, kl);
    kf[kl] = S_SEP;
    memcpy (kf + kl + 1, field, fl + 1);
    return kf;
}

static s_value_t *
s_value_new (const char *kf, const void *data, size_t len, bool deleted)
{
    s_value_t *v = calloc (1, sizeof *v);
    v->rec.key = strdup (kf);
    v->deleted = deleted;
    v->len = len;
    v->data = malloc (len + 1);
    if (len)
        memcpy (v->data, data, len);
    v->data[len] = 0;
    return v;
}

static void
s_put_pending (ph_t *self, const char *key, const char *field, const void *data, size_t len,
               bool deleted)
{
    char *kf = s_kf (key, field);
    if (self->nundo == self->cundo) {
        self->cundo = self->cundo ? self->cundo * 2 : 256;
        self->undo = realloc (self->undo, self->cundo * sizeof *self->undo);
    }
    s_value_t *prev = pay_map_take (self->pending, kf);
    s_undo_t *u = &self->undo[self->nundo++];
    memset (u, 0, sizeof *u);
    u->kf = kf;
    if (prev)
        u->prev = *prev;   /* its key and data now belong to the undo entry */
    free (prev);
    s_value_t *v = s_value_new (kf, data, len, deleted);
    pay_map_put (self->pending, v->rec.key, v);
}

static void
s_rollback (ph_t *self, size_t nundo)
{
    while (self->nundo > nundo) {
        s_undo_t *u = &self->undo[--self->nundo];
        s_value_free (pay_map_take (self->pending, u->kf));
        if (u->prev.rec.key) {
            s_value_t *v = malloc (sizeof *v);
            *v = u->prev;
            pay_map_put (self->pending, v->rec.key, v);
        }
        free (u->kf);
    }
}

static void
s_clear_undo (ph_t *self)
{
    for (size_t i = 0; i < self->nundo; i++) {
        free (self->undo[i].kf);
        free ((char *) self->undo[i].prev.rec.key);
        free (self->undo[i].prev.data);
    }
    self->nundo = 0;
}

static int
s_read (void *arg, pay_read_t *reads, size_t nreads)
{
    ph_t *self = arg;
    if (self->fail_reads)
        return -1;
    for (size_t r = 0; r < nreads; r++)
        for (size_t i = 0; i < reads[r].nfields; i++) {
            char *kf = s_kf (reads[r].key, reads[r].fields[i]);
            s_value_t *v = reads[r].pending ? pay_map_get (self->pending, kf) : NULL;
            v = v ? v : pay_map_get (self->committed, kf);
            pay_value_t *out = &reads[r].values[i];
            *out = (pay_value_t) { 0 };
            if (v && !v->deleted) {
                out->data = malloc (v->len + 1);
                memcpy (out->data, v->data, v->len + 1);
                out->len = v->len;
                out->found = true;
            }
            free (kf);
        }
    return 0;
}

typedef struct {
    const char *field;
    s_value_t  *value;
} s_row_t;

static int
s_cmp_row (const void *a, const void *b)
{
    return strcmp (((const s_row_t *) a)->field, ((const s_row_t *) b)->field);
}

/*  Every field of 'key' in the committed state, in field order (Redis gives some order).  */
static int
s_scan (void *arg, const char *key, pay_scan_fn *fn, void *fn_arg)
{
    ph_t *self = arg;
    if (self->fail_reads)
        return -1;
    size_t klen = strlen (key), cursor = 0, n = 0;
    s_row_t *rows = malloc ((pay_map_size (self->committed) + 1) * sizeof *rows);
    const char *kf;
    s_value_t *v;
    while ((v = pay_map_next (self->committed, &cursor, &kf)))
        if (strncmp (kf, key, klen) == 0 && kf[klen] == S_SEP)
            rows[n++] = (s_row_t) { kf + klen + 1, v };
    qsort (rows, n, sizeof *rows, s_cmp_row);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn (fn_arg, rows[i].field, rows[i].value->data, rows[i].value->len);
    free (rows);
    return rc ? -1 : 0;
}

static int
s_hset (void *arg, const char *key, const char *field, const void *data, size_t len)
{
    s_put_pending (arg, key, field, data, len, false);
    return 0;
}

static int
s_hdel (void *arg, const char *key, const char *field)
{
    s_put_pending (arg, key, field, "", 0, true);
    return 0;
}

/*  Packs the event as the runtime would (header from the cause) into the turn's events.  */
static int
s_emit (void *arg, int body_case, const ProtobufCMessage *body)
{
    ph_t *self = arg;
    cj_envelope_t ev = CHEJIAN__V1__ENVELOPE__INIT;
    char id[64];
    snprintf (id, sizeof id, "pay-%s-%u", self->cause->event_id, self->emitted++);
    ev.event_id = id;
    ev.source = PAYROLL_NAME;
    ev.occurred_at = self->cause->occurred_at;
    ev.county = self->cause->county;
    ev.causation_id = self->cause->event_id;
    ev.causation_source = self->cause->source;
    ev.body_case = body_case;
    memcpy (&ev.wage_line_applied, &body, sizeof body);
    size_t len;
    uint8_t *bytes = cj_message_pack (&ev.base, &len);
    if (self->nturn == self->cturn) {
        self->cturn = self->cturn ? self->cturn * 2 : 256;
        self->turn_events = realloc (self->turn_events, self->cturn * sizeof *self->turn_events);
        self->turn_lens = realloc (self->turn_lens, self->cturn * sizeof *self->turn_lens);
    }
    self->turn_events[self->nturn] = bytes;
    self->turn_lens[self->nturn++] = len;
    return 0;
}

static size_t
s_room (void *arg)
{
    return CJ_BATCH_MAX_EVENTS - ((ph_t *) arg)->nturn;
}

/*  ---- the harness ----  */

ph_t *
ph_new (void)
{
    ph_t *self = calloc (1, sizeof *self);
    snprintf (self->key_file, sizeof self->key_file, "/tmp/ph-key-%d-%p", (int) getpid (),
              (void *) self);
    unlink (self->key_file);
    char err[128];
    if (cj_pseudonym_create_key_file (self->key_file) != 0
        || !(self->pseudonym = cj_pseudonym_load (self->key_file, err, sizeof err))) {
        fprintf (stderr, "payroll harness: no pseudonym key\n");
        abort ();
    }
    self->payroll = payroll_new (self->pseudonym);
    self->committed = pay_map_new (s_value_free);
    self->pending = pay_map_new (s_value_free);
    self->accepted = pay_map_new (free);
    self->io = (pay_io_t) { self, s_read, s_scan, s_hset, s_hdel, s_emit, s_room };
    payroll_part (self->payroll, PH_PARTITION);
    return self;
}

static void
s_drop_turn (ph_t *self)
{
    for (size_t i = 0; i < self->nturn_ids; i++)
        free (self->turn_ids[i]);
    self->nturn_ids = 0;
    pay_map_clear (self->pending);
    s_clear_undo (self);
    for (size_t i = 0; i < self->nturn; i++)
        free (self->turn_events[i]);
    self->nturn = 0;
}

void
ph_destroy (ph_t **self_p)
{
    ph_t *self = *self_p;
    if (!self)
        return;
    s_drop_turn (self);
    ph_ack_done (self);
    ph_reset_messages (self);
    for (size_t i = 0; i < self->nevents; i++)
        cj_envelope_free (&self->events[i]);
    free (self->events);
    free (self->turn_events);
    free (self->turn_lens);
    free (self->undo);
    free (self->turn_ids);
    pay_map_destroy (&self->accepted);
    free (self->msgs);
    pay_map_destroy (&self->committed);
    pay_map_destroy (&self->pending);
    payroll_destroy (&self->payroll);
    cj_pseudonym_destroy (&self->pseudonym);
    unlink (self->key_file);
    free (self);
    *self_p = NULL;
}

payroll_t *ph_payroll (ph_t *self) { return self->payroll; }
pay_part_t *ph_part (ph_t *self) { return self->payroll->parts[PH_PARTITION]; }
const cj_pseudonym_t *ph_pseudonym (ph_t *self) { return self->pseudonym; }
const pay_io_t *ph_io (ph_t *self) { return &self->io; }
const cj_problems_t *ph_problems (ph_t *self) { return &self->problems; }
void ph_fail_reads (ph_t *self, bool fail) { self->fail_reads = fail; }
size_t ph_events (ph_t *self) { return self->nevents; }
const cj_envelope_t *ph_event_at (ph_t *self, size_t i) { return self->events[i]; }

bool
ph_has_problem (ph_t *self, const char *field, const char *code)
{
    return cj_problems_has (&self->problems, field, code);
}

/*  The core's handler of a command body (the service's table, for the tests).  */
static void
s_command_fns (int body_case, cj_validate_fn **ret_validate, pay_command_fn **ret_apply)
{
    switch (body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT:
        *ret_validate = pay_validate_wage_report;
        *ret_apply = pay_apply_wage_report;
        return;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDER_PAYMENT:
        *ret_validate = pay_validate_shareholder_payment;
        *ret_apply = pay_apply_shareholder_payment;
        return;
    default:
        *ret_validate = pay_validate_output_report;
        *ret_apply = pay_apply_output_report;
    }
}

int
ph_command (ph_t *self, const cj_envelope_t *env)
{
    cj_validate_fn *validate;
    pay_command_fn *apply;
    s_command_fns (env->body_case, &validate, &apply);
    cj_problems_init (&self->problems);
    bool seen = pay_map_get (self->accepted, env->event_id) != NULL;
    for (size_t i = 0; i < self->nturn_ids && !seen; i++)
        seen = strcmp (self->turn_ids[i], env->event_id) == 0;
    if (seen)
        return CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
    size_t mark = self->nundo, events = self->nturn;
    self->cause = env;
    self->emitted = 0;
    pay_part_t *part = ph_part (self);
    int rc = validate (env, &self->problems);
    if (rc == 0 && !cj_problems_any (&self->problems))
        rc = part->poisoned || pay_part_load (part, &self->io) != 0
             ? -1 : apply (self->payroll, part, &self->io, env, &self->problems);
    if (rc == 0 && !cj_problems_any (&self->problems)) {
        if (self->nturn_ids == self->cturn_ids) {
            self->cturn_ids = self->cturn_ids ? self->cturn_ids * 2 : 64;
            self->turn_ids = realloc (self->turn_ids, self->cturn_ids * sizeof *self->turn_ids);
        }
        self->turn_ids[self->nturn_ids++] = strdup (env->event_id);
        return CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
    }
    s_rollback (self, mark);
    while (self->nturn > events)
        free (self->turn_events[--self->nturn]);
    return cj_problems_any (&self->problems) ? CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
                                             : CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
}

/*  Registry events by body case, as the service's table routes them.  */
static pay_event_fn *
s_event_fn (int body_case)
{
    switch (body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED: return pay_on_workshop_registered;
    case CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_UPDATED: return pay_on_workshop_updated;
    case CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED: return pay_on_worker_registered;
    case CHEJIAN__V1__ENVELOPE__BODY_WORKER_UPDATED: return pay_on_worker_updated;
    case CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED: return pay_on_worker_status_changed;
    case CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED: return pay_on_employment_started;
    case CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_AMENDED: return pay_on_employment_amended;
    case CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED: return pay_on_employment_ended;
    case CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDING_RECORDED: return pay_on_shareholding_recorded;
    default: return NULL;
    }
}

int
ph_event (ph_t *self, const cj_envelope_t *env)
{
    pay_part_t *part = ph_part (self);
    pay_event_fn *fn = s_event_fn (env->body_case);
    if (!fn || part->poisoned)
        return 0;
    self->cause = env;
    if (pay_part_load (part, &self->io) != 0 || fn (part, &self->io, env) != 0)
        part->poisoned = true;
    return 0;
}

int
ph_commit (ph_t *self)
{
    pay_part_t *part = ph_part (self);
    if (!part->poisoned && part->emitted == self->nturn && pay_flush (part, &self->io) == 0) {
        size_t cursor = 0;
        s_value_t *v;
        while ((v = pay_map_next (self->pending, &cursor, NULL))) {
            if (v->deleted) {
                s_value_free (pay_map_take (self->committed, v->rec.key));
                continue;
            }
            s_value_t *copy = s_value_new (v->rec.key, v->data, v->len, false);
            pay_map_put (self->committed, copy->rec.key, copy);
        }
        for (size_t i = 0; i < self->nturn_ids; i++) {
            pay_map_put (self->accepted, self->turn_ids[i], self->turn_ids[i]);
            self->turn_ids[i] = NULL;
        }
        for (size_t i = 0; i < self->nturn; i++) {
            if (self->nevents == self->cevents) {
                self->cevents = self->cevents ? self->cevents * 2 : 256;
                self->events = realloc (self->events, self->cevents * sizeof *self->events);
            }
            self->events[self->nevents++] = cj_envelope_decode (self->turn_events[i],
                                                                self->turn_lens[i], NULL);
        }
        s_drop_turn (self);
        return 0;
    }
    s_drop_turn (self);
    pay_part_reset (part);
    return -1;
}

void
ph_restart (ph_t *self)
{
    s_drop_turn (self);
    pay_part_reset (ph_part (self));
}

int
ph_query (ph_t *self, const cj_envelope_t *env, cj_ack_t *ack)
{
    ph_ack_done (self);
    cj_problems_init (&self->problems);
    self->arena = cj_arena_new ();
    chejian__v1__ack__init (ack);
    pay_query_t q = { self->payroll, PH_PARTITION, &self->io, env, ack, self->arena,
                      &self->problems };
    pay_query_fn *fn = env->body_case == CHEJIAN__V1__ENVELOPE__BODY_GET_WORKER_INCOME
                       ? pay_query_worker_income
                       : env->body_case == CHEJIAN__V1__ENVELOPE__BODY_GET_WORKSHOP_PAYROLL
                       ? pay_query_workshop_payroll
                       : env->body_case == CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY
                       ? pay_query_county_summary
                       : env->body_case == CHEJIAN__V1__ENVELOPE__BODY_GET_WAGE_REPORT
                       ? pay_query_wage_report : pay_query_shareholder_payments;
    return fn (&q);
}

void
ph_ack_done (ph_t *self)
{
    cj_arena_destroy (&self->arena);
}

/*  ---- message builders ----  */

static void *
s_msg (ph_t *self, size_t size)
{
    if (self->nmsgs == self->cmsgs) {
        self->cmsgs = self->cmsgs ? self->cmsgs * 2 : 256;
        self->msgs = realloc (self->msgs, self->cmsgs * sizeof *self->msgs);
    }
    return self->msgs[self->nmsgs++] = calloc (1, size);
}

static char *
s_str (ph_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof buf, fmt, ap);
    va_end (ap);
    char *s = s_msg (self, strlen (buf) + 1);
    strcpy (s, buf);
    return s;
}

void
ph_reset_messages (ph_t *self)
{
    for (size_t i = 0; i < self->nmsgs; i++)
        free (self->msgs[i]);
    self->nmsgs = 0;
}

void
ph_resident_id (unsigned n, char out[CJ_RESIDENT_ID_LEN + 1])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int32_t birth = cj_date_from_days (cj_date_to_days (19700101) + (int32_t) (n / 1000));
    snprintf (out, CJ_RESIDENT_ID_LEN + 1, "510822%08d%03u", (int) birth, n % 1000);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = 0;
}

void
ph_worker_key (ph_t *self, const char *resident_id, char out[CJ_PSEUDONYM_HEX + 1])
{
    cj_pseudonym_of (self->pseudonym, "worker", resident_id, out);
}

cj_envelope_t *
ph_envelope (ph_t *self, const char *county, int body_case, void *body)
{
    static unsigned seq;
    cj_envelope_t *env = s_msg (self, sizeof *env);
    chejian__v1__envelope__init (env);
    env->event_id = s_str (self, "ev-%u", ++seq);
    env->source = "hrss";
    env->occurred_at = 1600000000000;
    env->county = s_str (self, "%s", county);
    env->body_case = body_case;
    memcpy (&env->wage_line_applied, &body, sizeof body);
    return env;
}

cj_envelope_t *
ph_workshop_registered (ph_t *self, const char *county, const char *id, int type,
                        int32_t opened, uint32_t version)
{
    Chejian__V1__WorkshopDetails *d = s_msg (self, sizeof *d);
    chejian__v1__workshop_details__init (d);
    d->type = type;
    d->role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
    d->opened_date = opened;
    if (version > 1) {
        Chejian__V1__WorkshopUpdated *u = s_msg (self, sizeof *u);
        chejian__v1__workshop_updated__init (u);
        u->workshop_id = s_str (self, "%s", id);
        u->version = version;
        u->details = d;
        return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_UPDATED, u);
    }
    Chejian__V1__WorkshopRegistered *w = s_msg (self, sizeof *w);
    chejian__v1__workshop_registered__init (w);
    w->workshop_id = s_str (self, "%s", id);
    w->version = 1;
    w->details = d;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED, w);
}

cj_envelope_t *
ph_worker_registered (ph_t *self, const char *county, const char *resident_id, int poverty,
                      int32_t status_date, int64_t baseline, int32_t baseline_year)
{
    Chejian__V1__WorkerRegistered *w = s_msg (self, sizeof *w);
    Chejian__V1__WorkerDetails *d = s_msg (self, sizeof *d);
    Chejian__V1__WorkerStatus *st = s_msg (self, sizeof *st);
    chejian__v1__worker_registered__init (w);
    chejian__v1__worker_details__init (d);
    chejian__v1__worker_status__init (st);
    char key[CJ_PSEUDONYM_HEX + 1], masked[CJ_RESIDENT_ID_LEN + 1];
    ph_worker_key (self, resident_id, key);
    cj_resident_id_mask (resident_id, masked);
    w->worker_key = s_str (self, "%s", key);
    w->resident_id_masked = s_str (self, "%s", masked);
    d->baseline_annual_income_fen = baseline;
    d->baseline_year = baseline_year;
    st->poverty_status = poverty;
    w->details = d;
    w->status = st;
    w->status_date = status_date;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKER_REGISTERED, w);
}

cj_envelope_t *
ph_status_changed (ph_t *self, const char *county, const char *resident_id, int poverty,
                   int32_t effective)
{
    Chejian__V1__WorkerStatusChanged *w = s_msg (self, sizeof *w);
    Chejian__V1__StatusChange *c = s_msg (self, sizeof *c);
    chejian__v1__worker_status_changed__init (w);
    chejian__v1__status_change__init (c);
    char key[CJ_PSEUDONYM_HEX + 1];
    ph_worker_key (self, resident_id, key);
    w->worker_key = s_str (self, "%s", key);
    c->effective_date = effective;
    c->change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS;
    c->poverty_status = poverty;
    w->change = c;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKER_STATUS_CHANGED, w);
}

cj_envelope_t *
ph_worker_updated (ph_t *self, const char *county, const char *resident_id, int64_t baseline,
                   int32_t baseline_year)
{
    Chejian__V1__WorkerUpdated *w = s_msg (self, sizeof *w);
    Chejian__V1__WorkerDetails *d = s_msg (self, sizeof *d);
    chejian__v1__worker_updated__init (w);
    chejian__v1__worker_details__init (d);
    char key[CJ_PSEUDONYM_HEX + 1];
    ph_worker_key (self, resident_id, key);
    w->worker_key = s_str (self, "%s", key);
    d->baseline_annual_income_fen = baseline;
    d->baseline_year = baseline_year;
    w->details = d;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_WORKER_UPDATED, w);
}

cj_envelope_t *
ph_employment_started (ph_t *self, const char *county, const char *id, const char *resident_id,
                       const char *workshop_id, int32_t start)
{
    Chejian__V1__EmploymentStarted *e = s_msg (self, sizeof *e);
    Chejian__V1__EmploymentTerms *t = s_msg (self, sizeof *t);
    chejian__v1__employment_started__init (e);
    chejian__v1__employment_terms__init (t);
    char key[CJ_PSEUDONYM_HEX + 1];
    ph_worker_key (self, resident_id, key);
    e->employment_id = s_str (self, "%s", id);
    e->worker_key = s_str (self, "%s", key);
    e->workshop_id = s_str (self, "%s", workshop_id);
    t->start_date = start;
    t->pay_basis = PAY_MONTHLY;
    e->terms = t;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_STARTED, e);
}

cj_envelope_t *
ph_employment_ended (ph_t *self, const char *county, const char *id, const char *resident_id,
                     const char *workshop_id, int32_t start, int32_t end, int reason)
{
    Chejian__V1__EmploymentEnded *e = s_msg (self, sizeof *e);
    chejian__v1__employment_ended__init (e);
    char key[CJ_PSEUDONYM_HEX + 1];
    ph_worker_key (self, resident_id, key);
    e->employment_id = s_str (self, "%s", id);
    e->worker_key = s_str (self, "%s", key);
    e->workshop_id = s_str (self, "%s", workshop_id);
    e->start_date = start;
    e->end_date = end;
    e->reason = reason;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_EMPLOYMENT_ENDED, e);
}

cj_envelope_t *
ph_shareholding (ph_t *self, const char *county, const char *id, const char *resident_id,
                 const char *workshop_id, uint32_t version)
{
    Chejian__V1__ShareholdingRecorded *s = s_msg (self, sizeof *s);
    chejian__v1__shareholding_recorded__init (s);
    char key[CJ_PSEUDONYM_HEX + 1] = "";
    if (resident_id)
        ph_worker_key (self, resident_id, key);
    s->shareholding_id = s_str (self, "%s", id);
    s->version = version;
    s->household_key = s_str (self, "hh-%s", id);
    s->worker_key = s_str (self, "%s", key);
    s->workshop_id = s_str (self, "%s", workshop_id);
    s->guaranteed_annual_fen = 50000;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_SHAREHOLDING_RECORDED, s);
}

cj_envelope_t *
ph_wage_report (ph_t *self, const char *county, const char *workshop_id, int32_t period,
                uint32_t revision, const ph_line_t *lines, size_t n)
{
    Chejian__V1__SubmitWageReport *r = s_msg (self, sizeof *r);
    chejian__v1__submit_wage_report__init (r);
    r->workshop_id = s_str (self, "%s", workshop_id);
    r->period = period;
    r->revision = revision;
    r->lines = s_msg (self, (n + 1) * sizeof *r->lines);
    for (size_t i = 0; i < n; i++) {
        Chejian__V1__WageLine *l = s_msg (self, sizeof *l);
        chejian__v1__wage_line__init (l);
        l->resident_id = s_str (self, "%s", lines[i].resident_id);
        l->employment_id = s_str (self, "%s", lines[i].employment_id);
        l->pay_basis = lines[i].basis ? lines[i].basis : PAY_MONTHLY;
        l->gross_fen = lines[i].gross;
        l->days_worked = l->pay_basis == PAY_MONTHLY && lines[i].gross ? 22 : 0;
        l->pieces = lines[i].pieces;
        l->unit_rate_millifen = lines[i].rate;
        l->work_site = lines[i].site ? lines[i].site : CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
        r->lines[r->n_lines++] = l;
    }
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT, r);
}

cj_envelope_t *
ph_payment (ph_t *self, const char *county, const char *shareholding_id, int32_t year,
            int kind, int64_t amount)
{
    Chejian__V1__RecordShareholderPayment *p = s_msg (self, sizeof *p);
    chejian__v1__record_shareholder_payment__init (p);
    p->shareholding_id = s_str (self, "%s", shareholding_id);
    p->year = year;
    p->kind = kind;
    p->amount_fen = amount;
    p->paid_date = year * 10000 + 1231;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDER_PAYMENT, p);
}

cj_envelope_t *
ph_output (ph_t *self, const char *county, const char *workshop_id, int32_t first,
           int32_t last, int64_t output)
{
    Chejian__V1__SubmitOutputReport *o = s_msg (self, sizeof *o);
    chejian__v1__submit_output_report__init (o);
    o->workshop_id = s_str (self, "%s", workshop_id);
    o->first_period = first;
    o->last_period = last;
    o->output_value_fen = output;
    return ph_envelope (self, county, CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_OUTPUT_REPORT, o);
}
