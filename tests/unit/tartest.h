/*
 * Unit-test helper: tar archives built with libarchive from a list of
 * entries (test_image.c, test_store.c).
 */
#ifndef POD_TARTEST_H
#define POD_TARTEST_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <sys/sysmacros.h>

#include "test.h"
#include "common/util.h"

enum kind { F, D, L, H, C }; /* file, directory, symlink, hard link, char device */

struct ent {
        enum kind kind;
        const char *path;
        const char *data;       /* F: content; L/H: target */
        size_t size;            /* F: content size if data is binary or huge (0: strlen) */
};

/* Write the entries as a tar (gzip-compressed if gz) at test_tmpdir()/name; returns the path. */
static inline char *make_tar(const char *name, bool gz, const struct ent *e, size_t n)
{
        char *path = xasprintf("%s/%s", test_tmpdir(), name);
        struct archive *a = archive_write_new();
        struct archive_entry *ae;

        ASSERT(a);
        ASSERT_EQ(ARCHIVE_OK, archive_write_set_format_pax_restricted(a));
        if (gz)
                ASSERT_EQ(ARCHIVE_OK, archive_write_add_filter_gzip(a));
        ASSERT_EQ(ARCHIVE_OK, archive_write_open_filename(a, path));
        for (size_t i = 0; i < n; i++) {
                size_t size = e[i].kind == F ? (e[i].size ? e[i].size : strlen(e[i].data)) : 0;

                ae = archive_entry_new();
                archive_entry_set_pathname(ae, e[i].path);
                archive_entry_set_mtime(ae, 1500000000, 0);
                switch (e[i].kind) {
                case F:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, 0755);
                        archive_entry_set_size(ae, (la_int64_t)size);
                        break;
                case D:
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        archive_entry_set_perm(ae, 0755);
                        break;
                case L:
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_perm(ae, 0777);
                        archive_entry_set_symlink(ae, e[i].data);
                        break;
                case H:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, 0755);
                        archive_entry_set_hardlink(ae, e[i].data);
                        break;
                case C:
                        archive_entry_set_filetype(ae, AE_IFCHR);
                        archive_entry_set_perm(ae, 0666);
                        archive_entry_set_rdev(ae, makedev(1, 3));
                        break;
                }
                if (archive_write_header(a, ae) != ARCHIVE_OK)
                        FAIL_AT("writing %s: %s", e[i].path, archive_error_string(a));
                if (size)
                        ASSERT_EQ(size, archive_write_data(a, e[i].data, size));
                archive_entry_free(ae);
        }
        ASSERT_EQ(ARCHIVE_OK, archive_write_close(a));
        archive_write_free(a);
        return path;
}

#endif
