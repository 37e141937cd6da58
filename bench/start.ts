// Start latency: tsvirt's start (library, in-process; and the CLI as a whole process) against raw QEMU
// started with the very same argv and environment (read back from /proc), doing the least a manager must:
// exec with -S, QMP greeting + qmp_capabilities, `cont`.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from '../src/index.js';
import { QmpClient } from '../src/qemu/monitor/qmp.js';
import { guestDomainXML } from '../test/helpers/guest.js';
import { childEnv, median, now, run, type Row } from './util.js';

interface Captured {
  argv: string[];
  env: Record<string, string>;
}

function captureArgv(pid: number): Captured {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, a) => i < a.length - 1 || s !== '');
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { argv, env };
}

function qemuPid(rootDir: string, name: string): number {
  const status = readFileSync(`${rootDir}/run/qemu/${name}.xml`, 'utf8');
  const m = /pid='(\d+)'/.exec(status) ?? /<pid>(\d+)<\/pid>/.exec(status);
  if (!m) throw new Error('no pid in status XML');
  return Number(m[1]);
}

/** The files a captured argv needs that tsvirt created before exec (per-VM dir, master key). */
function prepareRawFiles(argv: string[]): void {
  for (const a of argv) {
    const sock = /path=([^,]+monitor\.sock)/.exec(a);
    if (sock) mkdirSync(dirname(sock[1]), { recursive: true });
    const key = /"file":"([^"]+master-key\.aes)"/.exec(a) ?? /file=([^,]+master-key\.aes)/.exec(a);
    if (key) {
      mkdirSync(dirname(key[1]), { recursive: true });
      if (!existsSync(key[1])) writeFileSync(key[1], Buffer.alloc(32, 7), { mode: 0o600 });
    }
  }
}

async function rawStart(c: Captured): Promise<number> {
  const monitor = c.argv.map((a) => /path=([^,]+monitor\.sock)/.exec(a)?.[1]).find(Boolean);
  if (!monitor) throw new Error('captured argv has no monitor socket path');
  prepareRawFiles(c.argv);
  const t0 = now();
  const child = spawn(c.argv[0], c.argv.slice(1), { env: c.env, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const qmp = await QmpClient.connect(monitor, { retryUntilMs: 20_000, timeoutMs: 20_000 });
  await qmp.execute('cont');
  const ms = now() - t0;
  qmp.close();
  child.kill('SIGKILL');
  await exited;
  return ms;
}

export async function benchStart(root: string, cliRoot: string, rounds: number): Promise<Row[]> {
  const conn = await connect(`qemu:///embed?root=${root}`);
  const xml = guestDomainXML({ name: 'bench', type: 'qemu', serial: 'pty' });
  const dom = await conn.defineXML(xml);
  // Warm-up: capabilities probe and cache, first spawn.
  await dom.create();
  const captured = captureArgv(qemuPid(root, 'bench'));
  await dom.destroy();
  await rawStart(captured);

  const lib: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t0 = now();
    await dom.create();
    lib.push(now() - t0);
    await dom.destroy();
    raw.push(await rawStart(captured));
    t0 = now();
  }
  await dom.undefine();
  await conn.close();

  // The CLI as a whole process (node start-up included), on its own root.
  const cli = ['bin/tsvirt', '-c', `qemu:///embed?root=${cliRoot}`];
  const xmlFile = `${cliRoot}.xml`;
  writeFileSync(xmlFile, xml);
  await run(process.execPath, [...cli, 'define', xmlFile]);
  await run(process.execPath, [...cli, 'start', 'bench']);
  await run(process.execPath, [...cli, 'destroy', 'bench']);
  const cliMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await run(process.execPath, [...cli, 'start', 'bench'], childEnv());
    if (r.code !== 0) throw new Error(`tsvirt start failed: ${r.stderr}`);
    cliMs.push(r.ms);
    await run(process.execPath, [...cli, 'destroy', 'bench'], childEnv());
  }
  return [
    { what: 'start → running (library) vs raw QEMU -S + cont', tsvirt: median(lib), reference: median(raw), refName: 'raw', target: 1.2 },
    { what: 'start → running (CLI process) vs raw QEMU -S + cont', tsvirt: median(cliMs), reference: median(raw), refName: 'raw' },
  ];
}
