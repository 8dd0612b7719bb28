// convnet/json_writer.h: a minimal JSON object writer for the files the
// engine emits (summary.json, bench results). Values keep insertion order so
// the files diff cleanly.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace convnet {

inline std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

// Builds one JSON object; nested objects/arrays are added as raw JSON text.
class JsonObject {
 public:
  JsonObject& add(const std::string& k, const std::string& v) { return raw(k, json_escape(v)); }
  JsonObject& add(const std::string& k, const char* v) { return raw(k, json_escape(v)); }
  JsonObject& add(const std::string& k, bool v) { return raw(k, v ? "true" : "false"); }
  JsonObject& add(const std::string& k, int v) { return raw(k, std::to_string(v)); }
  JsonObject& add(const std::string& k, int64_t v) { return raw(k, std::to_string(v)); }
  JsonObject& add(const std::string& k, uint64_t v) { return raw(k, std::to_string(v)); }
  JsonObject& add(const std::string& k, double v) {
    if (!std::isfinite(v)) return raw(k, "null");  // JSON has no NaN/Inf
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return raw(k, buf);
  }
  JsonObject& add(const std::string& k, const std::map<std::string, std::string>& m) {
    JsonObject o;
    for (const auto& [kk, vv] : m) o.add(kk, vv);
    return raw(k, o.str(indent_ + 2));
  }
  JsonObject& add(const std::string& k, const JsonObject& o) { return raw(k, o.str(indent_ + 2)); }
  JsonObject& raw(const std::string& k, const std::string& json) {
    items_.emplace_back(k, json);
    return *this;
  }

  std::string str(int indent = 0) const {
    const std::string pad(size_t(indent + 2), ' ');
    std::string s = "{\n";
    for (size_t i = 0; i < items_.size(); ++i) {
      s += pad + json_escape(items_[i].first) + ": " + items_[i].second;
      s += (i + 1 < items_.size()) ? ",\n" : "\n";
    }
    return s + std::string(size_t(indent), ' ') + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
  int indent_ = 0;
};

}  // namespace convnet
