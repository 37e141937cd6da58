// tsvirtd for the benchmark: a session instance as root with its directories under a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, run } from './util.js';

export interface Tsvirtd {
  uri: string;
  stop(): Promise<void>;
}

export async function startTsvirtd(dir: string): Promise<Tsvirtd> {
  for (const d of ['run', 'config', 'cache', 'data']) mkdirSync(join(dir, d), { recursive: true });
  const socket = join(dir, 'run/tsvirtd-sock');
  const env = childEnv({
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_DATA_HOME: join(dir, 'data'),
  });
  const child: ChildProcess = spawn(process.execPath, ['bin/tsvirtd', '--session', '--socket', socket, '--ro-socket', ''], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const uri = `qemu+unix:///session?socket=${socket}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (existsSync(socket) && (await run('virsh', ['-c', uri, 'uri'])).code === 0) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('tsvirtd did not come up');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    uri,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
