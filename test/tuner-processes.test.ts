/**
 * @duet/tuner across processes: trials in forked worker processes (each
 * with its own engine), at most `maxParallel` at once; a worker that dies
 * or throws fails only its trial; and a search killed mid-trial (SIGKILL)
 * resumes from its project folder without re-running finished trials,
 * drawing the same values an uninterrupted search draws.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { manualSeed, randn } from '@duet/core';
import { Hyperband, RandomSearch, Objective, type Trial } from '@duet/tuner';

const root = mkdtempSync(join(tmpdir(), 'duet-tuner-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixtures = new URL('../packages/tuner/scripts/fixtures/', import.meta.url);
const trialsModule = new URL('trials.ts', fixtures);
const trialsOf = (t: { oracle: { order: string[]; trials: Map<string, Trial> } }) => t.oracle.order.map((id) => t.oracle.trials.get(id)!);

describe('worker processes', () => {
  it('run nn-style trials in child processes with their own engines; an exit or a throw fails only that trial', async () => {
    const log = join(root, 'workers.log');
    writeFileSync(log, '');
    process.env.DUET_TUNER_LOG = log;
    const tuner = new RandomSearch({
      run: { module: trialsModule, export: 'regression' }, objective: 'loss', maxTrials: 8, seed: 5, maxParallel: 2,
      directory: root, projectName: 'workers', verbose: 0, maxConsecutiveFailedTrials: 8,
    });
    expect(tuner.maxParallel).toBe(Math.min(2, availableParallelism()));
    await tuner.search({ epochs: 2 });
    delete process.env.DUET_TUNER_LOG;
    const trials = trialsOf(tuner);
    expect(trials).toHaveLength(8);
    const modes = new Set(trials.map((t) => t.values.mode));
    expect(modes.has('exit') || modes.has('throw')).toBe(true);
    const pids = new Set<number>();
    for (const t of trials) {
      if (t.values.mode === 'exit') {
        expect(t.status).toBe('FAILED');
        expect(t.message).toMatch(/worker process exited with code 3 before finishing/);
      } else if (t.values.mode === 'throw') {
        expect(t.status).toBe('FAILED');
        expect(t.message).toMatch(/^RangeError: mode=throw in process \d+/);
      } else {
        expect(t.status).toBe('COMPLETED');
        expect(t.metrics.loss).toHaveLength(2);
        expect(t.score).toBe(Math.min(...t.metrics.loss!));
        const pid = t.metrics.pid![0]!;
        expect(pid).not.toBe(process.pid);
        pids.add(pid);
      }
    }
    // One process per trial: every trial that ran logged a distinct process id, none of them this one.
    const logged = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]));
    expect(new Set(logged).size).toBe(trials.length);
    expect(logged).not.toContain(process.pid);
    expect(pids.size).toBe(trials.filter((t) => t.status === 'COMPLETED').length);
  });

  it('run Keras-style trials in workers, with the training data sent to them, and Hyperband checkpoints across processes', async () => {
    manualSeed(1);
    const x = randn([48, 3]);
    const y = x.matmul(randn([3, 1]));
    const tuner = new Hyperband({ hypermodel: { module: trialsModule, export: 'build' }, objective: 'val_loss', maxEpochs: 2, factor: 2, seed: 2, maxParallel: 2, directory: root, projectName: 'keras-workers', verbose: 0 });
    await tuner.search(x, y, { batchSize: 16, validationData: [x, y] });
    const trials = trialsOf(tuner);
    expect(trials.every((t) => t.status === 'COMPLETED')).toBe(true);
    expect(trials.filter((t) => t.values['tuner/trial_id'] !== undefined).length).toBeGreaterThan(0);
    const [model] = await tuner.getBestModels(1);
    const [valLoss] = [(await model!.evaluate(x, y, { verbose: 0 })) as number];
    expect(valLoss).toBeCloseTo(tuner.bestTrials(1)[0]!.score!, 4);
  });

  it('maxParallel is capped at the core count; a function cannot go to a worker, nor the entry module be imported in-process (typed errors)', () => {
    const t = new RandomSearch({ run: { module: trialsModule, export: 'regression' }, objective: new Objective('loss', 'min'), maxParallel: 10_000, directory: root, projectName: 'cap', verbose: 0 });
    expect(t.maxParallel).toBe(availableParallelism());
    expect(() => new RandomSearch({ run: () => 1, useWorkers: true, directory: root })).toThrow(/cannot be sent to another process/);
    expect(() => new RandomSearch({ run: { module: process.argv[1]! }, directory: root })).toThrow(/entry module .* cannot be imported by the same process while it runs/);
  });
});

describe('crash and resume', () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = new URL('crash_search.ts', fixtures).pathname;
  const runSearch = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', tsx, '--conditions=source', script], { env: { ...process.env, DUET_TUNER_DIR: root, ...env }, encoding: 'utf8' });

  it('a search SIGKILLed mid-trial resumes: finished trials are not re-run, the interrupted one runs again with its values, and the rest match an uninterrupted search', () => {
    const log = join(root, 'crash.log');
    writeFileSync(log, '');
    const first = runSearch({ DUET_TUNER_LOG: log, DUET_TUNER_KILL_AT: '0004' });
    expect(first.signal).toBe('SIGKILL');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['0000', '0001', '0002', '0003', '0004']);
    const saved = JSON.parse(readFileSync(join(root, 'crash', 'trial_0004', 'trial.json'), 'utf8')) as Trial;
    expect(saved.status).toBe('RUNNING');

    const second = runSearch({ DUET_TUNER_LOG: log });
    expect(second.status, second.stderr).toBe(0);
    const ran = readFileSync(log, 'utf8').trim().split('\n');
    expect(ran).toEqual(['0000', '0001', '0002', '0003', '0004', '0004', '0005', '0006', '0007']);

    const cleanLog = join(root, 'clean.log');
    writeFileSync(cleanLog, '');
    expect(runSearch({ DUET_TUNER_LOG: cleanLog, DUET_TUNER_PROJECT: 'clean' }).status).toBe(0);
    const read = (project: string) => Array.from({ length: 8 }, (_, i) => JSON.parse(readFileSync(join(root, project, `trial_000${i}`, 'trial.json'), 'utf8')) as Trial);
    const resumed = read('crash');
    const clean = read('clean');
    expect(resumed.every((t) => t.status === 'COMPLETED')).toBe(true);
    expect(resumed.map((t) => [t.values, t.score])).toEqual(clean.map((t) => [t.values, t.score]));
    expect(resumed[4]!.values).toEqual(saved.values);
  });
});
