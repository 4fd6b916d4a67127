/*  registry_table.c - the registry's one dispatch table: every registry command (validate +
 *  apply) and query (validate + answer) of the v1 contract, found by Envelope body case.
 *  Adding a message means adding a row.  */
#include "registry_internal.h"

#define S_COMMAND(CASE, name) \
    { CHEJIAN__V1__ENVELOPE__BODY_##CASE, registry_validate_##name, registry_apply_##name, NULL }
#define S_QUERY(CASE, name) \
    { CHEJIAN__V1__ENVELOPE__BODY_##CASE, registry_validate_##name, NULL, registry_query_##name }

static const cj_handler_t s_handlers[] = {
    S_COMMAND (REGISTER_WORKSHOP, register_workshop),
    S_COMMAND (UPDATE_WORKSHOP, update_workshop),
    S_COMMAND (REGISTER_WORKER, register_worker),
    S_COMMAND (UPDATE_WORKER, update_worker),
    S_COMMAND (CHANGE_WORKER_STATUS, change_worker_status),
    S_COMMAND (START_EMPLOYMENT, start_employment),
    S_COMMAND (AMEND_EMPLOYMENT, amend_employment),
    S_COMMAND (END_EMPLOYMENT, end_employment),
    S_COMMAND (RECORD_SHAREHOLDING, record_shareholding),
    S_COMMAND (RECORD_TRAINING, record_training),
    S_COMMAND (ASSIGN_POST, assign_post),
    S_COMMAND (END_POST, end_post),
    S_QUERY (GET_WORKSHOP, get_workshop),
    S_QUERY (LIST_WORKSHOPS, list_workshops),
    S_QUERY (GET_WORKER, get_worker),
    S_QUERY (LIST_EMPLOYMENTS, list_employments),
    S_QUERY (LIST_SHAREHOLDINGS, list_shareholdings),
    S_QUERY (LIST_TRAININGS, list_trainings),
    S_QUERY (LIST_POSTS, list_posts),
    S_QUERY (GET_REGISTRY_SUMMARY, get_registry_summary),
};

#define S_NHANDLERS (sizeof s_handlers / sizeof s_handlers[0])

static const cj_config_option_t s_options[] = { CJ_PSEUDONYM_KEY_OPTION };

/*  Loads the pseudonym secret once the configuration is read (a bad key: exit 2).  */
static int
s_init (void *arg, const cj_config_t *config, char *err, size_t err_size)
{
    registry_t *registry = arg;
    registry->pseudonym = cj_pseudonym_from_config (config, err, err_size);
    return registry->pseudonym ? 0 : -1;
}

static void
s_fini (void *arg)
{
    cj_pseudonym_destroy (&((registry_t *) arg)->pseudonym);
}

const cj_handler_t *
registry_handler (int body_case)
{
    for (size_t i = 0; i < S_NHANDLERS; i++)
        if (s_handlers[i].body_case == body_case)
            return &s_handlers[i];
    return NULL;
}

void
registry_service_def (cj_service_def_t *def, registry_t *registry)
{
    *def = (cj_service_def_t) {
        .name = REGISTRY_NAME,
        .short_name = REGISTRY_SHORT_NAME,
        .owner = CJ_OWNER_REGISTRY,
        .summary = "chejian-registry: the system of record for workshops, workers, "
                   "employments, shareholdings, trainings and public-welfare posts. Accepts "
                   "registry commands and queries (Envelope bodies 100-111, 200-207) on its "
                   "ROUTER and publishes registry events (300-311) on its PUB socket.",
        .handlers = s_handlers,
        .nhandlers = S_NHANDLERS,
        .options = s_options,
        .noptions = sizeof s_options / sizeof s_options[0],
        .arg = registry,
        .read_ahead = true,
        .default_port_base = REGISTRY_PORT_BASE,
        .init = s_init,
        .fini = s_fini,
    };
}
