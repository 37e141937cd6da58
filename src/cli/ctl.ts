// The CLI's control block (virsh's vshControl): output, error reporting, the connection and the
// domain lookup rules shared by every command.
import type { Connection } from '../api/connection.js';
import type { Domain } from '../api/domain.js';
import type { ParsedCmd } from './vsh.js';
import { optString } from './vsh.js';

/** An error that has already been printed; the command just fails. */
export class Reported extends Error {
  constructor() {
    super('reported');
  }
}

export interface GlobalOptions {
  uri?: string;
  quiet: boolean;
  json: boolean;
  readonly: boolean;
  timing: boolean;
  /** Console escape, as virsh's -e: "^]" by default. */
  escape: string;
}

/** Which lookups a domain argument tries (virsh's VIRSH_BYID / BYUUID / BYNAME). */
export const BY_ID = 1;
export const BY_UUID = 2;
export const BY_NAME = 4;
export const BY_ALL = BY_ID | BY_UUID | BY_NAME;

export class Ctl {
  private conn: Connection | null = null;
  /** Set while a command runs: its own --json or the global one. */
  json = false;

  constructor(readonly g: GlobalOptions) {}

  /** vshPrint: command output on stdout. */
  print(s: string): void {
    process.stdout.write(s);
  }
  /** vshPrintExtra: output that -q suppresses. */
  printExtra(s: string): void {
    if (!this.g.quiet) process.stdout.write(s);
  }
  /** vshError: "error: ..." on stderr. */
  error(msg: string): void {
    process.stderr.write(`error: ${msg}\n`);
  }
  /** Prints one JSON document. */
  printJSON(v: unknown): void {
    process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  /** Opens the connection (once). Failures are reported as virsh does and become Reported. */
  async connect(): Promise<Connection> {
    if (this.conn) return this.conn;
    const { openConnection } = await import('./connect.js');
    try {
      this.conn = await openConnection(this.g.uri, { readonly: this.g.readonly });
    } catch (e) {
      this.error('failed to connect to the hypervisor');
      this.error(errorText(e));
      throw new Reported();
    }
    return this.conn;
  }

  connection(): Connection {
    if (!this.conn) throw new Error('not connected');
    return this.conn;
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    if (c) await c.close().catch(() => {});
  }

  /**
   * virshLookupDomainBy: a numeric argument is tried as an id first, a 36-character one as a UUID,
   * then the name. Any failure is reported as "failed to get domain 'x'".
   */
  async lookupDomain(n: string, by = BY_ALL): Promise<Domain> {
    const conn = this.connection();
    let dom: Domain | null = null;
    if (by & BY_ID && /^\s*[+-]?\d+$/.test(n)) {
      const id = Number.parseInt(n, 10);
      if (id >= 0 && id <= 0x7fffffff) dom = await conn.lookupByID(id).catch(() => null);
    }
    if (!dom && by & BY_UUID && n.length === 36) dom = await conn.lookupByUUID(n).catch(() => null);
    if (!dom && by & BY_NAME) dom = await conn.lookupByName(n).catch(() => null);
    if (!dom) {
      this.error(`failed to get domain '${n}'`);
      throw new Reported();
    }
    return dom;
  }

  /** virshCommandOptDomain: the domain named by the command's --domain option. */
  async optDomain(cmd: ParsedCmd, by = BY_ALL, opt = 'domain'): Promise<Domain> {
    const n = optString(cmd, opt);
    if (n === undefined) {
      this.error(`command '${cmd.def.name}' requires <${opt}> option`);
      throw new Reported();
    }
    return this.lookupDomain(n, by);
  }

  /** VSH_EXCLUSIVE_OPTIONS. */
  exclusive(cmd: ParsedCmd, a: string, b: string): void {
    if (cmd.opts.has(a) && cmd.opts.has(b)) {
      this.error(`Options --${a} and --${b} are mutually exclusive`);
      throw new Reported();
    }
  }

  /** vshCommandOptInt-style parsing; returns undefined when absent. */
  optInt(cmd: ParsedCmd, name: string, min = -0x80000000): number | undefined {
    const v = optString(cmd, name);
    if (v === undefined) return undefined;
    const n = /^\s*[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > 0x7fffffff) {
      this.error(`Numeric value '${v}' for <${name}> option is malformed or out of range`);
      throw new Reported();
    }
    return n;
  }

  /** vshCommandOptTimeoutToMs: --timeout in seconds (positive), as milliseconds; 0 when absent. */
  optTimeoutMs(cmd: ParsedCmd): number {
    const v = optString(cmd, 'timeout');
    if (v === undefined) return 0;
    const n = /^\s*[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : Number.NaN;
    if (!Number.isInteger(n) || n <= 0 || n > 0x7fffffff / 1000) {
      this.error(`Numeric value '${v}' for <timeout> option is malformed or out of range`);
      throw new Reported();
    }
    return n * 1000;
  }
}

/** The message virsh prints for an error (after "error: "). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
