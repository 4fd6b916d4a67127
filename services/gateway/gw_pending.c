/*  gw_pending.c - requests in flight, by tag. See gateway.h.
 *
 *  The table has a power-of-two number of slots, at least twice 'max'. A tag's slot is
 *  tag & mask, and a new tag is the next counter value whose slot is free, so a lookup is
 *  one slot, removal is clearing it, and there is no probing. Every request gets the same
 *  timeout, so deadlines grow with tags: the oldest unanswered tag holds the next deadline.  */
#include "gateway.h"

#include <stdlib.h>
#include <string.h>

struct gw_pending_t {
    gw_request_t *slots;
    uint64_t      mask;
    size_t        max, count;
    uint64_t      next_tag;     /* the next tag to try */
    uint64_t      oldest;       /* no entry has a smaller tag */
};

gw_pending_t *
gw_pending_new (size_t max)
{
    gw_pending_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    uint64_t size = 2;
    while (size < 2 * (uint64_t) max)
        size <<= 1;
    self->slots = calloc (size, sizeof *self->slots);
    if (!self->slots) {
        free (self);
        return NULL;
    }
    self->mask = size - 1;
    self->max = max;
    self->next_tag = 1;
    self->oldest = 1;
    return self;
}

void
gw_pending_destroy (gw_pending_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_pending_t *self = *self_p;
    for (uint64_t i = 0; i <= self->mask; i++)
        free (self->slots[i].route);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

size_t
gw_pending_count (const gw_pending_t *self)
{
    return self->count;
}

gw_request_t *
gw_pending_add (gw_pending_t *self, int64_t deadline_ms)
{
    if (self->count >= self->max)
        return NULL;
    while (self->slots[self->next_tag & self->mask].tag != 0)   /* at most half are taken */
        self->next_tag++;
    gw_request_t *request = &self->slots[self->next_tag & self->mask];
    memset (request, 0, sizeof *request);
    request->tag = self->next_tag++;
    request->deadline_ms = deadline_ms;
    self->count++;
    return request;
}

gw_request_t *
gw_pending_find (gw_pending_t *self, uint64_t tag)
{
    gw_request_t *request = &self->slots[tag & self->mask];
    return tag != 0 && request->tag == tag ? request : NULL;
}

void
gw_pending_remove (gw_pending_t *self, gw_request_t *request)
{
    if (!request || request->tag == 0)
        return;
    free (request->route);
    memset (request, 0, sizeof *request);
    self->count--;
}

/*  The entry with the smallest tag, after moving 'oldest' past answered tags.  */
static gw_request_t *
s_oldest (gw_pending_t *self)
{
    for (; self->count && self->oldest < self->next_tag; self->oldest++) {
        gw_request_t *request = &self->slots[self->oldest & self->mask];
        if (request->tag == self->oldest)
            return request;
    }
    return NULL;
}

gw_request_t *
gw_pending_expired (gw_pending_t *self, int64_t now_ms)
{
    gw_request_t *request = s_oldest (self);
    return request && request->deadline_ms <= now_ms ? request : NULL;
}

int64_t
gw_pending_next_deadline (gw_pending_t *self)
{
    gw_request_t *request = s_oldest (self);
    return request ? request->deadline_ms : -1;
}

/*  A route is kept packed, as much memory as it needs: per frame, its length (two bytes,
 *  big-endian; frames are at most CJ_ROUTE_FRAME_MAX bytes) then its bytes.  */
int
gw_request_set_route (gw_request_t *request, const cj_route_t *route)
{
    size_t len = 0;
    for (size_t i = 0; i < route->nframes; i++)
        len += 2 + route->len[i];
    uint8_t *packed = malloc (len ? len : 1);
    if (!packed)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < route->nframes; i++) {
        packed[at++] = (uint8_t) (route->len[i] >> 8);
        packed[at++] = (uint8_t) route->len[i];
        memcpy (packed + at, route->frame[i], route->len[i]);
        at += route->len[i];
    }
    free (request->route);
    request->route = packed;
    request->route_len = len;
    return 0;
}

void
gw_request_route (const gw_request_t *request, cj_route_t *route)
{
    route->nframes = 0;
    for (size_t at = 0; at + 2 <= request->route_len && route->nframes < CJ_ROUTE_FRAMES_MAX;) {
        size_t len = (size_t) request->route[at] << 8 | request->route[at + 1];
        at += 2;
        memcpy (route->frame[route->nframes], request->route + at, len);
        route->len[route->nframes++] = len;
        at += len;
    }
}
