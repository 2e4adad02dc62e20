// Atomic file replacement (write a temporary file, fsync, rename, fsync the directory).
//
// Why each step: rename(2) within one directory atomically swaps which inode the final name
// points at, so readers (and a restarted process) see the old file or the new one, never a mix;
// fsync before rename makes the new data durable before the name refers to it (otherwise a
// power loss can leave the new name on empty blocks); fsync of the directory makes the rename
// itself durable. A process killed in the middle leaves at most a stray ".<name>.tmp.XXXXXX"
// next to the checkpoint, never a damaged checkpoint.

#include "serialize/atomic_file.hpp"

#include <xgrad/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace xgrad::detail {

namespace {
std::string errno_text(int err) { return std::strerror(err); }

// The process umask, read without changing it (umask(2) can only be read by setting it, which
// would race with other threads creating files).
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
      } catch (...) {
        break;
      }
    }
  }
  return 022;
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  XGRAD_CHECK(path_.has_filename(), IOError, "{}: cannot save to a path without a file name", path_.string());
  // Hidden name next to the target: ".<name>.tmp.XXXXXX" (built with append: GCC 12 warns
  // falsely (-Wrestrict) about `"." + string`).
  std::string hidden(1, '.');
  hidden.append(path_.filename().string()).append(".tmp.XXXXXX");
  std::string templ = (dir / hidden).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  fd_ = ::mkstemp(buf.data());
  if (fd_ < 0) {
    const int err = errno;
    XGRAD_THROW(IOError, "{}: cannot create a temporary file in '{}': {}", path_.string(), dir.string(),
                errno_text(err));
  }
  temp_ = std::filesystem::path(buf.data());
  // mkstemp creates the file 0600; a checkpoint gets the permissions of any new file (0666
  // minus the umask), or those of the file it replaces.
  struct stat st {};
  const mode_t mode = ::stat(path_.c_str(), &st) == 0 ? (st.st_mode & 07777) : (0666 & ~current_umask());
  if (::fchmod(fd_, mode) != 0) fail("cannot set the permissions of the temporary file", errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
  // Close and remove the temporary file here, so the error leaves nothing behind even if the
  // caller keeps this object alive.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  XGRAD_THROW(IOError, "{}: {}: {}", path_.string(), what, errno_text(err));
}

void AtomicFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    // Linux writes at most ~2 GiB per call; larger tensors go in pieces.
    const size_t chunk = n < (size_t{1} << 30) ? n : (size_t{1} << 30);
    const ssize_t w = ::write(fd_, p, chunk);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write the temporary file '" + temp_.string() + "'", errno);
    }
    if (w == 0) fail("cannot write the temporary file '" + temp_.string() + "'", ENOSPC);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("cannot flush the temporary file '" + temp_.string() + "' to disk", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close the temporary file '" + temp_.string() + "'", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary file over it", errno);
  committed_ = true;
  // The new name is in place; syncing the directory makes that survive a power loss. Failing
  // here cannot un-write the checkpoint, but is still reported (the rename may not be durable).
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    const int open_err = errno;
    XGRAD_THROW(IOError, "{}: cannot open its directory to sync it: {}", path_.string(), errno_text(open_err));
  }
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (rc != 0 && err != EINVAL)  // EINVAL: the file system cannot sync directories (nothing to do)
    XGRAD_THROW(IOError, "{}: cannot sync its directory: {}", path_.string(), errno_text(err));
}

}  // namespace xgrad::detail
