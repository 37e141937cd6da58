// The QEMU driver configuration (libvirt's virQEMUDriverConfig): every qemu.conf key tsvirt uses,
// with libvirt's defaults, and configFromConf() applying parsed qemu.conf key/values on top.
import type { SecurityConfig } from '../security/types.js';
import type { ConfValue } from '../util/conffile.js';
import { ErrorCode, ErrorDomain, VirError } from '../util/errors.js';

export interface HugetlbfsMount {
  mnt: string;
  /** Page size in KiB. */
  size: number;
  deflt: boolean;
}

export interface QemuDriverConfig extends SecurityConfig {
  privileged: boolean;
  // directories
  configBaseDir: string;
  configDir: string;
  stateDir: string;
  libDir: string;
  cacheDir: string;
  logDir: string;
  swtpmLogDir: string;
  swtpmStateDir: string;
  channelTargetDir: string;
  nvramDir: string;
  memoryBackingDir: string;
  snapshotDir: string;
  checkpointDir: string;
  autoDumpPath: string;
  saveDir: string;
  dbusStateDir: string;
  slirpStateDir: string;
  passtStateDir: string;
  // TLS
  defaultTLSx509certdir: string;
  defaultTLSx509verify: boolean;
  defaultTLSx509secretUUID?: string;
  vncTLS: boolean;
  vncTLSx509verify: boolean;
  vncTLSx509verifyPresent: boolean;
  vncTLSx509certdir: string;
  vncTLSx509secretUUID?: string;
  vncSASL: boolean;
  vncSASLdir: string;
  vncListen: string;
  vncPassword?: string;
  vncAutoUnixSocket: boolean;
  spiceTLS: boolean;
  spiceTLSx509certdir: string;
  spiceSASL: boolean;
  spiceSASLdir: string;
  spiceListen: string;
  spicePassword?: string;
  spiceAutoUnixSocket: boolean;
  chardevTLS: boolean;
  chardevTLSx509verify: boolean;
  chardevTLSx509verifyPresent: boolean;
  chardevTLSx509certdir: string;
  chardevTLSx509secretUUID?: string;
  migrateTLSx509certdir: string;
  migrateTLSx509verify: boolean;
  migrateTLSx509secretUUID?: string;
  migrateTLSForce: boolean;
  backupTLSx509certdir: string;
  backupTLSx509verify: boolean;
  backupTLSx509secretUUID?: string;
  vxhsTLS: boolean;
  vxhsTLSx509certdir: string;
  vxhsTLSx509secretUUID?: string;
  nbdTLS: boolean;
  nbdTLSx509certdir: string;
  nbdTLSx509secretUUID?: string;
  // ports
  remotePortMin: number;
  remotePortMax: number;
  webSocketPortMin: number;
  webSocketPortMax: number;
  migrationPortMin: number;
  migrationPortMax: number;
  migrationAddress?: string;
  migrationHost?: string;
  // security: user, group, dynamicOwnership, rememberOwner, securityDriverNames, security*Confined (SecurityConfig)
  cgroupControllers: number;
  cgroupDeviceACL: string[];
  // process
  setProcessName: boolean;
  maxProcesses: number;
  maxFiles: number;
  maxCore: number | 'unlimited';
  maxQueuedJobs: number;
  maxThreadsPerProc: number;
  dumpGuestCore: boolean;
  seccompSandbox: number;
  logTimestamp: boolean;
  stdioLogD: boolean;
  clearEmulatorCapabilities: boolean;
  relaxedACS: boolean;
  vncAllowHostAudio: boolean;
  nogfxAllowHostAudio: boolean;
  hugetlbfs: HugetlbfsMount[];
  bridgeHelperName: string;
  prHelperName: string;
  slirpHelperName: string;
  dbusDaemonName: string;
  passtHelperName?: string;
  saveImageFormat?: string;
  dumpImageFormat?: string;
  snapshotImageFormat?: string;
  autoDumpBypassCache: boolean;
  autoStartBypassCache: boolean;
  lockManagerName: string;
  keepAliveInterval: number;
  keepAliveCount: number;
  seccomp?: boolean;
  /** `nvram = ["loader:nvram", …]` firmware pairs. */
  firmwares: Array<{ loader: string; nvram: string }>;
  glusterDebugLevel: number;
  virtiofsdDebug: boolean;
  deprecationBehavior: 'none' | 'omit' | 'reject' | 'crash';
  memoryBackingDirSet?: boolean;
  namespaces: string[];
  sharedFilesystems: string[];
  capabilityFilters: string[];
  migrateTLSx509verifyPresent: boolean;
  rxQueueSize: number;
  txQueueSize: number;
  hostdevDeviceACL?: string[];
  swtpmUser: string;
  swtpmGroup: string;
}

export const DEFAULT_CGROUP_DEVICE_ACL = [
  '/dev/null', '/dev/full', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/kvm',
  '/dev/userfaultfd',
];

/** Directory layout root for a connection flavour. */
export interface ConfigLayout {
  privileged: boolean;
  /** Root of an embedded driver (qemu:///embed?root=R). */
  root?: string;
  /** Environment used to resolve XDG/HOME dirs for session. */
  env?: Record<string, string | undefined>;
}

/** virQEMUDriverConfigNew(): libvirt's defaults for a system, session or embedded driver. */
export function defaultConfig(layout: ConfigLayout = { privileged: true }): QemuDriverConfig {
  const env = layout.env ?? {};
  let configBaseDir: string;
  let stateDir: string;
  let libDir: string;
  let cacheDir: string;
  let logDir: string;
  let swtpmLogDir: string;
  let swtpmStateDir: string;
  let configDir: string;
  if (layout.root) {
    const r = layout.root;
    configBaseDir = `${r}/etc`;
    configDir = `${r}/etc/qemu`;
    stateDir = `${r}/run/qemu`;
    libDir = `${r}/lib/qemu`;
    cacheDir = `${r}/cache/qemu`;
    logDir = `${r}/log/qemu`;
    swtpmLogDir = `${r}/log/swtpm`;
    swtpmStateDir = `${r}/lib/swtpm`;
  } else if (layout.privileged) {
    configBaseDir = '/etc/libvirt';
    configDir = '/etc/libvirt/qemu';
    stateDir = '/run/libvirt/qemu';
    libDir = '/var/lib/libvirt/qemu';
    cacheDir = '/var/cache/libvirt/qemu';
    logDir = '/var/log/libvirt/qemu';
    swtpmLogDir = '/var/log/swtpm/libvirt/qemu';
    swtpmStateDir = '/var/lib/libvirt/swtpm';
  } else {
    const home = env.HOME ?? '/';
    const xdgConfig = env.XDG_CONFIG_HOME || `${home}/.config`;
    const xdgCache = env.XDG_CACHE_HOME || `${home}/.cache`;
    const xdgRuntime = env.XDG_RUNTIME_DIR || xdgCache;
    configBaseDir = `${xdgConfig}/libvirt`;
    configDir = `${xdgConfig}/libvirt/qemu`;
    stateDir = `${xdgRuntime}/libvirt/qemu/run`;
    libDir = `${xdgConfig}/libvirt/qemu/lib`;
    cacheDir = `${xdgCache}/libvirt/qemu/cache`;
    logDir = `${xdgCache}/libvirt/qemu/log`;
    swtpmLogDir = `${xdgCache}/libvirt/qemu/log`;
    swtpmStateDir = `${xdgConfig}/libvirt/qemu/swtpm`;
  }
  const channelTargetDir = `${libDir}/channel/target`;
  const nvramDir = `${libDir}/nvram`;
  const memoryBackingDir = `${libDir}/ram`;
  const pki = layout.privileged && !layout.root ? '/etc/pki' : `${configBaseDir}/pki`;
  return {
    privileged: layout.privileged,
    configBaseDir,
    configDir,
    stateDir,
    libDir,
    cacheDir,
    logDir,
    swtpmLogDir,
    swtpmStateDir,
    channelTargetDir,
    nvramDir,
    memoryBackingDir,
    snapshotDir: `${libDir}/snapshot`,
    checkpointDir: `${libDir}/checkpoint`,
    autoDumpPath: `${libDir}/dump`,
    saveDir: `${libDir}/save`,
    dbusStateDir: `${stateDir}/dbus`,
    slirpStateDir: `${stateDir}/slirp`,
    passtStateDir: `${stateDir}/passt`,
    defaultTLSx509certdir: `${pki}/qemu`,
    defaultTLSx509verify: false,
    vncTLS: false,
    vncTLSx509verify: false,
    vncTLSx509verifyPresent: false,
    vncTLSx509certdir: `${pki}/qemu`,
    vncSASL: false,
    vncSASLdir: '/etc/sasl2',
    vncListen: '127.0.0.1',
    vncAutoUnixSocket: false,
    spiceTLS: false,
    spiceTLSx509certdir: `${pki}/qemu`,
    spiceSASL: false,
    spiceSASLdir: '/etc/sasl2',
    spiceListen: '127.0.0.1',
    spiceAutoUnixSocket: false,
    chardevTLS: false,
    chardevTLSx509verify: false,
    chardevTLSx509verifyPresent: false,
    chardevTLSx509certdir: `${pki}/qemu`,
    migrateTLSx509certdir: `${pki}/qemu`,
    migrateTLSx509verify: false,
    migrateTLSForce: false,
    backupTLSx509certdir: `${pki}/qemu`,
    backupTLSx509verify: false,
    vxhsTLS: false,
    vxhsTLSx509certdir: `${pki}/qemu`,
    nbdTLS: false,
    nbdTLSx509certdir: `${pki}/qemu`,
    remotePortMin: 5900,
    remotePortMax: 65535,
    webSocketPortMin: 5700,
    webSocketPortMax: 65535,
    migrationPortMin: 49152,
    migrationPortMax: 49215,
    user: layout.privileged ? 'root' : String(process.getuid?.() ?? 0),
    group: layout.privileged ? 'root' : String(process.getgid?.() ?? 0),
    dynamicOwnership: true,
    rememberOwner: true,
    securityDriverNames: [],
    securityDefaultConfined: true,
    securityRequireConfined: false,
    cgroupControllers: -1,
    cgroupDeviceACL: [...DEFAULT_CGROUP_DEVICE_ACL],
    setProcessName: false,
    maxProcesses: 0,
    maxFiles: 0,
    maxCore: 0,
    maxQueuedJobs: 0,
    maxThreadsPerProc: 0,
    dumpGuestCore: false,
    seccompSandbox: -1,
    logTimestamp: true,
    stdioLogD: true,
    clearEmulatorCapabilities: true,
    relaxedACS: false,
    vncAllowHostAudio: false,
    nogfxAllowHostAudio: false,
    hugetlbfs: [],
    bridgeHelperName: '/usr/libexec/qemu-bridge-helper',
    prHelperName: '/usr/bin/qemu-pr-helper',
    slirpHelperName: '/usr/bin/slirp-helper',
    dbusDaemonName: '/usr/bin/dbus-daemon',
    autoDumpBypassCache: false,
    autoStartBypassCache: false,
    lockManagerName: 'nop',
    keepAliveInterval: 5,
    keepAliveCount: 5,
    firmwares: [],
    glusterDebugLevel: 4,
    virtiofsdDebug: false,
    deprecationBehavior: 'none',
    namespaces: layout.privileged ? ['mount'] : [],
    sharedFilesystems: [],
    capabilityFilters: [],
    migrateTLSx509verifyPresent: false,
    rxQueueSize: 0,
    txQueueSize: 0,
    swtpmUser: 'tss',
    swtpmGroup: 'tss',
  };
}

function confError(key: string, what: string): VirError {
  return new VirError({
    code: ErrorCode.CONF_SYNTAX,
    domain: ErrorDomain.CONF,
    message: `configuration file syntax error: ${what} for '${key}'`,
  });
}

function asBool(key: string, v: ConfValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v) !== 0;
  throw confError(key, 'expected a boolean value');
}
function asInt(key: string, v: ConfValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw confError(key, 'expected a numeric value');
}
function asString(key: string, v: ConfValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw confError(key, 'expected a string value');
}
function asStringList(key: string, v: ConfValue): string[] {
  if (Array.isArray(v)) return v.map((x) => asString(key, x));
  if (typeof v === 'string') return [v];
  throw confError(key, 'expected a string list');
}

type Setter = (c: QemuDriverConfig, v: ConfValue, key: string) => void;

const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'net_cls', 'perf_event', 'name=systemd'];

/** qemu.conf key → setter. Extend this table for new keys. */
const SETTERS: Record<string, Setter> = {
  vnc_listen: (c, v, k) => { c.vncListen = asString(k, v); },
  vnc_auto_unix_socket: (c, v, k) => { c.vncAutoUnixSocket = asBool(k, v); },
  vnc_tls: (c, v, k) => { c.vncTLS = asBool(k, v); },
  vnc_tls_x509_verify: (c, v, k) => { c.vncTLSx509verify = asBool(k, v); c.vncTLSx509verifyPresent = true; },
  vnc_tls_x509_cert_dir: (c, v, k) => { c.vncTLSx509certdir = asString(k, v); },
  vnc_tls_x509_secret_uuid: (c, v, k) => { c.vncTLSx509secretUUID = asString(k, v); },
  vnc_password: (c, v, k) => { c.vncPassword = asString(k, v); },
  vnc_sasl: (c, v, k) => { c.vncSASL = asBool(k, v); },
  vnc_sasl_dir: (c, v, k) => { c.vncSASLdir = asString(k, v); },
  vnc_allow_host_audio: (c, v, k) => { c.vncAllowHostAudio = asBool(k, v); },
  nographics_allow_host_audio: (c, v, k) => { c.nogfxAllowHostAudio = asBool(k, v); },
  remote_display_port_min: (c, v, k) => { c.remotePortMin = asInt(k, v); },
  remote_display_port_max: (c, v, k) => { c.remotePortMax = asInt(k, v); },
  remote_websocket_port_min: (c, v, k) => { c.webSocketPortMin = asInt(k, v); },
  remote_websocket_port_max: (c, v, k) => { c.webSocketPortMax = asInt(k, v); },
  spice_listen: (c, v, k) => { c.spiceListen = asString(k, v); },
  spice_tls: (c, v, k) => { c.spiceTLS = asBool(k, v); },
  spice_tls_x509_cert_dir: (c, v, k) => { c.spiceTLSx509certdir = asString(k, v); },
  spice_password: (c, v, k) => { c.spicePassword = asString(k, v); },
  spice_sasl: (c, v, k) => { c.spiceSASL = asBool(k, v); },
  spice_sasl_dir: (c, v, k) => { c.spiceSASLdir = asString(k, v); },
  spice_auto_unix_socket: (c, v, k) => { c.spiceAutoUnixSocket = asBool(k, v); },
  default_tls_x509_cert_dir: (c, v, k) => { c.defaultTLSx509certdir = asString(k, v); },
  default_tls_x509_verify: (c, v, k) => { c.defaultTLSx509verify = asBool(k, v); },
  default_tls_x509_secret_uuid: (c, v, k) => { c.defaultTLSx509secretUUID = asString(k, v); },
  chardev_tls: (c, v, k) => { c.chardevTLS = asBool(k, v); },
  chardev_tls_x509_cert_dir: (c, v, k) => { c.chardevTLSx509certdir = asString(k, v); },
  chardev_tls_x509_verify: (c, v, k) => { c.chardevTLSx509verify = asBool(k, v); c.chardevTLSx509verifyPresent = true; },
  chardev_tls_x509_secret_uuid: (c, v, k) => { c.chardevTLSx509secretUUID = asString(k, v); },
  migrate_tls_x509_cert_dir: (c, v, k) => { c.migrateTLSx509certdir = asString(k, v); },
  migrate_tls_x509_verify: (c, v, k) => { c.migrateTLSx509verify = asBool(k, v); c.migrateTLSx509verifyPresent = true; },
  migrate_tls_x509_secret_uuid: (c, v, k) => { c.migrateTLSx509secretUUID = asString(k, v); },
  migrate_tls_force: (c, v, k) => { c.migrateTLSForce = asBool(k, v); },
  backup_tls_x509_cert_dir: (c, v, k) => { c.backupTLSx509certdir = asString(k, v); },
  backup_tls_x509_verify: (c, v, k) => { c.backupTLSx509verify = asBool(k, v); },
  backup_tls_x509_secret_uuid: (c, v, k) => { c.backupTLSx509secretUUID = asString(k, v); },
  vxhs_tls: (c, v, k) => { c.vxhsTLS = asBool(k, v); },
  vxhs_tls_x509_cert_dir: (c, v, k) => { c.vxhsTLSx509certdir = asString(k, v); },
  vxhs_tls_x509_secret_uuid: (c, v, k) => { c.vxhsTLSx509secretUUID = asString(k, v); },
  nbd_tls: (c, v, k) => { c.nbdTLS = asBool(k, v); },
  nbd_tls_x509_cert_dir: (c, v, k) => { c.nbdTLSx509certdir = asString(k, v); },
  nbd_tls_x509_secret_uuid: (c, v, k) => { c.nbdTLSx509secretUUID = asString(k, v); },
  migration_address: (c, v, k) => { c.migrationAddress = asString(k, v); },
  migration_host: (c, v, k) => { c.migrationHost = asString(k, v); },
  migration_port_min: (c, v, k) => { c.migrationPortMin = asInt(k, v); },
  migration_port_max: (c, v, k) => { c.migrationPortMax = asInt(k, v); },
  user: (c, v, k) => { c.user = asString(k, v); },
  group: (c, v, k) => { c.group = asString(k, v); },
  dynamic_ownership: (c, v, k) => { c.dynamicOwnership = asBool(k, v); },
  remember_owner: (c, v, k) => { c.rememberOwner = asBool(k, v); },
  security_driver: (c, v, k) => { c.securityDriverNames = asStringList(k, v); },
  security_default_confined: (c, v, k) => { c.securityDefaultConfined = asBool(k, v); },
  security_require_confined: (c, v, k) => { c.securityRequireConfined = asBool(k, v); },
  cgroup_device_acl: (c, v, k) => { c.cgroupDeviceACL = asStringList(k, v); },
  cgroup_controllers: (c, v, k) => {
    let mask = 0;
    for (const name of asStringList(k, v)) {
      const i = CGROUP_CONTROLLERS.indexOf(name);
      if (i < 0) throw confError(k, `Unknown cgroup controller '${name}'`);
      mask |= 1 << i;
    }
    c.cgroupControllers = mask;
  },
  save_image_format: (c, v, k) => { c.saveImageFormat = asString(k, v); },
  dump_image_format: (c, v, k) => { c.dumpImageFormat = asString(k, v); },
  snapshot_image_format: (c, v, k) => { c.snapshotImageFormat = asString(k, v); },
  auto_dump_path: (c, v, k) => { c.autoDumpPath = asString(k, v); },
  auto_dump_bypass_cache: (c, v, k) => { c.autoDumpBypassCache = asBool(k, v); },
  auto_start_bypass_cache: (c, v, k) => { c.autoStartBypassCache = asBool(k, v); },
  hugetlbfs_mount: (c, v, k) => {
    // Page sizes are host facts; the driver fills them in when it stats the mounts.
    c.hugetlbfs = asStringList(k, v).map((mnt, i) => ({ mnt, size: 2048, deflt: i === 0 }));
  },
  bridge_helper: (c, v, k) => { c.bridgeHelperName = asString(k, v); },
  pr_helper: (c, v, k) => { c.prHelperName = asString(k, v); },
  slirp_helper: (c, v, k) => { c.slirpHelperName = asString(k, v); },
  dbus_daemon: (c, v, k) => { c.dbusDaemonName = asString(k, v); },
  set_process_name: (c, v, k) => { c.setProcessName = asBool(k, v); },
  max_processes: (c, v, k) => { c.maxProcesses = asInt(k, v); },
  max_files: (c, v, k) => { c.maxFiles = asInt(k, v); },
  max_core: (c, v, k) => {
    if (typeof v === 'string') {
      if (v !== 'unlimited') throw confError(k, "max_core must be 'unlimited' or an integer");
      c.maxCore = 'unlimited';
    } else c.maxCore = asInt(k, v);
  },
  max_threads_per_process: (c, v, k) => { c.maxThreadsPerProc = asInt(k, v); },
  max_queued: (c, v, k) => { c.maxQueuedJobs = asInt(k, v); },
  dump_guest_core: (c, v, k) => { c.dumpGuestCore = asBool(k, v); },
  mac_filter: () => {},
  relaxed_acs_check: (c, v, k) => { c.relaxedACS = asBool(k, v); },
  clear_emulator_capabilities: (c, v, k) => { c.clearEmulatorCapabilities = asBool(k, v); },
  lock_manager: (c, v, k) => { c.lockManagerName = asString(k, v); },
  keepalive_interval: (c, v, k) => { c.keepAliveInterval = asInt(k, v); },
  keepalive_count: (c, v, k) => { c.keepAliveCount = asInt(k, v); },
  seccomp_sandbox: (c, v, k) => { c.seccompSandbox = asInt(k, v); },
  log_timestamp: (c, v, k) => { c.logTimestamp = asBool(k, v); },
  stdio_handler: (c, v, k) => {
    const s = asString(k, v);
    if (s === 'logd') c.stdioLogD = true;
    else if (s === 'file') c.stdioLogD = false;
    else throw confError(k, `Unknown stdio handler ${s}`);
  },
  nvram: (c, v, k) => {
    c.firmwares = asStringList(k, v).map((s) => {
      const i = s.indexOf(':');
      if (i < 0) throw confError(k, `Invalid nvram format: '${s}'`);
      return { loader: s.slice(0, i), nvram: s.slice(i + 1) };
    });
  },
  gluster_debug_level: (c, v, k) => { c.glusterDebugLevel = asInt(k, v); },
  virtiofsd_debug: (c, v, k) => { c.virtiofsdDebug = asBool(k, v); },
  memory_backing_dir: (c, v, k) => { c.memoryBackingDir = asString(k, v); c.memoryBackingDirSet = true; },
  namespaces: (c, v, k) => { c.namespaces = asStringList(k, v); },
  shared_filesystems: (c, v, k) => { c.sharedFilesystems = asStringList(k, v); },
  capability_filters: (c, v, k) => { c.capabilityFilters = asStringList(k, v); },
  deprecation_behavior: (c, v, k) => {
    const s = asString(k, v);
    if (s !== 'none' && s !== 'omit' && s !== 'reject' && s !== 'crash') throw confError(k, `Unknown deprecation_behavior value '${s}'`);
    c.deprecationBehavior = s;
  },
  rx_queue_size: (c, v, k) => { c.rxQueueSize = asInt(k, v); },
  tx_queue_size: (c, v, k) => { c.txQueueSize = asInt(k, v); },
  swtpm_user: (c, v, k) => { c.swtpmUser = asString(k, v); },
  swtpm_group: (c, v, k) => { c.swtpmGroup = asString(k, v); },
};

export const KNOWN_CONF_KEYS: readonly string[] = Object.keys(SETTERS);

/**
 * Applies parsed qemu.conf entries on top of `base` (returns a new object). Unknown keys are ignored
 * as libvirt does; ill-typed values raise a configuration syntax error. Post-processing mirrors
 * virQEMUDriverConfigLoadFile: *_tls_x509_cert_dir / verify / secret fall back to the default_tls_* keys
 * when not set explicitly.
 */
export function configFromConf(base: QemuDriverConfig, entries: Record<string, ConfValue>): QemuDriverConfig {
  const c: QemuDriverConfig = structuredClone(base);
  for (const [k, v] of Object.entries(entries)) {
    const set = SETTERS[k];
    if (set) set(c, v, k);
  }
  // Fallbacks to default_tls_*.
  const pkiDefault = base.defaultTLSx509certdir;
  const inherit = (dirKey: 'vncTLSx509certdir' | 'spiceTLSx509certdir' | 'chardevTLSx509certdir' | 'migrateTLSx509certdir' | 'backupTLSx509certdir' | 'vxhsTLSx509certdir' | 'nbdTLSx509certdir', confKey: string) => {
    if (!(confKey in entries) && c.defaultTLSx509certdir !== pkiDefault && base[dirKey] === pkiDefault) c[dirKey] = c.defaultTLSx509certdir;
  };
  inherit('vncTLSx509certdir', 'vnc_tls_x509_cert_dir');
  inherit('spiceTLSx509certdir', 'spice_tls_x509_cert_dir');
  inherit('chardevTLSx509certdir', 'chardev_tls_x509_cert_dir');
  inherit('migrateTLSx509certdir', 'migrate_tls_x509_cert_dir');
  inherit('backupTLSx509certdir', 'backup_tls_x509_cert_dir');
  inherit('vxhsTLSx509certdir', 'vxhs_tls_x509_cert_dir');
  inherit('nbdTLSx509certdir', 'nbd_tls_x509_cert_dir');
  if (!('vnc_tls_x509_verify' in entries) && 'default_tls_x509_verify' in entries) c.vncTLSx509verify = c.defaultTLSx509verify;
  if (!('chardev_tls_x509_verify' in entries) && 'default_tls_x509_verify' in entries) c.chardevTLSx509verify = c.defaultTLSx509verify;
  if (!('migrate_tls_x509_verify' in entries) && 'default_tls_x509_verify' in entries) c.migrateTLSx509verify = c.defaultTLSx509verify;
  if (c.defaultTLSx509secretUUID) {
    c.vncTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
    c.chardevTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
    c.migrateTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
    c.backupTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
    c.vxhsTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
    c.nbdTLSx509secretUUID ??= c.defaultTLSx509secretUUID;
  }
  return c;
}
