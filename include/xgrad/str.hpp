#pragma once
/// \file
/// `xgrad::str(args...)`, LibTorch's `c10::str`: the concatenation of the arguments as
/// `operator<<` prints them, e.g. `xgrad::str("size ", t.sizes(), " of ", t.dtype())`; and
/// `xgrad::Join(delimiter, container)`, LibTorch's `c10::Join`.

#include <sstream>
#include <string>

namespace xgrad {
/// Every argument written with `operator<<` into one string; `str()` is "".
template <typename... Args>
std::string str(const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    return std::string();
  } else {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
  }
}

/// The elements of `items`, as `operator<<` prints them, separated by `delimiter`
/// (`Join(", ", std::vector<int>{1, 2})` is "1, 2"; an empty container gives "").
template <typename Container>
std::string Join(const std::string& delimiter, const Container& items) {
  std::ostringstream os;
  bool first = true;
  for (const auto& item : items) {
    if (!first) os << delimiter;
    os << item;
    first = false;
  }
  return os.str();
}
}  // namespace xgrad
