/** Attention layers (Keras 3's `layers/attention/`). */
export { MultiHeadAttention, type MultiHeadAttentionOptions, type MultiHeadAttentionCallOptions } from './multi_head_attention.js';
