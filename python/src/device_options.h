// The device and precision strings pylre's classes take, as Python callers write them ("cuda:1",
// "fp16", "bfloat16", ...), parsed once for every class so they all accept the same spellings.
#pragma once

#include <optional>
#include <string>

#include "lre/engine.h"
#include "lre/tensor.h"

namespace lre::python {

// None: cuda:0 when the build has CUDA and a GPU is visible, else cpu; "cpu", "cuda" (or "gpu"),
// "cuda:N", any case. Anything else is InvalidArgument.
Device parse_device(const std::optional<std::string>& text);

// None: fp32; "fp32"/"float32", "fp16"/"float16"/"half", "bf16"/"bfloat16", any case. Anything else
// is InvalidArgument.
Precision parse_precision(const std::optional<std::string>& text);

const char* precision_name(Precision p);  // "float32", "float16", "bfloat16"

}  // namespace lre::python
