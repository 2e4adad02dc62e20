#pragma once
/// \file
/// `SmallVector<T, N>`: a vector that keeps up to N elements inside itself and moves to the heap
/// only beyond that; `DimVector` (= `SmallVector<int64_t, 5>`) holds a tensor's sizes and strides.
/// As LibTorch's `c10::SmallVector` / `at::DimVector`: a tensor of up to 5 dimensions costs no
/// allocation for its metadata, which is most of the per-op cost of small define-by-run steps.
///
/// For trivially copyable element types only (sizes, strides, indices). Converts to `ArrayRef<T>`
/// (and so to `IntArrayRef`), compares with other SmallVectors, ArrayRefs and std::vectors.

#include <xgrad/array_ref.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <vector>

namespace xgrad {

template <typename T, size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable elements only");
  static_assert(N > 0, "SmallVector needs room for at least one element inline");

 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = T*;
  using const_iterator = const T*;
  using reference = T&;
  using const_reference = const T&;

  SmallVector() = default;
  explicit SmallVector(size_t n, const T& value = T()) { assign(n, value); }
  SmallVector(std::initializer_list<T> il) { assign(il.begin(), il.end()); }
  template <typename It>
    requires(!std::is_integral_v<It>)
  SmallVector(It first, It last) {
    assign(first, last);
  }
  SmallVector(ArrayRef<T> a) { assign(a.begin(), a.end()); }  // NOLINT: implicit, like sizes.vec()
  SmallVector(const std::vector<T>& v) { assign(v.begin(), v.end()); }  // NOLINT

  SmallVector(const SmallVector& o) { assign(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept { take(std::move(o)); }
  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) {
      release();
      take(std::move(o));
    }
    return *this;
  }
  SmallVector& operator=(ArrayRef<T> a) {
    assign(a.begin(), a.end());
    return *this;
  }
  SmallVector& operator=(const std::vector<T>& v) {
    assign(v.begin(), v.end());
    return *this;
  }
  SmallVector& operator=(std::initializer_list<T> il) {
    assign(il.begin(), il.end());
    return *this;
  }
  ~SmallVector() { release(); }

  operator ArrayRef<T>() const { return ArrayRef<T>(data_, size_); }  // NOLINT: as c10::SmallVector

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    T* fresh = new T[n];
    if (size_ > 0) std::memcpy(fresh, data_, size_ * sizeof(T));
    release();
    data_ = fresh;
    capacity_ = n;
  }
  void clear() { size_ = 0; }
  void resize(size_t n, const T& value = T()) {
    const T copy = value;  // value may live in this vector
    reserve(n);
    for (size_t i = size_; i < n; ++i) data_[i] = copy;
    size_ = n;
  }
  void push_back(const T& v) {
    if (size_ == capacity_) {
      const T copy = v;  // v may live in this vector
      reserve(capacity_ * 2);
      data_[size_++] = copy;
      return;
    }
    data_[size_++] = v;
  }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
    return back();
  }
  void pop_back() { --size_; }
  T* insert(const T* pos, const T& v) {
    const size_t at = static_cast<size_t>(pos - data_);
    const T copy = v;
    if (size_ == capacity_) reserve(capacity_ * 2);
    std::memmove(data_ + at + 1, data_ + at, (size_ - at) * sizeof(T));
    data_[at] = copy;
    ++size_;
    return data_ + at;
  }
  T* erase(const T* pos) {
    const size_t at = static_cast<size_t>(pos - data_);
    std::memmove(data_ + at, data_ + at + 1, (size_ - at - 1) * sizeof(T));
    --size_;
    return data_ + at;
  }
  void assign(size_t n, const T& value) {
    size_ = 0;
    resize(n, value);
  }
  /// [first, last) may lie in this vector (`v = ArrayRef(v)` or a suffix of it).
  template <typename It>
  void assign(It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    if (n > capacity_) {
      T* fresh = new T[n];
      for (size_t i = 0; first != last; ++first, ++i) fresh[i] = *first;
      release();
      data_ = fresh;
      capacity_ = n;
    } else {
      // Forward copy: the destination never lies after the source within this vector.
      for (size_t i = 0; first != last; ++first, ++i) data_[i] = *first;
    }
    size_ = n;
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) { return ArrayRef<T>(a) == ArrayRef<T>(b); }
  friend bool operator==(const SmallVector& a, ArrayRef<T> b) { return ArrayRef<T>(a) == b; }
  friend bool operator==(const SmallVector& a, const std::vector<T>& b) { return ArrayRef<T>(a) == ArrayRef<T>(b); }

 private:
  void release() {
    if (data_ != inline_) delete[] data_;
    data_ = inline_;
    capacity_ = N;
  }
  // `this` is empty and inline.
  void take(SmallVector&& o) {
    if (o.data_ != o.inline_) {
      data_ = o.data_;
      capacity_ = o.capacity_;
      size_ = o.size_;
      o.data_ = o.inline_;
      o.capacity_ = N;
    } else {
      std::memcpy(inline_, o.inline_, o.size_ * sizeof(T));
      size_ = o.size_;
    }
    o.size_ = 0;
  }

  T* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = N;
  T inline_[N];
};

/// A tensor's sizes or strides: up to 5 dimensions without an allocation (LibTorch's at::DimVector).
using DimVector = SmallVector<int64_t, 5>;

}  // namespace xgrad
