/*  adjudicator.h - the core of chejian-adjudicator: dated policy, certification, one-off
 *  awards funded from county budgets, start-up loans and interest subsidies, revisiting
 *  decisions when facts change, payment instructions and their confirmations, and the
 *  queries over them, as one dispatch table (commands and queries) plus the handlers of the
 *  registry's and payroll's events, for the service runtime.
 *
 *  The core never touches a socket: handlers read and write through the cj_ctx_t the runtime
 *  (or a test) gives them. main.c runs cj_service_main with the definition
 *  adjudicator_service_def fills; its init hook loads the pseudonym key (loan applicants and
 *  the resident-ID filter of ListDecisions are pseudonymised like the registry's workers).
 */
#ifndef CHEJIAN_ADJUDICATOR_H
#define CHEJIAN_ADJUDICATOR_H

#include <stdint.h>

#include "chejian/pseudonym.h"
#include "chejian/service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ADJUDICATOR_NAME       "adjudicator"
#define ADJUDICATOR_SHORT_NAME "adj"
#define ADJUDICATOR_PORT_BASE  5570
#define ADJ_CATALOG_CACHE      1024    /* partitions whose policy catalogue is cached */

/*  What the handlers share, reached through cj_ctx_arg: the pseudonym secret (loaded by the
 *  init hook, freed by fini; tests set it themselves) and, per partition, the policy
 *  catalogue as last read or written (dropped by the partition_reset hook).  */
typedef struct {
    cj_pseudonym_t *pseudonym;
    void           *catalog[ADJ_CATALOG_CACHE];   /* Chejian__Adj__PolicyCatalog, malloc'd */
} adjudicator_t;

/*  The handler of 'body_case': a command or query of the adjudicator, or an event of the
 *  registry or payroll that the adjudicator consumes. NULL when there is none.  */
const cj_handler_t *adjudicator_handler (int body_case);

/*  Fills 'def' for cj_service_main: name, ports, the handler table, the subscriptions to the
 *  registry and payroll, the key-file option, the hooks, and 'adj' as their argument.  */
void adjudicator_service_def (cj_service_def_t *def, adjudicator_t *adj);

/*  Drops what 'adj' caches for 'partition' (the partition_reset hook), or for every
 *  partition when 'partition' is UINT32_MAX.  */
void adjudicator_reset (adjudicator_t *adj, uint32_t partition);

#ifdef __cplusplus
}
#endif
#endif
