// Shared fixtures for the isolation acceptance tests: a driver root whose qemu.conf runs QEMU as the
// test account, a 0755 image directory with the guest's kernel/initrd copies and raw disk images,
// the guest XML with a disk, and readers for status files, /proc and the devices cgroup.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGuest, GUEST_INITRD, GUEST_KERNEL, guestDomainXML, xmlEscape } from '../helpers/guest.js';
import { ensureTestUser, procStatus, TEST_USER, tempTree } from '../security/helpers.js';

export { isRoot, run, waitFor } from '../security/helpers.js';
export { ensureTestUser, procStatus, TEST_USER, tempTree };

/** The owner test images have before any guest uses them (not root, so a restore to root:root shows). */
export const ORIG_UID = 4321;
export const ORIG_GID = 4321;

/** qemu.conf text for QEMU as the test account. */
export function qemuConf(extra = ''): string {
  return `user = "${TEST_USER}"\ngroup = "${TEST_USER}"\n${extra}`;
}

/** Writes etc/qemu.conf of an embedded root and opens the root for the QEMU user (o+x). */
export function prepareEmbedRoot(root: string, conf = qemuConf()): void {
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/qemu.conf'), conf);
}

export interface Images {
  dir: string;
  kernel: string;
  initrd: string;
  cleanup(): void;
  /** A raw image (1 MiB, mode 0600, owner ORIG_UID:ORIG_GID) in `sub` (created 0755 unless mode given). */
  disk(name: string, sub?: string, subMode?: number): string;
}

/** A 0755 temp dir with copies of the guest's kernel and initrd (the shared ones are not relabelled). */
export function makeImages(prefix: string): Images {
  const t = tempTree(prefix);
  const kernel = join(t.dir, 'vmlinuz');
  const initrd = join(t.dir, 'initrd.img');
  copyFileSync(GUEST_KERNEL, kernel);
  copyFileSync(GUEST_INITRD, initrd);
  return {
    dir: t.dir,
    kernel,
    initrd,
    cleanup: t.cleanup,
    disk(name, sub, subMode) {
      const d = sub ? join(t.dir, sub) : t.dir;
      mkdirSync(d, { recursive: true });
      if (sub) chmodSync(d, subMode ?? 0o755);
      const p = join(d, name);
      writeFileSync(p, Buffer.alloc(1 << 20));
      chmodSync(p, 0o600);
      chownSync(p, ORIG_UID, ORIG_GID);
      return p;
    },
  };
}

/** What both acceptance suites start from: the test account, the guest's images and two raw disks,
 *  a.img in the image dir and b.img in a 0700 subdir (private-b) QEMU's user cannot enter. */
export async function isolationImages(prefix: string): Promise<{ ids: { uid: number; gid: number }; img: Images; diskA: string; diskB: string }> {
  await ensureGuest();
  const ids = ensureTestUser();
  const img = makeImages(prefix);
  return { ids, img, diskA: img.disk('a.img'), diskB: img.disk('b.img', 'private-b', 0o700) };
}

/** The test guest with one raw virtio disk. */
export function diskGuestXML(name: string, img: Images, disk: string): string {
  return guestDomainXML({
    name,
    serial: 'pty',
    kernel: img.kernel,
    initrd: img.initrd,
    extraDevices: [
      "    <disk type='file' device='disk'>",
      "      <driver name='qemu' type='raw'/>",
      `      <source file='${xmlEscape(disk)}'/>`,
      "      <target dev='vda' bus='virtio'/>",
      '    </disk>',
    ].join('\n'),
  });
}

export function owner(path: string): string {
  const s = statSync(path);
  return `${s.uid}:${s.gid}`;
}

/** pid attribute of a status file (stateDir/NAME.xml). */
export function statusPid(stateDir: string, name: string): number {
  const m = /<domstatus [^>]*pid='(\d+)'/.exec(readFileSync(join(stateDir, `${name}.xml`), 'utf8'));
  if (!m) throw new Error('no pid in status file');
  return Number(m[1]);
}

/** Uid/Gid/Groups/CapEff/CapPrm/CapBnd of a process. */
export function identity(pid: number): { uid: string; gid: string; groups: string; capEff: string; capPrm: string; capBnd: string; capInh: string } {
  const s = procStatus(pid);
  return { uid: s.Uid, gid: s.Gid, groups: s.Groups, capEff: s.CapEff, capPrm: s.CapPrm, capBnd: s.CapBnd, capInh: s.CapInh };
}

/** A capability set with nothing in it, as /proc/PID/status prints it. */
export const ZERO_CAPS = '0000000000000000';

/** All four uids and gids of the process are the test account's, and it has no effective or permitted capabilities. */
export function assertTestAccountWithoutCaps(id: ReturnType<typeof identity>, ids: { uid: number; gid: number }): void {
  assert.deepEqual(id.uid.split(/\s+/).map(Number), [ids.uid, ids.uid, ids.uid, ids.uid]);
  assert.deepEqual(id.gid.split(/\s+/).map(Number), [ids.gid, ids.gid, ids.gid, ids.gid]);
  assert.equal(id.capEff, ZERO_CAPS);
  assert.equal(id.capPrm, ZERO_CAPS);
}

/** The process's path in the v1 devices hierarchy (from /proc/PID/cgroup). */
export function devicesCgroupOf(pid: number): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls?.split(',').includes('devices')) return path;
  }
  return undefined;
}

/** Expected devices.list lines for qemu.conf's default cgroup_device_acl on this host. */
export function expectedDefaultAcl(): string[] {
  const acl = ['/dev/null', '/dev/full', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/kvm', '/dev/userfaultfd'];
  const out: string[] = [];
  for (const p of acl) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      continue; // libvirt skips missing devices (e.g. /dev/kvm here)
    }
    const rdev = Number(st.rdev);
    const major = (rdev >> 8) & 0xfff;
    const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    out.push(`${st.isBlockDevice() ? 'b' : 'c'} ${major}:${minor} rw`);
  }
  out.push('c 136:* rw');
  return out.sort();
}

/** Runs `argv` as root inside the devices cgroup directory `dir` (joins it, then execs). */
export function runInCgroup(dir: string, argv: string[]): { code: number; stderr: string } {
  try {
    execFileSync('/bin/sh', ['-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', dir, ...argv], { stdio: 'pipe' });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    return { code: err.status ?? -1, stderr: err.stderr?.toString() ?? '' };
  }
}
