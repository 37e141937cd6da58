#!/usr/bin/env bash
# Installs what tsvirt's demo or tests need and is missing, then builds. Safe to re-run: every step is
# skipped when already done. Shared by scripts/demo.sh, scripts/test.sh and .ci/run.
#
# Usage: scripts/setup.sh [--demo] [--ci]
#   --demo   only what the demo needs (QEMU), not the libvirt reference tools the tests use
#   --ci     always run `npm ci` (a clean install from package-lock.json)
#
# Needs Debian 12 with Node.js >= 20; installs Debian packages as root (or through sudo).
set -euo pipefail

mode=test
ci=0
for a in "$@"; do
  case "$a" in
    --demo) mode=demo ;;
    --ci) ci=1 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument: $a" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
say() { echo "setup: $*" >&2; }

# QEMU and what qemu-system-x86 recommends, listed, and installed without further recommends: on a
# minimal Debian 12, recommends pull in hundreds of packages (a desktop's worth) and take minutes.
pkgs=(qemu-system-x86 qemu-system-gui qemu-utils qemu-block-extra ovmf)
if [ "$mode" = test ]; then
  # The reference libvirt 9.0 (baseline comparisons, conformance), swtpm, AppArmor, xmllint; and what
  # scripts/build-guest.sh may need to unpack modules.
  pkgs+=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients python3-libvirt swtpm swtpm-tools
    apparmor libxml2-utils cpio xz-utils zstd)
fi

# --- Debian packages -------------------------------------------------------------------------------
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "need root to install: ${missing[*]}"; exit 1; }
    sudo=(sudo)
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt=(apt-get -o DPkg::Lock::Timeout=600)
  "${sudo[@]}" "${apt[@]}" update -qq
  "${sudo[@]}" "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node.js and npm dependencies --------------------------------------------------------------------
command -v node >/dev/null || { say "Node.js >= 20 is required (not found)"; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || { say "Node.js >= 20 is required (found $(node --version))"; exit 1; }
if [ "$ci" = 1 ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- build ------------------------------------------------------------------------------------------
node scripts/build.mjs --quiet

# --- the test guest ---------------------------------------------------------------------------------
bash scripts/build-guest.sh --quiet
