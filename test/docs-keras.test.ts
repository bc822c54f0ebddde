/**
 * Every ```ts block of docs/keras.md type-checks against the packages'
 * sources (strict, the repository's tsconfig.base.json). Each block is a
 * module of its own, written to node_modules/.cache/duet-docs-keras/ and
 * checked with one `tsc` run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

describe('docs/keras.md', () => {
  it('has code blocks that type-check', () => {
    const blocks = tsBlocks(readFileSync(join(root, 'docs/keras.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(10);
    const dir = join(root, 'node_modules/.cache/duet-docs-keras');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((b, i) => {
      const name = `block_${String(i + 1).padStart(2, '0')}.ts`;
      writeFileSync(join(dir, name), `${b}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const src = (p: string) => [join(root, 'packages', p, 'src/index.ts')];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true, composite: false, declaration: false, declarationMap: false, allowImportingTsExtensions: true,
        typeRoots: [join(root, 'node_modules/@types')],
        paths: { '@duet/core': src('core'), '@duet/data': src('data'), '@duet/nn': src('nn'), '@duet/keras': src('keras') },
      },
      files,
    }));
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  });
});
