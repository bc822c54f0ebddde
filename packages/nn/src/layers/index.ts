/** Every built-in layer, re-exported flat under `nn` (`nn.Linear`, `nn.Conv2d`, ...). */
export { Linear, Bilinear, Identity } from './linear.js';
export { Flatten, Unflatten } from './flatten.js';
export { ReLU, ReLU6, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from './activation.js';
export { Sequential, ModuleList, ModuleDict } from './container.js';
export { Dropout, Dropout2d } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { BatchNormBase, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { LayerNorm, GroupNorm } from './normalization.js';
export { ConvBase, Conv1d, Conv2d, ConvTranspose2d, type ConvOptions, type PaddingMode } from './conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, type MaxPoolOptions, type AvgPoolOptions } from './pooling.js';
export { LazyLinear, LazyConv1d, LazyConv2d, LazyConvTranspose2d, LazyBatchNorm1d, LazyBatchNorm2d } from './lazy.js';
export { RNNBase, RNN, LSTM, GRU, type RNNOptions } from './rnn.js';
export { MultiheadAttention, NonDynamicallyQuantizableLinear, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from './attention.js';
export {
  TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder,
  type TransformerLayerOptions, type EncoderForwardOptions, type DecoderForwardOptions, type Activation,
} from './transformer.js';
