/**
 * Where a worker learns its cluster and rank: `init()`'s options, else the
 * environment that `pnpm duet-run` (or the user) sets, `DUET_CLUSTER` /
 * `DUET_RANK` / `DUET_TIMEOUT_MS`, else `TF_CONFIG` read the way TensorFlow's
 * TFConfigClusterResolver reads it for MultiWorkerMirroredStrategy.
 */
import { ClusterSpecError } from './errors.js';

export interface InitOptions {
  /** Every worker's `host:port`, rank order; a comma-separated string is accepted too. */
  cluster?: readonly string[] | string;
  /** This worker's index in `cluster`. */
  rank?: number;
  /**
   * How long to wait for every worker to join, and for any one collective to
   * finish, before failing with WorkerFailureError (default 120000 ms).
   */
  timeoutMs?: number;
}

export interface ResolvedConfig {
  cluster: string[];
  rank: number;
  timeoutMs: number;
  /** Where the cluster came from: 'options', 'DUET_CLUSTER' or 'TF_CONFIG'. */
  source: string;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** `host:port` (host a name, an IPv4 address or a bracketed IPv6 address; port 1..65535). */
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** Check one `host:port`; returns it trimmed. */
export function checkAddress(address: unknown, where: string): string {
  if (typeof address !== 'string') {
    throw new ClusterSpecError(`${where}: expected a 'host:port' string, received ${describe(address)}.`);
  }
  const a = address.trim();
  const m = ADDRESS.exec(a);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) {
    throw new ClusterSpecError(`${where}: expected 'host:port' with a port in 1..65535, received ${JSON.stringify(address)}.`);
  }
  return a;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function parseCluster(spec: unknown, where: string): string[] {
  const list = typeof spec === 'string' ? spec.split(',').filter((s) => s.trim() !== '') : spec;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ClusterSpecError(`${where}: expected a non-empty list of 'host:port' (an array, or a comma-separated string), received ${describe(spec)}.`);
  }
  const cluster = list.map((a, i) => checkAddress(a, `${where}[${i}]`));
  const seen = new Map<string, number>();
  cluster.forEach((a, i) => {
    const j = seen.get(a);
    if (j !== undefined) throw new ClusterSpecError(`${where}: every worker needs its own address; ${JSON.stringify(a)} is both rank ${j} and rank ${i}.`);
    seen.set(a, i);
  });
  return cluster;
}

function parseRank(v: unknown, where: string, worldSize: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= worldSize) {
    throw new ClusterSpecError(`${where}: expected an integer rank in 0..${worldSize - 1} (the cluster has ${worldSize} workers), received ${describe(v)}.`);
  }
  return n;
}

/**
 * TF_CONFIG as TensorFlow defines it:
 * `{"cluster": {"chief": [...], "worker": [...]}, "task": {"type": "worker", "index": 1}}`.
 * Ranks follow TensorFlow's `multi_worker_util.id_in_cluster`: the chief is 0,
 * then the workers in order (index + 1 when there is a chief).
 */
export function parseTfConfig(text: string): { cluster: string[]; rank: number } {
  let cfg: any;
  try {
    cfg = JSON.parse(text);
  } catch (cause) {
    throw new ClusterSpecError(`TF_CONFIG: expected JSON, received ${JSON.stringify(text.slice(0, 80))} (${(cause as Error).message}).`, { cause });
  }
  const c = cfg?.cluster;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new ClusterSpecError(`TF_CONFIG: expected a "cluster" object with "worker" (and optionally "chief") address lists, received ${describe(c)}.`);
  }
  for (const job of Object.keys(c)) {
    if (job !== 'chief' && job !== 'worker' && job !== 'evaluator') {
      throw new ClusterSpecError(`TF_CONFIG: job "${job}" is not supported; data-parallel training uses "chief" and "worker" (MultiWorkerMirroredStrategy's jobs), received jobs ${JSON.stringify(Object.keys(c))}.`);
    }
  }
  const chief: string[] = c.chief === undefined ? [] : parseCluster(c.chief, 'TF_CONFIG cluster.chief');
  if (chief.length > 1) throw new ClusterSpecError(`TF_CONFIG: expected at most one chief, received ${chief.length}.`);
  const workers: string[] = c.worker === undefined ? [] : parseCluster(c.worker, 'TF_CONFIG cluster.worker');
  const cluster = parseCluster([...chief, ...workers], 'TF_CONFIG cluster');
  const task = cfg.task;
  const type = task?.type;
  if (type === 'evaluator') throw new ClusterSpecError('TF_CONFIG: this task is an "evaluator", which does not take part in training; start it without distributed.init().');
  if (type !== 'chief' && type !== 'worker') {
    throw new ClusterSpecError(`TF_CONFIG: expected task.type "chief" or "worker", received ${describe(type)}.`);
  }
  const jobSize = type === 'chief' ? chief.length : workers.length;
  const index = parseRank(task.index ?? 0, `TF_CONFIG task.index (${type})`, jobSize);
  return { cluster, rank: type === 'chief' ? 0 : index + chief.length };
}

/** The cluster, rank and timeout from `options`, else the environment (see the module doc). */
export function resolveConfig(options: InitOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  let cluster: string[];
  let rank: number | undefined;
  let source: string;
  if (options.cluster !== undefined) {
    cluster = parseCluster(options.cluster, 'init({ cluster })');
    source = 'options';
  } else if (env.DUET_CLUSTER !== undefined && env.DUET_CLUSTER !== '') {
    cluster = parseCluster(env.DUET_CLUSTER, 'DUET_CLUSTER');
    source = 'DUET_CLUSTER';
  } else if (env.TF_CONFIG !== undefined && env.TF_CONFIG !== '') {
    const tfc = parseTfConfig(env.TF_CONFIG);
    cluster = tfc.cluster;
    rank = tfc.rank;
    source = 'TF_CONFIG';
  } else {
    throw new ClusterSpecError("distributed.init(): no cluster given. Pass init({ cluster: ['host:port', ...], rank }), set DUET_CLUSTER and DUET_RANK (pnpm duet-run does), or set TF_CONFIG.");
  }
  if (options.rank !== undefined) rank = parseRank(options.rank, 'init({ rank })', cluster.length);
  else if (source !== 'TF_CONFIG') {
    if (env.DUET_RANK === undefined || env.DUET_RANK === '') {
      throw new ClusterSpecError(`distributed.init(): the cluster has ${cluster.length} workers but no rank was given; pass init({ rank }) or set DUET_RANK.`);
    }
    rank = parseRank(env.DUET_RANK, 'DUET_RANK', cluster.length);
  }
  let timeoutMs = options.timeoutMs ?? (env.DUET_TIMEOUT_MS ? Number(env.DUET_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS);
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ClusterSpecError(`distributed.init(): expected timeoutMs to be a positive number of milliseconds, received ${describe(options.timeoutMs ?? env.DUET_TIMEOUT_MS)}.`);
  }
  timeoutMs = Math.ceil(timeoutMs);
  return { cluster, rank: rank!, timeoutMs, source };
}
