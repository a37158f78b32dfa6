/*
 * podctl run and podctl app add: the pod (or one app) described by run's
 * flags (cli/run_flags.c) is prepared by stage0, the way rkt's stage0
 * prepares one, then podinit (the stage1 `run` entrypoint) is started in it
 * (cli/run_launch.c).
 *
 *   <dir>/pods/prepare/<uuid>   while images are unpacked (lock held)
 *   <dir>/pods/run/<uuid>       once complete; podinit inherits the lock
 *
 * Everything that can be checked on the host is checked before the pod
 * exists as a running pod: flags, images, the manifest (with podinit's own
 * parser), users and groups in each app's rootfs.  Any failure removes the
 * whole prepare directory, so a failed `run` leaves nothing behind.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/run_flags.h"
#include "cli/run_launch.h"
#include "cli/verbs.h"
#include "common/client.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/owner.h"
#include "common/podstate.h"
#include "stage0/images.h"
#include "stage0/prepare.h"
#include "stage0/rootfs.h"

#include <fcntl.h>
#include <sys/stat.h>

/*
 * --owner: the owner must reach the pod's control socket, below directories
 * only root may enter (0700: the state directory as podctl makes it, its
 * pods/ and pods/run/, the pod's own).  Each gets one ACL entry for the
 * owner alone (docs/security.md): search on the state directory, pods/ and
 * pods/run/ -- not read: the other pods' UUIDs are none of the owner's
 * business -- and read and search on the pod's directory, whose lock and
 * status files podctl reads.  podinit does the same for the socket's
 * directory (init/control/server.c).  The directories above the state
 * directory are the host's.
 *
 * The way to the socket passes stage1/rootfs/, where the apps' root
 * filesystems are, under opt/stage2/ (0755 as stage0 makes it): the owner
 * could run their set-user-ID programs on the host, as root.  That
 * directory becomes root's alone (nothing but PID 1 uses it by path).
 * Called once the pod is prepared.
 */
static int grant_owner(const char *dir, const char *pod_path, uid_t owner, struct pod_err *err)
{
        _cleanup_free_ char *pods = xasprintf("%s/pods", dir), *run = xasprintf("%s/pods/run", dir);
        _cleanup_free_ char *stage2 = xasprintf("%s/" POD_S1 S1_STAGE2, pod_path);
        const struct {
                const char *path;
                unsigned perm;
        } steps[] = {
                { dir, OWNER_PERM_X }, { pods, OWNER_PERM_X }, { run, OWNER_PERM_X },
                { pod_path, OWNER_PERM_R | OWNER_PERM_X },
        };

        if (chmod(stage2, 0700) < 0)
                return pod_err_set(err, -errno, "--owner: closing %s to the owner: %s", stage2, strerror(errno));
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
                _cleanup_close_ int fd = open(steps[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int r = fd < 0 ? -errno : owner_grant_dir(fd, owner, steps[i].perm);
                if (r < 0)
                        return pod_err_set(err, r, "--owner: letting uid %u through %s: %s%s", (unsigned)owner, steps[i].path,
                                           strerror(-r), r == -EOPNOTSUPP ? " (the filesystem has no POSIX ACLs)" : "");
        }
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct run_args ra = { 0 };
        struct stage0_pod pod = { 0 };
        struct stage0_dir d = { .fd = -1 };
        struct stage0_images imgs = STAGE0_IMAGES_INIT;
        _cleanup_free_ char *store = xasprintf("%s/images", g.dir);
        struct pod_err err = { 0 };
        const char *podinit;
        int r;

        for (int i = 1; i < argc && strcmp(argv[i], "--") && strcmp(argv[i], "---"); i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        cli_usage("run", stdout);
                        return 0;
                }
        if (parse_run_args(argc, argv, &ra, &err) < 0) {
                log_error("run: %s (podctl run --help)", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (check_run_args(&ra, &err) < 0) {
                log_error("run: %s", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (ra.pod_manifest)
                for (size_t i = 0; i < ra.n_apps; i++)
                        if (app_args_any(&ra.apps[i]) || ra.volumes) {
                                log_error("run: app flags cannot be combined with --pod-manifest; put them in the manifest");
                                run_args_done(&ra);
                                return 2;
                        }
        podinit = stage0_find_podinit();
        if (!podinit) {
                log_error("run: cannot find the podinit binary next to podctl; set PODINIT=/path/to/podinit");
                run_args_done(&ra);
                return 254;
        }

        if (stage0_dir_create(g.dir, &d, &err) < 0) {
                log_error("run: %s", err.msg);
                run_args_done(&ra);
                return 254;
        }
        imgs.store_path = store;
        imgs.no_overlay = ra.no_overlay;
        r = run_args_to_pod(&ra, &pod, &err);
        pod.images = &imgs;
        if (r < 0 || stage0_prepare(d.fd, d.prepare_path, &pod, &err) < 0 ||
            (ra.owner_uid != POD_NO_OWNER && grant_owner(g.dir, d.prepare_path, ra.owner_uid, &err) < 0) ||
            stage0_dir_commit(&d, ra.uuid_file, &err) < 0) {
                log_error("run: %s", err.msg);
                r = stage0_dir_discard(&d);
                if (r < 0)
                        log_warn("run: could not remove %s: %s", d.committed ? d.run_path : d.prepare_path,
                                 strerror(-r));
                r = 254;
        } else {
                const struct run_launch l = {
                        .podinit = podinit,
                        .pod_path = d.run_path,
                        .uuid = d.uuid,
                        .lock_fd = TAKE_FD(d.fd),
                        .debug = g.debug,
                        .detach = ra.detach,
                        .net = ra.net,
                        .net_config_dir = ra.net_config_dir,
                        .net_plugin_dir = ra.net_plugin_dir,
                        .net_timeout = ra.net_timeout,
                        .netns = ra.netns,
                        .dns_mode = ra.dns_mode,
                        .hostname = ra.hostname,
                        .console_format = ra.console_format,
                        .grace_ms = ra.grace_ms,
                        .owner = ra.owner_uid,
                };
                /* The images' in-use locks go with the exec (or the forked launcher) for the pod's life. */
                r = run_launch(&l);
        }
        stage0_images_done(&imgs);
        stage0_pod_done(&pod);
        stage0_dir_done(&d);
        run_args_done(&ra);
        return r;
}

/*
 * podctl app add POD IMAGE [APP-FLAGS] [-- ARGS]: unpack IMAGE into a running
 * mutable pod, check the new manifest as a whole, hand the app's entry to
 * podinit (which prepares it: state "created"), then rewrite the pod
 * manifest on disk atomically.  Serialised with other add/rm calls by an
 * exclusive lock on <pod>/app.lock.  On any failure the unpacked image is
 * removed and the manifest is unchanged.
 */
int cmd_app_add(int argc, char **argv)
{
        struct run_args ra = { 0 };
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        struct pod_manifest *m = NULL;
        struct stage0_app app = { 0 };
        struct stage0_images imgs = STAGE0_IMAGES_INIT;
        _cleanup_free_ char *out = NULL, *name = NULL, *store = xasprintf("%s/images", g.dir);
        _cleanup_close_ int podfd = -1, lockfd = -1;
        _cleanup_strv_ char **rargv = NULL;
        json_t *pod = NULL, *entry = NULL, *resp = NULL;
        int r, rc = 1;

        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                cli_usage("app", stdout);
                return 0;
        }
        if (argc < 3 || argv[1][0] == '-') {
                fprintf(stderr, "usage: podctl app add POD IMAGE [--name=N] [APP-FLAGS as for run] [-- ARG...]\n"
                                "(podctl app --help)\n");
                return 2;
        }
        strv_push(&rargv, "run");
        for (int i = 2; i < argc; i++)
                strv_push(&rargv, argv[i]);
        if (parse_run_args((int)strv_length(rargv), rargv, &ra, &err) < 0 || check_run_args(&ra, &err) < 0) {
                log_error("app add: %s (podctl app --help)", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (ra.n_apps != 1 || ra.detach || ra.volumes || ra.pod_manifest || ra.net || ra.netns || ra.hostname || ra.stop_timeout ||
            ra.exit_policy || ra.interactive || ra.owner) {
                log_error("app add: give exactly one IMAGE and app flags only (pod flags belong to `podctl app sandbox`)");
                run_args_done(&ra);
                return 2;
        }
        if (pod_find(argv[1], &p, &err) < 0) {
                log_error("app add: %s", err.msg);
                goto out;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("app add: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        if (pod_manifest_lock(&p, &podfd, &lockfd, &err) < 0 || pod_manifest_load(podfd, &pod, &err) < 0) {
                log_error("app add: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        if (ra.apps[0].name) {
                size_t i;
                json_t *e;
                json_array_foreach(json_object_get(pod, "apps"), i, e)
                        if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "", ra.apps[0].name)) {
                                log_error("app add: pod %s already has an app \"%s\" (podctl app rm removes it)", p.uuid,
                                          ra.apps[0].name);
                                goto out;
                        }
        }
        imgs.store_path = store;
        imgs.no_overlay = ra.no_overlay;
        if ((r = run_args_to_app(&ra, &ra.apps[0], &app, &err)) < 0) {
                log_error("app add: %s", err.msg);
                goto out;
        }
        /* A --rootfs bound on the host now reaches the running pod only through a shared mount (stage0/rootfs.h). */
        if (app.rootfs && stage0_rootfs_propagates(p.path) <= 0) {
                log_error("app add: --rootfs: pod %s's directory is not on a shared mount, so a mount made now cannot "
                          "reach it (start the pod with its directory on a shared mount: `mount --make-rshared` on "
                          "it, as systemd makes /)", p.uuid);
                goto out;
        }
        if ((r = stage0_app_unpack(&imgs, p.path, &app, &entry, &err)) < 0) {
                log_error("app add: %s", err.msg);
                goto out;
        }
        name = xstrdup(json_string_value(json_object_get(entry, "name")));
        if (app.rootfs && stage0_rootfs_attach(p.path, name, app.rootfs, &err) < 0) {
                log_error("app add: %s", err.msg);
                goto undo;
        }
        json_array_append(json_object_get(pod, "apps"), entry);
        out = json_dumps(pod, JSON_INDENT(2));
        if (!out || pod_manifest_parse(out, strlen(out), &m, &err) < 0 ||
            stage0_app_check_ids(podfd, &imgs, &m->apps[m->n_apps - 1], &err) < 0) {
                log_error("app add: %s", out ? err.msg : "the pod manifest cannot be serialised");
                goto undo;
        }
        if (ctl_connect(p.path, &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:O}", "op", "app-add", "app", entry), &resp, &err) < 0) {
                log_error("app add: pod %s: %s", p.uuid, err.msg);
                goto undo;
        }
        if (pod_manifest_store(podfd, out, &err) < 0) {
                log_error("app add: pod %s: %s (the app is in the pod; `podctl app rm` removes it)", p.uuid, err.msg);
                goto out;
        }
        rc = 0;
        goto out;
undo:
        stage0_app_discard(podfd, name);
out:
        json_decref(resp);
        json_decref(entry);
        json_decref(pod);
        pod_manifest_free(m);
        ctl_close(c);
        pod_ref_done(&p);
        stage0_images_done(&imgs);
        stage0_app_done(&app);
        run_args_done(&ra);
        return rc;
}
