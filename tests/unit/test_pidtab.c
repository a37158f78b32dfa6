#include "test.h"
#include "common/pidtab.h"

TEST(pidtab_put_get_take)
{
        struct pidtab t;
        int a, b;

        pidtab_init(&t);
        ASSERT_EQ(0, pidtab_put(&t, 42, &a));
        ASSERT_EQ(0, pidtab_put(&t, 43, &b));
        ASSERT_EQ(-EEXIST, pidtab_put(&t, 42, &b));
        ASSERT_EQ(-EINVAL, pidtab_put(&t, 0, &a));
        ASSERT_EQ(-EINVAL, pidtab_put(&t, -5, &a));
        ASSERT(pidtab_get(&t, 42) == &a);
        ASSERT(pidtab_get(&t, 43) == &b);
        ASSERT(pidtab_get(&t, 44) == NULL);
        ASSERT(pidtab_take(&t, 42) == &a);
        ASSERT(pidtab_get(&t, 42) == NULL);
        ASSERT(pidtab_take(&t, 42) == NULL);
        ASSERT_EQ(1, t.n);
        pidtab_done(&t);
}

/* Many pids with colliding probe runs, removed in a scrambled order: every
 * remaining pid must still be found after each backward-shift deletion. */
TEST(pidtab_stress_collisions)
{
        enum { N = 20000 };
        static char owners[N];
        struct pidtab t;

        pidtab_init(&t);
        for (int i = 0; i < N; i++)
                ASSERT_EQ(0, pidtab_put(&t, 1 + i * 64, &owners[i]));
        ASSERT_EQ(N, t.n);
        for (int i = 0; i < N; i += 2)
                ASSERT(pidtab_take(&t, 1 + i * 64) == &owners[i]);
        for (int i = 0; i < N; i++)
                ASSERT(pidtab_get(&t, 1 + i * 64) == (i % 2 ? &owners[i] : NULL));
        for (int i = 1; i < N; i += 2)
                ASSERT(pidtab_take(&t, 1 + i * 64) == &owners[i]);
        ASSERT_EQ(0, t.n);
        pidtab_done(&t);
}
