/** The native engine: what loads, what it reports, and the errors when it cannot load. */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { backendInfo, initBackend, NativeEngineError, tensor } from '@duet/core';

const root = new URL('..', import.meta.url).pathname;

/** Import @duet/core in a fresh Node with extra env; returns what `code` printed, or stderr on failure. */
function importWith(env: Record<string, string>, code = 'c.backendInfo()'): string {
  try {
    return execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', `await import('@duet/core').then((c) => console.log(JSON.stringify(${code})))`], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: 'pipe',
      encoding: 'utf8',
    });
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e);
  }
}

describe('native engine', () => {
  it("reports TensorFlow's native backend and the library actually loaded", () => {
    tensor([1]).dispose();
    const info = backendInfo();
    expect(info.backend).toBe('tensorflow');
    expect(info.device).toBe('cpu');
    expect(info.tfVersion).toMatch(/^2\.\d+\.\d+/);
    expect(info.devices).toContain('/device:CPU:0');
    expect(existsSync(info.bindingPath)).toBe(true);
  });

  it('refuses to switch device after the engine loaded', () => {
    expect(() => initBackend({ device: 'gpu' })).toThrow(NativeEngineError);
    expect(() => initBackend({ device: 'gpu' })).toThrow(/DUET_DEVICE=gpu/);
    expect(initBackend({ device: 'cpu' }).device).toBe('cpu');
  });

  it('DUET_DEVICE=gpu without tfjs-node-gpu fails at import with the fix, never a silent CPU fallback', () => {
    const err = importWith({ DUET_DEVICE: 'gpu' });
    expect(err).toMatch(/NativeEngineError/);
    expect(err).toMatch(/@tensorflow\/tfjs-node-gpu/);
    expect(err).toMatch(/never falls back to the CPU/);
  });

  it('DUET_NUM_THREADS sets TensorFlow\'s intra-op threads, and is validated', () => {
    expect(JSON.parse(importWith({ DUET_NUM_THREADS: '1' })).threads).toBe(1);
    expect(JSON.parse(importWith({})).threads).toBe(null);
    expect(importWith({ DUET_NUM_THREADS: 'many' })).toMatch(/DUET_NUM_THREADS must be a positive integer. Received: 'many'/);
  });

  it('an unknown DUET_DEVICE is a clear error', () => {
    expect(importWith({ DUET_DEVICE: 'tpu' })).toMatch(/DUET_DEVICE must be 'cpu' or 'gpu'. Received: 'tpu'/);
  });
});

describe("TensorFlow's start-up lines", () => {
  /** Run `code` in a fresh Node that loads @duet/core, with `env` added; returns its stderr and stdout. */
  function runFresh(env: Record<string, string>, code: string): { stderr: string; stdout: string } {
    const { TF_CPP_MIN_LOG_LEVEL: _ignored, ...base } = process.env;
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', code], {
      cwd: root,
      env: { ...base, ...env },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return { stderr: r.stderr, stdout: r.stdout };
  }
  const program = "const c = await import('@duet/core'); console.log(c.tensor([1, 2]).add(1).toArray().join(','));";

  it.each(['1', '0'])('stay off stderr with TF_ENABLE_ONEDNN_OPTS=%s (oneDNN on or off, whatever the CPU)', (onednn) => {
    const r = runFresh({ TF_ENABLE_ONEDNN_OPTS: onednn }, program);
    expect(r.stdout.trim()).toBe('2,3');
    expect(r.stderr).toBe('');
  });

  it('show when the user asks for them with TF_CPP_MIN_LOG_LEVEL=0 (stderr is restored after the load)', () => {
    const r = runFresh({ TF_ENABLE_ONEDNN_OPTS: '1', TF_CPP_MIN_LOG_LEVEL: '0' }, `${program} console.error('after-load');`);
    expect(r.stdout.trim()).toBe('2,3');
    expect(r.stderr).toContain('after-load');
  });

  it('muting leaves stderr working for the program after the load', () => {
    const r = runFresh({ TF_ENABLE_ONEDNN_OPTS: '1' }, `${program} console.error('still-here');`);
    expect(r.stderr.trim()).toBe('still-here');
  });
});
