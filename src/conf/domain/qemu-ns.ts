// The QEMU XML namespace (http://libvirt.org/schemas/domain/qemu/1.0): <qemu:commandline>,
// <qemu:capabilities>, <qemu:deprecation>, <qemu:override>.
import { type OutElement, type XmlElement, attr, childrenNS, el } from '../../util/xml.js';
import { xmlErr } from './common.js';

export const QEMU_NS_URI = 'http://libvirt.org/schemas/domain/qemu/1.0';

export type OverrideType = 'string' | 'signed' | 'unsigned' | 'bool' | 'remove';

export interface OverrideProperty {
  name: string;
  type: OverrideType;
  value?: string;
}

export interface QemuNamespace {
  /** Prefix the XML used (formatted back the same way). */
  prefix: string;
  args: string[];
  env: Array<{ name: string; value?: string }>;
  capsAdd: string[];
  capsDel: string[];
  deprecation?: string;
  overrides: Array<{ alias: string; frontend: OverrideProperty[] }>;
}

export function parseQemuNamespace(root: XmlElement): QemuNamespace | undefined {
  const kids = childrenNS(root, QEMU_NS_URI);
  if (kids.length === 0) return undefined;
  const ns: QemuNamespace = { prefix: kids[0].prefix || 'qemu', args: [], env: [], capsAdd: [], capsDel: [], overrides: [] };
  for (const k of kids) {
    switch (k.local) {
      case 'commandline':
        for (const c of childrenNS(k, QEMU_NS_URI)) {
          if (c.local === 'arg') {
            const v = attr(c, 'value');
            if (v === undefined) throw xmlErr('No qemu command-line argument specified');
            ns.args.push(v);
          } else if (c.local === 'env') {
            const name = attr(c, 'name');
            if (!name) throw xmlErr('No qemu environment name specified');
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw xmlErr('Invalid environment name, it must begin with a letter or underscore');
            ns.env.push({ name, value: attr(c, 'value') });
          }
        }
        break;
      case 'capabilities':
        for (const c of childrenNS(k, QEMU_NS_URI)) {
          const cap = attr(c, 'capability');
          if (!cap) continue;
          if (c.local === 'add') ns.capsAdd.push(cap);
          else if (c.local === 'del') ns.capsDel.push(cap);
        }
        break;
      case 'deprecation': {
        const b = attr(k, 'behavior');
        if (!b || !['none', 'omit', 'reject', 'crash'].includes(b)) throw xmlErr(`invalid qemu deprecation behavior '${b ?? ''}'`);
        ns.deprecation = b;
        break;
      }
      case 'override':
        for (const dev of childrenNS(k, QEMU_NS_URI, 'device')) {
          const alias = attr(dev, 'alias');
          if (!alias) throw xmlErr('missing device alias for qemu:override');
          const frontend: OverrideProperty[] = [];
          for (const fe of childrenNS(dev, QEMU_NS_URI, 'frontend')) {
            for (const p of childrenNS(fe, QEMU_NS_URI, 'property')) {
              const name = attr(p, 'name');
              if (!name) throw xmlErr('missing property name for qemu:override');
              const type = attr(p, 'type') as OverrideType | undefined;
              if (!type || !['string', 'signed', 'unsigned', 'bool', 'remove'].includes(type)) {
                throw xmlErr(`invalid property type '${type ?? ''}' for qemu:override`);
              }
              const value = attr(p, 'value');
              if (type !== 'remove' && value === undefined) throw xmlErr(`missing value for property '${name}' for qemu:override`);
              if (type === 'remove' && value !== undefined) throw xmlErr(`setting 'value' of property '${name}' is not allowed with type 'remove'`);
              if (type === 'bool' && value !== 'true' && value !== 'false') throw xmlErr(`invalid value '${value}' for 'bool' property '${name}'`);
              if (type === 'signed' && !/^[-+]?\d+$/.test(value ?? '')) throw xmlErr(`invalid value '${value}' for 'signed' property '${name}'`);
              if (type === 'unsigned' && !/^\d+$/.test(value ?? '')) throw xmlErr(`invalid value '${value}' for 'unsigned' property '${name}'`);
              frontend.push({ name, type, value });
            }
          }
          ns.overrides.push({ alias, frontend });
        }
        break;
      default:
        break;
    }
  }
  return ns;
}

export function formatQemuNamespace(ns: QemuNamespace): OutElement[] {
  const p = `${ns.prefix}:`;
  const out: OutElement[] = [];
  if (ns.args.length || ns.env.length) {
    out.push(
      el(
        `${p}commandline`,
        [],
        ns.args.map((a) => el(`${p}arg`, [['value', a]])),
        ns.env.map((e) => el(`${p}env`, [['name', e.name], ['value', e.value]])),
      ),
    );
  }
  if (ns.capsAdd.length || ns.capsDel.length) {
    out.push(
      el(
        `${p}capabilities`,
        [],
        ns.capsAdd.map((c) => el(`${p}add`, [['capability', c]])),
        ns.capsDel.map((c) => el(`${p}del`, [['capability', c]])),
      ),
    );
  }
  if (ns.overrides.length) {
    out.push(
      el(
        `${p}override`,
        [],
        ns.overrides.map((d) =>
          el(
            `${p}device`,
            [['alias', d.alias]],
            d.frontend.length
              ? el(`${p}frontend`, [], d.frontend.map((f) => el(`${p}property`, [['name', f.name], ['type', f.type], ['value', f.value]])))
              : undefined,
          ),
        ),
      ),
    );
  }
  // qemuDomainDefNamespaceFormatXML: <qemu:deprecation> comes after <qemu:override>
  if (ns.deprecation) out.push(el(`${p}deprecation`, [['behavior', ns.deprecation]]));
  return out;
}
