/*  payroll_internal.h - what the payroll core's files share: limits, the I/O seam, the
 *  partition state (facts learnt from the registry, kept in memory; aggregates cached for
 *  one turn), the aggregate counters and how each level contributes to the next.
 *  Not for use outside services/payroll and its tests. Design: docs/2026-11-23-payroll.md.
 *
 *  How aggregates stay exact. Every aggregate is a sum of contributions of the level below:
 *      wage line      -> workshop-month (SM)      worker-month (WM) -> county-month (CM)
 *      workshop-month -> county-month, workshop-year (SY)   worker-month -> worker-year (WY)
 *      workshop-year  -> county-year (CY)         worker (its years and facts) -> county-year
 *  A change takes the contributions of what it touches before (pay_*_begin), changes it, and
 *  adds after - before to the parents (pay_*_end). Nothing is ever recounted from scratch, and
 *  nothing is counted twice.
 */
#ifndef PAYROLL_INTERNAL_H
#define PAYROLL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chejian/arena.h"
#include "chejian/envelope.h"
#include "chejian/ident.h"
#include "chejian/problem.h"
#include "chejian/pseudonym.h"
#include "chejian/service.h"
#include "chejian/store.h"
#include "pay_map.h"
#include "payroll.h"
#include "payroll_state.pb-c.h"

/*  ---- limits (the contract's, and ours where it is silent) ----  */
#define PAY_ID_MAX            64          /* *_id: 1..64 of [A-Za-z0-9._:-] */
#define PAY_WORKSHOP_ID_MAX   32          /* workshop_id: 1..32 of [A-Za-z0-9._-] */
#define PAY_WORKER_KEY_MAX    64          /* worker_key, household_key: hex, at most 64 */
#define PAY_COUNTY_LEN        6
#define PAY_LINES_MAX         5000        /* lines of one wage report */
#define PAY_MONTH_LINES_MAX   16          /* workshops paying one worker in one month */
#define PAY_RANGE_MONTHS_MAX  120         /* months of a query range */
#define PAY_GROSS_MAX         100000000LL /* fen, one line */
#define PAY_PIECES_MAX        10000000
#define PAY_RATE_MAX          1000000000LL
#define PAY_AMOUNT_MAX        1000000000LL      /* shareholder payment, fen */
#define PAY_OUTPUT_MAX        1000000000000LL   /* output value and revenue, fen */
#define PAY_HISTORY_MAX       500         /* status history entries kept per worker */
#define PAY_PAGE_DEFAULT      100
#define PAY_PAGE_MAX          500
#define PAY_TOKEN_MAX         256
#define PAY_FIELD_MAX         (PAY_COUNTY_LEN + PAY_ID_MAX + PAY_WORKER_KEY_MAX + 24)

/*  Short names for the contract's enum values.  */
#define PAY_MONTHLY     CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY
#define PAY_PIECE_RATE  CHEJIAN__V1__PAY_BASIS__PAY_BASIS_PIECE_RATE
#define PAY_SITE_HOME   CHEJIAN__V1__WORK_SITE__WORK_SITE_HOME
#define PAY_DIVIDEND    CHEJIAN__V1__SHAREHOLDER_PAYMENT_KIND__SHAREHOLDER_PAYMENT_KIND_DIVIDEND
#define PAY_GUARANTEED  CHEJIAN__V1__SHAREHOLDER_PAYMENT_KIND__SHAREHOLDER_PAYMENT_KIND_GUARANTEED_MINIMUM
#define PAY_TYPES       6                 /* WorkshopType 1..6 */

/*  ---- counters of each aggregate level ----  */

/*  Workshop-month: sums over the lines of its report, and its output.  */
enum { SM_TOTAL, SM_LINES, SM_PAID, SM_POOR_PAID, SM_POOR_WAGES, SM_PIECE_PAID, SM_HOME_PAID,
       SM_OUTPUT, SM_N };
/*  County-month, and per workshop type t (1..6) at CM_T (t, CMT_*).  */
enum { CM_WAGES, CM_WORKSHOPS, CM_PAID, CM_POOR_PAID, CM_POOR_WAGES, CM_OUTPUT, CM_TYPE0 };
enum { CMT_WORKSHOPS, CMT_PAID, CMT_POOR_PAID, CMT_WAGES, CMT_N };
#define CM_N       (CM_TYPE0 + PAY_TYPES * CMT_N)
#define CM_T(t, f) (CM_TYPE0 + ((t) - 1) * CMT_N + (f))
/*  Workshop-year: months paid (counted roles only), and per type.  */
enum { SY_PAID_MONTHS, SY_TYPE0 };
#define SY_N       (SY_TYPE0 + PAY_TYPES)
#define SY_T(t)    (SY_TYPE0 + (t) - 1)
/*  Worker-year: income and months paid, and months paid per workshop type.  */
enum { WY_WAGES, WY_DIVIDENDS, WY_GUARANTEED, WY_MONTHS_PAID, WY_TYPE0 };
#define WY_N       (WY_TYPE0 + PAY_TYPES)
#define WY_T(t)    (WY_TYPE0 + (t) - 1)
/*  County-year (wages and output of a year are the sum of its county-months).  */
enum { CY_WORKSHOPS, CY_PAID, CY_POOR_PAID, CY_POOR_WAGES, CY_WORKER_MONTHS,
       CY_POOR_WORKER_MONTHS, CY_DIVIDENDS, CY_GUARANTEED, CY_POP, CY_INCREASE, CY_TYPE0 };
enum { CYT_WORKSHOPS, CYT_PAID, CYT_POOR_PAID, CYT_POP, CYT_INCREASE, CYT_N };
#define CY_N       (CY_TYPE0 + PAY_TYPES * CYT_N)
#define CY_T(t, f) (CY_TYPE0 + ((t) - 1) * CYT_N + (f))
#define PAY_COUNTERS_MAX CY_N

/*  ---- records (in memory) ----  */

/*  What every cached record starts with: its key (the field in its hash, stored after the
 *  record), whether it must be written at the next flush, and the arena it lives in (the
 *  turn's, for aggregates; NULL when malloc'd).  */
typedef struct {
    const char  *key;
    bool         dirty;
    cj_arena_t *arena;
} pay_rec_t;

typedef struct {
    int32_t date;
    uint8_t status;          /* Chejian__V1__PovertyStatus */
} pay_status_t;

/*  A worker's facts from the registry.  */
typedef struct {
    bool          registered;
    char          masked[CJ_RESIDENT_ID_LEN + 1];
    int32_t       baseline_year;
    int64_t       baseline;
    uint16_t      nstatus;
    pay_status_t *status;    /* ascending date */
} pay_facts_t;

typedef struct {
    int32_t  year;
    uint16_t months;         /* bit m-1: the year's record holds a line of month m */
    int64_t  v[WY_N];
} pay_year_t;

/*  pay:worker <county>:<worker_key>  */
typedef struct pay_worker_s {
    pay_rec_t   rec;
    pay_facts_t facts;
    uint16_t    nyears;
    pay_year_t *years;       /* ascending year */
} pay_worker_t;

/*  pay:employment <county>:<employment_id>  */
typedef struct {
    pay_rec_t rec;
    int32_t   start, end;    /* end 0 = open */
    bool      voided;
    char      worker_key[PAY_WORKER_KEY_MAX + 1];
    char      workshop_id[PAY_WORKSHOP_ID_MAX + 1];
} pay_emp_t;

/*  pay:workshop <county>:<workshop_id>  */
typedef struct {
    pay_rec_t rec;
    uint32_t  version;
    uint8_t   type, role;
    int32_t   opened, closed;
} pay_workshop_t;

/*  pay:shareholding <county>:<shareholding_id>  */
typedef struct {
    pay_rec_t rec;
    uint32_t  version;
    int64_t   guaranteed;
    char      household_key[PAY_WORKER_KEY_MAX + 1];
    char      worker_key[PAY_WORKER_KEY_MAX + 1];
    char      workshop_id[PAY_WORKSHOP_ID_MAX + 1];
} pay_stake_t;

/*  The output reports of one workshop (in memory only; each is stored in pay:output).  */
typedef struct {
    int32_t first, last;
    int64_t output, revenue;
} pay_output_t;

typedef struct {
    pay_rec_t     rec;       /* key <county>:<workshop_id>; never dirty (written through) */
    size_t        n;
    pay_output_t *items;
} pay_outputs_t;

/*  pay:cm <county>:<period>, pay:cy <county>:<year>, pay:sy <county>:<workshop_id>:<year>  */
typedef struct {
    pay_rec_t rec;
    int64_t   v[PAY_COUNTERS_MAX];
} pay_counts_t;

/*  pay:sm <county>:<workshop_id>:<period>  */
typedef struct {
    pay_rec_t rec;
    int64_t   v[SM_N];
    uint32_t  revision;      /* 0 = no report */
    uint8_t   type;
    bool      counted;
    int32_t   paid_date;
    int64_t   accepted_at;
    char      source[CJ_SOURCE_MAX + 1];
    char      event_id[CJ_EVENT_ID_MAX + 1];
} pay_sm_t;

/*  One line of a worker-year: the worker's line in one workshop's report of one month.  */
typedef struct {
    char     workshop_id[PAY_WORKSHOP_ID_MAX + 1];
    char     employment_id[PAY_ID_MAX + 1];
    uint8_t  month, basis, site, type;
    uint32_t days, pieces, revision;
    int64_t  gross, rate;
} pay_mline_t;

/*  pay:wy <county>:<worker_key>:<year>: the lines of a worker's year. Its counters live in
 *  the worker's year entry in memory (written with the record); 'year' holds them as read,
 *  for queries.  */
typedef struct {
    pay_rec_t    rec;
    pay_year_t   year;
    struct pay_worker_s *worker;   /* set by the change that made it dirty */
    size_t       n, cap;
    pay_mline_t *lines;      /* 'one' while there is room */
    pay_mline_t  one;
} pay_wy_t;

/*  ---- record kinds ----  */

typedef enum {
    /* facts: loaded whole when the partition is gained, kept while it is owned */
    PAY_WORKER, PAY_EMPLOYMENT, PAY_WORKSHOP, PAY_STAKE,
    /* aggregates: read on demand, cached for one turn, written at its flush */
    PAY_SM, PAY_SY, PAY_CM, PAY_CY, PAY_WY,
    PAY_KINDS
} pay_kind_t;

#define PAY_FACT_KINDS PAY_SM        /* kinds below it are facts */

/*  Hashes that are not record kinds.  */
#define PAY_HASH_REPORT  "report"    /* <county>:<workshop_id>:<period> -> Report */
#define PAY_HASH_OUTPUT  "output"    /* <county>:<workshop_id>:<first>:<last> -> OutputRecorded */
#define PAY_HASH_SHPAY   "shpay"     /* key per workshop: pay:shpay:<county>:<workshop_id>,
                                        field <shareholding_id>:<year>:<kind> -> ShareholderPaymentRecorded */

/*  ---- the I/O seam ----  */

typedef struct {
    uint8_t *data;           /* malloc'd (NUL-terminated) when found; caller frees */
    size_t   len;
    bool     found;
} pay_value_t;

typedef struct {
    const char        *key;
    const char *const *fields;
    size_t             nfields;
    bool               pending;  /* see this turn's pending writes first */
    pay_value_t       *values;   /* nfields, written by the read */
} pay_read_t;

typedef int (pay_scan_fn) (void *arg, const char *field, const uint8_t *value, size_t len);

/*  How the core reaches the store. 'read' answers every field of every read in one round
 *  trip where it can; 'scan' walks a whole hash of the committed state (stopping when 'fn'
 *  returns non-zero); the writes land in the turn's batch; 'emit' appends an event caused by
 *  the message being handled; 'room' is how many more events the turn's batch takes.
 *  Every function returns 0, or -1 when the store cannot answer (or is out of memory).  */
typedef struct {
    void   *self;
    int   (*read) (void *self, pay_read_t *reads, size_t nreads);
    int   (*scan) (void *self, const char *key, pay_scan_fn *fn, void *arg);
    int   (*hset) (void *self, const char *key, const char *field, const void *data, size_t len);
    int   (*hdel) (void *self, const char *key, const char *field);
    int   (*emit) (void *self, int body_case, const ProtobufCMessage *body);
    size_t (*room) (void *self);
} pay_io_t;

/*  The contributions of a worker to the county-years a change may move (pay_worker_begin).  */
#define PAY_YEARS_MAX  64           /* years of income one worker holds (from 2000) */
#define PAY_FIRST_YEAR 2000         /* periods and years before it are refused */
#define PAY_SNAP_YEARS (2 * PAY_YEARS_MAX + 2)
typedef struct {
    size_t  n;
    int32_t years[PAY_SNAP_YEARS];
    int64_t cy[PAY_SNAP_YEARS][CY_N];
} pay_worker_snap_t;

/*  ---- records (pay_record.c) ----  */

typedef struct pay_part_s pay_part_t;

/*  The hash of a kind: cj:{pN}:pay:<hash>.  */
const char *pay_kind_hash (pay_kind_t kind);
/*  A zeroed record of 'kind' with a copy of 'key' stored after it, in 'arena' (NULL:
 *  malloc'd).  */
void       *pay_rec_new (pay_kind_t kind, const char *key, cj_arena_t *arena);
/*  A record of 'kind' decoded from 'data' (NULL: a new empty one), in 'arena' (or NULL);
 *  NULL when it does not decode (logged) or no memory.  */
void       *pay_rec_decode (pay_kind_t kind, const char *key, const uint8_t *data, size_t len,
                            cj_arena_t *arena);
/*  Frees a record of 'kind' and what it holds (nothing for a record of an arena).  */
void        pay_rec_free (pay_kind_t kind, void *rec);
void        pay_rec_destroy_worker (void *rec);
void        pay_outputs_destroy (void *rec);
/*  Packs 'rec' into the partition's buffer (pay_pack); its length, or -1.  */
int         pay_rec_encode (pay_part_t *part, pay_kind_t kind, const void *rec);
/*  True when the record is to be deleted rather than written.  */
bool        pay_rec_empty (pay_part_t *part, pay_kind_t kind, const void *rec);

/*  ---- partition state (pay_state.c) ----  */

typedef struct {
    void  **items;
    size_t  n, cap;
} pay_vec_t;

typedef struct {
    pay_kind_t kind;
    char       key[PAY_FIELD_MAX];
} pay_want_t;

struct pay_part_s {
    uint32_t   partition;
    bool       loaded;
    bool       poisoned;     /* this turn's writes must not be committed */
    size_t     emitted;      /* events emitted this turn */
    pay_map_t *maps[PAY_KINDS];
    pay_vec_t  dirty[PAY_KINDS];
    void      *last[PAY_KINDS];   /* the record pay_get found last (most lines of a report
                                     move the same county and workshop records) */
    pay_map_t *outputs;      /* <county>:<workshop_id> -> pay_outputs_t */
    pay_want_t *wants;       /* records to fetch before the next change */
    size_t     nwants, cwants;
    uint8_t   *buf;          /* encoding buffer */
    size_t     cbuf;
    cj_arena_t *turn;       /* the turn's aggregates */
    void      *scratch;      /* a handler's working memory, reused */
    size_t     cscratch;
    pay_map_t *index;        /* a handler's index, emptied by each use */
    pay_worker_snap_t *snap;
};

struct payroll_t {
    cj_pseudonym_t *pseudonym;             /* loaded by the init hook (or given, in tests) */
    bool            owns_pseudonym;
    uint32_t        npart;                 /* partitions created so far (parts[0..npart)) */
    pay_part_t     *parts[CJ_PARTITIONS_MAX];
};

pay_part_t *pay_part_new (uint32_t partition);
void        pay_part_destroy (pay_part_t **self_p);
/*  Drops everything (partition gained, lost, or its commit failed): the next message loads
 *  the facts again from the store.  */
void        pay_part_reset (pay_part_t *self);
/*  Loads the facts of the partition if not loaded. Returns 0 or -1.  */
int         pay_part_load (pay_part_t *self, const pay_io_t *io);
/*  The partition 'p' of 'payroll', created on first use (NULL when out of memory).  */
pay_part_t *payroll_part (payroll_t *payroll, uint32_t p);

/*  "cj:{p<N>}:pay:<name>" into 'buf' (CJ_KEY_MAX).  */
void        pay_hash_key (char *buf, uint32_t partition, const char *name);

/*  The record of 'kind' with 'key' if cached (facts: if known), else NULL.  */
void       *pay_get (pay_part_t *self, pay_kind_t kind, const char *key);
/*  The record, created empty when absent (not read from the store: the caller knows it does
 *  not exist there, or it is a fact). NULL when out of memory.  */
void       *pay_get_new (pay_part_t *self, pay_kind_t kind, const char *key);
/*  Asks for the record of 'kind' with 'key' to be read at the next pay_fetch (nothing when
 *  cached already).  */
int         pay_want (pay_part_t *self, pay_kind_t kind, const char *key);
/*  Reads every wanted record in one round trip; absent ones are created empty. 0 or -1.  */
int         pay_fetch (pay_part_t *self, const pay_io_t *io);
/*  Marks 'rec' of 'kind' to be written at the next flush.  */
int         pay_dirty (pay_part_t *self, pay_kind_t kind, void *rec);
/*  Writes every dirty record and drops the turn's cached aggregates. 0 or -1.  */
int         pay_flush (pay_part_t *self, const pay_io_t *io);
/*  Frees a worker's facts (not the struct holding them).  */
void        pay_facts_free (pay_facts_t *facts);
/*  The worker's year 'year', created (zeroed, in order) when 'create'; NULL if absent or out
 *  of memory.  */
pay_year_t *pay_worker_year (pay_worker_t *worker, int32_t year, bool create);
/*  A new (zeroed) last line of 'wy', growing it. NULL when out of memory.  */
pay_mline_t *pay_wy_add_line (pay_wy_t *wy);
/*  Takes line 'i' out of 'wy'.  */
void        pay_wy_remove_line (pay_wy_t *wy, size_t i);
/*  At least 'size' bytes of the partition's scratch memory (zeroed), or NULL.  */
void       *pay_scratch (pay_part_t *self, size_t size);
/*  Removes year entries with no record and no income.  */
void        pay_worker_prune (pay_worker_t *worker);

/*  Records (or replaces, same months) an output report of the workshop '<county>:<id>'.  */
int         pay_outputs_put (pay_part_t *self, const char *key, const pay_output_t *item);
/*  Reads records 'keys' of 'kind' from the committed state (for queries): 'ret'[i] is a new
 *  record, or NULL when absent. Free them with pay_records_free. 0 or -1.  */
int         pay_records_read (const pay_io_t *io, uint32_t partition, pay_kind_t kind,
                              const char *const *keys, size_t n, void **ret);
void        pay_records_free (pay_kind_t kind, void **recs, size_t n);
/*  Encodes 'msg' into the partition's buffer; returns the length, or -1.  */
int         pay_pack (pay_part_t *self, const ProtobufCMessage *msg);

/*  ---- contributions and changes (pay_agg.c) ----  */

/*  True when a poverty status counts as registered-poor (POOR, LIFTED_OUT, MONITORED).  */
bool    pay_status_poor (int status);
/*  The worker's poverty status on 'date' (the latest entry on or before it; before the first
 *  entry, the first one's). UNSPECIFIED when the facts have no history.  */
int     pay_facts_status (const pay_facts_t *facts, int32_t date);
/*  Registered-poor in month 'period' (on its last day) / in 'year' (on 31 December).  */
bool    pay_facts_poor_month (const pay_facts_t *facts, int32_t period);
bool    pay_facts_poor_year (const pay_facts_t *facts, int32_t year);
/*  The income increase's reference of 'year': the previous year's total income where the
 *  worker had any, else the registered baseline where known. Returns the IncreaseBasis
 *  (UNSPECIFIED when there is none) and the reference in '*ret_ref'.  */
int     pay_worker_reference (const pay_worker_t *worker, int32_t year, int64_t *ret_ref);
int64_t pay_year_income (const pay_year_t *year);

void pay_line_to_sm (int64_t gross, int basis, int site, bool poor, int64_t out[SM_N]);
void pay_sm_to_cm (const pay_sm_t *sm, int64_t out[CM_N]);
void pay_sm_to_sy (const pay_sm_t *sm, int64_t out[SY_N]);
void pay_sy_to_cy (const pay_counts_t *sy, int64_t out[CY_N]);
void pay_month_to_cm (const pay_wy_t *wy, int month, bool poor, int64_t out[CM_N]);
void pay_month_to_wy (const pay_wy_t *wy, int month, int64_t out[WY_N]);
void pay_worker_to_cy (const pay_worker_t *worker, int32_t year, int64_t out[CY_N]);
/*  dst += after - before, over 'n' counters.  */
void pay_counters_move (int64_t *dst, const int64_t *before, const int64_t *after, size_t n);

/*  The county a worker's record belongs to (the first part of its key).  */
void pay_worker_county (const pay_worker_t *worker, char county[PAY_COUNTY_LEN + 1]);

/*  A change of a workshop-month: pay_want_sm asks for it and every record it moves (its
 *  workshop-year, county-month and county-year); after pay_fetch, pay_sm_begin takes its
 *  contributions and returns it, the caller changes it, and pay_sm_end moves the parents.  */
typedef struct { int64_t cm[CM_N], sy[SY_N], cy[CY_N]; } pay_sm_snap_t;
int       pay_want_sm (pay_part_t *part, const char *county, const char *workshop_id,
                       int32_t period);
pay_sm_t *pay_sm_begin (pay_part_t *part, const char *county, const char *workshop_id,
                        int32_t period, pay_sm_snap_t *snap);
int       pay_sm_end (pay_part_t *part, pay_sm_t *sm, const char *county,
                      const char *workshop_id, int32_t period, const pay_sm_snap_t *snap);

/*  A change of a worker's income of 'year' (which may move that county-year and the next,
 *  through the next year's reference), or with 'year' 0 of its facts (which may move every
 *  county-year it has income in, and the next ones).  */
int  pay_want_worker (pay_part_t *part, const pay_worker_t *worker, int32_t year);
/*  ... pay_worker_end moves the county-years; the worker's record (its facts) is the
 *  caller's to mark dirty when they changed.  */
void pay_worker_begin (const pay_worker_t *worker, int32_t year, pay_worker_snap_t *snap);
int  pay_worker_end (pay_part_t *part, pay_worker_t *worker, const pay_worker_snap_t *snap);

/*  A change of a worker-month (the lines of 'period' in the worker-year 'wy'), the worker's
 *  facts unchanged ('poor' in that month): its contributions to the county-month and the
 *  worker-year before, then after; keeps the year's months bit and marks 'wy' to be written.
 *  Call inside a worker change of the month's year.  */
typedef struct { bool poor; int64_t cm[CM_N], wy[WY_N]; } pay_wm_snap_t;
void pay_wm_begin (const pay_wy_t *wy, int32_t period, bool poor, pay_wm_snap_t *snap);
int  pay_wm_end (pay_part_t *part, pay_wy_t *wy, int32_t period, pay_worker_t *worker,
                 const pay_wm_snap_t *snap);
/*  The line of 'workshop_id' in month 'month' of 'wy', or -1.  */
long pay_wy_find (const pay_wy_t *wy, int month, const char *workshop_id);
/*  Lines of month 'month' in 'wy'.  */
size_t pay_wy_month_lines (const pay_wy_t *wy, int month);

/*  ---- keys of records ----  */

/*  Copies 'src' into 'dst' ('size' bytes), cut to fit, always NUL-terminated.  */
void pay_copy (char *dst, size_t size, const char *src);
int pay_key_worker (char *buf, const char *county, const char *worker_key);
int pay_key_wy (char *buf, const char *county, const char *worker_key, int32_t year);
int pay_key_sm (char *buf, const char *county, const char *workshop_id, int32_t period);
int pay_key_sy (char *buf, const char *county, const char *workshop_id, int32_t year);
int pay_key_cm (char *buf, const char *county, int32_t period);
int pay_key_cy (char *buf, const char *county, int32_t year);
int pay_key_id (char *buf, const char *county, const char *id);

/*  ---- validation (pay_check.c) ----  */

int  pay_check_id (cj_problems_t *p, const char *field, const char *id, bool required);
int  pay_check_workshop_id (cj_problems_t *p, const char *field, const char *id);
int  pay_check_page (cj_problems_t *p, const char *field, const Chejian__V1__PageRequest *page);
/*  A query range of months: 0 or a period each, from <= to, at most 120 months (checked when
 *  both are given).  */
int  pay_check_range (cj_problems_t *p, int32_t from, int32_t to);

cj_validate_fn pay_validate_wage_report;
cj_validate_fn pay_validate_shareholder_payment;
cj_validate_fn pay_validate_output_report;
cj_validate_fn pay_validate_worker_income;
cj_validate_fn pay_validate_workshop_payroll;
cj_validate_fn pay_validate_county_summary;
cj_validate_fn pay_validate_wage_report_query;
cj_validate_fn pay_validate_shareholder_payments;

/*  Today in China (UTC+8) as yyyymmdd, and its period; the clock of "not in the future".  */
int32_t pay_today (void);
int32_t pay_this_period (void);
/*  Last day of 'period' (yyyymmdd); 0 if invalid.  */
int32_t pay_period_last_day (int32_t period);
/*  Wall clock, Unix ms.  */
int64_t pay_now_ms (void);
/*  'num' / 'den' rounded half away from zero; 0 when 'den' is 0.  */
int64_t pay_div_round (int64_t num, int64_t den);

/*  ---- commands and events (pay_wage.c, pay_other.c, pay_registry.c) ----
 *  A command returns 0 when applied; -1 with problems when rejected; -1 without when the
 *  store could not answer (nothing changed in memory then) or the change failed midway (the
 *  partition's turn is then poisoned). An event returns 0 when applied, and poisons the
 *  turn (-1) when it cannot be applied now: it comes again from the outbox.  */
typedef int (pay_command_fn) (payroll_t *payroll, pay_part_t *part, const pay_io_t *io,
                              const cj_envelope_t *env, cj_problems_t *problems);
typedef int (pay_event_fn) (pay_part_t *part, const pay_io_t *io, const cj_envelope_t *env);

pay_command_fn pay_apply_wage_report;
pay_command_fn pay_apply_shareholder_payment;
pay_command_fn pay_apply_output_report;

pay_event_fn pay_on_workshop_registered;
pay_event_fn pay_on_workshop_updated;
pay_event_fn pay_on_worker_registered;
pay_event_fn pay_on_worker_updated;
pay_event_fn pay_on_worker_status_changed;
pay_event_fn pay_on_employment_started;
pay_event_fn pay_on_employment_amended;
pay_event_fn pay_on_employment_ended;
pay_event_fn pay_on_shareholding_recorded;

/*  True when a workshop of 'role' counts as a workshop in the bulletins' figures (not a
 *  hosting park nor a headquarters).  */
bool pay_role_counted (int role);
/*  Moves the counters of record 'key' of 'kind' (fetched) by after - before; marks it dirty.  */
int  pay_move (pay_part_t *part, pay_kind_t kind, const char *key, const int64_t *before,
               const int64_t *after, size_t n);

/*  ---- queries (pay_query.c) ----
 *  Answer from the committed state through 'io' (reads only), whoever owns the partition.
 *  The result is built in 'arena', which the caller frees after sending the Ack. Returns 0,
 *  or -1 with problems (rejected) or without (the store cannot answer).  */

typedef struct {
    payroll_t           *payroll;
    uint32_t             partition;
    const pay_io_t      *io;
    const cj_envelope_t *env;
    cj_ack_t            *ack;
    cj_arena_t          *arena;
    cj_problems_t       *problems;
} pay_query_t;

typedef int (pay_query_fn) (pay_query_t *q);

pay_query_fn pay_query_worker_income;
pay_query_fn pay_query_workshop_payroll;
pay_query_fn pay_query_county_summary;
pay_query_fn pay_query_wage_report;
pay_query_fn pay_query_shareholder_payments;

#endif
