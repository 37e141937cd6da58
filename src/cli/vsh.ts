// The command model of virsh (vshCmdDef / vshCmdOptDef) and its argument parser.
//
// virsh's rules, reproduced here because scripts depend on them:
//  - every option that takes a value (string, int, data, argv) may also be given positionally, in
//    the order the command defines them, unless it is marked `named` (VSH_OFLAG_REQ_OPT in libvirt);
//  - `--name value` and `--name=value`; a bool given `=` is an error; an option seen twice is an error;
//  - `--` makes every later token data; a token starting with a single '-' is data;
//  - an argv option swallows every remaining datum.
// Error texts are virsh's own, so they can be compared byte for byte.

export type OptType = 'bool' | 'string' | 'int' | 'data' | 'argv';

export interface OptDef {
  name: string;
  type: OptType;
  help: string;
  /** Required (VSH_OFLAG_REQ). */
  required?: boolean;
  /** Only accepted by name, never positionally (VSH_OFLAG_REQ_OPT). */
  named?: boolean;
  /** Accepted but left out of help (virsh's aliases and tsvirt's per-command --json). */
  hidden?: boolean;
}

export type Handler = (ctl: import('./ctl.js').Ctl, cmd: ParsedCmd) => Promise<boolean>;

export interface CmdDef {
  name: string;
  /** Group keyword ("domain", "monitor", "events", "host", "virsh"). */
  group: string;
  /** One-line summary (help column). */
  help: string;
  /** DESCRIPTION text; lines after the first carry their own indentation, as in virsh. */
  desc?: string;
  opts: OptDef[];
  /** The command needs no hypervisor connection (help). */
  noConnect?: boolean;
  /** Loads the handler lazily, so the CLI only imports what the command needs. */
  load: () => Promise<Handler>;
}

export interface ParsedCmd {
  def: CmdDef;
  /** Values by option name: true for bools, strings for the rest, string[] for argv. */
  opts: Map<string, string | true | string[]>;
}

export class ParseError extends Error {}

/** Looks up a command by name. */
export function findCommand(table: readonly CmdDef[], name: string): CmdDef | undefined {
  return table.find((c) => c.name === name);
}

/** Parses one command's tokens (tokens[0] is the command name). Throws ParseError with virsh's text. */
export function parseCommand(table: readonly CmdDef[], tokens: readonly string[]): ParsedCmd {
  const def = findCommand(table, tokens[0]);
  if (!def) throw new ParseError(`unknown command: '${tokens[0]}'`);
  const opts = new Map<string, string | true | string[]>();
  const seen = new Set<string>();
  // Options still open for positional data, in definition order.
  const needArg = def.opts.filter((o) => o.type !== 'bool' && !o.named).map((o) => o.name);
  let dataOnly = false;

  const setValue = (o: OptDef, v: string) => {
    if (o.type === 'argv') {
      const cur = opts.get(o.name);
      if (Array.isArray(cur)) cur.push(v);
      else opts.set(o.name, [v]);
    } else {
      opts.set(o.name, v);
    }
  };

  for (let i = 1; i < tokens.length; i++) {
    const tk = tokens[i];
    if (!dataOnly && tk.startsWith('--') && tk.length > 2) {
      let name = tk.slice(2);
      let inline: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const o = def.opts.find((x) => x.name === name);
      if (!o) throw new ParseError(`command '${def.name}' doesn't support option --${name}`);
      if (seen.has(o.name) && o.type !== 'argv') throw new ParseError(`option --${o.name} already seen`);
      seen.add(o.name);
      if (o.type !== 'argv') {
        const k = needArg.indexOf(o.name);
        if (k >= 0) needArg.splice(k, 1);
      }
      if (o.type === 'bool') {
        if (inline !== undefined) throw new ParseError(`invalid '=' after option --${o.name}`);
        opts.set(o.name, true);
      } else if (inline !== undefined) {
        setValue(o, inline);
      } else {
        if (i + 1 >= tokens.length) {
          throw new ParseError(`expected syntax: --${o.name} <${o.type === 'int' ? 'number' : 'string'}>`);
        }
        setValue(o, tokens[++i]);
      }
      continue;
    }
    if (!dataOnly && tk === '--') {
      dataOnly = true;
      continue;
    }
    // Positional data: the first option still waiting for a value.
    const name = needArg[0];
    if (name === undefined) {
      if (def.name === 'help') continue; // virsh ignores spurious data after help
      throw new ParseError(`unexpected data '${tk}'`);
    }
    const o = def.opts.find((x) => x.name === name) as OptDef;
    if (o.type !== 'argv') needArg.shift();
    seen.add(o.name);
    setValue(o, tk);
  }

  for (const o of def.opts) {
    if (o.required && !opts.has(o.name)) {
      throw new ParseError(
        o.named
          ? `command '${def.name}' requires --${o.name} option`
          : `command '${def.name}' requires <${o.name}> option`,
      );
    }
  }
  return { def, opts };
}

/**
 * Splits a virsh command string ("list --all; dominfo x") into commands of tokens: whitespace
 * separates, '…' and "…" quote, backslash escapes, ';' (or a newline) ends a command, '#' at the
 * start of a token comments out the rest of the line.
 */
export function splitCommandString(s: string): string[][] {
  const cmds: string[][] = [];
  let cur: string[] = [];
  let tok = '';
  let inTok = false;
  let i = 0;
  const endTok = () => {
    if (inTok) cur.push(tok);
    tok = '';
    inTok = false;
  };
  const endCmd = () => {
    endTok();
    if (cur.length) cmds.push(cur);
    cur = [];
  };
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      endTok();
      i++;
    } else if (c === ';' || c === '\n') {
      endCmd();
      i++;
    } else if (c === '#' && !inTok) {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === "'" || c === '"') {
      inTok = true;
      const q = c;
      i++;
      while (i < s.length && s[i] !== q) {
        if (q === '"' && s[i] === '\\' && i + 1 < s.length) i++;
        tok += s[i++];
      }
      if (i >= s.length) throw new ParseError('missing "');
      i++;
    } else if (c === '\\' && i + 1 < s.length) {
      inTok = true;
      tok += s[i + 1];
      i += 2;
    } else {
      inTok = true;
      tok += c;
      i++;
    }
  }
  endCmd();
  return cmds;
}

// Accessors in the style of vshCommandOpt*.
export function optBool(cmd: ParsedCmd, name: string): boolean {
  return cmd.opts.has(name);
}
export function optString(cmd: ParsedCmd, name: string): string | undefined {
  const v = cmd.opts.get(name);
  return typeof v === 'string' ? v : undefined;
}
export function optArgv(cmd: ParsedCmd, name: string): string[] {
  const v = cmd.opts.get(name);
  return Array.isArray(v) ? v : [];
}
