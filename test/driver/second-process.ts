// Helper for e2e.test.ts: a separate process that opens the same embedded root, finds the running
// guest (reconnecting to its QEMU) and destroys it. Prints what it saw.
import { connect } from '../../src/index.js';

const [uri, name, id] = process.argv.slice(2);
const conn = await connect(uri);
const dom = await conn.lookupByName(name);
const before = await dom.getState();
if (dom.id !== Number(id)) throw new Error(`id ${dom.id} != ${id}`);
await dom.destroy();
const afterState = await dom.getState();
console.log(`state-before=${before.state} state-after=${afterState.state} reason-after=${afterState.reason}`);
await conn.close();
