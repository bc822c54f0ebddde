/**
 * Serving a Duet model over HTTP with Fastify: each request runs inside
 * `scope()`, so every tensor it creates is released when the handler
 * returns and native memory stays flat however long the service runs.
 *
 *   pnpm exec tsx --conditions=source examples/serve.ts [weights.safetensors]
 *   curl -s localhost:3000/predict -H 'content-type: application/json' \
 *        -d '{"pixels": [[0, 0, ... 784 numbers in [0, 1] ...]]}'
 *
 * With a path it serves the MLP that `pnpm mnist` saved (mnist-mlp.safetensors);
 * without one, an untrained MLP of the same shape.
 *
 * Input rules (a 400 that says which pixel and why, never a 200 with null
 * probabilities): every pixel is a JSON number within float32's range
 * (|x| <= 3.4028234663852886e38; JSON's `1e39` parses to a finite double that
 * float32 cannot hold, `1e999` to Infinity); strings, booleans and nulls are
 * not numbers (Fastify's validator coerces types by default: turned off here).
 *
 * Size limits, which agree: at most MAX_ROWS (256) rows per request, and a
 * body limit (BODY_LIMIT, ~5 MB) computed from it at 25 bytes per pixel, the
 * longest a JavaScript number prints (`-1.2345678901234567e-100`) plus a
 * comma. So any MAX_ROWS rows that JSON.stringify writes fit (Fastify's 1 MB
 * default answered 413 from 72 rows of Math.random() pixels); more rows get a
 * 400 (or a 413 when the body is past the limit), both saying why.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Tensor, tensor, scope, noGrad, memory, backendInfo } from '@duet/core';
import { nn, load } from '@duet/nn';

export class MnistMLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

interface PredictBody {
  pixels: number[][];
}

/** Rows (images) per request. */
export const MAX_ROWS = 256;
/** The longest JSON a JavaScript number prints as (`-1.2345678901234567e-100`, 24 bytes) plus a comma. */
const BYTES_PER_PIXEL = 25;
/** Request body limit, in bytes: MAX_ROWS rows of 784 such pixels, brackets, and 1 KB for the rest. */
export const BODY_LIMIT = MAX_ROWS * (784 * BYTES_PER_PIXEL + 2) + 1024;
/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;
const RULE =
  `Expected {"pixels": [[784 numbers], ...]} with 1 to ${MAX_ROWS} rows, each pixel a finite JSON number ` +
  `within float32's range (|x| <= ${FLOAT32_MAX}); 1e999 is Infinity, and "0.5", true or null are not numbers.`;

/** A Fastify app with `POST /predict` (batch of 784-pixel rows) and `GET /health`. */
export function createServer(model: MnistMLP): FastifyInstance {
  model.eval();
  // No type coercion: "Infinity", true and null are not pixels (Fastify's default would make them numbers).
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { coerceTypes: false } },
    // Fastify's message ("body/pixels/0/5 must be number"), then the rule it broke.
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(`${errors.map((e) => `${dataVar}${e.instancePath} ${e.message}`).join(', ')}. ${RULE}`),
  });
  const pixel = { type: 'number', minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX };
  app.post<{ Body: PredictBody }>('/predict', {
    schema: {
      body: {
        type: 'object',
        required: ['pixels'],
        properties: { pixels: { type: 'array', minItems: 1, maxItems: MAX_ROWS, items: { type: 'array', minItems: 784, maxItems: 784, items: pixel } } },
      },
    },
  }, async (req) => {
    // Everything made inside scope() is released when it returns; only plain arrays leave it.
    return scope(() =>
      noGrad(() => {
        const probs = model.forward(tensor(req.body.pixels)).softmax(1);
        return { classes: probs.argmax(1).toArray() as number[], probabilities: probs.toArray() as number[][] };
      }),
    );
  });
  app.get('/health', async () => ({ ...backendInfo(), memory: memory() }));
  return app;
}

// Run as a program (not when imported by the tests).
if (import.meta.url === `file://${process.argv[1]}`) {
  const model = new MnistMLP();
  const path = process.argv[2];
  if (path !== undefined) model.loadStateDict(await load(path));
  const app = createServer(model);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen({ port, host: '127.0.0.1' });
  console.log(`serving ${path ?? 'an untrained MLP'} on http://127.0.0.1:${port} (POST /predict, GET /health)`);
}
