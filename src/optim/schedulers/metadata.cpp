// Text form of the schedulers' state_dict metadata (see metadata.hpp).

#include "optim/schedulers/metadata.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace xgrad::optim::detail {

std::string format_list(const std::vector<double>& values) {
  return fmt::format("[{}]", fmt::join(values, ", "));
}

std::string format_list(const std::vector<int64_t>& values) {
  return fmt::format("[{}]", fmt::join(values, ", "));
}

namespace {

// from_chars, unlike strtod, ignores the locale and rejects leading spaces and '+'; it also
// reads "inf" and "nan", which fmt writes for those values.
template <typename T>
bool parse_exact(std::string_view s, T& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits "[a, b, c]" into its items; false when the brackets are missing or an item is empty.
bool split_list(std::string_view s, std::vector<std::string_view>& items) {
  s = trim(s);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  s = trim(s.substr(1, s.size() - 2));
  if (s.empty()) return true;
  while (true) {
    const size_t comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    if (item.empty()) return false;
    items.push_back(item);
    if (comma == std::string_view::npos) return true;
    s = s.substr(comma + 1);
  }
}

}  // namespace

void MetadataReader::bad(const std::string& key, std::string_view what) const {
  auto it = metadata_.find(key);
  XGRAD_THROW(ValueError, "{}.load_state_dict: \"{}\" = \"{}\" is not {}", who_, key,
              it == metadata_.end() ? std::string() : it->second, what);
}

const std::string& MetadataReader::text(const std::string& key) const {
  auto it = metadata_.find(key);
  XGRAD_CHECK(it != metadata_.end(), ValueError, "{}.load_state_dict: the state has no \"{}\" entry", who_, key);
  return it->second;
}

double MetadataReader::number(const std::string& key) const {
  double v = 0;
  if (!parse_exact(trim(text(key)), v)) bad(key, "a number");
  return v;
}

double MetadataReader::finite(const std::string& key) const {
  const double v = number(key);
  if (!std::isfinite(v)) bad(key, "a finite number");
  return v;
}

int64_t MetadataReader::integer(const std::string& key) const {
  int64_t v = 0;
  if (!parse_exact(trim(text(key)), v)) bad(key, "an integer");
  return v;
}

bool MetadataReader::boolean(const std::string& key) const {
  const std::string_view s = trim(text(key));
  if (s == "true") return true;
  if (s == "false") return false;
  bad(key, "true or false");
}

std::vector<double> MetadataReader::numbers(const std::string& key) const {
  std::vector<std::string_view> items;
  if (!split_list(text(key), items)) bad(key, "a list of numbers \"[a, b, ...]\"");
  std::vector<double> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!parse_exact(items[i], out[i])) bad(key, "a list of numbers \"[a, b, ...]\"");
  }
  return out;
}

std::vector<int64_t> MetadataReader::integers(const std::string& key) const {
  std::vector<std::string_view> items;
  if (!split_list(text(key), items)) bad(key, "a list of integers \"[a, b, ...]\"");
  std::vector<int64_t> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!parse_exact(items[i], out[i])) bad(key, "a list of integers \"[a, b, ...]\"");
  }
  return out;
}

std::vector<double> MetadataReader::group_numbers(const std::string& key, size_t n) const {
  std::vector<double> v = numbers(key);
  XGRAD_CHECK(v.size() == n, ValueError,
              "{}.load_state_dict: \"{}\" has {} values but the optimizer has {} param groups", who_, key, v.size(), n);
  for (double x : v) {
    if (!std::isfinite(x)) bad(key, "a list of finite numbers");
  }
  return v;
}

}  // namespace xgrad::optim::detail
