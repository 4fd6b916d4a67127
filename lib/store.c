/*  store.c - Redis state: connection, key space, leases and the atomic fenced commit.
 *  See include/chejian/store.h for the contract and docs/keyspace.md for the layout.  */
#include "chejian/store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_BACKOFF_MIN_MS  100
#define S_BACKOFF_MAX_MS  5000
#define S_OP_MAX_ARGS     2000    /* arguments of one write op (Lua unpack stays far below its limit) */
#define S_ERR_SIZE        256

/*  The commit script. KEYS[1] lease, KEYS[2] meta, KEYS[3] outbox, KEYS[3+i] the key of op i.
 *  ARGV[1] token, ARGV[2] number of events, ARGV[3] events per stream entry, then the events,
 *  then for each op: command name, argument count, arguments. Every op is checked against the
 *  whitelist before anything is written, so a malformed batch changes nothing.  */
static const char s_commit_lua[] =
    "local allowed = {HSET=1, HDEL=1, HINCRBY=1, SET=1, DEL=1, SADD=1, SREM=1, ZADD=1,\n"
    "                 ZREM=1, RPUSH=1, PEXPIRE=1}\n"
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1, 0} end\n"
    "local nev = tonumber(ARGV[2])\n"
    "local chunk = tonumber(ARGV[3])\n"
    "local a = 4 + nev\n"
    "local k = 4\n"
    "while a <= #ARGV do\n"
    "  if not allowed[ARGV[a]] or KEYS[k] == nil then\n"
    "    return redis.error_reply('ERR cj_commit: malformed op ' .. tostring(ARGV[a]))\n"
    "  end\n"
    "  a = a + 2 + tonumber(ARGV[a + 1]); k = k + 1\n"
    "end\n"
    "local first, last = 0, 0\n"
    "a = 4\n"
    "if nev > 0 then\n"
    "  last = redis.call('HINCRBY', KEYS[2], 'head', nev)\n"
    "  first = last - nev + 1\n"
    "  local s = first\n"
    "  while s <= last do\n"
    "    local e = math.min(last, s + chunk - 1)\n"
    "    local x = {}\n"
    "    for q = s, e do x[#x + 1] = string.format('%d', q); x[#x + 1] = ARGV[a]; a = a + 1 end\n"
    "    redis.call('XADD', KEYS[3], string.format('%d-0', e), unpack(x))\n"
    "    s = e + 1\n"
    "  end\n"
    "end\n"
    "k = 4\n"
    "while a <= #ARGV do\n"
    "  local n = tonumber(ARGV[a + 1])\n"
    "  redis.call(ARGV[a], KEYS[k], unpack(ARGV, a + 2, a + 1 + n))\n"
    "  a = a + 2 + n; k = k + 1\n"
    "end\n"
    "return {first, last}\n";

/*  The lease script. KEYS[1] lease, KEYS[2] meta; ARGV[1] ttl ms, ARGV[2] token held (or 0),
 *  ARGV[3] the caller's instance id. Renews a lease still held with that token; takes a free
 *  lease, or one last taken by the same instance (a restart), with a new token from the
 *  partition's epoch counter; returns 0 when another instance holds it. A new token fences
 *  off every commit made with an older one.  */
static const char s_lease_lua[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur and cur == ARGV[2] then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[1]); return tonumber(cur)\n"
    "end\n"
    "if cur and redis.call('HGET', KEYS[2], 'owner') ~= ARGV[3] then return 0 end\n"
    "local t = redis.call('HINCRBY', KEYS[2], 'epoch', 1)\n"
    "redis.call('HSET', KEYS[2], 'owner', ARGV[3])\n"
    "redis.call('SET', KEYS[1], t, 'PX', ARGV[1])\n"
    "return t\n";

static const char s_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

typedef enum { S_SCRIPT_COMMIT, S_SCRIPT_LEASE, S_SCRIPT_RELEASE, S_SCRIPTS } s_script_t;
static const char *const s_script_source[S_SCRIPTS] = { s_commit_lua, s_lease_lua, s_release_lua };

struct cj_store_t {
    redisContext *ctx;
    char         *host;           /* NULL for a unix socket */
    char         *socket_path;
    int           port;
    int           db;
    char         *password;
    char         *url_safe;
    int           timeout_ms;
    int64_t       next_attempt_ms;
    int           backoff_ms;
    char          sha[S_SCRIPTS][41];
    char          errstr[S_ERR_SIZE];
};

typedef struct {
    size_t off, len;
} s_span_t;

typedef struct {
    const char *cmd;     /* static command name */
    s_span_t    key;
    size_t      arg0;    /* first argument in spans */
    size_t      argc;
    size_t      live_argc;      /* the arguments sent (s_mark_dead), filled at commit */
    char        argc_text[12];  /* its group's argument count as text (s_build_argv) */
} s_op_t;

/*  One read-cache entry: "key\0field" (or "key" for a string key) then the value.  */
typedef struct {
    char    *bytes;      /* NULL: free slot */
    size_t   klen, vlen;
    bool     present;
    uint64_t hash;
} s_cached_t;

/*  One write as reads see it, in the batch's write index: the newest write of a name is in
 *  its slot, and shadows the ones before it ('prev'), which come back when it is rolled back.
 *  Names: "key\0field" for a hash field (HSET, HDEL, HINCRBY), "key\0\1" for the SET of a
 *  string key, "key\0\2" for the DEL of a key (which shadows both kinds).  */
typedef struct {
    uint64_t hash;
    size_t   op;       /* the op that made it */
    size_t   field;    /* spans index of the field, or S_NONE (SET, DEL) */
    size_t   value;    /* spans index of the value (HSET, SET), or S_NONE */
    size_t   prev;     /* the entry of the same name it shadows, or S_NONE */
    int      kind;     /* a cj_batch_lookup_t */
} s_write_t;

#define S_NONE SIZE_MAX           /* no entry; in 'wslots': a free slot */
#define S_TOMB (SIZE_MAX - 1)     /* in 'wslots': a name whose every entry was rolled back */
#define S_NAME_SET "\1"
#define S_NAME_DEL "\2"

struct cj_batch_t {
    char      service[32];
    char      prefix[32];      /* "cj:{p3}:" - every key must start with it */
    size_t    prefix_len;
    uint32_t  partition;
    uint64_t  token;
    char     *bytes;
    size_t    nbytes, cbytes;
    s_span_t *spans;
    size_t    nspans, cspans;
    s_op_t   *ops;
    size_t    nops, cops;
    s_span_t *events;
    size_t    nevents, cevents;
    /* the write index: 'writes' in order, 'wslots' open addressing of their indices
     * ('wcap' a power of two, 0: none yet; 'wused' counts tombstones too) */
    s_write_t  *writes;
    size_t      nwrites, cwrites;
    size_t     *wslots;
    size_t      wcap, wused;
    /* the read cache: open addressing, 'ccap' a power of two (0: none yet) */
    s_cached_t *cache;
    size_t      ncache, ccap;
    /* built at commit time */
    unsigned char *dead;       /* per argument: a later write of the batch voids it */
    size_t      cdead;
    size_t     *order;         /* the ops sent, by key */
    size_t      corder;
    const char **argv;
    size_t      *argvlen;
    size_t       cargv;
};

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_set_error (cj_store_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->errstr, sizeof self->errstr, fmt, ap);
    va_end (ap);
}

static void
s_disconnect (cj_store_t *self, const char *why)
{
    if (self->ctx) {
        s_set_error (self, "redis %s: %s", self->url_safe,
                     why ? why : (self->ctx->errstr[0] ? self->ctx->errstr : "connection lost"));
        redisFree (self->ctx);
        self->ctx = NULL;
    }
}

/*  Parses 'url' into the store's fields. Accepts redis://[[user]:password@]host[:port][/db]
 *  and unix:///path[?db=N].  */
static int
s_parse_url (cj_store_t *self, const char *url, char *err, size_t err_size)
{
    self->port = 6379;
    self->db = 0;
    if (strncmp (url, "unix://", 7) == 0) {
        const char *path = url + 7;
        const char *q = strchr (path, '?');
        size_t len = q ? (size_t) (q - path) : strlen (path);
        if (len == 0 || path[0] != '/') {
            snprintf (err, err_size, "unix URL needs an absolute socket path: %s", url);
            return -1;
        }
        self->socket_path = strndup (path, len);
        if (q && sscanf (q, "?db=%d", &self->db) != 1) {
            snprintf (err, err_size, "unix URL query must be ?db=N: %s", url);
            return -1;
        }
        return self->socket_path ? 0 : -1;
    }
    if (strncmp (url, "redis://", 8) != 0) {
        snprintf (err, err_size, "Redis URL must start with redis:// or unix://: %s", url);
        return -1;
    }
    const char *p = url + 8;
    const char *at = strrchr (p, '@');
    if (at) {
        const char *colon = memchr (p, ':', (size_t) (at - p));
        const char *pw = colon ? colon + 1 : p;
        self->password = strndup (pw, (size_t) (at - pw));
        p = at + 1;
    }
    const char *slash = strchr (p, '/');
    const char *hostend = slash ? slash : p + strlen (p);
    const char *colon = memchr (p, ':', (size_t) (hostend - p));
    const char *hend = colon ? colon : hostend;
    if (hend == p) {
        snprintf (err, err_size, "Redis URL has no host: %s", url);
        return -1;
    }
    self->host = strndup (p, (size_t) (hend - p));
    if (colon) {
        char *end;
        long port = strtol (colon + 1, &end, 10);
        if (end != hostend || port <= 0 || port > 65535) {
            snprintf (err, err_size, "Redis URL has a bad port: %s", url);
            return -1;
        }
        self->port = (int) port;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol (slash + 1, &end, 10);
        if (*end || db < 0 || db > 15) {
            snprintf (err, err_size, "Redis URL has a bad database number: %s", url);
            return -1;
        }
        self->db = (int) db;
    }
    return self->host ? 0 : -1;
}

cj_store_t *
cj_store_new (const char *url, int timeout_ms, char *ret_err, size_t err_size)
{
    char err[S_ERR_SIZE] = "out of memory";
    cj_store_t *self = calloc (1, sizeof *self);
    if (!self)
        goto fail;
    if (!url || !*url)
        url = CJ_STORE_DEFAULT_URL;
    if (s_parse_url (self, url, err, sizeof err) != 0)
        goto fail_free;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    if (self->socket_path)
        self->url_safe = strdup (url);
    else if (asprintf (&self->url_safe, "redis://%s%s:%d/%d", self->password ? "***@" : "",
                       self->host, self->port, self->db) < 0)
        self->url_safe = NULL;
    if (!self->url_safe)
        goto fail_free;
    s_set_error (self, "not connected");
    return self;

fail_free:
    cj_store_destroy (&self);
fail:
    if (ret_err && err_size)
        snprintf (ret_err, err_size, "%s", err);
    return NULL;
}

void
cj_store_destroy (cj_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_store_t *self = *self_p;
    if (self->ctx)
        redisFree (self->ctx);
    free (self->host);
    free (self->socket_path);
    if (self->password)
        memset (self->password, 0, strlen (self->password));
    free (self->password);
    free (self->url_safe);
    free (self);
    *self_p = NULL;
}

/*  Runs one command on a fresh connection during set-up; returns the reply or NULL after
 *  recording the error.  */
static redisReply *
s_setup_command (cj_store_t *self, int argc, const char **argv)
{
    redisReply *reply = redisCommandArgv (self->ctx, argc, argv, NULL);
    if (!reply) {
        s_disconnect (self, NULL);
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        s_set_error (self, "redis %s: %s: %s", self->url_safe, argv[0], reply->str);
        freeReplyObject (reply);
        redisFree (self->ctx);
        self->ctx = NULL;
        return NULL;
    }
    return reply;
}

static int
s_load_scripts (cj_store_t *self)
{
    for (int i = 0; i < S_SCRIPTS; i++) {
        const char *argv[] = { "SCRIPT", "LOAD", s_script_source[i] };
        redisReply *reply = s_setup_command (self, 3, argv);
        if (!reply)
            return -1;
        if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
            freeReplyObject (reply);
            s_disconnect (self, "SCRIPT LOAD gave an unexpected reply");
            return -1;
        }
        memcpy (self->sha[i], reply->str, 40);
        self->sha[i][40] = 0;
        freeReplyObject (reply);
    }
    return 0;
}

int
cj_store_connect (cj_store_t *self)
{
    if (self->ctx)
        return 0;
    int64_t now = s_now_ms ();
    if (now < self->next_attempt_ms)
        return -1;
    struct timeval tv = { .tv_sec = self->timeout_ms / 1000,
                          .tv_usec = (self->timeout_ms % 1000) * 1000 };
    self->ctx = self->socket_path ? redisConnectUnixWithTimeout (self->socket_path, tv)
                                  : redisConnectWithTimeout (self->host, self->port, tv);
    if (!self->ctx || self->ctx->err) {
        s_set_error (self, "redis %s: connect: %s", self->url_safe,
                     self->ctx ? self->ctx->errstr : "out of memory");
        if (self->ctx)
            redisFree (self->ctx);
        self->ctx = NULL;
        goto backoff;
    }
    redisSetTimeout (self->ctx, tv);
    if (!self->socket_path)
        redisEnableKeepAlive (self->ctx);
    if (self->password) {
        const char *argv[] = { "AUTH", self->password };
        redisReply *reply = s_setup_command (self, 2, argv);
        if (!reply)
            goto backoff;
        freeReplyObject (reply);
    }
    if (self->db) {
        char db[16];
        snprintf (db, sizeof db, "%d", self->db);
        const char *argv[] = { "SELECT", db };
        redisReply *reply = s_setup_command (self, 2, argv);
        if (!reply)
            goto backoff;
        freeReplyObject (reply);
    }
    if (s_load_scripts (self) != 0)
        goto backoff;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    self->next_attempt_ms = 0;
    return 0;

backoff:
    self->next_attempt_ms = now + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS
                                                                : self->backoff_ms * 2;
    return -1;
}

bool
cj_store_connected (const cj_store_t *self)
{
    return self->ctx != NULL;
}

const char *
cj_store_errstr (const cj_store_t *self)
{
    return self->errstr;
}

const char *
cj_store_url_safe (const cj_store_t *self)
{
    return self->url_safe;
}

redisReply *
cj_store_commandv (cj_store_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (cj_store_connect (self) != 0)
        return NULL;
    redisReply *reply = redisCommandArgv (self->ctx, argc, argv, argvlen);
    if (!reply)
        s_disconnect (self, NULL);
    return reply;
}

redisReply *
cj_store_command (cj_store_t *self, const char *fmt, ...)
{
    if (cj_store_connect (self) != 0)
        return NULL;
    va_list ap;
    va_start (ap, fmt);
    redisReply *reply = redisvCommand (self->ctx, fmt, ap);
    va_end (ap);
    if (!reply)
        s_disconnect (self, NULL);
    return reply;
}

int
cj_store_append (cj_store_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (cj_store_connect (self) != 0)
        return -1;
    if (redisAppendCommandArgv (self->ctx, argc, argv, argvlen) != REDIS_OK) {
        s_disconnect (self, NULL);
        return -1;
    }
    return 0;
}

redisReply *
cj_store_get_reply (cj_store_t *self)
{
    if (!self->ctx)
        return NULL;
    void *reply = NULL;
    if (redisGetReply (self->ctx, &reply) != REDIS_OK || !reply) {
        s_disconnect (self, NULL);
        return NULL;
    }
    return reply;
}

/*  ---- key space ----  */

uint32_t
cj_partition_of (const char *county, uint32_t partitions)
{
    uint32_t hash = 2166136261u;
    for (const unsigned char *p = (const unsigned char *) county; *p; p++) {
        hash ^= *p;
        hash *= 16777619u;
    }
    return partitions ? hash % partitions : 0;
}

int
cj_key (char *buf, size_t size, uint32_t partition, const char *service, const char *fmt, ...)
{
    int n = snprintf (buf, size, "cj:{p%u}:%s:", partition, service);
    if (n < 0 || (size_t) n >= size)
        return -1;
    va_list ap;
    va_start (ap, fmt);
    int m = vsnprintf (buf + n, size - (size_t) n, fmt, ap);
    va_end (ap);
    if (m < 0 || (size_t) (n + m) >= size)
        return -1;
    return n + m;
}

/*  ---- leases ----  */

static int
s_lease_keys (char lease[CJ_KEY_MAX], char meta[CJ_KEY_MAX], const char *service,
              uint32_t partition)
{
    if (cj_key (lease, CJ_KEY_MAX, partition, service, "lease") < 0
        || cj_key (meta, CJ_KEY_MAX, partition, service, "meta") < 0)
        return -1;
    return 0;
}

/*  EVALSHA of script 'which' with 'nkeys' keys and the rest as arguments, reloading the
 *  script once if the server lost it (a restart without persistence of the script cache).  */
static redisReply *
s_evalsha (cj_store_t *self, s_script_t which, int argc, const char **argv)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (cj_store_connect (self) != 0)
            return NULL;
        argv[1] = self->sha[which];
        redisReply *reply = redisCommandArgv (self->ctx, argc, argv, NULL);
        if (!reply) {
            s_disconnect (self, NULL);
            return NULL;
        }
        if (reply->type == REDIS_REPLY_ERROR && strncmp (reply->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject (reply);
            if (s_load_scripts (self) != 0)
                return NULL;
            continue;
        }
        return reply;
    }
    s_set_error (self, "redis %s: script keeps disappearing", self->url_safe);
    return NULL;
}

int
cj_store_lease (cj_store_t *self, const char *service, uint32_t partition, const char *instance,
                uint64_t token, int ttl_ms, uint64_t *ret_token)
{
    char lease[CJ_KEY_MAX], meta[CJ_KEY_MAX], ttl[24], tok[24];
    if (s_lease_keys (lease, meta, service, partition) != 0) {
        s_set_error (self, "lease key too long");
        return -1;
    }
    snprintf (ttl, sizeof ttl, "%d", ttl_ms);
    snprintf (tok, sizeof tok, "%llu", (unsigned long long) token);
    const char *argv[] = { "EVALSHA", NULL, "2", lease, meta, ttl, tok, instance };
    redisReply *reply = s_evalsha (self, S_SCRIPT_LEASE, 8, argv);
    if (!reply)
        return -1;
    int rc = -1;
    if (reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer > 0 ? 1 : 0;
        if (rc == 1 && ret_token)
            *ret_token = (uint64_t) reply->integer;
    } else
        s_set_error (self, "lease script: %s",
                     reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}

int
cj_store_lease_release (cj_store_t *self, const char *service, uint32_t partition,
                        uint64_t token)
{
    char lease[CJ_KEY_MAX], meta[CJ_KEY_MAX], tok[24];
    if (s_lease_keys (lease, meta, service, partition) != 0)
        return -1;
    snprintf (tok, sizeof tok, "%llu", (unsigned long long) token);
    const char *argv[] = { "EVALSHA", NULL, "1", lease, tok };
    redisReply *reply = s_evalsha (self, S_SCRIPT_RELEASE, 5, argv);
    if (!reply)
        return -1;
    int rc = reply->type == REDIS_REPLY_ERROR ? -1 : 0;
    freeReplyObject (reply);
    return rc;
}

/*  ---- batch ----  */

cj_batch_t *
cj_batch_new (void)
{
    return calloc (1, sizeof (cj_batch_t));
}

void
cj_batch_destroy (cj_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_batch_t *self = *self_p;
    free (self->bytes);
    free (self->spans);
    free (self->ops);
    free (self->events);
    free (self->writes);
    free (self->wslots);
    free (self->dead);
    free (self->order);
    free (self->argv);
    free (self->argvlen);
    for (size_t i = 0; i < self->ccap; i++)
        free (self->cache[i].bytes);
    free (self->cache);
    free (self);
    *self_p = NULL;
}

void
cj_batch_reset (cj_batch_t *self, const char *service, uint32_t partition, uint64_t token)
{
    snprintf (self->service, sizeof self->service, "%s", service);
    int n = snprintf (self->prefix, sizeof self->prefix, "cj:{p%u}:", partition);
    self->prefix_len = n > 0 ? (size_t) n : 0;
    self->partition = partition;
    self->token = token;
    self->nbytes = self->nspans = self->nops = self->nevents = 0;
    if (self->nwrites || self->wused) {
        memset (self->wslots, 0xff, self->wcap * sizeof *self->wslots);   /* all S_NONE */
        self->nwrites = self->wused = 0;
    }
    if (self->ncache) {
        for (size_t i = 0; i < self->ccap; i++) {
            free (self->cache[i].bytes);
            self->cache[i].bytes = NULL;
        }
        self->ncache = 0;
    }
}

/*  ---- the read cache ----  */

/*  The cache's name of ('key', 'field'): "key\0field", or "key\0\1" for a string key (a
 *  field never starts with \1 in our key space, and the two never collide).  */
static size_t
s_cache_name (char *buf, size_t size, const char *key, const char *field)
{
    size_t klen = strlen (key), flen = field ? strlen (field) : 1;
    if (klen + 1 + flen > size)
        return 0;
    memcpy (buf, key, klen);
    buf[klen] = 0;
    memcpy (buf + klen + 1, field ? field : "\1", flen);
    return klen + 1 + flen;
}

#define S_FNV_SEED 1469598103934665603ULL

static uint64_t
s_fnv_more (uint64_t h, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t) data[i]) * 1099511628211ULL;
    return h;
}

static uint64_t
s_fnv (const char *data, size_t len)
{
    return s_fnv_more (S_FNV_SEED, data, len);
}

static s_cached_t *
s_cache_slot (const cj_batch_t *self, const char *name, size_t nlen, uint64_t hash)
{
    size_t mask = self->ccap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        s_cached_t *e = &self->cache[i];
        if (!e->bytes || (e->hash == hash && e->klen == nlen && memcmp (e->bytes, name, nlen) == 0))
            return e;
    }
}

static int
s_cache_grow (cj_batch_t *self)
{
    size_t cap = self->ccap ? self->ccap * 2 : 1024;
    s_cached_t *old = self->cache, *grown = calloc (cap, sizeof *grown);
    if (!grown)
        return -1;
    size_t old_cap = self->ccap;
    self->cache = grown;
    self->ccap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].bytes)
            *s_cache_slot (self, old[i].bytes, old[i].klen, old[i].hash) = old[i];
    free (old);
    return 0;
}

int
cj_batch_cache_put (cj_batch_t *self, const char *key, const char *field, const void *value,
                    size_t len)
{
    char name[2 * CJ_KEY_MAX];
    size_t nlen = s_cache_name (name, sizeof name, key, field);
    if (nlen == 0)
        return -1;
    if ((self->ncache + 1) * 2 > self->ccap && s_cache_grow (self) != 0)
        return -1;
    uint64_t hash = s_fnv (name, nlen);
    s_cached_t *e = s_cache_slot (self, name, nlen, hash);
    char *bytes = malloc (nlen + (value ? len : 0) + 1);
    if (!bytes)
        return -1;
    memcpy (bytes, name, nlen);
    if (value)
        memcpy (bytes + nlen, value, len);
    if (!e->bytes)
        self->ncache++;
    free (e->bytes);
    *e = (s_cached_t) { .bytes = bytes, .klen = nlen, .vlen = value ? len : 0,
                        .present = value != NULL, .hash = hash };
    return 0;
}

cj_batch_lookup_t
cj_batch_cache_get (const cj_batch_t *self, const char *key, const char *field,
                    const void **ret_value, size_t *ret_len)
{
    char name[2 * CJ_KEY_MAX];
    size_t nlen = self->ncache ? s_cache_name (name, sizeof name, key, field) : 0;
    if (nlen == 0)
        return CJ_BATCH_ABSENT;
    const s_cached_t *e = s_cache_slot (self, name, nlen, s_fnv (name, nlen));
    if (!e->bytes)
        return CJ_BATCH_ABSENT;
    if (!e->present)
        return CJ_BATCH_DELETED;
    *ret_value = e->bytes + e->klen;
    *ret_len = e->vlen;
    return CJ_BATCH_VALUE;
}

uint32_t cj_batch_partition (const cj_batch_t *self) { return self->partition; }
size_t   cj_batch_writes (const cj_batch_t *self) { return self->nops; }
size_t   cj_batch_events (const cj_batch_t *self) { return self->nevents; }
bool     cj_batch_empty (const cj_batch_t *self) { return self->nops == 0 && self->nevents == 0; }

/*  Grows '*array' (of 'elem' bytes each, capacity '*cap') to hold 'need' elements.  */
static int
s_grow (void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc (*array, cap2 * elem);
    if (!p)
        return -1;
    *array = p;
    *cap = cap2;
    return 0;
}

/*  Copies 'len' bytes into the arena; returns their span.  */
static int
s_store_bytes (cj_batch_t *self, const void *data, size_t len, s_span_t *ret_span)
{
    if (s_grow ((void **) &self->bytes, &self->cbytes, self->nbytes + len + 1, 1) != 0)
        return -1;
    if (len)
        memcpy (self->bytes + self->nbytes, data, len);
    ret_span->off = self->nbytes;
    ret_span->len = len;
    self->nbytes += len;
    return 0;
}

static int
s_push_arg (cj_batch_t *self, const void *data, size_t len)
{
    s_span_t span;
    if (s_grow ((void **) &self->spans, &self->cspans, self->nspans + 1, sizeof span) != 0
        || s_store_bytes (self, data, len, &span) != 0)
        return -1;
    self->spans[self->nspans++] = span;
    return 0;
}

/*  Starts op 'cmd' on 'key', or continues the last op when it is the same mergeable command
 *  on the same key (so consecutive HSETs to one hash become one multi-field HSET).  */
static int
s_begin_op (cj_batch_t *self, const char *cmd, const char *key, bool mergeable, size_t nargs)
{
    size_t klen = strlen (key);
    if (klen < self->prefix_len || memcmp (key, self->prefix, self->prefix_len) != 0)
        return -1;       /* a key of another partition */
    if (mergeable && self->nops > 0) {
        s_op_t *last = &self->ops[self->nops - 1];
        if (last->cmd == cmd && last->key.len == klen
            && memcmp (self->bytes + last->key.off, key, klen) == 0
            && last->argc + nargs <= S_OP_MAX_ARGS)
            return 0;
    }
    s_op_t op = { .cmd = cmd, .arg0 = self->nspans, .argc = 0 };
    if (s_grow ((void **) &self->ops, &self->cops, self->nops + 1, sizeof op) != 0
        || s_store_bytes (self, key, klen, &op.key) != 0)
        return -1;
    self->ops[self->nops++] = op;
    return 0;
}

/*  ---- the write index ----  */

static const char S_HSET[] = "HSET", S_HDEL[] = "HDEL", S_HINCRBY[] = "HINCRBY", S_SET[] = "SET",
                  S_DEL[] = "DEL", S_SADD[] = "SADD", S_SREM[] = "SREM", S_ZADD[] = "ZADD",
                  S_ZREM[] = "ZREM", S_RPUSH[] = "RPUSH", S_PEXPIRE[] = "PEXPIRE";

static bool
s_span_is (const cj_batch_t *self, s_span_t span, const char *text, size_t len)
{
    return span.len == len && memcmp (self->bytes + span.off, text, len) == 0;
}

/*  The hash of a name: the key, a NUL, then the field (or S_NAME_SET / S_NAME_DEL).  */
static uint64_t
s_name_hash (const char *key, size_t klen, const char *field, size_t flen)
{
    uint64_t h = s_fnv_more (s_fnv_more (S_FNV_SEED, key, klen), "", 1);
    return s_fnv_more (h, field, flen);
}

static bool
s_write_is (const cj_batch_t *self, const s_write_t *w, uint64_t hash, const char *key,
            size_t klen, const char *field, size_t flen)
{
    if (w->hash != hash || !s_span_is (self, self->ops[w->op].key, key, klen))
        return false;
    if (w->field != S_NONE)
        return s_span_is (self, self->spans[w->field], field, flen);
    const char *tag = w->kind == CJ_BATCH_DELETED ? S_NAME_DEL : S_NAME_SET;
    return flen == 1 && field[0] == tag[0];
}

/*  The slot of the name: the one holding its newest entry, or the free slot where it would
 *  go. Never NULL: the table is kept at most half full.  */
static size_t *
s_wslot (const cj_batch_t *self, uint64_t hash, const char *key, size_t klen,
         const char *field, size_t flen)
{
    size_t mask = self->wcap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        size_t e = self->wslots[i];
        if (e == S_NONE)
            return &self->wslots[i];
        if (e != S_TOMB && s_write_is (self, &self->writes[e], hash, key, klen, field, flen))
            return &self->wslots[i];
    }
}

/*  The name of entry 'w' as (key, field) pointers into the batch's bytes.  */
static void
s_write_name (const cj_batch_t *self, const s_write_t *w, const char **key, size_t *klen,
              const char **field, size_t *flen)
{
    *key = self->bytes + self->ops[w->op].key.off;
    *klen = self->ops[w->op].key.len;
    if (w->field != S_NONE) {
        *field = self->bytes + self->spans[w->field].off;
        *flen = self->spans[w->field].len;
    } else {
        *field = w->kind == CJ_BATCH_DELETED ? S_NAME_DEL : S_NAME_SET;
        *flen = 1;
    }
}

/*  Rehashes the entries into slots for four times their number (1024 at least), dropping
 *  tombstones.  */
static int
s_wgrow (cj_batch_t *self)
{
    size_t cap = 1024;            /* a quarter full at most after the rehash */
    while (cap < (self->nwrites + 1) * 4)
        cap *= 2;
    size_t *slots = malloc (cap * sizeof *slots);
    if (!slots)
        return -1;
    free (self->wslots);
    memset (slots, 0xff, cap * sizeof *slots);
    self->wslots = slots;
    self->wcap = cap;
    self->wused = 0;
    /* oldest first, so each name's slot ends on its newest entry */
    for (size_t e = 0; e < self->nwrites; e++) {
        const s_write_t *w = &self->writes[e];
        const char *key, *field;
        size_t klen, flen;
        s_write_name (self, w, &key, &klen, &field, &flen);
        size_t *slot = s_wslot (self, w->hash, key, klen, field, flen);
        self->wused += *slot == S_NONE;
        *slot = e;
    }
    return 0;
}

static int
s_windex (cj_batch_t *self, int kind, size_t field, size_t value)
{
    if (s_grow ((void **) &self->writes, &self->cwrites, self->nwrites + 1,
                sizeof *self->writes) != 0
        || ((self->wused + 1) * 2 > self->wcap && s_wgrow (self) != 0))
        return -1;
    s_write_t w = { .op = self->nops - 1, .field = field, .value = value, .kind = kind };
    const char *key, *fname;
    size_t klen, flen;
    s_write_name (self, &w, &key, &klen, &fname, &flen);
    w.hash = s_name_hash (key, klen, fname, flen);
    size_t *slot = s_wslot (self, w.hash, key, klen, fname, flen);
    w.prev = *slot;               /* S_NONE when the name is new */
    self->wused += *slot == S_NONE;
    self->writes[self->nwrites] = w;
    *slot = self->nwrites++;
    return 0;
}

/*  Indexes the last 'nargs' arguments of the last op, just queued by 'cmd'.  */
static int
s_index_op (cj_batch_t *self, const char *cmd, size_t nargs)
{
    size_t base = self->nspans - nargs;
    int rc = 0;
    if (cmd == S_HSET)
        for (size_t i = 0; rc == 0 && i + 1 < nargs; i += 2)
            rc = s_windex (self, CJ_BATCH_VALUE, base + i, base + i + 1);
    else if (cmd == S_HDEL)
        for (size_t i = 0; rc == 0 && i < nargs; i++)
            rc = s_windex (self, CJ_BATCH_DELETED, base + i, S_NONE);
    else if (cmd == S_HINCRBY)
        rc = s_windex (self, CJ_BATCH_UNKNOWN, base, S_NONE);
    else if (cmd == S_SET)
        rc = s_windex (self, CJ_BATCH_VALUE, S_NONE, base);
    else if (cmd == S_DEL)
        rc = s_windex (self, CJ_BATCH_DELETED, S_NONE, S_NONE);
    return rc;
}

/*  Takes back the entries from 'keep' on, newest first (before their bytes go).  */
static void
s_wrollback (cj_batch_t *self, size_t keep)
{
    while (self->nwrites > keep) {
        const s_write_t *w = &self->writes[self->nwrites - 1];
        const char *key, *field;
        size_t klen, flen;
        s_write_name (self, w, &key, &klen, &field, &flen);
        size_t *slot = s_wslot (self, w->hash, key, klen, field, flen);
        *slot = w->prev == S_NONE ? S_TOMB : w->prev;
        self->nwrites--;
    }
}

/*  The newest entry of a name, or NULL.  */
static const s_write_t *
s_wfind (const cj_batch_t *self, const char *key, size_t klen, const char *field, size_t flen)
{
    if (!self->nwrites)
        return NULL;
    size_t e = *s_wslot (self, s_name_hash (key, klen, field, flen), key, klen, field, flen);
    return e == S_NONE ? NULL : &self->writes[e];
}

/*  Queues 'cmd key args...' ('nargs' arguments with their lengths).  */
static int
s_write (cj_batch_t *self, const char *cmd, bool mergeable, const char *key, size_t nargs,
         const void *const *args, const size_t *lens)
{
    cj_batch_mark_t mark = cj_batch_mark (self);
    if (s_begin_op (self, cmd, key, mergeable, nargs) != 0)
        return -1;
    for (size_t i = 0; i < nargs; i++)
        if (s_push_arg (self, args[i], lens[i]) != 0) {
            cj_batch_rollback (self, mark);
            return -1;
        }
    self->ops[self->nops - 1].argc += nargs;
    if (s_index_op (self, cmd, nargs) != 0) {
        cj_batch_rollback (self, mark);
        return -1;
    }
    return 0;
}


int
cj_batch_hset (cj_batch_t *self, const char *key, const char *field, const void *value,
               size_t len)
{
    const void *args[] = { field, value };
    size_t lens[] = { strlen (field), len };
    return s_write (self, S_HSET, true, key, 2, args, lens);
}

int
cj_batch_hset_int (cj_batch_t *self, const char *key, const char *field, int64_t value)
{
    char text[24];
    int n = snprintf (text, sizeof text, "%lld", (long long) value);
    return cj_batch_hset (self, key, field, text, (size_t) n);
}

int
cj_batch_hdel (cj_batch_t *self, const char *key, const char *field)
{
    const void *args[] = { field };
    size_t lens[] = { strlen (field) };
    return s_write (self, S_HDEL, true, key, 1, args, lens);
}

int
cj_batch_hincrby (cj_batch_t *self, const char *key, const char *field, int64_t delta)
{
    char text[24];
    int n = snprintf (text, sizeof text, "%lld", (long long) delta);
    const void *args[] = { field, text };
    size_t lens[] = { strlen (field), (size_t) n };
    return s_write (self, S_HINCRBY, false, key, 2, args, lens);
}

int
cj_batch_set (cj_batch_t *self, const char *key, const void *value, size_t len)
{
    const void *args[] = { value };
    return s_write (self, S_SET, false, key, 1, args, &len);
}

int
cj_batch_del (cj_batch_t *self, const char *key)
{
    return s_write (self, S_DEL, false, key, 0, NULL, NULL);
}

static int
s_member_op (cj_batch_t *self, const char *cmd, const char *key, const char *member)
{
    const void *args[] = { member };
    size_t lens[] = { strlen (member) };
    return s_write (self, cmd, true, key, 1, args, lens);
}

int cj_batch_sadd (cj_batch_t *self, const char *key, const char *member)
{ return s_member_op (self, S_SADD, key, member); }
int cj_batch_srem (cj_batch_t *self, const char *key, const char *member)
{ return s_member_op (self, S_SREM, key, member); }
int cj_batch_zrem (cj_batch_t *self, const char *key, const char *member)
{ return s_member_op (self, S_ZREM, key, member); }

int
cj_batch_zadd (cj_batch_t *self, const char *key, double score, const char *member)
{
    char text[32];
    int n = snprintf (text, sizeof text, "%.17g", score);
    const void *args[] = { text, member };
    size_t lens[] = { (size_t) n, strlen (member) };
    return s_write (self, S_ZADD, true, key, 2, args, lens);
}

int
cj_batch_rpush (cj_batch_t *self, const char *key, const void *value, size_t len)
{
    const void *args[] = { value };
    return s_write (self, S_RPUSH, true, key, 1, args, &len);
}

int
cj_batch_pexpire (cj_batch_t *self, const char *key, int64_t ttl_ms)
{
    char text[24];
    int n = snprintf (text, sizeof text, "%lld", (long long) ttl_ms);
    const void *args[] = { text };
    size_t lens[] = { (size_t) n };
    return s_write (self, S_PEXPIRE, false, key, 1, args, lens);
}

int
cj_batch_event (cj_batch_t *self, const void *data, size_t len)
{
    s_span_t span;
    if (self->nevents >= CJ_BATCH_MAX_EVENTS
        || s_grow ((void **) &self->events, &self->cevents, self->nevents + 1, sizeof span) != 0
        || s_store_bytes (self, data, len, &span) != 0)
        return -1;
    self->events[self->nevents] = span;
    return (int) self->nevents++;
}

const void *
cj_batch_event_data (const cj_batch_t *self, size_t index, size_t *ret_len)
{
    if (index >= self->nevents)
        return NULL;
    *ret_len = self->events[index].len;
    return self->bytes + self->events[index].off;
}

/*  The last write of 'field' of hash 'key' ('field' NULL: of the string 'key'), from the
 *  write index: the newest entry of the name, unless a DEL of the key came after it.  */
static cj_batch_lookup_t
s_lookup (const cj_batch_t *self, const char *key, const char *field, const void **ret_value,
          size_t *ret_len)
{
    size_t klen = strlen (key);
    const s_write_t *w = field ? s_wfind (self, key, klen, field, strlen (field))
                               : s_wfind (self, key, klen, S_NAME_SET, 1);
    const s_write_t *del = s_wfind (self, key, klen, S_NAME_DEL, 1);
    if (del && (!w || del > w))
        return CJ_BATCH_DELETED;
    if (!w)
        return CJ_BATCH_ABSENT;
    if (w->kind == CJ_BATCH_VALUE) {
        *ret_value = self->bytes + self->spans[w->value].off;
        *ret_len = self->spans[w->value].len;
    }
    return (cj_batch_lookup_t) w->kind;
}

cj_batch_lookup_t
cj_batch_hget (const cj_batch_t *self, const char *key, const char *field,
               const void **ret_value, size_t *ret_len)
{
    return s_lookup (self, key, field, ret_value, ret_len);
}

cj_batch_lookup_t
cj_batch_get (const cj_batch_t *self, const char *key, const void **ret_value, size_t *ret_len)
{
    return s_lookup (self, key, NULL, ret_value, ret_len);
}

cj_batch_mark_t
cj_batch_mark (const cj_batch_t *self)
{
    cj_batch_mark_t mark = {
        .ops = self->nops,
        .op_args = self->nops ? self->ops[self->nops - 1].argc : 0,
        .args = self->nspans,
        .bytes = self->nbytes,
        .events = self->nevents,
        .writes = self->nwrites,
    };
    return mark;
}

void
cj_batch_rollback (cj_batch_t *self, cj_batch_mark_t mark)
{
    s_wrollback (self, mark.writes);
    self->nops = mark.ops;
    if (self->nops)
        self->ops[self->nops - 1].argc = mark.op_args;
    self->nspans = mark.args;
    self->nbytes = mark.bytes;
    self->nevents = mark.events;
}

/*  ---- commit ----  */

/*  Marks in self->dead the arguments of writes that a later write of the batch voids: an
 *  HSET, HDEL or SET whose field (or string key) is written again later, or whose key a later
 *  DEL deletes, unless an HINCRBY of that field comes after it (it needs the value). The script runs the ops in order and reads
 *  nothing in between, so leaving them out gives the same keys and sends less: a handler
 *  that rewrites one record for every message of a turn costs one write per turn.  */
static int
s_mark_dead (cj_batch_t *self)
{
    if (s_grow ((void **) &self->dead, &self->cdead, self->nspans + 1, 1) != 0)
        return -1;
    memset (self->dead, 0, self->nspans);
    for (size_t e = 0; e < self->nwrites; e++) {
        const s_write_t *w = &self->writes[e];
        if (w->kind == CJ_BATCH_UNKNOWN || (w->field == S_NONE && w->kind == CJ_BATCH_DELETED))
            continue;                          /* HINCRBY and DEL always run */
        const char *key, *field;
        size_t klen, flen;
        s_write_name (self, w, &key, &klen, &field, &flen);
        const s_write_t *last = s_wfind (self, key, klen, field, flen);
        const s_write_t *del = s_wfind (self, key, klen, S_NAME_DEL, 1);
        bool incr = false;                      /* an HINCRBY after it needs its value */
        for (size_t p = (size_t) (last - self->writes); p != S_NONE && p > e && !incr;
             p = self->writes[p].prev)
            incr = self->writes[p].kind == CJ_BATCH_UNKNOWN;
        if (!incr && (last != w || (del && del > w))) {
            if (w->field != S_NONE)
                self->dead[w->field] = 1;
            if (w->value != S_NONE)
                self->dead[w->value] = 1;
        }
    }
    return 0;
}

/*  The arguments of op 'op' that are still to be sent.  */
static size_t
s_live_args (const cj_batch_t *self, const s_op_t *op)
{
    size_t n = 0;
    for (size_t j = 0; j < op->argc; j++)
        n += !self->dead[op->arg0 + j];
    return n;
}

static const cj_batch_t *s_sorting;      /* qsort's context (the commit is single-threaded) */

/*  Ops by key, and in their order within a key.  */
static int
s_by_key (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    const s_op_t *p = &s_sorting->ops[x], *q = &s_sorting->ops[y];
    size_t n = p->key.len < q->key.len ? p->key.len : q->key.len;
    int c = memcmp (s_sorting->bytes + p->key.off, s_sorting->bytes + q->key.off, n);
    if (c == 0)
        c = p->key.len < q->key.len ? -1 : p->key.len > q->key.len;
    return c ? c : x < y ? -1 : x > y;
}

static bool
s_same_key (const cj_batch_t *self, const s_op_t *p, const s_op_t *q)
{
    return p->key.len == q->key.len
           && memcmp (self->bytes + p->key.off, self->bytes + q->key.off, p->key.len) == 0;
}

/*  The end of the group of ops starting at order[i]: the ops after it of the same key and
 *  command, when the command takes any number of arguments, up to S_OP_MAX_ARGS arguments in
 *  all; '*ret_argc' their arguments.  */
static size_t
s_group_end (const cj_batch_t *self, size_t i, size_t n, size_t *ret_argc)
{
    const s_op_t *first = &self->ops[self->order[i]];
    bool mergeable = first->cmd == S_HSET || first->cmd == S_HDEL || first->cmd == S_SADD
                     || first->cmd == S_SREM || first->cmd == S_ZADD || first->cmd == S_ZREM
                     || first->cmd == S_RPUSH;
    size_t argc = first->live_argc, j = i + 1;
    for (; mergeable && j < n; j++) {
        const s_op_t *op = &self->ops[self->order[j]];
        if (op->cmd != first->cmd || !s_same_key (self, op, first)
            || argc + op->live_argc > S_OP_MAX_ARGS)
            break;
        argc += op->live_argc;
    }
    *ret_argc = argc;
    return j;
}

/*  Lays the batch out as EVALSHA arguments in self->argv/argvlen; returns the count, or -1
 *  when out of memory. 'lease', 'meta', 'outbox' and 'nums' are the caller's scratch for the
 *  bookkeeping keys and numbers, which must live until the command is appended.
 *
 *  What is sent is what the ops say, in less: writes voided later in the batch are left out
 *  (s_mark_dead), and the ops are grouped by key, those of one key in their order, with
 *  consecutive ones of the same variadic command merged into one call (HSET k f1 v1 f2 v2).
 *  Ops of different keys commute, and the script runs them all at once, so the keys end the
 *  same; the script makes one call per group instead of one per queued write.  */
static int
s_build_argv (cj_batch_t *self, const char *sha, char lease[CJ_KEY_MAX],
              char meta[CJ_KEY_MAX], char outbox[CJ_KEY_MAX], char nums[4][24])
{
    size_t need = 6 + self->nops + 3 + self->nevents + 2 * self->nops + self->nspans;
    if (s_mark_dead (self) != 0
        || s_grow ((void **) &self->argv, &self->cargv, need, sizeof (char *)) != 0
        || s_grow ((void **) &self->order, &self->corder, self->nops + 1, sizeof (size_t)) != 0)
        return -1;
    /* an op goes when it has arguments left, or had none to begin with (DEL) */
    size_t nlive = 0;
    for (size_t i = 0; i < self->nops; i++) {
        s_op_t *op = &self->ops[i];
        op->live_argc = s_live_args (self, op);
        if (op->live_argc > 0 || op->argc == 0)
            self->order[nlive++] = i;
    }
    s_sorting = self;
    qsort (self->order, nlive, sizeof *self->order, s_by_key);
    s_sorting = NULL;
    size_t groups = 0, argc;
    for (size_t i = 0; i < nlive; i = s_group_end (self, i, nlive, &argc))
        groups++;
    size_t *lens = realloc (self->argvlen, self->cargv * sizeof (size_t));
    if (!lens)
        return -1;
    self->argvlen = lens;
    if (cj_key (lease, CJ_KEY_MAX, self->partition, self->service, "lease") < 0
        || cj_key (meta, CJ_KEY_MAX, self->partition, self->service, "meta") < 0
        || cj_key (outbox, CJ_KEY_MAX, self->partition, self->service, "outbox") < 0)
        return -1;
    snprintf (nums[0], 24, "%zu", 3 + groups);
    snprintf (nums[1], 24, "%llu", (unsigned long long) self->token);
    snprintf (nums[2], 24, "%zu", self->nevents);
    snprintf (nums[3], 24, "%d", CJ_STREAM_ENTRY_EVENTS);

    size_t n = 0;
#define S_ARG(p, l) (self->argv[n] = (p), self->argvlen[n] = (l), n++)
    S_ARG ("EVALSHA", 7);
    S_ARG (sha, 40);
    S_ARG (nums[0], strlen (nums[0]));
    S_ARG (lease, strlen (lease));
    S_ARG (meta, strlen (meta));
    S_ARG (outbox, strlen (outbox));
    for (size_t i = 0; i < nlive; i = s_group_end (self, i, nlive, &argc)) {
        const s_op_t *op = &self->ops[self->order[i]];
        S_ARG (self->bytes + op->key.off, op->key.len);
    }
    S_ARG (nums[1], strlen (nums[1]));
    S_ARG (nums[2], strlen (nums[2]));
    S_ARG (nums[3], strlen (nums[3]));
    for (size_t i = 0; i < self->nevents; i++)
        S_ARG (self->bytes + self->events[i].off, self->events[i].len);
    for (size_t i = 0, end; i < nlive; i = end) {
        end = s_group_end (self, i, nlive, &argc);
        s_op_t *first = &self->ops[self->order[i]];
        int clen = snprintf (first->argc_text, sizeof first->argc_text, "%zu", argc);
        S_ARG (first->cmd, strlen (first->cmd));
        S_ARG (first->argc_text, (size_t) clen);
        for (size_t g = i; g < end; g++) {
            const s_op_t *op = &self->ops[self->order[g]];
            for (size_t j = 0; j < op->argc; j++) {
                const s_span_t *a = &self->spans[op->arg0 + j];
                if (!self->dead[op->arg0 + j])
                    S_ARG (self->bytes + a->off, a->len);
            }
        }
    }
#undef S_ARG
    return (int) n;
}

/*  Reads one commit reply into 'result'. Returns 1 when the script was missing (the batch did
 *  not run and may be sent again), 0 otherwise.  */
static int
s_read_commit_reply (cj_store_t *self, redisReply *reply, cj_commit_result_t *result)
{
    result->status = CJ_COMMIT_ERROR;
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp (reply->str, "NOSCRIPT", 8) == 0)
            return 1;
        s_set_error (self, "commit script: %s", reply->str);
        return 0;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_INTEGER) {
        s_set_error (self, "commit script: unexpected reply");
        return 0;
    }
    if (reply->element[0]->integer < 0) {
        result->status = CJ_COMMIT_STALE_LEASE;
        s_set_error (self, "commit refused: stale lease token");
        return 0;
    }
    result->status = CJ_COMMIT_OK;
    result->first_seq = (uint64_t) reply->element[0]->integer;
    result->last_seq = (uint64_t) reply->element[1]->integer;
    return 0;
}

int
cj_store_commit (cj_store_t *self, cj_batch_t *const *batches, size_t count,
                 cj_commit_result_t *results)
{
    char lease[CJ_KEY_MAX], meta[CJ_KEY_MAX], outbox[CJ_KEY_MAX], nums[4][24];
    /* send[i]: batch i is to be sent in this attempt; only a NOSCRIPT reply (the script did
       not run at all) makes a batch go again, so nothing is ever applied twice. */
    unsigned char *send = calloc (count ? count : 1, 1);
    if (!send) {
        s_set_error (self, "commit: out of memory");
        for (size_t i = 0; i < count; i++)
            results[i] = (cj_commit_result_t) { .status = CJ_COMMIT_ERROR };
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        send[i] = !cj_batch_empty (batches[i]);
        results[i] = (cj_commit_result_t) { .status = send[i] ? CJ_COMMIT_ERROR : CJ_COMMIT_OK };
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reload = false;
        if (cj_store_connect (self) != 0)
            goto fail_all;
        for (size_t i = 0; i < count; i++) {
            if (!send[i])
                continue;
            cj_batch_t *b = batches[i];
            int argc = s_build_argv (b, self->sha[S_SCRIPT_COMMIT], lease, meta, outbox, nums);
            if (argc < 0) {
                s_set_error (self, "commit: out of memory building the batch");
                goto fail_all;
            }
            if (cj_store_append (self, argc, b->argv, b->argvlen) != 0)
                goto fail_all;
        }
        for (size_t i = 0; i < count; i++) {
            if (!send[i])
                continue;
            redisReply *reply = cj_store_get_reply (self);
            if (!reply)
                goto fail_all;
            send[i] = (unsigned char) s_read_commit_reply (self, reply, &results[i]);
            reload = reload || send[i];
            freeReplyObject (reply);
        }
        if (!reload)
            break;
        if (s_load_scripts (self) != 0)
            goto fail_all;
    }
    free (send);
    for (size_t i = 0; i < count; i++)
        if (results[i].status != CJ_COMMIT_OK)
            return -1;
    return 0;

fail_all:
    /* Batches whose reply was read keep their result; the rest stay CJ_COMMIT_ERROR. */
    free (send);
    return -1;
}
