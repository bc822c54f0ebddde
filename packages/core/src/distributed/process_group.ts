/**
 * The process group: PyTorch's `torch.distributed` calls (init, allReduce,
 * broadcast, allGather, barrier, destroy) over TensorFlow's collective
 * runtime (docs/design/distributed.md). One group per process: every worker
 * of the cluster, ranks as listed. Every call is synchronous and collective:
 * all workers must make the same calls in the same order (as in PyTorch).
 */
import { tensor } from '../creation.js';
import { DTypeError, ArgumentError } from '../errors.js';
import { noGrad } from '../grad_mode.js';
import { Tensor } from '../tensor.js';
import { resolveConfig, type InitOptions } from './config.js';
import {
  ClusterSpecError, DistributedError, DistributedStateError, PortInUseError, WorkerFailureError, WorldSizeMismatchError,
} from './errors.js';
import { distAddon, TF_CODE, type CollectiveKeys, type DistAddon, type HostArray, type TfStatusError } from './native.js';
import { encodeServerDef, taskDevice, taskName } from './server_def.js';

/** PyTorch's ReduceOp names, as strings. 'mean' is PyTorch's AVG. */
export type ReduceOp = 'sum' | 'mean' | 'avg' | 'product' | 'prod' | 'min' | 'max';

interface Group {
  addon: DistAddon;
  cluster: string[];
  rank: number;
  worldSize: number;
  timeoutMs: number;
  device: string;
  /** The other workers' task names. */
  peers: string[];
  nextInstance: number;
  failed: DistributedError | null;
  destroyed: boolean;
}

const GROUP_KEY = 1;
let group: Group | null = null;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

/** FNV-1a of the cluster list, as an int32: every worker must hold the same list. */
function fingerprint(cluster: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const ch of cluster.join(',')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Join the cluster (PyTorch's `init_process_group`). Starts this worker's
 * TensorFlow gRPC server on its own `host:port`, waits until every worker
 * has joined (at most `timeoutMs`) and checks that all were given the same
 * cluster. Throws ClusterSpecError, PortInUseError, WorldSizeMismatchError or
 * WorkerFailureError (a worker did not join in time).
 */
export function init(options: InitOptions = {}): void {
  if (group !== null) {
    throw new DistributedStateError(
      group.destroyed
        ? 'distributed.init(): this process already ran a process group and destroyed it; TensorFlow cannot restart its gRPC server in the same process, so start a new process to join again.'
        : `distributed.init(): already initialized (rank ${group.rank} of ${group.worldSize}); call it once per process.`,
    );
  }
  const cfg = resolveConfig(options);
  const addon = distAddon();
  const address = cfg.cluster[cfg.rank]!;
  try {
    addon.enable(encodeServerDef(cfg.cluster, cfg.rank));
  } catch (e) {
    const err = e as TfStatusError;
    if (/address already in use|failed to add port|could not start|bind/i.test(err.message)) {
      throw new PortInUseError(address, `distributed.init(): rank ${cfg.rank} could not listen on ${address}: the port is in use (TensorFlow: ${firstLine(err.message)}). Pick a free port for every worker, or let pnpm duet-run pick them.`, { cause: e });
    }
    throw new ClusterSpecError(`distributed.init(): TensorFlow rejected the cluster ${JSON.stringify(cfg.cluster)} for rank ${cfg.rank}: ${firstLine(err.message)}`, { cause: e });
  }
  const g: Group = {
    addon, cluster: cfg.cluster, rank: cfg.rank, worldSize: cfg.cluster.length, timeoutMs: cfg.timeoutMs,
    device: taskDevice(cfg.rank), peers: cfg.cluster.map((_a, r) => taskName(r)).filter((_t, r) => r !== cfg.rank),
    nextInstance: 1, failed: null, destroyed: false,
  };
  group = g;
  const deadline = Date.now() + cfg.timeoutMs;
  // The leader (rank 0) resolves every group: wait until it answers.
  if (g.rank !== 0) waitForPeer(g, 0, deadline);
  // One gather of (world size, rank, cluster fingerprint): every worker joins the group here.
  const me = Int32Array.from([g.worldSize, g.rank, fingerprint(g.cluster)]);
  const seconds = Math.max(1, (deadline - Date.now()) / 1000);
  const rows = collective(g, 'gather', me, [1, 3], {}, 'init()', seconds, true).data as Int32Array;
  for (let r = 0; r < g.worldSize; r++) {
    const [size, rank, print] = [rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]];
    if (size !== g.worldSize) {
      throw fail(g, new WorldSizeMismatchError(`distributed.init(): rank ${g.rank} has world size ${g.worldSize}, but rank ${rank} has ${size}. Start every worker with the same cluster list.`));
    }
    if (print !== me[2] || rank !== r) {
      throw fail(g, new ClusterSpecError(`distributed.init(): the workers hold different cluster lists (rank ${g.rank}: ${JSON.stringify(g.cluster)}); start every worker with the same list, in the same order.`));
    }
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function waitForPeer(g: Group, peer: number, deadline: number): void {
  let last = '';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const [code, message] = g.addon.checkPeer(taskName(peer), Math.min(left, 2000));
    if (code === 0) return;
    last = firstLine(message);
    sleepSync(Math.min(100, deadline - Date.now()));
  }
  throw fail(g, new WorkerFailureError([peer], `distributed.init(): rank ${peer} (${g.cluster[peer]}) did not join within ${g.timeoutMs} ms (last answer: ${last || 'none'}). Check that every worker was started and can reach ${g.cluster[peer]}.`));
}

/** Record the group's failure (later calls rethrow it) and abort TensorFlow's collectives. */
function fail(g: Group, err: DistributedError): DistributedError {
  if (g.failed === null) {
    g.failed = err;
    try {
      g.addon.abort(err.message);
    } catch {
      // aborting is best effort
    }
  }
  return err;
}

/** Workers (other than this one) that do not answer a health check. */
function unreachable(g: Group): { ranks: number[]; why: string[] } {
  const ranks: number[] = [];
  const why: string[] = [];
  for (let r = 0; r < g.worldSize; r++) {
    if (r === g.rank) continue;
    const [code, message] = g.addon.checkPeer(taskName(r), Math.min(g.timeoutMs, 3000));
    if (code !== 0) {
      ranks.push(r);
      why.push(`rank ${r} (${g.cluster[r]}): ${firstLine(message)}`);
    }
  }
  return { ranks, why };
}

/** The typed error for a collective that TensorFlow failed. */
function classify(g: Group, e: TfStatusError, what: string, joining: boolean): DistributedError {
  const msg = firstLine(e.message);
  if (/group.*size|size.*group/i.test(e.message) && !/timed out/i.test(e.message)) {
    return new WorldSizeMismatchError(`distributed.${what}: the workers disagree on the world size (this worker: ${g.worldSize}); TensorFlow: ${msg}. Start every worker with the same cluster list.`, { cause: e });
  }
  const { ranks, why } = unreachable(g);
  if (ranks.length > 0) {
    return new WorkerFailureError(ranks, `distributed.${what}: rank ${g.rank} lost contact with ${ranks.length === 1 ? 'a worker' : `${ranks.length} workers`} (${why.join('; ')}). ` +
      (joining ? `It did not join within ${g.timeoutMs} ms.` : 'It died or stopped answering; restart the job (resume from the last checkpoint).'), { cause: e });
  }
  return new WorkerFailureError([], `distributed.${what}: the collective did not complete within ${g.timeoutMs} ms on rank ${g.rank} (TensorFlow: ${msg}). ` +
    (joining ? 'Every worker answers but not all joined the group: were they all started with the same cluster list (world size)?' : 'Every worker answers: one of them may be stuck, or the workers did not make the same collective calls in the same order.'), { cause: e });
}

function active(what: string): Group {
  if (group === null) throw new DistributedStateError(`distributed.${what}: call distributed.init() first (or start the script with pnpm duet-run).`);
  if (group.destroyed) throw new DistributedStateError(`distributed.${what}: the process group was destroyed.`);
  if (group.failed !== null) {
    throw new DistributedStateError(`distributed.${what}: the process group failed earlier and cannot be used again (${group.failed.message})`, { cause: group.failed });
  }
  return group;
}

function collective(
  g: Group, kind: 'reduce' | 'gather' | 'send' | 'recv', data: HostArray | null, shape: readonly number[],
  extra: Partial<CollectiveKeys>, what: string, timeoutSeconds = g.timeoutMs / 1000, joining = false,
): { data: HostArray; shape: number[] } {
  const keys: CollectiveKeys = {
    groupSize: g.worldSize, groupKey: GROUP_KEY, instanceKey: g.nextInstance++, timeoutSeconds, device: g.device,
    // once everyone has joined, a peer whose process is gone aborts the op at once (the addon's watchdog)
    ...(joining ? {} : { watch: g.peers }),
    ...extra,
  };
  try {
    return g.addon.collective(kind, data, shape, keys);
  } catch (e) {
    if (e instanceof DistributedError) throw e;
    throw fail(g, classify(g, e as TfStatusError, what, joining));
  }
}

const OPS: Record<string, Pick<CollectiveKeys, 'mergeOp' | 'finalOp'>> = {
  sum: { mergeOp: 'Add', finalOp: 'Id' },
  mean: { mergeOp: 'Add', finalOp: 'Div' },
  avg: { mergeOp: 'Add', finalOp: 'Div' },
  product: { mergeOp: 'Mul', finalOp: 'Id' },
  prod: { mergeOp: 'Mul', finalOp: 'Id' },
  min: { mergeOp: 'Min', finalOp: 'Id' },
  max: { mergeOp: 'Max', finalOp: 'Id' },
};

function reduceOp(op: string, dtype: string, what: string): Pick<CollectiveKeys, 'mergeOp' | 'finalOp'> {
  const o = typeof op === 'string' ? OPS[op.toLowerCase()] : undefined;
  if (o === undefined) throw new ArgumentError(`distributed.${what}: expected op 'sum', 'mean' (or 'avg'), 'product', 'min' or 'max', received ${JSON.stringify(op)}.`);
  if (o.finalOp === 'Div' && dtype === 'int32') throw new DTypeError(`distributed.${what}: 'mean' needs a float32 tensor, received int32 (reduce with 'sum' and divide).`);
  return o;
}

function hostOf(t: Tensor, what: string): Float32Array | Int32Array {
  if (!(t instanceof Tensor)) throw new ArgumentError(`distributed.${what}: expected a Tensor, received ${t === null ? 'null' : typeof t}.`);
  if (t.dtype === 'bool') throw new DTypeError(`distributed.${what}: expected a float32 or int32 tensor, received bool (cast it with .int() first).`);
  return t.dataSync() as Float32Array | Int32Array;
}

/**
 * Reduce a host array across all workers (the bucket path of
 * DistributedDataParallel and Keras's metric reduction): a new array.
 */
export function allReduceArray<T extends Float32Array | Float64Array | Int32Array>(data: T, op: ReduceOp = 'sum'): T {
  const g = active('allReduceArray()');
  const ops = reduceOp(op, data instanceof Int32Array ? 'int32' : 'float32', 'allReduceArray()');
  return collective(g, 'reduce', data, [data.length], ops, 'allReduceArray()').data as T;
}

/** Broadcast a host array from rank `src` (every rank passes an array of the same length and type): a new array. */
export function broadcastArray<T extends Float32Array | Int32Array>(data: T, src = 0): T {
  const g = active('broadcastArray()');
  checkSrc(g, src, 'broadcastArray()');
  if (g.worldSize === 1) return data.slice() as T;
  const dtype = data instanceof Int32Array ? 'int32' : 'float32';
  return (g.rank === src
    ? collective(g, 'send', data, [data.length], {}, 'broadcastArray()')
    : collective(g, 'recv', null, [data.length], { dtype }, 'broadcastArray()')).data as T;
}

function checkSrc(g: Group, src: number, what: string): void {
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) {
    throw new ArgumentError(`distributed.${what}: expected a source rank in 0..${g.worldSize - 1}, received ${String(src)}.`);
  }
}

/** Replace `t`'s values (in place, no graph). */
function assign(t: Tensor, data: HostArray, shape: number[]): void {
  noGrad(() => {
    const v = tensor(data as Float32Array | Int32Array, { shape, dtype: t.dtype });
    t.copy_(v);
    v.dispose();
  });
}

/**
 * `torch.distributed.all_reduce`: reduce `t` across all workers, in place
 * (every worker ends with the result); returns `t`. `op`: 'sum' (default),
 * 'mean' ('avg'), 'product', 'min', 'max'. float32 or int32.
 */
export function allReduce(t: Tensor, op: ReduceOp = 'sum'): Tensor {
  const g = active('allReduce()');
  const data = hostOf(t, 'allReduce()');
  const r = collective(g, 'reduce', data, t.shape, reduceOp(op, t.dtype, 'allReduce()'), 'allReduce()');
  assign(t, r.data, [...t.shape]);
  return t;
}

/** `torch.distributed.broadcast`: `t` takes rank `src`'s values, in place, on every worker; returns `t`. */
export function broadcast(t: Tensor, src = 0): Tensor {
  const g = active('broadcast()');
  checkSrc(g, src, 'broadcast()');
  const data = hostOf(t, 'broadcast()');
  if (g.worldSize === 1) return t;
  if (g.rank === src) {
    collective(g, 'send', data, t.shape, {}, 'broadcast()');
  } else {
    const r = collective(g, 'recv', null, t.shape, { dtype: t.dtype as 'float32' | 'int32' }, 'broadcast()');
    assign(t, r.data, [...t.shape]);
  }
  return t;
}

/**
 * `torch.distributed.all_gather`: every worker's `t` (all of one shape and
 * dtype), as a list indexed by rank. New tensors.
 */
export function allGather(t: Tensor): Tensor[] {
  const g = active('allGather()');
  const data = hostOf(t, 'allGather()');
  const r = collective(g, 'gather', data, [1, ...t.shape], {}, 'allGather()');
  const n = data.length;
  const out: Tensor[] = [];
  for (let i = 0; i < g.worldSize; i++) {
    out.push(tensor(r.data.subarray(i * n, (i + 1) * n) as Float32Array | Int32Array, { shape: [...t.shape], dtype: t.dtype }));
  }
  return out;
}

/** `torch.distributed.barrier`: returns once every worker has called it. */
export function barrier(): void {
  const g = active('barrier()');
  collective(g, 'reduce', Int32Array.of(1), [1], OPS.sum!, 'barrier()');
}

/**
 * `torch.distributed.destroy_process_group`: this process leaves the group;
 * later calls throw DistributedStateError. TensorFlow cannot stop its gRPC
 * server inside a running process, so the port stays held until the process
 * exits and the process cannot init() again.
 */
export function destroy(): void {
  if (group === null || group.destroyed) return;
  // Collectives are synchronous, so none is pending here: nothing to abort.
  group.destroyed = true;
}

/** True between init() and destroy(). */
export function isInitialized(): boolean {
  return group !== null && !group.destroyed;
}

/** This worker's rank (`torch.distributed.get_rank`). */
export function getRank(): number {
  return active('getRank()').rank;
}

/** The number of workers (`torch.distributed.get_world_size`). */
export function getWorldSize(): number {
  return active('getWorldSize()').worldSize;
}

/** The cluster this worker joined (`host:port` by rank). */
export function getCluster(): string[] {
  return [...active('getCluster()').cluster];
}
