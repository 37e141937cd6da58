// `help` and `-h`, laid out as virsh 9.0 prints them (vshCmddefHelp, vshCmdGrpHelp, vshUsage).
import { COMMANDS, GROUPS } from './commands.js';
import type { Ctl } from './ctl.js';
import type { CmdDef, ParsedCmd } from './vsh.js';
import { optString } from './vsh.js';

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}

function groupLines(keyword: string): string {
  return COMMANDS.filter((c) => c.group === keyword)
    .map((c) => `    ${pad(c.name, 30)} ${c.help}\n`)
    .join('');
}

/** vshCmddefHelp. */
export function commandHelp(def: CmdDef): string {
  const opts = def.opts.filter((o) => !o.hidden);
  let out = `  NAME\n    ${def.name} - ${def.help}\n\n  SYNOPSIS\n    ${def.name}`;
  let shortopt = false;
  for (const o of opts) {
    let fmt: string;
    switch (o.type) {
      case 'bool':
        fmt = `[--${o.name}]`;
        break;
      case 'int':
        fmt = o.required ? `<${o.name}>` : `[--${o.name} <number>]`;
        if (!o.named) shortopt = true;
        break;
      case 'string':
        fmt = `[--${o.name} <string>]`;
        if (!o.named) shortopt = true;
        break;
      case 'data':
        fmt = o.required ? `<${o.name}>` : `[<${o.name}>]`;
        if (!o.named) shortopt = true;
        break;
      case 'argv':
        if (shortopt) fmt = o.required ? `{[--${o.name}] <string>}...` : `[[--${o.name}] <string>]...`;
        else fmt = o.required ? `<${o.name}>...` : `[<${o.name}>]...`;
        break;
    }
    out += ` ${fmt}`;
  }
  out += '\n';
  if (def.desc) out += `\n  DESCRIPTION\n    ${def.desc}\n`;
  if (opts.length > 0) {
    out += '\n  OPTIONS\n';
    for (const o of opts) {
      let buf: string;
      switch (o.type) {
        case 'bool':
          buf = `--${o.name}`;
          break;
        case 'int':
          buf = o.required ? `[--${o.name}] <number>` : `--${o.name} <number>`;
          break;
        case 'string':
          buf = `--${o.name} <string>`;
          break;
        case 'data':
          buf = `[--${o.name}] <string>`;
          break;
        case 'argv':
          buf = shortopt ? `[--${o.name}] <string>` : `<${o.name}>`;
          break;
      }
      out += `    ${pad(buf, 15)}  ${o.help}\n`;
    }
  }
  return `${out}\n`;
}

/** `help` without arguments: every group. */
export function allGroupsHelp(): string {
  let out = 'Grouped commands:\n\n';
  for (const g of GROUPS) out += ` ${g.title} (help keyword '${g.keyword}'):\n${groupLines(g.keyword)}\n`;
  return out;
}

export async function cmdHelp(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const name = optString(cmd, 'command');
  if (name === undefined) {
    ctl.print(allGroupsHelp());
    return true;
  }
  const def = COMMANDS.find((c) => c.name === name);
  if (def) {
    ctl.print(commandHelp(def));
    return true;
  }
  const g = GROUPS.find((x) => x.keyword === name);
  if (g) {
    ctl.print(` ${g.title} (help keyword '${g.keyword}'):\n${groupLines(g.keyword)}`);
    return true;
  }
  ctl.error(`command or command group '${name}' doesn't exist`);
  return false;
}

/** `tsvirt -h` (vshUsage). */
export function usage(prog = 'tsvirt'): string {
  let out =
    `\n${prog} [options]... [<command_string>]\n${prog} [options]... <command> [args...]\n\n` +
    '  options:\n' +
    '    -c | --connect=URI      hypervisor connection URI\n' +
    '    -d | --debug=NUM        debug level [0-4]\n' +
    '    -e | --escape <char>    set escape sequence for console\n' +
    '    -h | --help             this help\n' +
    '    -k | --keepalive-interval=NUM\n' +
    '                            keepalive interval in seconds, 0 for disable\n' +
    '    -K | --keepalive-count=NUM\n' +
    '                            number of possible missed keepalive messages\n' +
    '    -l | --log=FILE         output logging to file\n' +
    '    -q | --quiet            quiet mode\n' +
    '    -r | --readonly         connect readonly\n' +
    '    -t | --timing           print timing information\n' +
    '    -v                      short version\n' +
    '    -V                      long version\n' +
    '         --version[=TYPE]   version, TYPE is short or long (default short)\n' +
    '         --json             print one JSON document (list, dominfo, domstate, nodeinfo,\n' +
    '                            version, uri, hostname)\n' +
    '  commands (non interactive mode):\n\n';
  for (const g of GROUPS) out += ` ${g.title} (help keyword '${g.keyword}')\n${groupLines(g.keyword)}\n`;
  out += '\n  (specify help <group> for details about the commands in the group)\n';
  out += '\n  (specify help <command> for details about the command)\n\n';
  return out;
}
