// The domain definition model (virDomainDef). Owned by conf/; grown family by family.
export interface DomainDef {
  /** Virtualization type: 'qemu' (TCG), 'kvm', 'hvf'. */
  type: string;
  /** Runtime id, -1 when inactive. */
  id: number;
  name: string;
  uuid: string;
}
