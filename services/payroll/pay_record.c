/*  pay_record.c - the payroll's records: each kind's hash, its in-memory form and its stored
 *  form (packed protobuf, payroll_state.proto), their keys, and reading them for queries.
 *  See payroll_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "chejian/store.h"
#include "payroll_internal.h"


typedef struct {
    const char *hash;        /* cj:{pN}:pay:<hash> */
    size_t      size;        /* of the record struct; the key is stored after it */
    int       (*decode) (void *rec, const uint8_t *data, size_t len);
    int       (*encode) (pay_part_t *part, const void *rec);
    bool      (*empty) (pay_part_t *part, const void *rec);
    void      (*clear) (void *rec);
} s_kind_t;

/*  ---- workers ----  */

void
pay_facts_free (pay_facts_t *facts)
{
    free (facts->status);
    facts->status = NULL;
    facts->nstatus = 0;
}

static void
s_worker_clear (void *rec)
{
    pay_worker_t *w = rec;
    pay_facts_free (&w->facts);
    free (w->years);
}

static void
s_copy_counters (int64_t *dst, size_t n, const int64_t *src, size_t nsrc)
{
    if (nsrc)
        memcpy (dst, src, (nsrc < n ? nsrc : n) * sizeof *dst);
}

static int
s_worker_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_worker_t *w = rec;
    Chejian__Payroll__Worker *m = chejian__payroll__worker__unpack (NULL, len, data);
    if (!m)
        return -1;
    w->facts.registered = m->registered;
    pay_copy (w->facts.masked, sizeof w->facts.masked, m->resident_id_masked);
    w->facts.baseline = m->baseline_annual_income_fen;
    w->facts.baseline_year = m->baseline_year;
    w->facts.status = calloc (m->n_history ? m->n_history : 1, sizeof *w->facts.status);
    for (size_t i = 0; w->facts.status && i < m->n_history; i++)
        w->facts.status[w->facts.nstatus++] = (pay_status_t) {
            m->history[i]->effective_date, (uint8_t) m->history[i]->status };
    int rc = w->facts.status ? 0 : -1;
    chejian__payroll__worker__free_unpacked (m, NULL);
    return rc;
}

static int
s_worker_encode (pay_part_t *part, const void *rec)
{
    const pay_worker_t *w = rec;
    Chejian__Payroll__StatusEntry entries[PAY_HISTORY_MAX], *eptr[PAY_HISTORY_MAX];
    Chejian__Payroll__Worker m = CHEJIAN__PAYROLL__WORKER__INIT;
    m.registered = w->facts.registered;
    m.resident_id_masked = (char *) w->facts.masked;
    m.baseline_annual_income_fen = w->facts.baseline;
    m.baseline_year = w->facts.baseline_year;
    for (size_t i = 0; i < w->facts.nstatus && i < PAY_HISTORY_MAX; i++) {
        chejian__payroll__status_entry__init (&entries[i]);
        entries[i].effective_date = w->facts.status[i].date;
        entries[i].status = w->facts.status[i].status;
        eptr[m.n_history++] = &entries[i];
    }
    m.history = eptr;
    return pay_pack (part, &m.base);
}

/*  ---- employments, workshops, stakes ----  */

static int
s_emp_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_emp_t *e = rec;
    Chejian__Payroll__Employment *m = chejian__payroll__employment__unpack (NULL, len, data);
    if (!m)
        return -1;
    pay_copy (e->worker_key, sizeof e->worker_key, m->worker_key);
    pay_copy (e->workshop_id, sizeof e->workshop_id, m->workshop_id);
    e->start = m->start_date;
    e->end = m->end_date;
    e->voided = m->voided;
    chejian__payroll__employment__free_unpacked (m, NULL);
    return 0;
}

static int
s_emp_encode (pay_part_t *part, const void *rec)
{
    const pay_emp_t *e = rec;
    Chejian__Payroll__Employment m = CHEJIAN__PAYROLL__EMPLOYMENT__INIT;
    m.worker_key = (char *) e->worker_key;
    m.workshop_id = (char *) e->workshop_id;
    m.start_date = e->start;
    m.end_date = e->end;
    m.voided = e->voided;
    return pay_pack (part, &m.base);
}

static int
s_workshop_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_workshop_t *s = rec;
    Chejian__Payroll__Workshop *m = chejian__payroll__workshop__unpack (NULL, len, data);
    if (!m)
        return -1;
    s->version = m->version;
    s->type = (uint8_t) m->type;
    s->role = (uint8_t) m->role;
    s->opened = m->opened_date;
    s->closed = m->closed_date;
    chejian__payroll__workshop__free_unpacked (m, NULL);
    return 0;
}

static int
s_workshop_encode (pay_part_t *part, const void *rec)
{
    const pay_workshop_t *s = rec;
    Chejian__Payroll__Workshop m = CHEJIAN__PAYROLL__WORKSHOP__INIT;
    m.version = s->version;
    m.type = s->type;
    m.role = s->role;
    m.opened_date = s->opened;
    m.closed_date = s->closed;
    return pay_pack (part, &m.base);
}

static int
s_stake_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_stake_t *s = rec;
    Chejian__Payroll__Shareholding *m = chejian__payroll__shareholding__unpack (NULL, len, data);
    if (!m)
        return -1;
    s->version = m->version;
    s->guaranteed = m->guaranteed_annual_fen;
    pay_copy (s->household_key, sizeof s->household_key, m->household_key);
    pay_copy (s->worker_key, sizeof s->worker_key, m->worker_key);
    pay_copy (s->workshop_id, sizeof s->workshop_id, m->workshop_id);
    chejian__payroll__shareholding__free_unpacked (m, NULL);
    return 0;
}

static int
s_stake_encode (pay_part_t *part, const void *rec)
{
    const pay_stake_t *s = rec;
    Chejian__Payroll__Shareholding m = CHEJIAN__PAYROLL__SHAREHOLDING__INIT;
    m.version = s->version;
    m.guaranteed_annual_fen = s->guaranteed;
    m.household_key = (char *) s->household_key;
    m.worker_key = (char *) s->worker_key;
    m.workshop_id = (char *) s->workshop_id;
    return pay_pack (part, &m.base);
}

/*  ---- aggregates ----  */

static int
s_sm_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_sm_t *sm = rec;
    Chejian__Payroll__WorkshopMonth *m = chejian__payroll__workshop_month__unpack (NULL, len,
                                                                                  data);
    if (!m)
        return -1;
    s_copy_counters (sm->v, SM_N, m->v, m->n_v);
    sm->revision = m->revision;
    sm->type = (uint8_t) m->type;
    sm->counted = m->counted;
    sm->paid_date = m->paid_date;
    sm->accepted_at = m->accepted_at_ms;
    pay_copy (sm->source, sizeof sm->source, m->source);
    pay_copy (sm->event_id, sizeof sm->event_id, m->event_id);
    chejian__payroll__workshop_month__free_unpacked (m, NULL);
    return 0;
}

static int
s_sm_encode (pay_part_t *part, const void *rec)
{
    const pay_sm_t *sm = rec;
    Chejian__Payroll__WorkshopMonth m = CHEJIAN__PAYROLL__WORKSHOP_MONTH__INIT;
    m.n_v = SM_N;
    m.v = (int64_t *) sm->v;
    m.revision = sm->revision;
    m.type = sm->type;
    m.counted = sm->counted;
    m.paid_date = sm->paid_date;
    m.accepted_at_ms = sm->accepted_at;
    m.source = (char *) sm->source;
    m.event_id = (char *) sm->event_id;
    return pay_pack (part, &m.base);
}

static int
s_counts_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_counts_t *c = rec;
    Chejian__Payroll__Counters *m = chejian__payroll__counters__unpack (NULL, len, data);
    if (!m)
        return -1;
    s_copy_counters (c->v, PAY_COUNTERS_MAX, m->v, m->n_v);
    chejian__payroll__counters__free_unpacked (m, NULL);
    return 0;
}

/*  The counters of a level, trailing zeros left out (a record of zeros is one byte).  */
static int
s_counts_encode (pay_part_t *part, const void *rec)
{
    const pay_counts_t *c = rec;
    Chejian__Payroll__Counters m = CHEJIAN__PAYROLL__COUNTERS__INIT;
    m.n_v = PAY_COUNTERS_MAX;
    while (m.n_v && c->v[m.n_v - 1] == 0)
        m.n_v--;
    m.v = (int64_t *) c->v;
    return pay_pack (part, &m.base);
}

static void
s_wy_clear (void *rec)
{
    pay_wy_t *wy = rec;
    if (!wy->rec.arena && wy->lines != &wy->one)
        free (wy->lines);
}

pay_mline_t *
pay_wy_add_line (pay_wy_t *wy)
{
    if (wy->n == wy->cap) {
        size_t cap = wy->cap ? wy->cap * 2 : 1;
        pay_mline_t *lines = wy->rec.arena ? cj_arena_alloc (wy->rec.arena, cap * sizeof *lines)
                                           : calloc (cap, sizeof *lines);
        if (!lines)
            return NULL;
        if (wy->n)
            memcpy (lines, wy->lines, wy->n * sizeof *lines);
        if (!wy->rec.arena && wy->lines != &wy->one)
            free (wy->lines);
        wy->lines = lines;
        wy->cap = cap;
    }
    pay_mline_t *l = &wy->lines[wy->n++];
    memset (l, 0, sizeof *l);
    return l;
}

void
pay_wy_remove_line (pay_wy_t *wy, size_t i)
{
    memmove (&wy->lines[i], &wy->lines[i + 1], (wy->n - i - 1) * sizeof *wy->lines);
    wy->n--;
}

/*  The worker a dirty worker-year record belongs to, and the year ('<county>:<key>:<year>').  */
static pay_worker_t *
s_wy_worker (const pay_wy_t *wy, int32_t *ret_year)
{
    const char *cut = strrchr (wy->rec.key, ':');
    *ret_year = cut ? (int32_t) atoi (cut + 1) : 0;
    return wy->worker;
}

/*  A year record goes when it has no line and its worker no income of the year.  */
static bool
s_wy_empty (pay_part_t *part, const void *rec)
{
    int32_t year;
    const pay_wy_t *wy = rec;
    pay_worker_t *w = s_wy_worker (wy, &year);
    (void) part;
    return wy->n == 0 && !(w && pay_worker_year (w, year, false));
}

static void
s_line_decode (pay_mline_t *l, const Chejian__Payroll__MonthLine *m)
{
    pay_copy (l->workshop_id, sizeof l->workshop_id, m->workshop_id);
    pay_copy (l->employment_id, sizeof l->employment_id, m->employment_id);
    l->month = (uint8_t) m->month;
    l->basis = (uint8_t) m->pay_basis;
    l->site = (uint8_t) m->work_site;
    l->type = (uint8_t) m->type;
    l->days = m->days_worked;
    l->pieces = m->pieces;
    l->revision = m->revision;
    l->gross = m->gross_fen;
    l->rate = m->unit_rate_millifen;
}

static void
s_line_encode (Chejian__Payroll__MonthLine *m, const pay_mline_t *l)
{
    chejian__payroll__month_line__init (m);
    m->workshop_id = (char *) l->workshop_id;
    m->employment_id = (char *) l->employment_id;
    m->month = l->month;
    m->pay_basis = l->basis;
    m->work_site = l->site;
    m->gross_fen = l->gross;
    m->days_worked = l->days;
    m->pieces = l->pieces;
    m->unit_rate_millifen = l->rate;
    m->revision = l->revision;
    m->type = l->type;
}

static int
s_wy_decode (void *rec, const uint8_t *data, size_t len)
{
    pay_wy_t *wy = rec;
    Chejian__Payroll__WorkerYear *m = chejian__payroll__worker_year__unpack (NULL, len, data);
    if (!m)
        return -1;
    wy->year.year = m->year;
    wy->year.months = (uint16_t) m->months;
    s_copy_counters (wy->year.v, WY_N, m->v, m->n_v);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n_lines; i++) {
        pay_mline_t *l = pay_wy_add_line (wy);
        if (l)
            s_line_decode (l, m->lines[i]);
        rc = l ? 0 : -1;
    }
    chejian__payroll__worker_year__free_unpacked (m, NULL);
    return rc;
}

/*  The record with the counters of the worker's year (as they are in memory now).  */
static int
s_wy_encode (pay_part_t *part, const void *rec)
{
    const pay_wy_t *wy = rec;
    int32_t year;
    pay_worker_t *w = s_wy_worker (wy, &year);
    const pay_year_t *y = w ? pay_worker_year (w, year, false) : NULL;
    Chejian__Payroll__MonthLine *lines = cj_arena_alloc (part->turn, (wy->n + 1) * sizeof *lines);
    Chejian__Payroll__MonthLine **lptr = cj_arena_alloc (part->turn, (wy->n + 1) * sizeof *lptr);
    if (!lines || !lptr)
        return -1;
    Chejian__Payroll__WorkerYear m = CHEJIAN__PAYROLL__WORKER_YEAR__INIT;
    m.year = year;
    m.months = y ? y->months : 0;
    m.n_v = y ? WY_N : 0;
    m.v = y ? (int64_t *) y->v : NULL;
    for (size_t i = 0; i < wy->n; i++) {
        s_line_encode (&lines[i], &wy->lines[i]);
        lptr[m.n_lines++] = &lines[i];
    }
    m.lines = lptr;
    return pay_pack (part, &m.base);
}

static const s_kind_t s_kinds[PAY_KINDS] = {
    [PAY_WORKER]     = { "worker", sizeof (pay_worker_t), s_worker_decode, s_worker_encode,
                         NULL, s_worker_clear },
    [PAY_EMPLOYMENT] = { "employment", sizeof (pay_emp_t), s_emp_decode, s_emp_encode, NULL,
                         NULL },
    [PAY_WORKSHOP]   = { "workshop", sizeof (pay_workshop_t), s_workshop_decode,
                         s_workshop_encode, NULL, NULL },
    [PAY_STAKE]      = { "shareholding", sizeof (pay_stake_t), s_stake_decode, s_stake_encode,
                         NULL, NULL },
    [PAY_SM]         = { "sm", sizeof (pay_sm_t), s_sm_decode, s_sm_encode, NULL, NULL },
    [PAY_SY]         = { "sy", sizeof (pay_counts_t), s_counts_decode, s_counts_encode, NULL,
                         NULL },
    [PAY_CM]         = { "cm", sizeof (pay_counts_t), s_counts_decode, s_counts_encode, NULL,
                         NULL },
    [PAY_CY]         = { "cy", sizeof (pay_counts_t), s_counts_decode, s_counts_encode, NULL,
                         NULL },
    [PAY_WY]         = { "wy", sizeof (pay_wy_t), s_wy_decode, s_wy_encode, s_wy_empty,
                         s_wy_clear },
};

/*  ---- records ----  */

void *
pay_rec_new (pay_kind_t kind, const char *key, cj_arena_t *arena)
{
    size_t size = s_kinds[kind].size, klen = strlen (key);
    char *mem = arena ? cj_arena_alloc (arena, size + klen + 1) : calloc (1, size + klen + 1);
    if (!mem)
        return NULL;
    memcpy (mem + size, key, klen + 1);
    pay_rec_t *rec = (pay_rec_t *) mem;
    rec->key = mem + size;
    rec->arena = arena;
    if (kind == PAY_WY) {
        pay_wy_t *wy = (pay_wy_t *) mem;
        wy->lines = &wy->one;
        wy->cap = 1;
    }
    return mem;
}

void
pay_rec_free (pay_kind_t kind, void *rec)
{
    if (!rec || ((pay_rec_t *) rec)->arena)
        return;
    if (s_kinds[kind].clear)
        s_kinds[kind].clear (rec);
    free (rec);
}

void pay_rec_destroy_worker (void *rec) { pay_rec_free (PAY_WORKER, rec); }

void
pay_outputs_destroy (void *rec)
{
    if (rec)
        free (((pay_outputs_t *) rec)->items);
    free (rec);
}

void *
pay_rec_decode (pay_kind_t kind, const char *key, const uint8_t *data, size_t len,
                cj_arena_t *arena)
{
    void *rec = pay_rec_new (kind, key, arena);
    if (rec && data && s_kinds[kind].decode (rec, data, len) != 0) {
        cj_error ("payroll record %s of %s does not decode", key, s_kinds[kind].hash);
        pay_rec_free (kind, rec);
        return NULL;
    }
    return rec;
}

const char *
pay_kind_hash (pay_kind_t kind)
{
    return s_kinds[kind].hash;
}

int
pay_rec_encode (pay_part_t *part, pay_kind_t kind, const void *rec)
{
    return s_kinds[kind].encode (part, rec);
}

bool
pay_rec_empty (pay_part_t *part, pay_kind_t kind, const void *rec)
{
    return s_kinds[kind].empty && s_kinds[kind].empty (part, rec);
}

/*  ---- keys ----  */

void
pay_copy (char *dst, size_t size, const char *src)
{
    size_t n = strnlen (src, size - 1);
    memcpy (dst, src, n);
    dst[n] = 0;
}

/*  "<a>:<b>:<num>" into 'buf' (PAY_FIELD_MAX), leaving out 'b' when NULL and 'num' when
 *  negative; without printf, as it runs for every wage line.  */
static int
s_key (char *buf, const char *a, const char *b, int32_t num)
{
    char digits[12], *d = digits + sizeof digits;
    *--d = 0;
    for (int32_t v = num; num >= 0 && (v || d == digits + sizeof digits - 1); v /= 10)
        *--d = (char) ('0' + v % 10);
    size_t la = strlen (a), lb = b ? strlen (b) : 0, ld = strlen (d);
    if (la + lb + ld + 3 > PAY_FIELD_MAX)
        return -1;
    char *p = buf;
    memcpy (p, a, la);
    p += la;
    if (b) {
        *p++ = ':';
        memcpy (p, b, lb);
        p += lb;
    }
    if (num >= 0) {
        *p++ = ':';
        memcpy (p, d, ld);
        p += ld;
    }
    *p = 0;
    return 0;
}

int pay_key_worker (char *buf, const char *county, const char *worker_key)
{ return s_key (buf, county, worker_key, -1); }
int pay_key_id (char *buf, const char *county, const char *id)
{ return s_key (buf, county, id, -1); }
int pay_key_wy (char *buf, const char *county, const char *worker_key, int32_t year)
{ return s_key (buf, county, worker_key, year); }
int pay_key_sm (char *buf, const char *county, const char *workshop_id, int32_t period)
{ return s_key (buf, county, workshop_id, period); }
int pay_key_sy (char *buf, const char *county, const char *workshop_id, int32_t year)
{ return s_key (buf, county, workshop_id, year); }
int pay_key_cm (char *buf, const char *county, int32_t period)
{ return s_key (buf, county, NULL, period); }
int pay_key_cy (char *buf, const char *county, int32_t year)
{ return s_key (buf, county, NULL, year); }

/*  ---- records for queries ----  */

int
pay_records_read (const pay_io_t *io, uint32_t partition, pay_kind_t kind,
                  const char *const *keys, size_t n, void **ret)
{
    char key[CJ_KEY_MAX];
    pay_hash_key (key, partition, pay_kind_hash (kind));
    pay_value_t *values = calloc (n ? n : 1, sizeof *values);
    pay_read_t read = { key, keys, n, false, values };
    int rc = values && io->read (io->self, &read, 1) == 0 ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        ret[i] = NULL;
        if (rc == 0 && values[i].found
            && !(ret[i] = pay_rec_decode (kind, keys[i], values[i].data, values[i].len, NULL)))
            rc = -1;
        if (values)
            free (values[i].data);
    }
    free (values);
    if (rc != 0)
        pay_records_free (kind, ret, n);
    return rc;
}

void
pay_records_free (pay_kind_t kind, void **recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pay_rec_free (kind, recs[i]);
        recs[i] = NULL;
    }
}
