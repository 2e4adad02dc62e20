#pragma once
/// \file
/// `XGRAD_ARG(T, name)`: a chainable option field, as LibTorch's `TORCH_ARG`. Inside an options
/// struct it declares a private member `name_`, a setter `name(value)` returning `*this` and a
/// getter `name()`:
///
///     struct LinearOptions {
///       LinearOptions(int64_t in, int64_t out) : in_features_(in), out_features_(out) {}
///       XGRAD_ARG(int64_t, in_features);
///       XGRAD_ARG(int64_t, out_features);
///       XGRAD_ARG(bool, bias) = true;
///     };
///     auto o = LinearOptions(4, 2).bias(false);   // o.bias() == false

#include <utility>

#ifndef XGRAD_ARG
#define XGRAD_ARG(T, name)                                    \
 public:                                                      \
  inline auto name(const T& new_##name)->decltype(*this) {    \
    this->name##_ = new_##name;                               \
    return *this;                                             \
  }                                                           \
  inline auto name(T&& new_##name)->decltype(*this) {         \
    this->name##_ = std::move(new_##name);                    \
    return *this;                                             \
  }                                                           \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }         \
                                                              \
 private:                                                     \
  T name##_
#endif
