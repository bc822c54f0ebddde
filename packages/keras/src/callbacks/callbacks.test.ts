import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, randn, tensor } from '@duet/core';
import * as keras from '../index.js';
import { formatTimePerUnit, formatValue } from '../utils/progbar.js';

class Recorder extends keras.callbacks.Callback {
  events: string[] = [];
  override onTrainBegin() { this.events.push('trainBegin'); }
  override onEpochBegin(e: number) { this.events.push(`epochBegin ${e}`); }
  override onTrainBatchBegin(b: number) { this.events.push(`batchBegin ${b}`); }
  override async onTrainBatchEnd(b: number, logs?: keras.callbacks.Logs) {
    await new Promise((r) => setTimeout(r, 1));
    this.events.push(`batchEnd ${b} ${Object.keys(logs ?? {}).join(',')}`);
  }
  override onEpochEnd(e: number, logs?: keras.callbacks.Logs) { this.events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).join(',')}`); }
  override onTestBegin() { this.events.push('testBegin'); }
  override onTestEnd() { this.events.push('testEnd'); }
  override onTrainEnd() { this.events.push('trainEnd'); }
}

function setup(): [keras.Sequential, Tensor, Tensor] {
  manualSeed(5);
  const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(3, { activation: 'softmax' })]);
  m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return [m, randn([8, 4]), tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' })];
}

/** A stream that records what is written (a terminal when `tty`). */
function sink(tty: boolean): Writable & { text: string; isTTY: boolean; columns: number } {
  const s = new Writable({ write(chunk, _enc, cb) { s.text += String(chunk); cb(); } }) as Writable & { text: string; isTTY: boolean; columns: number };
  s.text = '';
  s.isTTY = tty;
  s.columns = 120;
  return s;
}

describe('callbacks', () => {
  it('every hook runs in order, async hooks are awaited, batch logs carry the metric keys', async () => {
    const [m, x, y] = setup();
    const r = new Recorder();
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [r], validationData: [x, y] });
    expect(r.events).toEqual([
      'trainBegin',
      'epochBegin 0', 'batchBegin 0', 'batchEnd 0 accuracy,loss', 'batchBegin 1', 'batchEnd 1 accuracy,loss', 'testBegin', 'testEnd', 'epochEnd 0 accuracy,loss,val_accuracy,val_loss',
      'epochBegin 1', 'batchBegin 0', 'batchEnd 0 accuracy,loss', 'batchBegin 1', 'batchEnd 1 accuracy,loss', 'testBegin', 'testEnd', 'epochEnd 1 accuracy,loss,val_accuracy,val_loss',
      'trainEnd',
    ]);
  });

  it('hooks after an async one still run with their own `this`', async () => {
    const [m, x, y] = setup();
    const seen: string[] = [];
    class Slow extends keras.callbacks.Callback {
      override async onEpochEnd() {
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    class Named extends keras.callbacks.Callback {
      label = 'named';
      override onEpochEnd() {
        seen.push(this.label);
      }
    }
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new Slow(), new Named()] });
    expect(seen).toEqual(['named', 'named']);
  });

  it('a callback stops training through model.stopTraining', async () => {
    const [m, x, y] = setup();
    const stopper = new (class extends keras.callbacks.Callback {
      override onTrainBatchEnd(batch: number) {
        if (batch === 0) this.model!.stopTraining = true;
      }
    })();
    const seen: number[] = [];
    const counter = new keras.callbacks.LambdaCallback({ onTrainBatchBegin: (batch: number) => void seen.push(batch) });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 2, verbose: 0, callbacks: [stopper, counter] });
    expect(h.epoch).toEqual([0]);
    expect(seen).toEqual([0]); // Keras checks stop_training after each batch, not only at the epoch's end
  });

  it('EarlyStopping stops after `patience` epochs without improvement and can restore the best weights', async () => {
    const [m, x, y] = setup();
    const es = new keras.callbacks.EarlyStopping({ monitor: 'loss', patience: 1, minDelta: 10, restoreBestWeights: true });
    const before = m.getWeights().map((t) => t.toArray());
    const h = await m.fit(x, y, { epochs: 10, verbose: 0, callbacks: [es] });
    expect(h.epoch).toEqual([0, 1]);
    expect(es.stoppedEpoch).toBe(1);
    expect(es.bestEpoch).toBe(0);
    expect(m.getWeights().map((t) => t.toArray())).not.toEqual(before);
    expect(() => new keras.callbacks.EarlyStopping({ monitor: 'weird' }).onEpochEnd(0, { weird: 1 })).toThrow("isn't able to automatically determine");
  });

  it('History records each epoch; an explicit History is used instead of a new one', async () => {
    const [m, x, y] = setup();
    const hist = new keras.callbacks.History();
    const h = await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [hist] });
    expect(h).toBe(hist);
    expect(hist.history.loss!.length).toBe(2);
  });
});

describe('progress output', () => {
  it('formats values and step times like Keras', () => {
    expect(formatValue(0.26021)).toBe('0.2602');
    expect(formatValue(0.00012345)).toBe('1.2345e-04');
    expect(formatValue(Number.NaN)).toBe('nan');
    expect(formatTimePerUnit(0.0021)).toBe(' 2ms/step');
    expect(formatTimePerUnit(0.0000213)).toBe(' 21us/step');
    expect(formatTimePerUnit(2.4)).toBe(' 2s/step');
  });

  it('without a terminal (or with verbose 2): one line per epoch', async () => {
    const [m, x, y] = setup();
    const out = sink(false);
    await m.fit(x, y, { epochs: 2, batchSize: 4, callbacks: [new keras.callbacks.ProgbarLogger({ stream: out })] });
    const lines = out.text.trimEnd().split('\n');
    expect(lines.length).toBe(4);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[1]).toMatch(/^2\/2 - \d+s - \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$/);
    const out2 = sink(true);
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 2, callbacks: [new keras.callbacks.ProgbarLogger({ stream: out2 })] });
    expect(out2.text).toMatch(/^2\/2 - \d+s - \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n$/);
  });

  it("on a terminal: Keras's bar, redrawn in place, ending with the epoch's values", async () => {
    const [m, x, y] = setup();
    const out = sink(true);
    await m.fit(x, y, { epochs: 1, batchSize: 4, callbacks: [new keras.callbacks.ProgbarLogger({ stream: out })], validationData: [x, y] });
    // eslint-disable-next-line no-control-regex
    // Each redraw moves the cursor to column 1 (CSI G): split there, then drop the styles.
    const plain = out.text.replace(/\x1b\[\d*G/g, '\n').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
    const last = plain.split(/[\r\n]/).filter((l) => l.trim() !== '').pop()!;
    expect(last).toMatch(/^2\/2 ━{20} \d+s \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$/);
    expect(out.text).toContain('\x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m');
    expect(out.text.endsWith('\n')).toBe(true);
  });

  it('evaluate prints its own bar; verbose 0 prints nothing', async () => {
    const [m, x, y] = setup();
    const out = sink(false);
    await m.evaluate(x, y, { batchSize: 4, callbacks: [new keras.callbacks.ProgbarLogger({ stream: out })] });
    expect(out.text).toMatch(/^2\/2 - \d+s - \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n$/);
    const quiet = sink(false);
    await m.fit(x, y, { verbose: 0, callbacks: [] });
    expect(quiet.text).toBe('');
  });
});

describe('progress over an iterable of unknown length', () => {
  it('learns the number of steps from the first epoch', async () => {
    const [m, x, y] = setup();
    function* gen() {
      yield [x.narrow(0, 0, 4), y.narrow(0, 0, 4)];
      yield [x.narrow(0, 4, 4), y.narrow(0, 4, 4)];
    }
    const source = { [Symbol.iterator]: gen };
    const out = sink(false);
    const logger = new keras.callbacks.ProgbarLogger({ stream: out });
    await m.fit(source, undefined, { epochs: 2, callbacks: [logger] });
    const lines = out.text.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^2\/2 - /);
    expect(lines[3]).toMatch(/^2\/2 - /);
    expect(logger.params.steps).toBe(2);
  });
});

describe('progress bar cleanup', () => {
  it('a fit that fails mid-epoch leaves no redraw timer behind', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const out = sink(true);
    await expect(m.fit(tensor([[1, Number.NaN], [0, 1]]), tensor([[1], [0]]), { batchSize: 1, callbacks: [new keras.callbacks.ProgbarLogger({ stream: out })] })).rejects.toThrow(keras.NonFiniteLossError);
    expect(out.text).toContain('━');
    expect(timers()).toBe(before);
  });
});

describe('progress bar and signals', () => {
  it('holds a SIGINT listener only while drawing, so Ctrl-C still ends the process', async () => {
    const [m, x, y] = setup();
    const before = process.listenerCount('SIGINT');
    let during = -1;
    const probe = new (class extends keras.callbacks.Callback {
      override onTrainBatchEnd() {
        during = process.listenerCount('SIGINT');
      }
    })();
    // The logger draws after the probe's hook of the same batch: the listener exists from the first draw on.
    await m.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [probe, new keras.callbacks.ProgbarLogger({ stream: sink(true) })] });
    expect(during).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
