/*
 * podinit: one binary, two roles.  Started as the `run` entrypoint (by
 * `podctl run` or rkt's stage0) it is the launcher; the launcher's clone()
 * child continues in the same image as the pod's PID 1 (no re-exec).
 */
#include "init/launcher.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        if (argc == 2 && !strcmp(argv[1], "--version")) {
                printf("podinit %s\n", POD_VERSION);
                return 0;
        }
        return launcher_main(argc, argv);
}
