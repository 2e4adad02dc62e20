// Linear, Flatten and Identity: argument checks, PyTorch's default initialisation, forward through
// nn::functional and PyTorch's extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/linear.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

// ---- Linear, Flatten ------------------------------------------------------------------------------

LinearImpl::LinearImpl(const LinearOptions& options_) : options(options_) {
  XGRAD_CHECK(options.in_features() >= 0, ValueError, "Linear: in_features must be non-negative, got {}",
              options.in_features());
  XGRAD_CHECK(options.out_features() >= 0, ValueError, "Linear: out_features must be non-negative, got {}",
              options.out_features());
  reset();
}

void LinearImpl::reset() {
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", empty({options.out_features()}));
  reset_parameters();
}

void LinearImpl::reset_parameters() { default_layer_init(weight, bias); }

Tensor LinearImpl::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options.in_features(), options.out_features(),
                     py_bool(options.bias()));
}

FlattenImpl::FlattenImpl(const FlattenOptions& options_) : options(options_) {}

Tensor FlattenImpl::forward(const Tensor& input) {
  return functional::flatten(input, options.start_dim(), options.end_dim());
}

std::string FlattenImpl::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", options.start_dim(), options.end_dim());
}

UnflattenImpl::UnflattenImpl(UnflattenOptions options_) : options(std::move(options_)) {}

Tensor UnflattenImpl::forward(const Tensor& input) {
  XGRAD_CHECK(input.defined(), ValueError, "Unflatten: input is an undefined tensor");
  XGRAD_CHECK(options.namedshape().empty(), ValueError,
              "Unflatten: named dimensions (dimname \"{}\") are not supported: xgrad has no named tensors; pass "
              "UnflattenOptions(dim, sizes)",
              options.dimname());
  const std::vector<int64_t>& sizes = options.sizes();
  XGRAD_CHECK(!sizes.empty(), ValueError, "Unflatten: unflattened_size must be non-empty");
  const int64_t nd = input.dim();
  XGRAD_CHECK(options.dim() >= -nd && options.dim() < nd, IndexError,
              "Unflatten: dimension out of range (expected to be in range of [{}, {}], but got {})", -nd, nd - 1,
              options.dim());
  const int64_t d = options.dim() < 0 ? options.dim() + nd : options.dim();
  // The split sizes, with one -1 inferred; their product must be the size of dim d.
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    XGRAD_CHECK(sizes[i] >= -1, ValueError, "Unflatten: invalid size {} in unflattened_size {}", sizes[i],
                to_string(IntArrayRef(sizes)));
    if (sizes[i] == -1) {
      XGRAD_CHECK(infer < 0, ValueError, "Unflatten: only one size can be inferred (-1), got {}",
                  to_string(IntArrayRef(sizes)));
      infer = static_cast<int64_t>(i);
    } else {
      known *= sizes[i];
    }
  }
  std::vector<int64_t> split = sizes;
  const int64_t n = input.size(d);
  if (infer >= 0) {
    XGRAD_CHECK(known != 0 && n % known == 0, ShapeError,
                "Unflatten: unflattened_size {} does not divide input.size({}) = {}", to_string(IntArrayRef(sizes)),
                d, n);
    split[static_cast<size_t>(infer)] = n / known;
  } else {
    XGRAD_CHECK(known == n, ShapeError,
                "Unflatten: provided sizes {} don't multiply up to the size of dim {} ({}) in the input tensor",
                to_string(IntArrayRef(sizes)), d, n);
  }
  std::vector<int64_t> shape(input.sizes().begin(), input.sizes().begin() + d);
  shape.insert(shape.end(), split.begin(), split.end());
  shape.insert(shape.end(), input.sizes().begin() + d + 1, input.sizes().end());
  return input.view(shape);
}

std::string UnflattenImpl::extra_repr() const {
  if (!options.namedshape().empty()) {
    std::string s = fmt::format("dim={}, unflattened_size={{", options.dimname());
    for (size_t i = 0; i < options.namedshape().size(); ++i)
      s += fmt::format("{}{{{}, {}}}", i ? ", " : "", options.namedshape()[i].first, options.namedshape()[i].second);
    return s + "}";
  }
  std::string s = fmt::format("dim={}, unflattened_size={{", options.dim());
  for (size_t i = 0; i < options.sizes().size(); ++i) s += fmt::format("{}{}", i ? ", " : "", options.sizes()[i]);
  return s + "}";
}

Tensor IdentityImpl::forward(const Tensor& input) { return input; }

}  // namespace xgrad::nn
