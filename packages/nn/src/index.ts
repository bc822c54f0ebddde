/**
 * @duet/nn: PyTorch's `torch.nn` and `torch.optim` for Duet.
 *
 * @example
 * ```ts
 * import { nn, optim } from '@duet/nn';
 * import { randn, type Tensor } from '@duet/core';
 * class MyModel extends nn.Module {
 *   fc1 = new nn.Linear(784, 128);
 *   fc2 = new nn.Linear(128, 10);
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
 *   }
 * }
 * const model = new MyModel();
 * const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
 * model.forward(randn([32, 784])).shape; // [32, 10]
 * ```
 */
export * as nn from './nn.js';
export * as F from './functional/index.js';
export * as optim from './optim/index.js';
export { save, load, saveSync, loadSync, loadTorch, loadTorchSync, SafetensorsError, TorchFileError } from './serialization/index.js';
