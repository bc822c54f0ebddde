import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, tensor } from '@duet/core';
import { unzipSync, zipSync } from 'fflate';
import * as keras from '../index.js';
import { SavingError } from './errors.js';
import { writeH5 } from './h5_store.js';
import { makeZip } from './archive.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-ksave-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = () => tensor(Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 5) / 5, ((i * 7) % 3) - 1]));
const y = () => tensor(Array.from({ length: 32 }, (_, i) => [Math.sin(i) + 0.5 * Math.cos(i), (i % 5) / 5]));

function mlp(): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: [4] }),
    new keras.layers.Dense(8, { activation: 'relu' }),
    new keras.layers.Dense(2),
  ]);
}

async function values(t: Tensor | Tensor[]): Promise<number[]> {
  const a = Array.isArray(t) ? t[0]! : t;
  return Array.from(a.dataSync());
}

describe('model.save / keras.models.loadModel', () => {
  it('writes Keras 3\'s archive: metadata.json, config.json, model.weights.h5', async () => {
    manualSeed(1);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const p = join(dir, 'layout.keras');
    await m.save(p);
    const files = unzipSync(readFileSync(p));
    expect(Object.keys(files).sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5']);
    const meta = JSON.parse(new TextDecoder().decode(files['metadata.json']));
    expect(meta.keras_version).toBe('3.15.1');
    expect(meta.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    expect(config.class_name).toBe('Sequential');
    expect(config.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['InputLayer', 'Dense', 'Dense']);
    expect(config.config.layers[1].config.use_bias).toBe(true);
    expect(config.config.layers[1].config.kernel_initializer.class_name).toBe('GlorotUniform');
    expect(config.config.layers[1].config.kernel_initializer.module).toBe('keras.initializers');
    expect(config.config.layers[1].build_config).toEqual({ input_shape: [null, 4] });
    expect(config.compile_config.optimizer.class_name).toBe('Adam');
    expect(config.compile_config.optimizer.config.beta_1).toBe(0.9);
    expect(config.compile_config.loss).toBe('mse');
    expect(config.compile_config.metrics).toEqual(['mae']);
    // No stray temporary file.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('round-trips a trained Sequential: same predictions, same optimizer state, training resumes identically', async () => {
    manualSeed(2);
    const a = mlp();
    a.compile({ optimizer: 'adam', loss: 'mse' });
    const [xa, ya] = [x(), y()];
    await a.fit(xa, ya, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const p = join(dir, 'trained.keras');
    await a.save(p);
    const b = await keras.models.loadModel(p);
    expect(b).toBeInstanceOf(keras.Sequential);
    expect(b.optimizer?.iterations).toBe(8);
    expect(await values(await b.predict(xa, { verbose: 0 }))).toEqual(await values(await a.predict(xa, { verbose: 0 })));
    // One more epoch on each: the loaded model continues exactly as the original.
    await a.fit(xa, ya, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await b.fit(xa, ya, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const wa = a.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = b.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wb).toEqual(wa);
  });

  it('round-trips a functional model with a branch', async () => {
    manualSeed(3);
    const inp = keras.Input({ shape: [4], name: 'x' });
    const h = new keras.layers.Dense(3, { activation: 'tanh', name: 'h' }).apply(inp);
    const cat = new keras.layers.Concatenate().apply([h, inp]);
    const out = new keras.layers.Dense(2, { name: 'out' }).apply(cat);
    const a = new keras.Model({ inputs: inp, outputs: out, name: 'branchy' });
    const p = join(dir, 'functional.keras');
    await a.save(p);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(p))['config.json']));
    expect(config.class_name).toBe('Functional');
    expect(config.config.input_layers).toEqual(['x', 0, 0]);
    expect(config.config.output_layers).toEqual(['out', 0, 0]);
    const b = await keras.models.loadModel(p);
    expect(b.isFunctional).toBe(true);
    expect(b.name).toBe('branchy');
    expect(b.layers.map((l) => l.name)).toEqual(a.layers.map((l) => l.name));
    const xa = x();
    expect(await values(await b.predict(xa, { verbose: 0 }))).toEqual(await values(await a.predict(xa, { verbose: 0 })));
  });

  it('includeOptimizer: false leaves the optimizer state out (the loaded model starts a fresh optimizer)', async () => {
    manualSeed(15);
    const a = mlp();
    a.compile({ optimizer: 'adam', loss: 'mse' });
    await a.fit(x(), y(), { epochs: 1, batchSize: 16, verbose: 0 });
    const p = join(dir, 'noopt.keras');
    await a.save(p, { includeOptimizer: false });
    const b = await keras.models.loadModel(p);
    expect(b.optimizer).toBeInstanceOf(keras.optimizers.Adam);
    expect(b.optimizer!.iterations).toBe(0);
    expect(b.optimizer!.built).toBe(false);
    expect(await values(await b.predict(x(), { verbose: 0 }))).toEqual(await values(await a.predict(x(), { verbose: 0 })));
  });

  it('round-trips a shared layer (one Dense applied to two inputs: two inbound nodes)', async () => {
    manualSeed(16);
    const a = keras.Input({ shape: [4], name: 'left' });
    const b = keras.Input({ shape: [4], name: 'right' });
    const shared = new keras.layers.Dense(3, { name: 'shared' });
    const out = new keras.layers.Subtract({ name: 'diff' }).apply([shared.apply(a), shared.apply(b)]);
    const m = new keras.Model({ inputs: [a, b], outputs: out, name: 'siamese' });
    const p = join(dir, 'shared.keras');
    await m.save(p);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(p))['config.json']));
    const sharedJson = config.config.layers.find((l: { name: string }) => l.name === 'shared');
    expect(sharedJson.inbound_nodes).toHaveLength(2);
    const diffJson = config.config.layers.find((l: { name: string }) => l.name === 'diff');
    expect(diffJson.inbound_nodes[0].args[0].map((t: { config: { keras_history: unknown } }) => t.config.keras_history)).toEqual([['shared', 0, 0], ['shared', 1, 0]]);
    const loaded = await keras.models.loadModel(p);
    expect(loaded.weights).toHaveLength(2);
    const [xa, xb] = [x(), x().mul(-1)];
    expect(await values(await loaded.predict([xa, xb], { verbose: 0 }))).toEqual(await values(await m.predict([xa, xb], { verbose: 0 })));
  });

  it('leaves no native tensors behind (save + load + predict)', async () => {
    manualSeed(4);
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const p = join(dir, 'leak.keras');
    await m.save(p); // warm-up: h5wasm, constant caches
    const before = memory().numTensors;
    await m.save(p);
    const b = await keras.models.loadModel(p);
    const created = b.weights.length;
    expect(memory().numTensors).toBe(before + created);
    for (const w of b.weights) w.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('writes atomically: a failing save leaves the previous file intact and no temp file', async () => {
    manualSeed(5);
    const m = mlp();
    const p = join(dir, 'atomic.keras');
    await m.save(p);
    const before = readFileSync(p);
    const bad = mlp();
    // A weight that cannot be read makes the save fail.
    bad.weights[0]!.dispose();
    await expect(bad.save(p)).rejects.toThrow();
    expect(readFileSync(p)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('custom layers', () => {
  class Scale extends keras.Layer {
    constructor(readonly factor: number, options = {}) { super(options); }
    override call(x: Tensor) { return x.mul(this.factor); }
    override getConfig() { return { ...super.getConfig(), factor: this.factor }; }
    static override fromConfig(c: Record<string, any>) { return new Scale(c.factor, c); }
  }

  it('a model with a custom layer loads once the class is registered (the docs\' example)', async () => {
    manualSeed(12);
    const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(3), new Scale(2.5, { name: 'scale' })]);
    const p = join(dir, 'custom.keras');
    // Saving already needs the class registered (Keras's serialize_keras_object needs a name to write).
    await expect(m.save(p)).rejects.toThrow(/registerSerializable\('layer', Scale\)/);
    keras.registerSerializable('layer', Scale);
    await m.save(p);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(p))['config.json']));
    expect(config.config.layers[2]).toMatchObject({ class_name: 'Scale', config: { name: 'scale', factor: 2.5 } });
    const b = await keras.models.loadModel(p);
    expect(b.layers[1]).toBeInstanceOf(Scale);
    expect(await values(await b.predict(x(), { verbose: 0 }))).toEqual(await values(await m.predict(x(), { verbose: 0 })));
  });
});

describe('subclassed models', () => {
  class TwoLayer extends keras.Model {
    hidden = new keras.layers.Dense(5, { activation: 'relu' });
    out = new keras.layers.Dense(2);
    override call(x: Tensor) { return this.out.apply(this.hidden.apply(x)); }
    static override fromConfig(c: Record<string, any>) { return new TwoLayer(c); }
  }

  it('an unregistered subclass is refused at save time (it would load as its parent class)', async () => {
    const m = new TwoLayer();
    m.apply(x());
    await expect(m.save(join(dir, 'sub.keras'))).rejects.toMatchObject({ code: 'ERR_KERAS_UNKNOWN_CLASS', message: expect.stringMatching(/registerSerializable\('layer', TwoLayer\)/) });
    class MyDense extends keras.layers.Dense {}
    const s = new keras.Sequential([keras.Input({ shape: [4] }), new MyDense(2)]);
    await expect(s.save(join(dir, 'sub.keras'))).rejects.toThrow(/MyDense is not registered \(only its parent class Dense is\)/);
  });

  it('a registered subclass is rebuilt from its build_config and predicts the same, optimizer state included', async () => {
    keras.registerSerializable('layer', TwoLayer);
    manualSeed(14);
    const a = new TwoLayer({ name: 'two' });
    a.compile({ optimizer: 'adam', loss: 'mse' });
    await a.fit(x(), y(), { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const p = join(dir, 'sub.keras');
    await a.save(p);
    const b = await keras.models.loadModel(p);
    expect(b).toBeInstanceOf(TwoLayer);
    expect(b.optimizer!.iterations).toBe(2);
    expect(await values(await b.predict(x(), { verbose: 0 }))).toEqual(await values(await a.predict(x(), { verbose: 0 })));
  });
});

describe('saveWeights / loadWeights', () => {
  it('round-trips the weights in Keras\'s h5 layout', async () => {
    manualSeed(6);
    const a = mlp();
    const b = mlp();
    const p = join(dir, 'w.weights.h5');
    await a.saveWeights(p);
    await b.loadWeights(p);
    expect(b.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(a.getWeights().map((t) => Array.from(t.dataSync())));
  });

  it('refuses weights of other shapes and changes nothing', async () => {
    manualSeed(7);
    const a = mlp();
    const other = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(8, { activation: 'relu' }), new keras.layers.Dense(3)]);
    const p = join(dir, 'other.weights.h5');
    await other.saveWeights(p);
    const before = a.getWeights().map((t) => Array.from(t.dataSync()));
    const err = await a.loadWeights(p).catch((e) => e);
    expect(err).toBeInstanceOf(SavingError);
    expect(err.code).toBe('ERR_KERAS_WEIGHTS_MISMATCH');
    expect(err.message).toMatch(/shape \[8,2\].*shape \[8,3\]/);
    expect(a.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(before);
  });

  it('requires the Keras file extensions', async () => {
    const m = mlp();
    await expect(m.save(join(dir, 'm.h5'))).rejects.toMatchObject({ code: 'ERR_KERAS_SAVE_PATH' });
    await expect(m.saveWeights(join(dir, 'm.h5'))).rejects.toMatchObject({ code: 'ERR_KERAS_SAVE_PATH' });
  });
});

describe('loading damaged or hostile files', () => {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  const meta = enc({ keras_version: '3.15.1', date_saved: '2026-01-01@00:00:00' });

  it('an unknown layer class names it and says how to register it', async () => {
    const config = { module: 'keras', class_name: 'Sequential', config: { name: 's', layers: [{ module: 'my_pkg', class_name: 'MyFancyLayer', config: { name: 'f' }, registered_name: 'my_pkg>MyFancyLayer' }] } };
    const p = join(dir, 'unknown.keras');
    writeFileSync(p, makeZip({ 'config.json': enc(config), 'metadata.json': meta, 'model.weights.h5': await writeH5(new Map()) }));
    const err = await keras.models.loadModel(p).catch((e) => e);
    expect(err).toBeInstanceOf(keras.saving.UnknownClassError);
    expect(err.code).toBe('ERR_KERAS_UNKNOWN_CLASS');
    expect(err.message).toMatch(/MyFancyLayer/);
    expect(err.message).toMatch(/registerSerializable\('layer', MyFancyLayer\)/);
  });

  it('a truncated archive is an ERR_KERAS_ZIP', async () => {
    const m = mlp();
    const p = join(dir, 'full.keras');
    await m.save(p);
    const bytes = readFileSync(p);
    const t = join(dir, 'truncated.keras');
    writeFileSync(t, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(keras.models.loadModel(t)).rejects.toMatchObject({ code: 'ERR_KERAS_ZIP' });
    writeFileSync(t, new TextEncoder().encode('not a zip at all, just text that goes on for a while'));
    await expect(keras.models.loadModel(t)).rejects.toMatchObject({ code: 'ERR_KERAS_ZIP' });
  });

  it('path-traversal entry names are refused and nothing is written outside', async () => {
    const p = join(dir, 'evil.keras');
    writeFileSync(p, zipSync({ '../evil.txt': enc('x'), 'config.json': enc({}), 'metadata.json': meta }));
    const listing = readdirSync(join(dir, '..'));
    const err = await keras.models.loadModel(p).catch((e) => e);
    expect(err).toBeInstanceOf(SavingError);
    expect(err.code).toBe('ERR_KERAS_ZIP_ENTRY');
    expect(err.message).toMatch(/\.\.\/evil\.txt/);
    expect(readdirSync(join(dir, '..'))).toEqual(listing);
    writeFileSync(p, zipSync({ '/abs/config.json': enc({}) }));
    await expect(keras.models.loadModel(p)).rejects.toMatchObject({ code: 'ERR_KERAS_ZIP_ENTRY' });
  });

  it('an HDF5 dataset with an absurd shape is refused before it is read', async () => {
    const m = mlp();
    const p = join(dir, 'absurd.weights.h5');
    // A dataset that claims far more values than the file holds cannot be written by HDF5 itself;
    // one whose shape does not match the model is checked before reading.
    const vars = new Map([['layers/dense', [{ shape: [4, 8], data: new Float32Array(32) }, { shape: [8], data: new Float32Array(8) }]], ['layers/dense_1', [{ shape: [100000, 2], data: new Float32Array(200000) }, { shape: [2], data: new Float32Array(2) }]]]);
    writeFileSync(p, await writeH5(vars));
    await expect(m.loadWeights(p)).rejects.toMatchObject({ code: 'ERR_KERAS_WEIGHTS_MISMATCH' });
    writeFileSync(p, new TextEncoder().encode('\x89HDF\r\n\x1a\n then garbage'));
    await expect(m.loadWeights(p)).rejects.toMatchObject({ code: 'ERR_KERAS_H5' });
  });

  it('a missing config.json or invalid JSON is a typed error', async () => {
    const p = join(dir, 'noconfig.keras');
    writeFileSync(p, makeZip({ 'metadata.json': meta }));
    await expect(keras.models.loadModel(p)).rejects.toMatchObject({ code: 'ERR_KERAS_ZIP_ENTRY' });
    writeFileSync(p, makeZip({ 'metadata.json': meta, 'config.json': new TextEncoder().encode('{not json') }));
    await expect(keras.models.loadModel(p)).rejects.toMatchObject({ code: 'ERR_KERAS_CONFIG' });
  });
});
