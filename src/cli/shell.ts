// Interactive mode (virsh without a command): one command string per line, `quit` or `exit` to leave.
import { createInterface } from 'node:readline';
import { COMMANDS } from './commands.js';
import type { Ctl } from './ctl.js';
import { runCommands } from './run.js';
import { ParseError, parseCommand, splitCommandString } from './vsh.js';

export async function shell(ctl: Ctl): Promise<number> {
  const tty = process.stdin.isTTY === true;
  process.stdout.write(
    "Welcome to tsvirt, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n",
  );
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: 'tsvirt # ' });
  rl.prompt();
  try {
    for await (const line of rl) {
      if (!tty) process.stdout.write(`${line}\n`);
      let lists: string[][];
      try {
        lists = splitCommandString(line);
        if (lists.some((l) => l[0] === 'quit' || l[0] === 'exit')) break;
        const cmds = lists.map((l) => parseCommand(COMMANDS, l));
        await runCommands(ctl, cmds);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        ctl.error(e.message);
      }
      rl.prompt();
    }
  } finally {
    rl.close();
    await ctl.close();
  }
  if (!tty) process.stdout.write('\n');
  return 0;
}
