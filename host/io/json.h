// host/io/json.h: a small JSON reader/writer, enough for safetensors headers.
//
// Private to host/io (not installed under include/): a strict RFC 8259
// parser into a tree of Values, plus string quoting for writers. Numbers keep
// their source text so 64-bit offsets are read exactly (a double would round
// them above 2^53). Nesting is limited to 64 levels so a hostile file cannot
// overflow the stack.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace convnet {
namespace json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  bool boolean = false;
  std::string text;  // String: the decoded UTF-8; Number: the literal as written
  std::vector<Value> items;                             // Array
  std::vector<std::pair<std::string, Value>> members;  // Object, in file order
};

const char* kind_name(Value::Kind k);

// Parses exactly one JSON value (surrounding whitespace allowed). Throws
// convnet::Error "<source>: bad JSON at byte N: <problem>".
Value parse(const std::string& text, const std::string& source);

// True and sets *out if v is a Number written as a non-negative integer
// literal that fits in uint64 ("12", not "12.0", "1e3" or "-1").
bool to_u64(const Value& v, uint64_t* out);

// "s" with quotes, escaping '"', '\\' and control characters.
std::string quote(const std::string& s);

}  // namespace json
}  // namespace convnet
