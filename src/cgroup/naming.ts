// Names of a guest's cgroup, as libvirt 9 forms them.
import { createHash } from 'node:crypto';

const HOST_CHARS = /[A-Za-z0-9-]/;

/** virDomainMachineNameAppendValid(): hostname characters, no repeated/leading/trailing '-' or '.', ≤64 total. */
function appendValid(prefix: string, name: string): string {
  let out = prefix;
  let skip = true;
  for (const ch of name) {
    if (out.length >= 64) break;
    if (ch === '.' || ch === '-') {
      if (!skip) {
        out += ch;
        skip = true;
      }
      continue;
    }
    if (!HOST_CHARS.test(ch)) continue;
    out += ch;
    skip = false;
  }
  return out.replace(/[-.]+$/, '');
}

export interface MachineNameOptions {
  /** Driver name, 'qemu'. */
  driver?: string;
  /** Root of an embedded driver. */
  root?: string;
  privileged: boolean;
  /** User name of the session daemon (unprivileged, not embedded). */
  userName?: string;
}

/**
 * virDomainDriverGenerateMachineName(): "qemu-<id>-<name>" for the system instance,
 * "qemu-<user>-<id>-<name>" for a session, "qemu-embed-<sha256(root)[0:8]>-<id>-<name>" for an embedded root.
 */
export function machineName(id: number, name: string, o: MachineNameOptions): string {
  const drv = o.driver ?? 'qemu';
  let prefix: string;
  if (o.root) prefix = `${drv}-embed-${createHash('sha256').update(o.root).digest('hex').slice(0, 8)}-`;
  else prefix = o.privileged ? `${drv}-` : `${drv}-${o.userName ?? 'user'}-`;
  return appendValid(`${prefix}${id}-`, name);
}

/** systemd unit-name escaping ("-" → "\x2d", and other non-[A-Za-z0-9:_.] bytes). */
export function systemdEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9:_.]/.test(c) && !(out === '' && c === '.')) out += c;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The scope systemd-machined creates: "machine-qemu\x2d1\x2dfoo.scope" under machine.slice. */
export function systemdScopePath(machine: string): string {
  return `/machine.slice/machine-${systemdEscape(machine)}.scope`;
}

/** Controller names that would clash with a cgroup's own files get a "_" prefix (virCgroupPartitionEscape). */
function escapeComponent(s: string): string {
  const clash = /^(cgroup|tasks|notify_on_release|release_agent|cpu|cpuacct|cpuset|memory|devices|freezer|blkio|net_cls|perf_event|pids|hugetlb|rdma|misc|io)(\.|$)/;
  return s.startsWith('_') || s.startsWith('.') || clash.test(s) ? `_${s}` : s;
}

/** Without machined (no systemd as init): "/machine/<machine>.libvirt-qemu" (the partition is configurable). */
export function directCgroupPath(machine: string, partition = '/machine', driver = 'qemu'): string {
  const part = partition.split('/').filter(Boolean).map(escapeComponent).join('/');
  return `/${part ? `${part}/` : ''}${escapeComponent(`${machine}.libvirt-${driver}`)}`;
}
