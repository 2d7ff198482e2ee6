// Iteration over numpy-broadcast operands. Dimensions are coalesced first (adjacent dimensions
// merge when every operand walks them contiguously, or every operand broadcasts along both), so
// same-shape and per-channel cases become one or a few long contiguous inner loops.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

template <size_t N>
class BroadcastIndexer {
 public:
  // `inputs` are right-aligned against `out` and must broadcast to it.
  BroadcastIndexer(const Shape& out, const std::array<const Shape*, N>& inputs) {
    size_t rank = out.size();
    std::array<std::vector<int64_t>, N> strides;
    for (size_t k = 0; k < N; ++k) {
      strides[k].assign(rank, 0);
      const Shape& in = *inputs[k];
      int64_t acc = 1;
      for (size_t i = in.size(); i-- > 0;) {
        size_t o = rank - in.size() + i;
        strides[k][o] = in[i] == 1 ? 0 : acc;
        acc *= in[i];
      }
    }
    // Coalesce from the innermost dimension outwards.
    for (size_t i = rank; i-- > 0;) {
      if (out[i] == 1) continue;
      if (!dims_.empty()) {
        bool mergeable = true;
        for (size_t k = 0; k < N; ++k) {
          int64_t inner_stride = strides_[k].back(), inner_dim = dims_.back();
          if (strides[k][i] != inner_stride * inner_dim && !(strides[k][i] == 0 && inner_stride == 0)) mergeable = false;
        }
        if (mergeable) {
          dims_.back() *= out[i];
          continue;
        }
      }
      dims_.push_back(out[i]);
      for (size_t k = 0; k < N; ++k) strides_[k].push_back(strides[k][i]);
    }
    if (dims_.empty()) {
      dims_.push_back(1);
      for (size_t k = 0; k < N; ++k) strides_[k].push_back(0);
    }
    // Stored innermost first; inner = dims_[0].
    inner_ = dims_[0];
    rows_ = 1;
    for (size_t d = 1; d < dims_.size(); ++d) rows_ *= dims_[d];
    if (shape_numel(out) == 0) rows_ = 0;
  }

  int64_t rows() const { return rows_; }
  int64_t inner() const { return inner_; }
  int64_t inner_stride(size_t k) const { return strides_[k][0]; }

  // Calls f(offsets, out_offset) for each row in [r0, r1): offsets[k] is operand k's element
  // offset at the row's first element; the row has inner() elements.
  template <typename F>
  void for_rows(int64_t r0, int64_t r1, F&& f) const {
    if (r0 >= r1) return;  // also keeps empty outputs (a zero dimension) away from the divisions
    size_t nd = dims_.size();
    std::vector<int64_t> idx(nd, 0);
    std::array<int64_t, N> off{};
    int64_t rem = r0;
    for (size_t d = 1; d < nd; ++d) {
      idx[d] = rem % dims_[d];
      rem /= dims_[d];
      for (size_t k = 0; k < N; ++k) off[k] += idx[d] * strides_[k][d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      f(off, r * inner_);
      for (size_t d = 1; d < nd; ++d) {
        ++idx[d];
        for (size_t k = 0; k < N; ++k) off[k] += strides_[k][d];
        if (idx[d] < dims_[d]) break;
        for (size_t k = 0; k < N; ++k) off[k] -= dims_[d] * strides_[k][d];
        idx[d] = 0;
      }
    }
  }

 private:
  std::vector<int64_t> dims_;  // innermost first
  std::array<std::vector<int64_t>, N> strides_;
  int64_t inner_ = 1, rows_ = 1;
};

// Elements per parallel chunk: below this, threading costs more than it saves.
constexpr int64_t kElementwiseGrain = 1 << 15;

// y[i] = f(x[i]) over n elements.
template <typename In, typename Out, typename F>
void unary_map(const In* x, Out* y, int64_t n, ThreadPool* pool, F f) {
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = f(x[i]);
  };
  if (pool && n > kElementwiseGrain) pool->parallel_for(n, kElementwiseGrain, run);
  else run(0, n);
}

// y = f(a, b) with numpy broadcasting of a and b to y's shape.
template <typename A, typename B, typename Out, typename F>
void binary_map(const A* a, const Shape& sa, const B* b, const Shape& sb, Out* y, const Shape& sy, ThreadPool* pool, F f) {
  BroadcastIndexer<2> ix(sy, {&sa, &sb});
  const int64_t inner = ix.inner(), sa_in = ix.inner_stride(0), sb_in = ix.inner_stride(1);
  auto run = [&](int64_t r0, int64_t r1) {
    ix.for_rows(r0, r1, [&](const std::array<int64_t, 2>& off, int64_t yo) {
      const A* pa = a + off[0];
      const B* pb = b + off[1];
      Out* py = y + yo;
      if (sa_in == 1 && sb_in == 1) {
        for (int64_t i = 0; i < inner; ++i) py[i] = f(pa[i], pb[i]);
      } else if (sa_in == 1) {
        const B bv = pb[0];
        for (int64_t i = 0; i < inner; ++i) py[i] = f(pa[i], bv);
      } else if (sb_in == 1) {
        const A av = pa[0];
        for (int64_t i = 0; i < inner; ++i) py[i] = f(av, pb[i]);
      } else {
        for (int64_t i = 0; i < inner; ++i) py[i] = f(pa[0], pb[0]);
      }
    });
  };
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(inner, 1));
  if (pool && ix.rows() * inner > kElementwiseGrain) pool->parallel_for(ix.rows(), grain, run);
  else run(0, ix.rows());
}

// y = f(a, b, c) with broadcasting (Where).
template <typename A, typename B, typename C, typename Out, typename F>
void ternary_map(const A* a, const Shape& sa, const B* b, const Shape& sb, const C* c, const Shape& sc, Out* y,
                 const Shape& sy, ThreadPool* pool, F f) {
  BroadcastIndexer<3> ix(sy, {&sa, &sb, &sc});
  const int64_t inner = ix.inner(), s0 = ix.inner_stride(0), s1 = ix.inner_stride(1), s2 = ix.inner_stride(2);
  auto run = [&](int64_t r0, int64_t r1) {
    ix.for_rows(r0, r1, [&](const std::array<int64_t, 3>& off, int64_t yo) {
      for (int64_t i = 0; i < inner; ++i) y[yo + i] = f(a[off[0] + i * s0], b[off[1] + i * s1], c[off[2] + i * s2]);
    });
  };
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(inner, 1));
  if (pool && ix.rows() * inner > kElementwiseGrain) pool->parallel_for(ix.rows(), grain, run);
  else run(0, ix.rows());
}

}  // namespace lre::cpu
