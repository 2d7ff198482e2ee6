// Generators write every output element exactly once (outputs arrive uninitialised); the big ones
// (fill, OneHot, Trilu) split rows over the pool.
#include "kernels/cpu/generate.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/dispatch.h"
#include "kernels/cpu/element_bytes.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

void fill(void* out, int64_t n, const void* value, size_t elem_bytes, ThreadPool* pool) {
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    T v;
    std::memcpy(&v, value, sizeof(T));
    T* dst = static_cast<T*>(out);
    maybe_parallel(pool, n, 1 << 16, [&](int64_t begin, int64_t end) { std::fill(dst + begin, dst + end, v); });
  });
}

void range(DType dtype, const void* start, const void* delta, void* out, int64_t n) {
  dispatch_numeric(dtype, "Range", [&]<typename T>() {
    T* dst = static_cast<T*>(out);
    const T s = *static_cast<const T*>(start), d = *static_cast<const T*>(delta);
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_integral_v<T>) dst[i] = static_cast<T>(s + static_cast<T>(i) * d);
      else dst[i] = static_cast<T>(static_cast<compute_t<T>>(static_cast<double>(s) + static_cast<double>(i) * static_cast<double>(d)));
    }
  });
}

void eye(DType dtype, void* out, int64_t rows, int64_t cols, int64_t k) {
  dispatch_dtype(dtype, [&]<typename T>() {
    T* dst = static_cast<T*>(out);
    std::fill(dst, dst + rows * cols, static_cast<T>(static_cast<compute_t<T>>(0)));
    for (int64_t r = std::max<int64_t>(0, -k); r < rows && r + k < cols; ++r) dst[r * cols + r + k] = static_cast<T>(static_cast<compute_t<T>>(1));
  });
}

void one_hot(DType index_dtype, const void* indices, int64_t outer, int64_t inner, int64_t depth, const void* off_on,
             size_t elem_bytes, void* out, ThreadPool* pool) {
  dispatch_numeric(index_dtype, "OneHot indices", [&]<typename I>() {
    dispatch_element_bytes(elem_bytes, [&]<typename T>() {
      T off, on;
      std::memcpy(&off, off_on, sizeof(T));
      std::memcpy(&on, static_cast<const char*>(off_on) + sizeof(T), sizeof(T));
      const I* idx = static_cast<const I*>(indices);
      T* dst = static_cast<T*>(out);
      maybe_parallel(pool, outer, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(depth * inner, 1)), [&](int64_t o0, int64_t o1) {
        std::fill(dst + o0 * depth * inner, dst + o1 * depth * inner, off);
        for (int64_t o = o0; o < o1; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            // Float indices are truncated toward zero, as the ONNX reference casts them to int64;
            // values that cannot be an index are off (also keeps the casts defined).
            const double f = static_cast<double>(static_cast<compute_t<I>>(idx[o * inner + i]));
            if (!(f > static_cast<double>(-depth) - 1 && f < static_cast<double>(depth))) continue;
            int64_t v = static_cast<int64_t>(f);
            if (v < 0) v += depth;
            if (v >= 0 && v < depth) dst[(o * depth + v) * inner + i] = on;
          }
      });
    });
  });
}

void trilu(const void* in, void* out, size_t elem_bytes, int64_t batch, int64_t rows, int64_t cols, int64_t k, bool upper,
           ThreadPool* pool) {
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    const T zero{};
    maybe_parallel(pool, batch * rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t t = r0; t < r1; ++t) {
        const int64_t r = t % rows;
        // Columns [0, split) go one way, [split, cols) the other: col - row >= k  <=>  col >= row + k.
        const int64_t split = std::clamp<int64_t>(upper ? r + k : r + k + 1, 0, cols);
        const T* s = src + t * cols;
        T* d = dst + t * cols;
        if (upper) {
          std::fill(d, d + split, zero);
          std::copy(s + split, s + cols, d + split);
        } else {
          std::copy(s, s + split, d);
          std::fill(d + split, d + cols, zero);
        }
      }
    });
  });
}

}  // namespace lre::cpu
