#pragma once
// Per-thread growable scratch buffers of the kernels (packed panels, im2col columns, Winograd
// blocks), 64-byte aligned. Each user keeps its own `thread_local Scratch<T>`, so a kernel that
// calls another (the conv paths call the GEMM) never sees its buffer moved under it.
//
// A failed request is a typed OutOfMemoryError naming the op and the size (parallel_for carries
// it out of a parallel region): the memory is taken with the nothrow operator new, because
// AddressSanitizer's throwing one aborts instead of throwing.
//
// Internal linkage, as the per-ISA kernels' helpers (see gemm_impl.hpp): the per-ISA translation
// units include this header with different instruction-set flags, and with external linkage the
// linker could keep the AVX-512 copy of get() for all of them.

#include <xgrad/error.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>

namespace xgrad::kernels {
namespace {

template <typename T>
class Scratch {
 public:
  /// At least n elements, kept for the next call on this thread; `op` names the caller in errors.
  T* get(size_t n, const char* op) {
    if (n > size_) {
      XGRAD_CHECK(n <= std::numeric_limits<size_t>::max() / sizeof(T), OutOfMemoryError,
                  "{}: out of memory asking for {} elements of scratch", op, n);
      data_.reset();
      size_ = 0;
      data_.reset(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64), std::nothrow)));
      XGRAD_CHECK(data_ != nullptr, OutOfMemoryError,
                  "{}: out of memory asking for {} bytes ({:.1f} GiB) of scratch", op, n * sizeof(T),
                  static_cast<double>(n * sizeof(T)) / (1 << 30));
      size_ = n;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<T[], Free> data_;
  size_t size_ = 0;
};

}  // namespace
}  // namespace xgrad::kernels
