// sPAPR VIO addresses (qemuDomainAssignSpaprVIOAddresses): devices that can only sit on the pSeries
// VIO bus get a 'reg' there, starting at QEMU's default for their kind and stepping by 0x1000 past
// regs already taken; a reg the user gave must be free. Runs before PCI addresses are assigned, for
// every machine, like libvirt (so an ibmvscsi controller on x86 stays off the PCI bus).
import type { DeviceAddress, DeviceInfo } from '../../conf/domain/common.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';

const VIO_ADDR_NET = 0x1000;
const VIO_ADDR_SCSI = 0x2000;

function regOf(a: DeviceAddress | undefined): number | undefined {
  if (a?.type !== 'spapr-vio') return undefined;
  const r = a.attrs.reg;
  return r === undefined ? undefined : Number(r);
}

function allInfos(def: DomainDef): DeviceInfo[] {
  const out: DeviceInfo[] = [];
  for (const v of Object.values(def.devices)) {
    for (const dev of Array.isArray(v) ? v : [v]) {
      const info = (dev as { info?: DeviceInfo } | undefined)?.info;
      if (info) out.push(info);
    }
  }
  return out;
}

function assignOne(def: DomainDef, info: DeviceInfo, defaultReg: number): void {
  const a = info.address;
  if (a?.type !== 'spapr-vio') return;
  const userReg = regOf(a);
  let reg = userReg ?? defaultReg;
  const taken = () => allInfos(def).some((o) => o !== info && regOf(o.address) === reg);
  while (taken()) {
    if (userReg !== undefined) {
      throw virError(ErrorCode.XML_ERROR, ErrorDomain.QEMU, `spapr-vio address 0x${reg.toString(16)} already in use`);
    }
    reg += 0x1000;
  }
  a.attrs = { ...a.attrs, reg: `0x${reg.toString(16).padStart(8, '0')}` };
}

export function assignSpaprVioAddresses(def: DomainDef): void {
  for (const n of def.devices.nets) {
    if (n.model === 'spapr-vlan' && !n.info.address) n.info.address = { type: 'spapr-vio', attrs: {} };
    assignOne(def, n.info, VIO_ADDR_NET);
  }
  for (const c of def.devices.controllers) {
    if (c.type === 'scsi' && c.model === 'ibmvscsi') {
      if (c.info.address?.type !== 'spapr-vio') c.info.address = { type: 'spapr-vio', attrs: {} };
    }
    assignOne(def, c.info, VIO_ADDR_SCSI);
  }
}
