// Tensor attributes that LibTorch code asks for and that follow from xgrad's one kind of tensor
// (strided, on the CPU): layout(), get_device(), and the storage handle (storage(),
// is_alias_of()), which exposes the Storage object every view of a tensor already shares.

#include <xgrad/tensor.hpp>

namespace xgrad {

Layout Tensor::layout() const {
  detail::check_defined(*this, "layout");
  return kStrided;
}

int64_t Tensor::get_device() const {
  detail::check_defined(*this, "get_device");
  return -1;  // LibTorch's answer for a CPU tensor
}

StorageHandle Tensor::storage() const {
  detail::check_defined(*this, "storage");
  return StorageHandle(impl_->storage);
}

bool Tensor::is_alias_of(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

}  // namespace xgrad
