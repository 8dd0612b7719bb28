// host/cudnn/cudnn_backend.cu: the optional cuDNN backend.
//
// CudnnBackend derives from the hand-written CUDA backend
// (host/cuda/cuda_backend_impl.h) and so shares its stream, device memory,
// data pipeline, cuBLAS linear layer, softmax-CE and SGD. It overrides
// convolution, max pooling and ReLU (docs/cudnn.md):
//
//   conv forward         cudnnConvolutionForward (+ cudnnAddTensor for the bias)
//   conv backward data   cudnnConvolutionBackwardData
//   conv backward filter cudnnConvolutionBackwardFilter + cudnnConvolutionBackwardBias
//   max pool forward     cudnnPoolingForward (+ our argmax kernel when a caller asks for argmax)
//   max pool backward    cudnnPoolingBackward from x, y, dy (the Network keeps x and y
//                        alive: plan_maxpool2d); given argmax instead, our kernel
//   relu forward/back    cudnnActivationForward / cudnnActivationBackward
//
// Choices are made once per shape, at plan time (plan_conv2d and
// conv2d_workspace_bytes, which the Network calls per layer): descriptors,
// and for convolutions the algorithm of each of the three ops, from cuDNN's
// heuristics (cudnnGet*Algorithm_v7), restricted to FMA math (float32 stays
// float32: no TF32), to deterministic algorithms under
// BackendOptions::deterministic, and to a workspace of at most
// kMaxAlgoWorkspace. conv2d_workspace_bytes returns the largest workspace
// the chosen algorithms need, so the planner's one buffer fits them all;
// nothing is allocated per call. A shape first seen at an op call (a smaller
// last batch, tests) is planned then, within the workspace its planned
// sibling guaranteed.
//
// Where cuDNN refuses a shape (descriptor setup fails, or no algorithm
// qualifies) that op runs the parent's hand-written kernel instead, and one
// line on stderr names the layer, the op, the shape and the reason.
// CONVNET_CUDNN_DISABLE=op[,op...] forces the same fallback (tests, A/B runs).
//
// Every cuDNN status is checked: at plan time a failure means "fall back";
// at run time it throws convnet::Error naming the op, the layer, the shape
// and cuDNN's error string (cudnn_check.h).
//
// Deprecation: cuDNN 9 marks this whole "legacy" API (convolution, pooling,
// activation descriptors and calls) deprecated in favour of the graph API,
// but keeps it supported for the 9.x series. Its headers only attach the
// deprecation attributes when CUDNN_WARN_DEPRECATED is defined, which this
// build does not do. Should a build define it, the host compiler's pass would
// warn at every use (nvcc's own front end does not); this pragma keeps this
// translation unit, the only user of the API, warning-free.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "convnet/cudnn_backend.h"
#include "convnet/error.h"
#include "cuda_backend_impl.h"
#include "cuda_check.h"
#include "cudnn_algorithms.h"
#include "cudnn_check.h"
#include "cudnn_descriptors.h"
#include "kernels.h"

namespace convnet {

namespace cudnn {
namespace {

using cuda::concat;
using cuda::shape_str;

// The most workspace one algorithm may ask for. LeNet-5's choices need a few
// MiB at most; this only keeps a heuristic's favourite from claiming memory
// the rest of the run needs.
constexpr size_t kMaxAlgoWorkspace = size_t(256) << 20;

const float kOne = 1.0f;
const float kZero = 0.0f;

std::string version_string(size_t v) {  // cuDNN 9: major*10000 + minor*100 + patch
  return concat(v / 10000, ".", (v % 10000) / 100, ".", v % 100);
}

// ---- per-shape plans ------------------------------------------------------------------
enum ConvPass { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };
const char* const kConvOpNames[] = {"conv2d_forward", "conv2d_backward_data",
                                    "conv2d_backward_weights"};
const char* const kConvOpKeys[] = {"forward", "backward_data", "backward_filter"};

struct ConvPlan {
  Conv2dParams p;
  std::string label;     // the layer's name(s); empty for a direct op call
  bool planned = false;  // sized by the planner (conv2d_workspace_bytes / plan_conv2d)
  size_t ws_limit = 0;   // bytes the caller's workspace is known to hold
  size_t ws_bytes = 0;   // what conv2d_workspace_bytes reports for this shape
  size_t parent_ws = 0;  // the hand-written weight gradient's workspace (when it falls back)
  TensorDesc x, y, bias;
  FilterDesc w;
  ConvDesc conv;
  OpChoice op[3];
};

struct PoolPlan {
  Pool2dParams p;
  std::string label;
  bool ok = false;
  std::string why;
  TensorDesc x, y;
  PoolDesc pool;
};

struct ReluPlan {
  int64_t n = 0;
  std::string label;
  bool ok = false;
  std::string why;
  TensorDesc t;
};

using ConvKey = std::array<int, 14>;
ConvKey conv_key(const Conv2dParams& p) {
  return {p.N, p.C_in, p.H, p.W, p.C_out, p.KH, p.KW, p.pad_h, p.pad_w,
          p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.has_bias ? 1 : 0};
}
using PoolKey = std::array<int, 10>;
PoolKey pool_key(const Pool2dParams& p) {
  return {p.N, p.C, p.H, p.W, p.KH, p.KW, p.stride_h, p.stride_w, p.pad_h, p.pad_w};
}
// Same shape apart from the batch size.
template <class Key>
bool same_but_batch(const Key& a, const Key& b) {
  return std::equal(a.begin() + 1, a.end(), b.begin() + 1);
}

void add_label(std::string& labels, const std::string& label) {
  if (label.empty()) return;
  if (labels.empty()) {
    labels = label;
    return;
  }
  std::istringstream in(labels);
  for (std::string part; std::getline(in, part, '+');)
    if (part == label) return;
  labels += "+" + label;
}

std::string layer_words(const std::string& label) {
  return label.empty() ? std::string("a shape no layer planned") : "layer " + label;
}

// CONVNET_CUDNN_DISABLE: ops that must not use cuDNN (the fallback, forced).
std::set<std::string> parse_disable(const char* env) {
  static const std::set<std::string> known = {
      "conv2d_forward", "conv2d_backward_data", "conv2d_backward_weights", "maxpool2d", "relu"};
  std::set<std::string> out;
  if (!env) return out;
  std::istringstream in(env);
  for (std::string tok; std::getline(in, tok, ',');) {
    tok.erase(0, tok.find_first_not_of(" \t"));
    tok.erase(tok.find_last_not_of(" \t") + 1);
    if (tok.empty()) continue;
    if (tok == "all") {
      out = known;
    } else if (tok == "conv2d") {
      out.insert({"conv2d_forward", "conv2d_backward_data", "conv2d_backward_weights"});
    } else {
      CONVNET_CHECK(known.count(tok), "CONVNET_CUDNN_DISABLE: unknown op '", tok,
                    "' (expected a comma-separated list of conv2d_forward, conv2d_backward_data, "
                    "conv2d_backward_weights, conv2d, maxpool2d, relu or all)");
      out.insert(tok);
    }
  }
  return out;
}

// ---- the backend --------------------------------------------------------------------
class CudnnBackend final : public cuda::CudaBackend {
 public:
  explicit CudnnBackend(const BackendOptions& opt)
      : CudaBackend(opt, ConvVariant::Auto),
        deterministic_(opt.deterministic),
        disabled_(parse_disable(std::getenv("CONVNET_CUDNN_DISABLE"))) {
    version_ = cudnnGetVersion();
    CONVNET_CHECK(version_ >= 90000 && version_ < 100000, "cudnn backend: the loaded libcudnn is ",
                  version_string(version_), " (cudnnGetVersion() = ", version_,
                  "), but this build needs cuDNN 9 (built with ", CUDNN_MAJOR, ".", CUDNN_MINOR, ".",
                  CUDNN_PATCHLEVEL, " headers); put a cuDNN 9 library first on LD_LIBRARY_PATH");
    try {
      CN_CUDNN_CHECK(cudnnCreate(&handle_), "cudnn backend: cudnnCreate (device ", device(), ", ",
                     props().name, ")");
      CN_CUDNN_CHECK(cudnnSetStream(handle_, stream()), "cudnn backend: cudnnSetStream");
      CN_CUDNN_CHECK(cudnnCreateActivationDescriptor(relu_.out()), "cudnn backend: relu descriptor");
      // ReLU with NaN -> 0 like the other backends (x > 0 ? x : 0 is 0 for NaN).
      CN_CUDNN_CHECK(cudnnSetActivationDescriptor(relu_.get(), CUDNN_ACTIVATION_RELU,
                                                  CUDNN_NOT_PROPAGATE_NAN, 0.0),
                     "cudnn backend: relu descriptor");
    } catch (...) {
      if (handle_) cudnnDestroy(handle_);
      handle_ = nullptr;
      throw;
    }
    std::fprintf(stderr,
                 "cudnn backend: cuDNN %s (cudnnGetVersion() = %zu; built with %d.%d.%d headers) on "
                 "%s; convolutions in CUDNN_FMA_MATH (float32, no TF32); %s algorithms from cuDNN's "
                 "heuristics, chosen once per shape%s%s\n",
                 version_string(version_).c_str(), version_, CUDNN_MAJOR, CUDNN_MINOR,
                 CUDNN_PATCHLEVEL, props().name, deterministic_ ? "deterministic" : "any",
                 disabled_.empty() ? "" : "; CONVNET_CUDNN_DISABLE=",
                 disabled_.empty() ? "" : std::getenv("CONVNET_CUDNN_DISABLE"));
  }

  ~CudnnBackend() override {
    cudaStreamSynchronize(stream());  // errors ignored: a destructor must not throw
    conv_.clear();
    pool_.clear();
    relu_plans_.clear();
    if (handle_) cudnnDestroy(handle_);
  }

  BackendKind kind() const override { return BackendKind::Cudnn; }
  std::string name() const override { return "cudnn"; }

  std::map<std::string, std::string> provenance() const override {
    std::map<std::string, std::string> m = CudaBackend::provenance();
    m["backend"] = "cudnn";
    m["cudnn_version"] = version_string(version_);
    m["cudnn_version_number"] = std::to_string(version_);
    m["cudnn_header_version"] = concat(CUDNN_MAJOR, ".", CUDNN_MINOR, ".", CUDNN_PATCHLEVEL);
    m["cudnn_math_mode"] = "CUDNN_FMA_MATH";
    m["cudnn_deterministic"] = deterministic_ ? "yes" : "no";
    m["cudnn_algo_selection"] = concat("cudnnGet*Algorithm_v7 heuristics, once per shape; workspace <= ",
                                       kMaxAlgoWorkspace, " B per algorithm");
    m["cudnn_pool_mode"] = pool_mode_name();
    if (!disabled_.empty()) {
      std::string d;
      for (const std::string& s : disabled_) d += (d.empty() ? "" : ",") + s;
      m["cudnn_disabled_ops"] = d;
    }
    for (const auto& [key, c] : conv_) {
      const std::string who = plan_name(c->label, c->planned, c->p.N, "conv[" + shape_str(c->p) + "]");
      for (int op = 0; op < 3; ++op) {
        const OpChoice& o = c->op[op];
        m["cudnn_algo." + who + "." + kConvOpKeys[op]] =
            o.use_cudnn ? concat(o.algo_name, " (", o.deterministic ? "deterministic" : "non-deterministic",
                                 ", workspace ", o.ws, " B)")
                        : "hand-written kernel (" + o.why + ")";
      }
    }
    for (const auto& [key, pp] : pool_)
      if (!pp->ok)
        m["cudnn_fallback." + plan_name(pp->label, true, pp->p.N, "pool[" + shape_str(pp->p) + "]") +
          ".maxpool2d"] = pp->why;
    for (const auto& [n, rp] : relu_plans_)
      if (!rp->ok) m["cudnn_fallback." + plan_name(rp->label, true, n, concat("relu[n=", n, "]")) + ".relu"] = rp->why;
    return m;
  }

  CudnnConvAlgorithms algorithms(const Conv2dParams& p) {
    check_conv_shape("cudnn_conv_algorithms", p);
    const ConvPlan& c = conv_plan(p, /*planned=*/true, "");
    auto name = [&](ConvPass op) { return std::string(c.op[op].use_cudnn ? c.op[op].algo_name : ""); };
    return {name(kForward), name(kBackwardData), name(kBackwardFilter)};
  }

  // ---- plan-time hooks --------------------------------------------------------------
  void plan_conv2d(const std::string& layer, const Conv2dParams& p) override {
    check_conv_shape("plan_conv2d", p);
    conv_plan(p, /*planned=*/true, layer);
  }
  bool plan_maxpool2d(const std::string& layer, const Pool2dParams& p) override {
    check_pool_shape("plan_maxpool2d", p);
    return pool_plan(p, layer).ok;
  }
  void plan_relu(const std::string& layer, int64_t n) override {
    if (n > 0) relu_plan(n, layer);
  }

  // ---- conv ---------------------------------------------------------------------------
  size_t conv2d_workspace_bytes(const Conv2dParams& p) override {
    check_conv_shape("conv2d_workspace_bytes", p);
    return conv_plan(p, /*planned=*/true, "").ws_bytes;
  }

  void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* b,
                      float* y, void* ws) override {
    check_conv_shape("conv2d_forward", p);
    CONVNET_CHECK(!p.has_bias || b, "conv2d_forward ", shape_str(p), ": has_bias but no bias");
    ConvPlan& c = conv_plan(p, false, "");
    const OpChoice& o = c.op[kForward];
    if (!o.use_cudnn) return CudaBackend::conv2d_forward(p, x, w, b, y, ws);
    require_workspace(c, kForward, ws);
    CN_CUDNN_CHECK(cudnnConvolutionForward(handle_, &kOne, c.x.get(), x, c.w.get(), w, c.conv.get(),
                                           cudnnConvolutionFwdAlgo_t(o.algo), o.ws ? ws : nullptr,
                                           o.ws, &kZero, c.y.get(), y),
                   "conv2d_forward (cuDNN ", o.algo_name, ") ", where(c));
    if (p.has_bias)
      CN_CUDNN_CHECK(cudnnAddTensor(handle_, &kOne, c.bias.get(), b, &kOne, c.y.get(), y),
                     "conv2d_forward (cuDNN bias) ", where(c));
  }

  void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                            void* ws) override {
    check_conv_shape("conv2d_backward_data", p);
    ConvPlan& c = conv_plan(p, false, "");
    const OpChoice& o = c.op[kBackwardData];
    if (!o.use_cudnn) return CudaBackend::conv2d_backward_data(p, dy, w, dx, ws);
    require_workspace(c, kBackwardData, ws);
    CN_CUDNN_CHECK(cudnnConvolutionBackwardData(handle_, &kOne, c.w.get(), w, c.y.get(), dy,
                                                c.conv.get(), cudnnConvolutionBwdDataAlgo_t(o.algo),
                                                o.ws ? ws : nullptr, o.ws, &kZero, c.x.get(), dx),
                   "conv2d_backward_data (cuDNN ", o.algo_name, ") ", where(c));
  }

  void conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                               float* db, void* ws) override {
    check_conv_shape("conv2d_backward_weights", p);
    CONVNET_CHECK(!p.has_bias || db, "conv2d_backward_weights ", shape_str(p), ": has_bias but no db");
    ConvPlan& c = conv_plan(p, false, "");
    const OpChoice& o = c.op[kBackwardFilter];
    if (!o.use_cudnn) {
      // The hand-written weight gradient uses the workspace only when it is
      // known to be large enough; without one it runs its direct variant.
      return CudaBackend::conv2d_backward_weights(p, x, dy, dw, db,
                                                  c.parent_ws <= c.ws_limit ? ws : nullptr);
    }
    require_workspace(c, kBackwardFilter, ws);
    CN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle_, &kOne, c.x.get(), x, c.y.get(), dy,
                                                  c.conv.get(), cudnnConvolutionBwdFilterAlgo_t(o.algo),
                                                  o.ws ? ws : nullptr, o.ws, &kZero, c.w.get(), dw),
                   "conv2d_backward_weights (cuDNN ", o.algo_name, ") ", where(c));
    if (p.has_bias)
      CN_CUDNN_CHECK(cudnnConvolutionBackwardBias(handle_, &kOne, c.y.get(), dy, &kZero, c.bias.get(), db),
                     "conv2d_backward_weights (cuDNN bias gradient) ", where(c));
  }

  // ---- max pool ---------------------------------------------------------------------
  void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax) override {
    check_pool_shape("maxpool2d_forward", p);
    PoolPlan& pp = pool_plan(p, "");
    if (!pp.ok) {
      CONVNET_CHECK(argmax, "maxpool2d_forward ", where(pp), ": cuDNN refused this shape (", pp.why,
                    ") and the hand-written fallback needs an argmax buffer, but none was planned");
      return CudaBackend::maxpool2d_forward(p, x, y, argmax);
    }
    CN_CUDNN_CHECK(cudnnPoolingForward(handle_, pp.pool.get(), &kOne, pp.x.get(), x, &kZero,
                                       pp.y.get(), y),
                   "maxpool2d_forward (cuDNN) ", where(pp));
    // cuDNN has no argmax output; a caller that wants one (the bench, the
    // argmax backward below) gets it from x and y by our first-max rule.
    if (argmax) cuda::maxpool2d_argmax_from_output(p, x, y, argmax, stream());
  }

  // Given argmax (no x, y): cuDNN has no backward from indices, so this is
  // the hand-written kernel, whoever produced the argmax.
  void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax,
                          float* dx) override {
    CudaBackend::maxpool2d_backward(p, dy, argmax, dx);
  }

  void maxpool2d_backward_from_xy(const Pool2dParams& p, const float* x, const float* y,
                                  const float* dy, float* dx) override {
    check_pool_shape("maxpool2d_backward_from_xy", p);
    PoolPlan& pp = pool_plan(p, "");
    CONVNET_CHECK(pp.ok, "maxpool2d_backward_from_xy ", where(pp), ": cuDNN refused this shape (", pp.why,
                  "), and without argmax there is no fallback");
    CN_CUDNN_CHECK(cudnnPoolingBackward(handle_, pp.pool.get(), &kOne, pp.y.get(), y, pp.y.get(), dy,
                                        pp.x.get(), x, &kZero, pp.x.get(), dx),
                   "maxpool2d_backward (cuDNN) ", where(pp));
  }

  // ---- relu ---------------------------------------------------------------------------
  void relu_forward(int64_t n, const float* x, float* y) override {
    if (n <= 0) return;
    ReluPlan& r = relu_plan(n, "");
    if (!r.ok) return CudaBackend::relu_forward(n, x, y);
    CN_CUDNN_CHECK(cudnnActivationForward(handle_, relu_.get(), &kOne, r.t.get(), x, &kZero, r.t.get(), y),
                   "relu_forward (cuDNN) ", layer_words(r.label), " n=", n);
  }

  // Our interface hands the backward the forward OUTPUT y, not x. For ReLU
  // that is enough: y > 0 exactly where x > 0, so y is passed as cuDNN's x
  // too (as frameworks with in-place ReLU do). The gradient at exactly 0 is
  // 0, as on the other backends (tests/gpu/test_cudnn.cpp checks it).
  void relu_backward(int64_t n, const float* y, const float* dy, float* dx) override {
    if (n <= 0) return;
    ReluPlan& r = relu_plan(n, "");
    if (!r.ok) return CudaBackend::relu_backward(n, y, dy, dx);
    CN_CUDNN_CHECK(cudnnActivationBackward(handle_, relu_.get(), &kOne, r.t.get(), y, r.t.get(), dy,
                                           r.t.get(), y, &kZero, r.t.get(), dx),
                   "relu_backward (cuDNN) ", layer_words(r.label), " n=", n);
  }

 private:
  const char* pool_mode_name() const {
    return deterministic_ ? "CUDNN_POOLING_MAX_DETERMINISTIC" : "CUDNN_POOLING_MAX";
  }

  // How provenance names a plan: the layer name, with the batch when it is
  // not the planned one; a shape string for direct op calls.
  static std::string plan_name(const std::string& label, bool planned, int64_t n,
                               const std::string& shape) {
    if (label.empty()) return shape;
    return planned ? label : concat(label, "@N=", n);
  }
  static std::string where(const ConvPlan& c) { return layer_words(c.label) + " " + shape_str(c.p); }
  static std::string where(const PoolPlan& pp) { return layer_words(pp.label) + " " + shape_str(pp.p); }

  void notice(const std::string& label, const char* op, const std::string& shape,
              const std::string& why) const {
    std::fprintf(stderr, "cudnn backend: %s of %s (%s) falls back to the hand-written kernel: %s\n", op,
                 layer_words(label).c_str(), shape.c_str(), why.c_str());
  }

  void require_workspace(const ConvPlan& c, ConvPass op, const void* ws) const {
    CONVNET_CHECK(c.op[op].ws == 0 || ws, kConvOpNames[op], " (cuDNN ", c.op[op].algo_name, ") ", where(c),
                  ": the algorithm needs ", c.op[op].ws,
                  " B of workspace (see conv2d_workspace_bytes) but ws is null");
  }

  // The plan of a conv shape, made on first sight. planned: the caller is the
  // planner, so the algorithms may use up to kMaxAlgoWorkspace and the
  // workspace it hands the ops will hold ws_bytes. Otherwise (first seen at an
  // op call) only the workspace every planned sibling of the same geometry
  // with at least this batch guaranteed (the smallest) may be used.
  ConvPlan& conv_plan(const Conv2dParams& p, bool planned, const std::string& label) {
    const ConvKey key = conv_key(p);
    auto it = conv_.find(key);
    if (it != conv_.end()) {
      ConvPlan& c = *it->second;
      add_label(c.label, label);
      if (planned && !c.planned) {  // first seen at an op call, now sized by the planner
        c.planned = true;
        if (!c.op[kBackwardFilter].use_cudnn) c.ws_bytes = std::max(c.ws_bytes, c.parent_ws);
        c.ws_limit = std::max(c.ws_limit, c.ws_bytes);
      }
      return c;
    }
    auto plan = std::make_unique<ConvPlan>();
    ConvPlan& c = *plan;
    c.p = p;
    c.label = label;
    c.planned = planned;
    if (planned) {
      c.ws_limit = kMaxAlgoWorkspace;
    } else {
      // The caller may be any of the planned siblings' owners (e.g. two
      // networks of different batch sizes on this backend), so only the
      // smallest of their workspaces is guaranteed.
      bool sibling = false;
      for (const auto& [k, other] : conv_)
        if (other->planned && same_but_batch(k, key) && other->p.N >= p.N) {
          c.ws_limit = sibling ? std::min(c.ws_limit, other->ws_bytes) : other->ws_bytes;
          sibling = true;
          add_label(c.label, other->label);
        }
    }
    choose_algorithms(c);
    c.ws_bytes = 0;
    for (const OpChoice& o : c.op) c.ws_bytes = std::max(c.ws_bytes, o.ws);
    if (!c.op[kBackwardFilter].use_cudnn) {
      c.parent_ws = CudaBackend::conv2d_workspace_bytes(p);
      if (planned) c.ws_bytes = std::max(c.ws_bytes, c.parent_ws);
    }
    if (planned) c.ws_limit = c.ws_bytes;
    return *conv_.emplace(key, std::move(plan)).first->second;
  }

  void choose_algorithms(ConvPlan& c) {
    const Conv2dParams& p = c.p;
    std::string why;
    bool ok = CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(c.x.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(c.x.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                       p.N, p.C_in, p.H, p.W), why) &&
              CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(c.y.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(c.y.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                       p.N, p.C_out, p.OH(), p.OW()), why) &&
              CN_CUDNN_PLAN(cudnnCreateFilterDescriptor(c.w.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetFilter4dDescriptor(c.w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                       p.C_out, p.C_in, p.KH, p.KW), why) &&
              CN_CUDNN_PLAN(cudnnCreateConvolutionDescriptor(c.conv.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetConvolution2dDescriptor(c.conv.get(), p.pad_h, p.pad_w, p.stride_h,
                                                            p.stride_w, p.dil_h, p.dil_w,
                                                            CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                            why) &&
              // float32 stays float32: FMA kernels only, never TF32 tensor cores.
              CN_CUDNN_PLAN(cudnnSetConvolutionMathType(c.conv.get(), CUDNN_FMA_MATH), why);
    if (ok && p.has_bias)
      ok = CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(c.bias.out()), why) &&
           CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(c.bias.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1,
                                                    p.C_out, 1, 1), why);
    if (ok) {
      int n = 0, ch = 0, h = 0, w = 0;
      ok = CN_CUDNN_PLAN(cudnnGetConvolution2dForwardOutputDim(c.conv.get(), c.x.get(), c.w.get(), &n, &ch,
                                                               &h, &w), why);
      if (ok && (n != p.N || ch != p.C_out || h != p.OH() || w != p.OW())) {
        ok = false;
        why = concat("cuDNN computes a ", n, "x", ch, "x", h, "x", w, " output, we expect ", p.N, "x",
                     p.C_out, "x", p.OH(), "x", p.OW());
      }
    }
    for (int op = 0; op < 3; ++op) {
      if (!ok) {
        c.op[op].why = "descriptor setup failed: " + why;
      } else if (disabled_.count(kConvOpNames[op])) {
        c.op[op].why = "disabled by CONVNET_CUDNN_DISABLE";
      } else {
        c.op[op] = choose(c, ConvPass(op));
      }
      if (!c.op[op].use_cudnn) notice(c.label, kConvOpNames[op], shape_str(p), c.op[op].why);
    }
  }

  OpChoice choose(ConvPlan& c, ConvPass op) {
    std::string why;
    int max_count = 0, got = 0;
    OpChoice none;
    if (op == kForward) {
      if (!CN_CUDNN_PLAN(cudnnGetConvolutionForwardAlgorithmMaxCount(handle_, &max_count), why) ||
          max_count <= 0) {
        none.why = why.empty() ? "cuDNN offers no forward algorithm" : why;
        return none;
      }
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(max_count));
      if (!CN_CUDNN_PLAN(cudnnGetConvolutionForwardAlgorithm_v7(handle_, c.x.get(), c.w.get(), c.conv.get(),
                                                                c.y.get(), max_count, &got, perf.data()),
                         why)) {
        none.why = why;
        return none;
      }
      return pick_algorithm(perf, got, deterministic_, c.ws_limit,
                            [&](cudnnConvolutionFwdAlgo_t a, size_t* ws) {
                              return cudnnGetConvolutionForwardWorkspaceSize(handle_, c.x.get(), c.w.get(),
                                                                             c.conv.get(), c.y.get(), a, ws);
                            });
    }
    if (op == kBackwardData) {
      if (!CN_CUDNN_PLAN(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle_, &max_count), why) ||
          max_count <= 0) {
        none.why = why.empty() ? "cuDNN offers no backward-data algorithm" : why;
        return none;
      }
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(max_count));
      if (!CN_CUDNN_PLAN(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle_, c.w.get(), c.y.get(),
                                                                     c.conv.get(), c.x.get(), max_count,
                                                                     &got, perf.data()),
                         why)) {
        none.why = why;
        return none;
      }
      return pick_algorithm(perf, got, deterministic_, c.ws_limit,
                            [&](cudnnConvolutionBwdDataAlgo_t a, size_t* ws) {
                              return cudnnGetConvolutionBackwardDataWorkspaceSize(
                                  handle_, c.w.get(), c.y.get(), c.conv.get(), c.x.get(), a, ws);
                            });
    }
    if (!CN_CUDNN_PLAN(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle_, &max_count), why) ||
        max_count <= 0) {
      none.why = why.empty() ? "cuDNN offers no backward-filter algorithm" : why;
      return none;
    }
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<size_t>(max_count));
    if (!CN_CUDNN_PLAN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle_, c.x.get(), c.y.get(),
                                                                     c.conv.get(), c.w.get(), max_count,
                                                                     &got, perf.data()),
                       why)) {
      none.why = why;
      return none;
    }
    return pick_algorithm(perf, got, deterministic_, c.ws_limit,
                          [&](cudnnConvolutionBwdFilterAlgo_t a, size_t* ws) {
                            return cudnnGetConvolutionBackwardFilterWorkspaceSize(
                                handle_, c.x.get(), c.y.get(), c.conv.get(), c.w.get(), a, ws);
                          });
  }

  PoolPlan& pool_plan(const Pool2dParams& p, const std::string& label) {
    const PoolKey key = pool_key(p);
    auto it = pool_.find(key);
    if (it != pool_.end()) {
      add_label(it->second->label, label);
      return *it->second;
    }
    auto plan = std::make_unique<PoolPlan>();
    PoolPlan& pp = *plan;
    pp.p = p;
    pp.label = label;
    if (label.empty())
      for (const auto& [k, other] : pool_)
        if (same_but_batch(k, key)) add_label(pp.label, other->label);
    std::string why;
    const cudnnPoolingMode_t mode =
        deterministic_ ? CUDNN_POOLING_MAX_DETERMINISTIC : CUDNN_POOLING_MAX;
    bool ok = CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(pp.x.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(pp.x.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, p.N,
                                                       p.C, p.H, p.W), why) &&
              CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(pp.y.out()), why) &&
              CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(pp.y.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, p.N,
                                                       p.C, p.OH(), p.OW()), why) &&
              CN_CUDNN_PLAN(cudnnCreatePoolingDescriptor(pp.pool.out()), why) &&
              // Padded cells never win in cuDNN's max pooling either; NaN is not propagated.
              CN_CUDNN_PLAN(cudnnSetPooling2dDescriptor(pp.pool.get(), mode, CUDNN_NOT_PROPAGATE_NAN, p.KH,
                                                        p.KW, p.pad_h, p.pad_w, p.stride_h, p.stride_w),
                            why);
    if (ok) {
      int n = 0, ch = 0, h = 0, w = 0;
      ok = CN_CUDNN_PLAN(cudnnGetPooling2dForwardOutputDim(pp.pool.get(), pp.x.get(), &n, &ch, &h, &w), why);
      if (ok && (n != p.N || ch != p.C || h != p.OH() || w != p.OW())) {
        ok = false;
        why = concat("cuDNN computes a ", n, "x", ch, "x", h, "x", w, " output, we expect ", p.N, "x", p.C,
                     "x", p.OH(), "x", p.OW());
      }
    }
    if (!ok) why = "descriptor setup failed: " + why;
    if (ok && disabled_.count("maxpool2d")) {
      ok = false;
      why = "disabled by CONVNET_CUDNN_DISABLE";
    }
    pp.ok = ok;
    pp.why = why;
    if (!ok) notice(pp.label, "maxpool2d", shape_str(p), why);
    return *pool_.emplace(key, std::move(plan)).first->second;
  }

  ReluPlan& relu_plan(int64_t n, const std::string& label) {
    auto it = relu_plans_.find(n);
    if (it != relu_plans_.end()) {
      add_label(it->second->label, label);
      return *it->second;
    }
    auto plan = std::make_unique<ReluPlan>();
    ReluPlan& r = *plan;
    r.n = n;
    r.label = label;
    std::string why;
    bool ok = false;
    if (n > INT_MAX) {
      why = concat("n=", n, " exceeds the int range of a cuDNN tensor descriptor");
    } else {
      // Elementwise: any fully packed shape will do; [1, 1, 1, n].
      ok = CN_CUDNN_PLAN(cudnnCreateTensorDescriptor(r.t.out()), why) &&
           CN_CUDNN_PLAN(cudnnSetTensor4dDescriptor(r.t.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 1, 1,
                                                    int(n)), why);
      if (!ok) why = "descriptor setup failed: " + why;
    }
    if (ok && disabled_.count("relu")) {
      ok = false;
      why = "disabled by CONVNET_CUDNN_DISABLE";
    }
    r.ok = ok;
    r.why = why;
    if (!ok) notice(r.label, "relu", concat("n=", n), why);
    return *relu_plans_.emplace(n, std::move(plan)).first->second;
  }

  bool deterministic_;
  std::set<std::string> disabled_;
  size_t version_ = 0;
  cudnnHandle_t handle_ = nullptr;
  ActDesc relu_;
  std::map<ConvKey, std::unique_ptr<ConvPlan>> conv_;
  std::map<PoolKey, std::unique_ptr<PoolPlan>> pool_;
  std::map<int64_t, std::unique_ptr<ReluPlan>> relu_plans_;
};

}  // namespace
}  // namespace cudnn

std::unique_ptr<Backend> make_cudnn_backend(const BackendOptions& opt) {
  return std::make_unique<cudnn::CudnnBackend>(opt);
}

CudnnConvAlgorithms cudnn_conv_algorithms(Backend& be, const Conv2dParams& p) {
  auto* c = dynamic_cast<cudnn::CudnnBackend*>(&be);
  CONVNET_CHECK(c, "cudnn_conv_algorithms: the ", be.name(), " backend is not a cudnn backend");
  return c->algorithms(p);
}

}  // namespace convnet
