// Precompiled once per build for the test programs (tests/meson.build, GCC only) and included
// ahead of each of their sources: parsing <xgrad/xgrad.hpp> costs a few seconds per program, and
// there are over a hundred programs in each CI build. Nothing of Boost.Test here: its headers read
// BOOST_TEST_MODULE, which each program defines differently.

#include <xgrad/xgrad.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
