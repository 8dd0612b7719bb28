// tests/data/idx_test.cpp: IDX files, raw and gzipped, good and bad.
#include <gtest/gtest.h>

#include "convnet/idx.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;

namespace {

struct SmallImages {
  uint32_t n, rows, cols;
  std::vector<uint8_t> pixels;
};

SmallImages random_images(std::mt19937_64& g) {
  SmallImages s;
  s.n = 1 + uint32_t(g() % 7);
  s.rows = 1 + uint32_t(g() % 9);
  s.cols = 1 + uint32_t(g() % 9);
  s.pixels = random_bytes(g, size_t(s.n) * s.rows * s.cols);
  return s;
}

}  // namespace

TEST(Idx, ReadsRawAndGzippedImagesAndLabels) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;
  const SmallImages s = random_images(g);
  const std::vector<uint8_t> img = make_idx(kIdxMagicImages, {s.n, s.rows, s.cols}, s.pixels);
  std::vector<uint8_t> labels = random_bytes(g, s.n);
  const std::vector<uint8_t> lab = make_idx(kIdxMagicLabels, {s.n}, labels);

  // The gzipped copies get names WITHOUT .gz, and a raw copy one WITH .gz:
  // detection must go by the magic bytes, not the name.
  write_bytes(dir.file("raw-images"), img);
  write_gzip(dir.file("gz-images"), img);
  write_bytes(dir.file("raw-images.gz"), img);
  write_bytes(dir.file("raw-labels"), lab);
  write_gzip(dir.file("gz-labels"), lab);

  for (const char* name : {"raw-images", "gz-images", "raw-images.gz"}) {
    const IdxArray a = read_idx_images(dir.file(name));
    EXPECT_EQ(a.dims, (std::vector<int>{int(s.n), int(s.rows), int(s.cols)})) << name;
    EXPECT_EQ(a.data, s.pixels) << name;
  }
  for (const char* name : {"raw-labels", "gz-labels"}) {
    const IdxArray a = read_idx_labels(dir.file(name));
    EXPECT_EQ(a.dims, (std::vector<int>{int(s.n)})) << name;
    EXPECT_EQ(a.data, labels) << name;
  }
}

TEST(Idx, ReadsConcatenatedGzipMembers) {
  // gzip(1) accepts "cat a.gz b.gz > c.gz"; so do we. The last member's
  // size field (our first guess of the output size) covers only 10 of the
  // 5008 bytes, so this also exercises growing the output buffer.
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;
  std::vector<uint8_t> labels = random_bytes(g, 5000);
  const std::vector<uint8_t> whole = make_idx(kIdxMagicLabels, {5000}, labels);
  const std::vector<uint8_t> part1(whole.begin(), whole.end() - 10);
  const std::vector<uint8_t> part2(whole.end() - 10, whole.end());
  write_gzip(dir.file("a"), part1);
  write_gzip(dir.file("b"), part2);
  std::vector<uint8_t> cat = read_bytes(dir.file("a"));
  const std::vector<uint8_t> b = read_bytes(dir.file("b"));
  cat.insert(cat.end(), b.begin(), b.end());
  write_bytes(dir.file("c"), cat);
  EXPECT_EQ(read_file_maybe_gzip(dir.file("c")), whole);
  EXPECT_EQ(read_idx_labels(dir.file("c")).data, labels);
}

TEST(Idx, GzipLengthFieldIsChecked) {
  // A 270 kB file inflates exactly; the same file with its trailer's
  // length field (ISIZE) altered is rejected by zlib's length check.
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;
  std::vector<uint8_t> pixels(3u * 300 * 300);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t((i / 97) % 3 == 0 ? g() : 0);
  const std::vector<uint8_t> img = make_idx(kIdxMagicImages, {3, 300, 300}, pixels);
  write_gzip(dir.file("big"), img);
  EXPECT_EQ(read_idx_images(dir.file("big")).data, pixels);

  std::vector<uint8_t> gz = read_bytes(dir.file("big"));
  gz[gz.size() - 4] ^= 0x55;  // ISIZE low byte
  write_bytes(dir.file("bad-isize"), gz);
  const std::string msg = error_of([&] { read_idx_images(dir.file("bad-isize")); });
  EXPECT_NE(msg.find("bad-isize: not a valid gzip stream: incorrect length check"), std::string::npos)
      << msg;
}

TEST(Idx, WrongMagicIsNamed) {
  TempDir dir;
  // Labels where images are expected, and a non-uint8 type code.
  write_gzip(dir.file("train-images-idx3-ubyte.gz"), make_idx(0x00000802, {2, 2}, {1, 2, 3, 4}));
  std::string msg = error_of([&] { read_idx_images(dir.file("train-images-idx3-ubyte.gz")); });
  EXPECT_NE(msg.find("train-images-idx3-ubyte.gz: bad IDX magic 0x00000802, expected 0x00000803 (images)"),
            std::string::npos)
      << msg;

  write_bytes(dir.file("labels"), make_idx(0x00000d01, {2}, {0, 0, 0, 0, 0, 0, 0, 0}));
  msg = error_of([&] { read_idx_labels(dir.file("labels")); });
  EXPECT_NE(msg.find("bad IDX magic 0x00000d01, expected 0x00000801 (labels)"), std::string::npos)
      << msg;

  // Not IDX at all (a text file).
  write_bytes(dir.file("text"), {'h', 'e', 'l', 'l', 'o', '\n'});
  msg = error_of([&] { read_idx_labels(dir.file("text")); });
  EXPECT_NE(msg.find("text: bad IDX magic 0x68656c6c"), std::string::npos) << msg;
}

TEST(Idx, TruncatedPayloadIsNamed) {
  TempDir dir;
  std::vector<uint8_t> img = make_idx(kIdxMagicImages, {60000, 28, 28}, std::vector<uint8_t>(1200, 7));
  write_gzip(dir.file("train-images-idx3-ubyte.gz"), img);
  const std::string msg = error_of([&] { read_idx_images(dir.file("train-images-idx3-ubyte.gz")); });
  EXPECT_NE(msg.find("train-images-idx3-ubyte.gz: truncated: expected 47040000 bytes of pixels, got 1200"),
            std::string::npos)
      << msg;

  write_bytes(dir.file("labels"), make_idx(kIdxMagicLabels, {10}, {1, 2, 3}));
  const std::string m2 = error_of([&] { read_idx_labels(dir.file("labels")); });
  EXPECT_NE(m2.find("labels: truncated: expected 10 bytes of labels, got 3"), std::string::npos) << m2;
}

TEST(Idx, TruncatedHeaderIsNamed) {
  TempDir dir;
  write_bytes(dir.file("short"), {0, 0, 8, 3, 0, 0, 0, 1, 0, 0});  // 2 of 3 dims missing
  std::string msg = error_of([&] { read_idx_images(dir.file("short")); });
  EXPECT_NE(msg.find("short: truncated: 10 bytes, an IDX header with 3 dimensions needs 16"),
            std::string::npos)
      << msg;
  write_bytes(dir.file("tiny"), {0, 0});
  msg = error_of([&] { read_idx_labels(dir.file("tiny")); });
  EXPECT_NE(msg.find("tiny: truncated: 2 bytes"), std::string::npos) << msg;
  write_bytes(dir.file("empty"), {});
  msg = error_of([&] { read_idx_labels(dir.file("empty")); });
  EXPECT_NE(msg.find("empty: truncated: 0 bytes"), std::string::npos) << msg;
}

TEST(Idx, TrailingBytesAreAnError) {
  TempDir dir;
  std::vector<uint8_t> lab = make_idx(kIdxMagicLabels, {3}, {1, 2, 3, 9, 9});
  write_gzip(dir.file("labels.gz"), lab);
  const std::string msg = error_of([&] { read_idx_labels(dir.file("labels.gz")); });
  EXPECT_NE(msg.find("labels.gz: 2 trailing bytes after the 3 bytes of labels"), std::string::npos)
      << msg;
}

TEST(Idx, ZeroRowsOrColsAreAnError) {
  TempDir dir;
  write_bytes(dir.file("img"), make_idx(kIdxMagicImages, {2, 0, 5}, {}));
  const std::string msg = error_of([&] { read_idx_images(dir.file("img")); });
  EXPECT_NE(msg.find("img: bad IDX dimension 1 = 0"), std::string::npos) << msg;
}

TEST(Idx, BadGzipIsNamed) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;
  const std::vector<uint8_t> img =
      make_idx(kIdxMagicImages, {4, 10, 10}, random_bytes(g, 400));
  write_gzip(dir.file("good.gz"), img);
  const std::vector<uint8_t> gz = read_bytes(dir.file("good.gz"));
  ASSERT_GT(gz.size(), 30u);

  // Cut short: the deflate stream ends early.
  write_bytes(dir.file("cut.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + long(gz.size() / 2)));
  std::string msg = error_of([&] { read_idx_images(dir.file("cut.gz")); });
  EXPECT_NE(msg.find("cut.gz: not a valid gzip stream: unexpected end of compressed data"),
            std::string::npos)
      << msg;

  // Gzip magic followed by garbage: zlib's own message is passed on.
  std::vector<uint8_t> junk = {0x1f, 0x8b};
  for (int i = 0; i < 40; ++i) junk.push_back(uint8_t(0xA5 ^ i));
  write_bytes(dir.file("junk"), junk);
  msg = error_of([&] { read_idx_images(dir.file("junk")); });
  EXPECT_NE(msg.find("junk: not a valid gzip stream: "), std::string::npos) << msg;
  EXPECT_GT(msg.size(), std::string("junk: not a valid gzip stream: ").size() + dir.path().size());

  // A flipped payload byte: the CRC-32 check fails.
  std::vector<uint8_t> flipped = gz;
  flipped[gz.size() - 8] ^= 0xFF;  // first CRC byte of the trailer
  write_bytes(dir.file("crc.gz"), flipped);
  msg = error_of([&] { read_idx_images(dir.file("crc.gz")); });
  EXPECT_NE(msg.find("crc.gz: not a valid gzip stream: incorrect data check"), std::string::npos)
      << msg;

  // Garbage after a complete member.
  std::vector<uint8_t> tail = gz;
  tail.push_back('x');
  tail.push_back('y');
  write_bytes(dir.file("tail.gz"), tail);
  msg = error_of([&] { read_idx_images(dir.file("tail.gz")); });
  EXPECT_NE(msg.find("tail.gz: not a valid gzip stream: 2 bytes of garbage after the compressed data"),
            std::string::npos)
      << msg;
}

TEST(Idx, MissingFileIsNamed) {
  TempDir dir;
  const std::string msg = error_of([&] { read_idx_images(dir.file("nope-idx3-ubyte")); });
  EXPECT_NE(msg.find(dir.file("nope-idx3-ubyte") + ": cannot open: No such file or directory"),
            std::string::npos)
      << msg;
}
