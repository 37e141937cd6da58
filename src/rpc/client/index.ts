// openRemoteDriver(uri): connects to tsvirtd or libvirtd and performs virsh's handshake:
// AUTH_LIST -> SUPPORTS_FEATURE(keepalive) -> CONNECT_OPEN -> SUPPORTS_FEATURE(event callbacks).
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { describeErrno, ErrorCode, ErrorDomain, VirError, virError } from '../../util/errors.js';
import { REMOTE } from '../protocol.js';
import { RpcClient } from './connection.js';
import { RemoteDriver } from './driver.js';
import { parseRemoteURI, type RemoteTarget } from './uri.js';

export { RpcClient } from './connection.js';
export { RemoteDriver, RemoteEventSubscription } from './driver.js';
export { ClientStream } from './stream.js';
export { defaultSocket, parseRemoteURI, type RemoteTarget } from './uri.js';

export interface RemoteOpenOptions {
  readonly?: boolean;
  /** Keepalive interval in seconds (virsh -k; 0 disables). Default 5. */
  keepaliveInterval?: number;
  /** Unanswered keepalives before giving up (virsh -K). Default 6. */
  keepaliveCount?: number;
  /** Connect timeout in ms. Default 30000. */
  timeout?: number;
}

const VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10;
const VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK = 14;
const REMOTE_AUTH_NONE = 0;

function connectFailed(target: RemoteTarget, err: NodeJS.ErrnoException): VirError {
  const where = target.transport === 'unix' ? `'${target.socket}'` : `'${target.host}:${target.port ?? 16509}'`;
  const reason = err.code ? describeErrno(err.code) : err.message;
  return virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, `Failed to connect socket to ${where}: ${reason}`);
}

function openSocket(target: RemoteTarget, timeout: number): Promise<Duplex> {
  if (target.transport === 'ssh') return Promise.resolve(sshStream(target));
  if (target.transport === 'tls' || target.transport === 'ext') {
    return Promise.reject(virError(ErrorCode.NO_SUPPORT, ErrorDomain.REMOTE, `transport '${target.transport}' is not implemented by tsvirt`));
  }
  return new Promise((resolve, reject) => {
    const sock =
      target.transport === 'unix' ? netConnect({ path: target.socket as string }) : netConnect({ host: target.host, port: target.port ?? 16509 });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, 'Timed out while connecting'));
    }, timeout);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectFailed(target, e));
    });
  });
}

/** qemu+ssh: runs the system ssh with `nc -U` on the far side, as libvirt does for socket= URIs. */
function sshStream(t: RemoteTarget): Duplex {
  const args: string[] = [];
  if (t.port) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  const key = t.params.get('keyfile');
  if (key) args.push('-i', key);
  args.push('-T', '-e', 'none', '-o', 'BatchMode=yes', '--', t.host as string);
  const sock = t.socket;
  const remote = sock
    ? `sh -c 'if nc -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;nc $ARG -U ${sock}'`
    : `sh -c 'virt-ssh-helper ${t.name}'`;
  args.push(remote);
  const child = spawn(t.params.get('command') ?? 'ssh', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const d = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      child.stdin.write(chunk, cb);
    },
    final(cb) {
      child.stdin.end();
      cb();
    },
    destroy(err, cb) {
      child.kill();
      cb(err);
    },
  });
  child.stdout.on('data', (b: Buffer) => d.push(b));
  child.stdout.on('end', () => d.push(null));
  child.on('error', (e) => d.destroy(e));
  return d;
}

/** Opens a connection to a libvirt-protocol daemon for a URI such as qemu:///session or qemu+unix:///system?socket=/path. */
export async function openRemoteDriver(uri: string, opts: RemoteOpenOptions = {}): Promise<RemoteDriver> {
  const target = parseRemoteURI(uri, opts.readonly ?? false);
  const sock = await openSocket(target, opts.timeout ?? 30000);
  const client = new RpcClient(sock);
  const driver = new RemoteDriver(client, uri);
  try {
    let types: number[] = [REMOTE_AUTH_NONE];
    try {
      types = (await driver.call('AUTH_LIST', undefined)).types;
    } catch (e) {
      if (!(e instanceof VirError && e.code === ErrorCode.NO_SUPPORT)) throw e;
    }
    if (types.length > 0 && !types.includes(REMOTE_AUTH_NONE)) {
      throw virError(ErrorCode.AUTH_FAILED, ErrorDomain.RPC, `unsupported authentication type ${types[0]}`);
    }
    const ka = await supports(driver, VIR_DRV_FEATURE_PROGRAM_KEEPALIVE);
    await driver.call('CONNECT_OPEN', { name: target.name, flags: opts.readonly ? 1 : 0 });
    await supports(driver, VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK);
    if (ka) client.startKeepalive(opts.keepaliveInterval ?? 5, opts.keepaliveCount ?? 6);
  } catch (e) {
    client.destroy();
    throw e;
  }
  return driver;
}

async function supports(d: RemoteDriver, feature: number): Promise<boolean> {
  try {
    return (await d.call('CONNECT_SUPPORTS_FEATURE', { feature })).supported !== 0;
  } catch {
    return false;
  }
}

export { REMOTE };
