// NonZero scans twice (count in shape inference, then write), which keeps the output exactly sized
// without a temporary. ReverseSequence copies whole rows when the last axis is neither batch nor time.
#include "kernels/cpu/select.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/element_bytes.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

template <typename T>
inline bool is_nonzero(T v) {
  return static_cast<compute_t<T>>(v) != static_cast<compute_t<T>>(0);
}

}  // namespace

int64_t count_nonzero(DType dtype, const void* in, int64_t n) {
  return dispatch_dtype(dtype, [&]<typename T>() {
    const T* p = static_cast<const T*>(in);
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) c += is_nonzero(p[i]) ? 1 : 0;
    return c;
  });
}

void nonzero(DType dtype, const void* in, const Shape& shape, int64_t count, int64_t* out) {
  const Shape dims = shape.empty() ? Shape{1} : shape;
  const size_t rank = dims.size();
  const int64_t n = shape_numel(dims);
  dispatch_dtype(dtype, [&]<typename T>() {
    const T* p = static_cast<const T*>(in);
    std::vector<int64_t> idx(rank, 0);
    int64_t j = 0;
    for (int64_t i = 0; i < n && j < count; ++i) {
      if (is_nonzero(p[i])) {
        for (size_t d = 0; d < rank; ++d) out[static_cast<int64_t>(d) * count + j] = idx[d];
        ++j;
      }
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < dims[d]) break;
        idx[d] = 0;
      }
    }
  });
}

void reverse_sequence(const void* in, void* out, size_t elem_bytes, const Shape& shape, int64_t batch_axis,
                      int64_t time_axis, const int64_t* lengths, ThreadPool* pool) {
  const int64_t total = shape_numel(shape);
  if (total == 0) return;
  const size_t rank = shape.size(), last = rank - 1;
  std::vector<int64_t> strides(rank);
  int64_t acc = 1;
  for (size_t d = rank; d-- > 0;) {
    strides[d] = acc;
    acc *= shape[d];
  }
  const size_t ba = static_cast<size_t>(batch_axis), ta = static_cast<size_t>(time_axis);
  // Whole rows move when the last axis is a plain one; otherwise rows are single elements.
  const bool rows_move = last != ba && last != ta;
  const int64_t row = rows_move ? shape[last] : 1;
  const size_t row_dims = rows_move ? last : rank;
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    maybe_parallel(pool, total / row, std::max<int64_t>(1, (1 << 14) / row), [&](int64_t r0, int64_t r1) {
      std::vector<int64_t> idx(row_dims);
      for (int64_t r = r0; r < r1; ++r) {
        int64_t rest = r;
        for (size_t d = row_dims; d-- > 0;) {
          idx[d] = rest % shape[d];
          rest /= shape[d];
        }
        const int64_t len = lengths[idx[ba]], t = idx[ta];
        const int64_t from = r * row + (t < len ? len - 1 - 2 * t : 0) * strides[ta];
        if (rows_move) std::memcpy(dst + r * row, src + from, static_cast<size_t>(row) * sizeof(T));
        else dst[r] = src[from];
      }
    });
  });
}

}  // namespace lre::cpu
