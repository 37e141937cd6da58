// Virtio transport selection and the common virtio device properties.
import type { VirtioOptions } from '../../conf/domain/common.js';
import type { DeviceAddress } from '../../conf/domain/common.js';
import type { JsonProps } from './util.js';

/** qemuBuildVirtioDevGetConfig: 'virtio-blk' → 'virtio-blk-pci' (+ -transitional/-non-transitional). */
export function virtioDriver(base: string, model: string | undefined, address: DeviceAddress | undefined): string {
  let name = base;
  if (address?.type === 'ccw') return `${base}-ccw`;
  if (address?.type === 'virtio-mmio') return `${base}-device`;
  name = `${base}-pci`;
  if (model?.endsWith('-non-transitional')) name = `${base}-pci-non-transitional`;
  else if (model?.endsWith('-transitional')) name = `${base}-pci-transitional`;
  return name;
}

export function virtioOptionProps(v: VirtioOptions | undefined): JsonProps {
  const out: JsonProps = {};
  if (!v) return out;
  if (v.iommu) out.iommu_platform = v.iommu === 'on';
  if (v.ats) out.ats = v.ats === 'on';
  if (v.packed) out.packed = v.packed === 'on';
  if (v.page_per_vq) out['page-per-vq'] = v.page_per_vq === 'on';
  return out;
}
