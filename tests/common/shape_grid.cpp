// tests/common/shape_grid.cpp: conv/pool shape grids (see shape_grid.h).
#include "common/shape_grid.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace convnet::test {

bool full_grid_requested() {
  const char* e = std::getenv("CONVNET_FULL_GRID");
  return e != nullptr && std::strcmp(e, "1") == 0;
}

// Enumerate every valid row of the product (odometer order).
static std::vector<std::vector<int>> full_product(
    const std::vector<int>& levels, const std::function<bool(const std::vector<int>&)>& valid) {
  std::vector<std::vector<int>> rows;
  std::vector<int> row(levels.size(), 0);
  for (;;) {
    if (valid(row)) rows.push_back(row);
    size_t f = 0;
    while (f < levels.size() && ++row[f] == levels[f]) row[f++] = 0;
    if (f == levels.size()) break;
  }
  return rows;
}

// Greedy set cover of value pairs: start from all valid rows, repeatedly take
// the row that covers the most still-uncovered pairs (first one on ties, so
// the result is deterministic). Pairs that no valid row contains are never
// required.
std::vector<std::vector<int>> pairwise_cover(
    const std::vector<int>& levels, const std::function<bool(const std::vector<int>&)>& valid) {
  const int F = int(levels.size());
  std::vector<int> offset(F + 1, 0);  // value v of factor f has global id offset[f] + v
  for (int f = 0; f < F; ++f) offset[f + 1] = offset[f] + levels[f];
  const int V = offset[F];
  // covered[a * V + b] for global value ids a < b; 1 = still needs covering.
  std::vector<char> needed(size_t(V) * V, 0);
  const std::vector<std::vector<int>> all = full_product(levels, valid);
  for (const auto& r : all)
    for (int f = 0; f < F; ++f)
      for (int g = f + 1; g < F; ++g) needed[size_t(offset[f] + r[f]) * V + offset[g] + r[g]] = 1;

  std::vector<std::vector<int>> chosen;
  std::vector<char> used(all.size(), 0);
  for (;;) {
    int best = -1, best_gain = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (used[i]) continue;
      const auto& r = all[i];
      int gain = 0;
      for (int f = 0; f < F; ++f)
        for (int g = f + 1; g < F; ++g) gain += needed[size_t(offset[f] + r[f]) * V + offset[g] + r[g]];
      if (gain > best_gain) best_gain = gain, best = int(i);
    }
    if (best < 0) break;  // every pair covered
    used[best] = 1;
    const auto& r = all[best];
    for (int f = 0; f < F; ++f)
      for (int g = f + 1; g < F; ++g) needed[size_t(offset[f] + r[f]) * V + offset[g] + r[g]] = 0;
    chosen.push_back(r);
  }
  return chosen;
}

// ---- conv factors -------------------------------------------------------------
namespace {

const int kPad[] = {0, 1, 2};
const int kStride[] = {1, 2, 3};
const int kDil[] = {1, 2, 3};
enum Axes { Both, HOnly, WOnly };  // which axes get the pad/stride/dilation values
const int kAxes[] = {Both, HOnly, WOnly};
const int kKernel[][2] = {{1, 1}, {3, 3}, {5, 5}, {2, 3}, {3, 1}, {1, 4}};     // KH x KW
const int kInput[][2] = {{1, 17}, {5, 5}, {7, 9}, {14, 13}};                  // H x W (1 x 17: 1-D)
const int kBatch[] = {1, 3};
const int kChannels[][2] = {{1, 1}, {1, 6}, {3, 17}, {16, 4}, {64, 64}};  // C_in, C_out
const bool kBias[] = {true, false};

#define COUNT(a) int(sizeof(a) / sizeof(a[0]))

Conv2dParams conv_from_row(const std::vector<int>& r) {
  Conv2dParams p;
  const int pad = kPad[r[0]], stride = kStride[r[1]], dil = kDil[r[2]], axes = kAxes[r[3]];
  p.KH = kKernel[r[4]][0];
  p.KW = kKernel[r[4]][1];
  p.H = kInput[r[5]][0];
  p.W = kInput[r[5]][1];
  p.N = kBatch[r[6]];
  p.C_in = kChannels[r[7]][0];
  p.C_out = kChannels[r[7]][1];
  p.has_bias = kBias[r[8]];
  if (axes != WOnly) p.pad_h = pad, p.stride_h = stride, p.dil_h = dil;
  if (axes != HOnly) p.pad_w = pad, p.stride_w = stride, p.dil_w = dil;
  return p;
}

std::vector<int> conv_levels() {
  return {COUNT(kPad),   COUNT(kStride), COUNT(kDil),      COUNT(kAxes), COUNT(kKernel),
          COUNT(kInput), COUNT(kBatch),  COUNT(kChannels), COUNT(kBias)};
}

bool conv_valid(const std::vector<int>& r) {
  const Conv2dParams p = conv_from_row(r);
  return p.OH() > 0 && p.OW() > 0;
}

// Pooling factors.
const int kPoolKernel[][2] = {{2, 2}, {3, 3}, {2, 3}, {1, 3}, {1, 1}};
const int kPoolStride[] = {1, 2, 3};
const int kPoolPad[] = {0, 1};
const int kPoolInput[][2] = {{1, 9}, {5, 5}, {8, 8}, {7, 10}};
const int kPoolNC[][2] = {{1, 1}, {2, 3}};

Pool2dParams pool_from_row(const std::vector<int>& r) {
  Pool2dParams p;
  p.KH = kPoolKernel[r[0]][0];
  p.KW = kPoolKernel[r[0]][1];
  p.stride_h = p.stride_w = kPoolStride[r[1]];
  // Padding only on axes whose kernel is wider than 1 (a 1-wide window over a
  // padded cell would hold no real input).
  p.pad_h = p.KH > 1 ? kPoolPad[r[2]] : 0;
  p.pad_w = p.KW > 1 ? kPoolPad[r[2]] : 0;
  p.H = kPoolInput[r[3]][0];
  p.W = kPoolInput[r[3]][1];
  p.N = kPoolNC[r[4]][0];
  p.C = kPoolNC[r[4]][1];
  return p;
}

// Every window along one axis must hold at least one real cell.
bool pool_axis_ok(int in, int k, int pad, int stride, int out) {
  if (out <= 0) return false;
  for (int o = 0; o < out; ++o) {
    const int start = o * stride - pad;
    if (start + k - 1 < 0 || start > in - 1) return false;
  }
  return true;
}

bool pool_valid(const std::vector<int>& r) {
  const Pool2dParams p = pool_from_row(r);
  return pool_axis_ok(p.H, p.KH, p.pad_h, p.stride_h, p.OH()) &&
         pool_axis_ok(p.W, p.KW, p.pad_w, p.stride_w, p.OW());
}

}  // namespace

std::vector<Conv2dParams> conv_grid() {
  const auto levels = conv_levels();
  const auto rows = full_grid_requested() ? full_product(levels, conv_valid)
                                          : pairwise_cover(levels, conv_valid);
  std::vector<Conv2dParams> out;
  for (const auto& r : rows) out.push_back(conv_from_row(r));
  return out;
}

std::vector<Pool2dParams> pool_grid() {
  const std::vector<int> levels = {COUNT(kPoolKernel), COUNT(kPoolStride), COUNT(kPoolPad),
                                   COUNT(kPoolInput), COUNT(kPoolNC)};
  const auto rows = full_grid_requested() ? full_product(levels, pool_valid)
                                          : pairwise_cover(levels, pool_valid);
  std::vector<Pool2dParams> out;
  for (const auto& r : rows) out.push_back(pool_from_row(r));
  return out;
}

std::string describe(const Conv2dParams& p) {
  std::ostringstream os;
  os << "conv N=" << p.N << " C_in=" << p.C_in << " HxW=" << p.H << "x" << p.W
     << " C_out=" << p.C_out << " K=" << p.KH << "x" << p.KW << " pad=" << p.pad_h << "," << p.pad_w
     << " stride=" << p.stride_h << "," << p.stride_w << " dil=" << p.dil_h << "," << p.dil_w
     << (p.has_bias ? " bias" : " no-bias") << " -> out " << p.OH() << "x" << p.OW();
  return os.str();
}

std::string describe(const Pool2dParams& p) {
  std::ostringstream os;
  os << "maxpool N=" << p.N << " C=" << p.C << " HxW=" << p.H << "x" << p.W << " K=" << p.KH << "x"
     << p.KW << " stride=" << p.stride_h << "," << p.stride_w << " pad=" << p.pad_h << ","
     << p.pad_w << " -> out " << p.OH() << "x" << p.OW();
  return os.str();
}

}  // namespace convnet::test
