// tsvirt: the virsh-compatible command line. `tsvirt [-c URI] [--json] COMMAND [ARGS]`.
//
// This entry module stays small: the global options are read with node:util parseArgs, the command
// line is checked against the command table (./commands.ts, data only), and only then is the
// command's handler module (and the driver, through ./connect.ts) imported.
import { parseArgs } from 'node:util';
import { COMMANDS } from './commands.js';
import { Ctl, type GlobalOptions, errorText } from './ctl.js';
import { runCommands } from './run.js';
import { type ParsedCmd, ParseError, parseCommand, splitCommandString } from './vsh.js';

/** The libvirt version tsvirt is compatible with (what virsh prints for -v and `version`). */
export const LIBVIRT_COMPAT = '9.0.0';

const GLOBAL_OPTIONS = {
  connect: { type: 'string', short: 'c' },
  debug: { type: 'string', short: 'd' },
  escape: { type: 'string', short: 'e' },
  help: { type: 'boolean', short: 'h' },
  'keepalive-interval': { type: 'string', short: 'k' },
  'keepalive-count': { type: 'string', short: 'K' },
  log: { type: 'string', short: 'l' },
  quiet: { type: 'boolean', short: 'q' },
  readonly: { type: 'boolean', short: 'r' },
  timing: { type: 'boolean', short: 't' },
  v: { type: 'boolean', short: 'v' },
  V: { type: 'boolean', short: 'V' },
  version: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const LONG_OF: Record<string, string> = {
  connect: 'connect', debug: 'debug', escape: 'escape', 'keepalive-interval': 'keepalive-interval',
  'keepalive-count': 'keepalive-count', log: 'log',
};

class UsageError extends Error {}

interface Globals extends GlobalOptions {
  help: boolean;
  version: 'short' | 'long' | null;
}

/** Reads the options before the command (virsh stops at the first non-option, like getopt's '+'). */
function parseGlobals(argv: string[]): { g: Globals; rest: string[] } {
  const g: Globals = {
    quiet: false, json: false, readonly: false, timing: false, escape: '^]', help: false, version: null,
  };
  const { tokens } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  let restAt = argv.length;
  for (const t of tokens) {
    if (t.kind === 'positional') {
      restAt = t.index;
      break;
    }
    if (t.kind === 'option-terminator') {
      restAt = t.index + 1;
      break;
    }
    const def = (GLOBAL_OPTIONS as Record<string, { type: string; short?: string }>)[t.name];
    if (!def) throw new UsageError(`unsupported option '${t.rawName}'. See --help.`);
    if (def.type === 'string' && t.value === undefined) {
      const long = LONG_OF[t.name];
      throw new UsageError(`option '-${def.short}'/'--${long}' requires an argument`);
    }
    switch (t.name) {
      case 'connect': g.uri = t.value; break;
      case 'escape': g.escape = t.value as string; break;
      case 'help': g.help = true; break;
      case 'quiet': g.quiet = true; break;
      case 'readonly': g.readonly = true; break;
      case 'timing': g.timing = true; break;
      case 'json': g.json = true; break;
      case 'v': g.version = 'short'; break;
      case 'V': g.version = 'long'; break;
      case 'version': {
        const v = t.value === undefined ? 'short' : t.value;
        if (v !== 'short' && v !== 'long') throw new UsageError(`unknown version type '${v}'`);
        g.version = v;
        break;
      }
      default: break; // -d, -k, -K, -l: accepted, no effect here
    }
  }
  return { g, rest: argv.slice(restAt) };
}

async function main(argv: string[]): Promise<number> {
  let g: Globals;
  let rest: string[];
  try {
    ({ g, rest } = parseGlobals(argv));
  } catch (e) {
    process.stderr.write(`error: ${errorText(e)}\n`);
    return 1;
  }
  if (g.help) {
    const { usage } = await import('./help.js');
    process.stdout.write(usage());
    return 0;
  }
  if (g.version === 'short') {
    process.stdout.write(`${LIBVIRT_COMPAT}\n`);
    return 0;
  }
  if (g.version === 'long') {
    process.stdout.write(
      `tsvirt command line tool, compatible with virsh of libvirt ${LIBVIRT_COMPAT}\n\n` +
        'Compiled with support for:\n Hypervisors: QEMU/KVM\n',
    );
    return 0;
  }
  const ctl = new Ctl(g);
  let cmds: ParsedCmd[];
  try {
    if (rest.length === 0) {
      const { shell } = await import('./shell.js');
      return await shell(ctl);
    }
    const lists = rest.length === 1 ? splitCommandString(rest[0]) : [rest];
    cmds = lists.map((l) => parseCommand(COMMANDS, l));
  } catch (e) {
    if (e instanceof ParseError) {
      ctl.error(e.message);
      return 1;
    }
    throw e;
  }
  try {
    return (await runCommands(ctl, cmds)) ? 0 : 1;
  } finally {
    await ctl.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`error: ${errorText(e)}\n`);
    process.exit(1);
  },
);
