#define BOOST_TEST_MODULE safetensors
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"
#include "serialize/errors.hpp"
#include "serialize/files.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstring>
#include <limits>

// The safetensors reader and writer (src/serialize/safetensors.cpp, atomic_file.cpp): exact
// round trips of every dtype, the bytes of the layout, files from other writers, and every
// kind of corrupt file or failed write ending in a typed error that names the file.

using namespace xgrad;
using xgrad::testing::expect_error;
using xgrad::testing::TempDir;
using xgrad::testing::write_safetensors;

namespace {

void check_same(const Tensor& got, const Tensor& want) {
  BOOST_REQUIRE(got.defined());
  BOOST_CHECK(got.dtype() == want.dtype());
  BOOST_REQUIRE(got.sizes() == want.sizes());
  if (got.numel() > 0) BOOST_CHECK(got.is_contiguous());
  if (want.is_floating_point()) {
    const auto a = got.to_vector<double>(), b = want.to_vector<double>();
    for (size_t i = 0; i < a.size(); ++i) BOOST_CHECK_EQUAL(std::memcmp(&a[i], &b[i], sizeof(double)), 0);
  } else {
    BOOST_TEST(got.to_vector<int64_t>() == want.to_vector<int64_t>(), boost::test_tools::per_element());
  }
}

// A header entry as text.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                  uint64_t end) {
  return fmt::format(R"("{}":{{"dtype":"{}","shape":{},"data_offsets":[{},{}]}})", name, dtype, shape, begin, end);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_dtype_round_trips_bit_exactly_in_order) {
  TempDir dir;
  manual_seed(3);
  StateDict sd;
  sd.tensors.insert("f32", randn({3, 4}));
  sd.tensors.insert("f64", tensor({1.0 / 3.0, -1e-310, std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::infinity(), -0.0}, kFloat64));
  sd.tensors.insert("i64", tensor({std::numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0},
                                   std::numeric_limits<int64_t>::max()}));
  sd.tensors.insert("bool", tensor({{true, false}, {false, true}}));
  sd.tensors.insert("nan", full({2}, std::numeric_limits<double>::quiet_NaN()));
  sd.metadata["epoch"] = "12";
  sd.metadata["note"] = "ünïcödé, \"quotes\" and\nnewlines";
  save(sd, dir / "a.safetensors");

  const StateDict back = load_state_dict_file(dir / "a.safetensors");
  BOOST_TEST(back.tensors.keys() == sd.tensors.keys(), boost::test_tools::per_element());
  for (const auto& item : sd.tensors) check_same(back.tensors[item.key()], item.value());
  BOOST_CHECK_EQUAL(back.metadata.at("epoch"), "12");
  BOOST_CHECK_EQUAL(back.metadata.at("note"), sd.metadata["note"]);
  BOOST_CHECK_EQUAL(back.metadata.at("format"), "xgrad");
  BOOST_CHECK_EQUAL(back.metadata.at("format_version"), "1");
  BOOST_CHECK_EQUAL(back.metadata.at("content"), "state_dict");
  BOOST_CHECK_EQUAL(back.metadata.size(), 5u);
  // Loaded tensors are fresh leaves that own their memory.
  BOOST_CHECK(!back.tensors["f32"].requires_grad());
  BOOST_CHECK(back.tensors["f32"].unsafeGetTensorImpl()->storage != sd.tensors["f32"].unsafeGetTensorImpl()->storage);
}

BOOST_AUTO_TEST_CASE(empty_tensors_scalars_and_an_empty_state_dict) {
  TempDir dir;
  StateDict sd;
  sd.tensors.insert("empty", zeros({0}));
  sd.tensors.insert("empty3d", zeros({2, 0, 3}, kInt64));
  sd.tensors.insert("scalar", full({}, 3.5, kFloat64));
  sd.tensors.insert("int_scalar", full({}, int64_t{-9}, kInt64));
  sd.tensors.insert("after", tensor({1.0f, 2.0f}));
  save(sd, dir / "e.safetensors");
  const StateDict back = load_state_dict_file(dir / "e.safetensors");
  BOOST_TEST(back.tensors.keys() == sd.tensors.keys(), boost::test_tools::per_element());
  for (const auto& item : sd.tensors) check_same(back.tensors[item.key()], item.value());
  BOOST_CHECK_EQUAL(back.tensors["scalar"].dim(), 0);
  BOOST_CHECK_EQUAL(back.tensors["scalar"].item<double>(), 3.5);

  save(StateDict{}, dir / "nothing.safetensors");
  const StateDict none = load_state_dict_file(dir / "nothing.safetensors");
  BOOST_CHECK(none.tensors.empty());
  BOOST_CHECK_EQUAL(none.metadata.at("format"), "xgrad");
}

BOOST_AUTO_TEST_CASE(non_contiguous_tensors_are_written_contiguous) {
  TempDir dir;
  auto base = arange(24, kFloat32).reshape({2, 3, 4});
  StateDict sd;
  sd.tensors.insert("transposed", base.transpose(0, 2));
  sd.tensors.insert("strided", base.slice(2, 0, 4, 2));
  sd.tensors.insert("expanded", tensor({1.0, 2.0}, kFloat64).expand({3, 2}));
  sd.tensors.insert("offset", base.select(0, 1));
  for (const auto& item : sd.tensors)
    if (item.key() != "offset") BOOST_CHECK(!item.value().is_contiguous());
  save(sd, dir / "v.safetensors");
  const StateDict back = load_state_dict_file(dir / "v.safetensors");
  for (const auto& item : sd.tensors) check_same(back.tensors[item.key()], item.value());
  testing::check_values(back.tensors["transposed"].select(0, 1).select(0, 2), {9, 21});
  testing::check_values(back.tensors["offset"].select(0, 0), {12, 13, 14, 15});
  // A tensor that requires grad is saved by value, without touching its graph.
  auto w = ones({2}, requires_grad());
  StateDict g;
  g.tensors.insert("w", w * 2);
  save(g, dir / "g.safetensors");
  testing::check_values(load_state_dict_file(dir / "g.safetensors").tensors["w"], {2, 2});
}

BOOST_AUTO_TEST_CASE(file_bytes_follow_the_safetensors_layout) {
  TempDir dir;
  StateDict sd;
  sd.tensors.insert("w", tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}}));
  sd.tensors.insert("n", tensor({int64_t{7}}));
  sd.tensors.insert("b", tensor({true, false, true}));
  save(sd, dir / "l.safetensors");
  const std::string bytes = testing::read_bytes(dir / "l.safetensors");
  BOOST_REQUIRE_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  BOOST_CHECK_EQUAL(n % 8, 0u);  // data starts 8-byte aligned
  BOOST_REQUIRE_EQUAL(bytes.size(), 8 + n + 24 + 8 + 3);
  const std::string header = bytes.substr(8, n);
  BOOST_CHECK_EQUAL(header.find_first_not_of(' ', header.rfind('}') + 1), std::string::npos);  // space padding
  const auto j = nlohmann::ordered_json::parse(header);
  BOOST_CHECK_EQUAL(j["w"].dump(), R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})");
  BOOST_CHECK_EQUAL(j["n"].dump(), R"({"dtype":"I64","shape":[1],"data_offsets":[24,32]})");
  BOOST_CHECK_EQUAL(j["b"].dump(), R"({"dtype":"BOOL","shape":[3],"data_offsets":[32,35]})");
  BOOST_CHECK_EQUAL(j["__metadata__"].dump(), R"({"format":"xgrad","format_version":"1","content":"state_dict"})");
  float f[6];
  std::memcpy(f, bytes.data() + 8 + n, sizeof f);
  BOOST_CHECK_EQUAL(f[0], 1.0f);
  BOOST_CHECK_EQUAL(f[5], 6.0f);
  int64_t i64 = 0;
  std::memcpy(&i64, bytes.data() + 8 + n + 24, 8);
  BOOST_CHECK_EQUAL(i64, 7);
  BOOST_CHECK_EQUAL(bytes.substr(8 + n + 32), std::string("\x01\x00\x01", 3));
}

BOOST_AUTO_TEST_CASE(reads_files_of_other_writers_in_data_order) {
  // Entries listed out of order, no __metadata__, an empty tensor listed before one at the same
  // offset and one after, padding and whitespace: all valid safetensors.
  TempDir dir;
  std::string data(24, '\0');
  const float a[2] = {1.5f, -2.0f};
  const double b = 0.25;
  const int64_t c = -5;
  std::memcpy(data.data(), a, 8);
  std::memcpy(data.data() + 8, &b, 8);
  std::memcpy(data.data() + 16, &c, 8);
  const std::string header = " { " + entry("c", "I64", "[1]", 16, 24) + " , " + entry("e2", "F32", "[0]", 8, 8) + "," +
                             entry("b", "F64", "[]", 8, 16) + "," + entry("e1", "F64", "[3,0]", 8, 8) + "," +
                             entry("a", "F32", "[2]", 0, 8) + "}   ";
  write_safetensors(dir / "o.safetensors", header, data);
  const StateDict sd = load_state_dict_file(dir / "o.safetensors");
  BOOST_TEST(sd.tensors.keys() == (std::vector<std::string>{"a", "e2", "b", "e1", "c"}), boost::test_tools::per_element());
  testing::check_values(sd.tensors["a"], {1.5, -2.0});
  BOOST_CHECK_EQUAL(sd.tensors["b"].item<double>(), 0.25);
  BOOST_CHECK_EQUAL(sd.tensors["c"].item<int64_t>(), -5);
  testing::check_sizes(sd.tensors["e1"], {3, 0});
  BOOST_CHECK(sd.metadata.empty());
}

BOOST_AUTO_TEST_CASE(missing_unreadable_and_short_files) {
  TempDir dir;
  const auto p = dir / "model.safetensors";
  expect_error<IOError>([&] { load_state_dict_file(p); },
                        {p.string() + ": cannot open for reading: No such file or directory"});
  expect_error<IOError>([&] { load_state_dict_file(dir.path); }, {dir.path.string() + ": is not a regular file"});
  testing::write_bytes(p, "");
  expect_error<IOError>([&] { load_state_dict_file(p); }, {p.string() + ": the file is 0 bytes, too short"});
  testing::write_bytes(p, "{}\n");
  expect_error<IOError>([&] { load_state_dict_file(p); }, {p.string() + ": the file is 3 bytes, too short"});
}

BOOST_AUTO_TEST_CASE(header_length_past_the_end_of_the_file) {
  TempDir dir;
  const auto p = dir / "model.safetensors";
  testing::write_bytes(p, testing::u64le(9000) + std::string(504, ' '));
  const std::string msg = expect_error<IOError>([&] { load_state_dict_file(p); }, {});
  BOOST_CHECK_EQUAL(msg, p.string() + ": header length 9000 is past the end of the file (512 bytes)");
  testing::write_bytes(p, testing::u64le(std::numeric_limits<uint64_t>::max()) + "{}");
  expect_error<IOError>([&] { load_state_dict_file(p); }, {"header length 18446744073709551615 is past the end"});
  // Inside the file but absurd: refused before allocating (a sparse 300 MB file costs no disk).
  testing::write_bytes(p, testing::u64le(250'000'000) + "{");
  std::filesystem::resize_file(p, 300'000'000);
  expect_error<IOError>([&] { load_state_dict_file(p); },
                        {p.string() + ": header length 250000000 exceeds the limit of 100000000 bytes"});
}

BOOST_AUTO_TEST_CASE(truncated_files_are_reported_never_read_past) {
  TempDir dir;
  const auto p = dir / "t.safetensors";
  StateDict sd;
  sd.tensors.insert("a", ones({4}));
  sd.tensors.insert("b", ones({8}, kFloat64));
  save(sd, p);
  const std::string full = testing::read_bytes(p);
  // Cut in the data, exactly at the header's end, and inside the header.
  for (size_t cut : {full.size() - 1, full.size() - 64, full.size() - 80, size_t{20}}) {
    testing::write_bytes(p, full.substr(0, cut));
    BOOST_TEST_INFO("cut at " << cut);
    expect_error<IOError>([&] { load_state_dict_file(p); }, {p.string() + ": "});
  }
  testing::write_bytes(p, full.substr(0, full.size() - 1));
  expect_error<IOError>([&] { load_state_dict_file(p); }, {"entry 'b': data_offsets [16, 80] go past the end of the data"});
  testing::write_bytes(p, full + "x");
  expect_error<IOError>([&] { load_state_dict_file(p); }, {"trailing bytes after the last tensor"});
}

BOOST_AUTO_TEST_CASE(malformed_headers_each_name_the_problem) {
  TempDir dir;
  const auto p = dir / "bad.safetensors";
  const std::string d24(24, '\0');
  struct Case {
    std::string header, data, expected;
  };
  const std::vector<Case> cases = {
      {"{\"a\": {\"dtype\": \"F32\",", d24, "malformed JSON header"},
      {"", "", "malformed JSON header"},
      {"[1, 2]", "", "the header is a JSON array, expected an object"},
      {"{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("a", "F32", "[4]", 8, 24) + "}", d24,
       "duplicate key 'a' in the header"},
      {R"({"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'),
       "duplicate key 'dtype'"},
      {R"({"a": 3})", "", "entry 'a' is a JSON number, expected an object with dtype, shape and data_offsets"},
      {R"({"a":{"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'), "entry 'a' has no 'dtype'"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}})", std::string(4, '\0'),
       "entry 'a' has an unknown field 'extra'"},
      {"{" + entry("a", "F16", "[2]", 0, 4) + "}", std::string(4, '\0'),
       "entry 'a' has dtype \"F16\", which xgrad does not support (F32, F64, I64, I32, I16, I8, U8, BOOL)"},
      {"{" + entry("a", "Q7", "[2]", 0, 4) + "}", std::string(4, '\0'), "dtype \"Q7\", which xgrad does not support"},
      {R"({"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'),
       "entry 'a': dtype is a JSON number, expected a string"},
      {"{" + entry("a", "F32", "[2,-3]", 0, 4) + "}", std::string(4, '\0'),
       "entry 'a': shape [2,-3] has an entry that is not a non-negative integer"},
      {"{" + entry("a", "F32", "[2.5]", 0, 4) + "}", std::string(4, '\0'), "has an entry that is not a non-negative"},
      {"{" + entry("a", "F32", "[\"2\"]", 0, 4) + "}", std::string(4, '\0'), "has an entry that is not a non-negative"},
      {"{" + entry("a", "F32", "4", 0, 16) + "}", std::string(16, '\0'), "entry 'a': shape is a JSON number"},
      {"{" + entry("a", "F32", "[[4]]", 0, 16) + "}", std::string(16, '\0'), "nested deeper than the format allows"},
      {"{" + entry("a", "F32", "[2,3]", 0, 20) + "}", std::string(20, '\0'),
       "entry 'a': shape [2,3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20"},
      {"{" + entry("a", "F64", "[4611686018427387904,8]", 0, 8) + "}", std::string(8, '\0'),
       "entry 'a': shape [4611686018427387904,8] of F64 needs more than 2^64 bytes"},
      {"{" + entry("a", "F32", "[100]", 0, 400) + "}", d24,
       "entry 'a': data_offsets [0, 400] go past the end of the data (24 bytes after the header)"},
      {"{" + entry("a", "F32", "[1]", 8, 4) + "}", d24, "entry 'a': data_offsets [8, 4] end before they begin"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", std::string(4, '\0'),
       "entry 'a': data_offsets [0] is not a pair of non-negative integers"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", std::string(4, '\0'),
       "is not a pair of non-negative integers"},
      {"{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 8, 24) + "}", d24,
       "entries 'a' [0, 16] and 'b' [8, 24] overlap"},
      {"{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}", std::string(8, '\0'),
       "entries 'a' [0, 8] and 'b' [0, 8] overlap"},
      {"{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 16, 24) + "}", d24,
       "bytes [8, 16) of the data belong to no tensor (before 'b')"},
      {R"({"__metadata__": [1]})", "", "__metadata__ is a JSON array, expected an object of strings"},
      {R"({"__metadata__": {"epoch": 3}})", "", "__metadata__ value of 'epoch' is a JSON number (3), expected a string"},
      {"{" + entry("m", "BOOL", "[3]", 0, 3) + "}", std::string("\x01\x02\x00", 3),
       "entry 'm': BOOL element 1 is 2 (expected 0 or 1)"},
  };
  for (const auto& c : cases) {
    write_safetensors(p, c.header, c.data);
    BOOST_TEST_INFO("header " << c.header);
    expect_error<IOError>([&] { load_state_dict_file(p); }, {p.string() + ": ", c.expected});
  }
}

// Fuzzing regressions (tests/fuzz/corpus/checkpoint/regress_*): an empty tensor's other dimensions
// were unchecked, so [0, 2^62, 2^62] overflowed the strides (UBSan) and sizes past the tensor
// core's element limit escaped as a ValueError that did not name the file.
BOOST_AUTO_TEST_CASE(empty_tensors_with_huge_other_dimensions_are_io_errors) {
  TempDir dir;
  const auto p = dir / "empty.safetensors";
  struct Case {
    std::string shape, dtype, expected;
  };
  const std::vector<Case> cases = {
      {"[0,4611686018427387904,4611686018427387904]", "F32",
       "entry 'a': shape [0,4611686018427387904,4611686018427387904] of F32 is empty, but its other dimensions "
       "alone need more than 2^63 bytes"},
      {"[3037000500,3037000500,0]", "BOOL", "is empty, but its other dimensions alone need more than 2^63 bytes"},
      {"[1152921504606846977,8]", "BOOL", "entry 'a': shape [1152921504606846977,8] of BOOL needs more than 2^63 bytes"},
  };
  for (const auto& c : cases) {
    write_safetensors(p, fmt::format("{{{}}}", entry("a", c.dtype, c.shape, 0, 0)), "");
    BOOST_TEST_INFO("shape " << c.shape);
    expect_error<IOError>([&] { load_state_dict_file(p); }, {p.string() + ": ", c.expected});
  }
  // Large but sane: an empty [0, 2^20, 2^20] loads as an empty tensor of those sizes.
  write_safetensors(p, fmt::format("{{{}}}", entry("a", "F64", "[0,1048576,1048576]", 0, 0)), "");
  const StateDict sd = load_state_dict_file(p);
  BOOST_TEST(sd.tensors["a"].sizes().vec() == (std::vector<int64_t>{0, 1048576, 1048576}),
             boost::test_tools::per_element());
  // Within 2^63 bytes, the tensor core makes any empty shape (as torch.empty(2097152, 2097152, 0)).
  write_safetensors(p, fmt::format("{{{}}}", entry("a", "F32", "[2097152,2097152,0]", 0, 0)), "");
  BOOST_TEST(load_state_dict_file(p).tensors["a"].sizes().vec() == (std::vector<int64_t>{2097152, 2097152, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failed_writes_raise_io_errors_and_leave_no_temporary_file) {
  TempDir dir;
  StateDict sd;
  sd.tensors.insert("a", ones({3}));
  const auto missing_dir = dir / "no_such_dir" / "m.safetensors";
  expect_error<IOError>([&] { save(sd, missing_dir); },
                        {missing_dir.string() + ": cannot create a temporary file", "No such file or directory"});
  // The target is a directory: the rename fails after the data was written.
  std::filesystem::create_directory(dir / "taken");
  expect_error<IOError>([&] { save(sd, dir / "taken"); },
                        {(dir / "taken").string() + ": cannot rename the temporary file over it", "Is a directory"});
  BOOST_TEST(dir.files() == std::vector<std::string>{"taken"}, boost::test_tools::per_element());
  StateDict undefined;
  undefined.tensors.insert("u", Tensor());
  expect_error<ValueError>([&] { save(undefined, dir / "u.safetensors"); }, {"tensor 'u' is undefined"});
  StateDict reserved;
  reserved.tensors.insert("__metadata__", ones({1}));
  expect_error<ValueError>([&] { save(reserved, dir / "r.safetensors"); }, {"'__metadata__' cannot name a tensor"});
  StateDict bad_utf8;
  bad_utf8.metadata["x"] = "\xff\xfe";
  expect_error<ValueError>([&] { save(bad_utf8, dir / "x.safetensors"); }, {"not valid UTF-8"});
  BOOST_TEST(dir.files() == std::vector<std::string>{"taken"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(saving_replaces_the_file_and_keeps_its_permissions) {
  TempDir dir;
  const auto p = dir / "c.safetensors";
  StateDict sd;
  sd.tensors.insert("a", ones({3}));
  const mode_t mask = ::umask(022);
  save(sd, p);
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(p.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0644u);  // a new file: 0666 minus the umask, not mkstemp's 0600
  ::chmod(p.c_str(), 0640);
  sd.tensors["a"] = full({2}, 5.0);
  save(sd, p);
  ::umask(mask);
  BOOST_REQUIRE_EQUAL(::stat(p.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0640u);
  testing::check_values(load_state_dict_file(p).tensors["a"], {5, 5});
  BOOST_TEST(dir.files() == std::vector<std::string>{"c.safetensors"}, boost::test_tools::per_element());
  // A relative path without a directory part is written in the working directory.
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path);
  save(sd, "relative.safetensors");
  std::filesystem::current_path(cwd);
  testing::check_values(load_state_dict_file(dir / "relative.safetensors").tensors["a"], {5, 5});
}
