// One program, two frameworks: tests/compat/*.cpp include this instead of <torch/torch.h> or
// <xgrad/xgrad.hpp> and write `xg::` where LibTorch writes `torch::`. Built with -DXG_USE_TORCH
// they use LibTorch (how the stored *.libtorch.txt outputs were made); otherwise xgrad.
#pragma once
#ifdef XG_USE_TORCH
#include <torch/torch.h>
namespace xg = torch;
#else
#include <xgrad/xgrad.hpp>
namespace xg = xgrad;
#endif
