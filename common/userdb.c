#include "common/userdb.h"
#include "common/fdutil.h"

#include <fcntl.h>
#include <sys/stat.h>

/*
 * Find the colon-separated record whose field `key_field` equals key; copy
 * fields into out[] (pointers into the returned buffer).  passwd: name:pw:uid:
 * gid:gecos:home:shell; group: name:pw:gid:members.
 */
static int find_record(int root_fd, const char *file, int key_field, const char *key,
                       char **ret_buf, char *fields[7])
{
        _cleanup_free_ char *data = NULL;
        char *line, *save = NULL;
        int r = read_file_in_root(root_fd, file, USERDB_MAX_FILE, &data, NULL);

        if (r < 0)
                return r;
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int n = 0;
                char *p = line;
                if (*line == '#' || *line == '+' || *line == '-')
                        continue;
                for (int i = 0; i < 7; i++)
                        fields[i] = NULL;
                while (n < 7) {
                        fields[n++] = p;
                        p = strchr(p, ':');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                if (n > key_field && !strcmp(fields[key_field], key)) {
                        *ret_buf = TAKE_PTR(data);
                        return 0;
                }
        }
        return -ENOENT;
}

static int parse_id(const char *s, unsigned long *ret)
{
        long v;
        if (parse_long(s, 0, 0xfffffffeL, &v) < 0)
                return -EINVAL;
        *ret = (unsigned long)v;
        return 0;
}

static int resolve(int root_fd, const char *spec, bool user, unsigned long *ret, struct pod_err *err)
{
        const char *kind = user ? "user" : "group";
        _cleanup_free_ char *buf = NULL;
        char *f[7];
        int r;

        if (!strcmp(spec, "root")) {
                *ret = 0;
                return 0;
        }
        if (spec[0] >= '0' && spec[0] <= '9') {
                if (parse_id(spec, ret) < 0)
                        return pod_err_set(err, -EINVAL, "%s \"%s\": not a valid numeric id", kind, spec);
                return 0;
        }
        if (spec[0] == '/') {
                struct stat st;
                _cleanup_close_ int fd = open_in_root(root_fd, spec, O_PATH | O_NOFOLLOW, 0);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return pod_err_set(err, fd < 0 ? fd : -errno, "unable to stat file \"%s\": %s", spec,
                                           strerror(fd < 0 ? -fd : errno));
                *ret = user ? st.st_uid : st.st_gid;
                return 0;
        }
        r = find_record(root_fd, user ? "/etc/passwd" : "/etc/group", 0, spec, &buf, f);
        if (r == -ENOENT)
                return pod_err_set(err, r, "\"%s\" %s not found", spec, kind);
        if (r < 0) {
                char why[64];
                return pod_err_set(err, r, "looking up %s \"%s\": the image's /etc/%s is %s", kind, spec,
                                   user ? "passwd" : "group", read_file_strerror(r, why, sizeof(why), USERDB_MAX_FILE));
        }
        if (!f[2] || parse_id(f[2], ret) < 0)
                return pod_err_set(err, -EINVAL, "%s \"%s\": bad id field in /etc/%s", kind, spec,
                                   user ? "passwd" : "group");
        return 0;
}

int userdb_resolve_user(int root_fd, const char *user, uid_t *ret_uid, struct pod_err *err)
{
        unsigned long v;
        int r = resolve(root_fd, user, true, &v, err);
        if (r < 0)
                return r;
        *ret_uid = (uid_t)v;
        return 0;
}

int userdb_resolve_group(int root_fd, const char *group, gid_t *ret_gid, struct pod_err *err)
{
        unsigned long v;
        int r = resolve(root_fd, group, false, &v, err);
        if (r < 0)
                return r;
        *ret_gid = (gid_t)v;
        return 0;
}

int userdb_lookup_uid(int root_fd, uid_t uid, char **ret_name, char **ret_home)
{
        _cleanup_free_ char *buf = NULL;
        char key[16], *f[7];
        int r;

        snprintf(key, sizeof(key), "%u", (unsigned)uid);
        r = find_record(root_fd, "/etc/passwd", 2, key, &buf, f);
        if (r < 0)
                return r;
        *ret_name = xstrdup(f[0]);
        *ret_home = xstrdup(f[5] && *f[5] ? f[5] : "/");
        return 0;
}

int userdb_primary_gid(int root_fd, const char *user, gid_t *ret_gid)
{
        _cleanup_free_ char *buf = NULL;
        unsigned long v;
        char *f[7];
        bool numeric = user[0] >= '0' && user[0] <= '9';
        int r = find_record(root_fd, "/etc/passwd", numeric ? 2 : 0, user, &buf, f);

        if (r < 0)
                return r;
        if (!f[3] || parse_id(f[3], &v) < 0)
                return -EINVAL;
        *ret_gid = (gid_t)v;
        return 0;
}
