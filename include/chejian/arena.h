/*  arena.h - memory for one message's handling, freed at once.
 *
 *  A handler unpacks stored records, builds events and query results; all of it lives until
 *  the reply is sent. Allocating from an arena (also as a protobuf-c allocator) means one
 *  reset frees it all: no per-object free, no leak on an early return. The runtime gives
 *  every handler one through cj_ctx_arena and resets it after the message.
 */
#ifndef CHEJIAN_ARENA_H
#define CHEJIAN_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cj_arena_t cj_arena_t;

cj_arena_t *cj_arena_new (void);
void        cj_arena_destroy (cj_arena_t **self_p);
/*  Frees everything allocated so far; keeps one chunk for reuse.  */
void        cj_arena_reset (cj_arena_t *self);
/*  Zeroed memory aligned for any type, owned by the arena; NULL when out of memory.  */
void       *cj_arena_alloc (cj_arena_t *self, size_t size);
char       *cj_arena_strdup (cj_arena_t *self, const char *text);
/*  A protobuf-c allocator drawing from the arena (its free does nothing): pass it to
 *  *__unpack so the unpacked message is freed with the arena.  */
ProtobufCAllocator *cj_arena_allocator (cj_arena_t *self);
/*  Bytes handed out since the last reset (for tests and limits).  */
size_t      cj_arena_used (const cj_arena_t *self);

#ifdef __cplusplus
}
#endif
#endif
