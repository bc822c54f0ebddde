/**
 * out/mnist-report.svg: training loss and accuracy per epoch of both runs,
 * drawn by Apache ECharts' server-side SVG renderer (no DOM, no browser).
 */
import * as echarts from 'echarts';
import type { RunResult } from './run.js';

const COLORS: Record<RunResult['style'], string> = { Keras: '#d62728', 'nn.Module': '#1f77b4' };

export function seriesName(run: RunResult, what: 'loss' | 'accuracy'): string {
  return `${run.style} ${what}`;
}

export function reportSvg(runs: readonly RunResult[], title: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 960, height: 420 });
  const epochs = (r: RunResult, ys: number[]) => ys.map((y, i) => [i + 1, y]);
  const maxEpoch = Math.max(1, ...runs.map((r) => r.loss.length));
  const axis = (gridIndex: number, name: string) => ({ type: 'value' as const, gridIndex, name, nameLocation: 'middle' as const, nameGap: 28, min: 1, max: Math.max(2, maxEpoch), minInterval: 1 });
  chart.setOption({
    animation: false,
    backgroundColor: '#fff',
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { top: 30, itemGap: 36 },
    grid: [
      { left: 60, right: '54%', top: 90, bottom: 50 },
      { left: '54%', right: 30, top: 90, bottom: 50 },
    ],
    xAxis: [axis(0, 'epoch'), axis(1, 'epoch')],
    yAxis: [
      { type: 'value', gridIndex: 0, name: 'training loss', scale: true },
      { type: 'value', gridIndex: 1, name: 'training accuracy', scale: true },
    ],
    series: runs.flatMap((r) => [
      { name: seriesName(r, 'loss'), type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: epochs(r, r.loss), color: COLORS[r.style], symbolSize: 6 },
      { name: seriesName(r, 'accuracy'), type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: epochs(r, r.accuracy), color: COLORS[r.style], symbolSize: 6, lineStyle: { type: 'dashed' } },
    ]),
  });
  try {
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
