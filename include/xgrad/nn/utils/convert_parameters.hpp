#pragma once
/// \file
/// Parameters as one flat vector and back, as LibTorch's `torch::nn::utils::parameters_to_vector`
/// / `vector_to_parameters` (PyTorch's `torch.nn.utils`):
///
///     Tensor flat = xgrad::nn::utils::parameters_to_vector(model->parameters());   // [61706]
///     xgrad::nn::utils::vector_to_parameters(flat * 0.5, model->parameters());

#include <xgrad/tensor.hpp>

#include <vector>

namespace xgrad::nn::utils {

/// The parameters flattened and concatenated in order: a 1-D tensor of their total size. It is
/// part of the autograd graph (gradients flow back to the parameters), as PyTorch's.
/// ValueError for an empty list.
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);

/// Copies consecutive slices of the 1-D `vec` into the parameters, in order, without recording
/// gradients. Unlike PyTorch, which makes each parameter a view of `vec` (`param.data = ...`),
/// the values are copied into the parameters' own storage, converted to their dtype: module
/// members and optimizers keep referring to the same tensors.
/// ShapeError when `vec` is not 1-D or its size differs from the parameters' total size.
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

}  // namespace xgrad::nn::utils
