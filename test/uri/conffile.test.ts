import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConf, parseConfEntries } from '../../src/util/conffile.js';
import { VirError } from '../../src/util/errors.js';

test('strings, numbers, lists, comments', () => {
  const c = parseConf(`# qemu.conf
vnc_listen = "0.0.0.0"   # trailing comment
user = 'qemu'
max_processes = 42
neg = -5
security_driver = [ "selinux", "dac", ]
cgroup_device_acl = [
    "/dev/null", "/dev/full",   # comment in a list
    "/dev/zero"
]
empty = []
a = 1; b = "two"
long = """line one
line two"""
`);
  assert.equal(c.vnc_listen, '0.0.0.0');
  assert.equal(c.user, 'qemu');
  assert.equal(c.max_processes, 42);
  assert.equal(c.neg, -5);
  assert.deepEqual(c.security_driver, ['selinux', 'dac']);
  assert.deepEqual(c.cgroup_device_acl, ['/dev/null', '/dev/full', '/dev/zero']);
  assert.deepEqual(c.empty, []);
  assert.equal(c.a, 1);
  assert.equal(c.b, 'two');
  assert.equal(c.long, 'line one\nline two');
});

test('first value wins for duplicate names; entries keep order and lines', () => {
  const text = 'x = 1\nx = 2\n';
  assert.equal(parseConf(text).x, 1);
  assert.deepEqual(parseConfEntries(text).map((e) => [e.name, e.value, e.line]), [['x', 1, 1], ['x', 2, 2]]);
});

test('syntax errors carry file and line', () => {
  const cases: Array<[string, string]> = [
    ['a = \n', '/etc/q.conf:1: expecting a value'],
    ['a 1\n', '/etc/q.conf:1: expecting an assignment'],
    ['\n\nb = "open\n', '/etc/q.conf:3: unterminated string'],
    ['c = [ "a" "b" ]\n', '/etc/q.conf:1: expecting a separator in list'],
    ['d = [ "a", \n', '/etc/q.conf:2: expecting a value'],
    ['d = [ "a"\n', '/etc/q.conf:2: list is not closed with ]'],
    ['e = 1 2\n', '/etc/q.conf:1: expecting a separator'],
    ['1x = 3\n', '/etc/q.conf:1: expecting a name'],
  ];
  for (const [text, msg] of cases) {
    assert.throws(
      () => parseConf(text, '/etc/q.conf'),
      (e: unknown) => e instanceof VirError && e.code === 33 && e.message === `configuration file syntax error: ${msg}`,
      text,
    );
  }
});
