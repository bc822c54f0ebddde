/**
 * The HTTP service: `POST /predict`, `GET /health`, `GET /metrics`.
 *
 * Every forward pass runs inside `scope()` under `noGrad()`, so native memory
 * stays flat: only a plain Float32Array leaves it. With batching on (the
 * default) concurrent requests share one forward pass (./batcher.ts); with it
 * off each request runs its own. Bad input never reaches the model: the JSON
 * schema rejects it with a 400 that names the pixel and the rule it broke.
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { tensor, scope, noGrad, memory, backendInfo } from '@duet/core';
import { Batcher, BatcherError } from './batcher.js';
import { BODY_LIMIT, FLOAT32_MAX, MAX_ROWS, resolveOptions, type ServeOptions, type ServeOptionsInput } from './config.js';
import { createMetrics } from './metrics.js';
import { INPUT_SIZE, type ServedModel } from './model.js';

interface PredictBody {
  pixels: number[][];
}

export interface PredictResponse {
  classes: number[];
  probabilities: number[][];
}

const RULE =
  `Expected {"pixels": [[${INPUT_SIZE} numbers], ...]} with 1 to ${MAX_ROWS} rows, each pixel a finite JSON number ` +
  `within float32's range (|x| <= ${FLOAT32_MAX}); 1e999 is Infinity, and "0.5", true or null are not numbers.`;

const pixel = { type: 'number', minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX };
const predictSchema = {
  body: {
    type: 'object',
    required: ['pixels'],
    properties: {
      pixels: { type: 'array', minItems: 1, maxItems: MAX_ROWS, items: { type: 'array', minItems: INPUT_SIZE, maxItems: INPUT_SIZE, items: pixel } },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        classes: { type: 'array', items: { type: 'integer' } },
        probabilities: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      },
    },
  },
};

/** Class and probabilities per row, from `rows` rows of softmax output (flat). */
function toResponse(probs: Float32Array, rows: number): PredictResponse {
  const width = probs.length / rows;
  const classes: number[] = [];
  const probabilities: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(probs.subarray(r * width, (r + 1) * width));
    let best = 0;
    for (let c = 1; c < width; c++) if (row[c]! > row[best]!) best = c;
    classes.push(best);
    probabilities.push(row);
  }
  return { classes, probabilities };
}

/** Status and message for errors that happen before the handler (parsing, limits) or in it. */
function describeError(err: FastifyError): { status: number; message: string } {
  if (err instanceof BatcherError) return { status: 503, message: err.message };
  if (err.validation) return { status: 400, message: err.message }; // schemaErrorFormatter already appended RULE
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `Request body is too large: at most ${BODY_LIMIT} bytes (${MAX_ROWS} rows of ${INPUT_SIZE} pixels). Send fewer rows per request.` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `Unsupported content-type: expected application/json. ${RULE}` };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, message: `${err.message}. ${RULE}` };
  return { status: 500, message: 'Internal error while running the model.' };
}

/**
 * A Fastify app serving `model` (taking [rows, 784] pixels to [rows, classes]
 * logits). Not listening yet: call `listen()`, or `inject()` in tests.
 * `close()` finishes the requests in flight, the queued batch included.
 */
export function createServer(
  model: ServedModel,
  options: ServeOptionsInput = {},
): FastifyInstance {
  const opts: ServeOptions = resolveOptions(options);
  (model as { eval?: () => unknown }).eval?.();

  // One forward pass: everything made inside scope() is released when it returns; only the Float32Array leaves.
  const runBatch = (input: Float32Array, rows: number): Float32Array =>
    scope(() => noGrad(() => {
      const out = model.forward(tensor(input, { shape: [rows, INPUT_SIZE] }));
      return (model.outputsProbabilities === true ? out : out.softmax(1)).dataSync() as Float32Array;
    }));

  let batcher: Batcher | undefined;
  const metrics = createMetrics(
    { rows: () => batcher?.queueRows ?? 0, requests: () => batcher?.queueRequests ?? 0 },
    { processMetrics: opts.processMetrics },
  );
  const onBatch = (rows: number, requests: number, seconds: number): void => {
    metrics.batchRows.observe(rows);
    metrics.batchRequests.observe(requests);
    metrics.forwardSeconds.observe(seconds);
  };
  if (opts.batching.enabled) batcher = new Batcher(runBatch, { inputSize: INPUT_SIZE, ...opts.batching, onBatch });

  /** Batching off: the request's own forward pass, flattened the same way the batcher does it. */
  const runAlone = (pixels: number[][]): Float32Array => {
    const input = new Float32Array(pixels.length * INPUT_SIZE);
    pixels.forEach((row, i) => input.set(row, i * INPUT_SIZE));
    const t0 = process.hrtime.bigint();
    const out = runBatch(input, pixels.length);
    onBatch(pixels.length, 1, Number(process.hrtime.bigint() - t0) / 1e9);
    return out;
  };

  const app = Fastify({
    logger: { level: opts.logLevel },
    bodyLimit: BODY_LIMIT,
    // No type coercion: "Infinity", true and null are not pixels (Fastify's default would make them numbers).
    ajv: { customOptions: { coerceTypes: false } },
    // Fastify's message ("body/pixels/0/5 must be number"), then the rule it broke.
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(`${errors.map((e) => `${dataVar}${e.instancePath} ${e.message}`).join(', ')}. ${RULE}`),
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, message } = describeError(err);
    if (status === 503) reply.header('retry-after', String(opts.retryAfterSeconds));
    if (status === 500) req.log.error(err);
    void reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', code: err.code, message });
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  // Shutdown: Fastify has stopped routing new requests (they get 503); run the queued batch now so
  // that the requests in flight are answered before the server waits for their connections to end.
  app.addHook('preClose', async () => {
    batcher?.drain();
  });
  app.addHook('onClose', async () => {
    batcher?.close();
  });

  app.post<{ Body: PredictBody }>('/predict', { schema: predictSchema }, async (req) => {
    const { pixels } = req.body;
    const probs = batcher !== undefined ? await batcher.submit(pixels) : runAlone(pixels);
    return toResponse(probs, pixels.length);
  });

  app.get('/health', async () => ({
    status: 'ok',
    batching: opts.batching,
    queueRows: batcher?.queueRows ?? 0,
    backend: backendInfo(),
    memory: memory(),
  }));

  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
