/**
 * `pnpm mnist` (examples/mnist/main.ts) end to end, in a child process as a
 * user runs it: --quick --epochs 1 into a temporary folder, then the table,
 * the SVG report and both saved models are checked; Ctrl-C after the first
 * epoch exits 130 and writes nothing. Nothing here reads timings or
 * TensorFlow's stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as keras from '@duet/keras';
import { load } from '@duet/nn';
import { noGrad, type Tensor } from '@duet/core';
import { loadMnistTensors } from '@duet/data';
import { OptionError, parseOptions } from '../examples/mnist/options.js';
import { MyModel } from '../examples/mnist/nn-run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = 'examples/mnist/main.ts';

interface Run {
  code: number | null;
  stdout: string;
}

/** `node --import tsx --conditions=source examples/mnist/main.ts ...args`, as `pnpm mnist` runs it. */
function start(args: string[], onStdout?: (text: string, kill: () => void) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    onStdout?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** Tags balanced and nested, one root element: enough to know the file parses as XML. */
function xmlRoot(text: string): string {
  const body = text.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '').trim();
  const stack: string[] = [];
  let root = '';
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      if (stack.length === 0) {
        if (root !== '') throw new Error('more than one root element');
        root = name!;
      }
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length !== 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  return root;
}

/** The table row of one style: its cells. */
function row(stdout: string, style: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`| ${style} `));
  expect(line, `a table row for ${style} in:\n${stdout}`).toBeDefined();
  return line!.split('|').slice(1, -1).map((c) => c.trim());
}

/** The first 1000 test images as `[1000, 784]` in [0, 1] and their labels (what --quick tests on). */
function quickTestSet(): [Tensor, number[]] {
  const [images, labels] = loadMnistTensors({ train: false });
  const x = images.narrow(0, 0, 1000).float().reshape([-1, 784]).div(255);
  const y = labels.narrow(0, 0, 1000).toArray() as number[];
  return [x, y];
}

function accuracy(logits: Tensor, labels: number[]): number {
  const pred = logits.argmax(1).toArray() as number[];
  return pred.filter((p, i) => p === labels[i]).length / labels.length;
}

describe('pnpm mnist options', () => {
  it('defaults to the seed: 5 epochs, batch 32, out/', () => {
    expect(parseOptions([])).toEqual({ epochs: 5, batchSize: 32, device: undefined, quick: false, out: 'out' });
    expect(parseOptions(['--quick'])).toMatchObject({ epochs: 1, quick: true });
    expect(parseOptions(['--quick', '--epochs=3', '--batch-size', '64', '--device', 'gpu', '--out', 'x'])).toEqual({ epochs: 3, batchSize: 64, device: 'gpu', quick: true, out: 'x' });
  });
  it('refuses bad values with a typed error that says what was expected', () => {
    expect(() => parseOptions(['--epochs', '-1'])).toThrow(OptionError);
    expect(() => parseOptions(['--epochs', '-1'])).toThrow('--epochs expected a positive integer, received -1.');
    expect(() => parseOptions(['--batch-size', '0'])).toThrow('--batch-size expected a positive integer, received 0.');
    expect(() => parseOptions(['--epochs'])).toThrow('--epochs expected a positive integer, received nothing.');
    expect(() => parseOptions(['--device', 'tpu'])).toThrow('--device expected cpu or gpu, received tpu.');
    expect(() => parseOptions(['--epoch', '2'])).toThrow(/Unknown option --epoch; expected one of --epochs/);
    try {
      parseOptions(['--epochs', 'two']);
    } catch (e) {
      expect((e as OptionError).code).toBe('ERR_MNIST_OPTION');
    }
  });
});

describe('pnpm mnist --quick --epochs 1', () => {
  let dir: string;
  let run: Run;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-mnist-'));
    run = await start(['--quick', '--epochs', '1', '--out', dir]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints one table row per style', () => {
    expect(run.code, run.stdout).toBe(0);
    for (const style of ['Keras', 'nn.Module']) {
      const [, params, epochs, time, kernels, acc, peak] = row(run.stdout, style);
      expect(params).toBe('101,770');
      expect(epochs).toBe('1');
      expect(time).toMatch(/^\d+\.\d\d s$/);
      expect(Number(kernels)).toBeGreaterThan(10);
      expect(acc).toMatch(/^\d+\.\d\d %$/);
      expect(parseFloat(acc!)).toBeGreaterThan(70); // 6000 images, one epoch: ~85-90 %
      expect(peak).toMatch(/^\d+\.\d MiB \/ \d+ tensors$/);
    }
    expect(run.stdout).toMatch(/^Epoch 1\/1 - .*accuracy: 0\.\d{4} - loss: \d\.\d{4}$/m); // the nn run's epoch line
  });

  it('writes an SVG with the loss and accuracy series of both styles', () => {
    const svg = readFileSync(join(dir, 'mnist-report.svg'), 'utf8');
    expect(xmlRoot(svg)).toBe('svg');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const name of ['Keras loss', 'Keras accuracy', 'nn.Module loss', 'nn.Module accuracy']) expect(svg).toContain(`>${name}</text>`);
    expect(readdirSync(dir).sort()).toEqual(['mnist-keras.keras', 'mnist-nn.safetensors', 'mnist-report.svg']);
  });

  it('saves a .keras model that loads back and predicts what it reported', async () => {
    const model = await keras.models.loadModel(join(dir, 'mnist-keras.keras'));
    const [x, y] = quickTestSet();
    const probs = (await model.predict(x, { batchSize: 1000, verbose: 0 })) as Tensor;
    expect(probs.shape).toEqual([1000, 10]);
    const reported = parseFloat(row(run.stdout, 'Keras')[5]!) / 100;
    expect(Math.abs(accuracy(probs, y) - reported)).toBeLessThanOrEqual(0.002);
  });

  it("saves a .safetensors state dict that nn's load reads into the seed model", async () => {
    const model = new MyModel();
    model.loadStateDict(await load(join(dir, 'mnist-nn.safetensors')));
    const [x, y] = quickTestSet();
    const logits = noGrad(() => model.forward(x));
    expect(logits.shape).toEqual([1000, 10]);
    const reported = parseFloat(row(run.stdout, 'nn.Module')[5]!) / 100;
    expect(Math.abs(accuracy(logits, y) - reported)).toBeLessThanOrEqual(0.002);
  });
});

describe('pnpm mnist and Ctrl-C', () => {
  it('stops after SIGINT with exit code 130, prints what was done, and writes no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-mnist-int-'));
    try {
      let sent = false;
      // The Keras run's first epoch line (without a terminal: "188/188 - 1s - ..."), then Ctrl-C.
      const run = await start(['--quick', '--epochs', '50', '--out', dir], (text, kill) => {
        if (!sent && /^\d+\/\d+ - /m.test(text)) {
          sent = true;
          kill();
        }
      });
      expect(sent, run.stdout).toBe(true);
      expect(run.code, run.stdout).toBe(130);
      expect(run.stdout).toMatch(/Interrupted \(Keras: \d+ of 50 epochs/);
      expect(run.stdout).toContain('No files written.');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
