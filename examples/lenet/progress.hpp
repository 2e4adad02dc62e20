#pragma once
/// \file
/// A progress bar for one epoch of the LeNet example, drawn on stderr only when stderr is a
/// terminal; redrawn in place at most every 100 ms (by a steady clock), and erased when the
/// epoch ends, so the program's one line per epoch (epoch_line) is all that stays on screen.
/// When stderr is not a terminal (a log file, CI) the bar writes nothing at all.
///
///     lenet::ProgressBar bar(fmt::format("epoch {}/{}", epoch, epochs), num_batches);
///     for (int64_t i = 0; i < num_batches; ++i) {
///       ...train one batch...
///       bar.update(i + 1, images_so_far, loss_sum / images_so_far);
///     }
///     bar.finish();
///     fmt::print("{}\n", lenet::epoch_line(metrics, epochs));
///
/// The clock, the terminal decision, the stream and the width are ProgressOptions, so a test
/// drives the bar with a fake clock and reads its output from a string stream.

#include "report.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace lenet {

struct ProgressOptions {
  using TimePoint = std::chrono::steady_clock::time_point;
  bool terminal = false;                                 ///< draw at all (default: isatty(stderr))
  std::ostream* stream = nullptr;                        ///< where to draw (default: std::cerr)
  std::function<TimePoint()> clock;                      ///< default: steady_clock::now
  std::chrono::milliseconds min_interval{100};           ///< least time between two redraws
  int columns = 0;                                       ///< terminal width; 0 = unknown (80 assumed)
};

/// The real thing: terminal = isatty(STDERR_FILENO), stream = std::cerr, the steady clock, and
/// the terminal's width from TIOCGWINSZ when it has one.
ProgressOptions default_progress_options();

class ProgressBar {
 public:
  /// `label` starts each line ("epoch 3/10"); `total_batches` >= 1 (else xgrad::ValueError).
  /// The epoch's clock starts here.
  ProgressBar(std::string label, int64_t total_batches, ProgressOptions opts = default_progress_options());
  /// Erases the bar if still shown (an exception leaving the epoch does not leave it behind).
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports that `batches_done` of the total (0..total, else xgrad::ValueError) and
  /// `images_done` images are through, with the running mean loss. Redraws when drawing is on
  /// and this is the first update, the last batch, or min_interval has passed since the last
  /// redraw; otherwise returns at once.
  void update(int64_t batches_done, int64_t images_done, double running_loss);

  /// Erases the bar line (carriage return + erase-line) if anything was drawn. Idempotent.
  void finish();

  /// How many times the bar was drawn so far.
  int64_t redraws() const { return redraws_; }

  /// The bar's text for the given state, without the leading '\r' or trailing erase code:
  ///     epoch 3/10  120/235 [=========>          ] loss 0.6931 1234 img/s ETA 0:12
  /// `elapsed_s` is the time since the epoch started; with no time elapsed yet the speed and ETA
  /// show as "--". The bar narrows (down to 10 cells, then the line is cut) to fit
  /// `columns - 1` characters when `columns` > 0.
  static std::string format_line(const std::string& label, int64_t done, int64_t total, int64_t images_done,
                                 double running_loss, double elapsed_s, int columns);

 private:
  std::string label_;
  int64_t total_;
  ProgressOptions opts_;
  ProgressOptions::TimePoint start_;
  ProgressOptions::TimePoint last_draw_;
  int64_t redraws_ = 0;
  bool shown_ = false;
};

/// The plain line printed once per epoch (terminal or not), in the book's words:
///     epoch 3/10: loss 0.512, train acc 0.812, test acc 0.801, 12345.6 examples/sec, 5.2 s
std::string epoch_line(const EpochMetrics& m, int64_t num_epochs);

/// "m:ss", or "h:mm:ss" from an hour on; "--:--" for a negative or non-finite time.
std::string format_duration(double seconds);

}  // namespace lenet
