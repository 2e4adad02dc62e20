#pragma once
// Dispatcher internals shared by src/core/library.cpp and the autograd fallbacks; not public.

#include <xgrad/library.hpp>

#include <cstdint>

namespace xgrad::detail {

// Keys the current thread skips when dispatching (LibTorch's thread-local excluded key set):
// a boxed Autograd kernel runs what is below it with the autograd keys excluded, so custom ops
// called inside the CPU kernel do not run their autograd kernels again.
enum ExcludedKeys : uint8_t { kExcludeAutograd = 1, kExcludeInplaceOrView = 2 };

// Adds `keys` to the thread's excluded keys for its lifetime.
class ExcludeDispatchKeyGuard {
 public:
  explicit ExcludeDispatchKeyGuard(uint8_t keys);
  ~ExcludeDispatchKeyGuard();
  ExcludeDispatchKeyGuard(const ExcludeDispatchKeyGuard&) = delete;
  ExcludeDispatchKeyGuard& operator=(const ExcludeDispatchKeyGuard&) = delete;

 private:
  uint8_t previous_;
};

}  // namespace xgrad::detail
