// tests/data/mnist_test.cpp: finding the MNIST files, padding and scaling,
// the validation split, and (when CONVNET_DATA is set) the real data set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "common/scoped_env.h"
#include "convnet/idx.h"
#include "convnet/mnist.h"
#include "convnet/rng.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;
using convnet::test::ScopedEnv;

namespace {

const char* kStems[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};


// A small MNIST-like pair of files with random pixels and labels 0-9.
struct FakeSet {
  int n, rows, cols;
  std::vector<uint8_t> pixels, labels;
};

FakeSet write_fake_set(std::mt19937_64& g, const std::string& images, const std::string& labels,
                       int n, int rows, int cols, bool gz) {
  FakeSet s{n, rows, cols, random_bytes(g, size_t(n) * rows * cols), {}};
  for (int i = 0; i < n; ++i) s.labels.push_back(uint8_t(g() % 10));
  const auto img = make_idx(kIdxMagicImages, {uint32_t(n), uint32_t(rows), uint32_t(cols)}, s.pixels);
  const auto lab = make_idx(kIdxMagicLabels, {uint32_t(n)}, s.labels);
  if (gz) {
    write_gzip(images, img);
    write_gzip(labels, lab);
  } else {
    write_bytes(images, img);
    write_bytes(labels, lab);
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- finding

TEST(MnistFiles, AcceptsEverySpelling) {
  // Each of the four files under a different spelling, in one directory.
  TempDir dir;
  const std::vector<std::string> names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz",
                                          "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte.gz"};
  for (const auto& n : names) write_bytes(dir.file(n), {0});
  const MnistFiles f = find_mnist_files(dir.path());
  EXPECT_EQ(f.train_images, dir.file(names[0]));
  EXPECT_EQ(f.train_labels, dir.file(names[1]));
  EXPECT_EQ(f.test_images, dir.file(names[2]));
  EXPECT_EQ(f.test_labels, dir.file(names[3]));
}

TEST(MnistFiles, MissingDirectoryIsNamed) {
  TempDir dir;
  const std::string missing = dir.file("no-such-dir");
  const std::string msg = error_of([&] { find_mnist_files(missing); });
  EXPECT_NE(msg.find("MNIST data directory '" + missing + "' does not exist"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("scripts/get-mnist.sh"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CONVNET_DATA"), std::string::npos) << msg;

  write_bytes(dir.file("plain-file"), {1});
  const std::string m2 = error_of([&] { find_mnist_files(dir.file("plain-file")); });
  EXPECT_NE(m2.find("is not a directory"), std::string::npos) << m2;
}

TEST(MnistFiles, EachMissingFileIsNamed) {
  for (int missing = 0; missing < 4; ++missing) {
    TempDir dir;
    for (int k = 0; k < 4; ++k)
      if (k != missing) write_bytes(dir.file(std::string(kStems[k]) + ".gz"), {0});
    const std::string msg = error_of([&] { find_mnist_files(dir.path()); });
    EXPECT_NE(msg.find("has no " + std::string(kStems[missing])), std::string::npos) << msg;
    EXPECT_NE(msg.find("scripts/get-mnist.sh"), std::string::npos) << msg;
  }
}

TEST(MnistFiles, ResolveDataDir) {
  {
    ScopedEnv env("CONVNET_DATA", "/from/env");
    EXPECT_EQ(resolve_data_dir("/from/flag"), "/from/flag");
    EXPECT_EQ(resolve_data_dir(""), "/from/env");
  }
  {
    ScopedEnv env("CONVNET_DATA", nullptr);
    const std::string msg = error_of([&] { resolve_data_dir(""); });
    EXPECT_NE(msg.find("no MNIST data directory given"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("CONVNET_DATA"), std::string::npos) << msg;
    EXPECT_NE(msg.find("scripts/get-mnist.sh"), std::string::npos) << msg;
  }
  {
    ScopedEnv env("CONVNET_DATA", "");  // set but empty counts as unset
    EXPECT_NE(error_of([&] { resolve_data_dir(""); }).find("no MNIST data directory"),
              std::string::npos);
  }
}

// ---------------------------------------------------------------- loading

TEST(MnistLoad, PadsAndScales) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  for (int pad : {0, 2, 3}) {
    TempDir dir;
    const int n = 1 + int(g() % 5), rows = 1 + int(g() % 8), cols = 1 + int(g() % 8);
    const FakeSet s = write_fake_set(g, dir.file("img"), dir.file("lab"), n, rows, cols, pad == 2);
    const Dataset d = load_idx_dataset(dir.file("img"), dir.file("lab"), pad);
    ASSERT_EQ(d.n, n);
    ASSERT_EQ(d.c, 1);
    ASSERT_EQ(d.h, rows + 2 * pad);
    ASSERT_EQ(d.w, cols + 2 * pad);
    ASSERT_EQ(d.images.size(), size_t(n) * d.h * d.w);
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(d.labels[size_t(i)], int(s.labels[size_t(i)]));
      for (int y = 0; y < d.h; ++y)
        for (int x = 0; x < d.w; ++x) {
          const int sy = y - pad, sx = x - pad;
          const bool inside = sy >= 0 && sy < rows && sx >= 0 && sx < cols;
          // x/255 computed in float, as the loader does; exact equality.
          const float want =
              inside ? float(s.pixels[(size_t(i) * rows + sy) * cols + sx]) / 255.0f : 0.0f;
          ASSERT_EQ(d.images[(size_t(i) * d.h + y) * d.w + x], want)
              << "pad " << pad << " image " << i << " at (" << y << ", " << x << ")";
        }
    }
  }
}

TEST(MnistLoad, ScalingEndpoints) {
  TempDir dir;
  write_bytes(dir.file("img"), make_idx(kIdxMagicImages, {1, 1, 3}, {0, 255, 51}));
  write_bytes(dir.file("lab"), make_idx(kIdxMagicLabels, {1}, {9}));
  const Dataset d = load_idx_dataset(dir.file("img"), dir.file("lab"), 0);
  EXPECT_EQ(d.images, (std::vector<float>{0.0f, 1.0f, 0.2f}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{9}));
}

TEST(MnistLoad, CountMismatchIsNamed) {
  const uint64_t seed = fresh_seed();
  std::mt19937_64 g(seed);
  TempDir dir;
  write_bytes(dir.file("img"), make_idx(kIdxMagicImages, {5, 2, 2}, random_bytes(g, 20)));
  write_bytes(dir.file("lab"), make_idx(kIdxMagicLabels, {4}, {1, 2, 3, 4}));
  const std::string msg = error_of([&] { load_idx_dataset(dir.file("img"), dir.file("lab")); });
  EXPECT_NE(msg.find(dir.file("img") + " has 5 images but " + dir.file("lab") + " has 4 labels"),
            std::string::npos)
      << msg;
}

TEST(MnistLoad, LabelOutOfRangeIsNamed) {
  TempDir dir;
  write_bytes(dir.file("img"), make_idx(kIdxMagicImages, {3, 1, 1}, {1, 2, 3}));
  write_bytes(dir.file("lab"), make_idx(kIdxMagicLabels, {3}, {1, 12, 3}));
  const std::string msg = error_of([&] { load_idx_dataset(dir.file("img"), dir.file("lab")); });
  EXPECT_NE(msg.find("label 12 at index 1 is out of range [0, 9]"), std::string::npos) << msg;
}

TEST(MnistLoad, BadPadIsAnError) {
  TempDir dir;
  write_bytes(dir.file("img"), make_idx(kIdxMagicImages, {1, 1, 1}, {1}));
  write_bytes(dir.file("lab"), make_idx(kIdxMagicLabels, {1}, {1}));
  const std::string msg = error_of([&] { load_idx_dataset(dir.file("img"), dir.file("lab"), -1); });
  EXPECT_NE(msg.find("padding must be in [0, 1024], got -1"), std::string::npos) << msg;
}

TEST(MnistLoad, LoadMnistFromADirectory) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  TempDir dir;
  const FakeSet tr = write_fake_set(g, dir.file("train-images-idx3-ubyte.gz"),
                                    dir.file("train-labels-idx1-ubyte.gz"), 7, 4, 5, true);
  const FakeSet te = write_fake_set(g, dir.file("t10k-images.idx3-ubyte"),
                                    dir.file("t10k-labels.idx1-ubyte"), 3, 4, 5, false);
  const Mnist m = load_mnist(dir.path(), 1);
  EXPECT_EQ(m.train.n, 7);
  EXPECT_EQ(m.test.n, 3);
  EXPECT_EQ(m.train.h, 6);
  EXPECT_EQ(m.train.w, 7);
  // Pixel (0,0) of image 1 lands at (1,1) after padding.
  EXPECT_EQ(m.train.images[size_t(1) * 6 * 7 + 1 * 7 + 1], float(tr.pixels[20]) / 255.0f);
  EXPECT_EQ(m.test.labels[2], int(te.labels[2]));
}

// ---------------------------------------------------------------- split

namespace {

// A dataset whose image i is filled with the value i, so rows can be traced.
Dataset numbered(int n) {
  Dataset d;
  d.n = n;
  d.c = 1;
  d.h = 2;
  d.w = 3;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 6; ++k) d.images.push_back(float(i));
    d.labels.push_back(i % 10);
  }
  return d;
}

}  // namespace

TEST(Split, SizesAndContents) {
  const uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 g(seed);
  const int n = 50 + int(g() % 200);
  const int val = int(g() % uint64_t(n));
  const Dataset full = numbered(n);
  const TrainValSplit s = split_train_val(full, val);
  ASSERT_EQ(s.train.n, n - val);
  ASSERT_EQ(s.val.n, val);
  ASSERT_EQ(s.train.images.size(), size_t(n - val) * 6);
  ASSERT_EQ(s.val.images.size(), size_t(val) * 6);
  EXPECT_EQ(s.val.h, 2);
  EXPECT_EQ(s.val.w, 3);

  // Every original image appears exactly once, with its own label.
  std::vector<int> seen(size_t(n), 0);
  auto check = [&](const Dataset& d) {
    for (int i = 0; i < d.n; ++i) {
      const int orig = int(d.images[size_t(i) * 6]);
      ASSERT_GE(orig, 0);
      ASSERT_LT(orig, n);
      ++seen[size_t(orig)];
      EXPECT_EQ(d.images[size_t(i) * 6 + 5], float(orig));
      EXPECT_EQ(d.labels[size_t(i)], orig % 10);
      if (i > 0) EXPECT_LT(d.images[size_t(i - 1) * 6], float(orig)) << "not in ascending order";
    }
  };
  check(s.train);
  check(s.val);
  for (int i = 0; i < n; ++i) EXPECT_EQ(seen[size_t(i)], 1) << "image " << i;
}

TEST(Split, SameValidationSetForEverySeed) {
  // The split takes no seed: a trainer seeded differently, whose RNG has
  // moved on, must get the same validation images.
  const Dataset full = numbered(1000);
  std::vector<int64_t> t1, v1, t2, v2;
  split_indices(1000, 100, t1, v1);
  for (uint64_t train_seed : {1ull, 2ull, 12345ull}) {
    Rng rng(train_seed);
    for (int i = 0; i < 1000; ++i) rng.next_u64();
    std::vector<int> perm(1000);
    random_permutation(perm.data(), 1000, train_seed);  // the trainer's own shuffling
    split_indices(1000, 100, t2, v2);
    EXPECT_EQ(v1, v2) << "train seed " << train_seed;
    EXPECT_EQ(t1, t2) << "train seed " << train_seed;
  }
  // And the datasets built from them agree byte for byte.
  EXPECT_EQ(split_train_val(full, 100).val.images, split_train_val(full, 100).val.images);

  // The held-out images are spread over the set, not just its tail: a fixed
  // permutation, not "the last 100".
  EXPECT_LT(v1.front(), 500);
  EXPECT_NE(v1, std::vector<int64_t>([] {
              std::vector<int64_t> tail(100);
              std::iota(tail.begin(), tail.end(), 900);
              return tail;
            }()));

  // A larger validation set contains the smaller one.
  std::vector<int64_t> t3, v3;
  split_indices(1000, 250, t3, v3);
  for (const int64_t i : v1)
    EXPECT_TRUE(std::binary_search(v3.begin(), v3.end(), i)) << "index " << i;
}

TEST(Split, ZeroValidationAndBadCounts) {
  const Dataset full = numbered(10);
  const TrainValSplit s = split_train_val(full, 0);
  EXPECT_EQ(s.train.n, 10);
  EXPECT_EQ(s.val.n, 0);
  EXPECT_TRUE(s.val.images.empty());
  EXPECT_EQ(s.train.images, full.images);  // ascending order = the original order

  std::string msg = error_of([&] { split_train_val(full, 10); });
  EXPECT_NE(msg.find("validation count 10 must be in [0, 10)"), std::string::npos) << msg;
  msg = error_of([&] { split_train_val(full, -1); });
  EXPECT_NE(msg.find("validation count -1 must be in [0, 10)"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- real MNIST

namespace {

std::string real_data_dir() {
  const char* env = std::getenv("CONVNET_DATA");
  return env && *env ? env : "";
}

}  // namespace

TEST(RealMnist, CountsLabelsAndPixels) {
  const std::string dir = real_data_dir();
  if (dir.empty()) GTEST_SKIP() << "CONVNET_DATA is not set: skipping the real-MNIST checks "
                                   "(get the files with scripts/get-mnist.sh DIR)";
  const Mnist m = load_mnist(dir);  // pad 2: 32x32
  ASSERT_EQ(m.train.n, 60000);
  ASSERT_EQ(m.test.n, 10000);
  for (const Dataset* d : {&m.train, &m.test}) {
    EXPECT_EQ(d->c, 1);
    EXPECT_EQ(d->h, 32);
    EXPECT_EQ(d->w, 32);
    ASSERT_EQ(d->images.size(), size_t(d->n) * 32 * 32);
    ASSERT_EQ(d->labels.size(), size_t(d->n));
  }

  // The published class counts of MNIST (Fashion-MNIST has 6000/1000 each;
  // accept that too so CONVNET_DATA may point at either).
  std::vector<int> train_hist(10, 0), test_hist(10, 0);
  for (int32_t l : m.train.labels) ++train_hist[size_t(l)];
  for (int32_t l : m.test.labels) ++test_hist[size_t(l)];
  const std::vector<int> mnist_train = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
  const std::vector<int> mnist_test = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  const bool fashion = train_hist == std::vector<int>(10, 6000);
  if (!fashion) {
    EXPECT_EQ(train_hist, mnist_train);
    EXPECT_EQ(test_hist, mnist_test);
    // First labels and pixel sums, computed independently with numpy from
    // the .gz files (sum of raw uint8 pixels).
    EXPECT_EQ(std::vector<int32_t>(m.train.labels.begin(), m.train.labels.begin() + 10),
              (std::vector<int32_t>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}));
    EXPECT_EQ(std::vector<int32_t>(m.test.labels.begin(), m.test.labels.begin() + 10),
              (std::vector<int32_t>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
    auto raw_sum = [](const Dataset& d, int i) {
      double s = 0;
      for (int k = 0; k < 32 * 32; ++k) s += double(d.images[size_t(i) * 1024 + k]) * 255.0;
      return std::lround(s);
    };
    EXPECT_EQ(raw_sum(m.train, 0), 27525);
    EXPECT_EQ(raw_sum(m.train, 1), 31095);
    EXPECT_EQ(raw_sum(m.test, 0), 18454);
    // Train pixel 14,14 of image 0 is 240 -> padded position (16, 16).
    EXPECT_EQ(m.train.images[16 * 32 + 16], 240.0f / 255.0f);

    // Whole-set mean of the 28x28 pixels: 33.318421 / 255 (data/SOURCE.md).
    double total = 0;
    for (float v : m.train.images) total += double(v);
    EXPECT_NEAR(total * 255.0 / (60000.0 * 784.0), 33.318421, 1e-5);
  } else {
    EXPECT_EQ(test_hist, std::vector<int>(10, 1000));
  }

  // The 2-pixel border is zero in every image.
  for (const Dataset* d : {&m.train, &m.test})
    for (int i = 0; i < d->n; i += 97)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
          if (y < 2 || y >= 30 || x < 2 || x >= 30)
            ASSERT_EQ(d->images[(size_t(i) * 32 + y) * 32 + x], 0.0f) << i << " " << y << " " << x;

  // Values in [0, 1].
  const auto [lo, hi] = std::minmax_element(m.train.images.begin(), m.train.images.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);

  // The standard 55000/5000 split.
  const TrainValSplit s = split_train_val(m.train, 5000);
  EXPECT_EQ(s.train.n, 55000);
  EXPECT_EQ(s.val.n, 5000);
  std::vector<int> val_hist(10, 0);
  for (int32_t l : s.val.labels) ++val_hist[size_t(l)];
  // A random 5000 of 60000: each class count is about 500 (binomial sd ~21).
  for (int c = 0; c < 10; ++c) {
    EXPECT_GT(val_hist[size_t(c)], 350) << "class " << c;
    EXPECT_LT(val_hist[size_t(c)], 650) << "class " << c;
  }
}
