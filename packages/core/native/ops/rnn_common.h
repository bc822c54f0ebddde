// Shared pieces of Duet's recurrent kernels (lstm.cc, gru.cc): a float32 GEMM
// for the recurrences' products (an AVX-512 register-blocked kernel where the
// CPU has AVX-512F, chosen at run time, else Eigen's GEMM); running the large
// products beside the serial recurrence on one intra-op pool thread
// (ForwardAhead, BackwardBeside); the recurrent weight's and the biases'
// gradients; input checks, the gradient ops' shape function and the ops'
// common attributes.
//
// Measured on the LM bench's shapes (one core, min of 15-100, 2026-12-01): a
// [20, 200] x [200, 800] product took 36-49 us with the AVX-512 kernel, 71 us
// with Eigen's GEMM, 120-180 us with Eigen's Tensor contraction and 94-150 us
// as an eager TensorFlow MatMul (oneDNN, with its dispatch); [700, 200] x
// [200, 800] took 1.7 ms on one core, Eigen's Tensor contraction 4.1 ms on two.
#ifndef DUET_OPS_RNN_COMMON_H_
#define DUET_OPS_RNN_COMMON_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "Eigen/Core"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor.h"

namespace duet {
using namespace tensorflow;

// ---------------------------------------------------------------------------
// GEMM: C[M, Nc] (=, or += when acc) A x B, where A(r, k) = A[r * ars + k * acs]
// (so A may be a transposed view) and B is row-major [K, Nc] with row stride ldb.

#if defined(__x86_64__)
// C[R rows, 16 V columns] (=, +=) A x B for one block of R <= 6 rows and
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
  static_assert(R >= 1 && R <= 6, "blocks of 1 to 6 rows (24 accumulators, 4 of B and 1 of A fit the 32 registers)");
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  __m512 c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
  const __mmask16 full = 0xFFFF;
  for (int64_t k = 0; k < K; ++k) {
    const float* bk = B + k * ldb;
    const __m512 b0 = _mm512_maskz_loadu_ps(V == 1 ? last : full, bk);
    const __m512 b1 = V > 1 ? _mm512_maskz_loadu_ps(V == 2 ? last : full, bk + 16) : b0;
    const __m512 b2 = V > 2 ? _mm512_maskz_loadu_ps(V == 3 ? last : full, bk + 32) : b0;
    const __m512 b3 = V > 3 ? _mm512_maskz_loadu_ps(last, bk + 48) : b0;
    const float* ak = A + k * acs;
    DUET_FMA_ROW(c00, c01, c02, c03, ak[0]);
    if constexpr (R > 1) DUET_FMA_ROW(c10, c11, c12, c13, ak[ars]);
    if constexpr (R > 2) DUET_FMA_ROW(c20, c21, c22, c23, ak[2 * ars]);
    if constexpr (R > 3) DUET_FMA_ROW(c30, c31, c32, c33, ak[3 * ars]);
    if constexpr (R > 4) DUET_FMA_ROW(c40, c41, c42, c43, ak[4 * ars]);
    if constexpr (R > 5) DUET_FMA_ROW(c50, c51, c52, c53, ak[5 * ars]);
  }
  const __m512 rows[6][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                             {c30, c31, c32, c33}, {c40, c41, c42, c43}, {c50, c51, c52, c53}};
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

// Rows in blocks of 6 for large products, of 5 where they divide M (the batch of 20), else of 4; the rest one by one.
// Measured on one core (min of 15-100): 6-row blocks took [700, 200] x [200, 800] from 1.9 to 1.7 ms and the weight
// gradient [800, 700] x [700, 200] from 2.2 to 1.8 ms; 5-row blocks a [20, 200] x [200, 800] step from 56 to 36-49 us.
__attribute__((target("avx512f"))) static void Gemm512(int64_t M, int64_t K, int64_t Nc, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb,
                                                      float* C, int64_t ldc, bool acc) {
  int64_t i = 0;
  if (M >= 64)
    for (; i + 6 <= M; i += 6) Rows512<6>(K, Nc, A + i * ars, ars, acs, B, ldb, C + i * ldc, ldc, acc);
  else if (M % 5 == 0)
    for (; i + 5 <= M; i += 5) Rows512<5>(K, Nc, A + i * ars, ars, acs, B, ldb, C + i * ldc, ldc, acc);
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

// ---------------------------------------------------------------------------
// Work beside the recurrence. The recurrence is serial and runs on the calling
// thread; the large products (the input projection forward, the weight
// gradients backward) run on one intra-op pool thread at the same time, chunk
// by chunk of steps. Waking the pool costs tens of microseconds, so it is woken
// once per kernel, not per step. If no pool thread is free, the calling thread
// does that work too (never waiting for a thread that has not started).

/** The steps in chunks of kChunkSteps in processing order; chunk c covers the time steps [t0, t1). */
constexpr int64_t kChunkSteps = 5;
struct StepChunks {
  int64_t T;
  bool reverse;
  int64_t count() const { return (T + kChunkSteps - 1) / kChunkSteps; }
  void range(int64_t c, int64_t* t0, int64_t* t1) const {
    const int64_t s0 = c * kChunkSteps, s1 = std::min(T, s0 + kChunkSteps);
    *t0 = reverse ? T - s1 : s0;
    *t1 = reverse ? T - s0 : s1;
  }
};

static thread::ThreadPool* IntraOpPool(OpKernelContext* ctx) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  return workers != nullptr && workers->NumThreads() > 1 ? workers : nullptr;
}

/**
 * Computes chunks 0..n-1 with compute(c), ahead of the calling thread, which
 * consumes them in order with consume(c): one pool thread and the calling
 * thread claim chunks in order; the calling thread waits only for a chunk the
 * pool thread is computing.
 */
template <typename Compute, typename Consume>
static void ComputeAhead(OpKernelContext* ctx, int64_t n, Compute compute, Consume consume) {
  thread::ThreadPool* pool = IntraOpPool(ctx);
  if (pool == nullptr || n <= 1) {
    for (int64_t c = 0; c < n; ++c) {
      compute(c);
      consume(c);
    }
    return;
  }
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::atomic<int64_t> next{0};
    std::vector<char> ready;
  };
  auto st = std::make_shared<State>();
  st->ready.assign(n, 0);
  auto run = [st, n](const Compute& fn, int64_t c) {
    fn(c);
    {
      std::lock_guard<std::mutex> lock(st->mu);
      st->ready[c] = 1;
    }
    st->cv.notify_all();
  };
  // The pool thread touches `compute` only for a chunk it claimed, which the calling thread waits for.
  pool->Schedule([st, n, run, &compute] {
    for (int64_t c = st->next.fetch_add(1); c < n; c = st->next.fetch_add(1)) run(compute, c);
  });
  for (int64_t c = 0; c < n; ++c) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(st->mu);
        if (st->ready[c]) break;
      }
      const int64_t k = st->next.fetch_add(1);
      if (k < n) {
        run(compute, k);
        continue;
      }
      std::unique_lock<std::mutex> lock(st->mu);  // every chunk is claimed: c is being computed beside
      st->cv.wait(lock, [&] { return st->ready[c] != 0; });
      break;
    }
    consume(c);
  }
}

/**
 * Runs main() on the calling thread and job(wait) beside it on one pool thread,
 * where job calls wait(k) before using what main publishes with publish(k)
 * (k counts chunks done). If the pool thread has not started job when main
 * returns, the calling thread runs job itself (everything is published then).
 * Returns when both are done.
 */
class Beside {
 public:
  explicit Beside(OpKernelContext* ctx) : pool_(IntraOpPool(ctx)), st_(std::make_shared<State>()) {}
  void publish(int64_t k) {
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      st_->published = k;
    }
    st_->cv.notify_all();
  }
  template <typename Main, typename Job>
  void Run(Main main, Job job) {
    auto wait = [st = st_](int64_t k) {
      std::unique_lock<std::mutex> lock(st->mu);
      st->cv.wait(lock, [&] { return st->published >= k; });
    };
    if (pool_ != nullptr) {
      // The pool thread touches `job` only once it has taken it, which the calling thread then waits for.
      pool_->Schedule([st = st_, wait, &job] {
        {
          std::lock_guard<std::mutex> lock(st->mu);
          if (st->job != kIdle) return;
          st->job = kBeside;
        }
        job(wait);
        {
          std::lock_guard<std::mutex> lock(st->mu);
          st->job = kDone;
        }
        st->cv.notify_all();
      });
    }
    main();
    publish(std::numeric_limits<int64_t>::max());
    bool mine = false;
    {
      std::unique_lock<std::mutex> lock(st_->mu);
      if (st_->job == kIdle) {
        st_->job = kMine;
        mine = true;
      } else {
        st_->cv.wait(lock, [&] { return st_->job == kDone; });
      }
    }
    if (mine) job(wait);
  }

 private:
  enum JobState { kIdle, kBeside, kDone, kMine };
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int64_t published = 0;
    JobState job = kIdle;
  };
  thread::ThreadPool* pool_;
  std::shared_ptr<State> st_;
};

/**
 * dW (=, or += when acc) the sum over time steps [t0, t1) of dgates_t^T h_prev(t)
 * (dgates [T N, G] and hs [T, N, H] in time order): h_prev is the h of the step
 * before (after, with `reverse`), h0 for the first processed step. dW [G, H].
 */
static void RecurrentWeightGrad(bool avx512, bool reverse, int64_t T, int64_t N, int64_t H, int64_t G, const float* dgates, const float* hs, const float* h0,
                                int64_t t0, int64_t t1, float* dw, bool acc) {
  const int64_t first = reverse ? T - 1 : 0;  // the step whose h_prev is h0
  if (first >= t0 && first < t1) {
    Gemm(avx512, G, N, H, dgates + first * N * G, 1, G, h0, H, dw, H, acc);
    acc = true;
    if (reverse) t1 = T - 1;
    else t0 = 1;
  }
  if (t0 >= t1) return;
  const float* h_prev = hs + (reverse ? t0 + 1 : t0 - 1) * N * H;
  Gemm(avx512, G, (t1 - t0) * N, H, dgates + t0 * N * G, 1, G, h_prev, H, dw, H, acc);
}

/** sum (=, or += when acc) the column sums of m [rows, G] (a bias gradient). */
static void ColumnSums(const float* m, int64_t rows, int64_t G, float* sum, bool acc) {
  Vec s(sum, G);
  if (!acc) s.setZero();
  for (int64_t r = 0; r < rows; ++r) s += ConstVec(m + r * G, G);
}

/**
 * The forward of a recurrent layer: proj [T N, G] = X [T N, I] W_ih^T (w_ih_t
 * = W_ih^T, [I, G]), chunk by chunk beside the calling thread, which runs
 * step(s) for the processing steps s = 0 .. T-1 as their chunks are ready.
 */
template <typename Step>
static void ForwardAhead(OpKernelContext* ctx, bool avx512, bool reverse, int64_t T, int64_t N, int64_t I, int64_t G, const float* x, const float* w_ih_t, float* proj,
                         Step step) {
  const StepChunks chunks{T, reverse};
  auto project = [&](int64_t c) {
    int64_t t0, t1;
    chunks.range(c, &t0, &t1);
    Gemm(avx512, (t1 - t0) * N, I, G, x + t0 * N * I, I, 1, w_ih_t, G, proj + t0 * N * G, G, false);
  };
  auto recur = [&](int64_t c) {
    for (int64_t s = c * kChunkSteps; s < std::min(T, (c + 1) * kChunkSteps); ++s) step(s);
  };
  ComputeAhead(ctx, chunks.count(), project, recur);
}

/** Where the backward of a recurrent layer reads and writes (time order throughout). */
struct BackwardBuffers {
  const float* x;     // [T N, I]
  const float* w_ih;  // [G, I]
  const float* hs;    // [T, N, H]: h of every step
  const float* h0;    // [N, H]
  const float* dgi;   // [T N, G]: the gradient of x W_ih^T (+ b_ih) of every step
  const float* dgh;   // [T N, G]: the gradient of h W_hh^T (+ b_hh) of every step (dgi for the LSTM)
  float* dx;          // [T N, I]
  float* dw_ih;       // [G, I]
  float* dw_hh;       // [G, H]
  float* db_ih;       // [G]
  float* db_hh;       // [G], or null when it is db_ih (the LSTM)
};

/**
 * The backward of a recurrent layer: step(s) for the processing steps
 * s = T-1 .. 0 on the calling thread (each fills dgi and dgh of its step), then
 * dx = dgi W_ih; beside it, chunk by chunk as the steps finish them,
 * dW_ih = dgi^T X, dW_hh = dgh^T H_prev and the bias gradients.
 */
template <typename Step>
static void BackwardBeside(OpKernelContext* ctx, bool avx512, bool reverse, int64_t T, int64_t N, int64_t I, int64_t H, int64_t G, const BackwardBuffers& b,
                           Step step) {
  const StepChunks chunks{T, reverse};
  const int64_t n = chunks.count();
  Beside beside(ctx);
  auto recurrence = [&] {
    for (int64_t s = T - 1; s >= 0; --s) {
      step(s);
      if (s % kChunkSteps == 0) beside.publish(n - s / kChunkSteps);  // chunk s / kChunkSteps is done: the (n - s / kChunkSteps)th
    }
    Gemm(avx512, T * N, G, I, b.dgi, G, 1, b.w_ih, I, b.dx, I, false);
  };
  auto weights = [&](const auto& wait) {
    for (int64_t k = 0; k < n; ++k) {
      wait(k + 1);
      int64_t t0, t1;
      chunks.range(n - 1 - k, &t0, &t1);
      const int64_t rows = (t1 - t0) * N;
      Gemm(avx512, G, rows, I, b.dgi + t0 * N * G, 1, G, b.x + t0 * N * I, I, b.dw_ih, I, k > 0);
      RecurrentWeightGrad(avx512, reverse, T, N, H, G, b.dgh, b.hs, b.h0, t0, t1, b.dw_hh, k > 0);
      ColumnSums(b.dgi + t0 * N * G, rows, G, b.db_ih, k > 0);
      if (b.db_hh != nullptr) ColumnSums(b.dgh + t0 * N * G, rows, G, b.db_hh, k > 0);
    }
  };
  beside.Run(recurrence, weights);
}

/** An InvalidArgument naming the shape expected and the one received, unless `t` has shape `dims`. */
static absl::Status CheckShape(const char* op, const char* what, const Tensor& t, std::initializer_list<int64_t> dims) {
  TensorShape want;
  for (int64_t v : dims) want.AddDim(v);
  if (t.shape() != want) return errors::InvalidArgument(op, ": expected ", what, " of shape ", want.DebugString(), ", received ", t.shape().DebugString());
  return absl::OkStatus();
}

/** The sizes of a recurrent op's sequence: T steps, batch N, input size I, hidden size H. */
struct SequenceDims {
  int64_t T, N, I, H;
};

/**
 * Checks x [T, N, I], weight_hh [gates H, H], weight_ih [gates H, I] and the
 * initial states [N, H] of a recurrent op and reads the sizes into d.
 */
static absl::Status CheckSequenceInputs(const char* op, int gates, const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, std::initializer_list<const Tensor*> states,
                                        SequenceDims* d) {
  if (x.dims() != 3) return errors::InvalidArgument(op, ": expected x of shape [T, N, I], received ", x.shape().DebugString());
  if (w_hh.dims() != 2 || w_hh.dim_size(0) != gates * w_hh.dim_size(1))
    return errors::InvalidArgument(op, ": expected weight_hh of shape [", gates, "H, H], received ", w_hh.shape().DebugString());
  *d = SequenceDims{x.dim_size(0), x.dim_size(1), x.dim_size(2), w_hh.dim_size(1)};
  if (d->T < 1) return errors::InvalidArgument(op, ": expected at least one step, received x of shape ", x.shape().DebugString());
  TF_RETURN_IF_ERROR(CheckShape(op, "weight_ih", w_ih, {gates * d->H, d->I}));
  const char* names[] = {"h0", "c0"};
  int k = 0;
  for (const Tensor* s : states) TF_RETURN_IF_ERROR(CheckShape(op, names[k++], *s, {d->N, d->H}));
  return absl::OkStatus();
}

/**
 * The shape function of a recurrent op's gradient (inputs x, weight_ih,
 * weight_hh, then the initial states): dx, dweight_ih, dweight_hh like their
 * inputs, then `biases` bias gradients [gates H], then one gradient per initial state.
 */
static absl::Status SequenceGradShape(shape_inference::InferenceContext* c, int biases, int states) {
  for (int i = 0; i < 3; ++i) c->set_output(i, c->input(i));
  shape_inference::ShapeHandle w_hh;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 2, &w_hh));
  for (int i = 0; i < biases; ++i) c->set_output(3 + i, c->Vector(c->Dim(w_hh, 0)));
  for (int i = 0; i < states; ++i) c->set_output(3 + biases + i, c->input(3 + i));
  return absl::OkStatus();
}

/** The attributes every recurrent op takes: `reverse` and `portable_gemm` (Eigen's GEMM even with AVX-512). */
class RecurrentOpKernel : public OpKernel {
 public:
  explicit RecurrentOpKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("reverse", &reverse_));
    bool portable;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("portable_gemm", &portable));
    avx512_ = UseAvx512(portable);
  }

 protected:
  bool reverse_ = false;
  bool avx512_ = false;
};

}  // namespace duet

#endif  // DUET_OPS_RNN_COMMON_H_
