/*
 * An app's running processes (init/core/appproc.h).  The app is a session
 * and process-group leader (setsid in the child); what it starts may leave
 * the group, but not its cgroup.
 */
#include "init/core/appproc.h"
#include "init/core/pod.h"
#include "common/log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

int app_command_plan(const struct app *a, char **argv, int stdin_fd, int stdout_fd, int stderr_fd,
                     struct exec_plan *ret)
{
        char path[64];
        int mnt;

        /* The app's own mount namespace, whose root is the app's rootfs. */
        if (a->pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)a->pid);
        if ((mnt = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        *ret = a->plan;
        ret->argv = argv;
        ret->stdin_fd = stdin_fd;
        ret->stdout_fd = stdout_fd;
        ret->stderr_fd = stderr_fd;
        ret->ctty_fd = -1;
        ret->interactive = false;
        ret->join_mnt_ns_fd = mnt;
        ret->ready_fd_src = -1;
        ret->pre_start = NULL;
        return 0;
}

int app_tty_resize(struct app *a, unsigned short rows, unsigned short cols)
{
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        uv_os_fd_t fd;
        pid_t fg;

        if (!a->io.tty || !a->io.out_used[0] || !a->io.out[0].open ||
            uv_fileno((uv_handle_t *)&a->io.out[0].pipe, &fd) < 0)
                return -ENOTTY;
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        a->io.rows = rows;
        a->io.cols = cols;
        /* The kernel signals only a change; a client that attaches with the
         * same size still needs the app to redraw. */
        fg = tcgetpgrp(fd);
        if (fg > 0)
                kill(-fg, SIGWINCH);
        return 0;
}

int app_send_signal(struct app *a, int sig)
{
        uv_os_fd_t fd;
        pid_t fg = -1;

        if (a->reaped || (a->state != APP_RUNNING && a->state != APP_READY && a->state != APP_STARTING &&
                          a->state != APP_STOPPING))
                return -ESRCH;
        if (a->io.tty && a->io.out_used[0] && a->io.out[0].open &&
            uv_fileno((uv_handle_t *)&a->io.out[0].pipe, &fd) == 0)
                fg = tcgetpgrp(fd);
        if (fg > 0)
                return kill(-fg, sig) < 0 ? -errno : 0;
        kill(-a->pid, sig);
        return kill(a->pid, sig) < 0 ? -errno : 0;
}

void app_signal(struct app *a, int sig)
{
        if (a->reaped || a->pid <= 0)
                return;
        if (a->state != APP_STARTING && a->state != APP_RUNNING && a->state != APP_READY && a->state != APP_STOPPING)
                return;
        /* The app is a session and process-group leader (setsid in the child);
         * signal the group so its helpers go too, and the pid itself in case
         * the child has not reached setsid yet. */
        kill(-a->pid, sig);
        kill(a->pid, sig);
        if (sig == SIGKILL)
                app_kill_rest(a);        /* whatever left the process group */
        if (sig != SIGKILL && sig != SIGCONT) {
                kill(-a->pid, SIGCONT);
                kill(a->pid, SIGCONT);
        }
}

void app_kill_rest(struct app *a)
{
        unsigned count = 0;

        if (a->cg_ready && cg_app_kill(&a->cg, SIGKILL, &count) == 0 && count)
                log_debug("app %s: SIGKILL to %u processes it left behind", a->spec->name, count);
}
