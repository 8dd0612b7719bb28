// simt/internal.h -- what the emulator's own .cpp files share (not for kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "simt/cuda_compat.h"

namespace cn_simt {
namespace detail {

// ---- errors (runtime.cpp) ----
// Sets what cudaGetLastError() returns on this host thread and keeps the
// message for last_error_message().
void set_last_error(cudaError_t error, const std::string& message);
void set_last_message(const std::string& message);
bool throw_on_error();

// ---- device memory bookkeeping (runtime.cpp) ----
// True when [p, p + bytes) lies inside one live cudaMalloc allocation.
bool is_device_range(const void* p, std::size_t bytes);
// Describes where p is relative to the allocations, for error messages.
std::string describe_pointer(const void* p);
bool is_live_stream(cudaStream_t stream);
// The dynamic shared memory a launch of `kernel` may ask for (48 KiB unless
// raised by cudaFuncSetAttribute).
std::size_t dynamic_shared_limit(const void* kernel);

// ---- settings (launch.cpp) ----
struct Settings {
  Order order;
  std::uint64_t seed;
};
Settings current_settings();

// ---- fiber stacks (stacks.cpp) ----
// A pool of fixed-size fiber stacks, one pool per OS thread. A stack is taken
// when a fiber starts and returned when it ends, so a kernel without barriers
// runs every thread on the same warm stack. Each stack has an inaccessible
// guard page below it: an overflow faults instead of corrupting a neighbour.
class StackPool {
 public:
  struct Stack {
    char* bottom;      // lowest usable address
    std::size_t size;  // usable bytes above bottom
  };
  explicit StackPool(std::size_t stack_bytes);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  int acquire();
  void release(int index);
  const Stack& stack(int index) const { return stacks_[static_cast<std::size_t>(index)]; }

 private:
  std::size_t stack_bytes_;
  std::size_t page_bytes_;
  std::vector<Stack> stacks_;
  std::vector<int> free_;
};

// ---- block execution (scheduler.cpp) ----
struct LaunchInfo {
  dim3 grid;
  dim3 block;
  std::size_t smem_bytes;
  KernelThunk thunk;
  const void* packed;
  Order order;
  std::uint64_t seed;
};

// Runs one launch's blocks on the calling OS thread.
class BlockRunner;
BlockRunner& this_thread_runner();
bool runner_busy(const BlockRunner& runner);
void runner_begin_launch(BlockRunner& runner, const LaunchInfo& info);
// Runs block `block_idx` to completion; false (and *error set) when the block
// failed a check or deadlocked.
bool runner_run_block(BlockRunner& runner, uint3 block_idx, std::string* error);
void runner_end_launch(BlockRunner& runner);

}  // namespace detail
}  // namespace cn_simt
