// Writes the seed corpus in tests/fuzz/corpus/ (checked in; rerun only to change it):
//   ./build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
// IDX files come from ../data/idx_files.hpp (the data tests' writer), checkpoints from
// xgrad::save itself, so the seeds are exactly what the readers meet in practice; a few cut or
// corrupted copies start the fuzzer near the error paths.
#include <xgrad/factory.hpp>
#include <xgrad/nn/modules/linear.hpp>
#include <xgrad/serialize.hpp>

#include "../data/idx_files.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using xgrad::testing::Bytes;
using xgrad::testing::gzip_bytes;
using xgrad::testing::idx_bytes;
using xgrad::testing::write_file;

namespace {

Bytes read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

Bytes iota_bytes(size_t n, uint8_t start = 1) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(start + 3 * i);
  return b;
}

void write_idx(const fs::path& dir) {
  fs::create_directories(dir);
  auto put = [&](const std::string& name, const Bytes& raw) {
    write_file((dir / name).string(), raw);
    write_file((dir / (name + ".gz")).string(), gzip_bytes(raw));
  };
  put("ubyte_1d", idx_bytes(0x08, {5}, iota_bytes(5)));
  put("ubyte_3d", idx_bytes(0x08, {2, 2, 3}, iota_bytes(12)));
  put("byte_2d", idx_bytes(0x09, {2, 2}, {0x80, 0x7f, 0xff, 0x01}));
  put("short_1d", idx_bytes(0x0B, {2}, {0x80, 0x00, 0x12, 0x34}));
  put("int_1d", idx_bytes(0x0C, {1}, {0xff, 0xff, 0xff, 0xfe}));
  put("float_2d", idx_bytes(0x0D, {1, 2}, {0x3f, 0x80, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00}));
  put("double_1d", idx_bytes(0x0E, {1}, {0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  put("empty_0x5", idx_bytes(0x08, {0, 5}, {}));
  // Broken ones: cut payload, trailing byte, huge sizes, bad magic, cut gzip, two gzip members,
  // garbage after the gzip stream.
  const Bytes good = idx_bytes(0x08, {2, 3}, iota_bytes(6));
  const Bytes gz = gzip_bytes(good);
  write_file((dir / "cut_payload").string(), Bytes(good.begin(), good.end() - 2));
  Bytes trailing = good;
  trailing.push_back(7);
  write_file((dir / "trailing").string(), trailing);
  write_file((dir / "huge_sizes").string(), idx_bytes(0x0E, {0xffffffffu, 0xffffffffu}, iota_bytes(8)));
  write_file((dir / "huge_sizes.gz").string(), gzip_bytes(idx_bytes(0x08, {0x7fffffffu, 2}, iota_bytes(8))));
  write_file((dir / "bad_magic").string(), Bytes{0x00, 0x01, 0x08, 0x01, 0, 0, 0, 1, 9});
  write_file((dir / "cut.gz").string(), Bytes(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  write_file((dir / "no_trailer.gz").string(), Bytes(gz.begin(), gz.end() - 8));
  Bytes two = gzip_bytes(Bytes(good.begin(), good.begin() + 7));
  const Bytes second = gzip_bytes(Bytes(good.begin() + 7, good.end()));
  two.insert(two.end(), second.begin(), second.end());
  write_file((dir / "two_members.gz").string(), two);
  Bytes garbage = gz;
  garbage.insert(garbage.end(), {0x1f, 0x8b, 0x00, 0x42});
  write_file((dir / "garbage_after.gz").string(), garbage);
}

void write_checkpoints(const fs::path& dir) {
  fs::create_directories(dir);
  // The fuzz target's own module shape, so mutations reach Module::load_state_dict.
  xgrad::nn::Linear linear(xgrad::nn::LinearOptions(2, 3));
  xgrad::save(linear, dir / "linear_2_3");
  xgrad::save(xgrad::tensor({1.5, -2.0}), dir / "tensor_f32");
  xgrad::save(std::vector<xgrad::Tensor>{xgrad::tensor({1, 2, 3}), xgrad::tensor({true, false})},
              dir / "tensor_list");
  xgrad::StateDict sd;
  sd.tensors.insert("f64", xgrad::tensor({{1., 2.}, {3., 4.}}, xgrad::kFloat64));
  sd.tensors.insert("i64", xgrad::tensor({7, -8}));
  sd.tensors.insert("bool", xgrad::tensor({true, false, true}));
  sd.tensors.insert("scalar", xgrad::tensor(3.));
  sd.tensors.insert("empty", xgrad::zeros({0, 3}));
  sd.metadata["step"] = "12";
  sd.metadata["lr"] = "0.001";
  xgrad::save(sd, dir / "mixed");
  xgrad::save(xgrad::StateDict{}, dir / "no_tensors");

  const Bytes mixed = read_file(dir / "mixed");
  write_file((dir / "cut_data").string(), Bytes(mixed.begin(), mixed.end() - 3));
  write_file((dir / "cut_header").string(), Bytes(mixed.begin(), mixed.begin() + 40));
  Bytes long_header = mixed;
  long_header[5] = 0x10;  // header length far past the end of the file
  write_file((dir / "header_length_past_end").string(), long_header);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  write_idx(root / "idx");
  write_checkpoints(root / "checkpoint");
  return 0;
}
