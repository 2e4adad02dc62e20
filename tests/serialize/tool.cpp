// Helper program of the serialize tests (not a test itself): writes checkpoints for the Python
// tests and for the killed-writer test.
//   tool sample PATH        a checkpoint of every dtype, an empty, a scalar and a transposed
//                           tensor (values checked by read_with_numpy.py)
//   tool cnn MODEL IO       xgrad's CNN (seeded) and a file with an input and xgrad's output
//                           (checked against PyTorch by xgrad_to_torch.py)
//   tool loop PATH NUMEL    saves a NUMEL-float tensor filled with i, i = 0, 1, ... forever,
//                           printing "saving i" before and "saved i" after each save

#include <xgrad/xgrad.hpp>

#include "cnn.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

using namespace xgrad;

namespace {

int sample(const std::string& path) {
  StateDict sd;
  sd.tensors.insert("weight", arange(6, kFloat32).reshape({2, 3}) * 0.5);
  sd.tensors.insert("double", tensor({1.0 / 3.0, -2.5e300, 0.0}, kFloat64));
  sd.tensors.insert("count", full({}, int64_t{-7}, kInt64));
  sd.tensors.insert("ids", tensor({int64_t{1}, int64_t{1} << 40, int64_t{-3}}));
  sd.tensors.insert("mask", tensor({true, false, true}));
  sd.tensors.insert("empty", zeros({0, 3}));
  sd.tensors.insert("transposed", arange(6, kFloat32).reshape({2, 3}).t());
  sd.metadata.emplace("epoch", "3");
  save(sd, path);
  return 0;
}

int cnn(const std::string& model_path, const std::string& io_path) {
  manual_seed(1);
  testing::CNN model;
  auto x = randn({2, 1, 8, 8});
  Tensor y;
  {
    NoGradGuard no_grad;
    y = model(x);
  }
  save(model, model_path);
  save(std::map<std::string, Tensor>{{"input", x}, {"output", y}}, io_path);
  return 0;
}

int loop(const std::string& path, int64_t numel) {
  auto t = empty({numel});
  float* p = t.data_ptr<float>();
  for (int64_t i = 0;; ++i) {
    for (int64_t j = 0; j < numel; ++j) p[j] = static_cast<float>(i);
    StateDict sd;
    sd.tensors.insert("values", t);
    sd.metadata["iteration"] = std::to_string(i);
    std::printf("saving %lld\n", static_cast<long long>(i));
    std::fflush(stdout);
    save(sd, path);
    std::printf("saved %lld\n", static_cast<long long>(i));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "sample") == 0) return sample(argv[2]);
    if (argc == 4 && std::strcmp(argv[1], "cnn") == 0) return cnn(argv[2], argv[3]);
    if (argc == 4 && std::strcmp(argv[1], "loop") == 0) return loop(argv[2], std::stoll(argv[3]));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: tool sample PATH | tool cnn MODEL IO | tool loop PATH NUMEL\n";
  return 2;
}
