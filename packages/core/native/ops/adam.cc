// DuetApplyAdam: TensorFlow's ResourceApplyAdam (use_nesterov=false) on N
// parameters in one kernel.
//
// Why: an eager ResourceApplyAdam costs its dispatch plus a thread-pool wake
// per parameter, which on a small model is most of the optimizer's time (a
// 1,280-element update took ~50 us, a 100k one ~100 us). This kernel updates
// every parameter in one pass over one index space: small models run on the
// calling thread, large ones are split over TensorFlow's intra-op pool.
//
// The update of each element is ResourceApplyAdam's, in the same order of
// float operations (tensorflow/core/kernels/training_ops.cc, ApplyAdamNonCuda):
//   alpha = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
//   m += (g - m) * (1 - beta1)
//   v += (g * g - v) * (1 - beta2)
//   var -= (m * alpha) / (sqrt(v) + epsilon)
// With PyTorch's AdamW each parameter is first multiplied by its decay factor
// (`p.mul_(1 - lr * weight_decay)`, a Mul then an AssignVariableOp per
// parameter before): var = var * decay, then the update above.
// The scalars arrive in one float tensor `hyper` = [lr, beta1, beta2,
// epsilon, beta1_power, beta2_power, decay], so a step uploads one small
// tensor instead of seven scalars, and the kernel is cached once (no
// attribute changes). decay = 1 leaves var as it is (x * 1 is exact).
#include <cmath>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "variable_update.h"

namespace duet {
using namespace tensorflow;

// One contiguous run of elements; plain arguments so that the compiler vectorises it.
static void AdamRange(float* __restrict p, float* __restrict m, float* __restrict v, const float* __restrict g, int64_t n, float alpha,
                      float one_minus_b1, float one_minus_b2, float eps, float decay) {
  for (int64_t k = 0; k < n; ++k) {
    const float pk = p[k] * decay;
    const float mk = m[k] + (g[k] - m[k]) * one_minus_b1;
    const float vk = v[k] + (g[k] * g[k] - v[k]) * one_minus_b2;
    m[k] = mk;
    v[k] = vk;
    p[k] = pk - (mk * alpha) / (std::sqrt(vk) + eps);
  }
}

REGISTER_OP("DuetApplyAdam")
    .Input("var: N * resource")
    .Input("m: N * resource")
    .Input("v: N * resource")
    .Input("grad: N * float")
    .Input("hyper: float")
    .Attr("N: int >= 1")
    .SetShapeFn([](shape_inference::InferenceContext*) { return absl::OkStatus(); })
    .Doc("ResourceApplyAdam (no Nesterov) on N parameters in one kernel, after an optional decoupled decay. hyper = [lr, beta1, beta2, epsilon, beta1_power, beta2_power, decay].");

class DuetApplyAdamOp : public OpKernel {
 public:
  explicit DuetApplyAdamOp(OpKernelConstruction* ctx) : OpKernel(ctx) { OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &n_)); }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& hyper = ctx->input(4 * n_);
    OP_REQUIRES(ctx, hyper.dims() == 1 && hyper.NumElements() == 7,
                errors::InvalidArgument("DuetApplyAdam: hyper must be a float vector of 7 [lr, beta1, beta2, epsilon, beta1_power, beta2_power, decay], received shape ",
                                        hyper.shape().DebugString()));
    const float* h = hyper.flat<float>().data();
    const float lr = h[0], beta1 = h[1], beta2 = h[2], eps = h[3], b1p = h[4], b2p = h[5], decay = h[6];
    const float alpha = lr * std::sqrt(1.0f - b2p) / (1.0f - b1p);
    const float one_minus_b1 = 1.0f - beta1, one_minus_b2 = 1.0f - beta2;

    VariableLocks locks;
    std::vector<VariableSlot> slots;
    OP_REQUIRES_OK(ctx, LockVariables(ctx, 0, 3 * n_, &locks, &slots));
    std::vector<Segment> segs(n_);
    int64_t total = 0;
    for (int i = 0; i < n_; ++i) {
      Tensor* var = slots[i].tensor;
      Tensor* m = slots[n_ + i].tensor;
      Tensor* v = slots[2 * n_ + i].tensor;
      const Tensor& g = ctx->input(3 * n_ + i);
      OP_REQUIRES(ctx, var->dtype() == DT_FLOAT && m->dtype() == DT_FLOAT && v->dtype() == DT_FLOAT,
                  errors::InvalidArgument("DuetApplyAdam: parameter ", i, " and its slots must be float32"));
      OP_REQUIRES(ctx, var->shape() == g.shape() && m->shape() == g.shape() && v->shape() == g.shape(),
                  errors::InvalidArgument("DuetApplyAdam: parameter ", i, " has shape ", var->shape().DebugString(), ", m ", m->shape().DebugString(),
                                          ", v ", v->shape().DebugString(), ", gradient ", g.shape().DebugString(), "; all four must match"));
      segs[i] = Segment{var->flat<float>().data(), m->flat<float>().data(), v->flat<float>().data(), g.flat<float>().data(), total, g.NumElements()};
      total += g.NumElements();
    }
    auto update = [&](int64_t begin, int64_t end) {
      ForEachRange(segs, begin, end, [&](const Segment& s, int64_t lo, int64_t hi) {
        AdamRange(s.var + lo, s.m + lo, s.v + lo, s.grad + lo, hi - lo, alpha, one_minus_b1, one_minus_b2, eps, decay);
      });
    };
    RunSharded(ctx, total, update);
  }

 private:
  int n_;
};

REGISTER_KERNEL_BUILDER(Name("DuetApplyAdam").Device(DEVICE_CPU), DuetApplyAdamOp);

}  // namespace duet
