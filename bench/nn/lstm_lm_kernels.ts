/**
 * Kernel-level timings behind bench/nn/lstm_lm.ts: one LSTM layer of the
 * language model (T 35, N 20, I = H = 200) run different ways on the raw
 * TensorFlow binding, to choose how lstmLayer and gruLayer run (issue 14);
 * last, Duet's own DuetLSTMSequence / DuetGRUSequence kernels where built.
 * Prints the median (and the minimum) ms of REPS runs of each variant; run it with
 * DUET_NUM_THREADS=1 and without to see the thread count's effect.
 *
 *   pnpm exec tsx --conditions=source bench/nn/lstm_lm_kernels.ts
 */
import { runOp, runOpN, typeAttr, boolAttr, floatAttr, intAttr, tf, backendInfo, type TfTensor } from '../../packages/core/src/engine.js';
import { customKernelStatus } from '../../packages/core/src/kernels/custom.js';

const T = Number(process.env.T ?? 35);
const N = Number(process.env.N ?? 20);
const H = Number(process.env.H ?? 200);
const I = Number(process.env.I ?? H);
const REPS = Number(process.env.REPS ?? 30);
const tfm = tf();
const f32 = typeAttr('T', 'float32');
const rnd = (shape: number[]) => tfm.randomUniform(shape, -0.1, 0.1, 'float32');
const mm = (a: TfTensor, b: TfTensor, ta = false, tb = false) => runOp('MatMul', [f32, boolAttr('transpose_a', ta), boolAttr('transpose_b', tb)], [a, b]);
const k1 = (op: string, a: TfTensor) => runOp(op, [f32], [a]);
const k2 = (op: string, a: TfTensor, b: TfTensor) => runOp(op, [f32], [a, b]);
const ic = (v: number[], shape = [v.length]) => tfm.tensor(Int32Array.from(v), shape, 'int32');
const axis0 = ic([0], []);
const axis1 = ic([1], []);
const split = (x: TfTensor, n: number, axis: TfTensor) => runOpN('Split', [f32, intAttr('num_split', n)], [axis, x], n);
const unstack = (v: TfTensor) => runOpN('Unpack', [f32, intAttr('num', v.shape[0]!), intAttr('axis', 0)], [v], v.shape[0]!);
const concat = (xs: TfTensor[], axis: TfTensor) => runOp('ConcatV2', [f32, typeAttr('Tidx', 'int32'), intAttr('N', xs.length)], [...xs, axis]);
const seqLen = runOp('Cast', [typeAttr('SrcT', 'int32'), { ...typeAttr('DstT', 'int32'), value: 9 }, boolAttr('Truncate', false)], [ic([T], [])]);

const x = rnd([T, N, I]);
const x2 = tfm.reshape(x, [T * N, I]);
const wIh = rnd([4 * H, I]);
const wHh = rnd([4 * H, H]);
const wHhT = tfm.transpose(wHh);
const w = tfm.concat([tfm.transpose(wIh), wHhT], 0); // [I + H, 4H]
const b = rnd([4 * H]);
const zH = tfm.zeros([H]);
const zNH = tfm.zeros([N, H]);
const zNI = tfm.zeros([N, I]);

function time(name: string, fn: () => void): void {
  const ms: number[] = [];
  for (let r = 0; r < REPS + 3; r++) {
    const t0 = performance.now();
    tfm.tidy(() => {
      fn();
    });
    if (r >= 3) ms.push(performance.now() - t0);
  }
  ms.sort((p, q) => p - q);
  console.log(`${name.padEnd(72)} ${ms[Math.floor(ms.length / 2)]!.toFixed(2)} ms (min ${ms[0]!.toFixed(2)})`);
}

function blockForward() {
  return runOpN('BlockLSTMV2', [f32, floatAttr('cell_clip', -1), boolAttr('use_peephole', false)], [seqLen, x, zNH, zNH, w, zH, zH, zH, b], 7);
}

/** Input projection batched, then per step: MatMul, AddV2, and the cell math in plain kernels. */
function plainForward(wHhTLocal: TfTensor) {
  const gx = runOp('BiasAdd', [f32], [mm(x2, wIh, false, true), b]);
  const gxs = unstack(tfm.reshape(gx, [T, N, 4 * H]));
  let h = zNH;
  let c = zNH;
  for (let t = 0; t < T; t++) {
    const pre = k2('AddV2', gxs[t]!, mm(h, wHhTLocal));
    const s = k1('Sigmoid', pre);
    const th = k1('Tanh', pre);
    const [i, f, , o] = split(s, 4, axis1);
    const g = split(th, 4, axis1)[2]!;
    c = k2('AddV2', k2('Mul', f!, c), k2('Mul', i!, g));
    h = k2('Mul', o!, k1('Tanh', c));
  }
}

function stepsMatmulOnly(kind: 'full' | 'rec') {
  const xs = unstack(x);
  for (let t = 0; t < T; t++) {
    if (kind === 'full') mm(concat([xs[t]!, zNH], axis1), w);
    else mm(zNH, wHhT);
  }
}

function bigMatmuls() {
  const dg = rnd([T * N, 4 * H]);
  mm(dg, wIh); // dx
  mm(dg, x2, true, false); // dW_ih
  mm(dg, x2, true, false); // dW_hh
}

function stepsBackward() {
  const outs = blockForward();
  const [gi, cs, gf, go, ci, co] = outs.slice(0, 6).map(unstack) as TfTensor[][];
  const gh = unstack(rnd([T, N, H]));
  let dcs = zNH;
  let dh: TfTensor | null = null;
  const dGates: TfTensor[] = [];
  for (let t = T - 1; t >= 0; t--) {
    const hGrad = dh === null ? gh[t]! : k2('AddV2', gh[t]!, dh);
    const [dcsPrev, dicfo] = runOpN('LSTMBlockCellGrad', [f32, boolAttr('use_peephole', false)], [
      zNI, t > 0 ? cs![t - 1]! : zNH, zNH, w, zH, zH, zH, b, gi![t]!, cs![t]!, gf![t]!, go![t]!, ci![t]!, co![t]!, dcs, hGrad,
    ], 5) as [TfTensor, TfTensor];
    dGates.push(dicfo);
    dcs = dcsPrev;
    dh = mm(dicfo, wHh);
  }
  const dg = concat(dGates, axis0);
  mm(dg, wIh);
  mm(dg, x2, true, false);
  mm(dg, x2, true, false);
}

function blockBackward() {
  const outs = blockForward();
  const gh = rnd([T, N, H]);
  runOpN('BlockLSTMGradV2', [f32, boolAttr('use_peephole', false)], [seqLen, x, zNH, zNH, w, zH, zH, zH, b, ...outs, tfm.zerosLike(gh), gh], 8);
}

const idx = ic(Array.from({ length: 4 * H }, (_, k) => [0, 2, 1, 3][Math.floor(k / H)]! * H + (k % H)));
const gather = (v: TfTensor, axis: number) =>
  runOp('GatherV2', [typeAttr('Tparams', 'float32'), typeAttr('Tindices', 'int32'), typeAttr('Taxis', 'int32'), intAttr('batch_dims', 0)], [v, idx, ic([axis], [])]);
const small = rnd([N, H]);
const dgRand = rnd([T * N, 4 * H]);

console.log(`TF ${backendInfo().tfVersion}, threads ${backendInfo().threads ?? 'default'}, T ${T} N ${N} I ${I} H ${H}, ONEDNN ${process.env.TF_ENABLE_ONEDNN_OPTS ?? '(unset)'}`);
time('BlockLSTMV2 forward (1 kernel)', () => blockForward());
time('batched input MatMul + per step MatMul, AddV2, 9 cell kernels', () => plainForward(wHhT));
time('35 MatMuls [N, I+H] x [I+H, 4H] (+ ConcatV2 each), what BlockLSTMV2 multiplies', () => stepsMatmulOnly('full'));
time('35 MatMuls [N, H] x [H, 4H] (the recurrent part only)', () => stepsMatmulOnly('rec'));
time('input projection MatMul [T N, I] x [I, 4H] alone', () => mm(x2, wIh, false, true));
time('3 large backward MatMuls (dx, dW_ih, dW_hh)', () => bigMatmuls());
time('forward + steps backward (LSTMBlockCellGrad + MatMul per step)', () => stepsBackward());
time('forward + BlockLSTMGradV2', () => blockBackward());
time('1000 AddV2 on [N, H] (the fixed cost of a kernel, x 1000)', () => {
  for (let k = 0; k < 1000; k++) k2('AddV2', small, small);
});
time('gate order back to PyTorch: 3 row Gathers (dW_ih, dW_hh, db)', () => {
  gather(wIh, 0);
  gather(wHh, 0);
  gather(b, 0);
});
time('gate order back to PyTorch: 1 column Gather of dgates [T N, 4H]', () => gather(dgRand, 1));

// Duet's own kernels (core's native/ops/lstm.cc, gru.cc), where built: the whole layer in one kernel each way.
if (customKernelStatus().enabled) {
  const duetForward = (portable: boolean) =>
    runOpN('DuetLSTMSequence', [boolAttr('reverse', false), boolAttr('portable_gemm', portable)], [x, wIh, wHh, b, b, zNH, zNH], 3);
  const dhc = rnd([T + 1, N, H]);
  const duetBoth = (portable: boolean) => {
    const [hc, gates, cs] = duetForward(portable);
    runOpN('DuetLSTMSequenceGrad', [boolAttr('reverse', false), boolAttr('portable_gemm', portable)], [x, wIh, wHh, zNH, zNH, hc!, gates!, cs!, dhc], 6);
  };
  for (const portable of [false, true]) {
    const gemm = portable ? "Eigen's GEMM" : 'AVX-512 GEMM where the CPU has it';
    time(`DuetLSTMSequence forward (${gemm})`, () => duetForward(portable));
    time(`DuetLSTMSequence forward + DuetLSTMSequenceGrad (${gemm})`, () => duetBoth(portable));
  }
  const [gIh, gHh, gb] = [rnd([3 * H, I]), rnd([3 * H, H]), rnd([3 * H])];
  const dy = rnd([T, N, H]);
  const gruForward = () => runOpN('DuetGRUSequence', [], [x, gIh, gHh, gb, gb, zNH], 2);
  time('DuetGRUSequence forward', () => gruForward());
  time('DuetGRUSequence forward + DuetGRUSequenceGrad', () => {
    const [y, saved] = gruForward();
    runOpN('DuetGRUSequenceGrad', [], [x, gIh, gHh, zNH, y!, saved!, dy], 6);
  });
}
