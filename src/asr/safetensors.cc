// The header is parsed with nlohmann-json and checked entry by entry (dtype known, shape sane, byte
// range inside the file and the size its shape implies, no two ranges overlapping) before any view
// is made, because the data pointers come straight from those numbers.
#include "asr/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lre/error.h"

namespace lre::asr {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

// The format's own limit; anything larger is a corrupt length field, not a header.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeName { const char* name; DType dtype; };
const DTypeName kDTypes[] = {
    {"F64", DType::Float64}, {"F32", DType::Float32}, {"F16", DType::Float16}, {"BF16", DType::BFloat16},
    {"I64", DType::Int64},   {"I32", DType::Int32},   {"I16", DType::Int16},   {"I8", DType::Int8},
    {"U64", DType::UInt64},  {"U32", DType::UInt32},  {"U16", DType::UInt16},  {"U8", DType::UInt8},
    {"BOOL", DType::Bool},
};

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::InvalidModel, path + ": not a valid safetensors file: " + why);
}

[[noreturn]] void bad_entry(const std::string& path, const std::string& name, const std::string& why) {
  throw Error(ErrorCode::InvalidModel, path + ": tensor '" + name + "': " + why);
}

SafetensorsEntry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j,
                             uint64_t data_bytes) {
  if (!j.is_object()) bad_entry(path, name, "header entry is not a JSON object");
  SafetensorsEntry e;
  e.name = name;

  auto dt = j.find("dtype");
  if (dt == j.end() || !dt->is_string()) bad_entry(path, name, "no \"dtype\" string");
  e.dtype_name = dt->get<std::string>();
  const DTypeName* known = nullptr;
  for (const auto& d : kDTypes)
    if (e.dtype_name == d.name) known = &d;
  if (!known)
    throw Error(ErrorCode::Unsupported, path + ": tensor '" + name + "': dtype " + e.dtype_name +
                                            " is not supported (F64, F32, F16, BF16, I8-I64, U8-U64, BOOL)");
  e.dtype = known->dtype;

  auto sh = j.find("shape");
  if (sh == j.end() || !sh->is_array()) bad_entry(path, name, "no \"shape\" array");
  uint64_t numel = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      bad_entry(path, name, "shape " + sh->dump() + " has a dimension that is not a non-negative integer");
    uint64_t v = d.get<uint64_t>();
    if (__builtin_mul_overflow(numel, v, &numel)) bad_entry(path, name, "shape " + sh->dump() + " overflows");
    e.shape.push_back(static_cast<int64_t>(v));
  }
  uint64_t want = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(e.dtype)), &want))
    bad_entry(path, name, "shape " + sh->dump() + " overflows");

  auto off = j.find("data_offsets");
  if (off == j.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    bad_entry(path, name, "no \"data_offsets\" pair of non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.begin > e.end) bad_entry(path, name, "data_offsets " + off->dump() + " end before they begin");
  if (e.end > data_bytes)
    bad_entry(path, name, "data_offsets " + off->dump() + " reach past the end of the file (the data section has " +
                              std::to_string(data_bytes) + " bytes; is the file truncated?)");
  if (e.end - e.begin != want)
    bad_entry(path, name, "data_offsets " + off->dump() + " span " + std::to_string(e.end - e.begin) +
                              " bytes but " + e.dtype_name + " " + sh->dump() + " needs " + std::to_string(want));
  return e;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::Io, path + " is not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    corrupt(path, "only " + std::to_string(size) + " bytes; expected at least the 8-byte header length");
  }
  void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int map_errno = errno;
  ::close(fd);  // the mapping holds its own reference to the file
  if (base == MAP_FAILED) throw Error(ErrorCode::Io, "cannot memory-map " + path + ": " + std::strerror(map_errno));
  mapping_ = std::shared_ptr<void>(base, [size](void* p) { ::munmap(p, size); });

  const auto* bytes = static_cast<const uint8_t*>(base);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);
  if (header_len > kMaxHeaderBytes)
    corrupt(path, "header length " + std::to_string(header_len) + " is beyond the format's limit of " +
                      std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > size - 8)
    corrupt(path, "header length " + std::to_string(header_len) + " is more than the " + std::to_string(size - 8) +
                      " bytes after it (is the file truncated?)");
  const char* header = reinterpret_cast<const char*>(bytes + 8);
  data_ = bytes + 8 + header_len;
  const uint64_t data_bytes = size - 8 - header_len;

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header, header + header_len);
  } catch (const nlohmann::json::exception& ex) {
    corrupt(path, std::string("header is not valid JSON (") + ex.what() + ")");
  }
  if (!j.is_object()) corrupt(path, "header is not a JSON object");
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") continue;
    entries_.emplace(name, parse_entry(path, name, value, data_bytes));
  }

  // Overlapping ranges would alias two weights; empty tensors occupy no bytes and cannot overlap.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& [name, e] : entries_)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const SafetensorsEntry* a, const SafetensorsEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      bad_entry(path, by_offset[i]->name,
                "data_offsets [" + std::to_string(by_offset[i]->begin) + ", " + std::to_string(by_offset[i]->end) +
                    "] overlap those of '" + by_offset[i - 1]->name + "' [" + std::to_string(by_offset[i - 1]->begin) +
                    ", " + std::to_string(by_offset[i - 1]->end) + "]");
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(ErrorCode::InvalidModel, path_ + " has no tensor '" + name + "'");
  return it->second;
}

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  const uint8_t* p = data_ + e.begin;
  if (reinterpret_cast<uintptr_t>(p) % dtype_size(e.dtype) != 0) {
    Tensor t(e.dtype, e.shape);
    if (t.nbytes()) std::memcpy(t.raw(), p, t.nbytes());
    return t;
  }
  return Tensor::from_storage(mapping_, const_cast<uint8_t*>(p), e.dtype, e.shape);
}

SafetensorsSet SafetensorsSet::open_file(const std::string& path) {
  SafetensorsSet s;
  s.source_ = path;
  s.files_.emplace_back(path);
  for (const std::string& name : s.files_[0].names()) s.where_[name] = 0;
  return s;
}

SafetensorsSet SafetensorsSet::open_index(const std::string& index_path) {
  std::ifstream in(index_path);
  if (!in) throw Error(ErrorCode::Io, "cannot open " + index_path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& ex) {
    throw Error(ErrorCode::InvalidModel, index_path + ": not valid JSON (" + ex.what() + ")");
  }
  auto map = j.is_object() ? j.find("weight_map") : j.end();
  if (map == j.end() || !map->is_object())
    throw Error(ErrorCode::InvalidModel, index_path + ": no \"weight_map\" object (tensor name -> shard file)");

  SafetensorsSet s;
  s.source_ = index_path;
  const std::filesystem::path folder = std::filesystem::path(index_path).parent_path();
  std::map<std::string, size_t> shard_index;
  for (const auto& [name, shard] : map->items()) {
    if (!shard.is_string())
      throw Error(ErrorCode::InvalidModel, index_path + ": weight_map entry '" + name + "' is not a file name");
    const std::string file = shard.get<std::string>();
    auto [it, added] = shard_index.emplace(file, s.files_.size());
    if (added) s.files_.emplace_back((folder / file).string());
    const SafetensorsFile& f = s.files_[it->second];
    if (!f.contains(name))
      throw Error(ErrorCode::InvalidModel, index_path + " maps tensor '" + name + "' to " + f.path() +
                                               ", which has no such tensor");
    s.where_[name] = it->second;
  }
  s.source_ += " (" + std::to_string(s.files_.size()) + " shards)";
  return s;
}

std::vector<std::string> SafetensorsSet::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& [name, i] : where_) out.push_back(name);
  return out;
}

const SafetensorsFile& SafetensorsSet::file(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(ErrorCode::InvalidModel, source_ + " has no tensor '" + name + "'");
  return files_[it->second];
}

const SafetensorsEntry& SafetensorsSet::entry(const std::string& name) const { return file(name).entry(name); }
const std::string& SafetensorsSet::file_of(const std::string& name) const { return file(name).path(); }
Tensor SafetensorsSet::tensor(const std::string& name) const { return file(name).tensor(name); }

}  // namespace lre::asr
