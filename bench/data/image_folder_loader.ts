/**
 * ImageFolder with decoding and augmentation: numWorkers 0 vs 2. Generates
 * PNG files (RGB, 96x96, one folder per class), then iterates
 * `RandomResizedCrop(64) + RandomHorizontalFlip + ColorJitter + ToTensor + Normalize`
 * with batchSize 32, and simulates a training step of `--step-ms` milliseconds of
 * main-thread work per batch, which is what workers overlap with.
 *
 * Needs `decodeImage` from @duet/core (TensorFlow's native decoders).
 * Run: pnpm exec tsx --conditions=source bench/data/image_folder_loader.ts [--images 1024] [--step-ms 0]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendInfo } from '@duet/core';
import { DataLoader, datasets, transforms } from '@duet/data';
import { encodePng, tempDir } from '../../packages/data/fixtures/files.js';

const arg = (name: string, def: string): number => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1]! : def);
};
const nImages = arg('images', '1024');
const stepMs = arg('step-ms', '0');

backendInfo();
const root = tempDir('duet-imagefolder-');
const size = 96;
for (let c = 0; c < 4; c++) {
  mkdirSync(join(root, `class${c}`));
  for (let i = 0; i < nImages / 4; i++) {
    const px = new Uint8Array(size * size * 3);
    for (let k = 0; k < px.length; k++) px[k] = (k * 7 + i * 13 + c * 50 + ((k * 2654435761) >>> 24)) & 255;
    writeFileSync(join(root, `class${c}`, `${i}.png`), encodePng(px, size, size, 3));
  }
}
const t = new transforms.Compose([
  new transforms.RandomResizedCrop(64),
  new transforms.RandomHorizontalFlip(),
  new transforms.ColorJitter({ brightness: 0.4, contrast: 0.4 }),
  new transforms.ToTensor(),
  new transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
]);
const ds = new datasets.ImageFolder(root, { transform: t });
const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
for (const numWorkers of [0, 2]) {
  const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, numWorkers, persistentWorkers: numWorkers > 0 });
  for (let epoch = 0; epoch < 2; epoch++) {
    const start = performance.now();
    let n = 0;
    for await (const [x] of loader) {
      if (x.shape[1] !== 3) throw new Error('bad batch');
      busy(stepMs);
      n++;
    }
    const s = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ bench: 'image_folder', images: ds.length, pngSize: size, stepMs, numWorkers, epoch, batches: n, seconds: +s.toFixed(3), batchesPerSec: +(n / s).toFixed(1) }));
  }
  loader.close();
}
