/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015,
 * https://arxiv.org/abs/1503.02531): the student learns from the hard
 * labels and from the teacher's softened outputs,
 *
 *   loss = alpha * CE(labels, student) + (1 - alpha) * KL(softmax(teacher / T) || softmax(student / T)) * T^2
 *
 * (KL summed over classes, averaged over the batch; the T^2 keeps the soft
 * term's gradients on the hard term's scale). `distillationLoss` is the nn
 * function; `Distiller` is the Keras model of the Keras guide "Knowledge
 * distillation" (Kenneth Borup), trained with `fit`.
 *
 * @example
 * ```ts
 * import { randn, tensor } from '@duet/core';
 * import { distillationLoss } from '@duet/compress';
 * const student = randn([4, 10], { requiresGrad: true });
 * const teacher = randn([4, 10]);
 * const loss = distillationLoss(student, teacher, tensor([1, 2, 3, 4], { dtype: 'int32' }), { temperature: 4, alpha: 0.1 });
 * loss.backward();
 * ```
 */
import { ArgumentError, noGrad, type Tensor } from '@duet/core';
import { F } from '@duet/nn';
import * as keras from '@duet/keras';

export interface DistillationOptions {
  /** Softening temperature T (default 3). */
  temperature?: number;
  /** Weight of the hard-label loss (default 0.1, as the Keras guide); the soft term gets 1 - alpha. */
  alpha?: number;
}

function check(options: DistillationOptions, who: string): { T: number; alpha: number } {
  const T = options.temperature ?? 3;
  const alpha = options.alpha ?? 0.1;
  if (!(T > 0)) throw new ArgumentError(`${who}: temperature must be > 0; received ${T}.`);
  if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentError(`${who}: alpha must be in [0, 1]; received ${alpha}.`);
  return { T, alpha };
}

/** KL(softmax(teacher / T) || softmax(student / T)) * T^2, batch mean (the soft term alone). */
export function softTargetLoss(studentLogits: Tensor, teacherLogits: Tensor, temperature = 3): Tensor {
  if (studentLogits.shape.length !== 2 || teacherLogits.shape.join() !== studentLogits.shape.join()) {
    throw new ArgumentError(`distillation: student and teacher logits must both be [batch, classes] of the same shape; received [${studentLogits.shape.join(', ')}] and [${teacherLogits.shape.join(', ')}].`);
  }
  const logP = F.logSoftmax(studentLogits.div(temperature), 1);
  const q = noGrad(() => F.softmax(teacherLogits.div(temperature), 1));
  const logQ = noGrad(() => F.logSoftmax(teacherLogits.div(temperature), 1));
  // sum q (log q - log p) over classes, mean over the batch
  return q.mul(logQ.sub(logP)).sum(1).mean().mul(temperature * temperature);
}

/** The whole distillation loss for nn training loops (student logits, teacher logits, integer labels). */
export function distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, labels: Tensor, options: DistillationOptions = {}): Tensor {
  const { T, alpha } = check(options, 'distillationLoss');
  const soft = softTargetLoss(studentLogits, teacherLogits, T);
  const hard = F.crossEntropy(studentLogits, labels);
  return hard.mul(alpha).add(soft.mul(1 - alpha));
}

export interface DistillerOptions {
  student: keras.Model;
  teacher: keras.Model;
  name?: string;
}

export interface DistillerCompileOptions extends DistillationOptions {
  optimizer: Parameters<keras.Model['compile']>[0]['optimizer'];
  /** The student's loss on the hard labels (e.g. SparseCategoricalCrossentropy({ fromLogits: true })). */
  studentLossFn: Parameters<keras.Model['compile']>[0]['loss'];
  metrics?: Parameters<keras.Model['compile']>[0]['metrics'];
}

/**
 * Keras's `Distiller` (the "Knowledge distillation" guide): a model whose
 * `call` is the student's; during training it adds the soft term
 * (1 - alpha) * KL * T^2 with the frozen teacher's outputs as a layer loss,
 * and the compiled student loss is weighted by alpha, so `fit`, callbacks,
 * metrics, `evaluate` and `predict` are Keras's own. Both models output
 * logits.
 */
export class Distiller extends keras.Model {
  readonly student: keras.Model;
  readonly teacher: keras.Model;
  private T = 3;
  private alpha = 0.1;

  constructor(options: DistillerOptions) {
    super({ name: options.name ?? 'distiller' });
    if (!(options?.student instanceof keras.Layer) || !(options.teacher instanceof keras.Layer)) {
      throw new ArgumentError('Distiller: expected { student, teacher } as Keras models.');
    }
    this.student = options.student;
    this.teacher = options.teacher;
    this.teacher.trainable = false;
  }

  override compile(options: DistillerCompileOptions | Parameters<keras.Model['compile']>[0]): void {
    const o = options as DistillerCompileOptions;
    const { T, alpha } = check(o, 'Distiller.compile');
    this.T = T;
    this.alpha = alpha;
    super.compile({ optimizer: o.optimizer, loss: o.studentLossFn, lossWeights: [alpha], ...(o.metrics !== undefined ? { metrics: o.metrics } : {}) });
  }

  override call(inputs: unknown, options: Parameters<keras.Layer['call']>[1]): unknown {
    const studentLogits = this.student.apply(inputs as Tensor, { training: options.training }) as Tensor;
    if (options.training === true) {
      const teacherLogits = noGrad(() => this.teacher.apply(inputs as Tensor, { training: false }) as Tensor);
      this.addLoss(softTargetLoss(studentLogits, teacherLogits, this.T).mul(1 - this.alpha));
    }
    return studentLogits;
  }
}
