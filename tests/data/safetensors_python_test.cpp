// tests/data/safetensors_python_test.cpp: our checkpoints read back by an
// independent reader, tests/python/read_safetensors.py (json + numpy only,
// no code shared with host/io/). Skips with a message when /usr/bin/python3
// or numpy is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "convnet/safetensors.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;

namespace {

const char* kPython = "/usr/bin/python3";

// Runs a shell command, returning its exit status and stdout.
int run(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, got);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

struct PyTensor {
  std::string dtype, shape;
  std::vector<std::string> values;
};

}  // namespace

TEST(SafetensorsPython, IndependentReaderAgrees) {
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " not found: skipping the independent reader check";
  std::string ignored;
  if (run(std::string(kPython) + " -c 'import numpy' 2>&1", &ignored) != 0)
    GTEST_SKIP() << "numpy is not importable by " << kPython << ": skipping the independent reader check";

  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  std::normal_distribution<double> normal(0.0, 2.0);

  std::vector<float> w(2 * 3 * 5);
  for (auto& x : w) x = float(normal(g));
  w[0] = -0.0f;
  w[1] = std::ldexp(1.0f, -140);  // a denormal
  std::vector<double> d(4);
  for (auto& x : d) x = normal(g) * 1e10;
  std::vector<int32_t> i32(7);
  for (auto& x : i32) x = int32_t(uint32_t(g()));
  std::vector<int64_t> i64(3);
  for (auto& x : i64) x = int64_t(g());
  std::vector<uint64_t> u64(4);
  for (auto& x : u64) x = g();
  u64[0] = UINT64_MAX;

  Safetensors st;
  st.put("conv1.weight", {2, 3, 5}, w);  // F32 first: the writer must realign
  st.put("i32", {7}, i32);
  st.put("f64", {2, 2}, d);
  st.put("i64", {3}, i64);
  st.put("rng.state", {4}, u64);
  st.put_scalar<float>("lr", 0.125f);
  st.put("empty", {0, 4}, std::vector<float>());
  st.set_metadata("format", "convnet-checkpoint");
  st.set_metadata("note", "caf\xc3\xa9 \"quoted\" back\\slash");

  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_safetensors(path, st);

  const std::string script = std::string(CONVNET_SOURCE_DIR) + "/tests/python/read_safetensors.py";
  std::string out;
  const int rc = run(std::string(kPython) + " '" + script + "' '" + path + "'", &out);
  if (rc == 77) GTEST_SKIP() << "read_safetensors.py says numpy is missing";
  ASSERT_EQ(rc, 0) << "read_safetensors.py failed on our file; output:\n" << out;

  std::map<std::string, std::string> meta;
  std::map<std::string, PyTensor> tensors;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::vector<std::string> f = split(line, '\t');
    if (f[0] == "M" && f.size() == 3) {
      meta[f[1]] = f[2];
    } else if (f[0] == "T" && f.size() == 5) {
      PyTensor t{f[2], f[3], f[4].empty() ? std::vector<std::string>() : split(f[4], ' ')};
      tensors[f[1]] = t;
    } else {
      ADD_FAILURE() << "unexpected line from read_safetensors.py: " << line;
    }
  }
  EXPECT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta["format"], "convnet-checkpoint");
  EXPECT_EQ(meta["note"], "caf\xc3\xa9 \"quoted\" back\\slash");
  ASSERT_EQ(tensors.size(), 7u) << out;

  auto expect_floats = [&](const std::string& name, const std::string& dtype,
                           const std::string& shape, const std::vector<double>& want) {
    SCOPED_TRACE(name);
    const PyTensor& t = tensors[name];
    EXPECT_EQ(t.dtype, dtype);
    EXPECT_EQ(t.shape, shape);
    ASSERT_EQ(t.values.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      // repr() of a Python float is exact, so the round trip is bitwise.
      const double got = std::strtod(t.values[i].c_str(), nullptr);
      EXPECT_EQ(got, want[i]) << "element " << i << ": python printed " << t.values[i];
      EXPECT_EQ(std::signbit(got), std::signbit(want[i])) << "element " << i;
    }
  };
  auto expect_ints = [&](const std::string& name, const std::string& dtype,
                         const std::string& shape, const std::vector<std::string>& want) {
    SCOPED_TRACE(name);
    const PyTensor& t = tensors[name];
    EXPECT_EQ(t.dtype, dtype);
    EXPECT_EQ(t.shape, shape);
    EXPECT_EQ(t.values, want);
  };

  expect_floats("conv1.weight", "F32", "2x3x5", std::vector<double>(w.begin(), w.end()));
  expect_floats("f64", "F64", "2x2", d);
  expect_floats("lr", "F32", "", {0.125});
  expect_floats("empty", "F32", "0x4", {});
  std::vector<std::string> s32, s64, su64;
  for (auto x : i32) s32.push_back(std::to_string(x));
  for (auto x : i64) s64.push_back(std::to_string(x));
  for (auto x : u64) su64.push_back(std::to_string(x));
  expect_ints("i32", "I32", "7", s32);
  expect_ints("i64", "I64", "3", s64);
  expect_ints("rng.state", "U64", "4", su64);
}

TEST(SafetensorsPython, IndependentReaderRejectsAGap) {
  // The script is a checker, not just a printer: a file with a hole between
  // tensors (which our reader also rejects) must fail it.
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " not found";
  std::string ignored;
  if (run(std::string(kPython) + " -c 'import numpy' 2>&1", &ignored) != 0)
    GTEST_SKIP() << "numpy is not importable by " << kPython;
  TempDir dir;
  std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  while ((8 + header.size()) % 8) header += ' ';
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(uint8_t(uint64_t(header.size()) >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + 8, 0);
  write_bytes(dir.file("gap"), bytes);
  EXPECT_THROW(read_safetensors(dir.file("gap")), Error);
  const std::string script = std::string(CONVNET_SOURCE_DIR) + "/tests/python/read_safetensors.py";
  std::string out;
  EXPECT_EQ(run(std::string(kPython) + " '" + script + "' '" + dir.file("gap") + "' 2>&1", &out), 1)
      << out;
  EXPECT_NE(out.find("tensor 'w' starts at 4, expected 0"), std::string::npos) << out;
}
