import { readFileSync } from 'node:fs';

/**
 * Where a V8 CPU profile spends its time between two moments (seconds from the profile's start),
 * so a server's steady state can be read without its start-up and set-up (e.g. B1's sweep from
 * `B1_PROFILE=1`, B8's storm from `B8_PROFILE=1`): self and inclusive time per function, as shares
 * of the busy (non-idle) time in the window.
 * Usage: node --import tsx bench/tools/cpuprofile-window.ts FILE FROM_S TO_S [TOP]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, fromText, toText, topText] = process.argv.slice(2);
if (!file || fromText === undefined || toText === undefined) {
  process.stderr.write('usage: cpuprofile-window FILE FROM_S TO_S [TOP]\n');
  process.exit(2);
}
const from = Number(fromText);
const to = Number(toText);
const top = Number(topText ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let busy = 0;
let idle = 0;
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i]! / 1e6;
  if (t < from || t > to) continue;
  const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i]!) / 1000;
  const node = byId.get(profile.samples[i]!)!;
  if (node.callFrame.functionName === '(idle)') {
    idle += ms;
    continue;
  }
  busy += ms;
  self.set(name(node), (self.get(name(node)) ?? 0) + ms);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const key = name(byId.get(id)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
  }
}
const lines = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
  .map(([k, v]) => `${(100 * v / busy).toFixed(1).padStart(5)}% ${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n');
process.stdout.write(`${file}: ${from}-${to} s: busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms\n\nself time\n${lines(self)}\n\ninclusive time\n${lines(inclusive)}\n`);
