/**
 * docs/ports/*.md put an official PyTorch example beside its port in
 * examples/. Their ```ts blocks are the port's code: every line of them
 * (imports aside, which a page gathers once) occurs in the port's files, and
 * each page's blocks, joined (```ts group=NAME), type-check as one strict
 * module. (test/docs.test.ts checks docs/*.md and docs/design/*.md; this
 * covers docs/ports/.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/** The port's source files that each page shows. */
const sources: Record<string, string[]> = {
  'word-language-model.md': ['examples/word-language-model/data.ts', 'examples/word-language-model/model.ts', 'examples/word-language-model/main.ts'],
  'mnist.md': ['examples/nn-mnist-cnn.ts'],
  'keras-guides.md': ['examples/keras-guides/subclassing.ts', 'examples/keras-guides/custom-train-step.ts', 'examples/keras-guides/callbacks.ts', 'examples/keras-guides/training-with-built-in-methods.ts'],
  'learning-pytorch-with-examples.md': [
    'polynomial_tensor', 'polynomial_autograd', 'polynomial_custom_function', 'polynomial_nn', 'polynomial_optim', 'polynomial_module', 'dynamic_net',
    'neural_networks_tutorial', 'autograd_tutorial',
  ].map((n) => `examples/pytorch-examples/${n}.ts`),
};

/**
 * The ```ts blocks of a page (module-level code, type-checked), with their
 * `group=NAME` ('' if none); with `statements` also the ```typescript blocks
 * (statements from inside a port's function, only line-checked).
 */
function tsCode(markdown: string, statements = false): { code: string; line: number; group: string }[] {
  const blocks: { code: string; line: number; group: string }[] = [];
  const lines = markdown.split('\n');
  const fence = statements ? /^```(ts|typescript)(\s|$)/ : /^```ts(\s|$)/;
  for (let i = 0; i < lines.length; i++) {
    if (!fence.test(lines[i]!)) continue;
    const group = /group=(\S+)/.exec(lines[i]!)?.[1] ?? '';
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push({ code: body.join('\n'), line: start + 1, group });
  }
  return blocks;
}

const pages = readdirSync(join(root, 'docs/ports')).filter((f) => f.endsWith('.md')).sort();

describe('docs/ports', () => {
  it('has a page for each port, and knows its sources', () => {
    expect(pages).toEqual(Object.keys(sources).sort());
  });

  it.each(pages)('%s: every line of its ```ts blocks is in the port', (page) => {
    const src = new Set(sources[page]!.flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n').map((l) => l.trim())));
    const missing: string[] = [];
    for (const b of tsCode(readFileSync(join(root, 'docs/ports', page), 'utf8'), true)) {
      b.code.split('\n').forEach((l, k) => {
        if (l.trim() !== '' && !l.startsWith('import ') && !src.has(l.trim())) missing.push(`docs/ports/${page}:${b.line + 1 + k}: ${l.trim()}`);
      });
    }
    expect(missing).toEqual([]);
  });

  it('type-check, each group of each page as one strict module (a page of several programs has a group per program)', () => {
    const dir = join(root, 'node_modules/.cache/duet-docs-ports');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = pages.flatMap((page) => {
      const blocks = tsCode(readFileSync(join(root, 'docs/ports', page), 'utf8'));
      return [...new Set(blocks.map((b) => b.group))].map((group) => {
        const name = `${page.replace(/\.md$/, '')}${group === '' ? '' : `.${group}`}.ts`;
        writeFileSync(join(dir, name), `${blocks.filter((b) => b.group === group).map((b) => b.code).join('\n')}\nexport {};\n`);
        return name;
      });
    });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const src = (p: string) => [join(root, 'packages', p, 'src/index.ts')];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true, composite: false, declaration: false, declarationMap: false,
        typeRoots: [join(root, 'node_modules/@types')],
        paths: { '@duet/core': src('core'), '@duet/data': src('data'), '@duet/nn': src('nn'), '@duet/keras': src('keras') },
      },
      files,
    }));
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output.split('\n').filter((l) => l.trim() !== '')).toEqual([]);
  }, 120_000);
});
