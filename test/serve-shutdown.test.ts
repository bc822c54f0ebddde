/**
 * examples/serve.ts as a program: SIGTERM stops accepting, answers the
 * requests in flight (the queued batch included) and exits 0.
 *
 * No timing assumptions: the batch timer is set to 60 s and the batch size
 * above the number of requests, so the requests stay queued until the test
 * has seen them all in the queue (via /metrics) and sends SIGTERM; only the
 * shutdown can run them. Bounded timeouts guard every wait. The child's
 * stderr (TensorFlow's start-up lines) is kept for failure messages only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { manualSeed } from '@duet/core';
import { save } from '@duet/nn';
import { MnistMLP, type PredictResponse } from '../examples/serve.js';
import { metric, row } from './serve-helpers.js';

const root = new URL('..', import.meta.url).pathname;

function withTimeout<T>(p: Promise<T>, ms: number, what: string, log: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; child stderr tail:\n${log()}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe('examples/serve.ts graceful shutdown (child process)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('on SIGTERM answers every queued request with 200, then exits 0', async () => {
    manualSeed(3);
    const modelPath = join(mkdtempSync(join(tmpdir(), 'duet-serve-')), 'mlp.safetensors');
    await save(new MnistMLP().stateDict(), modelPath);

    const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/serve.ts', modelPath], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DUET_SERVE_MAX_BATCH_SIZE: '1024', DUET_SERVE_MAX_LATENCY_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const log = () => stderr;
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const events: { event: string; address?: string }[] = [];
    let onEvent = (): void => {};
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const e = JSON.parse(line) as { event?: string; address?: string };
        if (typeof e.event === 'string') events.push(e as { event: string });
        onEvent();
      } catch {
        // not one of the program's JSON lines
      }
    });
    const listening = await withTimeout(
      new Promise<string>((resolve, reject) => {
        onEvent = () => {
          const e = events.find((x) => x.event === 'listening');
          if (e?.address !== undefined) resolve(e.address);
        };
        void exited.then((code) => reject(new Error(`server exited with ${code} before listening`)));
      }),
      90_000,
      'the server to listen',
      log,
    );
    expect(listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const N = 12;
    const responses = Array.from({ length: N }, (_, i) =>
      fetch(`${listening}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pixels: Array.from({ length: 1 + (i % 3) }, (_, r) => row(i * 3 + r)) }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as PredictResponse })),
    );
    // All N are in the queue (the 60 s timer and the batch size of 1024 keep them there).
    await withTimeout(
      (async () => {
        for (;;) {
          const text = await (await fetch(`${listening}/metrics`)).text();
          if (metric(text, 'duet_queue_depth_requests') === N) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      60_000,
      `${N} requests in the queue`,
      log,
    );

    proc.kill('SIGTERM');
    const answered = await withTimeout(Promise.all(responses), 60_000, 'the queued requests to be answered', log);
    answered.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.body.classes).toHaveLength(1 + (i % 3));
    });
    expect(await withTimeout(exited, 60_000, 'the process to exit', log)).toBe(0);
    expect(events.map((e) => e.event)).toEqual(['listening', 'shutdown', 'closed']);
    // And it no longer accepts connections.
    await expect(fetch(`${listening}/health`)).rejects.toThrow();
  });
});
