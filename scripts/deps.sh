#!/usr/bin/env bash
# Install the Debian packages a make target needs, only those missing.
# usage: scripts/deps.sh build|test|demo|bench|install|fuzz
set -euo pipefail

build=(gcc make cmake pkg-config libuv1-dev libcap-dev libseccomp-dev libjansson-dev libarchive-dev libssl-dev)
build+=(libprotobuf-c-dev protobuf-c-compiler)   # the containerd shim's ttrpc messages (shim/proto)
runtime=(busybox-static iproute2 util-linux procps umoci containernetworking-plugins iptables curl)
test=(bats tmux expect python3 procps umoci skopeo zstd containernetworking-plugins iptables curl strace clang)
test+=(containerd runc python3-grpcio python3-protobuf protobuf-compiler)   # cri_*.bats: a private containerd and the CRI client
bench=(tini catatonit conmon crun hyperfine golang-github-containers-common s6 umoci skopeo)
bench+=(containerd runc python3-grpcio python3-protobuf protobuf-compiler)  # bench/k8s.sh

case "${1:-build}" in
  build) want=("${build[@]}") ;;
  install) want=("${build[@]}" go-md2man) ;;
  demo)  want=("${build[@]}" "${runtime[@]}") ;;
  test)  want=("${build[@]}" "${runtime[@]}" "${test[@]}") ;;
  bench) want=("${build[@]}" "${runtime[@]}" "${bench[@]}") ;;
  fuzz)  want=("${build[@]}" clang) ;;    # make fuzz: libFuzzer is clang's
  *) echo "usage: $0 build|test|demo|bench|install|fuzz" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
