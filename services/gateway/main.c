/*  main.c - chejian-gateway. Everything is in gateway.h's parts; see gw_gateway.c.  */
#include "gateway.h"

int
main (int argc, char **argv)
{
    return gw_main (argc, argv);
}
