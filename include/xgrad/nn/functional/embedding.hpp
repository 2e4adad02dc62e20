#pragma once
/// \file
/// `nn::functional::one_hot`, as in LibTorch (`<torch/nn/functional/embedding.h>`):
///
///     auto y = F::one_hot(xgrad::tensor({0, 2, 1}));   // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]

#include <xgrad/tensor.hpp>

namespace xgrad::nn::functional {

/// int64 class indices -> int64 one-hot rows with sizes `tensor.sizes() + [num_classes]`;
/// num_classes = -1 infers max(tensor) + 1. A non-int64 input is a TypeError; a negative class,
/// a class >= num_classes, num_classes < -1, or inferring from an empty tensor is a ValueError
/// naming one_hot. Not differentiable. PyTorch: `torch.nn.functional.one_hot`.
inline Tensor one_hot(const Tensor& tensor, int64_t num_classes = -1) { return xgrad::one_hot(tensor, num_classes); }

}  // namespace xgrad::nn::functional
