/*  registry_test_data.h - valid registry commands for the tests to send or spoil: each
 *  builder fills a struct that holds the command and every part it points to (so a test
 *  owns it on its stack and changes what it needs). County REG_DATA_COUNTY.  */
#ifndef REGISTRY_TEST_DATA_H
#define REGISTRY_TEST_DATA_H

#include <stdint.h>

#include "chejian/envelope.h"

#define REG_DATA_COUNTY "510822"

/*  Fills 'env' as an agency's envelope (source "hrss", occurred now, county REG_DATA_COUNTY)
 *  with 'event_id' (the caller keeps it) carrying 'body' at 'body_case'.  */
void reg_data_envelope (cj_envelope_t *env, const char *event_id, int body_case,
                        const void *body);

/*  A valid resident ID born on 'birth' (yyyymmdd) with order code 'n' (0..999), in 'out'.  */
void reg_data_resident_id (char out[19], int32_t birth, int n);

typedef struct {
    Chejian__V1__RegisterWorkshop cmd;
    Chejian__V1__UpdateWorkshop   update;    /* the same record as an update */
    Chejian__V1__WorkshopDetails  details;
    Chejian__V1__Location         location;
    Chejian__V1__Operator         op;
    Chejian__V1__Partner          partner[2];
    Chejian__V1__Partner         *partners[2];
    Chejian__V1__FundReceipt      fund;
    Chejian__V1__FundReceipt     *funds[1];
    char                          id[40], parent[40];
} reg_data_workshop_t;
/*  Workshop 'id', a cooperative's shareholding workshop opened 2019-03-01.  */
void reg_data_workshop (reg_data_workshop_t *w, const char *id);

typedef struct {
    Chejian__V1__RegisterWorker cmd;
    Chejian__V1__WorkerDetails  details;
    Chejian__V1__WorkerStatus   status;
    Chejian__V1__Disability     disability;
    char                        resident_id[19], household[33];
} reg_data_worker_t;
/*  Worker number 'n' (born 1985-03-12), registered-poor since 2016-01-01.  */
void reg_data_worker (reg_data_worker_t *w, int n);

typedef struct {
    Chejian__V1__StartEmployment cmd;
    Chejian__V1__EmploymentTerms terms;
    char                         id[40], resident_id[19], workshop[40];
} reg_data_employment_t;
/*  Employment 'id' of worker number 'n' in 'workshop' from 'start', monthly 3000 yuan,
 *  a 12-month labour contract, on site.  */
void reg_data_employment (reg_data_employment_t *e, const char *id, int n, const char *workshop,
                          int32_t start);

typedef struct {
    Chejian__V1__RecordShareholding cmd;
    Chejian__V1__RecordTraining     training;
    Chejian__V1__AssignPost         post;
    Chejian__V1__Location           location;
    char                            resident_id[19];
} reg_data_holdings_t;
/*  A stake "S1" of household "H-0001" in 'workshop' signed by worker 'n', a training "T1"
 *  of worker 'n' for 'workshop', and a river-patrol post "P1" of worker 'n'.  */
void reg_data_holdings (reg_data_holdings_t *h, int n, const char *workshop);

/*  ---- the catalogue of bad messages ----  */

/*  One valid message of every registry command, consistent with each other: sending the
 *  setup (reg_data_setup) registers W1, workers 1 and 2, employment E1 (worker 1 in W1 from
 *  2020-03-01, open), stake S1, training T1 and post P1; the other bodies then refer to
 *  those (E1 amended, E1 ended, P1 ended ...).  */
typedef struct {
    reg_data_workshop_t             workshop;
    reg_data_worker_t               worker, worker2;
    reg_data_employment_t           employment;
    reg_data_holdings_t             holdings;
    Chejian__V1__UpdateWorker       update_worker;
    Chejian__V1__ChangeWorkerStatus change_status;
    Chejian__V1__StatusChange       change;
    Chejian__V1__AmendEmployment    amend;
    Chejian__V1__EmploymentTerms    amend_terms;
    Chejian__V1__EndEmployment      end;
    Chejian__V1__EndPost            end_post;
    Chejian__V1__Disability         disability;
    char                            scratch[4][200];
} reg_data_msgs_t;

void        reg_data_msgs (reg_data_msgs_t *m);
/*  The body of 'body_case' in 'm' (the command to send for it).  */
const void *reg_data_body (reg_data_msgs_t *m, int body_case);

/*  Sends the setup commands through 'send' (returns 0 when accepted). Returns 0 when all
 *  were accepted.  */
typedef int (reg_data_send_fn) (void *arg, int body_case, const void *body);
int reg_data_setup (reg_data_msgs_t *m, reg_data_send_fn *send, void *arg);

typedef struct {
    const char *name;
    int         body_case;
    void      (*spoil) (reg_data_msgs_t *m);
    const char *field;           /* the problem expected among those reported */
    const char *code;
    int         needs_state;     /* NOT_FOUND / CONFLICT: needs the setup's state */
} reg_data_case_t;

extern const reg_data_case_t reg_data_cases[];
extern const size_t          reg_data_ncases;

#endif
