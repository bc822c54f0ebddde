/** Parameters as one flat vector and back: PyTorch's `parameters_to_vector` / `vector_to_parameters`. */
import { ArgumentError, ShapeError, Tensor, cat, noGrad } from '@duet/core';

/**
 * All parameters, flattened and concatenated into one 1-d tensor.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * const v = nn.utils.parametersToVector(model.parameters()); // shape [model.numParameters()]
 * ```
 */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const ps = [...parameters];
  if (ps.length === 0) throw new ArgumentError('parametersToVector: expected at least one parameter.');
  return cat(ps.map((p) => p.reshape([-1])));
}

/**
 * Copy consecutive slices of the 1-d `vec` into the parameters, in place
 * (the inverse of `parametersToVector`).
 *
 * @example
 * ```ts
 * nn.utils.vectorToParameters(v.mul(0.5), model.parameters());
 * ```
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new ArgumentError(`vectorToParameters: expected vec to be a Tensor, received ${typeof vec}.`);
  const ps = [...parameters];
  const total = ps.reduce((n, p) => n + p.numel(), 0);
  if (vec.ndim !== 1 || vec.numel() !== total) {
    throw new ShapeError(`vectorToParameters: expected a 1-d vector of ${total} values (the parameters' total size), received shape [${vec.shape.join(', ')}].`);
  }
  noGrad(() => {
    let offset = 0;
    for (const p of ps) {
      // reshape gives a fresh tensor, which copy_ may move into p.
      p.copy_(vec.narrow(0, offset, p.numel()).reshape([...p.shape]).to(p.dtype));
      offset += p.numel();
    }
  });
}
