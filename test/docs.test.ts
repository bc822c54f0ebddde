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
 * Blocks fenced ```ts group=NAME in one file are joined, in order, into one
 * module (a program shown step by step, as in docs/side-by-side.md).
 * docs/keras-rnn.md's blocks are also run, by test/docs-keras-rnn.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

export interface DocBlock {
  file: string; // relative to the repository root
  line: number; // 1-based line of the opening fence
  code: string;
  skip: boolean;
  group: string | undefined;
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
    const info = (open[2] ?? '').split(/\s+/);
    const group = info.find((w) => w.startsWith('group='))?.slice('group='.length);
    blocks.push({ file, line: i + 1, code: `${body.join('\n')}\n`, skip: info.includes('skip-check'), group });
    i = j;
  }
  return blocks;
}

/** Every Markdown file under docs/, in every folder (docs/design, docs/ports, ...). */
function docFiles(dir = 'docs'): string[] {
  const entries = readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((e) => (e.isDirectory() ? docFiles(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : []));
}

const blocks = docFiles().flatMap((f) => tsBlocks(readFileSync(join(root, f), 'utf8'), f));

describe('docs/**/*.md code blocks', () => {
  it('parses fences, indented ones and skip-check', () => {
    const md = 'a\n```ts\nconst a = 1;\n```\n- item\n\n  ```ts skip-check\n  const b = 2;\n  ```\n```python\nx = 1\n```\n```ts group=p\nlet c;\n```\n';
    expect(tsBlocks(md, 'x.md')).toEqual([
      { file: 'x.md', line: 2, code: 'const a = 1;\n', skip: false, group: undefined },
      { file: 'x.md', line: 7, code: 'const b = 2;\n', skip: true, group: undefined },
      { file: 'x.md', line: 13, code: 'let c;\n', skip: false, group: 'p' },
    ]);
  });

  it('skips few blocks', () => {
    const skipped = blocks.filter((b) => b.skip);
    expect(blocks.length).toBeGreaterThanOrEqual(60);
    // test/docs-keras.test.ts checked docs/keras.md's blocks before this test covered every doc.
    expect(blocks.filter((b) => b.file === 'docs/keras.md').length).toBeGreaterThan(10);
    expect(skipped.length, skipped.map((b) => `${b.file}:${b.line}`).join(', ')).toBeLessThanOrEqual(3);
  });

  it('type-check, strict, with one tsc run', () => {
    const dir = join(root, 'node_modules/.cache/duet-docs');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // module file name -> its blocks, in order (one block, or a group's)
    const modules = new Map<string, DocBlock[]>();
    for (const b of blocks.filter((b) => !b.skip)) {
      const stem = b.file.replace(/\.md$/, '').replace(/\//g, '_');
      const name = b.group === undefined ? `${stem}_L${b.line}.ts` : `${stem}_group_${b.group}.ts`;
      modules.set(name, [...(modules.get(name) ?? []), b]);
    }
    for (const [name, parts] of modules) writeFileSync(join(dir, name), `${parts.map((b) => b.code).join('')}export {};\n`);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const src = (p: string) => [join(root, 'packages', p, 'src/index.ts')];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true, composite: false, declaration: false, declarationMap: false, allowImportingTsExtensions: true,
        typeRoots: [join(root, 'node_modules/@types')],
        paths: { '@duet/core': src('core'), '@duet/data': src('data'), '@duet/nn': src('nn'), '@duet/keras': src('keras') },
      },
      files: [...modules.keys()],
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
      let line = m ? Number(m[2]) : 0;
      for (const b of (m && modules.get(m[1]!)) ?? []) {
        const n = b.code.split('\n').length - 1;
        if (line <= n) return `${b.file}:${b.line + line}: ${m![4]}`;
        line -= n;
      }
      return l;
    });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('docs links', () => {
  it('point at files that exist, and at headings that exist', () => {
    const slug = (h: string) => h.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
    const broken: string[] = [];
    for (const file of [...docFiles(), 'README.md']) {
      const md = readFileSync(join(root, file), 'utf8').replace(/^( *)```[\s\S]*?^\1```/gm, '');
      for (const [, target] of md.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const abs = path === '' ? join(root, file) : join(root, dirname(file), path);
        if (!existsSync(abs)) broken.push(`${file}: ${target}`);
        else if (anchor !== undefined && abs.endsWith('.md')) {
          const headings = [...readFileSync(abs, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!));
          if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

/**
 * docs/troubleshooting.md quotes the installer's and the engine loader's
 * messages in ```text blocks, one per line, `<...>` for run-time values.
 * The fixed text between the placeholders must occur in the sources that
 * print them (string literals joined, escapes removed, the scripts' string
 * constants such as WHEEL_SPEC filled in).
 */
describe('docs/troubleshooting.md', () => {
  const sources = [
    ...readdirSync(join(root, 'packages/core/scripts')).filter((f) => /^provision.*\.mjs$/.test(f)).map((f) => `packages/core/scripts/${f}`),
    'packages/core/src/engine.ts', 'packages/core/src/device.ts', 'packages/core/src/ops/variables.ts',
  ];
  let text = sources.map((f) => readFileSync(join(root, f), 'utf8')).join('\n')
    .replace(/(['"`])\s*\+\s*(['"`])/g, '') // 'a ' + "b" -> 'a b'
    .replace(/\\([`'"])/g, '$1');
  const constants = new Map<string, string>();
  for (const m of text.matchAll(/const ([A-Z_]+) = (?:'([^'\n]*)'|`([^`\n]*)`);/g)) constants.set(m[1]!, m[2] ?? m[3]!);
  const fill = (s: string) => s.replace(/\$\{([A-Z_]+)\}/g, (all, name: string) => constants.get(name) ?? all);
  for (const [k, v] of constants) constants.set(k, fill(fill(v)));
  text = fill(text);

  const doc = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8');
  const quoted = [...doc.matchAll(/^```text\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n')).filter((l) => l.trim() !== '');

  it('quotes the messages as the code prints them', () => {
    expect(quoted.length).toBeGreaterThan(60);
    const missing: string[] = [];
    for (const line of quoted) {
      const pieces = line.replace(/^\[duet\] /, '').split(/<[^<>]*>/)
        .map((p) => p.replace(/^[\s.,:;()]+|[\s.,:;()]+$/g, ''))
        .filter((p) => p.length >= 4);
      for (const p of pieces) if (!text.includes(p)) missing.push(`${p}    (in: ${line})`);
    }
    expect(missing).toEqual([]);
  });
});
