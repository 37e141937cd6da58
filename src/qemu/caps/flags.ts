// What each QMP answer means in libvirt capability flags (the QEMU_CAPS_* names as written in the cache).
// Tables are data: the probe (probe.ts) walks them against the replies of one QEMU binary.

/** query-qmp-schema: commands whose presence sets a flag. */
export const COMMAND_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['query-vnc', 'vnc'],
  ['rtc-reset-reinjection', 'rtc-reset-reinjection'],
  ['query-cpu-model-expansion', 'query-cpu-model-expansion'],
  ['query-cpu-definitions', 'query-cpu-definitions'],
  ['query-cpu-model-baseline', 'query-cpu-model-baseline'],
  ['query-cpu-model-comparison', 'query-cpu-model-comparison'],
  ['block-export-add', 'block-export-add'],
  ['blockdev-reopen', 'blockdev-reopen'],
  ['set-action', 'set-action'],
  ['query-dirty-rate', 'query-dirty-rate'],
  ['sev-inject-launch-secret', 'sev-inject-launch-secret'],
  ['calc-dirty-rate', 'calc-dirty-rate'],
  ['query-stats', 'query-stats'],
  ['query-stats-schemas', 'query-stats-schemas'],
];

/** query-migrate-capabilities. */
export const MIGRATION_FLAGS: ReadonlyArray<readonly [string, string]> = [['rdma-pin-all', 'migrate-rdma']];

/** qom-list-types: QOM type name → flag. */
export const OBJECT_TYPE_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['hda-duplex', 'hda-duplex'], ['hda-micro', 'hda-micro'], ['ccid-card-emulated', 'ccid-emulated'],
  ['ccid-card-passthru', 'ccid-passthru'], ['piix3-usb-uhci', 'piix3-usb-uhci'], ['piix4-usb-uhci', 'piix4-usb-uhci'],
  ['usb-ehci', 'usb-ehci'], ['ich9-usb-ehci1', 'ich9-usb-ehci1'], ['vt82c686b-usb-uhci', 'vt82c686b-usb-uhci'],
  ['pci-ohci', 'pci-ohci'], ['nec-usb-xhci', 'nec-usb-xhci'], ['usb-redir', 'usb-redir'], ['usb-hub', 'usb-hub'],
  ['ich9-ahci', 'ich9-ahci'], ['virtio-blk-ccw', 'virtio-ccw'], ['sclpconsole', 's390-sclp'], ['lsi53c895a', 'lsi'],
  ['virtio-scsi-pci', 'virtio-scsi-pci'], ['virtio-scsi-ccw', 'virtio-scsi-pci'], ['virtio-scsi-device', 'virtio-scsi-pci'],
  ['megasas', 'megasas'], ['qxl', 'qxl'], ['scsi-block', 'scsi-block'], ['VGA', 'VGA'], ['cirrus-vga', 'cirrus-vga'],
  ['vmware-svga', 'vmware-svga'], ['usb-serial', 'usb-serial'], ['virtio-rng-pci', 'virtio-rng'],
  ['virtio-rng-ccw', 'virtio-rng'], ['virtio-rng-device', 'virtio-rng'], ['rng-random', 'rng-random'],
  ['rng-egd', 'rng-egd'], ['spapr-nvram', 'nvram'], ['pci-bridge', 'pci-bridge'], ['vfio-pci', 'vfio-pci'],
  ['i82801b11-bridge', 'dmi-to-pci-bridge'], ['usb-storage', 'usb-storage'], ['virtio-mmio', 'virtio-mmio'],
  ['ich9-intel-hda', 'ich9-intel-hda'], ['pvpanic', 'pvpanic'], ['usb-kbd', 'usb-kbd'], ['usb-audio', 'usb-audio'],
  ['pc-dimm', 'pc-dimm'], ['pci-serial', 'pci-serial'], ['gpex-pcihost', 'gpex-pcihost'], ['ioh3420', 'ioh3420'],
  ['x3130-upstream', 'x3130-upstream'], ['xio3130-downstream', 'xio3130-downstream'], ['rtl8139', 'rtl8139'],
  ['e1000', 'e1000'], ['virtio-net-pci', 'virtio-net'], ['virtio-net-ccw', 'virtio-net'],
  ['virtio-net-device', 'virtio-net'], ['virtio-gpu-pci', 'virtio-gpu'], ['virtio-gpu-device', 'virtio-gpu'],
  ['virtio-vga', 'virtio-vga'], ['virtio-keyboard-device', 'virtio-keyboard'], ['virtio-keyboard-pci', 'virtio-keyboard'],
  ['virtio-mouse-device', 'virtio-mouse'], ['virtio-mouse-pci', 'virtio-mouse'], ['virtio-tablet-device', 'virtio-tablet'],
  ['virtio-tablet-pci', 'virtio-tablet'], ['virtio-input-host-device', 'virtio-input-host'],
  ['virtio-input-host-pci', 'virtio-input-host'], ['mptsas1068', 'mptsas1068'], ['pxb', 'pxb'], ['pxb-pcie', 'pxb-pcie'],
  ['intel-iommu', 'intel-iommu'], ['ivshmem-plain', 'ivshmem-plain'], ['ivshmem-doorbell', 'ivshmem-doorbell'],
  ['vhost-scsi', 'vhost-scsi'], ['nvdimm', 'nvdimm'], ['pcie-root-port', 'pcie-root-port'], ['qemu-xhci', 'qemu-xhci'],
  ['spapr-pci-host-bridge', 'spapr-pci-host-bridge'], ['vmcoreinfo', 'vmcoreinfo'], ['spapr-vty', 'spapr-vty'],
  ['sclplmconsole', 'sclplmconsole'], ['isa-serial', 'isa-serial'], ['pl011', 'pl011'],
  ['virtio-gpu-ccw', 'virtio-gpu-ccw'], ['virtio-keyboard-ccw', 'virtio-keyboard-ccw'],
  ['virtio-mouse-ccw', 'virtio-mouse-ccw'], ['virtio-tablet-ccw', 'virtio-tablet-ccw'],
  ['pcie-pci-bridge', 'pcie-pci-bridge'], ['pr-manager-helper', 'pr-manager-helper'],
  ['virtual-css-bridge', 'virtual-css-bridge'], ['vfio-ccw', 'vfio-ccw'], ['hda-output', 'hda-output'],
  ['vmgenid', 'vmgenid'], ['vhost-vsock-device', 'vhost-vsock'], ['mch', 'mch'], ['sev-guest', 'sev-guest'],
  ['vfio-ap', 'vfio-ap'], ['zpci', 'zpci'], ['memory-backend-memfd', 'memory-backend-memfd'],
  ...[
    'virtio-blk-pci', 'virtio-net-pci', 'vhost-scsi-pci', 'virtio-rng-pci', 'virtio-9p-pci', 'virtio-balloon-pci',
    'vhost-vsock-pci', 'virtio-scsi-pci', 'virtio-serial-pci',
  ].flatMap((d) => [
    [`${d}-transitional`, 'virtio-pci-non-transitional'] as const,
    [`${d}-non-transitional`, 'virtio-pci-non-transitional'] as const,
  ]),
  ['max-x86_64-cpu', 'x86-max-cpu'], ['bochs-display', 'bochs-display'], ['dbus-vmstate', 'dbus-vmstate'],
  ['vhost-user-gpu', 'vhost-user-gpu'], ['vhost-user-vga', 'vhost-user-vga'], ['ramfb', 'ramfb'],
  ['max-arm-cpu', 'arm-max-cpu'], ['i8042', 'i8042'], ['rng-builtin', 'rng-builtin'], ['tpm-spapr', 'tpm-spapr'],
  ['vhost-user-fs-device', 'vhost-user-fs'], ['tcg-accel', 'tcg'], ['pvscsi', 'pvscsi'],
  ['spapr-tpm-proxy', 'spapr-tpm-proxy'], ['vmport', 'machine-vmport-opt'], ['dc390', 'dc390'],
  ['am53c974', 'am53c974'], ['virtio-pmem-pci', 'virtio-pmem-pci'], ['vhost-user-blk', 'vhost-user-blk'],
  ['input-linux', 'input-linux'], ['virtio-gpu-gl-pci', 'virtio-gpu-gl-pci'], ['virtio-vga-gl', 'virtio-vga-gl'],
  ['s390-pv-guest', 's390-pv-guest'], ['virtio-mem-pci', 'virtio-mem-pci'], ['virtio-iommu-pci', 'virtio-iommu-pci'],
  ['sgx-epc', 'sgx-epc'], ['thread-context', 'thread-context'], 
  
  // types that also witness object support libvirt 9.0 still tracks
  ['iothread', 'iothread'], 
];

/** A device-list-properties probe: property name → flag; `when` = probe only if that flag is set. */
export interface DevicePropsProbe {
  type: string;
  props: ReadonlyArray<readonly [string, string]>;
  when?: string;
}

const VIRTIO_BLK: ReadonlyArray<readonly [string, string]> = [
  ['scsi', 'virtio-blk-pci.scsi'], 
  ['queue-size', 'virtio-blk.queue-size'], 
  ['acpi-index', 'acpi-index'], 
];
const VIRTIO_NET: ReadonlyArray<readonly [string, string]> = [
  
  ['acpi-index', 'acpi-index'], ['rss', 'virtio-net.rss'], 
];
const VIRTIO_SCSI: ReadonlyArray<readonly [string, string]> = [
  ['acpi-index', 'acpi-index'],
];
const VIRTIO_BALLOON: ReadonlyArray<readonly [string, string]> = [
  ['deflate-on-oom', 'virtio-balloon-pci.deflate-on-oom'], 
  ['free-page-reporting', 'virtio-balloon.free-page-reporting'],
  ['acpi-index', 'acpi-index'],
];
const VIRTIO_GPU: ReadonlyArray<readonly [string, string]> = [
  ['virgl', 'virtio-gpu.virgl'], 
  ['acpi-index', 'acpi-index'], 
];

/** device-list-properties probes, in libvirt's order. */
export const DEVICE_PROPS: readonly DevicePropsProbe[] = [
  { type: 'virtio-blk-pci', props: VIRTIO_BLK },
  { type: 'virtio-net-pci', props: VIRTIO_NET, when: 'virtio-net' },
  { type: 'virtio-scsi-pci', props: VIRTIO_SCSI, when: 'virtio-scsi-pci' },
  { type: 'virtio-blk-ccw', props: VIRTIO_BLK, when: 'virtio-ccw' },
  { type: 'virtio-net-ccw', props: VIRTIO_NET, when: 'virtio-net' },
  { type: 'virtio-scsi-ccw', props: VIRTIO_SCSI, when: 'virtio-scsi-pci' },
  { type: 'vfio-pci', props: [['display', 'vfio-pci.display'], ], when: 'vfio-pci' },
  {
    type: 'scsi-hd',
    props: [
      ['channel', 'scsi-disk.channel'], ['wwn', 'scsi-disk.wwn'], 
      ['rotation_rate', 'rotation-rate'],
    ],
  },
  { type: 'ide-hd', props: [['wwn', 'ide-drive.wwn'], ] },
  {
    type: 'PIIX4_PM',
    props: [['disable_s3', 'disable-s3'], ['disable_s4', 'disable-s4'], ['acpi-root-pci-hotplug', 'piix4.acpi-root-pci-hotplug']],
  },
  { type: 'usb-redir', props: [['filter', 'usb-redir.filter'], ], when: 'usb-redir' },
  {
    type: 'usb-storage',
    props: [
      ['removable', 'usb-storage.removable'], 
    ],
    when: 'usb-storage',
  },
  { type: 'kvm-pit', props: [['lost_tick_policy', 'kvm-pit-lost-tick-policy']] },
  { type: 'VGA', props: [['vgamem_mb', 'VGA.vgamem_mb']], when: 'VGA' },
  { type: 'vmware-svga', props: [['vgamem_mb', 'vmware-svga.vgamem_mb']], when: 'vmware-svga' },
  {
    type: 'qxl',
    props: [['vgamem_mb', 'qxl.vgamem_mb'], ['vram64_size_mb', 'qxl.vram64_size_mb'], ],
    when: 'qxl',
  },
  { type: 'virtio-gpu-pci', props: VIRTIO_GPU, when: 'virtio-gpu' },
  { type: 'virtio-gpu-device', props: VIRTIO_GPU, when: 'virtio-gpu' },
  { type: 'ICH9-LPC', props: [['disable_s3', 'ich9-disable-s3'], ['disable_s4', 'ich9-disable-s4']] },
  { type: 'virtio-balloon-pci', props: VIRTIO_BALLOON },
  { type: 'virtio-balloon-ccw', props: VIRTIO_BALLOON },
  { type: 'virtio-balloon-device', props: VIRTIO_BALLOON },
  {
    type: 'intel-iommu',
    props: [
      ['intremap', 'intel-iommu.intremap'], ['caching-mode', 'intel-iommu.caching-mode'], ['eim', 'intel-iommu.eim'],
      ['device-iotlb', 'intel-iommu.device-iotlb'], ['aw-bits', 'intel-iommu.aw-bits'],
    ],
    when: 'intel-iommu',
  },
  { type: 'spapr-pci-host-bridge', props: [['numa_node', 'spapr-pci-host-bridge.numa_node']], when: 'spapr-pci-host-bridge' },
  { type: 'virtio-gpu-ccw', props: VIRTIO_GPU, when: 'virtio-gpu-ccw' },
  { type: 'mch', props: [['extended-tseg-mbytes', 'mch.extended-tseg-mbytes']], when: 'mch' },
  { type: 'nvdimm', props: [['unarmed', 'nvdimm.unarmed']], when: 'nvdimm' },
  { type: 'pcie-root-port', props: [['hotplug', 'pcie-root-port.hotplug']], when: 'pcie-root-port' },
  { type: 'usb-host', props: [['hostdevice', 'usb-host.hostdevice'], ['guest-resets-all', 'usb-host.guest-resets-all']] },
  { type: 'vhost-user-fs-device', props: [['bootindex', 'vhost-user-fs.bootindex']], when: 'vhost-user-fs' },
  { type: 'virtio-mem-pci', props: [['prealloc', 'virtio-mem-pci.prealloc']], when: 'virtio-mem-pci' },
  { type: 'virtio-iommu-pci', props: [['boot-bypass', 'virtio-iommu.boot-bypass']], when: 'virtio-iommu-pci' },
];

/** qom-list-properties of object types. */
export const OBJECT_PROPS: ReadonlyArray<{ type: string; props: ReadonlyArray<readonly [string, string]>; when?: string }> = [
  {
    type: 'memory-backend-file',
    props: [
      ['pmem', 'memory-backend-file.pmem'],
      ['x-use-canonical-path-for-ramblock-id', 'memory-backend-file.x-use-canonical-path-for-ramblock-id'],
      ['reserve', 'memory-backend-file.reserve'], ['prealloc-threads', 'memory-backend-file.prealloc-threads'],
    ],
  },
  { type: 'memory-backend-memfd', props: [['hugetlb', 'memory-backend-memfd.hugetlb']], when: 'memory-backend-memfd' },
  {
    type: 'max-x86_64-cpu',
    props: [['unavailable-features', 'cpu-unavailable-features'], ['kvm-no-adjvtime', 'cpu.kvm-no-adjvtime'], ['migratable', 'cpu.migratable']],
    when: 'x86-max-cpu',
  },
  {
    type: 'max-arm-cpu',
    props: [['unavailable-features', 'cpu-unavailable-features'], ['kvm-no-adjvtime', 'cpu.kvm-no-adjvtime'], ['migratable', 'cpu.migratable']],
    when: 'arm-max-cpu',
  },
];

/** qom-list-properties of "<machine>-machine" for machines the binary has. */
export const MACHINE_PROPS: ReadonlyArray<{ machine: string; props: ReadonlyArray<readonly [string, string]> }> = [
  {
    machine: 'pseries',
    props: [
      ['cap-hpt-max-page-size', 'machine.pseries.cap-hpt-max-page-size'], ['cap-htm', 'machine.pseries.cap-htm'],
      ['cap-nested-hv', 'machine.pseries.cap-nested-hv'], ['cap-ccf-assist', 'machine.pseries.cap-ccf-assist'],
      ['cap-cfpc', 'machine.pseries.cap-cfpc'], ['cap-sbbc', 'machine.pseries.cap-sbbc'],
      ['cap-ibs', 'machine.pseries.cap-ibs'],
    ],
  },
  { machine: 'virt', props: [['iommu', 'machine.virt.iommu']] },
  { machine: 'none', props: [['confidential-guest-support', 'confidential-guest-support']] },
];

/** query-qmp-schema path queries (see qapi.ts for the syntax). */
export const SCHEMA_QUERIES: ReadonlyArray<readonly [string, string]> = [
  ['blockdev-add/arg-type/+vxhs', 'vxhs'],
  ['blockdev-add/arg-type/+file/drop-cache', 'migration-file-drop-cache'],
  ['blockdev-add/arg-type/+nvme', 'drive-nvme'],
  ['blockdev-add/arg-type/+file/aio/^io_uring', 'aio.io_uring'],
  ['blockdev-add/arg-type/+rbd/encrypt', 'rbd-encryption'],
  ['blockdev-add/arg-type/+rbd/encrypt/parent', 'rbd-encryption-layering'],
  ['blockdev-add/arg-type/+rbd/encrypt/format/^luks-any', 'rbd-encryption-luks-any'],
  ['blockdev-add/arg-type/+nbd/tls-hostname', 'blockdev.nbd.tls-hostname'],
  ['blockdev-add/arg-type/+qcow2/discard-no-unref', 'qcow2-discard-no-unref'],
  ['blockdev-add/arg-type/+virtio-blk-vhost-vdpa/$fdset', 'virtio-blk-vhost-vdpa'],
  
  ['blockdev-snapshot/$allow-write-only-overlay', 'blockdev-snapshot.allow-write-only-overlay'],
  ['chardev-add/arg-type/backend/+socket/data/reconnect', 'chardev-reconnect'],
  
  ['device_add/$json-cli-hotplug', 'device.json+hotplug'],
  
  
  ['migrate-set-parameters/arg-type/block-bitmap-mapping/bitmaps/transform', 'migration-param.block-bitmap-mapping'],
  ['nbd-server-start/arg-type/tls-creds', 'nbd-tls'],
  ['nbd-server-add/arg-type/bitmap', 'nbd-bitmap'],
  ['netdev_add/arg-type/+stream', 'netdev.stream'],
  ['netdev_add/arg-type/+stream/reconnect', 'netdev.stream.reconnect'],
  ['netdev_add/arg-type/+vhost-vdpa', 'netdev.vhost-vdpa'],
  ['netdev_add/arg-type/type/^dgram', 'netdev.json'],
  ['object-add/arg-type/qom-type/^secret', 'object.qapified'],
  ['query-display-options/ret-type/+egl-headless/rendernode', 'egl-headless.rendernode'],
  ['query-display-options/ret-type/+sdl', 'sdl'],
  ['query-display-options/ret-type/+egl-headless', 'egl-headless'],
  ['query-iothreads/ret-type/poll-max-ns', 'iothread.poll-max-ns'],
  ['query-hotpluggable-cpus/ret-type/props/die-id', 'smp-dies'],
  ['query-named-block-nodes/arg-type/flat', 'query-named-block-nodes.flat'],
  ['screendump/arg-type/device', 'screendump_device'],
  ['set-numa-node/arg-type/+hmat-lb', 'numa.hmat'],
  ['object-add/arg-type/+sev-guest/kernel-hashes', 'sev-guest-kernel-hashes'],
  ['calc-dirty-rate/arg-type/mode', 'dirtyrate-param.mode'],
  ['chardev-add/arg-type/backend/+qemu-vdagent', 'chardev.qemu-vdagent'],
  ['query-display-options/ret-type/+dbus', 'display-dbus'],
  ['object-add/arg-type/+iothread/thread-pool-max', 'iothread.thread-pool-max'],
  ['query-migrate/ret-type/blocked-reasons', 'migration.blocked-reasons'],
  ['screendump/arg-type/format/^png', 'screenshot-format-png'],
  
  ['query-hotpluggable-cpus', 'query-hotpluggable-cpus'],
  ['block-write-threshold', 'block-write-threshold'],
  
];

/** query-command-line-options: option (and parameter) → flag. */
export const COMMAND_LINE_FLAGS: ReadonlyArray<{ option: string; param?: string; flag: string }> = [
  { option: 'fsdev', param: 'multidevs', flag: 'fsdev.multidevs' },
  { option: 'machine', param: 'hpet', flag: 'machine-hpet' },
  { option: 'sandbox', flag: 'seccomp-sandbox' },
  { option: 'spice', flag: 'spice' },
  { option: 'spice', param: 'gl', flag: 'spice-gl' },
  { option: 'spice', param: 'rendernode', flag: 'spice-rendernode' },
  { option: 'vnc', param: 'power-control', flag: 'vnc-power-control' },
  { option: 'run-with', param: 'async-teardown', flag: 'run-with.async-teardown' },
];

/**
 * Hyper-V enlightenments in libvirt's order (virDomainHyperv); QEMU reports them as hv-<name>
 * with '-' where libvirt writes '_'.
 */
export const HYPERV_FEATURES = [
  'relaxed', 'vapic', 'spinlocks', 'vpindex', 'runtime', 'synic', 'stimer', 'reset', 'vendor_id', 'frequencies',
  'reenlightenment', 'tlbflush', 'ipi', 'evmcs', 'avic',
] as const;

/** x86 CPU feature spellings that differ between libvirt (cpu_map) and QEMU. */
export const X86_FEATURE_QEMU_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['cmp_legacy', 'cmp-legacy'], ['ds_cpl', 'ds-cpl'], ['fxsr_opt', 'fxsr-opt'], ['kvm_pv_eoi', 'kvm-pv-eoi'],
  ['kvm_pv_unhalt', 'kvm-pv-unhalt'], ['lahf_lm', 'lahf-lm'], ['nodeid_msr', 'nodeid-msr'], ['pclmuldq', 'pclmulqdq'],
  ['perfctr_core', 'perfctr-core'], ['perfctr_nb', 'perfctr-nb'], ['tsc_adjust', 'tsc-adjust'],
];

export function cpuFeatureToQemu(name: string): string {
  return X86_FEATURE_QEMU_NAMES.find(([l]) => l === name)?.[1] ?? name;
}
export function cpuFeatureFromQemu(name: string): string {
  return X86_FEATURE_QEMU_NAMES.find(([, q]) => q === name)?.[0] ?? name;
}

/**
 * Every flag name in libvirt's enum order (virQEMUCaps), which is the order the cache file lists them in.
 * Retired names keep their place so old cache files still sort.
 */
export const FLAG_ORDER: readonly string[] = `
vnc-colon no-reboot drive drive-boot name uuid domid vnet-hdr migrate-kvm-stdio migrate-qemu-tcp
migrate-qemu-exec drive-cache-v2 kvm drive-format vga 0.10 pci-device mem-path drive-serial xen-domid
migrate-qemu-unix chardev enable-kvm monitor-json balloon device sdl smp-topology netdev rtc
vhost-net rtc-td-hack no-hpet no-kvm-pit tdf pci-configfd nodefconfig boot-menu fsdev nesting
name-process drive-readonly smbios-type vga-qxl spice vga-none migrate-qemu-fd boot-index hda-duplex drive-aio
pci-multibus pci-bootindex ccid-emulated ccid-passthru chardev-spicevmc device-spicevmc virtio-tx-alg device-qxl-vga
pci-multifunction virtio-blk-pci.ioeventfd sga virtio-blk-pci.event_idx virtio-net-pci.event_idx cache-directsync
piix3-usb-uhci piix4-usb-uhci usb-ehci ich9-usb-ehci1 vt82c686b-usb-uhci pci-ohci usb-redir usb-hub no-shutdown
cache-unsafe rombar ich9-ahci no-acpi fsdev-readonly virtio-blk-pci.scsi blk-sg-io drive-copy-on-read cpu-host
fsdev-writeout drive-iotune system_wakeup scsi-disk.channel scsi-block transaction block-job-sync block-job-async
scsi-cd ide-cd no-user-config hda-micro dump-guest-memory nec-usb-xhci virtio-s390 balloon-event bridge lsi
virtio-scsi-pci blockio disable-s3 disable-s4 usb-redir.filter ide-drive.wwn scsi-disk.wwn seccomp-sandbox
reboot-timeout dump-guest-core seamless-migration block-commit vnc drive-mirror usb-redir.bootindex
usb-host.bootindex blockdev-snapshot-sync qxl VGA cirrus-vga vmware-svga device-video-primary s390-sclp
usb-serial usb-net add-fd nbd-server virtio-rng rng-random rng-egd virtio-ccw dtb megasas ipv6-migration
machine-opt machine-usb-opt tpm-passthrough tpm-tis nvram pci-bridge vfio-pci vfio-pci.bootindex scsi-generic
scsi-generic.bootindex mem-merge vnc-websocket drive-discard mlock vnc-share-policy device-del-event
dmi-to-pci-bridge i440fx-pci-hole64-size q35-pci-hole64-size usb-storage usb-storage.removable virtio-mmio
ich9-intel-hda kvm-pit-lost-tick-policy boot-strict pvpanic enable-fips spice-file-xfer-disable spiceport usb-kbd
host-pci-multidomain msg-timestamp active-commit change-backing-file memory-backend-ram numa memory-backend-file
usb-audio rtc-reset-reinjection splash-timeout iothread migrate-rdma ivshmem drive-iotune-max VGA.vgamem_mb
vmware-svga.vgamem_mb qxl.vgamem_mb qxl-vga.vgamem_mb pc-dimm machine-vmport-opt aes-key-wrap dea-key-wrap
pci-serial aarch64-off vhost-user-multiqueue migration-event gpex-pcihost ioh3420 x3130-upstream
xio3130-downstream rtl8139 e1000 virtio-net gic-version incoming-defer virtio-gpu virtio-gpu.virgl
virtio-keyboard virtio-mouse virtio-tablet virtio-input-host chardev-file-append ich9-disable-s3 ich9-disable-s4
vserport-change-event virtio-balloon-pci.deflate-on-oom mptsas1068 spice-gl qxl.vram64_size_mb
qxl-vga.vram64_size_mb chardev-logfile debug-threads secret pxb pxb-pcie device-tray-moved-event
nec-usb-xhci-ports virtio-scsi-pci.iothread name-guest qxl.max_outputs qxl-vga.max_outputs spice-unix
drive-detect-zeroes tls-creds-x509 display intel-iommu smm virtio-pci-disable-legacy query-hotpluggable-cpus
virtio-net.rx_queue_size machine-iommu virtio-vga drive-iotune-max-length ivshmem-plain ivshmem-doorbell
query-qmp-schema gluster.debug_level vhost-scsi drive-iotune-group query-cpu-model-expansion virtio-net.host_mtu
spice-rendernode nvdimm pcie-root-port query-cpu-definitions block-write-threshold query-named-block-nodes
cpu-cache qemu-xhci kernel-irqchip kernel-irqchip.split intel-iommu.intremap intel-iommu.caching-mode
intel-iommu.eim intel-iommu.device-iotlb virtio.iommu_platform virtio.ats loadparm spapr-pci-host-bridge
spapr-pci-host-bridge.numa_node vnc-multi-servers virtio-net.tx_queue_size chardev-reconnect
virtio-gpu.max_outputs vxhs virtio-blk.num-queues machine.pseries.resize-hpt vmcoreinfo spapr-vty sclplmconsole
numa.dist disk-share-rw iscsi.password-secret isa-serial pl011 machine.pseries.max-cpu-compat dump-completed
virtio-gpu-ccw virtio-keyboard-ccw virtio-mouse-ccw virtio-tablet-ccw qcow2-luks pcie-pci-bridge
seccomp-blacklist query-cpus-fast disk-write-cache nbd-tls tpm-crb pr-manager-helper qom-list-properties
memory-backend-file.discard-data virtual-css-bridge virtual-css-bridge.cssid-unrestricted vfio-ccw sdl-gl
screendump_device hda-output blockdev-del vmgenid vhost-vsock chardev-fd-pass tpm-emulator mch
mch.extended-tseg-mbytes sev-guest machine.pseries.cap-hpt-max-page-size machine.pseries.cap-htm
usb-storage.werror egl-headless vfio-pci.display blockdev vfio-ap zpci memory-backend-memfd
memory-backend-memfd.hugetlb iothread.poll-max-ns machine.pseries.cap-nested-hv egl-headless.rendernode
memory-backend-file.align memory-backend-file.pmem nvdimm.unarmed scsi-disk.device_id virtio-pci-non-transitional
overcommit query-current-machine machine.virt.iommu bitmap-merge nbd-bitmap x86-max-cpu cpu-unavailable-features
canonical-cpu-features bochs-display migration-file-drop-cache dbus-vmstate vhost-user-gpu vhost-user-vga
incremental-backup query-cpu-model-baseline query-cpu-model-comparison ramfb machine.pseries.cap-ccf-assist
arm-max-cpu blockdev-file-dynamic-auto-read-only savevm-monitor-nodes drive-nvme smp-dies i8042 rng-builtin
virtio-net.failover tpm-spapr cpu.kvm-no-adjvtime vhost-user-fs query-named-block-nodes.flat
blockdev-snapshot.allow-write-only-overlay blockdev-reopen storage.werror fsdev.multidevs virtio.packed
pcie-root-port.hotplug aio.io_uring machine.pseries.cap-cfpc machine.pseries.cap-sbbc machine.pseries.cap-ibs tcg
virtio-blk-pci.scsi.default.disabled pvscsi cpu.migratable query-cpu-model-expansion.migratable fw_cfg
migration-param.bandwidth migration-param.downtime migration-param.xbzrle-cache-size intel-iommu.aw-bits
spapr-tpm-proxy numa.hmat blockdev-hostdev-scsi usb-host.hostdevice virtio-balloon.free-page-reporting
block-export-add netdev.vhost-vdpa fsdev.createmode ncr53c90 dc390 am53c974 virtio-pmem-pci
vhost-user-fs.bootindex vhost-user-blk cpu-max memory-backend-file.x-use-canonical-path-for-ramblock-id vnc-opts
migration-param.block-bitmap-mapping vnc-power-control audiodev blockdev-backup object.qapified rotation-rate
compat-deprecated acpi-index input-linux virtio-gpu-gl-pci virtio-vga-gl confidential-guest-support
query-display-options s390-pv-guest set-action virtio-blk.queue-size virtio-mem-pci memory-backend-file.reserve
piix4.acpi-root-pci-hotplug netdev.json chardev.json device.json query-dirty-rate rbd-encryption
sev-guest-kernel-hashes sev-inject-launch-secret device.json+hotplug hvf virtio-mem-pci.prealloc calc-dirty-rate
dirtyrate-param.mode blockdev.nbd.tls-hostname memory-backend-file.prealloc-threads virtio-iommu-pci
virtio-iommu.boot-bypass virtio-net.rss chardev.qemu-vdagent display-dbus iothread.thread-pool-max
usb-host.guest-resets-all migration.blocked-reasons query-stats query-stats-schemas sgx-epc thread-context
screenshot-format-png machine-hpet netdev.stream virtio-crypto cryptodev-backend-lkcf pvpanic-pci
netdev.stream.reconnect virtio-gpu.blob rbd-encryption-layering rbd-encryption-luks-any qcow2-discard-no-unref
run-with.async-teardown virtio-blk-vhost-vdpa
`.trim().split(/\s+/);

const FLAG_INDEX = new Map(FLAG_ORDER.map((f, i) => [f, i]));

/** Sorts flag names into libvirt's enum order (unknown names last, in their given order). */
export function sortFlags(flags: Iterable<string>): string[] {
  const list = [...flags];
  const idx = (f: string) => FLAG_INDEX.get(f) ?? FLAG_ORDER.length;
  return list.map((f, i) => [f, i] as const).sort((a, b) => idx(a[0]) - idx(b[0]) || a[1] - b[1]).map(([f]) => f);
}
