// libFuzzer target: the checkpoint reader (safetensors layout: u64 header length, JSON header,
// tensor data) through xgrad::load_state_dict_file, and — for files that parse — the loads that
// hand the result to a module, a tensor map, a single tensor and a tensor list.
//
// Bad input must end in xgrad::Error (IOError for the file, ValueError for a valid file that does
// not fit the module); anything else — another exception (std::bad_alloc, nlohmann::json's own
// exceptions, std::length_error), an abort, a sanitizer report, a hang or an allocation above
// -rss_limit_mb / -malloc_limit_mb — escapes and is a finding.
#include <xgrad/error.hpp>
#include <xgrad/nn/modules/linear.hpp>
#include <xgrad/serialize.hpp>

#include "memfile.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// A module whose state dict is {"weight": F32 [3, 2], "bias": F32 [3]}: the corpus holds its
// checkpoints, so mutations reach Module::load_state_dict.
xgrad::nn::Linear& module() {
  static xgrad::nn::Linear linear(xgrad::nn::LinearOptions(2, 3));
  return linear;
}

template <typename F>
void expect_xgrad_error_only(F&& f) {
  try {
    f();
  } catch (const xgrad::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static xgrad::fuzz::MemFile file("xgrad_fuzz_checkpoint");
  const std::string& path = file.write(data, size);
  xgrad::StateDict state;
  try {
    state = xgrad::load_state_dict_file(path);
  } catch (const xgrad::IOError& e) {
    if (std::strstr(e.what(), path.c_str()) == nullptr) {
      std::fprintf(stderr, "error message does not name the file %s: %s\n", path.c_str(), e.what());
      std::abort();
    }
    return 0;
  }
  // A readable file: every tensor is defined and its bytes were read.
  for (const auto& item : state.tensors)
    if (!item.value().defined()) std::abort();
  expect_xgrad_error_only([&] { xgrad::load(module(), path, /*strict=*/false); });
  expect_xgrad_error_only([&] { xgrad::load(module(), path, /*strict=*/true); });
  expect_xgrad_error_only([&] {
    xgrad::Tensor t;
    xgrad::load(t, path);
  });
  expect_xgrad_error_only([&] {
    std::vector<xgrad::Tensor> ts;
    xgrad::load(ts, path);
  });
  return 0;
}
