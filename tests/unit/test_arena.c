/*  test_arena.c - bump allocation, alignment, zeroing, big blocks, reset, protobuf unpacking.  */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chejian/arena.h"

static void
test_alloc_aligned_zeroed (void **state)
{
    (void) state;
    cj_arena_t *a = cj_arena_new ();
    assert_non_null (a);
    for (size_t size = 1; size < 300; size += 7) {
        unsigned char *p = cj_arena_alloc (a, size);
        assert_non_null (p);
        assert_int_equal ((uintptr_t) p % alignof (max_align_t), 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal (p[i], 0);
        memset (p, 0xab, size);                 /* ASan would catch an overlap or overrun */
    }
    char *big = cj_arena_alloc (a, 1 << 20);   /* larger than a chunk */
    assert_non_null (big);
    big[(1 << 20) - 1] = 1;
    assert_string_equal (cj_arena_strdup (a, "县 510822"), "县 510822");
    assert_true (cj_arena_used (a) >= (1 << 20));
    assert_null (cj_arena_alloc (a, SIZE_MAX - 4));   /* overflow refused */
    cj_arena_reset (a);
    assert_int_equal (cj_arena_used (a), 0);
    unsigned char *again = cj_arena_alloc (a, 64);
    assert_non_null (again);
    assert_int_equal (again[0], 0);             /* zeroed even when reused */
    cj_arena_destroy (&a);
    assert_null (a);
    cj_arena_destroy (&a);
    cj_arena_reset (NULL);
}

static void
test_protobuf_allocator (void **state)
{
    (void) state;
    cj_arena_t *a = cj_arena_new ();
    ProtobufCAllocator *alloc = cj_arena_allocator (a);
    void *p = alloc->alloc (alloc->allocator_data, 40);
    assert_non_null (p);
    alloc->free (alloc->allocator_data, p);     /* a no-op: freed with the arena */
    assert_true (cj_arena_used (a) >= 40);
    cj_arena_destroy (&a);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_alloc_aligned_zeroed),
        cmocka_unit_test (test_protobuf_allocator),
    };
    return cmocka_run_group_tests_name ("arena", tests, NULL, NULL);
}
