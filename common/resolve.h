/*
 * From a parsed pod manifest to what each app mounts (common/resolve.c).
 */
#ifndef POD_COMMON_RESOLVE_H
#define POD_COMMON_RESOLVE_H

#include "common/util.h"

struct pod_manifest;

/*
 * Every app's list of mounts (apps[].mounts first, then mount points not
 * covered, from the pod volume of the same name or an implicit empty
 * volume "<app>-<name>"), replacing any earlier result, sorted outer
 * targets first (the order they are mounted in: /data before /data/sub).  The apps must
 * have their app section (the image's taken where the pod gives none).
 * Warnings (implicit volumes) go to podinit's log.
 */
int volumes_resolve(struct pod_manifest *m, struct pod_err *err);

#endif
