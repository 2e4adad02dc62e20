#pragma once
/// \file
/// Distributed samplers: each of `num_replicas` processes (ranks) takes its own shard of the
/// dataset's indices every epoch, as LibTorch's `torch::data::samplers::DistributedSampler`,
/// `DistributedRandomSampler` and `DistributedSequentialSampler` (LibTorch 1.13 signatures and
/// semantics). The samplers know nothing about processes or communication: every rank builds its
/// own sampler with the same `size`, `num_replicas`, `allow_duplicates` and epoch and its own
/// `rank`, and the shards come out disjoint without any exchange.
///
/// Shards. Each rank gets `local_sample_count()` indices per epoch:
///   - `allow_duplicates = true` (default): ceil(size / num_replicas). The epoch's list is padded
///     to num_replicas × that count with the indices 0, 1, ... again (before shuffling, in the
///     random sampler), so every index is seen and the shards are disjoint exactly when
///     num_replicas divides size.
///   - `allow_duplicates = false`: floor(size / num_replicas) for every rank; the last
///     size mod num_replicas indices (size − 1, size − 2, ...) are never handed out — shards
///     are always disjoint, all the same length, and their union misses that tail. (This is
///     LibTorch's rule; PyTorch's Python `DistributedSampler(drop_last=True)` drops the same
///     number, but after shuffling.)
/// Rank r's shard is positions [r × count, (r + 1) × count) of the epoch's list: contiguous
/// blocks, not PyTorch Python's interleaved rank, rank + num_replicas, ...
///
///     // rank 1 of 3, 10 examples: 4 indices each (2 padded), rank 1 gets 4, 5, 6, 7
///     xgrad::data::samplers::DistributedSequentialSampler s(10, 3, 1);
///     s.next(3);   // {4, 5, 6}
///     s.next(3);   // {7}
///     s.next(3);   // nullopt
///     // rank 2 gets 8, 9, 0, 1 (the padding wraps to the start)
///
/// Random order. `DistributedRandomSampler` shuffles the padded list with `std::shuffle` driven by
/// a `std::mt19937` seeded with the epoch — LibTorch's own recipe — so the order depends only on
/// (epoch, size, num_replicas, allow_duplicates), is the same on every rank, and ignores
/// `xgrad::manual_seed`. With libstdc++ (GCC; Debian's libtorch is built with it) the indices
/// equal LibTorch's exactly (tested against LibTorch 1.13's output); `std::shuffle`'s algorithm
/// is the standard library's own, so with another library (libc++) the order is a different but
/// equally deterministic permutation. The order changes only when `set_epoch(e)` is followed by
/// `reset()` (a DataLoader resets at every `begin()`): call `set_epoch` on the sampler before
/// handing it to `make_data_loader`, i.e. build the loader per epoch, exactly as with LibTorch,
/// whose loader does not expose its sampler either.
///
///     DistributedRandomSampler s(60000, world_size, rank);
///     s.set_epoch(epoch);
///     s.reset();                          // shuffle for this epoch
///     auto loader = make_data_loader(dataset, s, 64);
///
/// Differences from LibTorch (each where LibTorch would misbehave):
///   - ValueError for num_replicas == 0 or rank >= num_replicas (LibTorch divides by zero or
///     reads out of range).
///   - When the padding is longer than the dataset (size < num_replicas × count − size, e.g.
///     1 example over 3 replicas), LibTorch's random sampler pads with indices ≥ size; xgrad
///     keeps wrapping (0, 1, ..., size − 1, 0, ...), as the sequential sampler always does.
///     Otherwise the indices are LibTorch's.
///   - `next(0)` returns nullopt, as xgrad's other samplers (LibTorch returns an empty batch,
///     forever).
///   - LibTorch's `save`/`load` to archives are not provided (xgrad's samplers have no archive
///     form); `index()` and `epoch()` give the state to store, `set_epoch` + `reset` restore the
///     order.

#include <xgrad/data/samplers/base.hpp>
#include <xgrad/error.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace xgrad::data::samplers {

/// The common part of the distributed samplers: the shard geometry and the epoch
/// (LibTorch's `DistributedSampler<BatchRequest>`). Subclasses provide reset/next.
template <typename BatchRequest = std::vector<size_t>>
class DistributedSampler : public Sampler<BatchRequest> {
 public:
  /// A sampler over `size` indices for rank `rank` of `num_replicas`. ValueError when
  /// num_replicas is 0 or rank >= num_replicas.
  DistributedSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true)
      : DistributedSampler("DistributedSampler", size, num_replicas, rank, allow_duplicates) {}

  /// Sets the epoch that seeds the next `reset()`'s order (the random sampler's shuffle; the
  /// sequential order does not depend on it). Takes effect at the next reset, not mid-epoch.
  void set_epoch(size_t epoch) { epoch_ = epoch; }
  size_t epoch() const { return epoch_; }

  /// Indices this rank gets per epoch: ceil(size / num_replicas) with duplicates allowed,
  /// floor(size / num_replicas) without.
  size_t local_sample_count() const {
    return allow_duplicates_ ? (size_ + num_replicas_ - 1) / num_replicas_ : size_ / num_replicas_;
  }

  size_t size() const noexcept { return size_; }
  size_t num_replicas() const noexcept { return num_replicas_; }
  size_t rank() const noexcept { return rank_; }
  bool allow_duplicates() const noexcept { return allow_duplicates_; }

 protected:
  /// As the public constructor; `sampler` names the concrete class in error messages.
  DistributedSampler(const char* sampler, size_t size, size_t num_replicas, size_t rank, bool allow_duplicates)
      : size_(size), num_replicas_(num_replicas), rank_(rank), epoch_(0), allow_duplicates_(allow_duplicates) {
    XGRAD_CHECK(num_replicas >= 1, ValueError, "{}: num_replicas must be at least 1, got 0 (size {}, rank {})",
                sampler, size, rank);
    XGRAD_CHECK(rank < num_replicas, ValueError,
                "{}: rank must be in [0, num_replicas), got rank {} with num_replicas {} (ranks count from 0)",
                sampler, rank, num_replicas);
  }

  size_t size_;
  size_t num_replicas_;
  size_t rank_;
  size_t epoch_;
  bool allow_duplicates_;
};

/// Shard of a per-epoch shuffle (LibTorch's `DistributedRandomSampler`); see the file comment
/// for the order and how it compares with LibTorch's. Shuffles once at construction (epoch 0)
/// and at every `reset()`, with the epoch set at that time.
class DistributedRandomSampler : public DistributedSampler<> {
 public:
  /// ValueError when num_replicas is 0 or rank >= num_replicas.
  explicit DistributedRandomSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                                    bool allow_duplicates = true);

  /// New epoch: shuffles again with the current epoch (over `new_size` indices if given).
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  /// Up to `batch_size` indices of this rank's shard, nullopt when it is exhausted (or for 0).
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  /// Position in the epoch's whole list (all ranks): rank × local_sample_count() plus the indices
  /// handed out so far, as LibTorch.
  size_t index() const noexcept;

 private:
  void populate_indices();

  size_t begin_index_ = 0;
  size_t end_index_ = 0;
  size_t sample_index_ = 0;
  std::vector<size_t> all_indices_;
};

/// Shard of 0, 1, ..., size − 1 (padding wraps to 0, 1, ...), the same every epoch
/// (LibTorch's `DistributedSequentialSampler`; the indices equal LibTorch's exactly).
class DistributedSequentialSampler : public DistributedSampler<> {
 public:
  /// ValueError when num_replicas is 0 or rank >= num_replicas.
  explicit DistributedSequentialSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                                        bool allow_duplicates = true);

  /// Back to the start of this rank's shard (of `new_size` indices if given).
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  /// Up to `batch_size` indices of this rank's shard, nullopt when it is exhausted (or for 0).
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  /// Position in the epoch's whole list (all ranks), as DistributedRandomSampler::index().
  size_t index() const noexcept;

 private:
  void populate_indices();

  size_t begin_index_ = 0;
  size_t end_index_ = 0;
  size_t sample_index_ = 0;
};

}  // namespace xgrad::data::samplers
