/**
 * examples/tuner-mnist.ts runs end to end at a tiny size (both styles, the
 * nn search in this example's process), writes its two plots, and a second
 * run finds both searches finished on disk and runs no trial again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const out = mkdtempSync(join(tmpdir(), 'duet-tuner-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const root = new URL('..', import.meta.url).pathname;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const run = () => spawnSync(process.execPath, ['--import', tsx, '--conditions=source', join(root, 'examples/tuner-mnist.ts')], {
  cwd: root, encoding: 'utf8', env: { ...process.env, ROWS: '256', MAX_EPOCHS: '2', TRIALS: '2', PARALLEL: '1', OUT_DIR: out },
});

describe('examples/tuner-mnist.ts', () => {
  it('searches in both styles, prints both summaries and plots, and resumes without re-running trials', () => {
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.match(/^Results summary$/gm)).toHaveLength(2);
    expect(first.stdout).toMatch(/best model back from its checkpoint: val_accuracy \d\.\d{4}/);
    const trialsRun = first.stdout.match(/^Trial \d{4} COMPLETED/gm)!.length;
    expect(trialsRun).toBeGreaterThan(2);
    for (const f of ['keras-hyperband.svg', 'nn-random.svg']) expect(readFileSync(join(out, f), 'utf8').startsWith('<svg')).toBe(true);
    expect(existsSync(join(out, 'keras-hyperband', 'oracle.json'))).toBe(true);

    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.match(/^Trial \d{4}/gm)).toBeNull();
    expect(second.stdout.match(/^Results summary$/gm)).toHaveLength(2);
  });
});
