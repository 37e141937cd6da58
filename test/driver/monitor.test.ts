// qemu-monitor-command output as libvirt 9.0 returns it (checked with virsh against libvirtd):
//   {"return":{"status":"running","singlestep":false,"running":true},"id":"libvirt-411"}
//   {"id":"libvirt-415","error":{"class":"CommandNotFound","desc":"The command nope has not been found"}}
//   a command with its own "id": internal error: Unable to append command 'id' string
//   --hmp 'info status': "VM status: running\r\n"; --hmp stop: ""
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QemuMonitorCommandFlags } from '../../src/driver/constants.js';
import { type Connection, connect, type Domain } from '../../src/index.js';
import { compactJSON } from '../../src/qemu/driver/monjson.js';
import { VirError } from '../../src/util/errors.js';
import { ensureGuest, guestDomainXML, makeTempRoot, type TempRoot } from '../helpers/guest.js';

describe('compactJSON (libvirt re-serialises QEMU replies with json-c)', () => {
  test('whitespace dropped, key order and number spellings kept', () => {
    assert.equal(
      compactJSON('{"return": {"status": "running", "singlestep": false, "running": true}, "id": "libvirt-3"}\r\n'),
      '{"return":{"status":"running","singlestep":false,"running":true},"id":"libvirt-3"}',
    );
    assert.equal(compactJSON('{"2": 1, "1": [1.50, 18446744073709551615, -0, 1e3]}'), '{"2":1,"1":[1.50,18446744073709551615,-0,1e3]}');
  });
  test('strings escaped as json-c does: control characters, quotes, backslash; / and non-ASCII as they are', () => {
    assert.equal(compactJSON('{"a": "x\\r\\n\\t\\u0001\\"\\\\ / \\/ \\u00e9 é"}'), '{"a":"x\\r\\n\\t\\u0001\\"\\\\ / / é é"}');
    assert.equal(compactJSON('{"a b": " spaced  out "}'), '{"a b":" spaced  out "}');
  });
  test('not JSON: returned unchanged', () => {
    assert.equal(compactJSON('{"a": '), '{"a": ');
  });
});

describe('qemu-monitor-command replies (TCG)', { timeout: 120_000 }, () => {
  let root: TempRoot;
  let conn: Connection;
  let dom: Domain;

  before(async () => {
    await ensureGuest();
    root = await makeTempRoot();
    conn = await connect(root.uri);
    dom = await conn.defineXML(guestDomainXML({ name: 'mon', serial: 'pty' }));
    await dom.create(1); // paused: nothing here needs the guest to boot
  });
  after(async () => {
    await dom?.destroy().catch(() => {});
    await conn?.close();
    await root?.remove();
  });

  test('QMP: compact, QEMU key order, libvirt id', async () => {
    const r = await dom.qemuMonitorCommand('{"execute":"query-status"}');
    assert.match(r, /^\{"return":\{"status":"prelaunch","singlestep":false,"running":false\},"id":"libvirt-\d+"\}$/);
    const pretty = await dom.qemuMonitorCommand('  {"execute" : "query-name"}\n');
    assert.match(pretty, /^\{"return":\{"name":"mon"\},"id":"libvirt-\d+"\}$/);
  });

  test('QMP error replies are returned, not thrown', async () => {
    const r = await dom.qemuMonitorCommand('{"execute":"nope"}');
    assert.match(r, /^\{"id":"libvirt-\d+","error":\{"class":"CommandNotFound","desc":"The command nope has not been found"\}\}$/);
  });

  test("a command with its own id is refused, as libvirt's monitor refuses to add a second one", async () => {
    await assert.rejects(
      dom.qemuMonitorCommand('{"execute":"query-status","id":"mine"}'),
      (e: unknown) => e instanceof VirError && e.code === 1 && e.message === "internal error: Unable to append command 'id' string",
    );
  });

  test('HMP: the text as QEMU returned it, CR LF line ends included', async () => {
    assert.equal(await dom.qemuMonitorCommand('info status', QemuMonitorCommandFlags.HMP), 'VM status: paused (prelaunch)\r\n');
    assert.equal(await dom.qemuMonitorCommand('info name', QemuMonitorCommandFlags.HMP), 'mon\r\n');
    assert.equal(await dom.qemuMonitorCommand('cont', QemuMonitorCommandFlags.HMP), '');
    assert.match(await dom.qemuMonitorCommand('{"execute":"query-status"}'), /"status":"running"/);
  });

  test("the domain log's header is QEMU's env and argv, not the wrapper it was exec'd through", () => {
    const log = readFileSync(join(root.path, 'log/qemu/mon.log'), 'utf8');
    const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: starting up tsvirt[^\n]*\n((?:[A-Z_][A-Z0-9_]*=[^\n]* \\\n)*)([^\n]*) \\\n-name guest=mon,/.exec(log);
    assert.ok(m, log.slice(0, 2000));
    assert.equal(m[2], '/usr/bin/qemu-system-x86_64');
    assert.ok(!/setpriv|tsvirt-cgroup|\/bin\/sh/.test(log.slice(0, log.indexOf('-name guest=mon,'))), log.slice(0, 2000));
  });
});
