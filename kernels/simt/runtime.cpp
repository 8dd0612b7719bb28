// runtime.cpp -- the CUDA runtime stand-ins of simt/runtime.h.
//
// "Device" memory is host memory from aligned_alloc, tracked in an ordered map
// (start -> size) so every copy, memset and cuBLAS call can be checked to lie
// inside one allocation.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "simt/internal.h"

struct CUevent_st {
  bool recorded = false;
  std::chrono::steady_clock::time_point when;
};
struct CUstream_st {
  int flags = 0;
};

namespace cn_simt {
namespace {

constexpr std::size_t kSharedPerBlock = 48 << 10;       // without opt-in, as on every GPU since Kepler
constexpr std::size_t kSharedPerBlockOptin = 227 << 10;  // Hopper's opt-in maximum
constexpr std::size_t kTotalMemory = 16ull << 30;        // what cudaMemGetInfo reports as the device size

struct Memory {
  std::mutex mu;
  std::map<std::uintptr_t, std::size_t> blocks;  // device allocations: start -> bytes
  std::set<const void*> host_blocks;             // cudaMallocHost allocations
  std::set<const void*> streams;
  std::set<const void*> events;
  std::unordered_map<const void*, std::size_t> smem_limits;  // kernel -> max dynamic shared bytes
  std::size_t live_bytes = 0;
  std::atomic<long long> allocations{0};
  std::string last_message;
};

Memory& memory() {
  static Memory* m = new Memory;  // never destroyed: static destructors may still free
  return *m;
}

thread_local cudaError_t t_last_error = cudaSuccess;

cudaError_t fail(cudaError_t err, const std::string& message) {
  detail::set_last_error(err, "SIMT: " + message);
  return err;
}

// The allocation containing p (caller holds the lock); end() if none.
std::map<std::uintptr_t, std::size_t>::const_iterator find_block(const Memory& m, const void* p) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  auto it = m.blocks.upper_bound(a);
  if (it == m.blocks.begin()) return m.blocks.end();
  --it;
  if (a >= it->first && a < it->first + it->second) return it;
  return m.blocks.end();
}

bool inside_locked(const Memory& m, const void* p, std::size_t bytes) {
  auto it = find_block(m, p);
  if (it == m.blocks.end()) return false;
  return reinterpret_cast<std::uintptr_t>(p) + bytes <= it->first + it->second;
}

}  // namespace

long long allocation_count() { return memory().allocations.load(); }
long long live_allocations() {
  std::lock_guard<std::mutex> lock(memory().mu);
  return static_cast<long long>(memory().blocks.size());
}
std::size_t live_bytes() {
  std::lock_guard<std::mutex> lock(memory().mu);
  return memory().live_bytes;
}
std::string last_error_message() {
  std::lock_guard<std::mutex> lock(memory().mu);
  return memory().last_message;
}

namespace detail {

void set_last_message(const std::string& message) {
  std::lock_guard<std::mutex> lock(memory().mu);
  memory().last_message = message;
}

void set_last_error(cudaError_t error, const std::string& message) {
  t_last_error = error;
  set_last_message(message);
}

bool is_device_range(const void* p, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(memory().mu);
  return inside_locked(memory(), p, bytes);
}

std::string describe_pointer(const void* p) {
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mu);
  auto it = find_block(m, p);
  char buf[160];
  if (it == m.blocks.end()) {
    std::snprintf(buf, sizeof buf, "%p is not inside any live cudaMalloc allocation", p);
  } else {
    std::snprintf(buf, sizeof buf, "%p is byte %zu of a %zu-byte cudaMalloc allocation", p,
                  static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(p) - it->first), it->second);
  }
  return buf;
}

bool is_live_stream(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(memory().mu);
  return memory().streams.count(stream) != 0;
}

std::size_t dynamic_shared_limit(const void* kernel) {
  std::lock_guard<std::mutex> lock(memory().mu);
  auto it = memory().smem_limits.find(kernel);
  return it == memory().smem_limits.end() ? kSharedPerBlock : it->second;
}

cudaError_t func_set_attribute(const void* func, cudaFuncAttribute attr, int value) {
  if (func == nullptr) return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: null function");
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || static_cast<std::size_t>(value) > kSharedPerBlockOptin) {
      return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: MaxDynamicSharedMemorySize " +
                                             std::to_string(value) + " is outside [0, 227 KiB]");
    }
    std::lock_guard<std::mutex> lock(memory().mu);
    memory().smem_limits[func] = static_cast<std::size_t>(value);
    return cudaSuccess;
  }
  if (attr == cudaFuncAttributePreferredSharedMemoryCarveout) {
    if (value < -1 || value > 100) {
      return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: carveout " + std::to_string(value) +
                                             " is outside [-1, 100]");
    }
    return cudaSuccess;  // a performance hint: nothing to emulate
  }
  return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: unknown attribute " + std::to_string(attr));
}

}  // namespace detail
}  // namespace cn_simt

using cn_simt::fail;
using cn_simt::memory;

// ---- errors ----------------------------------------------------------------------

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNotSupported: return "cudaErrorNotSupported";
    case cudaErrorUnknown: return "cudaErrorUnknown";
  }
  return "unrecognized error code";
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInitializationError: return "initialization error";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNotSupported: return "operation not supported";
    case cudaErrorUnknown: return "unknown error";
  }
  return "unrecognized error code";
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = cn_simt::t_last_error;
  cn_simt::t_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return cn_simt::t_last_error; }

// ---- memory ----------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc: null output pointer");
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;  // as CUDA: success, null pointer
  // 256-byte aligned like cudaMalloc. Sized exactly (aligned_alloc wants a
  // multiple of the alignment, malloc-family under ASan does not care) so
  // ASan's redzone starts right at the end of the allocation.
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes) != 0 || p == nullptr) {
    return fail(cudaErrorMemoryAllocation, "cudaMalloc: cannot allocate " + std::to_string(bytes) + " bytes");
  }
  std::memset(p, 0xFF, bytes);  // uninitialized on a GPU: make reads of it visible (NaN)
  {
    std::lock_guard<std::mutex> lock(memory().mu);
    memory().blocks[reinterpret_cast<std::uintptr_t>(p)] = bytes;
    memory().live_bytes += bytes;
  }
  memory().allocations.fetch_add(1);
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  {
    std::lock_guard<std::mutex> lock(memory().mu);
    auto it = memory().blocks.find(reinterpret_cast<std::uintptr_t>(ptr));
    if (it != memory().blocks.end()) {
      memory().live_bytes -= it->second;
      memory().blocks.erase(it);
      std::free(ptr);
      return cudaSuccess;
    }
  }
  return fail(cudaErrorInvalidValue, "cudaFree: " + cn_simt::detail::describe_pointer(ptr) +
                                         " (not a pointer cudaMalloc returned, or already freed)");
}

cudaError_t cudaMallocHost(void** ptr, size_t bytes) {
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMallocHost: null output pointer");
  *ptr = std::malloc(bytes ? bytes : 1);
  if (*ptr == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMallocHost: out of memory");
  std::lock_guard<std::mutex> lock(memory().mu);
  memory().host_blocks.insert(*ptr);
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(memory().mu);
  if (memory().host_blocks.erase(ptr) == 0) {
    cn_simt::t_last_error = cudaErrorInvalidValue;
    memory().last_message = "SIMT: cudaFreeHost: not a cudaMallocHost pointer";
    return cudaErrorInvalidValue;
  }
  std::free(ptr);
  return cudaSuccess;
}

namespace {

// Checks one side of a copy. `device` says which side the kind claims.
cudaError_t check_side(const char* api, const char* side, const void* p, size_t count, bool device) {
  const bool is_dev = cn_simt::detail::is_device_range(p, 1);
  if (device && !cn_simt::detail::is_device_range(p, count)) {
    return fail(cudaErrorInvalidValue, std::string(api) + ": " + side + " should be " + std::to_string(count) +
                                           " bytes of device memory, but " +
                                           cn_simt::detail::describe_pointer(p));
  }
  if (!device && is_dev) {
    return fail(cudaErrorInvalidValue, std::string(api) + ": " + side +
                                           " should be host memory but is a cudaMalloc pointer (wrong "
                                           "cudaMemcpyKind?)");
  }
  return cudaSuccess;
}

cudaError_t copy(const char* api, void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return fail(cudaErrorInvalidValue, std::string(api) + ": null pointer");
  bool dst_dev = false, src_dev = false;
  switch (kind) {
    case cudaMemcpyHostToHost: break;
    case cudaMemcpyHostToDevice: dst_dev = true; break;
    case cudaMemcpyDeviceToHost: src_dev = true; break;
    case cudaMemcpyDeviceToDevice: dst_dev = src_dev = true; break;
    case cudaMemcpyDefault:
      // Unified addressing: the pointers say where they live.
      dst_dev = cn_simt::detail::is_device_range(dst, 1);
      src_dev = cn_simt::detail::is_device_range(src, 1);
      break;
    default:
      return fail(cudaErrorInvalidMemcpyDirection,
                  std::string(api) + ": cudaMemcpyKind " + std::to_string(static_cast<int>(kind)) + " is not valid");
  }
  cudaError_t e = check_side(api, "destination", dst, count, dst_dev);
  if (e == cudaSuccess) e = check_side(api, "source", src, count, src_dev);
  if (e != cudaSuccess) return e;
  std::memmove(dst, src, count);
  return cudaSuccess;
}

cudaError_t check_stream(const char* api, cudaStream_t stream) {
  if (stream != nullptr && !cn_simt::detail::is_live_stream(stream)) {
    return fail(cudaErrorInvalidResourceHandle, std::string(api) + ": not a live stream");
  }
  return cudaSuccess;
}

cudaError_t set(const char* api, void* ptr, int value, size_t count) {
  if (count == 0) return cudaSuccess;
  if (!cn_simt::detail::is_device_range(ptr, count)) {
    return fail(cudaErrorInvalidValue, std::string(api) + ": " + std::to_string(count) +
                                           " bytes from a pointer where " + cn_simt::detail::describe_pointer(ptr));
  }
  std::memset(ptr, value, count);
  return cudaSuccess;
}

}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  return copy("cudaMemcpy", dst, src, count, kind);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  const cudaError_t e = check_stream("cudaMemcpyAsync", stream);
  return e != cudaSuccess ? e : copy("cudaMemcpyAsync", dst, src, count, kind);
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) { return set("cudaMemset", ptr, value, count); }

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  const cudaError_t e = check_stream("cudaMemsetAsync", stream);
  return e != cudaSuccess ? e : set("cudaMemsetAsync", ptr, value, count);
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  if (free_bytes == nullptr || total_bytes == nullptr) return fail(cudaErrorInvalidValue, "cudaMemGetInfo: null pointer");
  const size_t used = cn_simt::live_bytes();
  *total_bytes = cn_simt::kTotalMemory;
  *free_bytes = used < cn_simt::kTotalMemory ? cn_simt::kTotalMemory - used : 0;
  return cudaSuccess;
}

// ---- streams and events -------------------------------------------------------------
// Work runs when it is issued, so every stream is always idle.

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  if (stream == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamCreate: null output pointer");
  *stream = new CUstream_st{static_cast<int>(flags)};
  std::lock_guard<std::mutex> lock(memory().mu);
  memory().streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(memory().mu);
    if (stream != nullptr && memory().streams.erase(stream) == 1) {
      delete stream;
      return cudaSuccess;
    }
  }
  return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: not a live stream");
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return check_stream("cudaStreamSynchronize", stream); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  (void)flags;
  if (event == nullptr) return fail(cudaErrorInvalidValue, "cudaEventCreate: null output pointer");
  *event = new CUevent_st{};
  std::lock_guard<std::mutex> lock(memory().mu);
  memory().events.insert(*event);
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }

namespace {
bool live_event(cudaEvent_t e) {
  std::lock_guard<std::mutex> lock(memory().mu);
  return e != nullptr && memory().events.count(e) != 0;
}
}  // namespace

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  {
    std::lock_guard<std::mutex> lock(memory().mu);
    if (event != nullptr && memory().events.erase(event) == 1) {
      delete event;
      return cudaSuccess;
    }
  }
  return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy: not a live event");
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!live_event(event)) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: not a live event");
  const cudaError_t e = check_stream("cudaEventRecord", stream);
  if (e != cudaSuccess) return e;
  event->recorded = true;
  event->when = std::chrono::steady_clock::now();
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!live_event(event)) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: not a live event");
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!live_event(event)) return fail(cudaErrorInvalidResourceHandle, "cudaEventQuery: not a live event");
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (ms == nullptr) return fail(cudaErrorInvalidValue, "cudaEventElapsedTime: null output pointer");
  if (!live_event(start) || !live_event(end)) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: not a live event");
  }
  if (!start->recorded || !end->recorded) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event has not been recorded");
  }
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}

// ---- device ------------------------------------------------------------------------

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: null pointer");
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice, "cudaSetDevice(" + std::to_string(device) + "): the emulator has device 0 only");
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDevice: null pointer");
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: null pointer");
  if (device != 0) return fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties: the emulator has device 0 only");
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "SIMT emulator");
  prop->totalGlobalMem = cn_simt::kTotalMemory;
  prop->sharedMemPerBlock = cn_simt::kSharedPerBlock;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->memPitch = 2147483647;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = 1024, prop->maxThreadsDim[1] = 1024, prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647, prop->maxGridSize[1] = 65535, prop->maxGridSize[2] = 65535;
  prop->totalConstMem = 65536;
  prop->major = 9;  // reports sm_90, the architecture the real build targets
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->concurrentKernels = 0;
  prop->unifiedAddressing = 1;
  prop->memoryBusWidth = 64;
  prop->l2CacheSize = 1 << 20;
  prop->maxThreadsPerMultiProcessor = 2048;
  prop->sharedMemPerMultiprocessor = 228 << 10;
  prop->regsPerMultiprocessor = 65536;
  prop->sharedMemPerBlockOptin = cn_simt::kSharedPerBlockOptin;
  prop->maxBlocksPerMultiProcessor = 32;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (version == nullptr) return fail(cudaErrorInvalidValue, "cudaDriverGetVersion: null pointer");
  *version = 13000;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  if (version == nullptr) return fail(cudaErrorInvalidValue, "cudaRuntimeGetVersion: null pointer");
  *version = 13000;
  return cudaSuccess;
}
