// virDomainOpenConsole for pty consoles: the driver opens the pty QEMU allocated (its path comes from
// query-chardev at start) and hands back a byte stream.
import { constants as fsc, openSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { ReadStream } from 'node:tty';
import type { ChrDef } from '../../conf/domain/index.js';
import { ErrorCode, ErrorDomain, fromSystemError, virError } from '../../util/errors.js';
import type { DomainObj } from './domobj.js';

function findChr(obj: DomainObj, devName: string | null): ChrDef | undefined {
  const d = obj.def.devices;
  if (devName === null) return d.consoles[0] ?? d.serials[0];
  const all = [...d.consoles, ...d.serials, ...d.parallels, ...d.channels];
  return all.find((c) => c.info.alias === devName);
}

export function openConsoleStream(obj: DomainObj, devName: string | null): Duplex {
  const chr = findChr(obj, devName);
  if (!chr) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `cannot find character device ${devName ?? '<null>'}`);
  }
  if (chr.source.type !== 'pty') {
    throw virError(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.QEMU, `character device ${devName ?? chr.info.alias ?? ''} is not using a PTY`);
  }
  const path = chr.source.path;
  if (!path) throw virError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, 'pty path of the console is not known');
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDWR | fsc.O_NOCTTY | fsc.O_NONBLOCK);
  } catch (e) {
    throw fromSystemError(`Unable to open tty ${path}`, e, ErrorDomain.QEMU);
  }
  const tty = new ReadStream(fd);
  tty.setRawMode(true);
  return tty;
}
