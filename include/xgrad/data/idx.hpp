#pragma once
/// \file
/// Reading IDX files, the format of MNIST and Fashion-MNIST.
///
/// An IDX file is a 4-byte magic number `00 00 TT RR` (TT the element type, RR the rank), RR
/// big-endian uint32 dimensions, then the elements in row-major order, big-endian. `read_idx`
/// accepts the file raw or gzip-compressed; which one is decided by the first two bytes
/// (`1f 8b` is gzip), not by the name:
///
///     auto labels = xgrad::data::read_idx("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
///     labels.sizes;                 // {60000}
///     labels.type;                  // IdxType::kUInt8
///     xgrad::Tensor t = labels.to_tensor();   // int64 [60000]
///
/// Every problem is an `xgrad::IOError` whose message starts with the path: a missing or
/// unreadable file, a wrong magic number, an unknown element type, a rank of 0 or above
/// `kIdxMaxRank`, sizes whose product overflows or exceeds `kIdxMaxBytes`, fewer data bytes than
/// the header announces (a truncated file, raw or gzip), more (trailing bytes, inside or after the
/// gzip stream), and corrupt gzip data (bad header, bad deflate block, CRC mismatch). Memory is
/// only allocated as data actually arrives, never from the header's sizes alone.
///
/// Python equivalent: none in PyTorch (torchvision's `read_sn3_pascalvincent_tensor`).

#include <xgrad/tensor.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::data {

/// IDX element types (the third byte of the magic number).
enum class IdxType : uint8_t {
  kUInt8 = 0x08,
  kInt8 = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};

/// Bytes per element of `type`.
size_t idx_element_size(IdxType type);
/// "ubyte", "byte", "short", "int", "float" or "double".
std::string_view idx_type_name(IdxType type);

/// Largest rank `read_idx` accepts.
inline constexpr int kIdxMaxRank = 16;
/// Largest payload `read_idx` accepts (16 GiB).
inline constexpr uint64_t kIdxMaxBytes = uint64_t{1} << 34;

/// The content of one IDX file.
struct IdxArray {
  IdxType type = IdxType::kUInt8;
  /// The dimensions, outermost first.
  std::vector<int64_t> sizes;
  /// The elements in row-major order, converted to the host's byte order
  /// (`numel() * idx_element_size(type)` bytes).
  std::vector<uint8_t> bytes;

  int64_t numel() const;
  /// The elements as a tensor of `sizes`: integer types give kInt64, `float` kFloat32,
  /// `double` kFloat64 (xgrad has no 8/16/32-bit integer dtypes).
  Tensor to_tensor() const;
};

/// Reads an IDX file, raw or gzipped. `what` names the elements in error messages
/// ("image" gives "expected 47040000 image bytes, found 1048576"). Throws IOError (see the file
/// comment).
IdxArray read_idx(const std::string& path, std::string_view what = "data");

}  // namespace xgrad::data
