// Command-line parsing for the LeNet example. CLI11 recognises the flags, splits `--flag value`
// and `--flag=value` and writes the help; every value is taken as text and converted here, so
// each mistake gets the same kind of message: the flag, what was given, what is allowed. CLI11's
// own messages ("1 required FLOAT missing", "At Most 1 required but received 2") are replaced by
// a pre-scan of argv for the two common cases (a missing value, a flag given twice), and unknown
// arguments are collected with allow_extras instead of CLI11's error, for the same reason.
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <system_error>
#include <vector>

namespace lenet {

namespace fs = std::filesystem;

std::string_view to_string(Variant v) {
  switch (v) {
    case Variant::Book: return "book";
    case Variant::Modern: return "modern";
    case Variant::Deep: return "deep";
  }
  return "unknown";
}

// deep's 3e-3 is the peak of its OneCycleLR schedule (it reached 0.93 test accuracy in 10 epochs).
double default_lr(Variant v) { return v == Variant::Book ? 0.9 : v == Variant::Modern ? 1e-3 : 3e-3; }

namespace {

constexpr const char* kHelpHint = " (run with --help for all flags)";

// Carries one usage message from a check deep in the conversion up to parse_lenet_options.
struct UsageError {
  std::string message;
};

[[noreturn]] void usage_error(std::string message) { throw UsageError{std::move(message)}; }

int64_t to_int(std::string_view flag, const std::string& text, int64_t lo, int64_t hi) {
  int64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  const std::string allowed = hi == std::numeric_limits<int64_t>::max()
                                  ? fmt::format("an integer >= {}", lo)
                                  : fmt::format("an integer from {} to {}", lo, hi);
  if (text.empty() || ec == std::errc::invalid_argument || end != last)
    usage_error(fmt::format("{}: got '{}', expected {}", flag, text, allowed));
  if (ec == std::errc::result_out_of_range || value < lo || value > hi)
    usage_error(fmt::format("{}: got {}, expected {}", flag, text, allowed));
  return value;
}

uint64_t to_uint64(std::string_view flag, const std::string& text) {
  uint64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  // from_chars rejects a leading '-' for unsigned types, so "-1" lands here instead of wrapping.
  if (text.empty() || ec != std::errc() || end != last)
    usage_error(fmt::format("{}: got '{}', expected an integer from 0 to {}", flag, text,
                            std::numeric_limits<uint64_t>::max()));
  return value;
}

double to_positive_double(std::string_view flag, const std::string& text) {
  double value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  // from_chars is locale-independent: "0.9" means the same under every LC_NUMERIC.
  auto [end, ec] = std::from_chars(first, last, value);
  if (text.empty() || ec != std::errc() || end != last || !std::isfinite(value) || !(value > 0))
    usage_error(fmt::format("{}: got '{}', expected a finite number > 0 (e.g. 0.9 or 1e-3)", flag, text));
  return value;
}

Variant to_variant(const std::string& text) {
  if (text == "book") return Variant::Book;
  if (text == "modern") return Variant::Modern;
  if (text == "deep") return Variant::Deep;
  usage_error(fmt::format("--variant: got '{}', expected one of book, modern, deep", text));
}

fs::path to_path(std::string_view flag, const std::string& text) {
  if (text.empty()) usage_error(fmt::format("{}: got an empty path", flag));
  return fs::path(text);
}

// The flags that take a value, for the pre-scan.
const std::vector<std::string>& value_flags() {
  static const std::vector<std::string> flags = {
      "--epochs", "--batch-size", "--lr",     "--threads", "--data",        "--variant",
      "--seed",   "--out",        "--save",   "--resume",  "--limit-train", "--limit-test", "--micro-batches"};
  return flags;
}

bool takes_value(std::string_view name) {
  for (const auto& f : value_flags())
    if (f == name) return true;
  return false;
}

// Finds a value flag given without its value (last argument, or followed by another --flag) and
// a flag given twice: CLI11 reports both, but in words that do not say what to do.
void prescan(int argc, const char* const* argv) {
  std::map<std::string, int> seen;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // everything after is positional (and so rejected later)
    if (arg.size() < 3 || arg.substr(0, 2) != "--") continue;
    const auto eq = arg.find('=');
    const std::string name(arg.substr(0, eq));
    if (!takes_value(name)) continue;
    if (++seen[name] > 1) usage_error(fmt::format("{}: given more than once; give it once", name));
    if (eq != std::string_view::npos) {
      if (eq + 1 == arg.size()) usage_error(fmt::format("{}: missing its value after '='", name));
      continue;
    }
    if (i + 1 >= argc) usage_error(fmt::format("{}: missing its value", name));
    const std::string_view next = argv[i + 1];
    if (next.size() >= 2 && next.substr(0, 2) == "--")
      usage_error(fmt::format("{}: missing its value (next argument is the flag {})", name, next));
    ++i;  // the value, which may start with '-' (a negative number is a bad value, not a flag)
  }
}

LenetOptions parse_or_throw(int argc, const char* const* argv, std::string& help_out) {
  CLI::App app{
      "Trains the book's LeNet on Fashion-MNIST and writes metrics.csv, curves.svg, kernels.png and a "
      "checkpoint into the output folder.",
      "lenet"};
  app.allow_extras(true);
  app.set_help_flag("-h,--help", "Print this help and exit");

  std::map<std::string, std::string> text;
  auto add = [&](const std::string& flag, const std::string& type, const std::string& help) {
    app.add_option(flag, text[flag], help)->type_name(type);
  };
  add("--epochs", "N", fmt::format("Number of epochs, 1..{} (default 10)", kMaxEpochs));
  add("--batch-size", "N", fmt::format("Minibatch size, 1..{} (default 256)", kMaxBatchSize));
  add("--lr", "FLOAT", "Learning rate, > 0 (default 0.9 for book, 1e-3 for modern and deep)");
  add("--threads", "N", fmt::format("Intra-op threads, 1..{} (default: the library's default)", kMaxThreads));
  add("--data", "DIR", fmt::format("Folder with the Fashion-MNIST IDX files (default {})", kDefaultDataDir));
  add("--variant", "NAME", "book | modern | deep (default book)");
  add("--seed", "N", "Random seed, 0..2^64-1 (default 0)");
  add("--out", "DIR", "Output folder for metrics.csv, curves.svg, kernels.png (default lenet-out)");
  add("--save", "FILE", "Checkpoint to write after each epoch (default <out>/checkpoint.safetensors)");
  add("--resume", "FILE", "Checkpoint to resume from; must exist");
  add("--limit-train", "N", "Use only the first N training images, N >= 1 (for short test runs)");
  add("--limit-test", "N", "Use only the first N test images, N >= 1 (for short test runs)");
  bool distributed = false, fast = false;
  app.add_flag("--distributed", distributed,
               "Run as one rank of an MPI job (mpirun -np N ./lenet --distributed): data-parallel training with "
               "DistributedDataParallel; rank 0 prints and writes the outputs");
  app.add_flag("--fast", fast,
               "With --distributed: DDP's fast mode (one all-reduce per bucket, overlapped with backward) instead "
               "of the reproducible mode whose weights do not depend on the number of ranks");
  add("--micro-batches", "M",
      fmt::format("With --distributed (reproducible mode): parts each batch is cut into, 1..{}, a multiple of the "
                  "number of ranks (default 8)",
                  kMaxMicroBatches));
  help_out = app.help();

  prescan(argc, argv);
  app.parse(argc, argv);  // throws CLI::CallForHelp for -h/--help, CLI::ParseError otherwise

  // CLI11 keeps a "--" separator among the extras; what follows it is what was not expected.
  auto extras = app.remaining();
  std::erase(extras, std::string("--"));
  if (!extras.empty()) {
    const std::string& first = extras.front();
    if (first.size() > 1 && first[0] == '-') usage_error(fmt::format("{}: unknown flag", first));
    usage_error(fmt::format("unexpected argument '{}': this program takes no positional arguments", first));
  }

  auto given = [&](const std::string& flag) { return app.count(flag) > 0; };
  LenetOptions o;
  if (given("--variant")) o.variant = to_variant(text["--variant"]);
  o.lr = given("--lr") ? to_positive_double("--lr", text["--lr"]) : default_lr(o.variant);
  if (given("--epochs")) o.epochs = to_int("--epochs", text["--epochs"], 1, kMaxEpochs);
  if (given("--batch-size")) o.batch_size = to_int("--batch-size", text["--batch-size"], 1, kMaxBatchSize);
  if (given("--threads")) o.threads = to_int("--threads", text["--threads"], 1, kMaxThreads);
  if (given("--seed")) o.seed = to_uint64("--seed", text["--seed"]);
  const int64_t no_max = std::numeric_limits<int64_t>::max();
  if (given("--limit-train")) o.limit_train = to_int("--limit-train", text["--limit-train"], 1, no_max);
  if (given("--limit-test")) o.limit_test = to_int("--limit-test", text["--limit-test"], 1, no_max);
  o.distributed = distributed;
  o.fast = fast;
  if (given("--micro-batches")) o.micro_batches = to_int("--micro-batches", text["--micro-batches"], 1, kMaxMicroBatches);
  if ((fast || given("--micro-batches")) && !distributed)
    usage_error(fmt::format("{}: only meaningful with --distributed", fast ? "--fast" : "--micro-batches"));
  if (fast && given("--micro-batches"))
    usage_error("--micro-batches: fast mode splits each batch into one part per rank; drop --micro-batches or --fast");
  if (distributed && !fast && o.micro_batches > o.batch_size)
    usage_error(fmt::format("--micro-batches: {} parts of a batch of {} would leave some empty; use at most {}",
                            o.micro_batches, o.batch_size, o.batch_size));

  std::error_code ec;
  if (given("--data")) {
    o.data = to_path("--data", text["--data"]);
    // Only an explicit --data is checked here; a missing default folder is reported by the
    // loader, which names the files it looked for.
    if (!fs::is_directory(o.data, ec))
      usage_error(fmt::format("--data: '{}' is not an existing folder; expected the folder holding "
                              "train-images-idx3-ubyte(.gz) and the other Fashion-MNIST files",
                              o.data.string()));
  }
  if (given("--out")) o.out = to_path("--out", text["--out"]);
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
    usage_error(fmt::format("--out: '{}' exists and is not a folder; expected a folder (created if missing)",
                            o.out.string()));
  o.save = given("--save") ? to_path("--save", text["--save"]) : o.out / "checkpoint.safetensors";
  if (fs::is_directory(o.save, ec))
    usage_error(fmt::format("--save: '{}' is a folder; expected a file path for the checkpoint", o.save.string()));
  if (given("--resume")) {
    o.resume = to_path("--resume", text["--resume"]);
    if (!fs::is_regular_file(*o.resume, ec))
      usage_error(fmt::format("--resume: '{}' does not exist or is not a file; expected an existing checkpoint",
                              o.resume->string()));
  }
  return o;
}

}  // namespace

ParseResult parse_lenet_options(int argc, const char* const* argv) {
  std::string help;
  try {
    return parse_or_throw(argc, argv, help);
  } catch (const CLI::CallForHelp&) {
    return ParseExit{0, help};
  } catch (const UsageError& e) {
    return ParseExit{2, "error: " + e.message + kHelpHint + "\n"};
  } catch (const CLI::ParseError& e) {
    // Whatever the pre-scan did not foresee: CLI11's message still names the flag.
    return ParseExit{2, fmt::format("error: {}{}\n", e.what(), kHelpHint)};
  }
}

LenetOptions parse_lenet_options_or_exit(int argc, const char* const* argv) {
  auto parsed = parse_lenet_options(argc, argv);
  if (auto* done = std::get_if<ParseExit>(&parsed)) {
    (done->code == 0 ? std::cout : std::cerr) << done->message << std::flush;
    std::exit(done->code);
  }
  return std::get<LenetOptions>(std::move(parsed));
}

std::string describe(const LenetOptions& o) {
  std::string s = fmt::format("variant {}, epochs {}, batch size {}, lr {}, seed {}, threads {}, data {}, out {}",
                              to_string(o.variant), o.epochs, o.batch_size, o.lr, o.seed,
                              o.threads ? std::to_string(*o.threads) : std::string("default"),
                              o.data.string(), o.out.string());
  if (o.resume) s += fmt::format(", resume {}", o.resume->string());
  if (o.limit_train) s += fmt::format(", limit-train {}", *o.limit_train);
  if (o.limit_test) s += fmt::format(", limit-test {}", *o.limit_test);
  if (o.distributed)
    s += o.fast ? std::string(", distributed (fast mode)")
                : fmt::format(", distributed (reproducible, {} micro-batches)", o.micro_batches);
  return s;
}

}  // namespace lenet
