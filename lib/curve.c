/*  curve.c - CURVE key pairs and their files. See include/chejian/curve.h.  */
#include "chejian/curve.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

bool
cj_curve_available (void)
{
    return zmq_has ("curve") != 0;
}

bool
cj_curve_key_valid (const char *z85)
{
    uint8_t raw[32];
    return z85 && strlen (z85) == CJ_CURVE_Z85 && zmq_z85_decode (raw, z85) != NULL;
}

static bool
agency_valid (const char *agency)
{
    size_t n = strlen (agency);
    if (n > CJ_CURVE_AGENCY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = agency[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int
cj_curve_keypair_generate (cj_curve_keypair_t *kp, const char *agency)
{
    memset (kp, 0, sizeof *kp);
    if (!agency)
        agency = "";
    if (!cj_curve_available () || !agency_valid (agency))
        return -1;
    snprintf (kp->agency, sizeof kp->agency, "%s", agency);
    return zmq_curve_keypair (kp->public_key, kp->secret_key) == 0 ? 0 : -1;
}

void
cj_curve_keypair_wipe (cj_curve_keypair_t *kp)
{
    sodium_memzero (kp, sizeof *kp);
}

/*  Writes 'text' to 'path' with 'mode'; O_EXCL unless 'force'.  */
static int
write_file (const char *path, const char *text, mode_t mode, bool force, char *err,
            size_t err_size)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
    int fd = open (path, flags, mode);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s%s", path, strerror (errno),
                  errno == EEXIST ? " (use --force to replace it)" : "");
        return -1;
    }
    size_t len = strlen (text);
    bool ok = fchmod (fd, mode) == 0 && write (fd, text, len) == (ssize_t) len;
    ok = (close (fd) == 0) && ok;
    if (!ok) {
        snprintf (err, err_size, "%s: cannot write: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

int
cj_curve_keypair_save (const cj_curve_keypair_t *kp, const char *base, bool force, char *err,
                       size_t err_size)
{
    char key_path[4096], pub_path[4096];
    if (snprintf (key_path, sizeof key_path, "%s.key", base) >= (int) sizeof key_path
        || snprintf (pub_path, sizeof pub_path, "%s.pub", base) >= (int) sizeof pub_path) {
        snprintf (err, err_size, "%s: path too long", base);
        return -1;
    }
    json_t *json = json_pack ("{s:s, s:s, s:s}", "agency", kp->agency, "public_key",
                              kp->public_key, "secret_key", kp->secret_key);
    char *text = json ? json_dumps (json, JSON_INDENT (2)) : NULL;
    json_decref (json);
    if (!text) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    char body[8192];
    snprintf (body, sizeof body, "%s\n", text);
    sodium_memzero (text, strlen (text));
    free (text);
    int rc = write_file (key_path, body, 0600, force, err, err_size);
    sodium_memzero (body, sizeof body);
    if (rc != 0)
        return -1;
    char pub[CJ_CURVE_Z85 + 2];
    snprintf (pub, sizeof pub, "%s\n", kp->public_key);
    return write_file (pub_path, pub, 0644, force, err, err_size);
}

int
cj_curve_keypair_load (const char *path, cj_curve_keypair_t *kp, char *err, size_t err_size)
{
    memset (kp, 0, sizeof *kp);
    struct stat st;
    if (stat (path, &st) != 0) {
        snprintf (err, err_size, "%s: %s (make one with `chejian keygen`)", path,
                  strerror (errno));
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf (err, err_size, "%s: readable by others than its owner (chmod 600 it)", path);
        return -1;
    }
    json_error_t jerr;
    json_t *json = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    const char *agency = "", *pub = NULL, *sec = NULL;
    if (!json || json_unpack (json, "{s?s, s:s, s:s !}", "agency", &agency, "public_key", &pub,
                              "secret_key", &sec) != 0) {
        snprintf (err, err_size, "%s: not a chejian key file (JSON with public_key and "
                  "secret_key%s%s)", path, json ? "" : ": ", json ? "" : jerr.text);
        json_decref (json);
        return -1;
    }
    int rc = -1;
    if (!agency_valid (agency))
        snprintf (err, err_size, "%s: agency \"%s\" is not 1..32 of [a-z0-9_-]", path, agency);
    else if (!cj_curve_key_valid (pub) || !cj_curve_key_valid (sec))
        snprintf (err, err_size, "%s: a key is not 40 Z85 characters", path);
    else {
        uint8_t raw_sec[32], raw_pub[32];
        char derived[CJ_CURVE_Z85 + 1];
        zmq_z85_decode (raw_sec, sec);
        crypto_scalarmult_base (raw_pub, raw_sec);
        zmq_z85_encode (derived, raw_pub, 32);
        sodium_memzero (raw_sec, sizeof raw_sec);
        if (strcmp (derived, pub) != 0)
            snprintf (err, err_size, "%s: public_key does not belong to secret_key", path);
        else {
            snprintf (kp->agency, sizeof kp->agency, "%s", agency);
            memcpy (kp->public_key, pub, CJ_CURVE_Z85 + 1);
            memcpy (kp->secret_key, sec, CJ_CURVE_Z85 + 1);
            rc = 0;
        }
    }
    json_decref (json);
    return rc;
}

int
cj_curve_public_load (const char *path, char public_key[CJ_CURVE_Z85 + 1], char *err,
                      size_t err_size)
{
    FILE *file = fopen (path, "re");
    if (!file) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return -1;
    }
    char text[8192];
    size_t n = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    if (cj_curve_key_valid (text)) {
        memcpy (public_key, text, CJ_CURVE_Z85 + 1);
        return 0;
    }
    /*  A .key file: take its public key (its mode is checked by the full load).  */
    json_t *json = json_loads (text, 0, NULL);
    const char *pub = NULL;
    sodium_memzero (text, sizeof text);
    if (json && json_unpack (json, "{s:s}", "public_key", &pub) == 0 && cj_curve_key_valid (pub)) {
        memcpy (public_key, pub, CJ_CURVE_Z85 + 1);
        json_decref (json);
        return 0;
    }
    json_decref (json);
    snprintf (err, err_size, "%s: not a public key (one line of 40 Z85 characters, as written "
              "by `chejian keygen` to <name>.pub)", path);
    return -1;
}

int
cj_curve_make_server (void *socket, const cj_curve_keypair_t *kp)
{
    int on = 1;
    return zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &on, sizeof on) == 0
               && zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, kp->secret_key, CJ_CURVE_Z85) == 0
               ? 0 : -1;
}

int
cj_curve_make_client (void *socket, const cj_curve_keypair_t *kp, const char *server_public)
{
    return zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, server_public, CJ_CURVE_Z85) == 0
               && zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, kp->public_key, CJ_CURVE_Z85) == 0
               && zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, kp->secret_key, CJ_CURVE_Z85) == 0
               ? 0 : -1;
}
