// DuetGRUSequence / DuetGRUSequenceGrad: one layer and one direction of
// PyTorch's GRU over a whole sequence, forward and backward, each in one kernel
// (docs/design/rnn.md, docs/design/custom-ops.md; issue 14).
//
// Why: TensorFlow has no kernel for PyTorch's GRU (GRUBlockCell applies the
// reset gate before the recurrent product), so Duet ran it on plain kernels:
// 15 per step forward and 7 backward, each a dispatch of tens of
// microseconds. Here, as in lstm.cc: the input projection of every step is ONE
// product X [T N, I] x W_ih^T, the recurrence runs in C++ (per step one
// [N, H] x [H, 3H] product on the calling thread and the cell math), and the
// backward computes the gate gradients step by step, then dx, dW_ih, dW_hh and
// both bias gradients each in one product or sum over all steps.
//
// PyTorch's math and layout: gates r, z, n (rows of weight_ih [3H, I] and
// weight_hh [3H, H]), two biases [3H]:
//   gi = x_t W_ih^T + b_ih,  gh = h_{t-1} W_hh^T + b_hh
//   r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z)
//   n = tanh(gi_n + r gh_n)           (r applied to W_hn h + b_hn)
//   h_t = (1 - z) n + z h_{t-1} = n + z (h_{t-1} - n)
// With `reverse` the steps run from the last to the first; outputs stay in
// time order.
#include <cstdint>
#include <cstring>
#include <vector>

#include "rnn_common.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor.h"

namespace duet {
using namespace tensorflow;

REGISTER_OP("DuetGRUSequence")
    .Input("x: float")
    .Input("weight_ih: float")
    .Input("weight_hh: float")
    .Input("bias_ih: float")
    .Input("bias_hh: float")
    .Input("h0: float")
    .Output("y: float")
    .Output("saved: float")
    .Attr("reverse: bool = false")
    .Attr("portable_gemm: bool = false")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      shape_inference::ShapeHandle x, w_hh;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 3, &x));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 2, &w_hh));
      shape_inference::DimensionHandle h4;
      TF_RETURN_IF_ERROR(c->Multiply(c->Dim(w_hh, 1), 4, &h4));
      c->set_output(0, c->MakeShape({c->Dim(x, 0), c->Dim(x, 1), c->Dim(w_hh, 1)}));
      c->set_output(1, c->MakeShape({c->Dim(x, 0), c->Dim(x, 1), h4}));
      return absl::OkStatus();
    })
    .Doc(R"doc(
One layer and direction of PyTorch's GRU over a whole sequence (gates r, z, n).
x [T, N, I], weight_ih [3H, I], weight_hh [3H, H], bias_ih and bias_hh [3H], h0 [N, H].
y [T, N, H]: h of every step in time order. saved [T, N, 4H]: r, z, n and h W_hn^T + b_hn of every step (for the backward).
reverse: run from the last step to the first. portable_gemm: use Eigen's GEMM even where the CPU has AVX-512 (for tests).
)doc");

class DuetGRUSequenceOp : public RecurrentOpKernel {
 public:
  using RecurrentOpKernel::RecurrentOpKernel;

  void Compute(OpKernelContext* ctx) override {
    const char* op = "DuetGRUSequence";
    const Tensor &x = ctx->input(0), &w_ih = ctx->input(1), &w_hh = ctx->input(2), &b_ih = ctx->input(3), &b_hh = ctx->input(4), &h0 = ctx->input(5);
    SequenceDims d;
    OP_REQUIRES_OK(ctx, CheckSequenceInputs(op, 3, x, w_ih, w_hh, {&h0}, &d));
    const int64_t T = d.T, N = d.N, I = d.I, H = d.H, G = 3 * H;
    OP_REQUIRES_OK(ctx, CheckShape(op, "bias_ih", b_ih, {G}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "bias_hh", b_hh, {G}));
    Tensor *y_t, *saved_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({T, N, H}), &y_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({T, N, 4 * H}), &saved_t));
    if (N == 0 || H == 0) return;
    float* y = y_t->flat<float>().data();
    float* saved = saved_t->flat<float>().data();

    // W_ih^T [I, 3H], W_hh^T [H, 3H]; gi = X W_ih^T of every step [T N, 3H]; gh of one step [N, 3H].
    Tensor tmp_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(DT_FLOAT, TensorShape({(I + H) * G + T * N * G + N * G}), &tmp_t));
    float* w_ih_t = tmp_t.flat<float>().data();
    float* w_hh_t = w_ih_t + I * G;
    float* gi = w_hh_t + H * G;
    float* gh = gi + T * N * G;
    Transpose(w_ih.flat<float>().data(), G, I, w_ih_t);
    Transpose(w_hh.flat<float>().data(), G, H, w_hh_t);
    ConstVec bi(b_ih.flat<float>().data(), G), bh(b_hh.flat<float>().data(), G);
    const float* h_prev = h0.flat<float>().data();
    ForwardAhead(ctx, avx512_, reverse_, T, N, I, G, x.flat<float>().data(), w_ih_t, gi, [&](int64_t s) {
      const int64_t t = reverse_ ? T - 1 - s : s;
      Gemm(avx512_, N, H, G, h_prev, H, 1, w_hh_t, G, gh, G, false);  // gh = h_{t-1} W_hh^T
      for (int64_t n = 0; n < N; ++n) {
        const int64_t row = t * N + n;
        Vec i_row(gi + row * G, G), h_row(gh + n * G, G);
        i_row += bi;
        h_row += bh;
        float* sv = saved + row * 4 * H;
        Vec r(sv, H), z(sv + H, H), nn(sv + 2 * H, H), ghn(sv + 3 * H, H);
        r = (i_row.head(H) + h_row.head(H)).logistic();
        z = (i_row.segment(H, H) + h_row.segment(H, H)).logistic();
        ghn = h_row.tail(H);
        nn = (i_row.tail(H) + r * ghn).tanh();
        Vec(y + row * H, H) = nn + z * (ConstVec(h_prev + n * H, H) - nn);
      }
      h_prev = y + t * N * H;
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetGRUSequence").Device(DEVICE_CPU), DuetGRUSequenceOp);

REGISTER_OP("DuetGRUSequenceGrad")
    .Input("x: float")
    .Input("weight_ih: float")
    .Input("weight_hh: float")
    .Input("h0: float")
    .Input("y: float")
    .Input("saved: float")
    .Input("dy: float")
    .Output("dx: float")
    .Output("dweight_ih: float")
    .Output("dweight_hh: float")
    .Output("dbias_ih: float")
    .Output("dbias_hh: float")
    .Output("dh0: float")
    .Attr("reverse: bool = false")
    .Attr("portable_gemm: bool = false")
    .SetShapeFn([](shape_inference::InferenceContext* c) { return SequenceGradShape(c, 2, 1); })
    .Doc(R"doc(
The gradients of DuetGRUSequence: x, weight_ih, weight_hh, h0 and y, saved are the forward's inputs and
outputs; dy [T, N, H] is the gradient of y (the final state's included in its step). reverse and
portable_gemm as in DuetGRUSequence.
)doc");

class DuetGRUSequenceGradOp : public RecurrentOpKernel {
 public:
  using RecurrentOpKernel::RecurrentOpKernel;

  void Compute(OpKernelContext* ctx) override {
    const char* op = "DuetGRUSequenceGrad";
    const Tensor &x = ctx->input(0), &w_ih = ctx->input(1), &w_hh = ctx->input(2), &h0 = ctx->input(3), &y_t = ctx->input(4), &saved_t = ctx->input(5),
                 &dy_t = ctx->input(6);
    SequenceDims d;
    OP_REQUIRES_OK(ctx, CheckSequenceInputs(op, 3, x, w_ih, w_hh, {&h0}, &d));
    const int64_t T = d.T, N = d.N, I = d.I, H = d.H, G = 3 * H;
    OP_REQUIRES_OK(ctx, CheckShape(op, "y", y_t, {T, N, H}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "saved", saved_t, {T, N, 4 * H}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "dy", dy_t, {T, N, H}));
    Tensor *dx_t, *dw_ih_t, *dw_hh_t, *db_ih_t, *db_hh_t, *dh0_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, w_ih.shape(), &dw_ih_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, w_hh.shape(), &dw_hh_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({G}), &db_ih_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({G}), &db_hh_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(5, h0.shape(), &dh0_t));
    if (N == 0 || H == 0) {
      for (Tensor* o : {dx_t, dw_ih_t, dw_hh_t, db_ih_t, db_hh_t}) std::memset(o->data(), 0, o->TotalBytes());
      return;
    }
    const float* y = y_t.flat<float>().data();
    const float* saved = saved_t.flat<float>().data();
    const float* dy = dy_t.flat<float>().data();
    const float* h0_ = h0.flat<float>().data();
    float* dh = dh0_t->flat<float>().data();  // the gradient reaching h_{t-1}; dh0 at the end

    // The gradients of gi and gh (after their biases) of every step, [T N, 3H] each.
    Tensor tmp_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(DT_FLOAT, TensorShape({2 * T * N * G}), &tmp_t));
    float* dgi = tmp_t.flat<float>().data();
    float* dgh = dgi + T * N * G;
    std::vector<float> dh_t(H);
    std::memset(dh, 0, sizeof(float) * N * H);
    const BackwardBuffers buffers{x.flat<float>().data(), w_ih.flat<float>().data(), y, h0_, dgi, dgh, dx_t->flat<float>().data(), dw_ih_t->flat<float>().data(),
                                  dw_hh_t->flat<float>().data(), db_ih_t->flat<float>().data(), db_hh_t->flat<float>().data()};
    BackwardBeside(ctx, avx512_, reverse_, T, N, I, H, G, buffers, [&](int64_t s) {
      const int64_t t = reverse_ ? T - 1 - s : s;
      const int64_t tp = reverse_ ? t + 1 : t - 1;
      const float* hprev = s > 0 ? y + tp * N * H : h0_;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t row = t * N + n;
        const float* sv = saved + row * 4 * H;
        ConstVec r(sv, H), z(sv + H, H), nn(sv + 2 * H, H), ghn(sv + 3 * H, H), hp(hprev + n * H, H);
        Vec g(dh_t.data(), H), carry(dh + n * H, H);
        g = carry + ConstVec(dy + row * H, H);  // dh_t
        float* gi_row = dgi + row * G;
        float* gh_row = dgh + row * G;
        Vec da(gi_row + 2 * H, H), dr(gi_row, H), dz(gi_row + H, H);
        da = g * (1.0f - z) * (1.0f - nn * nn);
        dr = da * ghn * r * (1.0f - r);
        dz = g * (hp - nn) * z * (1.0f - z);
        Vec(gh_row, 2 * H) = Vec(gi_row, 2 * H);
        Vec(gh_row + 2 * H, H) = da * r;
        carry = g * z;  // the direct path to h_{t-1}; the recurrent product is added below
      }
      Gemm(avx512_, N, G, H, dgh + t * N * G, G, 1, w_hh.flat<float>().data(), H, dh, H, true);  // += dgh_t W_hh
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetGRUSequenceGrad").Device(DEVICE_CPU), DuetGRUSequenceGradOp);

}  // namespace duet
