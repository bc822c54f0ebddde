/** examples/serve: bad requests get a 400 that says what was expected, leak no tensors; metrics, health, model loading. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, memory, rand, randn, tensor, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { save } from '@duet/nn';
import { BODY_LIMIT, createServer, loadModel, MnistMLP, ModelLoadError, type PredictResponse } from '../examples/serve.js';
import { metric, metrics, predict, row } from './serve-helpers.js';

manualSeed(2);
const model = new MnistMLP();
const app = createServer(model, { batching: { maxBatchSize: 16, maxLatencyMs: 2 } });
afterAll(async () => {
  await app.close();
});

const bad: [string, string | object, number, RegExp][] = [
  ['malformed JSON', '{"pixels": [[0, 1,', 400, /Body is not valid JSON.*Expected \{"pixels": \[\[784 numbers\]/],
  ['an empty body', '', 400, /Body cannot be empty.*Expected \{"pixels"/],
  ['NaN (not JSON)', `{"pixels": [[NaN${',0'.repeat(783)}]]}`, 400, /Body is not valid JSON.*finite JSON number/],
  ['the string "NaN"', { pixels: [['NaN', ...new Array(783).fill(0)]] }, 400, /body\/pixels\/0\/0 must be number/],
  ['a row of 783 pixels', { pixels: [new Array(783).fill(0)] }, 400, /body\/pixels\/0 must NOT have fewer than 784 items/],
  ['a flat array (wrong shape)', { pixels: [0.1, 0.2] }, 400, /body\/pixels\/0 must be array/],
  ['no rows', { pixels: [] }, 400, /body\/pixels must NOT have fewer than 1 items/],
  ['no pixels key', { image: [row(0)] }, 400, /body must have required property 'pixels'/],
  ['a body that is not an object', '[1, 2]', 400, /body must be object/],
  ['an oversized body', `{"pixels": [], "pad": "${'x'.repeat(BODY_LIMIT)}"}`, 413, new RegExp(`Request body is too large: at most ${BODY_LIMIT} bytes \\(256 rows of 784 pixels\\)`)],
];

describe('bad requests', () => {
  it.each(bad)('%s: an error status that says what was expected', async (_name, body, status, why) => {
    const res = await predict(app, body);
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(why);
    expect(res.json().error).toBe(status === 400 ? 'Bad Request' : 'Payload Too Large');
  });

  it('a wrong content-type gets 415 naming application/json', async () => {
    const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/xml' }, payload: '<pixels/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toMatch(/expected application\/json/);
  });

  it('a burst of bad requests leaks no native tensors and the server still answers', async () => {
    await predict(app, { pixels: [row(0)] }); // warm-up (constant caches)
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const answers = await Promise.all(bad.map(([, body]) => predict(app, body)));
      for (const a of answers) expect(a.statusCode).toBeGreaterThanOrEqual(400);
    }
    const ok = await Promise.all([predict(app, { pixels: [row(1)] }), predict(app, { pixels: [row(2), row(3)] })]);
    for (const a of ok) expect(a.statusCode).toBe(200);
    expect(memory().numTensors).toBe(before);
  });

  it('a burst of good batched requests leaves the native tensor count where it was', async () => {
    const before = memory().numTensors;
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => predict(app, { pixels: [row(round * 20 + i)] })));
      for (const a of answers) expect(a.json<PredictResponse>().classes).toHaveLength(1);
    }
    expect(memory().numTensors).toBe(before);
  });
});

describe('/metrics and /health', () => {
  it('exposes Prometheus text: requests by route and status, latency, batch sizes, queue depth, native tensors', async () => {
    await predict(app, { pixels: [row(5)] });
    await predict(app, '{');
    const text = await metrics(app);
    expect(metric(text, 'duet_http_requests_total{method="POST",route="/predict",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'duet_http_requests_total{method="POST",route="/predict",status="400"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'duet_http_request_duration_seconds_count{method="POST",route="/predict"}')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'duet_batch_size_rows_bucket{le="1"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'duet_queue_depth_rows')).toBe(0);
    expect(metric(text, 'duet_native_tensors')).toBe(memory().numTensors);
    expect(text).toMatch(/^# TYPE duet_forward_duration_seconds histogram$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m); // prom-client's default process metrics
  });

  it('labels unknown paths "unmatched" (no label per URL)', async () => {
    expect((await app.inject({ method: 'GET', url: '/nope/123' })).statusCode).toBe(404);
    const text = await metrics(app);
    expect(metric(text, 'duet_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toMatch(/nope/);
  });

  it('/health says ok, with the batching options and memory', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const h = res.json();
    expect(h.status).toBe('ok');
    expect(h.batching).toEqual({ enabled: true, maxBatchSize: 16, maxLatencyMs: 2, maxQueueRows: 1024 });
    expect(h.memory.numTensors).toBeGreaterThan(0);
  });
});

describe('loading a model by file extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-serve-'));

  it('.safetensors: the state dict that `pnpm mnist` saves, predicting as the original', async () => {
    const path = join(dir, 'mlp.safetensors');
    await save(model.stateDict(), path);
    const loaded = await loadModel(path);
    const x = randn([2, 784]);
    expect(loaded.forward(x).toArray()).toEqual(model.forward(x).toArray());
  });

  it('.safetensors with the wrong tensors: ModelLoadError LOAD_FAILED naming what was expected', async () => {
    const path = join(dir, 'other.safetensors');
    await save({ 'fc1.weight': tensor([[1, 2]]) }, path);
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('LOAD_FAILED');
    expect((err as Error).message).toMatch(/expected the state dict that `pnpm mnist` saves: fc1.weight \[128, 784\]/);
  });

  it('.keras: the seed Keras model loads and serves probabilities equal to its predict()', async () => {
    const path = join(dir, 'model.keras');
    const km = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(16, { activation: 'relu' }), new keras.layers.Dense(10, { activation: 'softmax' })]);
    await km.save(path);
    const served = await loadModel(path);
    expect(served.outputsProbabilities).toBe(true);
    const x = rand([3, 784]);
    const expected = (await km.predict(x, { verbose: 0 })) as Tensor;
    const got = served.forward(x);
    expect(got.shape).toEqual([3, 10]);
    const [a, b] = [got.toArray() as number[][], expected.toArray() as number[][]];
    a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(1e-6)));
  });

  it('.keras: a file that is not a Keras model, or a model of another input size, is LOAD_FAILED', async () => {
    const bad = join(dir, 'bad.keras');
    writeFileSync(bad, 'PK');
    await expect(loadModel(bad)).rejects.toMatchObject({ code: 'LOAD_FAILED' });
    const other = join(dir, 'other.keras');
    await new keras.Sequential([keras.Input({ shape: [5] }), new keras.layers.Dense(2)]).save(other);
    await expect(loadModel(other)).rejects.toThrow(/expected a Keras model with one input of shape \[batch, 784\], received 1 input\(s\) of shape \[batch, 5\]/);
  });

  it('an unknown extension names the ones it takes', async () => {
    await expect(loadModel(join(dir, 'model.onnx'))).rejects.toThrow(/expected a model file ending in \.safetensors or \.keras, received "\.onnx"/);
  });
});
