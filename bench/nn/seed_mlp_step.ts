/**
 * The seed MLP's training step as the step benchmarks time it (issue 8):
 * 784-128-10 with relu, cross-entropy and Adam (lr 0.001), on 16
 * pre-made synthetic MNIST-shaped batches of 32 (seeded), so a step is the
 * model's work only. Used by bench/core/step_levers.ts and
 * bench/nn/fused_step.ts inside their child processes (it loads TensorFlow).
 */
import { manualSeed, randint, randn, type Tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor) {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

/** A fresh seed MLP (seed 0) and `step(i)`: one training step on batch `i % 16`. */
export function seedMlpStep(): (i: number) => void {
  manualSeed(0);
  const model = new MLP();
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.Adam(model.parameters(), { lr: 0.001 });
  const xs = Array.from({ length: 16 }, () => randn([32, 1, 28, 28]).keep());
  const ys = Array.from({ length: 16 }, () => randint(0, 10, [32]).keep());
  return (i) => {
    const loss = lossFn.forward(model.forward(xs[i % 16]!), ys[i % 16]!);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
}
