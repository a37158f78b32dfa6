/*
 * The unit-test runner: forks each test (list.h) into its own process with a
 * timeout, reports TAP lines and ends with "N passed, N failed".
 * Usage: unit-tests [NAME-SUBSTRING...]  (default: all tests)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define X(name) void test_##name(void);
#include "list.h"
#undef X

static const struct {
        const char *name;
        void (*fn)(void);
} tests[] = {
#define X(name) { #name, test_##name },
#include "list.h"
#undef X
};

#define TEST_TIMEOUT_S 30

static char tmpdir[256];

const char *test_tmpdir(void)
{
        return tmpdir;
}

static bool selected(const char *name, int argc, char **argv)
{
        if (argc < 2)
                return true;
        for (int i = 1; i < argc; i++)
                if (strstr(name, argv[i]))
                        return true;
        return false;
}

static int run_one(size_t i)
{
        pid_t pid;
        int st;
        time_t start = time(NULL);

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/podinit-unit-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                alarm(TEST_TIMEOUT_S);
                tests[i].fn();
                exit(0);
        }
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
                if (system(cmd) != 0)
                        fprintf(stderr, "  could not remove %s\n", tmpdir);
        }
        if (WIFSIGNALED(st)) {
                fprintf(stderr, "  %s: killed by signal %d%s\n", tests[i].name, WTERMSIG(st),
                        WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
                return 1;
        }
        (void)start;
        return WEXITSTATUS(st) != 0;
}

int main(int argc, char **argv)
{
        size_t n = sizeof(tests) / sizeof(tests[0]), passed = 0, failed = 0, k = 0;

        for (size_t i = 0; i < n; i++)
                if (selected(tests[i].name, argc, argv))
                        k++;
        printf("1..%zu\n", k);
        k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!selected(tests[i].name, argc, argv))
                        continue;
                if (run_one(i) == 0) {
                        printf("ok %zu - %s\n", ++k, tests[i].name);
                        passed++;
                } else {
                        printf("not ok %zu - %s\n", ++k, tests[i].name);
                        failed++;
                }
                fflush(stdout);
        }
        printf("%zu passed, %zu failed\n", passed, failed);
        return failed ? 1 : 0;
}
