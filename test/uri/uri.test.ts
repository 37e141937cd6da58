import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyQemuURI, defaultEmbedRoot, formatURI, parseURI, uriParam } from '../../src/uri.js';
import { VirError } from '../../src/util/errors.js';

test('local URIs', () => {
  for (const p of ['system', 'session']) {
    const u = parseURI(`qemu:///${p}`);
    assert.equal(u.scheme, 'qemu');
    assert.equal(u.driver, 'qemu');
    assert.equal(u.transport, null);
    assert.equal(u.server, null);
    assert.equal(u.port, 0);
    assert.equal(u.path, `/${p}`);
    const t = classifyQemuURI(`qemu:///${p}`);
    assert.equal(t.kind, 'remote');
    if (t.kind === 'remote') {
      assert.equal(t.transport, 'unix');
      assert.equal(t.local, true);
    }
  }
});

test('embed URI and its root', () => {
  const t = classifyQemuURI('qemu:///embed?root=/tmp/x%20y');
  assert.equal(t.kind, 'embed');
  if (t.kind === 'embed') assert.equal(t.root, '/tmp/x y');
});

test('relative embed root is refused with libvirt text', () => {
  assert.throws(
    () => classifyQemuURI('qemu:///embed?root=relative/dir'),
    (e: unknown) => e instanceof VirError && e.code === 67 && e.message === 'unsupported configuration: root path must be absolute',
  );
});

test('embed without root', () => {
  assert.throws(
    () => classifyQemuURI('qemu:///embed'),
    (e: unknown) => e instanceof VirError && e.code === 8 && e.message === "invalid argument: Missing URI parameter 'root'",
  );
});

test('embed with a transport is not valid', () => {
  assert.throws(() => classifyQemuURI('qemu+unix:///embed?root=/x'), (e: unknown) => e instanceof VirError && /for embedded driver is not valid/.test(e.message));
});

test('remote forms', () => {
  const ssh = parseURI('qemu+ssh://root@example.com:2222/system?keyfile=/k/id&no_verify=1');
  assert.equal(ssh.transport, 'ssh');
  assert.equal(ssh.user, 'root');
  assert.equal(ssh.server, 'example.com');
  assert.equal(ssh.port, 2222);
  assert.equal(ssh.path, '/system');
  assert.equal(uriParam(ssh, 'keyfile'), '/k/id');
  assert.equal(uriParam(ssh, 'no_verify'), '1');

  const tls = classifyQemuURI('qemu://example.com/system');
  assert.ok(tls.kind === 'remote' && tls.transport === 'tls' && !tls.local);
  const tcp = classifyQemuURI('qemu+tcp://example.com/system');
  assert.ok(tcp.kind === 'remote' && tcp.transport === 'tcp');
  const unix = classifyQemuURI('qemu+unix:///system?socket=/run/x.sock');
  assert.ok(unix.kind === 'remote' && unix.transport === 'unix' && uriParam(unix.uri, 'socket') === '/run/x.sock');
  const v6 = parseURI('qemu+tcp://[::1]:16509/system');
  assert.equal(v6.server, '::1');
  assert.equal(v6.port, 16509);
});

test('unknown transport and missing slash', () => {
  assert.throws(() => classifyQemuURI('qemu+foo:///system'), /transport in URL not recognised/);
  assert.throws(
    () => classifyQemuURI('qemu://system'),
    (e: unknown) => e instanceof VirError && e.message === 'internal error: invalid URI qemu://system (maybe you want qemu:///system)',
  );
  assert.throws(() => parseURI('no-scheme-here'), (e: unknown) => e instanceof VirError && e.code === 5);
});

test('formatURI round trip', () => {
  for (const s of ['qemu:///system', 'qemu+ssh://root@host:22/system?keyfile=/a/b', 'qemu:///embed?root=/tmp/r']) {
    assert.equal(formatURI(parseURI(s)), s);
  }
});

test('default embedded root', () => {
  assert.equal(defaultEmbedRoot({ XDG_DATA_HOME: '/d', HOME: '/h' }), '/d/tsvirt/embed');
  assert.equal(defaultEmbedRoot({ HOME: '/h' }), '/h/.local/share/tsvirt/embed');
});
