/*  pseudonym.c - keyed pseudonyms of personal identifiers. See include/chejian/pseudonym.h.  */
#include "chejian/pseudonym.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cj_pseudonym_t {
    unsigned char key[CJ_PSEUDONYM_KEY_BYTES];
};

cj_pseudonym_t *
cj_pseudonym_load (const char *key_file, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "libsodium failed to initialise");
        return NULL;
    }
    int fd = key_file && *key_file ? open (key_file, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) {
        snprintf (err, err_size, "cannot open the pseudonym key file '%s': %s",
                  key_file ? key_file : "", key_file && *key_file ? strerror (errno) : "not set");
        return NULL;
    }
    struct stat st;
    char text[2 * CJ_PSEUDONYM_KEY_BYTES + 2];
    ssize_t n = -1;
    if (fstat (fd, &st) == 0 && !(st.st_mode & (S_IRWXG | S_IRWXO)))
        n = read (fd, text, sizeof text);
    else
        snprintf (err, err_size, "the pseudonym key file '%s' must be readable by its owner "
                  "only (chmod 600)", key_file);
    close (fd);
    if (n < 0)
        return NULL;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    cj_pseudonym_t *self = calloc (1, sizeof *self);
    size_t bin_len = 0;
    if (!self || n != 2 * CJ_PSEUDONYM_KEY_BYTES
        || sodium_hex2bin (self->key, sizeof self->key, text, (size_t) n, NULL, &bin_len, NULL) != 0
        || bin_len != CJ_PSEUDONYM_KEY_BYTES) {
        snprintf (err, err_size, "the pseudonym key file '%s' must hold %d hex characters",
                  key_file, 2 * CJ_PSEUDONYM_KEY_BYTES);
        sodium_memzero (text, sizeof text);
        cj_pseudonym_destroy (&self);
        return NULL;
    }
    sodium_memzero (text, sizeof text);
    return self;
}

cj_pseudonym_t *
cj_pseudonym_from_config (const cj_config_t *config, char *err, size_t err_size)
{
    const char *file = cj_config_str (config, CJ_PSEUDONYM_KEY_VAR);
    char why[400] = "";
    cj_pseudonym_t *self = NULL;
    if (!file || !*file)
        snprintf (why, sizeof why, "is required: the file with the pseudonym secret "
                  "(64 hex characters, mode 0600)");
    else
        self = cj_pseudonym_load (file, why, sizeof why);
    if (!self)
        snprintf (err, err_size, "%s %s", CJ_PSEUDONYM_KEY_VAR, why);
    return self;
}

void
cj_pseudonym_destroy (cj_pseudonym_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_memzero ((*self_p)->key, sizeof (*self_p)->key);
    free (*self_p);
    *self_p = NULL;
}

int
cj_pseudonym_create_key_file (const char *key_file)
{
    if (sodium_init () < 0) {
        errno = EIO;
        return -1;
    }
    int fd = open (key_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    unsigned char key[CJ_PSEUDONYM_KEY_BYTES];
    char text[2 * CJ_PSEUDONYM_KEY_BYTES + 2];
    randombytes_buf (key, sizeof key);
    sodium_bin2hex (text, sizeof text, key, sizeof key);
    size_t len = strlen (text);
    text[len++] = '\n';
    int rc = write (fd, text, len) == (ssize_t) len && fsync (fd) == 0 ? 0 : -1;
    int saved = errno;
    sodium_memzero (key, sizeof key);
    sodium_memzero (text, sizeof text);
    close (fd);
    if (rc != 0) {
        unlink (key_file);
        errno = saved;
    }
    return rc;
}

void
cj_pseudonym_of (const cj_pseudonym_t *self, const char *context, const char *text,
                 char out[CJ_PSEUDONYM_HEX + 1])
{
    unsigned char hash[CJ_PSEUDONYM_HEX / 2];
    crypto_generichash_state state;
    crypto_generichash_init (&state, self->key, sizeof self->key, sizeof hash);
    /* the context and a separator first, so "worker" and "household" keys never collide */
    crypto_generichash_update (&state, (const unsigned char *) context, strlen (context) + 1);
    crypto_generichash_update (&state, (const unsigned char *) text, strlen (text));
    crypto_generichash_final (&state, hash, sizeof hash);
    sodium_bin2hex (out, CJ_PSEUDONYM_HEX + 1, hash, sizeof hash);
}
