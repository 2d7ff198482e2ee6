// Reductions over any set of axes (ReduceSum and its nine siblings), and the index layout they
// share with MeanVarianceNormalization: adjacent kept or reduced axes are merged first, so most
// reductions become one strided loop over a contiguous run.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

enum class ReduceOp { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

// Output element (row, j), j < inner, reduces x[row_base(row) + offset + t * inner + j] for every
// offset for_each_run() yields and every t < run. Output rows are the kept axes in order, so the
// output (and anything shaped like it) is (rows, inner) contiguous.
struct ReduceLayout {
  int64_t rows = 0;
  int64_t inner = 1;  // the trailing kept axes, merged
  int64_t run = 1;    // the innermost reduced axis, merged with reduced neighbours; 0 for empty
  int64_t count = 1;  // elements reduced into each output
  std::vector<int64_t> kept_sizes, kept_strides;  // kept axes before `inner`, outermost first
  std::vector<int64_t> red_sizes, red_strides;    // reduced axes outside `run`, outermost first

  int64_t row_base(int64_t row) const {
    int64_t base = 0;
    for (size_t d = kept_sizes.size(); d-- > 0;) {
      base += (row % kept_sizes[d]) * kept_strides[d];
      row /= kept_sizes[d];
    }
    return base;
  }

  template <typename F> void for_each_run(F&& f) const { visit(0, 0, f); }

 private:
  template <typename F> void visit(size_t d, int64_t offset, F& f) const {
    if (d == red_sizes.size()) {
      f(offset);
      return;
    }
    for (int64_t i = 0; i < red_sizes[d]; ++i) visit(d + 1, offset + i * red_strides[d], f);
  }
};

// `axes` are distinct and in [0, rank).
ReduceLayout reduce_layout(const Shape& shape, std::span<const int64_t> axes);

// y = op over the axes of layout `l` (built from x's shape). Integer sums wrap like the type;
// Mean, L2, LogSum and LogSumExp of integers compute in double and truncate. An empty reduction
// gives the op's identity (0, 1, -inf, +inf; Mean gives NaN, or 0 for integers). `pool` may be null.
template <typename T>
void reduce(ReduceOp op, const T* x, T* y, const ReduceLayout& l, ThreadPool* pool);

}  // namespace lre::cpu
