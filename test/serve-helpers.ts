/** Helpers for the serving tests: requests through Fastify's inject, and reading /metrics. */
import type { createServer } from '../examples/serve.js';

/** The app type, without importing fastify here (it is a dependency of examples/, not of the root). */
export type App = ReturnType<typeof createServer>;

/** A row of 784 pixels, deterministic per seed, in [0, 1). */
export function row(seed: number): number[] {
  return Array.from({ length: 784 }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000);
}

export function predict(app: App, payload: unknown) {
  return app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** The value of one sample in Prometheus text, e.g. metric(text, 'duet_batch_size_rows_count'); NaN when absent. */
export function metric(text: string, sample: string): number {
  const escaped = sample.replace(/[{}"=,.]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

export async function metrics(app: App): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
  return res.body;
}
