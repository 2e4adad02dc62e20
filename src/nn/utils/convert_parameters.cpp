// The parameters as one flat vector and back (torch.nn.utils.parameters_to_vector /
// vector_to_parameters).

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/utils/convert_parameters.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace xgrad::nn::utils {

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
  XGRAD_CHECK(!parameters.empty(), ValueError, "parameters_to_vector: expected at least one parameter, got none");
  std::vector<Tensor> flat;
  flat.reserve(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    XGRAD_CHECK(parameters[i].defined(), ValueError, "parameters_to_vector: parameter {} is undefined", i);
    flat.push_back(parameters[i].reshape({-1}));
  }
  return cat(flat);
}

void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters) {
  XGRAD_CHECK(vec.defined(), ValueError, "vector_to_parameters: the vector is undefined");
  XGRAD_CHECK(vec.dim() == 1, ShapeError, "vector_to_parameters: expected a 1-D vector, got sizes [{}]",
              fmt::join(vec.sizes().vec(), ", "));
  int64_t total = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    XGRAD_CHECK(parameters[i].defined(), ValueError, "vector_to_parameters: parameter {} is undefined", i);
    total += parameters[i].numel();
  }
  // Checked before any copy, so a mismatch leaves every parameter unchanged.
  XGRAD_CHECK(vec.numel() == total, ShapeError,
              "vector_to_parameters: the vector has {} elements but the {} parameters have {} in total", vec.numel(),
              parameters.size(), total);
  NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    const int64_t n = p.numel();
    Tensor target = p.detach();  // shares the parameter's storage
    target.copy_(vec.narrow(0, offset, n).reshape(p.sizes()));
    offset += n;
  }
}

}  // namespace xgrad::nn::utils
