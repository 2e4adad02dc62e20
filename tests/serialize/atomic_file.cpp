#define BOOST_TEST_MODULE atomic_file
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"
#include "serialize/files.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

// Atomic checkpoint writes (src/serialize/atomic_file.cpp): a child process (tests/serialize/
// tool.cpp, "loop") saves a 200 MB checkpoint over and over; it is SIGKILLed at several moments
// after it has begun a save. Every time, the final name must hold a complete checkpoint (the
// previous one or the new one) that loads and whose values all equal its "iteration".

using namespace xgrad;
using xgrad::testing::TempDir;

namespace {

bool is_temp_of(const std::string& file, const std::string& target) {
  return file.rfind("." + target + ".tmp.", 0) == 0;
}

// The last "saved N" line in `text`, or -1.
int64_t last_saved(const std::string& text) {
  int64_t last = -1;
  size_t pos = 0;
  while ((pos = text.find("saved ", pos)) != std::string::npos) {
    last = std::stoll(text.substr(pos + 6));
    pos += 6;
  }
  return last;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_killed_writer_leaves_the_previous_or_the_new_checkpoint) {
  const char* tool = std::getenv("XGRAD_SERIALIZE_TOOL");
  BOOST_REQUIRE_MESSAGE(tool != nullptr, "XGRAD_SERIALIZE_TOOL is not set (run through meson test)");
  const int64_t numel = 50'000'000;  // 200 MB of float32: a save takes long enough to be hit
  TempDir dir;
  const std::string name = "big.safetensors";
  const auto path = dir / name;
  int kills_during_a_write = 0;

  for (int delay_ms : {0, 15, 60, 150, 300, 600, 1200}) {
    BOOST_TEST_MESSAGE("kill " << delay_ms << " ms after the second save began");
    int fds[2];
    BOOST_REQUIRE_EQUAL(::pipe(fds), 0);
    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string n = std::to_string(numel);
      ::execl(tool, tool, "loop", path.c_str(), n.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    // Read the child's progress until it starts its second save ("saving 1"): the file then
    // holds a complete checkpoint 0 and checkpoint 1 is being written.
    std::string out;
    char buf[256];
    while (out.find("saving 1\n") == std::string::npos) {
      const ssize_t r = ::read(fds[0], buf, sizeof buf);
      BOOST_REQUIRE_MESSAGE(r > 0, "the writer exited early; output: " << out);
      out.append(buf, static_cast<size_t>(r));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    bool temp_present = false;
    for (const auto& f : dir.files()) temp_present = temp_present || is_temp_of(f, name);
    ::kill(pid, SIGKILL);
    int status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(pid, &status, 0), pid);
    BOOST_REQUIRE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    for (ssize_t r; (r = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(r));
    ::close(fds[0]);
    kills_during_a_write += temp_present ? 1 : 0;

    // The checkpoint at the final name is complete: it loads, and every value is its iteration,
    // which is the last one reported saved or the one after it (renamed, not yet reported).
    const StateDict sd = load_state_dict_file(path);
    const int64_t iteration = std::stoll(sd.metadata.at("iteration"));
    const int64_t saved = last_saved(out);
    BOOST_TEST_MESSAGE("  last reported save " << saved << ", file holds " << iteration
                                               << (temp_present ? " (killed during a write)" : ""));
    BOOST_CHECK(iteration == saved || iteration == saved + 1);
    const Tensor& values = sd.tensors["values"];
    BOOST_REQUIRE_EQUAL(values.numel(), numel);
    const float* p = values.data_ptr<float>();
    int64_t wrong = 0;
    for (int64_t i = 0; i < numel; ++i) wrong += p[i] != static_cast<float>(iteration);
    BOOST_CHECK_EQUAL(wrong, 0);

    // A killed writer can leave its temporary file (never the final name damaged); at most one.
    int temps = 0;
    for (const auto& f : dir.files()) {
      if (!is_temp_of(f, name)) continue;
      ++temps;
      std::filesystem::remove(dir / f);
    }
    BOOST_CHECK_LE(temps, 1);
  }
  BOOST_TEST_MESSAGE(kills_during_a_write << " kills landed while a temporary file was being written");
  // The test means something only if some kills interrupted a write.
  BOOST_CHECK_GE(kills_during_a_write, 2);
}
