// The CLI on an embedded root (qemu:///embed?root=DIR): the real binary, one process per command,
// state kept on disk between them. Nothing here boots a guest (see e2e.test.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { guestDomainXML } from '../helpers/guest.js';
import { type TempRoot, makeTempRoot } from '../helpers/tmp.js';
import { tsvirt } from './util.js';

let root: TempRoot;
const uuid = randomUUID();
let xmlFile: string;

before(async () => {
  root = await makeTempRoot();
  xmlFile = join(root.path, 'cli1.xml');
  writeFileSync(xmlFile, guestDomainXML({ name: 'cli1', uuid, serial: 'file', serialPath: join(root.path, 'cli1.log') }));
});
after(async () => {
  await root?.remove();
});

const run = (...args: string[]) => tsvirt(['-c', root.uri, ...args]);

describe('embedded root', () => {
  test('an empty root lists nothing, in virsh\'s table layout', async () => {
    const r = await run('list', '--all');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, ' Id   Name   State\n--------------------\n\n', '']);
  });

  test('--json on an empty root', async () => {
    const r = await tsvirt(['-c', root.uri, '--json', 'list', '--all']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  test('uri and hostname', async () => {
    const u = await run('uri');
    assert.deepEqual([u.code, u.stdout], [0, `${root.uri}\n\n`]);
    const uj = await run('uri', '--json');
    assert.deepEqual(JSON.parse(uj.stdout), { uri: root.uri });
    const h = await run('hostname');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^\S+\n\n$/);
    const hj = await tsvirt(['--json', '-c', root.uri, 'hostname']);
    assert.equal((JSON.parse(hj.stdout) as { hostname: string }).hostname, h.stdout.trim());
  });

  test('version', async () => {
    const r = await run('version');
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^Compiled against library: libvirt 9\.0\.0\nUsing library: libvirt 9\.0\.0\nUsing API: QEMU 9\.0\.0\n(Running hypervisor: QEMU \d+\.\d+\.\d+|Cannot extract running QEMU hypervisor version)\n\n$/,
    );
    const j = JSON.parse((await run('version', '--json')).stdout) as Record<string, unknown>;
    assert.equal(j.library, '9.0.0');
    assert.deepEqual(j.api, { type: 'QEMU', version: '9.0.0' });
  });

  test('nodeinfo, in virsh\'s layout and as JSON', async () => {
    const r = await run('nodeinfo');
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^CPU model: {11}\S/);
    assert.match(lines[1], /^CPU\(s\): {14}\d+$/);
    assert.ok(lines.includes(''), 'ends with the blank line');
    assert.match(r.stdout, /\nMemory size: {9}\d+ KiB\n\n$/);
    const j = JSON.parse((await run('nodeinfo', '--json')).stdout) as Record<string, unknown>;
    assert.equal(j.cpus, Number(/^CPU\(s\): +(\d+)$/m.exec(r.stdout)?.[1]));
  });

  test('define, then the domain shows up everywhere', async () => {
    const d = await run('define', xmlFile);
    assert.deepEqual([d.code, d.stdout, d.stderr], [0, `Domain 'cli1' defined from ${xmlFile}\n\n`, '']);

    const l = await run('list', '--all');
    assert.equal(l.stdout, ' Id   Name   State\n-----------------------\n -    cli1   shut off\n\n');
    const active = await run('list');
    assert.equal(active.stdout, ' Id   Name   State\n--------------------\n\n');
    assert.equal((await run('list', '--all', '--name')).stdout, 'cli1\n\n');
    assert.equal((await run('list', '--all', '--uuid')).stdout, `${uuid}\n\n`);
    assert.equal((await run('list', '--all', '--id')).stdout, '\n');
    assert.equal((await run('list', '--inactive', '--persistent', '--name')).stdout, 'cli1\n\n');
    assert.equal((await run('list', '--transient', '--all', '--name')).stdout, '\n');
    assert.equal((await run('list', '--state-shutoff', '--name')).stdout, 'cli1\n\n');
    assert.equal((await run('list', '--all', '--state-running', '--name')).stdout, '\n');
    assert.equal((await run('-q', 'list', '--all')).stdout, ' -   cli1   shut off\n');
    const j = JSON.parse((await run('list', '--all', '--json')).stdout);
    assert.deepEqual(j, [{ id: null, name: 'cli1', uuid, state: 'shut off' }]);
  });

  test('dominfo', async () => {
    const r = await run('dominfo', 'cli1');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'Id:             -',
        'Name:           cli1',
        `UUID:           ${uuid}`,
        'OS Type:        hvm',
        'State:          shut off',
        'CPU(s):         1',
        'Max memory:     131072 KiB',
        'Used memory:    131072 KiB',
        'Persistent:     yes',
        'Autostart:      disable',
        'Managed save:   no',
        '',
        '',
      ].join('\n'),
    );
    const byUUID = await run('dominfo', uuid);
    assert.equal(byUUID.stdout, r.stdout, 'a UUID names the same domain');
    const j = JSON.parse((await run('dominfo', '--domain', 'cli1', '--json')).stdout);
    assert.deepEqual(j, {
      id: null, name: 'cli1', uuid, osType: 'hvm', state: 'shut off', cpus: 1, cpuTime: 0, maxMemory: 131072,
      usedMemory: 131072, persistent: true, autostart: false, managedSave: false,
    });
  });

  test('domstate, domid, domuuid, domname', async () => {
    assert.equal((await run('domstate', 'cli1')).stdout, 'shut off\n\n');
    assert.equal((await run('domstate', 'cli1', '--reason')).stdout, 'shut off (unknown)\n\n');
    assert.deepEqual(JSON.parse((await run('domstate', 'cli1', '--json')).stdout), { state: 'shut off', reason: 'unknown' });
    assert.equal((await run('domid', 'cli1')).stdout, '-\n\n');
    assert.equal((await run('domuuid', 'cli1')).stdout, `${uuid}\n\n`);
    assert.equal((await run('domname', uuid)).stdout, 'cli1\n\n');
    // domname takes an id or a UUID only, domuuid a name or an id: like virsh.
    const n = await run('domname', 'cli1');
    assert.deepEqual([n.code, n.stdout, n.stderr], [1, '\n', "error: failed to get domain 'cli1'\n"]);
    const u = await run('domuuid', uuid);
    assert.deepEqual([u.code, u.stderr], [1, `error: failed to get domain '${uuid}'\n`]);
  });

  test('dumpxml and --xpath', async () => {
    const r = await run('dumpxml', 'cli1');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^<domain type='qemu'>\n {2}<name>cli1<\/name>\n/);
    assert.ok(r.stdout.endsWith('</domain>\n\n'));
    const inactive = await run('dumpxml', '--inactive', 'cli1');
    assert.equal(inactive.stdout, r.stdout);
    assert.equal((await run('dumpxml', 'cli1', '--xpath', '/domain/name')).stdout, '<name>cli1</name>\n\n');
    assert.equal((await run('dumpxml', 'cli1', '--xpath', '/domain/@type')).stdout, ' type="qemu"\n\n');
    assert.equal((await run('dumpxml', 'cli1', '--xpath', '//name/text()')).stdout, 'cli1\n\n');
    assert.equal(
      (await run('dumpxml', 'cli1', '--xpath', '/domain/name', '--wrap')).stdout,
      '<nodes>\n  <name>cli1</name>\n</nodes>\n\n',
    );
  });

  test('autostart and the autostart filters', async () => {
    const on = await run('autostart', 'cli1');
    assert.deepEqual([on.code, on.stdout], [0, "Domain 'cli1' marked as autostarted\n\n"]);
    assert.equal((await run('list', '--all', '--autostart', '--name')).stdout, 'cli1\n\n');
    assert.match((await run('dominfo', 'cli1')).stdout, /^Autostart: {6}enable$/m);
    const off = await run('autostart', '--disable', 'cli1');
    assert.deepEqual([off.code, off.stdout], [0, "Domain 'cli1' unmarked as autostarted\n\n"]);
    assert.equal((await run('list', '--all', '--no-autostart', '--name')).stdout, 'cli1\n\n');
  });

  test('operations on an inactive domain fail with libvirt\'s errors', async () => {
    const d = await run('destroy', 'cli1');
    assert.equal(d.code, 1);
    assert.equal(d.stdout, '\n');
    assert.equal(d.stderr, "error: Failed to destroy domain 'cli1'\nerror: Requested operation is not valid: domain is not running\n");
    const s = await run('suspend', 'cli1');
    assert.equal(s.code, 1);
    assert.match(s.stderr, /^error: Failed to suspend domain 'cli1'\nerror: .+\n$/);
    const q = await run('qemu-monitor-command', 'cli1', '{"execute":"query-status"}');
    assert.equal(q.code, 1);
    assert.equal(q.stderr, 'error: Requested operation is not valid: domain is not running\n');
  });

  test('defining a second domain with the same name and another UUID fails', async () => {
    const other = join(root.path, 'dup.xml');
    writeFileSync(other, guestDomainXML({ name: 'cli1', serial: 'file', serialPath: join(root.path, 'dup.log') }));
    const r = await run('define', other);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: Failed to define domain from ${other}\nerror: .+\n$`));
  });

  test('malformed XML is reported with the file name first', async () => {
    const bad = join(root.path, 'bad.xml');
    writeFileSync(bad, '<domain');
    const r = await run('define', bad);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '\n');
    assert.match(r.stderr, new RegExp(`^error: Failed to define domain from ${bad}\nerror: .+`));
  });

  test('undefine removes it', async () => {
    const r = await run('undefine', 'cli1', '--nvram');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, "Domain 'cli1' has been undefined\n\n", '']);
    const again = await run('undefine', 'cli1');
    assert.deepEqual([again.code, again.stdout, again.stderr], [1, '\n', "error: failed to get domain 'cli1'\n"]);
    assert.equal((await run('list', '--all', '--name')).stdout, '\n');
  });
});
