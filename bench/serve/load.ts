/**
 * Load test of examples/serve.ts with autocannon, batching on vs off.
 *
 * Each run starts the server as a child process on an ephemeral loopback port
 * (127.0.0.1 only), warms it up, then sends one-row POST /predict requests
 * from CONNECTIONS (64) connections for DURATION_S (10) seconds, and reads
 * the native tensor count from /metrics before and after. ROUNDS (3) rounds
 * alternate the two modes (the order flips each round), and the summary gives
 * medians: the machine is shared and noisy. Bounded: ROUNDS x 2 x
 * (WARMUP_S + DURATION_S) seconds of traffic plus start-ups.
 *
 *   pnpm bench serve
 *   ROUNDS=5 DURATION_S=10 pnpm exec tsx --conditions=source bench/serve/load.ts
 *
 * The model is the MNIST MLP with random weights (the weights do not change the
 * work), saved to a temporary .safetensors file and loaded as `pnpm mnist`'s is.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { manualSeed } from '@duet/core';
import { save } from '@duet/nn';
import { MnistMLP } from '../../examples/serve.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const MAX_LATENCY_MS = process.env.DUET_SERVE_MAX_LATENCY_MS ?? '2';
const MAX_BATCH_SIZE = process.env.DUET_SERVE_MAX_BATCH_SIZE ?? '64';

interface Run {
  mode: 'on' | 'off';
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  meanBatch: number;
  /** Mean time of one forward pass, ms (duet_forward_duration_seconds). */
  forwardMs: number;
  tensorsBefore: number;
  tensorsAfter: number;
  /** The machine's 1-minute load average after the run (2 cores; others share them). */
  load: number;
}

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

async function startServer(modelPath: string, batching: boolean): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/serve.ts', modelPath], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DUET_SERVE_BATCHING: batching ? 'on' : 'off',
      DUET_SERVE_MAX_LATENCY_MS: MAX_LATENCY_MS,
      DUET_SERVE_MAX_BATCH_SIZE: MAX_BATCH_SIZE,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not listen within 120 s')), 120_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line) as { event: string; address?: string };
      if (e.event === 'listening' && e.address !== undefined) {
        clearTimeout(timer);
        resolve(e.address);
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function load(url: string, seconds: number, body: string): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

async function runOnce(modelPath: string, mode: 'on' | 'off', body: string): Promise<Run> {
  const server = await startServer(modelPath, mode === 'on');
  try {
    await load(server.url, WARMUP_S, body);
    const before = await scrape(server.url);
    const r = await load(server.url, DURATION_S, body);
    const after = await scrape(server.url);
    const batches = sample(after, 'duet_batch_size_rows_count') - sample(before, 'duet_batch_size_rows_count');
    const rows = sample(after, 'duet_batch_size_rows_sum') - sample(before, 'duet_batch_size_rows_sum');
    return {
      mode,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      meanBatch: rows / batches,
      forwardMs: ((sample(after, 'duet_forward_duration_seconds_sum') - sample(before, 'duet_forward_duration_seconds_sum')) / batches) * 1000,
      tensorsBefore: sample(before, 'duet_native_tensors'),
      tensorsAfter: sample(after, 'duet_native_tensors'),
      load: loadavg()[0]!,
    };
  } finally {
    const code = await server.stop();
    if (code !== 0) console.log(`  (server exited with ${code} after SIGTERM)`);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

manualSeed(0);
const modelPath = join(mkdtempSync(join(tmpdir(), 'duet-serve-bench-')), 'mlp.safetensors');
await save(new MnistMLP().stateDict(), modelPath);
const pixels = Array.from({ length: 784 }, (_, i) => ((i * 7919) % 1000) / 1000);
const body = JSON.stringify({ pixels: [pixels] });

console.log(
  `serve load test: ${CONNECTIONS} connections, ${DURATION_S} s per run (+${WARMUP_S} s warm-up), one 784-pixel row per request, ` +
    `${ROUNDS} rounds alternating batching off/on (maxBatchSize ${MAX_BATCH_SIZE}, maxLatencyMs ${MAX_LATENCY_MS}); 127.0.0.1 only`,
);
console.log('mode  req/s    p50 ms  p99 ms  errors  non2xx  rows/forward  ms/forward  load avg  native tensors before -> after');
const runs: Run[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order: ('on' | 'off')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    const r = await runOnce(modelPath, mode, body);
    runs.push(r);
    console.log(
      `${r.mode.padEnd(5)} ${r.rps.toFixed(0).padStart(6)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}  ` +
        `${String(r.errors).padStart(6)}  ${String(r.non2xx).padStart(6)}  ${r.meanBatch.toFixed(1).padStart(12)}  ${r.forwardMs.toFixed(3).padStart(10)}  ${r.load.toFixed(1).padStart(8)}  ${r.tensorsBefore} -> ${r.tensorsAfter}`,
    );
  }
}
const on = runs.filter((r) => r.mode === 'on');
const off = runs.filter((r) => r.mode === 'off');
const m = (rs: Run[], k: 'rps' | 'p50' | 'p99' | 'meanBatch' | 'forwardMs') => median(rs.map((r) => r[k]));
console.log(`\nmedians: batching off ${m(off, 'rps').toFixed(0)} req/s, p50 ${m(off, 'p50').toFixed(1)} ms, p99 ${m(off, 'p99').toFixed(1)} ms`);
console.log(`         batching on  ${m(on, 'rps').toFixed(0)} req/s, p50 ${m(on, 'p50').toFixed(1)} ms, p99 ${m(on, 'p99').toFixed(1)} ms, ${m(on, 'meanBatch').toFixed(1)} rows per forward`);
console.log(`forward pass: ${m(off, 'forwardMs').toFixed(3)} ms for 1 row (off), ${m(on, 'forwardMs').toFixed(3)} ms per batch (on)`);
console.log(`throughput on / off: ${(m(on, 'rps') / m(off, 'rps')).toFixed(2)}x (goal >= 3x, with p99 < 50 ms)`);
const flat = runs.every((r) => r.tensorsAfter === r.tensorsBefore);
console.log(`native tensors ${flat ? 'flat in every run' : 'CHANGED in some run'} (${runs.map((r) => `${r.tensorsBefore}->${r.tensorsAfter}`).join(', ')})`);
if (runs.some((r) => r.errors > 0 || r.non2xx > 0)) console.log('some runs had errors or non-2xx answers (see the table)');
