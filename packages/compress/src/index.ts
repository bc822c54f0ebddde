/**
 * @duet/compress: smaller models for Duet, both styles. Int8 per-channel
 * weight quantization with a safetensors file and dequantize-on-load,
 * knowledge distillation (an nn loss and a Keras `Distiller`), magnitude
 * pruning of Keras models (`pruneLowMagnitude`, tfmot's shape). nn
 * pruning is `nn.utils.prune` in @duet/nn, where PyTorch has it. See
 * docs/compression.md.
 */
export { QuantizationError } from './errors.js';
export { quantizePerChannel, dequantizePerChannel, type Int8Weight } from './int8.js';
export {
  quantizeWeights, saveQuantized, loadQuantized, readQuantized,
  type QuantizableModel, type QuantizeOptions, type QuantizedState, type QuantizationReport,
} from './quantize.js';
export { distillationLoss, softTargetLoss, Distiller, type DistillationOptions, type DistillerOptions, type DistillerCompileOptions } from './distill.js';
export { pruneLowMagnitude, KerasPruning, type KerasPruneOptions } from './keras_prune.js';
