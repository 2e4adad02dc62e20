#pragma once
// Writes small IDX files (raw and gzipped) for the data tests, in a temporary folder that is
// removed afterwards.

#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace xgrad::testing {

using Bytes = std::vector<uint8_t>;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("xgrad_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Header (00 00 type rank, big-endian dims) followed by `payload` as given.
inline Bytes idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const Bytes& payload) {
  Bytes b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    b.push_back(static_cast<uint8_t>(d >> 24));
    b.push_back(static_cast<uint8_t>(d >> 16));
    b.push_back(static_cast<uint8_t>(d >> 8));
    b.push_back(static_cast<uint8_t>(d));
  }
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// One gzip member holding `data`.
inline Bytes gzip_bytes(const Bytes& data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  return out;
}

inline void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// n images of 28 x 28 with pixel k of image i = (7 i + k) % 256, and the given labels.
inline Bytes mnist_pixels(size_t n) {
  Bytes p(n * 784);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < 784; ++k) p[i * 784 + k] = static_cast<uint8_t>((7 * i + k) % 256);
  return p;
}

// Writes the four MNIST files for `n` examples with labels (3 i + 1) % 10, raw or gzipped.
inline void write_mnist(const TempDir& dir, size_t n, bool gz, const std::string& prefix = "train") {
  Bytes labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<uint8_t>((3 * i + 1) % 10);
  const auto nn = static_cast<uint32_t>(n);
  Bytes img = idx_bytes(0x08, {nn, 28, 28}, mnist_pixels(n));
  Bytes lab = idx_bytes(0x08, {nn}, labels);
  const std::string ext = gz ? ".gz" : "";
  write_file(dir.file(prefix + "-images-idx3-ubyte" + ext), gz ? gzip_bytes(img) : img);
  write_file(dir.file(prefix + "-labels-idx1-ubyte" + ext), gz ? gzip_bytes(lab) : lab);
}

}  // namespace xgrad::testing
