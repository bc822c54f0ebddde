/**
 * Every ```ts code block in docs/ (docs/*.md and docs/design/*.md, also
 * indented ones inside list items) type-checks against the packages'
 * sources with the repository's strict settings (tsconfig.base.json). Each
 * block is a module of its own, written to node_modules/.cache/duet-docs/
 * (inside the repository, so `@duet/*` and `@types/node` resolve), and all
 * are checked by one `tsc` run.
 *
 * A block that is intentionally partial is fenced ```ts skip-check and
 * says why in the text around it; this test counts them and keeps them rare.
 * docs/keras-rnn.md's blocks are also run, by test/docs-keras-rnn.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

export interface DocBlock {
  file: string; // relative to the repository root
  line: number; // 1-based line of the opening fence
  code: string;
  skip: boolean;
}

/** The ```ts blocks of one markdown text; an indented fence's indent is removed from its lines. */
export function tsBlocks(markdown: string, file = ''): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```ts(?:\s+(.*))?$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j]!.trimEnd() !== `${indent}\`\`\``; j++) {
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unclosed \`\`\`ts block`);
    blocks.push({ file, line: i + 1, code: `${body.join('\n')}\n`, skip: (open[2] ?? '').split(/\s+/).includes('skip-check') });
    i = j;
  }
  return blocks;
}

function docFiles(): string[] {
  const md = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.md')).sort().map((f) => `${dir}/${f}`);
  return [...md('docs'), ...md('docs/design')];
}

const blocks = docFiles().flatMap((f) => tsBlocks(readFileSync(join(root, f), 'utf8'), f));

describe('docs/**/*.md code blocks', () => {
  it('parses fences, indented ones and skip-check', () => {
    const md = 'a\n```ts\nconst a = 1;\n```\n- item\n\n  ```ts skip-check\n  const b = 2;\n  ```\n```python\nx = 1\n```\n';
    expect(tsBlocks(md, 'x.md')).toEqual([
      { file: 'x.md', line: 2, code: 'const a = 1;\n', skip: false },
      { file: 'x.md', line: 7, code: 'const b = 2;\n', skip: true },
    ]);
  });

  it('skips few blocks', () => {
    const skipped = blocks.filter((b) => b.skip);
    expect(blocks.length).toBeGreaterThan(40);
    // test/docs-keras.test.ts checked docs/keras.md's blocks before this test covered every doc.
    expect(blocks.filter((b) => b.file === 'docs/keras.md').length).toBeGreaterThan(10);
    expect(skipped.length, skipped.map((b) => `${b.file}:${b.line}`).join(', ')).toBeLessThanOrEqual(3);
  });

  it('type-check, strict, with one tsc run', () => {
    const dir = join(root, 'node_modules/.cache/duet-docs');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const names = new Map<string, DocBlock>();
    for (const b of blocks.filter((b) => !b.skip)) {
      const name = `${b.file.replace(/\.md$/, '').replace(/\//g, '_')}_L${b.line}.ts`;
      names.set(name, b);
      writeFileSync(join(dir, name), `${b.code}export {};\n`);
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const src = (p: string) => [join(root, 'packages', p, 'src/index.ts')];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true, composite: false, declaration: false, declarationMap: false, allowImportingTsExtensions: true,
        typeRoots: [join(root, 'node_modules/@types')],
        paths: { '@duet/core': src('core'), '@duet/data': src('data'), '@duet/nn': src('nn'), '@duet/keras': src('keras') },
      },
      files: [...names.keys()],
    }));
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    // Point each error at the markdown line it comes from.
    const errors = output.split('\n').filter((l) => l.trim() !== '').map((l) => {
      const m = /(?:^|\/)([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l);
      const b = m && names.get(m[1]!);
      return b ? `${b.file}:${b.line + Number(m[2])}: ${m[4]}` : l;
    });
    expect(errors).toEqual([]);
  }, 120_000);
});
