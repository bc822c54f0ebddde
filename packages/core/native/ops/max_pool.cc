// DuetMaxPoolGrad: the gradient of 2-d max pooling (NHWC, float), the same
// numbers as TensorFlow's MaxPoolGrad bit for bit.
//
// Why: TensorFlow's eager CPU MaxPoolGrad (SpatialMaxPoolWithArgMaxHelper in
// tensorflow/core/kernels/maxpooling_op.cc) recomputes the forward pooling
// with an int64 argmax per output through scalar Eigen coefficient accesses,
// then scatters; on the Keras CNN's first pooling ([64, 26, 26, 32], 2x2) it
// took ~8 ms where the forward MaxPool takes 0.6 ms. This kernel does the same
// work per output window with the channel loop innermost (contiguous in NHWC,
// so the compiler vectorises the max and the argmax), one image at a time.
//
// What it computes, as MaxPoolGrad does:
// - each window's maximum is the first element, in row-major order over the
//   window's positions inside the image (padding is never a candidate), that
//   no later element exceeds (`best < v` replaces): ties go to the first, a
//   NaN wins only as the window's first element, and -0 and +0 tie;
// - the window's gradient is added to that one input element; the input
//   gradient starts at +0 and receives its windows' gradients in increasing
//   output order (so with overlapping windows the float sums are formed in
//   the same order, and a lone -0 gradient arrives as +0, as 0 + -0 = +0).
//
// Inputs: the pooled input [N, H, W, C] and the gradient of the pooled output
// [N, Ho, Wo, C]. Attributes are MaxPoolGrad's (ksize, strides, padding,
// explicit_paddings, data_format NHWC), so a caller passes the same ones it
// gave MaxPool. The forward output, MaxPoolGrad's second input, is not needed.
#include <algorithm>
#include <limits>
#include <cstring>
#include <vector>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "absl/strings/str_join.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/kernel_shape_util.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/padding.h"

namespace duet {
using namespace tensorflow;

// MaxPool's attributes, which both ops take (the caller passes the ones it gives MaxPool).
#define DUET_POOL_ATTRS                                \
  .Attr("T: {float}")                                  \
      .Attr("ksize: list(int) >= 4")                   \
      .Attr("strides: list(int) >= 4")                 \
      .Attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")  \
      .Attr("explicit_paddings: list(int) = []")       \
      .Attr("data_format: {'NHWC'} = 'NHWC'")

REGISTER_OP("DuetMaxPool")
    .Input("input: T")
    .Output("output: T")
    DUET_POOL_ATTRS
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("MaxPool (NHWC): the same numbers.");

REGISTER_OP("DuetMaxPoolGrad")
    .Input("orig_input: T")
    .Input("grad: T")
    .Output("output: T")
    DUET_POOL_ATTRS
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    })
    .Doc("MaxPoolGrad (NHWC) from the pooled input and the output gradient; the same numbers as MaxPoolGrad.");

REGISTER_OP("DuetMaxPoolArgmax")
    .Input("input: T")
    .Output("output: T")
    .Output("argmax: uint8")
    DUET_POOL_ATTRS
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("MaxPool (NHWC) and, per output element, where MaxPoolGrad sends its gradient, for DuetMaxPoolGradArgmax.");

REGISTER_OP("DuetMaxPoolGradArgmax")
    .Input("argmax: uint8")
    .Input("grad: T")
    .Input("orig_input_shape: int32")
    .Output("output: T")
    .Output("bias_grad: T")
    DUET_POOL_ATTRS
    .Attr("relu: bool = false")
    .SetShapeFn(shape_inference::UnknownShape)
    .Doc("MaxPoolGrad (NHWC) through DuetMaxPoolArgmax's argmax; with relu, also through the ReLU that made the pooled input; and the sum of the result over all but the last dim.");

/** The geometry of one pooling: sizes, window, stride and the padding before each spatial dim. */
struct PoolShape {
  int64_t batch, rows, cols, depth;
  int64_t out_rows, out_cols;
  int64_t k_rows, k_cols, s_rows, s_cols;
  int64_t pad_top, pad_left;
};

/** Output (ph, pw)'s window inside the image: rows [h0, h1), columns [w0, w1) (padding cut off). */
struct WindowRange {
  int64_t h0, h1, w0, w1;
};
static inline WindowRange WindowAt(const PoolShape& p, int64_t ph, int64_t pw) {
  return {std::max<int64_t>(ph * p.s_rows - p.pad_top, 0), std::min(ph * p.s_rows - p.pad_top + p.k_rows, p.rows),
          std::max<int64_t>(pw * p.s_cols - p.pad_left, 0), std::min(pw * p.s_cols - p.pad_left + p.k_cols, p.cols)};
}

/** One window element's gradient over the channels: 0 + gy where it is the maximum, else +0 (as bits, so that it vectorises). */
static inline void WriteWindowElement(float* __restrict out, const float* __restrict gy, const int32_t* __restrict arg, int32_t pos, int64_t depth) {
  for (int64_t d = 0; d < depth; ++d) {
    const float v = 0.0f + gy[d];
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bits &= -static_cast<uint32_t>(arg[d] == pos);
    std::memcpy(out + d, &bits, sizeof bits);
  }
}

/**
 * The input gradient of images [begin, end): each output window's gradient
 * added at the window's first maximum, per channel, onto zeros. `best` and
 * `arg` are scratch of `depth` elements. Where windows do not overlap (stride
 * >= window, the usual pooling) every input element is in at most one window:
 * the window's elements are written directly, 0 + gradient at the maximum and
 * 0 elsewhere (the same floats as adding onto zeros), and only images that the
 * windows do not tile exactly are zeroed first.
 */
static void MaxPoolGradImages(const PoolShape& p, const float* __restrict in, const float* __restrict dy, float* __restrict dx, int64_t begin,
                              int64_t end, float* __restrict best, int32_t* __restrict arg) {
  const int64_t depth = p.depth;
  const int64_t image = p.rows * p.cols * depth;
  const bool disjoint = p.s_rows >= p.k_rows && p.s_cols >= p.k_cols;
  const bool tiled = p.s_rows == p.k_rows && p.s_cols == p.k_cols && p.pad_top == 0 && p.pad_left == 0 && p.out_rows * p.k_rows == p.rows &&
                     p.out_cols * p.k_cols == p.cols;
  if (!tiled) std::memset(dx + begin * image, 0, sizeof(float) * (end - begin) * image);
  for (int64_t b = begin; b < end; ++b) {
    const float* x = in + b * image;
    float* g = dx + b * image;
    const float* gy = dy + b * p.out_rows * p.out_cols * depth;
    for (int64_t ph = 0; ph < p.out_rows; ++ph) {
      for (int64_t pw = 0; pw < p.out_cols; ++pw, gy += depth) {
        const auto [h0, h1, w0, w1] = WindowAt(p, ph, pw);
        if (h0 >= h1 || w0 >= w1) continue;  // a window of padding only: MaxPool gives it no input
        const int32_t first = static_cast<int32_t>(h0 * p.cols + w0);
        std::memcpy(best, x + first * depth, sizeof(float) * depth);
        std::fill(arg, arg + depth, first);
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; ++w) {
            const int32_t pos = static_cast<int32_t>(h * p.cols + w);
            const float* v = x + pos * depth;
            for (int64_t d = 0; d < depth; ++d) {
              const bool gt = best[d] < v[d];
              best[d] = gt ? v[d] : best[d];
              arg[d] = gt ? pos : arg[d];
            }
          }
        }
        if (disjoint) {
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) {
              const int32_t pos = static_cast<int32_t>(h * p.cols + w);
              WriteWindowElement(g + pos * depth, gy, arg, pos, depth);
            }
          }
        } else {
          for (int64_t d = 0; d < depth; ++d) g[arg[d] * depth + d] += gy[d];
        }
      }
    }
  }
}

/**
 * Input elements times window positions at or above which the images are
 * split over TensorFlow's intra-op threads. The kernel is bound by memory
 * traffic, and waking the pool costs tens of microseconds: on 2 cores
 * (bench/README.md, "DuetMaxPoolGrad") two threads gained nothing measurable
 * from [64, 26, 26, 32] up to [32, 56, 56, 64] and [16, 112, 112, 32] (2x2,
 * 5.5M-26M), so below 2^25 (8M input elements under a 2x2 window) the calling
 * thread does all of it.
 */
constexpr int64_t kShardWork = int64_t{1} << 25;

/**
 * MaxPool's attributes (ksize, strides, padding, explicit_paddings), checked
 * once, and the pooling geometry of an input. `name_` prefixes the errors.
 */
class PoolOpBase : public OpKernel {
 public:
  PoolOpBase(OpKernelConstruction* ctx, const char* name) : OpKernel(ctx), name_(name) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("ksize", &ksize_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strides", &strides_));
    std::string padding;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("padding", &padding));
    OP_REQUIRES_OK(ctx, GetPaddingFromString(padding, &padding_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("explicit_paddings", &explicit_));
    OP_REQUIRES(ctx, ksize_.size() == 4 && strides_.size() == 4,
                errors::InvalidArgument(name_, ": ksize and strides must have 4 elements [1, rows, cols, 1], received ", ksize_.size(), " and ", strides_.size()));
    OP_REQUIRES(ctx, ksize_[0] == 1 && ksize_[3] == 1 && strides_[0] == 1 && strides_[3] == 1,
                errors::InvalidArgument(name_, ": pooling over the batch or channel dim is not supported; ksize and strides must be [1, rows, cols, 1], received ksize [",
                                        absl::StrJoin(ksize_, ", "), "], strides [", absl::StrJoin(strides_, ", "), "]"));
    OP_REQUIRES(ctx, ksize_[1] > 0 && ksize_[2] > 0 && strides_[1] > 0 && strides_[2] > 0,
                errors::InvalidArgument(name_, ": ksize and strides must be positive, received ksize [", absl::StrJoin(ksize_, ", "), "], strides [",
                                        absl::StrJoin(strides_, ", "), "]"));
    if (padding_ == EXPLICIT) {
      OP_REQUIRES(ctx, explicit_.size() == 8 && explicit_[0] == 0 && explicit_[1] == 0 && explicit_[6] == 0 && explicit_[7] == 0,
                  errors::InvalidArgument(name_, ": explicit_paddings must be [0, 0, top, bottom, left, right, 0, 0], received [", absl::StrJoin(explicit_, ", "), "]"));
      for (int i = 2; i < 6; ++i) {
        OP_REQUIRES(ctx, explicit_[i] >= 0 && explicit_[i] < ksize_[i < 4 ? 1 : 2],
                    errors::InvalidArgument(name_, ": each padding must be in [0, window size), received explicit_paddings [", absl::StrJoin(explicit_, ", "),
                                            "] for ksize [", absl::StrJoin(ksize_, ", "), "]"));
      }
    }
  }

 protected:
  /** The geometry of pooling `x` ([N, H, W, C]), as MaxPool computes it (GetWindowedOutputSizeVerbose). */
  absl::Status Geometry(const TensorShape& x, PoolShape* p) const {
    if (x.dims() != 4) return errors::InvalidArgument(name_, ": orig_input must be [N, H, W, C], received shape ", x.DebugString());
    p->batch = x.dim_size(0), p->rows = x.dim_size(1), p->cols = x.dim_size(2), p->depth = x.dim_size(3);
    p->k_rows = ksize_[1], p->k_cols = ksize_[2], p->s_rows = strides_[1], p->s_cols = strides_[2];
    const bool ex = padding_ == EXPLICIT;
    int64_t pad_bottom = ex ? explicit_[3] : 0, pad_right = ex ? explicit_[5] : 0;
    p->pad_top = ex ? explicit_[2] : 0;
    p->pad_left = ex ? explicit_[4] : 0;
    TF_RETURN_IF_ERROR(GetWindowedOutputSizeVerbose(p->rows, p->k_rows, 1, p->s_rows, padding_, &p->out_rows, &p->pad_top, &pad_bottom));
    TF_RETURN_IF_ERROR(GetWindowedOutputSizeVerbose(p->cols, p->k_cols, 1, p->s_cols, padding_, &p->out_cols, &p->pad_left, &pad_right));
    if (p->rows * p->cols >= (int64_t{1} << 31)) return errors::InvalidArgument(name_, ": an image of ", p->rows, " x ", p->cols, " positions is over 2^31");
    return absl::OkStatus();
  }

  const char* name_;

 private:
  std::vector<int32> ksize_, strides_;
  std::vector<int64_t> explicit_;
  Padding padding_;
};

/**
 * MaxPool's forward (tensorflow/core/kernels/maxpooling_op.cc,
 * SpatialMaxPool on the CPU): each output starts at the lowest float
 * (-FLT_MAX) and takes an element only where the element is greater, so a NaN
 * never enters, a window of -Infinity gives -FLT_MAX, and of a +0 and a -0 the
 * first stays. The window's positions inside the image are visited in
 * row-major order, as there.
 */
static void MaxPoolImages(const PoolShape& p, const float* __restrict in, float* __restrict out, int64_t begin, int64_t end) {
  const int64_t depth = p.depth;
  const int64_t image = p.rows * p.cols * depth;
  for (int64_t b = begin; b < end; ++b) {
    const float* x = in + b * image;
    float* y = out + b * p.out_rows * p.out_cols * depth;
    for (int64_t ph = 0; ph < p.out_rows; ++ph) {
      for (int64_t pw = 0; pw < p.out_cols; ++pw, y += depth) {
        const auto [h0, h1, w0, w1] = WindowAt(p, ph, pw);
        std::fill(y, y + depth, std::numeric_limits<float>::lowest());
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) {
            const float* v = x + (h * p.cols + w) * depth;
            for (int64_t d = 0; d < depth; ++d) y[d] = v[d] > y[d] ? v[d] : y[d];
          }
        }
      }
    }
  }
}

/** Runs fn(begin, end) over the batch: on the calling thread below `shard_work`, else one block of images per intra-op thread. */
template <typename Fn>
static void ForImages(OpKernelContext* ctx, const PoolShape& p, int64_t work, int64_t shard_work, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int threads = workers == nullptr ? 1 : workers->NumThreads();
  if (threads <= 1 || p.batch < 2 || work < shard_work) {
    fn(0, p.batch);
    return;
  }
  const int64_t block = (p.batch + threads - 1) / threads;
  workers->ParallelFor(p.batch, thread::ThreadPool::SchedulingParams(thread::ThreadPool::SchedulingStrategy::kFixedBlockSize, std::nullopt, block), fn);
}

template <typename Fn>
static void ForImages(OpKernelContext* ctx, const PoolShape& p, int64_t work, Fn fn) {
  ForImages(ctx, p, work, kShardWork, fn);
}

class DuetMaxPoolOp : public PoolOpBase {
 public:
  explicit DuetMaxPoolOp(OpKernelConstruction* ctx) : PoolOpBase(ctx, "DuetMaxPool") {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    PoolShape p;
    OP_REQUIRES_OK(ctx, Geometry(x.shape(), &p));
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({p.batch, p.out_rows, p.out_cols, p.depth}), &y));
    if (y->NumElements() == 0) return;
    const float* in = x.flat<float>().data();
    float* out = y->flat<float>().data();
    ForImages(ctx, p, x.NumElements() * p.k_rows * p.k_cols, [&](int64_t begin, int64_t end) { MaxPoolImages(p, in, out, begin, end); });
  }
};

class DuetMaxPoolGradOp : public PoolOpBase {
 public:
  explicit DuetMaxPoolGradOp(OpKernelConstruction* ctx) : PoolOpBase(ctx, "DuetMaxPoolGrad") {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(1);
    PoolShape p;
    OP_REQUIRES_OK(ctx, Geometry(x.shape(), &p));
    const TensorShape expected({p.batch, p.out_rows, p.out_cols, p.depth});
    OP_REQUIRES(ctx, dy.shape() == expected,
                errors::InvalidArgument(name_, ": grad must have the pooled output's shape ", expected.DebugString(), " for orig_input ", x.shape().DebugString(),
                                        ", received ", dy.shape().DebugString()));
    Tensor* dx = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx));
    if (x.NumElements() == 0) return;
    if (dy.NumElements() == 0) {
      std::memset(dx->flat<float>().data(), 0, sizeof(float) * dx->NumElements());
      return;
    }
    const float* in = x.flat<float>().data();
    const float* g = dy.flat<float>().data();
    float* out = dx->flat<float>().data();
    ForImages(ctx, p, x.NumElements() * p.k_rows * p.k_cols, [&](int64_t begin, int64_t end) {
      std::vector<float> best(p.depth);
      std::vector<int32_t> arg(p.depth);
      MaxPoolGradImages(p, in, g, out, begin, end, best.data(), arg.data());
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetMaxPool").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetMaxPoolOp);
REGISTER_KERNEL_BUILDER(Name("DuetMaxPoolGrad").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetMaxPoolGradOp);

// DuetMaxPoolArgmax and DuetMaxPoolGradArgmax: max pooling for training, with
// the argmax kept, and its gradient through the argmax (optionally through
// the ReLU that made the pooled input, and with the bias's gradient).
//
// Why: the Keras CNN's conv + bias + ReLU -> max pool backward was two passes
// over the conv's output (the pool's gradient, then ReluGrad + BiasAddGrad);
// with the argmax kept, it is one pass that reads a byte and a gradient per
// pooled element and writes the conv's gradient once.
//
// DuetMaxPoolArgmax's output is MaxPool's (the same numbers as DuetMaxPool).
// Its argmax has one byte per output element: the position inside the
// (unpadded) window, row-major, of the element MaxPoolGrad sends the
// gradient to (the first one no later element exceeds, as in
// MaxPoolGradImages above), plus 128 when that element is > 0; 127 for a
// window of padding only. So windows have at most 127 positions.
//
// DuetMaxPoolGradArgmax gives MaxPoolGrad's numbers bit for bit (relu false),
// or ReluGrad(MaxPoolGrad(...), input) bit for bit (relu true: the pooled
// input is a ReLU's output, and only maxima > 0 pass), and bias_grad: the sum
// of that output over N, H and W per channel, added in double precision image
// by image and rounded once (not BiasAddGrad's float order: it can differ in
// the last bit).
constexpr uint8_t kPositive = 0x80, kPositionMask = 0x7F, kNoInput = 0x7F;

static void MaxPoolArgmaxImages(const PoolShape& p, const float* __restrict in, float* __restrict out, uint8_t* __restrict code, int64_t begin,
                                int64_t end, float* __restrict best, int32_t* __restrict arg) {
  const int64_t depth = p.depth;
  const int64_t image = p.rows * p.cols * depth;
  const int64_t pooled = p.out_rows * p.out_cols * depth;
  for (int64_t b = begin; b < end; ++b) {
    const float* x = in + b * image;
    float* y = out + b * pooled;
    uint8_t* c = code + b * pooled;
    for (int64_t ph = 0; ph < p.out_rows; ++ph) {
      for (int64_t pw = 0; pw < p.out_cols; ++pw, y += depth, c += depth) {
        const auto [h0, h1, w0, w1] = WindowAt(p, ph, pw);
        std::fill(y, y + depth, std::numeric_limits<float>::lowest());
        if (h0 >= h1 || w0 >= w1) {
          std::fill(c, c + depth, kNoInput);
          continue;
        }
        const int64_t top = ph * p.s_rows - p.pad_top, left = pw * p.s_cols - p.pad_left;
        if (p.k_rows == 2 && p.k_cols == 2 && h0 == top && w0 == left && h1 == top + 2 && w1 == left + 2) {
          // A whole 2x2 window (MaxPooling2D's default): the same rules, one pass with the four elements in registers.
          const float* a = x + (h0 * p.cols + w0) * depth;
          const float* e = a + depth;
          const float* f = a + p.cols * depth;
          const float* g = f + depth;
          int64_t d = 0;
#ifdef __AVX2__
          // GCC does not if-convert the scalar loop below; the same selects, 8 channels at a time.
          const __m256 low = _mm256_set1_ps(std::numeric_limits<float>::lowest()), zero = _mm256_setzero_ps();
          for (; d + 8 <= depth; d += 8) {
            const __m256 v0 = _mm256_loadu_ps(a + d), v1 = _mm256_loadu_ps(e + d), v2 = _mm256_loadu_ps(f + d), v3 = _mm256_loadu_ps(g + d);
            // _mm256_max_ps(v, m) is v > m ? v : m (m is never a NaN here).
            _mm256_storeu_ps(y + d, _mm256_max_ps(v3, _mm256_max_ps(v2, _mm256_max_ps(v1, _mm256_max_ps(v0, low)))));
            const __m256 g1 = _mm256_cmp_ps(v0, v1, _CMP_LT_OQ);
            const __m256 b1 = _mm256_blendv_ps(v0, v1, g1);
            __m256 at = _mm256_and_ps(g1, _mm256_castsi256_ps(_mm256_set1_epi32(1)));
            const __m256 g2 = _mm256_cmp_ps(b1, v2, _CMP_LT_OQ);
            const __m256 b2 = _mm256_blendv_ps(b1, v2, g2);
            at = _mm256_blendv_ps(at, _mm256_castsi256_ps(_mm256_set1_epi32(2)), g2);
            const __m256 g3 = _mm256_cmp_ps(b2, v3, _CMP_LT_OQ);
            const __m256 b3 = _mm256_blendv_ps(b2, v3, g3);
            at = _mm256_blendv_ps(at, _mm256_castsi256_ps(_mm256_set1_epi32(3)), g3);
            at = _mm256_or_ps(at, _mm256_and_ps(_mm256_cmp_ps(b3, zero, _CMP_GT_OQ), _mm256_castsi256_ps(_mm256_set1_epi32(kPositive))));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(arg + d), _mm256_castps_si256(at));
          }
#endif
          for (; d < depth; ++d) {
            const float v0 = a[d], v1 = e[d], v2 = f[d], v3 = g[d];
            float m = v0 > std::numeric_limits<float>::lowest() ? v0 : std::numeric_limits<float>::lowest();
            m = v1 > m ? v1 : m;
            m = v2 > m ? v2 : m;
            y[d] = v3 > m ? v3 : m;
            const bool g1 = v0 < v1;
            const float b1 = g1 ? v1 : v0;
            const int32_t a1 = g1 ? 1 : 0;
            const bool g2 = b1 < v2;
            const float b2 = g2 ? v2 : b1;
            const int32_t a2 = g2 ? 2 : a1;
            const bool g3 = b2 < v3;
            const float b3 = g3 ? v3 : b2;
            const int32_t a3 = g3 ? 3 : a2;
            arg[d] = a3 | (b3 > 0.0f ? int32_t{kPositive} : 0);
          }
          for (int64_t d = 0; d < depth; ++d) c[d] = static_cast<uint8_t>(arg[d]);
          continue;
        }
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) {
            const float* v = x + (h * p.cols + w) * depth;
            for (int64_t d = 0; d < depth; ++d) y[d] = v[d] > y[d] ? v[d] : y[d];  // MaxPool's maximum
          }
        }
        // MaxPoolGrad's argmax: the first element equal to the largest number (positions walked backwards, the first match
        // written last); if the first element is a NaN, that one (nothing exceeds it), and its maximum is not > 0.
        const float* first = x + (h0 * p.cols + w0) * depth;
        const int32_t first_pos = static_cast<int32_t>((h0 - top) * p.k_cols + (w0 - left));
        std::fill(arg, arg + depth, first_pos);
        for (int64_t h = h1 - 1; h >= h0; --h) {
          for (int64_t w = w1 - 1; w >= w0; --w) {
            const float* v = x + (h * p.cols + w) * depth;
            const int32_t pos = static_cast<int32_t>((h - top) * p.k_cols + (w - left));
            for (int64_t d = 0; d < depth; ++d) arg[d] = v[d] == y[d] ? pos : arg[d];
          }
        }
        for (int64_t d = 0; d < depth; ++d) {
          const bool nan = first[d] != first[d];
          best[d] = nan ? first[d] : y[d];
          arg[d] = nan ? first_pos : arg[d];
        }
        for (int64_t d = 0; d < depth; ++d) c[d] = static_cast<uint8_t>(arg[d] | (best[d] > 0.0f ? kPositive : 0));
      }
    }
  }
}

/**
 * The input gradient of images [begin, end) through the argmax, and per
 * image the sum of it per channel (partial[b * depth + d]: each image's sum
 * formed in float, in output order). Where the windows tile the image's
 * top-left part without gaps or padding (stride = window, the usual pooling),
 * each element is written once: 0 + gradient at its window's argmax, +0
 * elsewhere (the bits MaxPoolGrad's adding onto zeros gives), and the rest of
 * the image is zeroed; otherwise the image is zeroed and the gradients added
 * at the argmax in output order. `pos` and `g0` are scratch of out_cols *
 * depth elements.
 */
static void MaxPoolGradArgmaxImages(const PoolShape& p, const uint8_t* __restrict code, const float* __restrict dy, float* __restrict dx, bool relu,
                                    double* __restrict partial, int64_t begin, int64_t end, int32_t* __restrict pos, float* __restrict g0,
                                    float* __restrict acc) {
  const int64_t depth = p.depth;
  const int64_t image = p.rows * p.cols * depth;
  const int64_t pooled = p.out_rows * p.out_cols * depth;
  const int64_t row_outputs = p.out_cols * depth;
  // Windows side by side from the top-left corner, all inside the image (TensorFlow's 'SAME' may add a partial one).
  const bool adjacent = p.s_rows == p.k_rows && p.s_cols == p.k_cols && p.pad_top == 0 && p.pad_left == 0 && p.out_rows * p.k_rows <= p.rows &&
                        p.out_cols * p.k_cols <= p.cols;
  for (int64_t b = begin; b < end; ++b) {
    float* g = dx + b * image;
    const uint8_t* cb = code + b * pooled;
    const float* gyb = dy + b * pooled;
    std::fill(acc, acc + depth, 0.0f);
    if (!adjacent) std::memset(g, 0, sizeof(float) * image);
    for (int64_t ph = 0; ph < p.out_rows; ++ph) {
      const uint8_t* c = cb + ph * row_outputs;
      const float* gy = gyb + ph * row_outputs;
      // Decode one output row: the position each gradient goes to (-1: a window of padding only), and what it adds
      // there: 0 + the gradient (MaxPoolGrad's onto zeros); with relu, times 0 where the maximum is <= 0 (ReluGrad
      // multiplies by the mask: a NaN stays, a negative gradient gives -0).
      // (Arithmetic rather than branches, so that GCC vectorises it: times 1 leaves a float as it is.)
      const int32_t keep_all = relu ? 0 : 1;
      for (int64_t q = 0; q < row_outputs; ++q) {
        const int32_t cq = c[q];
        const int32_t at = cq & kPositionMask;
        pos[q] = at == kNoInput ? -1 : at;
        g0[q] = (0.0f + gy[q]) * static_cast<float>(((cq >> 7) | keep_all) & 1);
      }
      for (int64_t pw = 0; pw < p.out_cols; ++pw) {
        const int32_t* ps = pos + pw * depth;
        const float* gs = g0 + pw * depth;
        for (int64_t d = 0; d < depth; ++d) acc[d] += ps[d] >= 0 ? gs[d] : 0.0f;
      }
      if (adjacent) {
        for (int64_t i = 0; i < p.k_rows; ++i) {
          float* row = g + (ph * p.k_rows + i) * p.cols * depth;
          for (int64_t pw = 0; pw < p.out_cols; ++pw) {
            const int32_t* ps = pos + pw * depth;
            const float* gs = g0 + pw * depth;
            for (int64_t j = 0; j < p.k_cols; ++j) {
              const int32_t here = static_cast<int32_t>(i * p.k_cols + j);
              float* o = row + (pw * p.k_cols + j) * depth;
              for (int64_t d = 0; d < depth; ++d) {
                const float v = gs[d];  // read unconditionally: a blend, not a masked load
                o[d] = ps[d] == here ? v : 0.0f;
              }
            }
          }
          std::memset(row + p.out_cols * p.k_cols * depth, 0, sizeof(float) * (p.cols - p.out_cols * p.k_cols) * depth);
        }
      } else {
        for (int64_t pw = 0; pw < p.out_cols; ++pw) {
          const int64_t top = ph * p.s_rows - p.pad_top, left = pw * p.s_cols - p.pad_left;
          for (int64_t d = 0; d < depth; ++d) {
            const int32_t at = pos[pw * depth + d];
            if (at < 0) continue;
            const int64_t h = top + at / p.k_cols, w = left + at % p.k_cols;
            if (h < 0 || h >= p.rows || w < 0 || w >= p.cols) continue;  // not DuetMaxPoolArgmax's: nothing outside the image is written
            g[(h * p.cols + w) * depth + d] += gy[pw * depth + d];
          }
        }
      }
    }
    if (!adjacent && relu) {
      // ReluGrad after the sums: elements whose maximum is <= 0 times 0 (idempotent where windows share one).
      for (int64_t o = 0; o < p.out_rows * p.out_cols; ++o) {
        const int64_t ph = o / p.out_cols, pw = o % p.out_cols;
        const int64_t top = ph * p.s_rows - p.pad_top, left = pw * p.s_cols - p.pad_left;
        for (int64_t d = 0; d < depth; ++d) {
          const uint8_t cd = cb[o * depth + d];
          const int32_t at = cd & kPositionMask;
          if (at == kNoInput || (cd & kPositive) != 0) continue;
          const int64_t h = top + at / p.k_cols, w = left + at % p.k_cols;
          if (h < 0 || h >= p.rows || w < 0 || w >= p.cols) continue;
          float& e = g[(h * p.cols + w) * depth + d];
          e = e * 0.0f;
        }
      }
    }
    if (adjacent) {
      const int64_t covered_rows = p.out_rows * p.k_rows;
      std::memset(g + covered_rows * p.cols * depth, 0, sizeof(float) * (p.rows - covered_rows) * p.cols * depth);
    }
    for (int64_t d = 0; d < depth; ++d) partial[b * depth + d] = acc[d];
  }
}

/**
 * The argmax kernels are split over the intra-op threads from 2^20 (input
 * elements times window positions), not kShardWork: inside a training step,
 * where their inputs are not in cache, two threads took the Keras CNN's
 * (2^22 and 2^21) from 1.15 to 0.86 ms forward and 1.3 to 0.93 ms backward,
 * both pools together (bench/README.md, "Max pooling through the ReLU").
 */
constexpr int64_t kArgmaxShardWork = int64_t{1} << 20;

/** The window's positions must fit the argmax byte (kNoInput excluded). */
static void CheckArgmaxWindow(OpKernelConstruction* ctx, const char* name) {
  std::vector<int32> ksize;
  OP_REQUIRES_OK(ctx, ctx->GetAttr("ksize", &ksize));
  OP_REQUIRES(ctx, ksize.size() == 4 && int64_t{ksize[1]} * ksize[2] < kNoInput,
              errors::InvalidArgument(name, ": a window of at most ", kNoInput - 1, " positions, received ksize [", absl::StrJoin(ksize, ", "), "]"));
}

class DuetMaxPoolArgmaxOp : public PoolOpBase {
 public:
  explicit DuetMaxPoolArgmaxOp(OpKernelConstruction* ctx) : PoolOpBase(ctx, "DuetMaxPoolArgmax") { CheckArgmaxWindow(ctx, name_); }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    PoolShape p;
    OP_REQUIRES_OK(ctx, Geometry(x.shape(), &p));
    const TensorShape pooled({p.batch, p.out_rows, p.out_cols, p.depth});
    Tensor* y = nullptr;
    Tensor* code = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, pooled, &y));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, pooled, &code));
    if (y->NumElements() == 0) return;
    const float* in = x.flat<float>().data();
    float* out = y->flat<float>().data();
    uint8_t* c = code->flat<uint8_t>().data();
    ForImages(ctx, p, x.NumElements() * p.k_rows * p.k_cols, kArgmaxShardWork, [&](int64_t begin, int64_t end) {
      std::vector<float> best(p.depth);
      std::vector<int32_t> arg(p.depth);
      MaxPoolArgmaxImages(p, in, out, c, begin, end, best.data(), arg.data());
    });
  }
};

class DuetMaxPoolGradArgmaxOp : public PoolOpBase {
 public:
  explicit DuetMaxPoolGradArgmaxOp(OpKernelConstruction* ctx) : PoolOpBase(ctx, "DuetMaxPoolGradArgmax") {
    CheckArgmaxWindow(ctx, name_);
    OP_REQUIRES_OK(ctx, ctx->GetAttr("relu", &relu_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& code = ctx->input(0);
    const Tensor& dy = ctx->input(1);
    const Tensor& dims = ctx->input(2);
    OP_REQUIRES(ctx, dims.dims() == 1 && dims.NumElements() == 4,
                errors::InvalidArgument(name_, ": orig_input_shape must be 4 sizes [N, H, W, C], received shape ", dims.shape().DebugString()));
    TensorShape in_shape;
    OP_REQUIRES_OK(ctx, TensorShapeUtils::MakeShape(dims.vec<int32>().data(), 4, &in_shape));
    PoolShape p;
    OP_REQUIRES_OK(ctx, Geometry(in_shape, &p));
    const TensorShape pooled({p.batch, p.out_rows, p.out_cols, p.depth});
    OP_REQUIRES(ctx, code.shape() == pooled && dy.shape() == pooled,
                errors::InvalidArgument(name_, ": argmax and grad must have the pooled output's shape ", pooled.DebugString(), " for orig_input_shape ",
                                        in_shape.DebugString(), ", received ", code.shape().DebugString(), " and ", dy.shape().DebugString()));
    Tensor* dx = nullptr;
    Tensor* db = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, in_shape, &dx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({p.depth}), &db));
    float* bias = db->flat<float>().data();
    std::fill(bias, bias + p.depth, 0.0f);
    if (dx->NumElements() == 0) return;
    if (dy.NumElements() == 0) {
      std::memset(dx->flat<float>().data(), 0, sizeof(float) * dx->NumElements());
      return;
    }
    std::vector<double> partial(p.batch * p.depth);
    const uint8_t* c = code.flat<uint8_t>().data();
    const float* g = dy.flat<float>().data();
    float* out = dx->flat<float>().data();
    ForImages(ctx, p, dx->NumElements() * p.k_rows * p.k_cols, kArgmaxShardWork, [&](int64_t begin, int64_t end) {
      std::vector<int32_t> pos(p.out_cols * p.depth);
      std::vector<float> g0(p.out_cols * p.depth), acc(p.depth);
      MaxPoolGradArgmaxImages(p, c, g, out, relu_, partial.data(), begin, end, pos.data(), g0.data(), acc.data());
    });
    // The images' sums in image order: the same result however the images were split over threads.
    std::vector<double> total(p.depth, 0.0);
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t d = 0; d < p.depth; ++d) total[d] += partial[b * p.depth + d];
    for (int64_t d = 0; d < p.depth; ++d) bias[d] = static_cast<float>(total[d]);
  }

 private:
  bool relu_ = false;
};

REGISTER_KERNEL_BUILDER(Name("DuetMaxPoolArgmax").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetMaxPoolArgmaxOp);
REGISTER_KERNEL_BUILDER(Name("DuetMaxPoolGradArgmax").Device(DEVICE_CPU).TypeConstraint<float>("T"), DuetMaxPoolGradArgmaxOp);

}  // namespace duet
