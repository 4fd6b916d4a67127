/*  main.c - chejian-registry. Everything is in the core (registry.h); its init hook loads the
 *  pseudonym secret named by CHEJIAN_PSEUDONYM_KEY_FILE (missing or bad: exit 2).  */
#include "registry.h"

int
main (int argc, char **argv)
{
    registry_t registry = { NULL };
    cj_service_def_t def;
    registry_service_def (&def, &registry);
    return cj_service_main (&def, argc, argv);
}
