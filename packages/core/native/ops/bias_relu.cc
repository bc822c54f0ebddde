// DuetBiasAddRelu and DuetBiasAddReluGrad: a convolution's bias and ReLU in
// one pass each way (channels last), the same numbers as TensorFlow's BiasAdd
// + Relu forward and ReluGrad + BiasAddGrad backward.
//
// Why: each of those four kernels is one pass over the activation; on the
// Keras CNN (conv outputs [64, 26, 26, 32] and [64, 11, 11, 64]) they are
// bound by memory traffic, and one pass instead of two each way halves it.
//
// Forward: output = relu(value + bias) with Relu's vectorised result: NaN
// stays NaN, a zero of either sign becomes +0. (TensorFlow's Relu keeps -0 in
// the few elements its Eigen loop does not vectorise, the tail of each
// block; a -0 sum needs value and bias both -0.)
// Backward, from the output gradient and the forward output:
//   backprop = grad * (output > 0 ? 1 : 0)   (ReluGrad, -0 and NaN included)
//   bias_grad[c] = sum over rows of backprop[..., c], in BiasAddGrad's order.
// BiasAddGrad (channels last) is ReduceOuterDimensions
// (tensorflow/core/kernels/redux_functor.h) on TensorFlow's intra-op pool:
// with more than 32 channels per thread every row is added in order from +0;
// otherwise the rows are cut into `blocks` consecutive parts, each summed
// in order from +0 into its own buffer, and the buffers added in order. Eigen's
// parallelFor runs the parts as one call (all rows into the first buffer)
// unless its cost model gives it two threads or more. With up to 2 intra-op
// threads this kernel forms the same sums in the same order in its single
// pass, on the calling thread; with more, it writes backprop and then runs
// ReduceOuterDimensions itself.
#include <algorithm>
#include <cstring>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/kernels/redux_functor.h"

namespace duet {
using namespace tensorflow;

REGISTER_OP("DuetBiasAddRelu")
    .Input("value: float")
    .Input("bias: float")
    .Output("output: float")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    })
    .Doc("Relu(BiasAdd(value, bias)) with the bias on the last dim: the same numbers as the two kernels.");

REGISTER_OP("DuetBiasAddReluGrad")
    .Input("grad: float")
    .Input("output: float")
    .Output("backprop: float")
    .Output("bias_grad: float")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      shape_inference::ShapeHandle s;
      TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(0), 2, &s));
      c->set_output(1, c->Vector(c->Dim(s, -1)));
      return absl::OkStatus();
    })
    .Doc("ReluGrad(grad, output) and BiasAddGrad of it (bias on the last dim): the same numbers as the two kernels.");

class DuetBiasAddReluOp : public OpKernel {
 public:
  explicit DuetBiasAddReluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& bias = ctx->input(1);
    OP_REQUIRES(ctx, x.dims() >= 2, errors::InvalidArgument("DuetBiasAddRelu: value must be at least 2-d [..., C], received shape ", x.shape().DebugString()));
    const int64_t c = x.dim_size(x.dims() - 1);
    OP_REQUIRES(ctx, bias.dims() == 1 && bias.dim_size(0) == c,
                errors::InvalidArgument("DuetBiasAddRelu: bias must be a vector of ", c, " (value's last dim, value ", x.shape().DebugString(), "), received shape ",
                                        bias.shape().DebugString()));
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    const int64_t rows = c == 0 ? 0 : x.NumElements() / c;
    const float* __restrict in = x.flat<float>().data();
    const float* __restrict b = bias.flat<float>().data();
    float* __restrict out = y->flat<float>().data();
    for (int64_t r = 0; r < rows; ++r) {
      const float* xi = in + r * c;
      float* yi = out + r * c;
      for (int64_t k = 0; k < c; ++k) {
        const float v = xi[k] + b[k];
        yi[k] = (v > 0.0f || v != v) ? v : 0.0f;
      }
    }
  }
};

/** rows [lo, hi) of grad and output: backprop written, and its column sums added (in row order) into acc. */
static void ReluGradRows(const float* __restrict g, const float* __restrict y, float* __restrict dz, float* __restrict acc, int64_t lo, int64_t hi, int64_t c) {
  for (int64_t r = lo; r < hi; ++r) {
    const float* gi = g + r * c;
    const float* yi = y + r * c;
    float* di = dz + r * c;
    for (int64_t k = 0; k < c; ++k) {
      // ReluGrad's factor (output > 0) as 1.0f or 0.0f, built from bits so that the loop vectorises
      const uint32_t one_bits = 0x3f800000u & -static_cast<uint32_t>(yi[k] > 0.0f);
      float one;
      std::memcpy(&one, &one_bits, sizeof one);
      const float d = gi[k] * one;
      di[k] = d;
      acc[k] += d;
    }
  }
}

class DuetBiasAddReluGradOp : public OpKernel {
 public:
  explicit DuetBiasAddReluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& g = ctx->input(0);
    const Tensor& y = ctx->input(1);
    OP_REQUIRES(ctx, g.dims() >= 2, errors::InvalidArgument("DuetBiasAddReluGrad: grad must be at least 2-d [..., C], received shape ", g.shape().DebugString()));
    OP_REQUIRES(ctx, y.shape() == g.shape(),
                errors::InvalidArgument("DuetBiasAddReluGrad: output must have grad's shape ", g.shape().DebugString(), ", received ", y.shape().DebugString()));
    const int64_t c = g.dim_size(g.dims() - 1);
    Tensor* dz = nullptr;
    Tensor* db = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, g.shape(), &dz));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({c}), &db));
    const int64_t rows = c == 0 ? 0 : g.NumElements() / c;
    float* bias_grad = db->flat<float>().data();
    if (rows == 0) {  // BiasAddGrad of an empty gradient: zeros
      std::fill(bias_grad, bias_grad + c, 0.0f);
      return;
    }
    const float* gp = g.flat<float>().data();
    const float* yp = y.flat<float>().data();
    float* dp = dz->flat<float>().data();
    if (rows == 1) {  // BiasAddGrad passes a single row through, without adding it to +0
      std::vector<float> scratch(c, 0.0f);
      ReluGradRows(gp, yp, dp, scratch.data(), 0, 1, c);
      std::memcpy(bias_grad, dp, sizeof(float) * c);
      return;
    }
    const Eigen::ThreadPoolDevice& device = ctx->eigen_device<Eigen::ThreadPoolDevice>();
    const int64_t threads = device.numThreads();
    if (threads > 2) {
      std::vector<float> unused(c, 0.0f);
      ReluGradRows(gp, yp, dp, unused.data(), 0, rows, c);
      const Eigen::DSizes<Eigen::Index, 2> dims(rows, c);
      functor::ReduceOuterDimensions<float, float, float, Eigen::internal::scalar_sum_op<float>>()(device, dims, *dz, db);
      return;
    }
    const int64_t blocks = BiasGradBlocks(rows, c, threads);
    const int64_t parts_n = blocks < 0 ? -blocks : blocks;
    const int64_t per_block = (rows + parts_n - 1) / parts_n;
    std::vector<float> parts(parts_n * c, 0.0f);
    if (blocks < 0) {  // one call over every part: all rows into the first buffer, the others stay +0
      ReluGradRows(gp, yp, dp, parts.data(), 0, rows, c);
    } else {
      for (int64_t k = 0; k < parts_n; ++k) ReluGradRows(gp, yp, dp, parts.data() + k * c, std::min(rows, k * per_block), std::min(rows, (k + 1) * per_block), c);
    }
    for (int64_t k = 1; k < parts_n; ++k)
      for (int64_t j = 0; j < c; ++j) parts[j] += parts[k * c + j];
    std::memcpy(bias_grad, parts.data(), sizeof(float) * c);
  }

 private:
  /**
   * BiasAddGrad's partial sums over `rows` rows of `c` channels on `threads`
   * (<= 2) threads: the number of consecutive parts, negative when Eigen's
   * parallelFor runs them as one call (its cost model: per part, 11/64 cycle
   * per byte loaded + 1 per add; one thread below 100,000 + 110,000 cycles).
   */
  static int64_t BiasGradBlocks(int64_t rows, int64_t c, int64_t threads) {
    if (c > threads * 32) return 1;
    const int64_t min_rows = (2000 + c - 1) / c;
    const int64_t blocks = std::min({rows, (rows * c + min_rows - 1) / min_rows, threads});
    if (blocks <= 1) return 1;
    const double per_part = static_cast<double>((rows + blocks - 1) / blocks * c);
    const double cycles = blocks * per_part * (4.0 * 11.0 / 64.0 + 1.0);
    const double eigen_threads = (cycles - 100000.0) / 100000.0 + 0.9;
    return eigen_threads >= 2.0 ? blocks : -blocks;
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetBiasAddRelu").Device(DEVICE_CPU), DuetBiasAddReluOp);
REGISTER_KERNEL_BUILDER(Name("DuetBiasAddReluGrad").Device(DEVICE_CPU), DuetBiasAddReluGradOp);

}  // namespace duet
