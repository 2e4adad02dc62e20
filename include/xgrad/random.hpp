#pragma once
/// \file
/// The global random generator behind rand, randn, randint, randperm, uniform_ and normal_.
///
/// One generator (a 64-bit Mersenne Twister) serves the whole process and is safe to use from
/// several threads. As in LibTorch it starts from a fixed seed (67280421310721), so a program
/// that never seeds still prints the same numbers on every run; `manual_seed` picks another
/// stream and `seed()` a non-deterministic one:
///
///     xgrad::manual_seed(42);
///     auto a = xgrad::rand({2, 3});
///     xgrad::manual_seed(42);
///     auto b = xgrad::rand({2, 3});   // equal to a
///
/// The values do not reproduce PyTorch's random stream; only the distributions match.
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
/// Restores a state from get_rng_state(); ValueError if `state` is not one.
void set_rng_state(const std::string& state);

}  // namespace xgrad
