// Real virsh and python3-libvirt against tsvirtd serving the in-memory test driver: the protocol
// side of the daemon (handshake, dispatch, events, streams, qemu program, read-only socket).
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { demoDomainXML } from './fixtures.js';
import { type Tsvirtd, run, startTsvirtd, virsh } from './tsvirtd.js';

let d: Tsvirtd;
let xmlFile: string;
const UUID = 'c7a5fdbd-cdaf-9455-926a-d65c16db1809';

before(async () => {
  d = await startTsvirtd({ fake: true });
  xmlFile = join(d.dir, 'demo.xml');
  writeFileSync(xmlFile, demoDomainXML('rpcdemo', UUID));
});
after(async () => {
  await d?.stop();
});

test('socket permissions follow libvirt defaults (rw 0700)', () => {
  assert.equal(statSync(d.socket).mode & 0o777, 0o700);
});

test('virsh lifecycle commands', async () => {
  let r = await virsh(d.uri, ['list', '--all']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, ' Id   Name   State\n--------------------\n\n');
  r = await virsh(d.uri, ['define', xmlFile]);
  assert.equal(r.stdout, `Domain 'rpcdemo' defined from ${xmlFile}\n\n`);
  r = await virsh(d.uri, ['start', 'rpcdemo']);
  assert.equal(r.stdout, "Domain 'rpcdemo' started\n\n");
  r = await virsh(d.uri, ['domstate', '--reason', 'rpcdemo']);
  assert.equal(r.stdout, 'running (booted)\n\n');
  r = await virsh(d.uri, ['dominfo', 'rpcdemo']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Id: +1\nName: +rpcdemo\nUUID: +c7a5fdbd-cdaf-9455-926a-d65c16db1809\nOS Type: +hvm\nState: +running\n/);
  assert.match(r.stdout, /Security model: none\nSecurity DOI: +0\n/);
  r = await virsh(d.uri, ['dumpxml', 'rpcdemo']);
  assert.match(r.stdout, /<name>rpcdemo<\/name>/);
  r = await virsh(d.uri, ['qemu-monitor-command', 'rpcdemo', '{"execute":"query-status"}']);
  assert.match(r.stdout, /"status":"running"/);
  r = await virsh(d.uri, ['qemu-monitor-command', '--hmp', 'rpcdemo', 'info status']);
  assert.equal(r.stdout, 'VM status: running\r\n\n\n');
  r = await virsh(d.uri, ['suspend', 'rpcdemo']);
  assert.equal(r.code, 0);
  r = await virsh(d.uri, ['resume', 'rpcdemo']);
  assert.equal(r.code, 0);
  r = await virsh(d.uri, ['autostart', 'rpcdemo']);
  assert.equal(r.stdout, 'Domain \'rpcdemo\' marked as autostarted\n\n');
  r = await virsh(d.uri, ['list', '--all']);
  assert.equal(r.stdout, ' Id   Name      State\n-------------------------\n 1    rpcdemo   running\n\n');
  r = await virsh(d.uri, ['reboot', 'rpcdemo']);
  assert.equal(r.stdout, "Domain 'rpcdemo' is being rebooted\n\n");
  r = await virsh(d.uri, ['reset', 'rpcdemo']);
  assert.equal(r.stdout, "Domain 'rpcdemo' was reset\n\n");
  r = await virsh(d.uri, ['destroy', 'rpcdemo']);
  assert.equal(r.stdout, "Domain 'rpcdemo' destroyed\n\n");
  r = await virsh(d.uri, ['undefine', 'rpcdemo']);
  assert.equal(r.stdout, "Domain 'rpcdemo' has been undefined\n\n");
  r = await virsh(d.uri, ['dominfo', 'nosuchdom']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "error: failed to get domain 'nosuchdom'\n");
});

test('virsh connection commands', async () => {
  let r = await virsh(d.uri, ['version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Using API: QEMU 9\.0\.0\nRunning hypervisor: QEMU 7\.2\.22\n/);
  r = await virsh(d.uri, ['uri']);
  assert.equal(r.stdout, `${d.uri}\n\n`);
  r = await virsh(d.uri, ['hostname']);
  assert.equal(r.stdout, 'fakehost\n\n');
  r = await virsh(d.uri, ['nodeinfo']);
  assert.match(r.stdout, /^CPU model: +x86_64\nCPU\(s\): +2\n/);
  r = await virsh(d.uri, ['capabilities']);
  assert.match(r.stdout, /<capabilities>/);
  r = await virsh(d.uri, ['domcapabilities']);
  assert.match(r.stdout, /<domainCapabilities>/);
  r = await virsh(d.uri, ['domxml-to-native', 'qemu-argv', xmlFile]);
  assert.match(r.stdout, /qemu-system-x86_64 -name guest=rpcdemo/);
});

test('virsh event --all --loop sees another client start and destroy a guest', async () => {
  await virsh(d.uri, ['define', xmlFile]);
  const ev = run('timeout', ['--signal=INT', '4', 'virsh', '-c', d.uri, 'event', '--all', '--loop']);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await virsh(d.uri, ['start', 'rpcdemo'])).code, 0);
  assert.equal((await virsh(d.uri, ['destroy', 'rpcdemo'])).code, 0);
  const r = await ev;
  assert.match(r.stdout, /event 'lifecycle' for domain 'rpcdemo': Started Booted\n/);
  assert.match(r.stdout, /event 'lifecycle' for domain 'rpcdemo': Stopped Destroyed\n/);
  await virsh(d.uri, ['undefine', 'rpcdemo']);
});

test('virsh console reads the guest ready line', async () => {
  await virsh(d.uri, ['define', xmlFile]);
  await virsh(d.uri, ['start', 'rpcdemo']);
  // virsh console needs a tty: run it under script(1) and end it with Ctrl-].
  const cmd = `(sleep 1.5; printf '\\035') | script -qfc "virsh -c '${d.uri}' console rpcdemo --force" /dev/null`;
  const r = await run('sh', ['-c', cmd], 15000);
  assert.match(r.stdout, /Connected to domain 'rpcdemo'/);
  assert.match(r.stdout, /TESTGUEST READY/);
  await virsh(d.uri, ['destroy', 'rpcdemo']);
  await virsh(d.uri, ['undefine', 'rpcdemo']);
});

test('python3-libvirt core calls', async () => {
  const script = `
import libvirt, sys
c = libvirt.open(sys.argv[1])
print(c.getType(), c.getHostname(), c.getLibVersion(), c.getInfo()[0])
dom = c.defineXML(open(sys.argv[2]).read())
dom.create()
print(dom.name(), dom.UUIDString(), dom.isActive(), dom.state())
print(len(c.listAllDomains()), c.listDomainsID(), c.numOfDefinedDomains())
dom.destroy()
dom.undefine()
try:
    c.lookupByName('nosuchdom')
except libvirt.libvirtError as e:
    print('error', e.get_error_code(), e.get_error_message())
c.close()
`;
  const f = join(d.dir, 't.py');
  writeFileSync(f, script);
  const r = await run('/usr/bin/python3', [f, d.uri, xmlFile]);
  assert.equal(r.stderr, "libvirt: QEMU Driver error : Domain not found: no domain with matching name 'nosuchdom'\n");
  assert.equal(
    r.stdout,
    `QEMU fakehost 9000000 x86_64\nrpcdemo ${UUID} 1 [1, 1]\n1 [${'$ID'}] 0\nerror 42 Domain not found: no domain with matching name 'nosuchdom'\n`.replace(
      '$ID',
      /\[(\d+)\]/.exec(r.stdout)?.[1] ?? '?',
    ),
  );
});
