import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * Imports point inward only: server -> adapters -> app -> core. This checks every import of every
 * file under src/ (parsed by the TypeScript compiler, not by regular expressions).
 */
export type Layer = 'core' | 'app' | 'adapters' | 'server' | 'cli' | 'contracts';

const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  core: ['core'],
  contracts: ['contracts', 'core'],
  app: ['app', 'core'],
  adapters: ['adapters', 'app', 'core'],
  server: ['server', 'adapters', 'app', 'core', 'contracts'],
  cli: ['cli', 'server', 'adapters', 'app', 'core'],
};

/** Packages a layer may use; `*` means any. The core is pure: no packages, no node:* modules. */
const PACKAGES: Readonly<Record<Layer, readonly string[] | '*'>> = {
  core: [],
  contracts: ['typebox'],
  app: ['node:crypto', 'sorted-btree'],
  adapters: '*',
  server: '*',
  cli: '*',
};

/** Adapter folders that sibling adapters of the same kind may build on (the shared SQL store). */
export const SHARED_ADAPTER_BASES = ['storage/sql'];

export interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly rule: string;
}

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes: `src/core/x.ts`. */
  readonly path: string;
  readonly text: string;
}

export function layerOf(path: string): Layer | undefined {
  const m = /^src\/(core|app|adapters|server|cli|contracts)\//.exec(path);
  return m ? (m[1] as Layer) : undefined;
}

function adapterUnit(path: string): string {
  return dirname(path.slice('src/adapters/'.length)).split(sep).join('/');
}

export function checkFiles(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (!from) continue;
    for (const ref of ts.preProcessFile(file.text, true, true).importedFiles) {
      const spec = ref.fileName;
      if (spec.startsWith('.')) {
        const target = resolve('/', dirname(file.path), spec).slice(1);
        const to = layerOf(target);
        if (!to) {
          violations.push({ file: file.path, imports: spec, rule: 'imports outside src/' });
          continue;
        }
        if (!MAY_IMPORT[from].includes(to)) {
          violations.push({ file: file.path, imports: spec, rule: `${from} may not import ${to} (allowed: ${MAY_IMPORT[from].join(', ')})` });
          continue;
        }
        if (from === 'adapters' && to === 'adapters') {
          const a = adapterUnit(file.path);
          const b = adapterUnit(target);
          const sameKind = a.split('/')[0] === b.split('/')[0];
          if (a !== b && !(sameKind && SHARED_ADAPTER_BASES.includes(b))) {
            violations.push({ file: file.path, imports: spec, rule: `adapter ${a} may not import adapter ${b}` });
          }
        }
      } else {
        const allowed = PACKAGES[from];
        if (allowed === '*') continue;
        const name = spec.startsWith('node:') ? spec : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!allowed.includes(name)) {
          violations.push({ file: file.path, imports: spec, rule: `${from} may not use package ${name}${from === 'core' ? ' (the core is pure)' : ''}` });
        }
      }
    }
  }
  return violations;
}

export function readSources(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push({ path: relative(root, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
    }
  };
  walk(join(root, 'src'));
  return out;
}
