import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from './dataloader.js';
import { Subset } from './dataset.js';
import { DataOptionError, DataWorkerError } from './errors.js';
import { MNIST } from './datasets/mnist.js';
import { CSVDataset } from './datasets/csv.js';
import { Compose, Lambda, Normalize, ToTensor } from './transforms/basic.js';
import { RandomCrop } from './transforms/geometric.js';
import { tempDir } from '../fixtures/files.js';

const FIXTURES = new URL('../fixtures/worker_datasets.ts', import.meta.url).href;
const spec = (exportName: string, args: unknown[] = []) => ({ module: FIXTURES, exportName, args });

async function collect(loader: DataLoader, read: (b: any) => unknown = (b) => b.toArray()): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) out.push(read(b));
  return out;
}

describe('DataLoader workers', () => {
  it('give the same batches as the main thread (MNIST with transforms, built in the workers)', async () => {
    const ds = new Subset(new MNIST({ train: false, transform: new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]) }), Array.from({ length: 300 }, (_, i) => i * 3));
    const read = ([x, y]: any) => [x.sum().item(), y.toArray()];
    const main = await collect(new DataLoader(ds, { batchSize: 64, shuffle: true, seed: 5 }), read);
    const workers = await collect(new DataLoader(ds, { batchSize: 64, shuffle: true, seed: 5, numWorkers: 2 }), read);
    expect(workers.length).toBe(5);
    expect(workers).toEqual(main);
  });

  it('build a dataset from a module (workerDataset: class or factory), and run custom collate on the main thread', async () => {
    const byClass = new DataLoader({ length: 10, get: () => 0 }, { batchSize: 4, numWorkers: 2, workerDataset: spec('Squares', [10]) });
    const viaClass = await collect(byClass, ([x, y]: any) => [x.toArray(), y.toArray()]);
    expect(viaClass).toEqual([
      [[[0, 0], [1, 1], [2, 4], [3, 9]], [0, 1, 2, 3]],
      [[[4, 16], [5, 25], [6, 36], [7, 49]], [4, 5, 6, 7]],
      [[[8, 64], [9, 81]], [8, 9]],
    ]);
    const viaFactory = new DataLoader({ length: 10, get: () => 0 }, {
      batchSize: 5, numWorkers: 1, workerDataset: spec('makeSquares', [10]),
      collateFn: (samples: any[]) => samples.map(([x, i]) => x.data[1] + i),
    });
    expect(await collect(viaFactory, (b) => b)).toEqual([[0, 2, 6, 12, 20], [30, 42, 56, 72, 90]]);
  });

  it('report an error with the index of the failing item and the worker stack', async () => {
    const loader = new DataLoader({ length: 20, get: () => 0 }, { batchSize: 4, numWorkers: 2, workerDataset: spec('Squares', [20, 13]) });
    const err = await collect(loader, (b) => b).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(DataWorkerError);
    expect(err.index).toBe(13);
    expect(err.code).toBe('ERR_DATA_WORKER');
    expect(err.message).toMatch(/DataLoader worker 1 failed on dataset item 13: RangeError: cannot read item 13 \(test failure\)/);
    expect(err.workerStack).toMatch(/worker_datasets\.ts/);
    expect(err.cause.name).toBe('RangeError');
  });

  it('report a module that cannot be loaded, and tensors made in a worker', async () => {
    const missing = new DataLoader({ length: 4, get: () => 0 }, { batchSize: 2, numWorkers: 1, workerDataset: { module: FIXTURES, exportName: 'Nope' } });
    await expect(collect(missing)).rejects.toThrow(/has no export 'Nope'/);
    const tensors = new DataLoader({ length: 4, get: () => 0 }, { batchSize: 2, numWorkers: 1, workerDataset: spec('MakesTensors') });
    await expect(collect(tensors)).rejects.toThrow(/contains a Tensor; in workers, datasets and transforms must return/);
  });

  it('refuse datasets and transforms that cannot cross threads, in the constructor', () => {
    const mnist = (transform: unknown) => new MNIST({ train: false, transform: transform as never });
    expect(() => new DataLoader(mnist(new Lambda((x) => x)), { numWorkers: 2 })).toThrow(DataOptionError);
    expect(() => new DataLoader(mnist(new Lambda((x) => x)), { numWorkers: 2 })).toThrow(/dataset\(MNIST\)\[0\]\.transform is a Lambda, which a worker thread cannot rebuild.*workerDataset/);
    expect(() => new DataLoader(mnist((x: unknown) => x), { numWorkers: 2 })).toThrow(/transform is a function/);
    expect(() => new DataLoader({ length: 1, get: () => 0 }, { numWorkers: 1 })).toThrow(/has no toWorkerSpec\(\)/);
    expect(() => new DataLoader(mnist(new RandomCrop(28, { padding: 2 })), { numWorkers: 1 })).not.toThrow();
  });

  it('stream an IterableDataset from every worker in turn (getWorkerInfo shards it)', async () => {
    const loader = new DataLoader({ [Symbol.iterator]: function* () {} } as never, { batchSize: 3, numWorkers: 2, workerDataset: spec('Sharded', [10]) });
    const batches = (await collect(loader, ([i, id]: any) => [i.toArray(), id.toArray()])) as [number[], number[]][];
    expect(batches.map((b) => b[0])).toEqual([[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]);
    expect(batches.map((b) => b[1][0])).toEqual([0, 1, 0, 1]);
  });

  it('read a CSV file in workers, each row once', async () => {
    const dir = tempDir();
    const path = join(dir, 'd.csv');
    writeFileSync(path, 'a,b,y\n' + Array.from({ length: 25 }, (_, i) => `${i},${i * 2},${i % 3}`).join('\n') + '\n');
    const loader = new DataLoader(new CSVDataset(path, { target: 'y', targetDtype: 'int32' }), { batchSize: 4, numWorkers: 2 });
    const rows = (await collect(loader, ([x]: any) => x.toArray())).flat() as number[][];
    expect(rows.map((r) => r[0]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('seed each worker: the same seed gives the same random augmentations', async () => {
    const run = () => collect(new DataLoader({ length: 8, get: () => 0 }, { batchSize: 2, numWorkers: 2, seed: 9, workerDataset: spec('RandomItems') }));
    const a = await run();
    expect(await run()).toEqual(a);
    expect(new Set((a as number[][]).flat()).size).toBe(8);
  });

  it('keep persistent workers between epochs; break stops non-persistent ones', async () => {
    const loader = new DataLoader({ length: 10, get: () => 0 }, { batchSize: 5, numWorkers: 1, persistentWorkers: true, workerDataset: spec('Squares', [10]) });
    const read = ([, y]: any) => y.toArray();
    expect(await collect(loader, read)).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    const pool = (loader as any).pool;
    expect(pool).toBeDefined();
    expect(await collect(loader, read)).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    expect((loader as any).pool).toBe(pool);
    loader.close();
    const slow = new DataLoader({ length: 1000, get: () => 0 }, { batchSize: 2, numWorkers: 2, workerDataset: spec('Slow') });
    let n = 0;
    for await (const _ of slow) if (++n === 3) break;
    expect((slow as any).pool).toBeUndefined();
    n = 0;
    for await (const _ of slow) if (++n === 2) break; // a fresh pool after a break
    expect(n).toBe(2);
  });

  it('let the process exit after break, and while persistent workers are idle', () => {
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const script = fileURLToPath(new URL('../fixtures/break_early.ts', import.meta.url));
    for (const [mode, expected] of [['break', 'done 2'], ['persistent', 'done 20']]) {
      const r = spawnSync(tsx, ['--conditions=source', script, mode!], { encoding: 'utf8', timeout: 60_000 });
      expect(r.error).toBeUndefined(); // a timeout would mean a worker kept the process alive
      // What this test checks is the exit; whether TensorFlow's start-up lines
      // are hidden is test/engine.test.ts's job. Stderr must carry no error.
      expect(r.stderr).not.toMatch(/Error|at .+:\d+:\d+/);
      expect(r.stdout.trim()).toBe(expected);
      expect(r.status).toBe(0);
    }
  });
});
