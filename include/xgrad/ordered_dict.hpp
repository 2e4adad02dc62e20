#pragma once
/// \file
/// `OrderedDict<Key, Value>`: insertion-ordered map with LibTorch's interface, as returned by
/// `Module::named_parameters()`:
///
///     for (const auto& item : model->named_parameters())
///       std::cout << item.key() << ": " << item.value().sizes() << '\n';
///     auto w = model->named_parameters()["conv1.weight"];

#include <xgrad/error.hpp>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xgrad {

template <typename Key, typename Value>
class OrderedDict {
 public:
  /// One entry: `key()` and `value()` (as LibTorch's `OrderedDict::Item`).
  class Item {
   public:
    Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
    const Key& key() const noexcept { return pair_.first; }
    Value& value() noexcept { return pair_.second; }
    const Value& value() const noexcept { return pair_.second; }
    Value& operator*() noexcept { return pair_.second; }
    const Value& operator*() const noexcept { return pair_.second; }
    Value* operator->() noexcept { return &pair_.second; }
    const Value* operator->() const noexcept { return &pair_.second; }
    const std::pair<Key, Value>& pair() const noexcept { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };

  using iterator = typename std::vector<Item>::iterator;
  using const_iterator = typename std::vector<Item>::const_iterator;

  /// `key_description` names what the keys are in error messages ("parameter", "buffer", ...).
  explicit OrderedDict(std::string key_description = "Key") : key_description_(std::move(key_description)) {}

  /// Appends; throws ValueError if the key exists.
  Value& insert(Key key, Value value) {
    XGRAD_CHECK(index_.count(key) == 0, ValueError, "{} '{}' already defined", key_description_, key);
    index_.emplace(key, items_.size());
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().value();
  }
  /// Inserts or replaces in place (keeps the original position).
  Value& insert_or_assign(Key key, Value value) {
    auto it = index_.find(key);
    if (it != index_.end()) return items_[it->second].value() = std::move(value);
    return insert(std::move(key), std::move(value));
  }
  /// Appends every entry of `other`; throws on duplicate keys.
  void update(const OrderedDict& other) {
    for (const auto& item : other) insert(item.key(), item.value());
  }

  /// Pointer to the value, or nullptr.
  Value* find(const Key& key) noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  const Value* find(const Key& key) const noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  bool contains(const Key& key) const noexcept { return index_.count(key) != 0; }

  /// The value for `key`; throws IndexError naming the key when absent.
  Value& operator[](const Key& key) {
    auto* v = find(key);
    XGRAD_CHECK(v != nullptr, IndexError, "{} '{}' is not defined", key_description_, key);
    return *v;
  }
  const Value& operator[](const Key& key) const {
    auto* v = find(key);
    XGRAD_CHECK(v != nullptr, IndexError, "{} '{}' is not defined", key_description_, key);
    return *v;
  }

  Item& operator[](size_t i) {
    XGRAD_CHECK(i < items_.size(), IndexError, "index {} is out of range for an OrderedDict of size {}", i,
                items_.size());
    return items_[i];
  }
  const Item& operator[](size_t i) const {
    XGRAD_CHECK(i < items_.size(), IndexError, "index {} is out of range for an OrderedDict of size {}", i,
                items_.size());
    return items_[i];
  }

  /// Removes the entry for `key`; throws IndexError when absent.
  void erase(const Key& key) {
    auto it = index_.find(key);
    XGRAD_CHECK(it != index_.end(), IndexError, "{} '{}' is not defined", key_description_, key);
    const size_t pos = it->second;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.erase(it);
    for (auto& kv : index_)
      if (kv.second > pos) --kv.second;
  }
  void clear() {
    items_.clear();
    index_.clear();
  }

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  Item& front() { return items_.front(); }
  Item& back() { return items_.back(); }
  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  bool empty() const noexcept { return items_.empty(); }

  const std::vector<Item>& items() const noexcept { return items_; }
  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const auto& i : items_) out.push_back(i.key());
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const auto& i : items_) out.push_back(i.value());
    return out;
  }
  const std::string& key_description() const noexcept { return key_description_; }

 private:
  std::vector<Item> items_;
  std::unordered_map<Key, size_t> index_;
  std::string key_description_;
};

}  // namespace xgrad
