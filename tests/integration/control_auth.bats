#!/usr/bin/env bats
# Who may talk to a pod (docs/security.md): root, and the pod's owner
# (podctl run --owner); everyone else is refused with a message that says
# who may, and the pod does not notice.  podctl runs as real non-root users
# (created here if the host has none of that name) with setpriv.

load helpers

OWNER=podinit-test
OTHER=podinit-test2

_ensure_user() {
    if ! id -u "$1" >/dev/null 2>&1; then
        useradd -M -r -s /usr/sbin/nologin "$1" || return 1
        echo "$1" >>"$BATS_FILE_TMPDIR/created-users"
    fi
}

setup_file() {
    build_images
    _ensure_user "$OWNER"
    _ensure_user "$OTHER"
    OWNER_UID=$(id -u "$OWNER") OWNER_GID=$(id -g "$OWNER")
    OTHER_UID=$(id -u "$OTHER") OTHER_GID=$(id -g "$OTHER")
    export OWNER_UID OWNER_GID OTHER_UID OTHER_GID
}

teardown_file() {
    local u
    [ -f "$BATS_FILE_TMPDIR/created-users" ] || return 0
    while read -r u; do
        userdel "$u" 2>/dev/null || true
    done <"$BATS_FILE_TMPDIR/created-users"
}

setup() {
    pod_setup
    # The state directory right under /tmp: podctl may open its own way
    # for an owner, not the way through bats' private 0700 directories.
    D=$(mktemp -d /tmp/podinit-auth.XXXXXX)
    export D
}

teardown() {
    pod_teardown
    [ -n "${D-}" ] && [[ $D == /tmp/podinit-auth.* ]] && rm -rf "$D"
}

# as_owner / as_other ARGS...: podctl with this test's state dir, as that user.
as_owner() { setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups "$PODCTL" --dir="$D" "$@"; }
as_other() { setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups "$PODCTL" --dir="$D" "$@"; }

# has_acl PATH: the file has a POSIX ACL (system.posix_acl_access).
has_acl() {
    "$PYTHON" -c 'import os, sys; os.getxattr(sys.argv[1], "system.posix_acl_access")' "$1" 2>/dev/null
}

# acl_users PATH: the named users of its ACL, "uid:rwx" each, sorted.
acl_users() {
    "$PYTHON" - "$1" <<'EOF'
import os, struct, sys
try:
    v = os.getxattr(sys.argv[1], "system.posix_acl_access")
except OSError:
    sys.exit(0)
out = []
for off in range(4, len(v), 8):
    tag, perm, uid = struct.unpack_from("<HHI", v, off)
    if tag == 0x02:
        out.append("%d:%s" % (uid, "".join(c if perm & b else "-" for c, b in (("r", 4), ("w", 2), ("x", 1)))))
print(" ".join(sorted(out)))
EOF
}

# A pod with a sleeper (logs "hello"; MAIN_FLAGS: its app flags) and an app whose stdin and
# stdout can be attached.  start_pod [POD FLAGS]
MAIN_FLAGS=()
start_pod() {
    run_detached "$@" "$IMG" --name=main "${MAIN_FLAGS[@]}" --exec=/bin/sh -- -c 'echo hello; exec /probe sleep 120' \
        --- "$IMG" --name=echo --stdin=stream --stdout=stream --exec=/bin/sh -- -c 'while read l; do echo "got $l"; done'
    SDIR=$POD/stage1/rootfs/rkt/podinit
    SOCK=$SDIR/control.sock
    MAIN_PID=$(pod_field "$UUID" apps.0.pid)
}

# The pod runs on untouched: same main process, no restart, nothing stopping.
assert_pod_untouched() {
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    assert_eq "$(pod_field "$UUID" apps.0.pid)" "$MAIN_PID" "main app's pid"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "main app's state"
    assert_eq "$(pod_field "$UUID" apps.1.state)" ready "echo app's state"
    assert_eq "$(pod_field "$UUID" apps.0.restarts)" 0 "restarts"
}

assert_refused_clearly() {
    assert_failure
    assert_output_contains "permission denied"
    assert_output_contains "run as root or as the pod's owner"
}

@test "without an owner: the socket is root's, 0600, in a root 0700 directory, and so is the way to it" {
    start_pod
    [ -S "$SOCK" ] || fail "no socket at $SOCK"
    assert_eq "$(stat -c '%a %u %g' "$SOCK")" "600 0 0" "socket mode, owner, group"
    assert_eq "$(stat -c '%a %u %g' "$SDIR")" "700 0 0" "socket directory"
    local d
    for d in "$D" "$D/pods" "$D/pods/run" "$POD"; do
        assert_eq "$(stat -c '%a %u' "$d")" "700 0" "$d"
        ! has_acl "$d" || fail "$d has an ACL"
    done
    ! has_acl "$SDIR" || fail "$SDIR has an ACL"
    run pod_field "$UUID" ownerUid
    assert_status 3
}

@test "root can do everything: status, exec, attach, events, logs, stop" {
    start_pod
    run pc status "$UUID"
    assert_status 0
    refute_output_contains "owner"
    run timeout 10 "$PODCTL" --dir="$D" exec "$UUID" --app=main -- /probe print hi
    assert_status 0
    assert_output_is hi
    run timeout 10 sh -c 'printf "a\n" | "$1" --dir="$2" attach --app=echo "$3"' sh "$PODCTL" "$D" "$UUID"
    assert_status 0
    assert_output_contains "got a"
    run timeout 10 "$PODCTL" --dir="$D" events --no-follow "$UUID"
    assert_status 0
    assert_output_contains "main"
    run timeout 10 "$PODCTL" --dir="$D" logs --app=main "$UUID"
    assert_status 0
    assert_output_is hello
    run timeout 10 "$PODCTL" --dir="$D" stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" state)" exited "pod state after stop"
}

@test "a user who is not the owner cannot even reach the pod; podctl says who may, and the pod runs on" {
    start_pod
    local args
    for args in "status $UUID" "attach $UUID" "exec $UUID -- /probe print hi" "logs -f $UUID" "events $UUID" \
        "stop $UUID" "stop --force $UUID"; do
        # shellcheck disable=SC2086
        run timeout 10 setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups \
            "$PODCTL" --dir="$D" $args </dev/null
        assert_refused_clearly
        assert_output_contains "pod $UUID in $D: permission denied (run as root or as the pod's owner)"
    done
    run as_other status "${UUID:0:8}"
    assert_failure
    assert_output_contains "cannot list the pods in $D: permission denied"
    assert_pod_untouched
    ! grep -q "refused" "$POD/console.log" || fail "PID 1 heard from a client that could not reach it"
}

@test "where the pod's directory lets a user in but the socket's does not: 'cannot connect' says who may" {
    start_pod
    # As an administrator might open up the state directory.
    chmod 0755 "$D" "$D/pods" "$D/pods/run" "$POD"
    run as_other status "$UUID"
    assert_failure
    assert_output_contains "cannot connect to pod $UUID's control socket: permission denied (run as root or as the pod's owner)"
    run as_other exec "$UUID" --app=main -- /probe print hi
    assert_failure
    assert_output_contains "cannot connect to pod $UUID's control socket: permission denied (run as root or as the pod's owner)"
    assert_pod_untouched
}

@test "PID 1 refuses a user who is not the owner even where every mode lets it in, and logs it once per connection" {
    start_pod
    chmod 0755 "$D" "$D/pods" "$D/pods/run" "$POD" "$SDIR"
    chmod 0666 "$SOCK"
    local args n=0
    for args in "status $UUID" "attach $UUID" "exec $UUID -- /probe print hi" "events $UUID" "stop $UUID" \
        "stop --force $UUID"; do
        # shellcheck disable=SC2086
        run timeout 10 setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups \
            "$PODCTL" --dir="$D" $args </dev/null
        assert_refused_clearly
        assert_output_contains "permission denied: uid $OTHER_UID may not control this pod (owner: root); run as root or as the pod's owner"
        n=$((n + 1))
    done
    # The protocol's own error, to any client: one response, then the end of the connection.
    run setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups "$PYTHON" "$CTL_PY" "$SDIR" recv eof
    n=$((n + 1))
    assert_eq "${#lines[@]}" 2 "lines from ctl.py"
    assert_contains "${lines[0]}" '"code":"permission-denied"' "the refusal"
    assert_eq "${lines[1]}" eof "after the refusal"
    assert_pod_untouched
    wait_until 5 test "$(grep -c "refused a connection from uid $OTHER_UID" "$POD/console.log")" -eq "$n" ||
        fail "expected $n refusals logged, got: $(cat "$POD/console.log")"
}

@test "an owner is admitted (status, exec, attach, stop); another user is still refused" {
    # An app that is not root: the apps' roots, closed to the owner, are still the apps'.
    MAIN_FLAGS=(--user=app --group=app)
    start_pod --owner="$OWNER"
    # The socket is the owner's; its directory and the way to it let the owner alone through.
    assert_eq "$(stat -c '%a %u %g' "$SOCK")" "600 $OWNER_UID 0" "socket mode, owner, group"
    assert_eq "$(stat -c '%u %g' "$SDIR")" "0 0" "socket directory owner"
    assert_eq "$(acl_users "$SDIR")" "$OWNER_UID:--x" "socket directory ACL"
    assert_eq "$(acl_users "$POD")" "$OWNER_UID:r-x" "pod directory ACL"
    local d
    for d in "$D" "$D/pods" "$D/pods/run"; do
        assert_eq "$(acl_users "$d")" "$OWNER_UID:--x" "$d ACL"
        assert_eq "$(stat -c '%u' "$d")" 0 "$d owner"
    done
    # The mode's group bits show the ACL's mask; nobody but root and the owner gets in.
    assert_eq "$(stat -c '%a' "$SDIR")" 710 "socket directory mode"
    assert_eq "$(pod_field "$UUID" ownerUid)" "$OWNER_UID" "status ownerUid"
    # The apps' root filesystems are not on the owner's way: no set-user-ID program of an image runs on the host.
    assert_eq "$(stat -c '%a %u' "$POD/stage1/rootfs/opt/stage2")" "700 0" "the apps' roots"
    run setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups test -e "$POD/stage1/rootfs/opt/stage2/main"
    assert_failure
    run setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups test -e "$SOCK"
    assert_status 0
    run setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups test -e "$POD"
    assert_failure

    run as_owner status "$UUID"
    assert_status 0
    assert_output_contains "state    running"
    assert_output_contains "owner    $OWNER (uid $OWNER_UID)"
    run timeout 10 setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups \
        "$PODCTL" --dir="$D" exec "$UUID" --app=main -- /probe id
    assert_status 0
    assert_output_contains "uid=1000"
    run timeout 10 setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups \
        sh -c 'printf "a\n" | "$1" --dir="$2" attach --app=echo "$3"' sh "$PODCTL" "$D" "$UUID"
    assert_status 0
    assert_output_contains "got a"
    # The owner names the pod by its full UUID: it may not list the others.
    run as_owner status "${UUID:0:8}"
    assert_failure
    assert_output_contains "a pod's owner names the pod by its full UUID"

    local args
    for args in "status $UUID" "attach $UUID" "exec $UUID -- /probe print hi" "stop $UUID"; do
        # shellcheck disable=SC2086
        run timeout 10 setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups \
            "$PODCTL" --dir="$D" $args </dev/null
        assert_refused_clearly
    done
    assert_eq "$(pod_field "$UUID" state)" running "pod state"

    run timeout 10 setpriv --reuid="$OWNER_UID" --regid="$OWNER_GID" --clear-groups \
        "$PODCTL" --dir="$D" stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" state)" exited "pod state after the owner's stop"
}

@test "--owner is checked before a pod exists; podinit --owner-uid takes a number" {
    run pc run --owner=no-such-user-podinit "$IMG" --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "--owner=no-such-user-podinit: no such user on this host"
    [ -z "$(ls -A "$D/pods/run" 2>/dev/null)" ] || fail "a pod was left behind"
    run "$PODINIT_BIN_DIR/podinit" --owner-uid=alice 6ba7b810-9dad-41d1-80b4-00c04fd430c8
    assert_status 254
    assert_output_contains "--owner-uid=alice: expected a numeric uid"
}
