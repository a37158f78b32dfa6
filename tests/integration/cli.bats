#!/usr/bin/env bats
# podctl as a command line: help and version, one flag parser for every verb
# (flags after POD, bundled -it, a typo named with the flag probably meant),
# stop --force and list/status on a pod whose PID 1 does not answer, run -d
# on an app that dies at once, a full disk, too many apps, OCI and docker
# images given as IMAGE.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() {
    # A stopped PID 1 must not outlive the test, whatever failed.
    local p pid
    for p in "${D-}"/pods/run/*/pid; do
        [ -f "$p" ] || continue
        pid=$(cat "$p" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null || true
    done
    pod_teardown
    if [ -n "${SMALL-}" ] && mountpoint -q "$SMALL"; then umount "$SMALL"; fi
}

# ------------------------------------------------------------ help, version

@test "cli: --help on every verb prints its usage on stdout and exits 0; help VERB too" {
    local v
    for v in run list status stop attach exec app events logs reopen-log gc help version; do
        run "$PODCTL" "$v" --help
        [ "$status" -eq 0 ] || { _dump_run; fail "podctl $v --help: exit $status"; }
        [[ $output == *"usage: podctl $v"* ]] || { _dump_run; fail "podctl $v --help: no usage"; }
        run "$PODCTL" help "$v"
        [ "$status" -eq 0 ] || { _dump_run; fail "podctl help $v: exit $status"; }
        [[ $output == *"usage: podctl $v"* ]] || { _dump_run; fail "podctl help $v: no usage"; }
    done
    # stdout, not stderr
    run sh -c "'$PODCTL' stop --help 2>/dev/null"
    assert_output_contains "--force"
    run "$PODCTL" stop POD -h
    assert_status 0
    assert_output_contains "usage: podctl stop"
    run "$PODCTL" help
    assert_status 0
    assert_output_contains "verbs:"
    run "$PODCTL" help frobnicate
    assert_status 2
    run "$PODCTL" app stop --help
    assert_status 0
    assert_output_contains "usage: podctl app"
}

@test "cli: podctl version and --version" {
    run "$PODCTL" version
    assert_status 0
    [[ $output =~ ^podctl\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { _dump_run; fail "version: $output"; }
    run "$PODCTL" --version
    assert_status 0
    assert_output_contains "podctl "
}

@test "cli: --cpu help says what 500 and 500m mean" {
    run "$PODCTL" run --help
    assert_status 0
    assert_output_contains "500m is half a CPU"
    assert_output_contains "500 means 500 CPUs"
}

# ------------------------------------------------------------ flag parsing

@test "cli: a mistyped flag is one line naming the verb, the flag meant and the help" {
    run pc stop --forse 0000
    assert_status 2
    assert_output_is 'podctl: unknown flag --forse for "stop"; did you mean --force? (podctl stop --help)'
    run pc status --jsn x
    assert_status 2
    assert_eq "${#lines[@]}" 1 "lines"
    assert_output_contains "did you mean --json?"
    run pc run --detatch "$IMG"
    assert_status 2
    assert_output_contains "did you mean --detach?"
    assert_eq "${#lines[@]}" 1 "lines"
    assert_no_pod_dirs
}

@test "cli: flags after POD on every verb; exec -it and -ti" {
    run_detached "$IMG" --name=web --exec=/probe -- sleep 60
    run pc status "$UUID" --json
    assert_status 0
    assert_eq "$(printf '%s' "$output" | jget uuid)" "$UUID" "status POD --json"
    run pc list --json
    assert_status 0
    run pc logs "$UUID" --app=web --tail=1
    assert_status 0
    run pc events "$UUID" --no-follow --json
    assert_status 0
    assert_output_contains '"event":"running"'
    run pc app list "$UUID" --json
    assert_status 0
    run pc exec "${UUID:0:8}" --app=web -- /bin/sh -c 'echo hi'
    assert_status 0
    assert_output_is hi
    # The README's own example: -it (here without a terminal: a pty all the same).
    run pc exec -it --app=web "$UUID" -- /probe isatty
    assert_status 0
    assert_output_contains "0:tty"
    run pc exec "$UUID" -ti --app=web -- /probe isatty
    assert_status 0
    assert_output_contains "1:tty"
    # After "--", words belong to the command.
    run pc exec --app=web "$UUID" -- /bin/echo --force -t
    assert_status 0
    assert_output_contains "--force -t"
    run pc stop "$UUID" --no-wait
    assert_status 0
}

@test "cli: exec -t passes podctl's TERM to the command; --env=TERM= wins" {
    run_detached "$IMG" --name=web --exec=/probe -- sleep 60
    run env TERM=xterm-podinit "$PODCTL" --dir="$D" exec -t --app=web "$UUID" -- /bin/sh -c 'echo "term=$TERM"'
    assert_status 0
    assert_output_contains "term=xterm-podinit"
    run env TERM=xterm-podinit "$PODCTL" --dir="$D" exec -t --env=TERM=vt100 --app=web "$UUID" -- /bin/sh -c 'echo "term=$TERM"'
    assert_status 0
    assert_output_contains "term=vt100"
    # Without -t there is no terminal: TERM is not passed on.
    run env TERM=xterm-podinit "$PODCTL" --dir="$D" exec --app=web "$UUID" -- /bin/sh -c 'echo "term=$TERM"'
    assert_status 0
    refute_output_contains "xterm-podinit"
}

# ------------------------------------------------- an unresponsive PID 1

@test "cli: stop --force kills a pod whose PID 1 is stopped; list and status do not hang on it" {
    run_detached "$IMG" --name=web --exec=/probe -- sleep 600
    local pid1 t0 t
    pid1=$(pod_pid1)
    kill -STOP "$pid1"

    t0=$(now_ms)
    run pc list
    t=$(( $(now_ms) - t0 ))
    assert_status 0
    assert_output_contains "unresponsive"
    assert_lt "$t" 4000 "list ms"

    t0=$(now_ms)
    run pc status "$UUID"
    t=$(( $(now_ms) - t0 ))
    assert_status 0
    assert_output_contains "does not answer"
    assert_output_contains "stop --force"
    assert_lt "$t" 5000 "status ms"
    run pc status --json "$UUID"
    assert_eq "$(printf '%s' "$output" | jget unresponsive)" true "unresponsive"

    # Without --force: an error that says what to do, quickly.
    t0=$(now_ms)
    run pc stop "$UUID"
    assert_failure
    assert_output_contains "stop --force"

    t0=$(now_ms)
    run pc stop --force "$UUID"
    t=$(( $(now_ms) - t0 ))
    assert_status 0
    assert_lt "$t" 6000 "stop --force ms"
    ! pod_lock_held "$POD" || fail "the pod still holds its lock"
    [ ! -d "/proc/$pid1" ] || [ "$(awk '{print $3}' "/proc/$pid1/stat")" = Z ] || fail "PID 1 ($pid1) survived"
    run pc list
    assert_status 0
    assert_output_contains "exited"
}

# ------------------------------------------------------------ run -d

@test "cli: run -d fails, naming the app and its status, when an app dies at once" {
    run pc run -d "$IMG" --name=quick --exec=/probe -- exit 3
    assert_status 3
    assert_output_contains "app quick exited with code 3"
    [[ $output != [0-9a-f]*-*-*-*-* ]] || fail "a UUID was printed as if the pod ran"

    run pc run -d "$IMG" --name=a --exec=/probe -- sleep 60 --- "$IMG" --name=b --exec=/probe -- kill-self KILL
    assert_failure
    assert_output_contains "app b was killed by signal 9"

    # A non-essential app does not stop the pod: a warning, and the pod's UUID.
    run pc run -d "$IMG" --name=main --exec=/probe -- sleep 60 --- "$IMG" --name=side --essential=false --exec=/probe -- exit 2
    assert_status 0
    assert_output_contains "app side exited with code 2"
    assert_output_contains "does not stop the pod"

    # An app to be restarted is left to its policy (podctl events shows it).
    run pc run -d "$IMG" --name=loop --restart=always --restart-backoff=5s --exec=/probe -- exit 2
    assert_status 0

    # An app that ends well at once is a one-shot, not a failure; a lasting app is fine.
    run pc run -d "$IMG" --exec=/probe -- exit 0
    assert_status 0
    run_detached "$IMG" --exec=/probe -- sleep 60
    # --start-grace=0: return at once (the old behaviour).
    run pc run -d --start-grace=0 "$IMG" --exec=/probe -- exit 3
    assert_status 0
    run pc run --start-grace=1s "$IMG"
    assert_status 2
}

@test "cli: a full disk while unpacking says ENOSPC and the path" {
    SMALL=$BATS_TEST_TMPDIR/small
    mkdir -p "$SMALL"
    mount -t tmpfs -o size=1m tmpfs "$SMALL" || skip "cannot mount a tmpfs"
    # An ACI file is imported into the store first: the message names the store's path, and the
    # import leaves nothing in the store.
    run "$PODCTL" --dir="$SMALL" run -d --net=none "$ACI" --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "No space left on device"
    assert_output_contains "$SMALL/images/tmp/"
    refute_output_contains "Write failed"
    [ -z "$(find "$SMALL/images/tmp" "$SMALL/images/trees" "$SMALL/images/images" -mindepth 1)" ] ||
        fail "the failed import left files in the store"
    # An unpacked ACI directory is copied into the pod: the message names the pod's path.
    run "$PODCTL" --dir="$SMALL" run -d --net=none "$IMG" --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "No space left on device"
    assert_output_contains "$SMALL/pods/prepare/"
    [ -z "$(find "$SMALL/pods/prepare" "$SMALL/pods/run" -mindepth 1)" ] || fail "pod directories were left behind"
}

@test "cli: 2,000 apps are refused before any image is unpacked" {
    # Only the first image exists: had anything been opened or unpacked
    # before the count was checked, the error would name a missing image.
    local args=("$IMG" --name=a1 ---) i
    for i in $(seq 2 2000); do args+=("$BATS_TEST_TMPDIR/missing-$i.aci" --name="a$i" ---); done
    run pc run "${args[@]}"
    assert_status 2
    assert_output_contains "2000 apps given; a pod has at most 1000"
    refute_output_contains "missing-"
    assert_no_pod_dirs
}

@test "cli: an OCI image layout or a docker archive with no image in it is refused, naming it" {
    local oci=$BATS_TEST_TMPDIR/oci dk=$BATS_TEST_TMPDIR/dk
    mkdir -p "$oci/blobs/sha256" "$dk/0123abcd"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
    echo '{"schemaVersion":2,"manifests":[]}' >"$oci/index.json"
    echo '[]' >"$dk/manifest.json"
    tar -C "$oci" -cf "$BATS_TEST_TMPDIR/oci.tar" oci-layout index.json blobs
    tar -C "$dk" -cf "$BATS_TEST_TMPDIR/docker.tar" 0123abcd manifest.json
    run pc run "$oci"
    assert_status 254
    assert_output_contains "image $oci: index.json lists no image manifests"
    run pc run "$BATS_TEST_TMPDIR/oci.tar"
    assert_status 254
    assert_output_contains "image $BATS_TEST_TMPDIR/oci.tar: index.json lists no image manifests"
    run pc run "$BATS_TEST_TMPDIR/docker.tar"
    assert_status 254
    assert_output_contains "image $BATS_TEST_TMPDIR/docker.tar: manifest.json: lists no images"
    assert_no_pod_dirs
    [ -z "$(ls -A "$D/images/tmp")" ] || fail "an import left files in the store's tmp/"
}

@test "cli: a podinit that cannot be executed fails run naming it, and leaves no pod, also with a relative --dir" {
    local bad=$BATS_TEST_TMPDIR/podinit-bad
    printf 'not a program\n' >"$bad"
    chmod 0755 "$bad"
    PODINIT=$bad run pc run "$IMG" --exec=/probe -- exit 0
    assert_status 254
    assert_output_contains "executing $bad"
    assert_no_pod_dirs
    # The pod directory is entered before exec: its removal must not depend on podctl's cwd.
    cd "$(dirname "$D")"
    PODINIT=$bad run "$PODCTL" --dir="$(basename "$D")" run --net=none "$IMG" --exec=/probe -- exit 0
    assert_status 254
    assert_no_pod_dirs
}
