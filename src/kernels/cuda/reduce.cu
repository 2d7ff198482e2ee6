// Reduction kernels. Each op is a small policy (identity, add one value, merge two partial
// results, finish) mirroring src/kernels/cpu/reduce.cc; axes are merged into runs first, and the
// run pattern picks the kernel: contiguous rows (a warp or a block per row, 16-byte loads), a
// reduced axis between kept ones (column tiles with the axis split over the block's rows), or a
// general walk of up to kMaxReduceRuns kept and reduced runs. Given scratch memory, a few very
// long rows are split across many blocks and their partial results merged by a second kernel.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <cuda/std/limits>
#include <cuda/std/type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/reduce.cuh"
#include "lre/error.h"

namespace lre::cuda {

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "ReduceSum";
    case ReduceOp::Mean: return "ReduceMean";
    case ReduceOp::Max: return "ReduceMax";
    case ReduceOp::Min: return "ReduceMin";
    case ReduceOp::Prod: return "ReduceProd";
    case ReduceOp::L1: return "ReduceL1";
    case ReduceOp::L2: return "ReduceL2";
    case ReduceOp::LogSum: return "ReduceLogSum";
    case ReduceOp::LogSumExp: return "ReduceLogSumExp";
    case ReduceOp::SumSquare: return "ReduceSumSquare";
  }
  return "Reduce";
}

namespace {

template <typename T> constexpr bool kIntegral = ::cuda::std::is_integral_v<T>;

// Splitting long rows across blocks (when the caller gives scratch memory): rows of more than
// kSplitLength elements, fewer than kSplitRows of them, in chunks of about kSplitChunk elements,
// each partial result in a kPartialBytes slot.
constexpr int64_t kSplitLength = 65536, kSplitRows = 256, kSplitChunk = 32768, kSplitBlocks = 2048;
constexpr int kSplitThreads = 512;
constexpr size_t kPartialBytes = 8;

// Running (max, sum of exp(v - max)) of LogSumExp.
struct MaxSum {
  float m, s;
};

// The policy of op kOp on storage type T. Floats accumulate in float32; integer sums and
// products in uint64 (modular, like the CPU, then narrowed); integer Max and Min in T.
template <ReduceOp kOp, typename T>
struct Reducer {
  static constexpr bool kExtreme = kOp == ReduceOp::Max || kOp == ReduceOp::Min;
  using Acc = ::cuda::std::conditional_t<
      kOp == ReduceOp::LogSumExp, MaxSum,
      ::cuda::std::conditional_t<kIntegral<T>, ::cuda::std::conditional_t<kExtreme, T, uint64_t>, float>>;

  __device__ __forceinline__ static Acc init() {
    if constexpr (kOp == ReduceOp::LogSumExp) {
      return MaxSum{-INFINITY, 0.f};
    } else if constexpr (kOp == ReduceOp::Prod) {
      return Acc(1);
    } else if constexpr (kExtreme && kIntegral<T>) {
      return kOp == ReduceOp::Max ? ::cuda::std::numeric_limits<T>::lowest() : ::cuda::std::numeric_limits<T>::max();
    } else if constexpr (kExtreme) {
      return kOp == ReduceOp::Max ? -INFINITY : INFINITY;
    } else {
      return Acc(0);
    }
  }

  __device__ __forceinline__ static Acc merge(Acc a, Acc b) {
    if constexpr (kOp == ReduceOp::LogSumExp) {
      if (b.m == -INFINITY && !isnan(b.s)) return a;
      if (a.m == -INFINITY && !isnan(a.s)) return b;
      // The side holding the maximum keeps its sum as is: exp(m - m) would be NaN for m = +inf.
      const float m = a.m < b.m ? b.m : a.m;
      return MaxSum{m, (a.m == m ? a.s : a.s * expf(a.m - m)) + (b.m == m ? b.s : b.s * expf(b.m - m))};
    } else if constexpr (kExtreme) {
      bool better = kOp == ReduceOp::Max ? b > a : b < a;
      if constexpr (!kIntegral<T>) better = better || isnan(b);  // NaN wins, as in numpy
      return better ? b : a;
    } else if constexpr (kOp == ReduceOp::Prod) {
      return a * b;
    } else {
      return a + b;
    }
  }

  __device__ __forceinline__ static void add(Acc& a, T raw) {
    if constexpr (kIntegral<T> && kExtreme) {
      a = merge(a, raw);
    } else if constexpr (kIntegral<T>) {
      const uint64_t w = static_cast<uint64_t>(raw);  // sign-extends, modulo 2^64
      if constexpr (kOp == ReduceOp::L1) a += raw < 0 ? uint64_t(0) - w : w;
      else if constexpr (kOp == ReduceOp::SumSquare) a += w * w;
      else if constexpr (kOp == ReduceOp::Prod) a *= w;
      else a += w;
    } else {
      const float v = to_float(raw);
      if constexpr (kOp == ReduceOp::LogSumExp) {
        if (v > a.m) {
          a.s = a.s * expf(a.m - v) + 1.f;
          a.m = v;
        } else if (v == a.m) {
          a.s += a.m == -INFINITY ? 0.f : 1.f;  // a repeated +inf counts once more, not exp(inf - inf)
        } else if (a.m != -INFINITY || isnan(v)) {
          a.s += expf(v - a.m);
        }
      } else if constexpr (kExtreme) {
        a = merge(a, v);
      } else if constexpr (kOp == ReduceOp::Prod) {
        a *= v;
      } else if constexpr (kOp == ReduceOp::L1) {
        a += fabsf(v);
      } else if constexpr (kOp == ReduceOp::L2 || kOp == ReduceOp::SumSquare) {
        a += v * v;
      } else {
        a += v;
      }
    }
  }

  __device__ __forceinline__ static T finish(Acc a, int64_t count) {
    if constexpr (kIntegral<T>) {
      if constexpr (kOp == ReduceOp::Mean) {
        if (count == 0) return T(0);
        return static_cast<T>(static_cast<int64_t>(a) / count);
      } else {
        return static_cast<T>(a);
      }
    } else if constexpr (kOp == ReduceOp::Mean) {
      return from_float<T>(a / static_cast<float>(count));
    } else if constexpr (kOp == ReduceOp::L2) {
      return from_float<T>(sqrtf(a));
    } else if constexpr (kOp == ReduceOp::LogSum) {
      return from_float<T>(logf(a));
    } else if constexpr (kOp == ReduceOp::LogSumExp) {
      return from_float<T>(a.m + logf(a.s));
    } else {
      return from_float<T>(a);
    }
  }
};

template <typename R>
struct MergeOf {
  __device__ __forceinline__ typename R::Acc operator()(typename R::Acc a, typename R::Acc b) const {
    return R::merge(a, b);
  }
};

// Contiguous rows (rows, n): one warp per row (blockDim (32, rows per block)) or one block per
// row (blockDim (threads, 1)).
template <ReduceOp kOp, typename T>
__global__ void __launch_bounds__(1024) reduce_rows_kernel(const T* x, T* y, int64_t rows, int64_t n) {
  using R = Reducer<kOp, T>;
  using A = typename R::Acc;
  __shared__ A shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), group = static_cast<int>(blockDim.x);
  const int64_t row_step = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    A acc = R::init();
    for_each_in_row(x + r * n, n, t, group, [&](T v, int64_t) { R::add(acc, v); });
    acc = group_reduce(acc, MergeOf<R>{}, R::init(), shared);
    if (t == 0) y[r] = R::finish(acc, n);
  }
}

// (outer, n, inner) with inner > 1: as softmax's strided kernel, thread (c, s) of block
// (cols, splits) folds column c of the tile over positions s, s + splits, ... of the axis; a
// tree over s in shared memory merges the splits.
template <ReduceOp kOp, typename T>
__global__ void __launch_bounds__(kBlockThreads) reduce_columns_kernel(const T* x, T* y, int64_t outer, int64_t n,
                                                                       int64_t inner, int64_t tiles_per_slice) {
  using R = Reducer<kOp, T>;
  using A = typename R::Acc;
  __shared__ A part[kBlockThreads];
  const int cols = static_cast<int>(blockDim.x), splits = static_cast<int>(blockDim.y);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t tiles = outer * tiles_per_slice;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t o = tile / tiles_per_slice;
    const int64_t j = (tile % tiles_per_slice) * cols + tx;
    const bool active = j < inner;
    const T* xs = x + o * n * inner + j;
    A acc = R::init();
    if (active)
      for (int64_t k = ty; k < n; k += splits) R::add(acc, xs[k * inner]);
    part[ty * cols + tx] = acc;
    __syncthreads();
    for (int half = splits / 2; half > 0; half /= 2) {
      if (ty < half) part[ty * cols + tx] = R::merge(part[ty * cols + tx], part[(ty + half) * cols + tx]);
      __syncthreads();
    }
    if (ty == 0 && active) y[o * inner + j] = R::finish(part[tx], n);
    __syncthreads();  // part[] is rewritten by the next tile
  }
}

// Merged runs, outermost first. Output o (row-major over the kept runs) reduces
// x[base(o) + offset(q) + i * red_stride[last]] for every combination q of the outer reduced runs
// and i < red_size[last]. Passed by value, into the kernel's parameter space.
struct ReduceGeometry {
  int kept_rank = 0, red_rank = 0;
  int64_t kept_size[kMaxReduceRuns] = {}, kept_stride[kMaxReduceRuns] = {};
  int64_t red_size[kMaxReduceRuns] = {}, red_stride[kMaxReduceRuns] = {};
  int64_t outputs = 0, count = 0, run_outer = 0;  // run_outer: combinations of all but the last reduced run
};

// Any run pattern: kGroup threads per output (32 when the innermost run is reduced, so a warp
// reads it contiguously; 1 when it is kept, so neighbouring threads read neighbouring outputs).
template <ReduceOp kOp, typename T, int kGroup>
__global__ void __launch_bounds__(kBlockThreads) reduce_general_kernel(const T* x, T* y, ReduceGeometry g) {
  using R = Reducer<kOp, T>;
  using A = typename R::Acc;
  const int lane = static_cast<int>(threadIdx.x) % kGroup;
  const int64_t per_block = blockDim.x / kGroup;
  const int64_t step = static_cast<int64_t>(gridDim.x) * per_block;
  const int64_t run = g.red_size[g.red_rank - 1], run_stride = g.red_stride[g.red_rank - 1];
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * per_block + threadIdx.x / kGroup; o < g.outputs; o += step) {
    int64_t base = 0, rest = o;
    for (int d = g.kept_rank - 1; d >= 0; --d) {
      base += (rest % g.kept_size[d]) * g.kept_stride[d];
      rest /= g.kept_size[d];
    }
    A acc = R::init();
    for (int64_t q = 0; q < g.run_outer; ++q) {
      int64_t at = base, rq = q;
      for (int d = g.red_rank - 2; d >= 0; --d) {
        at += (rq % g.red_size[d]) * g.red_stride[d];
        rq /= g.red_size[d];
      }
      for (int64_t i = lane; i < run; i += kGroup) R::add(acc, x[at + i * run_stride]);
    }
    if constexpr (kGroup > 1) acc = warp_reduce(acc, MergeOf<R>{});
    if (lane == 0) y[o] = R::finish(acc, g.count);
  }
}

// Long rows split across blocks: block (b, r) folds chunk b of row r into partial[r * chunks + b].
template <ReduceOp kOp, typename T>
__global__ void __launch_bounds__(kSplitThreads) reduce_row_chunks_kernel(const T* x, void* partial, int64_t n,
                                                                          int64_t chunk) {
  using R = Reducer<kOp, T>;
  using A = typename R::Acc;
  __shared__ A shared[kWarpSize + 1];
  const int64_t r = blockIdx.y, b = blockIdx.x;
  const int64_t begin = b * chunk, len = n - begin < chunk ? n - begin : chunk;
  A acc = R::init();
  for_each_in_row(x + r * n + begin, len, static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x),
                  [&](T v, int64_t) { R::add(acc, v); });
  acc = block_reduce(acc, MergeOf<R>{}, R::init(), shared);
  if (threadIdx.x == 0) static_cast<A*>(partial)[r * gridDim.x + b] = acc;
}

// Then a warp per row merges the row's partial results in chunk order.
template <ReduceOp kOp, typename T>
__global__ void __launch_bounds__(kWarpSize) reduce_row_partials_kernel(const void* partial, T* y, int64_t chunks,
                                                                        int64_t n) {
  using R = Reducer<kOp, T>;
  using A = typename R::Acc;
  const A* p = static_cast<const A*>(partial) + static_cast<int64_t>(blockIdx.x) * chunks;
  A acc = R::init();
  for (int64_t b = threadIdx.x; b < chunks; b += kWarpSize) acc = R::merge(acc, p[b]);
  acc = warp_reduce(acc, MergeOf<R>{});
  if (threadIdx.x == 0) y[blockIdx.x] = R::finish(acc, n);
}

// Outputs of an empty reduction: the identity, finished.
template <ReduceOp kOp, typename T>
__global__ void __launch_bounds__(kBlockThreads) reduce_identity_kernel(T* y, int64_t outputs) {
  using R = Reducer<kOp, T>;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < outputs; i += stride)
    y[i] = R::finish(R::init(), 0);
}

// A run of merged axes: its size and whether it is reduced.
struct Run {
  int64_t size;
  bool reduced;
};

// x's axes merged into runs of kept or reduced axes (unit axes dropped), with the number of
// outputs and of elements each reduces.
struct Layout {
  std::vector<Run> runs;
  int64_t outputs = 1, count = 1;
};

Layout layout_of(std::span<const int64_t> shape, std::span<const int64_t> axes, const char* name) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= static_cast<int64_t>(shape.size()) || (i > 0 && axes[i] <= axes[i - 1]))
      throw Error(ErrorCode::InvalidArgument,
                  std::string("launch_reduce(") + name + "): axes must be sorted, distinct and in [0, " +
                      std::to_string(shape.size()) + "); axis " + std::to_string(axes[i]) + " at position " +
                      std::to_string(i) + " is not");
  }
  Layout l;
  size_t next_axis = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0)
      throw Error(ErrorCode::InvalidArgument, std::string("launch_reduce(") + name + "): negative dimension " +
                                                  std::to_string(shape[d]));
    const bool reduced = next_axis < axes.size() && axes[next_axis] == static_cast<int64_t>(d);
    if (reduced) ++next_axis;
    (reduced ? l.count : l.outputs) *= shape[d];
    if (shape[d] == 1) continue;
    if (!l.runs.empty() && l.runs.back().reduced == reduced) l.runs.back().size *= shape[d];
    else l.runs.push_back({shape[d], reduced});
  }
  return l;
}

// Few long contiguous rows ([reduced] or [kept, reduced]): the number of chunks each row is split
// into across blocks when scratch memory is given, or 0 when the layout is not split.
int64_t split_chunks(const Layout& l) {
  const size_t k = l.runs.size();
  if (l.outputs == 0 || l.count <= kSplitLength || l.outputs >= kSplitRows || k == 0 || k > 2 || !l.runs.back().reduced ||
      (k == 2 && l.runs[0].reduced))
    return 0;
  const int64_t wanted = (l.count + kSplitChunk - 1) / kSplitChunk;
  return std::clamp<int64_t>(wanted, 2, std::max<int64_t>(2, kSplitBlocks / l.outputs));
}

ReduceGeometry general_geometry(const std::vector<Run>& runs, int64_t outputs, int64_t count, ReduceOp op) {
  ReduceGeometry g;
  g.outputs = outputs;
  g.count = count;
  int64_t stride = 1;
  std::vector<int64_t> strides(runs.size());
  for (size_t d = runs.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= runs[d].size;
  }
  for (size_t d = 0; d < runs.size(); ++d) {
    int& rank = runs[d].reduced ? g.red_rank : g.kept_rank;
    if (rank == kMaxReduceRuns)
      throw Error(ErrorCode::Unsupported, std::string("launch_reduce(") + reduce_op_name(op) + "): more than " +
                                              std::to_string(kMaxReduceRuns) + " " +
                                              (runs[d].reduced ? "reduced" : "kept") + " runs of axes after merging");
    (runs[d].reduced ? g.red_size : g.kept_size)[rank] = runs[d].size;
    (runs[d].reduced ? g.red_stride : g.kept_stride)[rank] = strides[d];
    ++rank;
  }
  g.run_outer = count / g.red_size[g.red_rank - 1];
  return g;
}

template <ReduceOp kOp, typename T>
void launch_general(const T* x, T* y, const ReduceGeometry& g, bool innermost_reduced, cudaStream_t stream) {
  if (innermost_reduced)
    reduce_general_kernel<kOp, T, kWarpSize><<<grid_for(g.outputs * kWarpSize), kBlockThreads, 0, stream>>>(x, y, g);
  else
    reduce_general_kernel<kOp, T, 1><<<grid_for(g.outputs), kBlockThreads, 0, stream>>>(x, y, g);
  LRE_CUDA_CHECK_LAUNCH();
}

// Runs [kept?, reduced, kept?] as (outer, n, inner).
template <ReduceOp kOp, typename T>
void launch_three(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, cudaStream_t stream) {
  // Short reductions: one thread per output beats a mostly idle warp.
  constexpr int64_t kShortRow = 32, kShortColumn = 16;
  if ((inner == 1 && n <= kShortRow) || (inner > 1 && n < kShortColumn)) {
    const std::vector<Run> runs{{outer, false}, {n, true}, {inner, false}};
    launch_general<kOp, T>(x, y, general_geometry(runs, outer * inner, n, kOp), false, stream);
  } else if (inner == 1 && n <= 4096) {
    constexpr int kRowsPerBlock = kBlockThreads / kWarpSize;
    reduce_rows_kernel<kOp, T><<<grid_for(outer * kWarpSize), dim3(kWarpSize, kRowsPerBlock), 0, stream>>>(x, y, outer, n);
    LRE_CUDA_CHECK_LAUNCH();
  } else if (inner == 1) {
    const int threads = n <= 16384 ? 256 : n <= 65536 ? 512 : 1024;
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer, 2 * kMaxBlocks));
    reduce_rows_kernel<kOp, T><<<grid, threads, 0, stream>>>(x, y, outer, n);
    LRE_CUDA_CHECK_LAUNCH();
  } else {
    const int cols0 = std::min(kWarpSize, pow2_at_least(inner));
    const int splits = std::min(kBlockThreads / cols0, pow2_at_least(n));
    const int cols = std::min(pow2_at_least(inner), kBlockThreads / splits);
    const int64_t tiles_per_slice = (inner + cols - 1) / cols;
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer * tiles_per_slice, 2 * kMaxBlocks));
    reduce_columns_kernel<kOp, T><<<grid, dim3(cols, splits), 0, stream>>>(x, y, outer, n, inner, tiles_per_slice);
    LRE_CUDA_CHECK_LAUNCH();
  }
}

template <ReduceOp kOp, typename T>
void launch_reduce_typed(const void* xv, void* yv, const Layout& l, void* workspace, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  const std::vector<Run>& runs = l.runs;
  const int64_t outputs = l.outputs, count = l.count;
  if (const int64_t chunks = split_chunks(l); chunks > 0 && workspace != nullptr) {
    static_assert(sizeof(typename Reducer<kOp, T>::Acc) <= kPartialBytes);
    const int64_t chunk = (count + chunks - 1) / chunks;
    reduce_row_chunks_kernel<kOp, T><<<dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(outputs)),
                                       kSplitThreads, 0, stream>>>(x, workspace, count, chunk);
    LRE_CUDA_CHECK_LAUNCH();
    reduce_row_partials_kernel<kOp, T>
        <<<static_cast<unsigned>(outputs), kWarpSize, 0, stream>>>(workspace, y, chunks, count);
    LRE_CUDA_CHECK_LAUNCH();
    return;
  }
  if (count == 0) {
    reduce_identity_kernel<kOp, T><<<grid_for(outputs), kBlockThreads, 0, stream>>>(y, outputs);
    LRE_CUDA_CHECK_LAUNCH();
    return;
  }
  // Patterns of at most three runs with one reduced run: kept runs either side of it, if any.
  int reduced_runs = 0;
  for (const Run& r : runs) reduced_runs += r.reduced;
  if (reduced_runs == 0) {
    launch_three<kOp, T>(x, y, outputs, 1, 1, stream);  // every reduced axis has size 1
    return;
  }
  if (reduced_runs == 1 && runs.size() <= 3) {
    size_t at = 0;
    while (!runs[at].reduced) ++at;
    const int64_t outer = at == 1 ? runs[0].size : 1;
    const int64_t inner = at + 1 < runs.size() ? runs[at + 1].size : 1;
    launch_three<kOp, T>(x, y, outer, runs[at].size, inner, stream);
    return;
  }
  launch_general<kOp, T>(x, y, general_geometry(runs, outputs, count, kOp), runs.back().reduced, stream);
}

bool supports(ReduceOp op, DType dtype) {
  switch (dtype) {
    case DType::Float32: case DType::Float16: case DType::BFloat16: return true;
    case DType::Int32: case DType::Int64:
      return op != ReduceOp::L2 && op != ReduceOp::LogSum && op != ReduceOp::LogSumExp;
    default: return false;
  }
}

// Calls f.template operator()<T>() with T the device storage type of a dtype launch_reduce takes.
template <typename F> void dispatch_reduce_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::Int32: f.template operator()<int32_t>(); return;
    case DType::Int64: f.template operator()<int64_t>(); return;
    default: dispatch_device_float(t, what, std::forward<F>(f));
  }
}

template <typename T>
void dispatch_reduce_op(ReduceOp op, const void* x, void* y, const Layout& l, void* workspace, cudaStream_t stream) {
  switch (op) {
    case ReduceOp::Sum: return launch_reduce_typed<ReduceOp::Sum, T>(x, y, l, workspace, stream);
    case ReduceOp::Mean: return launch_reduce_typed<ReduceOp::Mean, T>(x, y, l, workspace, stream);
    case ReduceOp::Max: return launch_reduce_typed<ReduceOp::Max, T>(x, y, l, workspace, stream);
    case ReduceOp::Min: return launch_reduce_typed<ReduceOp::Min, T>(x, y, l, workspace, stream);
    case ReduceOp::Prod: return launch_reduce_typed<ReduceOp::Prod, T>(x, y, l, workspace, stream);
    case ReduceOp::L1: return launch_reduce_typed<ReduceOp::L1, T>(x, y, l, workspace, stream);
    case ReduceOp::SumSquare: return launch_reduce_typed<ReduceOp::SumSquare, T>(x, y, l, workspace, stream);
    case ReduceOp::L2:
    case ReduceOp::LogSum:
    case ReduceOp::LogSumExp:
      if constexpr (!kIntegral<T>) {
        if (op == ReduceOp::L2) return launch_reduce_typed<ReduceOp::L2, T>(x, y, l, workspace, stream);
        if (op == ReduceOp::LogSum) return launch_reduce_typed<ReduceOp::LogSum, T>(x, y, l, workspace, stream);
        return launch_reduce_typed<ReduceOp::LogSumExp, T>(x, y, l, workspace, stream);
      }
      break;
  }
  throw Error(ErrorCode::InvalidArgument, "launch_reduce: unknown op");
}

}  // namespace

size_t reduce_workspace_bytes(ReduceOp op, DType dtype, std::span<const int64_t> shape,
                              std::span<const int64_t> axes) {
  const Layout l = layout_of(shape, axes, reduce_op_name(op));
  if (!supports(op, dtype)) throw_unsupported_dtype(dtype, reduce_op_name(op));
  return static_cast<size_t>(split_chunks(l) * l.outputs) * kPartialBytes;
}

void launch_reduce(ReduceOp op, DType dtype, const void* x, std::span<const int64_t> shape,
                   std::span<const int64_t> axes, void* y, void* workspace, size_t workspace_bytes,
                   cudaStream_t stream) {
  const char* name = reduce_op_name(op);
  const Layout l = layout_of(shape, axes, name);
  if (!supports(op, dtype)) throw_unsupported_dtype(dtype, name);
  if (workspace != nullptr) {
    const size_t needed = static_cast<size_t>(split_chunks(l) * l.outputs) * kPartialBytes;
    if (workspace_bytes < needed || !is_aligned(workspace, kPartialBytes))
      throw Error(ErrorCode::InvalidArgument,
                  std::string("launch_reduce(") + name + "): workspace of " + std::to_string(workspace_bytes) +
                      " bytes, needs " + std::to_string(needed) + " aligned to " + std::to_string(kPartialBytes));
  }
  if (l.outputs == 0) return;
  dispatch_reduce_dtype(dtype, name, [&]<typename T>() { dispatch_reduce_op<T>(op, x, y, l, workspace, stream); });
}

void launch_reduce(ReduceOp op, DType dtype, const void* x, std::span<const int64_t> shape,
                   std::span<const int64_t> axes, void* y, cudaStream_t stream) {
  launch_reduce(op, dtype, x, shape, axes, y, nullptr, 0, stream);
}

}  // namespace lre::cuda
