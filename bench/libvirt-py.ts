// Drives a real libvirtd through Debian's python3-libvirt in one client process, so per-call costs
// can be compared with tsvirt's library without counting process start-up.
import { run } from './util.js';

export async function python(script: string, args: string[] = []): Promise<string> {
  const r = await run('/usr/bin/python3', ['-c', script, ...args]);
  if (r.code !== 0) throw new Error(`python3 failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export const PY_XML_TO_NATIVE = `
import sys, time, libvirt
c = libvirt.open(sys.argv[1]); xml = open(sys.argv[2]).read(); n = int(sys.argv[3])
c.domainXMLToNative('qemu-argv', xml, 0)
t = time.perf_counter()
for i in range(n): c.domainXMLToNative('qemu-argv', xml, 0)
print((time.perf_counter() - t) * 1000 / n)
`;

export const PY_DEFINE_MANY = `
import sys, libvirt
c = libvirt.open(sys.argv[1]); tmpl = open(sys.argv[2]).read(); n = int(sys.argv[3])
for i in range(n):
    c.defineXML(tmpl.replace('@N@', str(i)))
print(len(c.listAllDomains(0)))
`;
