/*
 * Unit tests for stage0/ocispec.c and ocispec_linux.c: config.json of an
 * OCI bundle as containerd 1.6 writes it for `ctr run` and for its CRI
 * plugin (a sandbox and a container), each mapped field checked, each
 * refusal checked with its message, and malformed input.  JSON is written
 * with single quotes (J() turns them into double quotes).  The fixtures
 * follow the runtime spec and containerd's defaults (oci/spec.go, its CRI
 * plugin): default mounts, capabilities, masked paths, namespaces.
 */
#include "test.h"
#include "common/isolators.h"
#include "common/manifest.h"
#include "common/util.h"
#include "common/fdutil.h"
#include "stage0/ocispec.h"
#include "stage0/app.h"
#include "stage0/rootfs.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *J(const char *s)
{
        static char bufs[2][65536];
        static unsigned k;
        char *b = bufs[k++ % 2];
        size_t i;

        for (i = 0; s[i] && i < sizeof(bufs[0]) - 1; i++)
                b[i] = s[i] == '\'' ? '"' : s[i];
        b[i] = '\0';
        return b;
}

#define CAPS "['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID'," \
             "'CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']"
#define DEFAULT_MOUNTS                                                                                             \
        "{'destination':'/proc','type':'proc','source':'proc','options':['nosuid','noexec','nodev']},"            \
        "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']}," \
        "{'destination':'/dev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']}," \
        "{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=65536k']}," \
        "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']}," \
        "{'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']}"
#define MASKED "'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats'," \
               "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi']," \
               "'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']"

/* `ctr run -t docker.io/library/busybox:latest t1 sh`, containerd 1.6. */
static const char ctr_run[] =
        "{'ociVersion':'1.0.2-dev',"
        "'process':{'terminal':true,'consoleSize':{'height':40,'width':120},'user':{'uid':0,'gid':0,'additionalGids':[10]},"
        "'args':['sh'],'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm'],"
        "'cwd':'/','capabilities':{'bounding':" CAPS ",'effective':" CAPS ",'permitted':" CAPS "},"
        "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPrivileges':true},"
        "'root':{'path':'rootfs'},"
        "'mounts':[" DEFAULT_MOUNTS ",{'destination':'/run','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']}],"
        "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}]},'cgroupsPath':'/default/t1',"
        "'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},{'type':'network'}],"
        MASKED "}}";

/* CRI's sandbox (pause) container. */
static const char cri_sandbox[] =
        "{'ociVersion':'1.0.2-dev',"
        "'process':{'user':{'uid':65535,'gid':65535,'additionalGids':[65535]},'args':['/pause'],"
        "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],'cwd':'/',"
        "'capabilities':{'bounding':" CAPS ",'effective':" CAPS ",'permitted':" CAPS "},"
        "'noNewPrivileges':true,'oomScoreAdj':-998},"
        "'root':{'path':'rootfs','readonly':true},'hostname':'web-0',"
        "'mounts':[" DEFAULT_MOUNTS "],"
        "'annotations':{'io.kubernetes.cri.container-type':'sandbox','io.kubernetes.cri.sandbox-id':'abc123',"
        "'io.kubernetes.cri.sandbox-name':'web-0','io.kubernetes.cri.sandbox-namespace':'default',"
        "'io.kubernetes.cri.sandbox-uid':'u-1','io.kubernetes.cri.sandbox-log-directory':'/var/log/pods/default_web-0_u-1'},"
        "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}],'cpu':{'shares':2}},"
        "'cgroupsPath':'/kubepods/besteffort/podu-1/abc123',"
        "'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},"
        "{'type':'network','path':'/var/run/netns/cni-1234'}],"
        "'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64'],"
        "'syscalls':[{'names':['read','write','exit','exit_group','nanosleep','pause','rt_sigaction'],'action':'SCMP_ACT_ALLOW'}]},"
        MASKED "}}";

/* A CRI container of that sandbox: runtime/default seccomp (an excerpt), limits, volumes, the sandbox's namespaces. */
static const char cri_container[] =
        "{'ociVersion':'1.0.2-dev',"
        "'process':{'user':{'uid':1000,'gid':1000,'additionalGids':[1000,2000]},'args':['/bin/app','--port','80'],"
        "'env':['PATH=/bin','HOSTNAME=web-0','A=b=c'],'cwd':'/srv',"
        "'capabilities':{'bounding':" CAPS ",'effective':[],'permitted':[]},"
        "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1048576,'soft':1024}],'noNewPrivileges':false,'oomScoreAdj':1000,"
        "'apparmorProfile':'cri-containerd.apparmor.d'},"
        "'root':{'path':'/run/containerd/io.containerd.runtime.v2.task/k8s.io/def456/rootfs'},"
        "'mounts':[" DEFAULT_MOUNTS ","
        "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime','ro']},"
        "{'destination':'/etc/hosts','type':'bind','source':'/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc123/hosts','options':['rbind','rprivate','rw']},"
        "{'destination':'/dev/termination-log','type':'bind','source':'/var/lib/kubelet/pods/u-1/containers/app/x','options':['rbind','rprivate','rw']},"
        "{'destination':'/etc/resolv.conf','type':'bind','source':'/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc123/resolv.conf','options':['rbind','rprivate','ro']},"
        "{'destination':'/dev/shm','type':'bind','source':'/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc123/shm','options':['rbind','rprivate','rw']},"
        "{'destination':'/data','type':'bind','source':'/var/lib/kubelet/pods/u-1/volumes/kubernetes.io~empty-dir/data','options':['bind','private','ro']}],"
        "'annotations':{'io.kubernetes.cri.container-type':'container','io.kubernetes.cri.sandbox-id':'abc123',"
        "'io.kubernetes.cri.container-name':'app','io.kubernetes.cri.image-name':'docker.io/library/app:1',"
        "'io.kubernetes.cri.sandbox-name':'web-0','io.kubernetes.cri.sandbox-namespace':'default',"
        "'podinit.io/restart':'on-failure'},"
        "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}],'memory':{'limit':134217728,'swap':134217728},"
        "'cpu':{'shares':512,'quota':50000,'period':100000},'pids':{'limit':100},"
        "'hugepageLimits':[{'pageSize':'2MB','limit':0}]},"
        "'cgroupsPath':'/kubepods/burstable/podu-1/def456',"
        "'namespaces':[{'type':'pid','path':'/proc/4242/ns/pid'},{'type':'ipc','path':'/proc/4242/ns/ipc'},"
        "{'type':'uts','path':'/proc/4242/ns/uts'},{'type':'mount'},{'type':'network','path':'/proc/4242/ns/net'}],"
        "'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],"
        "'syscalls':[{'names':['accept','read','write','exit_group','futex','mmap'],'action':'SCMP_ACT_ALLOW'},"
        "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]},"
        "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':2114060288,'op':'SCMP_CMP_MASKED_EQ'}]},"
        "{'names':['clone3'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]},"
        MASKED "}}";

static int parse(const char *json, unsigned flags, struct stage0_oci_spec *s, struct pod_err *err)
{
        const char *j = J(json);
        *err = (struct pod_err){ 0 };
        return stage0_oci_spec_parse(j, strlen(j), "/run/bundle", flags, s, err);
}

static const char *ann(const struct stage0_app *a, const char *name)
{
        return kv_get(a->annotations, a->n_annotations, name);
}

static json_t *iso(const struct stage0_app *a, const char *name)
{
        for (size_t i = 0; i < a->n_isolators; i++)
                if (!strcmp(a->isolators[i].name, name))
                        return a->isolators[i].value;
        return NULL;
}

static bool warned(const struct stage0_oci_spec *s, const char *part)
{
        for (size_t i = 0; i < s->n_warnings; i++)
                if (strstr(s->warnings[i], part))
                        return true;
        return false;
}

static char *set_joined(json_t *v)
{
        json_t *set = json_object_get(v, "set"), *it;
        size_t i, n = 0;
        static char buf[4096];

        buf[0] = '\0';
        json_array_foreach(set, i, it)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", json_string_value(it));
        return buf;
}

TEST(ocispec_ctr_run)
{
        struct stage0_oci_spec s;
        struct pod_err err;

        ASSERT_EQ(0, parse(ctr_run, 0, &s, &err));
        ASSERT_EQ(STAGE0_OCI_PLAIN, s.kind);
        ASSERT_STREQ("1.0.2-dev", s.oci_version);
        ASSERT_STREQ("/run/bundle/rootfs", s.rootfs);
        ASSERT_STREQ("/run/bundle/rootfs", s.app.rootfs);
        ASSERT(!s.app.image && !s.app.name);
        ASSERT(!s.rootfs_readonly && !s.app.readonly_rootfs);
        ASSERT(s.terminal);
        ASSERT_EQ(40, s.console_rows);
        ASSERT_EQ(120, s.console_cols);
        ASSERT_STREQ("tty", ann(&s.app, "coreos.com/rkt/stage2/stdin"));
        ASSERT_STREQ("tty", ann(&s.app, "coreos.com/rkt/stage2/stdout"));
        ASSERT_STREQ("tty", ann(&s.app, "coreos.com/rkt/stage2/stderr"));
        ASSERT_STREQ("40x120", ann(&s.app, ANN_TTY_SIZE));
        ASSERT_STREQ("sh", s.app.exec);
        ASSERT(s.app.args && !s.app.args[0]);
        ASSERT_STREQ("TERM=xterm", s.app.env[1]);
        ASSERT_STREQ("/", s.app.workdir);
        ASSERT_STREQ("0", s.app.user);
        ASSERT_STREQ("0", s.app.group);
        ASSERT(s.app.has_supp_gids);
        ASSERT_EQ(1, s.app.n_supp_gids);
        ASSERT_EQ(10, s.app.supp_gids[0]);
        ASSERT_STREQ("1024:1024", ann(&s.app, "podinit.io/rlimit-nofile"));
        ASSERT(json_is_true(iso(&s.app, ISO_NNP)));
        /* containerd's 14 default capabilities are appc's default set, as a retain-set. */
        ASSERT_EQ(14, json_array_size(json_object_get(iso(&s.app, ISO_CAPS_RETAIN), "set")));
        /* No seccomp profile: unconfined, as runc runs it. */
        ASSERT_STREQ("@appc.io/all", set_joined(iso(&s.app, ISO_SECCOMP_RETAIN)));
        /* The default mounts are the pod's own; /run (tmpfs) becomes an empty volume. */
        ASSERT_EQ(1, s.app.n_mounts);
        ASSERT_STREQ("/run", s.app.mounts[0].path);
        ASSERT_STREQ("empty", json_string_value(json_object_get(s.app.mounts[0].app_volume, "kind")));
        ASSERT_STREQ("0755", json_string_value(json_object_get(s.app.mounts[0].app_volume, "mode")));
        ASSERT_STREQ(s.app.mounts[0].volume, json_string_value(json_object_get(s.app.mounts[0].app_volume, "name")));
        ASSERT(warned(&s, "tmpfs at /run is an empty volume"));
        for (int t = 0; t < OCI_NS_COUNT; t++)
                ASSERT(!s.ns[t].path);
        ASSERT(s.ns[OCI_NS_NETWORK].listed && !s.netns_path);
        ASSERT(!s.ns[OCI_NS_USER].listed && !s.ns[OCI_NS_CGROUP].listed);
        ASSERT_STREQ("/default/t1", s.cgroups_path);
        /* /proc/asound is the one default masked path podinit does not mask. */
        ASSERT(warned(&s, "/proc/asound is not masked"));
        ASSERT(!warned(&s, "/proc/timer_stats"));
        ASSERT_EQ(2, s.n_warnings);
        stage0_oci_spec_done(&s);
}

TEST(ocispec_cri_sandbox)
{
        struct stage0_oci_spec s;
        struct pod_err err;

        ASSERT_EQ(0, parse(cri_sandbox, 0, &s, &err));
        ASSERT_EQ(STAGE0_OCI_SANDBOX, s.kind);
        ASSERT_STREQ("abc123", s.sandbox_id);
        ASSERT_STREQ("web-0", s.sandbox_name);
        ASSERT_STREQ("default", s.sandbox_namespace);
        ASSERT_STREQ("u-1", s.sandbox_uid);
        ASSERT_STREQ("/var/log/pods/default_web-0_u-1", s.sandbox_log_dir);
        ASSERT_EQ(6, s.n_annotations);
        ASSERT_STREQ("web-0", s.hostname);
        ASSERT(s.rootfs_readonly && s.app.readonly_rootfs);
        ASSERT(!s.terminal);
        ASSERT_STREQ("stream", ann(&s.app, "coreos.com/rkt/stage2/stdout"));
        ASSERT_STREQ("stream", ann(&s.app, "coreos.com/rkt/stage2/stderr"));
        ASSERT_STREQ("null", ann(&s.app, "coreos.com/rkt/stage2/stdin"));
        ASSERT_STREQ("/pause", s.app.exec);
        ASSERT_STREQ("65535", s.app.user);
        ASSERT_STREQ("65535", s.app.group);
        ASSERT_EQ(-998, json_integer_value(iso(&s.app, ISO_OOM_SCORE_ADJ)));
        ASSERT_EQ(2, json_integer_value(iso(&s.app, ISO_CPU_SHARES)));
        ASSERT_STREQ("/var/run/netns/cni-1234", s.netns_path);
        ASSERT_STREQ("/var/run/netns/cni-1234", s.ns[OCI_NS_NETWORK].path);
        ASSERT_STREQ("/kubepods/besteffort/podu-1/abc123", s.cgroups_path);
        /* An allow-list with SCMP_ACT_ERRNO and no errno: EPERM. */
        ASSERT_STREQ("read,write,exit,exit_group,nanosleep,pause,rt_sigaction", set_joined(iso(&s.app, ISO_SECCOMP_RETAIN)));
        ASSERT_STREQ("EPERM", json_string_value(json_object_get(iso(&s.app, ISO_SECCOMP_RETAIN), "errno")));
        ASSERT_EQ(0, s.app.n_mounts);
        /* A non-root app with effective capabilities: podinit gives it none, and says so. */
        ASSERT(warned(&s, "a non-root app holds no capabilities"));
        ASSERT(warned(&s, "/proc/asound is not masked"));
        ASSERT_EQ(2, s.n_warnings);
        stage0_oci_spec_done(&s);
}

TEST(ocispec_cri_container)
{
        struct stage0_oci_spec s;
        struct pod_err err;
        json_t *v;

        ASSERT_EQ(0, parse(cri_container, 0, &s, &err));
        ASSERT_EQ(STAGE0_OCI_CONTAINER, s.kind);
        ASSERT_STREQ("abc123", s.sandbox_id);
        ASSERT_STREQ("app", s.container_name);
        ASSERT_STREQ("docker.io/library/app:1", s.image_name);
        ASSERT_STREQ("/run/containerd/io.containerd.runtime.v2.task/k8s.io/def456/rootfs", s.rootfs);
        ASSERT_STREQ("/bin/app", s.app.exec);
        ASSERT_STREQ("--port", s.app.args[0]);
        ASSERT_STREQ("80", s.app.args[1]);
        ASSERT(!s.app.args[2]);
        ASSERT_STREQ("A=b=c", s.app.env[2]);
        ASSERT_STREQ("/srv", s.app.workdir);
        ASSERT_STREQ("1000", s.app.user);
        ASSERT_EQ(2, s.app.n_supp_gids);
        ASSERT_EQ(2000, s.app.supp_gids[1]);
        ASSERT_STREQ("1024:1048576", ann(&s.app, "podinit.io/rlimit-nofile"));
        ASSERT(json_is_false(iso(&s.app, ISO_NNP)));
        ASSERT_EQ(1000, json_integer_value(iso(&s.app, ISO_OOM_SCORE_ADJ)));
        ASSERT(warned(&s, "apparmorProfile: \"cri-containerd.apparmor.d\" is not applied"));
        /* podinit.io/ annotations become the app's. */
        ASSERT_STREQ("on-failure", ann(&s.app, "podinit.io/restart"));
        /* Resources. */
        ASSERT_STREQ("134217728", json_string_value(json_object_get(iso(&s.app, ISO_MEMORY), "limit")));
        ASSERT_EQ(512, json_integer_value(iso(&s.app, ISO_CPU_SHARES)));
        ASSERT_STREQ("500m", json_string_value(json_object_get(iso(&s.app, ISO_CPU), "limit")));
        ASSERT_STREQ("100", ann(&s.app, ANN_PIDS_MAX));
        ASSERT(warned(&s, "hugepageLimits: not applied"));
        ASSERT(!warned(&s, "memory.swap"));
        /* Namespaces: the sandbox's paths. */
        ASSERT_STREQ("/proc/4242/ns/pid", s.ns[OCI_NS_PID].path);
        ASSERT_STREQ("/proc/4242/ns/ipc", s.ns[OCI_NS_IPC].path);
        ASSERT_STREQ("/proc/4242/ns/uts", s.ns[OCI_NS_UTS].path);
        ASSERT_STREQ("/proc/4242/ns/net", s.netns_path);
        ASSERT(s.ns[OCI_NS_MOUNT].listed && !s.ns[OCI_NS_MOUNT].path);
        /* Seccomp: the allow rules (those with args allowed whatever the args), clone3's ENOSYS for all. */
        v = iso(&s.app, ISO_SECCOMP_RETAIN);
        ASSERT_STREQ("accept,read,write,exit_group,futex,mmap,personality,clone", set_joined(v));
        ASSERT_STREQ("ENOSYS", json_string_value(json_object_get(v, "errno")));
        ASSERT(warned(&s, "syscalls[1]: allowed whatever its arguments"));
        ASSERT(warned(&s, "fail with ENOSYS"));
        /* Mounts: proc, sysfs, /dev, devpts, shm, mqueue, cgroup are the pod's; binds are host volumes. */
        ASSERT_EQ(4, s.app.n_mounts);
        ASSERT_STREQ("/etc/hosts", s.app.mounts[0].path);
        v = s.app.mounts[0].app_volume;
        ASSERT_STREQ("host", json_string_value(json_object_get(v, "kind")));
        ASSERT_STREQ("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc123/hosts",
                     json_string_value(json_object_get(v, "source")));
        ASSERT(json_is_false(json_object_get(v, "readOnly")) && json_is_true(json_object_get(v, "recursive")));
        ASSERT_STREQ("/dev/termination-log", s.app.mounts[1].path);
        ASSERT_STREQ("/etc/resolv.conf", s.app.mounts[2].path);
        ASSERT(json_is_true(json_object_get(s.app.mounts[2].app_volume, "readOnly")));
        ASSERT_STREQ("/data", s.app.mounts[3].path);
        ASSERT(json_is_true(json_object_get(s.app.mounts[3].app_volume, "readOnly")));
        ASSERT(json_is_false(json_object_get(s.app.mounts[3].app_volume, "recursive")));
        for (size_t i = 0; i < s.app.n_mounts; i++)
                ASSERT(acname_valid(s.app.mounts[i].volume));
        /* apparmor, hugepages, two rules with args, ENOSYS, asound: nothing else. */
        ASSERT_EQ(6, s.n_warnings);
        stage0_oci_spec_done(&s);
}

/* The apps[] entry a CRI container becomes is one podinit's own parser accepts. */
TEST(ocispec_entry_parses_as_pod_app)
{
        struct stage0_oci_spec s;
        struct pod_err err;
        struct pod_app pa = { 0 };
        json_t *app, *entry, *isos, *mounts;

        ASSERT_EQ(0, parse(cri_container, 0, &s, &err));
        app = json_pack("{s:[s,s,s],s:s,s:s,s:s}", "exec", s.app.exec, s.app.args[0], s.app.args[1], "user", s.app.user,
                        "group", s.app.group, "workingDirectory", s.app.workdir);
        isos = json_array();
        for (size_t i = 0; i < s.app.n_isolators; i++)
                json_array_append_new(isos, json_pack("{s:s,s:O}", "name", s.app.isolators[i].name, "value",
                                                      s.app.isolators[i].value));
        json_object_set_new(app, "isolators", isos);
        mounts = json_array();
        for (size_t i = 0; i < s.app.n_mounts; i++)
                json_array_append_new(mounts, json_pack("{s:s,s:s,s:O}", "volume", s.app.mounts[i].volume, "path",
                                                        s.app.mounts[i].path, "appVolume", s.app.mounts[i].app_volume));
        entry = json_pack("{s:s,s:{s:s},s:o,s:o,s:[]}", "name", "app", "image", "name", "app", "app", app, "mounts",
                          mounts, "annotations");
        for (size_t i = 0; i < s.app.n_annotations; i++)
                json_array_append_new(json_object_get(entry, "annotations"),
                                      json_pack("{s:s,s:s}", "name", s.app.annotations[i].name, "value",
                                                s.app.annotations[i].value));
        err = (struct pod_err){ 0 };
        if (pod_app_parse(entry, "apps[0]", &pa, &err) < 0)
                FAIL_AT("pod_app_parse: %s", err.msg);
        ASSERT(pa.app.iso.has_memory);
        ASSERT_EQ(134217728, pa.app.iso.memory_limit);
        ASSERT_EQ(500, pa.app.iso.cpu_millis);
        ASSERT_EQ(100, pa.pids_max);
        ASSERT_EQ(SECCOMP_RETAIN, pa.app.iso.seccomp);
        ASSERT_EQ(38, pa.app.iso.seccomp_errno);
        ASSERT_EQ(IO_STREAM, pa.io[IO_STDOUT]);
        ASSERT_EQ(4, pa.n_mounts_spec);
        pod_app_done(&pa);
        json_decref(entry);
        stage0_oci_spec_done(&s);
}

/* A minimal valid document with one part replaced: "%s" in the template. */
#define MIN_PROCESS "'process':{'user':{'uid':0,'gid':0},'args':['/bin/true'],'cwd':'/'}"
#define MIN_LINUX_NS "[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'}]"
#define MIN(extra) "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':" MIN_LINUX_NS extra "}}"
#define MINTOP(extra) "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':" MIN_LINUX_NS "}" extra "}"
#define MINPROC(proc) "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':0,'gid':0},'args':['/bin/true'],'cwd':'/'" proc "},'linux':{'namespaces':" MIN_LINUX_NS "}}"

TEST(ocispec_refusals_name_the_field)
{
        static const struct { const char *json, *msg; } bad[] = {
                { MINTOP(",'hooks':{'prestart':[{'path':'/bin/hook'}]}"), "hooks.prestart: podinit does not run OCI hooks" },
                { MINTOP(",'hooks':{'createRuntime':[{'path':'/x'}]}"), "hooks.createRuntime" },
                { MIN(",'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]"), "linux.uidMappings: user namespaces" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},{'type':'user'}]}}",
                  "a user namespace is not supported" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'ipc'},{'type':'uts'},{'type':'mount'}]}}",
                  "(hostPID)" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'mount'}]}}",
                  "(hostIPC)" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'},{'type':'ipc'},{'type':'mount'}]}}",
                  "namespace \"pid\" is listed twice" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'mount','path':'/proc/1/ns/mnt'}]}}",
                  "joining a mount namespace" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'mount'},{'type':'net'}]}}",
                  "linux.namespaces[3].type: \"net\" is not a namespace type" },
                { MIN(",'resources':{'cpu':{'cpus':'0-1'}}"), "linux.resources.cpu.cpus: \"0-1\": podinit cannot pin" },
                { MIN(",'resources':{'cpu':{'realtimeRuntime':950000}}"), "realtimeRuntime" },
                { MIN(",'resources':{'memory':{'disableOOMKiller':true}}"), "disableOOMKiller" },
                { MIN(",'resources':{'cpu':{'shares':300000}}"), "linux.resources.cpu.shares: 300000 is out of range" },
                { MIN(",'resources':{'pids':{'limit':5000000}}"), "above podinit's limit" },
                { MIN(",'resources':{'devices':[{'allow':true,'access':'rwm'}]}"), "allowing every device" },
                { MIN(",'seccomp':{'defaultAction':'SCMP_ACT_LOG'}"), "action \"SCMP_ACT_LOG\" cannot be expressed" },
                { MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['socket'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':16,'op':'SCMP_CMP_EQ'}]}]}"),
                  "linux.seccomp.syscalls[0].args: podinit's filter cannot deny a call only for some arguments" },
                { MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','listenerPath':'/run/l.sock'}"), "listenerPath" },
                { MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['Read!'],'action':'SCMP_ACT_ALLOW'}]}"),
                  "syscalls[0].names[0]: expected a system call name" },
                { MIN(",'seccomp':{'syscalls':[]}"), "linux.seccomp.defaultAction: required" },
                { MIN(",'intelRdt':{'closID':'x'}"), "linux.intelRdt: not supported" },
                { MIN(",'timeOffsets':{'monotonic':{'secs':1}}"), "linux.timeOffsets" },
                { MIN(",'personality':{'domain':'LINUX32'}"), "linux.personality" },
                { MIN(",'rootfsPropagation':'rshared'"), "linux.rootfsPropagation: \"rshared\"" },
                { MINPROC(",'capabilities':{'bounding':['CAP_CHOWN'],'ambient':['CAP_CHOWN']}"), "process.capabilities.ambient" },
                { MINPROC(",'capabilities':{'bounding':['CAP_NOPE']}"), "process.capabilities.bounding[0]: \"CAP_NOPE\"" },
                { MINPROC(",'capabilities':{'bounding':['CAP_CHOWN'],'effective':['CAP_KILL']}"), "must be within bounding" },
                { MINPROC(",'rlimits':[{'type':'RLIMIT_BOGUS','hard':1,'soft':1}]"), "process.rlimits[0].type: \"RLIMIT_BOGUS\"" },
                { MINPROC(",'rlimits':[{'type':'RLIMIT_NOFILE','hard':1,'soft':2}]"), "process.rlimits[0]: soft 2 above hard 1" },
                { MINPROC(",'rlimits':[{'type':'RLIMIT_NOFILE','soft':2}]"), "type, hard and soft are required" },
                { MINPROC(",'oomScoreAdj':1001"), "process.oomScoreAdj: 1001 is out of range" },
                { MINPROC(",'ioPriority':{'class':'IOPRIO_CLASS_RT'}"), "process.ioPriority: podinit does not support it" },
                { MINPROC(",'scheduler':{'policy':'SCHED_FIFO'}"), "process.scheduler" },
                { MINPROC(",'env':['1BAD=x']"), "process.env[0]: \"1BAD=x\"" },
                { MINPROC(",'env':['NOEQUALS']"), "expected NAME=VALUE" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':0,'gid':0},'args':[],'cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.args: required" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':0,'gid':0},'args':['x'],'cwd':'rel'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.cwd: required, an absolute path" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'args':['x'],'cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.user: required" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'linux':{'namespaces':" MIN_LINUX_NS "}}", "process: required" },
                { "{'ociVersion':'1.1.0'," MIN_PROCESS ",'linux':{'namespaces':" MIN_LINUX_NS "}}", "root: required" },
                { "{'ociVersion':'2.0.0','root':{'path':'/r'}," MIN_PROCESS ",'linux':{}}", "ociVersion: \"2.0.0\"" },
                { "{'root':{'path':'/r'}," MIN_PROCESS ",'linux':{}}", "ociVersion: \"\"" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'}," MIN_PROCESS "}", "linux: required" },
                { MINTOP(",'windows':{'layerFolders':[]}"), "windows: podinit runs Linux containers only" },
                { MINTOP(",'mounts':[{'destination':'/mnt','type':'nfs','source':'srv:/x'}]"), "mounts[0]: type \"nfs\" at /mnt" },
                { MINTOP(",'mounts':[{'destination':'/x','type':'proc','source':'proc'}]"), "mounts[0]: proc at /x" },
                { MINTOP(",'mounts':[{'destination':'/x','type':'bind','source':'rel'}]"), "mounts[0].source: a bind mount needs an absolute host path" },
                { MINTOP(",'mounts':[{'destination':'/x','type':'bind','source':'/h','options':['rbind','rshared']}]"), "Bidirectional" },
                { MINTOP(",'mounts':[{'destination':'x','type':'bind','source':'/h'}]"), "mounts[0].destination: required, an absolute path" },
                { MINTOP(",'mounts':[{'destination':'/x','type':'tmpfs','options':['mode=abc']}]"), "expected an octal mode" },
                { MINTOP(",'mounts':[{'destination':'/x','type':'bind','source':'/h','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"), "idmapped" },
                { MINTOP(",'annotations':{'io.kubernetes.cri.container-type':'container'}"), "needs io.kubernetes.cri.sandbox-id" },
                { MINTOP(",'annotations':{'io.kubernetes.cri.container-type':'pod'}"), "expected sandbox or container" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct stage0_oci_spec s;
                struct pod_err err;
                if (parse(bad[i].json, 0, &s, &err) == 0)
                        FAIL_AT("bad[%zu] (%s) was accepted", i, bad[i].msg);
                if (!strstr(err.msg, bad[i].msg))
                        FAIL_AT("bad[%zu]: message \"%s\" should contain \"%s\"", i, err.msg, bad[i].msg);
        }
}

TEST(ocispec_wrong_types_and_malformed)
{
        static const struct { const char *json, *msg; } bad[] = {
                { "", "config.json: line" },
                { "{", "config.json: line 1" },
                { "[]", "config.json: expected an object, got a list" },
                { "{'ociVersion':1}", "ociVersion: expected a string, got an integer" },
                { "{'ociVersion':'1.0.0','ociVersion':'1.0.0'}", "duplicate" },
                { MINPROC(",'terminal':'yes'"), "process.terminal: expected true or false, got a string" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':0,'gid':0},'args':'sh','cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.args: expected a list, got a string" },
                { MINPROC(",'env':[1]"), "process.env[0]: expected a string, got an integer" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':-1,'gid':0},'args':['x'],'cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.user.uid: -1 is out of range" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':4294967296,'gid':0},'args':['x'],'cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "process.user.uid: 4294967296 is out of range" },
                { "{'ociVersion':'1.1.0','root':{'path':'/r'},'process':{'user':{'uid':0,'gid':0,'additionalGids':['x']},'args':['x'],'cwd':'/'},'linux':{'namespaces':" MIN_LINUX_NS "}}",
                  "additionalGids[0]: expected a gid" },
                { MIN(",'resources':{'memory':{'limit':'1G'}}"), "linux.resources.memory.limit: expected an integer, got a string" },
                { MIN(",'resources':{'cpu':{'quota':50000,'period':10}}"), "linux.resources.cpu.period: 10 is out of range" },
                { MIN(",'namespaces':3"), "duplicate" },
                { MINTOP(",'annotations':{'a':1}"), "annotations.a: expected a string, got an integer" },
                { MINTOP(",'annotations':[]"), "annotations: expected an object, got a list" },
                { MINTOP(",'mounts':{}"), "mounts: expected a list, got an object" },
                { MINTOP(",'mounts':[3]"), "mounts[0]: expected an object, got an integer" },
                { MINTOP(",'hooks':[]"), "hooks: expected an object" },
                { MIN(",'sysctl':{'net.ipv4.ip_forward':1}"), "linux.sysctl.net.ipv4.ip_forward: expected a string" },
                /* Past jansson's integers: the message says where. */
                { MINPROC(",'rlimits':[{'type':'RLIMIT_NOFILE','hard':18446744073709551615,'soft':1}]"), "too big" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct stage0_oci_spec s;
                struct pod_err err;
                if (parse(bad[i].json, 0, &s, &err) == 0)
                        FAIL_AT("bad[%zu] (%s) was accepted", i, bad[i].msg);
                if (!strstr(err.msg, bad[i].msg))
                        FAIL_AT("bad[%zu]: message \"%s\" should contain \"%s\"", i, err.msg, bad[i].msg);
        }
}

TEST(ocispec_unknown_fields_warn_or_refuse)
{
        static const char doc[] = "{'ociVersion':'1.1.0','root':{'path':'/r','extra':1},'future':{},"
                                  "'process':{'user':{'uid':0,'gid':0},'args':['x'],'cwd':'/','newThing':true},"
                                  "'linux':{'namespaces':" MIN_LINUX_NS ",'resources':{'memory':{'frobs':1}}}}";
        struct stage0_oci_spec s;
        struct pod_err err;

        ASSERT_EQ(0, parse(doc, 0, &s, &err));
        ASSERT(warned(&s, "future: not a field podinit knows; ignored"));
        ASSERT(warned(&s, "root.extra: not a field"));
        ASSERT(warned(&s, "process.newThing: not a field"));
        ASSERT(warned(&s, "linux.resources.memory.frobs: not a field"));
        stage0_oci_spec_done(&s);
        ASSERT(parse(doc, STAGE0_OCI_STRICT, &s, &err) < 0);
        ASSERT_CONTAINS(err.msg, "future: not a field podinit knows (strict mode refuses it; remove it)");
}

TEST(ocispec_seccomp_mappings)
{
        struct stage0_oci_spec s;
        struct pod_err err;
        json_t *v;

        /* Default ALLOW: a remove-set of the denied calls, with their errno. */
        ASSERT_EQ(0, parse(MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mount','umount2'],"
                               "'action':'SCMP_ACT_ERRNO','errnoRet':1},{'names':['ptrace'],'action':'SCMP_ACT_ERRNO','errnoRet':13},"
                               "{'names':['read'],'action':'SCMP_ACT_ALLOW'}]}"), 0, &s, &err));
        v = iso(&s.app, ISO_SECCOMP_REMOVE);
        ASSERT_STREQ("mount,umount2,ptrace", set_joined(v));
        ASSERT_STREQ("EPERM", json_string_value(json_object_get(v, "errno")));
        ASSERT(warned(&s, "errno 13 becomes 1"));
        stage0_oci_spec_done(&s);
        /* A kill rule in a deny-list: the whole set kills. */
        ASSERT_EQ(0, parse(MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mount'],"
                               "'action':'SCMP_ACT_ERRNO'},{'names':['reboot'],'action':'SCMP_ACT_KILL_PROCESS'}]}"), 0, &s, &err));
        v = iso(&s.app, ISO_SECCOMP_REMOVE);
        ASSERT(!json_object_get(v, "errno"));
        stage0_oci_spec_done(&s);
        /* Default ALLOW, nothing denied: unconfined. */
        ASSERT_EQ(0, parse(MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}"), 0, &s, &err));
        ASSERT_STREQ("@appc.io/all", set_joined(iso(&s.app, ISO_SECCOMP_RETAIN)));
        stage0_oci_spec_done(&s);
        /* Default KILL: a retain-set without errno (filtered calls kill); TRAP says it kills. */
        ASSERT_EQ(0, parse(MIN(",'seccomp':{'defaultAction':'SCMP_ACT_TRAP','syscalls':[{'names':['read','read'],'action':'SCMP_ACT_ALLOW'}]}"),
                           0, &s, &err));
        v = iso(&s.app, ISO_SECCOMP_RETAIN);
        ASSERT_STREQ("read", set_joined(v));
        ASSERT(!json_object_get(v, "errno"));
        ASSERT(warned(&s, "SCMP_ACT_TRAP kills the whole app"));
        stage0_oci_spec_done(&s);
        /* defaultErrnoRet, and nothing allowed at all: only the implicit calls. */
        ASSERT_EQ(0, parse(MIN(",'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38}"), 0, &s, &err));
        v = iso(&s.app, ISO_SECCOMP_RETAIN);
        ASSERT_STREQ("@appc.io/empty", set_joined(v));
        ASSERT_STREQ("ENOSYS", json_string_value(json_object_get(v, "errno")));
        stage0_oci_spec_done(&s);
}

TEST(ocispec_huge_values_and_limits)
{
        struct stage0_oci_spec s;
        struct pod_err err;
        char *big, *p;
        size_t n = STAGE0_OCI_MAX_BYTES + 16;

        /* The size limit comes before any parsing. */
        big = xmalloc(n);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        ASSERT(stage0_oci_spec_parse(big, n, NULL, 0, &s, &err) < 0);
        ASSERT_CONTAINS(err.msg, "larger than podinit's limit");
        free(big);
        /* 5000 arguments: past POD_MAX_ARGS. */
        big = xmalloc(64 * 1024);
        p = big + sprintf(big, "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"args\":[");
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, "%s\"a\"", i ? "," : "");
        sprintf(p, "]},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"mount\"}]}}");
        ASSERT(stage0_oci_spec_parse(big, strlen(big), NULL, 0, &s, &err) < 0);
        ASSERT_CONTAINS(err.msg, "process.args: 5000 entries, more than podinit's limit of 4096");
        free(big);
        /* Huge but valid resources: the quota in millicores, the memory as given. */
        ASSERT_EQ(0, parse(MIN(",'resources':{'memory':{'limit':9223372036854775807},'cpu':{'quota':9223372036854775,'period':1000000}}"),
                           0, &s, &err));
        ASSERT_STREQ("9223372036854775807", json_string_value(json_object_get(iso(&s.app, ISO_MEMORY), "limit")));
        ASSERT_STREQ("9223372036855m", json_string_value(json_object_get(iso(&s.app, ISO_CPU), "limit")));
        ASSERT(warned(&s, "cpu.period: 1000000"));
        stage0_oci_spec_done(&s);
        /* A seccomp allow-list past podinit's set size. */
        big = xmalloc(64 * 1024);
        p = big + sprintf(big, "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"args\":[\"x\"]},"
                               "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"mount\"}],\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[");
        for (int i = 0; i < 600; i++)
                p += sprintf(p, "%s\"call_%d\"", i ? "," : "", i);
        sprintf(p, "]}]}}}");
        ASSERT(stage0_oci_spec_parse(big, strlen(big), NULL, 0, &s, &err) < 0);
        ASSERT_CONTAINS(err.msg, "past podinit's limit of 4095");
        free(big);
}

TEST(ocispec_load_from_bundle)
{
        struct stage0_oci_spec s;
        struct pod_err err = { 0 };
        char path[4096];
        const char *j = J(ctr_run);
        FILE *f;
        int fd;

        snprintf(path, sizeof(path), "%s/config.json", test_tmpdir());
        fd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT(stage0_oci_spec_load(fd, test_tmpdir(), 0, &s, &err) < 0);
        ASSERT_CONTAINS(err.msg, "config.json: No such file or directory");
        f = fopen(path, "we");
        ASSERT(f);
        fputs(j, f);
        fclose(f);
        ASSERT_EQ(0, stage0_oci_spec_load(fd, test_tmpdir(), 0, &s, &err));
        snprintf(path, sizeof(path), "%s/rootfs", test_tmpdir());
        ASSERT_STREQ(path, s.rootfs);
        stage0_oci_spec_done(&s);
        close(fd);
}

/*
 * The whole path a shim takes for a CRI container: the spec, then
 * stage0_app_unpack of an app with no image into a pod directory (nothing
 * mounted: the rootfs is bound later), then podinit's own parser.
 */
TEST(ocispec_unpacked_as_app_of_a_pod)
{
        struct stage0_oci_spec s;
        struct pod_err err = { 0 };
        struct pod_app pa = { 0 };
        char pod[4096], p[4200], *src = NULL;
        size_t len;
        json_t *entry = NULL;
        int podfd;

        snprintf(pod, sizeof(pod), "%s/pod", test_tmpdir());
        snprintf(p, sizeof(p), "%s/stage1/rootfs/opt/stage2", pod);
        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, p, 0755));
        ASSERT_EQ(0, parse(cri_container, 0, &s, &err));
        s.app.name = xstrdup("app");
        s.app.image = xstrdup(s.image_name);
        if (stage0_app_unpack(NULL, pod, &s.app, &entry, &err) < 0)
                FAIL_AT("stage0_app_unpack: %s", err.msg);
        if (pod_app_parse(entry, "apps[0]", &pa, &err) < 0)
                FAIL_AT("pod_app_parse: %s", err.msg);
        ASSERT_STREQ("docker.io/library/app:1", pa.image_name);
        ASSERT_STREQ("/bin/app", pa.app.exec[0]);
        ASSERT_STREQ("80", pa.app.exec[2]);
        ASSERT(!pa.app.exec[3]);
        ASSERT_STREQ("/srv", pa.app.workdir);
        ASSERT_STREQ("1000", pa.app.user);
        ASSERT_EQ(2, pa.app.n_supp_gids);
        ASSERT_EQ(1000, pa.app.supp_gids[0]);
        ASSERT_EQ(3, pa.app.n_env);
        ASSERT_STREQ("b=c", kv_get(pa.app.env, pa.app.n_env, "A"));
        ASSERT_EQ(4, pa.n_mounts_spec);
        ASSERT(pa.app.iso.has_retain);
        /* The rootfs directory is the empty mount point; rootfs-source names the bundle's. */
        podfd = open(pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(podfd >= 0);
        ASSERT_EQ(0, read_file_at(podfd, "stage1/rootfs/opt/stage2/app/rootfs-source", 4096, &src, &len));
        ASSERT_STREQ(s.rootfs, src);
        snprintf(p, sizeof(p), "%s/stage1/rootfs/opt/stage2/app/rootfs", pod);
        ASSERT_EQ(0, rmdir(p));         /* it was there, and empty */
        ASSERT_EQ(0, mkdir(p, 0755));
        /* The same name again is refused; discarding removes the app's directory. */
        json_decref(entry);
        entry = NULL;
        ASSERT(stage0_app_unpack(NULL, pod, &s.app, &entry, &err) < 0);
        ASSERT_CONTAINS(err.msg, "two apps are named \"app\"");
        ASSERT_EQ(0, stage0_app_discard(podfd, "app"));
        snprintf(p, sizeof(p), "%s/stage1/rootfs/opt/stage2/app", pod);
        ASSERT(access(p, F_OK) < 0);
        /* With no name or no exec: refused by name. */
        free(s.app.name);
        s.app.name = NULL;
        ASSERT(stage0_app_unpack(NULL, pod, &s.app, &entry, &err) < 0);
        ASSERT_CONTAINS(err.msg, "needs a valid --name");
        close(podfd);
        free(src);
        pod_app_done(&pa);
        stage0_oci_spec_done(&s);
}

/*
 * A CRI container's volumes mounted inside its rootfs on the host
 * (stage0_rootfs_mount_volumes), in a mount namespace of the test's own:
 * binds (read-only where asked), a tmpfs, a target created through a
 * symlink that points outside the rootfs (it stays inside), outer targets
 * first.
 */
TEST(ocispec_rootfs_mount_volumes)
{
        struct stage0_oci_spec s;
        struct pod_err err = { 0 };
        char root[4096], src[4096], p[8300], doc[16384];
        struct stat st;
        FILE *f;

        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                fprintf(stderr, "  skipped: needs root and a mount namespace\n");
                return;
        }
        snprintf(root, sizeof(root), "%s/rootfs", test_tmpdir());
        snprintf(src, sizeof(src), "%s/src", test_tmpdir());
        snprintf(p, sizeof(p), "%s/etc", root);
        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, p, 0755));
        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, src, 0755));
        snprintf(p, sizeof(p), "%s/hosts", src);
        f = fopen(p, "we");
        fputs("10.0.0.1 web-0\n", f);
        fclose(f);
        snprintf(p, sizeof(p), "%s/data", src);
        ASSERT_EQ(0, mkdir(p, 0755));
        /* /link -> /elsewhere: absolute, meant to escape; resolved inside the root it is <root>/elsewhere. */
        snprintf(p, sizeof(p), "%s/link", root);
        ASSERT_EQ(0, symlink("/elsewhere", p));
        snprintf(doc, sizeof(doc),
                 "{'ociVersion':'1.1.0','root':{'path':'%s'}," MIN_PROCESS ",'mounts':["
                 "{'destination':'/data/cache','type':'tmpfs','options':['mode=1777']},"
                 "{'destination':'/etc/hosts','type':'bind','source':'%s/hosts','options':['rbind','ro']},"
                 "{'destination':'/data','type':'bind','source':'%s/data','options':['rbind','rw']},"
                 "{'destination':'/link/x','type':'bind','source':'%s/data','options':['bind']},"
                 "{'destination':'/proc','type':'proc','source':'proc'}],"
                 "'linux':{'namespaces':" MIN_LINUX_NS "}}", root, src, src, src);
        ASSERT_EQ(0, parse(doc, 0, &s, &err));
        ASSERT_EQ(4, s.app.n_mounts);
        if (stage0_rootfs_mount_volumes(&s.app, &err) < 0)
                FAIL_AT("stage0_rootfs_mount_volumes: %s", err.msg);
        ASSERT_EQ(0, s.app.n_mounts);
        /* The bind: its content, read-only. */
        snprintf(p, sizeof(p), "%s/etc/hosts", root);
        f = fopen(p, "re");
        ASSERT(f);
        ASSERT(fgets(doc, sizeof(doc), f));
        ASSERT_STREQ("10.0.0.1 web-0\n", doc);
        fclose(f);
        ASSERT(open(p, O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
        /* /data first, then the tmpfs inside it (outer targets first): its directory was made in the source. */
        snprintf(p, sizeof(p), "%s/data/cache", root);
        ASSERT_EQ(0, stat(p, &st));
        ASSERT_EQ(01777, st.st_mode & 07777);
        snprintf(p, sizeof(p), "%s/data/cache", src);
        ASSERT_EQ(0, stat(p, &st));
        /* Through the symlink: inside the root. */
        snprintf(p, sizeof(p), "%s/elsewhere/x/cache", root);
        ASSERT_EQ(0, stat(p, &st));
        ASSERT(access("/elsewhere", F_OK) < 0);
        stage0_oci_spec_done(&s);
}

/*
 * stage0_rootfs_share's promise, with a process standing in for the pod: it
 * takes its mount namespace after the share (as the launcher's clone does)
 * and makes everything a slave (as the launcher does); a directory the host
 * side then attaches at an app's place is visible to it, and its own mounts
 * do not come back.  Unshared, the same attach stays invisible to it.
 */
static void share_case(bool share)
{
        char pod[4096], place[8300], src[4096], p[8400];
        int to_pod[2], to_host[2];
        struct pod_err err = { 0 };
        char c;
        pid_t pid;
        int st;

        snprintf(pod, sizeof(pod), "%s/pod-%d", test_tmpdir(), share);
        snprintf(src, sizeof(src), "%s/src-%d", test_tmpdir(), share);
        snprintf(place, sizeof(place), "%s/stage1/rootfs/opt/stage2/app/rootfs", pod);
        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, place, 0755));
        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, src, 0755));
        snprintf(p, sizeof(p), "%s/marker", src);
        ASSERT_EQ(0, write_file_atomic(AT_FDCWD, p, "x", 1, 0644, 0));
        if (share) {
                if (stage0_rootfs_share(pod, &err) < 0)
                        FAIL_AT("stage0_rootfs_share: %s", err.msg);
                ASSERT_EQ(1, stage0_rootfs_propagates(pod));
                ASSERT_EQ(0, stage0_rootfs_share(pod, &err));   /* idempotent */
        } else {
                ASSERT_EQ(0, stage0_rootfs_propagates(pod));
        }
        ASSERT_EQ(0, pipe2(to_pod, O_CLOEXEC));
        ASSERT_EQ(0, pipe2(to_host, O_CLOEXEC));
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                char q[8400];
                bool seen;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                        _exit(10);
                (void)!write(to_host[1], "r", 1);
                if (read(to_pod[0], &c, 1) != 1)
                        _exit(11);
                snprintf(q, sizeof(q), "%s/marker", place);
                seen = access(q, F_OK) == 0;
                /* A mount the pod makes there stays in the pod. */
                snprintf(q, sizeof(q), "%s/stage1/rootfs/opt/stage2", pod);
                if (mkdir_p_at(AT_FDCWD, strcat(q, "/pods-own"), 0755) < 0 || mount("tmpfs", q, "tmpfs", 0, NULL) < 0)
                        _exit(12);
                (void)!write(to_host[1], "m", 1);
                _exit(seen ? 0 : 1);
        }
        ASSERT_EQ(1, read(to_host[0], &c, 1));
        if (stage0_rootfs_attach(pod, "app", src, &err) < 0)
                FAIL_AT("stage0_rootfs_attach: %s", err.msg);
        ASSERT_EQ(1, stage0_is_mount_point(AT_FDCWD, place));
        (void)!write(to_pod[1], "g", 1);
        ASSERT_EQ(1, read(to_host[0], &c, 1));
        ASSERT_EQ(pid, waitpid(pid, &st, 0));
        ASSERT(WIFEXITED(st));
        ASSERT_EQ(share ? 0 : 1, WEXITSTATUS(st));
        snprintf(p, sizeof(p), "%s/stage1/rootfs/opt/stage2/pods-own", pod);
        ASSERT_EQ(0, stage0_is_mount_point(AT_FDCWD, p));
        /* Detached on the host; the caller's files stay. */
        {
                int podfd = open(pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_EQ(0, stage0_rootfs_detach(podfd, "app"));
                ASSERT_EQ(0, stage0_rootfs_detach(podfd, "app"));
                ASSERT_EQ(0, stage0_is_mount_point(AT_FDCWD, place));
                close(podfd);
        }
        snprintf(p, sizeof(p), "%s/marker", src);
        ASSERT_EQ(0, access(p, F_OK));
        ASSERT_EQ(0, stage0_rootfs_unshare(pod, &err));
        ASSERT_EQ(0, stage0_rootfs_propagates(pod));
}

TEST(ocispec_rootfs_share_reaches_a_running_pod)
{
        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                fprintf(stderr, "  skipped: needs root and a mount namespace\n");
                return;
        }
        share_case(true);
        share_case(false);
}
