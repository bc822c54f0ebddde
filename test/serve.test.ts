/** The serving example: answers requests, validates input, and keeps native memory flat. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, manualSeed, randn } from '@duet/core';
import { createServer, MnistMLP } from '../examples/serve.js';

describe('examples/serve.ts (Fastify + scope())', () => {
  manualSeed(0);
  const app = createServer(new MnistMLP());
  let base = '';
  beforeAll(async () => {
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (body: unknown) => fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('predicts a class and probabilities per row', async () => {
    const pixels = randn([3, 784]).abs().clamp(0, 1).toArray() as number[][];
    const res = await post({ pixels });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { classes: number[]; probabilities: number[][] };
    expect(out.classes).toHaveLength(3);
    for (const p of out.probabilities) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('rejects a malformed body with a 400 that says what was expected', async () => {
    const res = await post({ pixels: [[1, 2, 3]] });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/784/);
  });

  it('keeps the native tensor count flat over 200 requests', async () => {
    const pixels = [new Array(784).fill(0.5)];
    await post({ pixels });
    const before = memory().numTensors;
    for (let i = 0; i < 200; i++) expect((await post({ pixels })).status).toBe(200);
    expect(memory().numTensors).toBe(before);
  });
});
