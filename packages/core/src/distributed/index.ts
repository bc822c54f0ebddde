/**
 * `distributed`: data-parallel training on TensorFlow's collective runtime
 * (PyTorch's `torch.distributed`, issue 13). See docs/distributed.md.
 *
 * @example
 * ```ts
 * import { distributed, tensor } from '@duet/core';
 * distributed.init(); // DUET_CLUSTER / DUET_RANK, as pnpm duet-run sets them
 * const t = tensor([distributed.getRank() + 1]);
 * distributed.allReduce(t, 'sum'); // every worker: 1 + 2 + ... + worldSize
 * ```
 */
export {
  init, destroy, isInitialized, getRank, getWorldSize, getCluster, allReduce, broadcast, allGather, barrier,
  allReduceArray, broadcastArray, type ReduceOp,
} from './process_group.js';
export { resolveConfig, parseTfConfig, DEFAULT_TIMEOUT_MS, type InitOptions, type ResolvedConfig } from './config.js';
export { encodeServerDef, taskName, taskDevice } from './server_def.js';
export {
  DistributedError, ClusterSpecError, PortInUseError, WorldSizeMismatchError, WorkerFailureError, DistributedStateError,
} from './errors.js';
