// benchmarks/op_reference.h: what an op's outputs must be, and how close is
// close enough. Every implementation (the CPU backend included) is checked
// against this before it is timed; a wrong one is reported FAILED, not timed.
//
// The reference is the CPU op in DOUBLE precision on the same (float)
// inputs. The tolerance per output element comes from the reduction length
// (see the preamble's rule and docs/benchmarks.md):
//
//     tol_i = L * FLT_EPSILON * sum_j |a_j * b_j|  (+ |bias| as one more term)
//
// where L is the number of terms summed into element i and the sum of
// absolute products is computed exactly as the SAME op run on |inputs|
// (a convolution of |x| with |w| is sum|x*w|). Selections (ReLU, max pool
// forward, argmax, correct flags) must match exactly.
#pragma once

#include <string>
#include <vector>

#include "op_tensors.h"

namespace convnet::bench {

struct Expected {
  std::vector<double> ref, tol;  // float outputs
  std::vector<int32_t> ref_i;    // int outputs (exact)
};

// One entry per tensor of op_tensors(c); entries of non-outputs are empty.
std::vector<Expected> reference_outputs(const OpCase& c, const std::vector<HostTensor>& inputs);

struct CheckResult {
  bool ok = true;
  double worst = 0;    // max |got - ref| / tol over float outputs (0 when exact)
  std::string detail;  // first failure: tensor, index, got, want, tol
};

CheckResult compare_outputs(const OpCase& c, const std::vector<Expected>& want,
                            const std::vector<HostTensor>& got);

}  // namespace convnet::bench
