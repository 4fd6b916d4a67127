/*  pseudonym.h - keyed pseudonyms of personal identifiers.
 *
 *  Workers (and households) are keyed by a pseudonym: the keyed BLAKE2b-128 (libsodium's
 *  crypto_generichash with a 32-byte deployment secret) of a context label and the identifier,
 *  as 32 lowercase hex characters. The same secret gives the same pseudonym in every service,
 *  so payroll can find the worker the registry registered without either storing the ID number.
 *  Without the secret a pseudonym cannot be reversed or recomputed from a guessed ID number.
 *
 *  The key file holds the secret as 64 hex characters (a trailing newline is allowed). Keep it
 *  readable by the services only; losing it orphans every stored pseudonym.
 */
#ifndef CHEJIAN_PSEUDONYM_H
#define CHEJIAN_PSEUDONYM_H

#include <stddef.h>

#include "chejian/config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CJ_PSEUDONYM_KEY_BYTES 32
#define CJ_PSEUDONYM_HEX       32    /* characters of a pseudonym, without the NUL */
#define CJ_PSEUDONYM_KEY_VAR   "CHEJIAN_PSEUDONYM_KEY_FILE"

/*  The configuration option every service that pseudonymises declares.  */
#define CJ_PSEUDONYM_KEY_OPTION                                                               \
    { CJ_PSEUDONYM_KEY_VAR, CJ_CONFIG_STRING, NULL,                                           \
      "File with the 64-hex-character pseudonym secret (mode 0600); required", 0, 0 }

typedef struct cj_pseudonym_t cj_pseudonym_t;

/*  Loads the secret from 'key_file'. Returns NULL with a message in 'err' when the file is
 *  missing, unreadable, not 64 hex characters, or readable by others than its owner.  */
cj_pseudonym_t *cj_pseudonym_load (const char *key_file, char *err, size_t err_size);
/*  Loads the secret from the file named by the loaded configuration's
 *  CHEJIAN_PSEUDONYM_KEY_FILE. Returns NULL with a message naming the variable in 'err' when
 *  it is unset or the file is bad.  */
cj_pseudonym_t *cj_pseudonym_from_config (const cj_config_t *config, char *err, size_t err_size);
/*  Wipes the secret and frees.  */
void            cj_pseudonym_destroy (cj_pseudonym_t **self_p);

/*  Writes a new random secret to 'key_file' (mode 0600; refuses to overwrite an existing
 *  file). Returns 0, or -1 with errno set.  */
int cj_pseudonym_create_key_file (const char *key_file);

/*  Writes the pseudonym of 'text' under 'context' (e.g. "worker", "household") to 'out'
 *  (CJ_PSEUDONYM_HEX + 1 bytes, NUL-terminated).  */
void cj_pseudonym_of (const cj_pseudonym_t *self, const char *context, const char *text,
                      char out[CJ_PSEUDONYM_HEX + 1]);

#ifdef __cplusplus
}
#endif
#endif
