// summary.cpp: the --summary table, built from infer_shapes()' result.
//
//   model lenet5: input 1x32x32, batch 64
//   layer       type              output      params        MACs     RF
//   C1          conv 5x5          6x28x28        156     117,600    5x5
//   ...
//
// MACs are per sample; pooling, ReLU and softmax count none (they compare or
// exponentiate, they do not multiply-accumulate).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "convnet/model.h"

namespace convnet {

namespace {

// 61706 -> "61,706": big counts are read, not parsed.
std::string with_commas(int64_t v) {
  const bool neg = v < 0;
  std::string digits = std::to_string(neg ? -v : v);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return neg ? "-" + s : s;
}

std::string pair_str(int h, int w) { return std::to_string(h) + "x" + std::to_string(w); }

// "conv 5x5", "conv 3x3 /2 pad 1", "maxpool 2x2 /2", "linear nobias".
std::string type_column(const LayerDesc& d) {
  std::string s = layer_type_name(d.type);
  if (d.type == LayerType::Conv2d || d.type == LayerType::MaxPool2d) {
    s += " " + pair_str(d.kh, d.kw);
    if (d.stride_h != 1 || d.stride_w != 1)
      s += " /" + (d.stride_h == d.stride_w ? std::to_string(d.stride_h) : pair_str(d.stride_h, d.stride_w));
    if (d.pad_h != 0 || d.pad_w != 0)
      s += " pad " + (d.pad_h == d.pad_w ? std::to_string(d.pad_h) : pair_str(d.pad_h, d.pad_w));
    if (d.dil_h != 1 || d.dil_w != 1)
      s += " dil " + (d.dil_h == d.dil_w ? std::to_string(d.dil_h) : pair_str(d.dil_h, d.dil_w));
  }
  if ((d.type == LayerType::Conv2d || d.type == LayerType::Linear) && !d.bias) s += " nobias";
  return s;
}

// Left-aligned in a column of `width`, or right-aligned when `right`.
void cell(std::string& line, const std::string& text, size_t width, bool right) {
  const std::string padding(width > text.size() ? width - text.size() : 0, ' ');
  line += right ? padding + text : text + padding;
}

}  // namespace

std::string format_summary(const ModelDesc& m, const std::vector<LayerInfo>& layers, int N,
                           int64_t peak_activation_bytes) {
  // Rows as strings first, so each column is as wide as its widest cell.
  const std::vector<std::string> header = {"layer", "type", "output", "params", "MACs", "RF"};
  std::vector<std::vector<std::string>> rows;
  for (const LayerInfo& L : layers) {
    rows.push_back({L.desc.name, type_column(L.desc), std::to_string(L.out.c) + "x" + pair_str(L.out.h, L.out.w),
                    with_commas(L.weight_count + L.bias_count), with_commas(L.macs), pair_str(L.rf_h, L.rf_w)});
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  // Numbers read best right-aligned; names and types left-aligned.
  const bool right[] = {false, false, false, true, true, true};

  std::string out = "model " + m.name + ": input " + std::to_string(m.in_c) + "x" + pair_str(m.in_h, m.in_w) +
                    ", batch " + std::to_string(N) + "\n";
  auto emit = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      if (c > 0) line += "  ";
      cell(line, r[c], width[c], right[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(header);
  size_t total_width = 2 * (header.size() - 1);
  for (size_t w : width) total_width += w;
  out += std::string(total_width, '-') + "\n";
  for (const auto& r : rows) emit(r);
  out += std::string(total_width, '-') + "\n";

  const int64_t params = count_params(layers);
  const int64_t macs = count_macs(layers);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f KiB", double(params) * 4.0 / 1024.0);
  out += "total params: " + with_commas(params) + " (" + buf + " as float32)\n";
  out += "MACs: " + with_commas(macs) + " per sample, " + with_commas(macs * N) + " per batch of " +
         std::to_string(N) + "\n";
  if (peak_activation_bytes >= 0) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(peak_activation_bytes) / (1024.0 * 1024.0));
    out += "peak activation memory at batch " + std::to_string(N) + ": " + buf + "\n";
  } else {
    out += "peak activation memory at batch " + std::to_string(N) + ": not planned\n";
  }
  return out;
}

}  // namespace convnet
