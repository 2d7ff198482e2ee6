// Reduction kernels. Each op is a small policy (identity, add one value, merge two partial results,
// finish); one driver walks the layout, with eight partial accumulators along a contiguous run and
// a block of per-column accumulators when the kept axes are innermost.
#include "kernels/cpu/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

ReduceLayout reduce_layout(const Shape& shape, std::span<const int64_t> axes) {
  std::vector<bool> reduced(shape.size(), false);
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  ReduceLayout l;
  std::vector<int64_t> sizes;
  std::vector<bool> kinds;  // true where reduced
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) l.count *= shape[d];
    if (shape[d] == 1) continue;  // kept or reduced, a unit axis moves nothing
    if (!sizes.empty() && kinds.back() == reduced[d]) {
      sizes.back() *= shape[d];
    } else {
      sizes.push_back(shape[d]);
      kinds.push_back(reduced[d]);
    }
  }
  std::vector<int64_t> strides(sizes.size());
  int64_t acc = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = acc;
    acc *= sizes[d];
  }
  size_t end = sizes.size();
  if (end > 0 && !kinds[end - 1]) l.inner = sizes[--end];
  if (end > 0 && kinds[end - 1]) l.run = sizes[--end];
  l.rows = 1;
  for (size_t d = 0; d < end; ++d) {
    if (kinds[d]) {
      l.red_sizes.push_back(sizes[d]);
      l.red_strides.push_back(strides[d]);
    } else {
      l.kept_sizes.push_back(sizes[d]);
      l.kept_strides.push_back(strides[d]);
      l.rows *= sizes[d];
    }
  }
  if (l.inner == 0) l.rows = 0;
  return l;
}

namespace {

constexpr int64_t kWork = 16384;  // elements per parallel chunk, about
constexpr int64_t kColumns = 512;  // per-column accumulators one task keeps

// Sums of integers wrap, so they are kept in uint64 (modular, no signed overflow) and narrowed at
// the end; the real-valued ops on integers compute in double.
template <typename T> using Wide = std::conditional_t<std::is_integral_v<T>, uint64_t, compute_t<T>>;
template <typename T> using Real = std::conditional_t<std::is_integral_v<T>, double, compute_t<T>>;

template <typename T> Wide<T> widen(T v) { return static_cast<Wide<T>>(static_cast<compute_t<T>>(v)); }
template <typename T> Real<T> real(T v) { return static_cast<Real<T>>(static_cast<compute_t<T>>(v)); }

// Real result to T; integers saturate (log of an empty or zero sum is -inf).
template <typename T> T from_real(Real<T> r) {
  if constexpr (std::is_integral_v<T>) {
    if (std::isnan(r)) return T(0);
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  } else {
    return static_cast<T>(r);
  }
}

template <typename T> struct SumP {
  using A = Wide<T>;
  static A init() { return A(0); }
  static void add(A& a, T v) { a += widen(v); }
  static void merge(A& a, const A& b) { a += b; }
  static T finish(const A& a, int64_t) { return static_cast<T>(a); }
};

template <typename T> struct MeanP : SumP<T> {
  using A = Wide<T>;
  static T finish(const A& a, int64_t count) {
    if constexpr (std::is_integral_v<T>) {
      if (count == 0) return T(0);
      if constexpr (std::is_signed_v<T>) return static_cast<T>(static_cast<int64_t>(a) / count);
      else return static_cast<T>(a / static_cast<uint64_t>(count));
    } else {
      return static_cast<T>(a / static_cast<A>(count));
    }
  }
};

template <typename T> struct ProdP {
  using A = Wide<T>;
  static A init() { return A(1); }
  static void add(A& a, T v) { a *= widen(v); }
  static void merge(A& a, const A& b) { a *= b; }
  static T finish(const A& a, int64_t) { return static_cast<T>(a); }
};

template <typename T> struct L1P : SumP<T> {
  using A = Wide<T>;
  static void add(A& a, T v) {
    if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) a += v < 0 ? A(0) - widen(v) : widen(v);
    else if constexpr (std::is_integral_v<T>) a += widen(v);
    else a += std::abs(widen(v));
  }
};

template <typename T> struct SumSquareP : SumP<T> {
  using A = Wide<T>;
  static void add(A& a, T v) {
    A w = widen(v);
    a += w * w;
  }
};

template <typename T> struct L2P {
  using A = Real<T>;
  static A init() { return A(0); }
  static void add(A& a, T v) {
    A r = real(v);
    a += r * r;
  }
  static void merge(A& a, const A& b) { a += b; }
  static T finish(const A& a, int64_t) { return from_real<T>(std::sqrt(a)); }
};

template <typename T> struct LogSumP {
  using A = Real<T>;
  static A init() { return A(0); }
  static void add(A& a, T v) { a += real(v); }
  static void merge(A& a, const A& b) { a += b; }
  static T finish(const A& a, int64_t) { return from_real<T>(std::log(a)); }
};

// Running (max, sum of exp(v - max)): one pass, no overflow.
template <typename T> struct LogSumExpP {
  using R = Real<T>;
  struct A {
    R m, s;
  };
  static constexpr R kNegInf = -std::numeric_limits<R>::infinity();
  static A init() { return {kNegInf, R(0)}; }
  static void add(A& a, T v) {
    R r = real(v);
    if (r > a.m) {
      a.s = a.s * std::exp(a.m - r) + R(1);
      a.m = r;
    } else if (a.m != kNegInf || std::isnan(r)) {
      a.s += std::exp(r - a.m);
    }
  }
  static void merge(A& a, const A& b) {
    if (b.m == kNegInf && !std::isnan(b.s)) return;
    if (a.m == kNegInf && !std::isnan(a.s)) {
      a = b;
      return;
    }
    R m = std::max(a.m, b.m);
    a.s = a.s * std::exp(a.m - m) + b.s * std::exp(b.m - m);
    a.m = m;
  }
  static T finish(const A& a, int64_t) { return from_real<T>(a.m + std::log(a.s)); }
};

// NaN wins, as in numpy.
template <typename T, bool kMax> struct ExtremeP {
  using A = compute_t<T>;
  static A init() {
    if constexpr (std::is_integral_v<T>) return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    else return kMax ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
  }
  static void merge(A& a, const A& b) {
    bool better = kMax ? b > a : b < a;
    if constexpr (!std::is_integral_v<T>) better = better || std::isnan(b);
    a = better ? b : a;
  }
  static void add(A& a, T v) { merge(a, static_cast<A>(v)); }
  static T finish(const A& a, int64_t) { return static_cast<T>(a); }
};

template <typename T, typename P>
void reduce_with(const T* x, T* y, const ReduceLayout& l, ThreadPool* pool) {
  using A = typename P::A;
  if (l.rows <= 0) return;
  if (l.inner == 1) {
    maybe_parallel(pool, l.rows, std::max<int64_t>(1, kWork / std::max<int64_t>(1, l.count)), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* xr = x + l.row_base(r);
        A part[8];
        for (A& a : part) a = P::init();
        l.for_each_run([&](int64_t offset) {
          const T* p = xr + offset;
          int64_t t = 0;
          for (; t + 8 <= l.run; t += 8)
            for (int k = 0; k < 8; ++k) P::add(part[k], p[t + k]);
          for (; t < l.run; ++t) P::add(part[0], p[t]);
        });
        for (int k = 1; k < 8; ++k) P::merge(part[0], part[k]);
        y[r] = P::finish(part[0], l.count);
      }
    });
    return;
  }
  const int64_t blocks = (l.inner + kColumns - 1) / kColumns;
  const int64_t task_work = std::max<int64_t>(1, l.count * std::min(l.inner, kColumns));
  maybe_parallel(pool, l.rows * blocks, std::max<int64_t>(1, kWork / task_work), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(static_cast<size_t>(std::min(l.inner, kColumns)));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / blocks, j0 = (task % blocks) * kColumns, w = std::min(kColumns, l.inner - j0);
      const T* xr = x + l.row_base(r) + j0;
      std::fill(acc.begin(), acc.end(), P::init());
      l.for_each_run([&](int64_t offset) {
        for (int64_t t = 0; t < l.run; ++t) {
          const T* p = xr + offset + t * l.inner;
          for (int64_t j = 0; j < w; ++j) P::add(acc[static_cast<size_t>(j)], p[j]);
        }
      });
      T* yr = y + r * l.inner + j0;
      for (int64_t j = 0; j < w; ++j) yr[j] = P::finish(acc[static_cast<size_t>(j)], l.count);
    }
  });
}

}  // namespace

template <typename T>
void reduce(ReduceOp op, const T* x, T* y, const ReduceLayout& l, ThreadPool* pool) {
  switch (op) {
    case ReduceOp::Sum: return reduce_with<T, SumP<T>>(x, y, l, pool);
    case ReduceOp::Mean: return reduce_with<T, MeanP<T>>(x, y, l, pool);
    case ReduceOp::Max: return reduce_with<T, ExtremeP<T, true>>(x, y, l, pool);
    case ReduceOp::Min: return reduce_with<T, ExtremeP<T, false>>(x, y, l, pool);
    case ReduceOp::Prod: return reduce_with<T, ProdP<T>>(x, y, l, pool);
    case ReduceOp::L1: return reduce_with<T, L1P<T>>(x, y, l, pool);
    case ReduceOp::L2: return reduce_with<T, L2P<T>>(x, y, l, pool);
    case ReduceOp::LogSum: return reduce_with<T, LogSumP<T>>(x, y, l, pool);
    case ReduceOp::LogSumExp: return reduce_with<T, LogSumExpP<T>>(x, y, l, pool);
    case ReduceOp::SumSquare: return reduce_with<T, SumSquareP<T>>(x, y, l, pool);
  }
}

#define LRE_INSTANTIATE_REDUCE(T) template void reduce<T>(ReduceOp, const T*, T*, const ReduceLayout&, ThreadPool*);
LRE_INSTANTIATE_REDUCE(float)
LRE_INSTANTIATE_REDUCE(double)
LRE_INSTANTIATE_REDUCE(Half)
LRE_INSTANTIATE_REDUCE(BFloat16)
LRE_INSTANTIATE_REDUCE(int8_t)
LRE_INSTANTIATE_REDUCE(int16_t)
LRE_INSTANTIATE_REDUCE(int32_t)
LRE_INSTANTIATE_REDUCE(int64_t)
LRE_INSTANTIATE_REDUCE(uint8_t)
LRE_INSTANTIATE_REDUCE(uint16_t)
LRE_INSTANTIATE_REDUCE(uint32_t)
LRE_INSTANTIATE_REDUCE(uint64_t)
#undef LRE_INSTANTIATE_REDUCE

}  // namespace lre::cpu
