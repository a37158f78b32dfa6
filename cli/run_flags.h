/*
 * podctl run's command line (cli/run_flags.c): pod flags, then one or more
 * IMAGE [APP FLAGS] [-- ARG...] separated by "---", as rkt run takes them.
 * Parsed, checked as far as they can be before a pod exists (exit 2), then
 * turned into stage0's description of the pod.  Shared by `run`, `app
 * sandbox` (run --mutable) and `app add` (one image, app flags only).
 */
#ifndef POD_CLI_RUN_FLAGS_H
#define POD_CLI_RUN_FLAGS_H

#include <stdbool.h>
#include <jansson.h>

#include "common/manifest.h"
#include "common/util.h"
#include "stage0/prepare.h"

struct app_args {
        const char *image;
        const char *name, *exec, *user, *group;
        const char *io[IO_STREAMS];     /* --stdin/--stdout/--stderr */
        char **set_env;
        bool log_attached;
        const char *log[9];     /* --log-*: values of the log_flags annotations */
        const char *caps_retain, *caps_remove;
        char *log_path_abs;     /* a relative --log-path made absolute (log[0] points to it) */
        const char *seccomp;    /* --seccomp */
        char **mounts;          /* --mount=volume=NAME,target=PATH */
        bool readonly_rootfs;   /* --readonly-rootfs */
        const char *rootfs;     /* --rootfs=DIR: no image, DIR is the app's root (stage0/rootfs.h) */
        const char *memory, *cpu, *cpu_shares, *pids_max;       /* --memory, --cpu, --cpu-shares, --pids-max */
        char **rlimits;         /* --rlimit=NAME=SOFT[:HARD] */
        const char *pol[16];    /* supervision flags: values of the policy_flags annotations */
        char **args;            /* after "--"; NULL if none given */
        bool has_args;
};

struct run_args {
        bool detach, interactive;
        const char *start_grace;        /* -d: --start-grace */
        unsigned grace_ms;              /* its value, or the default */
        bool mutable_pod;       /* --mutable (podctl app sandbox): apps are added and removed later */
        bool no_overlay;        /* --no-overlay: store images are copied into the pod */
        const char *uuid_file, *net, *hostname, *stop_timeout, *pod_manifest, *console_format, *exit_policy;
        char **volumes;         /* --volume=NAME,kind=...,... */
        json_t *volumes_json;   /* the same, as the manifest's "volumes" */
        /* Networking (cli/run_net.c): --port, --net-*, --dns* */
        char **ports;           /* --port=... */
        json_t *ports_json;     /* the same, as the manifest's "ports" */
        const char *net_config_dir, *net_plugin_dir, *net_timeout;
        const char *netns;      /* --netns=PATH: join that network namespace (instead of --net) */
        char **dns, **dns_search, **dns_opt;
        const char *dns_domain;
        char *resolv_conf;      /* from the --dns* flags, or NULL */
        const char *dns_mode;   /* podinit's --dns-conf-mode, or NULL */
        const char *owner;      /* --owner=USER|UID: who besides root may control the pod (docs/security.md) */
        uid_t owner_uid;        /* its uid on the host, or POD_NO_OWNER (set by check_run_args) */
        struct app_args *apps;
        size_t n_apps;
};

/* argv[0] is the verb; the strings stay argv's.  Messages name the flag. */
int parse_run_args(int argc, char **argv, struct run_args *ra, struct pod_err *err);
/* Every flag that can be checked before the pod exists (exit 2 in podctl run and app add). */
int check_run_args(struct run_args *ra, struct pod_err *err);
/* The networking flags (part of check_run_args). */
int check_net_args(struct run_args *ra, struct pod_err *err);
/* Does the app have flags of its own (which --pod-manifest does not take)? */
bool app_args_any(const struct app_args *a);
void run_args_done(struct run_args *ra);

/* The checked flags as stage0 takes them: one app, and the whole pod. */
int run_args_to_app(const struct run_args *ra, const struct app_args *a, struct stage0_app *ret,
                    struct pod_err *err);
int run_args_to_pod(const struct run_args *ra, struct stage0_pod *ret, struct pod_err *err);

#endif
