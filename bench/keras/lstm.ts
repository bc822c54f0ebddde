/**
 * A Keras text classifier, Duet vs Keras 3 in Python on the same machine:
 * Embedding(1000, 64) -> LSTM(128) -> Dense(2, softmax), Adam, sparse
 * categorical crossentropy, batch 32, sequences of 50 ids (right-padded with
 * 0: lengths 10..50), `model.fit` over one epoch of BATCHES batches after a
 * warm-up fit. Three variants: plain (Duet: the LSTM is one fused TensorFlow
 * kernel each way, core's lstmLayer), `maskZero: true` on the right-padded
 * ids, and `maskZero: true` on the same ids pre-padded (Keras's
 * `pad_sequences` default). Duet runs both padded variants fused; Keras
 * honours the mask in its generic loop.
 *
 * Reports ms per training batch (median of REPS rounds alternating Duet and
 * Keras, default 3) and native kernels per training step (core's countKernels
 * around one `trainOnBatch`). Keras runs bench/keras/lstm_keras.py when
 * .venv-ref exists (SKIP_KERAS=1 to skip).
 *
 *   pnpm exec tsx --conditions=source bench/keras/lstm.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo, countKernels, manualSeed, tensor } from '@duet/core';
import * as keras from '@duet/keras';

const VOCAB = 1000;
const EMB = 64;
const UNITS = 128;
const LEN = 50;
const BATCH = 32;
const BATCHES = Number(process.env.BATCHES ?? 40);
const REPS = Number(process.env.REPS ?? 3);
const N = BATCH * BATCHES;
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
const runPython = process.env.SKIP_KERAS !== '1' && existsSync(py);

manualSeed(0);
// The same ids and labels on both sides, from one file each.
const ids = new Int32Array(N * LEN);
const labels = new Int32Array(N);
let s = 12345;
const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
for (let i = 0; i < N; i++) {
  const len = 10 + (next() % (LEN - 9));
  for (let t = 0; t < len; t++) ids[i * LEN + t] = 1 + (next() % (VOCAB - 1));
  labels[i] = next() % 2;
}
const tokFile = join(tmpdir(), `duet-keras-lstm-${process.pid}.ids`);
const labFile = join(tmpdir(), `duet-keras-lstm-${process.pid}.labels`);
writeFileSync(tokFile, ids);
writeFileSync(labFile, labels);
// The same ids pre-padded (Keras's pad_sequences default, padding='pre'): each row's ids moved to its end.
const idsPre = new Int32Array(N * LEN);
for (let i = 0; i < N; i++) {
  let len = 0;
  while (len < LEN && ids[i * LEN + len] !== 0) len++;
  idsPre.set(ids.subarray(i * LEN, i * LEN + len), i * LEN + LEN - len);
}
const x = tensor(ids, { shape: [N, LEN], dtype: 'int32' }).keep();
const xPre = tensor(idsPre, { shape: [N, LEN], dtype: 'int32' }).keep();
const xs = { right: x, pre: xPre };
const y = tensor(labels, { shape: [N], dtype: 'int32' }).keep();

function model(maskZero: boolean): keras.Sequential {
  const m = new keras.Sequential([
    keras.Input({ shape: [LEN], dtype: 'int32' }),
    new keras.layers.Embedding(VOCAB, EMB, { maskZero }),
    new keras.layers.LSTM(UNITS),
    new keras.layers.Dense(2, { activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  return m;
}

async function duet(maskZero: boolean, x = xs.right): Promise<number> {
  const m = model(maskZero);
  await m.fit(x.narrow(0, 0, 2 * BATCH), y.narrow(0, 0, 2 * BATCH), { batchSize: BATCH, epochs: 1, verbose: 0, shuffle: false });
  const t0 = performance.now();
  await m.fit(x, y, { batchSize: BATCH, epochs: 1, verbose: 0, shuffle: false });
  return (performance.now() - t0) / BATCHES;
}

function kernels(maskZero: boolean, x = xs.right): { kernels: number; byName: Record<string, number> } {
  const m = model(maskZero);
  const xb = x.narrow(0, 0, BATCH);
  const yb = y.narrow(0, 0, BATCH);
  for (let i = 0; i < 2; i++) m.trainOnBatch(xb, yb);
  const k = countKernels(() => m.trainOnBatch(xb, yb));
  return { kernels: k.kernels, byName: k.byName };
}

type Times = { plain: number; mask: number; maskPre: number };
const rounds: (Times & { keras?: Times })[] = [];
for (let r = 0; r < REPS; r++) {
  const round: (typeof rounds)[number] = { plain: await duet(false), mask: await duet(true), maskPre: await duet(true, xPre) };
  if (runPython) {
    const out = execFileSync(py, [new URL('./lstm_keras.py', import.meta.url).pathname, tokFile, labFile, ...[N, LEN, VOCAB, EMB, UNITS, BATCH].map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    round.keras = JSON.parse(out.trim().split('\n').pop()!);
  }
  rounds.push(round);
  const k = round.keras;
  console.log(`round ${r + 1}: duet plain ${round.plain.toFixed(1)} ms, masked ${round.mask.toFixed(1)} ms, pre-padded ${round.maskPre.toFixed(1)} ms` + (k ? `; keras plain ${(k.plain * 1000).toFixed(1)} ms, masked ${(k.mask * 1000).toFixed(1)} ms, pre-padded ${(k.maskPre * 1000).toFixed(1)} ms` : ''));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const info = backendInfo();
console.log(`\nDuet on TensorFlow ${info.tfVersion}; ${BATCHES} batches of ${BATCH} x ${LEN} ids, medians of ${REPS} alternating rounds`);
for (const v of ['plain', 'mask', 'maskPre'] as const) {
  const d = median(rounds.map((r) => r[v]));
  const kp = runPython ? median(rounds.map((r) => r.keras![v])) * 1000 : null;
  const k = kernels(v !== 'plain', v === 'maskPre' ? xPre : x);
  const top = Object.entries(k.byName).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, c]) => `${n} ${c}`).join(', ');
  console.log(`${{ plain: 'plain           ', mask: 'maskZero        ', maskPre: 'maskZero, pre-pad' }[v]}: Duet ${d.toFixed(1)} ms/batch` + (kp !== null ? `, Keras ${kp.toFixed(1)} ms/batch, Duet/Keras ${(d / kp).toFixed(2)}` : '') + `; ${k.kernels} kernels per step (${top}, ...)`);
}
