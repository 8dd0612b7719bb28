// simt/launch.h -- cn_launch for the host SIMT emulator, and the emulator's
// own controls (cn_simt::...).
//
// A launch runs the grid's blocks one after another on the calling thread.
// Each block's threads are fibers (Boost.Context) on pooled stacks; the
// scheduler resumes them in the configured order and each runs until it
// reaches __syncthreads, a warp operation or its end. Launch configuration
// errors are reported like CUDA's, through cudaGetLastError(). Errors found
// while the kernel runs (barrier divergence, bad warp masks, deadlock, an
// exception out of the kernel) throw cn_simt::SimtError out of cn_launch; the
// message is also kept in cn_simt::last_error_message().
//
// Environment:
//   CONVNET_SIMT_ORDER=forward|reverse|random   fiber (and, if random, block) order
//   CONVNET_SIMT_SEED=<integer>                 seed of the random order (default 1)
//   CONVNET_SIMT_STACK=<bytes>[k|m]             fiber stack size (default 64k; 256k under ASan)
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "simt/device.h"
#include "simt/runtime.h"

namespace cn_simt {

class SimtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Order { Forward, Reverse, Random };

constexpr std::uint64_t kDefaultSeed = 1;

// Overrides CONVNET_SIMT_ORDER / CONVNET_SIMT_SEED for later launches.
void set_order(Order order, std::uint64_t seed = kDefaultSeed);
Order order();
const char* order_name(Order order);

// Message of the last error the emulator found (launch configuration or
// execution); empty when none yet.
std::string last_error_message();

// true (default): execution errors throw SimtError from cn_launch. false: they
// are recorded instead, and cudaGetLastError() returns cudaErrorLaunchFailure.
void set_throw_on_error(bool enabled);

long long allocation_count();     // successful cudaMalloc calls since the process started
long long live_allocations();     // cudaMalloc'd blocks not yet freed
std::size_t live_bytes();         // their total size
long long launch_count();         // kernels launched (configuration accepted)
std::size_t stack_size();         // fiber stack size in bytes

namespace detail {

using KernelThunk = void (*)(const void* packed);

void launch(const void* kernel, dim3 grid, dim3 block, std::size_t smem_bytes, cudaStream_t stream,
            KernelThunk thunk, const void* packed);

// The kernel and its arguments, converted once to the kernel's parameter
// types; every thread calls the kernel with its own copies, as on a GPU.
template <typename Fn, typename Tuple>
struct PackedLaunch {
  Fn fn;
  Tuple args;
  static void run(const void* self) {
    const PackedLaunch* p = static_cast<const PackedLaunch*>(self);
    std::apply(p->fn, p->args);
  }
};

}  // namespace detail
}  // namespace cn_simt

template <typename... KernelArgs, typename... Args>
inline void cn_launch(void (*kernel)(KernelArgs...), dim3 grid, dim3 block, std::size_t smem_bytes,
                      cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(KernelArgs) == sizeof...(Args), "cn_launch: wrong number of kernel arguments");
  using Tuple = std::tuple<std::decay_t<KernelArgs>...>;
  using Packed = cn_simt::detail::PackedLaunch<void (*)(KernelArgs...), Tuple>;
  const Packed packed{kernel, Tuple(std::forward<Args>(args)...)};
  cn_simt::detail::launch(reinterpret_cast<const void*>(kernel), grid, block, smem_bytes, stream,
                          &Packed::run, &packed);
}
