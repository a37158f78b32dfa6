/*
 * The pod manifest, built from a struct stage0_pod (or taken whole from a
 * file) while the apps' images are unpacked, then parsed and checked as
 * podinit will parse it before it is written: a pod podinit would refuse is
 * refused here, with the images and flags still at hand for the message.
 */
#include "stage0/prepare.h"
#include "common/ports.h"
#include "common/podstate.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "stage0/source.h"

#include <fcntl.h>

void stage0_pod_done(struct stage0_pod *p)
{
        for (size_t i = 0; i < p->n_apps; i++)
                stage0_app_done(&p->apps[i]);
        free(p->apps);
        free(p->manifest_path);
        json_decref(p->volumes);
        json_decref(p->ports);
        free(p->resolv_conf);
        free(p->stop_timeout);
        free(p->exit_policy);
        *p = (struct stage0_pod){ 0 };
}

/*
 * A manifest given whole: each app names its image (apps[].image.name); find
 * it among the images given (reading only their manifests), then unpack it
 * under the app's name.
 */
static int unpack_for_manifest(int podfd, const char *podpath, const struct stage0_pod *pod,
                               struct pod_manifest *m, struct pod_err *err)
{
        const struct stage0_image_ops *ops = stage0_image_ops_of(pod->images);
        struct image_manifest **ims;
        int r = 0;

        if (!ops)
                return pod_err_set(err, -EOPNOTSUPP, "--pod-manifest: this program cannot read images");
        ims = xcalloc(pod->n_apps + 1, sizeof(*ims));
        for (size_t k = 0; k < pod->n_apps && r == 0; k++)
                r = ops->peek_manifest(pod->images, pod->apps[k].image, &ims[k], err);
        for (size_t i = 0; i < m->n_apps && r == 0; i++) {
                struct pod_app *a = &m->apps[i];
                struct image_manifest *im = NULL;
                char *name = NULL;
                size_t k;

                for (k = 0; k < pod->n_apps; k++)
                        if (a->image_name && !strcmp(ims[k]->name, a->image_name))
                                break;
                if (k == pod->n_apps) {
                        r = pod_err_set(err, -ENOENT, "--pod-manifest: apps[%zu] (\"%s\") wants image \"%s\", which none of the images given provides",
                                        i, a->name, a->image_name ?: "(no image.name)");
                        break;
                }
                r = stage0_image_unpack(pod->images, podpath, pod->apps[k].image, a->name, &name, &im, err);
                if (r == 0)
                        r = pod_app_take_image_app(a, im, err);
                if (r == 0)
                        r = stage0_app_check_ids(podfd, pod->images, a, err);
                image_manifest_free(im);
                free(name);
        }
        for (size_t k = 0; k < pod->n_apps; k++)
                image_manifest_free(ims[k]);
        free(ims);
        return r;
}

/* The pod manifest given whole: parsed (*ret_m), its apps' images unpacked, as JSON (*ret_pod). */
static int manifest_from_file(int podfd, const char *podpath, const struct stage0_pod *pod, json_t **ret_pod,
                              struct pod_manifest **ret_m, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        json_error_t je;
        size_t len;
        int r;

        r = read_file_at(AT_FDCWD, pod->manifest_path, POD_MANIFEST_MAX_BYTES, &data, &len);
        if (r < 0)
                return pod_err_set(err, r, "--pod-manifest=%s: %s", pod->manifest_path,
                                   r == -EFBIG ? "larger than the 1 MiB limit" : strerror(-r));
        if ((r = pod_manifest_parse(data, len, ret_m, err)) < 0)
                return pod_err_prefix(err, "--pod-manifest=%s", pod->manifest_path);
        *ret_pod = json_loadb(data, len, 0, &je);
        return unpack_for_manifest(podfd, podpath, pod, *ret_m, err);
}

/* The pod manifest from pod's apps: their images unpacked, parsed (*ret_m) and checked, as JSON (*ret_pod). */
static int manifest_from_apps(int podfd, const char *podpath, const struct stage0_pod *pod, json_t **ret_pod,
                              struct pod_manifest **ret_m, struct pod_err *err)
{
        json_t *apps, *ann;
        char *s;
        int r;

        *ret_pod = json_pack("{s:s,s:s,s:[],s:[],s:n,s:[{s:s,s:s}]}", "acVersion", "1.30.0", "acKind",
                             "PodManifest", "apps", "volumes", "isolators", "annotations", "name",
                             ANN_RKT_MUTABLE, "value", pod->mutable_pod ? "true" : "false");
        apps = json_object_get(*ret_pod, "apps");
        for (size_t i = 0; i < pod->n_apps; i++) {
                json_t *entry = NULL;

                if ((r = stage0_app_unpack(pod->images, podpath, &pod->apps[i], &entry, err)) < 0)
                        return r;
                json_array_append_new(apps, entry);
        }
        if (pod->volumes)
                json_object_set(*ret_pod, "volumes", pod->volumes);
        if (pod->ports)
                json_object_set(*ret_pod, "ports", pod->ports);
        ann = json_object_get(*ret_pod, "annotations");
        if (pod->stop_timeout)
                json_array_append_new(ann, json_pack("{s:s,s:s}", "name", ANN_STOP_TIMEOUT, "value", pod->stop_timeout));
        if (pod->exit_policy)
                json_array_append_new(ann, json_pack("{s:s,s:s}", "name", ANN_EXIT_POLICY, "value", pod->exit_policy));
        s = json_dumps(*ret_pod, JSON_COMPACT);
        r = pod_manifest_parse(s, strlen(s), ret_m, err);
        free(s);
        for (size_t i = 0; r == 0 && i < (*ret_m)->n_apps; i++)
                r = stage0_app_check_ids(podfd, pod->images, &(*ret_m)->apps[i], err);
        return r;
}

int stage0_prepare(int podfd, const char *podpath, const struct stage0_pod *pod, struct pod_err *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_manifest *m = NULL;
        json_t *json = NULL;
        int r;

        if ((r = stage0_dir_layout(podfd, err)) < 0)
                return r;
        if (pod->manifest_path)
                r = manifest_from_file(podfd, podpath, pod, &json, &m, err);
        else
                r = manifest_from_apps(podfd, podpath, pod, &json, &m, err);
        /* A mount of a volume that is not there is found now, not by podinit; so is a port no app declares. */
        if (r == 0 && m)
                r = volumes_resolve(m, err);
        if (r == 0) {
                struct pod_port *ports = NULL;
                size_t n_ports = 0;
                r = pod_ports_resolve(podfd, json, &ports, &n_ports, err);
                free(ports);
        }
        if (r == 0 && pod->resolv_conf)
                r = stage0_write_text(podfd, POD_S1 "/etc/rkt-resolv.conf", pod->resolv_conf, 0644, err);
        /* The store for PID 1, if an app uses it or may later (a mutable pod's app add). */
        if (r == 0 && stage0_image_ops_of(pod->images))
                r = stage0_image_ops_of(pod->images)->note_store(pod->images, podfd, pod->mutable_pod, err);
        if (r == 0) {
                text = json_dumps(json, JSON_INDENT(2));
                if (!text)
                        r = pod_err_set(err, -EINVAL, "the pod manifest cannot be serialised");
        }
        if (r == 0)
                r = stage0_write_text(podfd, "pod", text, 0640, err);
        pod_manifest_free(m);
        json_decref(json);
        return r;
}
