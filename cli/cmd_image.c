/*
 * podctl image: the local image store (image/store.h) -- import, list,
 * inspect, rm, gc.  The store is DIR/images under podctl's --dir.
 */
#include "cli/cli.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/log.h"
#include "image/import.h"
#include "image/store.h"

#include <sys/file.h>

static char *store_path(void)
{
        return xasprintf("%s/images", g.dir);
}

static int open_store(struct image_store *s, struct pod_err *err)
{
        _cleanup_free_ char *p = store_path();

        return image_store_open(p, s, err);
}

/* "1.2 MB" */
static void human_size(uint64_t b, char *buf, size_t len)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double)b;
        size_t u = 0;

        while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1000;
                u++;
        }
        snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static int image_import_cmd(int argc, char **argv)
{
        const char *name = NULL, *platform = NULL, *max_entries = NULL, *max_size = NULL;
        const struct opt opts[] = {
                { "name", OPT_STR, &name },
                { "platform", OPT_STR, &platform },
                { "max-entries", OPT_STR, &max_entries },
                { "max-size", OPT_STR, &max_size },
        };
        struct image_import_opts o = { .progress = isatty(STDERR_FILENO) };
        struct image_store s;
        struct pod_err err = { 0 };
        struct args_rest rest;
        char hex[DIGEST_HEX_LEN + 1];
        int r;

        if ((r = cli_parse("image import", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("image import", "give one image PATH");
                return 2;
        }
        if (max_entries) {
                long v;
                if (parse_long(max_entries, 1, 1000000000L, &v) < 0) {
                        cli_usage_error("image import", "--max-entries=%s: expected a number from 1 to 1000000000", max_entries);
                        return 2;
                }
                o.max_entries = (uint64_t)v;
        }
        if (max_size && parse_size(max_size, UINT64_MAX / 2, &o.max_bytes) < 0) {
                cli_usage_error("image import", "--max-size=%s: expected a size (4096, 100Mi, 2Gi)", max_size);
                return 2;
        }
        o.name = name;
        o.platform = platform;
        if (open_store(&s, &err) < 0) {
                log_error("image import: %s", err.msg);
                return 1;
        }
        r = image_import(&s, argv[rest.first], &o, hex, &err);
        image_store_close(&s);
        if (r < 0) {
                log_error("image import: %s", err.msg);
                return 1;
        }
        printf("sha256:%s\n", hex);
        return 0;
}

static int image_list_cmd(int argc, char **argv)
{
        bool json = false;
        const struct opt opts[] = { { "json", OPT_BOOL, &json } };
        struct image_store s;
        struct image_record *v = NULL;
        struct pod_err err = { 0 };
        struct args_rest rest;
        size_t n = 0;
        int r;

        if ((r = cli_parse("image list", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos || rest.dashdash) {
                cli_usage_error("image list", "unexpected argument \"%s\"", argv[rest.first] ?: "--");
                return 2;
        }
        if (open_store(&s, &err) < 0 || image_list(&s, &v, &n, &err) < 0) {
                log_error("image list: %s", err.msg);
                image_store_close(&s);
                return 1;
        }
        if (json) {
                json_t *a = json_array();
                char *text;
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(a, image_record_json(&v[i], false));
                text = json_dumps(a, JSON_INDENT(2));
                printf("%s\n", text);
                free(text);
                json_decref(a);
        } else {
                printf("%-12s  %-40s  %-6s  %6s  %9s  %s\n", "ID", "NAME", "KIND", "LAYERS", "SIZE", "CREATED");
                for (size_t i = 0; i < n; i++) {
                        char size[32];
                        human_size(v[i].size, size, sizeof(size));
                        if (!v[i].names[0])
                                printf("%-12.12s  %-40s  %-6s  %6zu  %9s  %s\n", v[i].id, "-", v[i].kind,
                                       strv_length(v[i].layers), size, v[i].created ?: "-");
                        for (char **nm = v[i].names; *nm; nm++)
                                printf("%-12.12s  %-40s  %-6s  %6zu  %9s  %s\n", v[i].id, *nm, v[i].kind,
                                       strv_length(v[i].layers), size, v[i].created ?: "-");
                }
        }
        image_records_free(v, n);
        image_store_close(&s);
        return 0;
}

static int image_inspect_cmd(int argc, char **argv)
{
        struct image_store s;
        struct image_record rec;
        struct pod_err err = { 0 };
        struct args_rest rest;
        char hex[DIGEST_HEX_LEN + 1];
        int r;

        if ((r = cli_parse("image inspect", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("image inspect", "give one IMAGE");
                return 2;
        }
        if (open_store(&s, &err) < 0 || image_resolve(&s, argv[rest.first], hex, &err) < 0 ||
            image_record_load(&s, hex, &rec, &err) < 0) {
                log_error("image inspect: %s", err.msg);
                image_store_close(&s);
                return 1;
        }
        {
                json_t *o = image_record_json(&rec, true);
                char *text = json_dumps(o, JSON_INDENT(2));
                printf("%s\n", text);
                free(text);
                json_decref(o);
        }
        image_record_done(&rec);
        image_store_close(&s);
        return 0;
}

static int image_rm_cmd(int argc, char **argv)
{
        struct image_store s;
        struct pod_err err = { 0 };
        struct args_rest rest;
        int r, rc = 0;

        if ((r = cli_parse("image rm", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos < 1 || rest.dashdash) {
                cli_usage_error("image rm", "give the IMAGE to remove");
                return 2;
        }
        if (open_store(&s, &err) < 0) {
                log_error("image rm: %s", err.msg);
                return 1;
        }
        for (int i = 0; i < rest.n_pos; i++) {
                char hex[DIGEST_HEX_LEN + 1];
                if (image_remove(&s, argv[rest.first + i], hex, &err) < 0) {
                        log_error("image rm: %s", err.msg);
                        rc = 1;
                        continue;
                }
                printf("sha256:%s\n", hex);
        }
        image_store_close(&s);
        return rc;
}

static int image_gc_cmd(int argc, char **argv)
{
        struct image_store s;
        struct image_gc_stats st;
        struct pod_err err = { 0 };
        struct args_rest rest;
        char size[32];
        int r;

        if ((r = cli_parse("image gc", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos || rest.dashdash) {
                cli_usage_error("image gc", "unexpected argument \"%s\"", argv[rest.first] ?: "--");
                return 2;
        }
        if (open_store(&s, &err) < 0 || image_gc(&s, &st, &err) < 0) {
                log_error("image gc: %s", err.msg);
                image_store_close(&s);
                return 1;
        }
        human_size(st.bytes, size, sizeof(size));
        printf("removed %u trees, %u blobs, %u unfinished imports (%s)\n", st.trees, st.blobs, st.temps, size);
        image_store_close(&s);
        return 0;
}

int cmd_image(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(int, char **);
        } subs[] = {
                { "import", image_import_cmd }, { "list", image_list_cmd }, { "ls", image_list_cmd },
                { "inspect", image_inspect_cmd }, { "rm", image_rm_cmd }, { "gc", image_gc_cmd },
        };

        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                cli_usage("image", argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
                if (!strcmp(argv[1], subs[i].name))
                        return subs[i].fn(argc - 1, argv + 1);
        cli_usage_error("image", "unknown command \"%s\" (import, list, inspect, rm, gc)", argv[1]);
        return 2;
}
