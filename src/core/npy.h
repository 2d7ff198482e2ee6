// NumPy .npy files (format versions 1-3, little-endian, C order), the exchange format of `lre run`.
#pragma once

#include <string>

#include "lre/tensor.h"

namespace lre {

Tensor read_npy(const std::string& path);
void write_npy(const Tensor& t, const std::string& path);

}  // namespace lre
