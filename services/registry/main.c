/*  main.c - chejian-registry: loads the pseudonym secret named by CHEJIAN_PSEUDONYM_KEY_FILE
 *  (a missing or bad key is a configuration error, exit 2), then runs the service.  */
#include <stdio.h>

#include "chejian/config.h"
#include "registry.h"

/*  Loads the key file named in the environment. Returns the secret, or NULL after printing
 *  why on stderr.  */
static cj_pseudonym_t *
s_load_key (const cj_service_def_t *def)
{
    cj_config_t *config = cj_config_new ();
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_pseudonym_t *key = NULL;
    char err[512] = "out of memory";
    const char *file = NULL;
    if (config && cj_config_declare (config, def->options, def->noptions) == 0) {
        if (cj_config_load (config, &problems) != 0)
            cj_problems_format (&problems, err, sizeof err);
        else if (!*(file = cj_config_str (config, REGISTRY_KEY_VAR)))
            snprintf (err, sizeof err, "is required: the file with the pseudonym secret "
                      "(64 hex characters, mode 0600)");
        else
            key = cj_pseudonym_load (file, err, sizeof err);
    }
    if (!key)
        fprintf (stderr, "%s: bad configuration: %s: %s\n", def->name, REGISTRY_KEY_VAR, err);
    cj_config_destroy (&config);
    return key;
}

int
main (int argc, char **argv)
{
    registry_t registry = { NULL };
    cj_service_def_t def;
    registry_service_def (&def, &registry);
    /* With any argument cj_service_main prints --help or refuses it, and never runs. */
    cj_pseudonym_t *key = NULL;
    if (argc == 1 && !(key = s_load_key (&def)))
        return 2;
    registry.pseudonym = key;
    int code = cj_service_main (&def, argc, argv);
    cj_pseudonym_destroy (&key);
    return code;
}
