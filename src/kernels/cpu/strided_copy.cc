// Strided copies run over the view with an odometer (no divisions per element). Tiles of 32 x 32 keep
// both the strided reads and the contiguous writes of a transpose within a few cache lines.
#include "kernels/cpu/strided_copy.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/element_bytes.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

constexpr int64_t kTile = 32;
constexpr int64_t kGrainElems = 1 << 15;  // elements per parallel chunk, at least

struct View {
  std::vector<int64_t> shape, strides;
};

// Drops unit dimensions and merges neighbours that the input walks as one.
View coalesce(const Shape& shape, const std::vector<int64_t>& strides) {
  View v;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!v.shape.empty() && v.strides.back() == strides[d] * shape[d]) {
      v.shape.back() *= shape[d];
      v.strides.back() = strides[d];
    } else {
      v.shape.push_back(shape[d]);
      v.strides.push_back(strides[d]);
    }
  }
  return v;
}

// Walks an index space in row-major order from a starting linear position, tracking the offsets of
// two strided layouts (input and output).
class Odometer {
 public:
  Odometer(const std::vector<int64_t>& shape, const std::vector<int64_t>& in_strides,
           const std::vector<int64_t>& out_strides, int64_t start)
      : shape_(shape), in_strides_(in_strides), out_strides_(out_strides), idx_(shape.size(), 0) {
    for (size_t d = shape.size(); d-- > 0;) {
      idx_[d] = start % shape[d];
      start /= shape[d];
      in_ += idx_[d] * in_strides[d];
      out_ += idx_[d] * out_strides[d];
    }
  }
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  void next() {
    for (size_t d = shape_.size(); d-- > 0;) {
      in_ += in_strides_[d];
      out_ += out_strides_[d];
      if (++idx_[d] < shape_[d]) return;
      in_ -= shape_[d] * in_strides_[d];
      out_ -= shape_[d] * out_strides_[d];
      idx_[d] = 0;
    }
  }

 private:
  const std::vector<int64_t>& shape_;
  const std::vector<int64_t>& in_strides_;
  const std::vector<int64_t>& out_strides_;
  std::vector<int64_t> idx_;
  int64_t in_ = 0, out_ = 0;
};

// Every row (the last dimension) is read with one stride: 1 (memcpy), 0 (fill) or anything else.
template <typename T>
void copy_rows(const T* in, T* out, const View& v, ThreadPool* pool) {
  const int64_t n = v.shape.back(), step = v.strides.back();
  std::vector<int64_t> outer_shape(v.shape.begin(), v.shape.end() - 1);
  std::vector<int64_t> outer_in(v.strides.begin(), v.strides.end() - 1);
  std::vector<int64_t> outer_out(outer_shape.size(), 0);
  int64_t rows = 1;
  for (size_t d = outer_shape.size(); d-- > 0;) {
    outer_out[d] = rows * n;
    rows *= outer_shape[d];
  }
  maybe_parallel(pool, rows, std::max<int64_t>(1, kGrainElems / n), [&](int64_t begin, int64_t end) {
    Odometer it(outer_shape, outer_in, outer_out, begin);
    for (int64_t r = begin; r < end; ++r, it.next()) {
      const T* src = in + it.in();
      T* dst = out + r * n;
      if (step == 1) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
      else if (step == 0) std::fill(dst, dst + n, *src);
      else
        for (int64_t j = 0; j < n; ++j) dst[j] = src[j * step];
    }
  });
}

// Dimension k (not the last) is contiguous in the input: copy (k, last) planes in square tiles.
template <typename T>
void copy_tiled(const T* in, T* out, const View& v, size_t k, ThreadPool* pool) {
  const size_t last = v.shape.size() - 1;
  std::vector<int64_t> out_strides(v.shape.size());
  int64_t acc = 1;
  for (size_t d = v.shape.size(); d-- > 0;) {
    out_strides[d] = acc;
    acc *= v.shape[d];
  }
  std::vector<int64_t> outer_shape, outer_in, outer_out;
  for (size_t d = 0; d < last; ++d) {
    if (d == k) continue;
    outer_shape.push_back(v.shape[d]);
    outer_in.push_back(v.strides[d]);
    outer_out.push_back(out_strides[d]);
  }
  int64_t outer = 1;
  for (int64_t s : outer_shape) outer *= s;
  const int64_t na = v.shape[k], nb = v.shape[last], in_b = v.strides[last], out_a = out_strides[k];
  const int64_t a_tiles = (na + kTile - 1) / kTile;
  maybe_parallel(pool, outer * a_tiles, std::max<int64_t>(1, kGrainElems / (kTile * nb)), [&](int64_t begin, int64_t end) {
    Odometer it(outer_shape, outer_in, outer_out, begin / a_tiles);
    for (int64_t task = begin; task < end; ++task) {
      if (task != begin && task % a_tiles == 0) it.next();
      const int64_t a0 = task % a_tiles * kTile, a1 = std::min(na, a0 + kTile);
      const T* src = in + it.in();
      T* dst = out + it.out();
      for (int64_t b0 = 0; b0 < nb; b0 += kTile) {
        const int64_t b1 = std::min(nb, b0 + kTile);
        for (int64_t a = a0; a < a1; ++a)
          for (int64_t b = b0; b < b1; ++b) dst[a * out_a + b] = src[a + b * in_b];
      }
    }
  });
}

}  // namespace

void copy_bytes(const void* in, void* out, size_t bytes, ThreadPool* pool) {
  constexpr int64_t kBlock = 1 << 18;
  const int64_t blocks = (static_cast<int64_t>(bytes) + kBlock - 1) / kBlock;
  maybe_parallel(pool, blocks, 1, [&](int64_t begin, int64_t end) {
    const size_t from = static_cast<size_t>(begin * kBlock), to = std::min(bytes, static_cast<size_t>(end * kBlock));
    std::memcpy(static_cast<char*>(out) + from, static_cast<const char*>(in) + from, to - from);
  });
}

void strided_copy(const void* in, void* out, size_t elem_bytes, const Shape& shape, const std::vector<int64_t>& in_strides,
                  int64_t in_offset, ThreadPool* pool) {
  if (shape_numel(shape) == 0) return;
  View v = coalesce(shape, in_strides);
  dispatch_element_bytes(elem_bytes, [&]<typename T>() {
    const T* src = static_cast<const T*>(in) + in_offset;
    T* dst = static_cast<T*>(out);
    if (v.shape.empty()) {
      *dst = *src;
      return;
    }
    const size_t last = v.shape.size() - 1;
    if (v.strides[last] != 1 && v.strides[last] != 0) {
      for (size_t k = 0; k < last; ++k)
        if (v.strides[k] == 1) return copy_tiled(src, dst, v, k, pool);
    }
    copy_rows(src, dst, v, pool);
  });
}

void transpose(const void* in, void* out, size_t elem_bytes, const Shape& in_shape, const std::vector<int64_t>& perm,
               ThreadPool* pool) {
  std::vector<int64_t> in_strides(in_shape.size());
  int64_t acc = 1;
  for (size_t d = in_shape.size(); d-- > 0;) {
    in_strides[d] = acc;
    acc *= in_shape[d];
  }
  Shape out_shape(perm.size());
  std::vector<int64_t> strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    out_shape[d] = in_shape[static_cast<size_t>(perm[d])];
    strides[d] = in_strides[static_cast<size_t>(perm[d])];
  }
  strided_copy(in, out, elem_bytes, out_shape, strides, 0, pool);
}

}  // namespace lre::cpu
