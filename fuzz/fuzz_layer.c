/*
 * A layer or ACI archive unpacked (image/layer.c layer_unpack): libarchive
 * reading whatever compression and tar the input is, then podinit's checks
 * on each entry (names, hard links, symlinks of an ACI, whiteouts, the
 * overlay xattrs, the limits) and the writes, into a fresh directory under
 * the fuzzer's own temp directory, removed after each input.
 *
 * Input: one byte (bit 0: an ACI rather than an OCI layer), then the
 * archive.  Oracles: the unpacked tree holds nothing outside it (no symlink
 * of an ACI climbing out of rootfs/ by its target, checked lexically), and
 * an ACI that unpacks has a manifest.  scripts/fuzz.sh runs this one with
 * the rest of the file system read-only when it can (a mount namespace), so
 * an entry that escaped would fail to write rather than land on the host.
 */
#include "fuzz.h"
#include "common/fdutil.h"
#include "image/layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static char top[256];
static unsigned serial;

static void cleanup(void)
{
        if (top[0])
                rm_rf_at(AT_FDCWD, top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR") ?: "/tmp";

        snprintf(top, sizeof(top), "%s/fuzz-layer.XXXXXX", tmp);
        if (!mkdtemp(top))
                abort();
        atexit(cleanup);
        return 0;
}

/* Does a relative target, from a directory depth levels below the top, climb above it? */
static bool climbs(const char *target, int depth)
{
        for (const char *p = target; *p;) {
                size_t len = strcspn(p, "/");
                if (len == 2 && !strncmp(p, "..", 2)) {
                        if (--depth < 0)
                                return true;
                } else if (len && !(len == 1 && p[0] == '.')) {
                        depth++;
                }
                p += len + (p[len] == '/');
        }
        return false;
}

/* The tree below dirfd (an ACI's rootfs: no symlink may climb out of it by its target). */
static void check_tree(int dirfd, int depth, bool aci)
{
        DIR *d = fdopendir(dirfd);
        struct dirent *de;

        FUZZ_CHECK(d != NULL);
        while ((de = readdir(d))) {
                struct stat st;
                char target[4096];
                ssize_t n;
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (aci && S_ISLNK(st.st_mode) && (n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1)) > 0) {
                        target[n] = '\0';
                        if (target[0] != '/' && climbs(target, depth)) {
                                fuzz_report("symlink %s -> %s at depth %d leaves the rootfs", de->d_name, target, depth);
                                FUZZ_CHECK(!"an ACI's symlinks stay in its rootfs");
                        }
                }
                if (S_ISDIR(st.st_mode) && depth < 64) {
                        int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                check_tree(sub, depth + 1, aci);
                }
        }
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum layer_kind kind;
        struct layer_limits lim = { .max_entries = 1000, .max_bytes = 1u << 20 };
        struct layer_result res;
        struct pod_err err = { 0 };
        _cleanup_free_ char *dest = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (size < 1)
                return 0;
        kind = data[0] & 1 ? LAYER_ACI : LAYER_OCI;
        fd = memfd_create("layer", MFD_CLOEXEC);
        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(write_all(fd, data + 1, size - 1) == 0 && lseek(fd, 0, SEEK_SET) == 0);
        dest = xasprintf("%s/%u", top, serial++);
        r = layer_unpack(fd, "layer fuzz.tar", dest, kind, &lim, &res, &err);
        if (r == 0) {
                FUZZ_CHECK(res.size == size - 1);
                FUZZ_CHECK(kind != LAYER_ACI || res.manifest);
                FUZZ_CHECK(lim.entries <= lim.max_entries && lim.bytes <= lim.max_bytes);
                int t = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                FUZZ_CHECK(t >= 0);
                check_tree(t, 0, kind == LAYER_ACI);
                layer_result_done(&res);
        } else {
                FUZZ_CHECK(err.code < 0 && err.msg[0]);
        }
        r = rm_rf_at(AT_FDCWD, dest);
        FUZZ_CHECK(r == 0 || r == -ENOENT);
        return 0;
}
