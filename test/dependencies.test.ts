/**
 * The dependency direction is fixed: core <- data, nn <- keras. Only core may
 * import @tensorflow/*. This test reads every source file's imports and each
 * package.json, and fails on an import "up" or a stray tfjs import.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const ALLOWED: Record<string, string[]> = {
  core: [],
  data: ['core'],
  nn: ['core'],
  keras: ['core', 'data', 'nn'],
  explain: ['core', 'nn', 'keras'],
  compress: ['core', 'nn', 'keras'],
  tuner: ['core', 'data', 'nn', 'keras'],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  const specs: string[] = [];
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

describe('package dependency direction', () => {
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    it(`@duet/${pkg} imports only ${allowed.length ? allowed.map((a) => '@duet/' + a).join(', ') : 'no other Duet package'}${pkg === 'core' ? '' : ' and no @tensorflow/*'}`, () => {
      const bad: string[] = [];
      for (const file of sources(join(root, 'packages', pkg, 'src'))) {
        for (const spec of importsOf(file)) {
          const where = relative(root, file);
          const duet = /^@duet\/([^/]+)/.exec(spec);
          if (duet && duet[1] !== pkg && !allowed.includes(duet[1]!)) bad.push(`${where} imports ${spec}`);
          if (pkg !== 'core' && spec.startsWith('@tensorflow/')) bad.push(`${where} imports ${spec} (only @duet/core may)`);
          if (spec.startsWith('../') && /packages\//.test(spec)) bad.push(`${where} reaches into another package by path: ${spec}`);
        }
      }
      expect(bad).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
      const deps = Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies });
      for (const d of deps) {
        const duet = /^@duet\/(.+)$/.exec(d);
        if (duet) expect(allowed, `${pkg}/package.json depends on ${d}`).toContain(duet[1]);
        if (pkg !== 'core') expect(d.startsWith('@tensorflow/'), `${pkg}/package.json depends on ${d}`).toBe(false);
      }
    });
  }
});

/**
 * Inside @duet/core the layers depend downward only (docs/design/core-layers.md):
 * engine.ts and errors.ts at the bottom; the kernel layer (kernels/), which
 * touches only native handles; the tensor's storage, memory and the layout
 * rule; then the Tensor, autograd and the ops. A layer may import itself and
 * the layers below it.
 * Relative imports are resolved to files and compared by path; `import type`
 * counts too (a type import up is still a cycle for a reader).
 */
const coreSrc = join(root, 'packages', 'core', 'src');
const BOTTOM = ['errors.ts', 'engine.ts'];
const CORE_RULES: { layer: string; files: (p: string) => boolean; mayImport: (p: string) => boolean }[] = [
  { layer: 'errors.ts', files: (p) => p === 'errors.ts', mayImport: () => false },
  { layer: 'engine.ts', files: (p) => p === 'engine.ts', mayImport: (p) => p === 'errors.ts' },
  { layer: 'the kernel layer (kernels/)', files: (p) => p.startsWith('kernels/'), mayImport: (p) => p.startsWith('kernels/') || BOTTOM.includes(p) },
  { layer: 'storage.ts', files: (p) => p === 'storage.ts', mayImport: (p) => p.startsWith('kernels/') || BOTTOM.includes(p) },
  { layer: 'memory.ts', files: (p) => p === 'memory.ts', mayImport: (p) => p.startsWith('kernels/') || BOTTOM.includes(p) || p === 'storage.ts' },
  { layer: 'layout.ts (the layout rule)', files: (p) => p === 'layout.ts', mayImport: (p) => p.startsWith('kernels/') || BOTTOM.includes(p) },
];

/** The core-relative paths that `file` imports from inside core (relative specifiers only). */
function coreImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((s) => s.startsWith('./') || s.startsWith('../'))
    .map((s) => relative(coreSrc, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** Every import that breaks a rule, as "from imports to (rule)". */
function coreViolations(files: string[], importsOfFile: (f: string) => string[]): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = relative(coreSrc, file);
    if (/\.test\.ts$/.test(from)) continue;
    for (const rule of CORE_RULES) {
      if (!rule.files(from)) continue;
      for (const to of importsOfFile(file)) if (to !== from && !rule.mayImport(to)) bad.push(`${from} imports ${to} (${rule.layer} may not import upward)`);
    }
  }
  return bad;
}

describe('layers inside @duet/core', () => {
  const files = sources(coreSrc);

  it('has a kernel layer to check', () => {
    expect(files.filter((f) => relative(coreSrc, f).startsWith('kernels/')).length).toBeGreaterThan(3);
  });

  it('the kernel layer, engine.ts, errors.ts, storage.ts, memory.ts and layout.ts never import upward (none sees tensor.ts)', () => {
    expect(coreViolations(files, coreImportsOf)).toEqual([]);
  });

  it('the check fails on an upward import', () => {
    // A kernel file that imported the Tensor (as ops do) would be reported, resolved through '../'.
    const fake = join(coreSrc, 'kernels', 'basic.ts');
    const bad = coreViolations([fake], () => ['tensor.ts', 'kernels/constants.ts', 'engine.ts']);
    expect(bad).toEqual(['kernels/basic.ts imports tensor.ts (the kernel layer (kernels/) may not import upward)']);
  });
});
