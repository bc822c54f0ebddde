/**
 * Profiling a Duet training loop works: `node --cpu-prof` on
 * test/profiling/train.ts (the seed MLP with Adam, then a Keras fit) exits 0
 * and writes a .cpuprofile that names Duet's functions.
 *
 * The bug this guards (docs/design/performance.md "Profiling"): TensorFlow's
 * oneDNN sgemm kernels point the stack pointer at a heap buffer while they
 * run; V8's profiler signals the JavaScript thread (SIGPROF) every sampling
 * interval, and without the alternate signal stack that @duet/core gives the
 * engine's thread, the kernel wrote each signal frame over the heap: glibc
 * aborted with "corrupted size vs. prev_size while consolidating" (6 runs in
 * 6 here, at either interval). The 100 us interval (V8's default is 1000 us)
 * makes a signal inside a matrix product near certain, so the test fails
 * without the fix; whether it passes does not depend on timing.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

interface ProfileNode {
  callFrame: { functionName: string; url: string };
}

describe('node --cpu-prof on a training loop', () => {
  it('exits 0 and writes a profile that names Duet functions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-cpuprof-'));
    try {
      const args = ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, '--import', 'tsx', '--conditions=source', 'test/profiling/train.ts', '300'];
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
      const why = `exit ${r.status}, signal ${r.signal}; stderr tail:\n${r.stderr.slice(-1500)}`;
      expect(r.signal, why).toBeNull();
      expect(r.status, why).toBe(0);

      const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { nnLoss: number; kerasLoss: number; tensorsAfterTenth: number; tensorsAfterLast: number };
      expect(Number.isFinite(result.nnLoss)).toBe(true);
      expect(Number.isFinite(result.kerasLoss)).toBe(true);
      // The loop holds native memory flat under the profiler too.
      expect(result.tensorsAfterLast).toBe(result.tensorsAfterTenth);

      // One profile per JavaScript thread (tsx's module-hooks thread writes one too): the main thread's has Duet's frames.
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      expect(files.length).toBeGreaterThan(0);
      const frames = files.flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[] }).nodes.map((n) => n.callFrame));
      const duet = (pkg: string) => new Set(frames.filter((c) => c.url.includes(`/packages/${pkg}/src/`)).map((c) => c.functionName));
      const core = duet('core');
      expect(core.has('backward')).toBe(true);
      expect(core.has('matmul') || core.has('linear')).toBe(true);
      expect(duet('nn').size).toBeGreaterThan(0);
      expect(duet('keras').has('fit')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A signal listener (`process.on('SIGUSR2')`, as a server's graceful shutdown
 * listens for SIGTERM) with signals arriving during matrix products. Node's
 * own handlers are installed without SA_ONSTACK, so the alternate stack alone
 * did not cover them: glibc aborted ("corrupted size vs. prev_size while
 * consolidating", "malloc(): unaligned tcache chunk detected") 3 runs in 3
 * before @duet/core re-installed them with SA_ONSTACK (engine.ts,
 * native/duet_stdio.c handlersOnStack).
 */
describe('signals to a process.on listener during matrix products', () => {
  it('are all delivered, and the process exits 0 with the right result', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'test/profiling/signals.ts', '3000'], { cwd: root });
    let out = '';
    let err = '';
    let timer: ReturnType<typeof setInterval> | undefined;
    let sent = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"received"')) clearInterval(timer);
      else if (out.includes('ready') && timer === undefined) {
        timer = setInterval(() => {
          if (child.kill('SIGUSR2')) sent++;
        }, 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearInterval(timer);
    const why = `exit ${code}, signal ${signal}, ${sent} signals sent; stderr tail:\n${err.slice(-1500)}`;
    expect(signal, why).toBeNull();
    expect(code, why).toBe(0);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { sum: number; received: number };
    expect(result.received, why).toBeGreaterThan(0);
    // The same product every step: a corrupted run could not give the last one's sum (computed here once more).
    const check = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', 'test/profiling/signals.ts', '1'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect((JSON.parse(check.stdout.trim().split('\n').pop()!) as { sum: number }).sum).toBe(result.sum);
  }, 60_000);
});
