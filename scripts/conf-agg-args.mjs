// Groups failing conformance cases by their first differing line (run after a build): the quickest way to pick the next rule to implement.
import { runCorpus } from '../dist/src/conformance/runner.js';
const r = runCorpus(process.argv[2] ?? new URL('../../shared/conformance', import.meta.url).pathname);
const m = new Map();
for (const c of r.results) {
  if (c.pass) continue;
  const e = (c.expected||'').split('\n'), a = (c.actual||'').split('\n');
  let i = 0; while (i < e.length && e[i] === a[i]) i++;
  const key = (e[i]||'').slice(0,80) + '  ||  ' + (a[i]||'').slice(0,80);
  if (!m.has(key)) m.set(key, []);
  m.get(key).push(c.case);
}
for (const [k, v] of [...m].sort((x,y)=>y[1].length-x[1].length).slice(0, 40)) console.log(v.length, k, v.slice(0,3).join(','));
