/**
 * Typed errors of `distributed` (issue 13). Every one is a DuetError with a
 * stable `code`; messages name what was expected and what was received.
 */
import { DuetError } from '../errors.js';

/** Base class of every error `distributed` throws. */
export class DistributedError extends DuetError {}

/** The cluster spec is malformed: not `host:port`, duplicated, rank out of range, bad TF_CONFIG. */
export class ClusterSpecError extends DistributedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CLUSTER_SPEC', message, options);
  }
}

/** This worker's own `host:port` could not be bound (another process holds the port). */
export class PortInUseError extends DistributedError {
  readonly address: string;
  constructor(address: string, message: string, options?: { cause?: unknown }) {
    super('ERR_PORT_IN_USE', message, options);
    this.address = address;
  }
}

/** The workers were started with different world sizes (or different cluster lists). */
export class WorldSizeMismatchError extends DistributedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WORLD_SIZE_MISMATCH', message, options);
  }
}

/**
 * A worker did not join within the timeout, died, or stopped answering while
 * a collective was running. `ranks` lists the workers found unreachable
 * (empty when all answered but the collective still did not finish in time).
 */
export class WorkerFailureError extends DistributedError {
  readonly ranks: number[];
  constructor(ranks: number[], message: string, options?: { cause?: unknown }) {
    super('ERR_WORKER_FAILURE', message, options);
    this.ranks = ranks;
  }
}

/** `distributed` used in the wrong state: not initialized, initialized twice, after destroy() or after a failure. */
export class DistributedStateError extends DistributedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DISTRIBUTED_STATE', message, options);
  }
}
