// `console`: the guest's serial console on this terminal (virsh-console.c). On a TTY stdin goes raw
// and the escape character (Ctrl-] unless -e says otherwise) detaches. When stdin is not a TTY the
// console is piped instead: stdin to the guest, the guest to stdout; after stdin ends the command
// keeps printing until the guest has been quiet for a second (or the console closes).
import type { Duplex } from 'node:stream';
import type { Domain } from '../api/domain.js';
import { DomainState } from '../driver/constants.js';
import type { Ctl } from './ctl.js';
import type { ParsedCmd } from './vsh.js';
import { optBool, optString } from './vsh.js';

const CONSOLE_FORCE = 1; // VIR_DOMAIN_CONSOLE_FORCE
const CONSOLE_SAFE = 2; // VIR_DOMAIN_CONSOLE_SAFE
/** After stdin ends (pipe mode), detach once the guest has been silent this long. */
const PIPE_LINGER_MS = 1000;

/** vshGetEscapeChar: "^]" → 0x1d; any other single character stands for itself. */
export function escapeByte(spec: string): number {
  if (spec.length === 2 && spec[0] === '^') return spec[1].toUpperCase().charCodeAt(0) ^ 0x40;
  return spec.charCodeAt(0);
}

export async function cmdConsole(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  let flags = 0;
  if (optBool(cmd, 'force')) flags |= CONSOLE_FORCE;
  if (optBool(cmd, 'safe')) flags |= CONSOLE_SAFE;
  return runConsole(ctl, dom, optString(cmd, 'devname') ?? null, flags);
}

/** cmdRunConsole: checks, banner, then the byte pump. */
export async function runConsole(ctl: Ctl, dom: Domain, devname: string | null, flags: number): Promise<boolean> {
  let state: number;
  try {
    state = (await dom.getState(0)).state;
  } catch {
    ctl.error('Unable to get domain status');
    return false;
  }
  if (state === DomainState.SHUTOFF) {
    ctl.error('The domain is not running');
    return false;
  }
  ctl.printExtra(`Connected to domain '${dom.name}'\n`);
  const esc = ctl.g.escape;
  ctl.printExtra(`Escape character is ${esc}${esc[0] === '^' ? ` (Ctrl + ${esc[1]})` : ''}\n`);
  const stream = await dom.openConsole(devname, flags);
  await pump(stream, escapeByte(esc));
  return true;
}

function pump(stream: Duplex, escChar: number): Promise<void> {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  return new Promise<void>((resolve) => {
    let done = false;
    let linger: NodeJS.Timeout | null = null;
    let stdinEnded = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (linger) clearTimeout(linger);
      stdin.removeListener('data', onInput);
      stdin.removeListener('end', onStdinEnd);
      process.removeListener('SIGTERM', finish);
      process.removeListener('SIGHUP', finish);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      stream.removeListener('data', onOutput);
      stream.destroy();
      resolve();
    };
    const armLinger = () => {
      if (linger) clearTimeout(linger);
      linger = setTimeout(finish, PIPE_LINGER_MS);
    };
    const onOutput = (b: Buffer) => {
      process.stdout.write(b);
      if (stdinEnded) armLinger();
    };
    const onInput = (b: Buffer) => {
      const i = b.indexOf(escChar);
      if (i >= 0) {
        if (i > 0) stream.write(b.subarray(0, i));
        finish();
        return;
      }
      stream.write(b);
    };
    const onStdinEnd = () => {
      stdinEnded = true;
      armLinger();
    };
    stream.on('data', onOutput);
    stream.once('end', finish);
    stream.once('close', finish);
    stream.on('error', finish);
    process.once('SIGTERM', finish);
    process.once('SIGHUP', finish);
    if (tty) stdin.setRawMode(true);
    stdin.on('data', onInput);
    stdin.once('end', onStdinEnd);
    stdin.resume();
  });
}
