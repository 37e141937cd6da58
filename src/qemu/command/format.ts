// The .args text of a command (virCommandToStringBuf with line breaks): env lines, then the
// emulator and one option per line with its value, shell-escaped.

const NEEDS_QUOTE = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** virBufferEscapeShell */
export function shellEscape(s: string): string {
  if (s === '') return "''";
  if (!NEEDS_QUOTE.test(s)) return s;
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export function formatArgs(env: ReadonlyArray<readonly [string, string]>, argv: readonly string[]): string {
  let out = '';
  for (const [k, v] of env) out += `${k}=${shellEscape(v)} \\\n`;
  if (argv.length === 0) return out;
  out += shellEscape(argv[0]);
  let hadOption = false;
  // index of the last argument starting with '-'
  let lastOpt = -1;
  for (let i = argv.length - 1; i >= 0; i--) {
    if (argv[i].startsWith('-')) {
      lastOpt = i;
      break;
    }
  }
  for (let i = 1; i < argv.length; i++) {
    out += ' ';
    let linebreak = true;
    if (!argv[i].startsWith('-')) {
      if (hadOption && lastOpt >= i - 1) linebreak = false;
    } else hadOption = true;
    if (linebreak) out += '\\\n';
    out += shellEscape(argv[i]);
  }
  return `${out}\n`;
}
