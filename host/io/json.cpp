// host/io/json.cpp: the small strict JSON parser (see host/io/json.h).
#include "json.h"

#include <cstdio>

#include "convnet/error.h"

namespace convnet {
namespace json {

namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  Value parse_document() {
    skip_ws();
    Value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail(const std::string& what) const {
    throw_error(source_, ": bad JSON at byte ", pos_, ": ", what);
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect_word(const char* w) {
    for (const char* p = w; *p; ++p)
      if (!eat(*p)) fail(std::string("expected '") + w + "'");
  }

  Value parse_value(int depth) {
    if (depth > kMaxDepth) fail("nested more than 64 levels deep");
    if (pos_ >= s_.size()) fail("unexpected end of text");
    Value v;
    const char c = s_[pos_];
    if (c == '{') {
      v.kind = Value::Object;
      ++pos_;
      skip_ws();
      if (eat('}')) return v;
      for (;;) {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
        std::string key = parse_string();
        skip_ws();
        if (!eat(':')) fail("expected ':' after an object key");
        skip_ws();
        Value member = parse_value(depth + 1);
        v.members.emplace_back(std::move(key), std::move(member));
        skip_ws();
        if (eat('}')) return v;
        if (!eat(',')) fail("expected ',' or '}' in an object");
      }
    }
    if (c == '[') {
      v.kind = Value::Array;
      ++pos_;
      skip_ws();
      if (eat(']')) return v;
      for (;;) {
        skip_ws();
        v.items.push_back(parse_value(depth + 1));
        skip_ws();
        if (eat(']')) return v;
        if (!eat(',')) fail("expected ',' or ']' in an array");
      }
    }
    if (c == '"') {
      v.kind = Value::String;
      v.text = parse_string();
      return v;
    }
    if (c == 't') {
      expect_word("true");
      v.kind = Value::Bool;
      v.boolean = true;
      return v;
    }
    if (c == 'f') {
      expect_word("false");
      v.kind = Value::Bool;
      return v;
    }
    if (c == 'n') {
      expect_word("null");
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Value::Number;
      v.text = parse_number();
      return v;
    }
    fail(std::string("unexpected character '") + c + "'");
  }

  bool digit() const { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; }

  // The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  std::string parse_number() {
    const size_t start = pos_;
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (digit()) {
      while (digit()) ++pos_;
    } else {
      fail("bad number");
    }
    if (eat('.')) {
      if (!digit()) fail("bad number: no digits after '.'");
      while (digit()) ++pos_;
    }
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digit()) fail("bad number: no digits in the exponent");
      while (digit()) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("bad hex digit in a \\u escape");
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  // At the opening quote. Raw bytes >= 0x80 are passed through as they are
  // (UTF-8 is not re-validated); control characters must be escaped.
  std::string parse_string() {
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
            if (!(eat('\\') && eat('u'))) fail("unpaired UTF-16 surrogate in a \\u escape");
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad low surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired UTF-16 surrogate in a \\u escape");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Null: return "null";
    case Value::Bool: return "boolean";
    case Value::Number: return "number";
    case Value::String: return "string";
    case Value::Array: return "array";
    case Value::Object: return "object";
  }
  return "?";
}

Value parse(const std::string& text, const std::string& source) {
  return Parser(text, source).parse_document();
}

bool to_u64(const Value& v, uint64_t* out) {
  if (v.kind != Value::Number || v.text.empty()) return false;
  uint64_t x = 0;
  for (const char c : v.text) {
    if (c < '0' || c > '9') return false;  // '-', '.', 'e': not a plain non-negative integer
    const uint64_t d = uint64_t(c - '0');
    if (x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  *out = x;
  return true;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace json
}  // namespace convnet
