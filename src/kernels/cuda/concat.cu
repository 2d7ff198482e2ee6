// Concat and Split as block copies: in the (outer, axis * inner) view of the whole tensor each piece
// owns a band of columns of every row. One launch moves up to kMaxConcatGroup pieces, one per grid
// row, each piece walked contiguously; the pointers travel in the kernel's parameters.
#include <algorithm>
#include <string>
#include <type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/concat.cuh"
#include "kernels/cuda/movement_util.cuh"

namespace lre::cuda {

namespace {

// P is const T* for Concat (pieces are read) and T* for Split (pieces are written).
template <typename P>
struct PieceGroup {
  P ptr[kMaxConcatGroup] = {};
  int64_t width[kMaxConcatGroup] = {};   // axis_size * inner, in elements
  int64_t column[kMaxConcatGroup] = {};  // where the piece's band starts in a row of the whole
};

template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) concat_kernel(T* y, Index outer, Index y_width,
                                                               PieceGroup<const T*> g) {
  const int k = static_cast<int>(blockIdx.y);
  const Index width = static_cast<Index>(g.width[k]);
  const Index n = outer * width;
  const T* src = g.ptr[k];
  T* dst = y + g.column[k];
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    const Index r = i / width;
    dst[static_cast<int64_t>(r) * y_width + (i - r * width)] = src[i];
  }
}

template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) split_kernel(const T* x, Index outer, Index x_width,
                                                              PieceGroup<T*> g) {
  const int k = static_cast<int>(blockIdx.y);
  const Index width = static_cast<Index>(g.width[k]);
  const Index n = outer * width;
  const T* src = x + g.column[k];
  T* dst = g.ptr[k];
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    const Index r = i / width;
    dst[i] = src[static_cast<int64_t>(r) * x_width + (i - r * width)];
  }
}

// Checks the layout; returns the width of a row of the whole (sum(axis_sizes) * inner).
template <typename V>
int64_t check_layout(size_t elem_bytes, std::span<V const> ptrs, std::span<const int64_t> axis_sizes, int64_t outer,
                     int64_t inner, const char* what) {
  check_element_bytes(elem_bytes, what);
  if (ptrs.size() != axis_sizes.size())
    fail_argument(what, std::to_string(ptrs.size()) + " tensors with " + std::to_string(axis_sizes.size()) +
                            " axis sizes " + shape_str(axis_sizes));
  if (outer < 0 || inner < 0)
    fail_argument(what, "negative outer (" + std::to_string(outer) + ") or inner (" + std::to_string(inner) + ") size");
  int64_t width = 0;
  for (int64_t a : axis_sizes) {
    if (a < 0) fail_argument(what, "negative axis size in " + shape_str(axis_sizes));
    width += a * inner;
  }
  return width;
}

// Moves every piece that holds elements (and, for Split, is wanted), kMaxConcatGroup pieces a
// launch, as the widest words that every pointer, band start, band width and row allow.
template <bool kConcat, typename V, typename W>
void move_pieces(size_t elem_bytes, W whole, std::span<V const> ptrs, std::span<const int64_t> axis_sizes,
                 int64_t outer, int64_t inner, int64_t whole_width, const char* what, cudaStream_t stream) {
  const void* whole_ptr[] = {whole};
  const int64_t whole_count[] = {whole_width};
  size_t unit = widest_unit(elem_bytes, whole_ptr, whole_count);
  int64_t column = 0;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    const int64_t width = axis_sizes[i] * inner;
    if (width > 0 && ptrs[i]) {
      const void* piece_ptr[] = {ptrs[i]};
      const int64_t piece_counts[] = {width, column};
      unit = std::min(unit, widest_unit(elem_bytes, piece_ptr, piece_counts));
    }
    column += width;
  }
  const int64_t factor = static_cast<int64_t>(unit / elem_bytes);
  dispatch_unit(unit, what, [&]<typename T>() {
    using Ptr = std::conditional_t<kConcat, const T*, T*>;
    dispatch_index(outer * whole_width, [&]<typename Index>() {
      const Index outer_i = static_cast<Index>(outer), width_i = static_cast<Index>(whole_width / factor);
      PieceGroup<Ptr> g;
      int count = 0;
      int64_t widest = 0, col = 0;
      auto flush = [&] {
        const dim3 grid(grid_for(outer * widest), static_cast<unsigned>(count));
        if constexpr (kConcat)
          concat_kernel<T, Index><<<grid, kBlockThreads, 0, stream>>>(static_cast<T*>(whole), outer_i, width_i, g);
        else
          split_kernel<T, Index><<<grid, kBlockThreads, 0, stream>>>(static_cast<const T*>(whole), outer_i, width_i, g);
        LRE_CUDA_CHECK_LAUNCH();
        count = 0;
        widest = 0;
      };
      for (size_t i = 0; i < ptrs.size(); ++i) {
        const int64_t width = axis_sizes[i] * inner / factor;
        if (width > 0 && ptrs[i]) {
          g.ptr[count] = static_cast<Ptr>(ptrs[i]);
          g.width[count] = width;
          g.column[count] = col;
          widest = std::max(widest, width);
          if (++count == kMaxConcatGroup) flush();
        }
        col += width;
      }
      if (count > 0) flush();
    });
  });
}

}  // namespace

void launch_concat(size_t elem_bytes, std::span<const void* const> inputs, std::span<const int64_t> axis_sizes,
                   int64_t outer, int64_t inner, void* y, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_concat";
  const int64_t y_width = check_layout(elem_bytes, inputs, axis_sizes, outer, inner, kWhat);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i] && outer * axis_sizes[i] * inner > 0)
      fail_argument(kWhat, "input " + std::to_string(i) + " holds elements but its pointer is null");
  if (outer * y_width == 0) return;
  move_pieces<true>(elem_bytes, y, inputs, axis_sizes, outer, inner, y_width, kWhat, stream);
}

void launch_split(size_t elem_bytes, const void* x, int64_t outer, std::span<const int64_t> axis_sizes, int64_t inner,
                  std::span<void* const> outputs, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_split";
  const int64_t x_width = check_layout(elem_bytes, outputs, axis_sizes, outer, inner, kWhat);
  if (outer * x_width == 0) return;
  move_pieces<false>(elem_bytes, x, outputs, axis_sizes, outer, inner, x_width, kWhat, stream);
}

}  // namespace lre::cuda
