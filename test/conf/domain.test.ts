import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDomainXML, parseDomainXML } from '../../src/conf/domain/index.js';
import { VirError } from '../../src/util/errors.js';

const XML = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>demo</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <title>A title</title>
  <metadata>
    <app:foo xmlns:app='http://example.org/app'>bar</app:foo>
  </metadata>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/boot/vmlinuz</kernel>
    <cmdline>console=ttyS0</cmdline>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='host-passthrough'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/img.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><mac address='52:54:00:11:22:33'/><model type='virtio'/></interface>
    <serial type='pty'/>
    <console type='pty'/>
    <channel type='unix'><source mode='bind' path='/tmp/ga.sock'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <graphics type='vnc' port='-1'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
  <qemu:commandline><qemu:arg value='-newarg'/><qemu:env name='FOO' value='bar'/></qemu:commandline>
</domain>`;

test('parses the core of a domain', () => {
  const d = parseDomainXML(XML);
  assert.equal(d.name, 'demo');
  assert.equal(d.memory, 262144);
  assert.equal(d.vcpu.max, 2);
  assert.equal(d.os.kernel, '/boot/vmlinuz');
  assert.equal(d.devices.disks[0].src.path, '/var/lib/img.qcow2');
  assert.equal(d.devices.disks[0].src.format, 'qcow2');
  assert.equal(d.devices.channels[0].source.path, '/tmp/ga.sock');
  assert.equal(d.devices.serials[0].source.type, 'pty');
  assert.deepEqual(d.qemu?.args, ['-newarg']);
  assert.ok(d.taints.includes('custom-argv'));
});

test('format round-trips', () => {
  const d = parseDomainXML(XML);
  const out = formatDomainXML(d, { inactive: true });
  const again = formatDomainXML(parseDomainXML(out), { inactive: true });
  assert.equal(again, out);
  assert.match(out, /<memory unit='KiB'>262144<\/memory>/);
  assert.match(out, /<qemu:arg value='-newarg'\/>/);
});

test('name validation and malformed XML', () => {
  assert.throws(() => parseDomainXML(XML.replace('<name>demo</name>', '<name>a/b</name>')), (e: unknown) => e instanceof VirError && /cannot contain '\/'/.test(e.message));
  assert.throws(() => parseDomainXML('<domain type="qemu"><name>x</name'), (e: unknown) => e instanceof VirError && /line \d+, column \d+/.test(e.message));
});

test('uuid is generated when absent', () => {
  const d = parseDomainXML(XML.replace(/<uuid>.*<\/uuid>/, ''));
  assert.match(d.uuid, /^[0-9a-f-]{36}$/);
});
