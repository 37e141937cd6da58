// RelaxNG validation of domain XML against libvirt's own schemas (src/conf/schemas/, copied from
// libvirt 9.0), for `define --validate` / VIR_DOMAIN_DEFINE_VALIDATE and VIR_DOMAIN_START_VALIDATE.
//
// libxml2-wasm is loaded lazily (only callers that ask for validation pay for it) and domain.rng is
// compiled once per process, on first use. The schema's <include>s are served from memory by an
// input provider that knows only the schema files, so validation never reads anything else from
// disk and never touches the network.

import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCode, ErrorDomain, VirError, virError } from '../util/errors.js';

type Libxml2 = typeof import('libxml2-wasm');
type RelaxNGValidator = import('libxml2-wasm').RelaxNGValidator;

const SCHEMA_SUBDIRS = ['src/conf/schemas', 'schemas'];

/**
 * Directory holding domain.rng. TSVIRT_SCHEMA_DIR overrides; otherwise it is found from this module's
 * location, which works from src/conf (tsc, editors), dist/src/conf (modules) and dist/bin/chunks (the
 * CLI bundle): walk up, and at each level look for the schema folder both there and next to the
 * package.json found there followed through symlinks (a copied dist/ that links the repo's package.json).
 */
export function schemaDir(): string {
  const env = process.env.TSVIRT_SCHEMA_DIR;
  if (env) return env;
  const tried: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const roots = [dir];
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        roots.push(dirname(realpathSync(pkg)));
      } catch {
        // dangling link: ignore
      }
    }
    for (const root of roots) {
      for (const sub of SCHEMA_SUBDIRS) {
        const cand = join(root, sub);
        if (existsSync(join(cand, 'domain.rng'))) return cand;
        tried.push(cand);
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.XML, `Unable to find schema file 'domain.rng' (looked in ${tried.join(', ')})`);
}

interface Compiled {
  lx: Libxml2;
  validator: RelaxNGValidator;
  /** Absolute path of domain.rng, as libvirt names it in the error. */
  path: string;
}

let compiled: Promise<Compiled> | null = null;

async function compile(): Promise<Compiled> {
  const dir = schemaDir();
  const path = join(dir, 'domain.rng');
  const lx = await import('libxml2-wasm');
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.rng')) continue;
    const data = readFileSync(join(dir, name));
    // libxml2 resolves an include's href against the including file's URL; accept both spellings.
    files[join(dir, name)] = data;
    files[pathToFileURL(join(dir, name)).href] = data;
  }
  lx.xmlRegisterInputProvider(new lx.XmlBufferInputProvider(files));
  let rng: import('libxml2-wasm').XmlDocument | null = null;
  try {
    rng = lx.XmlDocument.fromBuffer(files[path], { url: path, option: parseOptions(lx) });
    return { lx, validator: lx.RelaxNGValidator.fromDoc(rng), path };
  } catch (e) {
    const detail = e instanceof Error ? e.message.trim() : String(e);
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.XML, `Unable to create RNG parser for ${path}: ${detail}`);
  } finally {
    rng?.dispose();
  }
}

function parseOptions(lx: Libxml2): number {
  const P = lx.ParseOption;
  return P.XML_PARSE_NONET | P.XML_PARSE_NO_XXE | P.XML_PARSE_NOWARNING;
}

/** Loads libxml2-wasm and compiles domain.rng if that has not happened yet in this process. */
export function loadDomainSchema(): Promise<void> {
  if (!compiled) {
    compiled = compile();
    // A failed compile is not cached: the next caller gets a fresh attempt and the same error.
    compiled.catch(() => {
      compiled = null;
    });
  }
  return compiled.then(() => undefined);
}

/**
 * Validates a domain XML document against libvirt's domain.rng. On failure throws libvirt's
 * VIR_ERR_XML_INVALID_SCHEMA: "XML document failed to validate against schema: Unable to validate
 * doc against <domain.rng>\n" followed by libxml2's messages, one per line.
 *
 * A document that is not well-formed XML, or whose root element is not <domain>, is left to the
 * domain parser (called right after this by every caller): libvirt reports those as XML errors before
 * it validates, so they get the same error with and without validation.
 */
export async function validateDomainSchema(xml: string): Promise<void> {
  await loadDomainSchema();
  const c = await (compiled as Promise<Compiled>);
  const { lx } = c;
  let doc: import('libxml2-wasm').XmlDocument;
  try {
    doc = lx.XmlDocument.fromString(xml, { option: parseOptions(lx) });
  } catch {
    return;
  }
  try {
    // libvirt checks the root element's name before validating (an XML_ERROR from the parser).
    if (doc.root.name !== 'domain') return;
    c.validator.validate(doc);
  } catch (e) {
    if (e instanceof lx.XmlValidateError) {
      const lines = e.details.map((d) => (d.message.endsWith('\n') ? d.message : `${d.message}\n`)).join('');
      throw new VirError({
        code: ErrorCode.XML_INVALID_SCHEMA,
        domain: ErrorDomain.XML,
        message: `XML document failed to validate against schema: Unable to validate doc against ${c.path}\n${lines}`,
        str1: `Unable to validate doc against ${c.path}\n${lines}`,
      });
    }
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.XML, `Unable to validate doc against ${c.path}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    doc.dispose();
  }
}
