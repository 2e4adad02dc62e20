#pragma once
// Timing helpers shared by the benchmarks.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

/// Best time of one call of fn, in seconds: one warm-up call, then repeats until `budget`
/// seconds have passed (at least 3, at most 2000 calls). The minimum is the least noisy
/// statistic on a shared machine.
template <typename F>
double best_time(F&& fn, double budget = 0.4) {
  using clock = std::chrono::steady_clock;
  fn();
  double best = 1e30, total = 0;
  for (int reps = 0; reps < 2000 && (reps < 3 || total < budget); ++reps) {
    const auto t0 = clock::now();
    fn();
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::min(best, dt);
    total += dt;
  }
  return best;
}

/// Thread counts to run: XGRAD_BENCH_THREADS="1,2" (default 1 and 2).
inline std::vector<int> thread_counts() {
  std::vector<int> out;
  const char* env = std::getenv("XGRAD_BENCH_THREADS");
  std::string s = env ? env : "1,2";
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t next = s.find(',', pos);
    out.push_back(std::max(1, std::atoi(s.substr(pos, next - pos).c_str())));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return out;
}

/// Time budget per measurement: XGRAD_BENCH_SECONDS (default 0.4).
inline double budget() {
  const char* env = std::getenv("XGRAD_BENCH_SECONDS");
  return env ? std::max(0.01, std::atof(env)) : 0.4;
}

/// Whether a case named `name` runs: XGRAD_BENCH_ONLY="substring" keeps the matching ones.
inline bool selected(const std::string& name) {
  const char* env = std::getenv("XGRAD_BENCH_ONLY");
  return env == nullptr || name.find(env) != std::string::npos;
}

}  // namespace bench
