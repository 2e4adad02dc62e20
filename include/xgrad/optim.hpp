#pragma once
/// \file
/// `xgrad::optim`: optimizers, as `<torch/optim.h>`:
///
///     #include <xgrad/optim.hpp>
///     xgrad::optim::Adam opt(model->parameters(), xgrad::optim::AdamOptions(1e-3).betas({0.9, 0.99}));
///     opt.zero_grad();
///     loss.backward();
///     opt.step();

#include <xgrad/optim/optimizer.hpp>
#include <xgrad/optim/adagrad.hpp>
#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/adamw.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/sgd.hpp>
