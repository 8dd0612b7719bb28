// benchmarks/op_runner.cpp: buffers, validation and timing of one op case.
//
// Timing method
//   CPU  each launch is one sample: steady_clock around the call (the CPU
//        backend's ops return when done).
//   GPU  a sample is `gpu_launches` back-to-back launches followed by
//        Backend::synchronize(), divided by the launch count. For kernels
//        queued back to back on one stream this measures the same as CUDA
//        events around them (the GPU never idles between them, and the one
//        synchronize at the end is amortised), without the bench needing any
//        CUDA code of its own.
// Cache: the op rotates through several complete sets of its tensors, so
// that the inputs of a launch were last touched `sets` launches earlier and,
// when the sets together exceed the last-level cache, come from memory as
// they would in training (where each layer's tensors are evicted by the
// others).
#include "op_runner.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "convnet/error.h"
#include "op_tensors.h"

namespace convnet::bench {

namespace {

// A stable per-case seed, so each case gets its own fresh inputs.
uint64_t case_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// Backend allocations for all buffer sets, freed on scope exit.
struct CaseBuffers {
  Backend& be;
  std::vector<std::vector<void*>> sets;  // [set][tensor]
  void* ws = nullptr;
  explicit CaseBuffers(Backend& b) : be(b) {}
  ~CaseBuffers() {
    for (auto& s : sets)
      for (void* p : s) be.free_bytes(p);
    if (ws) be.free_bytes(ws);
  }
};

void upload_set(Backend& be, const std::vector<TensorSpec>& specs, const std::vector<HostTensor>& host,
                const std::vector<void*>& dev) {
  for (size_t k = 0; k < specs.size(); ++k) {
    const size_t bytes = size_t(specs[k].count) * 4;
    if (bytes == 0) continue;
    if (specs[k].role == TensorRole::Out) {
      be.zero(dev[k], bytes);
    } else {
      const void* src = specs[k].is_int ? static_cast<const void*>(host[k].i.data()) : host[k].f.data();
      be.upload(dev[k], src, bytes);
    }
  }
}

bool is_conv(OpKind k) { return k == OpKind::ConvFwd || k == OpKind::ConvBwdData || k == OpKind::ConvBwdWeights; }

}  // namespace

OpRow run_op_case(Backend& be, const std::string& impl, const OpCase& planned, const OpRunConfig& cfg,
                  std::vector<Expected>& reference) {
  // The pool backward runs the way this backend trains: from argmax, or
  // (cudnn) from the forward's x and y.
  OpCase c = planned;
  if (c.op == OpKind::PoolBwd) c.pool_from_xy = be.plan_maxpool2d(c.shape, c.pool);
  OpRow row;
  row.op = op_kind_name(c.op);
  row.shape = c.shape;
  row.batch = c.batch;
  row.impl = impl;
  row.name = op_case_name(c) + "/" + impl;
  row.flops = op_flops(c);
  row.bytes = op_bytes(c);
  const bool gpu = be.kind() != BackendKind::Cpu;

  const std::vector<TensorSpec> specs = op_tensors(c);
  size_t set_bytes = 0;
  for (const TensorSpec& s : specs) set_bytes += size_t(s.count) * 4;
  set_bytes = std::max<size_t>(set_bytes, 4);
  const int sets = int(std::clamp<size_t>((cfg.rotate_bytes + set_bytes - 1) / set_bytes, 1, 64));
  row.buffer_sets = sets;

  const uint64_t seed = case_seed(cfg.seed, op_case_name(c));
  const std::vector<HostTensor> host0 = random_inputs(c, seed);
  CaseBuffers buf(be);
  buf.sets.resize(size_t(sets));
  for (int s = 0; s < sets; ++s) {
    for (const TensorSpec& sp : specs) buf.sets[size_t(s)].push_back(be.alloc_bytes(std::max<size_t>(size_t(sp.count) * 4, 4)));
    upload_set(be, specs, s == 0 ? host0 : random_inputs(c, seed + uint64_t(s)), buf.sets[size_t(s)]);
  }
  if (is_conv(c.op)) buf.ws = be.alloc_bytes(std::max<size_t>(be.conv2d_workspace_bytes(c.conv), 64));

  // ---- correctness first ----
  try {
    launch_op(be, c, buf.sets[0].data(), buf.ws);
    be.synchronize();
  } catch (const Error& e) {
    row.status = "SKIPPED";
    row.note = e.what();
    return row;
  }
  std::vector<HostTensor> got(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    if (specs[k].role != TensorRole::Out) continue;
    const size_t bytes = size_t(specs[k].count) * 4;
    if (specs[k].is_int) {
      got[k].i.resize(size_t(specs[k].count));
      if (bytes) be.download(got[k].i.data(), buf.sets[0][k], bytes);
    } else {
      got[k].f.resize(size_t(specs[k].count));
      if (bytes) be.download(got[k].f.data(), buf.sets[0][k], bytes);
    }
  }
  if (reference.empty()) reference = reference_outputs(c, host0);
  const CheckResult check = compare_outputs(c, reference, got);
  row.worst_err = check.worst;
  if (!check.ok) {
    row.status = "FAILED";
    row.note = check.detail;
    return row;
  }

  // ---- timing ----
  int next = 0;
  auto launch = [&] {
    launch_op(be, c, buf.sets[size_t(next)].data(), buf.ws);
    next = (next + 1) % sets;
  };
  std::vector<double> samples;
  if (!gpu) {
    for (int i = 0; i < std::min(sets, 3); ++i) launch();  // warm-up: code, pages, thread pool
    for (int r = 0; r < cfg.reps; ++r) {
      const double t0 = now_seconds();
      launch();
      samples.push_back(now_seconds() - t0);
    }
  } else {
    const int per = std::max(1, cfg.gpu_launches);
    row.launches_per_sample = per;
    for (int i = 0; i < per; ++i) launch();  // warm-up (and any autotuning)
    be.synchronize();
    const int count = std::max(5, cfg.reps / per);
    for (int r = 0; r < count; ++r) {
      const double t0 = now_seconds();
      for (int i = 0; i < per; ++i) launch();
      be.synchronize();
      samples.push_back((now_seconds() - t0) / per);
    }
  }
  row.time = summarize(samples);
  row.status = "ok";
  if (row.time.median > 0) {
    row.gflops = double(row.flops) / row.time.median * 1e-9;
    row.gbs = double(row.bytes) / row.time.median * 1e-9;
  }
  // What the backend says it chose (cuDNN algorithms, the CUDA variant).
  for (const auto& [k, v] : be.provenance())
    if (k.find("algo") != std::string::npos) row.note += (row.note.empty() ? "" : "; ") + k + "=" + v;
  return row;
}

}  // namespace convnet::bench
