// tests/data/safetensors_test.cpp: checkpoint round trips, atomic writes,
// and the reader's errors on corrupt files.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>

#include "convnet/safetensors.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;

namespace {

std::vector<int64_t> random_shape(std::mt19937_64& g) {
  std::vector<int64_t> shape(g() % 4);  // rank 0 (scalar) to 3
  for (auto& d : shape) d = int64_t(g() % 5);  // includes 0: an empty tensor
  return shape;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

template <class T>
std::vector<T> random_values(std::mt19937_64& g, int64_t n);

template <>
std::vector<float> random_values<float>(std::mt19937_64& g, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (auto& x : v) x = dist(g);
  // Edge values survive too: -0, infinities, the smallest denormal.
  const float special[] = {-0.0f, std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::denorm_min()};
  for (size_t i = 0; i < v.size() && i < 4; ++i) v[i] = special[i];
  return v;
}
template <>
std::vector<double> random_values<double>(std::mt19937_64& g, int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  std::normal_distribution<double> dist(0.0, 1e3);
  for (auto& x : v) x = dist(g);
  if (!v.empty()) v[0] = std::numeric_limits<double>::max();
  return v;
}
template <>
std::vector<int32_t> random_values<int32_t>(std::mt19937_64& g, int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = int32_t(uint32_t(g()));
  if (!v.empty()) v[0] = std::numeric_limits<int32_t>::min();
  return v;
}
template <>
std::vector<int64_t> random_values<int64_t>(std::mt19937_64& g, int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = int64_t(g());
  if (!v.empty()) v[0] = std::numeric_limits<int64_t>::min();
  return v;
}
template <>
std::vector<uint64_t> random_values<uint64_t>(std::mt19937_64& g, int64_t n) {
  std::vector<uint64_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = g();
  if (!v.empty()) v[0] = std::numeric_limits<uint64_t>::max();
  return v;
}

// Bitwise comparison (so -0.0 vs 0.0 counts as a difference).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// A file from a literal header and data region (no padding added).
std::vector<uint8_t> raw_file(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  return error_of([&] { parse_safetensors(bytes, "ckpt.safetensors"); });
}

}  // namespace

TEST(Safetensors, RoundTripEveryDtypeAndMetadata) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;

  Safetensors st;
  struct Shapes {
    std::vector<int64_t> f32, f64, i32, i64, u64;
  } sh{random_shape(g), random_shape(g), random_shape(g), random_shape(g), random_shape(g)};
  const auto f32 = random_values<float>(g, numel(sh.f32));
  const auto f64 = random_values<double>(g, numel(sh.f64));
  const auto i32 = random_values<int32_t>(g, numel(sh.i32));
  const auto i64 = random_values<int64_t>(g, numel(sh.i64));
  const auto u64 = random_values<uint64_t>(g, numel(sh.u64));
  // Mixed sizes in insertion order: the writer reorders for alignment.
  st.put("layer1.weight", sh.f32, f32);
  st.put("odd \"name\"\\with\nescapes", sh.i32, i32);
  st.put("stats.f64", sh.f64, f64);
  st.put("step", sh.i64, i64);
  st.put("rng", sh.u64, u64);
  st.put_scalar<uint64_t>("epoch", 7);
  st.put_scalar<float>("lr", 0.01f);
  st.set_metadata("model", "lenet5");
  st.set_metadata("quote\"key", "line1\nline2\t\"x\" \\ caf\xc3\xa9 \x01");
  st.set_metadata("empty", "");
  st.set_metadata("model", "lenet5-v2");  // replaces
  const std::string path = dir.file("ckpt.safetensors");
  write_safetensors(path, st);

  const Safetensors r = read_safetensors(path);
  EXPECT_EQ(r.source, path);
  EXPECT_EQ(r.tensors().size(), 7u);
  EXPECT_TRUE(same_bits(r.get<float>("layer1.weight", sh.f32), f32));
  EXPECT_TRUE(same_bits(r.get<int32_t>("odd \"name\"\\with\nescapes", sh.i32), i32));
  EXPECT_TRUE(same_bits(r.get<double>("stats.f64", sh.f64), f64));
  EXPECT_TRUE(same_bits(r.get<int64_t>("step", sh.i64), i64));
  EXPECT_TRUE(same_bits(r.get<uint64_t>("rng"), u64));
  EXPECT_EQ(r.tensor("rng").shape, sh.u64);
  EXPECT_EQ(r.get_scalar<uint64_t>("epoch"), 7u);
  EXPECT_EQ(r.get_scalar<float>("lr"), 0.01f);
  EXPECT_TRUE(r.tensor("lr").shape.empty());
  EXPECT_EQ(r.metadata("model"), "lenet5-v2");
  EXPECT_EQ(r.metadata("quote\"key"), "line1\nline2\t\"x\" \\ caf\xc3\xa9 \x01");
  EXPECT_EQ(r.metadata("empty"), "");
  EXPECT_EQ(r.all_metadata().size(), 3u);

  // Layout: the data region starts 8-aligned and every tensor starts at a
  // multiple of its element size.
  const std::vector<uint8_t> bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[size_t(i)];
  EXPECT_EQ((8 + n) % 8, 0u);
  EXPECT_EQ(bytes, serialize_safetensors(st));
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + long(n));
  // 8-byte dtypes first, so the 4-byte ones cannot misalign them.
  EXPECT_LT(header.find("\"stats.f64\""), header.find("\"layer1.weight\""));
  EXPECT_LT(header.find("\"epoch\""), header.find("\"lr\""));
}

TEST(Safetensors, EmptyFileRoundTrips) {
  TempDir dir;
  write_safetensors(dir.file("e"), Safetensors());
  const Safetensors r = read_safetensors(dir.file("e"));
  EXPECT_TRUE(r.tensors().empty());
  EXPECT_TRUE(r.all_metadata().empty());
  EXPECT_EQ(read_bytes(dir.file("e")).size(), 16u);  // length + "{}" padded to 8
}

TEST(Safetensors, AccessErrorsNameTheTensor) {
  Safetensors st;
  st.source = "ck.safetensors";
  st.put<float>("w", {2, 3}, std::vector<float>(6, 1.0f));
  std::string msg = error_of([&] { st.get<double>("w"); });
  EXPECT_NE(msg.find("ck.safetensors: tensor 'w' is F32, expected F64"), std::string::npos) << msg;
  msg = error_of([&] { st.get<float>("w", {3, 2}); });
  EXPECT_NE(msg.find("tensor 'w' has shape [2, 3], expected [3, 2]"), std::string::npos) << msg;
  msg = error_of([&] { st.get<float>("b"); });
  EXPECT_NE(msg.find("ck.safetensors: no tensor 'b'"), std::string::npos) << msg;
  msg = error_of([&] { st.get_scalar<float>("w"); });
  EXPECT_NE(msg.find("has shape [2, 3], expected []"), std::string::npos) << msg;
  msg = error_of([&] { st.metadata("nope"); });
  EXPECT_NE(msg.find("no metadata entry 'nope'"), std::string::npos) << msg;
  msg = error_of([&] { st.put<float>("w", {1}, std::vector<float>(1)); });
  EXPECT_NE(msg.find("tensor 'w' added twice"), std::string::npos) << msg;
  msg = error_of([&] { st.put<float>("__metadata__", {1}, std::vector<float>(1)); });
  EXPECT_NE(msg.find("'__metadata__' is reserved"), std::string::npos) << msg;
  msg = error_of([&] { st.put<float>("x", {2, 2}, std::vector<float>(3)); });
  EXPECT_NE(msg.find("tensor 'x' has shape [2, 2] (4 elements) but 3 values were given"),
            std::string::npos)
      << msg;
  msg = error_of([&] { st.put<float>("y", {-1}, std::vector<float>(1)); });
  EXPECT_NE(msg.find("tensor 'y' has a bad shape [-1]"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- atomic writes

namespace {

Safetensors small_checkpoint(float value, size_t count) {
  Safetensors st;
  st.put<float>("w", {int64_t(count)}, std::vector<float>(count, value));
  st.set_metadata("version", std::to_string(value));
  return st;
}

bool no_temp_files(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) return false;
  return true;
}

}  // namespace

TEST(SafetensorsAtomic, ReplacesTheOldFileAndLeavesNoTemp) {
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_safetensors(path, small_checkpoint(1.0f, 10));
  write_safetensors(path, small_checkpoint(2.0f, 20));
  const Safetensors r = read_safetensors(path);
  EXPECT_EQ(r.get<float>("w"), std::vector<float>(20, 2.0f));
  EXPECT_TRUE(no_temp_files(dir.path()));
}

TEST(SafetensorsAtomic, FailureToCreateTheTempLeavesTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_safetensors(path, small_checkpoint(1.0f, 10));
  const std::vector<uint8_t> before = read_bytes(path);
  // A directory where the temp file would go: fopen fails.
  const std::string tmp = path + ".tmp." + std::to_string(long(getpid()));
  ASSERT_TRUE(std::filesystem::create_directory(tmp));
  const std::string msg = error_of([&] { write_safetensors(path, small_checkpoint(2.0f, 10)); });
  EXPECT_NE(msg.find(path + ": cannot write checkpoint: cannot create " + tmp), std::string::npos)
      << msg;
  EXPECT_EQ(read_bytes(path), before);
  std::filesystem::remove(tmp);
}

TEST(SafetensorsAtomic, FailureMidWriteLeavesTheOldFileAndNoTemp) {
  // A real I/O failure half way through: cap the file size this process may
  // write (RLIMIT_FSIZE) below the checkpoint's size. The write then fails
  // with EFBIG (SIGXFSZ ignored), as it would on a full disk.
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_safetensors(path, small_checkpoint(1.0f, 10));
  const std::vector<uint8_t> before = read_bytes(path);

  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string msg;
  try {
    write_safetensors(path, small_checkpoint(2.0f, 100000));  // 400 kB
  } catch (const Error& e) {
    msg = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_NE(msg.find(path + ": cannot write checkpoint: "), std::string::npos) << "'" << msg << "'";
  EXPECT_NE(msg.find("File too large"), std::string::npos) << msg;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_TRUE(no_temp_files(dir.path()));
  EXPECT_EQ(read_safetensors(path).get<float>("w"), std::vector<float>(10, 1.0f));
}

TEST(SafetensorsAtomic, MissingDirectoryIsNamed) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/ck.safetensors");
  const std::string msg = error_of([&] { write_safetensors(path, small_checkpoint(1.0f, 1)); });
  EXPECT_NE(msg.find(path + ": cannot write checkpoint: cannot create"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- corrupt files

TEST(SafetensorsCorrupt, ShortAndTruncatedFiles) {
  EXPECT_NE(parse_error({1, 2, 3}).find("ckpt.safetensors: not a safetensors file: 3 bytes"),
            std::string::npos);

  // A header length pointing past the end of the file.
  std::vector<uint8_t> f = raw_file("{}", {});
  f[0] = 200;
  std::string msg = parse_error(f);
  EXPECT_NE(msg.find("truncated: header length 200 runs past the end of the file (10 bytes)"),
            std::string::npos)
      << msg;

  // A giant header length (e.g. a text file read as a checkpoint).
  const std::string text = "hello world, this is not a checkpoint";
  msg = parse_error(std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_NE(msg.find("is over the 100 MB limit"), std::string::npos) << msg;

  // A real checkpoint cut short: the data no longer covers the offsets.
  Safetensors st = small_checkpoint(3.0f, 16);
  std::vector<uint8_t> bytes = serialize_safetensors(st);
  bytes.resize(bytes.size() - 5);
  msg = parse_error(bytes);
  EXPECT_NE(msg.find("tensor 'w': data_offsets [0, 64] run past the end of the data (59 bytes)"),
            std::string::npos)
      << msg;
}

TEST(SafetensorsCorrupt, BadJson) {
  std::string msg = parse_error(raw_file("{\"a\": ", {}));
  EXPECT_NE(msg.find("ckpt.safetensors (header): bad JSON at byte 6: unexpected end of text"),
            std::string::npos)
      << msg;
  msg = parse_error(raw_file("{\"a\":{}} x", {}));
  EXPECT_NE(msg.find("unexpected text after the JSON value"), std::string::npos) << msg;
  msg = parse_error(raw_file("[1, 2]  ", {}));
  EXPECT_NE(msg.find("header is a JSON array, expected an object"), std::string::npos) << msg;
  msg = parse_error(raw_file("", {}));
  EXPECT_NE(msg.find("bad JSON at byte 0"), std::string::npos) << msg;
}

TEST(SafetensorsCorrupt, BadEntries) {
  const std::vector<uint8_t> d8(8, 0);
  struct Case {
    std::string header;
    std::vector<uint8_t> data;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {R"({"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", d8,
       "tensor 'w': unsupported dtype 'F16'"},
      {R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8,
       "tensor 'w': F32 [3] needs 12 bytes but data_offsets [0, 8] span 8"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", d8,
       "data_offsets [0, 16] run past the end of the data (8 bytes)"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", d8,
       "data_offsets [8, 0] end before they begin"},
      {R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8,
       "tensor 'w' data_offsets [4, 8] leave a gap after the previous tensor (which ends at 0)"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       d8, "tensor 'b' data_offsets [4, 8] overlap the previous tensor (which ends at 8)"},
      {R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8,
       "4 trailing bytes after the last tensor's data"},
      {R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       d8, "header names 'w' twice"},
      {R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8,
       "tensor 'w': shape entries must be non-negative integers, got -2"},
      {R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", d8,
       "shape entries must be non-negative integers, got 2.0"},
      {R"({"w":{"dtype":"F32","shape":[2]}})", d8, "tensor 'w': missing \"data_offsets\""},
      {R"({"w":{"shape":[2],"data_offsets":[0,8]}})", d8, "tensor 'w': missing \"dtype\""},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", d8,
       "tensor 'w': unexpected or repeated key 'extra'"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", d8,
       "data_offsets must be [begin, end]"},
      {R"({"w":[1,2]})", d8, "tensor 'w' is a JSON array, expected an object"},
      {R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", d8, "tensor 'w': dtype is not a string"},
      {R"({"__metadata__":{"k":3}})", {}, "metadata 'k' is a JSON number, expected a string"},
      {R"({"__metadata__":"x"})", {}, "__metadata__ is a JSON string, expected an object of strings"},
      {R"({"w":{"dtype":"F32","shape":[99999999999,99999999999,99999999999],"data_offsets":[0,8]}})",
       d8, "shape [99999999999, 99999999999, 99999999999] is too large"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}})", d8,
       "data_offsets must be [begin, end] with non-negative integers"},
  };
  for (const Case& c : cases) {
    const std::string msg = parse_error(raw_file(c.header, c.data));
    EXPECT_NE(msg.find("ckpt.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << "header " << c.header << "\n got: " << msg;
  }
}

TEST(SafetensorsCorrupt, ValidHandWrittenFileIsAccepted) {
  // The counterpart of BadEntries: a file written by hand (no padding, keys
  // in another order, zero-size tensor, whitespace) parses.
  std::vector<uint8_t> data;
  const float v[2] = {1.5f, -2.0f};
  const uint8_t* p = reinterpret_cast<const uint8_t*>(v);
  data.insert(data.end(), p, p + 8);
  const Safetensors st = parse_safetensors(
      raw_file(R"( { "e" : {"shape":[0,3],"data_offsets":[8,8],"dtype":"I64"},
                    "w": {"data_offsets":[0,8],"dtype":"F32","shape":[2]},
                    "__metadata__": {"a\u00e9\ud83d\ude00":"b"} } )",
               data),
      "hand");
  EXPECT_EQ(st.get<float>("w"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_TRUE(st.get<int64_t>("e", {0, 3}).empty());
  EXPECT_EQ(st.metadata("a\xc3\xa9\xf0\x9f\x98\x80"), "b");
}

TEST(SafetensorsCorrupt, ReadMissingFileIsNamed) {
  TempDir dir;
  const std::string msg = error_of([&] { read_safetensors(dir.file("none.safetensors")); });
  EXPECT_NE(msg.find(dir.file("none.safetensors") + ": cannot open checkpoint: No such file"),
            std::string::npos)
      << msg;
}

TEST(SafetensorsCorrupt, EveryTruncationIsRejected) {
  // Cutting a valid file at any length must give an Error, never a crash or
  // a silently shorter checkpoint.
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  Safetensors st;
  st.put<float>("a", {3}, random_values<float>(g, 3));
  st.put<int64_t>("b", {2}, random_values<int64_t>(g, 2));
  st.set_metadata("k", "v");
  const std::vector<uint8_t> bytes = serialize_safetensors(st);
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(len));
    EXPECT_THROW(parse_safetensors(cut, "cut"), Error) << "length " << len;
  }
  EXPECT_NO_THROW(parse_safetensors(bytes, "whole"));
}
