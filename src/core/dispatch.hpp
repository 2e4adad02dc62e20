#pragma once
// Runtime dtype -> compile-time element type. Ops write one templated lambda:
//   dispatch_floating(x.dtype(), "exp", [&]<typename T>() { ... T ... });

#include <xgrad/dtype.hpp>
#include <xgrad/error.hpp>

namespace xgrad::detail {

template <typename F>
decltype(auto) dispatch_floating(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f.template operator()<float>();
    case ScalarType::Double: return f.template operator()<double>();
    default: break;
  }
  XGRAD_THROW(TypeError, "{}: expected a floating-point tensor (float32 or float64), got {}", op, dtype_name(t));
}

template <typename F>
decltype(auto) dispatch_all(ScalarType t, const char* /*op*/, F&& f) {
  switch (t) {
    case ScalarType::Float: return f.template operator()<float>();
    case ScalarType::Double: return f.template operator()<double>();
    case ScalarType::Long: return f.template operator()<int64_t>();
    case ScalarType::Bool: break;
  }
  return f.template operator()<bool>();
}

}  // namespace xgrad::detail
