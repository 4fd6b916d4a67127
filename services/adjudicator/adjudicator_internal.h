/*  adjudicator_internal.h - what the adjudicator core's files share: limits, the call record
 *  of one handler, the key space and record I/O, policy resolution, facts, qualification,
 *  the decision/fund/payment machinery, and the handlers. Not for use outside
 *  services/adjudicator and its tests. Design: docs/2026-11-23-adjudicator.md.
 *
 *  Key space: policies are partition-wide (a policy serves every county of the partition that
 *  lies in its jurisdiction), everything else belongs to one county:
 *      cj:{p<N>}:adj:<hash>              field <id>   packed protobuf (policies, catalogue)
 *      cj:{p<N>}:adj:<county>:<hash>     field <id>   packed protobuf
 *      cj:{p<N>}:adj:<county>:mv:<fund>  list of FundMovement (queries only)
 *      cj:{p<N>}:adj:<county>:ix:<what>  sorted sets of decision ids by number (queries only)
 */
#ifndef CHEJIAN_ADJUDICATOR_INTERNAL_H
#define CHEJIAN_ADJUDICATOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adjudicator.h"
#include "adjudicator_state.pb-c.h"
#include "chejian/arena.h"
#include "chejian/envelope.h"
#include "chejian/ident.h"
#include "chejian/problem.h"
#include "chejian/service.h"

/*  ---- limits (the contract's, and ours where it is silent) ----  */
#define ADJ_ID_MAX           64
#define ADJ_WORKSHOP_ID_MAX  32
#define ADJ_PARAMS_MAX       64
#define ADJ_FACTS_MAX        128
#define ADJ_REASONS_MAX      32
#define ADJ_TEXT_MAX         256
#define ADJ_HISTORY_MAX      500      /* status entries kept per worker */
#define ADJ_LIST_MAX         10000    /* ids in one index field (employments of a workshop ...) */
#define ADJ_CATALOG_MAX      4096     /* policy versions stored in a partition */
#define ADJ_CHAIN_MAX        32       /* decisions returned in an explanation's chain */
#define ADJ_PAGE_DEFAULT     100
#define ADJ_PAGE_MAX         500
#define ADJ_MONEY_MAX        10000000000000LL   /* fen: 10^13, any balance or amount bound */

/*  Short names of the contract's types.  */
typedef Chejian__V1__Decision               adj_decision_t;
typedef Chejian__V1__Policy                 adj_policy_t;
typedef Chejian__V1__PolicyRef              adj_policy_ref_t;
typedef Chejian__V1__LaborerQualification   adj_qual_t;
typedef Chejian__Adj__DecisionRecord        adj_drec_t;
typedef Chejian__Adj__PolicyRecord          adj_prec_t;
typedef Chejian__Adj__WorkshopFacts         adj_workshop_t;
typedef Chejian__Adj__WorkerFacts           adj_worker_t;
typedef Chejian__Adj__EmploymentFacts       adj_employment_t;
typedef Chejian__Adj__WorkshopState         adj_ws_state_t;
typedef Chejian__Adj__FundRecord            adj_fund_t;
typedef Chejian__Adj__PaymentRecord         adj_payment_t;
typedef Chejian__Adj__LoanRecord            adj_loan_t;
typedef Chejian__Adj__IdList                adj_ids_t;

#define ADJ_GRANTED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_GRANTED
#define ADJ_DENIED     CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_DENIED
#define ADJ_WAITLISTED CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_WAITLISTED
#define ADJ_REVOKED    CHEJIAN__V1__DECISION_OUTCOME__DECISION_OUTCOME_REVOKED
#define ADJ_RULE(x)    CHEJIAN__V1__RULE_KIND__RULE_KIND_##x
#define ADJ_BODY(x)    CHEJIAN__V1__ENVELOPE__BODY_##x

/*  ---- hashes ----  */
#define ADJ_POLICIES      "policies"         /* partition: <id>@<version> -> PolicyRecord */
#define ADJ_CATALOG       "policy_catalog"   /* partition: "all" -> PolicyCatalog */
#define ADJ_WORKSHOPS     "workshops"        /* workshop_id -> WorkshopFacts */
#define ADJ_WORKERS       "workers"          /* worker_key -> WorkerFacts */
#define ADJ_EMPLOYMENTS   "employments"      /* employment_id -> EmploymentFacts */
#define ADJ_EMP_BY_WS     "emp_by_workshop"  /* workshop_id -> IdList of employment ids */
#define ADJ_EMP_BY_WORKER "emp_by_worker"    /* worker_key -> IdList of employment ids */
#define ADJ_WAGES         "wages"            /* employment_id -> WageMonths */
#define ADJ_OUTPUTS       "outputs"          /* workshop_id -> OutputReports */
#define ADJ_CHECKLISTS    "checklists"       /* workshop_id -> ChecklistHistory */
#define ADJ_WS_STATE      "ws_state"         /* workshop_id -> WorkshopState */
#define ADJ_DECISIONS     "decisions"        /* decision_id -> DecisionRecord */
#define ADJ_CHAINS        "chains"           /* subject key -> IdList of decision ids */
#define ADJ_FUNDS         "funds"            /* fund_id -> FundRecord */
#define ADJ_FUND_SOURCES  "fund_sources"     /* FundSource number -> fund_id */
#define ADJ_WAITLIST      "waitlist"         /* FundSource number -> Waitlist */
#define ADJ_PAYMENTS      "payments"         /* instruction_id -> PaymentRecord */
#define ADJ_LOANS         "loans"            /* application_id -> LoanRecord */
#define ADJ_LOAN_IDS      "loan_ids"         /* loan_id -> application_id */
#define ADJ_BORROWERS     "borrowers"        /* applicant/partner key or USCC -> application_id */
#define ADJ_COUNTERS      "counters"         /* "n" -> Counters */

/*  ---- one handler's call ----  */

/*  What a handler works with: its context and envelope, the message's arena, its problems
 *  (prefixed by the body's field name while validating), the county, the date of the
 *  envelope in China, and for a query the Ack to answer in.  */
typedef struct {
    cj_ctx_t            *ctx;
    const cj_envelope_t *env;
    cj_arena_t          *arena;
    cj_problems_t       *p;
    const char          *county;
    int32_t              today;
    cj_ack_t            *ack;
} adj_call_t;

typedef int (adj_step_fn) (adj_call_t *c);

/*  Runs 'step' for a command, event ('ack' NULL) or query: 0, or -1 when problems were
 *  added (REJECTED) or 'step' failed (UNAVAILABLE).  */
int adj_run (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, adj_step_fn *step);

/*  ---- keys and records (adj_store.c) ----  */

/*  "cj:{p<N>}:adj:<county>:<name>" (county NULL: "cj:{p<N>}:adj:<name>").  */
int   adj_key (char *buf, size_t size, uint32_t partition, const char *county,
               const char *name);
/*  Reads field 'id' of hash 'hash' of the county ('county' NULL: partition-wide) as the
 *  handler sees it, unpacked into the arena. 1 with '*ret', 0 absent, -1 on error.  */
int   adj_get (adj_call_t *c, const char *county, const char *hash, const char *id,
               const ProtobufCMessageDescriptor *desc, void **ret);
/*  adj_get of the call's county; adj_need adds 'code' on 'field' (naming 'what') when absent.  */
int   adj_read (adj_call_t *c, const char *hash, const char *id,
                const ProtobufCMessageDescriptor *desc, void **ret);
int   adj_need (adj_call_t *c, const char *hash, const char *id,
                const ProtobufCMessageDescriptor *desc, void **ret, const char *field,
                const char *code, const char *what);
/*  Packs 'msg' into field 'id' of the hash (county NULL: partition-wide) in the batch.  */
int   adj_put (adj_call_t *c, const char *county, const char *hash, const char *id,
               const ProtobufCMessage *msg);
int   adj_write (adj_call_t *c, const char *hash, const char *id, const ProtobufCMessage *msg);
int   adj_delete (adj_call_t *c, const char *hash, const char *id);
/*  Adds 'member' scored 'score' to the county's query index "ix:<name>".  */
int   adj_index (adj_call_t *c, const char *name, double score, const char *member);
/*  Reads the id list of 'hash' field 'id' (an empty one when absent).  */
int   adj_ids (adj_call_t *c, const char *hash, const char *id, adj_ids_t **ret);
/*  Appends 'item' to the id list (unless present) and writes it back.  */
int   adj_ids_add (adj_call_t *c, const char *hash, const char *id, const char *item);
/*  Emits an event whose body is 'body' at Envelope body case 'body_case'.  */
int   adj_emit (adj_call_t *c, int body_case, const ProtobufCMessage *body);
/*  Sets the oneof member numbered 'number' of 'msg' to 'value'.  */
void  adj_set_oneof (ProtobufCMessage *msg, int number, const void *value);
/*  The next number of a county counter ("dec", "pay", "mv") as "<prefix>-<n>" in the arena.  */
char *adj_next_id (adj_call_t *c, const char *prefix, uint64_t *ret_number);
/*  memcpy that accepts a NULL source when 'len' is 0 (an empty repeated field).  */
static inline void
adj_copy (void *dst, const void *src, size_t len)
{
    if (len)
        __builtin_memcpy (dst, src, len);
}
/*  printf into the arena.  */
char *adj_fmt (adj_call_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/*  An array of 'n' pointers in the arena.  */
void *adj_array (adj_call_t *c, size_t n);
/*  The pseudonym of a resident ID (the registry's "worker" scheme), and the masked ID.  */
char *adj_person_key (adj_call_t *c, const char *resident_id);
char *adj_masked (adj_call_t *c, const char *resident_id);

/*  ---- dates and money (adj_math.c; pure) ----  */

int32_t adj_date_of_ms (int64_t ms);              /* yyyymmdd in China (UTC+8) */
int32_t adj_day_before (int32_t date);
int32_t adj_period_last_day (int32_t period);
bool    adj_within (int32_t date, int32_t from, int32_t to);   /* to 0 = open */
/*  Whole years from the first day of 'birth_period' to 'date'; -1 when unknown.  */
int     adj_age_on (int32_t birth_period, int32_t date);
/*  'numerator' / 'denominator' (both >= 0, denominator > 0) rounded to a whole number by
 *  'rule' (HALF_UP, DOWN, HALF_EVEN).  */
int64_t adj_round_div (int64_t numerator, int64_t denominator, Chejian__V1__RoundingRule rule);
/*  The interest subsidy of a period: 'interest_fen' at 'rate_bp' under 'params', the loan's
 *  reference rate 'loan_ref_bp' (0 = the policy's). Writes the borrower's rate (ABOVE_...)
 *  and the reference used. Returns the subsidy in fen.  */
int64_t adj_interest_subsidy (const Chejian__V1__InterestSubsidyParams *params,
                              int64_t interest_fen, uint32_t rate_bp, uint32_t loan_ref_bp,
                              uint32_t *ret_borrower_rate_bp, uint32_t *ret_reference_bp);
/*  The cap of a loan under 'terms' for 'partners' partners (PARTNERSHIP).  */
int64_t adj_loan_cap (const Chejian__V1__LoanTerms *terms, uint32_t partners);

/*  ---- validators (adj_check.c) ----  */

int  adj_check_id (cj_problems_t *p, const char *field, const char *id, bool required);
int  adj_check_workshop_id (cj_problems_t *p, const char *field, const char *id, bool required);
/*  A date not after the envelope's date.  */
int  adj_check_not_future (cj_problems_t *p, const char *field, int32_t date,
                           const cj_envelope_t *env);
int  adj_check_page (cj_problems_t *p, const char *field, const Chejian__V1__PageRequest *page);
int  adj_check_policy (cj_problems_t *p, const adj_policy_t *policy, const char *county);
void adj_begin (cj_problems_t *p, const cj_envelope_t *env);
int  adj_end (cj_problems_t *p);

/*  ---- policies (adj_policy.c) ----  */

/*  The rule 'rule' of 'policy' (NULL when it has none).  */
const Chejian__V1__RuleParams *adj_policy_rule (const adj_policy_t *policy, int rule);
/*  Resolves 'rule' for the call's county at 'date': the most specific jurisdiction in force
 *  carrying the rule, the highest version within a policy id. 1 with the record, 0 none,
 *  -1 on error.  */
int  adj_resolve (adj_call_t *c, int rule, int32_t date, adj_prec_t **ret);
/*  One stored policy version ('version' 0: the latest). 1, 0 absent, -1 error.  */
int  adj_policy_version (adj_call_t *c, const char *policy_id, uint32_t version,
                         adj_prec_t **ret);
adj_policy_ref_t *adj_policy_ref (adj_call_t *c, const adj_policy_t *policy);
/*  Adds the parameters of 'rule' of the decision's policy to 'r' (ParamValue list).  */
void adj_cite_params (adj_call_t *c, adj_drec_t *r, const Chejian__V1__RuleParams *rule);
void adj_cite_qualification (adj_call_t *c, adj_drec_t *r, const char *prefix,
                             const adj_qual_t *q);

/*  ---- facts (adj_facts.c) ----  */

int  adj_workshop (adj_call_t *c, const char *id, adj_workshop_t **ret);
/*  Poverty status of 'w' on 'date' (replaying the history); UNSPECIFIED before the first.  */
Chejian__V1__PovertyStatus adj_status_on (const adj_worker_t *w, int32_t date);
/*  True when the latest entry of the history is REVOKED (registered wrongly).  */
bool adj_status_revoked (const adj_worker_t *w, const Chejian__Adj__StatusEntry **ret_entry);
bool adj_registered_poor (Chejian__V1__PovertyStatus status);
/*  Terms of 'e' in force on 'date'.  */
const Chejian__Adj__TermsFrom *adj_terms_on (const adj_employment_t *e, int32_t date);
bool adj_voided (const adj_employment_t *e);
bool adj_open_on (const adj_employment_t *e, int32_t date);

/*  ---- qualification (adj_qualify.c) ----  */

/*  One laborer of a workshop: a worker and that worker's employments there.  */
typedef struct {
    const char        *worker_key;
    adj_worker_t      *worker;        /* NULL: not (yet) known */
    adj_employment_t **emps;
    Chejian__Adj__WageMonths **wages;   /* per employment, NULL when none (or not loaded) */
    size_t             nemps;
    adj_employment_t  *subject;       /* the employment that qualifies, when one does */
    uint32_t           months_worked; /* MONTHS_WORKED: in the window */
    int64_t            earned_fen;    /* MONTHS_WORKED: in the window */
    int64_t            annual_wage_fen;  /* the 12 months to the date */
    const char        *why_code;      /* first reason it fails; NULL when it qualifies */
    char              *why;
} adj_laborer_t;

/*  The laborers of workshop 'ws' (one per worker, ordered by first start date then worker
 *  key), with their employments; wages loaded when 'wages' is set.  */
int  adj_laborers (adj_call_t *c, const char *ws, bool wages, adj_laborer_t **ret,
                   size_t *ret_n);
/*  One worker's entry in a workshop (NULL subject when it has no employment there).  */
int  adj_laborer_of (adj_call_t *c, const char *ws, const char *worker_key, bool wages,
                     adj_laborer_t *ret);
/*  Whether 'l' qualifies under 'q' at 'date': sets subject / why_code / why.  */
bool adj_qualifies (adj_call_t *c, const adj_qual_t *q, int32_t date, adj_laborer_t *l);
/*  Adds the facts of laborer 'l' at 'date' to 'r'.  */
void adj_cite_laborer (adj_call_t *c, adj_drec_t *r, const adj_laborer_t *l, int32_t date);

/*  ---- decisions, funds and payments (adj_decide.c, adj_fund.c) ----  */

/*  A new decision record in the arena on 'rule' at 'facts_date' under 'policy' (NULL: none).  */
adj_drec_t *adj_drec_new (adj_call_t *c, int rule, int32_t facts_date, const adj_prec_t *policy);
void adj_param (adj_call_t *c, adj_drec_t *r, const char *name, const char *unit,
                const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
void adj_fact (adj_call_t *c, adj_drec_t *r, const char *name, const char *unit,
               int32_t date, const char *source, const char *event_id, const char *fmt, ...)
     __attribute__ ((format (printf, 8, 9)));
void adj_reason (adj_call_t *c, adj_drec_t *r, const char *code, const char *fmt, ...)
     __attribute__ ((format (printf, 4, 5)));
/*  The subject key of a decision: its chain ("2|<workshop>|<worker_key>" ...).  */
char *adj_subject_key (adj_call_t *c, int rule, const Chejian__V1__Subject *s);
/*  The current (last) decision of a chain; 1, 0 none, -1 error.  */
int  adj_current (adj_call_t *c, const char *subject_key, adj_drec_t **ret);
int  adj_decision (adj_call_t *c, const char *id, adj_drec_t **ret);
/*  True when 'r' is current and GRANTED or WAITLISTED.  */
bool adj_live (const adj_drec_t *r);
/*  Decides whether the money of 'r' (amount, charge_source) can be reserved now: GRANTED
 *  when the fund of the source is open, nobody waits before it and it has the money;
 *  WAITLISTED otherwise (with the reason and the queue position).  */
int  adj_plan_charge (adj_call_t *c, adj_drec_t *r);
/*  Records decision 'r' (assigning its id), emits 'event' (a body at 'event_case' whose
 *  field 1 is the decision), then moves its money: GRANTED reserves in the fund and
 *  instructs payment, WAITLISTED queues it. Marks the decision it supersedes.  */
int  adj_record (adj_call_t *c, adj_drec_t *r, int event_case, ProtobufCMessage *event);
/*  Emits DecisionMade for 'r' through adj_record.  */
int  adj_record_made (adj_call_t *c, adj_drec_t *r);
/*  Revokes the live decision 'old' with the revocation 'rev' (reasons and facts filled by the
 *  caller): releases reserved money, cancels its open instruction, or claws paid money back;
 *  takes a waitlisted one off the queue; then serves the waitlist with what was released.  */
int  adj_revoke (adj_call_t *c, adj_drec_t *old, adj_drec_t *rev);
/*  A revocation of 'old' at 'date', with the old decision's rule, subject and policy.  */
adj_drec_t *adj_revocation_of (adj_call_t *c, const adj_drec_t *old, int32_t date);

int  adj_fund_of_source (adj_call_t *c, int source, adj_fund_t **ret);
int  adj_fund (adj_call_t *c, const char *fund_id, adj_fund_t **ret);
/*  Moves 'amount' in fund 'f' by 'kind' (balances checked: nothing goes below 0), appends
 *  the movement and emits FundMoved. Refuses with CONFLICT when a balance would go negative.  */
typedef struct {
    int          kind;
    int64_t      amount;
    const char  *decision_id, *instruction_id, *workshop_id, *reference;
    int32_t      value_date;
} adj_move_t;
int  adj_fund_move (adj_call_t *c, adj_fund_t *f, const adj_move_t *m);
/*  Creates and emits a payment instruction for decision 'r'; returns its record.  */
adj_payment_t *adj_instruct (adj_call_t *c, const adj_drec_t *r, int direction,
                             const char *fund_id, int64_t amount, const char *reverses);
/*  Grants waitlisted decisions of 'source' in order while the fund has their money.  */
int  adj_serve_waitlist (adj_call_t *c, int source);
int  adj_waitlist (adj_call_t *c, int source, Chejian__Adj__Waitlist **ret);
int  adj_payment (adj_call_t *c, const char *id, adj_payment_t **ret);
/*  The payee of money for workshop 'ws': its operator, by workshop id, name and USCC.  */
Chejian__V1__Payee *adj_workshop_payee (adj_call_t *c, const adj_workshop_t *ws);

/*  ---- awards and certification (adj_award.c) ----  */

/*  Evaluates certification under 'cp' of workshop 'ws' at 'date' into 'r' (params, facts,
 *  reasons; outcome GRANTED or DENIED).  */
int  adj_certify (adj_call_t *c, const adj_workshop_t *ws,
                  const Chejian__V1__CertificationParams *cp, adj_drec_t *r);
/*  A fact about workshop 'ws' changed at 'date': revisits its live certification and awards
 *  and, when 'grant' is set, awards laborers that now qualify.  */
int  adj_workshop_changed (adj_call_t *c, const char *ws, int32_t date, bool grant);

/*  ---- loans (adj_loan.c) ----  */

int  adj_loan (adj_call_t *c, const char *application_id, adj_loan_t **ret);
/*  The holders a revoked loan frees (borrower index).  */
int  adj_loan_released (adj_call_t *c, const adj_drec_t *r);

/*  ---- queries' shared pieces (adj_query.c) ----  */

/*  Every record of the county hash 'hash' (HKEYS + chunked HMGET), unpacked.  */
int  adj_read_all (adj_call_t *c, const char *hash, const ProtobufCMessageDescriptor *desc,
                   void ***ret_items, size_t *ret_n);
void adj_set_result (adj_call_t *c, int result_case, const ProtobufCMessage *result);
/*  The records of fields 'ids' of the county hash 'hash', those that exist, in order.  */
int  adj_read_ids (adj_call_t *c, const char *hash, char **ids, size_t n,
                   const ProtobufCMessageDescriptor *desc, void ***ret_items, size_t *ret_n);
/*  The members of county key 'name' as listed by 'fmt' ("HKEYS %s", "ZREVRANGE %s 0 -1").  */
int  adj_list_keys (adj_call_t *c, const char *fmt, const char *name, char ***ret,
                    size_t *ret_n);
/*  One page of 'n' rows numbered 'numbers' (ascending, or descending): the rows after the
 *  page token (the number of the previous page's last row), at most the page size.  */
typedef struct {
    size_t   first, count;
    uint64_t total;
} adj_page_t;
void adj_page (const uint64_t *numbers, size_t n, const Chejian__V1__PageRequest *req,
               bool descending, adj_page_t *ret);
Chejian__V1__PageInfo *adj_page_info (adj_call_t *c, const uint64_t *numbers, size_t n,
                                      const adj_page_t *page);

/*  ---- the handlers (one row each in adj_table.c) ----  */

#define ADJ_COMMAND(name)                                                              \
    int adj_validate_##name (const cj_envelope_t *env, cj_problems_t *problems);       \
    int adj_apply_##name (cj_ctx_t *ctx, const cj_envelope_t *env)
#define ADJ_QUERY(name)                                                                \
    int adj_validate_##name (const cj_envelope_t *env, cj_problems_t *problems);       \
    int adj_query_##name (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack)
#define ADJ_EVENT(name) int adj_on_##name (cj_ctx_t *ctx, const cj_envelope_t *env)

ADJ_COMMAND (publish_policy);
ADJ_COMMAND (top_up_fund);
ADJ_COMMAND (allocate_fund);
ADJ_COMMAND (apply_for_loan);
ADJ_COMMAND (record_loan_disbursement);
ADJ_COMMAND (record_interest_accrual);
ADJ_COMMAND (record_checklist_rating);
ADJ_COMMAND (confirm_payment);
ADJ_COMMAND (request_certification);
ADJ_COMMAND (request_annual_reward);
ADJ_COMMAND (revoke_decision);
ADJ_QUERY (list_decisions);
ADJ_QUERY (explain_decision);
ADJ_QUERY (list_funds);
ADJ_QUERY (list_fund_movements);
ADJ_QUERY (get_policy_in_force);
ADJ_QUERY (get_policy);
ADJ_QUERY (list_payments);
ADJ_QUERY (get_loan);
ADJ_QUERY (get_adjudication_summary);
ADJ_EVENT (workshop);
ADJ_EVENT (worker_registered);
ADJ_EVENT (worker_status_changed);
ADJ_EVENT (employment_started);
ADJ_EVENT (employment_amended);
ADJ_EVENT (employment_ended);
ADJ_EVENT (wage_line_applied);
ADJ_EVENT (output_recorded);

#endif
