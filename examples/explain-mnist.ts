/**
 * Why did the network say "7"? Trains a small CNN on MNIST (nn style), then
 * explains a few test digits with Integrated Gradients and Grad-CAM and
 * writes heatmap overlays as PNG files; the same attributions are then
 * computed for a Keras model (the Keras style takes the same classes).
 *
 *   pnpm tsx examples/explain-mnist.ts                    # 6000 training images, 1 epoch
 *   TRAIN_LIMIT=1000 OUT_DIR=/tmp/explain pnpm tsx examples/explain-mnist.ts
 *
 * Prints the test accuracy, each digit's prediction and the convergence
 * delta of Integrated Gradients (completeness: the attributions sum to
 * f(x) - f(baseline), so delta / (f(x) - f(baseline)) should be small).
 */
import { join } from 'node:path';
import { manualSeed, noGrad, scope, type Tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import { loadMnistTensors } from '@duet/data';
import * as keras from '@duet/keras';
import { IntegratedGradients, LayerAttribution, LayerGradCam, Saliency, visualizeImageAttr } from '@duet/explain';

export class SmallCnn extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3);
  conv2 = new nn.Conv2d(8, 16, 3);
  fc = new nn.Linear(16 * 5 * 5, 10);
  forward(x: Tensor): Tensor {
    x = F.maxPool2d(F.relu(this.conv1(x)), 2);
    x = F.maxPool2d(F.relu(this.conv2(x)), 2);
    return this.fc(x.flatten(1));
  }
}

/** MNIST images as float [n, 1, 28, 28] in [0, 1] and int labels [n]. */
export function mnist(train: boolean, limit: number): [Tensor, Tensor] {
  const [images, labels] = loadMnistTensors({ train });
  const n = Math.min(limit, images.shape[0]!);
  const x = images.narrow(0, 0, n).clone().float().div(255).reshape([n, 1, 28, 28]);
  const y = labels.narrow(0, 0, n).clone(); // narrow of the whole length may be the same tensor
  images.dispose();
  labels.dispose();
  return [x, y];
}

export function trainCnn(model: SmallCnn, x: Tensor, y: Tensor, epochs = 1, batchSize = 64): void {
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  model.train();
  const n = x.shape[0]!;
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      opt.zeroGrad();
      F.crossEntropy(model.forward(x.narrow(0, i, b)), y.narrow(0, i, b)).backward();
      opt.step();
    }
  }
  model.eval();
}

export function accuracy(forward: (x: Tensor) => Tensor, x: Tensor, y: Tensor): number {
  return noGrad(() => scope(() => forward(x).argmax(1).eq(y).float().mean().item()));
}

async function main(): Promise<void> {
  manualSeed(0);
  const limit = Number(process.env.TRAIN_LIMIT ?? 6000);
  const outDir = process.env.OUT_DIR ?? 'explain-mnist-out';
  const [xTrain, yTrain] = mnist(true, limit);
  const [xTest, yTest] = mnist(false, 1000);

  const model = new SmallCnn();
  trainCnn(model, xTrain, yTrain);
  console.log(`nn CNN: test accuracy ${(100 * accuracy((z) => model.forward(z), xTest, yTest)).toFixed(1)}% (trained on ${limit} images)`);

  const digits = xTest.narrow(0, 0, 4);
  const pred = Array.from(noGrad(() => model.forward(digits).argmax(1)).dataSync());
  const ig = new IntegratedGradients(model);
  const { attributions, delta } = ig.attribute(digits, { target: pred, nSteps: 64, internalBatchSize: 128, returnConvergenceDelta: true });
  const cam = LayerAttribution.interpolate(new LayerGradCam(model, model.conv2).attribute(digits, { target: pred, reluAttributions: true }), [28, 28], 'bilinear');
  const labels = Array.from(yTest.narrow(0, 0, 4).dataSync());
  for (let i = 0; i < 4; i++) {
    const img = digits.select(0, i);
    const igFile = join(outDir, `digit${i}-ig.png`);
    const camFile = join(outDir, `digit${i}-gradcam.png`);
    visualizeImageAttr(attributions.select(0, i), img, { method: 'blended_heat_map', sign: 'all', scale: 8, outPath: igFile });
    visualizeImageAttr(cam.select(0, i), img, { method: 'blended_heat_map', sign: 'positive', scale: 8, outPath: camFile });
    console.log(`digit ${i}: label ${labels[i]}, predicted ${pred[i]}, IG delta ${delta.select(0, i).item().toExponential(2)} -> ${igFile}, ${camFile}`);
  }

  // Completeness of Integrated Gradients against the number of path points:
  // median over 32 digits of |delta| / |f(x) - f(baseline)| (0 = exact).
  const batch = xTest.narrow(0, 0, 32);
  const targets = Array.from(noGrad(() => model.forward(batch).argmax(1)).dataSync());
  console.log('\n| method | nSteps | median relative completeness error |\n|---|---|---|');
  for (const method of ['gausslegendre', 'riemann_trapezoid'] as const) {
    for (const nSteps of [8, 32, 128]) {
      scope(() => {
        const r = ig.attribute(batch, { target: targets, nSteps, method, internalBatchSize: 256, returnConvergenceDelta: true });
        const gap = noGrad(() => r.attributions.reshape([32, -1]).sum(1).sub(r.delta));
        const rel = Array.from(r.delta.abs().div(gap.abs()).dataSync()).sort((a, b) => a - b);
        console.log(`| ${method} | ${nSteps} | ${rel[16]!.toExponential(2)} |`);
      });
    }
  }

  // The Keras style: the same methods take a Keras model (here a Dense net on the flattened digits).
  const kmodel = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(64, { activation: 'relu' }), new keras.layers.Dense(10)]);
  kmodel.compile({ optimizer: 'adam', loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  await kmodel.fit(xTrain.reshape([-1, 784]), yTrain, { epochs: 2, batchSize: 64, verbose: 0 });
  const flat = digits.reshape([4, 784]);
  const sal = new Saliency(kmodel).attribute(flat, { target: pred });
  for (let i = 0; i < 2; i++) {
    const file = join(outDir, `digit${i}-keras-saliency.png`);
    visualizeImageAttr(sal.select(0, i).reshape([28, 28]), digits.select(0, i).reshape([28, 28]), { method: 'blended_heat_map', scale: 8, outPath: file });
    console.log(`keras digit ${i}: saliency -> ${file}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
