/*  adjudicator_test_data.h - what the adjudicator's unit and integration tests share: the
 *  shipped policies (deploy/policy/ files, read through the generic JSON converter), one
 *  valid message of every adjudication command, and the catalogue of bad messages (each
 *  refused with a field and a code, changing nothing).  */
#ifndef ADJUDICATOR_TEST_DATA_H
#define ADJUDICATOR_TEST_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "chejian/envelope.h"
#include "chejian/problem.h"

#define ADJ_DATA_QINGCHUAN "510822"
#define ADJ_DATA_FENGJIE   "500236"
#define ADJ_DATA_WUSHAN    "500237"
#define ADJ_DATA_GUANGXI   "450521"      /* 合浦县, a county of Guangxi (45) */

/*  The names of the shipped policy files (NULL-terminated) and the folder they are in.  */
extern const char *const adj_data_policy_files[];
const char *adj_data_policy_dir (void);

/*  Loads deploy/policy/'file' as a PublishPolicy (the file may also hold an Envelope with a
 *  publish_policy body). Returns it (free with protobuf_c_message_free_unpacked (m, NULL)),
 *  or NULL after adding the converter's problems to 'problems'.  */
Chejian__V1__PublishPolicy *adj_data_load_policy (const char *file, cj_problems_t *problems);

/*  One valid message of every adjudication command, consistent with a setup in which
 *  county ADJ_DATA_QINGCHUAN has the Qingchuan policy, workshop "W1", fund
 *  "510822-employment-subsidy" and an approved loan application "APP1" with loan "L1".  */
typedef struct {
    Chejian__V1__TopUpFund              top_up;
    Chejian__V1__AllocateFund           allocate;
    Chejian__V1__ApplyForLoan           loan;
    char                               *partners[3];
    char                                ids[3][19];
    Chejian__V1__RecordLoanDisbursement disbursement;
    Chejian__V1__RecordInterestAccrual  interest;
    Chejian__V1__RecordChecklistRating  rating;
    Chejian__V1__ChecklistItem          item[2];
    Chejian__V1__ChecklistItem         *items[2];
    Chejian__V1__ConfirmPayment         confirm;
    Chejian__V1__RequestCertification   certify;
    Chejian__V1__RequestAnnualReward    reward;
    Chejian__V1__RevokeDecision         revoke;
    Chejian__V1__PublishPolicy          publish;
    Chejian__V1__Policy                 policy;
    Chejian__V1__RuleParams             rule, *rules[1];
    Chejian__V1__EmploymentAwardParams  award;
    Chejian__V1__LaborerQualification   qual;
    Chejian__V1__PovertyStatus          statuses[2];
    Chejian__V1__ListDecisions          list;
    Chejian__V1__GetLoan                get_loan;
} adj_data_msgs_t;

void        adj_data_msgs (adj_data_msgs_t *m);
const void *adj_data_body (adj_data_msgs_t *m, int body_case);

typedef struct {
    const char *name;
    int         body_case;
    void      (*spoil) (adj_data_msgs_t *m);
    const char *field;
    const char *code;
} adj_data_case_t;

extern const adj_data_case_t adj_data_cases[];
extern const size_t          adj_data_ncases;

#endif
