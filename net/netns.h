/*
 * The pod's network namespace, made before PID 1 and bound to a file in the
 * pod directory, so that it outlives PID 1 and the launcher: CNI's DEL must
 * run in it (ptp finds the addresses whose masquerade rules it removes
 * there), on stop, after a crash, or at gc.
 */
#ifndef POD_NET_NETNS_H
#define POD_NET_NETNS_H

/* Create a namespace bound at path (an empty file is made there; an old
 * binding is replaced); *ret_fd is an O_CLOEXEC fd of it for setns(). */
int netns_create(const char *path, int *ret_fd);
/* Unbind and remove path; a file that is not bound, or is gone, is fine. */
int netns_remove(const char *path);
/* Whether path is a namespace binding (an nsfs mount). */
int netns_is_bound(const char *path);

#endif
