#pragma once
/// \file
/// `nn::BatchNorm1d` and `nn::BatchNorm2d`, as in LibTorch:
///
///     xgrad::nn::BatchNorm2d bn(xgrad::nn::BatchNormOptions(6).momentum(0.1));
///     auto y = bn(x);            // train(): batch statistics; running stats updated
///     bn->eval();
///     auto z = bn(x);            // eval(): running statistics
///     std::cout << *bn;  // BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
///
/// Parameters (when affine): `weight` (ones) and `bias` (zeros), C elements. Buffers (when
/// track_running_stats): `running_mean` (zeros), `running_var` (ones), `num_batches_tracked`
/// (int64 scalar 0), registered in PyTorch's order so named_parameters / named_buffers match
/// PyTorch's state_dict. Forward goes through `functional::batch_norm`; see there for the
/// formulas and the errors.

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/options/batchnorm.hpp>

namespace xgrad::nn {

/// Shared implementation of BatchNorm1d / BatchNorm2d (LibTorch's BatchNormImplBase).
class BatchNormImplBase : public Module {
 public:
  /// `name` is the subclass's ("BatchNorm2d"), for messages during construction. Throws
  /// ValueError for num_features < 1, eps < 0, or a momentum outside [0, 1].
  BatchNormImplBase(std::string name, const BatchNormOptions& options);
  /// (Re)creates the parameters and buffers from `options` and initialises them.
  void reset();
  /// running_mean = 0, running_var = 1, num_batches_tracked = 0 (when tracked).
  void reset_running_stats();
  /// reset_running_stats(), then weight = 1 and bias = 0 (when affine).
  void reset_parameters();
  /// Normalises `input` (its rank checked by the subclass): batch statistics in training mode
  /// or without running statistics, running statistics in eval(). In training with running
  /// statistics, num_batches_tracked is incremented and the running averages are updated.
  Tensor forward(const Tensor& input);
  /// "6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True" ("momentum=None" for
  /// the cumulative average).
  std::string extra_repr() const override;

  BatchNormOptions options;
  Tensor weight;
  Tensor bias;
  Tensor running_mean;
  Tensor running_var;
  Tensor num_batches_tracked;

 protected:
  /// Throws ShapeError when `input` has a rank the module does not take.
  virtual void check_input_dim(const Tensor& input) const = 0;
};

/// Batch norm of (N, C) or (N, C, L) input. PyTorch: `torch.nn.BatchNorm1d`.
class BatchNorm1dImpl : public Cloneable<BatchNorm1dImpl, BatchNormImplBase> {
 public:
  explicit BatchNorm1dImpl(const BatchNormOptions& options);
  void reset() override { BatchNormImplBase::reset(); }

 protected:
  void check_input_dim(const Tensor& input) const override;
};
XGRAD_MODULE(BatchNorm1d);

/// Batch norm of (N, C, H, W) input. PyTorch: `torch.nn.BatchNorm2d`.
class BatchNorm2dImpl : public Cloneable<BatchNorm2dImpl, BatchNormImplBase> {
 public:
  explicit BatchNorm2dImpl(const BatchNormOptions& options);
  void reset() override { BatchNormImplBase::reset(); }

 protected:
  void check_input_dim(const Tensor& input) const override;
};
XGRAD_MODULE(BatchNorm2d);

}  // namespace xgrad::nn
