/*
 * mkstage1: write podinit's rkt stage1 image, podinit-stage1.aci
 * (docs/stage1-abi.md "The stage1 image").  A gzip'd tar (what rkt's
 * image store reads) holding
 *   manifest       the stage1 image manifest: every entrypoint annotation,
 *                  interface version 6;
 *   rootfs/init    podinit (static), the `run` entrypoint;
 *   rootfs/<ep>    symlinks to init for enter, gc, stop, app_add, app_start,
 *                  app_stop, app_rm and attach (podinit dispatches on the name);
 *   the directories stage0 expects (etc, opt/stage2, rkt/status, rkt/env,
 *   rkt/iottymux), empty; etc/os-release, etc/hosts-fallback and
 *   etc/mtab -> ../proc/self/mounts.
 * Entries are owned by root, dated SOURCE_DATE_EPOCH (or 0), so the image is
 * reproducible.  A podinit with a program interpreter (not static) is refused
 * unless --allow-dynamic (sanitizer builds, run on the build host only).
 *
 * usage: mkstage1 [--allow-dynamic] [--version=V] PODINIT OUT.aci
 */
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const entrypoints[][2] = {
        { "run", "init" },           { "enter", "enter" },         { "gc", "gc" },
        { "stop", "stop" },          { "app/add", "app_add" },     { "app/rm", "app_rm" },
        { "app/start", "app_start" }, { "app/stop", "app_stop" },  { "attach", "attach" },
};

static const char *const dirs[] = {
        "rootfs", "rootfs/etc", "rootfs/opt", "rootfs/opt/stage2", "rootfs/rkt", "rootfs/rkt/status",
        "rootfs/rkt/env", "rootfs/rkt/iottymux", "rootfs/dev", "rootfs/proc", "rootfs/sys", "rootfs/tmp",
};

static const char hosts_fallback[] =
        "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4\n"
        "::1 ip6-localhost ip6-loopback localhost6 localhost6.localdomain6\n"
        "fe00::0 ip6-localnet\n"
        "ff00::0 ip6-mcastprefix\n"
        "ff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n"
        "ff02::3 ip6-allhosts\n";

#if defined(__x86_64__)
#define ACI_ARCH "amd64"
#elif defined(__aarch64__)
#define ACI_ARCH "aarch64"
#elif defined(__i386__)
#define ACI_ARCH "i386"
#elif defined(__arm__)
#define ACI_ARCH "armv7l"
#else
#error "no appc arch label known for this architecture"
#endif

static time_t mtime;

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "mkstage1: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static void add(struct archive *ar, const char *name, mode_t type, mode_t perm, const void *data, size_t len,
                const char *link)
{
        struct archive_entry *e = archive_entry_new();

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_mtime(e, mtime, 0);
        archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
        if (link)
                archive_entry_set_symlink(e, link);
        if (archive_write_header(ar, e) != ARCHIVE_OK)
                die("writing %s: %s", name, archive_error_string(ar));
        if (type == AE_IFREG && len && archive_write_data(ar, data, len) != (la_ssize_t)len)
                die("writing %s: %s", name, archive_error_string(ar));
        archive_entry_free(e);
}

static char *read_all(const char *path, size_t *ret_len)
{
        struct stat st;
        char *buf;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                die("%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        buf = malloc((size_t)st.st_size + 1);
        if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
                die("reading %s: %s", path, strerror(errno));
        close(fd);
        *ret_len = (size_t)st.st_size;
        return buf;
}

/* Does this ELF file ask for a program interpreter (dynamic linking)? */
static bool elf_dynamic(const char *path, const char *data, size_t len)
{
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;

        if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
                die("%s: not a 64-bit ELF executable", path);
        for (unsigned i = 0; i < eh->e_phnum; i++) {
                size_t off = eh->e_phoff + (size_t)i * eh->e_phentsize;
                const Elf64_Phdr *ph = (const Elf64_Phdr *)(data + off);
                if (off + sizeof(*ph) > len)
                        die("%s: truncated program headers", path);
                if (ph->p_type == PT_INTERP)
                        return true;
        }
        return false;
}

static char *manifest_json(const char *version)
{
        json_t *ann = json_array(), *m;
        char *s;

        for (size_t i = 0; i < sizeof(entrypoints) / sizeof(entrypoints[0]); i++) {
                char name[64], value[64];
                snprintf(name, sizeof(name), "coreos.com/rkt/stage1/%s", entrypoints[i][0]);
                snprintf(value, sizeof(value), "/%s", entrypoints[i][1]);
                json_array_append_new(ann, json_pack("{s:s,s:s}", "name", name, "value", value));
        }
        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", "coreos.com/rkt/stage1/interface-version", "value", "6"));
        m = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:o}", "acKind", "ImageManifest", "acVersion",
                      "0.8.11", "name", "podinit.io/stage1", "labels", "name", "version", "value", version, "name",
                      "arch", "value", ACI_ARCH, "name", "os", "value", "linux", "annotations", ann);
        s = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(m);
        return s;
}

int main(int argc, char **argv)
{
        const char *version = "0.1.0", *in = NULL, *out = NULL, *sde = getenv("SOURCE_DATE_EPOCH");
        bool allow_dynamic = false;
        struct archive *ar;
        char *bin, *manifest, os_release[256], tmp[4096];
        size_t len;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--allow-dynamic"))
                        allow_dynamic = true;
                else if (!strncmp(argv[i], "--version=", 10))
                        version = argv[i] + 10;
                else if (argv[i][0] == '-')
                        die("unknown option %s", argv[i]);
                else if (!in)
                        in = argv[i];
                else if (!out)
                        out = argv[i];
                else
                        die("unexpected argument %s", argv[i]);
        }
        if (!in || !out) {
                fprintf(stderr, "usage: mkstage1 [--allow-dynamic] [--version=V] PODINIT OUT.aci\n");
                return 2;
        }
        mtime = sde ? (time_t)strtoll(sde, NULL, 10) : 0;
        bin = read_all(in, &len);
        if (elf_dynamic(in, bin, len) && !allow_dynamic)
                die("%s is dynamically linked; rkt runs stage1 entrypoints with the host's libraries, so build it with POD_STATIC=ON (or pass --allow-dynamic for a test image)",
                    in);
        snprintf(tmp, sizeof(tmp), "%s.tmp", out);
        ar = archive_write_new();
        archive_write_set_format_pax_restricted(ar);
        archive_write_add_filter_gzip(ar);
        if (archive_write_open_filename(ar, tmp) != ARCHIVE_OK)
                die("%s: %s", tmp, archive_error_string(ar));
        manifest = manifest_json(version);
        add(ar, "manifest", AE_IFREG, 0644, manifest, strlen(manifest), NULL);
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                add(ar, dirs[i], AE_IFDIR, !strcmp(dirs[i], "rootfs/tmp") ? 01777 : 0755, NULL, 0, NULL);
        add(ar, "rootfs/init", AE_IFREG, 0755, bin, len, NULL);
        for (size_t i = 1; i < sizeof(entrypoints) / sizeof(entrypoints[0]); i++) {
                char name[64];
                snprintf(name, sizeof(name), "rootfs/%s", entrypoints[i][1]);
                add(ar, name, AE_IFLNK, 0777, NULL, 0, "init");
        }
        snprintf(os_release, sizeof(os_release),
                 "NAME=podinit\nID=podinit\nVERSION_ID=%s\nPRETTY_NAME=\"podinit stage1 %s\"\nHOME_URL=\"https://podinit.io/\"\n",
                 version, version);
        add(ar, "rootfs/etc/os-release", AE_IFREG, 0644, os_release, strlen(os_release), NULL);
        add(ar, "rootfs/etc/hosts-fallback", AE_IFREG, 0644, hosts_fallback, strlen(hosts_fallback), NULL);
        add(ar, "rootfs/etc/mtab", AE_IFLNK, 0777, NULL, 0, "../proc/self/mounts");
        if (archive_write_close(ar) != ARCHIVE_OK)
                die("%s: %s", tmp, archive_error_string(ar));
        archive_write_free(ar);
        if (rename(tmp, out) < 0)
                die("renaming %s: %s", tmp, strerror(errno));
        free(manifest);
        free(bin);
        return 0;
}
