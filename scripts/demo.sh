#!/usr/bin/env bash
# The tsvirt demo: installs what is missing (scripts/setup.sh --demo), then, with the real CLI in
# embedded mode (qemu:///embed?root=..., no daemon), defines the test guest, starts it, shows its serial
# console until the guest prints its ready line, shuts it down gracefully (ACPI power button) and
# waits for "shut off". Uses KVM where a quick probe shows KVM can really run a guest, else TCG.
#
# Environment: TSVIRT_DEMO_ACCEL=kvm|tcg forces the accelerator; TSVIRT_DEMO_KEEP=1 keeps the root dir.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --demo
unset NODE_EXTRA_CA_CERTS

name=tsvirt-demo
marker='TESTGUEST READY'
boot_timeout=${TSVIRT_DEMO_BOOT_TIMEOUT:-180}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
if [ -t 1 ]; then say() { printf '\033[1m%s\033[0m\n' "$*"; }; else say() { printf '%s\n' "$*"; }; fi

demo_root="$(mktemp -d /tmp/tsv-demo-XXXXXX)"
uri="qemu:///embed?root=$demo_root"
tsvirt() { node "$root/bin/tsvirt" -c "$uri" "$@"; }
run() { # echo and run a CLI command
  printf '$ tsvirt -c %s %s\n' "$uri" "$*"
  tsvirt "$@"
}
probe_pid=""
started=0
cleanup() {
  local rc=$?
  [ -z "$probe_pid" ] || kill "$probe_pid" 2>/dev/null || true
  if [ "$started" = 1 ] && [ "$(tsvirt domstate "$name" 2>/dev/null | head -n1)" != "shut off" ]; then
    tsvirt destroy "$name" >/dev/null 2>&1 || true
  fi
  tsvirt undefine "$name" >/dev/null 2>&1 || true
  if [ "${TSVIRT_DEMO_KEEP:-0}" = 1 ]; then echo "kept $demo_root"; else rm -rf "$demo_root"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- KVM or TCG --------------------------------------------------------------------------------------
# /dev/kvm opening is not enough: on nested hosts QEMU starts under KVM and then the guest dies with
# "KVM internal error". So boot the guest once under KVM with raw QEMU; a working KVM reaches the ready
# line in well under a second.
kvm_probe() {
  [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || { kvm_why="/dev/kvm not usable"; return 1; }
  local out="$demo_root/kvm-probe.serial" err="$demo_root/kvm-probe.err" deadline
  qemu-system-x86_64 -nodefaults -no-user-config -machine pc,accel=kvm -m 128 -display none -no-reboot \
    -kernel guest/out/vmlinuz -initrd guest/out/initrd.img \
    -append 'console=ttyS0 quiet panic=-1 tsvirt.noshell=1' -serial "file:$out" 2>"$err" &
  probe_pid=$!
  deadline=$(($(now_ms) + 10000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if grep -qs "$marker" "$out"; then
      kill "$probe_pid" 2>/dev/null || true
      wait "$probe_pid" 2>/dev/null || true
      probe_pid=""
      return 0
    fi
    if grep -qs 'KVM internal error' "$err" || ! kill -0 "$probe_pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  kill "$probe_pid" 2>/dev/null || true
  wait "$probe_pid" 2>/dev/null || true
  probe_pid=""
  kvm_why="$(grep -m1 -o 'KVM internal error[^.]*' "$err" 2>/dev/null || true)"
  kvm_why="KVM probe failed${kvm_why:+: $kvm_why}"
  return 1
}
kvm_why=""
case "${TSVIRT_DEMO_ACCEL:-auto}" in
  kvm) type=kvm; why="forced by TSVIRT_DEMO_ACCEL" ;;
  tcg) type=qemu; why="forced by TSVIRT_DEMO_ACCEL" ;;
  *)
    if kvm_probe; then type=kvm; why="KVM probe booted the guest"
    else type=qemu; why="$kvm_why"; fi
    ;;
esac
accel=$([ "$type" = kvm ] && echo KVM || echo "TCG (software emulation)")

# --- the guest ---------------------------------------------------------------------------------------
[ -f bin/tsvirt ] || { echo "demo: bin/tsvirt is missing (the CLI is not in this tree yet)" >&2; exit 1; }
serial="$demo_root/$name.serial.log"
xml="$demo_root/$name.xml"
node --input-type=module -e "
  const { guestDomainXML } = await import('$root/dist/test/helpers/guest.js');
  process.stdout.write(guestDomainXML({ name: '$name', type: '$type', serial: 'file', serialPath: '$serial' }));
" >"$xml"

say "tsvirt demo: embedded QEMU driver (no daemon), root $demo_root"
say "accelerator: $accel — $why"
t0=$(now_ms)
run define "$xml"
t1=$(now_ms)
run start "$name"
started=1
t2=$(now_ms)

say "serial console of $name (until \"$marker\"):"
pos=0
deadline=$(($(now_ms) + boot_timeout * 1000))
while :; do
  if [ -f "$serial" ]; then
    size=$(stat -c %s "$serial")
    if [ "$size" -gt "$pos" ]; then
      # New bytes, minus terminal control sequences (SeaBIOS clears the screen), indented.
      tail -c +$((pos + 1)) "$serial" | head -c $((size - pos)) |
        sed -e 's/\x1b[^a-zA-Z]*[a-zA-Z]//g' -e 's/\r//g' -e '/^[[:space:]]*$/d' -e 's/^/  | /'
      pos=$size
    fi
    grep -qs "$marker" "$serial" && break
  fi
  if [ "$(now_ms)" -ge "$deadline" ]; then
    echo "demo: no \"$marker\" within ${boot_timeout}s" >&2
    tsvirt domstate "$name" >&2 || true
    exit 1
  fi
  sleep 0.1
done
t3=$(now_ms)

run shutdown "$name"
state=""
deadline=$(($(now_ms) + 60000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  state="$(tsvirt domstate "$name" 2>/dev/null | head -n1 || true)"
  [ "$state" = "shut off" ] && break
  sleep 0.05
done
t4=$(now_ms)
[ "$state" = "shut off" ] || { echo "demo: still '$state' 60 s after shutdown" >&2; exit 1; }
run domstate "$name"
run list --all
run undefine "$name"
started=0

say "summary"
printf '  accelerator         %s\n' "$accel"
printf '  define              %6d ms\n' $((t1 - t0))
printf '  start               %6d ms  (returns once QEMU runs the guest)\n' $((t2 - t1))
printf '  start → ready line  %6d ms  (guest boot)\n' $((t3 - t1))
printf '  shutdown → shut off %6d ms  (ACPI power button, guest powers off)\n' $((t4 - t3))
