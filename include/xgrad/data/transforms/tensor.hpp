#pragma once
/// \file
/// Transforms of an Example's data tensor, as LibTorch's `TensorTransform`, `TensorLambda`
/// and `Normalize`:
///
///     using namespace xgrad::data;
///     auto ds = datasets::MNIST(root)
///                   .map(transforms::Normalize<>(0.1307, 0.3081))     // (x - mean) / stddev
///                   .map(transforms::TensorLambda<>([](xgrad::Tensor x) { return x.flatten(); }))
///                   .map(transforms::Stack<>());

#include <xgrad/array_ref.hpp>
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/data/example.hpp>
#include <xgrad/data/transforms/base.hpp>
#include <xgrad/error.hpp>
#include <xgrad/tensor.hpp>

#include <cmath>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace xgrad::data::transforms {

/// A Transform of `Example<Tensor, Target>` that changes only the data, through operator().
template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  using typename Transform<E, E>::InputType;
  using typename Transform<E, E>::OutputType;

  /// The new data for one example's data tensor.
  virtual Tensor operator()(Tensor input) = 0;

  OutputType apply(InputType input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

/// A TensorTransform from a function `Tensor(Tensor)`.
template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;

  explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

/// `(x - mean) / stddev` on every example's data. `mean` and `stddev` are one value (all
/// channels) or one per channel; as in LibTorch they are stored as float32 tensors of sizes
/// [C, 1, 1], so they broadcast over an image's channel dimension ([C, H, W]).
///
/// Throws ValueError when either list is empty, a value is not finite, a stddev is 0 (the
/// result would be inf/NaN), or the lists have different lengths other than 1.
/// PyTorch equivalent: torchvision.transforms.Normalize(mean, std).
template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(ArrayRef<double> mean, ArrayRef<double> stddev)
      : mean(make_constant(mean, "mean")), stddev(make_constant(stddev, "stddev")) {
    XGRAD_CHECK(this->mean.size(0) == this->stddev.size(0) || this->mean.size(0) == 1 || this->stddev.size(0) == 1,
                ValueError,
                "transforms::Normalize: mean has {} values and stddev {}; give one value or one per channel for each",
                this->mean.size(0), this->stddev.size(0));
    for (size_t i = 0; i < stddev.size(); ++i)
      XGRAD_CHECK(static_cast<float>(stddev[i]) != 0.0f, ValueError,
                  "transforms::Normalize: stddev[{}] = {} is 0 in float32, which would divide by zero", i, stddev[i]);
  }

  Tensor operator()(Tensor input) override { return input.sub(mean).div(stddev); }

  /// [C, 1, 1] float32 constants.
  Tensor mean, stddev;

 private:
  static Tensor make_constant(ArrayRef<double> values, const char* name) {
    XGRAD_CHECK(!values.empty(), ValueError, "transforms::Normalize: {} is empty; give one value or one per channel",
                name);
    std::vector<float> v;
    v.reserve(values.size());
    for (double x : values) {
      XGRAD_CHECK(std::isfinite(x), ValueError, "transforms::Normalize: {} {} is not finite", name, x);
      v.push_back(static_cast<float>(x));
    }
    const auto c = static_cast<int64_t>(v.size());
    return from_vector(v, std::vector<int64_t>{c, 1, 1});
  }
};

namespace detail {
/// The row-wise form of a Normalize, or nullopt when its (public, assignable) mean/stddev tensors
/// are no longer float32 [C, 1, 1].
template <typename Target>
std::optional<data::detail::NormalizeStage> normalize_stage(const Normalize<Target>& n) {
  auto ok = [](const Tensor& t) {
    return t.defined() && t.dtype() == kFloat32 && t.dim() == 3 && t.size(1) == 1 && t.size(2) == 1 && t.size(0) >= 1;
  };
  if (!ok(n.mean) || !ok(n.stddev)) return std::nullopt;
  return data::detail::NormalizeStage{n.mean.template to_vector<float>(), n.stddev.template to_vector<float>()};
}
}  // namespace detail

}  // namespace xgrad::data::transforms
