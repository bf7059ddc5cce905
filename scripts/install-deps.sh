#!/usr/bin/env bash
# Installs what vtsim needs from Debian packages. Idempotent and quiet when all is there.
#
# Unicorn 2.1 and Capstone 5 come from Debian 13 (trixie): Debian 12's Unicorn 2.0.1
# identity-maps every virtual address whatever the guest page tables say, so it cannot
# run a paged guest. The trixie source is pinned at priority 100 so that nothing else on
# the machine moves; only the packages named with -t trixie come from it.
#
# Usage: install-deps.sh [--arm64] [--peers]
#   --arm64  adds the cross toolchain, qemu-user and the arm64 builds of the libraries
#   --peers  adds the machines bench/compare measures vtsim against: Bochs (with its
#            BIOS, VGA BIOS and the terminal display, booted from a GRUB rescue ISO)
#            and QEMU TCG. GRUB's PC platform exists only on x86 hosts.
set -euo pipefail

want_arm64=0 want_peers=0
for arg in "$@"; do
    case $arg in
        --arm64) want_arm64=1 ;;
        --peers) want_peers=1 ;;
        *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
    esac
done

native_pkgs=(build-essential cmake pkg-config nasm libcmocka-dev libssl-dev clang lld
             libclang-rt-14-dev python3 afl++)
# gdb drives the gdb stub's test; on a host that is not x86-64 only gdb-multiarch
# knows i386:x86-64.
if [ "$(dpkg --print-architecture)" = amd64 ]; then native_pkgs+=(gdb); else native_pkgs+=(gdb-multiarch); fi
trixie_pkgs=(libunicorn-dev libcapstone-dev)
arm64_pkgs=(gcc-aarch64-linux-gnu qemu-user libc6-dev:arm64 libcmocka-dev:arm64
            libssl-dev:arm64)
arm64_trixie_pkgs=(libunicorn-dev:arm64 libcapstone-dev:arm64)
peer_pkgs=(bochs bochsbios vgabios bochs-term qemu-system-x86 grub-common xorriso mtools)
case $(dpkg --print-architecture) in amd64|i386) peer_pkgs+=(grub-pc-bin) ;; esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

# Version of an installed package, empty if none.
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

unicorn_ok() {
    local v; v=$(pkg_version "$1")
    [ -n "$v" ] && dpkg --compare-versions "$v" ge 2.1
}

missing=()
for p in "${native_pkgs[@]}" "${trixie_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
unicorn_ok libunicorn-dev || missing+=(libunicorn-dev)
if [ $want_arm64 = 1 ]; then
    for p in "${arm64_pkgs[@]}" "${arm64_trixie_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
    unicorn_ok libunicorn-dev:arm64 || missing+=(libunicorn-dev:arm64)
fi
if [ $want_peers = 1 ]; then
    for p in "${peer_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
        echo "install-deps: missing packages (${missing[*]}); run as root" >&2; exit 1; fi
else SUDO=; fi

echo "install-deps: installing ${missing[*]}" >&2

src=/etc/apt/sources.list.d/vtsim-trixie.sources
pin=/etc/apt/preferences.d/vtsim-trixie
if [ ! -f "$src" ]; then
    $SUDO tee "$src" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
if [ ! -f "$pin" ]; then
    $SUDO tee "$pin" >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
fi
if [ $want_arm64 = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
fi

export DEBIAN_FRONTEND=noninteractive
apt_q=(-y -q -o Dpkg::Use-Pty=0)
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install "${apt_q[@]}" --no-install-recommends "${native_pkgs[@]}" >/dev/null
$SUDO apt-get install "${apt_q[@]}" --no-install-recommends -t trixie "${trixie_pkgs[@]}" >/dev/null
if [ $want_arm64 = 1 ]; then
    $SUDO apt-get install "${apt_q[@]}" --no-install-recommends "${arm64_pkgs[@]}" >/dev/null
    $SUDO apt-get install "${apt_q[@]}" --no-install-recommends -t trixie "${arm64_trixie_pkgs[@]}" >/dev/null
fi
if [ $want_peers = 1 ]; then
    $SUDO apt-get install "${apt_q[@]}" --no-install-recommends "${peer_pkgs[@]}" >/dev/null
fi

unicorn_ok libunicorn-dev || { echo "install-deps: libunicorn-dev >= 2.1 could not be installed" >&2; exit 1; }
echo "install-deps: done" >&2
