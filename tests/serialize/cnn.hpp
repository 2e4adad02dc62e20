#pragma once
// The CNN of tests/reference/checkpoint.py (make_cnn), built in xgrad with the same names:
// steps, features.{0,3}.{weight,bias}, classifier.{1,3}.{weight,bias}.

#include <xgrad/xgrad.hpp>

namespace xgrad::testing {

struct CNNImpl : nn::Module {
  CNNImpl() {
    features = register_module(
        "features", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::ReLU(),
                                   nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Conv2d(4, 6, 3), nn::Tanh()));
    classifier = register_module("classifier",
                                 nn::Sequential(nn::Flatten(), nn::Linear(24, 10), nn::ReLU(), nn::Linear(10, 5)));
    steps = register_buffer("steps", full({}, int64_t{7}, kInt64));
  }
  Tensor forward(const Tensor& x) { return classifier->forward(features->forward(x)); }
  nn::Sequential features{nullptr}, classifier{nullptr};
  Tensor steps;
};
XGRAD_MODULE(CNN);

}  // namespace xgrad::testing
