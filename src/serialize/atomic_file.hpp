#pragma once
// AtomicFile: writes a file so that its final name always holds either the previous complete
// content or the new complete content, whatever happens to the process meanwhile.

#include <cstddef>
#include <filesystem>
#include <string>

namespace xgrad::detail {

class AtomicFile {
 public:
  /// Creates a temporary file next to `path` (same directory, so rename is atomic). IOError
  /// naming the directory and the system's reason when it cannot.
  explicit AtomicFile(std::filesystem::path path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `n` bytes (retrying short writes and EINTR); IOError on failure.
  void write(const void* data, size_t n);
  /// fsync, close, rename over the final name, fsync the directory. IOError on failure.
  void commit();

  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail(const std::string& what, int err);

  std::filesystem::path path_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace xgrad::detail
