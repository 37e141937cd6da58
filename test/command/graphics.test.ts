// Graphics, audio, sound and video rules that the visible corpus does not pin down on its own:
// sound cards and codecs, the PC speaker, audio backend options, VNC password/share/keymap/TLS,
// SPICE channel errors and auto sockets, SDL env, video resolution and models, and the round trip
// of graphics listens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDomainXML, parseDomainXML } from '../../src/conf/domain/index.js';
import type { DomainDef } from '../../src/conf/domain/types.js';
import { mockRandomBytes, testConfig, testHost } from '../../src/conformance/testhost.js';
import { loadCapsCache, stripMachineAliases } from '../../src/qemu/caps/cache.js';
import { buildCommandLine } from '../../src/qemu/command/index.js';
import { qemuPostParse } from '../../src/qemu/domain/postparse.js';
import { prepareDomainForStart } from '../../src/qemu/domain/prepare.js';
import { qemuValidate } from '../../src/qemu/domain/validate.js';
import type { ConfValue } from '../../src/util/conffile.js';

const root = new URL('../../..', import.meta.url).pathname;
const caps = stripMachineAliases(
  loadCapsCache(readFileSync(join(root, '..', 'shared', 'conformance', 'qemucapabilitiesdata', 'caps_8.0.0.x86_64.xml'), 'utf8')),
);

function domain(devices: string): string {
  return `<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${devices}<memballoon model='none'/></devices></domain>`;
}

interface Opts {
  cfg?: Record<string, ConfValue>;
  env?: Record<string, string>;
}

function define(xml: string, o: Opts = {}): DomainDef {
  const cfg = testConfig(o.cfg ?? {});
  const host = testHost({ env: o.env ?? {} });
  return parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes, cfg, env: host.env }),
    validate: (d) => qemuValidate(d, caps, host),
  });
}

function build(xml: string, o: Opts = {}): { argv: string[]; env: Array<[string, string]> } {
  const cfg = testConfig(o.cfg ?? {});
  const host = testHost({ env: o.env ?? {} });
  const def = define(xml, o);
  def.id = -1;
  const live = prepareDomainForStart(def, caps, host, cfg);
  return buildCommandLine(live, caps, host, cfg);
}

function after(args: string[], opt: string): string[] {
  return args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
}

const devices = (args: string[]) => after(args, '-device').map((s) => JSON.parse(s) as Record<string, unknown>);

test('sound cards: model drivers, audiodev only on codec-less cards, a default duplex codec for HDA', () => {
  const { argv } = build(domain(`<sound model='sb16'/><sound model='es1370'/><sound model='ich6'/>
<sound model='ich9'><codec type='micro'/><codec type='output'/></sound><sound model='usb'/>`));
  const d = devices(argv).filter((x) => String(x.id).startsWith('sound'));
  assert.deepEqual(d.map((x) => x.driver), ['sb16', 'ES1370', 'intel-hda', 'hda-duplex', 'ich9-intel-hda', 'hda-micro', 'hda-output', 'usb-audio']);
  assert.deepEqual(d[0], { driver: 'sb16', id: 'sound0', audiodev: 'audio1' });
  assert.equal(d[2].audiodev, undefined);
  assert.deepEqual(d[3], { driver: 'hda-duplex', id: 'sound2-codec0', bus: 'sound2.0', cad: 0, audiodev: 'audio1' });
  assert.deepEqual([d[5].id, d[5].cad, d[6].id, d[6].cad], ['sound3-codec0', 0, 'sound3-codec1', 1]);
});

test('the PC speaker is a machine property, not a device', () => {
  const { argv } = build(domain(`<sound model='pcspk'/>`));
  assert.match(after(argv, '-machine')[0], /,pcspk-audiodev=audio1$/);
  assert.equal(devices(argv).filter((x) => String(x.id).startsWith('sound')).length, 0);
});

test('sound: ich7 is refused by the QEMU driver', () => {
  assert.throws(() => define(domain(`<sound model='ich7'/>`)), /sound card model 'ich7' is not supported by qemu/);
});

test('audio: a sound card can name its backend; oss top-level options; disabled fixed settings drop the format', () => {
  const { argv } = build(domain(`<audio id='1' type='none'/>
<audio id='2' type='oss' tryMMap='yes' exclusive='no'><input fixedSettings='no' voices='2'><settings frequency='8000' format='u8'/></input></audio>
<sound model='ac97'><audio id='2'/></sound>`));
  assert.deepEqual(after(argv, '-audiodev'), [
    '{"id":"audio1","driver":"none"}',
    '{"id":"audio2","driver":"oss","try-mmap":true,"exclusive":false,"in":{"fixed-settings":false,"voices":2}}',
  ]);
  assert.equal(devices(argv).find((x) => x.driver === 'AC97')?.audiodev, 'audio2');
});

test('default audio backend: spice beats vnc; unknown QEMU_AUDIO_DRV is an error; egl-headless alone gets none', () => {
  const x = define(domain(`<graphics type='vnc'/><graphics type='spice'/>`), { cfg: { vnc_allow_host_audio: 1 }, env: { QEMU_AUDIO_DRV: 'alsa' } });
  assert.equal(x.devices.audios[0].type, 'spice');
  assert.throws(() => define(domain(`<graphics type='sdl'/>`), { env: { QEMU_AUDIO_DRV: 'bogus' } }), /unknown QEMU_AUDIO_DRV setting bogus/);
  assert.equal(define(domain(`<graphics type='egl-headless'/>`)).devices.audios.length, 0);
  // a passthrough graphics without QEMU_AUDIO_DRV falls back to none
  assert.equal(define(domain(`<graphics type='sdl'/>`)).devices.audios[0].type, 'none');
});

test('vnc: password, share policy, keymap, none listen; the port range is checked', () => {
  const { argv } = build(domain(`<graphics type='vnc' port='5905' autoport='no' passwd='x' sharePolicy='force-shared' keymap='de'/>`));
  assert.deepEqual(after(argv, '-vnc'), ['127.0.0.1:5,share=force-shared,password=on,audiodev=audio1']);
  assert.deepEqual(after(argv, '-k'), ['de']);
  assert.deepEqual(after(build(domain(`<graphics type='vnc'><listen type='none'/></graphics>`)).argv, '-vnc'), ['none,audiodev=audio1']);
  assert.throws(() => build(domain(`<graphics type='vnc' port='5800' autoport='no'/>`)), /vnc port must be in range \[5900,65535\]/);
});

test('vnc: qemu.conf vnc_auto_unix_socket turns a config listen into the per-VM socket', () => {
  const { argv } = build(domain(`<graphics type='vnc'/>`), { cfg: { vnc_auto_unix_socket: 1 } });
  assert.deepEqual(after(argv, '-vnc'), ['vnc=unix:/tmp/lib/domain--1-t/vnc.sock,audiodev=audio1']);
});

test('vnc TLS without a secret: x509 creds with the configured verify flag', () => {
  const { argv } = build(domain(`<graphics type='vnc'/>`), { cfg: { vnc_tls: 1, vnc_tls_x509_verify: 0 } });
  assert.deepEqual(after(argv, '-object').slice(-1), ['{"qom-type":"tls-creds-x509","id":"vnc-tls-creds0","dir":"/etc/pki/libvirt-vnc","endpoint":"server","verify-peer":false}']);
  assert.deepEqual(after(argv, '-vnc'), ['127.0.0.1:0,tls-creds=vnc-tls-creds0,audiodev=audio1']);
});

test('spice: autoport picks the ports its channels need; channel modes need the matching port', () => {
  const a = build(domain(`<graphics type='spice' autoport='yes' defaultMode='insecure'/>`)).argv;
  assert.deepEqual(after(a, '-spice'), ['port=5901,addr=127.0.0.1,plaintext-channel=default,seamless-migration=on']);
  const b = build(domain(`<graphics type='spice' autoport='yes'><channel name='cursor' mode='secure'/></graphics>`)).argv;
  assert.match(after(b, '-spice')[0], /^port=5901,tls-port=5902,addr=127\.0\.0\.1,x509-dir=\/etc\/pki\/libvirt-spice,tls-channel=cursor,/);
  assert.throws(
    () => build(domain(`<graphics type='spice' port='5903' autoport='no'><channel name='main' mode='secure'/></graphics>`)),
    /spice secure channels set in XML configuration, but TLS port is not provided/,
  );
  assert.throws(
    () => build(domain(`<graphics type='spice' tlsPort='5904' autoport='no' defaultMode='insecure'/>`)),
    /spice defaultMode insecure requested in XML configuration, but plaintext connection is not available/,
  );
});

test('spice: TLS port with TLS disabled in qemu.conf is an error; mouse mode client', () => {
  assert.throws(() => build(domain(`<graphics type='spice' tlsPort='5904' autoport='no'/>`), { cfg: { spice_tls: 0 } }), /spice TLS port set in XML configuration, but TLS is disabled in qemu.conf/);
  const a = build(domain(`<graphics type='spice' port='5903' autoport='no'><mouse mode='client'/></graphics>`)).argv;
  assert.deepEqual(after(a, '-spice'), ['port=5903,addr=127.0.0.1,agent-mouse=on,seamless-migration=on']);
});

test('sdl: XAUTHORITY and DISPLAY env, full screen, gl', () => {
  const { argv, env } = build(domain(`<graphics type='sdl' display=':0.1' xauth='/root/.Xauthority' fullscreen='yes'><gl enable='yes'/></graphics>`));
  assert.deepEqual(env.slice(-2), [['XAUTHORITY', '/root/.Xauthority'], ['DISPLAY', ':0.1']]);
  const i = argv.indexOf('-full-screen');
  assert.ok(i > 0);
  assert.deepEqual(argv.slice(i + 1, i + 3), ['-display', 'sdl,gl=on']);
});

test('egl-headless cannot be paired with sdl, nor with spice OpenGL', () => {
  assert.throws(() => define(domain(`<graphics type='sdl'/><graphics type='egl-headless'/>`)), /only supported with one of: 'vnc', 'spice'/);
  assert.throws(() => define(domain(`<graphics type='spice'><gl enable='yes'/></graphics><graphics type='egl-headless'/>`)), /multiple OpenGL displays are not supported by QEMU/);
});

test('video: secondary virtio with 3D uses virtio-gpu-gl-pci; qxl resolution; VGA vgamem from vram; bochs vgamem in bytes', () => {
  const a = devices(build(domain(`<video><model type='vga' vram='8192'/></video>
<video><model type='qxl' heads='2'><resolution x='800' y='600'/></model></video>
<video><model type='virtio'><acceleration accel3d='yes'/></model></video>`)).argv);
  assert.deepEqual(a.find((x) => x.id === 'video0'), { driver: 'VGA', id: 'video0', vgamem_mb: 8, bus: 'pci.0', addr: '0x2' });
  const q = a.find((x) => x.id === 'video1');
  assert.deepEqual([q?.driver, q?.max_outputs, q?.xres, q?.yres], ['qxl', 2, 800, 600]);
  assert.equal(a.find((x) => x.id === 'video2')?.driver, 'virtio-gpu-gl-pci');
  const b = devices(build(domain(`<video><model type='bochs'/></video>`)).argv);
  assert.deepEqual(b.find((x) => x.id === 'video0'), { driver: 'bochs-display', id: 'video0', vgamem: 16777216, bus: 'pci.0', addr: '0x2' });
});

test('video: a secondary cirrus is refused; a primary=yes video is moved first', () => {
  assert.throws(() => define(domain(`<video><model type='qxl'/></video><video><model type='cirrus'/></video>`)), /video type 'cirrus' is only valid as primary video device/);
  const d = define(domain(`<video><model type='qxl'/></video><video><model type='vga' primary='yes'/></video>`));
  assert.deepEqual(d.devices.videos.map((v) => v.model), ['vga', 'qxl']);
});

test('round trip: graphics listens, ports and spice options in libvirt order', () => {
  const xml = domain(`<graphics type='vnc' port='5904' autoport='no' listen='::1' sharePolicy='ignore' powerControl='no'/>
<graphics type='spice' autoport='no' port='5903' tlsPort='5904' listen='127.0.0.1' defaultMode='secure' passwd='p' passwdValidTo='2011-05-31T16:11:22Z'>
<mouse mode='client'/><filetransfer enable='no'/><channel name='usbredir' mode='insecure'/><channel name='main' mode='secure'/><gl enable='no'/></graphics>`);
  const out = formatDomainXML(define(xml), { inactive: true, secure: true });
  const g = out.slice(out.indexOf('    <graphics'), out.indexOf('    <audio'));
  assert.equal(
    g,
    `    <graphics type='vnc' port='5904' autoport='no' listen='::1' sharePolicy='ignore' powerControl='no'>
      <listen type='address' address='::1'/>
    </graphics>
    <graphics type='spice' port='5903' tlsPort='5904' autoport='no' listen='127.0.0.1' defaultMode='secure' passwd='p' passwdValidTo='2011-05-31T16:11:22'>
      <listen type='address' address='127.0.0.1'/>
      <channel name='main' mode='secure'/>
      <channel name='usbredir' mode='insecure'/>
      <mouse mode='client'/>
      <filetransfer enable='no'/>
      <gl enable='no'/>
    </graphics>
`,
  );
});

test('round trip: a VNC socket generated under the driver libDir is dropped at define', () => {
  const d = define(domain(`<graphics type='vnc' socket='/tmp/lib/domain-5-old/vnc.sock'/>`));
  assert.deepEqual(d.devices.graphics[0].listens, [{ type: 'address' }]);
  const kept = define(domain(`<graphics type='vnc' socket='/run/x.sock'/>`));
  assert.deepEqual(kept.devices.graphics[0].listens, [{ type: 'socket', socket: '/run/x.sock' }]);
});

test('usb redirection: chardev backend, spicevmc defaults to usbredir, redirfilter rules and boot index', () => {
  const { argv } = build(domain(`<graphics type='spice' autoport='no'/><redirdev bus='usb' type='spicevmc'><boot order='1'/></redirdev>
<redirfilter><usbdev class='0x08' vendor='0x15E1' product='0x2007' version='1.10' allow='yes'/><usbdev allow='no'/></redirfilter>`));
  assert.deepEqual(after(argv, '-chardev').slice(-1), ['spicevmc,id=charredir0,name=usbredir']);
  const r = devices(argv).find((x) => x.driver === 'usb-redir');
  assert.deepEqual(r, { driver: 'usb-redir', chardev: 'charredir0', id: 'redir0', filter: '0x08:0x15E1:0x2007:0x0110:1|-1:-1:-1:-1:0', bootindex: 1, bus: 'usb.0', port: '1' });
});

test('graphics autoport with a port allocator (real start): VNC, websocket -1 and SPICE ports come from the pools', () => {
  const cfg = testConfig();
  let next = 5910;
  let ws = 5700;
  const host = { ...testHost(), allocatePort: (pool: 'remote' | 'websocket') => (pool === 'remote' ? next++ : ws++) };
  const def = define(domain(`<graphics type='vnc' websocket='-1'/><graphics type='spice' autoport='yes'/>`));
  def.id = -1;
  const live = prepareDomainForStart(def, caps, host, cfg);
  const [vnc, spice] = live.devices.graphics;
  assert.deepEqual([vnc.port, vnc.websocket, vnc.websocketGenerated], [5910, 5700, true]);
  assert.deepEqual([spice.port, spice.tlsPort], [5911, 5912]);
  // pretend mode keeps libvirt's fixed values
  const p = prepareDomainForStart(def, caps, host, cfg, { pretend: true });
  assert.deepEqual([p.devices.graphics[0].port, p.devices.graphics[1].port, p.devices.graphics[1].tlsPort], [5900, 5901, 5902]);
});

test('dbus display: p2p, D-Bus and qemu-vdagent chardevs, dbus usbredir', () => {
  const { argv } = build(domain(`<graphics type='dbus' p2p='yes'/>
<channel type='dbus'><source channel='org.qemu.vdagent'/><target type='virtio' name='org.qemu.vdagent'/></channel>
<channel type='qemu-vdagent'><source><clipboard copypaste='yes'/><mouse mode='client'/></source><target type='virtio' name='com.redhat.spice.0'/></channel>
<redirdev bus='usb' type='dbus'><source channel='org.qemu.usbredir'/></redirdev>`));
  assert.deepEqual(after(argv, '-chardev').slice(1), [
    'dbus,id=charchannel0,name=org.qemu.vdagent',
    'qemu-vdagent,id=charchannel1,name=vdagent,clipboard=on,mouse=on',
    'dbus,id=charredir0,name=org.qemu.usbredir',
  ]);
  assert.deepEqual(after(argv, '-display'), ['dbus,p2p=on']);
  const addr = build(domain(`<graphics type='dbus'/>`)).argv;
  assert.deepEqual(after(addr, '-display'), ['dbus,addr=unix:path=/bad-test-used-env-xdg-runtime-dir/libvirt/qemu/run/dbus/-1-t-dbus.sock']);
});
