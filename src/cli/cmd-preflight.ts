// tsvirt domain-preflight NAME (beyond virsh): what would keep QEMU, running as the configured user,
// from using the domain's files — checked before anything is started or relabelled. Embedded
// connections only (the check runs in the driver's process, with its view of the file system).
import type { DomainRef } from '../driver/api.js';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';
import type { Ctl } from './ctl.js';
import type { ParsedCmd } from './vsh.js';

interface PreflightCapable {
  preflightReport(ref: DomainRef): Promise<{ problems: Array<{ path: string; blocker: string; message: string; fix: string }>; text: string }>;
}

function canPreflight(d: unknown): d is PreflightCapable {
  return typeof (d as Partial<PreflightCapable> | null)?.preflightReport === 'function';
}

export async function cmdDomainPreflight(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  const drv = ctl.connection().driver;
  if (!canPreflight(drv)) {
    throw virError(ErrorCode.NO_SUPPORT, ErrorDomain.NONE, 'domain-preflight needs an embedded connection (qemu:///embed?root=…)');
  }
  const r = await drv.preflightReport(dom.toRef());
  if (ctl.json) ctl.printJSON({ domain: dom.name, ok: r.problems.length === 0, problems: r.problems });
  else ctl.print(r.text);
  return r.problems.length === 0;
}
