#!/bin/sh
# The arm64 smoke test runs the Lambda artifact under qemu-user with Debian's arm64 C and C++ runtimes
# (Node and sharp need libstdc++ as well as libc). Installs them on Debian/Ubuntu when run as root;
# elsewhere says what to install. On an arm64 host nothing is needed.
set -eu
[ "$(uname -m)" = aarch64 ] && exit 0
if command -v qemu-aarch64-static >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross (arm64 smoke test)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross >/dev/null
  exit 0
fi
echo "error: the arm64 smoke test needs qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross" >&2
echo "(apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross), or an arm64 machine." >&2
exit 1
