#pragma once
/// \file
/// MNIST and Fashion-MNIST, as LibTorch's `torch::data::datasets::MNIST`.
///
///     using namespace xgrad::data;
///     auto train = datasets::MNIST("data/mnist", datasets::MNIST::Mode::kTrain);
///     train.size();            // 60000
///     train.images();          // float32 [60000, 1, 28, 28], values in [0, 1]
///     train.targets();         // int64 [60000]
///     auto fashion = datasets::FashionMNIST(datasets::MNIST::Mode::kTest);   // Debian's copy
///
/// The folder holds the four IDX files under their usual names, each either raw
/// (`train-images-idx3-ubyte`) or gzipped (`train-images-idx3-ubyte.gz`); the raw name is
/// preferred when both exist. Images must be ubyte [N, H, W] (28 x 28 for MNIST, but any size is
/// accepted) and labels ubyte [N] with the same N. Pixels are scaled to [0, 1] by `/ 255` in
/// float32, as LibTorch does. All images are kept as one contiguous float32 tensor, so a batch is
/// a gather of rows (see MapDataset's fast path).
///
/// Errors: IOError naming the file(s) — neither name present (the message lists both), any
/// `read_idx` error, wrong element type, wrong rank, or images and labels counts that differ.
/// `get(i)` throws IndexError for `i >= size()`.

#include <xgrad/data/datasets/base.hpp>
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/data/example.hpp>
#include <xgrad/tensor.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace xgrad::data::datasets {

class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };

  /// Loads the training (60000) or test (10000) images and labels found in `root`.
  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

  /// Image `index` (float32 [1, H, W], a view into images()) and its label (int64, 0-d).
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  bool is_train() const noexcept;
  /// All images, float32 [N, 1, H, W] in [0, 1].
  const Tensor& images() const;
  /// All labels, int64 [N].
  const Tensor& targets() const;

  /// Fast path (see <xgrad/data/datasets/map.hpp>): rows `indices` of images() and targets() as
  /// one batch, with `stages` applied; the same values as Stack<>() over the per-example path.
  std::optional<Example<>> get_batch_stacked(ArrayRef<size_t> indices, ArrayRef<detail::NormalizeStage> stages = {});

 private:
  Tensor images_, targets_;
  bool train_ = true;
};

/// Fashion-MNIST: the MNIST format with ten clothing classes. The default root is the folder of
/// Debian's `dataset-fashion-mnist` package.
class FashionMNIST : public MNIST {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";

  explicit FashionMNIST(const std::string& root = kDefaultRoot, Mode mode = Mode::kTrain) : MNIST(root, mode) {}
  explicit FashionMNIST(Mode mode) : MNIST(kDefaultRoot, mode) {}

  /// The class names by label, as torchvision's `FashionMNIST.classes`:
  /// "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
  /// "Ankle boot".
  static const std::array<std::string_view, 10>& classes();
};

}  // namespace xgrad::data::datasets
