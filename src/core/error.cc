// lre::Error: the single exception type, carrying a code for callers that map errors to exit
// codes, Python exceptions or HTTP statuses.
#include "lre/error.h"

namespace lre {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidModel: return "invalid model";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::OutOfMemory: return "out of memory";
    case ErrorCode::Device: return "device error";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Internal: return "internal error";
  }
  return "error";
}

Error::Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

}  // namespace lre
