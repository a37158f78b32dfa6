/*
 * Reading OCI image layouts and docker archives for an import
 * (image/import.c): the index down to one manifest, each blob checked
 * against its digest and size, the layers unpacked, the config's User
 * resolved in the image's own /etc/passwd and /etc/group, and the config
 * mapped onto the appc image manifest podinit runs (image/oci.h).
 */
#include "image/import_internal.h"
#include "image/oci.h"
#include "image/tree.h"
#include "common/fdutil.h"
#include "common/userdb.h"

#include <fcntl.h>

/* A JSON blob of an OCI layout, checked against its descriptor. */
static int read_blob(struct import *im, int lay, const struct oci_descriptor *d, const char *what, char **ret,
                     size_t *ret_len, struct pod_err *err)
{
        const char *hex = d->digest + 7;
        _cleanup_free_ char *p = xasprintf("blobs/sha256/%s", hex), *data = NULL;
        char got[DIGEST_HEX_LEN + 1], why[64];
        size_t len;
        int r;

        if (d->size > (int64_t)OCI_JSON_MAX)
                return pod_err_set(err, -EFBIG, "%s %s: %lld bytes, more than the %u-byte limit for image documents",
                                   what, d->digest, (long long)d->size, OCI_JSON_MAX);
        r = read_file_in_root(lay, p, OCI_JSON_MAX, &data, &len);
        if (r == -ENOENT)
                return pod_err_set(err, r, "%s %s: %s is missing from the image (%s): the image is incomplete", what,
                                   d->digest, p, im->path);
        if (r < 0)
                return pod_err_set(err, r, "%s %s: reading %s: %s", what, d->digest, p,
                                   read_file_strerror(r, why, sizeof(why), OCI_JSON_MAX));
        digest_buf(data, len, got);
        if (strcmp(got, hex) || (d->size >= 0 && (size_t)d->size != len))
                return pod_err_set(err, -EBADMSG, "%s %s: the blob's content does not match its digest or size (it is sha256:%s, %zu bytes): the image is corrupt; copy or fetch it again",
                                   what, d->digest, got, len);
        *ret = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

/* "name" or "uid", optionally ":group"; resolved in the image's own /etc/passwd and /etc/group. */
static int resolve_user(struct import *im, const char *spec, uid_t *ret_uid, gid_t *ret_gid, struct pod_err *err)
{
        _cleanup_free_ char *user = xstrdup(spec && *spec ? spec : "0"), *group = NULL;
        char *colon = strchr(user, ':');
        int *fds = xcalloc(im->n_trees + 1, sizeof(int));
        size_t n = 0, pi, gi;
        int r = 0;

        if (colon) {
                *colon = '\0';
                group = xstrdup(colon + 1);
        }
        for (size_t i = im->n_trees; i-- > 0;) {        /* top first */
                _cleanup_free_ char *dir = import_tree_dir(im, &im->trees[i]);
                fds[n] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fds[n] < 0) {
                        r = pod_err_set(err, -errno, "opening %s: %s", dir, strerror(errno));
                        goto out;
                }
                n++;
        }
        {
                bool have_pw = tree_lookup(fds, n, "etc/passwd", &pi) == 0;
                bool have_gr = tree_lookup(fds, n, "etc/group", &gi) == 0;
                struct pod_err e2 = { 0 };

                if ((r = userdb_resolve_user(have_pw ? fds[pi] : -1, user, ret_uid, &e2)) < 0) {
                        r = pod_err_set(err, r, "image %s: its config's User \"%s\": %s in the image's /etc/passwd", im->path, spec,
                                        e2.msg);
                        goto out;
                }
                if (group) {
                        if ((r = userdb_resolve_group(have_gr ? fds[gi] : -1, group, ret_gid, &e2)) < 0) {
                                r = pod_err_set(err, r, "image %s: its config's User \"%s\": %s in the image's /etc/group", im->path,
                                                spec, e2.msg);
                                goto out;
                        }
                } else if (!have_pw || userdb_primary_gid(fds[pi], user, ret_gid) < 0) {
                        /* A uid with no passwd entry runs with gid 0, as docker and crun do. */
                        if (!(user[0] >= '0' && user[0] <= '9') && strcmp(user, "root"))
                                r = pod_err_set(err, -ENOENT, "image %s: its config's User \"%s\" has no entry in the image's /etc/passwd",
                                                im->path, spec);
                        *ret_gid = 0;
                }
        }
out:
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        free(fds);
        return r;
}

static int map_config(struct import *im, const struct oci_config *c, struct pod_err *err)
{
        uid_t uid = 0;
        gid_t gid = 0;
        _cleanup_free_ char *name = import_appc_name(im->o->name ? im->o->name : im->names && im->names[0] ? im->names[0] : "image");
        int r;

        if ((r = resolve_user(im, c->user, &uid, &gid, err)) < 0)
                return r;
        if ((r = oci_config_to_appc(c, name, uid, gid, &im->manifest, err)) < 0)
                return pod_err_prefix(err, "image %s", im->path);
        if (c->platform.os)
                im->platform = c->platform.variant ? xasprintf("%s/%s/%s", c->platform.os, c->platform.arch ?: "", c->platform.variant)
                                                   : xasprintf("%s/%s", c->platform.os, c->platform.arch ?: "");
        if (c->created)
                im->created = xstrdup(c->created);
        return 0;
}

static int oci_layers(struct import *im, int lay, const struct oci_manifest *m, const struct oci_config *c,
                      struct pod_err *err)
{
        int r;

        if (c->diff_ids && strv_length(c->diff_ids) != m->n_layers)
                return pod_err_set(err, -EINVAL, "image %s: the manifest has %zu layers, its config %zu diff_ids: the image is inconsistent",
                                   im->path, m->n_layers, strv_length(c->diff_ids));
        for (size_t i = 0; i < m->n_layers; i++) {
                const struct oci_descriptor *d = &m->layers[i];
                _cleanup_free_ char *p = xasprintf("blobs/sha256/%s", d->digest + 7);
                _cleanup_free_ char *what = xasprintf("image %s: layer %s", im->path, d->digest);
                _cleanup_close_ int fd = -1;
                struct layer_result lr;

                import_progress(im, "%s: layer %zu of %zu (%.19s, %lld bytes)", im->path, i + 1, m->n_layers, d->digest,
                         (long long)d->size);
                if (!image_store_has_tree(im->s, d->digest + 7)) {
                        fd = open_in_root(lay, p, O_RDONLY | O_NOFOLLOW, 0);
                        if (fd < 0)
                                return pod_err_set(err, fd, "%s: %s: %s%s", what, p, strerror(-fd),
                                                   fd == -ENOENT ? " (the image is incomplete)" : "");
                }
                if ((r = import_add_layer(im, fd, what, d->digest + 7, d->size, LAYER_OCI, &lr, err)) < 0)
                        return r;
                /* An uncompressed layer's digest is its diff_id; a compressed one's is checked by its blob digest. */
                if (fd >= 0 && !lr.compressed && c->diff_ids && strcmp(c->diff_ids[i] + 7, lr.hex))
                        return pod_err_set(err, -EBADMSG, "%s: its content is sha256:%s, the config's diff_id says %s: the image is corrupt",
                                           what, lr.hex, c->diff_ids[i]);
                layer_result_done(&lr);
        }
        return 0;
}

static int parse_platform(struct import *im, struct oci_platform *ret, struct pod_err *err)
{
        if (!im->o->platform) {
                oci_platform_host(ret);
                return 0;
        }
        return oci_platform_parse(im->o->platform, ret, err);
}

int import_oci(struct import *im, int lay, const char *ref, const char *dirname, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        struct oci_index idx = { 0 };
        struct oci_manifest m = { 0 };
        struct oci_config c = { 0 };
        struct oci_platform want = { 0 };
        _cleanup_free_ char *ref_name = NULL;
        char why[64];
        size_t len, sel;
        int r, depth = 0;

        if ((r = parse_platform(im, &want, err)) < 0)
                return r;
        r = read_file_in_root(lay, "index.json", OCI_JSON_MAX, &data, &len);
        if (r < 0) {
                r = pod_err_set(err, r, "image %s: index.json: %s (an OCI image layout has oci-layout, index.json and blobs/)",
                                im->path, read_file_strerror(r, why, sizeof(why), OCI_JSON_MAX));
                goto out;
        }
        if ((r = oci_index_parse(data, len, "index.json", &idx, err)) < 0 ||
            (r = oci_index_select(&idx, "index.json", &want, ref, &sel, err)) < 0) {
                pod_err_prefix(err, "image %s", im->path);
                goto out;
        }
        ref_name = idx.manifests[sel].ref_name ? xstrdup(idx.manifests[sel].ref_name) : NULL;
        /* Follow nested indexes down to one image manifest. */
        for (;;) {
                _cleanup_free_ char *blob = NULL;
                const struct oci_descriptor *cur = &idx.manifests[sel];
                struct oci_index sub = { 0 };

                if (cur->kind == OCI_MEDIA_MANIFEST) {
                        if ((r = read_blob(im, lay, cur, "manifest", &blob, &len, err)) < 0 ||
                            (r = oci_manifest_parse(blob, len, cur->digest, &m, err)) < 0) {
                                pod_err_prefix(err, "image %s", im->path);
                                goto out;
                        }
                        snprintf(im->id, sizeof(im->id), "%s", cur->digest + 7);
                        import_keep_blob(im, im->id, TAKE_PTR(blob), len);
                        break;
                }
                if (cur->kind != OCI_MEDIA_INDEX) {
                        r = pod_err_set(err, -EMEDIUMTYPE, "image %s: %s has media type %s, not an image manifest or index podctl can use",
                                        im->path, cur->digest, cur->media_type ?: "(none)");
                        goto out;
                }
                if (++depth > OCI_MAX_INDEX_DEPTH) {
                        r = pod_err_set(err, -ELOOP, "image %s: indexes nest deeper than %d", im->path, OCI_MAX_INDEX_DEPTH);
                        goto out;
                }
                if ((r = read_blob(im, lay, cur, "index", &blob, &len, err)) < 0 ||
                    (r = oci_index_parse(blob, len, cur->digest, &sub, err)) < 0 ||
                    (r = oci_index_select(&sub, cur->digest, &want, NULL, &sel, err)) < 0) {
                        oci_index_done(&sub);
                        pod_err_prefix(err, "image %s", im->path);
                        goto out;
                }
                {
                        char hex[DIGEST_HEX_LEN + 1];
                        snprintf(hex, sizeof(hex), "%s", cur->digest + 7);
                        import_keep_blob(im, hex, TAKE_PTR(blob), len);
                }
                oci_index_done(&idx);
                idx = sub;
        }
        {
                _cleanup_free_ char *blob = NULL;
                if ((r = read_blob(im, lay, &m.config, "config", &blob, &len, err)) < 0 ||
                    (r = oci_config_parse(blob, len, m.config.digest, &c, err)) < 0) {
                        pod_err_prefix(err, "image %s", im->path);
                        goto out;
                }
                import_keep_blob(im, m.config.digest + 7, TAKE_PTR(blob), len);
        }
        if (!im->o->platform && c.platform.os && !oci_platform_match(&c.platform, &want)) {
                r = pod_err_set(err, -EINVAL, "image %s is for %s/%s, this machine is %s/%s (--platform=%s/%s imports it anyway)",
                                im->path, c.platform.os, c.platform.arch ?: "?", want.os, want.arch, c.platform.os,
                                c.platform.arch ?: "?");
                goto out;
        }
        if ((r = oci_layers(im, lay, &m, &c, err)) < 0)
                goto out;
        im->kind = "oci";
        if (!im->o->name) {
                _cleanup_free_ char *n = !ref_name ? xasprintf("%s:latest", dirname)
                                         : strchr(ref_name, ':') || strchr(ref_name, '/') ? xstrdup(ref_name)
                                                                                          : xasprintf("%s:%s", dirname, ref_name);
                if (image_ref_valid(n))
                        strv_push(&im->names, n);
        }
        r = map_config(im, &c, err);
out:
        oci_platform_done(&want);
        oci_index_done(&idx);
        oci_manifest_done(&m);
        oci_config_done(&c);
        return r;
}

int import_docker(struct import *im, int root, const char *tag, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL, *cfg = NULL;
        struct docker_archive_entry *e = NULL;
        struct oci_config c = { 0 };
        size_t n = 0, len, clen, sel = 0;
        char why[64];
        int r;

        r = read_file_in_root(root, "manifest.json", OCI_JSON_MAX, &data, &len);
        if (r < 0)
                return pod_err_set(err, r, "image %s: manifest.json: %s", im->path, read_file_strerror(r, why, sizeof(why), OCI_JSON_MAX));
        if ((r = docker_archive_manifest_parse(data, len, &e, &n, err)) < 0)
                return pod_err_prefix(err, "image %s", im->path);
        if (n == 0) {
                r = pod_err_set(err, -EINVAL, "image %s: manifest.json lists no image", im->path);
                goto out;
        }
        if (tag) {
                for (sel = 0; sel < n && !strv_contains(e[sel].repo_tags, tag); sel++)
                        ;
                if (sel == n) {
                        r = pod_err_set(err, -ENOENT, "image %s has no image tagged %s", im->path, tag);
                        goto out;
                }
        } else if (n > 1) {
                r = pod_err_set(err, -EINVAL, "image %s holds %zu images; name one as %s:TAG", im->path, n, im->path);
                goto out;
        }
        r = read_file_in_root(root, e[sel].config, OCI_JSON_MAX, &cfg, &clen);
        if (r < 0) {
                r = pod_err_set(err, r, "image %s: config %s: %s", im->path, e[sel].config,
                                r == -ENOENT ? "missing from the archive (the image is incomplete)" : read_file_strerror(r, why, sizeof(why), OCI_JSON_MAX));
                goto out;
        }
        digest_buf(cfg, clen, im->id);
        if ((r = oci_config_parse(cfg, clen, e[sel].config, &c, err)) < 0) {
                pod_err_prefix(err, "image %s", im->path);
                goto out;
        }
        if (c.diff_ids && strv_length(c.diff_ids) != e[sel].n_layers) {
                r = pod_err_set(err, -EINVAL, "image %s: manifest.json lists %zu layers, the config %zu diff_ids: the image is inconsistent",
                                im->path, e[sel].n_layers, strv_length(c.diff_ids));
                goto out;
        }
        import_keep_blob(im, im->id, TAKE_PTR(cfg), clen);
        for (size_t i = 0; i < e[sel].n_layers; i++) {
                _cleanup_free_ char *what = xasprintf("image %s: layer %s", im->path, e[sel].layers[i]);
                _cleanup_close_ int fd = open_in_root(root, e[sel].layers[i], O_RDONLY, 0);
                struct layer_result lr;

                if (fd < 0) {
                        r = pod_err_set(err, fd, "%s: %s%s", what, strerror(-fd), fd == -ENOENT ? " (missing from the archive: the image is incomplete)" : "");
                        goto out;
                }
                import_progress(im, "%s: layer %zu of %zu", im->path, i + 1, e[sel].n_layers);
                if ((r = import_add_layer(im, fd, what, NULL, -1, LAYER_OCI, &lr, err)) < 0)
                        goto out;
                if (!lr.compressed && c.diff_ids && strcmp(c.diff_ids[i] + 7, lr.hex)) {
                        r = pod_err_set(err, -EBADMSG, "%s: its content is sha256:%s, the config's diff_id says %s: the image is corrupt",
                                        what, lr.hex, c.diff_ids[i]);
                        layer_result_done(&lr);
                        goto out;
                }
                layer_result_done(&lr);
        }
        im->kind = "docker";
        if (!im->o->name)
                for (char **t = e[sel].repo_tags; t && *t; t++)
                        if (image_ref_valid(*t))
                                strv_push(&im->names, *t);
        r = map_config(im, &c, err);
out:
        oci_config_done(&c);
        docker_archive_entries_free(e, n);
        return r;
}
