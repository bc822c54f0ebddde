/**
 * Neural Networks
 * ===============
 *
 * Neural networks can be constructed using the `nn` package.
 *
 * Now that you had a glimpse of `autograd`, `nn` depends on `autograd` to
 * define models and differentiate them. An `nn.Module` contains layers, and
 * a method `forward(input)` that returns the `output`.
 *
 * It is a simple feed-forward network (LeNet). It takes the input, feeds it
 * through several layers one after the other, and then finally gives the
 * output.
 *
 * A typical training procedure for a neural network is as follows:
 * - Define the neural network that has some learnable parameters (or weights)
 * - Iterate over a dataset of inputs
 * - Process input through the network
 * - Compute the loss (how far is the output from being correct)
 * - Propagate gradients back into the network's parameters
 * - Update the weights of the network, typically using a simple update rule:
 *   `weight = weight - learning_rate * gradient`
 *
 * Define the network
 * ------------------
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/blitz/neural_networks_tutorial.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 */
import { arange, randn, type Tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';

export class Net extends nn.Module {
  // 1 input image channel, 6 output channels, 5x5 square convolution
  // kernel
  conv1 = new nn.Conv2d(1, 6, 5);
  conv2 = new nn.Conv2d(6, 16, 5);
  // an affine operation: y = Wx + b
  fc1 = new nn.Linear(16 * 5 * 5, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);

  forward(x: Tensor): Tensor {
    // Max pooling over a (2, 2) window
    x = F.maxPool2d(F.relu(this.conv1(x)), [2, 2]);
    // If the size is a square you can only specify a single number
    x = F.maxPool2d(F.relu(this.conv2(x)), 2);
    x = x.view(-1, this.numFlatFeatures(x));
    x = F.relu(this.fc1(x));
    x = F.relu(this.fc2(x));
    x = this.fc3(x);
    return x;
  }

  numFlatFeatures(x: Tensor): number {
    const size = x.size().slice(1); // all dimensions except the batch dimension
    let numFeatures = 1;
    for (const s of size) {
      numFeatures *= s;
    }
    return numFeatures;
  }
}

const net = new Net();
console.log(net);

// You just have to define the `forward` function, and the `backward`
// function (where gradients are computed) is automatically defined for you
// using `autograd`.
// You can use any of the Tensor operations in the `forward` function.
//
// The learnable parameters of a model are returned by `net.parameters()`

const params = [...net.parameters()];
console.log(params.length);
console.log(params[0]!.size()); // conv1's .weight

// Let try a random 32x32 input
// Note: Expected input size to this net(LeNet) is 32x32. To use this net on
// MNIST dataset, please resize the images from the dataset to 32x32.

const input = randn(1, 1, 32, 32);
const out = net(input);
console.log(out);

// Zero the gradient buffers of all parameters and backprops with random
// gradients:
net.zeroGrad();
out.backward(randn(1, 10));

// Note: `nn` only supports mini-batches: `nn.Conv2d` takes a 4D Tensor of
// nSamples x nChannels x Height x Width. If you have a single sample, just
// use `input.unsqueeze(0)` to add a fake batch dimension.
//
// Loss Function
// -------------
// A loss function takes the (output, target) pair of inputs, and computes a
// value that estimates how far away the output is from the target.
//
// A simple loss is: `nn.MSELoss` which computes the mean-squared error
// between the input and the target.
//
// For example:

let output = net(input);
let target = arange(1, 11); // a dummy target, for example
target = target.view(1, -1); // make it the same shape as output
const criterion = new nn.MSELoss();

let loss = criterion(output, target);
console.log(loss);

// Now, if you follow `loss` in the backward direction, using its
// `.gradFn` attribute, you will see a graph of computations that looks
// like this:
//
//     input -> conv2d -> relu -> maxpool2d -> conv2d -> relu -> maxpool2d
//           -> view -> linear -> relu -> linear -> relu -> linear
//           -> MSELoss
//           -> loss
//
// So, when we call `loss.backward()`, the whole graph is differentiated
// w.r.t. the loss, and all Tensors in the graph that has `requiresGrad=true`
// will have their `.grad` Tensor accumulated with the gradient.
//
// For illustration, let us follow a few steps backward:

console.log(loss.gradFn); // MSELoss
console.log(loss.gradFn!.nextFunctions[0]![0]); // Linear
console.log(loss.gradFn!.nextFunctions[0]![0]!.nextFunctions[0]![0]); // ReLU

// Backprop
// --------
// To backpropagate the error all we have to do is to `loss.backward()`.
// You need to clear the existing gradients though, else gradients will be
// accumulated to existing gradients.
//
// Now we shall call `loss.backward()`, and have a look at conv1's bias
// gradients before and after the backward.

net.zeroGrad(); // zeroes the gradient buffers of all parameters

console.log('conv1.bias.grad before backward');
console.log(net.conv1.bias!.grad);

loss.backward();

console.log('conv1.bias.grad after backward');
console.log(net.conv1.bias!.grad);

// Update the weights
// ------------------
// The simplest update rule used in practice is the Stochastic Gradient
// Descent (SGD): `weight = weight - learning_rate * gradient`. The optim
// package implements it and others (Nesterov-SGD, Adam, RMSProp, ...):

// create your optimizer
const optimizer = new optim.SGD(net.parameters(), { lr: 0.01 });

// in your training loop:
optimizer.zeroGrad(); // zero the gradient buffers
output = net(input);
loss = criterion(output, target);
loss.backward();
optimizer.step(); // Does the update
