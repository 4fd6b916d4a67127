/*  sample.h - the sample county 510822 (Qingchuan) of the 2020-07-28 bulletin, built as the
 *  commands that load it. Load file by file in sample_file_t order, each file's commands in
 *  their order here.
 *
 *  The model is deterministic: the same policy file gives the same commands, byte for byte.
 *  Every command is a whole Envelope (event id, source, occurred_at in July 2020, county) so
 *  that a writer can put it in a file and a test can send it as it is. Each carries the file
 *  it belongs to: the CSV files (workshops, workers, employments, wages) hold the commands
 *  `chejian import` builds from their rows; the JSONL files hold the others.
 *  The figures the bulletin must show once everything is loaded are computed from the same
 *  data while it is built (sample_expected).  */
#ifndef CHEJIAN_SAMPLE_H
#define CHEJIAN_SAMPLE_H

#include <jansson.h>
#include <stddef.h>

#include "chejian/envelope.h"

#define SAMPLE_COUNTY        "510822"
#define SAMPLE_BULLETIN_DATE 20200728

/*  The files, in loading order.  */
typedef enum {
    SAMPLE_SETUP,        /* setup.jsonl: policy, fund top-ups, partnership-run workshops */
    SAMPLE_WORKSHOPS,    /* workshops.csv */
    SAMPLE_WORKERS,      /* workers.csv */
    SAMPLE_EMPLOYMENTS,  /* employments.csv (StartEmployment, EndEmployment when end_date) */
    SAMPLE_WAGES,        /* wages.csv (one SubmitWageReport per workshop and month) */
    SAMPLE_STAKES,       /* stakes.jsonl: households' shares in shareholding workshops */
    SAMPLE_DECISIONS,    /* decisions.jsonl: certification requests, loans, interest */
    SAMPLE_FILES
} sample_file_t;

typedef struct {
    sample_file_t  file;
    cj_envelope_t *env;       /* the command; owned by the sample */
    long           end_item;  /* StartEmployment: index of its EndEmployment item, or -1 */
} sample_item_t;

typedef struct sample_t sample_t;

/*  People employed in all by default: the 938 registered-poor laborers and 1,562 others.
 *  The bulletin says 6,600+; the committed sample is smaller so that loading it through the
 *  CLI stays quick (deploy/sample/README.md). Every poor-laborer, award and loan figure is
 *  the same at any size.  */
#define SAMPLE_EMPLOYED 2500

/*  Builds the county with 'employed' people in work (0: SAMPLE_EMPLOYED). 'policy_file' is
 *  deploy/policy/510822-qingchuan-2019.json (a PublishPolicy body in proto3 JSON). Returns
 *  NULL with a message in 'err' when the file cannot be read or the data does not come out
 *  at the bulletin's figures.  */
sample_t *sample_new (const char *policy_file, int employed, char *err, size_t err_size);
void      sample_destroy (sample_t **self_p);

size_t               sample_count (const sample_t *self);
const sample_item_t *sample_item (const sample_t *self, size_t index);
/*  The figures once loaded: {"registrySummary": {...}, "countyIncomeSummary": {...},
 *  "adjudicationSummary": {...}} as the proto3 JSON of the query results (the fields the
 *  data fixes; the caller json_decref's it), NULL when out of memory.  */
json_t              *sample_expected (const sample_t *self);

/*  "setup.jsonl", "workshops.csv", ...  */
const char *sample_file_name (sample_file_t file);

#endif
