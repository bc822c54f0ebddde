/**
 * PyTorch: Tensors and autograd
 * -------------------------------
 *
 * A third order polynomial, trained to predict y=sin(x) from -pi to pi by
 * minimizing squared Euclidean distance.
 *
 * This implementation computes the forward pass using operations on PyTorch
 * Tensors, and uses PyTorch autograd to compute gradients.
 *
 * A PyTorch Tensor represents a node in a computational graph. If `x` is a
 * Tensor that has `x.requiresGrad = true` then `x.grad` is another Tensor
 * holding the gradient of `x` with respect to some scalar value.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_autograd/polynomial_autograd.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 * STEPS=300 runs 300 iterations instead of 2000.
 */
import { accelerator, linspace, mul, noGrad, randn, setDefaultDevice, sin } from '@duet/core';

// We want to be able to train our model on an accelerator such as CUDA.
// If the current accelerator is available, we will use it. Otherwise, we use the CPU.

const dtype = 'float32';
const device = accelerator.isAvailable() ? accelerator.currentAccelerator()!.type : 'cpu';
console.log(`Using ${device} device`);
setDefaultDevice(device);

// Create Tensors to hold input and outputs.
// By default, requiresGrad=false, which indicates that we do not need to
// compute gradients with respect to these Tensors during the backward pass.
const x = linspace(-Math.PI, Math.PI, 2000, { dtype });
const y = sin(x);

// Create random Tensors for weights. For a third order polynomial, we need
// 4 weights: y = a + b x + c x^2 + d x^3
// Setting requiresGrad=true indicates that we want to compute gradients with
// respect to these Tensors during the backward pass.
const a = randn([], { dtype, requiresGrad: true });
const b = randn([], { dtype, requiresGrad: true });
const c = randn([], { dtype, requiresGrad: true });
const d = randn([], { dtype, requiresGrad: true });

const learningRate = 1e-6;
for (let t = 0; t < Number(process.env.STEPS ?? 2000); t++) {
  // Forward pass: compute predicted y using operations on Tensors.
  const yPred = a.add(b.mul(x)).add(c.mul(x.pow(2))).add(d.mul(x.pow(3)));

  // Compute and print loss using operations on Tensors.
  // Now loss is a Tensor of shape (1,)
  // loss.item() gets the scalar value held in the loss.
  const loss = yPred.sub(y).pow(2).sum();
  if (t % 100 === 99) console.log(t, loss.item());

  // Use autograd to compute the backward pass. This call will compute the
  // gradient of loss with respect to all Tensors with requiresGrad=true.
  // After this call a.grad, b.grad. c.grad and d.grad will be Tensors holding
  // the gradient of the loss with respect to a, b, c, d respectively.
  loss.backward();

  // Manually update weights using gradient descent. Wrap in noGrad()
  // because weights have requiresGrad=true, but we don't need to track this
  // in autograd.
  {
    using _ = noGrad();
    a.sub_(mul(learningRate, a.grad!));
    b.sub_(mul(learningRate, b.grad!));
    c.sub_(mul(learningRate, c.grad!));
    d.sub_(mul(learningRate, d.grad!));

    // Manually zero the gradients after updating weights
    a.grad = null;
    b.grad = null;
    c.grad = null;
    d.grad = null;
  }
}

console.log(`Result: y = ${a.item()} + ${b.item()} x + ${c.item()} x^2 + ${d.item()} x^3`);
