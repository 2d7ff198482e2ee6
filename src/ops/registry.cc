// The kernel registry. Filled by static registrars before main(); read-only afterwards, so the
// lookups made while compiling engines on several threads need no lock.
#include <map>
#include <tuple>

#include "lre/error.h"
#include "ops/kernel.h"

namespace lre {

namespace {
using Key = std::tuple<std::string, std::string, Device::Kind>;
std::map<Key, KernelFactory>& registry() {
  static std::map<Key, KernelFactory> r;
  return r;
}
}  // namespace

void register_kernel(const std::string& domain, const std::string& op_type, Device::Kind device,
                     KernelFactory factory) {
  registry()[{domain == "ai.onnx" ? "" : domain, op_type, device}] = std::move(factory);
}

const KernelFactory* find_kernel(const std::string& domain, const std::string& op_type, Device::Kind device) {
  auto it = registry().find({domain == "ai.onnx" ? "" : domain, op_type, device});
  return it == registry().end() ? nullptr : &it->second;
}

void Kernel::compute_cuda(KernelContext&) const {
  throw Error(ErrorCode::Internal, "compute_cuda called on a kernel that has no CUDA implementation");
}

std::vector<std::string> registered_ops(Device::Kind device) {
  std::vector<std::string> out;
  for (const auto& [key, factory] : registry())
    if (std::get<2>(key) == device)
      out.push_back(std::get<0>(key).empty() ? std::get<1>(key) : std::get<0>(key) + "." + std::get<1>(key));
  return out;
}

}  // namespace lre
