// The per-batch progress bar. All decisions (draw or not, when, how wide) are made from
// ProgressOptions, and the text comes from the pure format_line, so both are testable without a
// terminal or real time.
#include "progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include <sys/ioctl.h>
#include <unistd.h>

namespace lenet {

ProgressOptions default_progress_options() {
  ProgressOptions o;
  o.terminal = ::isatty(STDERR_FILENO) == 1;
  o.stream = &std::cerr;
  o.clock = [] { return std::chrono::steady_clock::now(); };
  winsize ws{};
  if (o.terminal && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) o.columns = ws.ws_col;
  return o;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string ProgressBar::format_line(const std::string& label, int64_t done, int64_t total, int64_t images_done,
                                     double running_loss, double elapsed_s, int columns) {
  const bool timed = elapsed_s > 0 && std::isfinite(elapsed_s);
  const std::string speed = timed ? fmt::format("{:.0f} img/s", static_cast<double>(images_done) / elapsed_s)
                                  : std::string("-- img/s");
  // The remaining batches at the mean time per batch so far.
  const std::string eta =
      timed && done > 0 ? format_duration(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done))
                        : format_duration(-1);
  const int digits = static_cast<int>(std::to_string(total).size());
  const std::string head = fmt::format("{} {:>{}}/{} [", label, done, digits, total);
  const std::string tail = fmt::format("] loss {:.4f} {} ETA {}", running_loss, speed, eta);

  const int limit = (columns > 0 ? columns : 80) - 1;  // the last column would wrap on some terminals
  const int fixed = static_cast<int>(head.size() + tail.size());
  const int width = std::clamp(limit - fixed, 10, 30);
  const auto filled = static_cast<int>(total > 0 ? done * width / total : 0);
  std::string bar(static_cast<size_t>(width), ' ');
  std::fill_n(bar.begin(), filled, '=');
  if (filled < width && done > 0) bar[static_cast<size_t>(filled)] = '>';
  std::string line = head + bar + tail;
  if (static_cast<int>(line.size()) > limit) line.resize(static_cast<size_t>(std::max(limit, 0)));
  return line;
}

ProgressBar::ProgressBar(std::string label, int64_t total_batches, ProgressOptions opts)
    : label_(std::move(label)), total_(total_batches), opts_(std::move(opts)) {
  XGRAD_CHECK(total_batches >= 1, ValueError, "ProgressBar: total_batches must be >= 1, got {}", total_batches);
  if (!opts_.clock) opts_.clock = [] { return std::chrono::steady_clock::now(); };
  if (!opts_.stream) opts_.stream = &std::cerr;
  start_ = last_draw_ = opts_.clock();
}

ProgressBar::~ProgressBar() {
  // A destructor must not throw; a failing stream only sets its state bits.
  finish();
}

void ProgressBar::update(int64_t batches_done, int64_t images_done, double running_loss) {
  XGRAD_CHECK(batches_done >= 0 && batches_done <= total_, ValueError,
              "ProgressBar::update: batches_done must be in 0..{}, got {}", total_, batches_done);
  if (!opts_.terminal) return;
  const auto now = opts_.clock();
  const bool due = redraws_ == 0 || batches_done == total_ || now - last_draw_ >= opts_.min_interval;
  if (!due) return;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // '\r' back to the line start, the bar, then "erase to end of line" in case the last one was longer.
  *opts_.stream << '\r'
                << format_line(label_, batches_done, total_, images_done, running_loss, elapsed, opts_.columns)
                << "\x1b[K" << std::flush;
  last_draw_ = now;
  ++redraws_;
  shown_ = true;
}

void ProgressBar::finish() {
  if (!shown_) return;
  *opts_.stream << "\r\x1b[K" << std::flush;
  shown_ = false;
}

std::string epoch_line(const EpochMetrics& m, int64_t num_epochs) {
  return fmt::format("epoch {}/{}: loss {:.3f}, train acc {:.3f}, test acc {:.3f}, {:.1f} examples/sec, {:.1f} s",
                     m.epoch, num_epochs, m.train_loss, m.train_acc, m.test_acc, m.images_per_s, m.seconds);
}

}  // namespace lenet
