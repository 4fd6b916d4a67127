/*  curve.h - CURVE key pairs (ZeroMQ's CurveZMQ) and their files.
 *
 *  Keys are written as Z85 text (40 characters for 32 bytes), as libzmq takes them.
 *  Two files per key pair, made by `chejian keygen` or cj_curve_keypair_save:
 *      <base>.key   JSON {"agency": "...", "public_key": "<z85>", "secret_key": "<z85>"},
 *                   mode 0600; "agency" names the agency the pair belongs to ("" for the
 *                   gateway's own pair);
 *      <base>.pub   one line: the public key, for the agencies file and for clients.
 *  A loaded secret lives in a cj_curve_keypair_t; wipe it with cj_curve_keypair_wipe.
 */
#ifndef CHEJIAN_CURVE_H
#define CHEJIAN_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_CURVE_Z85       40   /* characters of a Z85 key, without the NUL */
#define CJ_CURVE_AGENCY_MAX 32  /* characters of an agency id (as an envelope's source) */

typedef struct {
    char agency[CJ_CURVE_AGENCY_MAX + 1];
    char public_key[CJ_CURVE_Z85 + 1];
    char secret_key[CJ_CURVE_Z85 + 1];
} cj_curve_keypair_t;

/*  True when this libzmq was built with CURVE.  */
bool cj_curve_available (void);
/*  True when 'z85' is 40 Z85 characters that decode to 32 bytes.  */
bool cj_curve_key_valid (const char *z85);

/*  Makes a new key pair for 'agency' (may be NULL or ""). Returns 0, or -1 when CURVE is not
 *  available or 'agency' is not 1..32 of [a-z0-9_-].  */
int  cj_curve_keypair_generate (cj_curve_keypair_t *kp, const char *agency);
/*  Writes <base>.key (mode 0600) and <base>.pub. Refuses to overwrite either unless 'force'.
 *  Returns 0, or -1 with a message naming the file and the cause in 'err'.  */
int  cj_curve_keypair_save (const cj_curve_keypair_t *kp, const char *base, bool force,
                            char *err, size_t err_size);
/*  Loads a .key file. Refuses a file readable by group or others, or with a bad key or
 *  agency. Returns 0, or -1 with a message in 'err'.  */
int  cj_curve_keypair_load (const char *path, cj_curve_keypair_t *kp, char *err,
                            size_t err_size);
/*  Loads a public key from a .pub file (one line) or a .key file (its public_key).
 *  Returns 0, or -1 with a message in 'err'.  */
int  cj_curve_public_load (const char *path, char public_key[CJ_CURVE_Z85 + 1], char *err,
                           size_t err_size);
void cj_curve_keypair_wipe (cj_curve_keypair_t *kp);

/*  Socket options, before bind/connect: a CURVE server with 'kp''s secret (the ZAP handler
 *  decides who gets in), or a CURVE client of 'server_public' with 'kp'. Return 0 or -1.  */
int  cj_curve_make_server (void *socket, const cj_curve_keypair_t *kp);
int  cj_curve_make_client (void *socket, const cj_curve_keypair_t *kp, const char *server_public);

#ifdef __cplusplus
}
#endif
#endif
