// tests/data/data_test_util.h: temp directories and small file writers for
// the data and checkpoint tests.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "convnet/error.h"

namespace convnet_test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/convnet-data-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "cannot create " << path;
  if (!bytes.empty()) ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  ASSERT_EQ(std::fclose(f), 0);
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::vector<uint8_t> out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  int c;
  while ((c = std::fgetc(f)) != EOF) out.push_back(uint8_t(c));
  std::fclose(f);
  return out;
}

// gzip-compresses with zlib's gz* API (a real gzip stream, as gzip(1) writes).
inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile g = gzopen(path.c_str(), "wb");
  ASSERT_NE(g, nullptr) << "cannot create " << path;
  if (!bytes.empty()) ASSERT_EQ(gzwrite(g, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
  ASSERT_EQ(gzclose(g), Z_OK);
}

// An IDX byte buffer: big-endian magic, dims, then the payload.
inline std::vector<uint8_t> make_idx(uint32_t magic, const std::vector<uint32_t>& dims,
                                     const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> out;
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
  };
  be32(magic);
  for (uint32_t d : dims) be32(d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// A seed for "fresh random inputs per case"; print it so a failure can be
// replayed.
inline uint64_t fresh_seed() {
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd();
}

inline std::vector<uint8_t> random_bytes(std::mt19937_64& g, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(g());
  return v;
}

// Runs `f`, expects a convnet::Error, and returns its message ("" and a
// test failure if nothing or something else was thrown).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const convnet::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected convnet::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected convnet::Error, nothing was thrown";
  return "";
}

}  // namespace convnet_test
