// host/data/mnist.cpp: MNIST files -> padded, scaled float tensors, and the
// fixed train/validation split (see convnet/mnist.h).
#include "convnet/mnist.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "convnet/error.h"
#include "convnet/idx.h"
#include "convnet/rng.h"

namespace convnet {

namespace fs = std::filesystem;

namespace {

const char* kHowToGet =
    "download them with scripts/get-mnist.sh DIR (or copy the four MNIST files "
    "there) and pass --data DIR or set CONVNET_DATA=DIR";

// Looks for one of the four files under its known spellings. `stem` is the
// canonical name without extension ("train-images-idx3-ubyte"); the
// alternative spelling replaces the dash before "idx" by a dot.
std::string find_one(const fs::path& dir, const std::string& stem) {
  std::string dotted = stem;
  const size_t at = dotted.rfind("-idx");
  if (at != std::string::npos) dotted[at] = '.';
  const std::string names[] = {stem, stem + ".gz", dotted, dotted + ".gz"};
  for (const std::string& name : names) {
    std::error_code ec;
    const fs::path p = dir / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  throw_error("MNIST data directory '", dir.string(), "' has no ", stem, " (looked for ", stem,
              ", ", stem, ".gz, ", dotted, " and ", dotted, ".gz); ", kHowToGet);
}

}  // namespace

std::string resolve_data_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("CONVNET_DATA");
  if (env && *env) return env;
  throw_error("no MNIST data directory given: pass --data DIR or set CONVNET_DATA=DIR; "
              "to get the files run scripts/get-mnist.sh DIR");
}

MnistFiles find_mnist_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw_error("MNIST data directory '", dir, "' does not exist; ", kHowToGet);
  if (!fs::is_directory(dir, ec))
    throw_error("MNIST data directory '", dir, "' is not a directory; ", kHowToGet);
  MnistFiles f;
  f.train_images = find_one(dir, "train-images-idx3-ubyte");
  f.train_labels = find_one(dir, "train-labels-idx1-ubyte");
  f.test_images = find_one(dir, "t10k-images-idx3-ubyte");
  f.test_labels = find_one(dir, "t10k-labels-idx1-ubyte");
  return f;
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         int pad) {
  CONVNET_CHECK(pad >= 0 && pad <= 1024, "image padding must be in [0, 1024], got ", pad);
  const IdxArray img = read_idx_images(images_path);
  const IdxArray lab = read_idx_labels(labels_path);
  const int n = img.dims[0], rows = img.dims[1], cols = img.dims[2];
  CONVNET_CHECK(lab.dims[0] == n, images_path, " has ", n, " images but ", labels_path, " has ",
                lab.dims[0], " labels");

  Dataset d;
  d.n = n;
  d.c = 1;
  d.h = rows + 2 * pad;
  d.w = cols + 2 * pad;
  // Zero-filled, so the border is the padding; only the interior is written.
  d.images.assign(size_t(n) * d.h * d.w, 0.0f);
  for (int i = 0; i < n; ++i) {
    const uint8_t* src = img.data.data() + size_t(i) * rows * cols;
    float* dst = d.images.data() + size_t(i) * d.h * d.w;
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        dst[size_t(y + pad) * d.w + (x + pad)] = float(src[y * cols + x]) / 255.0f;
  }

  d.labels.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    const int label = lab.data[size_t(i)];
    CONVNET_CHECK(label <= 9, labels_path, ": label ", label, " at index ", i,
                  " is out of range [0, 9]");
    d.labels[size_t(i)] = label;
  }
  return d;
}

Mnist load_mnist(const std::string& dir, int pad) {
  const MnistFiles f = find_mnist_files(dir);
  Mnist m;
  m.train = load_idx_dataset(f.train_images, f.train_labels, pad);
  m.test = load_idx_dataset(f.test_images, f.test_labels, pad);
  return m;
}

Dataset take_subset(const Dataset& d, const int64_t* idx, int64_t count) {
  CONVNET_CHECK(count >= 0 && count <= (int64_t(1) << 31) - 1, "take_subset: bad count ", count);
  Dataset s;
  s.n = int(count);
  s.c = d.c;
  s.h = d.h;
  s.w = d.w;
  const size_t per = size_t(d.c) * d.h * d.w;
  s.images.resize(size_t(count) * per);
  s.labels.resize(size_t(count));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t i = idx[k];
    CONVNET_CHECK(i >= 0 && i < d.n, "take_subset: index ", i, " out of range [0, ", d.n, ")");
    std::copy_n(d.images.begin() + long(size_t(i) * per), per,
                s.images.begin() + long(size_t(k) * per));
    s.labels[size_t(k)] = d.labels[size_t(i)];
  }
  return s;
}

void split_indices(int64_t n, int64_t val_count, std::vector<int64_t>& train_idx,
                   std::vector<int64_t>& val_idx) {
  CONVNET_CHECK(val_count >= 0 && val_count < n, "validation count ", val_count,
                " must be in [0, ", n, ") for a training set of ", n, " images");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  random_permutation(perm.data(), n, kSplitSeed);
  train_idx.assign(perm.begin(), perm.end() - long(val_count));
  val_idx.assign(perm.end() - long(val_count), perm.end());
  std::sort(train_idx.begin(), train_idx.end());
  std::sort(val_idx.begin(), val_idx.end());
}

TrainValSplit split_train_val(const Dataset& full, int64_t val_count) {
  std::vector<int64_t> train_idx, val_idx;
  split_indices(full.n, val_count, train_idx, val_idx);
  TrainValSplit s;
  s.train = take_subset(full, train_idx.data(), int64_t(train_idx.size()));
  s.val = take_subset(full, val_idx.data(), int64_t(val_idx.size()));
  return s;
}

}  // namespace convnet
