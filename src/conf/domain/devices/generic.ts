// Device families not yet given a typed model (sound, watchdog, hostdev, tpm, filesystem, smartcard,
// redirdev, hub, panic, shmem, memory, iommu, vsock, audio, lease, nvram, crypto…). They keep their
// element verbatim (minus the device-info children, which are modelled so addresses and aliases
// can be assigned) and builders read what they need from `xml`. Give a family its own file with a
// typed model when its rules grow.
import { type OutElement, type XmlElement, attr, el } from '../../../util/xml.js';
import { type DeviceInfo, type FormatCtx, type ParseCtx, bodyChildren, formatDeviceInfo, parseDeviceInfo, verbatim } from '../common.js';

export interface GenericDevice {
  /** Element name: 'sound', 'watchdog', 'hostdev', … */
  kind: string;
  attrs: Array<[string, string]>;
  body: XmlElement[];
  info: DeviceInfo;
  /** The parsed element (read-only input for builders). */
  xml: XmlElement;
  /** Extra attributes/children added by post-parse (e.g. a default model). */
  addAttrs?: Array<[string, string]>;
  addBody?: OutElement[];
}

export function parseGeneric(e: XmlElement, ctx: ParseCtx): GenericDevice {
  return {
    kind: e.local,
    attrs: e.attrs.filter((a) => !a.name.startsWith('xmlns')).map((a) => [a.name, a.value]),
    body: bodyChildren(e),
    info: parseDeviceInfo(e, ctx),
    xml: e,
  };
}

export function formatGeneric(d: GenericDevice, ctx: FormatCtx): OutElement {
  const attrs: Array<[string, string]> = [...d.attrs, ...(d.addAttrs ?? [])];
  return el(d.kind, attrs, d.body.map(verbatim), d.addBody ?? [], formatDeviceInfo(d.info, ctx));
}

export function gattr(d: GenericDevice, name: string): string | undefined {
  return attr(d.xml, name);
}
