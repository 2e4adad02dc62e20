#define BOOST_TEST_MODULE lenet_support
#include <boost/test/unit_test.hpp>

// Tests of the LeNet example's support library (examples/lenet): option parsing, the three
// output files (written atomically) and the progress bar. Expected values are worked by hand in
// the comments; the SVG is parsed by Python's XML parser (tests/examples/check_svg.py) and the
// PNG is decoded again with stb_image.

#include "options.hpp"
#include "progress.hpp"
#include "report.hpp"

#include "support/testing.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <locale>
#include <set>
#include <sstream>

#include <unistd.h>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace fs = std::filesystem;
using lenet::EpochMetrics;
using lenet::LenetOptions;
using lenet::ParseExit;

namespace {

// A fresh folder under the system temp folder, removed with everything in it at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("lenet_support_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) out.insert(e.path().filename().string());
    return out;
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

lenet::ParseResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "lenet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return lenet::parse_lenet_options(static_cast<int>(argv.size()), argv.data());
}

LenetOptions parse_ok(std::vector<std::string> args) {
  auto r = parse(args);
  if (auto* e = std::get_if<ParseExit>(&r)) BOOST_FAIL("unexpected parse failure: " << e->message);
  return std::get<LenetOptions>(r);
}

ParseExit parse_fail(std::vector<std::string> args) {
  auto r = parse(args);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<ParseExit>(r), "expected a parse failure");
  return std::get<ParseExit>(r);
}

std::vector<EpochMetrics> ten_epochs() {
  // Loss from 2.0 down by 0.1 per epoch, accuracies rising from 0.3 by 0.05: hand-checkable
  // positions (y range [0, 2] because the largest loss is 2.0).
  std::vector<EpochMetrics> rows;
  for (int e = 1; e <= 10; ++e)
    rows.push_back({e, 2.0 - 0.1 * (e - 1), 0.3 + 0.05 * e, 0.25 + 0.05 * e, 1000.0 * e, 2.5});
  return rows;
}

// Runs check_svg.py on `file` and returns its output lines.
std::vector<std::string> check_svg(const fs::path& file) {
  const char* py = std::getenv("LENET_PYTHON3");
  const char* script = std::getenv("LENET_CHECK_SVG");
  const std::string cmd = fmt::format("'{}' '{}' '{}' 2>&1", py ? py : "python3",
                                      script ? script : "tests/examples/check_svg.py", file.string());
  const auto [status, out] = xgrad::testing::run_command(cmd);
  BOOST_TEST_INFO("check_svg.py output:\n" << out);
  BOOST_REQUIRE_EQUAL(status, 0);
  std::vector<std::string> lines;
  std::istringstream s(out);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& want) {
  return std::find(lines.begin(), lines.end(), want) != lines.end();
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

}  // namespace

// ---- options ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(defaults) {
  const auto o = parse_ok({});
  BOOST_TEST(o.epochs == 10);
  BOOST_TEST(o.batch_size == 256);
  BOOST_TEST(o.lr == 0.9);
  BOOST_TEST(!o.threads.has_value());
  BOOST_TEST(o.data == fs::path("/usr/share/datasets/fashion-mnist"));
  BOOST_TEST((o.variant == lenet::Variant::Book));
  BOOST_TEST(o.seed == 0u);
  BOOST_TEST(o.out == fs::path("lenet-out"));
  BOOST_TEST(o.save == fs::path("lenet-out/checkpoint.safetensors"));
  BOOST_TEST(!o.resume.has_value());
  BOOST_TEST(!o.limit_train.has_value());
  BOOST_TEST(!o.limit_test.has_value());
}

BOOST_AUTO_TEST_CASE(lr_default_follows_variant) {
  BOOST_TEST(parse_ok({"--variant", "modern"}).lr == 1e-3);
  BOOST_TEST(parse_ok({"--variant=deep"}).lr == 3e-3);
  BOOST_TEST(parse_ok({"--variant", "book"}).lr == 0.9);
  BOOST_TEST(parse_ok({"--variant", "modern", "--lr", "0.01"}).lr == 0.01);
  BOOST_TEST(lenet::to_string(parse_ok({"--variant", "deep"}).variant) == "deep");
}

BOOST_AUTO_TEST_CASE(every_flag_given) {
  TempDir tmp;
  const auto data = tmp.path / "data";
  fs::create_directories(data);
  const auto ckpt = tmp.path / "old.safetensors";
  touch(ckpt);
  const auto o = parse_ok({"--epochs", "3", "--batch-size=64", "--lr", "5e-2", "--threads", "2", "--data",
                           data.string(), "--variant", "modern", "--seed", "18446744073709551615", "--out",
                           (tmp.path / "o").string(), "--resume", ckpt.string(), "--limit-train", "100",
                           "--limit-test=50"});
  BOOST_TEST(o.epochs == 3);
  BOOST_TEST(o.batch_size == 64);
  BOOST_TEST(o.lr == 0.05);
  BOOST_TEST(o.threads.value() == 2);
  BOOST_TEST(o.data == data);
  BOOST_TEST((o.variant == lenet::Variant::Modern));
  BOOST_TEST(o.seed == std::numeric_limits<uint64_t>::max());
  BOOST_TEST(o.out == tmp.path / "o");
  BOOST_TEST(o.save == tmp.path / "o" / "checkpoint.safetensors");
  BOOST_TEST(o.resume.value() == ckpt);
  BOOST_TEST(o.limit_train.value() == 100);
  BOOST_TEST(o.limit_test.value() == 50);
  BOOST_TEST(parse_ok({"--save", "elsewhere.safetensors", "--out", "x"}).save == fs::path("elsewhere.safetensors"));
  const auto text = lenet::describe(o);
  BOOST_TEST(text.find("variant modern, epochs 3, batch size 64, lr 0.05, seed 18446744073709551615, threads 2") == 0u);
  BOOST_TEST(text.find("limit-train 100, limit-test 50") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_exits_zero) {
  for (const char* flag : {"--help", "-h"}) {
    const auto e = parse_fail({flag});
    BOOST_TEST(e.code == 0);
    for (const char* name : {"--epochs", "--batch-size", "--lr", "--threads", "--data", "--variant", "--seed", "--out",
                             "--save", "--resume", "--limit-train", "--limit-test", "--help"})
      BOOST_TEST(e.message.find(name) != std::string::npos, "help lacks " << name);
  }
  // --help wins even after other flags.
  BOOST_TEST(parse_fail({"--epochs", "3", "--help"}).code == 0);
}

BOOST_AUTO_TEST_CASE(every_bad_value_names_its_flag) {
  TempDir tmp;
  const auto file = tmp.path / "file";
  touch(file);
  const auto dir = tmp.path / "dir";
  fs::create_directories(dir);
  struct Case {
    std::vector<std::string> args;
    std::string named;    // must appear in the message
    std::string allowed;  // must appear too: what would have been accepted
  };
  const std::vector<Case> cases = {
      {{"--epochs", "0"}, "--epochs", "from 1 to 1000000"},
      {{"--epochs", "-1"}, "--epochs", "from 1 to"},
      {{"--epochs", "abc"}, "--epochs", "expected an integer"},
      {{"--epochs", "1.5"}, "--epochs", "expected an integer"},
      {{"--epochs", "3x"}, "--epochs", "expected an integer"},
      {{"--epochs", "99999999999999999999"}, "--epochs", "from 1 to"},
      {{"--epochs="}, "--epochs", "missing its value"},
      {{"--epochs"}, "--epochs", "missing its value"},
      {{"--epochs", "--lr", "0.1"}, "--epochs", "missing its value"},
      {{"--epochs", "2", "--epochs", "3"}, "--epochs", "give it once"},
      {{"--batch-size", "0"}, "--batch-size", "from 1 to 1048576"},
      {{"--batch-size", "2000000"}, "--batch-size", "from 1 to 1048576"},
      {{"--lr", "0"}, "--lr", "> 0"},
      {{"--lr", "-0.1"}, "--lr", "> 0"},
      {{"--lr", "nan"}, "--lr", "finite number"},
      {{"--lr", "inf"}, "--lr", "finite number"},
      {{"--lr", "fast"}, "--lr", "number"},
      {{"--lr", "1e-3x"}, "--lr", "number"},
      {{"--lr", "0,5"}, "--lr", "number"},
      {{"--threads", "0"}, "--threads", "from 1 to 1024"},
      {{"--threads", "5000"}, "--threads", "from 1 to 1024"},
      {{"--data", (tmp.path / "missing").string()}, "--data", "existing folder"},
      {{"--data", file.string()}, "--data", "existing folder"},
      {{"--data", ""}, "--data", "empty path"},
      {{"--variant", "lenet"}, "--variant", "book, modern, deep"},
      {{"--variant", "Book"}, "--variant", "book, modern, deep"},
      {{"--seed", "-1"}, "--seed", "from 0 to 18446744073709551615"},
      {{"--seed", "1.5"}, "--seed", "from 0 to"},
      {{"--seed", "18446744073709551616"}, "--seed", "from 0 to"},
      {{"--out", file.string()}, "--out", "not a folder"},
      {{"--save", dir.string()}, "--save", "file path"},
      {{"--resume", (tmp.path / "none.safetensors").string()}, "--resume", "existing checkpoint"},
      {{"--resume", dir.string()}, "--resume", "existing checkpoint"},
      {{"--limit-train", "0"}, "--limit-train", ">= 1"},
      {{"--limit-test", "-3"}, "--limit-test", ">= 1"},
      {{"--limit-test", "ten"}, "--limit-test", ">= 1"},
      {{"--bogus"}, "--bogus", "unknown flag"},
      {{"--bogus=3"}, "--bogus", "unknown flag"},
      {{"-x"}, "-x", "unknown flag"},
      {{"extra"}, "'extra'", "no positional arguments"},
      {{"--epochs", "2", "--", "more"}, "'more'", "no positional arguments"},
  };
  for (const auto& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    BOOST_TEST_CONTEXT("args: " << joined) {
      const auto e = parse_fail(c.args);
      BOOST_TEST(e.code != 0);
      BOOST_TEST(e.message.rfind("error: ", 0) == 0u, "message: " << e.message);
      BOOST_TEST(e.message.find(c.named) != std::string::npos, "message: " << e.message);
      BOOST_TEST(e.message.find(c.allowed) != std::string::npos, "message: " << e.message);
      // ONE message: a single line, ending in a newline, pointing at --help.
      BOOST_TEST(count(e.message, "\n") == 1u, "message: " << e.message);
      BOOST_TEST(e.message.back() == '\n');
      BOOST_TEST(e.message.find("--help") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- metrics.csv --------------------------------------------------------------------------------

namespace {
// A locale whose decimal point is ',' (as de_DE), built in code so the test needs no installed
// locale: the CSV must not follow it.
struct CommaDecimal : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(csv_header_rows_full_precision) {
  const std::vector<EpochMetrics> rows = {{1, 1.0 / 3.0, 0.5, 0.25, 12345.678, 2.0},
                                          {2, 0.1, 0.8125, 0.7, 1e6, 0.000123}};
  const std::locale saved = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  const std::string csv = lenet::metrics_csv(rows);
  std::locale::global(saved);
  BOOST_TEST(csv ==
             "epoch,train_loss,train_acc,test_acc,images_per_s,seconds\n"
             "1,0.3333333333333333,0.5,0.25,12345.678,2\n"
             "2,0.1,0.8125,0.7,1000000,0.000123\n");
  // Full precision: the text reads back to the same double.
  BOOST_TEST(std::strtod("0.3333333333333333", nullptr) == 1.0 / 3.0);
  BOOST_TEST(lenet::metrics_csv({}) == "epoch,train_loss,train_acc,test_acc,images_per_s,seconds\n");

  TempDir tmp;
  lenet::write_metrics_csv(tmp.path / "metrics.csv", rows);
  BOOST_TEST(read_file(tmp.path / "metrics.csv") == csv);
  BOOST_TEST((tmp.names() == std::set<std::string>{"metrics.csv"}));
}

BOOST_AUTO_TEST_CASE(svg_well_formed_with_three_series) {
  TempDir tmp;
  const auto file = tmp.path / "curves.svg";
  lenet::write_curves_svg(file, ten_epochs(), 10);
  const auto lines = check_svg(file);
  BOOST_TEST(has_line(lines, "root svg"));
  BOOST_TEST(has_line(lines, "series train loss polylines=1 points=10 circles=10"));
  BOOST_TEST(has_line(lines, "series train acc polylines=1 points=10 circles=10"));
  BOOST_TEST(has_line(lines, "series test acc polylines=1 points=10 circles=10"));
  BOOST_TEST(has_line(lines, "legend train loss"));
  BOOST_TEST(has_line(lines, "legend train acc"));
  BOOST_TEST(has_line(lines, "legend test acc"));
  BOOST_TEST(has_line(lines, "xlabel epoch"));
  // x ticks 1..10 (step 9/8 rounds to 1), y ticks over [0, 2] every 0.5 (2/6 -> 0.5).
  BOOST_TEST(has_line(lines, "ticks 1 2 3 4 5 6 7 8 9 10 0.0 0.5 1.0 1.5 2.0"));
  // Plot area x 64..560 over epochs 1..10, y 380..20 over 0..2: epoch 1 loss 2.0 is the top
  // left corner (64, 20); epoch 10 loss 1.1 is (560, 380 - 1.1 / 2 * 360 = 182); epoch 2 at
  // x = 64 + 496 / 9 = 119.11, loss 1.9 at y = 380 - 342 = 38.
  bool found = false;
  for (const auto& l : lines) {
    if (l.rfind("points-of train loss ", 0) != 0) continue;
    found = true;
    BOOST_TEST(l.find("points-of train loss 64.00,20.00 119.11,38.00 ") == 0u, l);
    BOOST_TEST(l.size() >= 14u);
    BOOST_TEST(l.substr(l.size() - 14) == " 560.00,182.00", l);
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(svg_partial_run_nan_and_title) {
  TempDir tmp;
  auto rows = ten_epochs();
  rows.resize(4);
  rows[2].train_loss = std::nan("");  // a diverged epoch splits the loss line in two
  const auto file = tmp.path / "curves.svg";
  lenet::write_curves_svg(file, rows, 10, "LeNet <book> & \"friends\"");
  const auto lines = check_svg(file);
  BOOST_TEST(has_line(lines, "series train loss polylines=2 points=3 circles=3"));
  BOOST_TEST(has_line(lines, "series train acc polylines=1 points=4 circles=4"));
  BOOST_TEST(has_line(lines, "series test acc polylines=1 points=4 circles=4"));
  BOOST_TEST(read_file(file).find("LeNet &lt;book&gt; &amp; &quot;friends&quot;") != std::string::npos);

  // No rows yet, and a one-epoch run (its x range padded by half an epoch).
  lenet::write_curves_svg(file, {}, 10);
  BOOST_TEST(has_line(check_svg(file), "series train loss polylines=0 points=0 circles=0"));
  lenet::write_curves_svg(file, {ten_epochs()[0]}, 1);
  const auto one = check_svg(file);
  BOOST_TEST(has_line(one, "series test acc polylines=1 points=1 circles=1"));
  BOOST_TEST((tmp.names() == std::set<std::string>{"curves.svg"}));

  // A loss above 1 sets the top of the y axis; below 1 the axis still reaches 1.
  std::vector<EpochMetrics> small = {{1, 0.4, 0.5, 0.6, 1, 1}};
  lenet::write_curves_svg(file, small, 2);
  BOOST_TEST(has_line(check_svg(file), "ticks 1 2 0.0 0.2 0.4 0.6 0.8 1.0"));

  BOOST_CHECK_THROW(lenet::curves_svg({}, 0), xgrad::ValueError);
}

BOOST_AUTO_TEST_CASE(kernel_grid_pixels_by_hand) {
  // Two 2x2 kernels of one input channel, scale 2:
  //   kernel 0 = [[0, 1], [2, 3]] -> gray 0, 85, 170, 255 (min..max to 0..255)
  //   kernel 1 = all -1           -> constant, mid-gray 128
  // width = 1 * 2 * 2 + 1 + 1 = 6, height = 2 * 2 * 2 + 2 + 1 = 11.
  auto w = xgrad::tensor({0.0, 1.0, 2.0, 3.0, -1.0, -1.0, -1.0, -1.0}).reshape({2, 1, 2, 2});  // float32
  const auto img = lenet::kernel_grid(w, 2);
  BOOST_TEST(img.width == 6);
  BOOST_TEST(img.height == 11);
  const int S = -1;  // separator
  const int expected[11][6] = {
      {S, S, S, S, S, S},
      {S, 0, 0, 85, 85, S},
      {S, 0, 0, 85, 85, S},
      {S, 170, 170, 255, 255, S},
      {S, 170, 170, 255, 255, S},
      {S, S, S, S, S, S},
      {S, 128, 128, 128, 128, S},
      {S, 128, 128, 128, 128, S},
      {S, 128, 128, 128, 128, S},
      {S, 128, 128, 128, 128, S},
      {S, S, S, S, S, S},
  };
  for (int y = 0; y < 11; ++y)
    for (int x = 0; x < 6; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const int want = expected[y][x] == S ? lenet::kSeparatorRgb[ch] : expected[y][x];
        BOOST_TEST_INFO("pixel (" << x << ", " << y << ") channel " << ch);
        BOOST_REQUIRE_EQUAL(static_cast<int>(img.pixels[static_cast<size_t>((y * 6 + x) * 3 + ch)]), want);
      }

  // float64, two input channels side by side: weight [1, 2, 1, 2] = kernel (0,0) [5, 7] ->
  // 0, 255; kernel (0,1) [1, 0] -> 255, 0. width = 2 * 2 + 2 + 1 = 7, height = 1 + 1 + 1 = 3.
  const auto img2 = lenet::kernel_grid(xgrad::tensor({5.0, 7.0, 1.0, 0.0}, xgrad::kFloat64).reshape({1, 2, 1, 2}), 1);
  BOOST_TEST(img2.width == 7);
  BOOST_TEST(img2.height == 3);
  const int row[7] = {S, 0, 255, S, 255, 0, S};
  for (int x = 0; x < 7; ++x) {
    const int want = row[x] == S ? lenet::kSeparatorRgb[0] : row[x];
    BOOST_TEST(static_cast<int>(img2.pixels[static_cast<size_t>((7 + x) * 3)]) == want);
  }
  // A non-contiguous (transposed) weight is read in its logical order: [[5, 1], [7, 0]]^T =
  // [[5, 7], [1, 0]] -> 5/7*255 = 182.1 -> 182, 255, 1/7*255 = 36.4 -> 36, 0.
  auto strided = xgrad::tensor({{5.0, 1.0}, {7.0, 0.0}}).t().reshape({1, 1, 2, 2});
  const auto img3 = lenet::kernel_grid(xgrad::tensor({{5.0, 1.0}, {7.0, 0.0}}).t().unsqueeze(0).unsqueeze(0), 1);
  BOOST_TEST((lenet::kernel_grid(strided, 1).pixels == img3.pixels));
  const int inner[4] = {182, 255, 36, 0};
  for (int k = 0; k < 4; ++k) {
    const int x = 1 + k % 2, y = 1 + k / 2;
    BOOST_TEST(static_cast<int>(img3.pixels[static_cast<size_t>((y * 4 + x) * 3)]) == inner[k]);
  }
}

BOOST_AUTO_TEST_CASE(kernels_png_read_back) {
  TempDir tmp;
  // LeNet's first layer: 6 kernels of 1 channel, 5x5, scale 8: 1*5*8+2 = 42 wide, 6*40+7 = 247 tall.
  xgrad::manual_seed(3);
  const auto w = xgrad::randn({6, 1, 5, 5});
  const auto file = tmp.path / "kernels.png";
  lenet::write_kernels_png(file, w);
  BOOST_TEST((tmp.names() == std::set<std::string>{"kernels.png"}));
  const std::string png = read_file(file);
  // The PNG signature, then the IHDR chunk: width and height big-endian, 8-bit RGB (type 2).
  BOOST_REQUIRE(png.size() > 33);
  BOOST_TEST(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  BOOST_TEST(png.substr(12, 4) == "IHDR");
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  BOOST_TEST(be32(16) == 42u);
  BOOST_TEST(be32(20) == 247u);
  BOOST_TEST(static_cast<int>(png[24]) == 8);
  BOOST_TEST(static_cast<int>(png[25]) == 2);

  // Decoded again, the pixels are kernel_grid's exactly; each kernel spans 0..255.
  int width = 0, height = 0, channels = 0;
  unsigned char* data = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                              static_cast<int>(png.size()), &width, &height, &channels, 3);
  BOOST_REQUIRE(data != nullptr);
  const std::vector<uint8_t> decoded(data, data + static_cast<size_t>(width) * height * 3);
  stbi_image_free(data);
  BOOST_TEST(width == 42);
  BOOST_TEST(height == 247);
  const auto grid = lenet::kernel_grid(w);
  BOOST_TEST((decoded == grid.pixels));
  for (int o = 0; o < 6; ++o) {
    int lo = 255, hi = 0;
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 40; ++x) {
        const int v = decoded[static_cast<size_t>(((1 + o * 41 + y) * 42 + 1 + x) * 3)];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    BOOST_TEST(lo == 0);
    BOOST_TEST(hi == 255);
  }
}

BOOST_AUTO_TEST_CASE(kernel_grid_rejects_bad_weights) {
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({6, 5, 5})), xgrad::ShapeError);
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({0, 1, 5, 5})), xgrad::ShapeError);
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({1, 1, 2, 2}).to(xgrad::kInt64)), xgrad::TypeError);
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({1, 1, 2, 2}), 0), xgrad::ValueError);
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({1, 1, 2, 2}), 65), xgrad::ValueError);
  BOOST_CHECK_THROW(lenet::kernel_grid(xgrad::zeros({1, 3000, 1, 1}), 8), xgrad::ValueError);
  auto w = xgrad::zeros({2, 1, 2, 2});
  w.index_put_({1, 0, 1, 0}, std::nan(""));
  try {
    lenet::kernel_grid(w);
    BOOST_FAIL("a NaN weight must throw");
  } catch (const xgrad::ValueError& e) {
    BOOST_TEST(std::string(e.what()).find("kernel [1, 0]") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(atomic_writes_leave_no_temporary_files) {
  TempDir tmp;
  const auto csv = tmp.path / "metrics.csv";
  auto rows = ten_epochs();
  for (size_t n = 1; n <= rows.size(); ++n) {
    lenet::write_metrics_csv(csv, {rows.begin(), rows.begin() + static_cast<long>(n)});
    lenet::write_curves_svg(tmp.path / "curves.svg", {rows.begin(), rows.begin() + static_cast<long>(n)}, 10);
  }
  BOOST_TEST(count(read_file(csv), "\n") == 11u);  // header + 10 rows: the last write replaced the file
  BOOST_TEST((tmp.names() == std::set<std::string>{"curves.svg", "metrics.csv"}));

  // A folder that does not exist: IOError naming the file, nothing created.
  const auto missing = tmp.path / "nope" / "metrics.csv";
  try {
    lenet::write_metrics_csv(missing, rows);
    BOOST_FAIL("writing into a missing folder must throw");
  } catch (const xgrad::IOError& e) {
    BOOST_TEST(std::string(e.what()).find(missing.string()) != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("does its folder exist?") != std::string::npos, e.what());
  }
  // The final name is a folder: the rename fails after the data was written; the temporary
  // file must be gone again and the folder untouched.
  fs::create_directories(tmp.path / "taken");
  touch(tmp.path / "taken" / "inside");
  try {
    lenet::write_file_atomically(tmp.path / "taken", "data");
    BOOST_FAIL("renaming over a folder must throw");
  } catch (const xgrad::IOError& e) {
    BOOST_TEST(std::string(e.what()).find((tmp.path / "taken").string()) != std::string::npos, e.what());
  }
  BOOST_TEST((tmp.names() == std::set<std::string>{"curves.svg", "metrics.csv", "taken"}));
  BOOST_TEST(fs::is_regular_file(tmp.path / "taken" / "inside"));
  BOOST_CHECK_THROW(lenet::write_file_atomically(tmp.path / "x" / "", "data"), xgrad::IOError);

  // ensure_directory creates nested folders, accepts an existing one, refuses a file.
  lenet::ensure_directory(tmp.path / "a" / "b");
  BOOST_TEST(fs::is_directory(tmp.path / "a" / "b"));
  lenet::ensure_directory(tmp.path / "a" / "b");
  BOOST_CHECK_THROW(lenet::ensure_directory(csv), xgrad::IOError);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- progress bar -------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(progress)

namespace {
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  void advance_ms(int64_t ms) { now += std::chrono::milliseconds(ms); }
};

lenet::ProgressOptions fake_options(FakeClock& clock, std::ostream& out, bool terminal, int columns = 80) {
  lenet::ProgressOptions o;
  o.terminal = terminal;
  o.stream = &out;
  o.clock = [&clock] { return clock.now; };
  o.columns = columns;
  return o;
}
}  // namespace

BOOST_AUTO_TEST_CASE(line_format_by_hand) {
  // 120 of 235 batches, 30720 images in 12 s: 2560 img/s; ETA 12 / 120 * 115 = 11.5 s -> 0:12.
  // head "epoch 1/10 120/235 [" (20) + tail "] loss 0.6931 2560 img/s ETA 0:12" (33) leaves
  // 79 - 53 = 26 cells; 120 * 26 / 235 = 13 filled, then the '>' head.
  const auto line = lenet::ProgressBar::format_line("epoch 1/10", 120, 235, 30720, 0.693147, 12.0, 80);
  BOOST_TEST(line == "epoch 1/10 120/235 [=============>            ] loss 0.6931 2560 img/s ETA 0:12");
  BOOST_TEST(line.size() == 79u);
  // Nothing timed yet.
  BOOST_TEST(lenet::ProgressBar::format_line("e", 0, 5, 0, 2.3, 0.0, 80) ==
             "e 0/5 [                              ] loss 2.3000 -- img/s ETA --:--");
  // Done: full bar, ETA 0:00.
  BOOST_TEST(lenet::ProgressBar::format_line("e", 5, 5, 50, 0.5, 2.0, 80) ==
             "e 5/5 [==============================] loss 0.5000 25 img/s ETA 0:00");
  // A narrow terminal: the bar shrinks to 10 cells, then the line is cut to columns - 1.
  const auto narrow = lenet::ProgressBar::format_line("epoch 1/10", 120, 235, 30720, 0.693147, 12.0, 40);
  BOOST_TEST(narrow == "epoch 1/10 120/235 [=====>    ] loss 0.");
  BOOST_TEST(narrow.size() == 39u);

  BOOST_TEST(lenet::format_duration(0) == "0:00");
  BOOST_TEST(lenet::format_duration(59.4) == "0:59");
  BOOST_TEST(lenet::format_duration(61) == "1:01");
  BOOST_TEST(lenet::format_duration(3661) == "1:01:01");
  BOOST_TEST(lenet::format_duration(std::nan("")) == "--:--");

  const EpochMetrics m{3, 0.51234, 0.8123, 0.80149, 12345.64, 5.25};
  BOOST_TEST(lenet::epoch_line(m, 10) ==
             "epoch 3/10: loss 0.512, train acc 0.812, test acc 0.801, 12345.6 examples/sec, 5.2 s");
}

BOOST_AUTO_TEST_CASE(redraws_at_most_every_100ms) {
  FakeClock clock;
  std::ostringstream out;
  {
    lenet::ProgressBar bar("epoch 1/1", 1000, fake_options(clock, out, true));
    // 1000 batches, 1 ms apart: drawn at the first batch (t = 1 ms), then whenever 100 ms have
    // passed since the last draw (101, 201, ..., 901 ms), and at the last batch (1000 ms).
    for (int i = 1; i <= 1000; ++i) {
      clock.advance_ms(1);
      bar.update(i, i * 256, 1.0);
    }
    BOOST_TEST(bar.redraws() == 11);
    BOOST_TEST(count(out.str(), "\r") == 11u);
    bar.finish();
    bar.finish();  // idempotent
  }
  const std::string s = out.str();
  BOOST_TEST(count(s, "\r") == 12u);  // 11 draws + one erase; the destructor adds nothing
  BOOST_TEST(s.substr(s.size() - 4) == "\r\x1b[K");
  // Each draw is '\r' + line + erase-to-end-of-line; the first one shows batch 1, the last 1000.
  BOOST_TEST(s.rfind("\repoch 1/1    1/1000 [>", 0) == 0u, s.substr(0, 80));
  // Its line: head "epoch 1/1 1000/1000 [" (21) + tail "] loss 1.0000 256000 img/s ETA 0:00" (35)
  // leaves 79 - 56 = 23 cells, all filled; 256000 images in 1.000 s.
  BOOST_TEST(s.find("\repoch 1/1 1000/1000 [=======================] loss 1.0000 256000 img/s ETA 0:00\x1b[K") !=
             std::string::npos);

  // Slow batches (250 ms each) are all drawn; a burst within 100 ms draws once.
  FakeClock c2;
  std::ostringstream o2;
  lenet::ProgressBar slow("e", 100, fake_options(c2, o2, true));
  for (int i = 1; i <= 4; ++i) {
    c2.advance_ms(250);
    slow.update(i, i, 0.5);
  }
  BOOST_TEST(slow.redraws() == 4);
  for (int i = 5; i <= 50; ++i) slow.update(i, i, 0.5);  // no time passes
  BOOST_TEST(slow.redraws() == 4);
  c2.advance_ms(99);
  slow.update(51, 51, 0.5);
  BOOST_TEST(slow.redraws() == 4);
  c2.advance_ms(1);
  slow.update(52, 52, 0.5);
  BOOST_TEST(slow.redraws() == 5);
}

BOOST_AUTO_TEST_CASE(silent_when_not_a_terminal) {
  FakeClock clock;
  std::ostringstream out;
  {
    lenet::ProgressBar bar("epoch 1/1", 500, fake_options(clock, out, false));
    for (int i = 1; i <= 500; ++i) {
      clock.advance_ms(300);
      bar.update(i, i * 256, 0.7);
    }
    BOOST_TEST(bar.redraws() == 0);
    bar.finish();
  }
  BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(destructor_erases_and_bad_input_throws) {
  FakeClock clock;
  std::ostringstream out;
  {
    lenet::ProgressBar bar("e", 10, fake_options(clock, out, true));
    bar.update(3, 30, 0.9);
  }  // e.g. an exception left the epoch
  BOOST_TEST(out.str().substr(out.str().size() - 4) == "\r\x1b[K");
  BOOST_CHECK_THROW(lenet::ProgressBar("e", 0, fake_options(clock, out, true)), xgrad::ValueError);
  lenet::ProgressBar bar("e", 10, fake_options(clock, out, true));
  BOOST_CHECK_THROW(bar.update(11, 0, 0.0), xgrad::ValueError);
  BOOST_CHECK_THROW(bar.update(-1, 0, 0.0), xgrad::ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
