// The .npy header is a Python dict literal; we parse only the three keys the format defines and
// reject anything else (Fortran order, big-endian, object arrays) with a clear message.
#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "lre/error.h"

namespace lre {

namespace {

const char kMagic[] = "\x93NUMPY";

struct DescrEntry { const char* descr; DType dtype; };
const DescrEntry kDescrs[] = {
    {"<f4", DType::Float32}, {"<f2", DType::Float16}, {"<f8", DType::Float64}, {"|i1", DType::Int8},
    {"<i2", DType::Int16},   {"<i4", DType::Int32},   {"<i8", DType::Int64},   {"|u1", DType::UInt8},
    {"<u2", DType::UInt16},  {"<u4", DType::UInt32},  {"<u8", DType::UInt64},  {"|b1", DType::Bool},
};

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::InvalidArgument, path + ": not a readable .npy file: " + why);
}

}  // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, "cannot open " + path);
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, kMagic, 6) != 0) bad(path, "missing the \\x93NUMPY magic");
  uint8_t major = static_cast<uint8_t>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) bad(path, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    bad(path, "unknown format version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) bad(path, "header too long");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) bad(path, "truncated header");

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')"))) bad(path, "no 'descr' in header");
  std::string descr = m[1];
  if (descr.size() == 3 && descr[0] == '=') descr[0] = '<';
  const DescrEntry* entry = nullptr;
  for (const auto& d : kDescrs) {
    std::string want = d.descr;
    if (descr == want || (want[0] == '|' && descr.size() == 3 && descr.substr(1) == want.substr(1))) entry = &d;
  }
  if (!entry) bad(path, "element type '" + descr + "' is not supported (little-endian numeric or bool only)");
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)"))) bad(path, "Fortran order is not supported");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) bad(path, "no 'shape' in header");
  Shape shape;
  std::string dims = m[1];
  std::regex num(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
    shape.push_back(std::stoll(it->str()));

  Tensor t(entry->dtype, shape);
  if (t.nbytes() && !f.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.nbytes())))
    bad(path, "data is truncated (expected " + std::to_string(t.nbytes()) + " bytes for shape " + shape_to_string(shape) + ")");
  return t;
}

void write_npy(const Tensor& t, const std::string& path) {
  const char* descr = nullptr;
  for (const auto& d : kDescrs)
    if (d.dtype == t.dtype()) descr = d.descr;
  if (!descr) throw Error(ErrorCode::Unsupported, std::string("cannot write ") + dtype_name(t.dtype()) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.rank(); ++i) shape += std::to_string(t.dim(i)) + (t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, "cannot write " + path);
  f.write(kMagic, 6);
  f.put(1);
  f.put(0);
  uint16_t len = static_cast<uint16_t>(header.size());
  f.put(static_cast<char>(len & 0xff));
  f.put(static_cast<char>(len >> 8));
  f << header;
  f.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  if (!f) throw Error(ErrorCode::Io, "writing " + path + " failed");
}

}  // namespace lre
