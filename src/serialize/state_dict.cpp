// StateDict::merge / extract: several state dicts (model, optimizer, scheduler, generator) in
// one checkpoint under "prefix." names, and back.

#include <xgrad/state_dict.hpp>

#include <string>
#include <vector>

namespace xgrad {

namespace {
bool starts_with_prefix(const std::string& name, const std::string& dotted) {
  return name.size() > dotted.size() && name.compare(0, dotted.size(), dotted) == 0;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", '" : "'") + names[i] + "'";
  return s;
}
}  // namespace

StateDict& StateDict::merge(const StateDict& other, const std::string& prefix) {
  XGRAD_CHECK(!prefix.empty(), ValueError, "StateDict::merge: the prefix must not be empty");
  XGRAD_CHECK(prefix.find('.') == std::string::npos, ValueError,
              "StateDict::merge: the prefix must not contain a dot ('.'), got '{}'", prefix);
  const std::string dotted = prefix + ".";
  // All clashes are found before anything is added, so a failed merge leaves *this unchanged.
  std::vector<std::string> clashes;
  for (const auto& item : other.tensors)
    if (tensors.contains(dotted + item.key())) clashes.push_back(dotted + item.key());
  for (const auto& [key, value] : other.metadata)
    if (metadata.count(dotted + key)) clashes.push_back(dotted + key);
  XGRAD_CHECK(clashes.empty(), ValueError, "StateDict::merge: names already present under prefix '{}': {}", prefix,
              join_names(clashes));
  for (const auto& item : other.tensors) tensors.insert(dotted + item.key(), item.value());
  for (const auto& [key, value] : other.metadata) metadata.emplace(dotted + key, value);
  return *this;
}

StateDict StateDict::extract(const std::string& prefix) const {
  const std::string dotted = prefix + ".";
  StateDict out;
  for (const auto& item : tensors)
    if (starts_with_prefix(item.key(), dotted)) out.tensors.insert(item.key().substr(dotted.size()), item.value());
  for (const auto& [key, value] : metadata)
    if (starts_with_prefix(key, dotted)) out.metadata.emplace(key.substr(dotted.size()), value);
  return out;
}

bool StateDict::has_prefix(const std::string& prefix) const {
  const std::string dotted = prefix + ".";
  for (const auto& item : tensors)
    if (starts_with_prefix(item.key(), dotted)) return true;
  for (const auto& [key, value] : metadata)
    if (starts_with_prefix(key, dotted)) return true;
  return false;
}

}  // namespace xgrad
