/**
 * examples/transfer.ts on 1000 MNIST images: both ways (Keras -> nn through
 * .keras and safetensors, nn -> Keras through safetensors and .weights.h5)
 * give the same probabilities within TOLERANCE, the four files exist, and
 * both trained models beat chance.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TOLERANCE, main } from '../examples/transfer.js';

describe('examples/transfer', () => {
  it('moves trained weights both ways and predicts the same', async () => {
    const r = await main({ quick: true, epochs: 1, limit: 1000 }, () => {});
    try {
      expect(r.kerasToNn.maxDiff).toBeLessThanOrEqual(TOLERANCE);
      expect(r.nnToKeras.maxDiff).toBeLessThanOrEqual(TOLERANCE);
      expect(r.kerasToNn.nnAccuracy).toBe(r.kerasToNn.kerasAccuracy);
      expect(r.nnToKeras.kerasAccuracy).toBe(r.nnToKeras.nnAccuracy);
      expect(r.kerasToNn.kerasAccuracy).toBeGreaterThan(0.5);
      expect(r.nnToKeras.nnAccuracy).toBeGreaterThan(0.5);
      for (const f of ['mlp-keras.keras', 'mlp-from-keras.safetensors', 'mlp-nn.safetensors', 'mlp-from-nn.weights.h5']) expect(existsSync(join(r.dir, f)), f).toBe(true);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  }, 30_000);
});
