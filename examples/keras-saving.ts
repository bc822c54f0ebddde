/**
 * Keras-style training with callbacks, then saving and loading in Keras 3's
 * `.keras` format (the program docs/keras-saving.md walks through).
 *
 *   pnpm tsx examples/keras-saving.ts [outDir]
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, randn, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';

export async function main(outDir: string): Promise<{ history: keras.callbacks.History; reloaded: keras.Model; files: string[] }> {
  mkdirSync(outDir, { recursive: true });
  manualSeed(0);
  // A toy problem: the class is the index of the largest of 4 features.
  const x = randn([256, 4]);
  const y = x.argmax(1);

  const model = new keras.Sequential([
    keras.Input({ shape: [4] }),
    new keras.layers.Dense(16, { activation: 'relu' }),
    new keras.layers.Dense(4, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

  const callbacks = [
    new keras.callbacks.ModelCheckpoint(join(outDir, 'ckpt', 'best-{epoch:02d}-{val_loss:.3f}.keras'), { monitor: 'val_loss', saveBestOnly: true }),
    new keras.callbacks.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 }),
    new keras.callbacks.CSVLogger(join(outDir, 'training.csv')),
    new keras.callbacks.TensorBoard({ logDir: join(outDir, 'logs') }),
    new keras.callbacks.BackupAndRestore(join(outDir, 'backup')),
    new keras.callbacks.TerminateOnNaN(),
  ];
  const history = await model.fit(x, y, { epochs: 5, batchSize: 32, validationSplit: 0.25, verbose: 0, callbacks });

  await model.save(join(outDir, 'model.keras')); // loads in Python: keras.saving.load_model('model.keras')
  const reloaded = await keras.models.loadModel(join(outDir, 'model.keras'));
  const [a, b] = [(await model.predict(x, { verbose: 0 })) as Tensor, (await reloaded.predict(x, { verbose: 0 })) as Tensor];
  if (a.sub(b).abs().max().item() !== 0) throw new Error('the reloaded model predicts differently');
  await reloaded.fit(x, y, { epochs: 1, verbose: 0 }); // resumes with Adam's saved state
  return { history, reloaded, files: callbacks.flatMap((c) => (c instanceof keras.callbacks.ModelCheckpoint ? c.saved : [])) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'duet-keras-'));
  const { history, files } = await main(out);
  console.log('val_loss per epoch:', history.history.val_loss?.map((v) => v.toFixed(4)).join(' '));
  console.log('checkpoints:', files.join(', '));
  console.log(`files in ${out}: model.keras, training.csv, logs/ (tensorboard --logdir ${join(out, 'logs')})`);
}
