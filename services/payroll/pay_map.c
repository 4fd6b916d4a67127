/*  pay_map.c - see pay_map.h.  */
#include "pay_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_MIN_SLOTS 16

typedef struct {
    uint64_t    hash;      /* 0 = empty slot (hashes are forced non-zero) */
    const char *key;
    void       *value;
} s_slot_t;

struct pay_map_t {
    s_slot_t *slots;
    size_t    nslots;      /* a power of two */
    size_t    count;
    void    (*destroy) (void *value);
};

/*  FNV-1a, then a final avalanche (MurmurHash3's fmix64) so that the low bits, which pick
 *  the slot, depend on every bit of the key.  */
uint64_t
pay_hash (const char *key)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *) key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

pay_map_t *
pay_map_new (void (*destroy) (void *value))
{
    pay_map_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->destroy = destroy;
    return self;
}

void
pay_map_destroy (pay_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pay_map_clear (*self_p);
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

/*  The slot holding 'key', or the empty slot where it would go.  */
static s_slot_t *
s_find (const pay_map_t *self, const char *key, uint64_t hash)
{
    size_t mask = self->nslots - 1;
    for (size_t i = (size_t) hash & mask;; i = (i + 1) & mask) {
        s_slot_t *slot = &self->slots[i];
        if (!slot->hash || (slot->hash == hash && strcmp (slot->key, key) == 0))
            return slot;
    }
}

/*  Doubles the table (or makes the first one) so that it stays at most half full.  */
static int
s_grow (pay_map_t *self)
{
    size_t nslots = self->nslots ? self->nslots * 2 : S_MIN_SLOTS;
    s_slot_t *slots = calloc (nslots, sizeof *slots);
    if (!slots)
        return -1;
    s_slot_t *old = self->slots;
    size_t nold = self->nslots;
    self->slots = slots;
    self->nslots = nslots;
    for (size_t i = 0; i < nold; i++)
        if (old[i].hash)
            *s_find (self, old[i].key, old[i].hash) = old[i];
    free (old);
    return 0;
}

void *
pay_map_get_hashed (const pay_map_t *self, const char *key, uint64_t hash)
{
    if (!self->count)
        return NULL;
    s_slot_t *slot = s_find (self, key, hash);
    return slot->hash ? slot->value : NULL;
}

void *
pay_map_get (const pay_map_t *self, const char *key)
{
    return pay_map_get_hashed (self, key, pay_hash (key));
}

uint64_t
pay_map_prefetch (const pay_map_t *self, const char *key)
{
    uint64_t hash = pay_hash (key);
    if (self->nslots)
        __builtin_prefetch (&self->slots[(size_t) hash & (self->nslots - 1)]);
    return hash;
}

int
pay_map_put (pay_map_t *self, const char *key, void *value)
{
    if ((self->count + 1) * 2 > self->nslots && s_grow (self) != 0)
        return -1;
    uint64_t hash = pay_hash (key);
    s_slot_t *slot = s_find (self, key, hash);
    if (slot->hash) {
        if (self->destroy && slot->value != value)
            self->destroy (slot->value);
    } else
        self->count++;
    *slot = (s_slot_t) { hash, key, value };
    return 0;
}

void *
pay_map_take (pay_map_t *self, const char *key)
{
    if (!self->count)
        return NULL;
    s_slot_t *slot = s_find (self, key, pay_hash (key));
    if (!slot->hash)
        return NULL;
    void *value = slot->value;
    size_t mask = self->nslots - 1;
    size_t hole = (size_t) (slot - self->slots);
    /* Backward shift: move later entries of the probe run into the hole when their home
       slot does not lie between the hole and their position. */
    for (size_t i = (hole + 1) & mask; self->slots[i].hash; i = (i + 1) & mask) {
        size_t home = (size_t) self->slots[i].hash & mask;
        bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            self->slots[hole] = self->slots[i];
            hole = i;
        }
    }
    self->slots[hole] = (s_slot_t) { 0 };
    self->count--;
    return value;
}

size_t
pay_map_size (const pay_map_t *self)
{
    return self->count;
}

void
pay_map_clear (pay_map_t *self)
{
    for (size_t i = 0; i < self->nslots && self->count; i++)
        if (self->slots[i].hash) {
            if (self->destroy)
                self->destroy (self->slots[i].value);
            self->slots[i] = (s_slot_t) { 0 };
            self->count--;
        }
    self->count = 0;
}

void *
pay_map_next (const pay_map_t *self, size_t *cursor, const char **ret_key)
{
    while (*cursor < self->nslots) {
        const s_slot_t *slot = &self->slots[(*cursor)++];
        if (slot->hash) {
            if (ret_key)
                *ret_key = slot->key;
            return slot->value;
        }
    }
    return NULL;
}
