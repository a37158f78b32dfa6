#include "image/store.h"
#include "image/tree.h"
#include "common/fdutil.h"
#include "common/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

static const char *const store_dirs[] = { "blobs", "blobs/sha256", "trees", "images", "refs", "locks", "tmp" };

int image_store_open(const char *path, struct image_store *ret, struct pod_err *err)
{
        int r;

        *ret = (struct image_store){ .fd = -1, .lock_fd = -1 };
        if ((r = mkdir_p_at(AT_FDCWD, path, 0700)) < 0)
                return pod_err_set(err, r, "creating the image store %s: %s", path, strerror(-r));
        if (!(ret->path = realpath(path, NULL)))
                return pod_err_set(err, -errno, "image store %s: %s", path, strerror(errno));
        if ((ret->fd = open(ret->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                r = pod_err_set(err, -errno, "opening the image store %s: %s", path, strerror(errno));
                goto fail;
        }
        for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++)
                if (mkdirat(ret->fd, store_dirs[i], 0700) < 0 && errno != EEXIST) {
                        r = pod_err_set(err, -errno, "creating %s/%s: %s", ret->path, store_dirs[i], strerror(errno));
                        goto fail;
                }
        if ((ret->lock_fd = openat(ret->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
                r = pod_err_set(err, -errno, "opening %s/lock: %s", ret->path, strerror(errno));
                goto fail;
        }
        return 0;
fail:
        image_store_close(ret);
        return r;
}

void image_store_close(struct image_store *s)
{
        free(s->path);
        if (s->fd >= 0)
                close(s->fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        *s = (struct image_store){ .fd = -1, .lock_fd = -1 };
}

int image_store_lock(struct image_store *s, int how, struct pod_err *err)
{
        if (flock(s->lock_fd, how | LOCK_NB) == 0)
                return 0;
        if (errno != EWOULDBLOCK)
                return pod_err_set(err, -errno, "locking the image store %s: %s", s->path, strerror(errno));
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "podctl: waiting for the image store %s (an import, image rm or image gc is running)\n", s->path);
        while (flock(s->lock_fd, how) < 0)
                if (errno != EINTR)
                        return pod_err_set(err, -errno, "locking the image store %s: %s", s->path, strerror(errno));
        return 0;
}

int image_store_mktemp(struct image_store *s, char **ret, struct pod_err *err)
{
        char *p = xasprintf("%s/tmp/import-XXXXXX", s->path);

        if (!mkdtemp(p)) {
                int e = errno;
                free(p);
                return pod_err_set(err, -e, "creating a directory in %s/tmp: %s", s->path, strerror(e));
        }
        *ret = p;
        return 0;
}

char *image_store_tree_path(const struct image_store *s, const char *name)
{
        return xasprintf("%s/trees/%s", s->path, name);
}

bool image_store_has_tree(struct image_store *s, const char *name)
{
        _cleanup_free_ char *p = xasprintf("trees/%s", name);
        struct stat st;

        return fstatat(s->fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int image_store_publish_tree(struct image_store *s, const char *tmp, const char *name, struct pod_err *err)
{
        _cleanup_free_ char *dst = image_store_tree_path(s, name);

        if (rename(tmp, dst) == 0)
                return 0;
        if (errno == EEXIST || errno == ENOTEMPTY) {
                /* A concurrent import of the same layer finished first: same content, keep theirs. */
                int r = rm_rf_at(AT_FDCWD, tmp);
                if (r < 0)
                        log_warn("removing %s: %s", tmp, strerror(-r));
                return 0;
        }
        return pod_err_set(err, -errno, "moving %s to %s: %s", tmp, dst, strerror(errno));
}

int image_store_put_blob(struct image_store *s, const char *hex, const char *data, size_t len, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("blobs/sha256/%s", hex);
        int r = write_file_atomic(s->fd, p, data, len, 0644, WRITE_SYNC);

        if (r < 0)
                return pod_err_set(err, r, "writing %s/%s: %s", s->path, p, strerror(-r));
        return 0;
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static char **json_strv(json_t *a)
{
        char **v = NULL;
        size_t i;
        json_t *it;

        json_array_foreach(a, i, it)
                if (json_is_string(it))
                        strv_push(&v, json_string_value(it));
        if (!v)
                v = xcalloc(1, sizeof(char *));
        return v;
}

int image_record_write(struct image_store *s, const struct image_record *r, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("images/%s.json", r->id), *text = NULL;
        json_t *o = json_pack("{s:i,s:s,s:s,s:o,s:o,s:o,s:O,s:I}", "version", 1, "id", r->id, "kind", r->kind,
                              "layers", strv_json(r->layers), "lowers", strv_json(r->lowers), "blobs",
                              strv_json(r->blobs), "manifest", r->manifest, "size", (json_int_t)r->size);
        int k;

        if (r->platform)
                json_object_set_new(o, "platform", json_string(r->platform));
        if (r->created)
                json_object_set_new(o, "created", json_string(r->created));
        if (r->imported)
                json_object_set_new(o, "imported", json_string(r->imported));
        if (r->source)
                json_object_set_new(o, "source", json_string(r->source));
        text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(o);
        if ((k = write_file_atomic(s->fd, p, text, strlen(text), 0644, WRITE_SYNC)) < 0)
                return pod_err_set(err, k, "writing %s/%s: %s", s->path, p, strerror(-k));
        return 0;
}

static int ref_unescape(const char *file, char **ret);

/* The names pointing at hex (refs/ is small: one file per name). */
static char **names_of(struct image_store *s, const char *hex)
{
        _cleanup_close_ int fd = openat(s->fd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char **v = xcalloc(1, sizeof(char *));
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return v;
        fd = -1;
        while ((de = readdir(d))) {
                _cleanup_free_ char *data = NULL, *name = NULL;
                size_t len;
                if (de->d_name[0] == '.')
                        continue;
                if (read_file_at(dirfd(d), de->d_name, 256, &data, &len) < 0)
                        continue;
                data[strcspn(data, "\n")] = '\0';
                if (!strcmp(data, hex) && ref_unescape(de->d_name, &name) == 0)
                        strv_push(&v, name);
        }
        closedir(d);
        return v;
}

int image_record_load(struct image_store *s, const char *hex, struct image_record *ret, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("images/%s.json", hex), *data = NULL;
        json_t *o, *it;
        size_t len;
        int r;

        *ret = (struct image_record){ 0 };
        if ((r = read_file_at(s->fd, p, 16u << 20, &data, &len)) < 0)
                return pod_err_set(err, r, "reading %s/%s: %s", s->path, p, strerror(-r));
        if (!(o = json_loadb(data, len, 0, NULL)) || !json_is_object(o) ||
            !json_is_string(json_object_get(o, "kind")) || !json_is_object(json_object_get(o, "manifest"))) {
                json_decref(o);
                return pod_err_set(err, -EINVAL, "%s/%s is damaged (podctl image rm %.12s, then import the image again)",
                                   s->path, p, hex);
        }
        snprintf(ret->id, sizeof(ret->id), "%s", hex);
        ret->kind = xstrdup(json_string_value(json_object_get(o, "kind")));
        ret->layers = json_strv(json_object_get(o, "layers"));
        ret->lowers = json_strv(json_object_get(o, "lowers"));
        ret->blobs = json_strv(json_object_get(o, "blobs"));
        ret->manifest = json_incref(json_object_get(o, "manifest"));
        if ((it = json_object_get(o, "platform")) && json_is_string(it))
                ret->platform = xstrdup(json_string_value(it));
        if ((it = json_object_get(o, "created")) && json_is_string(it))
                ret->created = xstrdup(json_string_value(it));
        if ((it = json_object_get(o, "imported")) && json_is_string(it))
                ret->imported = xstrdup(json_string_value(it));
        if ((it = json_object_get(o, "source")) && json_is_string(it))
                ret->source = xstrdup(json_string_value(it));
        ret->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
        ret->names = names_of(s, hex);
        json_decref(o);
        for (char **l = ret->lowers; *l; l++)
                if (!digest_hex_valid(*l)) {
                        image_record_done(ret);
                        return pod_err_set(err, -EINVAL, "%s/%s names a tree \"%s\" that is not a digest (podctl image rm %.12s, then import the image again)",
                                           s->path, p, *l, hex);
                }
        return 0;
}

void image_record_done(struct image_record *r)
{
        free(r->kind);
        strv_free(r->layers);
        strv_free(r->lowers);
        strv_free(r->blobs);
        json_decref(r->manifest);
        free(r->platform);
        free(r->created);
        free(r->imported);
        free(r->source);
        strv_free(r->names);
        *r = (struct image_record){ 0 };
}

json_t *image_record_json(const struct image_record *r, bool full)
{
        _cleanup_free_ char *id = xasprintf("sha256:%s", r->id);
        json_t *o = json_pack("{s:s,s:o,s:s,s:I,s:I}", "id", id, "names", strv_json(r->names), "kind", r->kind,
                              "layers", (json_int_t)strv_length(r->layers), "size", (json_int_t)r->size);

        json_object_set_new(o, "created", json_string(r->created ? r->created : ""));
        json_object_set_new(o, "imported", json_string(r->imported ? r->imported : ""));
        if (r->platform)
                json_object_set_new(o, "platform", json_string(r->platform));
        if (full) {
                json_t *app = json_object_get(r->manifest, "app"), *ann = json_object_get(r->manifest, "annotations");
                json_object_set_new(o, "name", json_incref(json_object_get(r->manifest, "name")));
                json_object_set_new(o, "app", app ? json_incref(app) : json_object());
                json_object_set_new(o, "annotations", ann ? json_incref(ann) : json_array());
                json_object_set_new(o, "trees", strv_json(r->layers));
                json_object_set_new(o, "lowers", strv_json(r->lowers));
                if (r->source)
                        json_object_set_new(o, "source", json_string(r->source));
        }
        return o;
}

bool image_ref_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > IMAGE_REF_MAX || name[0] == '.' || name[0] == '-')
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("._:/@+-", *p)))
                        return false;
        return true;
}

static char *ref_escape(const char *name)
{
        char *out = xmalloc(3 * strlen(name) + 1), *o = out;

        for (const char *p = name; *p; p++) {
                if (*p == '/') {
                        memcpy(o, "%2F", 3);
                        o += 3;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
        return out;
}

static int ref_unescape(const char *file, char **ret)
{
        char *out = xmalloc(strlen(file) + 1), *o = out;

        for (const char *p = file; *p; p++) {
                if (!strncmp(p, "%2F", 3)) {
                        *o++ = '/';
                        p += 2;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
        if (!image_ref_valid(out)) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        return 0;
}

int image_ref_set(struct image_store *s, const char *name, const char *hex, struct pod_err *err)
{
        _cleanup_free_ char *file = NULL, *p = NULL, *line = xasprintf("%s\n", hex);
        int r;

        if (!image_ref_valid(name))
                return pod_err_set(err, -EINVAL, "\"%s\" is not a valid image name (letters, digits and ._:/@+-, at most %d)", name,
                                   IMAGE_REF_MAX);
        file = ref_escape(name);
        p = xasprintf("refs/%s", file);
        if ((r = write_file_atomic(s->fd, p, line, strlen(line), 0644, WRITE_SYNC)) < 0)
                return pod_err_set(err, r, "writing %s/%s: %s", s->path, p, strerror(-r));
        return 0;
}

static bool record_exists(struct image_store *s, const char *hex)
{
        _cleanup_free_ char *p = xasprintf("images/%s.json", hex);

        return faccessat(s->fd, p, F_OK, 0) == 0;
}

static int read_ref(struct image_store *s, const char *name, char ret_hex[DIGEST_HEX_LEN + 1])
{
        _cleanup_free_ char *file = ref_escape(name), *p = xasprintf("refs/%s", file), *data = NULL;
        size_t len;

        if (!image_ref_valid(name) || read_file_at(s->fd, p, 256, &data, &len) < 0)
                return -ENOENT;
        data[strcspn(data, "\n")] = '\0';
        if (!digest_hex_valid(data) || !record_exists(s, data))
                return -ENOENT;
        memcpy(ret_hex, data, DIGEST_HEX_LEN + 1);
        return 0;
}

/* The one record whose id starts with prefix (all hex). */
static int resolve_prefix(struct image_store *s, const char *ref, const char *prefix, char ret_hex[DIGEST_HEX_LEN + 1],
                          struct pod_err *err)
{
        _cleanup_close_ int fd = openat(s->fd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t pl = strlen(prefix), found = 0;
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return -ENOENT;
        fd = -1;
        while ((de = readdir(d)))
                if (!strncmp(de->d_name, prefix, pl) && strlen(de->d_name) == DIGEST_HEX_LEN + 5 &&
                    !strcmp(de->d_name + DIGEST_HEX_LEN, ".json")) {
                        if (found++ == 0)
                                snprintf(ret_hex, DIGEST_HEX_LEN + 1, "%.*s", DIGEST_HEX_LEN, de->d_name);
                }
        closedir(d);
        if (found > 1)
                return pod_err_set(err, -EEXIST, "image id prefix %s matches %zu images; give more digits", ref, found);
        return found ? 0 : -ENOENT;
}

int image_resolve(struct image_store *s, const char *ref, char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err)
{
        const char *hex = str_startswith(ref, "sha256:") ? ref + 7 : ref;
        size_t hl = strspn(hex, "0123456789abcdef");
        const char *slash = strchr(ref, '/'), *last = strrchr(ref, '/');
        bool tagged = strchr(last ? last : ref, ':') || strchr(ref, '@');
        /* docker's short names: "busybox" is docker.io/library/busybox, "me/app" docker.io/me/app. */
        bool has_domain = slash && (memchr(ref, '.', (size_t)(slash - ref)) || memchr(ref, ':', (size_t)(slash - ref)) ||
                                    !strncmp(ref, "localhost/", 10));
        const char *prefixes[] = { "", has_domain ? NULL : slash ? "docker.io/" : "docker.io/library/" };
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
                _cleanup_free_ char *full = NULL, *latest = NULL;
                if (!prefixes[i])
                        continue;
                full = xasprintf("%s%s", prefixes[i], ref);
                if (read_ref(s, full, ret_hex) == 0)
                        return 0;
                latest = xasprintf("%s:latest", full);
                if (!tagged && read_ref(s, latest, ret_hex) == 0)
                        return 0;
        }
        if (hex[hl] == '\0' && hl >= 12 && hl <= DIGEST_HEX_LEN) {
                if ((r = resolve_prefix(s, ref, hex, ret_hex, err)) != -ENOENT)
                        return r;
        }
        return pod_err_set(err, -ENOENT, "no image \"%s\" in the store %s (podctl image list shows what is there; podctl image import PATH adds one)",
                           ref, s->path);
}

int image_lock_shared(struct image_store *s, const char *hex, bool cloexec, int *ret_fd, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("locks/%s", hex);
        int fd = openat(s->fd, p, O_RDONLY | O_CREAT | (cloexec ? O_CLOEXEC : 0), 0600);

        if (fd < 0)
                return pod_err_set(err, -errno, "opening %s/%s: %s", s->path, p, strerror(errno));
        if (flock(fd, LOCK_SH) < 0) {
                int e = errno;
                close(fd);
                return pod_err_set(err, -e, "locking %s/%s: %s", s->path, p, strerror(e));
        }
        *ret_fd = fd;
        return 0;
}

int image_list(struct image_store *s, struct image_record **ret, size_t *ret_n, struct pod_err *err)
{
        _cleanup_close_ int fd = openat(s->fd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct image_record *v = NULL;
        size_t n = 0;
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return pod_err_set(err, -errno, "reading %s/images: %s", s->path, strerror(errno));
        fd = -1;
        while ((de = readdir(d))) {
                char hex[DIGEST_HEX_LEN + 1];
                struct pod_err e2 = { 0 };
                if (strlen(de->d_name) != DIGEST_HEX_LEN + 5 || strcmp(de->d_name + DIGEST_HEX_LEN, ".json"))
                        continue;
                snprintf(hex, sizeof(hex), "%.*s", DIGEST_HEX_LEN, de->d_name);
                v = xrealloc(v, (n + 1) * sizeof(*v));
                if (image_record_load(s, hex, &v[n], &e2) < 0) {
                        log_warn("%s", e2.msg);
                        continue;
                }
                n++;
        }
        closedir(d);
        /* Oldest import first (the timestamps are RFC 3339 in UTC: they sort as strings). */
        for (size_t i = 1; i < n; i++)
                for (size_t k = i; k > 0 && strcmp(v[k - 1].imported ?: "", v[k].imported ?: "") > 0; k--) {
                        struct image_record t = v[k];
                        v[k] = v[k - 1];
                        v[k - 1] = t;
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

void image_records_free(struct image_record *r, size_t n)
{
        for (size_t i = 0; i < n; i++)
                image_record_done(&r[i]);
        free(r);
}

static void remove_refs_to(struct image_store *s, const char *hex)
{
        _cleanup_close_ int fd = openat(s->fd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        fd = -1;
        while ((de = readdir(d))) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (de->d_name[0] == '.' || read_file_at(dirfd(d), de->d_name, 256, &data, &len) < 0)
                        continue;
                data[strcspn(data, "\n")] = '\0';
                if (!strcmp(data, hex))
                        unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

int image_remove(struct image_store *s, const char *ref, char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err)
{
        _cleanup_free_ char *lock = NULL, *rec = NULL;
        _cleanup_close_ int lfd = -1;
        int r;

        if ((r = image_store_lock(s, LOCK_EX, err)) < 0)
                return r;
        if ((r = image_resolve(s, ref, ret_hex, err)) < 0)
                goto out;
        lock = xasprintf("locks/%s", ret_hex);
        lfd = openat(s->fd, lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        if (lfd < 0) {
                r = pod_err_set(err, -errno, "opening %s/%s: %s", s->path, lock, strerror(errno));
                goto out;
        }
        if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
                r = pod_err_set(err, -EBUSY, "image %s (%.12s) is used by a pod that is running; stop it first (podctl list shows the pods)",
                                ref, ret_hex);
                goto out;
        }
        remove_refs_to(s, ret_hex);
        rec = xasprintf("images/%s.json", ret_hex);
        if (unlinkat(s->fd, rec, 0) < 0 && errno != ENOENT) {
                r = pod_err_set(err, -errno, "removing %s/%s: %s", s->path, rec, strerror(errno));
                goto out;
        }
        unlinkat(s->fd, lock, 0);
        fsync(s->fd);
        r = 0;
out:
        flock(s->lock_fd, LOCK_UN);
        return r;
}

/* Remove every entry of dir (under the store) whose name is not in keep (NULL: remove all). */
static int sweep(struct image_store *s, const char *dir, char **keep, const char *suffix, unsigned *count, uint64_t *bytes)
{
        _cleanup_close_ int fd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return -errno;
        fd = -1;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (keep && strv_contains(keep, de->d_name))
                        continue;
                if (suffix) {   /* lock files: only those nobody holds */
                        _cleanup_close_ int lfd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
                        if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0)
                                continue;
                }
                if (bytes) {
                        _cleanup_close_ int t = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        uint64_t b = 0, e = 0;
                        struct stat st;
                        if (t >= 0)
                                tree_usage(t, &b, &e);
                        else if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                b = (uint64_t)st.st_size;
                        *bytes += b;
                }
                if (rm_rf_at(dirfd(d), de->d_name) == 0)
                        (*count)++;
        }
        closedir(d);
        return 0;
}

int image_gc(struct image_store *s, struct image_gc_stats *ret, struct pod_err *err)
{
        struct image_record *v = NULL;
        size_t n = 0;
        _cleanup_strv_ char **trees = xcalloc(1, sizeof(char *)), **blobs = xcalloc(1, sizeof(char *)),
                            **locks = xcalloc(1, sizeof(char *));
        int r;

        *ret = (struct image_gc_stats){ 0 };
        if ((r = image_store_lock(s, LOCK_EX, err)) < 0)
                return r;
        /* Imports hold the store lock shared from their first file in tmp/ to their record: anything in tmp/ now is a leftover. */
        if ((r = image_list(s, &v, &n, err)) < 0)
                goto out;
        for (size_t i = 0; i < n; i++) {
                for (char **p = v[i].layers; *p; p++)
                        strv_push(&trees, *p);
                for (char **p = v[i].lowers; *p; p++)
                        strv_push(&trees, *p);
                for (char **p = v[i].blobs; *p; p++)
                        strv_push(&blobs, *p);
                strv_push(&locks, v[i].id);
        }
        sweep(s, "tmp", NULL, NULL, &ret->temps, &ret->bytes);
        sweep(s, "trees", trees, NULL, &ret->trees, &ret->bytes);
        sweep(s, "blobs/sha256", blobs, NULL, &ret->blobs, &ret->bytes);
        sweep(s, "locks", locks, "lock", &ret->locks, NULL);
        r = 0;
out:
        image_records_free(v, n);
        flock(s->lock_fd, LOCK_UN);
        return r;
}
