// mpi_hello: a plain-MPI program that proves a multi-host launch really spans hosts and moves
// data between them. It is deliberately independent of xgrad so it can check the two-host
// harness (two_hosts.sh) on its own, before and apart from xgrad::distributed.
//
// Each rank prints one line: rank, world size, processor name, its network namespace inode
// (readlink /proc/self/ns/net) and how many ranks Open MPI says share its node
// (MPI_COMM_TYPE_SHARED). Then all ranks Allreduce 1 Mi floats, each contributing rank + 1, and
// check every element equals 1 + 2 + ... + size.
//
// Options (all optional):
//   --expect-hosts N   fail unless the ranks live in exactly N distinct network namespaces and
//                      Open MPI's shared-memory split also yields exactly N node groups; this is
//                      what makes the harness test able to fail if it silently runs on one host.
//   --kill-rank R      rank R raises SIGKILL right after MPI_Init and printing, to show how the
//                      launcher reacts to a rank that dies without MPI_Finalize.
//   --count N          elements in the Allreduce (default 1048576).
//
// Exit status: 0 on success, 1 on a wrong sum or a host-count mismatch, 2 on bad arguments.
// Only the C API is used; skip the deprecated C++ bindings, whose header warns under -Wextra.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

// Inode number of this process's network namespace; "net:[4026531992]" -> 4026531992.
// Two ranks with different inodes are on different simulated hosts.
std::uint64_t net_namespace_inode() {
  char buf[128] = {};
  const ssize_t n = readlink("/proc/self/ns/net", buf, sizeof buf - 1);
  if (n <= 0) return 0;
  const char* open = std::strchr(buf, '[');
  return open ? std::strtoull(open + 1, nullptr, 10) : 0;
}

bool parse_long(const char* text, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  long expect_hosts = -1;
  long kill_rank = -1;
  long count = 1L << 20;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    long* target = arg == "--expect-hosts" ? &expect_hosts
                   : arg == "--kill-rank"  ? &kill_rank
                   : arg == "--count"      ? &count
                                           : nullptr;
    if (target == nullptr || i + 1 >= argc || !parse_long(argv[i + 1], *target) || *target < 0) {
      std::fprintf(stderr,
                   "mpi_hello: bad argument '%s' (usage: mpi_hello [--expect-hosts N] "
                   "[--kill-rank R] [--count N], N and R non-negative integers)\n",
                   argv[i]);
      return 2;
    }
    ++i;
  }

  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  char processor[MPI_MAX_PROCESSOR_NAME] = {};
  int processor_len = 0;
  MPI_Get_processor_name(processor, &processor_len);

  // Open MPI's own idea of "same node": ranks it considers able to share memory.
  MPI_Comm node_comm;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node_comm);
  int node_size = 0;
  int node_rank = 0;
  MPI_Comm_size(node_comm, &node_size);
  MPI_Comm_rank(node_comm, &node_rank);

  const std::uint64_t netns = net_namespace_inode();
  std::printf("rank %d of %d host %s netns %llu node_ranks %d\n", rank, size, processor,
              static_cast<unsigned long long>(netns), node_size);
  std::fflush(stdout);

  if (rank == kill_rank) std::raise(SIGKILL);

  int failed = 0;

  if (expect_hosts >= 0) {
    std::vector<unsigned long long> inodes(static_cast<std::size_t>(size));
    unsigned long long mine = netns;
    MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, inodes.data(), 1, MPI_UNSIGNED_LONG_LONG,
                  MPI_COMM_WORLD);
    const std::set<unsigned long long> distinct(inodes.begin(), inodes.end());
    // Node groups as Open MPI sees them: count the node-local rank 0s.
    const int leader = node_rank == 0 ? 1 : 0;
    int groups = 0;
    MPI_Allreduce(&leader, &groups, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (static_cast<long>(distinct.size()) != expect_hosts || groups != expect_hosts) {
      if (rank == 0)
        std::fprintf(stderr,
                     "mpi_hello: expected %ld hosts, found %zu network namespaces and %d "
                     "shared-memory node groups\n",
                     expect_hosts, distinct.size(), groups);
      failed = 1;
    }
  }

  std::vector<float> data(static_cast<std::size_t>(count), static_cast<float>(rank + 1));
  const double t0 = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                MPI_COMM_WORLD);
  const double seconds = MPI_Wtime() - t0;
  // Sums of small integers are exact in float, so equality is the right test.
  const float expected = static_cast<float>(size) * static_cast<float>(size + 1) / 2.0f;
  long bad = 0;
  long first_bad = -1;
  for (long i = 0; i < count; ++i) {
    if (data[static_cast<std::size_t>(i)] != expected) {
      if (first_bad < 0) first_bad = i;
      ++bad;
    }
  }
  if (bad != 0) {
    std::fprintf(stderr, "rank %d: allreduce wrong at %ld of %ld elements (first [%ld] = %g, want %g)\n",
                 rank, bad, count, first_bad, static_cast<double>(data[static_cast<std::size_t>(first_bad)]),
                 static_cast<double>(expected));
    failed = 1;
  }
  std::printf("rank %d allreduce %ld floats sum %g %s in %.3f s\n", rank, count,
              static_cast<double>(expected), bad == 0 ? "ok" : "WRONG", seconds);
  std::fflush(stdout);

  // Every rank learns whether any rank failed, so the exit status is consistent.
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Comm_free(&node_comm);
  MPI_Finalize();
  return any_failed != 0 ? 1 : 0;
}
