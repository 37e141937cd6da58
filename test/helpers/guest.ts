// The test guest (built by scripts/build-guest.sh): paths, building on demand, domain XML and raw QEMU
// arguments. See ../../guest/out/manifest for what the current build was made from.
//
// The guest prints GUEST_READY ("TESTGUEST READY") on ttyS0 once it is up with the ACPI power button
// open; any power-button press (QMP system_powerdown, virsh shutdown) then makes it `poweroff -f`.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export { REPO_ROOT } from './paths.js';
export { cliEnv, runCli, CLI_PATH, type CliResult, type RunCliOptions } from './cli.js';
export { embedURI, makeTempRoot, makeTempRootSync, removeTempRootSync, withTempRoot, type TempRoot } from './tmp.js';
export {
  DEFAULT_TIMEOUT_MS,
  processGone,
  readTextOrEmpty,
  waitFor,
  waitForFileText,
  waitForProcessGone,
  type WaitOptions,
} from './wait.js';

export const GUEST_DIR = join(REPO_ROOT, 'guest/out');
export const GUEST_KERNEL = join(GUEST_DIR, 'vmlinuz');
export const GUEST_INITRD = join(GUEST_DIR, 'initrd.img');
export const GUEST_MANIFEST = join(GUEST_DIR, 'manifest');
export const BUILD_GUEST_SCRIPT = join(REPO_ROOT, 'scripts/build-guest.sh');
/** The line the guest prints on its serial console once it is ready. */
export const GUEST_READY = 'TESTGUEST READY';
/** The guest's base kernel command line (the console on the first serial port). */
export const GUEST_BASE_CMDLINE = 'console=ttyS0 quiet panic=-1';
export const QEMU_BINARY = '/usr/bin/qemu-system-x86_64';
/** Guest RAM: it needs at least 76 MiB (72 boots half the time); 128 is safe. */
export const GUEST_MEMORY_MIB = 128;
/** Time for a TCG boot to the ready line: ~5 s idle, ~10 s with both cores busy. */
export const GUEST_BOOT_TIMEOUT_MS = 60_000;

export interface GuestPaths {
  kernel: string;
  initrd: string;
  manifest: string;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** True when the guest is built, and built by the current version of scripts/build-guest.sh. */
export function guestIsBuilt(): boolean {
  if (!existsSync(GUEST_KERNEL) || !existsSync(GUEST_INITRD) || !existsSync(GUEST_MANIFEST)) return false;
  const m = /^script_sha256=([0-9a-f]+)$/m.exec(readFileSync(GUEST_MANIFEST, 'utf8'));
  return m !== null && m[1] === sha256File(BUILD_GUEST_SCRIPT);
}

let building: Promise<GuestPaths> | undefined;

/**
 * Makes sure the guest exists (building it with scripts/build-guest.sh if it is missing or stale)
 * and returns its paths. Cached per process; the script itself locks against concurrent builds.
 */
export function ensureGuest(): Promise<GuestPaths> {
  const paths = { kernel: GUEST_KERNEL, initrd: GUEST_INITRD, manifest: GUEST_MANIFEST };
  if (building) return building;
  if (guestIsBuilt()) {
    building = Promise.resolve(paths);
    return building;
  }
  building = new Promise<GuestPaths>((resolve, reject) => {
    execFile(
      'bash',
      [BUILD_GUEST_SCRIPT, '--quiet'],
      { cwd: REPO_ROOT, timeout: 10 * 60_000, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`scripts/build-guest.sh failed: ${err.message}\n${stderr}`));
        else if (!existsSync(GUEST_KERNEL) || !existsSync(GUEST_INITRD))
          reject(new Error(`scripts/build-guest.sh did not produce ${GUEST_KERNEL} and ${GUEST_INITRD}`));
        else resolve(paths);
      },
    );
  });
  building.catch(() => {
    building = undefined; // let a later call retry
  });
  return building;
}

export interface GuestKnobs {
  /** The guest ignores the power button (tsvirt.ignore_button=1): shutdown never completes. */
  ignoreButton?: boolean;
  /** The guest powers itself off this many seconds after the ready line. */
  poweroffAfter?: number;
  /** The guest reboots this many seconds after the ready line. */
  rebootAfter?: number;
  /** No shell on the console; the guest just sleeps. */
  noShell?: boolean;
  /** Appended verbatim to the kernel command line. */
  extraCmdline?: string;
}

/** The guest's kernel command line for the given knobs. */
export function guestCmdline(k: GuestKnobs = {}): string {
  const parts = [GUEST_BASE_CMDLINE];
  if (k.ignoreButton) parts.push('tsvirt.ignore_button=1');
  if (k.poweroffAfter !== undefined) parts.push(`tsvirt.poweroff_after=${k.poweroffAfter}`);
  if (k.rebootAfter !== undefined) parts.push(`tsvirt.reboot_after=${k.rebootAfter}`);
  if (k.noShell) parts.push('tsvirt.noshell=1');
  if (k.extraCmdline) parts.push(k.extraCmdline);
  return parts.join(' ');
}

export type LifecycleAction = 'destroy' | 'restart' | 'preserve' | 'rename-restart' | 'coredump-destroy' | 'coredump-restart';

export interface GuestDomainOptions extends GuestKnobs {
  name: string;
  uuid?: string;
  /** 'qemu' (TCG, the default: KVM guests crash on these machines) or 'kvm'. */
  type?: 'qemu' | 'kvm';
  /** Serial port 0 (and the console on it): 'file' (default), 'pty' or 'unix' (server socket). */
  serial?: 'file' | 'pty' | 'unix';
  /** The log file for 'file' or the socket for 'unix'. Required for those types. */
  serialPath?: string;
  memoryMiB?: number;
  vcpus?: number;
  machine?: string;
  emulator?: string;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  /** Extra XML inserted at the end of <devices>. */
  extraDevices?: string;
  kernel?: string;
  initrd?: string;
}

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as const)[c as '&']};`);
}

function serialXML(o: GuestDomainOptions): string {
  const kind = o.serial ?? 'file';
  if (kind === 'pty') {
    return [
      "    <serial type='pty'>",
      "      <target port='0'/>",
      '    </serial>',
      "    <console type='pty'>",
      "      <target type='serial' port='0'/>",
      '    </console>',
    ].join('\n');
  }
  if (!o.serialPath) throw new Error(`guestDomainXML: serial '${kind}' needs serialPath`);
  const p = xmlEscape(o.serialPath);
  const source = kind === 'unix' ? `<source mode='bind' path='${p}'/>` : `<source path='${p}'/>`;
  return [
    `    <serial type='${kind}'>`,
    `      ${source}`,
    "      <target port='0'/>",
    '    </serial>',
    `    <console type='${kind}'>`,
    `      ${source}`,
    "      <target type='serial' port='0'/>",
    '    </console>',
  ].join('\n');
}

/**
 * libvirt domain XML for the test guest: direct kernel boot, ACPI, 128 MiB, 1 vCPU, serial + console,
 * no disks, no network, no USB, no balloon.
 */
export function guestDomainXML(o: GuestDomainOptions): string {
  const mem = o.memoryMiB ?? GUEST_MEMORY_MIB;
  const lines = [
    `<domain type='${o.type ?? 'qemu'}'>`,
    `  <name>${xmlEscape(o.name)}</name>`,
    `  <uuid>${o.uuid ?? randomUUID()}</uuid>`,
    `  <memory unit='MiB'>${mem}</memory>`,
    `  <currentMemory unit='MiB'>${mem}</currentMemory>`,
    `  <vcpu placement='static'>${o.vcpus ?? 1}</vcpu>`,
    '  <os>',
    `    <type arch='x86_64' machine='${xmlEscape(o.machine ?? 'pc')}'>hvm</type>`,
    `    <kernel>${xmlEscape(o.kernel ?? GUEST_KERNEL)}</kernel>`,
    `    <initrd>${xmlEscape(o.initrd ?? GUEST_INITRD)}</initrd>`,
    `    <cmdline>${xmlEscape(guestCmdline(o))}</cmdline>`,
    '  </os>',
    '  <features>',
    '    <acpi/>',
    '  </features>',
    "  <clock offset='utc'/>",
    `  <on_poweroff>${o.onPoweroff ?? 'destroy'}</on_poweroff>`,
    `  <on_reboot>${o.onReboot ?? 'restart'}</on_reboot>`,
    `  <on_crash>${o.onCrash ?? 'destroy'}</on_crash>`,
    '  <devices>',
    `    <emulator>${xmlEscape(o.emulator ?? QEMU_BINARY)}</emulator>`,
    "    <controller type='usb' model='none'/>",
    serialXML(o),
    "    <memballoon model='none'/>",
  ];
  if (o.extraDevices) lines.push(o.extraDevices);
  lines.push('  </devices>', '</domain>', '');
  return lines.join('\n');
}

export interface RawQemuOptions extends GuestKnobs {
  /** Serial port 0 goes to this file (default: stdio, i.e. the child's stdout). */
  serialFile?: string;
  /** QMP server socket path (default: none). */
  qmpSocket?: string;
  /** Start with -S (paused). */
  paused?: boolean;
  /** Pass -no-shutdown (QEMU stays up after the guest powers off; libvirt always does this). */
  noShutdown?: boolean;
  /** 'tcg' (default) or 'kvm'. */
  accel?: 'tcg' | 'kvm';
  memoryMiB?: number;
  machine?: string;
}

/** Arguments for qemu-system-x86_64 booting the test guest (-nodefaults, -no-reboot, no display). */
export function rawQemuArgs(o: RawQemuOptions = {}): string[] {
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-machine',
    `${o.machine ?? 'pc'},accel=${o.accel ?? 'tcg'}`,
    '-m',
    String(o.memoryMiB ?? GUEST_MEMORY_MIB),
    '-smp',
    '1',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    GUEST_KERNEL,
    '-initrd',
    GUEST_INITRD,
    '-append',
    guestCmdline(o),
    '-serial',
    o.serialFile ? `file:${o.serialFile}` : 'stdio',
  ];
  if (o.qmpSocket) args.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  if (o.paused) args.push('-S');
  if (o.noShutdown) args.push('-no-shutdown');
  return args;
}
