#pragma once
/// \file
/// `nn::parallel::DistributedDataParallel`: data-parallel training over the default process
/// group (see <xgrad/distributed.hpp>), as PyTorch's `torch.nn.parallel.DistributedDataParallel`
/// (LibTorch has no C++ equivalent).
///
///     xgrad::distributed::init_process_group("mpi");
///     Net net;
///     xgrad::nn::parallel::DistributedDataParallel<Net> ddp(net,
///         xgrad::nn::parallel::DistributedDataParallelOptions().micro_batches(8));
///     xgrad::optim::SGD opt(ddp->parameters(), 0.1);
///     for (auto& batch : global_batches) {                 // the same global batch on every rank
///       opt.zero_grad();
///       for (int64_t k : ddp->local_micro_batches()) {     // this rank's share of it
///         auto part = micro_batch(batch, k, ddp->micro_batches());
///         xgrad::nn::functional::cross_entropy(ddp(part.data), part.target).backward();
///       }
///       opt.step();                                        // the same update on every rank
///     }
///
/// Construction broadcasts rank 0's parameters and buffers, so every rank starts equal. Each
/// backward pass is observed through post-accumulate-grad hooks and a final callback; the
/// gradients left in the parameters after a rank's last micro-batch are the **mean over all
/// micro-batches of all ranks**, identical on every rank, so the optimizers stay in step.
///
/// **Two modes.**
/// - *Reproducible* (the default): the global batch is cut into `micro_batches` fixed parts;
///   rank r computes parts [r·M/N, (r+1)·M/N) one backward each; each part's gradient is kept
///   apart and the M of them are summed in one fixed binary tree over part indices. The result
///   does not depend on the number of ranks N (any N dividing M) nor on the thread count: N
///   ranks give exactly the bits of one process running the M parts. Communication starts after
///   the last part (it cannot overlap a backward).
/// - *Fast* (`reproducible(false)`): one backward per rank per step; gradients are packed into
///   buckets of `bucket_cap_mb` in reverse parameter order and each bucket's all-reduce starts
///   as soon as its last gradient is accumulated, overlapping the rest of backward (PyTorch's
///   scheme). Sums arrive in MPI's order, so results depend (in the last bits) on N.
///
/// Buffers (BatchNorm's running statistics) are broadcast from rank 0 before every forward in
/// training mode when `broadcast_buffers` (PyTorch's default), so all ranks evaluate alike.
///
/// Errors: `DistributedError` when the process group is not initialized, when a parameter got
/// no gradient in a backward (unless `find_unused_parameters`), when `micro_batches` is not a
/// multiple of the world size, and from the collectives (timeouts, ranks that disagree).

#include <xgrad/distributed.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/nn/pimpl.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace xgrad::nn::parallel {

/// Options of DistributedDataParallel, with chainable setters (PyTorch's keyword arguments).
struct DistributedDataParallelOptions {
  /// Reproducible mode (default true); see the file comment.
  DistributedDataParallelOptions& reproducible(bool v) {
    reproducible_ = v;
    return *this;
  }
  /// Number of micro-batches M a global batch is cut into, in reproducible mode. Must be a
  /// multiple of the world size. 0 (default) means one per rank.
  DistributedDataParallelOptions& micro_batches(int64_t v) {
    micro_batches_ = v;
    return *this;
  }
  /// Bucket size in MiB for fast mode's overlapped all-reduces (PyTorch: 25).
  DistributedDataParallelOptions& bucket_cap_mb(double v) {
    bucket_cap_mb_ = v;
    return *this;
  }
  /// Whether parameters that get no gradient in a backward are allowed (they then count as
  /// zero gradients on that rank). PyTorch: `find_unused_parameters` (default false).
  DistributedDataParallelOptions& find_unused_parameters(bool v) {
    find_unused_parameters_ = v;
    return *this;
  }
  /// Broadcast rank 0's buffers before each training-mode forward (PyTorch's default true).
  DistributedDataParallelOptions& broadcast_buffers(bool v) {
    broadcast_buffers_ = v;
    return *this;
  }
  bool reproducible() const { return reproducible_; }
  int64_t micro_batches() const { return micro_batches_; }
  double bucket_cap_mb() const { return bucket_cap_mb_; }
  bool find_unused_parameters() const { return find_unused_parameters_; }
  bool broadcast_buffers() const { return broadcast_buffers_; }

 private:
  bool reproducible_ = true;
  int64_t micro_batches_ = 0;
  double bucket_cap_mb_ = 25.0;
  bool find_unused_parameters_ = false;
  bool broadcast_buffers_ = true;
};

namespace detail {

/// The module-type-independent half of DistributedDataParallel: hooks, buckets, collectives.
class Reducer {
 public:
  Reducer(std::shared_ptr<Module> module, const DistributedDataParallelOptions& options);
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  /// Called before each forward: buffer broadcast, state checks.
  void before_forward(bool training);
  int64_t micro_batches() const { return micro_batches_; }
  std::vector<int64_t> local_micro_batches() const;
  void set_sync(bool on);
  bool sync() const { return sync_; }
  const DistributedDataParallelOptions& options() const { return options_; }
  /// Fast mode: bytes of each bucket, in launch order (for inspection and tests).
  std::vector<int64_t> bucket_sizes() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  DistributedDataParallelOptions options_;
  int64_t micro_batches_ = 0;
  bool sync_ = true;
};

}  // namespace detail

/// Wraps a module holder `ModuleType` (e.g. `nn::Sequential`, or your `XGRAD_MODULE` holder).
/// Registered as submodule "module", so its state_dict keys start with "module." as in
/// PyTorch; save `ddp->module()->state_dict()` for a checkpoint any world size can load.
template <typename ModuleType>
class DistributedDataParallelImpl : public Module {
 public:
  explicit DistributedDataParallelImpl(ModuleType module, const DistributedDataParallelOptions& options = {})
      : Module("DistributedDataParallel"), module_(register_module("module", std::move(module))) {
    reducer_ = std::make_unique<detail::Reducer>(module_.ptr(), options);
  }

  /// Runs the wrapped module's forward (with its hooks), after synchronizing buffers.
  template <typename... Args>
  decltype(auto) forward(Args&&... args) {
    reducer_->before_forward(is_training());
    return module_(std::forward<Args>(args)...);
  }

  ModuleType& module() { return module_; }
  const ModuleType& module() const { return module_; }

  /// M: the number of micro-batches per global batch (reproducible mode; world size in fast mode).
  int64_t micro_batches() const { return reducer_->micro_batches(); }
  /// The global indices of the micro-batches this rank computes, in order.
  std::vector<int64_t> local_micro_batches() const { return reducer_->local_micro_batches(); }
  const DistributedDataParallelOptions& options() const { return reducer_->options(); }
  std::vector<int64_t> bucket_sizes() const { return reducer_->bucket_sizes(); }

  /// While the returned guard lives, backward passes only accumulate locally (fast mode; for
  /// gradient accumulation); the first backward after it reduces everything accumulated.
  /// PyTorch: `with ddp.no_sync():`. Throws DistributedError in reproducible mode, where more
  /// micro-batches do the same job reproducibly.
  class NoSyncGuard {
   public:
    explicit NoSyncGuard(detail::Reducer& r) : reducer_(&r) { reducer_->set_sync(false); }
    ~NoSyncGuard() {
      if (reducer_) reducer_->set_sync(true);
    }
    NoSyncGuard(NoSyncGuard&& o) noexcept : reducer_(std::exchange(o.reducer_, nullptr)) {}
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(NoSyncGuard&&) = delete;

   private:
    detail::Reducer* reducer_;
  };
  [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(*reducer_); }

 private:
  ModuleType module_;
  std::unique_ptr<detail::Reducer> reducer_;
};

/// The holder: `DistributedDataParallel<Net> ddp(net, options); auto y = ddp(x);`.
template <typename ModuleType>
class DistributedDataParallel : public ModuleHolder<DistributedDataParallelImpl<ModuleType>> {
 public:
  using ModuleHolder<DistributedDataParallelImpl<ModuleType>>::ModuleHolder;
};

}  // namespace xgrad::nn::parallel
