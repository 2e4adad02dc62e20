// The safetensors layout: save(StateDict) and load_state_dict_file.
//
//     [8 bytes]  N, little-endian u64
//     [N bytes]  JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [2, 3],
//                       "data_offsets": [begin, end]}, ...}, padded with spaces to 8 bytes
//     [rest]     tensor bytes, little-endian, row-major; offsets are relative to here
//
// The reader trusts nothing in the file: every number is checked against the file's real size
// before it is used to allocate or read, and the header is fully validated (types, fields,
// dtypes, shapes, byte counts, ranges, overlaps) before the first tensor is created, so a
// corrupt file costs at most its own size in memory and always ends in an IOError that names
// the file and the problem.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/serialize.hpp>

#include "serialize/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

static_assert(std::endian::native == std::endian::little,
              "checkpoints are little-endian; a big-endian host would need byte swapping here");

namespace xgrad {

namespace {

using json = nlohmann::ordered_json;

// The largest header accepted (as the safetensors library): bounds the JSON parser's memory.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// More dimensions than any real tensor has; bounds the work on a hostile shape.
constexpr size_t kMaxDims = 64;

const char* safetensors_dtype(ScalarType t) {
  switch (t) {
    case kFloat32: return "F32";
    case kFloat64: return "F64";
    case kInt64: return "I64";
    case kBool: return "BOOL";
    case kInt32: return "I32";
    case kInt16: return "I16";
    case kInt8: return "I8";
    case kUInt8: return "U8";
    default: return "?";  // never written: save refuses complex tensors, make_tensor the named-only dtypes
  }
}

bool parse_dtype(const std::string& s, ScalarType& out) {
  if (s == "F32") out = kFloat32;
  else if (s == "F64") out = kFloat64;
  else if (s == "I64") out = kInt64;
  else if (s == "BOOL") out = kBool;
  else if (s == "I32") out = kInt32;
  else if (s == "I16") out = kInt16;
  else if (s == "I8") out = kInt8;
  else if (s == "U8") out = kUInt8;
  else return false;
  return true;
}

// A JSON value shown in an error message, cut short so a hostile header cannot flood it.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// ---- reading -------------------------------------------------------------------------------

struct Entry {
  std::string name;
  ScalarType dtype = kFloat32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

class Reader {
 public:
  explicit Reader(const std::filesystem::path& path) : path_(path), name_(path.string()) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      fail("cannot open for reading: {}", std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      fail("cannot stat: {}", std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) fail("is not a regular file");
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~Reader() {
    if (fd_ >= 0) ::close(fd_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  StateDict read() {
    if (size_ < 8) fail("the file is {} bytes, too short for a safetensors file (8-byte header length first)", size_);
    unsigned char len_bytes[8];
    read_at(len_bytes, 8, 0);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
    if (n > size_ - 8) fail("header length {} is past the end of the file ({} bytes)", n, size_);
    if (n > kMaxHeaderBytes) fail("header length {} exceeds the limit of {} bytes", n, kMaxHeaderBytes);
    std::string text(static_cast<size_t>(n), '\0');
    read_at(text.data(), text.size(), 8);
    data_start_ = 8 + n;
    data_size_ = size_ - data_start_;

    StateDict out;
    std::vector<Entry> entries = parse_header(text, out.metadata);
    text.clear();
    text.shrink_to_fit();
    check_ranges(entries);

    // Everything is known to fit in the file: allocate and read.
    NoGradGuard no_grad;
    for (const auto& e : entries) {
      Tensor t;
      try {
        t = make_tensor(e.shape, e.dtype);
      } catch (const ValueError& err) {
        // Sizes the tensor core refuses (an empty tensor whose other dimensions exceed its
        // element limit): a property of this file, so an IOError naming it.
        fail("entry '{}': xgrad cannot make a tensor of this shape: {}", e.name, err.what());
      }
      if (e.end > e.begin) read_at(t.unsafeGetTensorImpl()->data(), e.end - e.begin, data_start_ + e.begin);
      if (e.dtype == kBool) check_bools(e, static_cast<const unsigned char*>(t.unsafeGetTensorImpl()->data()));
      out.tensors.insert(e.name, std::move(t));
    }
    return out;
  }

 private:
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    throw IOError(name_ + ": " + fmt::format(f, std::forward<Args>(args)...));
  }

  void read_at(void* dst, uint64_t n, uint64_t offset) const {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      const size_t chunk = n < (uint64_t{1} << 30) ? static_cast<size_t>(n) : size_t{1} << 30;
      const ssize_t r = ::pread(fd_, p, chunk, static_cast<off_t>(offset));
      if (r < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        fail("cannot read {} bytes at offset {}: {}", n, offset, std::strerror(err));
      }
      // The file shrank after fstat (someone truncated it): report it, never read garbage.
      if (r == 0) fail("unexpected end of file at offset {} (the file was truncated while being read)", offset);
      p += r;
      n -= static_cast<uint64_t>(r);
      offset += static_cast<uint64_t>(r);
    }
  }

  // Parses the JSON with a callback that records duplicate keys (a JSON object keeps only one
  // of them) and refuses nesting deeper than the format has (bounding the parser's work).
  std::vector<Entry> parse_header(const std::string& text, std::map<std::string, std::string>& metadata) const {
    std::vector<std::set<std::string>> keys_stack;
    std::string duplicate, too_deep;
    json header;
    try {
      header = json::parse(text, [&](int depth, json::parse_event_t event, json& parsed) {
        switch (event) {
          case json::parse_event_t::object_start:
          case json::parse_event_t::array_start:
            if (depth >= 3) {
              if (too_deep.empty()) too_deep = "a value nested deeper than the format allows";
              return false;
            }
            if (event == json::parse_event_t::object_start) keys_stack.emplace_back();
            return true;
          case json::parse_event_t::key:
            if (!keys_stack.empty() && !keys_stack.back().insert(parsed.get<std::string>()).second &&
                duplicate.empty())
              duplicate = parsed.get<std::string>();
            return true;
          case json::parse_event_t::object_end:
            if (!keys_stack.empty()) keys_stack.pop_back();
            return true;
          default:
            return true;
        }
      });
    } catch (const nlohmann::json::exception& e) {
      fail("malformed JSON header: {}", e.what());
    }
    if (!too_deep.empty()) fail("malformed header: {}", too_deep);
    if (!duplicate.empty()) fail("duplicate key '{}' in the header", duplicate);
    if (!header.is_object()) fail("the header is a JSON {}, expected an object", header.type_name());

    std::vector<Entry> entries;
    for (const auto& [name, value] : header.items()) {
      if (name == "__metadata__") {
        if (!value.is_object()) fail("__metadata__ is a JSON {}, expected an object of strings", value.type_name());
        for (const auto& [key, v] : value.items()) {
          if (!v.is_string()) fail("__metadata__ value of '{}' is a JSON {} ({}), expected a string", key, v.type_name(), shown(v));
          metadata.emplace(key, v.get<std::string>());
        }
        continue;
      }
      entries.push_back(parse_entry(name, value));
    }
    return entries;
  }

  Entry parse_entry(const std::string& name, const json& value) const {
    if (!value.is_object())
      fail("entry '{}' is a JSON {}, expected an object with dtype, shape and data_offsets", name, value.type_name());
    for (const auto& [field, v] : value.items()) {
      (void)v;
      if (field != "dtype" && field != "shape" && field != "data_offsets")
        fail("entry '{}' has an unknown field '{}' (expected dtype, shape and data_offsets)", name, field);
    }
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) fail("entry '{}' has no '{}'", name, field);

    Entry e;
    e.name = name;
    const json& dtype = value["dtype"];
    if (!dtype.is_string()) fail("entry '{}': dtype is a JSON {}, expected a string", name, dtype.type_name());
    if (!parse_dtype(dtype.get<std::string>(), e.dtype))
      fail("entry '{}' has dtype {}, which xgrad does not support (F32, F64, I64, I32, I16, I8, U8, BOOL)", name, shown(dtype));

    const json& shape = value["shape"];
    if (!shape.is_array()) fail("entry '{}': shape is a JSON {}, expected an array", name, shape.type_name());
    if (shape.size() > kMaxDims) fail("entry '{}': shape has {} dimensions, more than {}", name, shape.size(), kMaxDims);
    // Bytes needed, overflow-checked: prod(shape) * itemsize must fit in 64 bits. The product
    // skips zero dimensions, so an empty tensor's other dimensions are bounded too: they become
    // its strides, and [0, 2^62, 2^62] would overflow them (tests/fuzz/corpus/checkpoint/regress_*).
    uint64_t bytes = element_size(e.dtype);
    bool overflow = false;
    bool empty = false;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("entry '{}': shape {} has an entry that is not a non-negative integer", name, shown(shape));
      const uint64_t dim = d.get<uint64_t>();
      e.shape.push_back(static_cast<int64_t>(dim));
      if (dim == 0) {
        empty = true;
        continue;
      }
      overflow = overflow || __builtin_mul_overflow(bytes, dim, &bytes);
    }
    const bool too_many = !overflow && bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (empty && (overflow || too_many))
      fail("entry '{}': shape {} of {} is empty, but its other dimensions alone need more than 2^63 bytes", name,
           shown(shape), safetensors_dtype(e.dtype));
    if (too_many)
      fail("entry '{}': shape {} of {} needs more than 2^63 bytes", name, shown(shape), safetensors_dtype(e.dtype));
    // A zero dimension makes the tensor empty.
    if (empty) bytes = 0;

    const json& off = value["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail("entry '{}': data_offsets {} is not a pair of non-negative integers [begin, end]", name, shown(off));
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.end < e.begin) fail("entry '{}': data_offsets [{}, {}] end before they begin", name, e.begin, e.end);
    if (overflow)
      fail("entry '{}': shape {} of {} needs more than 2^64 bytes", name, shown(shape), safetensors_dtype(e.dtype));
    if (bytes != e.end - e.begin)
      fail("entry '{}': shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}", name, shown(shape),
           safetensors_dtype(e.dtype), bytes, e.begin, e.end, e.end - e.begin);
    if (e.end > data_size_)
      fail("entry '{}': data_offsets [{}, {}] go past the end of the data ({} bytes after the header)", name, e.begin,
           e.end, data_size_);
    return e;
  }

  // Tensors must tile the data exactly (as the safetensors library requires): no overlap, no
  // hole, nothing after the last one. Puts the entries in file order (the order they were saved).
  void check_ranges(std::vector<Entry>& entries) const {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    uint64_t covered = 0;
    const Entry* last = nullptr;
    for (const auto& e : entries) {
      if (e.begin == e.end) continue;  // empty tensors occupy no bytes
      if (e.begin < covered)
        fail("entries '{}' [{}, {}] and '{}' [{}, {}] overlap", last->name, last->begin, last->end, e.name, e.begin,
             e.end);
      if (e.begin > covered)
        fail("bytes [{}, {}) of the data belong to no tensor (before '{}')", covered, e.begin, e.name);
      covered = e.end;
      last = &e;
    }
    if (covered != data_size_)
      fail("the data is {} bytes but the tensors cover only {} (trailing bytes after the last tensor)", data_size_,
           covered);
  }

  // A bool byte other than 0 or 1 has no meaning (and reading it as `bool` is undefined).
  void check_bools(const Entry& e, const unsigned char* p) const {
    for (uint64_t i = 0; i < e.end - e.begin; ++i)
      if (p[i] > 1) fail("entry '{}': BOOL element {} is {} (expected 0 or 1)", e.name, i, static_cast<int>(p[i]));
  }

  std::filesystem::path path_;
  std::string name_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
  uint64_t data_size_ = 0;
};

}  // namespace

// ---- writing ---------------------------------------------------------------------------------

void save(const StateDict& state, const std::filesystem::path& path) {
  const std::string where = path.string();
  // Contiguous copies only where needed; kept alive until their bytes are written.
  std::vector<Tensor> data;
  data.reserve(state.tensors.size());
  json header = json::object();
  // The format keys first, so `head -c 100 file` tells what the file is.
  json meta = json::object();
  meta[kFormatKey] = "xgrad";
  meta[kFormatVersionKey] = std::to_string(kCheckpointFormatVersion);
  meta[kContentKey] = "state_dict";
  for (const auto& [key, value] : state.metadata)
    if (key != kFormatKey && key != kFormatVersionKey) meta[key] = value;
  header["__metadata__"] = std::move(meta);
  uint64_t offset = 0;
  {
    NoGradGuard no_grad;
    for (const auto& item : state.tensors) {
      XGRAD_CHECK(item.key() != "__metadata__", ValueError, "save ({}): '__metadata__' cannot name a tensor", where);
      XGRAD_CHECK(item.value().defined(), ValueError, "save ({}): tensor '{}' is undefined", where, item.key());
      XGRAD_CHECK(!is_complex(item.value().dtype()), TypeError,
                  "save ({}): tensor '{}' is {}, which xgrad's checkpoints do not store (real dtypes only)", where,
                  item.key(), dtype_name(item.value().dtype()));
      Tensor t = item.value().detach().contiguous();
      const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
      header[item.key()] = {{"dtype", safetensors_dtype(t.dtype())},
                            {"shape", t.sizes().vec()},
                            {"data_offsets", {offset, offset + nbytes}}};
      offset += nbytes;
      data.push_back(std::move(t));
    }
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    XGRAD_THROW(ValueError, "save ({}): a tensor name or metadata string is not valid UTF-8 ({})", where, e.what());
  }
  // Pad with spaces so the data starts 8-byte aligned (safetensors' convention).
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));

  detail::AtomicFile file(path);
  file.write(len_bytes, 8);
  file.write(text.data(), text.size());
  for (const auto& t : data)
    if (t.numel() > 0)
      file.write(t.unsafeGetTensorImpl()->data(), static_cast<size_t>(t.numel()) * t.element_size());
  file.commit();
}

StateDict load_state_dict_file(const std::filesystem::path& path) { return Reader(path).read(); }

}  // namespace xgrad
