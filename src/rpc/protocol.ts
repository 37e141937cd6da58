// The programs libvirt speaks (remote, qemu, keepalive) as data: number, version and procedure
// table, shared by client and server. One TypeRegistry holds the codecs of every XDR type.
import { C, KEEPALIVE_PROCS, QEMU_PROCS, REMOTE_PROCS, TYPES } from './gen/protocol.js';
import { TypeRegistry, type ProcInfo } from './xdr-codec.js';

export const REMOTE_PROGRAM = C.REMOTE_PROGRAM;
export const QEMU_PROGRAM = C.QEMU_PROGRAM;
export const KEEPALIVE_PROGRAM = C.KEEPALIVE_PROGRAM;
export const PROTOCOL_VERSION = 1;

export interface Program {
  /** Short name: "remote", "qemu" or "keepalive". */
  name: string;
  prog: number;
  vers: number;
  /** Procedure by number. */
  procs: Map<number, ProcInfo>;
  /** Procedure by name without the program prefix ("CONNECT_OPEN"). */
  byName: Map<string, ProcInfo>;
}

function program(name: string, prog: number, table: ProcInfo[]): Program {
  return {
    name,
    prog,
    vers: PROTOCOL_VERSION,
    procs: new Map(table.map((p) => [p.num, p])),
    byName: new Map(table.map((p) => [p.name, p])),
  };
}

export const REMOTE = program('remote', REMOTE_PROGRAM, REMOTE_PROCS);
export const QEMU = program('qemu', QEMU_PROGRAM, QEMU_PROCS);
export const KEEPALIVE = program('keepalive', KEEPALIVE_PROGRAM, KEEPALIVE_PROCS);
export const PROGRAMS: ReadonlyMap<number, Program> = new Map([REMOTE, QEMU, KEEPALIVE].map((p) => [p.prog, p]));

/** Codecs for every XDR type of the protocol files. */
export const registry = new TypeRegistry(TYPES);

export function procNum(p: Program, name: string): number {
  const info = p.byName.get(name);
  if (!info) throw new Error(`no procedure ${name} in program ${p.name}`);
  return info.num;
}

export { C as PROTOCOL_CONSTANTS };
export type { ProcInfo };
