/*  main.c - chejian-payroll. Everything is in the core (payroll.h); its init hook loads the
 *  pseudonym secret named by CHEJIAN_PSEUDONYM_KEY_FILE (missing or bad: exit 2).  */
#include <stdio.h>

#include "payroll.h"

int
main (int argc, char **argv)
{
    payroll_t *payroll = payroll_new (NULL);
    if (!payroll) {
        fprintf (stderr, "%s: out of memory\n", PAYROLL_NAME);
        return 1;
    }
    cj_service_def_t def;
    payroll_service_def (&def, payroll);
    int code = cj_service_main (&def, argc, argv);
    payroll_destroy (&payroll);
    return code;
}
