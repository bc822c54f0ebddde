// DuetMatMul: a float matrix product on the calling thread, for the small
// products of a training step when TensorFlow runs without oneDNN.
//
// Why: with oneDNN off (TF_ENABLE_ONEDNN_OPTS=0, or a CPU where TensorFlow
// does not turn it on) TensorFlow's eager MatMul is an Eigen tensor contraction
// split over the intra-op pool, whose wake-up costs more than a small product
// (bench/README.md, "Duet's own kernels on the seed MLP"). This kernel runs
// Eigen's matrix product (the same blocked GEMM family, compiled here with
// AVX2 and FMA where the CPU has them) on the calling thread. kernels/basic.ts
// uses it only with oneDNN off and below a size; with oneDNN on, TensorFlow's
// oneDNN MatMul is faster and is kept.
//
// The sum over k runs in another order than TensorFlow's (whose own result
// also depends on its thread count), so results agree to float rounding.
#include "Eigen/Core"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace duet {
using namespace tensorflow;

REGISTER_OP("DuetMatMul")
    .Input("a: float")
    .Input("b: float")
    .Output("product: float")
    .Attr("transpose_a: bool = false")
    .Attr("transpose_b: bool = false")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      bool ta, tb;
      TF_RETURN_IF_ERROR(c->GetAttr("transpose_a", &ta));
      TF_RETURN_IF_ERROR(c->GetAttr("transpose_b", &tb));
      shape_inference::ShapeHandle a, b;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 2, &a));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &b));
      c->set_output(0, c->Matrix(c->Dim(a, ta ? 1 : 0), c->Dim(b, tb ? 0 : 1)));
      return absl::OkStatus();
    })
    .Doc("MatMul's product (each operand optionally transposed) on the calling thread.");

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor>;
using Map = Eigen::Map<RowMajor>;

class DuetMatMulOp : public OpKernel {
 public:
  explicit DuetMatMulOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose_a", &ta_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose_b", &tb_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& a = ctx->input(0);
    const Tensor& b = ctx->input(1);
    OP_REQUIRES(ctx, a.dims() == 2 && b.dims() == 2,
                errors::InvalidArgument("DuetMatMul: expected two matrices, received shapes ", a.shape().DebugString(), " and ", b.shape().DebugString()));
    const int64_t m = a.dim_size(ta_ ? 1 : 0), k = a.dim_size(ta_ ? 0 : 1);
    const int64_t kb = b.dim_size(tb_ ? 1 : 0), n = b.dim_size(tb_ ? 0 : 1);
    OP_REQUIRES(ctx, k == kb,
                errors::InvalidArgument("DuetMatMul: inner dimensions differ: a ", a.shape().DebugString(), ta_ ? " transposed" : "", " and b ",
                                        b.shape().DebugString(), tb_ ? " transposed" : ""));
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({m, n}), &out));
    if (m == 0 || n == 0) return;
    Map c(out->flat<float>().data(), m, n);
    if (k == 0) {
      c.setZero();
      return;
    }
    ConstMap am(a.flat<float>().data(), a.dim_size(0), a.dim_size(1));
    ConstMap bm(b.flat<float>().data(), b.dim_size(0), b.dim_size(1));
    if (!ta_ && !tb_) c.noalias() = am * bm;
    else if (ta_ && !tb_) c.noalias() = am.transpose() * bm;
    else if (!ta_ && tb_) c.noalias() = am * bm.transpose();
    else c.noalias() = am.transpose() * bm.transpose();
  }

 private:
  bool ta_, tb_;
};

REGISTER_KERNEL_BUILDER(Name("DuetMatMul").Device(DEVICE_CPU), DuetMatMulOp);

}  // namespace duet
