/**
 * A tfjs model.json saved compiled (`includeOptimizer: true`) loads compiled,
 * with its optimizer's state, as tfjs-layers' `loadLayersModel` loads it:
 * one more `trainOnBatch` in Duet gives tfjs's loss and tfjs's predictions
 * afterwards. Fixtures: test/golden/gen_tfjs_training.mjs (tfjs-node's
 * tfjs-layers trains, saves, reloads and takes that step).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memory, tensor, type Tensor } from '@duet/core';
import * as keras from '../index.js';

const here = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'interop', 'tfjs_training');
interface Stored { shape: number[]; data: number[] }
const fx = JSON.parse(readFileSync(join(here, 'tfjs_training.json'), 'utf8')) as {
  versions: Record<string, string>;
  models: Record<string, { x: Stored; y: Stored; iterations: number; optimizer: string; trainOnBatch: number[]; predictAfter: Stored }>;
};
const tmp = mkdtempSync(join(tmpdir(), 'duet-tfjs-training-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const toTensor = (s: Stored) => tensor(s.data, { shape: s.shape });

/** A copy of fixture `name` with its model.json edited by `edit`. */
function variant(name: string, tag: string, edit: (json: any) => void): string {
  const dir = join(tmp, `${name}-${tag}`);
  cpSync(join(here, name), dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

const DUET_CLASS: Record<string, string> = { Adam: 'Adam', Momentum: 'SGD', Adagrad: 'Adagrad', RMSProp: 'RMSprop', SGD: 'SGD' };

describe('tfjs model.json with trainingConfig: compiled, the optimizer continuing where tfjs stopped', () => {
  it('the fixtures were made by tfjs-layers 4.22', () => {
    expect(fx.versions['tfjs-layers']).toBe('4.22.0');
    expect(Object.keys(fx.models)).toEqual(['adam', 'momentum', 'adagrad', 'rmsprop', 'sgd']);
  });

  for (const [name, f] of Object.entries(fx.models)) {
    it(`${name}: one more trainOnBatch gives tfjs's loss and tfjs's predictions after it`, async () => {
      const m = await keras.models.loadModel(join(here, name, 'model.json'));
      expect(m.compiled).not.toBeNull();
      expect(m.optimizer!.constructor.name).toBe(DUET_CLASS[f.optimizer]);
      expect(m.optimizer!.iterations).toBe(f.iterations - 1);
      const x = toTensor(f.x);
      const y = toTensor(f.y);
      const step = m.trainOnBatch(x, y);
      const losses = (Array.isArray(step) ? step : [step]) as number[];
      expect(losses.length).toBe(f.trainOnBatch.length);
      losses.forEach((v, i) => expect(Math.abs(v - f.trainOnBatch[i]!), `value ${i}: ${v} vs tfjs ${f.trainOnBatch[i]}`).toBeLessThan(1e-5));
      expect(m.optimizer!.iterations).toBe(f.iterations);
      const p = (await m.predict(x, { verbose: 0 })) as Tensor;
      expect(p.shape).toEqual(f.predictAfter.shape);
      const got = p.dataSync();
      const worst = Math.max(...f.predictAfter.data.map((v, i) => Math.abs(v - got[i]!)));
      expect(worst).toBeLessThan(1e-5);
      m.dispose();
      for (const t of [x, y, p]) t.dispose();
    });
  }

  it('a compiled load (optimizer slots restored) followed by dispose() leaves no tensors', async () => {
    for (const name of ['adam', 'rmsprop']) {
      (await keras.models.loadModel(join(here, name, 'model.json'))).dispose(); // warm-up: core's one-time caches
      const before = memory().numTensors;
      const m = await keras.models.loadModel(join(here, name, 'model.json'));
      expect(m.optimizer!.variables.length).toBeGreaterThan(0);
      m.dispose();
      expect(memory().numTensors, name).toBe(before);
    }
  });

  it('without the optimizer\'s state the step differs (the check above can fail)', async () => {
    const path = variant('adam', 'no-state', (j) => (j.weightsManifest[0].weights = j.weightsManifest[0].weights.filter((w: any) => w.group !== 'optimizer')));
    // The shard still holds the optimizer's bytes: cut it to the model's.
    const bin = readFileSync(join(dirname(path), 'weights.bin'));
    const j = JSON.parse(readFileSync(path, 'utf8'));
    const bytes = j.weightsManifest[0].weights.reduce((a: number, w: any) => a + 4 * w.shape.reduce((p: number, d: number) => p * d, 1), 0);
    writeFileSync(join(dirname(path), 'weights.bin'), bin.subarray(0, bytes));
    const m = await keras.models.loadModel(path);
    expect(m.optimizer!.iterations).toBe(0);
    const f = fx.models.adam!;
    const step = m.trainOnBatch(toTensor(f.x), toTensor(f.y)) as number[];
    expect(step[0]).toBeCloseTo(f.trainOnBatch[0]!, 5); // the loss is computed before the update
    const p = (await m.predict(toTensor(f.x), { verbose: 0 })) as Tensor;
    const got = p.dataSync();
    expect(Math.max(...f.predictAfter.data.map((v, i) => Math.abs(v - got[i]!)))).toBeGreaterThan(1e-4);
    m.dispose();
  });

  it('an optimizer state that does not fit the model is a typed error, leaving no tensors', async () => {
    const path = variant('adam', 'bad-state', (j) => {
      const w = j.weightsManifest[0].weights.find((x: any) => x.name.endsWith('/m'));
      w.name = 'elsewhere/m';
    });
    const before = memory().numTensors;
    const err = await keras.models.loadModel(path).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(keras.saving.SavingError);
    expect((err as keras.saving.SavingError).code).toBe('ERR_TFJS_WEIGHTS');
    expect((err as Error).message).toContain("optimizer weight 'elsewhere/m' [5, 8] is not the m of variable 'hidden/kernel' [5, 8]");
    expect(memory().numTensors).toBe(before);
  });

  it('tfjs\'s Adamax (no Duet class) loads uncompiled with a warning; sample_weight_mode is refused', async () => {
    const adamax = variant('sgd', 'adamax', (j) => (j.trainingConfig.optimizer_config = { class_name: 'Adamax', config: { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 } }));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const m = await keras.models.loadModel(adamax);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(m.compiled).toBeNull();
    expect(warnings.some((w) => w.includes("tfjs's Adamax optimizer, which Duet does not have"))).toBe(true);
    m.dispose();
    const temporal = variant('sgd', 'temporal', (j) => (j.trainingConfig.sample_weight_mode = 'temporal'));
    const err = await keras.models.loadModel(temporal).then(() => null, (e: unknown) => e);
    expect((err as keras.saving.SavingError).code).toBe('ERR_TFJS_MODEL');
    expect((err as Error).message).toContain('sample_weight_mode "temporal" is not supported');
  });
});
