// The bad-input registry for this half of the API (issue 11, item 7): one table of public
// functions — tensors and their members, factories, random, indexing, printing, threads, memory,
// dtypes, autograd, serialization, distributed, data — each with at least one bad input, asserting
// the exception type and that the message names the op; and a coverage check that fails when a
// public function declared in a covered header (or a public member of class Tensor) has no entry.
// The nn/optim half lives in tests/nn/bad_input_registry.cpp.
#define BOOST_TEST_MODULE core_bad_input_registry
#include <xgrad/data.hpp>
#include <xgrad/distributed.hpp>
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input_registry.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace xgrad;
using xgrad::autograd::variable_list;

namespace {

using xgrad::testing::Entry;
using xgrad::testing::Kind;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("xgrad_registry_" + name)).string();
}

// A file holding `contents`, for the loaders' corrupt-input entries.
std::string write_file(const std::string& name, const std::string& contents) {
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      // include/xgrad/factory.hpp
      {"tensor", "tensor", Kind::kValue, [] { tensor({{1.0, 2.0}, {3.0}}); }, ""},  // ragged, as torch's ValueError
      {"tensor", "tensor", Kind::kValue, [] { tensor({1e300}, TensorOptions(kFloat32)); }, ""},
      {"eye", "eye", Kind::kValue, [] { eye(-1, 2); }, ""},
      // include/xgrad/random.hpp
      {"set_rng_state", "set_rng_state", Kind::kValue, [] { set_rng_state("not a state"); }, ""},
      {"get_rng_state", "", Kind::kNone, nullptr, "takes no input"},
      {"initial_seed", "", Kind::kNone, nullptr, "takes no input"},
      {"seed", "", Kind::kNone, nullptr, "takes no input"},
      // ---- include/xgrad/tensor.hpp: free functions --------------------------------------------
      {"add", "add", Kind::kShape, [] { add(zeros({2, 3}), zeros({4})); }, ""},
      {"sub", "sub", Kind::kShape, [] { sub(zeros({2, 3}), zeros({4})); }, ""},
      {"mul", "mul", Kind::kShape, [] { mul(zeros({2, 3}), zeros({4})); }, ""},
      {"div", "div", Kind::kShape, [] { div(zeros({2, 3}), zeros({4})); }, ""},
      {"neg", "neg", Kind::kType, [] { neg(zeros({2}, kBool)); }, ""},
      {"pow", "pow", Kind::kShape, [] { pow(zeros({2, 3}), zeros({4})); }, ""},
      {"exp", "exp", Kind::kValue, [] { exp(Tensor()); }, ""},
      {"log", "log", Kind::kValue, [] { log(Tensor()); }, ""},
      {"sqrt", "sqrt", Kind::kValue, [] { sqrt(Tensor()); }, ""},
      {"rsqrt", "rsqrt", Kind::kValue, [] { rsqrt(Tensor()); }, ""},
      {"abs", "abs", Kind::kValue, [] { abs(Tensor()); }, ""},
      {"sign", "sign", Kind::kValue, [] { sign(Tensor()); }, ""},
      {"square", "square", Kind::kValue, [] { square(Tensor()); }, ""},
      {"sin", "sin", Kind::kValue, [] { sin(Tensor()); }, ""},
      {"cos", "cos", Kind::kValue, [] { cos(Tensor()); }, ""},
      {"clamp", "clamp", Kind::kValue, [] { clamp(zeros({2}), std::nullopt, std::nullopt); }, ""},
      {"relu", "relu", Kind::kValue, [] { relu(Tensor()); }, ""},
      {"sigmoid", "sigmoid", Kind::kValue, [] { sigmoid(Tensor()); }, ""},
      {"tanh", "tanh", Kind::kValue, [] { tanh(Tensor()); }, ""},
      {"softmax", "softmax", Kind::kIndex, [] { softmax(zeros({2, 3}), 2); }, ""},
      {"log_softmax", "log_softmax", Kind::kIndex, [] { log_softmax(zeros({2, 3}), -3); }, ""},
      {"where", "where", Kind::kType, [] { where(zeros({2}), zeros({2}), zeros({2})); }, ""},
      {"maximum", "maximum", Kind::kShape, [] { maximum(zeros({2, 3}), zeros({4})); }, ""},
      {"minimum", "minimum", Kind::kShape, [] { minimum(zeros({2, 3}), zeros({4})); }, ""},
      {"sum", "sum", Kind::kIndex, [] { sum(zeros({2, 3}), {2}); }, ""},
      {"mean", "mean", Kind::kType, [] { mean(zeros({2}, kInt64)); }, ""},
      {"max", "max", Kind::kValue, [] { max(zeros({0})); }, ""},
      {"min", "min", Kind::kIndex, [] { min(zeros({2, 3}), 5); }, ""},
      {"amax", "amax", Kind::kIndex, [] { amax(zeros({2, 3}), {3}); }, ""},
      {"amin", "amin", Kind::kValue, [] { amin(zeros({0, 3}), {0}); }, ""},
      {"argmax", "argmax", Kind::kValue, [] { argmax(zeros({0})); }, ""},
      {"argmin", "argmin", Kind::kIndex, [] { argmin(zeros({2}), 1); }, ""},
      // statistics, sorting, gather/scatter, masking (issue 9 item 3)
      {"std", "std", Kind::kType, [] { xgrad::std(zeros({2}, kInt64)); }, ""},
      {"var", "var", Kind::kIndex, [] { xgrad::var(zeros({2, 3}), {2}); }, ""},
      {"std_mean", "std_mean", Kind::kIndex, [] { xgrad::std_mean(zeros({2, 3}), {0, -2}); }, ""},
      {"var_mean", "var_mean", Kind::kType, [] { xgrad::var_mean(zeros({2}, kInt64)); }, ""},
      {"norm", "norm", Kind::kType, [] { xgrad::norm(zeros({2}, kInt64)); }, ""},
      {"logsumexp", "logsumexp", Kind::kIndex, [] { xgrad::logsumexp(zeros({2, 3}), {-3}); }, ""},
      {"cumsum", "cumsum", Kind::kIndex, [] { xgrad::cumsum(zeros({2, 3}), 2); }, ""},
      {"log1p", "log1p", Kind::kValue, [] { xgrad::log1p(Tensor()); }, ""},
      {"expm1", "expm1", Kind::kValue, [] { xgrad::expm1(Tensor()); }, ""},
      {"clamp_min", "clamp_min", Kind::kType, [] { xgrad::clamp_min(zeros({2}, kBool), 0.0); }, ""},
      {"clamp_max", "clamp_max", Kind::kType, [] { xgrad::clamp_max(zeros({2}, kBool), 0.0); }, ""},
      // LibTorch names (issue 9, names branch)
      {"erf", "erf", Kind::kValue, [] { xgrad::erf(Tensor()); }, ""},
      {"remainder", "remainder", Kind::kValue, [] { xgrad::remainder(tensor({3}), 0); }, ""},
      {"fmod", "fmod", Kind::kType, [] { xgrad::fmod(tensor({true}), tensor({true})); }, ""},
      {"isinf", "isinf", Kind::kValue, [] { xgrad::isinf(Tensor()); }, ""},
      {"isfinite", "isfinite", Kind::kValue, [] { xgrad::isfinite(Tensor()); }, ""},
      {"all", "all", Kind::kIndex, [] { xgrad::all(zeros({2}), 1); }, ""},
      {"any", "any", Kind::kValue, [] { xgrad::any(Tensor()); }, ""},
      {"repeat", "repeat", Kind::kValue, [] { xgrad::repeat(zeros({2, 3}), {2}); }, ""},
      {"alias", "alias", Kind::kValue, [] { xgrad::alias(Tensor()); }, ""},
      {"addmm", "addmm", Kind::kShape, [] { xgrad::addmm(zeros({2}), zeros({2, 3}), zeros({2, 2})); }, ""},
      {"masked_fill", "masked_fill", Kind::kType, [] { xgrad::masked_fill(zeros({2}), zeros({2}), 1.0); }, ""},
      {"gather", "gather", Kind::kIndex, [] { xgrad::gather(zeros({2, 3}), 1, tensor({{3}})); }, ""},
      {"scatter_add", "scatter_add", Kind::kType, [] { xgrad::scatter_add(zeros({2, 3}), 1, tensor({{0.0}}), zeros({1, 1})); }, ""},
      {"scatter", "scatter", Kind::kIndex, [] { xgrad::scatter(zeros({2, 3}), 0, tensor({{-1}}), 1.0); }, ""},
      {"sort", "sort", Kind::kIndex, [] { xgrad::sort(zeros({2, 3}), 2); }, ""},
      {"topk", "topk", Kind::kValue, [] { xgrad::topk(zeros({2, 3}), 4); }, ""},
      {"one_hot", "one_hot", Kind::kValue, [] { xgrad::one_hot(tensor({-1})); }, ""},
      {"matmul", "matmul", Kind::kShape, [] { matmul(zeros({2, 3}), zeros({4, 2})); }, ""},
      {"mm", "mm", Kind::kShape, [] { mm(zeros({2, 3}), zeros({3})); }, ""},
      {"bmm", "bmm", Kind::kShape, [] { bmm(zeros({2, 2, 3}), zeros({3, 3, 2})); }, ""},
      {"eq", "eq", Kind::kShape, [] { eq(zeros({2, 3}), zeros({4})); }, ""},
      {"ne", "ne", Kind::kShape, [] { ne(zeros({2, 3}), zeros({4})); }, ""},
      {"lt", "lt", Kind::kShape, [] { lt(zeros({2, 3}), zeros({4})); }, ""},
      {"le", "le", Kind::kShape, [] { le(zeros({2, 3}), zeros({4})); }, ""},
      {"gt", "gt", Kind::kShape, [] { gt(zeros({2, 3}), zeros({4})); }, ""},
      {"ge", "ge", Kind::kShape, [] { ge(zeros({2, 3}), zeros({4})); }, ""},
      {"equal", "equal", Kind::kValue, [] { equal(Tensor(), zeros({2})); }, ""},
      {"allclose", "allclose", Kind::kShape, [] { allclose(zeros({2, 3}), zeros({4})); }, ""},
      {"isnan", "isnan", Kind::kValue, [] { isnan(Tensor()); }, ""},
      {"reshape", "reshape", Kind::kShape, [] { reshape(zeros({2, 3}), {4}); }, ""},
      {"flatten", "flatten", Kind::kIndex, [] { flatten(zeros({2, 3}), 0, 2); }, ""},
      {"transpose", "transpose", Kind::kIndex, [] { transpose(zeros({2, 3}), 0, 2); }, ""},
      {"t", "t", Kind::kShape, [] { t(zeros({2, 3, 4})); }, ""},
      {"permute", "permute", Kind::kShape, [] { permute(zeros({2, 3}), {0}); }, ""},
      {"squeeze", "squeeze", Kind::kIndex, [] { squeeze(zeros({2, 3}), 2); }, ""},
      {"unsqueeze", "unsqueeze", Kind::kIndex, [] { unsqueeze(zeros({2, 3}), 4); }, ""},
      {"narrow", "narrow", Kind::kIndex, [] { narrow(zeros({2, 3}), 1, 2, 2); }, ""},
      {"select", "select", Kind::kIndex, [] { select(zeros({2, 3}), 0, 2); }, ""},
      {"index_select", "index_select", Kind::kIndex, [] { index_select(zeros({2, 3}), 0, tensor({5})); }, ""},
      {"cat", "cat", Kind::kValue, [] { cat({}); }, ""},
      {"cat", "cat", Kind::kShape, [] { cat({zeros({2, 3}), zeros({2, 4})}, 0); }, ""},
      {"stack", "stack", Kind::kShape, [] { stack({zeros({2}), zeros({3})}); }, ""},
      {"sum_to", "sum_to", Kind::kShape, [] { sum_to(zeros({2, 3}), {4}); }, ""},
      {"broadcast_shapes", "broadcast", Kind::kShape, [] { broadcast_shapes({2}, {3}); }, ""},
      {"empty", "empty", Kind::kValue, [] { empty({-1}); }, ""},
      {"zeros", "zeros", Kind::kValue, [] { zeros({2, -3}); }, ""},
      {"ones", "ones", Kind::kValue, [] { ones({-2}); }, ""},
      {"full", "full", Kind::kValue, [] { full({2}, 1e300, kFloat32); }, ""},
      {"empty_like", "empty_like", Kind::kValue, [] { empty_like(Tensor()); }, ""},
      {"zeros_like", "zeros_like", Kind::kValue, [] { zeros_like(Tensor()); }, ""},
      {"ones_like", "ones_like", Kind::kValue, [] { ones_like(Tensor()); }, ""},
      {"full_like", "full_like", Kind::kValue, [] { full_like(Tensor(), 1.0); }, ""},
      {"rand_like", "rand_like", Kind::kValue, [] { rand_like(Tensor()); }, ""},
      {"randn_like", "randn_like", Kind::kValue, [] { randn_like(Tensor()); }, ""},
      {"arange", "arange", Kind::kValue, [] { arange(0, 5, 0); }, ""},
      {"arange", "arange", Kind::kValue, [] { arange(0.0, std::numeric_limits<double>::infinity()); }, ""},
      {"linspace", "linspace", Kind::kValue, [] { linspace(0.0, 1.0, -1); }, ""},
      {"rand", "rand", Kind::kType, [] { rand({2}, kInt64); }, ""},
      {"randn", "randn", Kind::kValue, [] { randn({-2}); }, ""},
      {"randint", "randint", Kind::kValue, [] { randint(5, 2, {3}); }, ""},
      {"randperm", "randperm", Kind::kValue, [] { randperm(-1); }, ""},
      {"manual_seed", "", Kind::kNone, nullptr, "every uint64 is a valid seed"},
      {"run_tensor_hooks", "", Kind::kNone, nullptr,
       "the engine's call: takes any node and its gradients (undefined ones are skipped); a hook's own error "
       "propagates"},
      {"from_blob", "from_blob", Kind::kValue, [] { from_blob(nullptr, {2}); }, ""},
      {"from_blob", "from_blob", Kind::kValue, [] { from_blob(nullptr, {2}, [](void*) {}); }, ""},
      {"clone", "clone", Kind::kValue, [] { xgrad::clone(Tensor()); }, ""},
      {"as_strided", "as_strided", Kind::kValue, [] { as_strided(zeros({3}), {4}, {1}); }, ""},
      {"_reshape_alias", "_reshape_alias", Kind::kShape, [] { _reshape_alias(zeros({3}), {3}, {1, 1}); }, ""},
      {"unbind", "unbind", Kind::kIndex, [] { xgrad::unbind(zeros({2, 3}), 2); }, ""},
      {"unbind", "unbind", Kind::kIndex, [] { xgrad::unbind(zeros({})); }, ""},
      {"chunk", "chunk", Kind::kValue, [] { xgrad::chunk(zeros({2, 3}), 0); }, ""},
      {"chunk", "chunk", Kind::kIndex, [] { xgrad::chunk(zeros({}), 2); }, ""},
      {"split", "split", Kind::kValue, [] { xgrad::split(zeros({2, 3}), -1); }, ""},
      {"split", "split", Kind::kValue, [] { xgrad::split(zeros({2, 3}), 0, 1); }, ""},
      {"split", "split", Kind::kValue, [] { xgrad::split(zeros({2, 3}), std::vector<int64_t>{1, 1}, 1); }, ""},
      {"split", "split", Kind::kIndex, [] { xgrad::split(zeros({2, 3}), 1, -3); }, ""},
      {"split_with_sizes", "split_with_sizes", Kind::kValue, [] { xgrad::split_with_sizes(zeros({2, 3}), {3, -1}); }, ""},
      {"diagonal", "diagonal", Kind::kValue, [] { xgrad::diagonal(zeros({2, 3}), 0, 1, -1); }, ""},
      {"diagonal", "diagonal", Kind::kIndex, [] { xgrad::diagonal(zeros({3})); }, ""},
      {"from_vector", "from_vector", Kind::kShape, [] { from_vector(std::vector<float>{1, 2, 3}, std::vector<int64_t>{2}); }, ""},
      {"make_tensor", "make_tensor", Kind::kValue, [] { make_tensor({-1}, kFloat32, "make_tensor"); }, ""},
      {"make_view", "make_view", Kind::kIndex, [] { make_view(zeros({2}), {4}, {1}, 0); }, ""},
      {"make_view", "make_view", Kind::kShape, [] { make_view(zeros({2}), {2}, {}, 0); }, ""},
      {"contiguous_strides", "contiguous_strides", Kind::kValue,
       [] { contiguous_strides({int64_t{1} << 62, int64_t{1} << 62, 4}); }, ""},  // stride overflow
      {"allocate_storage", "", Kind::kNone, nullptr,
       "its bad input (a size past the address space) throws OutOfMemoryError, which no Kind names: "
       "see the allocate_storage_refuses_a_size_past_the_address_space case"},
      // ---- include/xgrad/tensor.hpp: members of class Tensor (an undefined tensor, or a bad argument) ----
      {"Tensor::defined", "", Kind::kNone, nullptr, "takes no input; answers for every tensor, undefined ones included"},
      {"Tensor::impl", "", Kind::kNone, nullptr, "takes no input; returns the (possibly null) implementation pointer"},
      {"Tensor::is_same", "", Kind::kNone, nullptr, "accepts every tensor, undefined ones included (compares identity)"},
      {"Tensor::dim", "dim", Kind::kValue, [] { Tensor().dim(); }, ""},
      {"Tensor::ndimension", "dim", Kind::kValue, [] { Tensor().ndimension(); }, ""},
      {"Tensor::numel", "numel", Kind::kValue, [] { Tensor().numel(); }, ""},
      {"Tensor::sizes", "sizes", Kind::kValue, [] { Tensor().sizes(); }, ""},
      {"Tensor::shape", "shape", Kind::kValue, [] { Tensor().shape(); }, ""},
      {"Tensor::size", "size", Kind::kIndex, [] { zeros({2, 3}).size(2); }, ""},
      {"Tensor::strides", "strides", Kind::kValue, [] { Tensor().strides(); }, ""},
      {"Tensor::stride", "stride", Kind::kIndex, [] { zeros({2, 3}).stride(-3); }, ""},
      {"Tensor::storage_offset", "storage_offset", Kind::kValue, [] { Tensor().storage_offset(); }, ""},
      {"Tensor::dtype", "dtype", Kind::kValue, [] { Tensor().dtype(); }, ""},
      {"Tensor::layout", "layout", Kind::kValue, [] { Tensor().layout(); }, ""},
      {"Tensor::get_device", "get_device", Kind::kValue, [] { Tensor().get_device(); }, ""},
      {"Tensor::storage", "storage", Kind::kValue, [] { Tensor().storage(); }, ""},
      {"Tensor::is_alias_of", "", Kind::kNone, nullptr, "accepts every pair (false when either is undefined)"},
      {"Tensor::scalar_type", "dtype", Kind::kValue, [] { Tensor().scalar_type(); }, ""},
      {"Tensor::options", "options", Kind::kValue, [] { Tensor().options(); }, ""},
      {"Tensor::is_contiguous", "is_contiguous", Kind::kValue, [] { Tensor().is_contiguous(); }, ""},
      {"Tensor::is_floating_point", "dtype", Kind::kValue, [] { Tensor().is_floating_point(); }, ""},
      {"Tensor::element_size", "element_size", Kind::kValue, [] { Tensor().element_size(); }, ""},
      {"Tensor::is_signed", "dtype", Kind::kValue, [] { Tensor().is_signed(); }, ""},
      {"Tensor::_version", "_version", Kind::kValue, [] { Tensor()._version(); }, ""},
      {"Tensor::data_ptr", "data_ptr", Kind::kType, [] { zeros({2}).data_ptr<int64_t>(); }, ""},
      {"Tensor::item", "item", Kind::kValue, [] { zeros({2}).item<float>(); }, ""},
      {"Tensor::item", "item", Kind::kValue, [] { full({1}, std::nan("")).item<int64_t>(); }, ""},
      {"Tensor::to_vector", "to_vector", Kind::kValue, [] { full({2}, std::numeric_limits<double>::infinity()).to_vector<int64_t>(); }, ""},
      {"Tensor::requires_grad", "requires_grad", Kind::kValue, [] { Tensor().requires_grad(); }, ""},
      {"Tensor::requires_grad_", "requires_grad_", Kind::kAutograd, [] { (zeros({2}, requires_grad()) * 2.0).requires_grad_(false); }, ""},
      {"Tensor::set_requires_grad", "requires_grad_", Kind::kAutograd, [] { (zeros({2}, requires_grad()) * 2.0).set_requires_grad(false); }, ""},
      {"Tensor::is_leaf", "is_leaf", Kind::kValue, [] { Tensor().is_leaf(); }, ""},
      {"Tensor::is_view", "is_view", Kind::kValue, [] { Tensor().is_view(); }, ""},
      {"Tensor::_base", "_base", Kind::kValue, [] { zeros({2})._base(); }, ""},
      {"Tensor::grad", "grad", Kind::kValue, [] { Tensor().grad(); }, ""},
      {"Tensor::mutable_grad", "mutable_grad", Kind::kValue, [] { Tensor().mutable_grad(); }, ""},
      {"Tensor::grad_fn", "grad_fn", Kind::kValue, [] { Tensor().grad_fn(); }, ""},
      {"Tensor::output_nr", "output_nr", Kind::kValue, [] { Tensor().output_nr(); }, ""},
      {"Tensor::backward", "backward", Kind::kAutograd, [] { zeros({2}).sum().backward(); }, ""},
      {"Tensor::retain_grad", "retain_grad", Kind::kAutograd, [] { zeros({2}).retain_grad(); }, ""},
      {"Tensor::retains_grad", "retains_grad", Kind::kValue, [] { Tensor().retains_grad(); }, ""},
      {"Tensor::register_hook", "register_hook", Kind::kAutograd, [] { zeros({2}).register_hook([](Tensor g) { return g; }); },
       ""},
      {"Tensor::_register_hook", "register_hook", Kind::kValue, [] { Tensor()._register_hook([](const Tensor& g) { return g; }); },
       ""},
      {"Tensor::remove_hook", "remove_hook", Kind::kIndex, [] { zeros({2}).requires_grad_().remove_hook(3); }, ""},
      {"Tensor::register_post_accumulate_grad_hook", "register_post_accumulate_grad_hook", Kind::kAutograd,
       [] { (zeros({2}, requires_grad()) * 2.0).register_post_accumulate_grad_hook([](const Tensor&) {}); }, ""},
      {"Tensor::remove_post_accumulate_grad_hook", "remove_post_accumulate_grad_hook", Kind::kValue,
       [] { Tensor().remove_post_accumulate_grad_hook(0); }, ""},
      {"Tensor::detach", "detach", Kind::kValue, [] { Tensor().detach(); }, ""},
      {"Tensor::detach_", "detach_", Kind::kValue, [] { Tensor().detach_(); }, ""},
      {"Tensor::data", "detach", Kind::kValue, [] { Tensor().data(); }, ""},
      {"Tensor::tensor_data", "tensor_data", Kind::kValue, [] { Tensor().tensor_data(); }, ""},
      {"Tensor::variable_data", "tensor_data", Kind::kValue, [] { Tensor().variable_data(); }, ""},
      {"Tensor::to", "to", Kind::kValue, [] { full({1}, std::nan("")).to(kInt64); }, ""},
      {"Tensor::contiguous", "contiguous", Kind::kValue, [] { Tensor().contiguous(); }, ""},
      {"Tensor::device", "device", Kind::kValue, [] { Tensor().device(); }, ""},
      {"Tensor::is_cpu", "is_cpu", Kind::kValue, [] { Tensor().is_cpu(); }, ""},
      {"Tensor::is_cuda", "is_cuda", Kind::kValue, [] { Tensor().is_cuda(); }, ""},
      {"Tensor::cpu", "cpu", Kind::kValue, [] { Tensor().cpu(); }, ""},
      {"Tensor::cuda", "cuda", Kind::kValue, [] { ones({1}).cuda(); }, ""},
      {"Tensor::clone", "clone", Kind::kValue, [] { Tensor().clone(); }, ""},
      {"Tensor::copy_", "copy_", Kind::kShape, [] { zeros({2}).copy_(zeros({3})); }, ""},
      {"Tensor::zero_", "zero_", Kind::kValue, [] { Tensor().zero_(); }, ""},
      {"Tensor::fill_", "fill_", Kind::kValue, [] { zeros({2}, kInt64).fill_(std::nan("")); }, ""},
      {"Tensor::add_", "add_", Kind::kShape, [] { zeros({2}).add_(zeros({3})); }, ""},
      {"Tensor::sub_", "sub_", Kind::kShape, [] { zeros({2}).sub_(zeros({3})); }, ""},
      {"Tensor::mul_", "mul_", Kind::kShape, [] { zeros({2}).mul_(zeros({3})); }, ""},
      {"Tensor::div_", "div_", Kind::kShape, [] { zeros({2}).div_(zeros({3})); }, ""},
      {"Tensor::clamp_", "clamp_", Kind::kValue, [] { zeros({2}).clamp_(std::nullopt); }, ""},
      {"Tensor::pow_", "pow_", Kind::kShape, [] { zeros({2}).pow_(zeros({3})); }, ""},
      {"Tensor::pow_", "pow_", Kind::kType, [] { zeros({2}, kInt64).pow_(0.5); }, ""},
      {"Tensor::pow_", "pow_", Kind::kValue, [] { zeros({2}, kInt64).pow_(-2); }, ""},
      {"Tensor::pow_", "pow_", Kind::kAutograd, [] { zeros({2}, requires_grad()).pow_(2); }, ""},
      {"Tensor::uniform_", "uniform_", Kind::kValue, [] { zeros({2}).uniform_(1.0, 0.0); }, ""},
      {"Tensor::normal_", "normal_", Kind::kValue, [] { zeros({2}).normal_(0.0, -1.0); }, ""},
      {"Tensor::bernoulli_", "bernoulli_", Kind::kValue, [] { zeros({2}).bernoulli_(1.5); }, ""},
      {"Tensor::resize_", "resize_", Kind::kValue, [] { zeros({2}).resize_({-1}); }, ""},
      {"Tensor::resize_", "resize_", Kind::kAutograd, [] { zeros({2}, requires_grad()).resize_({3}); }, ""},
      {"Tensor::set_data", "set_data", Kind::kValue, [] { zeros({2}).set_data(Tensor()); }, ""},
      {"Tensor::random_", "random_", Kind::kValue, [] { zeros({2}, kInt64).random_(3, 1); }, ""},
      {"Tensor::random_", "random_", Kind::kValue, [] { zeros({2}, kBool).random_(0, 5); }, ""},
      {"Tensor::add", "add", Kind::kShape, [] { zeros({2}).add(zeros({3})); }, ""},
      {"Tensor::sub", "sub", Kind::kShape, [] { zeros({2}).sub(zeros({3})); }, ""},
      {"Tensor::mul", "mul", Kind::kShape, [] { zeros({2}).mul(zeros({3})); }, ""},
      {"Tensor::div", "div", Kind::kShape, [] { zeros({2}).div(zeros({3})); }, ""},
      {"Tensor::neg", "neg", Kind::kType, [] { zeros({2}, kBool).neg(); }, ""},
      {"Tensor::pow", "pow", Kind::kShape, [] { zeros({2}).pow(zeros({3})); }, ""},
      {"Tensor::exp", "exp", Kind::kValue, [] { Tensor().exp(); }, ""},
      {"Tensor::log", "log", Kind::kValue, [] { Tensor().log(); }, ""},
      {"Tensor::sqrt", "sqrt", Kind::kValue, [] { Tensor().sqrt(); }, ""},
      {"Tensor::rsqrt", "rsqrt", Kind::kValue, [] { Tensor().rsqrt(); }, ""},
      {"Tensor::abs", "abs", Kind::kValue, [] { Tensor().abs(); }, ""},
      {"Tensor::sign", "sign", Kind::kValue, [] { Tensor().sign(); }, ""},
      {"Tensor::square", "square", Kind::kValue, [] { Tensor().square(); }, ""},
      {"Tensor::sin", "sin", Kind::kValue, [] { Tensor().sin(); }, ""},
      {"Tensor::cos", "cos", Kind::kValue, [] { Tensor().cos(); }, ""},
      {"Tensor::clamp", "clamp", Kind::kValue, [] { zeros({2}).clamp(std::nullopt); }, ""},
      {"Tensor::relu", "relu", Kind::kValue, [] { Tensor().relu(); }, ""},
      {"Tensor::sigmoid", "sigmoid", Kind::kValue, [] { Tensor().sigmoid(); }, ""},
      {"Tensor::tanh", "tanh", Kind::kValue, [] { Tensor().tanh(); }, ""},
      {"Tensor::softmax", "softmax", Kind::kIndex, [] { zeros({2}).softmax(1); }, ""},
      {"Tensor::log_softmax", "log_softmax", Kind::kIndex, [] { zeros({2}).log_softmax(1); }, ""},
      {"Tensor::sum", "sum", Kind::kIndex, [] { zeros({2}).sum({1}); }, ""},
      {"Tensor::mean", "mean", Kind::kType, [] { zeros({2}, kInt64).mean(); }, ""},
      {"Tensor::max", "max", Kind::kValue, [] { zeros({0}).max(); }, ""},
      {"Tensor::min", "min", Kind::kValue, [] { zeros({0}).min(); }, ""},
      {"Tensor::amax", "amax", Kind::kIndex, [] { zeros({2}).amax({1}); }, ""},
      {"Tensor::amin", "amin", Kind::kIndex, [] { zeros({2}).amin({1}); }, ""},
      {"Tensor::argmax", "argmax", Kind::kIndex, [] { zeros({2}).argmax(1); }, ""},
      {"Tensor::argmin", "argmin", Kind::kValue, [] { zeros({0}).argmin(); }, ""},
      {"Tensor::matmul", "matmul", Kind::kShape, [] { zeros({2, 3}).matmul(zeros({2, 3})); }, ""},
      {"Tensor::mm", "mm", Kind::kShape, [] { zeros({2, 3}).mm(zeros({2, 3})); }, ""},
      {"Tensor::eq", "eq", Kind::kShape, [] { zeros({2}).eq(zeros({3})); }, ""},
      {"Tensor::ne", "ne", Kind::kShape, [] { zeros({2}).ne(zeros({3})); }, ""},
      {"Tensor::lt", "lt", Kind::kShape, [] { zeros({2}).lt(zeros({3})); }, ""},
      {"Tensor::le", "le", Kind::kShape, [] { zeros({2}).le(zeros({3})); }, ""},
      {"Tensor::gt", "gt", Kind::kShape, [] { zeros({2}).gt(zeros({3})); }, ""},
      {"Tensor::ge", "ge", Kind::kShape, [] { zeros({2}).ge(zeros({3})); }, ""},
      {"Tensor::equal", "equal", Kind::kValue, [] { Tensor().equal(zeros({2})); }, ""},
      {"Tensor::allclose", "allclose", Kind::kShape, [] { zeros({2}).allclose(zeros({3})); }, ""},
      {"Tensor::view", "view", Kind::kShape, [] { zeros({2, 3}).view({4}); }, ""},
      {"Tensor::reshape", "reshape", Kind::kShape, [] { zeros({2, 3}).reshape({-1, -1}); }, ""},
      {"Tensor::view_as", "view", Kind::kShape, [] { zeros({2, 3}).view_as(zeros({4})); }, ""},
      {"Tensor::reshape_as", "reshape", Kind::kShape, [] { zeros({2, 3}).reshape_as(zeros({4})); }, ""},
      {"Tensor::flatten", "flatten", Kind::kIndex, [] { zeros({2, 3}).flatten(3); }, ""},
      {"Tensor::transpose", "transpose", Kind::kIndex, [] { zeros({2, 3}).transpose(0, 5); }, ""},
      {"Tensor::t", "t", Kind::kShape, [] { zeros({2, 3, 4}).t(); }, ""},
      {"Tensor::permute", "permute", Kind::kValue, [] { zeros({2, 3}).permute({0, 0}); }, ""},
      {"Tensor::squeeze", "squeeze", Kind::kIndex, [] { zeros({2, 3}).squeeze(2); }, ""},
      {"Tensor::unsqueeze", "unsqueeze", Kind::kIndex, [] { zeros({2, 3}).unsqueeze(-4); }, ""},
      {"Tensor::narrow", "narrow", Kind::kIndex, [] { zeros({2, 3}).narrow(0, -5, 1); }, ""},
      {"Tensor::slice", "slice", Kind::kValue, [] { zeros({2, 3}).slice(0, 0, 2, 0); }, ""},
      {"Tensor::select", "select", Kind::kIndex, [] { zeros({2, 3}).select(1, 3); }, ""},
      {"Tensor::index", "index", Kind::kIndex, [] { zeros({2, 3}).index({5}); }, ""},
      {"Tensor::index_put_", "index_put_", Kind::kIndex, [] { zeros({2, 3}).index_put_({5}, 1.0); }, ""},
      {"Tensor::index_put", "index_put", Kind::kIndex, [] { zeros({2}).index_put({tensor({2})}, zeros({1})); }, ""},
      {"Tensor::as_strided", "as_strided", Kind::kValue, [] { zeros({2}).as_strided({2}, {-1}); }, ""},
      {"Tensor::unbind", "unbind", Kind::kIndex, [] { zeros({2, 3}).unbind(-3); }, ""},
      {"Tensor::chunk", "chunk", Kind::kValue, [] { zeros({2, 3}).chunk(-1, 1); }, ""},
      {"Tensor::split", "split", Kind::kValue, [] { zeros({2, 3}).split(-2); }, ""},
      {"Tensor::split", "split", Kind::kValue, [] { zeros({2, 3}).split({1, 3}, 1); }, ""},
      {"Tensor::split_with_sizes", "split_with_sizes", Kind::kValue, [] { zeros({2, 3}).split_with_sizes({1}); }, ""},
      {"Tensor::split_with_sizes", "split_with_sizes", Kind::kIndex, [] { zeros({}).split_with_sizes({1}); }, ""},
      {"Tensor::diagonal", "diagonal", Kind::kValue, [] { zeros({2, 3}).diagonal(1, 0, -2); }, ""},
      {"Tensor::diagonal", "diagonal", Kind::kValue, [] { Tensor().diagonal(); }, ""},
      {"Tensor::index_select", "index_select", Kind::kShape, [] { zeros({2, 3}).index_select(0, tensor({{0}})); }, ""},
      {"Tensor::expand", "expand", Kind::kShape, [] { zeros({2, 3}).expand({4, 3}); }, ""},
      {"Tensor::expand_as", "expand", Kind::kShape, [] { zeros({2, 3}).expand_as(zeros({3})); }, ""},
      {"Tensor::std", "std", Kind::kIndex, [] { zeros({2, 3}).std(2); }, ""},
      {"Tensor::var", "var", Kind::kType, [] { zeros({2}, kInt64).var(); }, ""},
      {"Tensor::norm", "norm", Kind::kIndex, [] { zeros({2, 3}).norm(2, {4}); }, ""},
      {"Tensor::logsumexp", "logsumexp", Kind::kIndex, [] { zeros({2, 3}).logsumexp({0, 0}); }, ""},
      {"Tensor::cumsum", "cumsum", Kind::kIndex, [] { zeros({2, 3}).cumsum(-3); }, ""},
      {"Tensor::log1p", "log1p", Kind::kValue, [] { Tensor().log1p(); }, ""},
      {"Tensor::expm1", "expm1", Kind::kValue, [] { Tensor().expm1(); }, ""},
      {"Tensor::clamp_min", "clamp_min", Kind::kType, [] { zeros({2}, kBool).clamp_min(1.0); }, ""},
      {"Tensor::clamp_max", "clamp_max", Kind::kType, [] { zeros({2}, kBool).clamp_max(1.0); }, ""},
      {"Tensor::erf", "erf", Kind::kValue, [] { Tensor().erf(); }, ""},
      {"Tensor::maximum", "maximum", Kind::kShape, [] { zeros({2}).maximum(zeros({3})); }, ""},
      {"Tensor::minimum", "minimum", Kind::kValue, [] { zeros({2}).minimum(Tensor()); }, ""},
      {"Tensor::remainder", "remainder", Kind::kType, [] { tensor({true}).remainder(true); }, ""},
      {"Tensor::fmod", "fmod", Kind::kValue, [] { tensor({1}).fmod(tensor({0})); }, ""},
      {"Tensor::isnan", "isnan", Kind::kValue, [] { Tensor().isnan(); }, ""},
      {"Tensor::isinf", "isinf", Kind::kValue, [] { Tensor().isinf(); }, ""},
      {"Tensor::isfinite", "isfinite", Kind::kValue, [] { Tensor().isfinite(); }, ""},
      {"Tensor::all", "all", Kind::kValue, [] { Tensor().all(); }, ""},
      {"Tensor::any", "any", Kind::kIndex, [] { tensor(1.0).any(1); }, ""},
      {"Tensor::repeat", "repeat", Kind::kValue, [] { zeros({2}).repeat({-1}); }, ""},
      {"Tensor::type_as", "type_as", Kind::kValue, [] { zeros({2}).type_as(Tensor()); }, ""},
      {"Tensor::alias", "alias", Kind::kValue, [] { Tensor().alias(); }, ""},
      {"Tensor::addmm", "addmm", Kind::kShape, [] { zeros({2}).addmm(zeros({2}), zeros({2, 2})); }, ""},
      {"Tensor::clamp_min_", "clamp_min_", Kind::kType, [] { zeros({2}, kInt64).clamp_min_(0.5); }, ""},
      {"Tensor::clamp_max_", "clamp_max_", Kind::kAutograd, [] { zeros({2}, requires_grad()).clamp_max_(0.5); }, ""},
      {"Tensor::masked_fill", "masked_fill", Kind::kValue, [] { zeros({2}).masked_fill(zeros({2}, kBool), zeros({2})); }, ""},
      {"Tensor::masked_fill_", "masked_fill_", Kind::kShape, [] { zeros({2}).masked_fill_(zeros({3, 2}, kBool), 1.0); }, ""},
      {"Tensor::gather", "gather", Kind::kShape, [] { zeros({2, 3}).gather(1, tensor({0})); }, ""},
      {"Tensor::scatter_add", "scatter_add", Kind::kShape, [] { zeros({2, 3}).scatter_add(1, tensor({{0, 1}}), zeros({1, 1})); }, ""},
      {"Tensor::scatter_add_", "scatter_add_", Kind::kIndex, [] { zeros({2, 3}).scatter_add_(0, tensor({{2}}), zeros({1, 1})); }, ""},
      {"Tensor::scatter", "scatter", Kind::kType, [] { zeros({2, 3}).scatter(1, tensor({{true}}), 1.0); }, ""},
      {"Tensor::scatter_", "scatter_", Kind::kIndex, [] { zeros({2, 3}).scatter_(1, tensor({{3}}), 1.0); }, ""},
      {"Tensor::sort", "sort", Kind::kIndex, [] { zeros({2, 3}).sort(-3); }, ""},
      {"Tensor::topk", "topk", Kind::kValue, [] { zeros({2, 3}).topk(-1); }, ""},
      {"Tensor::to_string", "", Kind::kNone, nullptr, "accepts every tensor; an undefined one prints as [ Tensor (undefined) ]"},
      // ---- include/xgrad/indexing.hpp, print.hpp, parallel.hpp, memory.hpp, dtype.hpp ----------
      {"to_string", "", Kind::kNone, nullptr, "accepts every TensorIndex (each alternative has a printed form)"},
      {"index", "index", Kind::kIndex, [] { xgrad::index(zeros({2}), {tensor({5})}); }, ""},
      {"index_put_", "index_put_", Kind::kType, [] { xgrad::index_put_(zeros({2}), {tensor({0})}, zeros({1}, kFloat64)); }, ""},
      {"index_put", "index_put", Kind::kShape, [] { xgrad::index_put(zeros({2}), {tensor({0})}, zeros({3})); }, ""},
      {"set_printoptions", "set_printoptions", Kind::kValue, [] { set_printoptions(PrintOptions{.precision = -1}); }, ""},
      {"get_printoptions", "", Kind::kNone, nullptr, "takes no input"},
      {"size_string", "", Kind::kNone, nullptr, "accepts every list of sizes (prints them as given)"},
      {"set_num_threads", "set_num_threads", Kind::kValue, [] { set_num_threads(0); }, ""},
      {"get_num_threads", "", Kind::kNone, nullptr, "takes no input"},
      {"set_flush_denormal", "", Kind::kNone, nullptr, "takes a bool; both values are valid"},
      {"empty_cache", "", Kind::kNone, nullptr, "takes no input"},
      {"cached_bytes", "", Kind::kNone, nullptr, "takes no input"},
      {"dtype_name", "dtype_name", Kind::kValue, [] { dtype_name(static_cast<ScalarType>(99)); }, ""},
      {"element_size", "element_size", Kind::kValue, [] { element_size(static_cast<ScalarType>(99)); }, ""},
      {"is_floating_point", "", Kind::kNone, nullptr, "constexpr predicate: every ScalarType value gets an answer"},
      {"scalar_type_of", "", Kind::kNone, nullptr, "compile-time: an unsupported C++ type does not compile"},
      {"is_complex", "", Kind::kNone, nullptr, "constexpr predicate: every ScalarType value gets an answer"},
      {"is_integral", "", Kind::kNone, nullptr, "constexpr predicate: every ScalarType value gets an answer"},
      {"is_signed", "", Kind::kNone, nullptr, "constexpr predicate: every ScalarType value gets an answer"},
      {"is_supported", "", Kind::kNone, nullptr, "constexpr predicate: every ScalarType value gets an answer"},
      {"promote_types", "promote_types", Kind::kType, [] { promote_types(kInt32, kHalf); }, ""},
      {"set_default_dtype", "set_default_dtype", Kind::kType,
       [] { set_default_dtype(scalarTypeToTypeMeta(kInt32)); }, ""},
      {"get_default_dtype", "", Kind::kNone, nullptr, "takes no input"},
      {"get_default_dtype_as_scalartype", "", Kind::kNone, nullptr, "takes no input"},
      {"dtype", "", Kind::kNone, nullptr, "only builds TensorOptions; the dtype is checked where the options are used"},
      {"device", "TensorOptions::device", Kind::kValue, [] { device(kCUDA); }, ""},
      {"requires_grad", "", Kind::kNone, nullptr, "takes a bool; both values are valid"},
      // ---- include/xgrad/serialize.hpp, state_dict.hpp ----------------------------------------
      // File errors (here and in read_idx) name the file, not the function: the path is what the
      // reader must fix, so those entries check the path (or the fault) is in the message.
      {"save", "save", Kind::kValue, [] { save(Tensor(), temp_path("undefined.pt")); }, ""},
      {"save", "/nonexistent-dir/x/y.pt", Kind::kIO, [] { save(zeros({2}), "/nonexistent-dir/x/y.pt"); }, ""},
      {"load", "/nonexistent-dir/y.pt", Kind::kIO, [] { Tensor t; load(t, "/nonexistent-dir/y.pt"); }, ""},
      {"load", "xgrad_registry_garbage.pt", Kind::kIO, [] { Tensor t; load(t, write_file("garbage.pt", "not a checkpoint")); }, ""},
      {"load_state_dict_file", "xgrad_registry_empty.pt", Kind::kIO, [] { load_state_dict_file(write_file("empty.pt", "")); }, ""},
      {"rng_state_dict", "", Kind::kNone, nullptr, "takes no input"},
      {"load_rng_state_dict", "load_rng_state_dict", Kind::kValue, [] { load_rng_state_dict(StateDict{}); }, ""},
      {"strip_format_metadata", "", Kind::kNone, nullptr, "accepts every StateDict (drops the format keys it finds)"},
      {"StateDict::extract", "", Kind::kNone, nullptr, "accepts every prefix (an unknown one gives an empty dict)"},
      {"StateDict::merge", "merge", Kind::kValue,
       [] { StateDict a; a.tensors.insert("w", zeros({1})); StateDict b = a; a.merge(b, ""); }, ""},
      // ---- include/xgrad/distributed.hpp (no process group: this program runs without mpirun) --
      {"is_available", "", Kind::kNone, nullptr, "takes no input"},
      {"is_initialized", "", Kind::kNone, nullptr, "takes no input"},
      {"init_process_group", "init_process_group", Kind::kValue, [] { distributed::init_process_group("carrier-pigeon"); }, ""},
      {"destroy_process_group", "destroy_process_group", Kind::kDistributed, [] { distributed::destroy_process_group(); }, ""},
      {"get_rank", "get_rank", Kind::kDistributed, [] { distributed::get_rank(); }, ""},
      {"get_world_size", "get_world_size", Kind::kDistributed, [] { distributed::get_world_size(); }, ""},
      {"get_backend", "get_backend", Kind::kDistributed, [] { distributed::get_backend(); }, ""},
      {"get_timeout", "get_timeout", Kind::kDistributed, [] { distributed::get_timeout(); }, ""},
      {"all_reduce", "all_reduce", Kind::kDistributed, [] { distributed::all_reduce(zeros({2})); }, ""},
      {"all_reduce_async", "all_reduce", Kind::kDistributed, [] { distributed::all_reduce_async(zeros({2})); }, ""},
      {"broadcast", "broadcast", Kind::kDistributed, [] { distributed::broadcast(zeros({2})); }, ""},
      {"all_gather", "all_gather", Kind::kDistributed,
       [] { std::vector<Tensor> out{zeros({2})}; distributed::all_gather(out, zeros({2})); }, ""},
      {"all_gather_into_tensor", "all_gather_into_tensor", Kind::kDistributed,
       [] { distributed::all_gather_into_tensor(zeros({2}), zeros({2})); }, ""},
      {"barrier", "barrier", Kind::kDistributed, [] { distributed::barrier(); }, ""},
      // ---- include/xgrad/autograd/*.hpp --------------------------------------------------------
      {"backward", "backward", Kind::kAutograd, [] { autograd::backward({zeros({2}).sum()}); }, ""},
      {"backward", "backward", Kind::kShape,
       [] { autograd::backward({zeros({2}, requires_grad()) * 2.0}, {zeros({3})}); }, ""},
      {"grad", "grad", Kind::kAutograd,
       [] { auto x = zeros({2}, requires_grad()); autograd::grad({(x * 2.0).sum()}, {zeros({2})}); }, ""},
      {"queue_callback", "queue_callback", Kind::kAutograd, [] { autograd::queue_callback([] {}); }, ""},
      {"make_variable", "requires_grad_", Kind::kType, [] { autograd::make_variable(tensor({1, 2}), true); }, ""},
      {"is_nonzero", "is_nonzero", Kind::kValue, [] { native::is_nonzero(zeros({2})); }, ""},
      {"gradgradcheck", "gradgradcheck", Kind::kType,
       [] { autograd::gradgradcheck([](const variable_list& v) { return v[0] * v[0]; }, {zeros({2}, kFloat32).requires_grad_()}); }, ""},
      {"gradgradcheck", "gradgradcheck", Kind::kValue,
       [] { autograd::gradgradcheck([](const variable_list& v) { return v[0] * v[0]; }, {zeros({2}, kFloat64)}); }, ""},
      {"gradcheck", "gradcheck", Kind::kType,
       [] { autograd::gradcheck([](const variable_list& v) { return v[0] * 2.0; }, {zeros({2}, kFloat32).requires_grad_()}); }, ""},
      {"gradcheck", "gradcheck", Kind::kValue,
       [] { autograd::gradcheck([](const variable_list& v) { return v[0] * 2.0; }, {zeros({2}, kFloat64).requires_grad_()},
                                autograd::GradcheckOptions().eps(0.0)); }, ""},
      {"make_dot", "make_dot", Kind::kValue, [] { autograd::make_dot(Tensor()); }, ""},
      {"saved_tensors_stats", "", Kind::kNone, nullptr, "accepts every tensor (an undefined or leaf root has no graph: zero stats)"},
      {"gradient_edge", "gradient_edge", Kind::kValue, [] { autograd::gradient_edge(Tensor()); }, ""},
      {"set_history", "set_history", Kind::kValue, [] { Tensor t; autograd::set_history(t, nullptr, 0); }, ""},
      {"rebase_history", "rebase_history", Kind::kValue, [] { autograd::rebase_history(Tensor(), Tensor(), "add_"); }, ""},
      {"compute_requires_grad", "", Kind::kNone, nullptr, "accepts every tensor list (an undefined tensor does not require grad)"},
      {"propagate_creation_meta", "", Kind::kNone, nullptr, "takes two CreationMeta values; every pair is valid"},
      {"op_name_from_grad_fn", "", Kind::kNone, nullptr, "accepts every string (a name without 'Backward' is converted as is)"},
      {"current_module_path", "", Kind::kNone, nullptr, "takes no input"},
      // ---- include/xgrad/data/*.hpp ------------------------------------------------------------
      {"read_idx", "/nonexistent-dir/train-images-idx3-ubyte", Kind::kIO, [] { data::read_idx("/nonexistent-dir/train-images-idx3-ubyte"); }, ""},
      {"read_idx", "unknown IDX element type 0x42", Kind::kIO, [] { data::read_idx(write_file("bad.idx", std::string("\x00\x00\x42\x01", 4))); }, ""},
      {"idx_element_size", "idx_element_size", Kind::kValue, [] { data::idx_element_size(static_cast<data::IdxType>(0x42)); }, ""},
      {"idx_type_name", "idx_type_name", Kind::kValue, [] { data::idx_type_name(static_cast<data::IdxType>(0x42)); }, ""},
      {"make_data_loader", "DataLoader", Kind::kValue,
       [] { data::make_data_loader(data::TensorDataset(zeros({4, 2}), zeros({4})), data::DataLoaderOptions().batch_size(0)); }, ""},
      {"map", "", Kind::kNone, nullptr, "accepts every dataset and transform; a transform's errors surface when a batch is fetched"},
      {"MNIST", "MNIST", Kind::kIO, [] { data::datasets::MNIST("/nonexistent-dir"); }, ""},
      {"TensorDataset", "TensorDataset", Kind::kShape, [] { data::TensorDataset(zeros({4, 2}), zeros({3})); }, ""},
      {"RandomSampler", "RandomSampler", Kind::kValue, [] { data::samplers::RandomSampler(-1); }, ""},
      {"DistributedRandomSampler", "DistributedRandomSampler", Kind::kValue,
       [] { data::samplers::DistributedRandomSampler(10, 2, 2); }, ""},
      {"DistributedSequentialSampler", "DistributedSequentialSampler", Kind::kValue,
       [] { data::samplers::DistributedSequentialSampler(10, 0, 0); }, ""},
      {"Normalize", "Normalize", Kind::kValue, [] { data::transforms::Normalize<>({0.5}, {0.0}); }, ""},
      {"gather_rows", "gather_rows", Kind::kIndex,
       [] { std::vector<size_t> idx{9}; data::detail::gather_rows(zeros({2, 3}), idx, {}, "gather_rows"); }, ""},
      {"mark_loader_worker_thread", "", Kind::kNone, nullptr, "takes no input"},
  };
  return entries;
}

// Headers whose every namespace-scope function must have an entry.
const std::vector<std::string> kCoveredHeaders = {
    "include/xgrad/tensor.hpp",
    "include/xgrad/factory.hpp",
    "include/xgrad/random.hpp",
    "include/xgrad/indexing.hpp",
    "include/xgrad/print.hpp",
    "include/xgrad/parallel.hpp",
    "include/xgrad/memory.hpp",
    "include/xgrad/dtype.hpp",
    "include/xgrad/serialize.hpp",
    "include/xgrad/state_dict.hpp",
    "include/xgrad/distributed.hpp",
    "include/xgrad/autograd/anomaly_mode.hpp",
    "include/xgrad/autograd/engine.hpp",
    "include/xgrad/autograd/function.hpp",
    "include/xgrad/autograd/grad_mode.hpp",
    "include/xgrad/autograd/gradcheck.hpp",
    "include/xgrad/autograd/graph.hpp",
    "include/xgrad/autograd/node.hpp",
    "include/xgrad/autograd/variable.hpp",
    "include/xgrad/autograd/basic_ops.hpp",
    "include/xgrad/native.hpp",
    "include/xgrad/data/idx.hpp",
    "include/xgrad/data/dataloader.hpp",
    "include/xgrad/data/dataloader_options.hpp",
    "include/xgrad/data/example.hpp",
    "include/xgrad/data/iterator.hpp",
    "include/xgrad/data/datasets/base.hpp",
    "include/xgrad/data/datasets/map.hpp",
    "include/xgrad/data/datasets/mnist.hpp",
    "include/xgrad/data/datasets/tensor.hpp",
    "include/xgrad/data/detail/stacked.hpp",
    "include/xgrad/data/samplers/base.hpp",
    "include/xgrad/data/samplers/distributed.hpp",
    "include/xgrad/data/samplers/random.hpp",
    "include/xgrad/data/samplers/sequential.hpp",
    "include/xgrad/data/transforms/base.hpp",
    "include/xgrad/data/transforms/collate.hpp",
    "include/xgrad/data/transforms/lambda.hpp",
    "include/xgrad/data/transforms/stack.hpp",
    "include/xgrad/data/transforms/tensor.hpp",
};

// Names the scan finds that are not public API: declarations inside `namespace detail` (the scan
// does not see namespaces). Each is used only by xgrad's own headers and sources.
const std::set<std::string> kNotPublic = {
    "arange_impl",            // tensor.hpp detail: the body of the arange templates (entries: arange)
    "check_defined",          // tensor.hpp detail: the undefined-tensor check (entries: Tensor::dim, ...)
    "narrow_int",             // tensor.hpp detail: item/to_vector's integer narrowing (entries: Tensor::item)
    "read_as_double",         // tensor.hpp detail: item/to_vector's element read
    "read_as_int64",          // tensor.hpp detail: item/to_vector's element read (entry: Tensor::to_vector)
    "read_as_complex",        // tensor.hpp detail: item/to_vector's element read for complex types
    "anomaly_check_forward",  // anomaly_mode.hpp detail: the engine's NaN check hooks
    "anomaly_check_backward",
    "anomaly_report_backward_error",  // anomaly_mode.hpp detail: the engine's error traceback
    "demangle",               // function.hpp detail: custom Function plumbing
    "run_function_backward",
    "wire_function_outputs",
    "wire_view_outputs",
    "outputs_are_views",
    "collect_tensors",
    "collect_slots",
    "refuse_double_backward",
    "supports_double_backward",
    "profiler_op_name",       // function.hpp detail: the profiler's forward op name (op_name_from_grad_fn)
    "normalize_stage",        // transforms/tensor.hpp detail: Normalize's fused stage
};

// Public member functions of class Tensor: declarations indented by two spaces between
// `class Tensor {` and its closing `};`, returned as "Tensor::name".
std::set<std::string> tensor_members(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::set<std::string> names;
  const std::regex decl(R"(^  (?:[A-Za-z_][A-Za-z0-9_:<>, ]*[ *&])?([a-z_][a-z0-9_]*)\()");
  std::string line;
  bool inside = false;
  bool is_public = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line == "class Tensor {";
      continue;
    }
    if (line == "};") break;
    if (line == " public:") is_public = true;
    if (line == " private:" || line == " protected:") is_public = false;
    std::smatch m;
    if (is_public && std::regex_search(line, m, decl) && m[1] != "operator") names.insert("Tensor::" + m[1].str());
  }
  return names;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_entry_throws_its_typed_error_naming_the_op) { xgrad::testing::run_registry(registry()); }

BOOST_AUTO_TEST_CASE(every_function_of_a_covered_header_has_an_entry) {
  std::size_t scanned = 0;
  for (const auto& header : kCoveredHeaders) {
    auto names = xgrad::testing::declared_functions(std::string(XGRAD_SOURCE_ROOT "/") + header);
    for (const auto& n : kNotPublic) names.erase(n);
    scanned += names.size();
    // A header of classes only declares no free function; its classes' constructors have entries
    // (MNIST, TensorDataset, samplers, Normalize) but the scan cannot see them.
    if (names.empty()) continue;
    xgrad::testing::check_coverage(registry(), names, header);
  }
  BOOST_TEST(scanned > 130u);
}

BOOST_AUTO_TEST_CASE(every_public_member_of_tensor_has_an_entry) {
  const auto members = tensor_members(std::string(XGRAD_SOURCE_ROOT) + "/include/xgrad/tensor.hpp");
  BOOST_TEST(members.size() > 80u);
  xgrad::testing::check_coverage(registry(), members, "class Tensor");
}

// Every kNotPublic name really is found by the scan (so the list cannot hide a renamed function).
BOOST_AUTO_TEST_CASE(every_exclusion_is_a_scanned_name) {
  std::set<std::string> all;
  for (const auto& header : kCoveredHeaders)
    for (const auto& n : xgrad::testing::declared_functions(std::string(XGRAD_SOURCE_ROOT "/") + header)) all.insert(n);
  for (const auto& n : kNotPublic) BOOST_TEST(all.count(n) == 1, n << " is excluded but no longer declared");
}

BOOST_AUTO_TEST_CASE(allocate_storage_refuses_a_size_past_the_address_space) {
  // Within a page of SIZE_MAX the page rounding used to wrap to a tiny block claiming SIZE_MAX bytes.
  xgrad::testing::expect_error<OutOfMemoryError>([] { allocate_storage(std::numeric_limits<size_t>::max()); },
                                                 {"allocate_storage"});
}

