/*  registry_arena.c - the arena a handler allocates from: every unpacked record, shallow copy
 *  and result of one command or query, freed by one call. See registry_internal.h.  */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

typedef struct s_block_t {
    struct s_block_t *next;
    max_align_t       data[];
} s_block_t;

struct reg_arena_t {
    s_block_t         *blocks;
    ProtobufCAllocator allocator;
};

static void *
s_pb_alloc (void *data, size_t size)
{
    return registry_alloc (data, size);
}

static void
s_pb_free (void *data, void *ptr)
{
    (void) data;
    (void) ptr;         /* the arena frees everything at once */
}

reg_arena_t *
registry_arena_new (void)
{
    reg_arena_t *self = calloc (1, sizeof *self);
    if (self)
        self->allocator = (ProtobufCAllocator) { s_pb_alloc, s_pb_free, self };
    return self;
}

void
registry_arena_destroy (reg_arena_t **self_p)
{
    reg_arena_t *self = *self_p;
    if (!self)
        return;
    while (self->blocks) {
        s_block_t *next = self->blocks->next;
        free (self->blocks);
        self->blocks = next;
    }
    free (self);
    *self_p = NULL;
}

void *
registry_alloc (reg_arena_t *self, size_t size)
{
    s_block_t *block = calloc (1, sizeof *block + (size ? size : 1));
    if (!block)
        return NULL;
    block->next = self->blocks;
    self->blocks = block;
    return block->data;
}

char *
registry_strdup (reg_arena_t *self, const char *text)
{
    size_t len = strlen (text);
    char *copy = registry_alloc (self, len + 1);
    if (copy)
        memcpy (copy, text, len);
    return copy;
}

ProtobufCAllocator *
registry_arena_allocator (reg_arena_t *self)
{
    return &self->allocator;
}

static void
s_destroy_cb (void *ptr)
{
    reg_arena_t *self = ptr;
    registry_arena_destroy (&self);
}

int
registry_arena_defer (reg_arena_t **self_p, cj_ctx_t *ctx)
{
    int rc = cj_ctx_defer_free (ctx, s_destroy_cb, *self_p);
    if (rc != 0)
        registry_arena_destroy (self_p);
    *self_p = NULL;
    return rc;
}

int
registry_run (cj_ctx_t *ctx, const cj_envelope_t *env, cj_ack_t *ack, reg_step_fn *step)
{
    reg_call_t call = { ctx, env, registry_arena_new (), cj_ctx_problems (ctx), env->county,
                        ack };
    registry_begin (call.p, env);
    int rc = call.arena ? step (&call) : -1;
    if (registry_end (call.p) != 0 || rc < 0 || !ack) {
        registry_arena_destroy (&call.arena);
        return cj_problems_any (call.p) || rc < 0 ? -1 : 0;
    }
    return registry_arena_defer (&call.arena, ctx);
}
