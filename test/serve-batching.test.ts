/** Dynamic batching in examples/serve: concurrent requests share one forward pass, split back per request. */
import { afterEach, describe, expect, it } from 'vitest';
import { manualSeed } from '@duet/core';
import { createServer, MnistMLP, MAX_ROWS, ServeConfigError, optionsFromEnv, type BatchingOptions, type PredictResponse } from '../examples/serve.js';
import { metric, metrics, predict, row, type App } from './serve-helpers.js';

manualSeed(1);
const model = new MnistMLP();
const apps: App[] = [];
function serve(batching: Partial<BatchingOptions>) {
  const app = createServer(model, { batching, processMetrics: false });
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('dynamic batching', () => {
  it('runs 8 concurrent one-row requests as ONE forward pass of 8 rows when maxBatchSize is 8', async () => {
    // The timer is far away (60 s): only reaching 8 rows can start the batch, so this does not depend on timing.
    const app = serve({ maxBatchSize: 8, maxLatencyMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => predict(app, { pixels: [row(i)] })));
    for (const a of answers) expect(a.statusCode).toBe(200);
    const text = await metrics(app);
    expect(metric(text, 'duet_batch_size_rows_count')).toBe(1);
    expect(metric(text, 'duet_batch_size_rows_sum')).toBe(8);
    expect(metric(text, 'duet_batch_size_requests_sum')).toBe(8);
  });

  it('gives each request its own rows back, equal to running it alone', async () => {
    const batched = serve({ maxBatchSize: 6, maxLatencyMs: 60_000 });
    const alone = serve({ enabled: false });
    // Requests of 1, 2 and 3 rows fill one batch of 6.
    const bodies = [{ pixels: [row(10)] }, { pixels: [row(11), row(12)] }, { pixels: [row(13), row(14), row(15)] }];
    const together = await Promise.all(bodies.map((b) => predict(batched, b)));
    expect(metric(await metrics(batched), 'duet_batch_size_rows_count')).toBe(1);
    for (const [i, b] of bodies.entries()) {
      const got = together[i]!.json<PredictResponse>();
      const want = (await predict(alone, b)).json<PredictResponse>();
      expect(got.classes).toEqual(want.classes);
      expect(got.probabilities).toHaveLength(b.pixels.length);
      got.probabilities.forEach((p, r) => p.forEach((v, c) => expect(v).toBeCloseTo(want.probabilities[r]![c]!, 5)));
    }
    // Batching off: one forward pass per request.
    const off = await metrics(alone);
    expect(metric(off, 'duet_batch_size_rows_count')).toBe(3);
    expect(metric(off, 'duet_batch_size_rows_sum')).toBe(6);
  });

  it('runs a partial batch when maxLatencyMs has passed', async () => {
    const app = serve({ maxBatchSize: 64, maxLatencyMs: 200 }); // 3 injects arrive well within 200 ms
    const answers = await Promise.all([0, 1, 2].map((i) => predict(app, { pixels: [row(i)] })));
    for (const a of answers) expect(a.statusCode).toBe(200);
    const text = await metrics(app);
    expect(metric(text, 'duet_batch_size_rows_count')).toBe(1);
    expect(metric(text, 'duet_batch_size_rows_sum')).toBe(3);
  });

  it('never splits a request, and splits a queue past maxBatchSize into several batches', async () => {
    const app = serve({ maxBatchSize: 4, maxLatencyMs: 60_000 });
    const sizes = [3, 3, 2]; // 3 | 3 (3 + 3 > 4) | 2 (waits: the timer is 60 s away, so close() runs it)
    const pending = sizes.map((n, i) => predict(app, { pixels: Array.from({ length: n }, (_, r) => row(i * 10 + r)) }));
    await Promise.all(pending.slice(0, 2));
    const before = await metrics(app);
    expect(metric(before, 'duet_batch_size_rows_count')).toBe(2); // 3 and 3, not 6
    expect(metric(before, 'duet_batch_size_rows_sum')).toBe(6);
    expect(metric(before, 'duet_queue_depth_rows')).toBe(2);
    await app.close();
    const last = await pending[2]!;
    expect(last.statusCode).toBe(200);
    expect(last.json<PredictResponse>().classes).toHaveLength(2);
  });

  it('answers 503 with Retry-After past maxQueueRows, and close() still answers the queued request', async () => {
    const app = serve({ maxBatchSize: 1024, maxLatencyMs: 60_000, maxQueueRows: MAX_ROWS });
    const rows = (n: number) => Array.from({ length: n }, (_, i) => row(i));
    const first = predict(app, { pixels: rows(200) });
    await expect.poll(async () => metric(await metrics(app), 'duet_queue_depth_rows'), { timeout: 30_000 }).toBe(200);
    const second = await predict(app, { pixels: rows(100) }); // 200 + 100 > 256
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.json().message).toMatch(/queue is full \(200 rows waiting, at most 256\)/);
    expect(metric(await metrics(app), 'duet_http_requests_total{method="POST",route="/predict",status="503"}')).toBe(1);
    await app.close(); // graceful: runs the queued batch
    const done = await first;
    expect(done.statusCode).toBe(200);
    expect(done.json<PredictResponse>().classes).toHaveLength(200);
  });
});

describe('a failing forward pass', () => {
  it('answers every request of its batch with 500, and the server goes on', async () => {
    const broken = { forward: (): never => { throw new Error('kernel failed'); } };
    const app = createServer(broken, { batching: { maxBatchSize: 2, maxLatencyMs: 60_000 }, processMetrics: false, logLevel: 'silent' });
    apps.push(app);
    const answers = await Promise.all([predict(app, { pixels: [row(0)] }), predict(app, { pixels: [row(1)] })]);
    for (const a of answers) {
      expect(a.statusCode).toBe(500);
      expect(a.json().message).toBe('Internal error while running the model.');
    }
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('options', () => {
  it('rejects out-of-range options, saying what it received', () => {
    expect(() => createServer(model, { batching: { maxBatchSize: -1 } })).toThrow(/maxBatchSize must be an integer from 1 to 65536\. Received: maxBatchSize=-1/);
    expect(() => createServer(model, { batching: { maxQueueRows: 10 } })).toThrow(ServeConfigError);
  });

  it('reads the environment', () => {
    const o = optionsFromEnv({ DUET_SERVE_BATCHING: 'off', DUET_SERVE_MAX_BATCH_SIZE: '32', DUET_SERVE_MAX_LATENCY_MS: '5' });
    expect(o.batching).toEqual({ enabled: false, maxBatchSize: 32, maxLatencyMs: 5, maxQueueRows: 1024 });
    expect(() => optionsFromEnv({ DUET_SERVE_BATCHING: 'maybe' })).toThrow(/DUET_SERVE_BATCHING must be on\/off.*Received: DUET_SERVE_BATCHING="maybe"/);
    expect(() => optionsFromEnv({ DUET_SERVE_MAX_LATENCY_MS: '2.5' })).toThrow(/non-negative integer/);
  });
});
