/**
 * torchvision-style transforms. Image transforms run in JavaScript memory on
 * `RawImage` (HWC uint8) and `HostTensor` (CHW float32) values, seeded by
 * `manualSeed`, and take Tensors too.
 */
export { Transform, ImageTransform, applyTransform, type TransformLike, type Img } from './transform.js';
export { Compose, Lambda, ToTensor, Normalize, Grayscale } from './basic.js';
export {
  RandomHorizontalFlip, RandomVerticalFlip, Resize, CenterCrop, Pad, RandomCrop, RandomResizedCrop, RandomRotation,
  type ResizeOptions, type PadOptions,
} from './geometric.js';
export { ColorJitter, RandomErasing, type ColorJitterOptions, type RandomErasingOptions } from './color.js';
export type { Interpolation, BorderMode } from './pixels.js';
