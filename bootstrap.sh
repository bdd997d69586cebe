#!/bin/sh
# bootstrap.sh - install the Debian packages hrmscope needs (only those that
# are missing), then autoreconf, configure and make.  Extra arguments go to
# configure (e.g. ./bootstrap.sh --enable-asan).
set -eu
cd "$(dirname "$0")"

packages="gcc make autoconf automake pkg-config libncurses-dev libyaml-dev
libopenblas-dev libzip-dev libjansson-dev libdnnl-dev check libsubunit-dev tmux time
libopenmpi-dev openmpi-bin"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "bootstrap: installing missing Debian packages:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

autoreconf -fi
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
	./configure "$@"
fi
make -j"$(nproc 2>/dev/null || echo 2)"
