/*  registry.h - the core of chejian-registry: validation, command handlers and queries for
 *  every registry body of the v1 contract, as one dispatch table for the service runtime.
 *
 *  The core never touches a socket: handlers read and write through the cj_ctx_t the runtime
 *  (or a test) gives them. main.c runs cj_service_main with the definition
 *  registry_service_def fills; its init hook loads the pseudonym key.
 */
#ifndef CHEJIAN_REGISTRY_H
#define CHEJIAN_REGISTRY_H

#include <stddef.h>

#include "chejian/pseudonym.h"
#include "chejian/service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REGISTRY_NAME       "registry"
#define REGISTRY_SHORT_NAME "reg"
#define REGISTRY_PORT_BASE  5550
#define REGISTRY_KEY_VAR    CJ_PSEUDONYM_KEY_VAR

/*  What the handlers share, reached through cj_ctx_arg: the deployment's pseudonym secret
 *  (loaded by the service's init hook and freed by its fini; tests set it themselves).  */
typedef struct {
    cj_pseudonym_t *pseudonym;
} registry_t;

/*  The handler of 'body_case' (a registry command or query), or NULL.  */
const cj_handler_t *registry_handler (int body_case);

/*  Fills 'def' for cj_service_main: name, ports, the handler table, the service's own
 *  configuration options (the key file), and 'registry' as the handlers' argument.  */
void registry_service_def (cj_service_def_t *def, registry_t *registry);

#ifdef __cplusplus
}
#endif
#endif
