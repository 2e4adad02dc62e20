#pragma once
/// \file
/// The files the LeNet example leaves in its output folder, each written atomically (a
/// temporary file in the same folder, then rename) so that a crash or a full disk never leaves a
/// half-written file under the final name: the previous complete version stays.
///
///  - metrics.csv: one row per epoch, `epoch,train_loss,train_acc,test_acc,images_per_s,seconds`.
///  - curves.svg:  the book's animator plot: train loss, train acc, test acc against the epoch.
///  - kernels.png: the first convolution's kernels as a grayscale grid.
///
/// Errors are xgrad::IOError naming the file and the system's reason.

#include <xgrad/xgrad.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lenet {

/// What one epoch measured (the columns of metrics.csv).
struct EpochMetrics {
  int64_t epoch = 0;          ///< 1-based
  double train_loss = 0;      ///< mean cross-entropy over the epoch's training images
  double train_acc = 0;       ///< fraction in [0, 1]
  double test_acc = 0;        ///< fraction in [0, 1]
  double images_per_s = 0;    ///< training images per second of the epoch
  double seconds = 0;         ///< wall time of the epoch (training and evaluation)
};

/// Writes `bytes` to `path` atomically: into a new temporary file next to it (same folder, so
/// the rename cannot cross file systems), flushed to disk, then renamed over `path`. On any
/// failure the temporary file is removed and xgrad::IOError names `path` and the reason; the
/// folder must exist (see ensure_directory).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

/// Creates `dir` (and its parents) if missing; IOError when it cannot, or when it exists and is
/// not a folder.
void ensure_directory(const std::filesystem::path& dir);

/// The CSV text: the header line and one line per row, numbers in their shortest exact form
/// (they read back to the same double) with '.' as decimal point whatever the locale.
std::string metrics_csv(const std::vector<EpochMetrics>& rows);

/// metrics_csv written atomically to `path`. Call it after every epoch with all rows so far:
/// the file on disk is always complete.
void write_metrics_csv(const std::filesystem::path& path, const std::vector<EpochMetrics>& rows);

/// The SVG text of the training curves as the book's Animator draws them: x = epoch over
/// [1, num_epochs] (the planned count, so a run in progress shows how far it got), y over
/// [0, max(1, largest train loss)], three polylines "train loss" (solid blue), "train acc"
/// (dashed magenta), "test acc" (dash-dotted green) with one point per row, a legend, axes with
/// ticks and labels, and a grid. Non-finite values are left out of their line (a diverged loss
/// does not break the picture). `title` (may be empty) is drawn above the plot, XML-escaped.
/// Throws xgrad::ValueError when num_epochs < 1.
std::string curves_svg(const std::vector<EpochMetrics>& rows, int64_t num_epochs, std::string_view title = {});

/// curves_svg written atomically to `path`.
void write_curves_svg(const std::filesystem::path& path, const std::vector<EpochMetrics>& rows,
                      int64_t num_epochs, std::string_view title = {});

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;  ///< size width * height * 3
};

/// The separator colour between kernels in kernel_grid (a blue no grayscale pixel can have).
inline constexpr uint8_t kSeparatorRgb[3] = {64, 128, 255};

/// Lays out a convolution weight [out, in, kh, kw] (float32 or float64) as a grid: row o,
/// column i is kernel (o, i), each normalised to its own min..max as gray 0..255 (rounded; a
/// constant kernel is mid-gray 128), upscaled `scale` times by nearest neighbour, with a
/// 1-pixel separator line in kSeparatorRgb between kernels and around the grid. So
///     width  = in  * kw * scale + in  + 1
///     height = out * kh * scale + out + 1
/// Throws xgrad::ShapeError unless the weight is 4-D and non-empty, xgrad::TypeError for other
/// dtypes, xgrad::ValueError for a non-finite weight (naming the kernel), for scale outside
/// 1..64, or for an image wider or taller than 16384 pixels.
RgbImage kernel_grid(const xgrad::Tensor& weight, int64_t scale = 8);

/// kernel_grid encoded as PNG (stb_image_write) and written atomically to `path`.
void write_kernels_png(const std::filesystem::path& path, const xgrad::Tensor& weight, int64_t scale = 8);

}  // namespace lenet
