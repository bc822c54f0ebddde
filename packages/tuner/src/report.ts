/**
 * A search's results: KerasTuner's `results_summary` table, and a plot of
 * the objective over trials drawn by Apache ECharts' server-side SVG
 * renderer (no DOM, no browser), as examples/mnist draws its report.
 */
import * as echarts from 'echarts';
import type { Objective } from './objective.js';
import type { Trial } from './trial.js';

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return String(v);
}

/** One row per trial (best first): id, score, status, epochs, then each hyperparameter. */
export function resultsSummary(projectDir: string, objective: Objective, best: readonly Trial[], all: readonly Trial[]): string {
  const names = [...new Set(best.flatMap((t) => Object.keys(t.values)))];
  const header = ['trial', objective.name, 'status', 'epochs', ...names];
  const rows = best.map((t) => [t.trialId, t.score === null ? '-' : fmt(t.score), t.status, String(t.epochs), ...names.map((n) => (n in t.values ? fmt(t.values[n]) : '-'))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  const counts = ['COMPLETED', 'FAILED', 'RUNNING'].map((s) => `${all.filter((t) => t.status === s).length} ${s.toLowerCase()}`).join(', ');
  const epochs = all.reduce((s, t) => s + t.epochs, 0);
  return [
    'Results summary',
    `Results in ${projectDir}`,
    `Showing ${best.length} best trials of ${all.length} (${counts}; ${epochs} epochs in all)`,
    `Objective(name="${objective.name}", direction="${objective.direction}")`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
  ].join('\n');
}

/** The objective of each completed trial (points) and the best so far (a step line), against the trial number. */
export function objectivePlotSvg(objective: Objective, trials: readonly Trial[], title: string): string {
  const points: [number, number][] = [];
  const bestSoFar: [number, number][] = [];
  let best: number | null = null;
  trials.forEach((t, i) => {
    if (t.status !== 'COMPLETED' || t.score === null) return;
    points.push([i, t.score]);
    if (best === null || objective.better(t.score, best)) best = t.score;
    bestSoFar.push([i, best]);
  });
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 800, height: 400 });
  chart.setOption({
    animation: false,
    backgroundColor: '#fff',
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { top: 30, itemGap: 40 },
    grid: { left: 70, right: 30, top: 80, bottom: 50 },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 28, minInterval: 1 },
    yAxis: { type: 'value', name: objective.name, scale: true },
    series: [
      { name: `${objective.name} of the trial`, type: 'scatter', data: points, color: '#1f77b4', symbolSize: 7 },
      { name: `best so far (${objective.direction})`, type: 'line', step: 'end', data: bestSoFar, color: '#d62728', showSymbol: false },
    ],
  });
  try {
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
