/**
 * L-BFGS: `torch.optim.LBFGS` (Nocedal & Wright, "Numerical Optimization",
 * algorithm 7.4; after minFunc), ported from torch/optim/lbfgs.py.
 */
import { ArgumentError, Tensor, cat, enableGrad, markStep, noGrad, scope, tensor, zeros } from '@duet/core';
import { Optimizer, checkNumber, stepScalar, withDefaults, type OptimizerStateDict, type ParamGroup, type Params } from './optimizer.js';
import { strongWolfe } from './strong_wolfe.js';

export interface LBFGSOptions {
  /** Step length (with a line search: its first trial). Default 1. */
  lr: number;
  /** Iterations per `step()`. Default 20. */
  maxIter: number;
  /** Closure evaluations per `step()`. Default `floor(maxIter * 5 / 4)`. */
  maxEval: number;
  /** Stop when every gradient entry is at most this in magnitude. Default 1e-7. */
  toleranceGrad: number;
  /** Stop when the loss or the step changes less than this. Default 1e-9. */
  toleranceChange: number;
  /** Number of past updates kept. Default 100. */
  historySize: number;
  /** `'strong_wolfe'` or null (fixed step `lr`). Default null. */
  lineSearchFn: 'strong_wolfe' | null;
}

/** The curvature history, kept between steps (the tensors are kept, released by `dispose()`). */
interface History {
  d: Tensor;
  t: number;
  oldDirs: Tensor[];
  oldStps: Tensor[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: Tensor;
  prevLoss: number;
}

/** The history's keys in a state dict (PyTorch's names and camelCase) -> History's fields. */
const HISTORY_KEYS: Record<string, string> = {
  d: 'd', t: 't', old_dirs: 'oldDirs', oldDirs: 'oldDirs', old_stps: 'oldStps', oldStps: 'oldStps', ro: 'ro',
  H_diag: 'hDiag', hDiag: 'hDiag', prev_flat_grad: 'prevFlatGrad', prevFlatGrad: 'prevFlatGrad', prev_loss: 'prevLoss', prevLoss: 'prevLoss',
};

const dot = (a: Tensor, b: Tensor): number => a.mul(b).sum().item();
const absMax = (a: Tensor): number => a.abs().max().item();
const f32 = Math.fround;

/**
 * `step(closure)` runs up to `maxIter` L-BFGS iterations, calling `closure`
 * (which zeroes the gradients, computes the loss, calls `backward()` and
 * returns the loss) whenever it needs the loss and gradient, and returns the
 * first loss. One parameter group only, as in PyTorch.
 *
 * Memory: each iteration runs in its own `scope()`, so what the closure
 * creates is released when the iteration ends (read values you need inside
 * the closure), and `step` ends with a step boundary (`markStep()`). The
 * history (2 x `historySize` flat vectors) is kept until `dispose()`.
 * `stateDict()` has PyTorch's structure: after a step, `state[0]` holds
 * `func_evals`, `n_iter` and the curvature history (`d`, `t`, `old_dirs`,
 * `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`), so training
 * resumed from it continues exactly.
 *
 * @example
 * ```ts
 * const optimizer = new optim.LBFGS(model.parameters(), { lr: 1, lineSearchFn: 'strong_wolfe' });
 * optimizer.step(() => {
 *   optimizer.zeroGrad();
 *   const loss = lossFn.forward(model.forward(x), y);
 *   loss.backward();
 *   return loss;
 * });
 * ```
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  private hist: History | null = null;

  constructor(params: Params<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    const maxIter = options.maxIter ?? 20;
    super(params, withDefaults({ lr: 1, maxIter, maxEval: Math.floor((maxIter * 5) / 4), toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null }, options));
    if (this.paramGroups.length !== 1) throw new ArgumentError(`LBFGS doesn't support per-parameter options (parameter groups): expected 1 group, received ${this.paramGroups.length}.`);
  }

  protected override validate(group: ParamGroup<LBFGSOptions>): void {
    super.validate(group);
    for (const k of ['maxIter', 'maxEval', 'historySize'] as const) checkNumber(this, group, k, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    checkNumber(this, group, 'toleranceGrad', (v) => v >= 0);
    checkNumber(this, group, 'toleranceChange', (v) => v >= 0);
    if (group.lineSearchFn !== null && group.lineSearchFn !== 'strong_wolfe') {
      throw new ArgumentError(`LBFGS: invalid lineSearchFn: expected 'strong_wolfe' or null, received ${JSON.stringify(group.lineSearchFn)}.`);
    }
  }

  /** Never called: LBFGS's `step` needs the closure. */
  protected update(): void {
    throw new ArgumentError('LBFGS updates only through step(closure).');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  private gatherFlatGrad(): Tensor {
    return cat(this.params.map((p) => (p.grad === null ? zeros([p.numel()]) : p.grad.reshape([-1]))), 0);
  }

  /** p += t * d, slice by slice. */
  private addGrad(t: number, d: Tensor): void {
    let offset = 0;
    for (const p of this.params) {
      const n = p.numel();
      p.add_(d.narrow(0, offset, n).reshape([...p.shape]).mul(stepScalar(t)));
      offset += n;
    }
  }

  /**
   * One optimization step: up to `maxIter` iterations. `closure` is required.
   * Returns the loss of the first evaluation (a new 0-d tensor, or the number the closure returned).
   */
  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (typeof closure !== 'function') {
      throw new ArgumentError(`LBFGS.step(closure): LBFGS evaluates the model several times per step; pass a function that calls zeroGrad(), computes the loss, calls backward() and returns the loss (received ${closure === undefined ? 'no closure' : typeof closure}).`);
    }
    const evaluate = (): number => {
      const l = enableGrad(closure);
      return typeof l === 'number' ? l : l.item();
    };
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn } = group;
    const st = this.stateOf(this.params[0]!);
    st.funcEvals = (st.funcEvals as number | undefined) ?? 0;
    st.nIter = (st.nIter as number | undefined) ?? 0;

    return noGrad(() => {
      let numberLoss = false;
      let flatGrad!: Tensor;
      const origLoss = scope(() => {
        const l = enableGrad(closure);
        numberLoss = typeof l === 'number';
        flatGrad = this.gatherFlatGrad().keep();
        return typeof l === 'number' ? l : l.item();
      });
      const result = () => (numberLoss ? origLoss : tensor(origLoss));
      let loss = origLoss;
      let currentEvals = 1;
      st.funcEvals = (st.funcEvals as number) + 1;
      try {
        if (absMax(flatGrad) <= toleranceGrad) return result();
        let nIter = 0;
        while (nIter < maxIter) {
          nIter++;
          st.nIter = (st.nIter as number) + 1;
          const stop = scope(() => {
            const first = this.hist === null;
            const h = this.nextDirection(flatGrad, historySize);
            h.prevFlatGrad.copy_(flatGrad);
            h.prevLoss = loss;
            // PyTorch: t = min(1, 1 / |g|_1) * lr on the very first iteration (a float32 tensor when below 1).
            const inv = first ? f32(1 / flatGrad.abs().sum().item()) : 1;
            let t = inv < 1 ? f32(inv * lr) : lr;
            h.t = t;
            const gtd = dot(flatGrad, h.d);
            if (gtd > -toleranceChange) return true;
            let lsEvals = 0;
            let optCond = false;
            if (lineSearchFn === 'strong_wolfe') {
              const x = this.params.map((p) => p.clone());
              const r = strongWolfe((tt) => {
                this.addGrad(tt, h.d);
                const l = evaluate();
                const g = this.gatherFlatGrad();
                this.params.forEach((p, i) => p.copy_(x[i]!));
                return [l, g];
              }, t, h.d, loss, flatGrad, gtd, maxEval - currentEvals);
              ({ loss, t, evals: lsEvals } = r);
              this.addGrad(t, h.d);
              flatGrad.dispose();
              flatGrad = r.flatGrad.keep();
              optCond = absMax(flatGrad) <= toleranceGrad;
            } else {
              this.addGrad(t, h.d);
              if (nIter !== maxIter) {
                loss = evaluate();
                flatGrad.dispose();
                flatGrad = this.gatherFlatGrad().keep();
                optCond = absMax(flatGrad) <= toleranceGrad;
                lsEvals = 1;
              }
            }
            h.t = t;
            currentEvals += lsEvals;
            st.funcEvals = (st.funcEvals as number) + lsEvals;
            if (nIter === maxIter || currentEvals >= maxEval || optCond) return true;
            if (absMax(h.d.mul(stepScalar(t))) <= toleranceChange) return true;
            return Math.abs(loss - h.prevLoss) < toleranceChange;
          });
          if (stop) break;
        }
        return result();
      } finally {
        flatGrad.dispose();
        // The closure's backward() marks no step boundary inside the scopes: mark one per step, so the
        // gradients it replaced (and other automatic temporaries) are released as in a plain training loop.
        markStep();
      }
    });
  }

  /** The new search direction from the gradient and the history (two-loop recursion); updates the history. */
  private nextDirection(flatGrad: Tensor, historySize: number): History {
    const h = this.hist;
    if (h === null) {
      this.hist = { d: flatGrad.neg().keep(), t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: flatGrad.clone().keep(), prevLoss: 0 };
      return this.hist;
    }
    const y = flatGrad.sub(h.prevFlatGrad);
    const s = h.d.mul(stepScalar(h.t));
    const ys = dot(y, s);
    if (ys > 1e-10) {
      if (h.oldDirs.length === historySize) {
        h.oldDirs.shift()!.dispose();
        h.oldStps.shift()!.dispose();
        h.ro.shift();
      }
      h.oldDirs.push(y.keep());
      h.oldStps.push(s.keep());
      h.ro.push(f32(1 / ys));
      h.hDiag = f32(ys / dot(y, y));
    }
    const k = h.oldDirs.length;
    const al = new Array<number>(k);
    const q = flatGrad.neg();
    for (let i = k - 1; i >= 0; i--) {
      al[i] = f32(dot(h.oldStps[i]!, q) * h.ro[i]!);
      q.sub_(h.oldDirs[i]!.mul(stepScalar(al[i]!)));
    }
    const r = q.mul(stepScalar(h.hDiag));
    for (let i = 0; i < k; i++) {
      const be = f32(dot(h.oldDirs[i]!, r) * h.ro[i]!);
      r.add_(h.oldStps[i]!.mul(stepScalar(f32(al[i]! - be))));
    }
    h.d.dispose();
    h.d = r.keep();
    return h;
  }

  /** PyTorch's state dict; `state[0]` also carries the curvature history once a step has run (the optimizer's own tensors). */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const h = this.hist;
    if (h !== null) {
      const s0 = (sd.state[0] ??= {}) as Record<string, unknown>;
      Object.assign(s0, {
        d: h.d, t: h.t, old_dirs: [...h.oldDirs], old_stps: [...h.oldStps], ro: [...h.ro], H_diag: h.hDiag, prev_flat_grad: h.prevFlatGrad, prev_loss: h.prevLoss,
      });
    }
    return sd;
  }

  /** Restore options, counters and the curvature history (copied; PyTorch's 0-d tensors are read as numbers). */
  override loadStateDict(stateDict: OptimizerStateDict): void {
    const s0 = (stateDict?.state as Record<string, Record<string, unknown>> | undefined)?.[0];
    const hist: Record<string, unknown> = {};
    let rest = stateDict;
    if (s0 !== undefined && s0 !== null && typeof s0 === 'object') {
      const base: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s0)) {
        const key = HISTORY_KEYS[k];
        if (key !== undefined) hist[key] = v;
        else if (k !== 'al') base[k] = v; // PyTorch's scratch list
      }
      rest = { ...stateDict, state: { ...stateDict.state, 0: base as Record<string, Tensor | number> } };
    }
    super.loadStateDict(rest);
    if (hist.d === undefined) return;
    const n = this.params.reduce((a, p) => a + p.numel(), 0);
    const where = 'LBFGS.loadStateDict: state[0]';
    const vec = (v: unknown, k: string): Tensor => {
      if (!(v instanceof Tensor) || v.shape.length !== 1 || v.shape[0] !== n) {
        throw new ArgumentError(`${where}.${k}: expected a flat Tensor of ${n} values (all parameters), received ${v instanceof Tensor ? `shape [${v.shape.join(', ')}]` : typeof v}.`);
      }
      return noGrad(() => v.to('float32').clone()).keep();
    };
    const num = (v: unknown, k: string): number => {
      if (typeof v === 'number') return v;
      if (v instanceof Tensor && v.numel() === 1) return v.item();
      throw new ArgumentError(`${where}.${k}: expected a number or a one-element Tensor, received ${typeof v}.`);
    };
    const list = (v: unknown, k: string): unknown[] => {
      if (!Array.isArray(v)) throw new ArgumentError(`${where}.${k}: expected a list, received ${typeof v}.`);
      return v;
    };
    const [dirs, stps, ro] = [list(hist.oldDirs, 'old_dirs'), list(hist.oldStps, 'old_stps'), list(hist.ro, 'ro')];
    if (dirs.length !== stps.length || dirs.length !== ro.length) throw new ArgumentError(`${where}: old_dirs, old_stps and ro must have the same length, received ${dirs.length}, ${stps.length} and ${ro.length}.`);
    this.hist = {
      d: vec(hist.d, 'd'), t: num(hist.t, 't'), oldDirs: dirs.map((x) => vec(x, 'old_dirs')), oldStps: stps.map((x) => vec(x, 'old_stps')),
      ro: ro.map((x) => num(x, 'ro')), hDiag: num(hist.hDiag ?? 1, 'H_diag'), prevFlatGrad: vec(hist.prevFlatGrad, 'prev_flat_grad'), prevLoss: num(hist.prevLoss ?? 0, 'prev_loss'),
    };
  }

  /** After `loadStateDict` or `dispose()`: the history is released (the curvature estimate restarts). */
  protected override onStateLoaded(): void {
    const h = this.hist;
    if (h === null) return;
    for (const t of [h.d, h.prevFlatGrad, ...h.oldDirs, ...h.oldStps]) t.dispose();
    this.hist = null;
  }
}
