// kernels/gather.cu: assemble a batch from the device-resident data set.
//
//   x[i, :] = images[perm[offset + i], :],  y[i] = labels[perm[offset + i]]   (i < count)
// perm == nullptr means the identity. One grid-stride loop over count *
// image_elems floats; the first `count` indices also copy the labels.
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

__global__ void gather_kernel(const float* images, const int32_t* labels, int64_t image_elems,
                              const int32_t* perm, int64_t offset, int count, float* x,
                              int32_t* y) {
  const int64_t total = int64_t(count) * image_elems;
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = idx / image_elems;
    const int64_t e = idx % image_elems;
    const int64_t src = perm ? int64_t(perm[offset + i]) : offset + i;
    x[idx] = images[src * image_elems + e];
    if (idx < count && y && labels) {
      const int64_t srci = perm ? int64_t(perm[offset + idx]) : offset + idx;
      y[idx] = labels[srci];
    }
  }
}

void gather(const float* images, const int32_t* labels, int64_t image_elems, const int32_t* perm,
            int64_t offset, int count, float* x, int32_t* y, cudaStream_t stream) {
  if (count <= 0) return;
  CONVNET_CHECK(image_elems > 0, "gather: image_elems must be positive, got ", image_elems);
  const int threads = 256;
  cn_launch(gather_kernel, dim3(grid_1d(int64_t(count) * image_elems, threads)), dim3(threads), 0,
            stream, images, labels, image_elems, perm, offset, count, x, y);
  CN_LAUNCH_CHECK("gather count=", count, " image_elems=", image_elems, " offset=", offset);
}

}  // namespace convnet::cuda
