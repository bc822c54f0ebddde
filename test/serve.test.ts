/** The serving example: answers requests, validates input, and keeps native memory flat. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, manualSeed, randn } from '@duet/core';
import { BODY_LIMIT, MAX_ROWS, createServer, MnistMLP } from '../examples/serve.js';

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

describe('examples/serve.ts input rules (Fastify inject)', () => {
  const app = createServer(new MnistMLP());
  afterAll(async () => {
    await app.close();
  });
  /** POST a raw JSON text: one row of 784 zeros with `pixel` at index 5 (as written, so 1e999 stays 1e999). */
  const rowWith = (pixel: string) => `[${Array.from({ length: 784 }, (_, i) => (i === 5 ? pixel : '0')).join(',')}]`;
  const post = (payload: string) => app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload });

  it.each([
    ['1e39 (finite in JSON, past float32)', '1e39', /body\/pixels\/0\/5 must be <= 3.4028234663852886e\+38/],
    ['-1e400 (-Infinity in JSON)', '-1e400', /body\/pixels\/0\/5 must be number.*finite JSON number within float32's range/],
    ['1e999 (Infinity in JSON)', '1e999', /body\/pixels\/0\/5 must be number.*1e999 is Infinity/],
    ['the string "Infinity"', '"Infinity"', /body\/pixels\/0\/5 must be number/],
    ['the string "0.5"', '"0.5"', /body\/pixels\/0\/5 must be number/],
    ['true', 'true', /body\/pixels\/0\/5 must be number/],
    ['null', 'null', /body\/pixels\/0\/5 must be number/],
  ])('answers 400 for %s, saying which pixel and why', async (_name, pixel, why) => {
    const res = await post(`{"pixels": [${rowWith(pixel)}]}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(why);
  });

  it('accepts the largest finite float32 values', async () => {
    const res = await post(`{"pixels": [${rowWith('3.4028234663852886e38')}, ${rowWith('-3.4028234663852886e38')}]}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().classes).toHaveLength(2);
  });

  it(`takes MAX_ROWS (${MAX_ROWS}) rows of the longest numbers JSON.stringify writes: the body limit agrees with the row limit`, async () => {
    const longest = -1.2345678901234567e-100; // 24 characters as JSON
    expect(JSON.stringify(longest)).toHaveLength(24);
    const body = JSON.stringify({ pixels: Array.from({ length: MAX_ROWS }, () => new Array(784).fill(longest)) });
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body.length).toBeGreaterThan(1024 * 1024); // past Fastify's 1 MB default, which answered 413 here
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(res.json().classes).toHaveLength(MAX_ROWS);
  });

  it('answers 400 past MAX_ROWS rows, and 413 past the body limit', async () => {
    const many = await post(JSON.stringify({ pixels: Array.from({ length: MAX_ROWS + 1 }, () => new Array(784).fill(0)) }));
    expect(many.statusCode).toBe(400);
    expect(many.json().message).toMatch(new RegExp(`body/pixels must NOT have more than ${MAX_ROWS} items`));
    const huge = await post(`{"pixels": [${rowWith('0')}], "pad": "${'x'.repeat(BODY_LIMIT)}"}`);
    expect(huge.statusCode).toBe(413);
  });
});
