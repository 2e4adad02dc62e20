// The LeNet example's output files. Everything is built in memory first (CSV and SVG as text,
// the PNG through stb_image_write's callback API) and handed to write_file_atomically, so the
// only code that touches the final file name is the rename at the very end.
#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

// stb_image_write compiled into this file only: STATIC keeps its symbols private, so it cannot
// clash with libstb.so if a program links that too. Its code is not ours: silence its warnings.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace lenet {

namespace fs = std::filesystem;

// ---- atomic files ---------------------------------------------------------------------------

namespace {

[[noreturn]] void throw_io(const fs::path& path, std::string_view what, int err) {
  std::string reason = std::strerror(err);
  if (err == ENOENT) reason += " (does its folder exist?)";
  XGRAD_THROW(IOError, "lenet: cannot write '{}': {} failed: {}", path.string(), what, reason);
}

// Opens a fresh temporary file next to `path`: ".<name>.tmp.<pid>.<n>", created exclusively so
// two writers (two threads, or two runs sharing a folder) never share one. Mode 0666 less the
// umask, as the final file would get from an ordinary open.
int open_temporary(const fs::path& path, fs::path& tmp_out) {
  static std::atomic<uint64_t> counter{0};
  const fs::path dir = path.parent_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto n = counter.fetch_add(1);
    tmp_out = dir / fmt::format(".{}.tmp.{}.{}", path.filename().string(), static_cast<long>(::getpid()), n);
    const int fd = ::open(tmp_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) throw_io(path, fmt::format("creating the temporary file '{}'", tmp_out.string()), errno);
  }
  throw_io(path, "creating a temporary file (100 names taken)", EEXIST);
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  if (path.filename().empty())
    XGRAD_THROW(IOError, "lenet: cannot write '{}': the path names a folder, expected a file", path.string());
  fs::path tmp;
  const int fd = open_temporary(path, tmp);
  // From here on every failure removes the temporary file before throwing.
  auto fail = [&](std::string_view what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw_io(path, what, err);
  };
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Data on disk before the rename makes it visible: otherwise a power cut right after the
  // rename could leave an empty file under the final name.
  if (::fsync(fd) != 0) fail("fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_io(path, "close", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_io(path, fmt::format("renaming '{}' over it", tmp.string()), err);
  }
  // Make the rename itself durable; a folder that cannot be synced (some file systems) is not an
  // error, the file is complete either way.
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (fs::exists(dir, ec))
    XGRAD_THROW(IOError, "lenet: cannot use '{}' as output folder: it exists and is not a folder", dir.string());
  fs::create_directories(dir, ec);
  if (ec) XGRAD_THROW(IOError, "lenet: cannot create the output folder '{}': {}", dir.string(), ec.message());
}

// ---- metrics.csv ----------------------------------------------------------------------------

std::string metrics_csv(const std::vector<EpochMetrics>& rows) {
  // fmt's "{}" for a double is the shortest text that reads back to the same value, and fmt
  // ignores the global locale unless asked ("L"): full precision, always '.'.
  std::string out = "epoch,train_loss,train_acc,test_acc,images_per_s,seconds\n";
  for (const auto& r : rows)
    out += fmt::format("{},{},{},{},{},{}\n", r.epoch, r.train_loss, r.train_acc, r.test_acc, r.images_per_s,
                       r.seconds);
  return out;
}

void write_metrics_csv(const fs::path& path, const std::vector<EpochMetrics>& rows) {
  write_file_atomically(path, metrics_csv(rows));
}

// ---- curves.svg -----------------------------------------------------------------------------

namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0 at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
        else out += c;
    }
  }
  return out;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over `range`.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double f = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return f * mag;
}

// Tick labels with as many decimals as the step needs ("0.2", "2", "0.05").
std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (s == "-0" || s.rfind("-0.", 0) == 0) {
    // -0.0 from rounding prints as "-0": not a value anyone plotted.
    if (std::abs(value) < step / 2) s.erase(0, 1);
  }
  return s;
}

struct Series {
  const char* name;
  const char* id;
  const char* color;
  const char* dash;  // stroke-dasharray, "" for solid
  double EpochMetrics::*field;
};

// The book's Animator formats: '-' (matplotlib's first colour), 'm--', 'g-.'; dash lengths are
// matplotlib's for its 1.5-pixel default line width.
constexpr Series kSeries[] = {
    {"train loss", "series-train-loss", "#1f77b4", "", &EpochMetrics::train_loss},
    {"train acc", "series-train-acc", "#bf00bf", "5.55,2.4", &EpochMetrics::train_acc},
    {"test acc", "series-test-acc", "#008000", "9.6,2.4,1.5,2.4", &EpochMetrics::test_acc},
};

}  // namespace

std::string curves_svg(const std::vector<EpochMetrics>& rows, int64_t num_epochs, std::string_view title) {
  XGRAD_CHECK(num_epochs >= 1, ValueError, "curves_svg: num_epochs must be >= 1, got {}", num_epochs);
  // Layout in pixels: the plot area, with room for tick labels left and below and the legend on
  // the right (outside, so it never hides a curve).
  const double W = 720, H = 440;
  const double left = 64, right = 560, top = title.empty() ? 20 : 44, bottom = 380;
  const double pw = right - left, ph = bottom - top;

  // x over [1, num_epochs] as the book's xlim; a one-epoch run gets half an epoch either side.
  double xmin = 1, xmax = static_cast<double>(num_epochs);
  for (const auto& r : rows) xmax = std::max(xmax, static_cast<double>(r.epoch));
  if (xmax <= xmin) xmin -= 0.5, xmax += 0.5;
  double ymax = 1;
  for (const auto& r : rows)
    for (const auto& s : kSeries)
      if (std::isfinite(r.*s.field)) ymax = std::max(ymax, r.*s.field);

  auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  auto py = [&](double y) { return bottom - y / ymax * ph; };

  std::string svg;
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n",
      W, H);
  svg += fmt::format("<title>{}</title>\n", xml_escape(title.empty() ? "training curves" : title));
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", W, H);
  if (!title.empty())
    svg += fmt::format("<text x=\"{:.2f}\" y=\"26\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
                       (left + right) / 2, xml_escape(title));

  // Grid lines and ticks. x ticks are whole epochs.
  const double xstep = std::max(1.0, std::round(nice_step(xmax - xmin, 8)));
  const double ystep = nice_step(ymax, 6);
  svg += "<g id=\"grid\" stroke=\"#b0b0b0\" stroke-width=\"0.8\" stroke-opacity=\"0.5\">\n";
  std::string ticks = "<g id=\"ticks\" stroke=\"black\" stroke-width=\"0.8\">\n";
  std::string labels = "<g id=\"tick-labels\" fill=\"black\">\n";
  for (double x = std::ceil(xmin / xstep) * xstep; x <= xmax + 1e-9; x += xstep) {
    const double X = px(x);
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n", X, top, bottom);
    ticks += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n", X, bottom, bottom + 4);
    labels += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n", X, bottom + 18,
                          tick_label(x, xstep));
  }
  const int ycount = static_cast<int>(std::floor(ymax / ystep + 1e-9));
  for (int k = 0; k <= ycount; ++k) {
    const double y = k * ystep;
    const double Y = py(y);
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\"/>\n", left, Y, right);
    ticks += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\"/>\n", left - 4, Y, left);
    labels += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", left - 7, Y + 4,
                          tick_label(y, ystep));
  }
  svg += "</g>\n" + ticks + "</g>\n" + labels + "</g>\n";
  svg += fmt::format("<rect id=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\" "
                     "stroke-width=\"0.8\"/>\n",
                     left, top, pw, ph);
  svg += fmt::format("<text id=\"xlabel\" x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">epoch</text>\n",
                     (left + right) / 2, bottom + 40);

  // One group per series: the line (split where a value is not finite) and a dot per point, so a
  // one-epoch run still shows something.
  for (const auto& s : kSeries) {
    svg += fmt::format("<g id=\"{}\" data-name=\"{}\" stroke=\"{}\" fill=\"{}\">\n", s.id, s.name, s.color, s.color);
    std::string points, dots;
    auto flush = [&] {
      if (!points.empty())
        svg += fmt::format("<polyline fill=\"none\" stroke-width=\"1.5\"{} points=\"{}\"/>\n",
                           *s.dash ? fmt::format(" stroke-dasharray=\"{}\"", s.dash) : std::string(), points);
      points.clear();
    };
    for (const auto& r : rows) {
      const double v = r.*s.field;
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      const double X = px(static_cast<double>(r.epoch)), Y = py(v);
      if (!points.empty()) points += ' ';
      points += fmt::format("{:.2f},{:.2f}", X, Y);
      dots += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"2\" stroke=\"none\"/>\n", X, Y);
    }
    flush();
    svg += dots + "</g>\n";
  }

  // Legend: a line sample in each series' style, then its name.
  const double lx = right + 16, ly = top + 8;
  svg += fmt::format("<g id=\"legend\">\n<rect x=\"{}\" y=\"{}\" width=\"128\" height=\"{}\" fill=\"white\" "
                     "stroke=\"#cccccc\"/>\n",
                     lx, ly, 12 + 20 * std::size(kSeries));
  double y = ly + 18;
  for (const auto& s : kSeries) {
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"{}/>\n", lx + 8,
                       y - 4, lx + 38, y - 4, s.color,
                       *s.dash ? fmt::format(" stroke-dasharray=\"{}\"", s.dash) : std::string());
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", lx + 46, y, s.name);
    y += 20;
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

void write_curves_svg(const fs::path& path, const std::vector<EpochMetrics>& rows, int64_t num_epochs,
                      std::string_view title) {
  write_file_atomically(path, curves_svg(rows, num_epochs, title));
}

// ---- kernels.png ----------------------------------------------------------------------------

RgbImage kernel_grid(const xgrad::Tensor& weight, int64_t scale) {
  XGRAD_CHECK(weight.defined(), ValueError, "kernel_grid: the weight tensor is undefined");
  XGRAD_CHECK(weight.dim() == 4, ShapeError,
              "kernel_grid: expected a 4-D convolution weight [out, in, kh, kw], got {}-D (sizes {})", weight.dim(),
              xgrad::to_string(weight.sizes()));
  XGRAD_CHECK(weight.dtype() == xgrad::kFloat32 || weight.dtype() == xgrad::kFloat64, TypeError,
              "kernel_grid: expected a float32 or float64 weight, got {}", weight.dtype());
  XGRAD_CHECK(weight.numel() > 0, ShapeError, "kernel_grid: the weight is empty (sizes {})",
              xgrad::to_string(weight.sizes()));
  XGRAD_CHECK(scale >= 1 && scale <= 64, ValueError, "kernel_grid: scale must be 1..64, got {}", scale);
  const int64_t out = weight.size(0), in = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  constexpr int64_t kMaxSide = 16384;
  // Each factor is checked before the products, so nothing below can overflow.
  const bool fits = in <= kMaxSide && kw <= kMaxSide && out <= kMaxSide && kh <= kMaxSide &&
                    in * kw * scale + in + 1 <= kMaxSide && out * kh * scale + out + 1 <= kMaxSide;
  XGRAD_CHECK(fits, ValueError,
              "kernel_grid: a weight of sizes {} at scale {} makes an image larger than {} pixels a side; "
              "use a smaller scale",
              xgrad::to_string(weight.sizes()), scale, kMaxSide);

  RgbImage img;
  img.width = in * kw * scale + in + 1;
  img.height = out * kh * scale + out + 1;
  img.pixels.resize(static_cast<size_t>(img.width * img.height * 3));
  for (size_t i = 0; i < img.pixels.size(); i += 3) std::copy(kSeparatorRgb, kSeparatorRgb + 3, &img.pixels[i]);

  const std::vector<double> w = weight.detach().to_vector<double>();
  const int64_t ksize = kh * kw;
  std::vector<uint8_t> gray(static_cast<size_t>(ksize));
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t c = 0; c < in; ++c) {
      const double* k = w.data() + (o * in + c) * ksize;
      double lo = k[0], hi = k[0];
      for (int64_t j = 0; j < ksize; ++j) {
        XGRAD_CHECK(std::isfinite(k[j]), ValueError,
                    "kernel_grid: kernel [{}, {}] holds a non-finite value ({}) at ({}, {}); cannot draw it", o, c,
                    k[j], j / kw, j % kw);
        lo = std::min(lo, k[j]);
        hi = std::max(hi, k[j]);
      }
      for (int64_t j = 0; j < ksize; ++j)
        gray[static_cast<size_t>(j)] =
            hi > lo ? static_cast<uint8_t>(std::lround((k[j] - lo) / (hi - lo) * 255.0)) : uint8_t{128};
      // Top-left pixel of this kernel's cell: one separator before every cell.
      const int64_t x0 = 1 + c * (kw * scale + 1), y0 = 1 + o * (kh * scale + 1);
      for (int64_t yy = 0; yy < kh * scale; ++yy) {
        for (int64_t xx = 0; xx < kw * scale; ++xx) {
          const uint8_t g = gray[static_cast<size_t>((yy / scale) * kw + xx / scale)];
          uint8_t* px = &img.pixels[static_cast<size_t>(((y0 + yy) * img.width + x0 + xx) * 3)];
          px[0] = px[1] = px[2] = g;
        }
      }
    }
  }
  return img;
}

void write_kernels_png(const fs::path& path, const xgrad::Tensor& weight, int64_t scale) {
  const RgbImage img = kernel_grid(weight, scale);
  std::string png;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  const int ok = stbi_write_png_to_func(append, &png, static_cast<int>(img.width), static_cast<int>(img.height), 3,
                                        img.pixels.data(), static_cast<int>(img.width * 3));
  XGRAD_CHECK(ok != 0 && !png.empty(), IOError, "lenet: cannot write '{}': PNG encoding of a {}x{} image failed",
              path.string(), img.width, img.height);
  write_file_atomically(path, png);
}

}  // namespace lenet
