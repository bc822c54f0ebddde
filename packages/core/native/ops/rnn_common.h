// Shared pieces of Duet's recurrent kernels (lstm.cc, gru.cc): a float32 GEMM
// for the recurrences' products (an AVX-512 register-blocked kernel where the
// CPU has AVX-512F, chosen at run time, else Eigen's GEMM), its split over
// TensorFlow's intra-op pool for large products, a tiled transpose, and a
// shape check with TensorFlow's error style.
//
// Measured on the LM bench's shapes (one core, 2026-12-01): a [20, 200] x
// [200, 800] product took 55 us with the AVX-512 kernel, 71 us with Eigen's
// GEMM, 120-180 us with Eigen's Tensor contraction and ~150 us as an eager
// TensorFlow MatMul (oneDNN, with its dispatch); [700, 200] x [200, 800] took
// ~2.1 ms on one core, Eigen's Tensor contraction 4.1 ms on two.
#ifndef DUET_OPS_RNN_COMMON_H_
#define DUET_OPS_RNN_COMMON_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "Eigen/Core"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"

namespace duet {
using namespace tensorflow;

// ---------------------------------------------------------------------------
// GEMM: C[M, Nc] (=, or += when acc) A x B, where A(r, k) = A[r * ars + k * acs]
// (so A may be a transposed view) and B is row-major [K, Nc] with row stride ldb.

#if defined(__x86_64__)
// C[R rows, 16 V columns] (=, +=) A x B for one block of R = 4 rows (or 1) and
// V <= 4 vectors of 16 columns, the last vector masked to the block's width.
// The accumulators are named variables (unused ones compile away): with an
// array GCC kept a copy on the stack and stored all of them at every k (1.6x
// slower). V follows the width, so a 200-column product is 3 blocks of 64 and
// one of 16, not 4 of 64 (28% of the multiply-adds wasted on masked lanes).
#define DUET_FMA_ROW(c0, c1, c2, c3, a)                          \
  {                                                              \
    const __m512 av = _mm512_set1_ps(a);                         \
    c0 = _mm512_fmadd_ps(av, b0, c0);                            \
    if constexpr (V > 1) c1 = _mm512_fmadd_ps(av, b1, c1);       \
    if constexpr (V > 2) c2 = _mm512_fmadd_ps(av, b2, c2);       \
    if constexpr (V > 3) c3 = _mm512_fmadd_ps(av, b3, c3);       \
  }

__attribute__((target("avx512f"))) static inline void Store512(float* c, __m512 x, __mmask16 m, bool acc) {
  if (acc) x = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), x);
  _mm512_mask_storeu_ps(c, m, x);
}

template <int R, int V>
__attribute__((target("avx512f"))) static void Block512(int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb, float* C, int64_t ldc,
                                                       bool acc, __mmask16 last) {
  static_assert(R == 1 || R == 4, "blocks of 1 or 4 rows");
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  const __mmask16 full = 0xFFFF;
  for (int64_t k = 0; k < K; ++k) {
    const float* bk = B + k * ldb;
    const __m512 b0 = _mm512_maskz_loadu_ps(V == 1 ? last : full, bk);
    const __m512 b1 = V > 1 ? _mm512_maskz_loadu_ps(V == 2 ? last : full, bk + 16) : b0;
    const __m512 b2 = V > 2 ? _mm512_maskz_loadu_ps(V == 3 ? last : full, bk + 32) : b0;
    const __m512 b3 = V > 3 ? _mm512_maskz_loadu_ps(last, bk + 48) : b0;
    const float* ak = A + k * acs;
    DUET_FMA_ROW(c00, c01, c02, c03, ak[0]);
    if constexpr (R == 4) {
      DUET_FMA_ROW(c10, c11, c12, c13, ak[ars]);
      DUET_FMA_ROW(c20, c21, c22, c23, ak[2 * ars]);
      DUET_FMA_ROW(c30, c31, c32, c33, ak[3 * ars]);
    }
  }
  const __m512 rows[4][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}};
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) Store512(C + r * ldc + 16 * v, rows[r][v], v == V - 1 ? last : full, acc);
}
#undef DUET_FMA_ROW

template <int R>
__attribute__((target("avx512f"))) static void Rows512(int64_t K, int64_t Nc, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb, float* C,
                                                      int64_t ldc, bool acc) {
  int64_t j = 0;
  for (; j + 64 <= Nc; j += 64) Block512<R, 4>(K, A, ars, acs, B + j, ldb, C + j, ldc, acc, 0xFFFF);
  const int64_t rest = Nc - j;
  if (rest == 0) return;
  const int nv = static_cast<int>((rest + 15) / 16);
  const int tail = static_cast<int>(rest - 16 * (nv - 1));  // 1..16
  const __mmask16 last = static_cast<__mmask16>(tail == 16 ? 0xFFFFu : (1u << tail) - 1u);
  switch (nv) {
    case 1: Block512<R, 1>(K, A, ars, acs, B + j, ldb, C + j, ldc, acc, last); break;
    case 2: Block512<R, 2>(K, A, ars, acs, B + j, ldb, C + j, ldc, acc, last); break;
    case 3: Block512<R, 3>(K, A, ars, acs, B + j, ldb, C + j, ldc, acc, last); break;
    default: Block512<R, 4>(K, A, ars, acs, B + j, ldb, C + j, ldc, acc, last); break;  // 49..63 columns
  }
}

__attribute__((target("avx512f"))) static void Gemm512(int64_t M, int64_t K, int64_t Nc, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb,
                                                      float* C, int64_t ldc, bool acc) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) Rows512<4>(K, Nc, A + i * ars, ars, acs, B, ldb, C + i * ldc, ldc, acc);
  for (; i < M; ++i) Rows512<1>(K, Nc, A + i * ars, ars, acs, B, ldb, C + i * ldc, ldc, acc);
}
#endif

/** Whether the products use the AVX-512 kernel: where the CPU has AVX-512F, unless the op's `portable_gemm` attribute asks for Eigen's GEMM (tests run both). */
static bool UseAvx512(bool portable) {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has && !portable;
#else
  return false;
#endif
}

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedA = Eigen::Map<const RowMajor, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
using ConstRows = Eigen::Map<const RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
using Rows = Eigen::Map<RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstCols = Eigen::Map<const Eigen::MatrixXf, Eigen::Unaligned, Eigen::OuterStride<>>;

/** C (=, +=) A B on the calling thread; with the AVX-512 kernel when `avx512` (see UseAvx512). */
static void Gemm(bool avx512, int64_t M, int64_t K, int64_t Nc, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb, float* C, int64_t ldc,
                 bool acc) {
  if (M <= 0 || Nc <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int64_t r = 0; r < M; ++r) std::memset(C + r * ldc, 0, sizeof(float) * Nc);
    return;
  }
#if defined(__x86_64__)
  if (avx512) {
    Gemm512(M, K, Nc, A, ars, acs, B, ldb, C, ldc, acc);
    return;
  }
#endif
  ConstRows b(B, K, Nc, Eigen::OuterStride<>(ldb));
  Rows c(C, M, Nc, Eigen::OuterStride<>(ldc));
  // A with unit stride along k (row-major) or along r (a transposed view, column-major), as Eigen's GEMM takes them without a copy.
  auto product = [&](const auto& a) {
    if (acc)
      c.noalias() += a * b;
    else
      c.noalias() = a * b;
  };
  if (acs == 1)
    product(ConstRows(A, M, K, Eigen::OuterStride<>(ars)));
  else if (ars == 1)
    product(ConstCols(A, M, K, Eigen::OuterStride<>(acs)));
  else
    product(StridedA(A, M, K, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(ars, acs)));
}

/**
 * Above this many multiply-adds a product is split by output rows over the
 * intra-op pool (one block per thread); below, the calling thread does it all.
 * The LSTM's per-step products (N x H x 4H = 3.2M in the benchmark) stay below.
 */
constexpr int64_t kPoolMacs = int64_t{8} << 20;


/** dst [cols, rows] = src [rows, cols]^T, in tiles. */
static void Transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
    }
}

using Vec = Eigen::Map<Eigen::ArrayXf>;
using ConstVec = Eigen::Map<const Eigen::ArrayXf>;

/** Runs fn(lo, hi) over the rows [0, M) in one block of whole 4-row groups per intra-op thread, or on the calling thread below kPoolMacs multiply-adds. */
template <typename Fn>
static void ForRowBlocks(OpKernelContext* ctx, int64_t M, int64_t macs, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int threads = workers == nullptr ? 1 : workers->NumThreads();
  if (threads <= 1 || macs < kPoolMacs || M < 8) {
    fn(int64_t{0}, M);
    return;
  }
  const int64_t block = ((M + threads - 1) / threads + 3) / 4 * 4;
  workers->ParallelFor(M, thread::ThreadPool::SchedulingParams(thread::ThreadPool::SchedulingStrategy::kFixedBlockSize, std::nullopt, block), fn);
}

/** C (=, +=) A B, split by rows of C over the intra-op pool when large (ForRowBlocks). */
static void GemmSharded(OpKernelContext* ctx, bool avx512, int64_t M, int64_t K, int64_t Nc, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb,
                        float* C, int64_t ldc, bool acc) {
  ForRowBlocks(ctx, M, M * K * Nc, [&](int64_t lo, int64_t hi) { Gemm(avx512, hi - lo, K, Nc, A + lo * ars, ars, acs, B, ldb, C + lo * ldc, ldc, acc); });
}

/**
 * The recurrent weight's gradient dW [G, H] = sum over steps of dgates_t^T h_{t-1}
 * (dgates [T N, G], time order; hs [T, N, H] the h of every step in time order):
 * the steps after the first processed one pair with the contiguous rows of hs
 * before (or, with `reverse`, after) them, the first processed step with h0.
 */
static void RecurrentWeightGrad(OpKernelContext* ctx, bool avx512, bool reverse, int64_t T, int64_t N, int64_t H, int64_t G, const float* dgates, const float* hs,
                                const float* h0, float* dw) {
  const int64_t rest = (T - 1) * N;
  const float* dg_rest = reverse ? dgates : dgates + N * G;
  const float* h_rest = reverse ? hs + N * H : hs;
  const float* dg_first = reverse ? dgates + (T - 1) * N * G : dgates;
  ForRowBlocks(ctx, G, G * T * N * H, [&](int64_t lo, int64_t hi) {
    Gemm(avx512, hi - lo, rest, H, dg_rest + lo, 1, G, h_rest, H, dw + lo * H, H, false);
    Gemm(avx512, hi - lo, N, H, dg_first + lo, 1, G, h0, H, dw + lo * H, H, true);
  });
}

/** sum [G] = the column sums of m [rows, G] (a bias gradient). */
static void ColumnSums(const float* m, int64_t rows, int64_t G, float* sum) {
  Vec s(sum, G);
  s.setZero();
  for (int64_t r = 0; r < rows; ++r) s += ConstVec(m + r * G, G);
}

/** An InvalidArgument naming the shape expected and the one received, unless `t` has shape `dims`. */
static absl::Status CheckShape(const char* op, const char* what, const Tensor& t, std::initializer_list<int64_t> dims) {
  TensorShape want;
  for (int64_t v : dims) want.AddDim(v);
  if (t.shape() != want) return errors::InvalidArgument(op, ": expected ", what, " of shape ", want.DebugString(), ", received ", t.shape().DebugString());
  return absl::OkStatus();
}

}  // namespace duet

#endif  // DUET_OPS_RNN_COMMON_H_
