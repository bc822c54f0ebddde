/**
 * PyTorch: optim
 * --------------
 *
 * A third order polynomial, trained to predict y=sin(x) from -pi to pi by
 * minimizing squared Euclidean distance.
 *
 * This implementation uses the nn package from PyTorch to build the network.
 *
 * Rather than manually updating the weights of the model as we have been
 * doing, we use the optim package to define an Optimizer that will update the
 * weights for us. The optim package defines many optimization algorithms that
 * are commonly used for deep learning, including SGD+momentum, RMSProp, Adam,
 * etc.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_nn/polynomial_optim.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 * STEPS=300 runs 300 iterations instead of 2000.
 */
import { linspace, sin, tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

// Create Tensors to hold input and outputs.
const x = linspace(-Math.PI, Math.PI, 2000);
const y = sin(x);

// Prepare the input tensor (x, x^2, x^3).
const p = tensor([1, 2, 3]);
const xx = x.unsqueeze(-1).pow(p);

// Use the nn package to define our model and loss function.
const model = new nn.Sequential(
  new nn.Linear(3, 1),
  new nn.Flatten(0, 1),
);
const lossFn = new nn.MSELoss({ reduction: 'sum' });

// Use the optim package to define an Optimizer that will update the weights of
// the model for us. Here we will use Adam; the optim package contains many other
// optimization algorithms. The first argument to the Adam constructor tells the
// optimizer which Tensors it should update.
const learningRate = 1e-6;
const optimizer = new optim.SGD(model.parameters(), { lr: learningRate });
for (let t = 0; t < Number(process.env.STEPS ?? 2000); t++) {
  // Forward pass: compute predicted y by passing x to the model.
  const yPred = model(xx);

  // Compute and print loss.
  const loss = lossFn(yPred, y);
  if (t % 100 === 99) console.log(t, loss.item());

  // Before the backward pass, use the optimizer object to zero all of the
  // gradients for the variables it will update (which are the learnable
  // weights of the model). This is because by default, gradients are
  // accumulated in buffers( i.e, not overwritten) whenever .backward()
  // is called. Checkout docs of torch.autograd.backward for more details.
  optimizer.zeroGrad();

  // Backward pass: compute gradient of the loss with respect to model
  // parameters
  loss.backward();

  // Calling the step function on an Optimizer makes an update to its
  // parameters
  optimizer.step();
}

const linearLayer = model.at(0);
console.log(`Result: y = ${linearLayer.bias!.item()} + ${linearLayer.weight.select(1, 0).item()} x + ${linearLayer.weight.select(1, 1).item()} x^2 + ${linearLayer.weight.select(1, 2).item()} x^3`);
