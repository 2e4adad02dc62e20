#pragma once
/// \file
/// `nn::functional::embedding` and `one_hot`, as in LibTorch (`<torch/nn/functional/embedding.h>`),
/// with the ATen-level ops they use, `xgrad::embedding` and `xgrad::embedding_renorm_`
/// (LibTorch's `torch::embedding`, `torch::embedding_renorm_`):
///
///     auto w = xgrad::randn({10, 3});
///     auto ids = xgrad::tensor({{1, 2, 4}, {4, 3, 9}}, xgrad::kInt64);
///     auto y = F::embedding(ids, w);                     // [2, 3, 3]: y[i][j] = w[ids[i][j]]
///     auto z = F::embedding(ids, w, F::EmbeddingFuncOptions().padding_idx(0).max_norm(1.0));
///     auto h = F::one_hot(xgrad::tensor({0, 2, 1}));    // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]

#include <xgrad/nn/options/embedding.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad {

/// Looks up rows of `weight` [num_weights, dim] (any dtype): the result has sizes
/// `indices.sizes() + [dim]`, row i being weight[indices[i]]. `indices` is int64 or int32 (else
/// TypeError); each must be in [0, num_weights) (IndexError "index out of range in self";
/// negative indices are not wrapped). A weight that is not 2-D is a ShapeError.
/// Differentiable for a floating weight, to any order: the weight's gradient is the output
/// gradient's rows summed into the rows they came from, except that rows looked up at
/// `padding_idx` (already wrapped: -1 = none, else in [0, num_weights), ValueError otherwise)
/// contribute nothing, and with `scale_grad_by_freq` each contribution is divided by how often
/// its index occurs in `indices`. `sparse = true` is a ValueError (no sparse tensors).
/// PyTorch: `torch.embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse)`.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1,
                 bool scale_grad_by_freq = false, bool sparse = false);

/// In place, without recording a graph: every distinct row r of `indices` whose `norm_type`-norm
/// exceeds `max_norm` is multiplied by max_norm / (norm + 1e-7). Returns `weight`. Checks as
/// embedding, plus: a floating contiguous weight (TypeError / ValueError), max_norm >= 0 and a
/// non-NaN norm_type (ValueError), and AutogradError when grad mode is on and the weight requires
/// grad (run it under NoGradGuard). PyTorch: `torch.embedding_renorm_`.
Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type);

}  // namespace xgrad

namespace xgrad::nn::functional {

/// `input` (int64/int32 indices, any shape) -> rows of `weight` [num_embeddings, dim], sizes
/// `input.sizes() + [dim]`. `padding_idx` may be negative (counted from the end; outside
/// [-num_embeddings, num_embeddings) is a ValueError "Padding_idx must be within
/// num_embeddings"); with `max_norm` the looked-up rows of `weight` are renormalised in place
/// first (see embedding_renorm_). Other errors as xgrad::embedding. PyTorch:
/// `torch.nn.functional.embedding(input, weight, padding_idx, max_norm, norm_type,
/// scale_grad_by_freq, sparse)`.
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

/// int64 class indices -> int64 one-hot rows with sizes `tensor.sizes() + [num_classes]`;
/// num_classes = -1 infers max(tensor) + 1. A non-int64 input is a TypeError; a negative class,
/// a class >= num_classes, num_classes < -1, or inferring from an empty tensor is a ValueError
/// naming one_hot. Not differentiable. PyTorch: `torch.nn.functional.one_hot`.
inline Tensor one_hot(const Tensor& tensor, int64_t num_classes = -1) { return xgrad::one_hot(tensor, num_classes); }

}  // namespace xgrad::nn::functional
