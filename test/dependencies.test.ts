/**
 * The dependency direction is fixed: core <- data, nn <- keras. Only core may
 * import @tensorflow/*. This test reads every source file's imports and each
 * package.json, and fails on an import "up" or a stray tfjs import.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
