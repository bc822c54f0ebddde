/**
 * The one layout rule (docs/design/layout.md):
 *
 * - `DataFormat` is the one data-format type. Ops also accept the spellings
 *   users bring - `'NCHW'/'NHWC'`, `'NCL'/'NLC'`, `'channelsFirst'/'channelsLast'`,
 *   a channel axis `1`/`-1` - and `dataFormat()` normalises them to it.
 * - `opLayout()` is the one place that decides which stored layout an op
 *   reads its operands in, stores its result in, and exchanges gradients in.
 *   Every layout-aware op (elementwise, dropout, pooling, convolution, batch
 *   norm) calls it; `valueIn()` reads an operand in the decided layout.
 * - Autograd keeps each tensor's gradient in that tensor's stored layout and
 *   converts at a rule's boundary with `gradForRule()` / `gradFromRule()`.
 *
 * The conversions themselves are native-only, in kernels/layout.ts.
 */
import { ArgumentError } from './errors.js';
import { convertLayout, type TfTensor } from './kernels/index.js';

/**
 * What the rule reads of a tensor (the Tensor implements it); a structural
 * type, so this file sits below tensor.ts and imports nothing from it.
 */
export interface LayoutOperand {
  readonly shape: readonly number[];
  /** Stored as the NHWC permutation of its logical NCHW value. */
  readonly _nhwc: boolean;
  /** The logical value. */
  _v(): TfTensor;
  /** The NHWC value (as stored, or converted once and cached). */
  _nhwcValue(): TfTensor;
}
type Tensor = LayoutOperand;

/** Where the channels are: dim 1 (PyTorch's NCHW / NCL) or the last dim (Keras's and TF's NHWC / NLC). */
export type DataFormat = 'channelsFirst' | 'channelsLast';
/** The spellings of a 2-d (image) data format that ops accept. */
export type DataFormat2dLike = DataFormat | 'NCHW' | 'NHWC' | 1 | -1;
/** The spellings of a 1-d (sequence) data format that ops accept. */
export type DataFormat1dLike = DataFormat | 'NCL' | 'NLC' | 1 | -1;
/** Any accepted spelling of a data format. */
export type DataFormatLike = DataFormat2dLike | DataFormat1dLike;

const NAMES = { 1: ['NCL', 'NLC'], 2: ['NCHW', 'NHWC'] } as const;

/**
 * The data format that `v` spells for an op over `spatialDims` spatial dims
 * (1: sequences, 2: images); undefined is `'channelsFirst'` (PyTorch's default).
 * A channel axis counts as a spelling: 1 is channels-first, -1 channels-last.
 */
export function dataFormat(op: string, v: DataFormatLike | undefined, spatialDims: 1 | 2 = 2): DataFormat {
  if (v === undefined) return 'channelsFirst';
  const [first, last] = NAMES[spatialDims];
  if (v === 'channelsFirst' || v === first || v === 1) return 'channelsFirst';
  if (v === 'channelsLast' || v === last || v === -1) return 'channelsLast';
  throw new ArgumentError(`${op}: dataFormat must be '${first}' or '${last}' (or 'channelsFirst' / 'channelsLast'), received ${JSON.stringify(v)}.`);
}

/** How an op's gradient rule exchanges gradients: true = NHWC, false = logical; `out` for the one it receives, `inputs[i]` for the one it returns for input i. */
export interface GradLayout {
  readonly out: boolean;
  readonly inputs: readonly boolean[];
}

/** The layout an op works in, as decided by `opLayout`. */
export interface OpLayout {
  /** true: the op reads its layout-carrying operands as NHWC values and stores its result NHWC (the physical form of NCHW). */
  readonly nhwc: boolean;
  /** The gradient layout to record with the op's node (undefined: logical everywhere). */
  readonly grad: GradLayout | undefined;
}

/**
 * - `'asStored'`: an elementwise op (add, relu, dropout, a 1x1 mean): it
 *   computes on the values as stored, so it works in NHWC when its tensor
 *   operands are all stored NHWC with one shape (a number operand does not count).
 * - `'nhwcKernel'`: an op whose TF CPU kernel needs NHWC (conv, pool, batch norm)
 *   on a 4-d input in `format`: for 'channelsFirst' it reads the input (operand
 *   0) as NHWC, stores NHWC and exchanges NHWC gradients for the input (the
 *   weight and bias stay logical); for 'channelsLast' the input is already NHWC
 *   logically, and nothing converts.
 */
export type LayoutRule = 'asStored' | 'nhwcKernel';

/** Logical everywhere: what a layout-unaware op (a softmax over a dim, a cast, a matmul) works in. */
export const LOGICAL: OpLayout = { nhwc: false, grad: undefined };
/** Every input's gradient in NHWC (an elementwise op on NHWC-stored operands). */
const NHWC_ALL: OpLayout = { nhwc: true, grad: { out: true, inputs: [true, true, true] } };
/** The input's gradient in NHWC, the weight's and bias's logical. */
const NHWC_INPUT: OpLayout = { nhwc: true, grad: { out: true, inputs: [true, false, false] } };

/** Decide the stored layout of an op's operands, its result and its gradient (see `LayoutRule`). */
export function opLayout(rule: 'asStored', a: Tensor, b?: Tensor | number | boolean): OpLayout;
export function opLayout(rule: 'nhwcKernel', x: Tensor, format: DataFormat): OpLayout;
export function opLayout(rule: LayoutRule, a: Tensor, b?: Tensor | number | boolean | DataFormat): OpLayout {
  if (rule === 'nhwcKernel') return b === 'channelsFirst' ? NHWC_INPUT : LOGICAL;
  if (!a._nhwc) return LOGICAL;
  if (b === undefined || typeof b !== 'object') return NHWC_ALL;
  return b._nhwc && a.shape.every((d, i) => d === b.shape[i]) ? NHWC_ALL : LOGICAL;
}

/** The native value of operand `t` (or of the op's own result) in the layout `l`: as NHWC, or logical. */
export function valueIn(l: OpLayout, t: Tensor): TfTensor {
  return l.nhwc ? t._nhwcValue() : t._v();
}

/** The gradient of `out` (kept in `out`'s stored layout) in the layout its node's rule takes. */
export function gradForRule(g: TfTensor, out: Tensor, l: GradLayout | undefined): TfTensor {
  return convertLayout(g, out._nhwc, l?.out ?? false);
}

/** The gradient a rule returned for input `i`, moved to that input's stored layout. */
export function gradFromRule(g: TfTensor, i: number, l: GradLayout | undefined, input: Tensor): TfTensor {
  return convertLayout(g, l?.inputs[i] ?? false, input._nhwc);
}

/** A logical gradient (backward()'s seed) in `t`'s stored layout, or a stored one in the logical layout (a leaf's `.grad`). */
export function gradToStored(g: TfTensor, t: Tensor): TfTensor {
  return convertLayout(g, false, t._nhwc);
}
export function gradToLogical(g: TfTensor, t: Tensor): TfTensor {
  return convertLayout(g, t._nhwc, false);
}
