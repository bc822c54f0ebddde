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
  absl::Status Geometry(const Tensor& x, PoolShape* p) const {
    if (x.dims() != 4) return errors::InvalidArgument(name_, ": orig_input must be [N, H, W, C], received shape ", x.shape().DebugString());
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

/** Runs fn(begin, end) over the batch: on the calling thread below kShardWork, else one block of images per intra-op thread. */
template <typename Fn>
static void ForImages(OpKernelContext* ctx, const PoolShape& p, int64_t work, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int threads = workers == nullptr ? 1 : workers->NumThreads();
  if (threads <= 1 || p.batch < 2 || work < kShardWork) {
    fn(0, p.batch);
    return;
  }
  const int64_t block = (p.batch + threads - 1) / threads;
  workers->ParallelFor(p.batch, thread::ThreadPool::SchedulingParams(thread::ThreadPool::SchedulingStrategy::kFixedBlockSize, std::nullopt, block), fn);
}

class DuetMaxPoolOp : public PoolOpBase {
 public:
  explicit DuetMaxPoolOp(OpKernelConstruction* ctx) : PoolOpBase(ctx, "DuetMaxPool") {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    PoolShape p;
    OP_REQUIRES_OK(ctx, Geometry(x, &p));
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
    OP_REQUIRES_OK(ctx, Geometry(x, &p));
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

}  // namespace duet
