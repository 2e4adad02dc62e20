#pragma once
/// \file
/// The global random generator behind rand, randn, randint, randperm, uniform_, normal_,
/// bernoulli_ (and so dropout) and the nn::init initialisers.
///
/// One generator serves the whole process and is safe to use from several threads. It is
/// PyTorch's CPU generator: a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits of
/// the seed, and every sampler draws from it as PyTorch 1.13's CPU kernels do, so after the same
/// `manual_seed` xgrad produces PyTorch's values bit for bit, in float32 and float64 — a model
/// built in xgrad starts from the weights the same model built in PyTorch starts from. As in
/// LibTorch it starts from a fixed seed (67280421310721), so a program that never seeds still
/// prints the same numbers on every run; `manual_seed` picks another stream and `seed()` a
/// non-deterministic one:
///
///     xgrad::manual_seed(42);
///     auto a = xgrad::rand({2, 3});   // torch.manual_seed(42); torch.rand(2, 3)
///     xgrad::manual_seed(42);
///     auto b = xgrad::rand({2, 3});   // equal to a
///
/// The stream matched is the one of PyTorch's AVX2 kernels (what PyTorch picks on any x86-64
/// CPU with AVX2): uniform_ and normal_ round their final multiply-add once, and float32 normal_
/// on a contiguous tensor of 16 or more elements uses that kernel's polynomial log/sin/cos.
/// PyTorch running on a CPU without AVX2 (or with ATEN_CPU_CAPABILITY=default) rounds those
/// differently and may differ from xgrad in the last bit. bernoulli_ follows PyTorch built
/// without MKL (an MKL build draws bernoulli_ from a separate MKL stream on Intel CPUs).
/// Tensors that are not contiguous are filled in memory order, as PyTorch's TensorIterator does.
///
/// `manual_seed(uint64_t)` itself is declared in <xgrad/tensor.hpp> with the factories.

#include <xgrad/tensor.hpp>

#include <cstdint>
#include <string>

namespace xgrad {

/// The seed the global generator was last seeded with (torch.initial_seed()).
uint64_t initial_seed();

/// Reseeds the global generator from a non-deterministic source and returns the seed used
/// (torch.seed()).
uint64_t seed();

/// Saves the complete state of the global generator, to be restored with set_rng_state; random
/// draws after a restore repeat the draws made after the save.
///
///     auto state = xgrad::get_rng_state();
///     auto a = xgrad::randn({3});
///     xgrad::set_rng_state(state);
///     auto b = xgrad::randn({3});     // equal to a
std::string get_rng_state();
/// Restores a state from get_rng_state(); ValueError if `state` is not one (the text format is
/// xgrad's own, tagged "xgrad-mt19937-v1"; it is not PyTorch's ByteTensor state).
void set_rng_state(const std::string& state);

}  // namespace xgrad
