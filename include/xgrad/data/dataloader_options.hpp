#pragma once
/// \file
/// `DataLoaderOptions`, as LibTorch's `torch::data::DataLoaderOptions`:
///
///     xgrad::data::DataLoaderOptions().batch_size(256).workers(2).drop_last(true)
///
/// LibTorch's `timeout` and `enforce_ordering` are not provided: xgrad's loader always delivers
/// batches in the sampler's order (see <xgrad/data/dataloader.hpp>).

#include <xgrad/arg.hpp>

#include <cstddef>
#include <optional>

namespace xgrad::data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}  // NOLINT: implicit as LibTorch

  /// Examples per batch (>= 1).
  XGRAD_ARG(size_t, batch_size) = 1;
  /// Background threads that assemble batches; 0 assembles them on the calling thread.
  XGRAD_ARG(size_t, workers) = 0;
  /// Batches requested ahead of the consumer (default 2 * workers; >= 1 when workers > 0).
  XGRAD_ARG(std::optional<size_t>, max_jobs);
  /// Drop the last batch when it has fewer than batch_size examples.
  XGRAD_ARG(bool, drop_last) = false;
};

/// DataLoaderOptions with the defaults resolved (max_jobs).
struct FullDataLoaderOptions {
  explicit FullDataLoaderOptions(const DataLoaderOptions& o)
      : batch_size(o.batch_size()),
        workers(o.workers()),
        max_jobs(o.max_jobs().value_or(2 * o.workers())),
        drop_last(o.drop_last()) {}

  size_t batch_size;
  size_t workers;
  size_t max_jobs;
  bool drop_last;
};

}  // namespace xgrad::data
