/**
 * TensorFlow.js layers models in Duet (issue 10): `keras.models.loadModel(
 * 'dir/model.json')` on models built and saved by tfjs-node's own
 * tfjs-layers (test/golden/gen_tfjs_layers.mjs: model.json + weights.bin,
 * and tfjs's predictions in tfjs.json). Duet must predict what tfjs
 * predicted; broken or mismatched files are typed errors naming the weight
 * and the shard.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memory, scope, tensor, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { expectClose, expectNoLeaks } from '../helpers.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'tfjs');
interface Stored { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
const fx = JSON.parse(readFileSync(join(here, 'tfjs.json'), 'utf8')) as {
  versions: Record<string, string>;
  models: Record<string, { inputs: Stored[]; predict: { shape: number[]; data: number[] }; layers: [string, string][]; weights: string[] }>;
};
const NAMES = ['mlp', 'two_input', 'conv_bn', 'lstm_gru', 'rnn_plain', 'nested'];
const tmp = mkdtempSync(join(tmpdir(), 'duet-tfjs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const toTensor = (s: Stored) => tensor(s.data, { shape: s.shape, dtype: s.dtype });
async function predict(m: keras.Model, name: string): Promise<Tensor> {
  const xs = fx.models[name]!.inputs.map(toTensor);
  return (await m.predict(xs.length > 1 ? xs : xs[0]!, { verbose: 0 })) as Tensor;
}

/** A copy of fixture `name` in a temporary folder, with its model.json rewritten by `edit`. */
function variant(name: string, tag: string, edit: (json: any) => void = () => undefined): string {
  const dir = join(tmp, `${name}-${tag}`);
  cpSync(join(here, name), dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

/** `loadModel(path)` must fail, leaving no tensors; the error. */
async function refused(path: string): Promise<any> {
  const before = memory().numTensors;
  const err = await keras.models.loadModel(path).then(() => null, (e) => e);
  expect(err, `${path} was loaded`).not.toBeNull();
  expect(memory().numTensors, 'tensors left behind').toBe(before);
  return err;
}

it('the fixtures were made by tfjs-layers 4.22', () => {
  expect(Object.keys(fx.models)).toEqual(NAMES);
  expect(fx.versions['tfjs-layers']).toBe('4.22.0');
});

describe('tfjs-layers model.json -> Duet', () => {
  for (const name of NAMES) {
    it(`${name}: loads with tfjs's layer names and weights, and predicts what tfjs predicted (1e-5)`, async () => {
      const m = await keras.models.loadModel(join(here, name, 'model.json'));
      const layers = m.layers.map((l) => l.name).filter((n) => !n.endsWith('_input'));
      expect(layers).toEqual(fx.models[name]!.layers.map(([, n]) => n).filter((n) => !n.endsWith('_input')));
      expect(m.weights.map((w) => w.path).sort()).toEqual([...fx.models[name]!.weights].sort());
      expectClose(await predict(m, name), { shape: fx.models[name]!.predict.shape, values: fx.models[name]!.predict.data }, { atol: 1e-5, rtol: 0 });
    });
  }

  it('tfjs-node\'s spelling of a local path, file://, is accepted', async () => {
    const m = await keras.models.loadModel(`file://${join(here, 'mlp', 'model.json')}`);
    expectClose(await predict(m, 'mlp'), { shape: fx.models.mlp!.predict.shape, values: fx.models.mlp!.predict.data }, { atol: 1e-5, rtol: 0 });
  });

  it('tfjs\'s hard_sigmoid (the LSTM/GRU default) is Keras 2\'s clip(0.2x + 0.5), not Keras 3\'s', async () => {
    const m = await keras.models.loadModel(join(here, 'rnn_plain', 'model.json'));
    const gru = m.getLayer('gru') as unknown as { recurrentActivation: unknown };
    expect(gru.recurrentActivation).toBe(keras.saving.hardSigmoidKeras2);
    const x = tensor([-3, -2.5, 0, 1, 2.5, 3]);
    expect(Array.from(keras.saving.hardSigmoidKeras2(x).dataSync())).toEqual([0, 0, 0.5, Math.fround(0.7), 1, 1]);
  });

  it('a model with tfjs\'s hard_sigmoid is refused at .keras save time (Keras 3 has no such function); its weights still save', async () => {
    const m = await keras.models.loadModel(join(here, 'rnn_plain', 'model.json'));
    const err = await m.save(join(tmp, 'rnn_plain.keras')).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(keras.saving.SavingError);
    expect(err.message).toMatch(/Cannot save layer 'gru' as \.keras: its recurrent_activation is Keras 2's and tfjs's hard_sigmoid/);
    await m.saveWeights(join(tmp, 'rnn_plain.weights.h5'));
  });

  it('loading leaves only the model\'s variables; predicting leaks nothing', async () => {
    const ids = toTensor(fx.models.lstm_gru!.inputs[0]!);
    const warm = await keras.models.loadModel(join(here, 'lstm_gru', 'model.json')); // warms Duet's caches (scalar constants)
    scope(() => void warm.apply(ids));
    for (const w of warm.weights) w.dispose();
    const before = memory().numTensors;
    const m = await keras.models.loadModel(join(here, 'lstm_gru', 'model.json'));
    expect(memory().numTensors).toBe(before + m.weights.length);
    expectNoLeaks(() => void m.apply(ids));
    for (const w of m.weights) w.dispose();
    expect(memory().numTensors).toBe(before);
    ids.dispose();
  });

  it('a loaded tfjs model saves as .keras and loads back with the same predictions', async () => {
    const m = await keras.models.loadModel(join(here, 'conv_bn', 'model.json'));
    const p = join(tmp, 'conv_bn.keras');
    await m.save(p);
    const back = await keras.models.loadModel(p);
    expect(Array.from((await predict(back, 'conv_bn')).dataSync())).toEqual(Array.from((await predict(m, 'conv_bn')).dataSync()));
  });

  it('weights split over several shards load the same; an error names the shard the weight is in', async () => {
    const dir = join(tmp, 'mlp-sharded');
    cpSync(join(here, 'mlp'), dir, { recursive: true });
    const bin = readFileSync(join(dir, 'weights.bin'));
    const cut = Math.floor(bin.length / 2) + 3; // not on a weight boundary
    writeFileSync(join(dir, 'group1-shard1of2.bin'), bin.subarray(0, cut));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), bin.subarray(cut));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const m = await keras.models.loadModel(join(dir, 'model.json'));
    expectClose(await predict(m, 'mlp'), { shape: fx.models.mlp!.predict.shape, values: fx.models.mlp!.predict.data }, { atol: 1e-5, rtol: 0 });
    // The last weight starts in the second shard.
    const last = json.weightsManifest[0].weights.at(-1);
    last.shape = [...last.shape].reverse().concat([1]);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const err = await refused(join(dir, 'model.json'));
    expect(err.message).toContain(`weight '${last.name}' in shard 'group1-shard2of2.bin' has shape`);
  });
});

describe('the Keras 2 forms tensorflowjs_converter writes', () => {
  it('a topology nested under model_config (beside training_config), functional class Functional, loads and predicts the same', async () => {
    const p = variant('two_input', 'converter', (j) => {
      j.generatedBy = 'keras v2.15.0';
      j.convertedBy = 'TensorFlow.js Converter v4.22.0';
      j.modelTopology.class_name = 'Functional';
      j.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: j.modelTopology, training_config: { loss: 'mse', optimizer_config: { class_name: 'Adam', config: {} } } };
    });
    const m = await keras.models.loadModel(p);
    expect(m.compiled).toBeNull();
    expectClose(await predict(m, 'two_input'), { shape: fx.models.two_input!.predict.shape, values: fx.models.two_input!.predict.data }, { atol: 1e-5, rtol: 0 });
  });

  it('a Sequential whose first layer is an explicit InputLayer (tf.keras 2), and Keras 2.0\'s bare list of layers', async () => {
    const p = variant('mlp', 'inputlayer', (j) => {
      const layers = j.modelTopology.config.layers;
      const shape = layers[0].config.batch_input_shape;
      delete layers[0].config.batch_input_shape;
      layers.unshift({ class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: 'float32', sparse: false, ragged: false, name: 'features' } });
    });
    const m = await keras.models.loadModel(p);
    expectClose(await predict(m, 'mlp'), { shape: fx.models.mlp!.predict.shape, values: fx.models.mlp!.predict.data }, { atol: 1e-5, rtol: 0 });
    const q = variant('mlp', 'barelist', (j) => { j.modelTopology.config = j.modelTopology.config.layers; });
    expectClose(await predict(await keras.models.loadModel(q), 'mlp'), { shape: fx.models.mlp!.predict.shape, values: fx.models.mlp!.predict.data }, { atol: 1e-5, rtol: 0 });
  });
});

describe('broken and mismatched tfjs files', () => {
  it('an unknown layer class is a typed error naming it and how to register it', async () => {
    const p = variant('mlp', 'unknown', (j) => { j.modelTopology.config.layers[1].class_name = 'MyCustomLayer'; });
    const err = await refused(p);
    expect(err).toBeInstanceOf(keras.saving.UnknownClassError);
    expect(err.code).toBe('ERR_KERAS_UNKNOWN_CLASS');
    expect(err.message).toContain("unknown layer class 'MyCustomLayer'");
    expect(err.message).toContain("keras.registerSerializable('layer', MyCustomLayer)");
  });

  it('a weight whose shape differs from the model\'s names the weight, the shard and both shapes', async () => {
    const p = variant('mlp', 'shape', (j) => { j.weightsManifest[0].weights[0].shape = [10, 6]; });
    const err = await refused(p);
    expect(err.code).toBe('ERR_TFJS_WEIGHTS');
    expect(err.message).toBe(`${p}: weight 'hidden/kernel' in shard 'weights.bin' has shape [10, 6]; variable 'hidden/kernel' expects [6, 10].`);
  });

  it('a weight of another dtype names the weight and the shard', async () => {
    const p = variant('mlp', 'dtype', (j) => { j.weightsManifest[0].weights[1].dtype = 'int32'; });
    const err = await refused(p);
    expect(err.message).toBe(`${p}: weight 'hidden/bias' in shard 'weights.bin' has dtype int32; variable 'hidden/bias' is float32.`);
    const q = variant('mlp', 'complex', (j) => { j.weightsManifest[0].weights[1].dtype = 'complex64'; });
    expect((await refused(q)).message).toMatch(/weight 'hidden\/bias' \(shard 'weights\.bin'\) has dtype "complex64"; expected float32, int32 or bool/);
  });

  it('a truncated shard, a shard with extra bytes, a missing shard', async () => {
    const p = variant('conv_bn', 'short');
    const bin = readFileSync(join(dirname(p), 'weights.bin'));
    writeFileSync(join(dirname(p), 'weights.bin'), bin.subarray(0, bin.length - 8));
    expect((await refused(p)).message).toMatch(/weight 'bn2\/moving_variance' \[6\] float32 needs 24 bytes at byte \d+ of weights group 0 \(weights\.bin\), which holds only \d+ bytes: a shard is missing or truncated/);
    writeFileSync(join(dirname(p), 'weights.bin'), Buffer.concat([bin, Buffer.alloc(4)]));
    expect((await refused(p)).message).toMatch(/weights group 0 \(weights\.bin\) holds \d+ bytes, but its 14 weights take \d+/);
    rmSync(join(dirname(p), 'weights.bin'));
    expect((await refused(p)).message).toMatch(/cannot read weight shard 'weights\.bin'/);
  });

  it('a manifest weight the model lacks, and a model variable the manifest lacks, are named', async () => {
    const p = variant('mlp', 'rename', (j) => { j.weightsManifest[0].weights[5].name = 'probs/other'; });
    const err = await refused(p);
    expect(err.message).toMatch(/the model's variable 'probs\/bias' \[3\] is not in the weights manifest/);
  });

  it('shard paths that leave the model\'s folder are refused', async () => {
    for (const bad of ['../weights.bin', '/etc/passwd', 'a/../../weights.bin']) {
      const p = variant('mlp', `slip${bad.length}`, (j) => { j.weightsManifest[0].paths = [bad]; });
      const err = await refused(p);
      expect(err.code).toBe('ERR_TFJS_WEIGHTS');
      expect(err.message).toContain(`refusing weight shard path ${JSON.stringify(bad)}`);
    }
  });

  it('a graph model, or a model.json that is not JSON (line and column), is refused', async () => {
    const g = variant('mlp', 'graph', (j) => { j.format = 'graph-model'; });
    expect((await refused(g)).message).toMatch(/a tfjs graph model/);
    const p = join(tmp, 'bad.json');
    writeFileSync(p, '{\n  "format": "layers-model",\n  "modelTopology": {]\n}');
    const err = await refused(p);
    expect(err.code).toBe('ERR_TFJS_MODEL');
    expect(err.message).toContain(`${p}: not valid JSON at line 3, column 21: expected a string`);
  });

  it('quantized weights (uint8, uint16, float16, as tfjs\'s converter writes them) are dequantized', async () => {
    const dir = join(tmp, 'mlp-quant');
    cpSync(join(here, 'mlp'), dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const f32 = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
    const parts: Buffer[] = [];
    let off = 0;
    const bounds: number[] = [];
    json.weightsManifest[0].weights.forEach((w: any, i: number) => {
      const n = w.shape.reduce((a: number, b: number) => a * b, 1);
      const v = f32.subarray(off, off + n);
      off += n;
      if (i % 3 !== 2) {
        // uint8 / uint16 affine: q = round((v - min) / scale)
        const bits = i % 3 === 0 ? 8 : 16;
        const min = Math.min(...v);
        const scale = (Math.max(...v) - min) / (2 ** bits - 1);
        const q = Array.from(v, (x) => Math.round((x - min) / scale));
        parts.push(bits === 8 ? Buffer.from(q) : Buffer.from(new Uint16Array(q).buffer));
        w.quantization = { dtype: `uint${bits}`, scale, min, original_dtype: 'float32' };
        bounds.push(scale / 2 + 1e-6);
      } else {
        parts.push(Buffer.from(new Uint16Array(Array.from(v, toHalf)).buffer));
        w.quantization = { dtype: 'float16', original_dtype: 'float32' };
        bounds.push(Math.max(...Array.from(v, Math.abs)) * 2 ** -11 + 1e-7);
      }
    });
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(parts));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const m = await keras.models.loadModel(join(dir, 'model.json'));
    const exact = await keras.models.loadModel(join(here, 'mlp', 'model.json'));
    m.weights.forEach((w, i) => {
      const a = w.dataSync();
      const b = exact.weights[i]!.dataSync();
      const worst = Math.max(...Array.from(a, (x, k) => Math.abs(x - b[k]!)));
      expect(worst, w.path).toBeLessThanOrEqual(bounds[i]!);
      expect(worst, `${w.path} was not quantized`).toBeGreaterThan(0);
    });
  });
});

/** float32 -> IEEE half bits, round to nearest even (normal range only: the fixture's weights are within it). */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return h;
}
