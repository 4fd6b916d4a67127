/*  main.c - chejian-adjudicator. Everything is in the core (adjudicator.h); its init hook
 *  loads the pseudonym secret named by CHEJIAN_PSEUDONYM_KEY_FILE (missing or bad: exit 2).  */
#include "adjudicator.h"

int
main (int argc, char **argv)
{
    static adjudicator_t adj;
    cj_service_def_t def;
    adjudicator_service_def (&def, &adj);
    return cj_service_main (&def, argc, argv);
}
