// DuetConv2DC1 and DuetConv2DBackpropFilterC1: a 2-d convolution whose input
// has one channel (NHWC, float), with its bias and optional ReLU, and its
// filter gradient: a grayscale image's first conv, as in every MNIST CNN of
// the Keras and PyTorch examples.
//
// DuetConv2DC1: output = [relu](bias + sum over taps of x * w), per output
// channel, the taps added in row-major order (with FMA on the vector paths)
// and then the bias: the same value as Conv2D + BiasAdd (+ Relu) to float
// rounding (oneDNN's fused kernel took ~0.5 ms at [64, 28, 28, 1] x 3x3 -> 32,
// ~20 GFLOP/s). The ReLU gives +0 for a zero of either sign and keeps a NaN,
// as DuetBiasAddRelu does.
//
// DuetConv2DBackpropFilterC1:
//
// With one input channel the gradient is a short reduction per output
// channel and tap (dW[i, j, 0, c] = sum over n, h, w of x[n, h*s + i - pad,
// w*s + j - pad] * dy[n, h, w, c]), which oneDNN's jit:avx512_core kernel ran
// at ~20 GFLOP/s on the Keras CNN's first conv ([64, 28, 28, 1] x 3x3 -> 32:
// 12.5M multiply-adds, 0.55 ms) against ~200 for the second conv
// (bench/README.md, "A first conv with one input channel").
//
// How: for 3x3 windows, per image and per block of 16 output channels
// (AVX-512, where the CPU has it: checked at run time) or 8 (AVX2 + FMA), one
// register accumulator per tap, each dy element read once per block and
// multiplied by the taps' inputs, broadcast; a plain loop for other windows,
// the channels left over, and the output positions whose window reaches into
// the padding. Each image's sums are formed in float in output order, then the
// images' sums are added in double in image order and rounded once: the same
// result however the images are split over TensorFlow's intra-op threads.
// Not the bits of Conv2DBackpropFilter (another summation order).
//
// Inputs as Conv2DBackpropFilter's (input [N, H, W, 1], filter_sizes
// [kH, kW, 1, C], out_backprop [N, Ho, Wo, C]); attributes strides, padding
// (VALID or EXPLICIT with explicit_paddings), data_format NHWC, dilations all 1.
#include <algorithm>
#include <cstring>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "absl/strings/str_join.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace duet {
using namespace tensorflow;

REGISTER_OP("DuetConv2DBackpropFilterC1")
    .Input("input: T")
    .Input("filter_sizes: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {float}")
    .Attr("strides: list(int) >= 4")
    .Attr("padding: {'VALID', 'EXPLICIT'}")
    .Attr("explicit_paddings: list(int) = []")
    .Attr("data_format: {'NHWC'} = 'NHWC'")
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("Conv2DBackpropFilter for an input with one channel (NHWC): the same sums in another order.");

REGISTER_OP("DuetConv2DC1")
    .Input("input: T")
    .Input("filter: T")
    .Input("bias: T")
    .Output("output: T")
    .Attr("T: {float}")
    .Attr("strides: list(int) >= 4")
    .Attr("padding: {'VALID', 'EXPLICIT'}")
    .Attr("explicit_paddings: list(int) = []")
    .Attr("data_format: {'NHWC'} = 'NHWC'")
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .Attr("relu: bool = false")
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("Conv2D + BiasAdd (+ Relu) for an input with one channel (NHWC): the same values to float rounding.");

namespace {

struct Geometry {
  int64_t n, h, w, kh, kw, c, ho, wo, sh, sw, pt, pl;
};

/** The output rows and columns whose window lies inside the image: [oh0, oh1) x [ow0, ow1). */
void InsideRange(const Geometry& g, int64_t* oh0, int64_t* oh1, int64_t* ow0, int64_t* ow1) {
  auto first_inside = [](int64_t pad, int64_t s) { return (pad + s - 1) / s; };
  auto end_inside = [](int64_t size, int64_t k, int64_t pad, int64_t s, int64_t out) {
    const int64_t last = size - k + pad;
    return last < 0 ? 0 : std::min(out, last / s + 1);
  };
  *oh0 = std::min(g.ho, first_inside(g.pt, g.sh));
  *oh1 = std::max(*oh0, end_inside(g.h, g.kh, g.pt, g.sh, g.ho));
  *ow0 = std::min(g.wo, first_inside(g.pl, g.sw));
  *ow1 = std::max(*ow0, end_inside(g.w, g.kw, g.pl, g.sw, g.wo));
}


#if defined(__x86_64__)
/**
 * The 3x3 inside-the-image part for channels [0, C / 16 * 16) with AVX-512
 * (16 channels per register; used where the CPU has it, checked at run time):
 * acc[t * C + c] = the sums. Returns the channels it did.
 */
__attribute__((target("avx512f"))) int64_t Inside3x3Avx512(const float* __restrict xb, const float* __restrict dyb, int64_t w, int64_t wo, int64_t C,
                                                             int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t oh0, int64_t oh1, int64_t ow0,
                                                             int64_t ow1, float* __restrict acc) {
  int64_t c0 = 0;
  for (; c0 + 16 <= C; c0 += 16) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* r0 = xb + (oh * sh - pt) * w - pl;
      const float* r1 = r0 + w;
      const float* r2 = r1 + w;
      const float* gy = dyb + (oh * wo + ow0) * C + c0;
      for (int64_t ow = ow0; ow < ow1; ++ow, gy += C) {
        const int64_t col = ow * sw;
        const __m512 d = _mm512_loadu_ps(gy);
        a0 = _mm512_fmadd_ps(_mm512_set1_ps(r0[col]), d, a0);
        a1 = _mm512_fmadd_ps(_mm512_set1_ps(r0[col + 1]), d, a1);
        a2 = _mm512_fmadd_ps(_mm512_set1_ps(r0[col + 2]), d, a2);
        a3 = _mm512_fmadd_ps(_mm512_set1_ps(r1[col]), d, a3);
        a4 = _mm512_fmadd_ps(_mm512_set1_ps(r1[col + 1]), d, a4);
        a5 = _mm512_fmadd_ps(_mm512_set1_ps(r1[col + 2]), d, a5);
        a6 = _mm512_fmadd_ps(_mm512_set1_ps(r2[col]), d, a6);
        a7 = _mm512_fmadd_ps(_mm512_set1_ps(r2[col + 1]), d, a7);
        a8 = _mm512_fmadd_ps(_mm512_set1_ps(r2[col + 2]), d, a8);
      }
    }
    _mm512_storeu_ps(acc + 0 * C + c0, a0);
    _mm512_storeu_ps(acc + 1 * C + c0, a1);
    _mm512_storeu_ps(acc + 2 * C + c0, a2);
    _mm512_storeu_ps(acc + 3 * C + c0, a3);
    _mm512_storeu_ps(acc + 4 * C + c0, a4);
    _mm512_storeu_ps(acc + 5 * C + c0, a5);
    _mm512_storeu_ps(acc + 6 * C + c0, a6);
    _mm512_storeu_ps(acc + 7 * C + c0, a7);
    _mm512_storeu_ps(acc + 8 * C + c0, a8);
  }
  return c0;
}
const bool kAvx512 = __builtin_cpu_supports("avx512f");
#endif

/**
 * Images [begin, end): out[b * taps * C + t * C + c] = that image's sum for
 * tap t and channel c. `acc` is scratch of taps * C floats.
 */
void FilterGradImages(const Geometry& g, const float* __restrict x, const float* __restrict dy, double* __restrict out, int64_t begin, int64_t end,
                      float* __restrict acc) {
  const int64_t taps = g.kh * g.kw, C = g.c;
  for (int64_t b = begin; b < end; ++b) {
    const float* xb = x + b * g.h * g.w;
    const float* dyb = dy + b * g.ho * g.wo * C;
    std::fill(acc, acc + taps * C, 0.0f);
    int64_t oh0, oh1, ow0, ow1;
    InsideRange(g, &oh0, &oh1, &ow0, &ow1);
    int64_t c0 = 0;
#if defined(__x86_64__)
    if (taps == 9 && kAvx512) c0 = Inside3x3Avx512(xb, dyb, g.w, g.wo, C, g.sh, g.sw, g.pt, g.pl, oh0, oh1, ow0, ow1, acc);
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (taps == 9) {
      // 3x3 windows inside the image: 9 accumulators of 8 channels in registers.
      for (; c0 + 8 <= C; c0 += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const float* r0 = xb + (oh * g.sh - g.pt) * g.w - g.pl;
          const float* r1 = r0 + g.w;
          const float* r2 = r1 + g.w;
          const float* gy = dyb + (oh * g.wo + ow0) * C + c0;
          for (int64_t ow = ow0; ow < ow1; ++ow, gy += C) {
            const int64_t col = ow * g.sw;
            const __m256 d = _mm256_loadu_ps(gy);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(r0 + col), d, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(r0 + col + 1), d, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(r0 + col + 2), d, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col), d, a3);
            a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col + 1), d, a4);
            a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col + 2), d, a5);
            a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col), d, a6);
            a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col + 1), d, a7);
            a8 = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col + 2), d, a8);
          }
        }
        const __m256 regs[9] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
        for (int t = 0; t < 9; ++t) _mm256_storeu_ps(acc + t * C + c0, regs[t]);
      }
    }
#endif
    // The rest: channels past the blocks above (all of them without AVX2 or for other windows) inside the image,
    // then, for every channel, the output positions whose window reaches into the padding.
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const bool inside = oh >= oh0 && oh < oh1 && ow >= ow0 && ow < ow1;
        const int64_t from = inside ? c0 : 0;
        if (from >= C) continue;
        const float* gy = dyb + (oh * g.wo + ow) * C;
        const int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = ih0 + i;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = iw0 + j;
            if (iw < 0 || iw >= g.w) continue;
            const float v = xb[ih * g.w + iw];
            float* a = acc + (i * g.kw + j) * C;
            for (int64_t c = from; c < C; ++c) a[c] += v * gy[c];
          }
        }
      }
    }
    double* o = out + b * taps * C;
    for (int64_t q = 0; q < taps * C; ++q) o[q] = acc[q];
  }
}

inline float ReluOf(float v) { return v > 0.0f || v != v ? v : 0.0f; }

#if defined(__x86_64__)
/** The 3x3 inside-the-image outputs of one image for channels [0, C / 16 * 16), AVX-512. Returns the channels it did. */
__attribute__((target("avx512f"))) int64_t Forward3x3Avx512(const Geometry& g, const float* __restrict xb, const float* __restrict w,
                                                              const float* __restrict bias, bool relu, float* __restrict yb, int64_t oh0,
                                                              int64_t oh1, int64_t ow0, int64_t ow1) {
  const int64_t C = g.c;
  int64_t c0 = 0;
  const __m512 zero = _mm512_setzero_ps();
  for (; c0 + 16 <= C; c0 += 16) {
    __m512 wt[9];
    for (int t = 0; t < 9; ++t) wt[t] = _mm512_loadu_ps(w + t * C + c0);
    const __m512 b = _mm512_loadu_ps(bias + c0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* r0 = xb + (oh * g.sh - g.pt) * g.w - g.pl;
      const float* r1 = r0 + g.w;
      const float* r2 = r1 + g.w;
      float* out = yb + (oh * g.wo + ow0) * C + c0;
      for (int64_t ow = ow0; ow < ow1; ++ow, out += C) {
        const int64_t col = ow * g.sw;
        __m512 a = _mm512_mul_ps(_mm512_set1_ps(r0[col]), wt[0]);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r0[col + 1]), wt[1], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r0[col + 2]), wt[2], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r1[col]), wt[3], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r1[col + 1]), wt[4], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r1[col + 2]), wt[5], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r2[col]), wt[6], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r2[col + 1]), wt[7], a);
        a = _mm512_fmadd_ps(_mm512_set1_ps(r2[col + 2]), wt[8], a);
        a = _mm512_add_ps(a, b);
        if (relu) {
          // v > 0 ? v : (NaN ? v : +0)
          const __mmask16 keep = _mm512_cmp_ps_mask(a, zero, _CMP_GT_OQ) | _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
          a = _mm512_maskz_mov_ps(keep, a);
        }
        _mm512_storeu_ps(out, a);
      }
    }
  }
  return c0;
}
#endif

/** Images [begin, end) of the forward. */
void ForwardImages(const Geometry& g, const float* __restrict x, const float* __restrict w, const float* __restrict bias, bool relu,
                   float* __restrict y, int64_t begin, int64_t end) {
  const int64_t C = g.c;
  int64_t oh0, oh1, ow0, ow1;
  InsideRange(g, &oh0, &oh1, &ow0, &ow1);
  for (int64_t b = begin; b < end; ++b) {
    const float* xb = x + b * g.h * g.w;
    float* yb = y + b * g.ho * g.wo * C;
    int64_t c0 = 0;
#if defined(__x86_64__)
    if (g.kh == 3 && g.kw == 3 && kAvx512) c0 = Forward3x3Avx512(g, xb, w, bias, relu, yb, oh0, oh1, ow0, ow1);
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (g.kh == 3 && g.kw == 3) {
      const __m256 zero = _mm256_setzero_ps();
      for (; c0 + 8 <= C; c0 += 8) {
        __m256 wt[9];
        for (int t = 0; t < 9; ++t) wt[t] = _mm256_loadu_ps(w + t * C + c0);
        const __m256 bv = _mm256_loadu_ps(bias + c0);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const float* r0 = xb + (oh * g.sh - g.pt) * g.w - g.pl;
          const float* r1 = r0 + g.w;
          const float* r2 = r1 + g.w;
          float* out = yb + (oh * g.wo + ow0) * C + c0;
          for (int64_t ow = ow0; ow < ow1; ++ow, out += C) {
            const int64_t col = ow * g.sw;
            __m256 a = _mm256_mul_ps(_mm256_broadcast_ss(r0 + col), wt[0]);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r0 + col + 1), wt[1], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r0 + col + 2), wt[2], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col), wt[3], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col + 1), wt[4], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r1 + col + 2), wt[5], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col), wt[6], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col + 1), wt[7], a);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(r2 + col + 2), wt[8], a);
            a = _mm256_add_ps(a, bv);
            if (relu) {
              const __m256 keep = _mm256_or_ps(_mm256_cmp_ps(a, zero, _CMP_GT_OQ), _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
              a = _mm256_and_ps(a, keep);
            }
            _mm256_storeu_ps(out, a);
          }
        }
      }
    }
#endif
    // The rest: channels past the blocks above inside the image, and every channel where the window reaches into the padding.
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const bool inside = oh >= oh0 && oh < oh1 && ow >= ow0 && ow < ow1;
        const int64_t from = inside ? c0 : 0;
        if (from >= C) continue;
        float* out = yb + (oh * g.wo + ow) * C;
        std::fill(out + from, out + C, 0.0f);
        const int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = ih0 + i;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = iw0 + j;
            if (iw < 0 || iw >= g.w) continue;
            const float v = xb[ih * g.w + iw];
            const float* wt = w + (i * g.kw + j) * C;
            for (int64_t c = from; c < C; ++c) out[c] += v * wt[c];
          }
        }
        for (int64_t c = from; c < C; ++c) out[c] = relu ? ReluOf(out[c] + bias[c]) : out[c] + bias[c];
      }
    }
  }
}

/** The strides, padding and dilations attributes both ops take, checked. */
struct Window {
  int64_t sh = 1, sw = 1, pt = 0, pb = 0, pl = 0, pr = 0;
};
void ReadWindow(OpKernelConstruction* ctx, const char* name, Window* win) {
  std::vector<int32> strides, dilations;
  OP_REQUIRES_OK(ctx, ctx->GetAttr("strides", &strides));
  OP_REQUIRES_OK(ctx, ctx->GetAttr("dilations", &dilations));
  std::string padding;
  OP_REQUIRES_OK(ctx, ctx->GetAttr("padding", &padding));
  std::vector<int64_t> explicit_pads;
  OP_REQUIRES_OK(ctx, ctx->GetAttr("explicit_paddings", &explicit_pads));
  OP_REQUIRES(ctx, strides.size() == 4 && strides[0] == 1 && strides[3] == 1 && strides[1] > 0 && strides[2] > 0,
              errors::InvalidArgument(name, ": strides must be [1, sh, sw, 1] with sh, sw > 0, received [", absl::StrJoin(strides, ", "), "]"));
  OP_REQUIRES(ctx, dilations.size() == 4 && std::all_of(dilations.begin(), dilations.end(), [](int32 d) { return d == 1; }),
              errors::InvalidArgument(name, ": dilations must be [1, 1, 1, 1], received [", absl::StrJoin(dilations, ", "), "]"));
  win->sh = strides[1], win->sw = strides[2];
  if (padding == "EXPLICIT") {
    OP_REQUIRES(ctx, explicit_pads.size() == 8 && explicit_pads[0] == 0 && explicit_pads[1] == 0 && explicit_pads[6] == 0 && explicit_pads[7] == 0 &&
                         std::all_of(explicit_pads.begin(), explicit_pads.end(), [](int64_t p) { return p >= 0; }),
                errors::InvalidArgument(name, ": explicit_paddings must be [0, 0, top, bottom, left, right, 0, 0] with no negative value, received [",
                                        absl::StrJoin(explicit_pads, ", "), "]"));
    win->pt = explicit_pads[2], win->pb = explicit_pads[3], win->pl = explicit_pads[4], win->pr = explicit_pads[5];
  }
}

/** Runs fn(begin, end) over the batch: on the calling thread below 2^20 multiply-adds, else one block of images per intra-op thread. */
template <typename Fn>
void ForBatch(OpKernelContext* ctx, int64_t n, int64_t work, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int threads = workers == nullptr ? 1 : workers->NumThreads();
  if (threads <= 1 || n < 2 || work < (int64_t{1} << 20)) {
    fn(0, n);
    return;
  }
  const int64_t block = (n + threads - 1) / threads;
  workers->ParallelFor(n, thread::ThreadPool::SchedulingParams(thread::ThreadPool::SchedulingStrategy::kFixedBlockSize, std::nullopt, block), fn);
}

}  // namespace

class DuetConv2DC1Op : public OpKernel {
 public:
  explicit DuetConv2DC1Op(OpKernelConstruction* ctx) : OpKernel(ctx) {
    ReadWindow(ctx, "DuetConv2DC1", &win_);
    OP_REQUIRES_OK(ctx, ctx->GetAttr("relu", &relu_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& f = ctx->input(1);
    const Tensor& bias = ctx->input(2);
    OP_REQUIRES(ctx, x.dims() == 4 && x.dim_size(3) == 1,
                errors::InvalidArgument("DuetConv2DC1: input must be [N, H, W, 1], received shape ", x.shape().DebugString()));
    OP_REQUIRES(ctx, f.dims() == 4 && f.dim_size(2) == 1 && f.dim_size(0) > 0 && f.dim_size(1) > 0,
                errors::InvalidArgument("DuetConv2DC1: filter must be [kH, kW, 1, C], received shape ", f.shape().DebugString()));
    OP_REQUIRES(ctx, bias.dims() == 1 && bias.dim_size(0) == f.dim_size(3),
                errors::InvalidArgument("DuetConv2DC1: bias must be [", f.dim_size(3), "] (the filter's output channels), received shape ", bias.shape().DebugString()));
    Geometry g{x.dim_size(0), x.dim_size(1), x.dim_size(2), f.dim_size(0), f.dim_size(1), f.dim_size(3), 0, 0, win_.sh, win_.sw, win_.pt, win_.pl};
    OP_REQUIRES(ctx, g.h + win_.pt + win_.pb >= g.kh && g.w + win_.pl + win_.pr >= g.kw,
                errors::InvalidArgument("DuetConv2DC1: the padded input ", x.shape().DebugString(), " is smaller than the filter ", f.shape().DebugString()));
    g.ho = (g.h + win_.pt + win_.pb - g.kh) / g.sh + 1;
    g.wo = (g.w + win_.pl + win_.pr - g.kw) / g.sw + 1;
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({g.n, g.ho, g.wo, g.c}), &y));
    if (y->NumElements() == 0) return;
    const float* xp = x.flat<float>().data();
    const float* wp = f.flat<float>().data();
    const float* bp = bias.flat<float>().data();
    float* yp = y->flat<float>().data();
    ForBatch(ctx, g.n, g.n * g.ho * g.wo * g.kh * g.kw * g.c, [&](int64_t begin, int64_t end) { ForwardImages(g, xp, wp, bp, relu_, yp, begin, end); });
  }

 private:
  Window win_;
  bool relu_ = false;
};

REGISTER_KERNEL_BUILDER(Name("DuetConv2DC1").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetConv2DC1Op);

class DuetConv2DBackpropFilterC1Op : public OpKernel {
 public:
  explicit DuetConv2DBackpropFilterC1Op(OpKernelConstruction* ctx) : OpKernel(ctx) { ReadWindow(ctx, "DuetConv2DBackpropFilterC1", &win_); }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& sizes = ctx->input(1);
    const Tensor& dy = ctx->input(2);
    OP_REQUIRES(ctx, x.dims() == 4 && x.dim_size(3) == 1,
                errors::InvalidArgument("DuetConv2DBackpropFilterC1: input must be [N, H, W, 1], received shape ", x.shape().DebugString()));
    OP_REQUIRES(ctx, sizes.dims() == 1 && sizes.NumElements() == 4,
                errors::InvalidArgument("DuetConv2DBackpropFilterC1: filter_sizes must be 4 sizes [kH, kW, 1, C], received shape ", sizes.shape().DebugString()));
    TensorShape fshape;
    OP_REQUIRES_OK(ctx, TensorShapeUtils::MakeShape(sizes.vec<int32>().data(), 4, &fshape));
    OP_REQUIRES(ctx, fshape.dim_size(2) == 1 && fshape.dim_size(0) > 0 && fshape.dim_size(1) > 0,
                errors::InvalidArgument("DuetConv2DBackpropFilterC1: filter_sizes must be [kH, kW, 1, C] with kH, kW > 0, received ", fshape.DebugString()));
    Geometry g{x.dim_size(0), x.dim_size(1), x.dim_size(2), fshape.dim_size(0), fshape.dim_size(1), fshape.dim_size(3), 0, 0, win_.sh, win_.sw, win_.pt, win_.pl};
    g.ho = (g.h + win_.pt + win_.pb - g.kh) / g.sh + 1;
    g.wo = (g.w + win_.pl + win_.pr - g.kw) / g.sw + 1;
    const TensorShape expected({g.n, std::max<int64_t>(g.ho, 0), std::max<int64_t>(g.wo, 0), g.c});
    OP_REQUIRES(ctx, g.h + win_.pt + win_.pb >= g.kh && g.w + win_.pl + win_.pr >= g.kw && dy.shape() == expected,
                errors::InvalidArgument("DuetConv2DBackpropFilterC1: out_backprop must have the conv output's shape ", expected.DebugString(), " for input ",
                                        x.shape().DebugString(), " and filter ", fshape.DebugString(), ", received ", dy.shape().DebugString()));
    Tensor* dw = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, fshape, &dw));
    float* out = dw->flat<float>().data();
    const int64_t taps = g.kh * g.kw;
    if (g.n == 0 || g.c == 0) {
      std::fill(out, out + taps * g.c, 0.0f);
      return;
    }
    std::vector<double> partial(g.n * taps * g.c);
    const float* xp = x.flat<float>().data();
    const float* dyp = dy.flat<float>().data();
    ForBatch(ctx, g.n, g.n * g.ho * g.wo * taps * g.c, [&](int64_t begin, int64_t end) {
      std::vector<float> acc(taps * g.c);
      FilterGradImages(g, xp, dyp, partial.data(), begin, end, acc.data());
    });
    // The images' sums in image order: the same result however the images were split over threads.
    std::vector<double> total(taps * g.c, 0.0);
    for (int64_t b = 0; b < g.n; ++b)
      for (int64_t q = 0; q < taps * g.c; ++q) total[q] += partial[b * taps * g.c + q];
    for (int64_t q = 0; q < taps * g.c; ++q) out[q] = static_cast<float>(total[q]);
  }

 private:
  Window win_;
};

REGISTER_KERNEL_BUILDER(Name("DuetConv2DBackpropFilterC1").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetConv2DBackpropFilterC1Op);

}  // namespace duet
