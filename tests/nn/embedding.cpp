#define BOOST_TEST_MODULE nn_embedding
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// nn::Embedding, F::embedding, xgrad::embedding and embedding_renorm_ (src/ops/embedding.cpp,
// src/nn/modules/embedding.cpp) against PyTorch 1.13 (tests/reference/nn_names.py): initial
// weights after manual_seed, forward values, weight gradients with padding_idx and
// scale_grad_by_freq, second derivatives, max_norm, from_pretrained; gradcheck and
// gradgradcheck; and the typed errors, naming the op or module.

namespace ref {
#include "reference/nn_names.inc"
}

using namespace xgrad;
namespace nn = xgrad::nn;
namespace F = xgrad::nn::functional;
using xgrad::testing::check_values;
using xgrad::testing::contains;
using xgrad::testing::what_of;

namespace {

Tensor ids(std::vector<int64_t> v, std::vector<int64_t> shape) {
  return tensor(v, TensorOptions().dtype(kInt64)).reshape(shape);
}
// The index tensor of the reference script: [[1, 4, 1, 0], [5, 1, 4, 2]].
Tensor ref_idx() { return ids({1, 4, 1, 0, 5, 1, 4, 2}, {2, 4}); }
Tensor ref_w(bool requires_grad = true) {
  return tensor(ref::emb_w, TensorOptions().dtype(kFloat64)).reshape({6, 3}).requires_grad_(requires_grad);
}
// w[j] = 1 + (j % 3) over the flattened output, as the script's weights().
Tensor loss_weights(const Tensor& out) {
  std::vector<double> v(static_cast<size_t>(out.numel()));
  for (size_t j = 0; j < v.size(); ++j) v[j] = 1.0 + static_cast<double>(j % 3);
  return tensor(v, TensorOptions().dtype(out.dtype())).reshape(out.sizes());
}

}  // namespace

BOOST_AUTO_TEST_CASE(module_starts_from_pytorchs_weights) {
  manual_seed(7);
  nn::Embedding e(5, 3);
  BOOST_TEST(e->weight.sizes().vec() == (std::vector<int64_t>{5, 3}), boost::test_tools::per_element());
  BOOST_TEST(e->weight.requires_grad());
  BOOST_TEST(e->named_parameters().contains("weight"));
  check_values(e->weight, ref::emb_init_5x3, 1e-7, 0);
  // padding_idx = -2 is stored as 3; that row starts as zeros, the others are the same draw.
  manual_seed(7);
  nn::Embedding p(nn::EmbeddingOptions(5, 3).padding_idx(-2));
  BOOST_TEST(*p->options.padding_idx() == 3);
  check_values(p->weight, ref::emb_init_5x3_pad, 1e-7, 0);
  BOOST_TEST(p->repr() == "Embedding(5, 3, padding_idx=3)");
  BOOST_TEST(nn::Embedding(nn::EmbeddingOptions(10, 2).padding_idx(3).max_norm(2.0).norm_type(2.5).scale_grad_by_freq(true))
                 ->repr() == "Embedding(10, 2, padding_idx=3, max_norm=2.0, norm_type=2.5, scale_grad_by_freq=True)");
}

BOOST_AUTO_TEST_CASE(forward_and_weight_gradients_match_pytorch) {
  const struct {
    const char* tag;
    F::EmbeddingFuncOptions options;
    const std::vector<double>& grad;
  } cases[] = {
      {"plain", F::EmbeddingFuncOptions(), ref::emb_grad_plain},
      {"pad", F::EmbeddingFuncOptions().padding_idx(1), ref::emb_grad_pad},
      {"freq", F::EmbeddingFuncOptions().scale_grad_by_freq(true), ref::emb_grad_freq},
      {"pad_freq", F::EmbeddingFuncOptions().padding_idx(4).scale_grad_by_freq(true), ref::emb_grad_pad_freq},
      {"negpad", F::EmbeddingFuncOptions().padding_idx(-1), ref::emb_grad_negpad},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.tag) {
      Tensor w = ref_w();
      Tensor out = F::embedding(ref_idx(), w, c.options);
      BOOST_TEST(out.sizes().vec() == (std::vector<int64_t>{2, 4, 3}), boost::test_tools::per_element());
      check_values(out, ref::emb_out, 0, 0);  // a copy of the rows: exact, padding rows included
      BOOST_TEST(out.grad_fn()->name() == "EmbeddingBackward0");
      (out * loss_weights(out)).sum().backward();
      check_values(w.grad(), c.grad, 1e-12, 0);
    }
  }
  // int32 indices and a 0-dim index work too (sizes [] + [3]).
  Tensor w = ref_w(false);
  check_values(F::embedding(ref_idx().to(kInt32), w), ref::emb_out, 0, 0);
  const Tensor row = xgrad::embedding(w, tensor(2, TensorOptions().dtype(kInt64)));
  BOOST_TEST(row.sizes().vec() == (std::vector<int64_t>{3}), boost::test_tools::per_element());
  check_values(row, {0.2, 2.7755575615628914e-17, -0.19999999999999996}, 0, 0);
  // An empty index tensor gives an empty result and a zero gradient.
  Tensor wg = ref_w();
  Tensor none = F::embedding(ids({}, {0, 2}), wg);
  BOOST_TEST(none.sizes().vec() == (std::vector<int64_t>{0, 2, 3}), boost::test_tools::per_element());
  none.sum().backward();
  check_values(wg.grad(), std::vector<double>(18, 0.0), 0, 0);
}

BOOST_AUTO_TEST_CASE(module_forward_backward_and_shapes) {
  // LibTorch's EmbeddingBasic / EmbeddingList: every index 9 of 10, then a [2, 3] input.
  nn::Embedding model(10, 2);
  Tensor y = model(full({10}, 9, TensorOptions().dtype(kInt64)));
  y.sum().backward();
  BOOST_TEST(y.sizes().vec() == (std::vector<int64_t>{10, 2}), boost::test_tools::per_element());
  std::vector<double> g(20, 0.0);
  g[18] = g[19] = 10.0;  // row 9 collected all ten unit gradients
  check_values(model->weight.grad(), g, 0, 0);
  nn::Embedding list(6, 4);
  BOOST_TEST(list(full({2, 3}, 5, TensorOptions().dtype(kInt64))).sizes().vec() == (std::vector<int64_t>{2, 3, 4}),
             boost::test_tools::per_element());
  // The module with padding_idx and scale_grad_by_freq uses F::embedding's rules.
  nn::Embedding m(nn::EmbeddingOptions(6, 3).padding_idx(4).scale_grad_by_freq(true));
  {
    NoGradGuard no_grad;
    m->weight.copy_(ref_w(false).to(kFloat32));
  }
  Tensor out = m(ref_idx());
  (out * loss_weights(out)).sum().backward();
  check_values(m->weight.grad(), ref::emb_grad_pad_freq, 1e-6, 0);
}

// d/dw sum(grad_w * c) and d/dgout sum(grad_w * c) for out = embedding(w * w): PyTorch's values
// through EmbeddingDenseBackwardBackward0, with and without padding_idx.
BOOST_AUTO_TEST_CASE(second_derivatives_match_pytorch) {
  const Tensor c = arange(18, TensorOptions().dtype(kFloat64)).reshape({6, 3}) / 10;
  for (const bool pad : {false, true}) {
    BOOST_TEST_CONTEXT("padding " << pad) {
      Tensor w = ref_w();
      auto options = F::EmbeddingFuncOptions();
      if (pad) options.padding_idx(1);
      Tensor out = F::embedding(ref_idx(), w * w, options);
      Tensor gout = loss_weights(out).requires_grad_();
      Tensor gw = autograd::grad({out}, {w}, {gout}, std::nullopt, true)[0];
      auto gg = autograd::grad({(gw * c).sum()}, {w, gout});
      check_values(gg[0], pad ? ref::emb_gg_w_pad : ref::emb_gg_w_plain, 1e-12, 1e-12);
      check_values(gg[1], pad ? ref::emb_gg_gout_pad : ref::emb_gg_gout_plain, 1e-12, 1e-12);
    }
  }
  // With scale_grad_by_freq the gradient's own gradient keeps the 1/count factor (the exact
  // adjoint; PyTorch 1.13 drops it). Worked by hand: indices [0, 0, 1] into a [2, 1] weight;
  // grad_w = [(g0 + g1) / 2, g2], so d sum(grad_w * [c0, c1]) / dg = [c0 / 2, c0 / 2, c1].
  Tensor w = zeros({2, 1}, TensorOptions().dtype(kFloat64)).requires_grad_();
  Tensor out = F::embedding(ids({0, 0, 1}, {3}), w, F::EmbeddingFuncOptions().scale_grad_by_freq(true));
  Tensor g = ones({3, 1}, TensorOptions().dtype(kFloat64)).requires_grad_();
  Tensor gw = autograd::grad({out}, {w}, {g}, std::nullopt, true)[0];
  check_values(gw, {1.0, 1.0}, 0, 0);
  Tensor dg = autograd::grad({(gw * tensor({3.0, 5.0}, TensorOptions().dtype(kFloat64)).reshape({2, 1})).sum()}, {g})[0];
  check_values(dg, {1.5, 1.5, 5.0}, 0, 0);
}

BOOST_AUTO_TEST_CASE(gradcheck_and_gradgradcheck) {
  manual_seed(0);
  const Tensor idx = ref_idx();
  // The weight gradient is the true derivative without padding_idx and the frequency scale
  // (with them it deliberately is not, as PyTorch); the gradient's own gradient -- the map from
  // output gradient and weight to weight gradient -- is exact in every case.
  Tensor w = randn({6, 3}, TensorOptions().dtype(kFloat64)).requires_grad_();
  BOOST_TEST(autograd::gradcheck([&](const autograd::variable_list& in) { return xgrad::embedding(in[0] * in[0], idx); },
                                 {w}));
  for (const int64_t pad : {int64_t{-1}, int64_t{4}})
    for (const bool freq : {false, true}) {
      BOOST_TEST_CONTEXT("padding_idx " << pad << ", scale_grad_by_freq " << freq) {
        BOOST_TEST(autograd::gradgradcheck(
            [&](const autograd::variable_list& in) { return xgrad::embedding(in[0] * in[0], idx, pad, freq); }, {w}));
      }
    }
}

BOOST_AUTO_TEST_CASE(max_norm_renormalises_the_looked_up_rows) {
  const struct {
    const char* tag;
    double max_norm, norm_type;
    const std::vector<double>& weight;
    const std::vector<double>& out;
  } cases[] = {
      {"l2", 0.5, 2.0, ref::emb_maxnorm_l2_w, ref::emb_maxnorm_l2_out},
      {"l1", 0.7, 1.0, ref::emb_maxnorm_l1_w, ref::emb_maxnorm_l1_out},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.tag) {
      Tensor w = ref_w(false).to(kFloat32);
      Tensor out = F::embedding(ref_idx(), w, F::EmbeddingFuncOptions().max_norm(c.max_norm).norm_type(c.norm_type));
      check_values(w, c.weight, 1e-7, 1e-6);  // changed in place; row 3 (not looked up) is not
      check_values(out, c.out, 1e-7, 1e-6);
    }
  }
  // Through the module, on a parameter that requires grad (renormalised without a graph).
  nn::Embedding m(nn::EmbeddingOptions(6, 3).max_norm(0.5));
  {
    NoGradGuard no_grad;
    m->weight.copy_(ref_w(false).to(kFloat32));
  }
  m(ref_idx()).sum().backward();
  check_values(m->weight.detach(), ref::emb_maxnorm_l2_w, 1e-7, 1e-6);
  BOOST_TEST(m->weight.is_leaf());
  // Norms p = inf (largest magnitude) and p = 0 (count of non-zeros), by hand.
  Tensor a = tensor({3.0, -4.0, 0.0, 1.0, 1.0, 1.0}).reshape({2, 3});
  xgrad::embedding_renorm_(a, ids({0}, {1}), 2.0, INFINITY);
  check_values(a.select(0, 0), {3.0 * 2 / (4 + 1e-7), -4.0 * 2 / (4 + 1e-7), 0.0}, 1e-6, 0);
  Tensor b = tensor({3.0, -4.0, 0.0, 1.0, 1.0, 1.0}).reshape({2, 3});
  xgrad::embedding_renorm_(b, ids({1, 1}, {2}), 1.5, 0.0);  // norm 3 > 1.5: halved
  check_values(b, {3.0, -4.0, 0.0, 0.5, 0.5, 0.5}, 1e-6, 0);
}

BOOST_AUTO_TEST_CASE(from_pretrained_matches_pytorch) {
  const Tensor pre = tensor({1., 2.3, 3., 4., 5.1, 6.3}).reshape({2, 3});
  nn::Embedding frozen = nn::Embedding::from_pretrained(pre);
  BOOST_TEST(!frozen->weight.requires_grad());
  BOOST_TEST(!pre.requires_grad());
  BOOST_TEST(frozen->repr() == "Embedding(2, 3)");
  check_values(frozen(ids({1, 0, 1}, {3})), ref::emb_pre_out, 0, 0);
  // The weight shares the given tensor's storage, as PyTorch's Parameter(_weight).
  {
    NoGradGuard no_grad;
    pre.select(0, 0).fill_(7.0);
  }
  BOOST_TEST(frozen->weight.select(0, 0).equal(full({3}, 7.0)));
  // A clone of the frozen module is frozen too, and has its own storage.
  auto copy = std::dynamic_pointer_cast<nn::EmbeddingImpl>(frozen->clone());
  BOOST_REQUIRE(copy != nullptr);
  BOOST_TEST(!copy->weight.requires_grad());
  BOOST_TEST(copy->weight.equal(frozen->weight));
  {
    NoGradGuard no_grad;
    copy->weight.fill_(0.0);
  }
  BOOST_TEST(frozen->weight.select(0, 0).equal(full({3}, 7.0)));

  const Tensor pre2 = tensor({1., 2.3, 3., 4., 5.1, 6.3}).reshape({2, 3});
  nn::Embedding trainable =
      nn::Embedding::from_pretrained(pre2, nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(0));
  BOOST_TEST(trainable->weight.requires_grad());
  BOOST_TEST(!pre2.requires_grad());  // the caller's tensor is not turned into a parameter
  BOOST_TEST(trainable->repr() == "Embedding(2, 3, padding_idx=0)");
  Tensor out = trainable(ids({1, 0, 1}, {3}));
  (out * loss_weights(out)).sum().backward();
  check_values(trainable->weight.grad(), ref::emb_pre_grad, 0, 0);
  check_values(trainable->weight.select(0, 0), {1.0, 2.3, 3.0}, 1e-7, 0);  // not zeroed
}

BOOST_AUTO_TEST_CASE(embedding_in_a_sequential_and_clone) {
  manual_seed(1);
  nn::Sequential seq(nn::Embedding(4, 10), nn::Linear(10, 3));
  Tensor y = seq->forward(ids({0, 3, 3}, {3}));
  BOOST_TEST(y.sizes().vec() == (std::vector<int64_t>{3, 3}), boost::test_tools::per_element());
  auto copy = std::dynamic_pointer_cast<nn::SequentialImpl>(seq->clone());
  BOOST_TEST(copy->forward(ids({0, 3, 3}, {3})).equal(y));
  BOOST_TEST(!copy->ptr<nn::EmbeddingImpl>(0)->weight.is_same(seq->ptr<nn::EmbeddingImpl>(0)->weight));
}

BOOST_AUTO_TEST_CASE(errors_are_typed_and_name_the_op) {
  const Tensor w = randn({5, 3});
  const Tensor idx = ids({0, 4}, {2});
  // Index dtype, range (negative indices are not wrapped), weight rank, padding_idx, sparse.
  std::string msg = what_of([&] { F::embedding(tensor({0.0, 1.0}), w); });
  BOOST_TEST(contains(msg, "embedding: expected indices of dtype int64 or int32"), msg);
  BOOST_CHECK_THROW(F::embedding(tensor({0.0, 1.0}), w), TypeError);
  msg = what_of([&] { F::embedding(ids({0, 5}, {2}), w); });
  BOOST_TEST(contains(msg, "index out of range in self"), msg);
  BOOST_TEST(contains(msg, "index 5"), msg);
  BOOST_CHECK_THROW(F::embedding(ids({0, 5}, {2}), w), IndexError);
  BOOST_CHECK_THROW(F::embedding(ids({-1}, {1}), w), IndexError);
  msg = what_of([&] { F::embedding(idx, randn({5})); });
  BOOST_TEST(contains(msg, "embedding: 'weight' must be 2-D"), msg);
  BOOST_CHECK_THROW(F::embedding(idx, randn({5})), ShapeError);
  BOOST_CHECK_THROW(F::embedding(Tensor(), w), ValueError);
  BOOST_CHECK_THROW(F::embedding(idx, Tensor()), ValueError);
  msg = what_of([&] { F::embedding(idx, w, F::EmbeddingFuncOptions().padding_idx(5)); });
  BOOST_TEST(contains(msg, "Padding_idx must be within num_embeddings"), msg);
  BOOST_CHECK_THROW(F::embedding(idx, w, F::EmbeddingFuncOptions().padding_idx(-6)), ValueError);
  BOOST_CHECK_THROW(xgrad::embedding(w, idx, -2), ValueError);
  msg = what_of([&] { F::embedding(idx, w, F::EmbeddingFuncOptions().sparse(true)); });
  BOOST_TEST(contains(msg, "sparse=true is not supported"), msg);
  BOOST_CHECK_THROW(F::embedding(idx, w, F::EmbeddingFuncOptions().max_norm(-1.0)), ValueError);
  // embedding_renorm_ on a weight that requires grad, with grad mode on.
  Tensor p = randn({5, 3}).requires_grad_();
  BOOST_CHECK_THROW(xgrad::embedding_renorm_(p, idx, 1.0, 2.0), AutogradError);
  Tensor ints = zeros({5, 3}, TensorOptions().dtype(kInt64));
  BOOST_CHECK_THROW(xgrad::embedding_renorm_(ints, idx, 1.0, 2.0), TypeError);
  // The module: sizes, padding_idx, sparse, _weight shape, from_pretrained rank; a forward
  // error names the module path.
  msg = what_of([] { nn::Embedding(-1, 3); });
  BOOST_TEST(contains(msg, "Embedding: num_embeddings must be non-negative"), msg);
  BOOST_CHECK_THROW(nn::Embedding(3, -2), ValueError);
  msg = what_of([] { nn::Embedding(nn::EmbeddingOptions(4, 2).padding_idx(4)); });
  BOOST_TEST(contains(msg, "Embedding: Padding_idx must be within num_embeddings"), msg);
  BOOST_CHECK_THROW(nn::Embedding(nn::EmbeddingOptions(4, 2).padding_idx(-5)), ValueError);
  msg = what_of([] { nn::Embedding(nn::EmbeddingOptions(4, 2).sparse(true)); });
  BOOST_TEST(contains(msg, "Embedding: sparse=true is not supported"), msg);
  msg = what_of([] { nn::Embedding(nn::EmbeddingOptions(4, 2)._weight(zeros({4, 3}))); });
  BOOST_TEST(contains(msg, "Shape of _weight does not match num_embeddings and embedding_dim"), msg);
  BOOST_CHECK_THROW(nn::Embedding(nn::EmbeddingOptions(4, 2)._weight(zeros({4, 3}))), ShapeError);
  msg = what_of([] { nn::Embedding::from_pretrained(zeros({4})); });
  BOOST_TEST(contains(msg, "Embeddings parameter is expected to be 2-dimensional"), msg);
  BOOST_CHECK_THROW(nn::Embedding::from_pretrained(zeros({2, 2}, TensorOptions().dtype(kInt64))), TypeError);
  nn::Embedding e(4, 2);
  msg = what_of([&] { e(ids({7}, {1})); });
  BOOST_TEST(contains(msg, "index out of range in self"), msg);
  BOOST_TEST(contains(msg, "Embedding"), msg);
}
