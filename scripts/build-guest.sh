#!/usr/bin/env bash
# Builds the tsvirt test guest from Debian packages only:
#   guest/out/vmlinuz      the Debian cloud kernel (resolved from linux-image-cloud-amd64)
#   guest/out/initrd.img   a gzip'd newc initramfs: busybox-static, evdev.ko, button.ko and /init
#   guest/out/manifest     what it was built from (packages, versions, hashes) and the input stamp
#
# Usage: scripts/build-guest.sh [--force] [--quiet]
#
# Idempotent: when the outputs exist and neither this script nor the apt package lists changed since
# the last build, it exits at once. When the lists changed but resolve to the same package versions,
# only the stamp is refreshed. The .debs are kept in guest/out/cache/ so a rebuild after an edit of
# /init needs no download.
#
# The guest prints "TESTGUEST READY" on its console (ttyS0) once it is up and has the ACPI power
# button open; any power-button event then runs `poweroff -f`. Kernel command-line knobs:
#   tsvirt.ignore_button=1   never react to the power button (for testing destroy of a stubborn guest)
#   tsvirt.poweroff_after=N  power off N seconds after the ready line
#   tsvirt.reboot_after=N    reboot N seconds after the ready line
#   tsvirt.noshell=1         sleep instead of running a shell on the console
set -euo pipefail

force=0
quiet=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --quiet | -q) quiet=1 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-guest: unknown argument: $a" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

self="$(readlink -f "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"
out="$root/guest/out"
cache="$out/cache"
meta_pkg=linux-image-cloud-amd64
bb_pkg=busybox-static
modules=(drivers/input/evdev drivers/acpi/button)

mkdir -p "$out" "$cache"

# One build at a time (test runners may call this from several processes at once).
exec 9>"$out/.lock"
if command -v flock >/dev/null; then flock 9; fi

script_sha="$(sha256sum "$self" | cut -d' ' -f1)"
lists_dir=/var/lib/apt/lists
eval "$(apt-config shell lists_dir Dir::State::Lists/d 2>/dev/null || true)"
lists_dir="${lists_dir%/}"
lists_fp() {
  # Fingerprint of apt's package lists: when they are unchanged, so is what the packages resolve to.
  { stat -c '%n %s %Y' "$lists_dir"/*Packages* 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}
manifest_get() { sed -n "s/^$1=//p" "$out/manifest" 2>/dev/null | head -n1; }
outputs_exist() { [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ] && [ -s "$out/manifest" ]; }

lists_now="$(lists_fp)"
if [ "$force" = 0 ] && outputs_exist && [ "$(manifest_get script_sha256)" = "$script_sha" ] &&
  [ "$(manifest_get apt_lists)" = "$lists_now" ]; then
  say "up to date ($out)"
  exit 0
fi

# --- resolve the packages ------------------------------------------------------------------------
updated=0
apt_update() {
  [ "$updated" = 0 ] || return 1
  updated=1
  if [ "$(id -u)" != 0 ]; then
    say "apt package lists are missing or stale; run 'apt-get update' as root"
    return 1
  fi
  say "apt-get update (package lists missing or stale)"
  apt-get update -qq >&2 || return 1
  lists_now="$(lists_fp)"
}

resolve_kernel() {
  apt-cache depends "$meta_pkg" 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | grep -v '^<' | head -n1
}
candidate_version() {
  apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' | head -n1
}

resolve_all() {
  kpkg="$(resolve_kernel || true)"
  [ -n "$kpkg" ] || return 1
  kver="$(candidate_version "$kpkg")"
  bbver="$(candidate_version "$bb_pkg")"
  [ -n "$kver" ] && [ -n "$bbver" ]
}

if ! resolve_all; then
  if apt_update && resolve_all; then
    :
  elif outputs_exist && [ "$(manifest_get script_sha256)" = "$script_sha" ]; then
    say "cannot resolve $meta_pkg/$bb_pkg from apt; keeping the existing guest"
    exit 0
  else
    die "cannot resolve $meta_pkg (apt-cache depends) or $bb_pkg; is deb.debian.org in sources.list?"
  fi
fi

inputs="kernel_pkg=$kpkg kernel_version=$kver busybox_version=$bbver script_sha256=$script_sha"
if [ "$force" = 0 ] && outputs_exist && [ "$(manifest_get inputs)" = "$inputs" ]; then
  # Same packages and script; only the lists moved. Refresh the stamp and stop.
  sed -i "s/^apt_lists=.*/apt_lists=$lists_now/" "$out/manifest"
  say "up to date ($kpkg $kver, $bb_pkg $bbver)"
  exit 0
fi

# --- download ------------------------------------------------------------------------------------
deb_name() { # the file name apt-get download writes (the epoch's colon is escaped as %3a)
  echo "${1}_${2//:/%3a}_amd64.deb"
}
kdeb="$cache/$(deb_name "$kpkg" "$kver")"
bdeb="$cache/$(deb_name "$bb_pkg" "$bbver")"

download() {
  local opts=(-q)
  # As root, apt's _apt sandbox user cannot write into our tree; download as root instead of warning.
  [ "$(id -u)" != 0 ] || opts+=(-o APT::Sandbox::User=root)
  (cd "$cache" && apt-get download "${opts[@]}" "$@") >&2
}

need=()
[ -s "$kdeb" ] || need+=("$kpkg=$kver")
[ -s "$bdeb" ] || need+=("$bb_pkg=$bbver")
if [ "${#need[@]}" -gt 0 ]; then
  say "downloading ${need[*]}"
  if ! download "${need[@]}"; then
    # Most often: no lists, or lists so old that the pool no longer has that version (404).
    apt_update || die "apt-get download failed"
    resolve_all || die "cannot resolve packages after apt-get update"
    kdeb="$cache/$(deb_name "$kpkg" "$kver")"
    bdeb="$cache/$(deb_name "$bb_pkg" "$bbver")"
    inputs="kernel_pkg=$kpkg kernel_version=$kver busybox_version=$bbver script_sha256=$script_sha"
    need=()
    [ -s "$kdeb" ] || need+=("$kpkg=$kver")
    [ -s "$bdeb" ] || need+=("$bb_pkg=$bbver")
    [ "${#need[@]}" -eq 0 ] || download "${need[@]}" || die "apt-get download ${need[*]} failed"
  fi
fi
[ -s "$kdeb" ] || die "missing $kdeb after download"
[ -s "$bdeb" ] || die "missing $bdeb after download"
# Drop .debs of other versions.
find "$cache" -maxdepth 1 -name '*.deb' ! -path "$kdeb" ! -path "$bdeb" -delete

# --- unpack --------------------------------------------------------------------------------------
work="$(mktemp -d "$out/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bdeb" "$work/busybox"

vmlinuz="$(find "$work/kernel/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)"
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $kpkg"
krel="${vmlinuz##*/vmlinuz-}"
moddir=""
for d in "$work/kernel/lib/modules/$krel" "$work/kernel/usr/lib/modules/$krel"; do
  [ -d "$d" ] && moddir="$d" && break
done
[ -n "$moddir" ] || die "no modules directory for kernel $krel in $kpkg"
busybox="$work/busybox/bin/busybox"
[ -x "$busybox" ] || die "no bin/busybox in $bb_pkg"

# --- the initramfs tree --------------------------------------------------------------------------
rd="$work/initramfs"
mkdir -p "$rd"/{bin,dev,proc,sys,tmp,root,etc,lib/modules}
cp "$busybox" "$rd/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$rd/bin/$applet"
done

# Kernel modules, matching the kernel's release, always stored uncompressed. (Checked with Debian's
# busybox 1.35: its insmod loads .ko.xz/.ko.gz, but only after the kernel rejects the compressed file
# with an "Invalid ELF header" message on the console, and it has no zstd decoder at all.)
modlist=()
for m in "${modules[@]}"; do
  src=""
  for ext in ko ko.xz ko.zst ko.gz; do
    if [ -f "$moddir/kernel/$m.$ext" ]; then src="$moddir/kernel/$m.$ext"; break; fi
  done
  [ -n "$src" ] || die "module $m not found under $moddir/kernel"
  dst="$rd/lib/modules/${m##*/}.ko"
  case "$src" in
    *.ko.xz) xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *.ko.gz) gzip -dc "$src" >"$dst" ;;
    *) cp "$src" "$dst" ;;
  esac
  vermagic="$(tr '\0' '\n' <"$dst" | sed -n 's/^vermagic=//p' | head -n1)"
  case "$vermagic" in
    "$krel "*) ;;
    *) die "${m##*/}: vermagic '$vermagic' does not match kernel $krel" ;;
  esac
  modlist+=("${m##*/}.ko(${src##*/})")
done

cat >"$rd/init" <<'INIT'
#!/bin/sh
# tsvirt test guest: PID 1 of the initramfs. It must never exit (the kernel panics if it does).
export PATH=/bin HOME=/root
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null

arg() { # value of tsvirt.$1=... on the kernel command line
  for w in $(cat /proc/cmdline); do
    case "$w" in "tsvirt.$1="*) echo "${w#*=}"; return 0 ;; esac
  done
  return 1
}

# The modules' order matters: evdev first, so the button's input device gets its event node at once.
insmod /lib/modules/evdev.ko || echo "tsvirt-guest: insmod evdev.ko failed"
insmod /lib/modules/button.ko || echo "tsvirt-guest: insmod button.ko failed"

# Find the ACPI power button's event device(s) and open them now, before the ready line: evdev only
# queues events for readers that already have the node open.
buttons=""
i=0
while [ -z "$buttons" ] && [ "$i" -lt 50 ]; do
  for d in /sys/class/input/event*; do
    [ -r "$d/device/name" ] || continue
    if [ "$(cat "$d/device/name")" = "Power Button" ] && [ -c "/dev/input/${d##*/}" ]; then
      buttons="$buttons /dev/input/${d##*/}"
    fi
  done
  [ -n "$buttons" ] || { i=$((i + 1)); sleep 0.1; }
done

fd=3
if [ -z "$buttons" ]; then
  echo "tsvirt-guest: no power button found (no ACPI?)"
elif [ "$(arg ignore_button)" = 1 ]; then
  echo "tsvirt-guest: ignoring the power button (tsvirt.ignore_button=1)"
else
  for b in $buttons; do
    # Open in this shell (fd 3, 4, ...); the background reader inherits the open file.
    eval "exec $fd<$b"
    # A read of evdev needs room for a whole event (24 bytes); any event means "power off".
    (dd bs=64 count=1 of=/dev/null <&$fd 2>/dev/null && echo "tsvirt-guest: power button pressed" && poweroff -f) &
    eval "exec $fd<&-"
    fd=$((fd + 1))
  done
fi

if n="$(arg poweroff_after)"; then
  (sleep "$n" && echo "tsvirt-guest: powering off after ${n}s" && poweroff -f) &
fi
if n="$(arg reboot_after)"; then
  (sleep "$n" && echo "tsvirt-guest: rebooting after ${n}s" && reboot -f) &
fi

echo "tsvirt-guest: kernel $(uname -r), power button:${buttons:- none}"
echo "TESTGUEST READY"

if [ "$(arg noshell)" = 1 ]; then
  while :; do sleep 3600; done
fi
while :; do
  setsid cttyhack sh -l
  sleep 1
done
INIT
chmod 755 "$rd/init"
cat >"$rd/etc/profile" <<'PROFILE'
export PATH=/bin HOME=/root PS1='testguest# '
PROFILE

# Deterministic-ish archive: sorted names, fixed mtimes, owner root, no gzip timestamp.
find "$rd" -exec touch -h -d @0 {} +
(cd "$rd" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0) | gzip -n -9 >"$work/initrd.img"
cp "$vmlinuz" "$work/vmlinuz"

{
  echo "# tsvirt test guest, built by scripts/build-guest.sh"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel_pkg=$kpkg"
  echo "kernel_version=$kver"
  echo "kernel_release=$krel"
  echo "busybox_version=$bbver"
  echo "modules=${modlist[*]}"
  echo "vmlinuz_sha256=$(sha256sum "$work/vmlinuz" | cut -d' ' -f1)"
  echo "initrd_sha256=$(sha256sum "$work/initrd.img" | cut -d' ' -f1)"
  echo "script_sha256=$script_sha"
  echo "apt_lists=$lists_now"
  echo "inputs=$inputs"
} >"$work/manifest"

# Publish: outputs first, the manifest (the stamp) last, each by rename.
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initrd.img" "$out/initrd.img"
mv -f "$work/manifest" "$out/manifest"
say "built $out (kernel $krel, initrd $(stat -c %s "$out/initrd.img") bytes)"
