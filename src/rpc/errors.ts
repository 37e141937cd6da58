// remote_error (the wire form of virError) <-> VirError.
//
// libvirt fills the wire fields the way virRaiseErrorFull does: str1 is the code's message
// template ("Domain not found: %s"), str2 the detail, message the formatted text. tsvirt's
// VirError keeps the detail in str1 (see virError() in src/util/errors.ts); errors that came off
// the wire keep their str1..3 as received so a proxy passes them through unchanged.
import { ErrorCode, ErrorDomain, ErrorLevel, VirError, formatErrorMessage } from '../util/errors.js';
import type { remote_error } from './gen/types.js';

const fromWire = new WeakSet<VirError>();

export function virErrorToWire(e: unknown): remote_error {
  if (!(e instanceof VirError)) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      code: ErrorCode.INTERNAL_ERROR, domain: ErrorDomain.RPC, message: formatErrorMessage(ErrorCode.INTERNAL_ERROR, msg),
      level: ErrorLevel.ERROR, dom: null, str1: formatErrorMessage(ErrorCode.INTERNAL_ERROR, '%s'), str2: msg, str3: null,
      int1: -1, int2: -1, net: null,
    };
  }
  let str1: string | null;
  let str2: string | null;
  let str3: string | null = null;
  if (fromWire.has(e)) {
    str1 = e.str1;
    str2 = e.str2;
    str3 = e.str3;
  } else if (e.str1 !== null && e.str1 !== '') {
    str1 = formatErrorMessage(e.code, '%s');
    str2 = e.str1;
    str3 = e.str2;
  } else {
    str1 = e.message;
    str2 = null;
  }
  return {
    code: e.code, domain: e.domain, message: e.message, level: e.level, dom: null,
    str1, str2, str3, int1: e.int1, int2: e.int2, net: null,
  };
}

/**
 * Builds the VirError a client raises for an error reply. Like libvirt's client, an
 * "unknown procedure" RPC error becomes VIR_ERR_NO_SUPPORT.
 */
export function virErrorFromWire(r: remote_error): VirError {
  let code = r.code;
  const message = r.message ?? formatErrorMessage(r.code);
  if (code === ErrorCode.RPC && message.startsWith('unknown procedure')) code = ErrorCode.NO_SUPPORT;
  const e = new VirError({
    code, domain: r.domain, message, level: r.level, str1: r.str1, str2: r.str2, str3: r.str3, int1: r.int1, int2: r.int2,
  });
  fromWire.add(e);
  return e;
}

/** libvirt's reply to a call for a procedure number the program does not have. */
export function unknownProcedureError(proc: number): VirError {
  return rpcError(`unknown procedure: ${proc}`);
}

/** libvirt's reply to a call for a (program, version) the server does not serve. */
export function unknownProgramError(prog: number, vers: number): VirError {
  return rpcError(`Cannot find program ${prog} version ${vers}`);
}

/** VIR_ERR_RPC / VIR_FROM_RPC with a plain message (str1 "%s", str2 = message), as libvirtd sends it. */
export function rpcError(message: string): VirError {
  const e = new VirError({ code: ErrorCode.RPC, domain: ErrorDomain.RPC, message, str1: '%s', str2: message });
  fromWire.add(e);
  return e;
}
