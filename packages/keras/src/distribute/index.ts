/** `keras.distribute`: data-parallel training across processes (issue 13; docs/distributed.md). */
export { MultiWorkerMirroredStrategy, shardRows, type MultiWorkerMirroredStrategyOptions } from './multi_worker_mirrored_strategy.js';
