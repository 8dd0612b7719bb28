// model_parser.cpp: the model text format (docs/model-format.md) -> ModelDesc.
//
// The format is line oriented so that every error can point at one line:
//
//   input 1 32 32                  # first non-comment line: C H W
//   conv C1 out=6 kernel=5         # <type> [name] key=value ...
//   relu
//   ...
//
// This file only checks what one line can tell: the layer type, the keys that
// type accepts, the numbers, and that names are unique. Whether the layers fit
// together (shapes, softmax_ce last) is shape_inference.cpp's job, because a
// ModelDesc can also be built in code.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "convnet/error.h"
#include "convnet/model.h"

namespace convnet {

const char* layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::Conv2d: return "conv";
    case LayerType::MaxPool2d: return "maxpool";
    case LayerType::ReLU: return "relu";
    case LayerType::Linear: return "linear";
    case LayerType::SoftmaxCE: return "softmax_ce";
  }
  return "?";
}

namespace {

// Numbers larger than this are rejected as typos: no layer of a small
// convnet has a million channels, and it keeps every derived size (padded
// extents, dilated kernels) far from int overflow.
constexpr long kMaxNumber = 1 << 20;

const LayerType kAllTypes[] = {LayerType::Conv2d, LayerType::MaxPool2d, LayerType::ReLU,
                               LayerType::Linear, LayerType::SoftmaxCE};

std::string known_types_list() {
  std::string s;
  for (LayerType t : kAllTypes) {
    if (!s.empty()) s += ", ";
    s += layer_type_name(t);
  }
  return s;
}

bool parse_layer_type(const std::string& word, LayerType* out) {
  for (LayerType t : kAllTypes) {
    if (word == layer_type_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

// The keys each layer type accepts, in the order the docs list them.
std::vector<std::string> allowed_keys(LayerType t) {
  switch (t) {
    case LayerType::Conv2d: return {"out", "kernel", "pad", "stride", "dilation", "bias"};
    case LayerType::MaxPool2d: return {"kernel", "stride", "pad"};
    case LayerType::Linear: return {"out", "in", "bias"};
    case LayerType::ReLU:
    case LayerType::SoftmaxCE: return {};
  }
  return {};
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) {
    if (!s.empty()) s += ", ";
    s += x;
  }
  return s;
}

// Everything about the line being parsed that an error message needs.
struct LineCtx {
  const std::string& source;
  int line;
  template <class... Args>
  [[noreturn]] void fail(const Args&... args) const {
    throw_error(source, ":", line, ": ", args...);
  }
};

// Parses a whole decimal integer (no sign, no trailing junk) in [min, kMaxNumber].
// `what` is the text shown in the message, e.g. "stride=0".
int parse_int(const LineCtx& ctx, const std::string& text, const std::string& what, long min) {
  bool digits_only = !text.empty();
  for (char c : text) digits_only = digits_only && (c >= '0' && c <= '9');
  if (!digits_only) {
    if (!text.empty() && text[0] == '-')
      ctx.fail(what, ": negative values are not allowed (expected an integer >= ", min, ")");
    ctx.fail(what, ": '", text, "' is not a whole number");
  }
  errno = 0;
  const long v = std::strtol(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v > kMaxNumber) ctx.fail(what, ": ", text, " is too large (limit ", kMaxNumber, ")");
  if (v < min) ctx.fail(what, ": must be at least ", min);
  return int(v);
}

// "5" -> (5, 5); "5x3" -> (5, 3): height first, like the shapes CxHxW.
void parse_pair(const LineCtx& ctx, const std::string& key, const std::string& value, long min,
                int* h, int* w) {
  const std::string what = key + "=" + value;
  const size_t x = value.find('x');
  if (x == std::string::npos) {
    *h = *w = parse_int(ctx, value, what, min);
    return;
  }
  *h = parse_int(ctx, value.substr(0, x), what, min);
  *w = parse_int(ctx, value.substr(x + 1), what, min);
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  const char c0 = s[0];
  if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_')) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream is(line);
  std::string w;
  while (is >> w) words.push_back(w);
  return words;
}

// "models/lenet5.net" -> "lenet5"
std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base;
}

void parse_input_line(const LineCtx& ctx, const std::vector<std::string>& words, ModelDesc& m) {
  if (words.size() != 4) ctx.fail("the input line needs exactly three numbers: 'input C H W'");
  m.in_c = parse_int(ctx, words[1], "input C=" + words[1], 1);
  m.in_h = parse_int(ctx, words[2], "input H=" + words[2], 1);
  m.in_w = parse_int(ctx, words[3], "input W=" + words[3], 1);
}

// One `<type> [name] key=value ...` line. Keys a type does not list are an
// error; keys left out keep LayerDesc's defaults (or the ones set here).
LayerDesc parse_layer_line(const LineCtx& ctx, const std::vector<std::string>& words) {
  LayerDesc d;
  d.line = ctx.line;
  if (!parse_layer_type(words[0], &d.type)) {
    if (words[0] == "input") ctx.fail("'input' given twice (it must be the first line, and only once)");
    ctx.fail("unknown layer type '", words[0], "' (known: ", known_types_list(), ")");
  }
  const char* tname = layer_type_name(d.type);

  size_t i = 1;
  if (i < words.size() && words[i].find('=') == std::string::npos) {
    if (!valid_name(words[i]))
      ctx.fail(tname, ": bad layer name '", words[i],
               "' (a name starts with a letter or '_' and holds only letters, digits, '_' and '-')");
    d.name = words[i++];
  }

  const std::vector<std::string> allowed = allowed_keys(d.type);
  std::map<std::string, std::string> kv;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    if (eq == std::string::npos)
      ctx.fail(tname, ": unexpected word '", w,
               "' (a layer takes at most one name, right after its type, then key=value pairs)");
    const std::string key = w.substr(0, eq), value = w.substr(eq + 1);
    bool known = false;
    for (const std::string& a : allowed) known = known || a == key;
    if (!known) {
      if (allowed.empty()) ctx.fail(tname, ": unknown key '", key, "' (", tname, " takes no keys)");
      ctx.fail(tname, ": unknown key '", key, "' (", tname, " takes: ", join(allowed), ")");
    }
    if (value.empty()) ctx.fail(tname, ": ", key, "= has no value");
    if (kv.count(key)) ctx.fail(tname, ": key '", key, "' given twice");
    kv[key] = value;
  }

  auto need = [&](const char* key) {
    if (!kv.count(key)) ctx.fail(tname, ": missing required key ", key, "=");
  };
  auto get_bool = [&](const char* key, bool* out) {
    if (!kv.count(key)) return;
    const std::string& v = kv[key];
    if (v != "0" && v != "1") ctx.fail(key, "=", v, ": expected 0 or 1");
    *out = v == "1";
  };

  switch (d.type) {
    case LayerType::Conv2d:
      need("out");
      need("kernel");
      d.out = parse_int(ctx, kv["out"], "out=" + kv["out"], 1);
      parse_pair(ctx, "kernel", kv["kernel"], 1, &d.kh, &d.kw);
      if (kv.count("pad")) parse_pair(ctx, "pad", kv["pad"], 0, &d.pad_h, &d.pad_w);
      if (kv.count("stride")) parse_pair(ctx, "stride", kv["stride"], 1, &d.stride_h, &d.stride_w);
      if (kv.count("dilation")) parse_pair(ctx, "dilation", kv["dilation"], 1, &d.dil_h, &d.dil_w);
      get_bool("bias", &d.bias);
      break;
    case LayerType::MaxPool2d:
      need("kernel");
      parse_pair(ctx, "kernel", kv["kernel"], 1, &d.kh, &d.kw);
      // The usual pooling is non-overlapping: stride defaults to the window.
      d.stride_h = d.kh;
      d.stride_w = d.kw;
      if (kv.count("stride")) parse_pair(ctx, "stride", kv["stride"], 1, &d.stride_h, &d.stride_w);
      if (kv.count("pad")) parse_pair(ctx, "pad", kv["pad"], 0, &d.pad_h, &d.pad_w);
      // A window that could lie entirely in the padding would have no input
      // to take the max of (padding counts as -infinity).
      if (d.pad_h >= d.kh || d.pad_w >= d.kw)
        ctx.fail("maxpool: pad=", kv["pad"], " must be smaller than the window (kernel=", kv["kernel"], ")");
      d.bias = false;
      break;
    case LayerType::Linear:
      need("out");
      d.out = parse_int(ctx, kv["out"], "out=" + kv["out"], 1);
      if (kv.count("in")) d.in = parse_int(ctx, kv["in"], "in=" + kv["in"], 1);
      get_bool("bias", &d.bias);
      break;
    case LayerType::ReLU:
    case LayerType::SoftmaxCE:
      d.bias = false;
      break;
  }
  return d;
}

}  // namespace

ModelDesc parse_model(const std::string& text, const std::string& source_name) {
  ModelDesc m;
  m.source = source_name;
  m.name = file_stem(source_name);

  bool have_input = false;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const size_t hash = raw.find('#');
    if (hash != std::string::npos) raw.resize(hash);
    const std::vector<std::string> words = split_words(raw);  // also drops '\r', tabs
    if (words.empty()) continue;
    const LineCtx ctx{source_name, line_no};
    if (!have_input) {
      if (words[0] != "input")
        ctx.fail("expected 'input C H W' as the first line, got '", words[0], "'");
      parse_input_line(ctx, words, m);
      have_input = true;
      continue;
    }
    m.layers.push_back(parse_layer_line(ctx, words));
  }
  if (!have_input) throw_error(source_name, ": no 'input C H W' line (the file is empty or all comments)");
  if (m.layers.empty()) throw_error(source_name, ": no layers after the input line");

  // Default names: type + its 1-based count among layers of that type
  // ("conv1", "relu3"), so a name says which layer it is even when unnamed.
  std::map<LayerType, int> count;
  for (LayerDesc& d : m.layers) {
    const int k = ++count[d.type];
    if (d.name.empty()) d.name = std::string(layer_type_name(d.type)) + std::to_string(k);
  }
  // Names become tensor names ("C1.weight"), so they must be unique. A
  // generated name can clash with an explicit one too: say which.
  std::map<std::string, int> first_line;
  for (const LayerDesc& d : m.layers) {
    auto it = first_line.find(d.name);
    if (it != first_line.end())
      throw_error(source_name, ":", d.line, ": duplicate layer name '", d.name, "' (already used on line ",
                  it->second, "; unnamed layers are called <type><count>, e.g. relu2)");
    first_line[d.name] = d.line;
  }
  return m;
}

ModelDesc load_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw_error("cannot open model file '", path, "': ", std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw_error("cannot read model file '", path, "'");
  return parse_model(ss.str(), path);
}

}  // namespace convnet
