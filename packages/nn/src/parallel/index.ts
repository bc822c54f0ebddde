/** `nn.parallel`: data-parallel training across processes (issue 13; docs/distributed.md). */
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointParts, type CheckpointExtra } from './checkpoint.js';
