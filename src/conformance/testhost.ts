// The Host and driver configuration of libvirt's qemuxml2argv test environment (corpus README §2),
// provided through the same seams the real driver uses.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfValue } from '../util/conffile.js';
import { type XmlElement, attr, child, children, parseXml } from '../util/xml.js';
import type { FirmwareDescriptor, Host, VolumeInfo } from '../qemu/command/host.js';
import { firmwareSearchDirs, loadFirmwareDescriptors } from '../qemu/domain/firmware.js';
import { type QemuDriverConfig, configFromConf, defaultConfig } from '../qemu/config.js';

/** virrandommock: buf[i] = i. */
export function mockRandomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i & 0xff;
  return b;
}

export function testConfig(overrides: Record<string, ConfValue> = {}): QemuDriverConfig {
  const base = defaultConfig({ privileged: false, env: { HOME: '/bad-test-used-env-home', XDG_RUNTIME_DIR: '/bad-test-used-env-xdg-runtime-dir' } });
  const c: QemuDriverConfig = {
    ...base,
    privileged: true,
    libDir: '/tmp/lib',
    channelTargetDir: '/tmp/channel',
    memoryBackingDir: '/var/lib/libvirt/qemu/ram',
    nvramDir: '/var/lib/libvirt/qemu/nvram',
    passtStateDir: '/bad-test-used-env-xdg-runtime-dir/libvirt/qemu/run/passt',
    hugetlbfs: [
      { mnt: '/dev/hugepages2M', size: 2048, deflt: true },
      { mnt: '/dev/hugepages1G', size: 1048576, deflt: false },
    ],
    defaultTLSx509certdir: '/etc/pki/qemu',
    vncTLSx509certdir: '/etc/pki/libvirt-vnc',
    spiceTLSx509certdir: '/etc/pki/libvirt-spice',
    chardevTLSx509certdir: '/etc/pki/libvirt-chardev',
    vxhsTLSx509certdir: '/etc/pki/libvirt-vxhs/dummy,path',
    nbdTLSx509certdir: '/etc/pki/libvirt-nbd/dummy,path',
    spiceTLS: true,
    spicePassword: '123456',
    vncListen: '127.0.0.1',
    spiceListen: '127.0.0.1',
    seccompSandbox: -1,
    logTimestamp: true,
    stdioLogD: true,
    dumpGuestCore: false,
    deprecationBehavior: 'none',
  };
  return Object.keys(overrides).length ? configFromConf(c, overrides) : c;
}

export interface TestHostOptions {
  env?: Record<string, string>;
  fips?: boolean;
  swtpmVersions?: string[];
  fdGroups?: Record<string, number[]>;
  /** Directory of the fake storage driver's pools (storagepoolxml2xmlout/POOL.xml). */
  poolDir?: string;
  /** Root of the firmware descriptor tree standing in for SYSCONFDIR and PREFIX/share (qemufirmwaredata). */
  firmwareRoot?: string;
}

const firmwareCache = new Map<string, FirmwareDescriptor[]>();

/** The privileged driver's descriptor folders under the test root (the home dir is not consulted). */
function testFirmware(root: string): FirmwareDescriptor[] {
  let fw = firmwareCache.get(root);
  if (!fw) {
    // The corpus copy stores symlinks as small files holding the link target: follow those.
    const read = (p: string): string => {
      const t = readFileSync(p, 'utf8');
      return /^[^{\n]+\.json$/.test(t.trim()) ? readFileSync(join(dirname(p), t.trim()), 'utf8') : t;
    };
    fw = loadFirmwareDescriptors(firmwareSearchDirs(true, {}, join(root, 'etc'), join(root, 'usr/share')), read);
    firmwareCache.set(root, fw);
  }
  return fw;
}

/**
 * The fake storage driver of the test suite: pool P is POOL_DIR/P.xml; a volume named TYPE+NAME
 * is a TYPE at /some/TYPE/device/NAME (block without a '+'); 'nonexistent' does not exist.
 */
function fakeVolume(poolDir: string, pool: string, volume: string): VolumeInfo | undefined {
  let root: XmlElement;
  try {
    root = parseXml(readFileSync(join(poolDir, `${pool}.xml`), 'utf8'), pool);
  } catch {
    return undefined;
  }
  if (volume === 'nonexistent') return undefined;
  const plus = volume.indexOf('+');
  const type = (plus >= 0 ? volume.slice(0, plus) : 'block') as VolumeInfo['type'];
  const name = plus >= 0 ? volume.slice(plus + 1) : volume;
  const source = child(root, 'source');
  return {
    type,
    path: `/some/${type}/device/${name}`,
    poolType: attr(root, 'type') ?? '',
    hosts: children(source, 'host').map((h) => ({ name: attr(h, 'name') ?? '', port: attr(h, 'port') })),
    device: attr(child(source, 'device'), 'path'),
  };
}

export function testHost(opts: TestHostOptions = {}): Host {
  let tap = 0;
  let vhost = 0;
  return {
    privileged: true,
    arch: 'x86_64',
    env: { PATH: '/bin', HOME: '/home/test', USER: 'test', LOGNAME: 'test', ...(opts.env ?? {}) },
    monitorFd: 1729,
    monitorPath: (dir) => `${dir}/monitor.sock`,
    chardevListenFd: () => 1729,
    chardevFileFd: (_p, _append, kind) => (kind === 'log' ? 1751 : 1750),
    openTap: (ifname, queues) => {
      const fds: number[] = [];
      for (let i = 0; i < queues; i++) fds.push(3 + tap++);
      return { fds, ifname: ifname ?? 'vnet0' };
    },
    openVhostNet: (queues) => {
      const fds: number[] = [];
      for (let i = 0; i < queues; i++) fds.push(44 + vhost++);
      return fds;
    },
    openVhostVsock: () => 6789,
    vsockGuestCid: () => 42,
    openVdpa: () => 1732,
    openTpmPassthrough: () => ({ tpmFd: 1730, cancelFd: 1731 }),
    tpmCancelPath: () => '/sys/class/misc/tpm0/device/cancel',
    tpmEmulatorSocket: () => '/dev/test',
    openVhostScsi: () => 3,
    fdGroups: opts.fdGroups ?? {},
    randomBytes: mockRandomBytes,
    systemPageSizeKiB: 4,
    numaMaxNode: 7,
    nowSeconds: () => 1234567890,
    numaNodeUnavailableMessage: (n) => `Mock: no numa node set is available at bit ${n}`,
    hugetlbfs: [
      { mnt: '/dev/hugepages2M', size: 2048, deflt: true },
      { mnt: '/dev/hugepages1G', size: 1048576, deflt: false },
    ],
    firmware: opts.firmwareRoot ? testFirmware(opts.firmwareRoot) : [],
    renderNode: () => '/dev/dri/foo',
    openVhostUserGpu: () => 1729,
    pathExists: () => false,
    isHostCdrom: (p) => p === '/dev/cdrom',
    fips: !!opts.fips,
    swtpmVersions: opts.swtpmVersions ?? ['1.2', '2.0'],
    lookupVolume: opts.poolDir ? (pool, volume) => fakeVolume(opts.poolDir as string, pool, volume) : undefined,
    lookupSecret: () => new TextEncoder().encode('AQCVn5hO6HzFAhAAq0NCv8jtJcIcE+HOBlMQ1A'),
  };
}
