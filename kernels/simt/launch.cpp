// launch.cpp -- cn_launch's host side: check the launch configuration as the
// CUDA runtime does, then run the grid block by block (simt/launch.h).
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "simt/internal.h"

namespace cn_simt {
namespace {

struct Config {
  std::atomic<int> order{static_cast<int>(Order::Forward)};
  std::atomic<std::uint64_t> seed{kDefaultSeed};
  std::atomic<bool> throw_on_error{true};
  std::atomic<long long> launches{0};
  std::atomic<long long> since_seed{0};  // launches since the seed was set: the same seed replays the same orders
  std::size_t stack_bytes = 0;
};

std::size_t parse_size(const char* text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text) return 0;
  if (*end == 'k' || *end == 'K') v <<= 10;
  if (*end == 'm' || *end == 'M') v <<= 20;
  return static_cast<std::size_t>(v);
}

// Read once, on first use: CONVNET_SIMT_ORDER, CONVNET_SIMT_SEED, CONVNET_SIMT_STACK.
Config& config() {
  static Config* c = [] {
    Config* cfg = new Config;
    if (const char* o = std::getenv("CONVNET_SIMT_ORDER")) {
      const std::string s = o;
      if (s == "forward" || s.empty()) {
        cfg->order = static_cast<int>(Order::Forward);
      } else if (s == "reverse") {
        cfg->order = static_cast<int>(Order::Reverse);
      } else if (s == "random") {
        cfg->order = static_cast<int>(Order::Random);
      } else {
        throw SimtError("CONVNET_SIMT_ORDER=" + s + ": expected forward, reverse or random");
      }
    }
    if (const char* sd = std::getenv("CONVNET_SIMT_SEED")) cfg->seed = std::strtoull(sd, nullptr, 10);
#if defined(__SANITIZE_ADDRESS__)
    cfg->stack_bytes = 256 << 10;  // ASan's redzones make every frame larger
#else
    cfg->stack_bytes = 64 << 10;
#endif
    if (const char* st = std::getenv("CONVNET_SIMT_STACK")) {
      const std::size_t b = parse_size(st);
      if (b < (16 << 10)) {
        throw SimtError(std::string("CONVNET_SIMT_STACK=") + st + ": expected a size of at least 16k (e.g. 64k, 1m)");
      }
      cfg->stack_bytes = b;
    }
    return cfg;
  }();
  return *c;
}

std::string dims(dim3 d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

void config_error(cudaError_t err, const std::string& what) {
  detail::set_last_error(err, "SIMT: invalid kernel launch: " + what);
}

}  // namespace

void set_order(Order order, std::uint64_t seed) {
  config().order = static_cast<int>(order);
  config().seed = seed;
  config().since_seed = 0;
}
Order order() { return static_cast<Order>(config().order.load()); }
const char* order_name(Order o) {
  switch (o) {
    case Order::Forward: return "forward";
    case Order::Reverse: return "reverse";
    case Order::Random: return "random";
  }
  return "?";
}
void set_throw_on_error(bool enabled) { config().throw_on_error = enabled; }
long long launch_count() { return config().launches.load(); }
std::size_t stack_size() { return config().stack_bytes; }

namespace detail {

Settings current_settings() { return Settings{order(), config().seed.load()}; }
bool throw_on_error() { return config().throw_on_error.load(); }

void launch(const void* kernel, dim3 grid, dim3 block, std::size_t smem_bytes, cudaStream_t stream,
            KernelThunk thunk, const void* packed) {
  // ---- the checks cudaLaunchKernel makes ----
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (threads == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
    return config_error(cudaErrorInvalidConfiguration,
                        "grid " + dims(grid) + " block " + dims(block) + " has a zero dimension");
  }
  if (block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024) {
    return config_error(cudaErrorInvalidConfiguration,
                        "block " + dims(block) + " = " + std::to_string(threads) +
                            " threads; the limits are 1024 threads per block and (1024,1024,64) per dimension");
  }
  if (grid.x > 2147483647u || grid.y > 65535u || grid.z > 65535u) {
    return config_error(cudaErrorInvalidConfiguration,
                        "grid " + dims(grid) + " exceeds the limits (2^31-1, 65535, 65535)");
  }
  const std::size_t smem_limit = dynamic_shared_limit(kernel);
  if (smem_bytes > smem_limit) {
    return config_error(cudaErrorInvalidValue,
                        std::to_string(smem_bytes) + " bytes of dynamic shared memory; the limit is " +
                            std::to_string(smem_limit) +
                            " (raise it with cudaFuncSetAttribute(kernel, "
                            "cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), up to 227 KiB)");
  }
  if (stream != nullptr && !is_live_stream(stream)) {
    return config_error(cudaErrorInvalidResourceHandle, "the stream is not a live cudaStreamCreate stream");
  }

  BlockRunner& runner = this_thread_runner();
  if (runner_busy(runner)) {
    throw SimtError("SIMT: a kernel launched another kernel (dynamic parallelism is not emulated)");
  }
  config().launches.fetch_add(1);
  const long long launch_index = config().since_seed.fetch_add(1);
  const Settings s = current_settings();
  LaunchInfo info{grid, block, smem_bytes, thunk, packed, s.order, s.seed + 0x51ED27ull * launch_index};
  runner_begin_launch(runner, info);

  // Block order: x fastest, as linear block ids. Random order walks the
  // grid through a random affine permutation k -> (a*k + c) mod G with a
  // coprime to G: every block exactly once, no allocation.
  const unsigned long long G = 1ull * grid.x * grid.y * grid.z;
  unsigned long long a = 1, c = 0;
  if (s.order == Order::Random && G > 1) {
    std::uint64_t r = info.seed * 0x9E3779B97F4A7C15ull + 1;
    auto next = [&r] {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      return r;
    };
    c = next() % G;
    for (;;) {
      a = 1 + next() % (G - 1);
      unsigned long long x = a, y = G;
      while (y) {
        const unsigned long long t = x % y;
        x = y;
        y = t;
      }
      if (x == 1) break;
    }
  }
  std::string error;
  for (unsigned long long k = 0; k < G; ++k) {
    unsigned long long id = k;
    if (s.order == Order::Reverse) id = G - 1 - k;
    if (s.order == Order::Random) id = static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * k + c) % G);
    const uint3 b{static_cast<unsigned>(id % grid.x), static_cast<unsigned>((id / grid.x) % grid.y),
                  static_cast<unsigned>(id / (1ull * grid.x * grid.y))};
    bool ok = false;
    try {
      ok = runner_run_block(runner, b, &error);
    } catch (...) {
      runner_end_launch(runner);
      throw;
    }
    if (!ok) {
      runner_end_launch(runner);
      const std::string message = "SIMT: kernel launch grid " + dims(grid) + " block " + dims(block) +
                                  " smem " + std::to_string(smem_bytes) + " (" + order_name(s.order) +
                                  " order), block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," +
                                  std::to_string(b.z) + "): " + error;
      if (throw_on_error()) {
        set_last_message(message);
        throw SimtError(message);
      }
      set_last_error(cudaErrorLaunchFailure, message);
      return;
    }
  }
  runner_end_launch(runner);
}

}  // namespace detail
}  // namespace cn_simt
