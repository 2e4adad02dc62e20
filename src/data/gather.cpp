// Row gathers behind the fast batch path (include/xgrad/data/detail/stacked.hpp).
//
// A batch of B examples of an [N, ...] dataset is B contiguous rows; copying them into the batch
// costs one pass over B rows instead of B tensor headers, B example copies and a stack. Normalize
// stages run in the same pass, per element exactly as `input.sub(mean).div(stddev)` does in
// float32 (subtract, then divide — no reciprocal), so both paths give identical bits. Blocks of
// rows go to xgrad's kernel threads (a loader with workers(0) assembles batches between training
// steps, when those threads are idle); on loader worker threads the gather stays serial.
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/error.hpp>

#include "kernels/parallel.hpp"

#include <algorithm>
#include <cstring>

namespace xgrad::data::detail {

namespace {

// Rows per parallel task: a 28 x 28 float image is 3 KiB, so a task moves ~50 KiB.
constexpr int64_t kRowsPerTask = 16;

thread_local bool loader_worker_thread = false;

// Runs fn(first, last) over [0, rows) in blocks, in parallel unless on a loader worker.
template <typename F>
void for_row_blocks(int64_t rows, F&& fn) {
  const int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  auto block = [&](int64_t t) { fn(t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask)); };
  if (loader_worker_thread) {
    for (int64_t t = 0; t < tasks; ++t) block(t);
  } else {
    kernels::parallel_for(tasks, block);
  }
}

// Whether every stage's constants broadcast over a row of `source` without changing its shape.
bool stages_apply(const Tensor& source, ArrayRef<NormalizeStage> stages) {
  if (source.dtype() != kFloat32 || source.dim() < 4) return false;  // examples of rank >= 3
  const auto channels = static_cast<size_t>(source.size(-3));
  for (const auto& s : stages) {
    if (s.mean.empty() || s.stddev.empty()) return false;
    if (s.mean.size() != 1 && s.mean.size() != channels) return false;
    if (s.stddev.size() != 1 && s.stddev.size() != channels) return false;
  }
  return true;
}

}  // namespace

void mark_loader_worker_thread() { loader_worker_thread = true; }

Tensor gather_rows(const Tensor& source, ArrayRef<size_t> indices, ArrayRef<NormalizeStage> stages, const char* who) {
  XGRAD_CHECK(source.defined() && source.dim() >= 1, ValueError, "{}: the dataset tensor must have a first dimension",
              who);
  XGRAD_CHECK(!indices.empty(), ValueError, "{}: cannot stack an empty batch", who);
  const int64_t n = source.size(0);
  for (const size_t i : indices)
    XGRAD_CHECK(i < static_cast<size_t>(n), IndexError, "{}: index {} is out of range for a dataset of {} examples",
                who, i, n);
  if (!stages.empty() && !stages_apply(source, stages)) return Tensor();

  const Tensor src = source.contiguous();
  std::vector<int64_t> sizes = src.sizes().vec();
  sizes[0] = static_cast<int64_t>(indices.size());
  Tensor out = make_tensor(sizes, src.dtype());
  int64_t row = 1;
  for (size_t d = 1; d < sizes.size(); ++d) row *= sizes[d];
  if (row == 0) return out;

  const auto rows = static_cast<int64_t>(indices.size());
  if (stages.empty()) {
    const size_t row_bytes = static_cast<size_t>(row) * src.element_size();
    const auto* base = static_cast<const char*>(src.unsafeGetTensorImpl()->data());
    auto* dst = static_cast<char*>(out.unsafeGetTensorImpl()->data());
    for_row_blocks(rows, [&](int64_t first, int64_t last) {
      for (auto b = static_cast<size_t>(first); b < static_cast<size_t>(last); ++b)
        std::memcpy(dst + b * row_bytes, base + indices[b] * row_bytes, row_bytes);
    });
    return out;
  }

  const int64_t channels = src.size(-3);
  const int64_t inner = src.size(-2) * src.size(-1);
  const int64_t outer = row / (channels * inner);
  const float* base = src.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for_row_blocks(rows, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      const float* s_row = base + static_cast<int64_t>(indices[static_cast<size_t>(b)]) * row;
      float* d_row = dst + b * row;
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t c = 0; c < channels; ++c) {
          const int64_t off = (o * channels + c) * inner;
          const float* s = s_row + off;
          float* d = d_row + off;
          for (size_t k = 0; k < stages.size(); ++k) {
            const NormalizeStage& st = stages[k];
            const float m = st.mean.size() == 1 ? st.mean[0] : st.mean[static_cast<size_t>(c)];
            const float sd = st.stddev.size() == 1 ? st.stddev[0] : st.stddev[static_cast<size_t>(c)];
            const float* in = k == 0 ? s : d;  // the first stage reads the source, later ones the batch
            for (int64_t j = 0; j < inner; ++j) d[j] = (in[j] - m) / sd;
          }
        }
      }
    }
  });
  return out;
}

}  // namespace xgrad::data::detail
