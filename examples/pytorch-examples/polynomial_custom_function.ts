/**
 * PyTorch: Defining New autograd Functions
 * ----------------------------------------
 *
 * A third order polynomial, trained to predict y=sin(x) from -pi to pi by
 * minimizing squared Euclidean distance. Instead of writing the polynomial
 * as y=a+bx+cx^2+dx^3, we write the polynomial as y=a+b*P3(c+dx) where
 * P3(x)=1/2*(5x^3-3x) is the Legendre polynomial of degree three.
 * https://en.wikipedia.org/wiki/Legendre_polynomials
 *
 * This implementation computes the forward pass using operations on PyTorch
 * Tensors, and uses PyTorch autograd to compute gradients.
 *
 * In this implementation we implement our own custom autograd function to
 * perform P3'(x). By mathematics, P3'(x)=3/2*(5x^2-1)
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_autograd/polynomial_custom_function.py
 * (BSD-3-Clause); docs/ports/learning-pytorch-with-examples.md puts the two
 * side by side. STEPS=300 runs 300 iterations instead of 2000.
 */
import { autograd, full, linspace, mul, noGrad, sin, type Tensor } from '@duet/core';

/**
 * We can implement our own custom autograd Functions by subclassing
 * autograd.Function and implementing the forward and backward passes
 * which operate on Tensors.
 */
export class LegendrePolynomial3 extends autograd.Function {
  /**
   * In the forward pass we receive a Tensor containing the input and return
   * a Tensor containing the output. ctx is a context object that can be used
   * to stash information for backward computation. You can cache arbitrary
   * objects for use in the backward pass using the ctx.saveForBackward method.
   */
  static forward(ctx: autograd.FunctionCtx<[Tensor]>, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return mul(0.5, mul(5, input.pow(3)).sub(mul(3, input)));
  }

  /**
   * In the backward pass we receive a Tensor containing the gradient of the loss
   * with respect to the output, and we need to compute the gradient of the loss
   * with respect to the input.
   */
  static backward(ctx: autograd.FunctionCtx<[Tensor]>, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    return gradOutput.mul(1.5).mul(mul(5, input.pow(2)).sub(1));
  }
}

const dtype = 'float32';
const device = 'cpu';
// const device = 'cuda:0'; // Uncomment this to run on GPU

// Create Tensors to hold input and outputs.
// Setting requiresGrad=false indicates that we do not need to compute gradients
// with respect to these Tensors during the backward pass.
const x = linspace(-Math.PI, Math.PI, 2000, { device, dtype });
const y = sin(x);

// Create random Tensors for weights. For this example, we need
// 4 weights: y = a + b * P3(c + d * x), these weights need to be initialized
// not too far from the correct result to ensure convergence.
// Setting requiresGrad=true indicates that we want to compute gradients with
// respect to these Tensors during the backward pass.
const a = full([], 0.0, { device, dtype, requiresGrad: true });
const b = full([], -1.0, { device, dtype, requiresGrad: true });
const c = full([], 0.0, { device, dtype, requiresGrad: true });
const d = full([], 0.3, { device, dtype, requiresGrad: true });

const learningRate = 5e-6;
for (let t = 0; t < Number(process.env.STEPS ?? 2000); t++) {
  // To apply our Function, we use Function.apply method. We alias this as 'P3'.
  const P3 = (input: Tensor) => LegendrePolynomial3.apply(input);

  // Forward pass: compute predicted y using operations; we compute
  // P3 using our custom autograd operation.
  const yPred = a.add(b.mul(P3(c.add(d.mul(x)))));

  // Compute and print loss
  const loss = yPred.sub(y).pow(2).sum();
  if (t % 100 === 99) console.log(t, loss.item());

  // Use autograd to compute the backward pass.
  loss.backward();

  // Update weights using gradient descent
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

console.log(`Result: y = ${a.item()} + ${b.item()} * P3(${c.item()} + ${d.item()} x)`);
