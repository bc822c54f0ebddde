/**
 * ImageFolder (torchvision.datasets.ImageFolder): `root/<class>/<image>`, one
 * sub-folder per class, classes sorted by name. Images are decoded by
 * TensorFlow's native decoders (`decodeImage` of @duet/core) into RawImages.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Dataset, checkIndex } from '../dataset.js';
import { DataOptionError, DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import type { RawImage } from '../host.js';
import { applyTransform, type TransformLike } from '../transforms/transform.js';
import type { WorkerSpec } from '../worker_spec.js';
import { decodeToRawImage } from './decode.js';

export const IMG_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.bmp', '.gif'];

export interface ImageFolderOptions {
  /** Applied to each image (a RawImage, HWC uint8). */
  transform?: TransformLike;
  /** Applied to each class index. */
  targetTransform?: TransformLike;
  /** File extensions to include (case-insensitive). Default: .png .jpg .jpeg .bmp .gif. */
  extensions?: string[];
  /** Channels of the decoded images: 3 (RGB, default, like torchvision's loader), 1 (grey) or 4 (RGBA). */
  channels?: 1 | 3 | 4;
  /** Reads one file into a RawImage, instead of the native decoder (cannot cross to worker threads). */
  loader?: (path: string) => RawImage;
  /** Allow class folders without images (torchvision's allow_empty). Default false. */
  allowEmpty?: boolean;
}

/**
 * Images in one sub-folder per class. Items are `[image, classIndex]`.
 *
 * @example
 * ```ts
 * const ds = new datasets.ImageFolder('data/train', { transform: new transforms.Compose([new transforms.Resize(64), new transforms.ToTensor()]) });
 * ds.classes; // ['cat', 'dog']
 * ```
 */
export class ImageFolder extends Dataset<[any, any]> {
  readonly root: string;
  /** Class names: the sub-folder names, sorted. */
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  /** `[path, classIndex]` of every image, sorted by class then file name. */
  readonly samples: [string, number][];
  /** The class index of every image. */
  readonly targets: number[];
  readonly transform: TransformLike | undefined;
  readonly targetTransform: TransformLike | undefined;
  private readonly options: ImageFolderOptions;
  private readonly channels: number;

  constructor(root: string, options: ImageFolderOptions = {}) {
    super();
    this.root = root;
    this.options = options;
    this.transform = options.transform;
    this.targetTransform = options.targetTransform;
    this.channels = options.channels ?? 3;
    if (![1, 3, 4].includes(this.channels)) throw new DataOptionError('channels', `ImageFolder: channels must be 1, 3 or 4; received ${options.channels}.`);
    const exts = (options.extensions ?? IMG_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
    let entries: string[];
    try {
      if (!statSync(root).isDirectory()) throw new Error('not a directory');
      entries = readdirSync(root);
    } catch (cause) {
      throw new DatasetNotFoundError(root, `ImageFolder: cannot read the folder ${root}: ${(cause as Error).message}`, { cause });
    }
    this.classes = entries.filter((e) => !e.startsWith('.') && statSync(join(root, e)).isDirectory()).sort();
    if (this.classes.length === 0) {
      throw new DatasetFormatError(root, `ImageFolder: found no class folders in ${root}; expected one sub-folder per class (root/<class>/<image>).`);
    }
    this.classToIdx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    this.samples = [];
    const empty: string[] = [];
    this.classes.forEach((c, k) => {
      const files = walk(join(root, c)).filter((f) => exts.includes(extname(f).toLowerCase())).sort();
      if (files.length === 0) empty.push(c);
      for (const f of files) this.samples.push([f, k]);
    });
    if (empty.length > 0 && !options.allowEmpty) {
      throw new DatasetFormatError(root, `ImageFolder: found no images in the class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${c}'`).join(', ')} of ${root}; supported extensions are ${exts.join(', ')} (or pass allowEmpty: true).`);
    }
    this.targets = this.samples.map((s) => s[1]);
  }

  get length(): number {
    return this.samples.length;
  }

  /** Read and decode one image file into a RawImage. */
  loadImage(path: string): RawImage {
    if (this.options.loader) return this.options.loader(path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (cause) {
      throw new DatasetNotFoundError(path, `ImageFolder: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
    return decodeToRawImage(bytes, path, this.channels);
  }

  get(index: number): [any, any] {
    const [path, target] = this.samples[checkIndex(index, this.samples.length, 'ImageFolder.get')]!;
    return [applyTransform(this.transform, this.loadImage(path)), applyTransform(this.targetTransform, target)];
  }

  toWorkerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: 'ImageFolder', args: [this.root, this.options] };
  }
}

/** Files under `dir`, recursively (hidden entries skipped). */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
