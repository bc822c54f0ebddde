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

/** A Fastify app with `POST /predict` (batch of 784-pixel rows) and `GET /health`. */
export function createServer(model: MnistMLP): FastifyInstance {
  model.eval();
  const app = Fastify();
  app.post<{ Body: PredictBody }>('/predict', {
    schema: {
      body: {
        type: 'object',
        required: ['pixels'],
        properties: { pixels: { type: 'array', minItems: 1, maxItems: 1024, items: { type: 'array', minItems: 784, maxItems: 784, items: { type: 'number' } } } },
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
