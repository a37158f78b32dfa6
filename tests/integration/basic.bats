#!/usr/bin/env bats
# Basic pod behaviour: output, exit codes, PID 1, hostname, network,
# environment, users, image formats and argument passing.

load helpers

setup_file() {
    build_images
    # A variant of the image whose manifest sets environment variables.
    ENVIMG=$BATS_FILE_TMPDIR/envimg
    cp -a "$IMG" "$ENVIMG"
    "$PYTHON" - "$ENVIMG/manifest" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["app"]["environment"] = [{"name": "FOO", "value": "from-image"},
                           {"name": "BAR", "value": "image-bar"}]
json.dump(m, open(sys.argv[1], "w"))
EOF
    # The same image as an uncompressed .aci.
    PLAINACI=$BATS_FILE_TMPDIR/plain.aci
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" "$IMG" "$PLAINACI"
    # A second image, with another name and a marker file, for pod manifests.
    OTHERIMG=$BATS_FILE_TMPDIR/otherimg
    cp -a "$IMG" "$OTHERIMG"
    echo "i am the other image" >"$OTHERIMG/rootfs/marker"
    "$PYTHON" - "$OTHERIMG/manifest" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["name"] = "example.com/other"
m["app"]["exec"] = ["/bin/cat", "/marker"]
json.dump(m, open(sys.argv[1], "w"))
EOF
    export ENVIMG PLAINACI OTHERIMG
}

setup() { pod_setup; }
teardown() { pod_teardown; }

@test "one-app pod prints hello and exits 0" {
    run pc run "$IMG" --exec=/probe -- print hello
    assert_status 0
    assert_output_is "hello"
    only_pod
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
    assert_eq "$(app_status_file busybox)" 0 "rkt status file"
}

@test "the image's own exec runs when no --exec is given" {
    run pc run "$IMG"
    assert_status 0
    assert_output_is "hello from busybox"
}

@test "multi-app pod: three apps all run and the pod exits 0" {
    run pc run "$IMG" --name=first --exec=/probe -- print one \
        --- "$IMG" --name=second --exec=/probe -- print two \
        --- "$IMG" --name=third --exec=/bin/sh -- -c 'echo three; echo "app=$AC_APP_NAME"'
    assert_status 0
    assert_line "one"
    assert_line "two"
    assert_line "three"
    assert_line "app=third"
    [ "${#lines[@]}" -eq 4 ] || { _dump_run; fail "expected exactly 4 lines"; }
    only_pod
    local a
    for a in first second third; do
        assert_eq "$(app_status_file "$a")" 0 "status file of $a"
    done
    assert_eq "$(pod_field "$UUID" apps.2.name)" third "third app's name"
    assert_eq "$(pod_field "$UUID" apps.2.exitCode)" 0 "third app's exit code"
    # Started in manifest order: PIDs 2, 3, 4.
    assert_eq "$(pod_field "$UUID" apps.0.pid)" 2 "first app's pid"
    assert_eq "$(pod_field "$UUID" apps.1.pid)" 3 "second app's pid"
    assert_eq "$(pod_field "$UUID" apps.2.pid)" 4 "third app's pid"
}

@test "an app exiting 0 does not stop the others; the pod ends with the last app" {
    local t0 t1
    t0=$(now_ms)
    run pc run "$IMG" --name=quick --exec=/probe -- exit 0 \
        --- "$IMG" --name=slow --exec=/bin/sh -- -c 'sleep 1; echo slow-done'
    t1=$(now_ms)
    assert_status 0
    assert_output_is "slow-done"
    assert_ge $((t1 - t0)) 900 "pod run time (ms)"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.1.stoppedByPod)" false "slow app stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 0 "slow app exitCode"
    assert_eq "$(app_status_file quick)" 0 "quick's status file"
    assert_eq "$(app_status_file slow)" 0 "slow's status file"
}

@test "foreground: app stdout goes to podctl's stdout, stderr to its stderr" {
    pc run "$IMG" --exec=/bin/sh -- -c 'echo to-out; echo to-err >&2; exit 4' \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
    assert_eq "${status-0}" 4 "exit status"
    assert_eq "$(cat "$BATS_TEST_TMPDIR/out")" "to-out" "stdout"
    assert_eq "$(cat "$BATS_TEST_TMPDIR/err")" "to-err" "stderr"
}

@test "foreground: 5 MB of app output arrive intact" {
    pc run "$IMG" --exec=/probe -- flood 5000000 >"$BATS_TEST_TMPDIR/out"
    assert_eq "$(stat -c %s "$BATS_TEST_TMPDIR/out")" 5000000 "bytes received"
    assert_eq "$(tr -d 'x\n' <"$BATS_TEST_TMPDIR/out" | wc -c)" 0 "unexpected bytes"
}

@test "detached: only the UUID on stdout, app output in the log (not console.log)" {
    local out=$BATS_TEST_TMPDIR/d.out err=$BATS_TEST_TMPDIR/d.err
    pc run -d "$IMG" --exec=/bin/sh -- -c 'echo detached-out; echo detached-err >&2; exec /probe sleep 60' \
        >"$out" 2>"$err" || fail "run -d failed: $(cat "$err")"
    UUID=$(cat "$out")
    [[ $UUID =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
        fail "stdout of run -d is not just a UUID: [$(cat "$out")]"
    POD=$D/pods/run/$UUID
    [ -d "$POD" ] || fail "no pod dir for $UUID"
    is_ready || fail "pod not ready when run -d returned"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "app state"
    wait_until 5 grep -q detached-err "$POD/stage1/rootfs/rkt/logs/busybox.log" || fail "no app stderr in the log"
    assert_eq "$(pc logs "$UUID" 2>&1 >/dev/null)" detached-err "podctl logs: stderr"
    assert_eq "$(pc logs "$UUID" 2>/dev/null)" detached-out "podctl logs: stdout"
    ! grep -q detached "$POD/console.log" || fail "app output copied into console.log: $(cat "$POD/console.log")"
}

@test "list: table with a header, and --json with status documents" {
    run pc run "$IMG" --exec=/probe -- exit 3
    assert_status 3
    local exited
    exited=$(basename "$D"/pods/run/*)
    run_detached "$IMG" --name=web --exec=/probe -- sleep 60
    run pc list
    assert_status 0
    [[ $(echo "${lines[0]}" | tr -s ' ') == "UUID STATE EXIT STARTED NETWORKS APPS" ]] ||
        { _dump_run; fail "unexpected list header"; }
    [[ $(echo "$output" | grep "^$exited" | tr -s ' ') == "$exited exited 3 "*" busybox" ]] ||
        { _dump_run; fail "bad row for the exited pod"; }
    [[ $(echo "$output" | grep "^$UUID" | tr -s ' ') == "$UUID running - "*" web" ]] ||
        { _dump_run; fail "bad row for the running pod"; }
    run pc list --json
    assert_status 0
    printf '%s' "$output" | "$PYTHON" -c '
import json, sys
pods = {p["uuid"]: p for p in json.load(sys.stdin)}
e, r = pods[sys.argv[1]], pods[sys.argv[2]]
assert e["state"] == "exited", e
assert e["exitCode"] == 3, e
assert [a["name"] for a in e["apps"]] == ["busybox"], e
assert r["state"] == "running", r
assert "exitCode" not in r, r
assert [a["name"] for a in r["apps"]] == ["web"], r
assert r["apps"][0]["state"] == "ready", r
' "$exited" "$UUID" || { _dump_run; fail "list --json content is wrong"; }
}

@test "status document of an exited pod has the documented fields" {
    run pc run --stop-timeout=3s "$IMG" --name=ok --exec=/probe -- sleep 30 \
        --- "$IMG" --name=bad --exec=/bin/sh -- -c 'sleep 0.2; exit 9'
    assert_status 9
    only_pod
    run pc status --json "$UUID"
    assert_status 0
    printf '%s' "$output" | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
def need(obj, keys, what):
    missing = [k for k in keys if k not in obj]
    assert not missing, "%s lacks %s: %s" % (what, missing, json.dumps(obj))
need(st, ["version", "uuid", "state", "startedAt", "readyAt", "exitedAt", "exitCode",
          "exitReason", "orphansReaped", "stopTimeoutMs", "clients", "apps"], "pod")
assert st["version"] == 1 and st["uuid"] == sys.argv[1], st
assert st["state"] == "exited" and st["exitCode"] == 9, st
assert st["stopTimeoutMs"] == 3000, st
assert "bad" in st["exitReason"], st
ok, bad = st["apps"]
for a in (ok, bad):
    need(a, ["name", "state", "pid", "startedAt", "execAt", "exitedAt", "shellCode",
             "rktStatus", "stoppedByPod", "restarts"], "app " + a.get("name", "?"))
    assert a["state"] == "exited", a
assert bad["exitCode"] == 9 and bad["shellCode"] == 9 and bad["rktStatus"] == 9, bad
assert bad["stoppedByPod"] is False and "signal" not in bad and "error" not in bad, bad
assert ok["signal"] == 15 and ok["signalName"] == "TERM" and ok["shellCode"] == 143, ok
assert ok["rktStatus"] == 0 and ok["stoppedByPod"] is True and "exitCode" not in ok, ok
' "$UUID" || { _dump_run; fail "status document is wrong"; }
    # The same document is on disk, and the pod dir has the rkt layout.
    [ -s "$POD/stage1/rootfs/rkt/podinit/pod.json" ] || fail "no pod.json"
    assert_eq "$(jget exitCode <"$POD/stage1/rootfs/rkt/podinit/pod.json")" 9 "pod.json exitCode"
    local f
    for f in pod pid pod-created; do
        [ -f "$POD/$f" ] || fail "pod dir lacks $f"
    done
    assert_eq "$(jget acKind <"$POD/pod")" PodManifest "pod manifest acKind"
}

@test "app exit codes 0, 1, 2 and 42 become the pod's exit code" {
    local code
    for code in 0 1 2 42; do
        D=$BATS_TEST_TMPDIR/state-$code
        run pc run "$IMG" --exec=/probe -- exit "$code"
        assert_status "$code"
        only_pod
        assert_eq "$(app_status_file busybox)" "$code" "status file for exit $code"
        assert_eq "$(pod_field "$UUID" exitCode)" "$code" "JSON exitCode for exit $code"
        assert_eq "$(pod_field "$UUID" apps.0.exitCode)" "$code" "JSON app exitCode for exit $code"
        assert_eq "$(pod_field "$UUID" apps.0.shellCode)" "$code" "JSON shellCode for exit $code"
    done
}

@test "app killed by SIGTERM: pod exits 143, status file holds 15" {
    run pc run "$IMG" --exec=/probe -- kill-self TERM
    assert_status 143
    only_pod
    assert_eq "$(app_status_file busybox)" 15 "status file"
    assert_eq "$(pod_field "$UUID" exitCode)" 143 "JSON exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 15 "JSON signal"
    assert_eq "$(pod_field "$UUID" apps.0.signalName)" TERM "JSON signalName"
    assert_eq "$(pod_field "$UUID" apps.0.shellCode)" 143 "JSON shellCode"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" false "JSON stoppedByPod"
}

@test "app killed by SIGKILL: pod exits 137, status file holds 9" {
    run pc run "$IMG" --exec=/probe -- kill-self KILL
    assert_status 137
    only_pod
    assert_eq "$(app_status_file busybox)" 9 "status file"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "JSON signal"
    assert_eq "$(pod_field "$UUID" apps.0.signalName)" KILL "JSON signalName"
}

@test "apps run as PID 2 under podinit as PID 1 in a new PID namespace" {
    run pc run "$IMG" --exec=/probe -- pid
    assert_status 0
    assert_output_is "pid=2 ppid=1"
    run pc run "$IMG" --exec=/bin/cat -- /proc/1/comm
    assert_status 0
    assert_output_is "podinit"
    # Only the pod's processes are visible: PID 1 and the app itself.
    run pc run "$IMG" --exec=/bin/sh -- -c 'echo /proc/[0-9]*'
    assert_status 0
    assert_output_is "/proc/1 /proc/2"
}

@test "hostname defaults to rkt-UUID" {
    run pc run --uuid-file-save="$BATS_TEST_TMPDIR/uuid" "$IMG" --exec=/probe -- hostname
    assert_status 0
    local uuid
    uuid=$(cat "$BATS_TEST_TMPDIR/uuid")
    [ -n "$uuid" ] || fail "uuid file is empty"
    assert_output_is "rkt-$uuid"
}

@test "--hostname sets the pod's hostname" {
    run pc run --hostname=web-1.example "$IMG" --exec=/probe -- hostname
    assert_status 0
    assert_output_is "web-1.example"
    [ "$(hostname)" != "web-1.example" ] || fail "the host's hostname was changed"
}

@test "--hostname of 64 characters (the kernel's limit) is used exactly" {
    local h
    h=$(printf 'a%.0s' $(seq 1 64))
    run pc run --hostname="$h" "$IMG" --exec=/probe -- hostname
    assert_status 0
    assert_output_is "$h"
}

@test "--hostname longer than 64 characters is refused, not truncated" {
    local h
    h=$(printf 'b%.0s' $(seq 1 70))
    run pc run --hostname="$h" "$IMG" --exec=/probe -- hostname
    # Whatever happens, the app must never run under a different name.
    if [ "$status" -eq 0 ]; then
        assert_output_is "$h"
    fi
    assert_failure
    assert_output_contains "hostname"
}

@test "--net=none: a new network namespace with only lo, up" {
    local hostns
    hostns=$(readlink /proc/self/ns/net)
    run pc run --net=none "$IMG" --exec=/bin/readlink -- /proc/self/ns/net
    assert_status 0
    [[ $output == net:\[*\] ]] || { _dump_run; fail "unexpected readlink output"; }
    [ "$output" != "$hostns" ] || fail "pod shares the host's network namespace $hostns"
    run pc run --net=none "$IMG" --exec=/bin/sh -- -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    assert_status 0
    assert_output_is "lo"
    run pc run --net=none "$IMG" --exec=/bin/ip -- link show lo
    assert_status 0
    assert_output_contains "LOOPBACK,UP"
}

@test "--net=host shares the host's network namespace and interfaces" {
    run pc run --net=host "$IMG" --exec=/bin/readlink -- /proc/self/ns/net
    assert_status 0
    assert_output_is "$(readlink /proc/self/ns/net)"
    local host_ifs
    host_ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort)
    run pc run --net=host "$IMG" --exec=/bin/sh -- -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'
    assert_status 0
    assert_output_is "$host_ifs"
}

@test "environment: AC_APP_NAME, PATH and HOME for root" {
    run pc run "$IMG" --name=envapp --exec=/probe -- env
    assert_status 0
    assert_line "AC_APP_NAME=envapp"
    assert_line "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert_line "HOME=/root"
    refute_output_contains "RKT_LOCK_FD"
}

@test "environment: HOME follows the app's user" {
    run pc run "$IMG" --exec=/probe --user=app --group=app -- env
    assert_status 0
    assert_line "HOME=/home/app"
    assert_line "AC_APP_NAME=busybox"
}

@test "environment: image env is passed, --set-env adds and wins over it" {
    run pc run "$ENVIMG" --exec=/probe -- env
    assert_status 0
    assert_line "FOO=from-image"
    assert_line "BAR=image-bar"
    run pc run "$ENVIMG" --exec=/probe --set-env=FOO=from-cli --set-env='NEW=a b=c' -- env
    assert_status 0
    assert_line "FOO=from-cli"
    assert_line "BAR=image-bar"
    assert_line "NEW=a b=c"
    refute_output_contains "FOO=from-image"
    run pc run "$IMG" --exec=/probe --set-env=PATH=/bin:/custom --set-env=HOME=/elsewhere -- env
    assert_status 0
    assert_line "PATH=/bin:/custom"
    assert_line "HOME=/elsewhere"
    refute_output_contains "HOME=/root"
}

@test "--user=app --group=app runs the app as 1000:1000" {
    run pc run "$IMG" --exec=/probe --user=app --group=app -- id
    assert_status 0
    [[ $output == "uid=1000 gid=1000 groups="* ]] || { _dump_run; fail "expected uid=1000 gid=1000"; }
}

@test "user and group by number, and root by name" {
    run pc run "$IMG" --exec=/probe --user=1000 --group=100 -- id
    assert_status 0
    [[ $output == "uid=1000 gid=100 groups="* ]] || { _dump_run; fail "expected uid=1000 gid=100"; }
    run pc run "$IMG" --exec=/probe --user=nobody --group=nogroup -- id
    assert_status 0
    [[ $output == "uid=65534 gid=65534 groups="* ]] || { _dump_run; fail "expected 65534:65534"; }
    run pc run "$IMG" --exec=/probe --user=root --group=root -- id
    assert_status 0
    [[ $output == "uid=0 gid=0 groups="* ]] || { _dump_run; fail "expected uid=0 gid=0"; }
}

@test "a numeric user and group missing from the image's passwd and group" {
    run pc run "$IMG" --exec=/probe --user=4242 --group=4343 -- id
    assert_status 0
    [[ $output == "uid=4242 gid=4343 groups="* ]] || { _dump_run; fail "expected 4242:4343"; }
}

@test "unknown user: error, non-zero, no pod directory left" {
    run pc run "$IMG" --exec=/probe --user=nosuch -- id
    assert_failure
    assert_output_contains '"nosuch" user not found'
    refute_output_contains "uid="
    assert_no_pod_dirs
}

@test "unknown group: error, non-zero, no pod directory left" {
    run pc run "$IMG" --exec=/probe --group=nosuchgroup -- id
    assert_failure
    assert_output_contains '"nosuchgroup" group not found'
    assert_no_pod_dirs
}

@test "images: gzip .aci, plain .aci and unpacked directory all work" {
    local img
    assert_eq "$(od -An -tx1 -N2 "$ACI" | tr -d ' ')" 1f8b "gzip magic of $ACI"
    [ "$(od -An -tx1 -N2 "$PLAINACI" | tr -d ' ')" != 1f8b ] || fail "$PLAINACI is compressed"
    for img in "$ACI" "$PLAINACI" "$IMG"; do
        run pc run "$img" --exec=/probe -- print "from $img"
        assert_status 0
        assert_output_is "from $img"
    done
    run pc list --json
    assert_status 0
    [ "$(printf '%s' "$output" | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] ||
        { _dump_run; fail "expected 3 pods in the list"; }
}

@test "--uuid-file-save writes the pod's uuid" {
    local f=$BATS_TEST_TMPDIR/saved-uuid
    run pc run --uuid-file-save="$f" "$IMG" --exec=/probe -- print ok
    assert_status 0
    only_pod
    [ -f "$f" ] || fail "$f was not written"
    assert_eq "$(tr -d '\n' <"$f")" "$UUID" "saved uuid"
    [[ $UUID =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] ||
        fail "not a v4 UUID: $UUID"
}

@test "arguments after -- reach the app unchanged" {
    local nl=$'two\nlines'
    run pc run "$IMG" --exec=/bin/printf -- '<%s>\n' 'a b' "it's" '"quoted"' '$HOME' '`id`' \
        "$nl" '' '--user=evil' '-x' '*' 'tab	here' 'ünï' '--' '\n'
    assert_status 0
    local want
    want=$(printf '<%s>\n' 'a b' "it's" '"quoted"' '$HOME' '`id`' "$nl" '' '--user=evil' '-x' '*' \
        'tab	here' 'ünï' '--' '\n')
    assert_output_is "$want"
}

@test "args after -- replace the image exec's arguments, keeping its program" {
    run pc run "$IMG" -- -c 'echo replaced'
    assert_status 0
    assert_output_is "replaced"
}

@test "per-app flags apply to their own app only" {
    run pc run "$IMG" --name=a --user=app --set-env=ONLY_A=1 --exec=/bin/sh -- -c 'echo "a $(id -u) [$ONLY_A]"' \
        --- "$IMG" --name=b --exec=/bin/sh -- -c 'echo "b $(id -u) [$ONLY_A]"'
    assert_status 0
    assert_line "a 1000 [1]"
    assert_line "b 0 []"
}

@test "--pod-manifest: apps get their images by name and the image's app when none is given" {
    cat >"$BATS_TEST_TMPDIR/pod.json" <<'EOF'
{"acKind":"PodManifest","acVersion":"0.8.11","apps":[
 {"name":"first","image":{"name":"example.com/other"}},
 {"name":"second","image":{"name":"example.com/busybox"},
  "app":{"exec":["/bin/sh","-c","echo second as $(id -u); test ! -e /marker && echo no-marker"],"user":"app","group":"app"}}]}
EOF
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG" --- "$OTHERIMG"
    assert_status 0
    assert_line "i am the other image"
    assert_line "second as 1000"
    assert_line "no-marker"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.name)" first "apps[0].name"
    assert_eq "$(pod_field "$UUID" apps.0.image)" example.com/other "apps[0].image"
    assert_eq "$(pod_field "$UUID" apps.1.image)" example.com/busybox "apps[1].image"
}
