// Updates are applied in index order so that duplicate indices behave as the ONNX reference does
// (the last write wins, reductions accumulate). ScatterElements splits the work over the axes
// before `axis`: two updates in different blocks there can never touch the same element.
#include "kernels/cpu/scatter.h"

#include <algorithm>
#include <vector>

#include "core/dispatch.h"
#include "core/strides.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

template <typename T>
inline void combine(T& dst, T src, ScatterReduction r) {
  using C = compute_t<T>;
  switch (r) {
    case ScatterReduction::None: dst = src; return;
    case ScatterReduction::Add: dst = static_cast<T>(static_cast<C>(static_cast<C>(dst) + static_cast<C>(src))); return;
    case ScatterReduction::Mul: dst = static_cast<T>(static_cast<C>(static_cast<C>(dst) * static_cast<C>(src))); return;
    case ScatterReduction::Max: dst = static_cast<T>(std::max(static_cast<C>(dst), static_cast<C>(src))); return;
    case ScatterReduction::Min: dst = static_cast<T>(std::min(static_cast<C>(dst), static_cast<C>(src))); return;
  }
}

}  // namespace

void scatter_elements(DType dtype, void* out, const Shape& out_shape, const void* updates, IndexData indices,
                      const Shape& indices_shape, int64_t axis, ScatterReduction reduction, ThreadPool* pool) {
  const int64_t n = shape_numel(indices_shape);
  if (n == 0) return;
  const size_t rank = out_shape.size(), ax = static_cast<size_t>(axis);
  const std::vector<int64_t> strides = strides_of(out_shape);
  const int64_t axis_dim = out_shape[ax];
  for (int64_t i = 0; i < n; ++i) wrap_index(indices[i], axis_dim, "ScatterElements");
  int64_t blocks = 1;
  for (size_t d = 0; d < ax; ++d) blocks *= indices_shape[d];
  const int64_t per_block = n / blocks;
  dispatch_dtype(dtype, [&]<typename T>() {
    T* dst = static_cast<T*>(out);
    const T* src = static_cast<const T*>(updates);
    maybe_parallel(pool, blocks, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(per_block, 1)), [&](int64_t begin, int64_t end) {
      std::vector<int64_t> idx(rank, 0);
      for (int64_t i = begin * per_block; i < end * per_block; ++i) {
        int64_t rest = i, off = 0;
        for (size_t d = rank; d-- > 0;) {
          idx[d] = rest % indices_shape[d];
          rest /= indices_shape[d];
          if (d != ax) off += idx[d] * strides[d];
        }
        int64_t k = indices[i];
        if (k < 0) k += axis_dim;
        combine(dst[off + k * strides[ax]], src[i], reduction);
      }
    });
  });
}

void scatter_nd(DType dtype, void* out, const Shape& index_dims, int64_t slice, const void* updates, IndexData indices,
                int64_t count, ScatterReduction reduction) {
  const int64_t k = static_cast<int64_t>(index_dims.size());
  const std::vector<int64_t> slice_strides = strides_of(index_dims);
  for (int64_t i = 0; i < count * k; ++i) wrap_index(indices[i], index_dims[static_cast<size_t>(i % k)], "ScatterND");
  dispatch_dtype(dtype, [&]<typename T>() {
    T* dst = static_cast<T*>(out);
    const T* src = static_cast<const T*>(updates);
    for (int64_t t = 0; t < count; ++t) {
      int64_t s = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t v = indices[t * k + j];
        if (v < 0) v += index_dims[static_cast<size_t>(j)];
        s += v * slice_strides[static_cast<size_t>(j)];
      }
      T* d = dst + s * slice;
      const T* u = src + t * slice;
      if (reduction == ScatterReduction::None) std::copy(u, u + slice, d);
      else
        for (int64_t e = 0; e < slice; ++e) combine(d[e], u[e], reduction);
    }
  });
}

}  // namespace lre::cpu
