// ReverseSequence: for each batch entry, the first sequence_lens[b] steps of the time axis in
// reverse order (RNN-style data, time-major or batch-major); the rest is copied unchanged.
#include "kernels/cpu/select.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

class ReverseSequenceKernel final : public Kernel {
 public:
  explicit ReverseSequenceKernel(const KernelInit& init)
      : batch_axis_(init.node.attrs.get_int("batch_axis", 1)), time_axis_(init.node.attrs.get_int("time_axis", 0)) {
    if ((batch_axis_ != 0 && batch_axis_ != 1) || (time_axis_ != 0 && time_axis_ != 1) || batch_axis_ == time_axis_)
      fail("ReverseSequence batch_axis and time_axis must be 0 and 1 in some order, got " + std::to_string(batch_axis_) + " and " +
           std::to_string(time_axis_));
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "ReverseSequence input");
    lengths(x, required_input(in, 1, "ReverseSequence input 'sequence_lens'"));
    return {{x.dtype(), x.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    std::vector<int64_t> lens = lengths(x, ctx.in(1));
    cpu::reverse_sequence(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), x.shape(), batch_axis_, time_axis_, lens.data(), &ctx.pool);
  }

 private:
  std::vector<int64_t> lengths(const Tensor& x, const Tensor& t) const {
    if (x.rank() < 2) fail("ReverseSequence needs an input of rank 2 or more, got " + shape_to_string(x.shape()));
    std::vector<int64_t> lens = read_int_values(t, "ReverseSequence sequence_lens");
    const int64_t batch = x.dim(static_cast<size_t>(batch_axis_)), steps = x.dim(static_cast<size_t>(time_axis_));
    if (t.rank() != 1 || static_cast<int64_t>(lens.size()) != batch)
      fail("ReverseSequence sequence_lens must be 1-D with one entry per batch (" + std::to_string(batch) + "), got " +
           shape_to_string(t.shape()));
    for (int64_t v : lens)
      if (v < 0 || v > steps)
        fail("ReverseSequence sequence length " + std::to_string(v) + " is outside [0, " + std::to_string(steps) + "]");
    return lens;
  }
  int64_t batch_axis_, time_axis_;
};

}  // namespace

LRE_CPU_KERNEL(ReverseSequence, ReverseSequenceKernel);

}  // namespace lre
