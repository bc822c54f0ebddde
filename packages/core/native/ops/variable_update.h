// Shared pieces of Duet's optimizer kernels (native/ops/*.cc): locking
// resource variables and making them safe to update in place, and running one
// flat index space that spans several parameters over TensorFlow's intra-op
// thread pool.
#ifndef DUET_OPS_VARIABLE_UPDATE_H_
#define DUET_OPS_VARIABLE_UPDATE_H_

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"

namespace duet {
using namespace tensorflow;

/** One resource variable input: the variable (held) and its tensor, ready to write. */
struct VariableSlot {
  core::RefCountPtr<Var> var;
  Tensor* tensor = nullptr;
};

/** Holds the locks of a set of variables (in increasing mutex address, as TensorFlow's kernels do) until it goes out of scope. */
class VariableLocks {
 public:
  ~VariableLocks() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->unlock();
  }
  void Lock(std::vector<mutex*> mus) {
    std::sort(mus.begin(), mus.end());
    mus.erase(std::unique(mus.begin(), mus.end()), mus.end());
    for (mutex* mu : mus) {
      mu->lock();
      held_.push_back(mu);
    }
  }

 private:
  std::vector<mutex*> held_;
};

/**
 * Looks up the resource variables at inputs [first, first + count), locks
 * them into `locks`, and makes each one's buffer private before it is written
 * in place: a buffer that another tensor still shares (a value read earlier
 * and still alive) is copied first, as TensorFlow's PrepareToUpdateVariable
 * does, so that reads taken before the update keep their values.
 */
inline absl::Status LockVariables(OpKernelContext* ctx, int first, int count, VariableLocks* locks, std::vector<VariableSlot>* out) {
  out->resize(count);
  std::vector<mutex*> mus;
  for (int i = 0; i < count; ++i) {
    TF_RETURN_IF_ERROR(LookupResource(ctx, HandleFromInput(ctx, first + i), &(*out)[i].var));
    mus.push_back((*out)[i].var->mu());
  }
  locks->Lock(std::move(mus));
  for (int i = 0; i < count; ++i) {
    Var* var = (*out)[i].var.get();
    Tensor* t = var->tensor();
    if (!t->IsInitialized()) return errors::FailedPrecondition("variable input ", first + i, " is not initialized");
    if (var->copy_on_read_mode.load() || !t->RefCountIsOne()) {
      Tensor copy;
      AllocatorAttributes attr;
      attr.set_gpu_compatible(true);
      attr.set_nic_compatible(true);
      TF_RETURN_IF_ERROR(ctx->allocate_temp(t->dtype(), t->shape(), &copy, attr));
      std::memcpy(copy.data(), t->data(), t->TotalBytes());
      *t = copy;
    }
    (*out)[i].tensor = t;
  }
  return absl::OkStatus();
}

/** One parameter's buffers and its place in the flat index space of all parameters. */
struct Segment {
  float* var;
  float* m;
  float* v;
  const float* grad;
  int64_t offset;
  int64_t size;
};

/** Calls fn(segment, lo, hi) for the part [lo, hi) of each segment that lies in the flat range [begin, end). */
template <typename Fn>
inline void ForEachRange(const std::vector<Segment>& segs, int64_t begin, int64_t end, Fn fn) {
  for (const Segment& s : segs) {
    const int64_t lo = std::max(begin, s.offset), hi = std::min(end, s.offset + s.size);
    if (lo < hi) fn(s, lo - s.offset, hi - s.offset);
  }
}

/**
 * Runs fn(begin, end) over [0, total): on the calling thread below
 * kInlineElements, else in one block per intra-op thread. Waking TensorFlow's
 * pool is expensive next to an optimizer's elementwise work: on the seed MLP
 * (101,770 parameters, 2 cores) Adam took 157 us split over two threads and
 * 76 us on one (bench/README.md, "Duet's own kernels").
 */
constexpr int64_t kInlineElements = 1 << 20;
template <typename Fn>
inline void RunSharded(OpKernelContext* ctx, int64_t total, Fn fn) {
  if (total <= 0) return;
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int threads = workers == nullptr ? 1 : workers->NumThreads();
  if (total < kInlineElements || threads <= 1) {
    fn(0, total);
    return;
  }
  const int64_t block = (total + threads - 1) / threads;
  workers->ParallelFor(total, thread::ThreadPool::SchedulingParams(thread::ThreadPool::SchedulingStrategy::kFixedBlockSize, std::nullopt, block),
                       [&](int64_t b, int64_t e) { fn(b, e); });
}

}  // namespace duet

#endif  // DUET_OPS_VARIABLE_UPDATE_H_
