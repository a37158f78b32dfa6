#!/bin/bash
# fakecni.sh -- fake CNI plugins for net.bats' bad-input tests.
#
# usage: fakecni.sh DIR TYPE ADD_BEHAVIOUR [DEL_BEHAVIOUR]
#
# Writes DIR/TYPE, an executable CNI plugin (a shell script) that appends
# "COMMAND IFNAME CONTAINERID PID PPID" to DIR/TYPE.log on every call (PID
# stays the plugin's while it hangs: it execs sleep), then behaves as
# told for ADD (ADD_BEHAVIOUR) and for every other command (DEL_BEHAVIOUR,
# default ok):
#
#   ok       ADD prints its prevResult (or an empty result of its cniVersion);
#            any other command prints nothing; exit 0
#   hang     never answers (sleeps for an hour): for --net-timeout
#   garbage  prints something that is not JSON and exits 0
#   error    prints a CNI error object, code 11 and msg "boom", and exits 1
#
# Pass DIR to podinit as --net-plugin-dir=DIR:/usr/lib/cni so that the real
# plugins of a conflist are found too.
set -euo pipefail

prog=${0##*/}
usage() { echo "usage: $prog DIR TYPE ok|hang|garbage|error [ok|hang|garbage|error]" >&2; exit 2; }

[ $# -eq 3 ] || [ $# -eq 4 ] || usage
dir=$1 type=$2 add=$3 del=${4:-ok}
for b in "$add" "$del"; do
    case $b in ok|hang|garbage|error) ;; *) usage ;; esac
done
[[ $type =~ ^[A-Za-z0-9._-]+$ ]] || { echo "$prog: bad plugin name: $type" >&2; exit 2; }
mkdir -p -- "$dir"
dir=$(cd -- "$dir" && pwd)

cat >"$dir/$type" <<EOF
#!/bin/bash
# A fake CNI plugin written by tests/lib/fakecni.sh: ADD $add, others $del.
echo "\${CNI_COMMAND:-?} \${CNI_IFNAME:-?} \${CNI_CONTAINERID:-?} \$\$ \$PPID" >>'$dir/$type.log'
conf=\$(cat)
case \${CNI_COMMAND:-} in ADD) how=$add ;; *) how=$del ;; esac
case \$how in
ok)
    [ "\${CNI_COMMAND:-}" = ADD ] || exit 0
    printf '%s' "\$conf" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(d.get("prevResult") or {"cniVersion": d.get("cniVersion", "0.4.0")}))'
    ;;
hang)
    # Named so that a test can count exactly these (exec -a: argv[0]).
    exec -a podit-fake-cni-hang sleep 3600
    ;;
garbage)
    echo 'this is not a CNI result {'
    ;;
error)
    echo '{"cniVersion":"0.4.0","code":11,"msg":"boom"}'
    exit 1
    ;;
esac
EOF
chmod 0755 "$dir/$type"
