/**
 * Serving a Duet model over HTTP (Fastify): `POST /predict`, `GET /health`,
 * `GET /metrics` (Prometheus), dynamic batching of concurrent requests, and a
 * graceful shutdown on SIGTERM/SIGINT. docs/serving.md has the details.
 *
 *   pnpm mnist    # trains the MLP and writes mnist-mlp.safetensors
 *   pnpm exec tsx --conditions=source examples/serve.ts mnist-mlp.safetensors
 *   curl -s localhost:3000/predict -H 'content-type: application/json' \
 *        -d '{"pixels": [[0, 0, ... 784 numbers in [0, 1] ...]]}'
 *
 * Configuration (environment): PORT (3000; 0 picks a free one), HOST
 * (127.0.0.1), DUET_SERVE_BATCHING (on/off), DUET_SERVE_MAX_BATCH_SIZE (64),
 * DUET_SERVE_MAX_LATENCY_MS (2), DUET_SERVE_MAX_QUEUE_ROWS (1024),
 * DUET_SERVE_RETRY_AFTER_S (1), DUET_SERVE_SHUTDOWN_TIMEOUT_MS (30000).
 *
 * The parts live in examples/serve/: model.ts (the model and its loaders by
 * file extension), config.ts (limits and options), batcher.ts (dynamic
 * batching), metrics.ts (prom-client), app.ts (the routes).
 */
import { createServer } from './serve/app.js';
import { optionsFromEnv } from './serve/config.js';
import { loadModel } from './serve/model.js';

export { createServer, type PredictResponse } from './serve/app.js';
export { BODY_LIMIT, MAX_ROWS, DEFAULT_OPTIONS, ServeConfigError, optionsFromEnv, resolveOptions, type BatchingOptions, type ServeOptions, type ServeOptionsInput } from './serve/config.js';
export { Batcher, BatcherError } from './serve/batcher.js';
export { INPUT_SIZE, LOADERS, MnistMLP, ModelLoadError, loadModel, type ModelLoader, type ServedModel } from './serve/model.js';

/** Starts the service; resolves once it listens. Exits 0 after a graceful shutdown on SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const path = process.argv[2] ?? process.env.DUET_SERVE_MODEL;
  if (path === undefined) {
    console.error('usage: tsx --conditions=source examples/serve.ts MODEL.safetensors (`pnpm mnist` writes mnist-mlp.safetensors)');
    process.exit(2);
  }
  const options = optionsFromEnv(process.env);
  const model = await loadModel(path);
  const app = createServer(model, options);
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const shutdownTimeoutMs = Number(process.env.DUET_SERVE_SHUTDOWN_TIMEOUT_MS ?? 30_000);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    console.log(JSON.stringify({ event: 'shutdown', signal }));
    // A last resort: a client that keeps its connection open past the timeout must not keep the process alive.
    setTimeout(() => {
      console.error(`shutdown took longer than ${shutdownTimeoutMs} ms: exiting with requests unfinished`);
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    app.close().then(
      () => {
        console.log(JSON.stringify({ event: 'closed' }));
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  const address = await app.listen({ port, host });
  // One JSON line that scripts (the shutdown test, the load test) wait for.
  console.log(JSON.stringify({ event: 'listening', address, model: path, batching: options.batching }));
}

// Run as a program (not when imported by the tests).
if (import.meta.url === `file://${process.argv[1]}`) await main();
