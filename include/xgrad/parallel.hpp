#pragma once
/// \file
/// Intra-op thread count, as `torch::set_num_threads` / `torch::get_num_threads`.
///
/// xgrad's heavy kernels (GEMM, convolution) split their work over a pool of threads. The
/// default is `XGRAD_NUM_THREADS` when set, else `OMP_NUM_THREADS`, else the number of CPUs
/// this process may run on: its affinity mask (so `taskset -c 0` or an MPI launcher binding a
/// rank to one core means 1), capped by a cgroup v2 CPU quota. Results are bit-identical for every thread count: work is cut into pieces
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

/// Flushes subnormal floating-point numbers to zero (`true`) or computes with them exactly
/// (`false`, the default, as PyTorch), as `torch.set_flush_denormal` / LibTorch's
/// `at::globalContext().setFlushDenormal`. Returns true: every x86-64 CPU supports it (the
/// SSE FTZ and DAZ bits). Unlike PyTorch, where the setting stays with the calling thread,
/// xgrad applies it to the calling thread and to every kernel thread when it next runs a task.
///
/// Why: arithmetic on subnormals (|x| < 1.2e-38 in float32) is many times slower on x86. A
/// network whose gradients vanish — the book's sigmoid LeNet in its first epochs — spends most
/// of its time on them (4x slower steps measured); flushing changes only values below 1e-38.
///
///     xgrad::set_flush_denormal(true);
bool set_flush_denormal(bool on);

}  // namespace xgrad
