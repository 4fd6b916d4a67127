/*  sample_send.h - what the deployment tests share: sending the sample county's commands
 *  (tools/sample) straight to the services' ROUTERs of a test_system, and waiting until the
 *  services' consumers have caught up.  */
#ifndef CHEJIAN_SAMPLE_SEND_H
#define CHEJIAN_SAMPLE_SEND_H

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"
#include "test_system.h"

/*  Which items to send: true for item 'index' of 'sample'.  */
typedef bool (sample_send_filter_fn) (const sample_t *sample, size_t index, void *arg);

/*  Sends the items of the files in [first, last] (sample_file_t) that 'filter' wants (NULL:
 *  all), file by file, each to its owning service, waiting for each Ack; a NOT_YET_KNOWN
 *  refusal is retried with the same envelope for up to 20 s. Prints each refusal. Returns
 *  the number of commands not ACCEPTED or DUPLICATE (0 when all were), or -1 when nothing
 *  could be sent. Writes the number sent to 'ret_sent' when not NULL.  */
int sample_send (cj_test_system_t *sys, const sample_t *sample, int first, int last,
                 sample_send_filter_fn *filter, void *arg, int *ret_sent);

/*  Waits until every chejian_consumer_lag_events gauge of payroll and the adjudicator is 0,
 *  at most 'timeout_ms'. Returns 0, or -1 on timeout.  */
int sample_settle (cj_test_system_t *sys, int timeout_ms);

#endif
