/*
 * podinit: one binary, every stage1 entrypoint.  Started as the `run`
 * entrypoint (by `podctl run` or rkt's stage0; any name but the ones below)
 * it is the launcher, and the launcher's clone() child continues in the same
 * image as the pod's PID 1 (no re-exec).  Started under the name of another
 * entrypoint (enter, gc, stop, app_add, app_start, app_stop, app_rm, attach:
 * symlinks in the stage1 image) it is that entrypoint (stage1/entry.h).
 */
#include "init/launcher.h"
#include "stage1/entry.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        if (argc == 2 && !strcmp(argv[1], "--version")) {
                printf("podinit %s\n", POD_VERSION);
                return 0;
        }
        s1_entry_fn entry = stage1_entrypoint(argv[0]);

        if (entry)
                return entry(argc, argv);
        return launcher_main(argc, argv);
}
