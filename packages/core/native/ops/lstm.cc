// DuetLSTMSequence / DuetLSTMSequenceGrad: one layer and one direction of
// PyTorch's LSTM over a whole sequence, forward and backward, each in one kernel
// (docs/design/rnn.md, docs/design/custom-ops.md; issue 14).
//
// Why: TensorFlow's BlockLSTMV2 multiplies [x_t, h_{t-1}] by the whole
// [I + H, 4H] weight at every step (the input projection is not batched over
// steps) and its backward is either BlockLSTMGradV2 (slow for large weights) or
// LSTMBlockCellGrad + MatMul per step (~3 kernel dispatches per step, each
// MatMul waking the thread pool for a [N, 4H] x [4H, H] product). Here:
// - forward: the input projection of every step X [T N, I] x W_ih^T as
//   large products (one per chunk of 5 steps); then per step gates_t +=
//   h_{t-1} W_hh^T (on the calling thread) and the cell math, written straight
//   into the outputs;
// - backward: per step the cell's gradient and dh_{t-1} = dgates_t W_hh (calling
//   thread); dx in ONE product over all steps; dW_ih, dW_hh and the bias
//   gradient in one product or sum per chunk of steps.
//
// PyTorch's math and layout: gates i, f, g, o (rows of weight_ih [4H, I] and
// weight_hh [4H, H]), two biases [4H]:
//   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
//   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
// with . = x_t W_ih^T + h_{t-1} W_hh^T + (b_ih + b_hh). With `reverse` the
// steps run from the last to the first (the reverse direction of a
// bidirectional LSTM); every output stays in time order.
//
// Products: float32 GEMM with an AVX-512 register-blocked kernel where the CPU
// has AVX-512F (chosen at run time; measured 55 us for a [20, 200] x [200, 800]
// step product on one core here, against 71 us for Eigen's GEMM and ~150 us
// for an eager TensorFlow MatMul), else Eigen's GEMM (rnn_common.h). The
// recurrence, with its per-step products (3.2M multiply-adds in the benchmark),
// runs on the calling thread: waking the pool costs tens of microseconds here.
// The large products run beside it on one intra-op pool thread, chunk by chunk
// of steps: the input projection ahead of the forward recurrence, the weight
// gradients behind the backward one (which then computes dx).
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

// ---------------------------------------------------------------------------
// Shapes and checks shared by both ops.

// ---------------------------------------------------------------------------
// Forward.

REGISTER_OP("DuetLSTMSequence")
    .Input("x: float")
    .Input("weight_ih: float")
    .Input("weight_hh: float")
    .Input("bias_ih: float")
    .Input("bias_hh: float")
    .Input("h0: float")
    .Input("c0: float")
    .Output("hc: float")
    .Output("gates: float")
    .Output("cs: float")
    .Attr("reverse: bool = false")
    .Attr("portable_gemm: bool = false")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      using shape_inference::DimensionHandle;
      using shape_inference::ShapeHandle;
      ShapeHandle x, w_hh;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 3, &x));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 2, &w_hh));
      DimensionHandle t = c->Dim(x, 0), n = c->Dim(x, 1), h = c->Dim(w_hh, 1), t1, h4;
      TF_RETURN_IF_ERROR(c->Add(t, 1, &t1));
      TF_RETURN_IF_ERROR(c->Multiply(h, 4, &h4));
      c->set_output(0, c->MakeShape({t1, n, h}));
      c->set_output(1, c->MakeShape({t, n, h4}));
      c->set_output(2, c->MakeShape({t, n, h}));
      return absl::OkStatus();
    })
    .Doc(R"doc(
One layer and direction of PyTorch's LSTM over a whole sequence (gates i, f, g, o).
x [T, N, I], weight_ih [4H, I], weight_hh [4H, H], bias_ih and bias_hh [4H], h0 and c0 [N, H].
hc [T + 1, N, H]: h of every step in time order, then the last processed step's c.
gates [T, N, 4H]: i, f, g, o after their activations; cs [T, N, H]: c of every step (both for the backward).
reverse: run from the last step to the first.
portable_gemm: use Eigen's GEMM even where the CPU has AVX-512 (the same math; for tests).
)doc");

class DuetLSTMSequenceOp : public RecurrentOpKernel {
 public:
  using RecurrentOpKernel::RecurrentOpKernel;

  void Compute(OpKernelContext* ctx) override {
    const char* op = "DuetLSTMSequence";
    const Tensor &x = ctx->input(0), &w_ih = ctx->input(1), &w_hh = ctx->input(2), &b_ih = ctx->input(3), &b_hh = ctx->input(4), &h0 = ctx->input(5),
                 &c0 = ctx->input(6);
    SequenceDims d;
    OP_REQUIRES_OK(ctx, CheckSequenceInputs(op, 4, x, w_ih, w_hh, {&h0, &c0}, &d));
    const int64_t T = d.T, N = d.N, I = d.I, H = d.H, G = 4 * H;
    const bool avx512 = avx512_;
    OP_REQUIRES_OK(ctx, CheckShape(op, "bias_ih", b_ih, {G}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "bias_hh", b_hh, {G}));

    Tensor *hc_t, *gates_t, *cs_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({T + 1, N, H}), &hc_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({T, N, G}), &gates_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({T, N, H}), &cs_t));
    if (N == 0 || H == 0) return;
    float* hc = hc_t->flat<float>().data();
    float* gates = gates_t->flat<float>().data();
    float* cs = cs_t->flat<float>().data();

    // W_ih^T [I, 4H] and W_hh^T [H, 4H]: the products' right operands, row-major.
    Tensor wt_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(DT_FLOAT, TensorShape({(I + H) * G}), &wt_t));
    float* w_ih_t = wt_t.flat<float>().data();
    float* w_hh_t = w_ih_t + I * G;
    Transpose(w_ih.flat<float>().data(), G, I, w_ih_t);
    Transpose(w_hh.flat<float>().data(), G, H, w_hh_t);
    std::vector<float> bias(G);
    ConstVec bi(b_ih.flat<float>().data(), G), bh(b_hh.flat<float>().data(), G);
    Vec(bias.data(), G) = bi + bh;
    ConstVec b(bias.data(), G);

    // The input projection gates = X W_ih^T [T N, 4H] beside the recurrence, which adds h_{t-1} W_hh^T and runs the cell.
    const float* h_prev = h0.flat<float>().data();
    const float* c_prev = c0.flat<float>().data();
    ForwardAhead(ctx, avx512, reverse_, T, N, I, G, x.flat<float>().data(), w_ih_t, gates, [&](int64_t s) {
      const int64_t t = reverse_ ? T - 1 - s : s;
      float* gt = gates + t * N * G;
      float* ht = hc + t * N * H;
      float* ct = cs + t * N * H;
      Gemm(avx512, N, H, G, h_prev, H, 1, w_hh_t, G, gt, G, true);  // gates_t += h_{t-1} W_hh^T
      for (int64_t n = 0; n < N; ++n) {
        Vec g(gt + n * G, G);
        g += b;
        g.head(2 * H) = g.head(2 * H).logistic();
        g.segment(2 * H, H) = g.segment(2 * H, H).tanh();
        g.tail(H) = g.tail(H).logistic();
        Vec c(ct + n * H, H);
        c = g.segment(H, H) * ConstVec(c_prev + n * H, H) + g.head(H) * g.segment(2 * H, H);
        Vec(ht + n * H, H) = g.tail(H) * c.tanh();
      }
      h_prev = ht;
      c_prev = ct;
    });
    std::memcpy(hc + T * N * H, c_prev, sizeof(float) * N * H);
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetLSTMSequence").Device(DEVICE_CPU), DuetLSTMSequenceOp);

// ---------------------------------------------------------------------------
// Backward.

REGISTER_OP("DuetLSTMSequenceGrad")
    .Input("x: float")
    .Input("weight_ih: float")
    .Input("weight_hh: float")
    .Input("h0: float")
    .Input("c0: float")
    .Input("hc: float")
    .Input("gates: float")
    .Input("cs: float")
    .Input("dhc: float")
    .Output("dx: float")
    .Output("dweight_ih: float")
    .Output("dweight_hh: float")
    .Output("dbias: float")
    .Output("dh0: float")
    .Output("dc0: float")
    .Attr("reverse: bool = false")
    .Attr("portable_gemm: bool = false")
    .SetShapeFn([](shape_inference::InferenceContext* c) { return SequenceGradShape(c, 1, 2); })
    .Doc(R"doc(
The gradients of DuetLSTMSequence: x, weight_ih, weight_hh, h0, c0 and hc, gates, cs are the forward's
inputs and outputs; dhc [T + 1, N, H] is the gradient of hc (the gradient of each step's h, the last
processed step's already including that of the final hidden state; then the final cell state's).
dbias [4H] is the gradient of each of the two biases. reverse and portable_gemm as in DuetLSTMSequence.
)doc");

class DuetLSTMSequenceGradOp : public RecurrentOpKernel {
 public:
  using RecurrentOpKernel::RecurrentOpKernel;

  void Compute(OpKernelContext* ctx) override {
    const char* op = "DuetLSTMSequenceGrad";
    const Tensor &x = ctx->input(0), &w_ih = ctx->input(1), &w_hh = ctx->input(2), &h0 = ctx->input(3), &c0 = ctx->input(4), &hc_t = ctx->input(5),
                 &gates_t = ctx->input(6), &cs_t = ctx->input(7), &dhc_t = ctx->input(8);
    SequenceDims d;
    OP_REQUIRES_OK(ctx, CheckSequenceInputs(op, 4, x, w_ih, w_hh, {&h0, &c0}, &d));
    const int64_t T = d.T, N = d.N, I = d.I, H = d.H, G = 4 * H;
    const bool avx512 = avx512_;
    OP_REQUIRES_OK(ctx, CheckShape(op, "hc", hc_t, {T + 1, N, H}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "gates", gates_t, {T, N, G}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "cs", cs_t, {T, N, H}));
    OP_REQUIRES_OK(ctx, CheckShape(op, "dhc", dhc_t, {T + 1, N, H}));

    Tensor *dx_t, *dw_ih_t, *dw_hh_t, *db_t, *dh0_t, *dc0_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, w_ih.shape(), &dw_ih_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, w_hh.shape(), &dw_hh_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({G}), &db_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, h0.shape(), &dh0_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(5, c0.shape(), &dc0_t));
    float* dx = dx_t->flat<float>().data();
    float* dw_ih = dw_ih_t->flat<float>().data();
    float* dw_hh = dw_hh_t->flat<float>().data();
    float* db = db_t->flat<float>().data();
    float* dh = dh0_t->flat<float>().data();  // dh_{t-1} of the step being processed; dh0 at the end
    float* dc = dc0_t->flat<float>().data();  // likewise for c
    const float* hc = hc_t.flat<float>().data();
    const float* gates = gates_t.flat<float>().data();
    const float* cs = cs_t.flat<float>().data();
    const float* dhc = dhc_t.flat<float>().data();
    const float* x_ = x.flat<float>().data();
    const float* w_ih_ = w_ih.flat<float>().data();
    const float* w_hh_ = w_hh.flat<float>().data();
    const float* h0_ = h0.flat<float>().data();
    const float* c0_ = c0.flat<float>().data();
    if (N == 0 || H == 0) {
      for (Tensor* o : {dx_t, dw_ih_t, dw_hh_t, db_t}) std::memset(o->data(), 0, o->TotalBytes());
      return;
    }

    // The gate gradients (before the activations) of every step, [T N, 4H].
    Tensor dg_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(DT_FLOAT, TensorShape({T * N * G}), &dg_t));
    float* dgates = dg_t.flat<float>().data();
    std::vector<float> dh_step(H);

    std::memset(dh, 0, sizeof(float) * N * H);
    std::memcpy(dc, dhc + T * N * H, sizeof(float) * N * H);
    const BackwardBuffers buffers{x_, w_ih_, hc, h0_, dgates, dgates, dx, dw_ih, dw_hh, db, nullptr};
    BackwardBeside(ctx, avx512, reverse_, T, N, I, H, G, buffers, [&](int64_t s) {
      const int64_t t = reverse_ ? T - 1 - s : s;
      const int64_t tp = reverse_ ? t + 1 : t - 1;  // the step processed before t (when s > 0)
      const float* cprev = s > 0 ? cs + tp * N * H : c0_;
      float* dgt = dgates + t * N * G;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t r = (t * N + n);
        ConstVec gi(gates + r * G, H), gf(gates + r * G + H, H), gg(gates + r * G + 2 * H, H), go(gates + r * G + 3 * H, H);
        ConstVec c(cs + r * H, H), cp(cprev + n * H, H);
        Vec dhn(dh + n * H, H), dcn(dc + n * H, H), tmp(dh_step.data(), H);
        // dh_t = the output's gradient + the recurrent one; tmp = tanh(c_t).
        dhn += ConstVec(dhc + r * H, H);
        tmp = c.tanh();
        Vec di(dgt + n * G, H), df(dgt + n * G + H, H), dgg(dgt + n * G + 2 * H, H), dout(dgt + n * G + 3 * H, H);
        dout = dhn * tmp * go * (1.0f - go);
        dcn += dhn * go * (1.0f - tmp * tmp);
        di = dcn * gg * gi * (1.0f - gi);
        df = dcn * cp * gf * (1.0f - gf);
        dgg = dcn * gi * (1.0f - gg * gg);
        dcn *= gf;
      }
      Gemm(avx512, N, G, H, dgt, G, 1, w_hh_, H, dh, H, false);  // dh_{t-1} = dgates_t W_hh
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("DuetLSTMSequenceGrad").Device(DEVICE_CPU), DuetLSTMSequenceGradOp);

}  // namespace duet
