/*  pay_state.c - the partition's state: the facts loaded when a partition is gained, the
 *  aggregates fetched for a turn, and the flush that writes every dirty record once per turn
 *  as multi-field HSETs. See payroll_internal.h.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "chejian/store.h"
#include "payroll_internal.h"

/*  ---- the partition ----  */

pay_part_t *
pay_part_new (uint32_t partition)
{
    pay_part_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->partition = partition;
    for (int k = 0; k < PAY_KINDS; k++) {
        void (*destroy) (void *) = k == PAY_WORKER     ? pay_rec_destroy_worker
                                   : k < PAY_FACT_KINDS ? free : NULL;
        if (!(self->maps[k] = pay_map_new (destroy)))
            goto fail;
    }
    if (!(self->outputs = pay_map_new (pay_outputs_destroy)) || !(self->turn = cj_arena_new ())
        || !(self->index = pay_map_new (NULL)) || !(self->snap = malloc (sizeof *self->snap)))
        goto fail;
    return self;
fail:
    pay_part_destroy (&self);
    return NULL;
}

void
pay_part_destroy (pay_part_t **self_p)
{
    pay_part_t *self = *self_p;
    if (!self)
        return;
    for (int k = 0; k < PAY_KINDS; k++) {
        pay_map_destroy (&self->maps[k]);
        free (self->dirty[k].items);
    }
    pay_map_destroy (&self->outputs);
    pay_map_destroy (&self->index);
    cj_arena_destroy (&self->turn);
    free (self->wants);
    free (self->buf);
    free (self->scratch);
    free (self->snap);
    free (self);
    *self_p = NULL;
}

void
pay_part_reset (pay_part_t *self)
{
    for (int k = 0; k < PAY_KINDS; k++) {
        pay_map_clear (self->maps[k]);
        self->dirty[k].n = 0;
        self->last[k] = NULL;
    }
    pay_map_clear (self->outputs);
    cj_arena_reset (self->turn);
    self->nwants = 0;
    self->loaded = false;
    self->poisoned = false;
    self->emitted = 0;
}

pay_part_t *
payroll_part (payroll_t *payroll, uint32_t p)
{
    if (p >= CJ_PARTITIONS_MAX)
        return NULL;
    if (!payroll->parts[p])
        payroll->parts[p] = pay_part_new (p);
    if (payroll->parts[p] && p >= payroll->npart)
        payroll->npart = p + 1;
    return payroll->parts[p];
}

void
pay_hash_key (char *buf, uint32_t partition, const char *name)
{
    cj_key (buf, CJ_KEY_MAX, partition, PAYROLL_SHORT_NAME, "%s", name);
}

int
pay_pack (pay_part_t *self, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size (msg);
    if (len + 1 > self->cbuf) {
        uint8_t *buf = realloc (self->buf, len + 1);
        if (!buf)
            return -1;
        self->buf = buf;
        self->cbuf = len + 1;
    }
    return (int) protobuf_c_message_pack (msg, self->buf);
}

/*  ---- loading the facts ----  */

typedef struct {
    pay_part_t *part;
    pay_kind_t  kind;
} s_load_arg_t;

static int
s_load_record (void *arg, const char *field, const uint8_t *value, size_t len)
{
    s_load_arg_t *la = arg;
    void *rec = pay_rec_decode (la->kind, field, value, len, NULL);
    if (!rec)
        return -1;
    if (pay_map_put (la->part->maps[la->kind], ((pay_rec_t *) rec)->key, rec) != 0) {
        pay_rec_free (la->kind, rec);
        return -1;
    }
    return 0;
}

/*  Adds one stored output report (field <county>:<workshop_id>:<first>:<last>) to its
 *  workshop's list.  */
static int
s_load_output (void *arg, const char *field, const uint8_t *value, size_t len)
{
    pay_part_t *part = arg;
    Chejian__V1__OutputRecorded *m = chejian__v1__output_recorded__unpack (NULL, len, value);
    const char *cut = strrchr (field, ':');
    int rc = -1;
    if (m && cut && cut > field) {
        cut = memrchr (field, ':', (size_t) (cut - field));
        char key[PAY_FIELD_MAX];
        if (cut && (size_t) (cut - field) < sizeof key) {
            memcpy (key, field, (size_t) (cut - field));
            key[cut - field] = 0;
            pay_output_t item = { m->first_period, m->last_period, m->output_value_fen,
                                  m->revenue_fen };
            rc = pay_outputs_put (part, key, &item);
        }
    }
    if (m)
        chejian__v1__output_recorded__free_unpacked (m, NULL);
    if (rc != 0)
        cj_error ("payroll output record %s does not decode", field);
    return rc;
}

/*  Sets a worker's year counters from its stored year record ('<county>:<worker_key>:<year>');
 *  the lines stay in Redis.  */
static int
s_load_year (void *arg, const char *field, const uint8_t *value, size_t len)
{
    pay_part_t *part = arg;
    char key[PAY_FIELD_MAX];
    const char *cut = strrchr (field, ':');
    Chejian__Payroll__WorkerYear *m = chejian__payroll__worker_year__unpack (NULL, len, value);
    pay_worker_t *w = NULL;
    pay_year_t *y = NULL;
    if (m && cut && (size_t) (cut - field) < sizeof key) {
        memcpy (key, field, (size_t) (cut - field));
        key[cut - field] = 0;
        if ((w = pay_get_new (part, PAY_WORKER, key)))
            y = pay_worker_year (w, m->year, true);
    }
    if (y) {
        y->months = (uint16_t) m->months;
        memcpy (y->v, m->v, (m->n_v < WY_N ? m->n_v : WY_N) * sizeof *y->v);
    }
    if (m)
        chejian__payroll__worker_year__free_unpacked (m, NULL);
    if (!y)
        cj_error ("payroll worker-year record %s does not decode", field);
    return y ? 0 : -1;
}

int
pay_part_load (pay_part_t *self, const pay_io_t *io)
{
    if (self->loaded)
        return 0;
    pay_part_reset (self);
    char key[CJ_KEY_MAX];
    for (pay_kind_t k = 0; k < PAY_FACT_KINDS; k++) {
        s_load_arg_t arg = { self, k };
        pay_hash_key (key, self->partition, pay_kind_hash (k));
        if (io->scan (io->self, key, s_load_record, &arg) != 0)
            goto fail;
    }
    pay_hash_key (key, self->partition, PAY_HASH_OUTPUT);
    if (io->scan (io->self, key, s_load_output, self) != 0)
        goto fail;
    pay_hash_key (key, self->partition, pay_kind_hash (PAY_WY));
    if (io->scan (io->self, key, s_load_year, self) != 0)
        goto fail;
    self->loaded = true;
    return 0;
fail:
    pay_part_reset (self);
    return -1;
}

/*  ---- records of a turn ----  */

void *
pay_get (pay_part_t *self, pay_kind_t kind, const char *key)
{
    pay_rec_t *last = self->last[kind];
    if (last && strcmp (last->key, key) == 0)
        return last;
    return self->last[kind] = pay_map_get (self->maps[kind], key);
}

void *
pay_get_new (pay_part_t *self, pay_kind_t kind, const char *key)
{
    void *rec = pay_get (self, kind, key);
    if (rec)
        return rec;
    rec = pay_rec_new (kind, key, kind < PAY_FACT_KINDS ? NULL : self->turn);
    if (rec && pay_map_put (self->maps[kind], ((pay_rec_t *) rec)->key, rec) != 0) {
        pay_rec_free (kind, rec);
        rec = NULL;
    }
    return rec;
}

int
pay_want (pay_part_t *self, pay_kind_t kind, const char *key)
{
    if (pay_map_get (self->maps[kind], key))
        return 0;
    if (self->nwants == self->cwants) {
        size_t cap = self->cwants ? self->cwants * 2 : 256;
        pay_want_t *wants = realloc (self->wants, cap * sizeof *wants);
        if (!wants)
            return -1;
        self->wants = wants;
        self->cwants = cap;
    }
    pay_want_t *w = &self->wants[self->nwants++];
    w->kind = kind;
    pay_copy (w->key, sizeof w->key, key);
    return 0;
}

/*  Decodes the values read for 'kind' into cached records (absent ones: new, empty).  */
static int
s_fetched (pay_part_t *self, pay_kind_t kind, const char *const *fields, size_t n,
           const pay_value_t *values)
{
    for (size_t i = 0; i < n; i++) {
        if (pay_map_get (self->maps[kind], fields[i]))
            continue;              /* asked twice */
        void *rec = pay_rec_decode (kind, fields[i], values[i].found ? values[i].data : NULL,
                                  values[i].len, kind < PAY_FACT_KINDS ? NULL : self->turn);
        if (!rec)
            return -1;
        if (pay_map_put (self->maps[kind], ((pay_rec_t *) rec)->key, rec) != 0) {
            pay_rec_free (kind, rec);
            return -1;
        }
    }
    return 0;
}

int
pay_fetch (pay_part_t *self, const pay_io_t *io)
{
    if (self->nwants == 0)
        return 0;
    const char **fields = malloc (self->nwants * sizeof *fields);
    pay_value_t *values = calloc (self->nwants, sizeof *values);
    pay_read_t reads[PAY_KINDS];
    pay_kind_t kinds[PAY_KINDS];
    char keys[PAY_KINDS][CJ_KEY_MAX];
    size_t nreads = 0, n = 0;
    int rc = -1;
    if (!fields || !values)
        goto done;
    for (pay_kind_t k = 0; k < PAY_KINDS; k++) {
        size_t first = n;
        for (size_t i = 0; i < self->nwants; i++)
            if (self->wants[i].kind == k)
                fields[n++] = self->wants[i].key;
        if (n == first)
            continue;
        pay_hash_key (keys[nreads], self->partition, pay_kind_hash (k));
        reads[nreads] = (pay_read_t) { keys[nreads], fields + first, n - first, false,
                                       values + first };
        kinds[nreads++] = k;
    }
    if (io->read (io->self, reads, nreads) != 0)
        goto done;
    rc = 0;
    for (size_t r = 0; r < nreads && rc == 0; r++)
        rc = s_fetched (self, kinds[r], reads[r].fields, reads[r].nfields, reads[r].values);
done:
    for (size_t i = 0; values && i < self->nwants; i++)
        free (values[i].data);
    free (values);
    free (fields);
    self->nwants = 0;
    return rc;
}

int
pay_dirty (pay_part_t *self, pay_kind_t kind, void *rec)
{
    pay_rec_t *r = rec;
    if (r->dirty)
        return 0;
    pay_vec_t *v = &self->dirty[kind];
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        void **items = realloc (v->items, cap * sizeof *items);
        if (!items)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = rec;
    r->dirty = true;
    return 0;
}

/*  Writes the dirty records of 'kind': one HSET field each (consecutive, so the batch
 *  merges them into multi-field HSETs), or an HDEL for an empty one.  */
static int
s_flush_kind (pay_part_t *self, const pay_io_t *io, pay_kind_t kind)
{
    char key[CJ_KEY_MAX];
    pay_hash_key (key, self->partition, pay_kind_hash (kind));
    pay_vec_t *v = &self->dirty[kind];
    for (size_t i = 0; i < v->n; i++) {
        pay_rec_t *rec = v->items[i];
        rec->dirty = false;
        if (pay_rec_empty (self, kind, rec)) {
            if (io->hdel (io->self, key, rec->key) != 0)
                return -1;
            continue;
        }
        int len = pay_rec_encode (self, kind, rec);
        if (len < 0 || io->hset (io->self, key, rec->key, self->buf, (size_t) len) != 0)
            return -1;
    }
    v->n = 0;
    return 0;
}

int
pay_flush (pay_part_t *self, const pay_io_t *io)
{
    int rc = 0;
    for (pay_kind_t k = 0; k < PAY_KINDS && rc == 0; k++)
        rc = s_flush_kind (self, io, k);
    for (pay_kind_t k = PAY_FACT_KINDS; k < PAY_KINDS; k++) {
        pay_map_clear (self->maps[k]);
        self->dirty[k].n = 0;
        self->last[k] = NULL;
    }
    cj_arena_reset (self->turn);
    self->nwants = 0;
    self->emitted = 0;
    return rc;
}

void *
pay_scratch (pay_part_t *self, size_t size)
{
    if (size > self->cscratch) {
        void *mem = realloc (self->scratch, size);
        if (!mem)
            return NULL;
        self->scratch = mem;
        self->cscratch = size;
    }
    return memset (self->scratch, 0, size);
}

/*  ---- output reports of a workshop ----  */

int
pay_outputs_put (pay_part_t *self, const char *key, const pay_output_t *item)
{
    pay_outputs_t *o = pay_map_get (self->outputs, key);
    if (!o) {
        size_t klen = strlen (key);
        if (!(o = calloc (1, sizeof *o + klen + 1)))
            return -1;
        memcpy ((char *) (o + 1), key, klen + 1);
        o->rec.key = (const char *) (o + 1);
        if (pay_map_put (self->outputs, o->rec.key, o) != 0) {
            free (o);
            return -1;
        }
    }
    for (size_t i = 0; i < o->n; i++)
        if (o->items[i].first == item->first && o->items[i].last == item->last) {
            o->items[i] = *item;
            return 0;
        }
    pay_output_t *items = realloc (o->items, (o->n + 1) * sizeof *items);
    if (!items)
        return -1;
    o->items = items;
    o->items[o->n++] = *item;
    return 0;
}

/*  ---- a worker's years ----  */

pay_year_t *
pay_worker_year (pay_worker_t *worker, int32_t year, bool create)
{
    uint16_t i = 0;
    while (i < worker->nyears && worker->years[i].year < year)
        i++;
    if (i < worker->nyears && worker->years[i].year == year)
        return &worker->years[i];
    if (!create || worker->nyears >= PAY_YEARS_MAX)
        return NULL;
    pay_year_t *years = realloc (worker->years, (worker->nyears + 1u) * sizeof *years);
    if (!years)
        return NULL;
    worker->years = years;
    memmove (&years[i + 1], &years[i], (worker->nyears - i) * sizeof *years);
    memset (&years[i], 0, sizeof *years);
    years[i].year = year;
    worker->nyears++;
    return &years[i];
}

void
pay_worker_prune (pay_worker_t *worker)
{
    uint16_t n = 0;
    for (uint16_t i = 0; i < worker->nyears; i++) {
        const pay_year_t *y = &worker->years[i];
        bool zero = y->months == 0;
        for (size_t k = 0; zero && k < WY_N; k++)
            zero = y->v[k] == 0;
        if (!zero)
            worker->years[n++] = *y;
    }
    worker->nyears = n;
}

