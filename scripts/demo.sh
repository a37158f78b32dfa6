#!/usr/bin/env bash
# The README's demo: a real multi-app pod from a rootfs built from Debian's
# busybox-static, shown with podctl list/status/logs/events/exec, then stopped
# and collected.
# usage: scripts/demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (podinit creates namespaces and mounts)" >&2; exit 1; }

work=${DEMO_DIR:-/tmp/podinit-demo}
rm -rf "$work"
mkdir -p "$work"
podctl() { "$build/podctl" --dir="$work/state" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Building an image from Debian's busybox-static"
"$src/tests/lib/mkrootfs.sh" "$work/busybox" --probe "$build/tests/probe" --name example.com/busybox >/dev/null
"$src/tests/lib/mkaci.sh" "$work/busybox" "$work/busybox.aci" --gzip
ls -l "$work/busybox.aci"

say "The same rootfs as an OCI image made offline with umoci, imported into podctl's image store"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:latest"
umoci unpack --image "$work/oci:latest" "$work/bundle" >/dev/null
cp -a "$work/busybox/rootfs/." "$work/bundle/rootfs/"
umoci repack --image "$work/oci:latest" "$work/bundle"
umoci config --image "$work/oci:latest" --config.user=app --config.workingdir=/tmp \
  --config.entrypoint=/bin/sh --config.cmd=-c --config.cmd='echo "OCI image, running as $(id -un)"'
rm -rf "$work/bundle"
podctl image import "$work/oci:latest" --name=busybox-oci
podctl image list

say "A one-shot pod in the foreground, with no network (--net=none): podctl run --net=none busybox.aci --exec=/bin/sh -- -c '...'"
podctl run --net=none "$work/busybox.aci" --name=hello --exec=/bin/sh -- \
  -c 'echo "hello from $AC_APP_NAME, pid $$ in pod $(hostname)"; exit 3' || echo "(pod exit code: $?)"

say "A three-app pod, detached, on the default CNI network with host port 127.0.0.1:18080 forwarded to its port 8080: a web server (the ACI), a ticker started after it (the OCI image, on an overlay), and a flaky job restarted on failure"
uuid=$(podctl run -d --hostname=demo --port=127.0.0.1:18080:8080 "$work/busybox.aci" --name=web --exec=/bin/httpd -- -f -p 8080 -h /etc \
       --- busybox-oci --name=ticker --after=web -- -c \
       'while true; do echo "tick $(date +%T) as $(id -un), in $(pwd)"; sleep 1; done' \
       --- "$work/busybox.aci" --name=flaky --restart=on-failure --restart-backoff=200ms --restart-max=3 \
       --essential=false --exec=/bin/sh -- -c 'echo "flaky: trying"; sleep 0.2; exit 1')
echo "pod $uuid is ready"
sleep 2

say "podctl list"
podctl list
say "podctl status ${uuid:0:8}"
podctl status "${uuid:0:8}"
say "The ticker's log so far: podctl logs --tail=3 --timestamps --app=ticker ${uuid:0:8}"
podctl logs --tail=3 --timestamps --app=ticker "${uuid:0:8}"
say "podctl status --json (first lines)"
podctl status --json "$uuid" | sed -n "1,12p"     # sed reads it all: no SIGPIPE for podctl
say "The flaky job's lifecycle: podctl events --no-follow ${uuid:0:8} | grep flaky"
podctl events --no-follow "${uuid:0:8}" | grep flaky || true
say "A command in the web app's context: podctl exec --app=web ${uuid:0:8} -- wget -qO- http://127.0.0.1:8080/passwd"
podctl exec --app=web "${uuid:0:8}" -- wget -qO- http://127.0.0.1:8080/passwd || echo "(exec exit code: $?)"

ip=$(podctl status --json "$uuid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"][0]["ip"])')
say "The pod serves on its own IP ($ip, from the ptp plugin): curl http://$ip:8080/passwd"
curl -sS --max-time 5 "http://$ip:8080/passwd" | head -n 2
say "And through the forwarded host port (the portmap plugin): curl http://127.0.0.1:18080/passwd"
curl -sS --max-time 5 "http://127.0.0.1:18080/passwd" | head -n 2

say "podctl stop ${uuid:0:8} (the launcher then runs CNI DEL: the veth, the address and the iptables rules go)"
time podctl stop "${uuid:0:8}"
podctl status "$uuid"
say "rkt-compatible status files"
for f in "$work/state/pods/run/$uuid/stage1/rootfs/rkt/status/"*; do echo "$(basename "$f"): $(cat "$f")"; done

say "podctl gc"
podctl gc
podctl list
say "The image store: podctl image rm busybox-oci, podctl image gc"
podctl image rm busybox-oci
podctl image gc
