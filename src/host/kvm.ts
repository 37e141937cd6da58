// KVM and HVF availability on this host.
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

export const KVM_DEVICE = '/dev/kvm';

/** Whether /dev/kvm exists and opens read/write for this process (virQEMUCapsKVMUsable). */
export async function kvmUsable(device = KVM_DEVICE): Promise<boolean> {
  try {
    const fh = await open(device, fsc.O_RDWR);
    await fh.close();
    return true;
  } catch {
    return false;
  }
}

/** ctime of /dev/kvm in seconds (0 when missing), to notice a changed device node. */
export async function kvmCtime(device = KVM_DEVICE): Promise<number> {
  try {
    return Math.floor((await stat(device)).ctimeMs / 1000);
  } catch {
    return 0;
  }
}

/** Whether nested virtualisation is enabled in the KVM module (kvm_intel 'Y', kvm_amd '1', …). */
export async function kvmSupportsNesting(): Promise<boolean> {
  for (const mod of ['kvm_intel', 'kvm_amd', 'kvm_hv', 'kvm']) {
    try {
      const v = (await readFile(`/sys/module/${mod}/parameters/nested`, 'utf8')).trim();
      if (v[0] === 'Y' || v[0] === 'y' || v[0] === '1') return true;
    } catch {
      /* module not loaded */
    }
  }
  return false;
}

/** Hypervisor.framework availability: `sysctl kern.hv_support` on macOS, false elsewhere. */
export function hvfSupported(platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (platform !== 'darwin') return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('/usr/sbin/sysctl', ['-n', 'kern.hv_support'], { timeout: 2000 }, (err, out) => {
      resolve(!err && out.trim() === '1');
    });
  });
}
