// Data-movement kernels never look at values, so they are instantiated per element size (1, 2, 4
// or 8 bytes) rather than per dtype; this maps a size to an unsigned type of that size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lre/error.h"

namespace lre::cpu {

template <typename F> decltype(auto) dispatch_element_bytes(size_t bytes, F&& f) {
  switch (bytes) {
    case 1: return f.template operator()<uint8_t>();
    case 2: return f.template operator()<uint16_t>();
    case 4: return f.template operator()<uint32_t>();
    case 8: return f.template operator()<uint64_t>();
  }
  throw Error(ErrorCode::Internal, "no data-movement kernel for " + std::to_string(bytes) + "-byte elements");
}

// An index tensor's data, int32 or int64 (the two index types ONNX allows), read as int64.
struct IndexData {
  const void* data = nullptr;
  bool wide = true;  // int64 when true, int32 otherwise
  int64_t operator[](int64_t i) const {
    return wide ? static_cast<const int64_t*>(data)[i] : static_cast<const int32_t*>(data)[i];
  }
};

// Maps an index in [-n, n) to [0, n); throws naming `what` otherwise, so no kernel reads out of bounds.
inline int64_t wrap_index(int64_t i, int64_t n, const char* what) {
  if (i < -n || i >= n)
    throw Error(ErrorCode::InvalidArgument, std::string(what) + " index " + std::to_string(i) + " is out of range [" +
                                                std::to_string(-n) + ", " + std::to_string(n - 1) + "]");
  return i < 0 ? i + n : i;
}

}  // namespace lre::cpu
