// DuetConv2DC1 and DuetConv2DBackpropFilterC1: a 2-d convolution whose input
// has one channel (NHWC, float), with its bias and optional ReLU, and its
// filter gradient: a grayscale image's first conv, as in every MNIST CNN of
// the Keras and PyTorch examples.
//
// Why: oneDNN ran the Keras CNN's first conv ([64, 28, 28, 1] x 3x3 -> 32:
// 12.5M multiply-adds) at ~20 GFLOP/s each way (0.5 ms forward, 0.55 ms for
// the filter gradient) against ~200 for the second conv (bench/README.md,
// "A first conv with one input channel").
//
// DuetConv2DC1: output = [relu](bias + sum over taps of x * w), per output
// channel, the taps added in row-major order and then the bias: the same value
// as Conv2D + BiasAdd (+ Relu) to float rounding. The ReLU gives +0 for a zero
// of either sign and keeps a NaN, as DuetBiasAddRelu does. Inputs input
// [N, H, W, 1], filter [kH, kW, 1, C], bias [C].
//
// DuetConv2DBackpropFilterC1: dW[i, j, 0, c] = sum over n, h, w of
// x[n, h*s + i - pad, w*s + j - pad] * dy[n, h, w, c]. Each image's sums are
// formed in float in output order, then the images' sums are added in double
// in image order and rounded once: the same result however the images are
// split over TensorFlow's intra-op threads (not Conv2DBackpropFilter's bits).
// Inputs as Conv2DBackpropFilter's (input [N, H, W, 1], filter_sizes
// [kH, kW, 1, C], out_backprop [N, Ho, Wo, C]).
//
// How: 3x3 windows inside the image run one width-generic loop per op (GCC
// vector extensions) over blocks of 16 output channels where the CPU has
// AVX-512 (checked at run time) and of 8 after that: the 9 taps' weights
// (forward) or accumulators (gradient) in registers, the inputs under the
// window broadcast. Other windows, the channels left over and the output
// positions whose window reaches into the padding take a plain loop. Both ops
// take strides, padding (VALID or EXPLICIT with explicit_paddings),
// data_format NHWC and dilations all 1.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_join.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace duet {
using namespace tensorflow;

// The window attributes both ops take (read by ReadWindow below).
#define DUET_CONV_C1_ATTRS                            \
  .Attr("T: {float}")                                 \
      .Attr("strides: list(int) >= 4")                \
      .Attr("padding: {'VALID', 'EXPLICIT'}")         \
      .Attr("explicit_paddings: list(int) = []")      \
      .Attr("data_format: {'NHWC'} = 'NHWC'")         \
      .Attr("dilations: list(int) = [1, 1, 1, 1]")

REGISTER_OP("DuetConv2DBackpropFilterC1")
    .Input("input: T")
    .Input("filter_sizes: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    DUET_CONV_C1_ATTRS
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("Conv2DBackpropFilter for an input with one channel (NHWC): the same sums in another order.");

REGISTER_OP("DuetConv2DC1")
    .Input("input: T")
    .Input("filter: T")
    .Input("bias: T")
    .Output("output: T")
    DUET_CONV_C1_ATTRS
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

/**
 * The plain loop, for what the vector blocks did not do: every output
 * position o = oh * wo + ow, from channel `from` (c0 inside the image, 0 where
 * the window reaches into the padding; positions with nothing left are
 * skipped): start(o, from), then tap(o, from, t, x) for each tap t whose input
 * x lies inside the image, then end(o, from).
 */
template <typename Start, typename Tap, typename End>
void ForRemaining(const Geometry& g, const float* xb, int64_t c0, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1, Start start, Tap tap, End end) {
  for (int64_t oh = 0; oh < g.ho; ++oh) {
    for (int64_t ow = 0; ow < g.wo; ++ow) {
      const bool inside = oh >= oh0 && oh < oh1 && ow >= ow0 && ow < ow1;
      const int64_t from = inside ? c0 : 0;
      if (from >= g.c) continue;
      const int64_t o = oh * g.wo + ow;
      start(o, from);
      const int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = ih0 + i;
        if (ih < 0 || ih >= g.h) continue;
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t iw = iw0 + j;
          if (iw >= 0 && iw < g.w) tap(o, from, i * g.kw + j, xb[ih * g.w + iw]);
        }
      }
      end(o, from);
    }
  }
}


// The 3x3 vector paths, written once for a width of W floats with GCC's vector
// extensions: a scalar times a vector broadcasts it, and the contraction below
// makes a * b + c one FMA where the target has it. Instantiated for 16 floats in
// functions compiled for AVX-512 (called where the CPU has it, checked at run
// time) and for 8 elsewhere (AVX2 registers on x86-64-v3; two SSE or NEON
// registers otherwise).
#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")

template <int W>
struct Vec;
template <>
struct Vec<8> {
  typedef float f __attribute__((vector_size(32)));
  typedef uint32_t u __attribute__((vector_size(32)));
};
template <>
struct Vec<16> {
  typedef float f __attribute__((vector_size(64)));
  typedef uint32_t u __attribute__((vector_size(64)));
};
template <int W>
[[gnu::always_inline]] inline typename Vec<W>::f Load(const float* p) {
  typename Vec<W>::f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/**
 * Filter gradient, 3x3 windows inside the image, channels from c0 in blocks
 * of W: one accumulator per tap; acc[t * C + c] = the sums. Returns where the
 * blocks stopped.
 */
template <int W>
[[gnu::always_inline]] inline int64_t FilterGrad3x3(const Geometry& g, const float* __restrict xb, const float* __restrict dyb, int64_t c0, int64_t oh0,
                                                    int64_t oh1, int64_t ow0, int64_t ow1, float* __restrict acc) {
  using V = typename Vec<W>::f;
  const int64_t C = g.c;
  for (; c0 + W <= C; c0 += W) {
    V a[9] = {};
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* r = xb + (oh * g.sh - g.pt) * g.w - g.pl;
      const float* gy = dyb + (oh * g.wo + ow0) * C + c0;
      for (int64_t ow = ow0; ow < ow1; ++ow, gy += C) {
        const float* x = r + ow * g.sw;
        const V d = Load<W>(gy);
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) a[t] = x[(t / 3) * g.w + t % 3] * d + a[t];
      }
    }
    for (int t = 0; t < 9; ++t) std::memcpy(acc + t * C + c0, &a[t], sizeof(V));
  }
  return c0;
}

/**
 * Forward, 3x3 windows inside the image, channels from c0 in blocks of W: the
 * taps in row-major order (the first a product), then the bias, then the ReLU
 * (+0 for a zero of either sign, a NaN kept). Returns where the blocks stopped.
 */
template <int W>
[[gnu::always_inline]] inline int64_t Forward3x3(const Geometry& g, const float* __restrict xb, const float* __restrict w, const float* __restrict bias,
                                                 bool relu, float* __restrict yb, int64_t c0, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1) {
  using V = typename Vec<W>::f;
  using U = typename Vec<W>::u;
  const int64_t C = g.c;
  for (; c0 + W <= C; c0 += W) {
    V wt[9];
    for (int t = 0; t < 9; ++t) wt[t] = Load<W>(w + t * C + c0);
    const V b = Load<W>(bias + c0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* r = xb + (oh * g.sh - g.pt) * g.w - g.pl;
      float* out = yb + (oh * g.wo + ow0) * C + c0;
      for (int64_t ow = ow0; ow < ow1; ++ow, out += C) {
        const float* x = r + ow * g.sw;
        V a = x[0] * wt[0];
#pragma GCC unroll 8
        for (int t = 1; t < 9; ++t) a = x[(t / 3) * g.w + t % 3] * wt[t] + a;
        a = a + b;
        if (relu) {
          // On the bits, with no comparison (GCC turns vector compares in this width-generic code into per-lane
          // scalar code): keep the floats above +0 and every NaN (magnitude above infinity's), zero the rest; a -0
          // is kept, and the + 0 below makes it +0 (and leaves the others as they are).
          const U u = reinterpret_cast<U>(a);
          const U above_zero = U{} - ((U{} - u) >> 31);  // all ones where 0 - u has its top bit: u in [1, 0x80000000]
          const U nan = U{} - ((0x7F800000u - (u & 0x7FFFFFFFu)) >> 31);
          a = reinterpret_cast<V>(u & (above_zero | nan)) + 0.0f;
        }
        std::memcpy(out, &a, sizeof(V));
      }
    }
  }
  return c0;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) int64_t FilterGrad3x3Avx512(const Geometry& g, const float* xb, const float* dyb, int64_t oh0, int64_t oh1, int64_t ow0,
                                                                 int64_t ow1, float* acc) {
  return FilterGrad3x3<16>(g, xb, dyb, 0, oh0, oh1, ow0, ow1, acc);
}
__attribute__((target("avx512f"))) int64_t Forward3x3Avx512(const Geometry& g, const float* xb, const float* w, const float* bias, bool relu, float* yb,
                                                              int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1) {
  return Forward3x3<16>(g, xb, w, bias, relu, yb, 0, oh0, oh1, ow0, ow1);
}
const bool kAvx512 = __builtin_cpu_supports("avx512f");
#else
const bool kAvx512 = false;
#endif

/** The 3x3 filter gradient's vector blocks: 16 channels at a time where the CPU has AVX-512, then 8. Returns the channels done. */
int64_t FilterGrad3x3Blocks(const Geometry& g, const float* xb, const float* dyb, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1, float* acc) {
  int64_t c0 = 0;
#if defined(__x86_64__)
  if (kAvx512) c0 = FilterGrad3x3Avx512(g, xb, dyb, oh0, oh1, ow0, ow1, acc);
#endif
  return FilterGrad3x3<8>(g, xb, dyb, c0, oh0, oh1, ow0, ow1, acc);
}
/** The 3x3 forward's vector blocks, as above. */
int64_t Forward3x3Blocks(const Geometry& g, const float* xb, const float* w, const float* bias, bool relu, float* yb, int64_t oh0, int64_t oh1, int64_t ow0,
                         int64_t ow1) {
  int64_t c0 = 0;
#if defined(__x86_64__)
  if (kAvx512) c0 = Forward3x3Avx512(g, xb, w, bias, relu, yb, oh0, oh1, ow0, ow1);
#endif
  return Forward3x3<8>(g, xb, w, bias, relu, yb, c0, oh0, oh1, ow0, ow1);
}

#pragma GCC pop_options

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
    const int64_t c0 = taps == 9 ? FilterGrad3x3Blocks(g, xb, dyb, oh0, oh1, ow0, ow1, acc) : 0;
    // The rest: channels past the blocks above (all of them for other windows) inside the image,
    // then, for every channel, the output positions whose window reaches into the padding.
    auto none = [](int64_t, int64_t) {};
    ForRemaining(g, xb, c0, oh0, oh1, ow0, ow1, none, [&](int64_t o, int64_t from, int64_t t, float v) {
      const float* gy = dyb + o * C;
      float* a = acc + t * C;
      for (int64_t c = from; c < C; ++c) a[c] += v * gy[c];
    }, none);
    double* o = out + b * taps * C;
    for (int64_t q = 0; q < taps * C; ++q) o[q] = acc[q];
  }
}

inline float ReluOf(float v) { return v > 0.0f || v != v ? v : 0.0f; }

/** Images [begin, end) of the forward. */
void ForwardImages(const Geometry& g, const float* __restrict x, const float* __restrict w, const float* __restrict bias, bool relu,
                   float* __restrict y, int64_t begin, int64_t end) {
  const int64_t C = g.c;
  int64_t oh0, oh1, ow0, ow1;
  InsideRange(g, &oh0, &oh1, &ow0, &ow1);
  for (int64_t b = begin; b < end; ++b) {
    const float* xb = x + b * g.h * g.w;
    float* yb = y + b * g.ho * g.wo * C;
    const int64_t c0 = g.kh == 3 && g.kw == 3 ? Forward3x3Blocks(g, xb, w, bias, relu, yb, oh0, oh1, ow0, ow1) : 0;
    // The rest: channels past the blocks above inside the image, and every channel where the window reaches into the padding.
    ForRemaining(
        g, xb, c0, oh0, oh1, ow0, ow1, [&](int64_t o, int64_t from) { std::fill(yb + o * C + from, yb + (o + 1) * C, 0.0f); },
        [&](int64_t o, int64_t from, int64_t t, float v) {
          float* out = yb + o * C;
          const float* wt = w + t * C;
          for (int64_t c = from; c < C; ++c) out[c] += v * wt[c];
        },
        [&](int64_t o, int64_t from) {
          float* out = yb + o * C;
          for (int64_t c = from; c < C; ++c) out[c] = relu ? ReluOf(out[c] + bias[c]) : out[c] + bias[c];
        });
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
