/*  payroll.h - the core of chejian-payroll: wage reports with corrections, shareholder
 *  payments, output reports, the registry facts it learns from events, the income
 *  aggregates it keeps exact to the fen, and the queries over them, as one dispatch table
 *  for the service runtime.
 *
 *  The core never touches a socket. Everything it reads or writes goes through a pay_io_t
 *  (payroll_internal.h): the service binds it to the runtime's context and batch, the unit
 *  tests to an in-memory store. Main (main.c) loads the pseudonym key and runs
 *  cj_service_main with the definition payroll_service_def fills.
 */
#ifndef CHEJIAN_PAYROLL_H
#define CHEJIAN_PAYROLL_H

#include <stdint.h>

#include "chejian/pseudonym.h"
#include "chejian/service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PAYROLL_NAME       "payroll"
#define PAYROLL_SHORT_NAME "pay"
#define PAYROLL_PORT_BASE  5560
#define PAYROLL_REGISTRY_ENDPOINT_VAR "CHEJIAN_REGISTRY_PUB_ENDPOINT"

typedef struct payroll_t payroll_t;

/*  Creates the payroll core. 'pseudonym' (borrowed; it must outlive the core) may be NULL:
 *  the service's init hook then loads the key named by CHEJIAN_PSEUDONYM_KEY_FILE.  */
payroll_t *payroll_new (const cj_pseudonym_t *pseudonym);
void       payroll_destroy (payroll_t **self_p);

/*  Fills 'def' for cj_service_main: name, ports, the handler table, the subscription to the
 *  registry, the service's own options, the partition and init hooks, and 'payroll' as their
 *  argument. FetchEvents (590) and GetServiceStatus (591) are the runtime's.  */
void payroll_service_def (cj_service_def_t *def, payroll_t *payroll);

#ifdef __cplusplus
}
#endif
#endif
