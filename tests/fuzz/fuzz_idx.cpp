// libFuzzer target: xgrad::data::read_idx on arbitrary bytes. The first two bytes decide raw or
// gzip inside read_idx, so one target covers both readers (the corpus holds both kinds).
//
// Bad input must end in xgrad::Error (IOError naming the file); anything else — another
// exception (std::bad_alloc, std::length_error), an abort, a sanitizer report, a hang or an
// allocation above -rss_limit_mb / -malloc_limit_mb — escapes and is a finding.
#include <xgrad/data/idx.hpp>
#include <xgrad/error.hpp>

#include "memfile.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static xgrad::fuzz::MemFile file("xgrad_fuzz_idx");
  const std::string& path = file.write(data, size);
  try {
    const xgrad::data::IdxArray arr = xgrad::data::read_idx(path, "fuzz");
    // A file read without error is consistent: its bytes are exactly numel elements, and
    // converting it to a tensor must succeed.
    const int64_t n = arr.numel();
    if (arr.bytes.size() != static_cast<size_t>(n) * xgrad::data::idx_element_size(arr.type)) {
      std::fprintf(stderr, "read_idx returned %zu bytes for %lld elements\n", arr.bytes.size(),
                   static_cast<long long>(n));
      std::abort();
    }
    const xgrad::Tensor t = arr.to_tensor();
    if (t.numel() != n) std::abort();
  } catch (const xgrad::Error& e) {
    // The expected outcome for bad input; the message must name the file.
    if (std::strstr(e.what(), path.c_str()) == nullptr) {
      std::fprintf(stderr, "error message does not name the file %s: %s\n", path.c_str(), e.what());
      std::abort();
    }
  }
  return 0;
}
