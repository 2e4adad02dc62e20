#define BOOST_TEST_MODULE data_idx
#include <boost/test/unit_test.hpp>

#include "data/idx_files.hpp"
#include "support/testing.hpp"

#include <xgrad/data.hpp>

// IDX files written here with known contents: the reader must return them exactly (raw and
// gzipped, chosen by magic bytes) and reject every kind of damage with an IOError naming the file.

using namespace xgrad;
using namespace xgrad::data;
using xgrad::testing::Bytes;
using xgrad::testing::gzip_bytes;
using xgrad::testing::idx_bytes;
using xgrad::testing::TempDir;
using xgrad::testing::write_file;

namespace {

// Runs f, which must throw IOError whose message contains every one of `parts`.
template <typename F>
void expect_io_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const IOError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) {
      BOOST_TEST_INFO("message: " << msg << "\nmissing: " << p);
      BOOST_CHECK(msg.find(p) != std::string::npos);
    }
    return;
  }
  BOOST_FAIL("expected an IOError");
}

const Bytes kPixels = {0, 1, 2, 127, 128, 255};  // a 2 x 3 ubyte array

}  // namespace

BOOST_AUTO_TEST_CASE(reads_raw_ubyte) {
  TempDir dir;
  write_file(dir.file("a.idx"), idx_bytes(0x08, {2, 3}, kPixels));
  const IdxArray a = read_idx(dir.file("a.idx"));
  BOOST_TEST((a.type == IdxType::kUInt8));
  BOOST_TEST(a.sizes == (std::vector<int64_t>{2, 3}), boost::test_tools::per_element());
  BOOST_TEST(a.bytes == kPixels, boost::test_tools::per_element());
  const Tensor t = a.to_tensor();
  BOOST_TEST(t.dtype() == kInt64);
  xgrad::testing::check_sizes(t, {2, 3});
  xgrad::testing::check_values(t, {0, 1, 2, 127, 128, 255});
}

BOOST_AUTO_TEST_CASE(gzip_is_chosen_by_magic_bytes_not_name) {
  TempDir dir;
  const Bytes raw = idx_bytes(0x08, {2, 3}, kPixels);
  write_file(dir.file("gz_without_suffix"), gzip_bytes(raw));
  write_file(dir.file("raw_with_suffix.gz"), raw);
  BOOST_TEST(read_idx(dir.file("gz_without_suffix")).bytes == kPixels, boost::test_tools::per_element());
  BOOST_TEST(read_idx(dir.file("raw_with_suffix.gz")).bytes == kPixels, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(concatenated_gzip_members_are_one_stream) {
  TempDir dir;
  const Bytes raw = idx_bytes(0x08, {2, 3}, kPixels);
  Bytes first(raw.begin(), raw.begin() + 7), second(raw.begin() + 7, raw.end());
  Bytes gz = gzip_bytes(first);
  const Bytes gz2 = gzip_bytes(second);
  gz.insert(gz.end(), gz2.begin(), gz2.end());
  write_file(dir.file("two.gz"), gz);
  BOOST_TEST(read_idx(dir.file("two.gz")).bytes == kPixels, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(multibyte_types_are_big_endian) {
  TempDir dir;
  // int16 {-2, 300}
  write_file(dir.file("s"), idx_bytes(0x0B, {2}, {0xFF, 0xFE, 0x01, 0x2C}));
  xgrad::testing::check_values(read_idx(dir.file("s")).to_tensor(), {-2, 300});
  // int32 {-70000, 1}
  write_file(dir.file("i"), idx_bytes(0x0C, {2}, {0xFF, 0xFE, 0xEE, 0x90, 0, 0, 0, 1}));
  xgrad::testing::check_values(read_idx(dir.file("i")).to_tensor(), {-70000, 1});
  // int8 {-1, 5}
  write_file(dir.file("b"), idx_bytes(0x09, {2}, {0xFF, 0x05}));
  xgrad::testing::check_values(read_idx(dir.file("b")).to_tensor(), {-1, 5});
  // float32 {1.5, -0.25}: 0x3FC00000, 0xBE800000
  write_file(dir.file("f"), idx_bytes(0x0D, {1, 2}, {0x3F, 0xC0, 0, 0, 0xBE, 0x80, 0, 0}));
  const Tensor f = read_idx(dir.file("f")).to_tensor();
  BOOST_TEST(f.dtype() == kFloat32);
  xgrad::testing::check_values(f, {1.5, -0.25}, 0, 0);
  // float64 {3.25}: 0x400A000000000000
  write_file(dir.file("d"), idx_bytes(0x0E, {1}, {0x40, 0x0A, 0, 0, 0, 0, 0, 0}));
  const Tensor d = read_idx(dir.file("d")).to_tensor();
  BOOST_TEST(d.dtype() == kFloat64);
  xgrad::testing::check_values(d, {3.25}, 0, 0);
}

BOOST_AUTO_TEST_CASE(an_empty_dimension_is_an_empty_array) {
  TempDir dir;
  write_file(dir.file("e"), idx_bytes(0x08, {0, 28, 28}, {}));
  const IdxArray a = read_idx(dir.file("e"));
  BOOST_TEST(a.numel() == 0);
  BOOST_TEST(a.bytes.empty());
}

// Fuzzing regression: an empty array's other dimensions were not bounded. The fuzzer's input
// (tests/fuzz/corpus/idx/regress_empty_huge_dims) was read without error and then to_tensor()
// threw "empty: sizes ... are too large" without the file's name; with larger dimensions
// numel() and the tensor's strides overflowed int64.
BOOST_AUTO_TEST_CASE(an_empty_array_with_huge_other_dimensions_is_refused) {
  TempDir dir;
  write_file(dir.file("fuzz"), idx_bytes(0x08, {0x06060606, 0x0606f202, 0, 0x01000002, 0x17000003, 0x0104070a}, {}));
  expect_io_error([&] { read_idx(dir.file("fuzz")); },
                  {dir.file("fuzz"), "sizes [101058054, 101118466, 0, 16777218, 385875971, 17041162] of ubyte"});
  write_file(dir.file("e"), idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0}, {}));
  expect_io_error([&] { read_idx(dir.file("e")); },
                  {dir.file("e"), "more than 17179869184 bytes", "other than the empty one", "probably corrupt"});
  write_file(dir.file("e.gz"), gzip_bytes(idx_bytes(0x0B, {0, 0x10000, 0x10000, 4}, {})));
  expect_io_error([&] { read_idx(dir.file("e.gz")); }, {dir.file("e.gz"), "sizes [0, 65536, 65536, 4] of short"});
  // At the limit the empty array is fine and becomes an empty tensor of the same sizes.
  write_file(dir.file("ok"), idx_bytes(0x08, {0x10000, 0, 0x40000}, {}));
  const IdxArray a = read_idx(dir.file("ok"));
  BOOST_TEST(a.numel() == 0);
  xgrad::testing::check_sizes(a.to_tensor(), {0x10000, 0, 0x40000});
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory) {
  TempDir dir;
  expect_io_error([&] { read_idx(dir.file("nope")); }, {dir.file("nope"), "cannot open"});
  expect_io_error([&] { read_idx(dir.path.string()); }, {dir.path.string(), "directory"});
}

BOOST_AUTO_TEST_CASE(bad_headers) {
  TempDir dir;
  write_file(dir.file("empty"), {});
  expect_io_error([&] { read_idx(dir.file("empty")); }, {dir.file("empty"), "truncated", "found 0 bytes"});
  write_file(dir.file("magic"), {0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7});
  expect_io_error([&] { read_idx(dir.file("magic")); }, {dir.file("magic"), "not an IDX file", "01 00 08 01"});
  write_file(dir.file("type"), idx_bytes(0x07, {1}, {7}));
  expect_io_error([&] { read_idx(dir.file("type")); }, {dir.file("type"), "unknown IDX element type 0x07"});
  write_file(dir.file("rank0"), {0, 0, 0x08, 0});
  expect_io_error([&] { read_idx(dir.file("rank0")); }, {dir.file("rank0"), "rank 0"});
  write_file(dir.file("rank17"), idx_bytes(0x08, std::vector<uint32_t>(17, 1), {7}));
  expect_io_error([&] { read_idx(dir.file("rank17")); }, {dir.file("rank17"), "rank 17"});
  write_file(dir.file("dims"), {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0});
  expect_io_error([&] { read_idx(dir.file("dims")); },
                  {dir.file("dims"), "truncated: expected 12 bytes of dimensions for rank 3, found 6"});
  // 2^32-1 cubed overflows 64 bits; 2^32-1 squared is far beyond the 16 GiB limit.
  write_file(dir.file("huge"), idx_bytes(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}));
  expect_io_error([&] { read_idx(dir.file("huge")); }, {dir.file("huge"), "more than", "probably corrupt"});
}

BOOST_AUTO_TEST_CASE(raw_truncation_and_trailing_bytes) {
  TempDir dir;
  Bytes short_payload(kPixels.begin(), kPixels.end() - 2);
  write_file(dir.file("short"), idx_bytes(0x08, {2, 3}, short_payload));
  expect_io_error([&] { read_idx(dir.file("short"), "image"); },
                  {dir.file("short"), "truncated: expected 6 image bytes, found 4"});
  Bytes long_payload = kPixels;
  long_payload.push_back(9);
  write_file(dir.file("long"), idx_bytes(0x08, {2, 3}, long_payload));
  expect_io_error([&] { read_idx(dir.file("long")); }, {dir.file("long"), "1 trailing bytes after the 6 data bytes"});
  // A header announcing 1.6 GB over 6 bytes fails before allocating anything.
  write_file(dir.file("liar"), idx_bytes(0x08, {40000, 200, 200}, kPixels));
  expect_io_error([&] { read_idx(dir.file("liar"), "image"); },
                  {dir.file("liar"), "truncated: expected 1600000000 image bytes, found 6"});
}

BOOST_AUTO_TEST_CASE(gzip_truncation_trailing_and_corruption) {
  TempDir dir;
  Bytes big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);  // incompressible
  const Bytes raw = idx_bytes(0x08, {100, 1000}, big);
  const Bytes gz = gzip_bytes(raw);

  // Cut in the middle of the deflate data: zlib just stops, the byte count tells.
  write_file(dir.file("half.gz"), Bytes(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  expect_io_error([&] { read_idx(dir.file("half.gz"), "image"); },
                  {dir.file("half.gz"), "truncated: expected 100000 image bytes, found", "gzip stream ends early"});

  // Only the 8-byte trailer (CRC, length) missing: all data there, still an error.
  write_file(dir.file("notrailer.gz"), Bytes(gz.begin(), gz.end() - 8));
  expect_io_error([&] { read_idx(dir.file("notrailer.gz")); },
                  {dir.file("notrailer.gz"), "truncated gzip stream", "trailer"});

  // A CRC that does not match the data.
  Bytes badcrc = gz;
  badcrc[badcrc.size() - 8] ^= 0xFF;
  write_file(dir.file("crc.gz"), badcrc);
  expect_io_error([&] { read_idx(dir.file("crc.gz")); }, {dir.file("crc.gz"), "corrupt gzip data"});

  // Garbage appended after the gzip stream.
  Bytes garbage = gz;
  for (char c : std::string("garbage")) garbage.push_back(static_cast<uint8_t>(c));
  write_file(dir.file("garbage.gz"), garbage);
  expect_io_error([&] { read_idx(dir.file("garbage.gz")); },
                  {dir.file("garbage.gz"), "trailing bytes after the end of the gzip stream"});
  // A single stray byte after it (too short to be a gzip header at all).
  Bytes stray = gz;
  stray.push_back(0x1f);
  write_file(dir.file("stray.gz"), stray);
  expect_io_error([&] { read_idx(dir.file("stray.gz")); },
                  {dir.file("stray.gz"), "trailing bytes after the end of the gzip stream"});

  // More inflated bytes than the header announces.
  Bytes more = raw;
  more.push_back(1);
  more.push_back(2);
  write_file(dir.file("more.gz"), gzip_bytes(more));
  expect_io_error([&] { read_idx(dir.file("more.gz")); },
                  {dir.file("more.gz"), "2 trailing bytes after the 100000 data bytes"});

  // A gzipped header announcing 4 GB over 6 bytes: found 6, memory only for what arrived.
  write_file(dir.file("liar.gz"), gzip_bytes(idx_bytes(0x08, {4, 1000000000}, kPixels)));
  expect_io_error([&] { read_idx(dir.file("liar.gz"), "image"); },
                  {dir.file("liar.gz"), "truncated: expected 4000000000 image bytes, found 6"});

  // A truncated gzip header.
  write_file(dir.file("hdr.gz"), Bytes(gz.begin(), gz.begin() + 5));
  expect_io_error([&] { read_idx(dir.file("hdr.gz")); }, {dir.file("hdr.gz"), "truncated"});

  // Corrupt deflate data (an invalid block type right after the header).
  Bytes bad = gz;
  bad[10] = 0xFF;
  write_file(dir.file("bad.gz"), bad);
  expect_io_error([&] { read_idx(dir.file("bad.gz")); }, {dir.file("bad.gz"), "corrupt gzip data"});
}
