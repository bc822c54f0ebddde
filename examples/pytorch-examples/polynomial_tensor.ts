/**
 * PyTorch: Tensors
 * ----------------
 *
 * A third order polynomial, trained to predict y=sin(x) from -pi to pi by
 * minimizing squared Euclidean distance.
 *
 * This implementation uses PyTorch tensors to manually compute the forward
 * pass, loss, and backward pass.
 *
 * A PyTorch Tensor is basically the same as a numpy array: it does not know
 * anything about deep learning or computational graphs or gradients, and is
 * just a generic n-dimensional array to be used for arbitrary numeric
 * computation.
 *
 * The biggest difference between a numpy array and a PyTorch Tensor is that
 * a PyTorch Tensor can run on either CPU or GPU. To run operations on the
 * GPU, just cast the Tensor to a cuda datatype.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_tensor/polynomial_tensor.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 * STEPS=300 runs 300 iterations instead of 2000.
 */
import { linspace, matmul, mul, randn, sin } from '@duet/core';

const dtype = 'float32';
const device = 'cpu';
// const device = 'cuda'; // Uncomment this to run on GPU

// Create random input and output data
const x = linspace(-Math.PI, Math.PI, 2000, { device, dtype });
const y = sin(x);

// Randomly initialize weights
const a = randn([], { device, dtype });
const b = randn([], { device, dtype });
const c = randn([], { device, dtype });
const d = randn([], { device, dtype });

const learningRate = 1e-6;
for (let t = 0; t < Number(process.env.STEPS ?? 2000); t++) {
  // Forward pass: compute predicted y
  const yPred = a.add(b.mul(x)).add(c.mul(x.pow(2))).add(d.mul(x.pow(3)));

  // Compute and print loss
  const loss = yPred.sub(y).pow(2).sum().item();
  if (t % 100 === 99) console.log(t, loss);

  // Backprop to compute gradients of a, b, c, d with respect to loss
  const gradYPred = mul(-2.0, y.sub(yPred));
  const gradA = gradYPred.sum();
  const gradB = matmul(gradYPred, x).sum();
  const gradC = matmul(gradYPred, x.pow(2)).sum();
  const gradD = matmul(gradYPred, x.pow(3)).sum();

  // Update weights using gradient descent
  a.sub_(mul(learningRate, gradA));
  b.sub_(mul(learningRate, gradB));
  c.sub_(mul(learningRate, gradC));
  d.sub_(mul(learningRate, gradD));
}

console.log(`Result: y = ${a.item()} + ${b.item()} x + ${c.item()} x^2 + ${d.item()} x^3`);
