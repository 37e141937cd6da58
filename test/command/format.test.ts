import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatArgs, shellEscape } from '../../src/qemu/command/index.js';

test('shellEscape quotes only when needed', () => {
  assert.equal(shellEscape(''), "''");
  assert.equal(shellEscape('a,b=c:/d'), 'a,b=c:/d');
  assert.equal(shellEscape('{"a":1}'), `'{"a":1}'`);
  assert.equal(shellEscape("it's"), `'it'\\''s'`);
});

test('formatArgs puts one option per line with its value', () => {
  const out = formatArgs([['LC_ALL', 'C']], ['/usr/bin/qemu', '-name', 'guest=x', '-S', '-msg', 'timestamp=on']);
  assert.equal(out, 'LC_ALL=C \\\n/usr/bin/qemu \\\n-name guest=x \\\n-S \\\n-msg timestamp=on\n');
});
