/**
 * Autograd: automatic differentiation
 * ===================================
 *
 * Central to all neural networks in PyTorch is the `autograd` package.
 * Let's first briefly visit this, and we will then go to training our
 * first neural network.
 *
 * The `autograd` package provides automatic differentiation for all
 * operations on Tensors. It is a define-by-run framework, which means that
 * your backprop is defined by how your code is run, and that every single
 * iteration can be different.
 *
 * Tensor
 * --------
 *
 * If you set a tensor's `.requiresGrad` to `true`, it starts to track all
 * operations on it. When you finish your computation you can call
 * `.backward()` and have all the gradients computed automatically. The
 * gradient for this tensor will be accumulated into `.grad`.
 *
 * To stop a tensor from tracking history, you can call `.detach()`; to
 * prevent tracking history (and using memory), you can also wrap the code
 * block in `noGrad()`.
 *
 * Each tensor has a `.gradFn` that names the Function that has created the
 * Tensor (except for Tensors created by the user - their `gradFn` is null).
 * If you want to compute the derivatives, you can call `.backward()` on a
 * Tensor. If it is a scalar, you don't need to specify any arguments to
 * `backward()`, however if it has more elements, you need to specify a
 * `gradient` argument that is a tensor of matching shape.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/blitz/autograd_tutorial.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 */
import { noGrad, ones, randn, tensor } from '@duet/core';

// Create a tensor and set requiresGrad=true to track computation with it
let x = ones(2, 2, { requiresGrad: true });
console.log(x);

// Do an operation of tensor:
let y = x.add(2);
console.log(y);

// `y` was created as a result of an operation, so it has a `gradFn`.
console.log(y.gradFn);

// Do more operations on y
const z = y.mul(y).mul(3);
const out = z.mean();

console.log(z, out);

// `.requiresGrad_( ... )` changes an existing Tensor's `requiresGrad`
// flag in-place. The input flag defaults to `true` if not given.
let a = randn(2, 2);
a = a.mul(3).div(a.sub(1));
console.log(a.requiresGrad);
a.requiresGrad_(true);
console.log(a.requiresGrad);
const b = a.mul(a).sum();
console.log(b.gradFn);

// Gradients
// ---------
// Let's backprop now
// Because `out` contains a single scalar, `out.backward()` is
// equivalent to `out.backward(tensor(1))`.

out.backward();

// print gradients d(out)/dx

console.log(x.grad);

// You should have got a matrix of `4.5`. Let's call the `out` Tensor "o".
// We have that o = 1/4 sum_i z_i, z_i = 3(x_i+2)^2 and z_i|x_i=1 = 27.
// Therefore, do/dx_i = 3/2(x_i+2), hence do/dx_i|x_i=1 = 9/2 = 4.5.

// You can do many crazy things with autograd!

x = randn(3, { requiresGrad: true });

y = x.mul(2);
while (y.detach().norm().item() < 1000) {
  y = y.mul(2);
}

console.log(y);

const gradients = tensor([0.1, 1.0, 0.0001], { dtype: 'float32' });
y.backward(gradients);

console.log(x.grad);

// You can also stops autograd from tracking history on Tensors
// with requiresGrad=true by wrapping the code block in
// `noGrad()`
console.log(x.requiresGrad);
console.log(x.pow(2).requiresGrad);

{
  using _ = noGrad();
  console.log(x.pow(2).requiresGrad);
}
