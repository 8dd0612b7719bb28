// tests/common/shape_grid.h: the conv and pool shape grids every op test sweeps.
//
// API (stable: the CPU and the GPU tests both use it)
//
//   std::vector<Conv2dParams> conv_grid();
//       A covering set of conv shapes: every PAIR of factor values (see the
//       factor list in shape_grid.cpp: padding 0/1/2, stride 1/2/3, dilation
//       1/2/3, which axes those apply to, kernel shapes incl. 1x1 and
//       non-square, odd input sizes incl. H = 1 (1-D), batch 1 and 3, C_in
//       and C_out from 1 to 64) appears in at least one shape. With env
//       CONVNET_FULL_GRID=1 it is the FULL product instead. Shapes whose
//       (dilated) kernel does not fit the padded input are skipped. The list
//       is deterministic (same order on every run and machine).
//
//   std::vector<Pool2dParams> pool_grid();
//       The same for max pooling (kernel, stride, padding, input size,
//       batch x channels). Padding never exceeds what keeps every window
//       touching at least one real cell.
//
//   bool full_grid_requested();      env CONVNET_FULL_GRID=1
//   std::string describe(const Conv2dParams&);   one line, for failure messages
//   std::string describe(const Pool2dParams&);
//
// Typical use:
//   for (const Conv2dParams& p : convnet::test::conv_grid()) {
//     SCOPED_TRACE(convnet::test::describe(p));
//     ...
//   }
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "convnet/op_params.h"

namespace convnet::test {

bool full_grid_requested();

std::vector<Conv2dParams> conv_grid();
std::vector<Pool2dParams> pool_grid();

std::string describe(const Conv2dParams& p);
std::string describe(const Pool2dParams& p);

// Greedy pairwise covering set over a product of factors (exposed for tests
// of the generator itself). levels[f] = number of values of factor f; valid()
// says whether a row (one value index per factor) is admissible. Returns
// rows such that every pair of values that appears together in SOME valid
// row appears together in at least one returned row.
std::vector<std::vector<int>> pairwise_cover(
    const std::vector<int>& levels, const std::function<bool(const std::vector<int>&)>& valid);

}  // namespace convnet::test
