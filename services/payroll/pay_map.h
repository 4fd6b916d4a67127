/*  pay_map.h - a hash map from NUL-terminated string keys to records, for the payroll's
 *  in-memory state (hundreds of thousands of workers and employments per partition).
 *
 *  Open addressing with linear probing and tombstone-free deletion (backward shift). The map
 *  does not copy keys: a key must stay valid while its entry is in the map, which is why
 *  records keep their own key (pay_map_put (map, rec->key, rec)). Values are owned by the map
 *  when it was created with a 'destroy' function: pay_map_clear and pay_map_destroy call it.
 */
#ifndef PAY_MAP_H
#define PAY_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pay_map_t pay_map_t;

pay_map_t *pay_map_new (void (*destroy) (void *value));
void       pay_map_destroy (pay_map_t **self_p);

/*  The value of 'key', or NULL.  */
void      *pay_map_get (const pay_map_t *self, const char *key);
/*  Starts loading the slot of 'key' into the cache and returns its hash, for a later
 *  pay_map_get_hashed: a batch of lookups in a large map then waits for memory once, not
 *  once per lookup.  */
uint64_t   pay_map_prefetch (const pay_map_t *self, const char *key);
void      *pay_map_get_hashed (const pay_map_t *self, const char *key, uint64_t hash);
/*  Adds 'key' -> 'value', or replaces the value of 'key' (the old value is destroyed).
 *  Returns 0, or -1 when out of memory (nothing changed).  */
int        pay_map_put (pay_map_t *self, const char *key, void *value);
/*  Removes 'key' and returns its value without destroying it (NULL if absent).  */
void      *pay_map_take (pay_map_t *self, const char *key);
size_t     pay_map_size (const pay_map_t *self);
/*  Destroys every value and empties the map (its table is kept for reuse).  */
void       pay_map_clear (pay_map_t *self);

/*  Iteration: start with '*cursor' = 0; each call returns the next value (and its key in
 *  '*ret_key' if not NULL) or NULL at the end. The map must not change meanwhile.  */
void      *pay_map_next (const pay_map_t *self, size_t *cursor, const char **ret_key);

/*  FNV-1a of 'key' (also used to spread records over buckets elsewhere).  */
uint64_t   pay_hash (const char *key);

#endif
