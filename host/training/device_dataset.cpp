// device_dataset.cpp: a dataset copied into backend memory once per run.
#include "convnet/training.h"

namespace convnet {

DeviceDataset::DeviceDataset(Backend& be, const Dataset& host)
    : be_(be), n_(host.n), image_elems_(int64_t(host.c) * host.h * host.w) {
  CONVNET_CHECK(host.n > 0, "empty dataset");
  CONVNET_CHECK(int64_t(host.images.size()) == int64_t(n_) * image_elems_ && int64_t(host.labels.size()) == n_,
                "dataset arrays do not match n=", n_);
  const size_t img_bytes = host.images.size() * sizeof(float);
  const size_t lbl_bytes = host.labels.size() * sizeof(int32_t);
  images_ = static_cast<float*>(be_.alloc_bytes(img_bytes));
  labels_ = static_cast<int32_t*>(be_.alloc_bytes(lbl_bytes));
  be_.upload(images_, host.images.data(), img_bytes);
  be_.upload(labels_, host.labels.data(), lbl_bytes);
}

DeviceDataset::~DeviceDataset() {
  be_.free_bytes(images_);
  be_.free_bytes(labels_);
}

}  // namespace convnet
