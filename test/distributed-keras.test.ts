/**
 * keras.distribute.MultiWorkerMirroredStrategy on 2 local processes (issue
 * 13): the seed Keras MLP fitted with a global batch of 64 (shuffle off, a
 * last global batch of 10) ends with the weights of single-process fit
 * within 1e-5, and the History (loss, accuracy per epoch) and evaluate()'s
 * result, reduced across workers, equal the single process's.
 * Workers: test/distributed-workers/keras_train.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as keras from '@duet/keras';
// @ts-expect-error plain JavaScript module without types
import { launch, nodeArgs } from '../scripts/duet-run.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const TRAIN = 'test/distributed-workers/keras_train.ts';
const dir = mkdtempSync(join(tmpdir(), 'duet-mwms-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  history: Record<string, number[]>;
  evaluation: number[];
  weights: number[][];
  tensorsAtEpochEnd: number[];
}

function single(out: string): Promise<void> {
  const child = spawn(process.execPath, [...nodeArgs(TRAIN), 'single', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((ok, fail) => child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`single exited ${code}: ${err}`)))));
}

async function mwms(out: string): Promise<void> {
  let err = '';
  const run = await launch({
    nproc: 2, script: TRAIN, args: ['mwms', '--out', out], cwd: ROOT, timeoutMs: 60_000,
    onLine: (rank: number, _s: string, line: string) => (err += `[${rank}] ${line}\n`),
    onSpawn: (cs: ChildProcess[]) => cs.forEach((c) => children.add(c)),
  });
  if (run.exitCode !== 0) throw new Error(`mwms exited ${run.exitCode}: ${err}`);
}

describe('MultiWorkerMirroredStrategy on 2 processes', () => {
  it('fit and evaluate equal single-process training with the global batch', async () => {
    const [a, b] = [join(dir, 'single.json'), join(dir, 'mwms.json')];
    await Promise.all([single(a), mwms(b)]);
    const one: Result = JSON.parse(readFileSync(a, 'utf8'));
    const two: Result = JSON.parse(readFileSync(b, 'utf8'));
    expect(two.weights.map((w) => w.length)).toEqual(one.weights.map((w) => w.length));
    let d = 0;
    one.weights.forEach((w, i) => w.forEach((v, j) => (d = Math.max(d, Math.abs(v - two.weights[i]![j]!)))));
    expect(d).toBeLessThanOrEqual(1e-5);
    expect(Object.keys(two.history).sort()).toEqual(['accuracy', 'loss']);
    for (const k of ['loss', 'accuracy']) {
      expect(two.history[k]!).toHaveLength(3);
      two.history[k]!.forEach((v, e) => expect(Math.abs(v - one.history[k]![e]!)).toBeLessThanOrEqual(1e-5));
    }
    two.evaluation.forEach((v, i) => expect(Math.abs(v - one.evaluation[i]!)).toBeLessThanOrEqual(1e-5));
    // flat native memory from the second epoch on, on rank 0 under the strategy
    expect(two.tensorsAtEpochEnd).toHaveLength(3);
    expect(two.tensorsAtEpochEnd[2]).toBe(two.tensorsAtEpochEnd[1]);
  });
});

describe('shardRows', () => {
  it.each([[266, 64, 2], [266, 64, 4], [100, 30, 3], [7, 4, 2]])('n=%i, global batch %i, %i workers: each global batch split in order, equal shards', (n, batch, world) => {
    const shards = Array.from({ length: world }, (_, r) => Array.from(keras.distribute.shardRows(n, batch, world, r)));
    const len = shards[0]!.length;
    for (const s of shards) expect(s).toHaveLength(len);
    // interleaving the workers' per-worker batches gives 0, 1, 2, ... (the single process's order)
    const per = batch / world;
    const merged: number[] = [];
    for (let start = 0; start < len; start += per) for (const s of shards) merged.push(...s.slice(start, start + per));
    expect(merged).toEqual(Array.from({ length: merged.length }, (_, i) => i));
    expect(n - merged.length).toBeLessThan(world); // only a tail that cannot divide is dropped
  });
});
