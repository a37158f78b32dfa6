/*
 * podctl stop [--force] [--no-wait] POD: ask podinit to stop the pod over
 * its control socket, then wait until the pod has finished (podinit closes
 * the connection when it exits; the lock tells when the launcher is gone).
 */
#include "cli/cli.h"
#include "common/args.h"
#include "common/log.h"

#include <fcntl.h>
#include <sys/file.h>

int cmd_stop(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        bool force = false, no_wait = false;
        int idx = 1, r, fd;
        const struct opt opts[] = {
                { "force", OPT_BOOL, &force },
                { "no-wait", OPT_BOOL, &no_wait },
        };
        json_t *resp;

        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0 || idx != argc - 1) {
                if (err.msg[0])
                        log_error("stop: %s", err.msg);
                fprintf(stderr, "usage: podctl stop [--force] [--no-wait] POD\n");
                return 2;
        }
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("stop: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("stop: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                pod_ref_done(&p);
                return 1;
        }
        if (ctl_connect(p.path, &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:b}", "op", "stop", "force", force), &resp, &err) < 0) {
                log_error("stop: pod %s: %s", p.uuid, err.msg);
                ctl_close(c);
                pod_ref_done(&p);
                return 1;
        }
        json_decref(resp);
        r = 0;
        if (!no_wait) {
                ctl_wait_closed(c);
                /* podinit is gone; the launcher releases the lock right after. */
                fd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        flock(fd, LOCK_SH);
                        close(fd);
                }
        }
        ctl_close(c);
        pod_ref_done(&p);
        return r;
}
