// tests/data/json_test.cpp: the small JSON parser behind safetensors headers.
#include <gtest/gtest.h>

#include "../../host/io/json.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;

TEST(Json, ParsesEveryKind) {
  const json::Value v = json::parse(
      R"( {"a": [1, -2.5e3, 0, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00",
           "o": {}, "e": []} )",
      "t");
  ASSERT_EQ(v.kind, json::Value::Object);
  ASSERT_EQ(v.members.size(), 4u);
  const json::Value& a = v.members[0].second;
  ASSERT_EQ(a.items.size(), 6u);
  EXPECT_EQ(a.items[0].text, "1");
  EXPECT_EQ(a.items[1].text, "-2.5e3");
  EXPECT_EQ(a.items[3].kind, json::Value::Bool);
  EXPECT_TRUE(a.items[3].boolean);
  EXPECT_FALSE(a.items[4].boolean);
  EXPECT_EQ(a.items[5].kind, json::Value::Null);
  EXPECT_EQ(v.members[1].second.text, "x\"\\/\b\f\n\r\tA\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.members[2].second.kind, json::Value::Object);
  EXPECT_EQ(v.members[3].second.kind, json::Value::Array);
}

TEST(Json, IntegersAreExact) {
  uint64_t x = 0;
  EXPECT_TRUE(json::to_u64(json::parse("18446744073709551615", "t"), &x));
  EXPECT_EQ(x, UINT64_MAX);
  EXPECT_TRUE(json::to_u64(json::parse("9007199254740993", "t"), &x));  // 2^53 + 1
  EXPECT_EQ(x, 9007199254740993ull);
  EXPECT_FALSE(json::to_u64(json::parse("18446744073709551616", "t"), &x));
  EXPECT_FALSE(json::to_u64(json::parse("-1", "t"), &x));
  EXPECT_FALSE(json::to_u64(json::parse("1.0", "t"), &x));
  EXPECT_FALSE(json::to_u64(json::parse("1e2", "t"), &x));
  EXPECT_FALSE(json::to_u64(json::parse("\"1\"", "t"), &x));
}

TEST(Json, QuoteRoundTrips) {
  const std::string s = std::string("a\"b\\c\nd\te\x01\x1f caf\xc3\xa9", 17);
  EXPECT_EQ(json::parse(json::quote(s), "t").text, s);
  EXPECT_EQ(json::quote("\x01"), "\"\\u0001\"");
}

TEST(Json, ErrorsNameTheByte) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"", "bad JSON at byte 0: unexpected end of text"},
      {"{", "bad JSON at byte 1: expected a string key"},
      {"{\"a\" 1}", "bad JSON at byte 5: expected ':' after an object key"},
      {"{\"a\":1,}", "bad JSON at byte 7: expected a string key"},
      {"[1 2]", "bad JSON at byte 3: expected ',' or ']' in an array"},
      {"01", "unexpected text after the JSON value"},
      {"-", "bad number"},
      {"1.", "no digits after '.'"},
      {"1e", "no digits in the exponent"},
      {"\"abc", "unterminated string"},
      {"\"a\nb\"", "unescaped control character in a string"},
      {"\"\\x\"", "bad escape '\\x'"},
      {"\"\\u12g4\"", "bad hex digit in a \\u escape"},
      {"\"\\ud83d\"", "unpaired UTF-16 surrogate"},
      {"\"\\ude00\"", "unpaired UTF-16 surrogate"},
      {"tru", "expected 'true'"},
      {"nul", "expected 'null'"},
      {"@", "unexpected character '@'"},
  };
  for (const Case& c : cases) {
    const std::string msg = error_of([&] { json::parse(c.text, "src"); });
    EXPECT_EQ(msg.rfind("src: bad JSON at byte ", 0), 0u) << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.text << " -> " << msg;
  }
}

TEST(Json, DeepNestingIsRefused) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  const std::string msg = error_of([&] { json::parse(deep, "src"); });
  EXPECT_NE(msg.find("nested more than 64 levels deep"), std::string::npos) << msg;
  const std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_NO_THROW(json::parse(ok, "src"));
}
