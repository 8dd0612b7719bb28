// Fiber order: forward, reverse and random really interleave threads (and,
// in random mode, blocks) differently, so an order-dependent (racy) kernel
// shows different results under different orders.
#include <set>
#include <vector>

#include "simt_test_util.h"

using simt_test::DeviceArray;
using simt_test::OrderGuard;

namespace {

// Deliberately racy: every thread writes the same shared word with no
// barrier in between; whoever writes last "wins". Undefined on a GPU, and
// exactly the kind of bug the order switch exists to expose.
__global__ void last_writer_wins(int* out) {
  __shared__ int last;
  last = static_cast<int>(threadIdx.x);
  __syncthreads();
  if (threadIdx.x == 0) out[blockIdx.x] = last;
}

int run_last_writer(cn_simt::Order order, uint64_t seed) {
  cn_simt::set_order(order, seed);
  DeviceArray<int> d(1);
  cn_launch(last_writer_wins, dim3(1), dim3(256), 0, nullptr, d.get());
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  return d.download()[0];
}

TEST(SimtOrder, RacyKernelGivesDifferentResultsUnderDifferentOrders) {
  OrderGuard guard;
  EXPECT_EQ(run_last_writer(cn_simt::Order::Forward, 1), 255);
  EXPECT_EQ(run_last_writer(cn_simt::Order::Reverse, 1), 0);
  std::set<int> random_results;
  for (uint64_t seed = 1; seed <= 8; ++seed) random_results.insert(run_last_writer(cn_simt::Order::Random, seed));
  EXPECT_GE(random_results.size(), 2u) << "8 random seeds all gave the same last writer";
  // The same seed reproduces the same interleaving.
  EXPECT_EQ(run_last_writer(cn_simt::Order::Random, 42), run_last_writer(cn_simt::Order::Random, 42));
}

// Each thread takes a ticket in the order it first runs; each block too.
__global__ void take_tickets(int* counter, int* thread_ticket, int* block_counter, int* block_ticket) {
  thread_ticket[blockIdx.x * blockDim.x + threadIdx.x] = atomicAdd(&counter[blockIdx.x], 1);
  if (threadIdx.x == 0) block_ticket[blockIdx.x] = atomicAdd(block_counter, 1);
}

struct Tickets {
  std::vector<int> threads, blocks;
};

Tickets run_tickets(cn_simt::Order order, uint64_t seed) {
  cn_simt::set_order(order, seed);
  const int blocks = 16, threads = 64;
  DeviceArray<int> counter(blocks), tt(blocks * threads), bc(1), bt(blocks);
  cudaMemset(counter.get(), 0, blocks * sizeof(int));
  cudaMemset(bc.get(), 0, sizeof(int));
  cn_launch(take_tickets, dim3(blocks), dim3(threads), 0, nullptr, counter.get(), tt.get(), bc.get(), bt.get());
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  return Tickets{tt.download(), bt.download()};
}

TEST(SimtOrder, ThreadAndBlockOrderFollowTheSetting) {
  OrderGuard guard;
  const Tickets fwd = run_tickets(cn_simt::Order::Forward, 1);
  const Tickets rev = run_tickets(cn_simt::Order::Reverse, 1);
  const Tickets rnd = run_tickets(cn_simt::Order::Random, 1);
  const int blocks = 16, threads = 64;
  bool random_threads_differ = false, random_blocks_differ = false;
  for (int b = 0; b < blocks; ++b) {
    EXPECT_EQ(fwd.blocks[static_cast<size_t>(b)], b);
    EXPECT_EQ(rev.blocks[static_cast<size_t>(b)], blocks - 1 - b);
    random_blocks_differ |= rnd.blocks[static_cast<size_t>(b)] != b && rnd.blocks[static_cast<size_t>(b)] != blocks - 1 - b;
    std::set<int> seen;
    for (int t = 0; t < threads; ++t) {
      const size_t i = static_cast<size_t>(b * threads + t);
      EXPECT_EQ(fwd.threads[i], t);
      EXPECT_EQ(rev.threads[i], threads - 1 - t);
      random_threads_differ |= rnd.threads[i] != t && rnd.threads[i] != threads - 1 - t;
      seen.insert(rnd.threads[i]);
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(threads)) << "random order must still run every thread once";
  }
  EXPECT_TRUE(random_threads_differ) << "random order ran threads forward or reverse";
  EXPECT_TRUE(random_blocks_differ) << "random order ran blocks forward or reverse";
}

TEST(SimtOrder, EnvironmentSelectsTheOrderCTestAsksFor) {
  // CTest runs this binary three times with CONVNET_SIMT_ORDER set; the
  // process-wide default must be what the environment says.
  const char* env = std::getenv("CONVNET_SIMT_ORDER");
  const std::string expect = env ? env : "forward";
  EXPECT_EQ(std::string(cn_simt::order_name(cn_simt::order())), expect);
}

}  // namespace
