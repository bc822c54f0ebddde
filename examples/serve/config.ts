/**
 * The service's options: request limits that agree with each other, and the
 * dynamic batcher's knobs. Read from the environment only by the program
 * (`optionsFromEnv` in examples/serve.ts), never deep inside the code.
 */
import { DuetError } from '@duet/core';
import { INPUT_SIZE } from './model.js';

/** Rows (images) per request. */
export const MAX_ROWS = 256;
/** The longest JSON a JavaScript number prints as (`-1.2345678901234567e-100`, 24 bytes) plus a comma. */
const BYTES_PER_PIXEL = 25;
/** Request body limit, in bytes: MAX_ROWS rows of 784 such pixels, brackets, and 1 KB for the rest. */
export const BODY_LIMIT = MAX_ROWS * (INPUT_SIZE * BYTES_PER_PIXEL + 2) + 1024;
/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface BatchingOptions {
  /** Batch concurrent requests into one forward pass (default true); false runs each request's own forward. */
  enabled: boolean;
  /** A batch runs as soon as it holds this many rows (default 64). A single larger request runs alone. */
  maxBatchSize: number;
  /** ...or this long after its first request arrived, whichever comes first (default 2 ms). */
  maxLatencyMs: number;
  /** Rows allowed to wait; a request that would pass it gets 503 with Retry-After (default 1024, at least MAX_ROWS). */
  maxQueueRows: number;
}

export interface ServeOptions {
  batching: BatchingOptions;
  /** Seconds the 503 for a full queue asks clients to wait (`Retry-After`, default 1). */
  retryAfterSeconds: number;
  /** Collect prom-client's default process metrics (CPU, heap, event-loop lag) too (default true). */
  processMetrics: boolean;
  /** Fastify's log level, JSON lines on stdout (default 'warn': a failed forward pass is logged with its stack). */
  logLevel: 'silent' | 'error' | 'warn' | 'info';
}

export const DEFAULT_OPTIONS: ServeOptions = {
  batching: { enabled: true, maxBatchSize: 64, maxLatencyMs: 2, maxQueueRows: 1024 },
  retryAfterSeconds: 1,
  processMetrics: true,
  logLevel: 'warn',
};

/** An option is out of range or an environment variable does not parse. */
export class ServeConfigError extends DuetError {
  constructor(message: string) {
    super('SERVE_CONFIG', message);
  }
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServeConfigError(`${name} must be an integer from ${min} to ${max}. Received: ${name}=${value}`);
  }
}

export type ServeOptionsInput = Partial<Omit<ServeOptions, 'batching'>> & { batching?: Partial<BatchingOptions> };

/** Fills in defaults and checks ranges ("Received: maxBatchSize=-1"). */
export function resolveOptions(options: ServeOptionsInput = {}): ServeOptions {
  const batching = { ...DEFAULT_OPTIONS.batching, ...options.batching };
  const out: ServeOptions = {
    batching,
    retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_OPTIONS.retryAfterSeconds,
    processMetrics: options.processMetrics ?? DEFAULT_OPTIONS.processMetrics,
    logLevel: options.logLevel ?? DEFAULT_OPTIONS.logLevel,
  };
  checkInt('maxBatchSize', batching.maxBatchSize, 1, 65536);
  checkInt('maxLatencyMs', batching.maxLatencyMs, 0, 60_000);
  // A queue smaller than one request could never admit the largest request.
  checkInt('maxQueueRows', batching.maxQueueRows, MAX_ROWS, 1 << 24);
  checkInt('retryAfterSeconds', out.retryAfterSeconds, 0, 3600);
  return out;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new ServeConfigError(`${name} must be a non-negative integer. Received: ${name}=${JSON.stringify(raw)}`);
  return Number(raw);
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ServeConfigError(`${name} must be on/off (1/0, true/false). Received: ${name}=${JSON.stringify(env[name])}`);
}

/**
 * Options from DUET_SERVE_BATCHING (on/off), DUET_SERVE_MAX_BATCH_SIZE,
 * DUET_SERVE_MAX_LATENCY_MS, DUET_SERVE_MAX_QUEUE_ROWS and
 * DUET_SERVE_RETRY_AFTER_S; unset ones keep their defaults.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): ServeOptions {
  const batching: Partial<BatchingOptions> = {};
  const enabled = envBool(env, 'DUET_SERVE_BATCHING');
  const maxBatchSize = envInt(env, 'DUET_SERVE_MAX_BATCH_SIZE');
  const maxLatencyMs = envInt(env, 'DUET_SERVE_MAX_LATENCY_MS');
  const maxQueueRows = envInt(env, 'DUET_SERVE_MAX_QUEUE_ROWS');
  if (enabled !== undefined) batching.enabled = enabled;
  if (maxBatchSize !== undefined) batching.maxBatchSize = maxBatchSize;
  if (maxLatencyMs !== undefined) batching.maxLatencyMs = maxLatencyMs;
  if (maxQueueRows !== undefined) batching.maxQueueRows = maxQueueRows;
  const retryAfterSeconds = envInt(env, 'DUET_SERVE_RETRY_AFTER_S');
  return resolveOptions(retryAfterSeconds === undefined ? { batching } : { batching, retryAfterSeconds });
}
