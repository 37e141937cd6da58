// virsh's tables (vsh-table.c): every cell is preceded by a space and padded to its column's width
// plus two (the last column is not padded); the header is followed by a rule of (width + 3) dashes
// per column. With -q the header and rule are left out, and widths come from the data alone.

/** Display width: East Asian wide characters take two columns, combining marks none. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x20 || (c >= 0x300 && c <= 0x36f) || c === 0x200b) continue;
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x20000 && c <= 0x3fffd)
  );
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], withHeader = true): string {
  const all = withHeader ? [header, ...rows] : rows;
  const widths = header.map((_, i) => Math.max(0, ...all.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: readonly string[]) => {
    let s = '';
    r.forEach((cell, i) => {
      s += ` ${cell}`;
      if (i < r.length - 1) s += ' '.repeat(widths[i] - displayWidth(cell) + 2);
    });
    return `${s}\n`;
  };
  let out = '';
  if (withHeader) {
    out += line(header);
    out += `${widths.map((w) => '-'.repeat(w + 3)).join('')}\n`;
  }
  for (const r of rows) out += line(r);
  return out;
}
