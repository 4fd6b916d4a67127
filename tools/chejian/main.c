/*  main.c - the `chejian` executable; everything else lives in cj_cli (tested directly).  */
#include "cli.h"

int
main (int argc, char **argv)
{
    return cli_main (argc, argv);
}
