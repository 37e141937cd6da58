// QEMU post-parse defaults and define-time validation of the small generic device families:
// IOMMU (qemuValidateDomainDeviceDefIOMMU, virDomainIOMMUDefValidate, split I/O APIC default),
// panic notifiers, vsock and shared memory.

import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { child } from '../../util/xml.js';
import type { QemuCaps } from '../caps/types.js';
import { devAttr, iommuDriver, shmemSize } from '../command/misc.js';
import { isQ35 } from './machine.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);
const xmlError = (m: string) => virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, m);

function setDefaultAttr(d: GenericDevice, name: string, value: string): void {
  if (devAttr(d, name) !== undefined) return;
  (d.addAttrs ??= []).push([name, value]);
}

/** Define-time defaults (qemuDomainDeviceDefPostParse / qemuDomainDefEnableDefaultFeatures). */
export function miscDevicesPostParse(def: DomainDef): void {
  const d = def.devices;
  const x86 = def.os.arch === 'x86_64' || def.os.arch === 'i686';
  for (const p of d.panics) {
    if (x86) setDefaultAttr(p, 'model', 'isa');
  }
  if (d.vsock) setDefaultAttr(d.vsock, 'model', 'virtio');
  // qemuDomainChrDefPostParse: a UNIX chardev without a path gets a generated one, which implies bind mode
  for (const c of [...d.serials, ...d.parallels, ...d.channels, ...d.consoles]) {
    if (c.source.type === 'unix' && !c.source.path) c.source.listen = true;
  }
  // interrupt remapping needs QEMU's split I/O APIC
  if (d.iommu && iommuDriver(d.iommu).intremap === 'on' && !def.features.some((f) => f.name === 'ioapic')) {
    def.features.push({ name: 'ioapic', attrs: [['driver', 'qemu']], body: [] });
  }
}

function validateIommu(def: DomainDef, caps: QemuCaps): void {
  const iommu = def.devices.iommu;
  if (!iommu) return;
  const model = devAttr(iommu, 'model') ?? '';
  const o = iommuDriver(iommu);
  // virDomainIOMMUDefValidate
  if (model === 'virtio') {
    if (o.intremap !== undefined || o.cachingMode !== undefined || o.eim !== undefined || o.iotlb !== undefined || o.awBits) {
      throw xmlError(`iommu model '${model}' doesn't support additional attributes`);
    }
  } else if (iommu.info.address) {
    throw xmlError(`iommu model '${model}' doesn't support address`);
  }
  // qemuValidateDomainDeviceDefIOMMU
  const has = (f: string) => caps.flags.has(f);
  if (model === 'intel') {
    if (!isQ35(def)) throw unsupported(`IOMMU device: '${model}' is only supported with Q35 machines`);
    if (!has('intel-iommu')) throw unsupported(`IOMMU device: '${model}' is not supported with this QEMU binary`);
  } else if (model === 'smmuv3') {
    if (!def.os.machine?.startsWith('virt')) throw unsupported(`IOMMU device: '${model}' is only supported with ARM Virt machines`);
    if (!has('machine.virt.iommu')) throw unsupported(`IOMMU device: '${model}' is not supported with this QEMU binary`);
  } else if (model === 'virtio') {
    if (!isQ35(def) && !def.os.machine?.startsWith('virt')) {
      throw unsupported(`IOMMU device: '${model}' is only supported with Q35 and ARM Virt machines`);
    }
    if (!has('virtio-iommu-pci')) throw unsupported(`IOMMU device: '${model}' is not supported with this QEMU binary`);
    const acpi = def.features.find((f) => f.name === 'acpi');
    if (!acpi || acpi.attrs.some(([k, v]) => k === 'state' && v === 'off')) throw unsupported(`IOMMU device: '${model}' requires ACPI`);
  }
  if (o.intremap !== undefined && !has('intel-iommu.intremap')) throw unsupported('iommu: interrupt remapping is not supported with this QEMU binary');
  if (o.cachingMode !== undefined && !has('intel-iommu.caching-mode')) throw unsupported('iommu: caching mode is not supported with this QEMU binary');
  if (o.eim !== undefined && !has('intel-iommu.eim')) throw unsupported('iommu: eim is not supported with this QEMU binary');
  if (o.iotlb !== undefined && !has('intel-iommu.device-iotlb')) throw unsupported('iommu: device IOTLB is not supported with this QEMU binary');
  if (o.awBits && !has('intel-iommu.aw-bits')) throw unsupported('iommu: aw_bits is not supported with this QEMU binary');
  // split I/O APIC and EIM need interrupt remapping
  const ioapic = def.features.find((f) => f.name === 'ioapic')?.attrs.find(([k]) => k === 'driver')?.[1];
  if (o.intremap === 'on' && ioapic !== 'qemu') {
    throw unsupported("IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')");
  }
  if (o.eim === 'on' && o.intremap !== 'on') throw unsupported('IOMMU eim requires interrupt remapping to be enabled');
}

function validatePanics(def: DomainDef, caps: QemuCaps): void {
  for (const p of def.devices.panics) {
    const model = devAttr(p, 'model');
    const a = p.info.address;
    switch (model) {
      case 'isa':
        if (!caps.flags.has('pvpanic')) throw unsupported('the QEMU binary does not support the ISA panic device');
        if (a && a.type !== 'isa') throw unsupported('only address type \'isa\' is supported for panic device');
        break;
      case 'pvpanic':
        if (!caps.flags.has('pvpanic-pci')) throw unsupported('the QEMU binary does not support the PCI panic device');
        if (a && a.type !== 'pci') throw unsupported('only address type \'pci\' is supported for panic device');
        break;
      case 'hyperv':
        if (a) throw unsupported(`setting the panic device address is not supported for model '${model}'`);
        break;
      default:
        break;
    }
  }
}

function validateShmems(def: DomainDef): void {
  for (const s of def.devices.shmems) {
    const model = child(s.xml, 'model')?.attrs.find((x) => x.name === 'type')?.value ?? 'ivshmem';
    const server = child(s.xml, 'server');
    const msi = child(s.xml, 'msi');
    const name = devAttr(s, 'name') ?? '';
    // virDomainShmemDefParseXML / virDomainShmemDefValidate
    if (msi && !server) throw xmlError('msi option is only supported with a server');
    if (name.includes('/')) throw xmlError("shmem name cannot include '/' character");
    if (name === '.') throw xmlError("shmem name cannot be equal to '.'");
    if (name === '..') throw xmlError("shmem name cannot be equal to '..'");
    // qemuDomainShmemDefPostParse
    if (model === 'ivshmem') continue;
    if (!server && model === 'ivshmem-doorbell') throw xmlError(`shmem model '${model}' is supported only with server option enabled`);
    if (server && model === 'ivshmem-plain') throw xmlError(`shmem model '${model}' is not supported with server option enabled`);
    if (server && child(s.xml, 'size')) throw xmlError(`shmem model '${model}' does not support size setting`);
    const size = shmemSize(s);
    if (size !== undefined && (size < 1024 * 1024 || !Number.isInteger(Math.log2(size)))) {
      throw xmlError('shmem size must be a power of 2 and at least 1 MiB (1024 KiB)');
    }
  }
}

/** qemuValidateDomainDeviceDefInput: only passthrough virtio inputs have (non-)transitional models. */
function validateInputs(def: DomainDef): void {
  for (const i of def.devices.inputs) {
    if (i.bus !== 'virtio' || !i.model?.includes('transitional')) continue;
    if (i.type === 'mouse' || i.type === 'tablet' || i.type === 'keyboard') {
      throw unsupported(`virtio (non-)transitional models are not supported for input type=${i.type}`);
    }
  }
}

export function qemuValidateMiscDevices(def: DomainDef, caps: QemuCaps): void {
  validateInputs(def);
  validateIommu(def, caps);
  validatePanics(def, caps);
  validateShmems(def);
}
