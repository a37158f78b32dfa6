#include "init/launch_wait.h"
#include "common/log.h"
#include "common/status.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * rkt started as a systemd Type=notify unit hands us NOTIFY_SOCKET: tell the
 * service manager when the pod is ready (every app started) and when it
 * begins to stop, as rkt's stage1 did (nspawn --notify-ready).  The launcher
 * is the unit's main process, so it is the one that must send.
 */
static void notify_manager(const char *state)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        int fd;

        if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
                return;
        memcpy(sa.sun_path, path, strlen(path));
        if (path[0] == '@')
                sa.sun_path[0] = 0;
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
                log_warn("telling the service manager (NOTIFY_SOCKET=%s) %s: %s", path, state, strerror(errno));
        close(fd);
}

/*
 * Wait for PID 1, forwarding SIGTERM/SIGINT to it.  ready_rd (-1 if unused):
 * PID 1 writes "R" there when the pod is ready; the launcher then notifies
 * the service manager and passes the byte on to user_ready (--ready-fd).
 */
int launcher_wait_pod(pid_t child, int ready_rd, int user_ready)
{
        _cleanup_close_ int sfd = -1;
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (sfd < 0) {
                log_error("signalfd: %s", strerror(errno));
                return LAUNCH_EXIT_SETUP;
        }
        for (;;) {
                struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = ready_rd, .events = POLLIN } };
                struct signalfd_siginfo si;
                int st;
                pid_t pid;

                if (poll(p, ready_rd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %s", strerror(errno));
                        return LAUNCH_EXIT_SETUP;
                }
                if (ready_rd >= 0 && p[1].revents) {
                        char b = 0;
                        if (read(ready_rd, &b, 1) == 1 && b == 'R') {
                                notify_manager("READY=1");
                                if (user_ready >= 0)
                                        (void)!write(user_ready, "R", 1);
                        }
                        close(ready_rd);
                        ready_rd = -1;
                        if (user_ready >= 0)
                                close(user_ready);
                        user_ready = -1;
                }
                if (!(p[0].revents & POLLIN))
                        continue;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                switch (si.ssi_signo) {
                case SIGTERM:
                case SIGINT:
                        /* Forward first: the service manager and the debug log can wait. */
                        kill(child, SIGTERM);
                        notify_manager("STOPPING=1");
                        log_debug("%s received: asked the pod to stop", sigabbrev_np((int)si.ssi_signo));
                        break;
                case SIGCHLD:
                        while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                                if (pid == child)
                                        return shell_code_from_wait(st);
                        break;
                default:
                        break;
                }
        }
}
