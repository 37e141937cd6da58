// The one module that talks to the kernel for SELinux: file labels (security.selinux xattr, what
// setfilecon/getfilecon do), the process context (/proc/self/attr/current) and the policy's virtual-domain
// context files. Exec labels are applied by the spawner (`setpriv --selinux-label`, i.e. setexeccon).
// Everything reports clearly when SELinux is absent.
import { getAttribute, setAttribute } from '@napi-rs/xattr';
import { existsSync, readFileSync } from 'node:fs';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';

export interface SelinuxKernel {
  /** SELinux is enabled (selinuxfs mounted). */
  enabled(): boolean;
  /** Context of this process (getcon), undefined without SELinux. */
  currentContext(): string | undefined;
  getFileLabel(path: string): Promise<string | undefined>;
  setFileLabel(path: string, label: string): Promise<void>;
  /** The policy's default label for a path (matchpathcon), undefined when unknown. */
  defaultFileLabel(path: string): Promise<string | undefined>;
  /** Contents of /etc/selinux/<type>/contexts/<name>, undefined when missing. */
  policyContextFile(name: string): string | undefined;
}

export const SELINUX_XATTR = 'security.selinux';

function selinuxType(etc: string): string {
  try {
    const m = /^\s*SELINUXTYPE\s*=\s*(\S+)/m.exec(readFileSync(`${etc}/selinux/config`, 'utf8'));
    if (m) return m[1];
  } catch {
    /* no config: the usual policy name */
  }
  return 'targeted';
}

export interface HostSelinuxOptions {
  /** selinuxfs mount point (default /sys/fs/selinux). */
  selinuxfs?: string;
  /** /etc (for selinux/config and the policy's contexts). */
  etc?: string;
  /**
   * Apply file labels even though SELinux is not enabled (the xattr exists on ext4/xfs regardless).
   * Used by tests to exercise relabelling on real files; never by the driver.
   */
  allowWithoutSelinux?: boolean;
}

/** The real kernel. */
export class HostSelinux implements SelinuxKernel {
  private readonly fs: string;
  private readonly etc: string;
  constructor(private readonly o: HostSelinuxOptions = {}) {
    this.fs = o.selinuxfs ?? '/sys/fs/selinux';
    this.etc = o.etc ?? '/etc';
  }

  enabled(): boolean {
    return existsSync(`${this.fs}/enforce`);
  }

  private require(what: string): void {
    if (!this.enabled() && !this.o.allowWithoutSelinux)
      throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY,
        `cannot ${what}: SELinux is not enabled on this host (no selinuxfs at ${this.fs})`);
  }

  currentContext(): string | undefined {
    if (!this.enabled()) return undefined;
    try {
      return readFileSync('/proc/self/attr/current', 'utf8').replace(/\0+$/, '').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async getFileLabel(path: string): Promise<string | undefined> {
    this.require(`read the label of ${path}`);
    try {
      const v = await getAttribute(path, SELINUX_XATTR);
      return v === null ? undefined : v.toString('utf8').replace(/\0+$/, '');
    } catch (e) {
      if (/os error 61/.test(String((e as Error).message))) return undefined;
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `unable to get security context of '${path}': ${(e as Error).message}`);
    }
  }

  async setFileLabel(path: string, label: string): Promise<void> {
    this.require(`set security context '${label}' on '${path}'`);
    try {
      // setfilecon() stores the context with its terminating NUL.
      await setAttribute(path, SELINUX_XATTR, Buffer.from(`${label}\0`));
    } catch (e) {
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `unable to set security context '${label}' on '${path}': ${(e as Error).message}`);
    }
  }

  async defaultFileLabel(path: string): Promise<string | undefined> {
    if (!this.enabled()) return undefined;
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      execFile('matchpathcon', ['-n', path], (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
    });
  }

  policyContextFile(name: string): string | undefined {
    try {
      return readFileSync(`${this.etc}/selinux/${selinuxType(this.etc)}/contexts/${name}`, 'utf8');
    } catch {
      return undefined;
    }
  }
}
