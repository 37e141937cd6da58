// Hand-made domain documents for the schema tests. Every `invalid` entry's detail lines are what real
// libvirt 9.0 (Debian's libvirtd + virsh, system libxml2 2.9.14) printed for `virsh define --validate`,
// checked by cli.test.ts against a live session libvirtd when one can be started.

export interface InvalidCase {
  name: string;
  xml: string;
  /** libxml2's lines after "Unable to validate doc against <path>\n", each ending in \n. */
  detail: string;
}

const os = "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n";
const mem = "  <memory unit='KiB'>65536</memory>\n";

export const INVALID: InvalidCase[] = [
  {
    name: 'unknown element under <devices>',
    xml: `<domain type='qemu'>\n  <name>bad1</name>\n${mem}${os}  <devices>\n    <frobnicator/>\n  </devices>\n</domain>\n`,
    detail: 'Extra element devices in interleave\nElement domain failed to validate content\n',
  },
  {
    name: 'bad attribute value (vcpu placement)',
    xml: `<domain type='qemu'>\n  <name>bad2</name>\n${mem}  <vcpu placement='sideways'>1</vcpu>\n${os}</domain>\n`,
    detail: 'Extra element vcpu in interleave\nInvalid sequence in interleave\nElement domain failed to validate content\n',
  },
  {
    name: 'missing <name>',
    xml: `<domain type='qemu'>\n${mem}${os}</domain>\n`,
    detail:
      'Expecting an element name, got nothing\nInvalid sequence in interleave\nInvalid sequence in interleave\n' +
      'Element domain failed to validate content\n',
  },
  {
    name: 'non-numeric <memory>',
    xml: `<domain type='qemu'>\n  <name>bad4</name>\n  <memory unit='KiB'>lots</memory>\n${os}</domain>\n`,
    detail:
      "Type unsignedLong doesn't allow value 'lots'\nExtra element memory in interleave\nInvalid sequence in interleave\n" +
      'Element domain failed to validate content\n',
  },
  {
    name: 'unknown domain type',
    xml: `<domain type='warp'>\n  <name>bad5</name>\n${mem}${os}</domain>\n`,
    detail: 'Element domain failed to validate content\n',
  },
  {
    name: 'bad disk device value',
    xml:
      `<domain type='qemu'>\n  <name>bad7</name>\n${mem}${os}  <devices>\n    <disk type='file' device='floppydisk'>\n` +
      "      <source file='/tmp/x.img'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n  </devices>\n</domain>\n",
    detail: 'Extra element devices in interleave\nElement domain failed to validate content\n',
  },
  {
    name: 'unknown top-level element',
    xml: `<domain type='qemu'>\n  <name>bad8</name>\n${mem}${os}  <sparkles/>\n</domain>\n`,
    detail: 'Element domain has extra content: sparkles\n',
  },
  {
    name: 'malformed <uuid>',
    xml: `<domain type='qemu'>\n  <name>bad9</name>\n  <uuid>not-a-uuid</uuid>\n${mem}${os}</domain>\n`,
    detail: 'Extra element uuid in interleave\nInvalid sequence in interleave\nElement domain failed to validate content\n',
  },
  {
    name: 'bad MAC address',
    xml:
      `<domain type='qemu'>\n  <name>bad10</name>\n${mem}${os}  <devices>\n    <interface type='network'>\n` +
      "      <mac address='52:54:00:zz:00:01'/>\n      <source network='default'/>\n    </interface>\n  </devices>\n</domain>\n",
    detail: 'Extra element devices in interleave\nElement domain failed to validate content\n',
  },
  {
    name: 'bad <on_crash> value',
    xml: `<domain type='qemu'>\n  <name>bad11</name>\n${mem}${os}  <on_crash>explode</on_crash>\n</domain>\n`,
    detail: 'Extra element on_crash in interleave\nInvalid sequence in interleave\nElement domain failed to validate content\n',
  },
];

/** Documents the schema accepts even though they look incomplete (the parser or nothing rejects them). */
export const SCHEMA_VALID: { name: string; xml: string }[] = [
  { name: 'minimal', xml: `<domain type='qemu'>\n  <name>ok1</name>\n${mem}${os}</domain>\n` },
  {
    name: 'no <os> (the schema allows it; libvirt\'s parser then says "an os <type> must be specified")',
    xml: `<domain type='qemu'>\n  <name>ok3</name>\n${mem}  <vcpu>1</vcpu>\n</domain>\n`,
  },
  {
    name: 'no unit, no arch/machine, a virtio disk',
    xml:
      "<domain type='qemu'>\n  <name>ok2</name>\n  <memory>65536</memory>\n  <os><type>hvm</type></os>\n  <devices>\n" +
      "    <disk type='file' device='disk'>\n      <source file='/tmp/x.img'/>\n      <target dev='vda' bus='virtio'/>\n" +
      '    </disk>\n  </devices>\n</domain>\n',
  },
];
