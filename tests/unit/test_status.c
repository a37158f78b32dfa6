/* Unit tests for common/status.c: shell exit codes, rkt status files, state names. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test.h"
#include "common/fdutil.h"
#include "common/status.h"
#include "common/util.h"

static int tmpdir_fd(void)
{
        int fd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        return fd;
}

/* A real wait status: a child that exits with code, or kills itself with sig. */
static int real_wait_status(int code, int sig)
{
        int st;
        pid_t pid = fork();

        ASSERT(pid >= 0);
        if (pid == 0) {
                if (sig) {
                        signal(sig, SIG_DFL);
                        raise(sig);
                }
                _exit(code);
        }
        ASSERT_EQ(pid, waitpid(pid, &st, 0));
        return st;
}

TEST(status_shell_code_from_wait)
{
        ASSERT_EQ(0, shell_code_from_wait(W_EXITCODE(0, 0)));
        ASSERT_EQ(3, shell_code_from_wait(W_EXITCODE(3, 0)));
        ASSERT_EQ(255, shell_code_from_wait(W_EXITCODE(255, 0)));
        ASSERT_EQ(128 + 9, shell_code_from_wait(W_EXITCODE(0, SIGKILL)));
        ASSERT_EQ(128 + 15, shell_code_from_wait(W_EXITCODE(0, SIGTERM)));
        /* A stopped child is neither: 255. */
        ASSERT_EQ(255, shell_code_from_wait(W_STOPCODE(SIGSTOP)));
}

TEST(status_shell_code_from_real_children)
{
        ASSERT_EQ(0, shell_code_from_wait(real_wait_status(0, 0)));
        ASSERT_EQ(3, shell_code_from_wait(real_wait_status(3, 0)));
        ASSERT_EQ(255, shell_code_from_wait(real_wait_status(255, 0)));
        ASSERT_EQ(137, shell_code_from_wait(real_wait_status(0, SIGKILL)));
        ASSERT_EQ(143, shell_code_from_wait(real_wait_status(0, SIGTERM)));
}

TEST(status_file_roundtrip)
{
        _cleanup_close_ int dfd = tmpdir_fd();
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;
        int v = -1, n = 0;
        DIR *d;
        struct dirent *de;

        ASSERT_EQ(0, rkt_status_write(dfd, "web", 7));
        ASSERT_EQ(0, read_file_at(dfd, "web", 64, &data, &len));
        ASSERT_EQ(2, len);
        ASSERT_STREQ("7\n", data);
        ASSERT_EQ(0, fstatat(dfd, "web", &st, 0));
        ASSERT(S_ISREG(st.st_mode));
        ASSERT_EQ(0644, st.st_mode & 07777);
        ASSERT_EQ(0, rkt_status_read(dfd, "web", &v));
        ASSERT_EQ(7, v);

        /* Overwrite, negative and large values round-trip too. */
        static const int codes[] = { 0, 203, 255, -1, 2147483647, -2147483647 };
        for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
                ASSERT_EQ(0, rkt_status_write(dfd, "web", codes[i]));
                ASSERT_EQ(0, rkt_status_read(dfd, "web", &v));
                ASSERT_EQ(codes[i], v);
        }

        /* Only the status file is left: no temp files. */
        d = opendir(test_tmpdir());
        ASSERT(d);
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                ASSERT_STREQ("web", de->d_name);
                n++;
        }
        closedir(d);
        ASSERT_EQ(1, n);
}

TEST(status_read_garbage_and_missing)
{
        static const char *const bad[] = { "", "\n", "abc\n", "7x\n", "1.5\n", "99999999999\n" };
        _cleanup_close_ int dfd = tmpdir_fd();
        int v = 99;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r;
                ASSERT_EQ(0, write_file_atomic(dfd, "st", bad[i], strlen(bad[i]), 0644, 0));
                r = rkt_status_read(dfd, "st", &v);
                if (r != -EBADMSG)
                        FAIL_AT("rkt_status_read of \"%s\" = %d, expected -EBADMSG", bad[i], r);
        }
        ASSERT_EQ(99, v);
        ASSERT_EQ(-ENOENT, rkt_status_read(dfd, "missing", &v));
        /* A file far larger than a status file is refused. */
        {
                char big[200];
                memset(big, '1', sizeof(big));
                ASSERT_EQ(0, write_file_atomic(dfd, "big", big, sizeof(big), 0644, 0));
                ASSERT_EQ(-EFBIG, rkt_status_read(dfd, "big", &v));
        }
        /* A status written by rkt without the newline is fine. */
        ASSERT_EQ(0, write_file_atomic(dfd, "rkt", "42", 2, 0644, 0));
        ASSERT_EQ(0, rkt_status_read(dfd, "rkt", &v));
        ASSERT_EQ(42, v);
}

TEST(status_app_state_names)
{
        ASSERT_STREQ("created", app_state_name(APP_CREATED));
        ASSERT_STREQ("starting", app_state_name(APP_STARTING));
        ASSERT_STREQ("running", app_state_name(APP_RUNNING));
        ASSERT_STREQ("stopping", app_state_name(APP_STOPPING));
        ASSERT_STREQ("exited", app_state_name(APP_EXITED));
        ASSERT_STREQ("unknown", app_state_name(APP_STATE_COUNT));
        ASSERT_STREQ("unknown", app_state_name((enum app_state)1000));
        ASSERT_STREQ("unknown", app_state_name((enum app_state)-1));
        /* Every state has its own non-empty name. */
        for (int i = 0; i < APP_STATE_COUNT; i++)
                for (int k = 0; k < i; k++)
                        ASSERT(strcmp(app_state_name((enum app_state)i), app_state_name((enum app_state)k)));
}

TEST(status_oom_describe)
{
        char b[128];

        oom_describe(true, 64ull << 20, b, sizeof(b));
        ASSERT_STREQ("killed by the OOM killer (memory limit 64 MiB)", b);
        oom_describe(true, 1ull << 30, b, sizeof(b));
        ASSERT_STREQ("killed by the OOM killer (memory limit 1 GiB)", b);
        oom_describe(true, 12345, b, sizeof(b));
        ASSERT_STREQ("killed by the OOM killer (memory limit 12345 bytes)", b);
        oom_describe(false, 0, b, sizeof(b));
        ASSERT_STREQ("killed by the OOM killer (no memory limit of its own)", b);
        /* A short buffer is cut, never overrun. */
        oom_describe(true, 64ull << 20, b, 10);
        ASSERT_STREQ("killed by", b);
        format_bytes_iec(3 << 10, b, sizeof(b));
        ASSERT_STREQ("3 KiB", b);
        format_bytes_iec(0, b, sizeof(b));
        ASSERT_STREQ("0 bytes", b);
}
