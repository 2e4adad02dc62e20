#pragma once
/// \file
/// Intra-op thread count, as `torch::set_num_threads` / `torch::get_num_threads`.
///
/// xgrad's heavy kernels (GEMM, convolution) split their work over a pool of threads. The
/// default is the number of available cores, or the `XGRAD_NUM_THREADS` environment variable
/// when it is set. Results are bit-identical for every thread count: work is cut into pieces
/// whose boundaries do not depend on the number of threads, and partial sums are reduced in a
/// fixed order.
///
///     xgrad::set_num_threads(1);          // deterministic timing, single core
///     auto n = xgrad::get_num_threads();  // 1

#include <cstdint>

namespace xgrad {

/// Sets the number of threads used by xgrad's kernels (n >= 1; throws ValueError otherwise).
void set_num_threads(int64_t n);

/// The number of threads xgrad's kernels use.
int64_t get_num_threads();

}  // namespace xgrad
