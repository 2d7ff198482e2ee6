// Argument checks the CUDA launchers share: sizes that must not be negative and parameters that
// must not be null, each failing with an InvalidArgument that names the launcher.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "lre/error.h"

namespace lre::cuda {

inline void check_sizes(const char* what, std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    if (s < 0) throw Error(ErrorCode::InvalidArgument, std::string(what) + ": negative size " + std::to_string(s));
}

inline void check_param(const char* what, const char* name, const void* p) {
  if (p == nullptr) throw Error(ErrorCode::InvalidArgument, std::string(what) + ": " + name + " is null");
}

}  // namespace lre::cuda
