/*  payroll_harness.h - drives the payroll core without sockets or Redis, the way the service
 *  runtime does: an in-memory store behind the core's I/O seam (committed hashes, the turn's
 *  pending writes and events), turns that apply commands and registry events, flush, and
 *  commit or drop. Used by the payroll unit and property tests.  */
#ifndef PAYROLL_HARNESS_H
#define PAYROLL_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payroll_internal.h"

#define PH_PARTITION 0

typedef struct ph_t ph_t;

/*  A harness with its own pseudonym key (a temporary key file).  */
ph_t       *ph_new (void);
void        ph_destroy (ph_t **self_p);
payroll_t  *ph_payroll (ph_t *self);
pay_part_t *ph_part (ph_t *self);
const cj_pseudonym_t *ph_pseudonym (ph_t *self);
const pay_io_t *ph_io (ph_t *self);

/*  Applies a command as the runtime would (validate, apply; a rejected command's writes and
 *  events are rolled back; an envelope accepted before gets DUPLICATE and is not applied
 *  again) in the current turn. Returns the Ack status it would get before the commit
 *  (ACCEPTED, DUPLICATE, REJECTED or UNAVAILABLE) and leaves the problems in ph_problems.  */
int         ph_command (ph_t *self, const cj_envelope_t *env);
const cj_problems_t *ph_problems (ph_t *self);
/*  True when a problem with 'field' and 'code' was reported by the last command.  */
bool        ph_has_problem (ph_t *self, const char *field, const char *code);
/*  Applies a registry event in the current turn. Returns 0 (applied or poisoned).  */
int         ph_event (ph_t *self, const cj_envelope_t *env);
/*  Ends the turn: flush and commit (or drop it when poisoned). Returns 0 when committed.  */
int         ph_commit (ph_t *self);
/*  Forgets everything in memory (a restart): the next message reloads from the store.  */
void        ph_restart (ph_t *self);

/*  Events committed so far, decoded (owned by the harness), in order.  */
size_t      ph_events (ph_t *self);
const cj_envelope_t *ph_event_at (ph_t *self, size_t i);

/*  Runs a query against the committed state. Returns 0 with the result in '*ack' (free with
 *  ph_ack_done), or -1 (problems in ph_problems).  */
int         ph_query (ph_t *self, const cj_envelope_t *env, cj_ack_t *ack);
void        ph_ack_done (ph_t *self);

/*  Commits made to fail reads (to test UNAVAILABLE): while set, every read fails.  */
void        ph_fail_reads (ph_t *self, bool fail);

/*  ---- message builders (results live until ph_reset_messages or ph_destroy) ----  */

/*  A valid resident ID for number 'n' (area 510822, born 1980-01-01 + n days).  */
void        ph_resident_id (unsigned n, char out[CJ_RESIDENT_ID_LEN + 1]);
void        ph_worker_key (ph_t *self, const char *resident_id, char out[CJ_PSEUDONYM_HEX + 1]);

cj_envelope_t *ph_envelope (ph_t *self, const char *county, int body_case, void *body);
cj_envelope_t *ph_workshop_registered (ph_t *self, const char *county, const char *id,
                                       int type, int32_t opened, uint32_t version);
cj_envelope_t *ph_worker_registered (ph_t *self, const char *county, const char *resident_id,
                                     int poverty, int32_t status_date, int64_t baseline,
                                     int32_t baseline_year);
cj_envelope_t *ph_status_changed (ph_t *self, const char *county, const char *resident_id,
                                  int poverty, int32_t effective);
cj_envelope_t *ph_worker_updated (ph_t *self, const char *county, const char *resident_id,
                                  int64_t baseline, int32_t baseline_year);
cj_envelope_t *ph_employment_started (ph_t *self, const char *county, const char *id,
                                      const char *resident_id, const char *workshop_id,
                                      int32_t start);
cj_envelope_t *ph_employment_ended (ph_t *self, const char *county, const char *id,
                                    const char *resident_id, const char *workshop_id,
                                    int32_t start, int32_t end, int reason);
cj_envelope_t *ph_shareholding (ph_t *self, const char *county, const char *id,
                                const char *resident_id, const char *workshop_id,
                                uint32_t version);

typedef struct {
    const char *resident_id;
    const char *employment_id;
    int64_t     gross;
    int         basis;          /* 0 = monthly */
    uint32_t    pieces;
    int64_t     rate;
    int         site;           /* 0 = on site */
} ph_line_t;

cj_envelope_t *ph_wage_report (ph_t *self, const char *county, const char *workshop_id,
                               int32_t period, uint32_t revision, const ph_line_t *lines,
                               size_t n);
cj_envelope_t *ph_payment (ph_t *self, const char *county, const char *shareholding_id,
                           int32_t year, int kind, int64_t amount);
cj_envelope_t *ph_output (ph_t *self, const char *county, const char *workshop_id,
                          int32_t first, int32_t last, int64_t output);
/*  Frees every message built so far.  */
void        ph_reset_messages (ph_t *self);

#endif
