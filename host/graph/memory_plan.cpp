// memory_plan.cpp: liveness-based placement of a step's tensors in one arena.
//
// Every activation, gradient and argmax tensor of a training step has a
// lifetime [first, last] in schedule steps (forward layer i is step i,
// backward layer i is step 2L-1-i). Two tensors may share bytes only when
// their lifetimes do not overlap. We place tensors largest first, each at the
// lowest 64-byte-aligned offset that does not collide with an already placed
// tensor whose lifetime overlaps. This greedy first-fit is not optimal in
// general, but for a chain network it usually reaches the lower bound (the
// largest set of simultaneously live tensors), and it is easy to check.
#include <algorithm>
#include <numeric>

#include "convnet/graph.h"

namespace convnet {

namespace {
constexpr int64_t kAlign = 64;
int64_t align_up(int64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }
bool lifetimes_overlap(const PlannedTensor& a, const PlannedTensor& b) {
  return a.first <= b.last && b.first <= a.last;
}
}  // namespace

void plan_memory(std::vector<PlannedTensor>& tensors, MemoryPlan& out) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t(0));
  // Largest first; ties by name so the plan is the same on every run.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (tensors[a].bytes != tensors[b].bytes) return tensors[a].bytes > tensors[b].bytes;
    return tensors[a].name < tensors[b].name;
  });

  std::vector<size_t> placed;
  out.arena_bytes = 0;
  out.naive_bytes = 0;
  for (size_t idx : order) {
    PlannedTensor& t = tensors[idx];
    out.naive_bytes += align_up(t.bytes);
    // Candidate offsets: 0 and the end of every overlapping placed tensor.
    std::vector<int64_t> candidates{0};
    for (size_t p : placed)
      if (lifetimes_overlap(t, tensors[p])) candidates.push_back(align_up(tensors[p].offset + tensors[p].bytes));
    std::sort(candidates.begin(), candidates.end());
    for (int64_t off : candidates) {
      bool fits = true;
      for (size_t p : placed) {
        const PlannedTensor& q = tensors[p];
        if (!lifetimes_overlap(t, q)) continue;
        if (off < q.offset + q.bytes && q.offset < off + t.bytes) { fits = false; break; }
      }
      if (fits) { t.offset = off; break; }
    }
    placed.push_back(idx);
    out.arena_bytes = std::max(out.arena_bytes, align_up(t.offset + t.bytes));
  }
  out.tensors = tensors;
}

}  // namespace convnet
