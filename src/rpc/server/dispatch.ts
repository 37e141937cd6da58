// Runs one CALL as libvirtd's virNetServerProgramDispatch does: program/version check, status
// check, procedure lookup, payload decode, connection-state and read-only checks, then the
// handler; every failure becomes an error REPLY (the connection stays up).
import type { HypervisorDriver } from '../../driver/api.js';
import { ErrorCode, ErrorDomain, type VirError, virError } from '../../util/errors.js';
import { rpcError, unknownProcedureError, unknownProgramError, virErrorToWire } from '../errors.js';
import { type Header, MessageStatus, MessageType, decodePayload, encodeMessage } from '../message.js';
import { KEEPALIVE, PROGRAMS, type Program } from '../protocol.js';
import type { ProcInfo } from '../xdr-codec.js';
import type { ServerClient } from './client.js';

export interface CallContext {
  client: ServerClient;
  driver: HypervisorDriver;
  header: Header;
  /** Runs after the reply is queued (e.g. a stream starts sending data only after its REPLY). */
  afterReply?: () => void;
}

export type Handler = (ctx: CallContext, args: never) => Promise<unknown>;
export type HandlerTable = Map<string, Handler>;

/** Procedures allowed before CONNECT_OPEN (SUPPORTS_FEATURE is checked per feature by its handler). */
const BEFORE_OPEN = new Set(['CONNECT_OPEN', 'CONNECT_CLOSE', 'CONNECT_SUPPORTS_FEATURE', 'AUTH_LIST', 'AUTH_SASL_INIT', 'AUTH_SASL_START', 'AUTH_SASL_STEP', 'AUTH_POLKIT']);

const ACRONYMS: Record<string, string> = { XML: 'XML', UUID: 'UUID', ID: 'ID', OS: 'OS', CPU: 'CPU', URI: 'URI', NMI: 'NMI', PM: 'PM', SEV: 'SEV', IO: 'IO', FS: 'FS', NUMA: 'Numa' };

/** The libvirt API behind a procedure, as error messages name it: DOMAIN_GET_XML_DESC -> virDomainGetXMLDesc. */
export function apiName(prog: Program, info: ProcInfo): string {
  const words = info.name.split('_').map((w) => ACRONYMS[w] ?? w[0] + w.slice(1).toLowerCase());
  if (prog.name === 'qemu') {
    const rest = words.join('');
    return rest.startsWith('Domain') ? `virDomainQemu${rest.slice(6)}` : `virConnectDomainQemu${rest.replace(/^ConnectDomain/, '')}`;
  }
  return `vir${words.join('')}`;
}

function apiDomain(info: ProcInfo): number {
  return info.name.startsWith('DOMAIN_') ? ErrorDomain.DOMAIN : ErrorDomain.NONE;
}

/**
 * Whether a read-only connection may call the procedure: every unconditional ACL permission must
 * be a read permission (getattr, read, search_*). Flag-conditional rules are checked by handlers.
 */
export function allowedReadOnly(info: ProcInfo): boolean {
  const acl = info.acl ?? [];
  return acl.every((rule) => {
    const [, perm, flag] = rule.split(':');
    if (rule === 'none' || flag !== undefined) return true;
    return perm === 'getattr' || perm === 'read' || perm.startsWith('search_');
  });
}

export function readOnlyDenied(api: string, domain: number = ErrorDomain.NONE): VirError {
  return virError(ErrorCode.OPERATION_DENIED, domain, `read only access prevents ${api}`);
}

export function noSupport(prog: Program, info: ProcInfo): VirError {
  return virError(ErrorCode.NO_SUPPORT, apiDomain(info), apiName(prog, info));
}

export function notOpenError(): VirError {
  return virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, 'hypervisor connection not open');
}

export function sendError(client: ServerClient, h: Header, err: unknown): void {
  client.send(encodeMessage({ ...h, type: MessageType.REPLY, status: MessageStatus.ERROR }, 'remote_error', virErrorToWire(err)));
}

export async function dispatchCall(
  client: ServerClient,
  h: Header,
  payload: Buffer,
  driver: HypervisorDriver,
  handlers: ReadonlyMap<number, HandlerTable>,
): Promise<void> {
  const prog = PROGRAMS.get(h.prog);
  if (!prog || prog === KEEPALIVE || h.vers !== prog.vers) {
    sendError(client, h, unknownProgramError(h.prog, h.vers));
    return;
  }
  if (h.status !== MessageStatus.OK) {
    sendError(client, h, rpcError(`Unexpected message status ${h.status}`));
    return;
  }
  const info = prog.procs.get(h.proc);
  if (!info || info.msg) {
    sendError(client, h, unknownProcedureError(h.proc));
    return;
  }
  let args: unknown;
  try {
    args = info.args ? decodePayload(info.args, payload) : undefined;
  } catch {
    sendError(client, h, rpcError('Unable to decode message payload'));
    return;
  }
  if (!client.opened && !(prog.name === 'remote' && BEFORE_OPEN.has(info.name))) {
    sendError(client, h, notOpenError());
    return;
  }
  if (client.readonly && !allowedReadOnly(info)) {
    sendError(client, h, readOnlyDenied(apiName(prog, info), apiDomain(info)));
    return;
  }
  const handler = handlers.get(prog.prog)?.get(info.name);
  if (!handler) {
    sendError(client, h, noSupport(prog, info));
    return;
  }
  const ctx: CallContext = { client, driver, header: h };
  try {
    const ret = await handler(ctx, args as never);
    if (client.isClosed) return;
    client.reply(h, info.ret, ret);
    ctx.afterReply?.();
  } catch (e) {
    if (!client.isClosed) sendError(client, h, e);
  }
}
