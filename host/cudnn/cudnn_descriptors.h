// host/cudnn/cudnn_descriptors.h: owning wrappers for cuDNN descriptors, and
// the plan-time check (a failed cuDNN call while planning means "fall back to
// the hand-written kernel", not an error). Used by cudnn_backend.cu only.
#pragma once

#include <cudnn.h>

#include <string>

#include "cudnn_check.h"

namespace convnet::cudnn {

// ---- descriptors: created and destroyed in pairs ----------------------------------
template <class T, cudnnStatus_t (*Destroy)(T)>
class Desc {
 public:
  Desc() = default;
  ~Desc() {
    if (d_) Destroy(d_);
  }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  T get() const { return d_; }
  T* out() { return &d_; }

 private:
  T d_ = nullptr;
};
using TensorDesc = Desc<cudnnTensorDescriptor_t, &cudnnDestroyTensorDescriptor>;
using FilterDesc = Desc<cudnnFilterDescriptor_t, &cudnnDestroyFilterDescriptor>;
using ConvDesc = Desc<cudnnConvolutionDescriptor_t, &cudnnDestroyConvolutionDescriptor>;
using PoolDesc = Desc<cudnnPoolingDescriptor_t, &cudnnDestroyPoolingDescriptor>;
using ActDesc = Desc<cudnnActivationDescriptor_t, &cudnnDestroyActivationDescriptor>;

// A cuDNN call at plan time, where a failure is a reason to fall back, not an
// error: records the first failure ("cudnnFoo: CUDNN_STATUS_...") in why.
inline bool plan_ok(cudnnStatus_t s, const char* call_text, std::string& why) {
  if (s == CUDNN_STATUS_SUCCESS) return true;
  if (why.empty()) why = called_function(call_text) + ": " + status_string(s);
  return false;
}
#define CN_CUDNN_PLAN(call, why) plan_ok((call), #call, why)

}  // namespace convnet::cudnn
