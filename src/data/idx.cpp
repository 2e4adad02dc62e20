// IDX files, raw or gzipped (see <xgrad/data/idx.hpp> for the format).
//
// The reader never trusts the header with memory: a raw file's size is compared with the header
// before anything is allocated, and a gzip stream (whose uncompressed size is unknown until it is
// inflated) is read into a buffer that grows only as inflated bytes actually arrive. A truncated
// gzip file is not an error to zlib — inflate simply runs out of input — so every byte count is
// checked here, and the messages say what the header announced and what was found.
#include <xgrad/data/idx.hpp>
#include <xgrad/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace xgrad::data {

size_t idx_element_size(IdxType type) {
  switch (type) {
    case IdxType::kUInt8:
    case IdxType::kInt8:
      return 1;
    case IdxType::kInt16:
      return 2;
    case IdxType::kInt32:
    case IdxType::kFloat32:
      return 4;
    case IdxType::kFloat64:
      return 8;
  }
  XGRAD_THROW(ValueError, "idx_element_size: unknown IDX type 0x{:02x}", static_cast<unsigned>(type));
}

std::string_view idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::kUInt8: return "ubyte";
    case IdxType::kInt8: return "byte";
    case IdxType::kInt16: return "short";
    case IdxType::kInt32: return "int";
    case IdxType::kFloat32: return "float";
    case IdxType::kFloat64: return "double";
  }
  // Only a value cast from outside the enum gets here (read_idx rejects unknown type bytes first).
  XGRAD_THROW(ValueError, "idx_type_name: unknown IDX type 0x{:02x}", static_cast<unsigned>(type));
}

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

Tensor IdxArray::to_tensor() const {
  const int64_t n = numel();
  XGRAD_CHECK(bytes.size() == static_cast<size_t>(n) * idx_element_size(type), ValueError,
              "IdxArray::to_tensor: {} bytes do not hold {} {} elements (sizes {})", bytes.size(), n,
              idx_type_name(type), IntArrayRef(sizes));
  const uint8_t* src = bytes.data();
  switch (type) {
    case IdxType::kFloat32: {
      Tensor t = make_tensor(sizes, kFloat32);
      if (n > 0) std::memcpy(t.data_ptr<float>(), src, bytes.size());
      return t;
    }
    case IdxType::kFloat64: {
      Tensor t = make_tensor(sizes, kFloat64);
      if (n > 0) std::memcpy(t.data_ptr<double>(), src, bytes.size());
      return t;
    }
    default:
      break;
  }
  Tensor t = make_tensor(sizes, kInt64);
  int64_t* out = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    switch (type) {
      case IdxType::kUInt8: out[i] = src[i]; break;
      case IdxType::kInt8: out[i] = static_cast<int8_t>(src[i]); break;
      case IdxType::kInt16: {
        int16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        out[i] = v;
        break;
      }
      default: {
        int32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        out[i] = v;
        break;
      }
    }
  }
  return t;
}

namespace {

constexpr size_t kInputChunk = size_t{1} << 16;
constexpr size_t kFirstBlock = size_t{1} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// A stream of the file's (uncompressed) bytes.
class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes; returns fewer only at the end of the data.
  virtual size_t read(uint8_t* dst, size_t n) = 0;
};

class RawSource final : public Source {
 public:
  RawSource(std::FILE* f, const std::string& path) : f_(f), path_(path) {}
  size_t read(uint8_t* dst, size_t n) override {
    const size_t got = std::fread(dst, 1, n, f_);
    if (got < n && std::ferror(f_)) XGRAD_THROW(IOError, "{}: read error: {}", path_, std::strerror(errno));
    return got;
  }

 private:
  std::FILE* f_;
  const std::string& path_;
};

// Inflates one or more concatenated gzip members. Running out of file inside a member is not
// reported by zlib; it is recorded in truncated() for the caller to word.
class GzipSource final : public Source {
 public:
  GzipSource(std::FILE* f, const std::string& path) : f_(f), path_(path) {
    // 16 + MAX_WBITS: gzip wrapper only (a raw deflate or zlib stream is not an IDX.gz file).
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
      XGRAD_THROW(IOError, "{}: zlib could not start inflating: {}", path_, zs_.msg ? zs_.msg : "out of memory");
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  size_t read(uint8_t* dst, size_t n) override {
    size_t produced = 0;
    while (produced < n) {
      if (zs_.avail_in == 0) {
        refill();
        if (zs_.avail_in == 0) {
          // The file is over: fine between members, a truncation inside one.
          if (in_member_) truncated_ = true;
          break;
        }
      }
      if (!in_member_) {
        inflateReset(&zs_);
        in_member_ = true;
        ++members_;
        member_out_ = 0;
      }
      const size_t want = std::min<size_t>(n - produced, UINT_MAX);
      zs_.next_out = dst + produced;
      zs_.avail_out = static_cast<uInt>(want);
      const uInt in_before = zs_.avail_in;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const size_t got = want - zs_.avail_out;
      produced += got;
      member_out_ += got;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        continue;
      }
      if (rc == Z_OK) continue;
      if (rc == Z_BUF_ERROR && (zs_.avail_in == 0 || zs_.avail_out == 0 || zs_.avail_in != in_before)) continue;
      if (rc == Z_DATA_ERROR && after_stream())
        XGRAD_THROW(IOError, "{}: trailing bytes after the end of the gzip stream (they are not another gzip member)",
                    path_);
      if (rc == Z_MEM_ERROR) XGRAD_THROW(IOError, "{}: out of memory while inflating", path_);
      XGRAD_THROW(IOError, "{}: corrupt gzip data: {} (after {} inflated bytes)", path_,
                  zs_.msg ? zs_.msg : "inflate failed", total_out_ + produced);
    }
    total_out_ += produced;
    return produced;
  }

  // The file ended inside a gzip member.
  bool truncated() const { return truncated_; }
  // The bytes being inflated came after a complete gzip stream and produced nothing yet:
  // they are garbage appended to the file rather than data.
  bool after_stream() const { return members_ > 1 && member_out_ == 0; }

 private:
  void refill() {
    if (eof_) return;
    const size_t got = std::fread(in_.data(), 1, in_.size(), f_);
    if (got < in_.size()) {
      if (std::ferror(f_)) XGRAD_THROW(IOError, "{}: read error: {}", path_, std::strerror(errno));
      eof_ = true;
    }
    zs_.next_in = in_.data();
    zs_.avail_in = static_cast<uInt>(got);
  }

  std::FILE* f_;
  const std::string& path_;
  z_stream zs_{};
  std::array<uint8_t, kInputChunk> in_{};
  bool eof_ = false;
  bool in_member_ = false;
  bool truncated_ = false;
  int members_ = 0;
  size_t member_out_ = 0;
  size_t total_out_ = 0;
};

size_t read_fully(Source& src, uint8_t* dst, size_t n) {
  size_t have = 0;
  while (have < n) {
    const size_t got = src.read(dst + have, n - have);
    if (got == 0) break;
    have += got;
  }
  return have;
}

void to_host_order(std::vector<uint8_t>& bytes, size_t elem) {
  if constexpr (std::endian::native == std::endian::big) return;
  if (elem == 1) return;
  for (size_t i = 0; i + elem <= bytes.size(); i += elem) std::reverse(bytes.begin() + i, bytes.begin() + i + elem);
}

}  // namespace

IdxArray read_idx(const std::string& path, std::string_view what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) XGRAD_THROW(IOError, "{}: is a directory, not an IDX file", path);
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) XGRAD_THROW(IOError, "{}: cannot open: {}", path, std::strerror(errno));

  // gzip or raw, by the first two bytes.
  std::array<uint8_t, 2> peek{};
  const size_t peeked = std::fread(peek.data(), 1, 2, file.get());
  if (std::ferror(file.get())) XGRAD_THROW(IOError, "{}: read error: {}", path, std::strerror(errno));
  const bool gzip = peeked == 2 && peek[0] == 0x1f && peek[1] == 0x8b;
  if (std::fseek(file.get(), 0, SEEK_SET) != 0)
    XGRAD_THROW(IOError, "{}: cannot seek: {}", path, std::strerror(errno));
  std::unique_ptr<Source> src;
  GzipSource* gz = nullptr;
  if (gzip) {
    auto g = std::make_unique<GzipSource>(file.get(), path);
    gz = g.get();
    src = std::move(g);
  } else {
    src = std::make_unique<RawSource>(file.get(), path);
  }
  const char* kind = gzip ? "gzipped IDX" : "IDX";

  // 1. Magic number: 00 00 type rank.
  std::array<uint8_t, 4> magic{};
  const size_t got_magic = read_fully(*src, magic.data(), 4);
  if (got_magic < 4)
    XGRAD_THROW(IOError, "{}: truncated: expected a 4-byte {} magic number, found {} byte{}", path, kind, got_magic,
                got_magic == 1 ? "" : "s");
  if (magic[0] != 0 || magic[1] != 0)
    XGRAD_THROW(IOError, "{}: not an IDX file: magic number {:02x} {:02x} {:02x} {:02x}, expected 00 00 <type> <rank>",
                path, magic[0], magic[1], magic[2], magic[3]);
  const auto type = static_cast<IdxType>(magic[2]);
  switch (type) {
    case IdxType::kUInt8:
    case IdxType::kInt8:
    case IdxType::kInt16:
    case IdxType::kInt32:
    case IdxType::kFloat32:
    case IdxType::kFloat64:
      break;
    default:
      XGRAD_THROW(IOError,
                  "{}: unknown IDX element type 0x{:02x} (expected 08 ubyte, 09 byte, 0b short, 0c int, 0d float or "
                  "0e double)",
                  path, magic[2]);
  }
  const int rank = magic[3];
  if (rank < 1 || rank > kIdxMaxRank)
    XGRAD_THROW(IOError, "{}: IDX rank {} is not supported (1 to {})", path, rank, kIdxMaxRank);

  // 2. Dimensions, big-endian uint32 each; their product is checked before anything is sized by it.
  std::array<uint8_t, 4 * kIdxMaxRank> dim_bytes{};
  const size_t dims_len = 4 * static_cast<size_t>(rank);
  const size_t got_dims = read_fully(*src, dim_bytes.data(), dims_len);
  if (got_dims < dims_len)
    XGRAD_THROW(IOError, "{}: truncated: expected {} bytes of dimensions for rank {}, found {}", path, dims_len, rank,
                got_dims);
  IdxArray out;
  out.type = type;
  out.sizes.resize(static_cast<size_t>(rank));
  const uint64_t elem = idx_element_size(type);
  // Bytes of the non-zero dimensions. An empty array's other dimensions are bounded as well:
  // numel(), to_tensor() and the tensor's strides multiply them (fuzzing found an empty array
  // that to_tensor() refused; 2^32-1 to the third would overflow int64).
  uint64_t total = elem;
  bool too_large = false;
  bool empty = false;
  for (int d = 0; d < rank; ++d) {
    const uint8_t* b = dim_bytes.data() + 4 * d;
    const uint64_t s = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | uint64_t{b[3]};
    out.sizes[static_cast<size_t>(d)] = static_cast<int64_t>(s);
    if (s == 0) {
      empty = true;
      continue;
    }
    if (total > kIdxMaxBytes / s) too_large = true;
    if (!too_large) total *= s;
  }
  if (too_large || total > kIdxMaxBytes)
    XGRAD_THROW(IOError, "{}: sizes {} of {} give more than {} bytes of data{}; the header is probably corrupt", path,
                IntArrayRef(out.sizes), idx_type_name(type), kIdxMaxBytes,
                empty ? " (counting the dimensions other than the empty one)" : "");
  // A zero dimension makes the array empty.
  if (empty) total = 0;
  const size_t header = 4 + dims_len;
  auto shape_text = [&] { return fmt::format("sizes {} of {}", IntArrayRef(out.sizes), idx_type_name(type)); };

  // 3. A raw file's size settles both truncation and trailing bytes before any allocation.
  if (!gzip) {
    const auto fsize = fs::file_size(path, ec);
    if (!ec) {
      const uint64_t payload = fsize >= header ? fsize - header : 0;
      if (payload < total)
        XGRAD_THROW(IOError, "{}: truncated: expected {} {} bytes, found {} ({})", path, total, what, payload,
                    shape_text());
      if (payload > total)
        XGRAD_THROW(IOError, "{}: {} trailing bytes after the {} {} bytes the header announces ({})", path,
                    payload - total, total, what, shape_text());
    }
  }

  // 4. The payload, in blocks that grow only as data arrives.
  size_t have = 0;
  while (have < total) {
    const size_t target = static_cast<size_t>(std::min<uint64_t>(total, std::max<uint64_t>(2 * have, kFirstBlock)));
    out.bytes.resize(target);
    const size_t got = read_fully(*src, out.bytes.data() + have, target - have);
    have += got;
    if (have < target) break;
  }
  if (have < total) {
    XGRAD_THROW(IOError, "{}: truncated: expected {} {} bytes, found {} ({}{})", path, total, what, have, shape_text(),
                gzip ? "; the gzip stream ends early" : "");
  }

  // 5. Nothing may follow the announced data.
  std::array<uint8_t, 4096> scratch{};
  uint64_t extra = 0;
  for (;;) {
    const size_t got = src->read(scratch.data(), scratch.size());
    extra += got;
    if (got < scratch.size()) break;
  }
  if (extra > 0)
    XGRAD_THROW(IOError, "{}: {} trailing bytes after the {} {} bytes the header announces ({})", path, extra, total,
                what, shape_text());
  if (gz && gz->truncated()) {
    if (gz->after_stream())
      XGRAD_THROW(IOError, "{}: trailing bytes after the end of the gzip stream (they are not another gzip member)",
                  path);
    XGRAD_THROW(IOError, "{}: truncated gzip stream: the {} {} bytes are complete but the gzip trailer (CRC and length) "
                "is missing",
                path, total, what);
  }
  to_host_order(out.bytes, elem);
  return out;
}

}  // namespace xgrad::data
