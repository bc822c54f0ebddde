/**
 * What machine a benchmark ran on: CPU model, cores, memory, TensorFlow's
 * version and whether oneDNN was on. TensorFlow turns oneDNN on by itself on
 * some CPUs and picks other kernels then, so every result names the state.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { backendInfo, tensor } from '@duet/core';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  tfVersion: string;
  /** 'on' / 'off' as TensorFlow reports it at load; 'unknown' if it said nothing. */
  onednn: 'on' | 'off' | 'unknown';
  onednnEnv: string | null;
}

/** oneDNN's state, read from TensorFlow's own start-up line in a child process (benchmarks only; never in tests). */
function onednnState(): MachineInfo['onednn'] {
  const code = "process.env.TF_CPP_MIN_LOG_LEVEL='0'; const tf=require('@tensorflow/tfjs-node'); tf.add(tf.scalar(1), tf.scalar(1)).dataSync();";
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: new URL('.', import.meta.url).pathname, timeout: 60_000 });
  if (/oneDNN custom operations are on/.test(r.stderr ?? '')) return 'on';
  return process.env.TF_ENABLE_ONEDNN_OPTS === '0' ? 'off' : 'unknown';
}

export function machineInfo(): MachineInfo {
  tensor([0]).dispose();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tfVersion: backendInfo().tfVersion,
    onednn: onednnState(),
    onednnEnv: process.env.TF_ENABLE_ONEDNN_OPTS ?? null,
  };
}

export function formatMachine(m: MachineInfo): string {
  const env = m.onednnEnv === null ? '' : ` (TF_ENABLE_ONEDNN_OPTS=${m.onednnEnv})`;
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB; Node ${m.node}; TensorFlow ${m.tfVersion}; oneDNN ${m.onednn}${env}`;
}
