/**
 * PyTorch: nn
 * -----------
 *
 * A third order polynomial, trained to predict y=sin(x) from -pi to pi by
 * minimizing squared Euclidean distance.
 *
 * This implementation uses the nn package from PyTorch to build the network.
 * PyTorch autograd makes it easy to define computational graphs and take
 * gradients, but raw autograd can be a bit too low-level for defining complex
 * neural networks; this is where the nn package can help. The nn package
 * defines a set of Modules, which you can think of as a neural network layer
 * that has produces output from input and may have some trainable weights.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_nn/polynomial_nn.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 * STEPS=300 runs 300 iterations instead of 2000.
 */
import { linspace, mul, noGrad, sin, tensor } from '@duet/core';
import { nn } from '@duet/nn';

// Create Tensors to hold input and outputs.
const x = linspace(-Math.PI, Math.PI, 2000);
const y = sin(x);

// For this example, the output y is a linear function of (x, x^2, x^3), so
// we can consider it as a linear layer neural network. Let's prepare the
// tensor (x, x^2, x^3).
const p = tensor([1, 2, 3]);
const xx = x.unsqueeze(-1).pow(p);

// In the above code, x.unsqueeze(-1) has shape (2000, 1), and p has shape
// (3,), for this case, broadcasting semantics will apply to obtain a tensor
// of shape (2000, 3)

// Use the nn package to define our model as a sequence of layers. nn.Sequential
// is a Module which contains other Modules, and applies them in sequence to
// produce its output. The Linear Module computes output from input using a
// linear function, and holds internal Tensors for its weight and bias.
// The Flatten layer flatens the output of the linear layer to a 1D tensor,
// to match the shape of `y`.
const model = new nn.Sequential(
  new nn.Linear(3, 1),
  new nn.Flatten(0, 1),
);

// In order to use nn.Linear, we need to prepare our
// input and output in a format of (batch, D_in) and (batch, D_out)

// The nn package also contains definitions of popular loss functions; in this
// case we will use Mean Squared Error (MSE) as our loss function.
const lossFn = new nn.MSELoss({ reduction: 'sum' });

const learningRate = 1e-6;
for (let t = 0; t < Number(process.env.STEPS ?? 2000); t++) {

  // Forward pass: compute predicted y by passing x to the model. Module objects
  // override the __call__ operator so you can call them like functions. When
  // doing so you pass a Tensor of input data to the Module and it produces
  // a Tensor of output data.
  const yPred = model(xx);

  // Compute and print loss. We pass Tensors containing the predicted and true
  // values of y, and the loss function returns a Tensor containing the
  // loss.
  const loss = lossFn(yPred, y);
  if (t % 100 === 99) console.log(t, loss.item());

  // Zero the gradients before running the backward pass.
  model.zeroGrad();

  // Backward pass: compute gradient of the loss with respect to all the learnable
  // parameters of the model. Internally, the parameters of each Module are stored
  // in Tensors with requiresGrad=true, so this call will compute gradients for
  // all learnable parameters in the model.
  loss.backward();

  // Update the weights using gradient descent. Each parameter is a Tensor, so
  // we can access its gradients like we did before.
  {
    using _ = noGrad();
    for (const param of model.parameters()) {
      param.sub_(mul(learningRate, param.grad!));
    }
  }
}

// You can access the first layer of `model` like accessing the first item of a list
const linearLayer = model.at(0);

// For linear layer, its parameters are stored as `weight` and `bias`.
console.log(`Result: y = ${linearLayer.bias!.item()} + ${linearLayer.weight.select(1, 0).item()} x + ${linearLayer.weight.select(1, 1).item()} x^2 + ${linearLayer.weight.select(1, 2).item()} x^3`);
