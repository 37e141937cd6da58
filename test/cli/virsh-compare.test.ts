// tsvirt and the real virsh 9.0 side by side against the same data: a real libvirtd (session mode,
// as nobody) serving libvirt's test driver, reached by both over test+unix://. Every command's
// stdout, stderr and exit status must be identical, except the lines whose data differ between the
// two clients (virsh asks for the OS type and the security model, which tsvirt's API lacks; CPU time
// moves on between the runs).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Libvirtd, startLibvirtd } from '../rpc/libvirtd.js';
import { HAVE_VIRSH, outcome, runVirsh, tsvirt } from './util.js';

const HAVE_LIBVIRTD = HAVE_VIRSH && existsSync('/usr/sbin/libvirtd');
const opts = { skip: HAVE_LIBVIRTD ? false : 'libvirtd/virsh 9.0 are not installed' };

let d: Libvirtd | undefined;
let uri = '';
let dir = '';

before(async () => {
  if (!HAVE_LIBVIRTD) return;
  d = await startLibvirtd();
  uri = `test+unix:///default?socket=${d.socket}`;
  dir = d.dir;
  writeFileSync(
    join(dir, 'demo.xml'),
    "<domain type='test'>\n  <name>demo</name>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n" +
      "  <memory unit='KiB'>131072</memory>\n  <vcpu>1</vcpu>\n  <title>A demo &amp; more</title>\n" +
      "  <os><type arch='x86_64'>hvm</type></os>\n</domain>\n",
  );
  writeFileSync(join(dir, 'bad.xml'), '<domain');
});
after(async () => {
  await d?.stop();
});

/** Lines whose values legitimately differ (see the header). */
function comparable(s: string): string {
  return s
    .split('\n')
    .filter((l) => !/^(OS Type|CPU time|Security model|Security DOI|Security label):/.test(l))
    .join('\n');
}

async function same(args: string[]): Promise<void> {
  const v = await runVirsh(['-c', uri, ...args]);
  const t = await tsvirt(['-c', uri, ...args]);
  assert.deepEqual(
    { ...outcome(t), stdout: comparable(t.stdout) },
    { ...outcome(v), stdout: comparable(v.stdout) },
    args.join(' '),
  );
}

describe('against libvirtd\'s test driver', opts, () => {
  for (const args of [
    ['list', '--all'],
    ['list'],
    ['list', '--title'],
    ['list', '--all', '--name', '--uuid'],
    ['list', '--id'],
    ['-q', 'list', '--all'],
    ['dominfo', 'test'],
    ['dominfo', '1'],
    ['domstate', 'test', '--reason'],
    ['domstate', '6695eb01-f6a4-8304-79aa-97f2502e193f'],
    ['domid', 'test'],
    ['domuuid', '1'],
    ['domname', '1'],
    ['nodeinfo'],
    ['version'],
    ['version', '--daemon'],
    ['hostname'],
    ['capabilities'],
    ['dumpxml', 'test'],
    ['dumpxml', 'test', '--inactive'],
    ['dumpxml', 'test', '--xpath', '/domain/os'],
    ['dumpxml', 'test', '--xpath', '//target/@dev'],
    ['dumpxml', 'test', '--xpath', '//target', '--wrap'],
    ['dumpxml', 'test', '--xpath', '//nosuch'],
    ['dominfo', 'nosuch'],
    ['event', '--all', '--timeout', '1'],
    ['domxml-to-native', 'qemu-argv', '--domain', 'test'],
    ['qemu-monitor-command', 'test', '--hmp', 'info', 'status'],
    ['domcapabilities'],
  ]) {
    test(args.join(' '), () => same(args));
  }

  test('a whole lifecycle, command by command', async () => {
    const f = join(dir, 'demo.xml');
    const seq = [
      `define ${f}`, 'dominfo demo', 'domstate demo --reason', 'list --all --title', 'start demo', 'start demo',
      'domstate demo --reason', 'suspend demo', 'domstate --reason demo', 'suspend demo', 'resume demo', 'resume demo',
      'shutdown demo', 'domstate demo --reason', 'start demo', 'reboot demo', 'reset demo', 'destroy demo',
      'destroy demo', 'domstate demo --reason', 'autostart demo', 'list --all --autostart', 'dominfo demo',
      'autostart demo --disable', 'domid demo', 'undefine demo', 'undefine demo', 'define /nonexistent.xml',
      `define ${join(dir, 'bad.xml')}`, `create ${f}`, 'list --transient --all --name', 'destroy demo',
      'list --all',
    ].join('; ');
    // One process each, so the domain ids the daemon hands out advance the same way for both.
    const v = await runVirsh(['-c', uri, seq]);
    const t = await tsvirt(['-c', uri, seq]);
    assert.equal(comparable(t.stdout), comparable(v.stdout));
    assert.equal(t.stderr, v.stderr);
    assert.equal(t.code, v.code);
    assert.match(t.stdout, / {2}A demo & more\n/);
  });

  test('--json carries the same data as the tables', async () => {
    const info = JSON.parse((await tsvirt(['-c', uri, '--json', 'dominfo', 'test'])).stdout) as Record<string, unknown>;
    assert.equal(info.id, 1);
    assert.equal(info.name, 'test');
    assert.equal(info.uuid, '6695eb01-f6a4-8304-79aa-97f2502e193f');
    assert.equal(info.state, 'running');
    assert.equal(info.cpus, 2);
    assert.equal(info.maxMemory, 8388608);
    assert.equal(info.usedMemory, 2097152);
    assert.equal(info.persistent, true);
    const list = JSON.parse((await tsvirt(['-c', uri, '--json', 'list', '--all'])).stdout);
    assert.deepEqual(list, [{ id: 1, name: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 'running' }]);
    const node = JSON.parse((await tsvirt(['-c', uri, '--json', 'nodeinfo'])).stdout);
    assert.deepEqual(node, {
      model: 'i686', cpus: 16, mhz: 1400, sockets: 2, coresPerSocket: 2, threadsPerCore: 2, numaCells: 2, memory: 3145728,
    });
    const st = JSON.parse((await tsvirt(['-c', uri, 'domstate', 'test', '--json'])).stdout);
    assert.deepEqual(st, { state: 'running', reason: 'unknown' });
  });
});
