#pragma once
/// \file
/// Command-line options of the LeNet example (examples/lenet): parsed with CLI11 into
/// `LenetOptions`, every value checked, and every mistake reported as one message that names
/// the flag, what was wrong and what is allowed.
///
///     auto parsed = lenet::parse_lenet_options(argc, argv);
///     if (auto* exit = std::get_if<lenet::ParseExit>(&parsed)) {
///       (exit->code == 0 ? std::cout : std::cerr) << exit->message;
///       return exit->code;
///     }
///     const auto& opts = std::get<lenet::LenetOptions>(parsed);
///
/// `parse_lenet_options` never prints and never exits, so tests call it directly; main() can
/// use `parse_lenet_options_or_exit`, which does both.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace lenet {

/// Which network and optimiser the example trains.
///  - `Book`: the book's LeNet-5 (sigmoid, average pooling, Xavier init, SGD lr 0.9).
///  - `Modern`: the same layout with ReLU, max pooling and BatchNorm, trained with Adam.
///  - `Deep`: a deeper modern network, also trained with Adam.
enum class Variant { Book, Modern, Deep };

/// "book", "modern" or "deep".
std::string_view to_string(Variant v);

/// The learning rate used when `--lr` is not given: 0.9 for the book's SGD, 1e-3 for the two
/// Adam variants (Adam's usual step size; the book's 0.9 would make Adam diverge).
double default_lr(Variant v);

/// The dataset folder used when `--data` is not given.
inline constexpr const char* kDefaultDataDir = "/usr/share/datasets/fashion-mnist";

/// Upper bounds that keep a typo from asking for absurd work or memory (a batch of 10^12 images
/// would fail allocating instead of saying what was wrong).
inline constexpr int64_t kMaxEpochs = 1'000'000;
inline constexpr int64_t kMaxBatchSize = 1 << 20;
inline constexpr int64_t kMaxThreads = 1024;
inline constexpr int64_t kMaxMicroBatches = 65536;

/// Everything the training program needs to know from its command line, with every default
/// already applied (`lr` from the variant, `save` from `out`).
struct LenetOptions {
  int64_t epochs = 10;                             ///< --epochs, >= 1
  int64_t batch_size = 256;                        ///< --batch-size, >= 1
  double lr = 0.9;                                 ///< --lr, > 0 and finite; default_lr(variant)
  std::optional<int64_t> threads;                  ///< --threads, >= 1; empty = library default
  std::filesystem::path data = kDefaultDataDir;    ///< --data, a folder of Fashion-MNIST IDX files
  Variant variant = Variant::Book;                 ///< --variant book|modern|deep
  uint64_t seed = 0;                               ///< --seed, for xgrad::manual_seed
  std::filesystem::path out = "lenet-out";         ///< --out, folder for metrics/curves/kernels
  std::filesystem::path save = "lenet-out/checkpoint.safetensors";  ///< --save; default <out>/checkpoint.safetensors
  std::optional<std::filesystem::path> resume;     ///< --resume, an existing checkpoint file
  std::optional<int64_t> limit_train;              ///< --limit-train N: only the first N training images
  std::optional<int64_t> limit_test;               ///< --limit-test N: only the first N test images
  bool distributed = false;                        ///< --distributed: one rank of an mpirun job (DDP)
  bool fast = false;                               ///< --fast: DDP's fast mode instead of reproducible
  int64_t micro_batches = 8;                       ///< --micro-batches M: parts of a batch (reproducible mode)
};

/// How parsing ended when it did not produce options: `code` 0 with the help text for
/// `--help`/`-h`; a non-zero code (2, the usual code for a usage error) with one error line
/// ending in a newline otherwise.
struct ParseExit {
  int code = 0;
  std::string message;
};

using ParseResult = std::variant<LenetOptions, ParseExit>;

/// Parses `argv[1..argc)`. Never prints, never exits, never throws for bad input: a bad flag or
/// value comes back as a ParseExit naming the flag, e.g.
///     error: --epochs: got '0', expected an integer from 1 to 1000000 (run with --help for all flags)
/// `--data` given explicitly must be an existing folder; `--resume` an existing file; `--out`
/// must not be an existing non-folder, `--save` not an existing folder.
ParseResult parse_lenet_options(int argc, const char* const* argv);

/// For main(): returns the options, or prints the help (stdout) / the error (stderr) and calls
/// std::exit with the ParseExit code.
LenetOptions parse_lenet_options_or_exit(int argc, const char* const* argv);

/// One line describing the run's settings, for the start of the program's output:
///     variant book, epochs 10, batch size 256, lr 0.9, seed 0, threads default, data /usr/..., out lenet-out
std::string describe(const LenetOptions& opts);

}  // namespace lenet
