/** Duet's stdio addon (native/duet_stdio.c): built by the postinstall step, mutes fd 2 while TensorFlow loads, gives the engine's thread an alternate signal stack. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStdioAddon } from './provision-build.mjs';
import { useTempDir } from './provision-fixtures.js';

const source = fileURLToPath(new URL('../native/duet_stdio.c', import.meta.url));
const tmp = useTempDir();

/** A minimal copy of @duet/core's layout: native/duet_stdio.c. */
function coreCopy(): string {
  mkdirSync(join(tmp.path, 'native'));
  copyFileSync(source, join(tmp.path, 'native', 'duet_stdio.c'));
  return tmp.path;
}

describe('buildStdioAddon', () => {
  it('compiles build/duet_stdio.node once, and again only when the source is newer', async () => {
    const dir = coreCopy();
    expect(await buildStdioAddon(dir)).toEqual({ ok: true, built: true });
    expect(existsSync(join(dir, 'build', 'duet_stdio.node'))).toBe(true);
    expect(await buildStdioAddon(dir)).toEqual({ ok: true, built: false });
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'native', 'duet_stdio.c'), later, later);
    expect(await buildStdioAddon(dir)).toEqual({ ok: true, built: true });
  });

  it('the addon mutes fd 2 (also for writes that bypass Node) and restores it', async () => {
    const dir = coreCopy();
    await buildStdioAddon(dir);
    const addon = JSON.stringify(join(dir, 'build', 'duet_stdio.node'));
    const code = `const m = require(${addon}); const fs = require('fs');
      const saved = m.mute(); fs.writeSync(2, 'hidden\\n'); m.restore(saved); fs.writeSync(2, 'shown\\n');`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('shown\n');
  });

  it('the addon gives the calling thread, main or worker, an alternate signal stack, freed when a worker ends', async () => {
    const dir = coreCopy();
    await buildStdioAddon(dir);
    const addon = JSON.stringify(join(dir, 'build', 'duet_stdio.node'));
    // Each worker installs its own (a thread starts without one) and unmaps it in the environment's cleanup hook when it ends;
    // the second call finds the first one in place. The process must then exit cleanly.
    const code = `const { Worker } = require('worker_threads'); const m = require(${addon});
      const main = [m.signalStack(), m.signalStack()];
      const src = 'const m = require(' + JSON.stringify(${addon}) + '); require("worker_threads").parentPort.postMessage([m.signalStack(), m.signalStack()]);';
      Promise.all([0, 1, 2].map(() => new Promise((ok, fail) => { const w = new Worker(src, { eval: true }); let got; w.on('message', (v) => (got = v)); w.on('error', fail); w.on('exit', (c) => (c === 0 ? ok(got) : fail(new Error('worker exit ' + c)))); })))
        .then((workers) => console.log(JSON.stringify({ main, workers })));`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ main: [true, true], workers: [[true, true], [true, true], [true, true]] });
  });

  it('says why when the compiler fails, and leaves no file behind', async () => {
    const dir = coreCopy();
    const cc = process.env.CC;
    process.env.CC = 'duet-no-such-compiler';
    try {
      const r = await buildStdioAddon(dir);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/duet-no-such-compiler/);
    } finally {
      if (cc === undefined) delete process.env.CC;
      else process.env.CC = cc;
    }
    expect(existsSync(join(dir, 'build', 'duet_stdio.node'))).toBe(false);
  });
});
