// domxml-to-native's "qemu-argv" text: virCommandToString without line breaks — environment
// assignments, the binary, then the arguments, separated by single spaces, each quoted for a POSIX
// shell only when it contains shell metacharacters (virBufferEscapeShell).

const SHELL_META = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** virBufferEscapeShell: bare when safe, else single-quoted with ' written as '\''. */
export function escapeShell(s: string): string {
  if (s !== '' && !SHELL_META.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One line: NAME=value … binary arg … (no trailing newline). */
export function commandToString(env: Array<[string, string]> | Record<string, string>, argv: readonly string[]): string {
  const parts: string[] = [];
  const pairs = Array.isArray(env) ? env : Object.entries(env);
  for (const [k, v] of pairs) parts.push(`${k}=${escapeShell(v)}`);
  for (const a of argv) parts.push(escapeShell(a));
  return parts.join(' ');
}
