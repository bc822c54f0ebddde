import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSVDataset, splitCsvLine } from './csv.js';
import { DataLoader } from '../dataloader.js';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { HostTensor } from '../host.js';
import { tempDir } from '../../fixtures/files.js';

function csv(text: string): string {
  const p = join(tempDir(), 'data.csv');
  writeFileSync(p, text);
  return p;
}

const IRIS = 'sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n\n6.3,3.3,virginica\r\n';

describe('CSVDataset', () => {
  it('streams rows as [features, target] host tensors', () => {
    const ds = new CSVDataset(csv(IRIS), { target: 'species', classes: ['setosa', 'versicolor', 'virginica'] });
    const rows = [...ds] as [HostTensor, HostTensor][];
    expect(rows.length).toBe(3);
    expect(Array.from(rows[1]![0].data)).toEqual([7, 3.200000047683716]);
    expect(rows.map(([, y]) => [y.dtype, y.shape.length, y.data[0]])).toEqual([['int32', 0, 0], ['int32', 0, 1], ['int32', 0, 2]]);
  });

  it('batches through a DataLoader, sync and async', async () => {
    const ds = new CSVDataset(csv(IRIS), { target: 2, classes: ['setosa', 'versicolor', 'virginica'] });
    const shapes: number[][] = [];
    for (const [x, y] of new DataLoader(ds, { batchSize: 2 })) shapes.push([...x.shape, ...y.shape]);
    expect(shapes).toEqual([[2, 2, 2], [1, 2, 1]]);
    const ys: number[] = [];
    for await (const [, y] of new DataLoader(ds, { batchSize: 2 })) ys.push(...y.toArray());
    expect(ys).toEqual([0, 1, 2]);
  });

  it('selects columns by name or index, reads files without a header, honours quotes and delimiters', () => {
    const ds = new CSVDataset(csv('a;b;c\n1;2;3\n4;5;6\n'), { columns: ['c', 0], delimiter: ';' });
    expect(([...ds] as HostTensor[]).map((x) => Array.from(x.data))).toEqual([[3, 1], [6, 4]]);
    const nh = new CSVDataset(csv('1,2\n3,4\n'), { header: false, target: 1, targetDtype: 'float32' });
    expect(([...nh] as [HostTensor, HostTensor][]).map(([x, y]) => [x.data[0], y.dtype, y.data[0]])).toEqual([[1, 'float32', 2], [3, 'float32', 4]]);
    expect(splitCsvLine('"a, b",c,"say ""hi"""', ',')).toEqual(['a, b', 'c', 'say "hi"']);
  });

  it('toTensors reads a small file at once', () => {
    const [x, y] = new CSVDataset(csv('f1,f2,t\n1,2,0.5\n3,4,1.5\n'), { target: 't' }).toTensors();
    expect(x!.shape).toEqual([2, 2]);
    expect(y!.toArray()).toEqual([0.5, 1.5]);
    expect(y!.dtype).toBe('float32');
  });

  it('names the file, line and column of a bad row', () => {
    const p = csv('a,b\n1,2\n3\n');
    expect(() => [...new CSVDataset(p)]).toThrow(DatasetFormatError);
    expect(() => [...new CSVDataset(p)]).toThrow(new RegExp(`${p}:3: expected 2 fields \\(as in the header\\), found 1`));
    const q = csv('a,b\n1,2\n3,x\n');
    let err: DatasetFormatError | undefined;
    try {
      [...new CSVDataset(q)];
    } catch (e) {
      err = e as DatasetFormatError;
    }
    expect(err?.line).toBe(3);
    expect(err?.message).toMatch(/:3: column 'b' \(1\): "x" is not a number/);
    expect(() => [...new CSVDataset(q, { target: 'nope' })]).toThrow(/no column "nope" for target; the header has 'a', 'b'/);
    expect(() => [...new CSVDataset(csv('a,t\n1,cat\n'), { target: 't', classes: ['dog'] })]).toThrow(/target "cat" is not one of the classes \["dog"\]/);
    expect(() => new CSVDataset('/no/such.csv')).toThrow(DatasetNotFoundError);
  });

  it('streams a large file with bounded memory (line by line)', async () => {
    const n = 200_000;
    const p = csv('x,y\n' + Array.from({ length: n }, (_, i) => `${i},${i % 2}`).join('\n'));
    let count = 0;
    for await (const [x] of new DataLoader(new CSVDataset(p, { target: 'y', targetDtype: 'int32' }), { batchSize: 1000 })) count += x.shape[0];
    expect(count).toBe(n);
  });
});
