/** `F.normalize` and `F.cosineSimilarity`. */
import type { Tensor } from '@duet/core';

/** x / max(||x||_p, eps) along `dim` (default p = 2, dim = 1). */
export function normalize(x: Tensor, options: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const n = x.norm(options.p ?? 2, options.dim ?? 1, { keepdim: true });
  return x.div(n.clamp(options.eps ?? 1e-12));
}

/** Cosine similarity along `dim` (default 1): sum(x1/||x1|| * x2/||x2||), norms clamped at `eps` (1e-8). */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  const dim = options.dim ?? 1;
  const eps = options.eps ?? 1e-8;
  const n1 = x1.norm(2, dim, { keepdim: true }).clamp(eps);
  const n2 = x2.norm(2, dim, { keepdim: true }).clamp(eps);
  return x1.div(n1).mul(x2.div(n2)).sum(dim);
}
