import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageFolder } from './image_folder.js';
import { DataLoader } from '../dataloader.js';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { RawImage } from '../host.js';
import { Compose, ToTensor } from '../transforms/basic.js';
import { Resize } from '../transforms/geometric.js';
import { encodePng, tempDir } from '../../fixtures/files.js';

/** root/<class>/<n>.png with solid colours; PNGs of size (8 + i) x 6 so that Resize matters. */
function makeFolder(classes: Record<string, number>): string {
  const root = tempDir();
  for (const [c, n] of Object.entries(classes)) {
    mkdirSync(join(root, c));
    for (let i = 0; i < n; i++) {
      const h = 8 + i;
      const data = new Uint8Array(h * 6 * 3).fill(40 * (i + 1));
      writeFileSync(join(root, c, `${i}.png`), encodePng(data, 6, h, 3));
    }
  }
  writeFileSync(join(root, 'notes.txt'), 'not a class');
  return root;
}

/** A loader that reads our test PNGs' size from the header (no decoder needed). */
const headerLoader = (path: string): RawImage => {
  const b = readFileSync(path);
  return new RawImage(new Uint8Array(b.readUInt32BE(16) * b.readUInt32BE(20) * 3), b.readUInt32BE(20), b.readUInt32BE(16), 3);
};

describe('ImageFolder', () => {
  it('takes classes from sub-folder names and lists samples in order', () => {
    const root = makeFolder({ dog: 2, cat: 3 });
    const ds = new ImageFolder(root, { loader: headerLoader });
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect(ds.classToIdx).toEqual({ cat: 0, dog: 1 });
    expect(ds.length).toBe(5);
    expect(ds.targets).toEqual([0, 0, 0, 1, 1]);
    expect(ds.samples[3]![0]).toBe(join(root, 'dog', '0.png'));
    const [img, y] = ds.get(4);
    expect((img as RawImage).shape).toEqual([9, 6, 3]);
    expect(y).toBe(1);
  });

  it('says what is wrong: missing folder, no class folders, empty class folders', () => {
    expect(() => new ImageFolder('/no/such/folder')).toThrow(DatasetNotFoundError);
    expect(() => new ImageFolder('/no/such/folder')).toThrow(/cannot read the folder \/no\/such\/folder/);
    expect(() => new ImageFolder(tempDir())).toThrow(/found no class folders in .*; expected one sub-folder per class/);
    const root = makeFolder({ cat: 1, dog: 0, eel: 0 });
    expect(() => new ImageFolder(root)).toThrow(DatasetFormatError);
    expect(() => new ImageFolder(root)).toThrow(/found no images in the class folders 'dog', 'eel' of .*; supported extensions are \.png/);
    expect(new ImageFolder(root, { allowEmpty: true }).length).toBe(1);
    expect(() => new ImageFolder(root, { extensions: ['.jpg'] })).toThrow(/supported extensions are \.jpg/);
  });

  it('decodes PNGs natively, names unreadable images, and batches through a DataLoader (also in workers)', async () => {
    const root = makeFolder({ a: 2, b: 2 });
    writeFileSync(join(root, 'b', 'broken.png'), new Uint8Array([1, 2, 3]));
    const ds = new ImageFolder(root, { transform: new Compose([new Resize([8, 6]), new ToTensor()]) });
    const [x0] = ds.get(0);
    expect(x0.shape).toEqual([3, 8, 6]);
    expect(x0.data[0]).toBeCloseTo(40 / 255);
    expect(() => ds.get(ds.samples.findIndex(([p]) => p.endsWith('broken.png')))).toThrow(/Cannot decode the image .*broken\.png/);
    writeFileSync(join(root, 'b', 'broken.png'), encodePng(new Uint8Array(8 * 6 * 3), 6, 8, 3));
    for (const numWorkers of [0, 2]) {
      const shapes: number[][] = [];
      for await (const [x, y] of new DataLoader(new ImageFolder(root, { transform: new Compose([new Resize([8, 6]), new ToTensor()]) }), { batchSize: 5, numWorkers })) {
        shapes.push([...x.shape, ...y.shape]);
      }
      expect(shapes).toEqual([[5, 3, 8, 6, 5]]);
    }
  });
});
