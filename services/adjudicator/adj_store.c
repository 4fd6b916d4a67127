/*  adj_store.c - the adjudicator's key space: records as packed protobuf in hash fields,
 *  id lists, query indexes, counters, events, pseudonyms and the call record.
 *  See adjudicator_internal.h.  */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicator_internal.h"
#include "chejian/log.h"

int
adj_run (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, adj_step_fn *step)
{
    adj_call_t call = { ctx, env, cj_ctx_arena (ctx), cj_ctx_problems (ctx), env->county,
                        adj_date_of_ms (env->occurred_at), ack };
    int rc = call.arena ? step (&call) : -1;
    return rc < 0 || cj_problems_any (call.p) ? -1 : 0;
}

int
adj_key (char *buf, size_t size, uint32_t partition, const char *county, const char *name)
{
    int n = county ? cj_key (buf, size, partition, ADJUDICATOR_SHORT_NAME, "%s:%s", county, name)
                   : cj_key (buf, size, partition, ADJUDICATOR_SHORT_NAME, "%s", name);
    return n < 0 ? -1 : 0;
}

int
adj_get (adj_call_t *c, const char *county, const char *hash, const char *id,
         const ProtobufCMessageDescriptor *desc, void **ret)
{
    char key[CJ_KEY_MAX], *value = NULL;
    size_t len = 0;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), county, hash) != 0)
        return -1;
    int rc = cj_ctx_hget (c->ctx, key, id, &value, &len);
    if (rc == 1) {
        *ret = protobuf_c_message_unpack (desc, cj_arena_allocator (c->arena), len,
                                          (const uint8_t *) value);
        if (!*ret) {
            cj_error ("record %s of %s does not decode as %s", id, key, desc->name);
            rc = -1;
        }
    }
    free (value);
    return rc;
}

int
adj_read (adj_call_t *c, const char *hash, const char *id,
          const ProtobufCMessageDescriptor *desc, void **ret)
{
    return adj_get (c, c->county, hash, id, desc, ret);
}

int
adj_need (adj_call_t *c, const char *hash, const char *id,
          const ProtobufCMessageDescriptor *desc, void **ret, const char *field,
          const char *code, const char *what)
{
    int rc = adj_read (c, hash, id, desc, ret);
    if (rc == 0)
        cj_problems_add (c->p, field, code, strcmp (code, CJ_E_NOT_YET_KNOWN) == 0
                         ? "no %s with this id is known in county %s yet; retry later"
                         : "no %s with this id exists in county %s", what, c->county);
    return rc;
}

int
adj_put (adj_call_t *c, const char *county, const char *hash, const char *id,
         const ProtobufCMessage *msg)
{
    char key[CJ_KEY_MAX];
    size_t len;
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), county, hash) != 0)
        return -1;
    uint8_t *bytes = cj_message_pack (msg, &len);
    if (!bytes)
        return -1;
    int rc = cj_batch_hset (cj_ctx_batch (c->ctx), key, id, bytes, len);
    free (bytes);
    return rc;
}

int
adj_write (adj_call_t *c, const char *hash, const char *id, const ProtobufCMessage *msg)
{
    return adj_put (c, c->county, hash, id, msg);
}

int
adj_delete (adj_call_t *c, const char *hash, const char *id)
{
    char key[CJ_KEY_MAX];
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, hash) != 0)
        return -1;
    return cj_batch_hdel (cj_ctx_batch (c->ctx), key, id);
}

int
adj_index (adj_call_t *c, const char *name, double score, const char *member)
{
    char key[CJ_KEY_MAX], index[CJ_KEY_MAX];
    snprintf (index, sizeof index, "ix:%s", name);
    if (adj_key (key, sizeof key, cj_ctx_partition (c->ctx), c->county, index) != 0)
        return -1;
    return cj_batch_zadd (cj_ctx_batch (c->ctx), key, score, member);
}

int
adj_ids (adj_call_t *c, const char *hash, const char *id, adj_ids_t **ret)
{
    int rc = adj_read (c, hash, id, &chejian__adj__id_list__descriptor, (void **) ret);
    if (rc == 0) {
        *ret = cj_arena_alloc (c->arena, sizeof **ret);
        if (!*ret)
            return -1;
        chejian__adj__id_list__init (*ret);
    }
    return rc < 0 ? -1 : 0;
}

int
adj_ids_add (adj_call_t *c, const char *hash, const char *id, const char *item)
{
    adj_ids_t *list;
    if (adj_ids (c, hash, id, &list) != 0)
        return -1;
    for (size_t i = 0; i < list->n_ids; i++)
        if (strcmp (list->ids[i], item) == 0)
            return 0;
    if (list->n_ids >= ADJ_LIST_MAX) {
        cj_error ("id list %s of %s is full", id, hash);
        return -1;
    }
    char **ids = adj_array (c, list->n_ids + 1);
    if (!ids)
        return -1;
    adj_copy (ids, list->ids, list->n_ids * sizeof *ids);
    ids[list->n_ids++] = (char *) item;
    list->ids = ids;
    return adj_write (c, hash, id, &list->base);
}

void
adj_set_oneof (ProtobufCMessage *msg, int number, const void *value)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (msg->descriptor, (unsigned) number);
    memcpy ((char *) msg + f->offset, &value, sizeof value);
    memcpy ((char *) msg + f->quantifier_offset, &number, sizeof number);
}

int
adj_emit (adj_call_t *c, int body_case, const ProtobufCMessage *body)
{
    cj_envelope_t event = CHEJIAN__V1__ENVELOPE__INIT;
    adj_set_oneof (&event.base, body_case, body);
    return cj_ctx_emit (c->ctx, &event);
}

void
adj_set_result (adj_call_t *c, int result_case, const ProtobufCMessage *result)
{
    adj_set_oneof (&c->ack->base, result_case, result);
}

char *
adj_fmt (adj_call_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    char *out = n >= 0 ? cj_arena_alloc (c->arena, (size_t) n + 1) : NULL;
    if (out) {
        va_start (ap, fmt);
        vsnprintf (out, (size_t) n + 1, fmt, ap);
        va_end (ap);
    }
    return out;
}

void *
adj_array (adj_call_t *c, size_t n)
{
    return cj_arena_alloc (c->arena, (n ? n : 1) * sizeof (void *));
}

char *
adj_next_id (adj_call_t *c, const char *prefix, uint64_t *ret_number)
{
    Chejian__Adj__Counters *n = NULL;
    int rc = adj_read (c, ADJ_COUNTERS, "n", &chejian__adj__counters__descriptor, (void **) &n);
    if (rc < 0)
        return NULL;
    Chejian__Adj__Counters fresh = CHEJIAN__ADJ__COUNTERS__INIT;
    if (rc == 0)
        n = &fresh;
    uint64_t *slot = prefix[0] == 'd' ? &n->decisions
                   : prefix[0] == 'p' ? &n->instructions : &n->movements;
    *slot += 1;
    if (adj_write (c, ADJ_COUNTERS, "n", &n->base) != 0)
        return NULL;
    if (ret_number)
        *ret_number = *slot;
    return adj_fmt (c, "%s-%" PRIu64, prefix, *slot);
}

char *
adj_person_key (adj_call_t *c, const char *resident_id)
{
    const adjudicator_t *adj = cj_ctx_arg (c->ctx);
    char *out = cj_arena_alloc (c->arena, CJ_PSEUDONYM_HEX + 1);
    if (out)
        cj_pseudonym_of (adj->pseudonym, "worker", resident_id, out);
    return out;
}

char *
adj_masked (adj_call_t *c, const char *resident_id)
{
    char *out = cj_arena_alloc (c->arena, CJ_RESIDENT_ID_LEN + 1);
    if (out && cj_resident_id_mask (resident_id, out) != 0)
        out[0] = 0;
    return out;
}
