/*
 * Port forwarding (common/ports.c): podctl's --port flag, and the pod
 * manifest's "ports" resolved against the ports its apps declare.  The
 * input is tried as both: as a flag, whose ExposedPort object is then
 * resolved in a small pod (a flag the parser accepts with a pod port must
 * resolve); as a pod manifest, resolved with no pod directory (apps without
 * an app section have no declared ports then; no file is read).
 */
#include "fuzz.h"
#include "common/ports.h"

static const char pod_json[] =
        "{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"apps\":["
        "{\"name\":\"web\",\"app\":{\"exec\":[\"/bin/web\"],\"user\":\"0\",\"group\":\"0\","
        "\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"tcp\"},{\"name\":\"dns\",\"port\":53,\"protocol\":\"udp\"}]}},"
        "{\"name\":\"db\"}]}";

/* 0, or the error; from_flag: a port the flag parser accepted, which must resolve unless no app declares its name. */
static void resolve(const json_t *pod, bool from_flag)
{
        struct pod_port *p = NULL;
        struct pod_err err = { 0 };
        size_t n = 0;

        if (pod_ports_resolve(-1, pod, &p, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(p[i].host_port >= 1 && p[i].host_port <= 65535 && p[i].pod_port >= 1 &&
                                   p[i].pod_port <= 65535);
                free(p);
        } else if (from_flag && err.code != -ENOENT) {
                fuzz_report("a port the flag parser accepted does not resolve: %s", err.msg);
                FUZZ_CHECK(!"accepted --port resolves");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_str(data, size);
        struct pod_err err = { 0 };
        json_t *port = NULL, *pod;

        if (port_flag_parse(s, &port, &err) == 0) {
                FUZZ_CHECK(json_is_object(port));
                pod = json_loads(pod_json, 0, NULL);
                FUZZ_CHECK(pod);
                json_object_set_new(pod, "ports", json_pack("[O]", port));
                resolve(pod, true);
                json_decref(pod);
                json_decref(port);
        }
        if ((pod = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL))) {
                resolve(pod, false);
                json_decref(pod);
        }
        return 0;
}
