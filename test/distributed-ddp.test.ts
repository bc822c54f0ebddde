/**
 * DistributedDataParallel's correctness on 2 local processes (issue 13): the
 * seed MLP trained data-parallel (2 x 32) ends with the weights of
 * single-process training on the same global batches of 64, within 1e-5;
 * native memory stays flat per step; a checkpoint written by rank 0
 * (saveCheckpoint: temp file + rename) resumes to exactly the uninterrupted
 * run's weights. Workers: test/distributed-workers/ddp_train.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { distributed } from '@duet/core';
import { nn } from '@duet/nn';
// @ts-expect-error plain JavaScript module without types
import { launch, nodeArgs } from '../scripts/duet-run.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const TRAIN = 'test/distributed-workers/ddp_train.ts';
const STEPS = 6;
const dir = mkdtempSync(join(tmpdir(), 'duet-ddp-'));
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Trained {
  world: number;
  steps: number;
  trained: number;
  tensorsAfter: number[];
  weights: Record<string, number[]>;
}
const read = (file: string): Trained => JSON.parse(readFileSync(file, 'utf8'));

function single(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [...nodeArgs(TRAIN), 'single', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((ok, fail) => child.on('close', (code) => (code === 0 ? ok(err) : fail(new Error(`single exited ${code}: ${err}`)))));
}

async function ddp(args: string[]): Promise<void> {
  let err = '';
  const run = await launch({
    nproc: 2, script: TRAIN, args: ['ddp', ...args], cwd: ROOT, timeoutMs: 60_000,
    onLine: (rank: number, _s: string, line: string) => (err += `[${rank}] ${line}\n`),
    onSpawn: (cs: ChildProcess[]) => cs.forEach((c) => children.add(c)),
  });
  if (run.exitCode !== 0) throw new Error(`ddp exited ${run.exitCode}: ${err}`);
}

function maxDiff(a: Trained, b: Trained): number {
  let d = 0;
  expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights));
  for (const [k, va] of Object.entries(a.weights)) {
    const vb = b.weights[k]!;
    expect(vb.length).toBe(va.length);
    for (let i = 0; i < va.length; i++) d = Math.max(d, Math.abs(va[i]! - vb[i]!));
  }
  return d;
}

describe('DistributedDataParallel on 2 processes', () => {
  it('matches single-process training with the global batch, and a checkpoint resumes it exactly', async () => {
    const ckpt = join(dir, 'ckpt.safetensors');
    await Promise.all([
      single(['--steps', String(STEPS), '--out', join(dir, 'single.json')]),
      ddp(['--steps', String(STEPS), '--out', join(dir, 'ddp.json'), '--save-at', '3', '--ckpt', ckpt]),
    ]);
    const one = read(join(dir, 'single.json'));
    const two = read(join(dir, 'ddp.json'));
    expect([one.world, two.world]).toEqual([1, 2]);
    expect([one.trained, two.trained]).toEqual([STEPS, STEPS]);
    expect(maxDiff(one, two)).toBeLessThanOrEqual(1e-5);
    // native memory is flat from the second step on (nothing accumulates per step)
    expect(new Set(two.tensorsAfter.slice(1)).size).toBe(1);

    // resume from the step-3 checkpoint: the last 3 steps give the uninterrupted run's weights
    await ddp(['--steps', String(STEPS), '--out', join(dir, 'resumed.json'), '--resume', ckpt]);
    const resumed = read(join(dir, 'resumed.json'));
    expect(resumed.trained).toBe(STEPS - 3);
    expect(maxDiff(two, resumed)).toBe(0);
    // the checkpoint was written through a temporary file that is gone
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('DistributedDataParallel without a process group', () => {
  it('asks for distributed.init() first', () => {
    expect(() => new nn.parallel.DistributedDataParallel(new nn.Linear(2, 2))).toThrow(distributed.DistributedStateError);
    expect(() => new nn.parallel.DistributedDataParallel(new nn.Linear(2, 2))).toThrow(/distributed.init\(\) first/);
  });
});
