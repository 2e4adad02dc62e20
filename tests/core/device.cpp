// Tests of src/core/device.cpp and the device entry points: a device other than the CPU is
// refused with a ValueError naming the op and the device wherever it would be used; naming one
// is allowed. (Parsing and printing are compared with LibTorch in tests/compat/devices.cpp.)
#define BOOST_TEST_MODULE core_device
#include <boost/test/unit_test.hpp>

#include <xgrad/xgrad.hpp>

#include <string>

using namespace xgrad;

namespace {
// Runs fn, expecting a ValueError whose message contains every one of `parts`.
template <typename F>
void expect_value_error(F&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    BOOST_FAIL("no exception");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "\"" << p << "\" not in: " << msg);
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(parsing_errors_name_the_string) {
  expect_value_error([] { Device d("gpu"); }, {"Device", "\"gpu\"", "cpu, cuda"});
  expect_value_error([] { Device d("cuda:"); }, {"\"cuda:\""});
  expect_value_error([] { Device d("cuda:300"); }, {"\"cuda:300\""});
  expect_value_error([] { Device d(kCUDA, -2); }, {"-2"});
  BOOST_TEST(Device("cuda:127").index() == 127);
  BOOST_TEST(Device(kCUDA, 3).str() == "cuda:3");
  BOOST_TEST(DeviceTypeName(kCUDA) == "CUDA");
  BOOST_TEST(DeviceTypeName(kCUDA, true) == "cuda");
}

BOOST_AUTO_TEST_CASE(other_devices_are_refused_where_used) {
  auto x = ones({2});
  expect_value_error([&] { x.to(kCUDA); }, {"TensorOptions", "cuda"});
  expect_value_error([&] { x.to(Device("cuda:1"), kFloat64); }, {"to", "cuda:1"});
  expect_value_error([&] { x.cuda(); }, {"cuda"});
  expect_value_error([] { zeros({2}, TensorOptions().device(kCUDA)); }, {"TensorOptions::device", "cuda"});
  expect_value_error([] { zeros({2}, kMPS); }, {"TensorOptions", "mps"});
  expect_value_error([] { zeros({2}, device("cuda")); }, {"cuda"});
  nn::Linear lin(2, 3);
  expect_value_error([&] { lin->to(kCUDA); }, {"Linear.to", "cuda"});
  expect_value_error([&] { lin->to(Device("cuda:0"), kFloat64); }, {"Linear.to", "cuda:0"});
  // A refused conversion leaves the module as it was.
  BOOST_TEST(lin->weight.dtype() == kFloat32);
}

BOOST_AUTO_TEST_CASE(cpu_is_accepted_everywhere) {
  auto x = ones({2, 2}, TensorOptions().device(kCPU).dtype(kFloat64));
  BOOST_TEST(x.dtype() == kFloat64);
  BOOST_TEST(x.device() == Device(kCPU));
  BOOST_TEST(x.to(kCPU).is_same(x));
  BOOST_TEST(!x.to(kCPU, false, true).is_same(x));
  BOOST_TEST(x.to(kCPU, false, true).equal(x));
  BOOST_TEST(x.to(Device("cpu"), kFloat32).dtype() == kFloat32);
  BOOST_TEST(zeros({3}, "cpu").numel() == 3);
  BOOST_TEST(!cuda::is_available());
}

BOOST_AUTO_TEST_CASE(error_what_without_backtrace_is_the_message) {
  try {
    Device d("tpu");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what_without_backtrace()) == e.what());
  }
}
