#pragma once
// Internal: the fast batch path shared by MNIST, MapDataset and Stack.
//
// LibTorch builds a batch example by example: get(i) for every index, the transform on every
// example, then Stack copies them all into one tensor. For datasets that hold their examples as
// rows of one contiguous tensor, xgrad can instead copy the requested rows straight into the
// batch and apply Normalize stages in that same pass. A dataset that offers this has
//
//     std::optional<Example<>> get_batch_stacked(ArrayRef<size_t> indices,
//                                                ArrayRef<NormalizeStage> stages);
//
// returning exactly what `Stack<>()` would make of the per-example path with the stages
// applied in order (innermost first) — or nullopt when the stages cannot be applied row-wise
// with the same result (then the caller takes the per-example path).

#include <xgrad/array_ref.hpp>
#include <xgrad/data/example.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <vector>

namespace xgrad::data::detail {

/// One Normalize transform as per-channel float32 constants: `(x - mean[c]) / stddev[c]`,
/// with `mean`/`stddev` of one value (all channels) or one per channel (dimension -3 of an
/// example).
struct NormalizeStage {
  std::vector<float> mean;
  std::vector<float> stddev;
};

template <typename D>
concept StackedSource = requires(D& d, ArrayRef<size_t> indices, ArrayRef<NormalizeStage> stages) {
  { d.get_batch_stacked(indices, stages) } -> std::same_as<std::optional<Example<>>>;
};

/// Gathers rows `indices` of `source` (contiguous, [N, ...]) into a new [B, ...] tensor, applying
/// `stages` to float32 data in the same pass. Returns an undefined tensor when the stages do not
/// apply row-wise (non-float32 data, example rank below 3, or a channel count that is neither 1
/// nor the example's). Throws IndexError (naming `who`) for an index >= N.
/// Rows are copied in blocks spread over xgrad's kernel threads, except on DataLoader worker
/// threads (the workers are the parallelism there). Each row is computed the same way on any
/// thread, so the result never depends on the thread count.
Tensor gather_rows(const Tensor& source, ArrayRef<size_t> indices, ArrayRef<NormalizeStage> stages, const char* who);

/// Marks the calling thread as a DataLoader worker: its row gathers run serially.
void mark_loader_worker_thread();

}  // namespace xgrad::data::detail
