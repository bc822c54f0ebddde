/** Recurrent layers (Keras 3's `layers/rnn/`). */
export { Recurrent, type RNNOptions, type RecurrentOptions, type RNNCallOptions } from './recurrent.js';
export { SimpleRNN, type SimpleRNNOptions } from './simple_rnn.js';
export { LSTM, type LSTMOptions } from './lstm.js';
export { GRU, type GRUOptions } from './gru.js';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './bidirectional.js';
export { TimeDistributed } from './time_distributed.js';
