// cuda_compat.h -- the ONE header every kernel and host/cuda source includes.
//
// The same .cu file is compiled two ways:
//   * by nvcc (__CUDACC__ defined): this header pulls in the real CUDA runtime
//     and cuBLAS, and the portable helpers below map straight onto CUDA;
//   * by g++ with CONVNET_SIMT defined: it pulls in the host SIMT emulator
//     (kernels/simt/*.h), which runs every CUDA thread as a fiber on the CPU so
//     kernels are tested on machines without a GPU.
//
// Portable helpers (same spelling in both modes, so kernel files never #ifdef):
//   CN_DYNAMIC_SHARED(T, name);   declares `T* name` pointing at the launch's
//                                 dynamic shared memory (smem_bytes of cn_launch)
//   cn_launch(kernel, grid, block, smem_bytes, stream, args...);
//                                 launches __global__ void kernel(...). Returns
//                                 nothing: launch errors come back through
//                                 cudaGetLastError(), as with <<<>>>.
#pragma once

#if defined(__CUDACC__)

#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <utility>

// All extern __shared__ arrays of a kernel alias the same dynamic block of
// shared memory; 16-byte alignment covers float4/double2 accesses.
#define CN_DYNAMIC_SHARED(T, name)                                              \
  extern __shared__ __align__(16) unsigned char cn_dynamic_shared_raw[];        \
  T* name = reinterpret_cast<T*>(cn_dynamic_shared_raw)

template <typename... KernelArgs, typename... Args>
inline void cn_launch(void (*kernel)(KernelArgs...), dim3 grid, dim3 block, size_t smem_bytes,
                      cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(KernelArgs) == sizeof...(Args), "cn_launch: wrong number of kernel arguments");
  kernel<<<grid, block, smem_bytes, stream>>>(std::forward<Args>(args)...);
}

#elif defined(CONVNET_SIMT)

#include "simt/device.h"   // qualifiers, dim3, threadIdx..., barriers, warp ops, atomics, math
#include "simt/runtime.h"  // cudaMalloc, cudaMemcpy, streams, events, device properties
#include "simt/cublas.h"   // cublasSgemm and friends on top of a host BLAS
#include "simt/launch.h"   // cn_launch: runs a grid of fibers

#define CN_DYNAMIC_SHARED(T, name) T* name = ::cn_simt::detail::dynamic_shared<T>()

#else
#error "simt/cuda_compat.h: compile with nvcc, or with a host compiler and -DCONVNET_SIMT=1 (the emulator)"
#endif
