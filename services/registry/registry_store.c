/*  registry_store.c - the registry's key space: records as packed protobuf in county hashes,
 *  sorted-set indexes, pseudonyms, events and results, dates. See registry_internal.h.  */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chejian/log.h"
#include "chejian/pseudonym.h"
#include "chejian/store.h"
#include "registry_internal.h"

#define S_HMGET_CHUNK 256

int
registry_key (char *buf, size_t size, uint32_t partition, const char *county, const char *name)
{
    return cj_key (buf, size, partition, REGISTRY_SHORT_NAME, "%s:%s", county, name) < 0 ? -1 : 0;
}

/*  Unpacks 'len' bytes of the record 'id' of 'key' into the arena; a record that does not
 *  decode is our fault (logged, -1).  */
static int
s_unpack (cj_arena_t *arena, const ProtobufCMessageDescriptor *desc, const char *data,
          size_t len, const char *key, const char *id, void **ret)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack (desc, cj_arena_allocator (arena),
                                                       len, (const uint8_t *) data);
    if (!msg) {
        cj_error ("record %s of %s does not decode as %s", id, key, desc->name);
        return -1;
    }
    *ret = msg;
    return 1;
}

int
registry_read (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
               const char *id, const ProtobufCMessageDescriptor *desc, void **ret)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, hash) != 0)
        return -1;
    char *value = NULL;
    size_t len = 0;
    int rc = cj_ctx_hget (ctx, key, id, &value, &len);
    if (rc == 1)
        rc = s_unpack (arena, desc, value, len, key, id, ret);
    free (value);
    return rc;
}

int
registry_require (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                  const char *id, const ProtobufCMessageDescriptor *desc, void **ret,
                  const char *field, const char *what)
{
    int rc = registry_read (ctx, arena, county, hash, id, desc, ret);
    if (rc == 0)
        cj_problems_add (cj_ctx_problems (ctx), field, CJ_E_NOT_FOUND,
                         "no %s with this id is registered in county %s", what, county);
    return rc;
}

int
registry_write (cj_ctx_t *ctx, const char *county, const char *hash, const char *id,
                const ProtobufCMessage *msg)
{
    char key[CJ_KEY_MAX];
    size_t len;
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, hash) != 0)
        return -1;
    uint8_t *bytes = cj_message_pack (msg, &len);
    if (!bytes)
        return -1;
    int rc = cj_batch_hset (cj_ctx_batch (ctx), key, id, bytes, len);
    free (bytes);
    return rc;
}

int
registry_index_add (cj_ctx_t *ctx, const char *county, const char *index, double score,
                    const char *member)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, index) != 0)
        return -1;
    return cj_batch_zadd (cj_ctx_batch (ctx), key, score, member);
}

int
registry_index_del (cj_ctx_t *ctx, const char *county, const char *index, const char *member)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, index) != 0)
        return -1;
    return cj_batch_zrem (cj_ctx_batch (ctx), key, member);
}

/*  Points the oneof member of 'msg' numbered 'number' at 'value' and sets its case.  */
static void
s_set_oneof (ProtobufCMessage *msg, int number, const ProtobufCMessage *value)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (msg->descriptor, (unsigned) number);
    memcpy ((char *) msg + f->offset, &value, sizeof value);
    memcpy ((char *) msg + f->quantifier_offset, &number, sizeof number);
}

int
registry_emit (cj_ctx_t *ctx, int body_case, const ProtobufCMessage *body)
{
    cj_envelope_t event = CHEJIAN__V1__ENVELOPE__INIT;
    s_set_oneof (&event.base, body_case, body);
    return cj_ctx_emit (ctx, &event);
}

void
registry_set_result (cj_ack_t *ack, int result_case, const ProtobufCMessage *result)
{
    s_set_oneof (&ack->base, result_case, result);
}

const cj_pseudonym_t *
registry_pseudonym (cj_ctx_t *ctx)
{
    const registry_t *registry = cj_ctx_arg (ctx);
    return registry->pseudonym;
}

static char *
s_pseudonym (cj_ctx_t *ctx, cj_arena_t *arena, const char *context, const char *text)
{
    char *out = cj_arena_alloc (arena, CJ_PSEUDONYM_HEX + 1);
    if (out)
        cj_pseudonym_of (registry_pseudonym (ctx), context, text, out);
    return out;
}

char *
registry_worker_key (cj_ctx_t *ctx, cj_arena_t *arena, const char *resident_id)
{
    return s_pseudonym (ctx, arena, "worker", resident_id);
}

char *
registry_household_key (cj_ctx_t *ctx, cj_arena_t *arena, const char *household_id)
{
    return s_pseudonym (ctx, arena, "household", household_id);
}

char *
registry_masked (cj_arena_t *arena, const char *resident_id)
{
    char *out = cj_arena_alloc (arena, CJ_RESIDENT_ID_LEN + 1);
    if (out && cj_resident_id_mask (resident_id, out) != 0)
        out[0] = 0;
    return out;
}

/*  ---- reads for queries ----  */

/*  One HMGET of 'n' (<= S_HMGET_CHUNK) fields of 'key', unpacked into 'ret'.  */
static int
s_hmget (cj_ctx_t *ctx, cj_arena_t *arena, const char *key, char *const *ids, size_t n,
         const ProtobufCMessageDescriptor *desc, void **ret)
{
    const char *argv[S_HMGET_CHUNK + 2] = { "HMGET", key };
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = ids[i];
    redisReply *reply = cj_store_commandv (cj_ctx_store (ctx), (int) n + 2, argv, NULL);
    int rc = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == n ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        redisReply *el = reply->element[i];
        ret[i] = NULL;
        if (el->type == REDIS_REPLY_STRING
            && s_unpack (arena, desc, el->str, el->len, key, ids[i], &ret[i]) < 0)
            rc = -1;
    }
    if (reply)
        freeReplyObject (reply);
    return rc;
}

int
registry_read_many (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                    char *const *ids, size_t n, const ProtobufCMessageDescriptor *desc,
                    void **ret)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, hash) != 0)
        return -1;
    for (size_t at = 0; at < n; at += S_HMGET_CHUNK) {
        size_t count = n - at < S_HMGET_CHUNK ? n - at : S_HMGET_CHUNK;
        if (s_hmget (ctx, arena, key, ids + at, count, desc, ret + at) != 0)
            return -1;
    }
    return 0;
}

/*  Copies the strings of an array reply into the arena.  */
static int
s_strings (cj_arena_t *arena, const redisReply *reply, char ***ret, size_t *ret_n)
{
    if (reply->type != REDIS_REPLY_ARRAY)
        return -1;
    char **items = cj_arena_alloc (arena, (reply->elements + 1) * sizeof *items);
    if (!items)
        return -1;
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type != REDIS_REPLY_STRING
            || !(items[i] = cj_arena_strdup (arena, reply->element[i]->str)))
            return -1;
    *ret = items;
    *ret_n = reply->elements;
    return 0;
}

/*  Reads the records of 'ids' and keeps those that exist, in order.  */
static int
s_read_existing (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                 char **ids, size_t n, const ProtobufCMessageDescriptor *desc,
                 void ***ret_items, size_t *ret_n)
{
    void **items = cj_arena_alloc (arena, (n + 1) * sizeof *items);
    if (!items || registry_read_many (ctx, arena, county, hash, ids, n, desc, items) != 0)
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i])
            items[kept++] = items[i];
    *ret_items = items;
    *ret_n = kept;
    return 0;
}

int
registry_read_all (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *hash,
                   const ProtobufCMessageDescriptor *desc, void ***ret_items, size_t *ret_n)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, hash) != 0)
        return -1;
    redisReply *reply = cj_store_command (cj_ctx_store (ctx), "HKEYS %s", key);
    char **ids = NULL;
    size_t n = 0;
    int rc = reply ? s_strings (arena, reply, &ids, &n) : -1;
    if (reply)
        freeReplyObject (reply);
    return rc == 0 ? s_read_existing (ctx, arena, county, hash, ids, n, desc, ret_items, ret_n)
                   : -1;
}

int
registry_index_range (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *index,
                      int64_t min, int64_t max, char ***ret_members, size_t *ret_n)
{
    char key[CJ_KEY_MAX];
    if (registry_key (key, sizeof key, cj_ctx_partition (ctx), county, index) != 0)
        return -1;
    char lo[24], hi[24];
    snprintf (lo, sizeof lo, "%" PRId64, min);
    snprintf (hi, sizeof hi, "%" PRId64, max);
    redisReply *reply = cj_store_command (cj_ctx_store (ctx), "ZRANGEBYSCORE %s %s %s", key,
                                          lo, hi);
    int rc = reply ? s_strings (arena, reply, ret_members, ret_n) : -1;
    if (reply)
        freeReplyObject (reply);
    return rc;
}

int
registry_read_index (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *index,
                     int64_t min, int64_t max, const char *hash,
                     const ProtobufCMessageDescriptor *desc, void ***ret_items, size_t *ret_n)
{
    char **ids = NULL;
    size_t n = 0;
    if (registry_index_range (ctx, arena, county, index, min, max, &ids, &n) != 0)
        return -1;
    return s_read_existing (ctx, arena, county, hash, ids, n, desc, ret_items, ret_n);
}

/*  ---- dates ----  */

int64_t
registry_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t
registry_date_of_ms (int64_t ms)
{
    int64_t seconds = ms / 1000 + 8 * 3600;
    return cj_date_from_days ((int32_t) (seconds / 86400));
}

int32_t
registry_as_of (int32_t date)
{
    return date ? date : registry_date_of_ms (registry_now_ms ());
}

bool
registry_within (int32_t date, int32_t from, int32_t to)
{
    return date >= from && (to == 0 || date <= to);
}
