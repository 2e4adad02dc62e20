#pragma once
// The readers under test take a path, not a buffer: each input is written to an anonymous
// in-memory file (memfd) and read back through /proc/self/fd/N, which costs a few system
// calls per input and leaves nothing on disk however the process ends.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace xgrad::fuzz {

class MemFile {
 public:
  explicit MemFile(const char* name) {
    fd_ = ::memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  // Replaces the file's content with `data`.
  const std::string& write(const uint8_t* data, size_t size) {
    if (::ftruncate(fd_, 0) != 0) fail("ftruncate");
    size_t done = 0;
    while (done < size) {
      const ssize_t w = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (w <= 0) fail("pwrite");
      done += static_cast<size_t>(w);
    }
    return path_;
  }

 private:
  // The harness itself failing is not a finding about xgrad: say so loudly and stop.
  [[noreturn]] static void fail(const char* what) {
    std::perror(what);
    std::abort();
  }
  int fd_ = -1;
  std::string path_;
};

}  // namespace xgrad::fuzz
