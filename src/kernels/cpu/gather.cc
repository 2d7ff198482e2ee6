// Gathers copy whole inner runs with memcpy where they are long, element by element otherwise, and
// split the work over output rows.
#include "kernels/cpu/gather.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/strides.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kGrainElems = 1 << 14;

template <typename T>
inline void copy_run(const T* src, T* dst, int64_t n) {
  if (n == 1) *dst = *src;
  else std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
}

}  // namespace

void gather(const void* data, void* out, size_t elem_bytes, int64_t outer, int64_t axis_dim, int64_t inner,
            IndexData indices, int64_t count, ThreadPool* pool) {
  for (int64_t i = 0; i < count; ++i) wrap_index(indices[i], axis_dim, "Gather");
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(data);
    T* dst = static_cast<T*>(out);
    maybe_parallel(pool, outer * count, std::max<int64_t>(1, kGrainElems / std::max<int64_t>(inner, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / count, i = t % count;
        int64_t k = indices[i];
        if (k < 0) k += axis_dim;
        copy_run(src + (o * axis_dim + k) * inner, dst + t * inner, inner);
      }
    });
  });
}

void gather_elements(const void* data, const Shape& data_shape, void* out, size_t elem_bytes, IndexData indices,
                     const Shape& indices_shape, int64_t axis, ThreadPool* pool) {
  const int64_t n = shape_numel(indices_shape);
  if (n == 0) return;
  const size_t rank = data_shape.size();
  const std::vector<int64_t> strides = strides_of(data_shape);
  const int64_t axis_dim = data_shape[static_cast<size_t>(axis)], axis_stride = strides[static_cast<size_t>(axis)];
  for (int64_t i = 0; i < n; ++i) wrap_index(indices[i], axis_dim, "GatherElements");
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(data);
    T* dst = static_cast<T*>(out);
    maybe_parallel(pool, n, kGrainElems, [&](int64_t begin, int64_t end) {
      // Offset into data of element `begin` without its axis coordinate, then walked in order.
      std::vector<int64_t> idx(rank, 0);
      int64_t rest = begin, base = 0;
      for (size_t d = rank; d-- > 0;) {
        idx[d] = rest % indices_shape[d];
        rest /= indices_shape[d];
        if (static_cast<int64_t>(d) != axis) base += idx[d] * strides[d];
      }
      for (int64_t i = begin; i < end; ++i) {
        int64_t k = indices[i];
        if (k < 0) k += axis_dim;
        dst[i] = src[base + k * axis_stride];
        for (size_t d = rank; d-- > 0;) {
          const int64_t step = static_cast<int64_t>(d) == axis ? 0 : strides[d];
          if (++idx[d] < indices_shape[d]) {
            base += step;
            break;
          }
          base -= (indices_shape[d] - 1) * step;
          idx[d] = 0;
        }
      }
    });
  });
}

void gather_nd(const void* data, void* out, size_t elem_bytes, int64_t batch, const Shape& index_dims, int64_t slice,
               IndexData indices, int64_t count, ThreadPool* pool) {
  const int64_t k = static_cast<int64_t>(index_dims.size());
  const std::vector<int64_t> slice_strides = strides_of(index_dims);
  const int64_t batch_slices = shape_numel(index_dims);
  for (int64_t i = 0; i < batch * count * k; ++i) wrap_index(indices[i], index_dims[static_cast<size_t>(i % k)], "GatherND");
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(data);
    T* dst = static_cast<T*>(out);
    maybe_parallel(pool, batch * count, std::max<int64_t>(1, kGrainElems / std::max<int64_t>(slice, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        int64_t s = t / count * batch_slices;
        for (int64_t j = 0; j < k; ++j) {
          int64_t v = indices[t * k + j];
          if (v < 0) v += index_dims[static_cast<size_t>(j)];
          s += v * slice_strides[static_cast<size_t>(j)];
        }
        copy_run(src + s * slice, dst + t * slice, slice);
      }
    });
  });
}

}  // namespace lre::cpu
