#pragma once
/// \file
/// `nn::Embedding`, as in LibTorch: a lookup table of learnable rows, indexed by integer ids.
///
///     xgrad::nn::Embedding emb(10, 3);                        // weight [10, 3] ~ N(0, 1)
///     auto y = emb(xgrad::tensor({{1, 2}, {4, 9}}, xgrad::kInt64));   // [2, 2, 3]
///     xgrad::nn::Embedding pad(xgrad::nn::EmbeddingOptions(10, 3).padding_idx(0));  // row 0 zeros
///     auto frozen = xgrad::nn::Embedding::from_pretrained(vectors);  // weight = vectors, no grad
///     std::cout << *pad;   // Embedding(10, 3, padding_idx=0)

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/embedding.hpp>

namespace xgrad::nn {

/// Rows of `weight` [num_embeddings, embedding_dim] looked up by the input's int64/int32 ids:
/// an input of any shape S gives S + [embedding_dim]. The weight starts as N(0, 1) (PyTorch's
/// stream, so the values equal PyTorch's after the same manual_seed), with the padding_idx row
/// zeroed; or it is `options._weight()` (sharing its storage). Forward, gradient, padding_idx,
/// max_norm and scale_grad_by_freq as `functional::embedding`.
/// Errors, naming Embedding: num_embeddings or embedding_dim < 0, padding_idx outside
/// [-num_embeddings, num_embeddings), a _weight of other sizes than [num_embeddings,
/// embedding_dim] (ValueError / ShapeError), sparse(true) (ValueError: no sparse tensors).
/// Repr as PyTorch: `Embedding(10, 3, padding_idx=0, max_norm=1.0)`. PyTorch: `nn.Embedding`.
class EmbeddingImpl : public Cloneable<EmbeddingImpl> {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(EmbeddingOptions options_);

  /// Checks the options and (re)creates the weight.
  void reset() override;
  /// Draws N(0, 1) again and zeroes the padding_idx row (PyTorch's reset_parameters).
  void reset_parameters();
  /// Rows of the weight for `indices`; see functional::embedding.
  Tensor forward(const Tensor& indices);
  std::string extra_repr() const override;

  /// The options; padding_idx is stored wrapped to [0, num_embeddings) after construction.
  EmbeddingOptions options;
  /// [num_embeddings, embedding_dim].
  Tensor weight;
};

/// Holder of EmbeddingImpl, with LibTorch's `from_pretrained`.
class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  using Impl = EmbeddingImpl;

  /// An Embedding whose weight is `embeddings` [rows, cols] (sharing its storage), requiring
  /// grad unless `options.freeze()` (the default). ValueError naming
  /// Embedding::from_pretrained unless `embeddings` is a defined 2-D floating tensor ("Embeddings
  /// parameter is expected to be 2-dimensional"). PyTorch: `nn.Embedding.from_pretrained`.
  static Embedding from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace xgrad::nn
