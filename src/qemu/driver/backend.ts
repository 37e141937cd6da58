// Seams to modules still being written by colleagues (QEMU post-parse/prepare, the command builder,
// the capabilities prober and XML builders). They are loaded on first use, by name, so the driver works
// with whatever has landed; a missing piece fails only the operation that needs it, with a clear error.
// Once a module has landed, its call site imports it statically instead.


type AnyFn = (...args: never[]) => unknown;
const loaded = new Map<string, Promise<Record<string, unknown> | null>>();

function loadModule(spec: string): Promise<Record<string, unknown> | null> {
  let p = loaded.get(spec);
  if (!p) {
    p = import(new URL(spec, import.meta.url).href).then(
      (m) => m as Record<string, unknown>,
      () => null,
    );
    loaded.set(spec, p);
  }
  return p;
}

export async function optionalExport<T extends AnyFn>(spec: string, name: string): Promise<T | null> {
  const m = await loadModule(spec);
  const f = m?.[name];
  return typeof f === 'function' ? (f as T) : null;
}

export function missingPiece(what: string): Error {
  return new Error(`tsvirt: ${what} is not available in this build`);
}
