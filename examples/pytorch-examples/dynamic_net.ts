/**
 * PyTorch: Control Flow + Weight Sharing
 * --------------------------------------
 *
 * To showcase the power of PyTorch dynamic graphs, we will implement a very
 * strange model: a third-fifth order polynomial that on each forward pass
 * chooses a random number between 4 and 5 and uses that many orders, reusing
 * the same weights multiple times to compute the fourth and fifth order.
 *
 * Ported line by line from pytorch/tutorials
 * beginner_source/examples_nn/dynamic_net.py (BSD-3-Clause);
 * docs/ports/learning-pytorch-with-examples.md puts the two side by side.
 * STEPS=4000 runs 4000 iterations instead of 30000.
 */
import { linspace, random, randn, sin, type Tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

export class DynamicNet extends nn.Module {
  /**
   * In the constructor we instantiate five parameters and assign them as members.
   */
  a = new nn.Parameter(randn([]));
  b = new nn.Parameter(randn([]));
  c = new nn.Parameter(randn([]));
  d = new nn.Parameter(randn([]));
  e = new nn.Parameter(randn([]));

  /**
   * For the forward pass of the model, we randomly choose either 4, 5
   * and reuse the e parameter to compute the contribution of these orders.
   *
   * Since each forward pass builds a dynamic computation graph, we can use normal
   * JavaScript control-flow operators like loops or conditional statements when
   * defining the forward pass of the model.
   *
   * Here we also see that it is perfectly safe to reuse the same parameter many
   * times when defining a computational graph.
   */
  forward(x: Tensor): Tensor {
    let y = this.a.add(this.b.mul(x)).add(this.c.mul(x.pow(2))).add(this.d.mul(x.pow(3)));
    const stop = random.randint(4, 6); // range() reads its bound once; a for condition would draw again every pass
    for (let exp = 4; exp < stop; exp++) {
      y = y.add(this.e.mul(x.pow(exp)));
    }
    return y;
  }

  /**
   * Just like any class in Python, you can also define custom method on PyTorch modules
   */
  string(): string {
    return `y = ${this.a.item()} + ${this.b.item()} x + ${this.c.item()} x^2 + ${this.d.item()} x^3 + ${this.e.item()} x^4 ? + ${this.e.item()} x^5 ?`;
  }
}

// Create Tensors to hold input and outputs.
const x = linspace(-Math.PI, Math.PI, 2000);
const y = sin(x);

// Construct our model by instantiating the class defined above
const model = new DynamicNet();

// Construct our loss function and an Optimizer. Training this strange model with
// vanilla stochastic gradient descent is tough, so we use momentum
const criterion = new nn.MSELoss({ reduction: 'sum' });
const optimizer = new optim.SGD(model.parameters(), { lr: 1e-8, momentum: 0.9 });
for (let t = 0; t < Number(process.env.STEPS ?? 30000); t++) {
  // Forward pass: Compute predicted y by passing x to the model
  const yPred = model(x);

  // Compute and print loss
  const loss = criterion(yPred, y);
  if (t % 2000 === 1999) console.log(t, loss.item());

  // Zero gradients, perform a backward pass, and update the weights.
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
}

console.log(`Result: ${model.string()}`);
