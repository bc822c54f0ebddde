/**
 * bench/report.ts: the ratios are read from what the bench scripts print
 * (their own format strings), merged into latest.json with the machine and
 * load average, drawn by ECharts, and the README's speed section is exactly
 * what latest.json gives (so the README cannot drift from the last run).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  END_MARKER, LATEST_JSON, README, START_MARKER, extractRatios, mergeLatest, ratiosSvg, readLatest, readmeSection, replaceSection, type BenchEntry,
} from '../bench/report.js';
import type { MachineInfo } from '../bench/machine.js';

const BENCH = fileURLToPath(new URL('../bench/', import.meta.url));

// Lines as the scripts print them (see the console.log calls in bench/*/*.ts).
const OP_OVERHEAD = `32x128 float32 add, median of 40 rounds x 2000 ops (us/op):
  duet a.add(b)            20.70
duet / tfjs = 0.733 (target < 1.20); duet-with-graph / tfjs = 0.912
duet / torch = 4.10
native tensors alive: 3`;
const KERAS_MNIST = `Duet keras fit / Keras (Python): 0.49 (target <= 0.6)
Duet keras fit / Duet nn seed loop: 0.99 (target <= 1.15); / nn loop on the same batches: 1.29`;
const TABLE = `┌─────────┬──────────────────────────┬────────┬─────────┬────────────┬──────────────┐
│ (index) │ benchmark                │ duet s │ torch s │ duet/torch │ kernels/step │
├─────────┼──────────────────────────┼────────┼─────────┼────────────┼──────────────┤
│ 0       │ 'seed MLP, DataLoader'   │ '5.36' │ '4.93'  │ '1.09'     │ 24           │
│ 1       │ 'small CNN, pre-batched' │ '5.97' │ '-'     │ '-'        │ 58           │
└─────────┴──────────────────────────┴────────┴─────────┴────────────┴──────────────┘`;
const LSTM = `plain   : Duet 26.7 ms/batch, Keras 19.6 ms/batch, Duet/Keras 1.36; 218 kernels per step (MatMul 20, ...)
maskZero: Duet 28.3 ms/batch; 235 kernels per step (MatMul 20, ...)`;
const SERVE = 'throughput on / off: 4.10x (goal >= 3x, with p99 < 50 ms)';
const LOADER = `batches/s (best epoch), MNIST train, batchSize 32, shuffle, ToTensor
  numWorkers 0: duet 3581.2  pytorch 1037.0`;

const machine: MachineInfo = { cpu: 'Test CPU', cores: 2, memGiB: 8, node: 'v20', tfVersion: '2.21.0', onednn: 'on', onednnEnv: null };
const entry = (name: string, script: string, stdout: string, date: string): BenchEntry => ({
  name, script, date, seconds: 1, exitCode: 0, loadAvgStart: [3, 2, 1], loadAvgEnd: [4, 2, 1], machine, settings: {}, ratios: extractRatios(stdout),
});

describe('bench/report: extractRatios', () => {
  it('reads every format the scripts print', () => {
    expect(extractRatios(OP_OVERHEAD)).toEqual([
      { label: 'duet / tfjs', value: 0.733, better: 'lower' },
      { label: 'duet-with-graph / tfjs', value: 0.912, better: 'lower' },
      { label: 'duet / torch', value: 4.1, better: 'lower' },
    ]);
    expect(extractRatios(KERAS_MNIST).map((r) => [r.label, r.value])).toEqual([
      ['Duet keras fit / Keras (Python)', 0.49],
      ['Duet keras fit / Duet nn seed loop', 0.99],
      ['Duet keras fit / nn loop on the same batches', 1.29],
    ]);
    expect(extractRatios(TABLE).map((r) => [r.label, r.value])).toEqual([['duet/torch: seed MLP, DataLoader', 1.09]]);
    expect(extractRatios(LSTM).map((r) => [r.label, r.value])).toEqual([['Duet/Keras ms per batch: plain', 1.36]]);
    expect(extractRatios(SERVE)).toEqual([{ label: 'throughput on / off', value: 4.1, better: 'higher' }]);
    const [loader] = extractRatios(LOADER);
    expect(loader!.value).toBe(3581.2 / 1037.0);
    expect(loader!.better).toBe('higher');
    expect(extractRatios('native tensors alive: 3\nround 1: duet fit 2.24 s (loss 0.3, acc 0.9)')).toEqual([]);
  });
});

describe('bench/report: latest.json, chart, README', () => {
  it('mergeLatest replaces a rerun benchmark and keeps the others, each ratio carrying its context', () => {
    const first = mergeLatest(null, [entry('op_overhead', 'core/op_overhead.ts', OP_OVERHEAD, '2026-12-01T10:00:00.000Z'), entry('serve', 'serve/load.ts', SERVE, '2026-12-01T10:05:00.000Z')]);
    expect(first.ratios).toHaveLength(4);
    const second = mergeLatest(first, [entry('serve', 'serve/load.ts', 'throughput on / off: 5.00x', '2026-12-02T09:00:00.000Z')]);
    expect(second.benches.map((b) => b.name)).toEqual(['op_overhead', 'serve']);
    const serve = second.ratios.find((r) => r.bench === 'serve')!;
    expect(serve).toMatchObject({ script: 'serve/load.ts', value: 5, date: '2026-12-02T09:00:00.000Z', cpu: 'Test CPU', onednn: 'on', loadAvg: [3, 4] });
    expect(second.ratios.filter((r) => r.bench === 'op_overhead')).toEqual(first.ratios.filter((r) => r.bench === 'op_overhead'));
    const svg = ratiosSvg(second);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('duet / tfjs');
    expect(svg).toContain('throughput on / off');
  });

  it('replaceSection needs both markers and keeps the rest of the README', () => {
    expect(() => replaceSection('# no markers', 'x')).toThrow(/expected the markers/);
    const doc = `a\n${START_MARKER}\nold\n${END_MARKER}\nb`;
    expect(replaceSection(doc, 'new')).toBe(`a\n${START_MARKER}\nnew\n${END_MARKER}\nb`);
  });

  it('the committed latest.json is complete and the README section is generated from it', () => {
    const latest = readLatest();
    expect(latest, `${LATEST_JSON} is committed`).not.toBeNull();
    expect(latest!.ratios.length).toBeGreaterThan(0);
    for (const b of latest!.benches) expect(existsSync(join(BENCH, b.script)), b.script).toBe(true);
    for (const r of latest!.ratios) {
      expect(Number.isFinite(r.value) && r.value > 0, r.label).toBe(true);
      expect(r.cpu.length).toBeGreaterThan(0);
      expect(['on', 'off', 'unknown']).toContain(r.onednn);
      expect(r.loadAvg.every(Number.isFinite)).toBe(true);
      expect(Number.isNaN(Date.parse(r.date))).toBe(false);
      const b = latest!.benches.find((x) => x.name === r.bench)!;
      expect(b.ratios).toContainEqual({ label: r.label, value: r.value, better: r.better });
    }
    const readme = readFileSync(README, 'utf8');
    expect(replaceSection(readme, readmeSection(latest!)), 'README.md is out of date: run pnpm bench:report').toBe(readme);
    expect(existsSync(LATEST_JSON.replace(/json$/, 'svg'))).toBe(true);
  });
});
