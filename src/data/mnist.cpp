// MNIST / Fashion-MNIST from their four IDX files (raw or gzipped).
//
// The images are converted once to one contiguous float32 tensor [N, 1, H, W] (x / 255, as
// LibTorch), so a batch is a gather of rows (gather.cpp) rather than N small tensors.
#include <xgrad/data/datasets/mnist.hpp>
#include <xgrad/data/idx.hpp>
#include <xgrad/error.hpp>

#include <filesystem>

namespace xgrad::data::datasets {

namespace {

namespace fs = std::filesystem;

// The raw name if it exists, else the .gz name, else an IOError listing both.
std::string find_file(const std::string& root, const std::string& base, const char* what) {
  const fs::path raw = fs::path(root) / base;
  const fs::path gz = fs::path(root) / (base + ".gz");
  std::error_code ec;
  if (fs::exists(raw, ec)) return raw.string();
  if (fs::exists(gz, ec)) return gz.string();
  XGRAD_THROW(IOError, "MNIST: no {} file in '{}': tried '{}' and '{}'", what, root, raw.string(), gz.string());
}

void check_ubyte(const IdxArray& a, const std::string& path, const char* what) {
  XGRAD_CHECK(a.type == IdxType::kUInt8, IOError, "{}: MNIST {} must be ubyte (IDX type 0x08), found {} (0x{:02x})",
              path, what, idx_type_name(a.type), static_cast<unsigned>(a.type));
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode) : train_(mode == Mode::kTrain) {
  const std::string prefix = train_ ? "train" : "t10k";
  const std::string images_path = find_file(root, prefix + "-images-idx3-ubyte", "image");
  const std::string labels_path = find_file(root, prefix + "-labels-idx1-ubyte", "label");

  int64_t n = 0, rows = 0, cols = 0;
  {
    const IdxArray images = read_idx(images_path, "image");
    check_ubyte(images, images_path, "images");
    XGRAD_CHECK(images.sizes.size() == 3, IOError,
                "{}: MNIST images must have 3 dimensions [N, rows, cols], found sizes {}", images_path,
                IntArrayRef(images.sizes));
    n = images.sizes[0];
    rows = images.sizes[1];
    cols = images.sizes[2];
    images_ = make_tensor({n, 1, rows, cols}, kFloat32);
    float* out = images_.data_ptr<float>();
    const uint8_t* in = images.bytes.data();
    const size_t count = images.bytes.size();
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(in[i]) / 255.0f;
  }
  const IdxArray labels = read_idx(labels_path, "label");
  check_ubyte(labels, labels_path, "labels");
  XGRAD_CHECK(labels.sizes.size() == 1, IOError, "{}: MNIST labels must have 1 dimension [N], found sizes {}",
              labels_path, IntArrayRef(labels.sizes));
  XGRAD_CHECK(labels.sizes[0] == n, IOError, "MNIST: {} has {} labels but {} has {} images", labels_path,
              labels.sizes[0], images_path, n);
  targets_ = labels.to_tensor();
}

Example<> MNIST::get(size_t index) {
  const auto n = static_cast<size_t>(images_.size(0));
  XGRAD_CHECK(index < n, IndexError, "MNIST: index {} is out of range for a dataset of {} examples", index, n);
  const auto i = static_cast<int64_t>(index);
  return {images_[i], targets_[i]};
}

std::optional<size_t> MNIST::size() const { return static_cast<size_t>(images_.size(0)); }

bool MNIST::is_train() const noexcept { return train_; }

const Tensor& MNIST::images() const { return images_; }

const Tensor& MNIST::targets() const { return targets_; }

std::optional<Example<>> MNIST::get_batch_stacked(ArrayRef<size_t> indices, ArrayRef<detail::NormalizeStage> stages) {
  Tensor data = detail::gather_rows(images_, indices, stages, "MNIST");
  if (!data.defined()) return std::nullopt;
  return Example<>{std::move(data), detail::gather_rows(targets_, indices, {}, "MNIST")};
}

const std::array<std::string_view, 10>& FashionMNIST::classes() {
  static const std::array<std::string_view, 10> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace xgrad::data::datasets
