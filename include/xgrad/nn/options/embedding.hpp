#pragma once
/// \file
/// Options of `Embedding` and `functional::embedding`, as LibTorch's
/// `torch/nn/options/embedding.h`:
///
///     xgrad::nn::Embedding emb(xgrad::nn::EmbeddingOptions(10, 3).padding_idx(0).max_norm(1.0));
///     auto e = xgrad::nn::Embedding::from_pretrained(w, xgrad::nn::EmbeddingFromPretrainedOptions().freeze(false));
///     auto y = F::embedding(ids, w, F::EmbeddingFuncOptions().padding_idx(0));
///
/// `sparse(true)` is accepted by the options (so LibTorch code compiles) but refused with a
/// ValueError when the module is built or the function runs: xgrad has no sparse tensors.

#include <xgrad/arg.hpp>
#include <xgrad/tensor.hpp>

#include <cstdint>
#include <optional>

namespace xgrad::nn {

/// `EmbeddingOptions(num_embeddings, embedding_dim)`: a table of `num_embeddings` rows of
/// `embedding_dim` values.
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  /// Number of rows (the largest index + 1).
  XGRAD_ARG(int64_t, num_embeddings);
  /// Size of each row.
  XGRAD_ARG(int64_t, embedding_dim);
  /// A row that gets no gradient and starts as zeros (e.g. the id of a padding token); a
  /// negative value counts from the end. Must be in [-num_embeddings, num_embeddings).
  XGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  /// When set, every row the input looks up whose `norm_type`-norm exceeds max_norm is scaled in
  /// place to norm max_norm before the lookup (the weight changes).
  XGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
  /// The p of the p-norm for max_norm.
  XGRAD_ARG(double, norm_type) = 2.;
  /// Divides each row's gradient by how often its index occurs in the mini-batch.
  XGRAD_ARG(bool, scale_grad_by_freq) = false;
  /// LibTorch's sparse gradient; not supported (ValueError).
  XGRAD_ARG(bool, sparse) = false;
  /// The initial weight [num_embeddings, embedding_dim] (used as given, sharing its storage,
  /// instead of drawing N(0, 1)); from_pretrained sets it.
  XGRAD_ARG(Tensor, _weight) = Tensor();
};

/// Options of `Embedding::from_pretrained`: `freeze` (default true) keeps the weight from
/// requiring grad; the rest as EmbeddingOptions.
struct EmbeddingFromPretrainedOptions {
  XGRAD_ARG(bool, freeze) = true;
  XGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  XGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
  XGRAD_ARG(double, norm_type) = 2.;
  XGRAD_ARG(bool, scale_grad_by_freq) = false;
  XGRAD_ARG(bool, sparse) = false;
};

namespace functional {
/// Options of `functional::embedding` (the same fields as EmbeddingOptions, without the sizes).
struct EmbeddingFuncOptions {
  XGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  XGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
  XGRAD_ARG(double, norm_type) = 2.;
  XGRAD_ARG(bool, scale_grad_by_freq) = false;
  XGRAD_ARG(bool, sparse) = false;
};
}  // namespace functional

}  // namespace xgrad::nn
