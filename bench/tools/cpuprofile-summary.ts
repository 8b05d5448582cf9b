import { readFileSync } from 'node:fs';

/**
 * Where a V8 CPU profile (`node --cpu-prof`, e.g. from `B5_PROFILE=1 npm run bench -- b5`) spends
 * its time: self time per function and per package, and total (inclusive) time of the functions
 * that matter most. Usage: node --import tsx bench/tools/cpuprofile-summary.ts FILE [TOP] [FILTER]
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
  startTime: number;
  endTime: number;
}

const [file, topText, filter] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpuprofile-summary FILE [TOP] [FILTER]\n');
  process.exit(2);
}
const top = Number(topText ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the sample stream (each delta belongs to the sample that follows it).
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const pkg = (url: string): string => {
  if (url === '') return '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `switchboard ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}` : url;
};
const label = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
};

const addTo = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  addTo(selfByFunction, label(node), us);
  addTo(selfByPackage, pkg(node.callFrame.url), us);
  // Inclusive: each distinct function on the stack gets the sample once.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = label(byId.get(at)!);
    if (!seen.has(key)) {
      seen.add(key);
      addTo(inclusive, key, us);
    }
  }
}

const print = (title: string, map: Map<string, number>, n: number, match?: string) => {
  process.stdout.write(`\n${title}\n`);
  [...map.entries()]
    .filter(([k]) => !match || k.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, us]) => process.stdout.write(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`));
};

process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('self time by package', selfByPackage, top);
print('self time by function', selfByFunction, top);
print(`total time by function${filter ? ` (matching "${filter}")` : ''}`, inclusive, top, filter);
