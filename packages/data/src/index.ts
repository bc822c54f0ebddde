/**
 * @duet/data: datasets, samplers, transforms and the DataLoader, shaped like
 * PyTorch's torch.utils.data and torchvision.
 *
 * @example
 * ```ts
 * import { DataLoader, datasets, transforms } from '@duet/data';
 * const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
 * const trainLoader = new DataLoader(trainSet, { batchSize: 32, shuffle: true });
 * for (const [x, y] of trainLoader) { ... } // x float32 [32, 1, 28, 28], y int32 [32]
 * ```
 */
export * as datasets from './datasets/index.js';
export * as transforms from './transforms/index.js';

export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, randomSplit, type MapDataset } from './dataset.js';
export { Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler, type Sized, type RandomOptions } from './samplers.js';
export { defaultCollate, defaultConvert, type CollateFn } from './collate.js';
export { HostTensor, RawImage } from './host.js';
export { getWorkerInfo, type WorkerInfo, type WorkerSpec } from './worker_spec.js';
export { DataOptionError, DatasetNotFoundError, DatasetFormatError, DataIndexError, DataWorkerError } from './errors.js';

export { MNIST, FashionMNIST, CSVDataset, ImageFolder, loadMnistTensors, readIdx, parseIdx } from './datasets/index.js';
export {
  Transform, ImageTransform, Compose, Lambda, ToTensor, Normalize, Grayscale, RandomHorizontalFlip, RandomVerticalFlip,
  Resize, CenterCrop, Pad, RandomCrop, RandomResizedCrop, RandomRotation, ColorJitter, RandomErasing, type TransformLike,
} from './transforms/index.js';
export { DistributedSampler, shardIndices, shardLength, type DistributedSamplerOptions } from './distributed_sampler.js';
