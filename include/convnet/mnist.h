// convnet/mnist.h: the MNIST data set, loaded into float tensors.
//
// MNIST is four IDX files (convnet/idx.h): 60,000 training and 10,000 test
// images of 28x28 uint8 pixels, with uint8 labels 0-9. Fashion-MNIST uses
// the same four file names and format (Debian's dataset-fashion-mnist
// installs them), so pointing --data at its directory just works.
//
// Loading turns them into a Dataset: NCHW float images scaled to [0, 1]
// (x / 255) and zero-padded from 28x28 to 32x32 (pad = 2 each side), the
// input size of LeNet-5 as LeCun et al. (1998) describe it.
//
// Where the data lives: --data DIR, else the environment variable
// CONVNET_DATA, else an error telling you to run scripts/get-mnist.sh DIR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convnet {

struct Dataset {
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;    // n*c*h*w, NCHW
  std::vector<int32_t> labels;  // n
};

// The four files of an MNIST-format data set.
struct MnistFiles {
  std::string train_images, train_labels, test_images, test_labels;
};

// The data directory: `flag_value` if non-empty (from --data), else
// $CONVNET_DATA if set and non-empty, else an Error saying how to get the
// data. Does not check that the directory exists (find_mnist_files does).
std::string resolve_data_dir(const std::string& flag_value);

// Finds the four files in `dir`. Each may be spelled
//   train-images-idx3-ubyte   train-images-idx3-ubyte.gz
//   train-images.idx3-ubyte   train-images.idx3-ubyte.gz
// (likewise train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte). A missing directory or file is an Error naming
// it and saying how to get it.
MnistFiles find_mnist_files(const std::string& dir);

// Loads one image file + label file pair: checks the counts agree and every
// label is in [0, 9], pads each image by `pad` zero pixels on every side
// (pad >= 0) and scales pixels to [0, 1].
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         int pad = 2);

struct Mnist {
  Dataset train;  // 60,000 for MNIST
  Dataset test;   // 10,000
};

// find_mnist_files + load_idx_dataset for both halves.
Mnist load_mnist(const std::string& dir, int pad = 2);

// The rows `idx[0..count)` of `d`, in that order. Indices must be in [0, n).
Dataset take_subset(const Dataset& d, const int64_t* idx, int64_t count);

// The validation split: the SAME images for every training seed.
//
// We permute [0, n) with the engine's RNG (convnet/rng.h) under the fixed
// seed kSplitSeed and hold out the LAST val_count indices of that
// permutation as the validation set; the rest are the training set. Both
// halves are then listed in ascending original order, so the result does not
// depend on anything but n and val_count. A larger val_count takes a
// superset of a smaller one's validation images. val_count == 0 gives an
// empty validation set; val_count < 0 or >= n is an Error.
constexpr uint64_t kSplitSeed = 0x6d6e6973742d7661ull;  // "mnist-va"

struct TrainValSplit {
  Dataset train;
  Dataset val;
};

TrainValSplit split_train_val(const Dataset& full, int64_t val_count);

// The indices split_train_val uses, exposed for tests and for logging:
// train_idx and val_idx ascending, disjoint, together [0, n).
void split_indices(int64_t n, int64_t val_count, std::vector<int64_t>& train_idx,
                   std::vector<int64_t>& val_idx);

}  // namespace convnet
