// Running parsed commands the way vshCommandRun does.
import { type Ctl, Reported, errorText } from './ctl.js';
import type { ParsedCmd } from './vsh.js';

/** Runs parsed commands in order; the exit status is the last command's, as virsh's. */
export async function runCommands(ctl: Ctl, cmds: ParsedCmd[]): Promise<boolean> {
  let ok = true;
  for (const cmd of cmds) {
    const t0 = performance.now();
    ctl.json = ctl.g.json || cmd.opts.has('json');
    if (!cmd.def.noConnect && !ctl.connected) {
      try {
        await ctl.connect();
      } catch (e) {
        if (!(e instanceof Reported)) ctl.error(errorText(e));
        return false;
      }
    }
    try {
      const handler = await cmd.def.load();
      ok = await handler(ctl, cmd);
    } catch (e) {
      if (!(e instanceof Reported)) ctl.error(errorText(e));
      ok = false;
    }
    if (!ctl.json) ctl.printExtra('\n');
    if (ctl.g.timing) ctl.print(`(Time: ${(performance.now() - t0).toFixed(3)} ms)\n\n`);
  }
  return ok;
}
