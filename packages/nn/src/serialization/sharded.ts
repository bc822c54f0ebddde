/**
 * Hugging Face sharded checkpoints: `model.safetensors.index.json` (or
 * `pytorch_model.bin.index.json`) maps every tensor name to the shard file
 * holding it (`{"metadata": {...}, "weight_map": {"name": "model-00001-of-00002.safetensors"}}`).
 * Every shard is loaded; each listed tensor must be in its shard, and each
 * shard must hold only the tensors listed for it. Shard names must stay in
 * the index's folder (no `../`, no absolute paths, no symlink out).
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Tensor } from '@duet/core';
import { SafetensorsError } from './errors.js';
import { duplicateKey } from './format.js';

/** What `load(folder)` looks for, in order (a Hugging Face model folder): an index, or a single file. */
export const FOLDER_FILES = ['model.safetensors.index.json', 'pytorch_model.bin.index.json', 'model.safetensors', 'pytorch_model.bin'];
/** The same limit as a safetensors header (the index is a name -> file map). */
const MAX_INDEX_SIZE = 100_000_000;

export interface ShardPlan {
  /** Shard paths (resolved inside the folder), in first-mention order, with the names each must hold. */
  shards: Map<string, { file: string; names: Set<string> }>;
}

const fail = (msg: string, cause?: unknown) => new SafetensorsError('ERR_SAFETENSORS_INDEX', msg, cause === undefined ? undefined : { cause });

/** Parse and check an index file's text; `indexPath` names it and locates the shards. */
export function planShards(text: string, indexPath: string): ShardPlan {
  if (text.length > MAX_INDEX_SIZE) throw fail(`${indexPath}: the index has ${text.length} characters; the limit is ${MAX_INDEX_SIZE}.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fail(`${indexPath}: not valid JSON (${(e as Error).message}).`, e);
  }
  const weightMap = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (raw === null || typeof raw !== 'object' || weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw fail(`${indexPath}: expected a JSON object with a "weight_map" object (tensor name -> shard file), as Hugging Face writes.`);
  }
  const dup = duplicateKey(text);
  if (dup !== undefined && dup.in === 'weight_map') throw fail(`${indexPath}: tensor '${dup.key}' is listed twice in "weight_map".`);
  const folder = dirname(indexPath);
  const realFolder = realpathSync(folder);
  const shards = new Map<string, { file: string; names: Set<string> }>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file === '') throw fail(`${indexPath}: "weight_map" maps '${name}' to ${JSON.stringify(file)}; expected a shard file name.`);
    let shard = shards.get(file);
    if (shard === undefined) {
      const path = join(folder, file);
      const rel = relative(folder, path);
      if (file.endsWith('.index.json')) throw fail(`${indexPath}: shard '${file}' (for '${name}') is itself an index; expected a .safetensors or .bin file.`);
      if (isAbsolute(file) || file.includes('\\') || file.includes('\0') || rel.startsWith('..') || rel.split(sep).includes('..')) {
        throw fail(`${indexPath}: shard '${file}' (for '${name}') is outside the index's folder; expected a file name in '${folder}'.`);
      }
      let real: string;
      try {
        real = realpathSync(path);
      } catch (e) {
        throw fail(`${indexPath}: shard '${file}' (for '${name}') does not exist in '${folder}'.`, e);
      }
      if (relative(realFolder, real).startsWith('..')) throw fail(`${indexPath}: shard '${file}' links outside the index's folder (to '${real}').`);
      shard = { file: path, names: new Set() };
      shards.set(file, shard);
    }
    shard.names.add(name);
  }
  if (shards.size === 0) throw fail(`${indexPath}: "weight_map" is empty; expected at least one tensor.`);
  return { shards };
}

/**
 * Check one loaded shard against the plan and move its tensors into `out`.
 * On a mismatch the shard's tensors are released and an error names the tensor.
 */
export function takeShard(shard: { file: string; names: Set<string> }, loaded: Record<string, Tensor>, out: Record<string, Tensor>, indexPath: string): void {
  const names = Object.keys(loaded);
  const extra = names.find((n) => !shard.names.has(n));
  const missing = [...shard.names].find((n) => !Object.prototype.hasOwnProperty.call(loaded, n));
  if (extra !== undefined || missing !== undefined) {
    for (const t of Object.values(loaded)) t.dispose();
    throw fail(
      missing !== undefined
        ? `${indexPath}: tensor '${missing}' is mapped to '${shard.file}', which does not hold it (it holds ${names.length} tensors).`
        : `${indexPath}: shard '${shard.file}' holds '${extra}', which "weight_map" does not list for that shard (missing from the index, or listed in another shard).`,
    );
  }
  for (const n of names) Object.defineProperty(out, n, { value: loaded[n], enumerable: true, writable: true, configurable: true });
}
