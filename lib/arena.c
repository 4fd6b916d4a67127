/*  arena.c - chunked bump allocation, freed at once. See include/chejian/arena.h.  */
#include "chejian/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_CHUNK 16384

typedef struct s_chunk_t {
    struct s_chunk_t *next;
    size_t            size;     /* bytes of data[] */
    size_t            used;
    alignas (max_align_t) unsigned char data[];
} s_chunk_t;

struct cj_arena_t {
    s_chunk_t         *chunks;  /* the newest first */
    size_t             used;
    ProtobufCAllocator allocator;
};

static void *
s_pb_alloc (void *data, size_t size)
{
    return cj_arena_alloc (data, size);
}

static void
s_pb_free (void *data, void *ptr)
{
    (void) data;
    (void) ptr;
}

cj_arena_t *
cj_arena_new (void)
{
    cj_arena_t *self = calloc (1, sizeof *self);
    if (self)
        self->allocator = (ProtobufCAllocator) { s_pb_alloc, s_pb_free, self };
    return self;
}

static void
s_free_chunks (s_chunk_t *chunk)
{
    while (chunk) {
        s_chunk_t *next = chunk->next;
        free (chunk);
        chunk = next;
    }
}

void
cj_arena_destroy (cj_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_chunks ((*self_p)->chunks);
    free (*self_p);
    *self_p = NULL;
}

void
cj_arena_reset (cj_arena_t *self)
{
    if (!self || !self->chunks)
        return;
    /* keep the oldest chunk (the last in the list): most messages fit in it */
    s_chunk_t *keep = self->chunks;
    while (keep->next)
        keep = keep->next;
    s_chunk_t *chunk = self->chunks;
    while (chunk != keep) {
        s_chunk_t *next = chunk->next;
        free (chunk);
        chunk = next;
    }
    keep->used = 0;
    self->chunks = keep;
    self->used = 0;
}

void *
cj_arena_alloc (cj_arena_t *self, size_t size)
{
    const size_t align = alignof (max_align_t);
    size_t need = (size + align - 1) & ~(align - 1);
    if (need < size)
        return NULL;                               /* overflow */
    s_chunk_t *chunk = self->chunks;
    if (!chunk || chunk->size - chunk->used < need) {
        size_t cap = need > S_CHUNK ? need : S_CHUNK;
        chunk = malloc (sizeof *chunk + cap);
        if (!chunk)
            return NULL;
        chunk->size = cap;
        chunk->used = 0;
        chunk->next = self->chunks;
        self->chunks = chunk;
    }
    void *p = chunk->data + chunk->used;
    chunk->used += need;
    self->used += need;
    memset (p, 0, size);
    return p;
}

char *
cj_arena_strdup (cj_arena_t *self, const char *text)
{
    size_t len = strlen (text);
    char *copy = cj_arena_alloc (self, len + 1);
    if (copy)
        memcpy (copy, text, len);
    return copy;
}

ProtobufCAllocator *
cj_arena_allocator (cj_arena_t *self)
{
    return &self->allocator;
}

size_t
cj_arena_used (const cj_arena_t *self)
{
    return self->used;
}
