// The adapter from a parsed domain XML to the isolation layer's inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDomainXML } from '../../src/conf/domain/index.js';
import { cgroupTuningFromDef, guestDevicesFromDef, guestSecurityInputFromDef } from '../../src/security/index.js';

const XML = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>adapt</name>
  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <memtune><hard_limit unit='MiB'>512</hard_limit></memtune>
  <cputune><shares>2048</shares><quota>50000</quota></cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/srv/k/vmlinuz</kernel><initrd>/srv/k/initrd</initrd></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><source file='/srv/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='block' device='disk'><source dev='/dev/loop7'/><target dev='vdb' bus='virtio'/><shareable/></disk>
    <disk type='file' device='cdrom'><source file='/srv/iso/boot.iso'><seclabel model='dac' relabel='no'/></source><target dev='hdc' bus='ide'/><readonly/></disk>
    <serial type='file'><source path='/var/log/adapt-serial.log'/><target port='0'/></serial>
    <channel type='unix'><source mode='bind' path='/run/adapt/qga.sock'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
  </devices>
  <seclabel type='static' model='dac' relabel='yes'><label>+107:+107</label></seclabel>
  <qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/x,file=/srv/fw.bin'/></qemu:commandline>
</domain>`;

test('a DomainDef becomes paths with flags, seclabels, block devices and tuning', () => {
  const def = parseDomainXML(XML);
  const g = guestSecurityInputFromDef(def);
  const by = (p: string) => g.paths.find((x) => x.path === p);
  assert.equal(by('/srv/img/a.qcow2')?.kind, 'disk');
  assert.equal(by('/dev/loop7')?.shared, true);
  assert.deepEqual([by('/srv/iso/boot.iso')?.readonly, by('/srv/iso/boot.iso')?.norelabel], [true, true]);
  assert.equal(by('/srv/k/vmlinuz')?.kind, 'kernel');
  assert.equal(by('/srv/k/initrd')?.kind, 'initrd');
  assert.equal(by('/var/log/adapt-serial.log')?.kind, 'log');
  assert.deepEqual([by('/run/adapt/qga.sock')?.kind, by('/run/adapt/qga.sock')?.create], ['socket', true]);
  assert.equal(by('/srv/fw.bin')?.kind, 'commandline');
  assert.equal(by('/usr/bin/qemu-system-x86_64')?.kind, 'emulator');
  assert.deepEqual(g.seclabels, [{ model: 'dac', type: 'static', relabel: true, label: '+107:+107' }]);
  assert.deepEqual(guestDevicesFromDef(def), [{ path: '/dev/loop7', readonly: false }]);
  assert.deepEqual(cgroupTuningFromDef(def), { cpuShares: 2048, cpuQuota: 50000, memoryHardLimitKiB: 524288 });
});
