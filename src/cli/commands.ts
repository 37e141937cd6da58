// The command table: names, options, help texts and groups exactly as virsh 9.0 defines them, with
// handlers loaded on demand (each `load` is a separate chunk in the bundle).
import type { CmdDef, OptDef } from './vsh.js';

const dom = (help = 'domain name, id or uuid'): OptDef => ({ name: 'domain', type: 'data', required: true, help });
const bool = (name: string, help: string): OptDef => ({ name, type: 'bool', help });
const str = (name: string, help: string, named = false): OptDef => ({ name, type: 'string', help, named });
/** tsvirt's own per-command --json (also accepted as a global option); not listed in help. */
const json: OptDef = { name: 'json', type: 'bool', help: 'print one JSON document', hidden: true };

const lifecycle = () => import('./cmd-domain.js');
const monitor = () => import('./cmd-monitor.js');
const host = () => import('./cmd-host.js');
const qemu = () => import('./cmd-qemu.js');

export const GROUPS: ReadonlyArray<{ keyword: string; title: string }> = [
  { keyword: 'domain', title: 'Domain Management' },
  { keyword: 'monitor', title: 'Domain Monitoring' },
  { keyword: 'events', title: 'Domain Events' },
  { keyword: 'host', title: 'Host and Hypervisor' },
  { keyword: 'virsh', title: 'Virsh itself' },
  /** Commands virsh does not have. */
  { keyword: 'tsvirt', title: 'tsvirt extensions' },
];

const SHUTDOWN_MODE = 'shutdown mode: acpi|agent|initctl|signal|paravirt';

export const COMMANDS: readonly CmdDef[] = [
  // --- Domain Management (virsh's order) ---
  {
    name: 'autostart', group: 'domain', help: 'autostart a domain',
    desc: 'Configure a domain to be automatically started at boot.',
    opts: [dom(), bool('disable', 'disable autostarting')],
    load: () => lifecycle().then((m) => m.cmdAutostart),
  },
  {
    name: 'console', group: 'domain', help: 'connect to the guest console',
    desc: 'Connect the virtual serial console for the guest',
    opts: [
      dom(), str('devname', 'character device name'),
      bool('force', 'force console connection (disconnect already connected sessions)'),
      bool('safe', 'only connect if safe console handling is supported'),
    ],
    load: () => import('./console.js').then((m) => m.cmdConsole),
  },
  {
    name: 'create', group: 'domain', help: 'create a domain from an XML file', desc: 'Create a domain.',
    opts: [
      { name: 'file', type: 'data', required: true, help: 'file containing an XML domain description' },
      bool('console', 'attach to console after creation'),
      bool('paused', 'leave the guest paused after creation'),
      bool('autodestroy', 'automatically destroy the guest when virsh disconnects'),
      str('pass-fds', 'pass file descriptors N,M,... to the guest'),
      bool('validate', 'validate the XML against the schema'),
      bool('reset-nvram', 're-initialize NVRAM from its pristine template'),
    ],
    load: () => lifecycle().then((m) => m.cmdCreate),
  },
  {
    name: 'define', group: 'domain', help: "define (but don't start) a domain from an XML file",
    desc: 'Define a domain.',
    opts: [
      { name: 'file', type: 'data', required: true, help: 'file containing an XML domain description' },
      bool('validate', 'validate the XML against the schema'),
    ],
    load: () => lifecycle().then((m) => m.cmdDefine),
  },
  {
    name: 'destroy', group: 'domain', help: 'destroy (stop) a domain',
    desc: 'Forcefully stop a given domain, but leave its resources intact.',
    opts: [dom(), bool('graceful', 'terminate gracefully'), bool('remove-logs', 'remove domain logs')],
    load: () => lifecycle().then((m) => m.cmdDestroy),
  },
  {
    name: 'domid', group: 'domain', help: 'convert a domain name or UUID to domain id',
    opts: [dom('domain name or uuid')],
    load: () => lifecycle().then((m) => m.cmdDomid),
  },
  {
    name: 'domname', group: 'domain', help: 'convert a domain id or UUID to domain name',
    opts: [dom('domain id or uuid')],
    load: () => lifecycle().then((m) => m.cmdDomname),
  },
  { name: 'domain-preflight', group: 'tsvirt', help: "check that QEMU, as the configured user, can reach the domain's files", opts: [dom(), json], load: () => import('./cmd-preflight.js').then((m) => m.cmdDomainPreflight) },
  {
    name: 'domuuid', group: 'domain', help: 'convert a domain name or id to domain UUID',
    opts: [dom('domain id or name')],
    load: () => lifecycle().then((m) => m.cmdDomuuid),
  },
  {
    name: 'domxml-from-native', group: 'domain', help: 'Convert native config to domain XML',
    desc: 'Convert native guest configuration format to domain XML format.',
    opts: [
      { name: 'format', type: 'data', required: true, help: 'source config data format' },
      { name: 'config', type: 'data', required: true, help: 'config data file to import from' },
    ],
    load: () => lifecycle().then((m) => m.cmdDomXMLFromNative),
  },
  {
    name: 'domxml-to-native', group: 'domain', help: 'Convert domain XML to native config',
    desc: 'Convert domain XML config to a native guest configuration format.',
    opts: [
      { name: 'format', type: 'data', required: true, help: 'target config data type format' },
      str('domain', 'domain name, id or uuid'),
      str('xml', 'xml data file to export from', true),
    ],
    load: () => lifecycle().then((m) => m.cmdDomXMLToNative),
  },
  {
    name: 'dumpxml', group: 'domain', help: 'domain information in XML',
    desc: 'Output the domain information as an XML dump to stdout.',
    opts: [
      dom(),
      bool('inactive', 'show inactive defined XML'),
      bool('security-info', 'include security sensitive information in XML dump'),
      bool('update-cpu', 'update guest CPU according to host CPU'),
      bool('migratable', 'provide XML suitable for migrations'),
      str('xpath', 'xpath expression to filter the XML document', true),
      bool('wrap', 'wrap xpath results in an common root element'),
    ],
    load: () => lifecycle().then((m) => m.cmdDumpXML),
  },
  {
    name: 'qemu-monitor-command', group: 'domain', help: 'QEMU Monitor Command', desc: 'QEMU Monitor Command',
    opts: [
      dom(),
      bool('hmp', 'command is in human monitor protocol'),
      bool('pretty', 'pretty-print any qemu monitor protocol output'),
      bool('return-value', "extract the value of the 'return' key from the returned string"),
      str('pass-fds', 'pass file descriptors N,M,... along with the command', true),
      { name: 'cmd', type: 'argv', required: true, help: 'command' },
    ],
    load: () => qemu().then((m) => m.cmdQemuMonitorCommand),
  },
  {
    name: 'qemu-monitor-event', group: 'domain', help: 'QEMU Monitor Events', desc: 'Listen for QEMU Monitor Events',
    opts: [
      str('domain', 'filter by domain name, id or uuid'),
      str('event', 'filter by event name'),
      bool('pretty', 'pretty-print any JSON output'),
      bool('loop', 'loop until timeout or interrupt, rather than one-shot'),
      { name: 'timeout', type: 'int', help: 'timeout seconds' },
      bool('regex', 'treat event as a regex rather than literal filter'),
      bool('no-case', 'treat event case-insensitively'),
      bool('timestamp', 'show timestamp for each printed event'),
    ],
    load: () => qemu().then((m) => m.cmdQemuMonitorEvent),
  },
  {
    name: 'reboot', group: 'domain', help: 'reboot a domain', desc: 'Run a reboot command in the target domain.',
    opts: [dom(), str('mode', SHUTDOWN_MODE)],
    load: () => lifecycle().then((m) => m.cmdReboot),
  },
  {
    name: 'reset', group: 'domain', help: 'reset a domain', desc: 'Reset the target domain as if by power button',
    opts: [dom()],
    load: () => lifecycle().then((m) => m.cmdReset),
  },
  {
    name: 'resume', group: 'domain', help: 'resume a domain', desc: 'Resume a previously suspended domain.',
    opts: [dom()],
    load: () => lifecycle().then((m) => m.cmdResume),
  },
  {
    name: 'shutdown', group: 'domain', help: 'gracefully shutdown a domain', desc: 'Run shutdown in the target domain.',
    opts: [dom(), str('mode', SHUTDOWN_MODE)],
    load: () => lifecycle().then((m) => m.cmdShutdown),
  },
  {
    name: 'start', group: 'domain', help: 'start a (previously defined) inactive domain',
    desc:
      'Start a domain, either from the last managedsave\n    state, or via a fresh boot if no managedsave state\n    is present.',
    opts: [
      dom('name of the inactive domain'),
      bool('console', 'attach to console after creation'),
      bool('paused', 'leave the guest paused after creation'),
      bool('autodestroy', 'automatically destroy the guest when virsh disconnects'),
      bool('bypass-cache', 'avoid file system cache when loading'),
      bool('force-boot', 'force fresh boot by discarding any managed save'),
      str('pass-fds', 'pass file descriptors N,M,... to the guest'),
      bool('reset-nvram', 're-initialize NVRAM from its pristine template'),
    ],
    load: () => lifecycle().then((m) => m.cmdStart),
  },
  {
    name: 'suspend', group: 'domain', help: 'suspend a domain', desc: 'Suspend a running domain.',
    opts: [dom()],
    load: () => lifecycle().then((m) => m.cmdSuspend),
  },
  {
    name: 'undefine', group: 'domain', help: 'undefine a domain',
    desc: 'Undefine an inactive domain, or convert persistent to transient.',
    opts: [
      dom(),
      bool('managed-save', 'remove domain managed state file'),
      str('storage', 'remove associated storage volumes (comma separated list of targets or source paths) (see domblklist)'),
      bool('remove-all-storage', 'remove all associated storage volumes (use with caution)'),
      bool('delete-storage-volume-snapshots', 'delete snapshots associated with volume(s), requires --remove-all-storage (must be supported by storage driver)'),
      bool('wipe-storage', 'wipe data on the removed volumes'),
      bool('snapshots-metadata', 'remove all domain snapshot metadata (vm must be inactive)'),
      bool('checkpoints-metadata', 'remove all domain checkpoint metadata (vm must be inactive)'),
      bool('nvram', 'remove nvram file'),
      bool('keep-nvram', 'keep nvram file'),
      bool('tpm', 'remove TPM state'),
      bool('keep-tpm', 'keep TPM state'),
    ],
    load: () => lifecycle().then((m) => m.cmdUndefine),
  },

  // --- Domain Monitoring ---
  {
    name: 'dominfo', group: 'monitor', help: 'domain information', desc: 'Returns basic information about the domain.',
    opts: [dom(), json],
    load: () => monitor().then((m) => m.cmdDominfo),
  },
  {
    name: 'domstate', group: 'monitor', help: 'domain state', desc: 'Returns state about a domain.',
    opts: [dom(), bool('reason', 'also print reason for the state'), json],
    load: () => monitor().then((m) => m.cmdDomstate),
  },
  {
    name: 'list', group: 'monitor', help: 'list domains', desc: 'Returns list of domains.',
    opts: [
      bool('inactive', 'list inactive domains'),
      bool('all', 'list inactive & active domains'),
      bool('transient', 'list transient domains'),
      bool('persistent', 'list persistent domains'),
      bool('with-snapshot', 'list domains with existing snapshot'),
      bool('without-snapshot', 'list domains without a snapshot'),
      bool('with-checkpoint', 'list domains with existing checkpoint'),
      bool('without-checkpoint', 'list domains without a checkpoint'),
      bool('state-running', 'list domains in running state'),
      bool('state-paused', 'list domains in paused state'),
      bool('state-shutoff', 'list domains in shutoff state'),
      bool('state-other', 'list domains in other states'),
      bool('autostart', 'list domains with autostart enabled'),
      bool('no-autostart', 'list domains with autostart disabled'),
      bool('with-managed-save', 'list domains with managed save state'),
      bool('without-managed-save', 'list domains without managed save'),
      bool('uuid', "list uuid's only"),
      bool('name', 'list domain names only'),
      bool('id', 'list domain IDs only'),
      bool('table', 'list table (default)'),
      bool('managed-save', 'mark inactive domains with managed save state'),
      bool('title', 'show domain title'),
      json,
    ],
    load: () => monitor().then((m) => m.cmdList),
  },

  // --- Domain Events ---
  {
    name: 'event', group: 'events', help: 'Domain Events', desc: 'List event types, or wait for domain events to occur',
    opts: [
      str('domain', 'filter by domain name, id or uuid'),
      str('event', 'which event type to wait for'),
      bool('all', 'wait for all events instead of just one type'),
      bool('loop', 'loop until timeout or interrupt, rather than one-shot'),
      { name: 'timeout', type: 'int', help: 'timeout seconds' },
      bool('list', 'list valid event types'),
      bool('timestamp', 'show timestamp for each printed event'),
    ],
    load: () => import('./cmd-event.js').then((m) => m.cmdEvent),
  },

  // --- Host and Hypervisor ---
  {
    name: 'capabilities', group: 'host', help: 'capabilities', desc: 'Returns capabilities of hypervisor/driver.',
    opts: [],
    load: () => host().then((m) => m.cmdCapabilities),
  },
  {
    name: 'domcapabilities', group: 'host', help: 'domain capabilities',
    desc: 'Returns capabilities of emulator with respect to host and libvirt.',
    opts: [
      str('virttype', 'virtualization type (/domain/@type)'),
      str('emulatorbin', 'path to emulator binary (/domain/devices/emulator)'),
      str('arch', 'domain architecture (/domain/os/type/@arch)'),
      str('machine', 'machine type (/domain/os/type/@machine)'),
    ],
    load: () => host().then((m) => m.cmdDomCapabilities),
  },
  {
    name: 'hostname', group: 'host', help: 'print the hypervisor hostname',
    opts: [json],
    load: () => host().then((m) => m.cmdHostname),
  },
  {
    name: 'nodeinfo', group: 'host', help: 'node information', desc: 'Returns basic information about the node.',
    opts: [json],
    load: () => host().then((m) => m.cmdNodeinfo),
  },
  {
    name: 'uri', group: 'host', help: 'print the hypervisor canonical URI',
    opts: [json],
    load: () => host().then((m) => m.cmdURI),
  },
  {
    name: 'version', group: 'host', help: 'show version', desc: 'Display the system version information.',
    opts: [bool('daemon', 'report daemon version too'), json],
    load: () => host().then((m) => m.cmdVersion),
  },

  // --- Virsh itself ---
  {
    name: 'help', group: 'virsh', help: 'print help',
    desc: 'Prints global help, command specific help, or help for a\n    group of related commands',
    opts: [str('command', 'Prints global help, command specific help, or help for a group of related commands')],
    noConnect: true,
    load: () => import('./help.js').then((m) => m.cmdHelp),
  },
];
