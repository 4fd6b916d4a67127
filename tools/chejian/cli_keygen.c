/*  cli_keygen.c - `chejian keygen`: a CURVE key pair (BASE.key, BASE.pub), or a pseudonym
 *  secret for the services.  */
#include "cli.h"

#include <errno.h>
#include <string.h>

#include "chejian/pseudonym.h"

void
cli_keygen_help (FILE *out)
{
    fputs ("usage: chejian keygen [--agency ID] [--force] BASE\n"
           "       chejian keygen --pseudonym FILE\n\n"
           "Writes a new CURVE key pair: BASE.key (JSON with the agency, the public and the\n"
           "secret key; mode 0600; keep it) and BASE.pub (the public key; give it to the other\n"
           "side), and prints the public key. Without --agency the pair is a gateway's.\n"
           "With --pseudonym, writes a new pseudonym secret for the services instead (64 hex\n"
           "characters, mode 0600; never overwritten: losing it orphans every pseudonym).\n\n"
           "Options:\n"
           "  --agency ID       the agency the pair is for (1..32 of a-z 0-9 _ -); it becomes\n"
           "                    the default --source of every command using the key\n"
           "  --force           overwrite BASE.key and BASE.pub\n"
           "  --pseudonym FILE  write a pseudonym secret to FILE\n\n"
           "Examples:\n"
           "  chejian keygen --agency finance-510822 keys/finance   # paste keys/finance.pub into\n"
           "                                                        # the gateway's agencies file\n"
           "  chejian keygen keys/gateway                           # the gateway's own pair\n"
           "  chejian keygen --pseudonym var/pseudonym.key\n", out);
}

int
cli_keygen (int argc, char **argv)
{
    static const struct option options[] = {
        { "agency", required_argument, NULL, 'a' },
        { "force", no_argument, NULL, 'f' },
        { "pseudonym", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *agency = NULL, *pseudonym = NULL;
    bool force = false;
    int c;
    while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'a': agency = optarg; break;
        case 'f': force = true; break;
        case 'p': pseudonym = optarg; break;
        case 'h': cli_keygen_help (stdout); return CLI_EXIT_OK;
        default:  return cli_usage_error ("keygen", "bad option");
        }
    }
    if (pseudonym) {
        if (optind != argc || agency || force)
            return cli_usage_error ("keygen", "--pseudonym FILE takes no other option or "
                                    "argument");
        if (cj_pseudonym_create_key_file (pseudonym) != 0) {
            cli_error ("keygen", "cannot write %s: %s%s", pseudonym, strerror (errno),
                       errno == EEXIST ? " (a secret is never overwritten: the services' "
                       "pseudonyms depend on it; remove it by hand only if nothing uses it)" : "");
            return CLI_EXIT_USAGE;
        }
        fprintf (stderr, "chejian keygen: wrote the pseudonym secret %s (mode 0600)\n", pseudonym);
        return CLI_EXIT_OK;
    }
    if (optind + 1 != argc)
        return cli_usage_error ("keygen", "give one BASE (the files are BASE.key and BASE.pub)");
    const char *base = argv[optind];
    cj_curve_keypair_t kp;
    if (cj_curve_keypair_generate (&kp, agency) != 0) {
        if (!cj_curve_available ())
            cli_error ("keygen", "this libzmq has no CURVE support; install libzmq built "
                       "with libsodium");
        else
            cli_error ("keygen", "--agency \"%s\" is not an agency id (1..32 of a-z 0-9 _ -)",
                       agency);
        return CLI_EXIT_USAGE;
    }
    char err[512];
    if (cj_curve_keypair_save (&kp, base, force, err, sizeof err) != 0) {
        cj_curve_keypair_wipe (&kp);
        cli_error ("keygen", "%s%s", err, force ? "" : " (--force overwrites)");
        return CLI_EXIT_USAGE;
    }
    printf ("%s\n", kp.public_key);
    fprintf (stderr, "chejian keygen: wrote %s.key (secret, mode 0600) and %s.pub%s%s\n", base,
             base, kp.agency[0] ? " for agency " : " (a gateway's pair)", kp.agency);
    cj_curve_keypair_wipe (&kp);
    return CLI_EXIT_OK;
}
