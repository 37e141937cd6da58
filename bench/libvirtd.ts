// Starts a real libvirt 9.0 session daemon (Debian's libvirtd) as an unprivileged user with its own
// HOME/XDG directories, so benchmarks can run the same command against libvirt in the same run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface SessionLibvirtd {
  uri: string;
  socket: string;
  dir: string;
  stop(): Promise<void>;
}

export function libvirtdAvailable(): boolean {
  return existsSync('/usr/sbin/libvirtd') && spawnSync('virsh', ['--version']).status === 0;
}

/** Starts libvirtd as uid/gid 65534 with its state under a fresh temp dir; resolves once its socket answers. */
export async function startSessionLibvirtd(uid = 65534, gid = 65534): Promise<SessionLibvirtd> {
  const dir = mkdtempSync('/tmp/lvd-');
  for (const sub of ['', 'home', 'run']) {
    spawnSync('mkdir', ['-p', join(dir, sub)]);
    chownSync(join(dir, sub), uid, gid);
  }
  const env = {
    PATH: '/usr/sbin:/usr/bin:/bin',
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'home/.config'),
    XDG_CACHE_HOME: join(dir, 'home/.cache'),
  };
  const child: ChildProcess = spawn(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '/usr/sbin/libvirtd'],
    { env, stdio: 'ignore' },
  );
  const socket = join(dir, 'run/libvirt/libvirt-sock');
  const uri = `qemu+unix:///session?socket=${socket}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (existsSync(socket) && spawnSync('virsh', ['-c', uri, 'uri'], { stdio: 'ignore' }).status === 0) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`libvirtd session daemon did not come up (dir ${dir})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    uri,
    socket,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
