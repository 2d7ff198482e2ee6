// The one exception type of the library. Every failure carries a code and a message that names the
// model, node, input or file at fault and what was expected, so callers can act on it.
#pragma once

#include <stdexcept>
#include <string>

namespace lre {

enum class ErrorCode { InvalidModel, InvalidArgument, Unsupported, OutOfMemory, Device, Io, Internal };

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace lre
