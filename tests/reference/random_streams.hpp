#pragma once
// Comparison of xgrad's random values with PyTorch's recorded by random_streams.py: a case's
// values (several tensors concatenated, each in row-major order) must have PyTorch's count,
// first and last value, and FNV-1a hash of their bytes — equal hashes mean bit-identical values.

#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace xgrad::testing {

struct RandomStreamRef {
  const char* key;
  int64_t count;
  uint64_t hash;
  double first;
  double last;
};

inline const std::vector<RandomStreamRef>& random_stream_refs() {
  static const std::vector<RandomStreamRef> refs = {
#include "reference/random_streams.inc"
  };
  return refs;
}

inline const RandomStreamRef& random_stream_ref(const std::string& key) {
  for (const auto& r : random_stream_refs())
    if (key == r.key) return r;
  BOOST_FAIL("no PyTorch reference named " << key << " in tests/reference/random_streams.inc");
  throw;  // unreachable
}

inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Checks the values of `tensors`, in order, against the reference `key`.
inline void check_random_stream(const std::string& key, const std::vector<Tensor>& tensors) {
  const RandomStreamRef& ref = random_stream_ref(key);
  uint64_t h = 0xcbf29ce484222325ULL;
  int64_t count = 0;
  std::vector<double> values;
  for (const Tensor& t0 : tensors) {
    const Tensor t = t0.detach().contiguous();
    count += t.numel();
    const size_t bytes = static_cast<size_t>(t.numel()) * static_cast<size_t>(t.element_size());
    h = fnv1a(t.impl()->data(), bytes, h);
    const auto v = t.to_vector<double>();
    values.insert(values.end(), v.begin(), v.end());
  }
  BOOST_TEST_CONTEXT(key) {
    BOOST_REQUIRE_EQUAL(count, ref.count);
    BOOST_REQUIRE(!values.empty());
    BOOST_TEST(values.front() == ref.first);
    BOOST_TEST(values.back() == ref.last);
    BOOST_TEST(h == ref.hash, "the values differ from PyTorch's (hash " << std::hex << h << " != " << ref.hash
                                                                           << ")");
  }
}

inline void check_random_stream(const std::string& key, const Tensor& t) {
  check_random_stream(key, std::vector<Tensor>{t});
}

}  // namespace xgrad::testing
