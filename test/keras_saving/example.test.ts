/** examples/keras-saving.ts (the program of docs/keras-saving.md) runs and leaves the files it promises. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { main } from '../../examples/keras-saving.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('examples/keras-saving.ts trains with callbacks, saves, reloads and resumes', async () => {
  const { history, reloaded, files } = await main(dir);
  expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
  expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'learning_rate', 'loss', 'val_accuracy', 'val_loss']);
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) expect(existsSync(f)).toBe(true);
  expect(readFileSync(join(dir, 'training.csv'), 'utf8').split('\n')[0]).toBe('epoch,accuracy,learning_rate,loss,val_accuracy,val_loss');
  expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['train', 'validation']);
  expect(existsSync(join(dir, 'backup'))).toBe(false); // deleted once training completed
  expect(reloaded.optimizer!.iterations).toBe(5 * 6 + 8); // 192 training rows = 6 batches per epoch, then 256 rows = 8 batches
});
