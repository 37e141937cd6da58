// The CLI's command table, argument parsing, help and option errors, compared with the real virsh
// 9.0 where it is installed: same stdout, stderr and exit status, byte for byte.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TempRoot, makeTempRoot } from '../helpers/tmp.js';
import { HAVE_VIRSH, outcome, runVirsh, tsvirt } from './util.js';

const COMMANDS = [
  'define', 'undefine', 'create', 'start', 'shutdown', 'destroy', 'reboot', 'reset', 'suspend', 'resume', 'autostart',
  'list', 'dominfo', 'domstate', 'dumpxml', 'domid', 'domuuid', 'domname', 'qemu-monitor-command',
  'qemu-monitor-event', 'event', 'console', 'version', 'uri', 'hostname', 'nodeinfo', 'capabilities',
  'domcapabilities', 'domxml-to-native', 'domxml-from-native', 'help',
];

const virshOnly = { skip: HAVE_VIRSH ? false : 'virsh (libvirt-clients) is not installed' };

describe('help', () => {
  for (const c of COMMANDS) {
    test(`help ${c} is virsh's`, virshOnly, async () => {
      const [v, t] = await Promise.all([runVirsh(['help', c]), tsvirt(['help', c])]);
      assert.deepEqual(outcome(t), outcome(v));
    });
  }

  test('help <group> is virsh\'s for the groups tsvirt implements completely', virshOnly, async () => {
    const [v, t] = await Promise.all([runVirsh(['help', 'events']), tsvirt(['help', 'events'])]);
    assert.deepEqual(outcome(t), outcome(v));
  });

  test('help lists every command under its virsh group, with virsh\'s summary line', virshOnly, async () => {
    const [v, t] = await Promise.all([runVirsh(['help']), tsvirt(['help'])]);
    assert.equal(t.code, 0);
    assert.ok(t.stdout.startsWith('Grouped commands:\n\n Domain Management (help keyword \'domain\'):\n'));
    assert.ok(t.stdout.endsWith('\n\n\n'));
    const vLines = new Set(v.stdout.split('\n'));
    // tsvirt's own commands come last, in their own group.
    const ours = t.stdout.split("\n tsvirt extensions (help keyword 'tsvirt'):\n")[0];
    for (const line of ours.split('\n')) {
      if (line.startsWith('    ')) assert.ok(vLines.has(line), `virsh help has no line ${JSON.stringify(line)}`);
    }
    for (const c of COMMANDS) assert.match(t.stdout, new RegExp(`^    ${c} +\\S`, 'm'));
  });

  test('help for an unknown command or group', virshOnly, async () => {
    const [v, t] = await Promise.all([runVirsh(['help', 'nosuch']), tsvirt(['help', 'nosuch'])]);
    assert.deepEqual(outcome(t), outcome(v));
    assert.equal(t.stderr, "error: command or command group 'nosuch' doesn't exist\n");
  });

  test('-h prints the usage and the command list', async () => {
    const t = await tsvirt(['-h']);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /^\ntsvirt \[options\]\.\.\. \[<command_string>\]\n/);
    assert.match(t.stdout, /-c \| --connect=URI {6}hypervisor connection URI/);
    assert.match(t.stdout, /^ {4}dominfo {24}domain information$/m);
  });

  test('-v and --version print the libvirt version tsvirt is compatible with', async () => {
    for (const a of ['-v', '--version', '--version=short']) {
      const t = await tsvirt([a]);
      assert.deepEqual(outcome(t), { code: 0, stdout: '9.0.0\n', stderr: '' }, a);
    }
  });
});

// Errors found while parsing: no connection is opened, so the URI does not matter.
const PARSE_CASES: string[][] = [
  ['list', '--bogus'],
  ['dominfo'],
  ['dominfo', 'a', 'b'],
  ['bogus'],
  ['domstate', '--reason=yes', 'x'],
  ['domstate', 'x', '--reason', '--reason'],
  ['dominfo', '--domain', 'x', '--domain', 'y'],
  ['dominfo', 'x', '--domain', 'y'],
  ['dominfo', '--domain'],
  ['domstate', 'x', '-x'],
  ['qemu-monitor-command', 'x'],
  ['help', '--command'],
  ['dumpxml', 'x', '/domain/name'],
  ['event', 'a', 'b', 'c', 'd'],
  ['domcapabilities', 'a', 'b', 'c', 'd', 'e'],
  ['undefine', 'a', 'b', 'c'],
  ['define'],
  ['domxml-to-native', 'fmt', 'dom', 'extra'],
  ['list zz1'],
  ['uri; bogus'],
  ['dominfo a b'],
];

describe('argument errors are virsh\'s', () => {
  for (const args of PARSE_CASES) {
    test(args.join(' '), virshOnly, async () => {
      const [v, t] = await Promise.all([
        runVirsh(['-c', 'test:///default', ...args]),
        tsvirt(['-c', 'qemu:///embed?root=/nonexistent/never-opened', ...args]),
      ]);
      assert.deepEqual(outcome(t), outcome(v));
      assert.equal(t.code, 1);
      assert.equal(t.stdout, '', 'a command that fails to parse prints nothing on stdout');
    });
  }

  test('unknown global option', virshOnly, async () => {
    for (const args of [['-x', 'list'], ['--bogus', 'list'], ['-c']]) {
      const [v, t] = await Promise.all([runVirsh(args), tsvirt(args)]);
      assert.deepEqual(outcome(t), outcome(v), args.join(' '));
    }
  });
});

// Checks made by the command itself, before it looks a domain up: they need a connection. virsh
// runs against its built-in test driver, tsvirt against an empty embedded root.
const RUNTIME_CASES: string[][] = [
  ['event'],
  ['event', '--event', 'nosuch'],
  ['event', '--list', '--all'],
  ['event', '--all', '--event', 'lifecycle'],
  ['event', '--all', '--timeout', '0'],
  ['event', '--all', '--timeout', 'abc'],
  ['event', '--list'],
  ['event', '--all', '--timeout', '1'],
  ['qemu-monitor-event', '--timeout', '0'],
  ['domxml-to-native', 'qemu-argv'],
  ['domxml-to-native', 'qemu-argv', '--domain', 'x', '--xml', 'y'],
  ['undefine', 'nosuch', '--nvram', '--keep-nvram'],
  ['undefine', 'nosuch', '--delete-storage-volume-snapshots'],
  ['qemu-monitor-command', 'nosuch', '--hmp', '--pretty', 'x'],
  ['qemu-monitor-command', 'nosuch', '--hmp', '--return-value', 'x'],
  ['list', '--table', '--name'],
  ['shutdown', 'nosuch', '--mode', 'foo'],
  ['shutdown', 'nosuch', 'foo'],
  ['reboot', 'nosuch', '--mode', 'acpi,foo'],
  ['dominfo', 'nosuch'],
  ['dominfo', '--domain=nosuch'],
  ['domstate', '--', 'nosuch'],
  ['domid', 'nosuch'],
  ['start', 'nosuch'],
  ['console', 'nosuch'],
  ['define', '/nonexistent/file.xml'],
  ['create', '/nonexistent/file.xml'],
  ['domxml-from-native', 'qemu-argv', '/nonexistent/file'],
];

describe('command-level errors are virsh\'s', () => {
  let root: TempRoot;
  before(async () => {
    root = await makeTempRoot();
  });
  after(async () => {
    await root?.remove();
  });
  for (const args of RUNTIME_CASES) {
    test(args.join(' '), virshOnly, async () => {
      const [v, t] = await Promise.all([runVirsh(['-c', 'test:///default', ...args]), tsvirt(['-c', root.uri, ...args])]);
      assert.deepEqual(outcome(t), outcome(v));
    });
  }

  test('-q drops the blank line after each command', virshOnly, async () => {
    const [v, t] = await Promise.all([
      runVirsh(['-q', '-c', 'test:///default', 'dominfo', 'nosuch']),
      tsvirt(['-q', '-c', root.uri, 'dominfo', 'nosuch']),
    ]);
    assert.deepEqual(outcome(t), outcome(v));
    assert.equal(t.stdout, '');
  });

  test('a command string runs every command; the status is the last one\'s', async () => {
    const t = await tsvirt(['-c', root.uri, 'dominfo nosuch; uri']);
    assert.equal(t.code, 0);
    assert.equal(t.stdout, `\n${root.uri}\n\n`);
    assert.equal(t.stderr, "error: failed to get domain 'nosuch'\n");
  });
});
