// The CLI's pure pieces: libvirt-style JSON re-formatting, virsh's table layout, the vsh parser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.js';
import { jsonMember, reformatJSON } from '../../src/cli/json.js';
import { formatTable } from '../../src/cli/table.js';
import { ParseError, parseCommand, splitCommandString } from '../../src/cli/vsh.js';
import { escapeByte } from '../../src/cli/console.js';

describe('JSON as virJSONValueToString (yajl) formats it', () => {
  // Expected texts were produced by libvirt 9.0's own virJSONValueToString on this machine.
  test('pretty: two-space indent, "key": value, final newline', () => {
    assert.equal(
      reformatJSON('{"return": {"status": "running", "singlestep": false, "running": true}, "id": "libvirt-1"}', true),
      '{\n  "return": {\n    "status": "running",\n    "singlestep": false,\n    "running": true\n  },\n  "id": "libvirt-1"\n}\n',
    );
  });
  test('empty containers and nesting', () => {
    assert.equal(reformatJSON('{"return":{},"id":"x"}', true), '{\n  "return": {\n\n  },\n  "id": "x"\n}\n');
    assert.equal(reformatJSON('[]', true), '[\n\n]\n');
    assert.equal(
      reformatJSON('{"return":[],"a":[1,2,{"b":null}],"c":1.5,"d":"\\u00e9\\n/x","e":12345678901234567890}', true),
      '{\n  "return": [\n\n  ],\n  "a": [\n    1,\n    2,\n    {\n      "b": null\n    }\n  ],\n  "c": 1.5,\n  "d": "\u00e9\\n/x",\n  "e": 12345678901234567890\n}\n',
    );
  });
  test('numbers keep their source text; compact form', () => {
    assert.equal(reformatJSON('{"a":-0.0,"b":1e10,"c":1E+2,"d":0.1}', true), '{\n  "a": -0.0,\n  "b": 1e10,\n  "c": 1E+2,\n  "d": 0.1\n}\n');
    assert.equal(reformatJSON('{ "a" : [ 1 , 2 ] }', false), '{"a":[1,2]}');
    assert.equal(reformatJSON('"str"', true), '"str"\n');
  });
  test('control characters are \\u00XX; not JSON gives null', () => {
    assert.equal(reformatJSON('"a\\u0001b\\t"', false), '"a\\u0001b\\t"');
    assert.equal(reformatJSON('{"a":', true), null);
    assert.equal(reformatJSON('info status', true), null);
  });
  test('--return-value member', () => {
    assert.equal(jsonMember('{"return":{"a":1},"id":"x"}', 'return', false), '{"a":1}');
    assert.equal(jsonMember('{"id":"x"}', 'return', false), undefined);
  });
});

describe('tables as vshTable prints them', () => {
  test('padding, rule and last column', () => {
    assert.equal(
      formatTable(['Id', 'Name', 'State'], [['1', 'test', 'running'], ['-', 'a-much-longer-domain-name', 'shut off']]),
      ' Id   Name                        State\n' +
        '--------------------------------------------\n' +
        ' 1    test                        running\n' +
        ' -    a-much-longer-domain-name   shut off\n',
    );
    assert.equal(
      formatTable(['Id', 'Name', 'State', 'Title'], [['1', 'test', 'running', '']]),
      ' Id   Name   State     Title\n------------------------------\n 1    test   running   \n',
    );
    assert.equal(formatTable(['Id', 'Name', 'State'], [['1', 'test', 'running']], false), ' 1   test   running\n');
  });
});

describe('vsh parser', () => {
  const p = (...t: string[]) => parseCommand(COMMANDS, t);
  const err = (...t: string[]) => assert.throws(() => p(...t), ParseError);
  test('positional values fill value-taking options in definition order', () => {
    const c = p('shutdown', 'dom', 'acpi');
    assert.equal(c.opts.get('domain'), 'dom');
    assert.equal(c.opts.get('mode'), 'acpi');
    const e = p('event', 'd', 'lifecycle', '5');
    assert.deepEqual([e.opts.get('domain'), e.opts.get('event'), e.opts.get('timeout')], ['d', 'lifecycle', '5']);
    err('dumpxml', 'd', '/x'); // --xpath is named-only
  });
  test('an argv option swallows the rest', () => {
    const c = p('qemu-monitor-command', 'd', '--hmp', 'info', 'status', '--pretty');
    assert.deepEqual(c.opts.get('cmd'), ['info', 'status']);
    assert.equal(c.opts.get('pretty'), true);
  });
  test('--opt=value, --, single-dash data', () => {
    assert.equal(p('dominfo', '--domain=x').opts.get('domain'), 'x');
    assert.equal(p('dominfo', '--', '--x').opts.get('domain'), '--x');
    assert.equal(p('dominfo', '-1').opts.get('domain'), '-1');
    assert.equal(p('dominfo', '--domain', '--reason').opts.get('domain'), '--reason');
  });
  test('errors', () => {
    assert.throws(() => p('list', '--bogus'), { message: "command 'list' doesn't support option --bogus" });
    assert.throws(() => p('dominfo'), { message: "command 'dominfo' requires <domain> option" });
    assert.throws(() => p('domstate', 'x', '--reason=1'), { message: "invalid '=' after option --reason" });
    assert.throws(() => p('dominfo', 'x', '--domain', 'y'), { message: 'option --domain already seen' });
    assert.throws(() => p('event', '--timeout'), { message: 'expected syntax: --timeout <number>' });
    assert.throws(() => p('nosuch'), { message: "unknown command: 'nosuch'" });
  });
  test('command strings', () => {
    assert.deepEqual(splitCommandString('list --all; dominfo "a b" ;uri'), [['list', '--all'], ['dominfo', 'a b'], ['uri']]);
    assert.deepEqual(splitCommandString("qemu-monitor-command d '{\"execute\": \"x\"}'"), [
      ['qemu-monitor-command', 'd', '{"execute": "x"}'],
    ]);
    assert.deepEqual(splitCommandString('a\\ b # comment'), [['a b']]);
  });
  test('console escape characters', () => {
    assert.equal(escapeByte('^]'), 0x1d);
    assert.equal(escapeByte('^a'), 0x01);
    assert.equal(escapeByte('~'), 0x7e);
  });
});
