/**
 * A recurrent language model, Duet vs PyTorch 2.13 on the same machine: the
 * training step of PyTorch's word_language_model example (Embedding(100, 200)
 * -> LSTM(200, 200, 2 layers) -> Linear(200, 100); bptt 35, batch 20;
 * CrossEntropyLoss; clipGradNorm_ 0.25; SGD lr 20, which is the example's
 * `p.data.add_(p.grad, alpha=-lr)`), on a synthetic token stream both sides
 * read from one file. The same with a GRU and a tanh RNN (nn.RNN). Hidden states are carried across
 * batches, detached, as the example does.
 *
 * Prints the load average and whether Duet's own kernels are on (DUET_CUSTOM_KERNELS=0
 * turns them off, for the stock-kernel path). Reports ms per training batch (mean over BATCHES after WARMUP, median over
 * REPS runs alternating with PyTorch, default 3), the process CPU time per
 * batch (user + system over all threads; the machine's other load moves it
 * less than wall time, though PyTorch's OpenMP threads spin while waiting),
 * and native kernels per step
 * (core's countKernels), split into forward / backward / rest.
 *
 *   pnpm exec tsx --conditions=source bench/nn/lstm_lm.ts   # MODELS=LSTM for one
 *   DUET_NUM_THREADS=1 TORCH_THREADS=1 pnpm exec tsx ...   # one thread each: on a loaded
 *   machine the CPU times of single-threaded runs still compare the work done
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, backendInfo, countKernels, customKernelStatus, manualSeed, tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

const VOCAB = 100;
const BPTT = 35;
const BATCH = 20;
const HID = 200;
const LAYERS = 2;
const WARMUP = Number(process.env.WARMUP ?? 3);
const BATCHES = Number(process.env.BATCHES ?? 30);
const REPS = Number(process.env.REPS ?? 3);
type Kind = 'LSTM' | 'GRU' | 'RNN';
const KINDS = (process.env.MODELS ?? 'LSTM,GRU,RNN').split(',') as Kind[];
type Hidden = Tensor | [Tensor, Tensor];

manualSeed(0);
// A token stream, [steps, batch] row-major as the example's batchify gives.
const steps = (WARMUP + BATCHES) * BPTT + 2;
const tokens = new Int32Array(steps * BATCH);
let s = 12345;
for (let i = 0; i < tokens.length; i++) {
  s = (s * 1103515245 + 12345) % 2 ** 31;
  tokens[i] = s % VOCAB;
}
const tokenFile = join(tmpdir(), `duet-lstm-lm-${process.pid}.bin`);
writeFileSync(tokenFile, tokens);
const data = tensor(tokens, { shape: [steps, BATCH] }).keep();

class LM extends nn.Module {
  encoder = new nn.Embedding(VOCAB, HID);
  rnn: nn.LSTM | nn.GRU | nn.RNN;
  decoder = new nn.Linear(HID, VOCAB);
  constructor(kind: Kind) {
    super();
    this.rnn =
      kind === 'LSTM' ? new nn.LSTM(HID, HID, { numLayers: LAYERS }) : kind === 'GRU' ? new nn.GRU(HID, HID, { numLayers: LAYERS }) : new nn.RNN(HID, HID, { numLayers: LAYERS });
  }
  forward(x: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.encoder.forward(x);
    const [out, h] = this.rnn instanceof nn.LSTM ? this.rnn.forward(emb, hidden as [Tensor, Tensor]) : this.rnn.forward(emb, hidden as Tensor);
    return [this.decoder.forward(out).reshape([-1, VOCAB]), h];
  }
}

interface Run {
  ms: number;
  /** Process CPU time (user + system, all threads) per batch: less sensitive than wall time to other processes on the machine. */
  cpuMs: number;
  kernels: { forward: number; backward: number; rest: number; byName: Record<string, number>; microsByName: Record<string, number> };
}

function train(kind: Kind): Run {
  const model = new LM(kind);
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: 20 });
  const z = () => tensor(new Float32Array(LAYERS * BATCH * HID), { shape: [LAYERS, BATCH, HID] });
  let hidden: Hidden = kind === 'LSTM' ? [z(), z()] : z();
  const kernels = { forward: 0, backward: 0, rest: 0, byName: {} as Record<string, number>, microsByName: {} as Record<string, number> };
  let total = 0;
  let cpu = 0;
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const i = (b * BPTT) % (steps - BPTT - 1);
    const x = data.narrow(0, i, BPTT);
    const y = data.narrow(0, i + 1, BPTT).reshape([-1]);
    const count = b === WARMUP - 1;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const h0: Hidden = Array.isArray(hidden) ? [hidden[0].detach(), hidden[1].detach()] : hidden.detach();
    const fwd = () => {
      model.zeroGrad();
      const [out, h] = model.forward(x, h0);
      return [lossFn.forward(out, y), h] as const;
    };
    const bwd = (loss: Tensor) => loss.backward();
    const rest = (loss: Tensor) => {
      nn.utils.clipGradNorm_(model.parameters(), 0.25);
      opt.step();
      return loss.item();
    };
    let loss: Tensor;
    if (count) {
      const f = countKernels(fwd);
      [loss, hidden] = f.result;
      const bk = countKernels(() => bwd(loss));
      const r = countKernels(() => rest(loss));
      Object.assign(kernels, { forward: f.kernels, backward: bk.kernels, rest: r.kernels });
      for (const c of [f, bk, r]) {
        for (const [k, v] of Object.entries(c.byName)) kernels.byName[k] = (kernels.byName[k] ?? 0) + v;
        for (const [k, v] of Object.entries(c.microsByName)) kernels.microsByName[k] = (kernels.microsByName[k] ?? 0) + v;
      }
    } else {
      [loss, hidden] = fwd();
      bwd(loss);
      rest(loss);
    }
    if (b >= WARMUP) {
      total += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
    }
  }
  return { ms: total / BATCHES, cpuMs: cpu / BATCHES, kernels };
}

const info = backendInfo();
const loadBefore = loadavg()[0]!;
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
const runTorch = process.env.SKIP_TORCH !== '1' && existsSync(py);
const duet: Record<Kind, Run[]> = { LSTM: [], GRU: [], RNN: [] };
const torch: { lstm_ms: number; gru_ms: number; rnn_ms: number; lstm_cpu_ms: number; gru_cpu_ms: number; rnn_cpu_ms: number; torch: string }[] = [];
const torchMs = (x: (typeof torch)[number], kind: Kind) => (kind === 'LSTM' ? x.lstm_ms : kind === 'GRU' ? x.gru_ms : x.rnn_ms);
const torchCpuMs = (x: (typeof torch)[number], kind: Kind) => (kind === 'LSTM' ? x.lstm_cpu_ms : kind === 'GRU' ? x.gru_cpu_ms : x.rnn_cpu_ms);
for (let r = 0; r < REPS; r++) {
  for (const kind of KINDS) duet[kind].push(train(kind));
  if (runTorch) {
    const script = new URL('./lstm_lm_torch.py', import.meta.url).pathname;
    const outText = execFileSync(py, [script, tokenFile, String(VOCAB), String(WARMUP), String(BATCHES), KINDS.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    torch.push(JSON.parse(outText.trim().split('\n').pop()!));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = [loadBefore, loadavg()[0]!].map((l) => l.toFixed(1)).join(' -> ');
const custom = customKernelStatus();
console.log(`Duet on TensorFlow ${info.tfVersion} vs PyTorch ${torch[0]?.torch ?? '(not run)'}; ms per training batch (bptt ${BPTT}, batch ${BATCH}, ${LAYERS} x ${HID}), median of ${REPS} alternating runs`);
console.log(`Duet's own kernels: ${custom.enabled ? 'on' : `off (${custom.reason})`}; load average (1 min) ${load}: ratios mean little above ~2 on this 2-core machine`);
const table = KINDS.map((kind) => {
  const d = median(duet[kind].map((x) => x.ms));
  const t = runTorch ? median(torch.map((x) => torchMs(x, kind))) : undefined;
  const k = duet[kind][0]!.kernels;
  return {
    model: kind,
    'duet ms': d.toFixed(1),
    'torch ms': t?.toFixed(1) ?? '-',
    'duet/torch': t ? (d / t).toFixed(2) : '-',
    'duet runs': duet[kind].map((x) => x.ms.toFixed(1)).join(' '),
    'torch runs': torch.map((x) => torchMs(x, kind).toFixed(1)).join(' '),
    'duet cpu ms': median(duet[kind].map((x) => x.cpuMs)).toFixed(1),
    'torch cpu ms': runTorch ? median(torch.map((x) => torchCpuMs(x, kind))).toFixed(1) : '-',
    'kernels fwd/bwd/rest': `${k.forward}/${k.backward}/${k.rest}`,
  };
});
console.table(table);
for (const kind of KINDS) {
  const k = duet[kind][0]!.kernels;
  const top = Object.entries(k.microsByName).sort((a, b) => b[1] - a[1]).slice(0, 10);
  console.log(`${kind} kernels per step by time (one counted step): ${top.map(([n, us]) => `${n} x${k.byName[n]} ${(us / 1000).toFixed(1)} ms`).join(', ')}`);
}
mkdirSync(new URL('../../.bench-out/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../.bench-out/nn-lstm-lm.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), tf: info.tfVersion, customKernels: custom.enabled, load, duet, torch, table }, null, 2));
