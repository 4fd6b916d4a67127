/*  pay_wage.c - SubmitWageReport: a workshop's payroll for one month, or a correction that
 *  replaces every line of the earlier revision. The handler first decides (every check, every
 *  record it will touch fetched in one round trip), then changes: per worker, its
 *  worker-month, worker-year and county aggregates move by the difference between its old and
 *  new line; the workshop-month moves by the difference of the whole report. Events: one
 *  WageLineApplied per line that is new, removed or whose gross changed, then (for a
 *  correction) WageReportCorrected.  */
#include <stdlib.h>
#include <string.h>

#include "chejian/log.h"
#include "payroll_internal.h"

/*  One worker of the report: its line in this revision and/or in the replaced one.  */
typedef struct {
    pay_worker_t                      *worker;
    const Chejian__V1__WageLine       *line;    /* NULL: removed by this revision */
    const Chejian__V1__WageLineRecord *old;     /* NULL: new in this revision */
    size_t                             index;   /* of 'line' in the report */
    char                               worker_key[PAY_WORKER_KEY_MAX + 1];
    char                               masked[CJ_RESIDENT_ID_LEN + 1];
    char                               wy_key[PAY_FIELD_MAX];
    char                               worker_field[PAY_FIELD_MAX], emp_field[PAY_FIELD_MAX];
    uint64_t                           worker_hash, emp_hash;
} s_entry_t;

typedef struct {
    payroll_t                           *payroll;
    pay_part_t                          *part;
    const pay_io_t                      *io;
    const cj_envelope_t                 *env;
    const Chejian__V1__SubmitWageReport *r;
    cj_problems_t                       *problems;
    const pay_workshop_t                *workshop;
    uint32_t                             revision_before, revision_after;
    Chejian__Payroll__Report            *old;
    s_entry_t                           *entries;
    size_t                               n;
    pay_map_t                           *by_worker;   /* worker_key -> entry */
} s_report_t;

#define S_FIELD(name) "submit_wage_report." name

/*  The workshop is known and open in the period.  */
static int
s_check_workshop (s_report_t *rep)
{
    char key[PAY_FIELD_MAX];
    pay_key_id (key, rep->env->county, rep->r->workshop_id);
    rep->workshop = pay_get (rep->part, PAY_WORKSHOP, key);
    int32_t period = rep->r->period;
    if (!rep->workshop)
        cj_problems_add (rep->problems, S_FIELD ("workshop_id"), CJ_E_NOT_YET_KNOWN,
                         "workshop not known (yet) from the registry's events; retry later");
    else if (rep->workshop->opened / 100 > period)
        cj_problems_add (rep->problems, S_FIELD ("period"), CJ_E_CONFLICT,
                         "before the month the workshop opened");
    else if (rep->workshop->closed && rep->workshop->closed < period * 100 + 1)
        cj_problems_add (rep->problems, S_FIELD ("period"), CJ_E_CONFLICT,
                         "after the workshop closed");
    return cj_problems_any (rep->problems) ? -1 : 0;
}

/*  The revision this report becomes, against the stored one.  */
static int
s_check_revision (s_report_t *rep, const pay_sm_t *sm)
{
    rep->revision_before = sm->revision;
    rep->revision_after = rep->r->revision ? rep->r->revision : sm->revision + 1;
    if (rep->r->revision && rep->r->revision <= sm->revision)
        cj_problems_add (rep->problems, S_FIELD ("revision"), CJ_E_CONFLICT,
                         "not newer than the stored revision %u", sm->revision);
    if (sm->revision == 0 && rep->r->n_lines == 0)
        cj_problems_add (rep->problems, S_FIELD ("lines"), CJ_E_REQUIRED,
                         "a first report needs lines; only a correction may clear a month");
    return cj_problems_any (rep->problems) ? -1 : 0;
}

/*  Reads the lines of the revision being replaced (written earlier in this turn, or
 *  committed).  */
static int
s_read_old (s_report_t *rep)
{
    if (rep->revision_before == 0)
        return 0;
    char key[CJ_KEY_MAX], field[PAY_FIELD_MAX];
    pay_hash_key (key, rep->part->partition, PAY_HASH_REPORT);
    pay_key_sm (field, rep->env->county, rep->r->workshop_id, rep->r->period);
    const char *fields[] = { field };
    pay_value_t value = { 0 };
    pay_read_t read = { key, fields, 1, true, &value };
    if (rep->io->read (rep->io->self, &read, 1) != 0)
        return -1;
    if (value.found)
        rep->old = chejian__payroll__report__unpack (NULL, value.len, value.data);
    free (value.data);
    if (value.found && !rep->old)
        cj_error ("payroll report %s does not decode", field);
    return value.found && !rep->old ? -1 : 0;
}

/*  The employment of a line, checked against the worker, the workshop and the month.  */
static void
s_check_employment (s_report_t *rep, const s_entry_t *e)
{
    const pay_emp_t *emp = pay_map_get_hashed (rep->part->maps[PAY_EMPLOYMENT], e->emp_field,
                                               e->emp_hash);
    int32_t first = rep->r->period * 100 + 1, last = pay_period_last_day (rep->r->period);
    const char *why = !emp ? NULL
        : strcmp (emp->worker_key, e->worker_key) != 0 ? "is the employment of another worker"
        : strcmp (emp->workshop_id, rep->r->workshop_id) != 0 ? "is an employment in another workshop"
        : emp->voided ? "was entered in error (ended by the registry)"
        : emp->start > last ? "starts after the month paid for"
        : emp->end && emp->end < first ? "ended before the month paid for" : NULL;
    if (!emp)
        cj_problems_add (rep->problems, "employment_id", CJ_E_NOT_YET_KNOWN,
                         "employment not known (yet) from the registry's events; retry later");
    else if (why)
        cj_problems_add (rep->problems, "employment_id", CJ_E_CONFLICT, "%s", why);
}

/*  The entries of this revision's lines: each worker's pseudonym and the keys of its worker
 *  and employment records, whose slots in the (large) maps start loading meanwhile.  */
static void
s_prepare_lines (s_report_t *rep)
{
    const cj_pseudonym_t *ps = rep->payroll->pseudonym;
    for (size_t i = 0; i < rep->r->n_lines; i++) {
        const Chejian__V1__WageLine *line = rep->r->lines[i];
        s_entry_t *e = &rep->entries[i];
        e->line = line;
        e->index = i;
        cj_pseudonym_of (ps, "worker", line->resident_id, e->worker_key);
        cj_resident_id_mask (line->resident_id, e->masked);
        pay_key_worker (e->worker_field, rep->env->county, e->worker_key);
        pay_key_id (e->emp_field, rep->env->county, line->employment_id);
        e->worker_hash = pay_map_prefetch (rep->part->maps[PAY_WORKER], e->worker_field);
        e->emp_hash = pay_map_prefetch (rep->part->maps[PAY_EMPLOYMENT], e->emp_field);
    }
}

/*  An entry per line of this revision: the worker (by pseudonym) must be known, its
 *  employment open in the month.  */
static int
s_resolve_lines (s_report_t *rep)
{
    s_prepare_lines (rep);
    cj_problems_push (rep->problems, "submit_wage_report");
    for (size_t i = 0; i < rep->r->n_lines; i++) {
        s_entry_t *e = &rep->entries[rep->n++];
        e->worker = pay_map_get_hashed (rep->part->maps[PAY_WORKER], e->worker_field,
                                        e->worker_hash);
        cj_problems_push (rep->problems, "lines[%zu]", i);
        if (!e->worker || !e->worker->facts.registered)
            cj_problems_add (rep->problems, "resident_id", CJ_E_NOT_YET_KNOWN,
                             "worker not known (yet) from the registry's events; retry later");
        s_check_employment (rep, e);
        cj_problems_pop (rep->problems);
        if (pay_map_put (rep->by_worker, e->worker_key, e) != 0)
            cj_problems_add (rep->problems, "", CJ_E_INTERNAL, "out of memory; retry");
    }
    cj_problems_pop (rep->problems);
    return cj_problems_any (rep->problems) ? -1 : 0;
}

/*  Pairs the replaced revision's lines with this one's; a worker missing now is removed.  */
static int
s_merge_old (s_report_t *rep)
{
    char key[PAY_FIELD_MAX];
    for (size_t i = 0; rep->old && i < rep->old->n_lines; i++) {
        const Chejian__V1__WageLineRecord *old = rep->old->lines[i];
        s_entry_t *e = pay_map_get (rep->by_worker, old->worker_key);
        if (e) {
            e->old = old;
            continue;
        }
        e = &rep->entries[rep->n++];
        e->old = old;
        pay_copy (e->worker_key, sizeof e->worker_key, old->worker_key);
        pay_copy (e->masked, sizeof e->masked, old->resident_id_masked);
        pay_key_worker (key, rep->env->county, e->worker_key);
        if (!(e->worker = pay_get_new (rep->part, PAY_WORKER, key)))
            return -1;
    }
    return 0;
}

/*  Asks for the worker-years that exist (a worker with income in the year has one).  */
static int
s_want_years (s_report_t *rep)
{
    int32_t year = rep->r->period / 100;
    for (size_t i = 0; i < rep->n; i++) {
        s_entry_t *e = &rep->entries[i];
        pay_key_wy (e->wy_key, rep->env->county, e->worker_key, year);
        if (pay_worker_year (e->worker, year, false)
            && pay_want (rep->part, PAY_WY, e->wy_key) != 0)
            return -1;
    }
    return 0;
}

/*  A worker paid by PAY_MONTH_LINES_MAX workshops in the month takes no further one.  */
static int
s_check_month_lines (s_report_t *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const s_entry_t *e = &rep->entries[i];
        const pay_wy_t *wy = pay_get (rep->part, PAY_WY, e->wy_key);
        int month = rep->r->period % 100;
        if (e->line && pay_wy_month_lines (wy, month) >= PAY_MONTH_LINES_MAX
            && pay_wy_find (wy, month, rep->r->workshop_id) < 0) {
            cj_problems_push (rep->problems, "submit_wage_report.lines[%zu]", e->index);
            cj_problems_add (rep->problems, "resident_id", CJ_E_TOO_MANY,
                             "the worker is already paid by %d workshops this month",
                             PAY_MONTH_LINES_MAX);
            cj_problems_pop (rep->problems);
        }
    }
    return cj_problems_any (rep->problems) ? -1 : 0;
}

static bool
s_changed (const s_entry_t *e)
{
    return !e->line || !e->old || e->line->gross_fen != e->old->gross_fen;
}

/*  Events this report will emit fit in the turn's batch.  */
static int
s_check_room (s_report_t *rep)
{
    size_t events = rep->revision_before ? 1 : 0;
    for (size_t i = 0; i < rep->n; i++)
        events += s_changed (&rep->entries[i]);
    if (events > rep->io->room (rep->io->self)) {
        cj_warn ("wage report of %zu lines does not fit this turn's batch; it is retried",
                 rep->r->n_lines);
        return -1;
    }
    return 0;
}

/*  ---- the change ----  */

static void
s_mline_set (pay_mline_t *l, const s_report_t *rep, const Chejian__V1__WageLine *line)
{
    pay_copy (l->workshop_id, sizeof l->workshop_id, rep->r->workshop_id);
    pay_copy (l->employment_id, sizeof l->employment_id, line->employment_id);
    l->month = (uint8_t) (rep->r->period % 100);
    l->basis = (uint8_t) line->pay_basis;
    l->site = (uint8_t) line->work_site;
    l->type = rep->workshop->type;
    l->days = line->days_worked;
    l->pieces = line->pieces;
    l->revision = rep->revision_after;
    l->gross = line->gross_fen;
    l->rate = line->unit_rate_millifen;
}

/*  Puts the entry's line for this workshop into (or takes it out of) the worker-year.  */
static int
s_wy_replace (pay_wy_t *wy, const s_report_t *rep, const s_entry_t *e)
{
    long at = pay_wy_find (wy, rep->r->period % 100, rep->r->workshop_id);
    if (!e->line) {
        if (at >= 0)
            pay_wy_remove_line (wy, (size_t) at);
        return 0;
    }
    pay_mline_t *l = at >= 0 ? &wy->lines[at] : pay_wy_add_line (wy);
    if (!l)
        return -1;
    s_mline_set (l, rep, e->line);
    return 0;
}

static int
s_emit_line (s_report_t *rep, const s_entry_t *e)
{
    const Chejian__V1__WageLine *l = e->line;
    Chejian__V1__WageLineApplied ev = CHEJIAN__V1__WAGE_LINE_APPLIED__INIT;
    ev.worker_key = (char *) e->worker_key;
    ev.resident_id_masked = (char *) e->masked;
    ev.workshop_id = rep->r->workshop_id;
    ev.employment_id = l ? l->employment_id : e->old->employment_id;
    ev.period = rep->r->period;
    ev.revision = rep->revision_after;
    ev.pay_basis = l ? l->pay_basis : e->old->pay_basis;
    ev.work_site = l ? l->work_site : e->old->work_site;
    ev.gross_fen = l ? l->gross_fen : 0;
    ev.delta_fen = ev.gross_fen - (e->old ? e->old->gross_fen : 0);
    ev.days_worked = l ? l->days_worked : e->old->days_worked;
    ev.pieces = l ? l->pieces : e->old->pieces;
    ev.unit_rate_millifen = l ? l->unit_rate_millifen : e->old->unit_rate_millifen;
    ev.removed = !l;
    rep->part->emitted++;
    return rep->io->emit (rep->io->self, CHEJIAN__V1__ENVELOPE__BODY_WAGE_LINE_APPLIED, &ev.base);
}

/*  One worker: its worker-month, worker-year and the county figures move by the difference
 *  of its line; the workshop-month's line sums too.  */
static int
s_apply_entry (s_report_t *rep, pay_sm_t *sm, const s_entry_t *e)
{
    int32_t period = rep->r->period;
    bool poor = pay_facts_poor_month (&e->worker->facts, period);
    pay_wy_t *wy = pay_get_new (rep->part, PAY_WY, e->wy_key);
    if (!wy)
        return -1;
    int64_t a[SM_N], b[SM_N];
    if (e->old) {
        pay_line_to_sm (e->old->gross_fen, e->old->pay_basis, e->old->work_site, poor, a);
        pay_counters_move (sm->v, a, (int64_t[SM_N]) { 0 }, SM_N);
    }
    if (e->line) {
        pay_line_to_sm (e->line->gross_fen, e->line->pay_basis, e->line->work_site, poor, b);
        pay_counters_move (sm->v, (int64_t[SM_N]) { 0 }, b, SM_N);
    }
    pay_wm_snap_t snap;
    pay_worker_begin (e->worker, period / 100, rep->part->snap);
    pay_wm_begin (wy, period, poor, &snap);
    return s_wy_replace (wy, rep, e) == 0
           && pay_wm_end (rep->part, wy, period, e->worker, &snap) == 0
           && pay_worker_end (rep->part, e->worker, rep->part->snap) == 0
           && (!s_changed (e) || s_emit_line (rep, e) == 0) ? 0 : -1;
}

/*  The report as stored: this revision's lines ordered by employment_id.  */
static int
s_cmp_record (const void *a, const void *b)
{
    const Chejian__V1__WageLineRecord *x = *(Chejian__V1__WageLineRecord *const *) a;
    const Chejian__V1__WageLineRecord *y = *(Chejian__V1__WageLineRecord *const *) b;
    return strcmp (x->employment_id, y->employment_id);
}

static int
s_write_report (s_report_t *rep)
{
    size_t n = rep->r->n_lines;
    Chejian__V1__WageLineRecord *recs = calloc (n ? n : 1, sizeof *recs);
    Chejian__V1__WageLineRecord **ptrs = calloc (n ? n : 1, sizeof *ptrs);
    int rc = -1;
    if (!recs || !ptrs)
        goto done;
    for (size_t i = 0, k = 0; i < rep->n; i++) {
        const s_entry_t *e = &rep->entries[i];
        if (!e->line)
            continue;
        Chejian__V1__WageLineRecord *r = &recs[k];
        chejian__v1__wage_line_record__init (r);
        r->worker_key = (char *) e->worker_key;
        r->resident_id_masked = (char *) e->masked;
        r->employment_id = e->line->employment_id;
        r->pay_basis = e->line->pay_basis;
        r->work_site = e->line->work_site;
        r->gross_fen = e->line->gross_fen;
        r->days_worked = e->line->days_worked;
        r->pieces = e->line->pieces;
        r->unit_rate_millifen = e->line->unit_rate_millifen;
        ptrs[k++] = r;
    }
    qsort (ptrs, n, sizeof *ptrs, s_cmp_record);
    Chejian__Payroll__Report report = CHEJIAN__PAYROLL__REPORT__INIT;
    report.revision = rep->revision_after;
    report.n_lines = n;
    report.lines = ptrs;
    char key[CJ_KEY_MAX], field[PAY_FIELD_MAX];
    pay_hash_key (key, rep->part->partition, PAY_HASH_REPORT);
    pay_key_sm (field, rep->env->county, rep->r->workshop_id, rep->r->period);
    int len = pay_pack (rep->part, &report.base);
    rc = len < 0 ? -1 : rep->io->hset (rep->io->self, key, field, rep->part->buf, (size_t) len);
done:
    free (recs);
    free (ptrs);
    return rc;
}

static int
s_emit_corrected (s_report_t *rep)
{
    Chejian__V1__WageReportCorrected ev = CHEJIAN__V1__WAGE_REPORT_CORRECTED__INIT;
    ev.workshop_id = rep->r->workshop_id;
    ev.period = rep->r->period;
    ev.revision_before = rep->revision_before;
    ev.revision_after = rep->revision_after;
    ev.lines_before = rep->old ? (uint32_t) rep->old->n_lines : 0;
    ev.lines_after = (uint32_t) rep->r->n_lines;
    for (size_t i = 0; i < rep->n; i++) {
        const s_entry_t *e = &rep->entries[i];
        ev.lines_added += e->line && !e->old;
        ev.lines_changed += e->line && e->old && s_changed (e);
        ev.lines_removed += !e->line;
        ev.total_before_fen += e->old ? e->old->gross_fen : 0;
        ev.total_after_fen += e->line ? e->line->gross_fen : 0;
    }
    ev.delta_fen = ev.total_after_fen - ev.total_before_fen;
    rep->part->emitted++;
    return rep->io->emit (rep->io->self, CHEJIAN__V1__ENVELOPE__BODY_WAGE_REPORT_CORRECTED,
                          &ev.base);
}

/*  Everything decided: moves every aggregate, stores the report, emits the events. A failure
 *  here (out of memory) leaves memory ahead of the batch: the caller poisons the turn.  */
static int
s_change (s_report_t *rep)
{
    const cj_envelope_t *env = rep->env;
    pay_sm_snap_t snap;
    pay_sm_t *sm = pay_sm_begin (rep->part, env->county, rep->r->workshop_id, rep->r->period,
                                 &snap);
    if (!sm)
        return -1;
    for (size_t i = 0; i < rep->n; i++)
        if (s_apply_entry (rep, sm, &rep->entries[i]) != 0)
            return -1;
    sm->revision = rep->revision_after;
    sm->type = rep->workshop->type;
    sm->counted = pay_role_counted (rep->workshop->role);
    sm->paid_date = rep->r->paid_date;
    sm->accepted_at = pay_now_ms ();
    pay_copy (sm->source, sizeof sm->source, env->source);
    pay_copy (sm->event_id, sizeof sm->event_id, env->event_id);
    if (pay_sm_end (rep->part, sm, env->county, rep->r->workshop_id, rep->r->period, &snap) != 0
        || s_write_report (rep) != 0)
        return -1;
    return rep->revision_before ? s_emit_corrected (rep) : 0;
}

/*  Decides: every check, and every record the change touches fetched. Returns 0 to go on,
 *  -1 when rejected (problems) or when the store cannot answer.  */
static int
s_decide (s_report_t *rep)
{
    const cj_envelope_t *env = rep->env;
    pay_part_t *part = rep->part;
    if (s_check_workshop (rep) != 0 || pay_want_sm (part, env->county, rep->r->workshop_id,
                                                    rep->r->period) != 0)
        return -1;
    char key[PAY_FIELD_MAX];
    pay_key_cy (key, env->county, rep->r->period / 100 + 1);
    if (pay_want (part, PAY_CY, key) != 0 || pay_fetch (part, rep->io) != 0)
        return -1;
    pay_key_sm (key, env->county, rep->r->workshop_id, rep->r->period);
    if (s_check_revision (rep, pay_get (part, PAY_SM, key)) != 0 || s_read_old (rep) != 0)
        return -1;
    size_t cap = rep->r->n_lines + (rep->old ? rep->old->n_lines : 0);
    rep->entries = pay_scratch (part, (cap ? cap : 1) * sizeof *rep->entries);
    rep->by_worker = part->index;
    pay_map_clear (rep->by_worker);
    if (!rep->entries || s_resolve_lines (rep) != 0 || s_merge_old (rep) != 0
        || s_want_years (rep) != 0 || pay_fetch (part, rep->io) != 0)
        return -1;
    return s_check_month_lines (rep) != 0 || s_check_room (rep) != 0 ? -1 : 0;
}

int
pay_apply_wage_report (payroll_t *payroll, pay_part_t *part, const pay_io_t *io,
                       const cj_envelope_t *env, cj_problems_t *problems)
{
    s_report_t rep = { .payroll = payroll, .part = part, .io = io, .env = env,
                       .r = env->submit_wage_report, .problems = problems };
    int rc = s_decide (&rep);
    if (rc == 0 && s_change (&rep) != 0) {
        cj_error ("payroll: wage report %s could not be applied (out of memory); partition %u "
                  "turn dropped", env->event_id, part->partition);
        part->poisoned = true;
        rc = -1;
    }
    if (rep.old)
        chejian__payroll__report__free_unpacked (rep.old, NULL);
    pay_map_clear (part->index);       /* its keys point into the scratch entries */
    return rc;
}
