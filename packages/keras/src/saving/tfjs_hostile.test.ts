/**
 * A tfjs model.json whose layer config declares more than its weights
 * manifest holds is refused before the layer's weights are allocated: a
 * 1e12-unit Dense would need a 24 TB kernel. The fixture is tfjs-layers'
 * own `mlp` (test/interop/tfjs, made by test/golden/gen_tfjs_layers.mjs),
 * with its model.json edited.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memory } from '@duet/core';
import * as keras from '../index.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'interop', 'tfjs', 'mlp');
const tmp = mkdtempSync(join(tmpdir(), 'duet-tfjs-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the mlp fixture with its model.json edited by `edit`. */
function variant(tag: string, edit: (json: any) => void): string {
  const dir = join(tmp, tag);
  cpSync(fixture, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

const layer = (json: any, name: string) => json.modelTopology.config.layers.find((l: any) => l.config.name === name);

/** `loadModel(path)` rejects with a SavingError of `code`, leaving no tensor; the error. */
async function refused(path: string, code: string): Promise<keras.saving.SavingError> {
  const before = memory().numTensors;
  const err = await keras.models.loadModel(path).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(keras.saving.SavingError);
  expect((err as keras.saving.SavingError).code).toBe(code);
  expect(memory().numTensors, 'tensors left behind').toBe(before);
  return err as keras.saving.SavingError;
}

describe('tfjs model.json: layer configs checked against the weights manifest before allocating', () => {
  it('the unedited fixture loads (the edits below are the only difference)', async () => {
    const m = await keras.models.loadModel(variant('plain', () => undefined));
    expect(m.getLayer('hidden').weights[0]!.shape).toEqual([6, 10]);
    m.dispose();
  });

  it('a 1e12-unit first Dense: refused at its kernel, nothing allocated', async () => {
    const err = await refused(variant('huge-first', (j) => (layer(j, 'hidden').config.units = 1e12)), 'ERR_TFJS_WEIGHTS');
    expect(err.message).toContain("weight 'hidden/kernel' in shard 'weights.bin' has shape [6, 10]; variable 'hidden/kernel' expects [6, 1000000000000]");
  });

  it('a 1e12-unit last Dense: the layers built before it are released', async () => {
    const err = await refused(variant('huge-last', (j) => (layer(j, 'probs').config.units = 1e12)), 'ERR_TFJS_WEIGHTS');
    expect(err.message).toContain("variable 'probs/kernel' expects [8, 1000000000000]");
  });

  it('a manifest that agrees with the huge layer: refused for the bytes its shard lacks', async () => {
    const err = await refused(variant('huge-both', (j) => {
      layer(j, 'hidden').config.units = 1e12;
      j.weightsManifest[0].weights[0].shape = [6, 1e12];
    }), 'ERR_TFJS_WEIGHTS');
    expect(err.message).toContain("weight 'hidden/kernel' [6, 1000000000000] float32 needs 24000000000000 bytes");
  });

  it('a layer whose weights the manifest does not list: refused before it is built', async () => {
    const err = await refused(variant('renamed', (j) => (layer(j, 'hidden2').config.name = 'hidden2_renamed')), 'ERR_TFJS_WEIGHTS');
    expect(err.message).toContain("the model's variable 'hidden2_renamed/kernel' [10, 8] is not in the weights manifest");
  });
});
