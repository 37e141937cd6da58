// tsvirtd: serves a HypervisorDriver (the QEMU driver) over libvirt's RPC protocol on UNIX
// sockets (and plain TCP with --listen), like virtqemud.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HypervisorDriver } from '../driver/api.js';
import { openQemuDriver } from '../qemu/driver/index.js';
import { RpcServer } from '../rpc/server/server.js';
import { peerCredAvailable } from '../rpc/server/peercred.js';
import { type DaemonConfig, USAGE, loadConfig } from './config.js';

type OpenFn = (opts: { mode: 'system' | 'session' | 'embed'; root?: string }) => Promise<HypervisorDriver> | HypervisorDriver;

/** Loads the driver: --driver-module (testing, other drivers), else the QEMU driver for the mode. */
async function loadDriver(cfg: DaemonConfig): Promise<HypervisorDriver> {
  if (cfg.driverModule) {
    const spec = isAbsolute(cfg.driverModule) ? cfg.driverModule : resolve(cfg.driverModule);
    const m = (await import(pathToFileURL(spec).href)) as { openDriver?: OpenFn };
    if (typeof m.openDriver !== 'function') throw new Error(`${cfg.driverModule} does not export openDriver()`);
    return m.openDriver({ mode: cfg.mode });
  }
  return openQemuDriver({ mode: cfg.mode, uri: `qemu:///${cfg.mode}` });
}

/** Starts the autostart guests once at daemon start, when the driver offers it. */
async function autostart(driver: HypervisorDriver, log: (m: string) => void): Promise<void> {
  const f = (driver as { autostartAll?: () => Promise<Array<{ name: string; error?: Error }>> }).autostartAll;
  if (typeof f !== 'function') return;
  try {
    for (const r of await f.call(driver)) {
      log(r.error ? `autostart of ${r.name} failed: ${r.error.message}` : `autostarted ${r.name}`);
    }
  } catch (e) {
    log(`autostart failed: ${(e as Error).message}`);
  }
}

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return Number(f[2]);
  }
  throw new Error(`unix_sock_group: no group ${name}`);
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let cfg: DaemonConfig;
  try {
    cfg = loadConfig(argv);
  } catch (e) {
    process.stderr.write(`tsvirtd: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const log = (msg: string) => {
    if (cfg.verbose) process.stderr.write(`${new Date().toISOString()} tsvirtd[${process.pid}]: ${msg}\n`);
  };
  if (cfg.mode === 'system' && process.getuid?.() !== 0) {
    process.stderr.write('tsvirtd: --system needs root\n');
    return 1;
  }
  log(`starting in ${cfg.mode} mode${cfg.configFile ? ` with ${cfg.configFile}` : ''}`);
  if (!peerCredAvailable()) log('peer credentials (SO_PEERCRED) unavailable: build native/peercred');

  let driver: HypervisorDriver;
  try {
    driver = await loadDriver(cfg);
  } catch (e) {
    process.stderr.write(`tsvirtd: cannot load the driver: ${(e as Error).message}\n`);
    return 1;
  }
  const server = new RpcServer({
    driver,
    maxClients: cfg.maxClients,
    limits: {
      maxClientRequests: cfg.maxClientRequests, maxMessageSize: cfg.maxMessageSize, maxQueuedBytes: cfg.maxQueuedBytes,
      keepaliveInterval: cfg.keepaliveInterval, keepaliveCount: cfg.keepaliveCount,
    },
    log,
  });
  try {
    const gid = cfg.sockGroup ? groupId(cfg.sockGroup) : undefined;
    await server.listenUnix(cfg.socketRw, { mode: cfg.sockRwPerms, gid });
    if (cfg.socketRo) await server.listenUnix(cfg.socketRo, { readonly: true, mode: cfg.sockRoPerms, gid });
    if (cfg.listenTcp) await server.listenTcp(cfg.listenAddr, cfg.tcpPort);
  } catch (e) {
    process.stderr.write(`tsvirtd: ${(e as Error).message}\n`);
    await server.close();
    await driver.close();
    return 1;
  }
  void autostart(driver, log);
  if (cfg.pidFile) {
    try {
      writeFileSync(cfg.pidFile, `${process.pid}\n`);
    } catch (e) {
      log(`cannot write pid file ${cfg.pidFile}: ${(e as Error).message}`);
    }
  }

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      log(`shutting down (${why})`);
      await server.close();
      // Guests keep running: the next tsvirtd reconnects to them.
      await driver.close().catch((e) => log(`driver close: ${(e as Error).message}`));
      if (cfg.pidFile) {
        try {
          unlinkSync(cfg.pidFile);
        } catch {
          // Not there.
        }
      }
      done(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    if (cfg.timeout > 0) {
      let idleSince = Date.now();
      setInterval(async () => {
        if (server.clientCount > 0) idleSince = Date.now();
        else if (Date.now() - idleSince >= cfg.timeout * 1000) {
          const active = await driver.listAllDomains(1).catch(() => []);
          if (active.length === 0) void stop('idle timeout');
          else idleSince = Date.now();
        }
      }, 1000).unref();
    }
  });
}

const isEntry = process.argv[1] && /tsvirtd(\.mjs)?$|daemon[/\\]main\.js$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`tsvirtd: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
