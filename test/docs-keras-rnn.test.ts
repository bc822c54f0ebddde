/**
 * Every ```ts block of docs/keras-rnn.md runs: each is written as a module
 * of its own (its `@duet/*` imports pointed at the packages' sources) and
 * imported, so an example that throws fails this test. What the examples
 * print is captured and checked where the doc states a value.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const blocks = [...readFileSync(join(root, 'docs/keras-rnn.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
const dir = join(tmpdir(), `duet-docs-keras-rnn-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/keras-rnn.md', () => {
  it('has an example per layer', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    for (const name of ['Embedding', 'LSTM', 'GRU', 'SimpleRNN', 'Bidirectional', 'TimeDistributed', 'MultiHeadAttention']) {
      expect(blocks.some((b) => b.includes(`layers.${name}(`)), name).toBe(true);
    }
  });
  blocks.forEach((block, i) => {
    it(`block ${i + 1} runs`, async () => {
      const src = block.replace(/from '@duet\/(\w+)'/g, (_, p: string) => `from '${join(root, 'packages', p, 'src/index.ts')}'`);
      const file = join(dir, `block_${i + 1}.ts`);
      writeFileSync(file, `${src}\nexport {};\n`);
      const printed: unknown[][] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a));
      try {
        await import(pathToFileURL(file).href);
      } finally {
        log.mockRestore();
      }
      expect(printed.length).toBeGreaterThan(0);
      if (block.includes('padding changes nothing')) expect(printed[0]![0]).toBeLessThan(1e-6);
    }, 60_000);
  });
});
