/**
 * distributed across real processes on localhost (issue 13): collectives
 * against values every rank can compute, and the failures: a worker that
 * dies, one that never joins, mismatched world sizes, a port in use; and the
 * duet-run launcher. Workers are test/distributed-workers/scenarios.ts; every
 * child still running when the file ends (a test failed early) is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { freePorts, launch, nodeArgs } from '../scripts/duet-run.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const SCENARIOS = 'test/distributed-workers/scenarios.ts';
const children = new Set<ChildProcess>();

// Every test waits for its own children; a test that fails early leaves them to this (tests run concurrently, so not afterEach).
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

interface Outcome {
  code: number | null;
  result?: any;
  error?: { name: string; code: string; message: string; ranks?: number[] };
  stderr: string;
}

function parse(stdout: string, stderr: string, code: number | null): Outcome {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR '));
  const out: Outcome = { code, stderr };
  if (line?.startsWith('RESULT ')) out.result = JSON.parse(line.slice(7));
  if (line?.startsWith('ERROR ')) out.error = JSON.parse(line.slice(6));
  return out;
}

/** Start one worker of `scenario` with its own cluster list and rank. */
function worker(scenario: string, cluster: string[], rank: number, timeoutMs: number): Promise<Outcome> {
  const child = spawn(process.execPath, [...nodeArgs(SCENARIOS), scenario], {
    cwd: ROOT,
    env: { ...process.env, DUET_CLUSTER: cluster.join(','), DUET_RANK: String(rank), DUET_TIMEOUT_MS: String(timeoutMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((ok) => child.on('close', (code) => ok(parse(stdout, stderr, code))));
}

/** All ranks of `scenario` through the launcher: outcomes by rank. */
async function viaLauncher(scenario: string, nproc: number, timeoutMs = 30_000) {
  const out: { stdout: string; stderr: string }[] = Array.from({ length: nproc }, () => ({ stdout: '', stderr: '' }));
  const run = await launch({
    nproc, script: SCENARIOS, args: [scenario], cwd: ROOT, timeoutMs,
    onLine: (rank: number, stream: 'stdout' | 'stderr', line: string) => (out[rank]![stream] += `${line}\n`),
    onSpawn: (cs: ChildProcess[]) => cs.forEach((c) => children.add(c)),
  });
  return { run, outcomes: out.map((o, r) => parse(o.stdout, o.stderr, run.codes[r])) };
}

const localCluster = async (n: number): Promise<string[]> => ((await freePorts(n)) as number[]).map((p) => `localhost:${p}`);

describe('distributed on 3 local processes', () => {
  it('allReduce, broadcast, allGather, barrier give every rank the same, right values, with no leaked tensors', async () => {
    const world = 3;
    const { run, outcomes } = await viaLauncher('collectives', world);
    expect(run.exitCode, outcomes.map((o) => o.stderr).join('\n')).toBe(0);
    const mine = outcomes.map((o) => o.result.mine as number[]);
    const fold = (f: (a: number, b: number) => number) => mine[0]!.map((_, j) => mine.map((m) => m[j]!).reduce(f));
    const sum = fold((a, b) => a + b);
    for (const [rank, o] of outcomes.entries()) {
      const r = o.result;
      expect(r.rank).toBe(rank); // duet-run's DUET_RANK
      expect(r.world).toBe(world); // its DUET_CLUSTER's length
      expect(r.sum).toEqual(sum);
      for (const [j, v] of (r.mean as number[]).entries()) expect(v).toBeCloseTo(sum[j]! / world, 5);
      expect(r.max).toEqual(fold((a, b) => Math.max(a, b)));
      expect(r.min).toEqual(fold((a, b) => Math.min(a, b)));
      expect(r.prod).toEqual(fold((a, b) => a * b));
      expect(r.isum).toEqual([outcomes.reduce((s, _o, k) => s + k, 0), world]);
      expect(r.bcast).toEqual(outcomes[world - 1]!.result.bcast); // from the last rank
      expect(r.bcast[0][0]).toBe(world - 1);
      expect(r.gathered).toEqual(outcomes.map((_o, k) => [k, k * k]));
      expect(r.host).toEqual(sum);
      expect(r.hostB).toEqual([0, 5]);
      expect(r.leaked).toBe(0);
    }
  });
});

// The failure cases wait on timeouts, not on the CPU: they run side by side.
describe.concurrent('distributed failures (2 processes)', () => {
  it('a worker that dies: the other gets a WorkerFailureError naming it, then DistributedStateError', async () => {
    const cluster = await localCluster(2);
    // a timeout the test could not wait for: the addon's watchdog must notice the dead peer well before it
    const [r0, r1] = await Promise.all([worker('die', cluster, 0, 600_000), worker('die', cluster, 1, 600_000)]);
    expect(r1.code).toBe(0);
    expect(r0.result, r0.stderr).toMatchObject({ name: 'WorkerFailureError', code: 'ERR_WORKER_FAILURE', ranks: [1], after: 'DistributedStateError' });
    expect(r0.result.message).toContain(cluster[1]);
  });

  it('a worker that never joins: WorkerFailureError from init()', async () => {
    const cluster = await localCluster(2);
    const r0 = await worker('init-only', cluster, 0, 3000); // the leader, alone
    expect(r0.code).toBe(1);
    expect(r0.error, r0.stderr).toMatchObject({ name: 'WorkerFailureError', ranks: [1] });
    expect(r0.error!.message).toMatch(/did not join within 3000 ms/);
  });

  it('mismatched world sizes: WorldSizeMismatchError', async () => {
    const cluster = await localCluster(3);
    const [r0, r1] = await Promise.all([worker('init-only', cluster.slice(0, 2), 0, 30_000), worker('init-only', cluster, 1, 30_000)]);
    for (const r of [r0, r1]) expect(r.code).toBe(1);
    expect([r0.error?.name, r1.error?.name], r0.stderr + r1.stderr).toContain('WorldSizeMismatchError');
    for (const r of [r0, r1]) expect(['WorldSizeMismatchError', 'WorkerFailureError']).toContain(r.error?.name);
  });

  it('a port in use: PortInUseError naming the address', async () => {
    const [port] = (await freePorts(1)) as number[];
    const server: Server = createServer();
    await new Promise<void>((ok) => server.listen(port, ok));
    try {
      const r = await worker('init-only', [`localhost:${port}`, 'localhost:1'], 0, 3000);
      expect(r.error, r.stderr).toMatchObject({ name: 'PortInUseError', code: 'ERR_PORT_IN_USE' });
      expect(r.error!.message).toContain(`localhost:${port}`);
    } finally {
      server.close();
    }
  });
});

describe('duet-run', () => {
  it('exits with a failed worker\'s code and stops the others', async () => {
    const { run, outcomes } = await viaLauncher('exit-3', 2, 60_000);
    expect(run.codes[1]).toBe(3);
    expect(run.exitCode).toBe(3);
    // rank 0, waiting in barrier(), was stopped by the launcher, or noticed the dead peer itself first
    const stopped = run.signals[0] === 'SIGTERM' || outcomes[0]!.error?.name === 'WorkerFailureError';
    expect(stopped, `${run.signals[0]} ${JSON.stringify(outcomes[0]!.error)}`).toBe(true);
  });
});
