#pragma once
// Writing and reading the schedulers' state_dict metadata: numbers as text with full round-trip
// precision (fmt's "{}" writes the shortest string that reads back to the same double, "inf"
// included), lists as "[a, b, c]". Reading is strict: any key that is missing or any text that
// is not exactly a number of the expected kind throws ValueError naming the scheduler and key,
// so a corrupt checkpoint never loads as plausible values.

#include <xgrad/error.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::optim::detail {

using Metadata = std::map<std::string, std::string>;

inline std::string format_number(double v) { return fmt::format("{}", v); }
inline std::string format_number(int64_t v) { return fmt::format("{}", v); }
inline std::string format_bool(bool v) { return v ? "true" : "false"; }
std::string format_list(const std::vector<double>& values);
std::string format_list(const std::vector<int64_t>& values);

/// Reads the metadata of one scheduler class; every error names `who` (the class) and the key.
class MetadataReader {
 public:
  MetadataReader(const Metadata& metadata, std::string who) : metadata_(metadata), who_(std::move(who)) {}

  const std::string& text(const std::string& key) const;
  double number(const std::string& key) const;
  /// A finite number.
  double finite(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<int64_t> integers(const std::string& key) const;
  /// A list of `n` finite numbers (one per param group).
  std::vector<double> group_numbers(const std::string& key, size_t n) const;

 private:
  [[noreturn]] void bad(const std::string& key, std::string_view what) const;

  const Metadata& metadata_;
  std::string who_;
};

}  // namespace xgrad::optim::detail
