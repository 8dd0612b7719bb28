// train_state.cpp: one epoch of minibatch SGD, and evaluation.
//
// Batches: each epoch draws a fresh uniform permutation of the training set
// (on the backend) and walks it in batches of net.batch(). The last partial
// batch (58,976 % 64 = 32 images with the course's settings) is DROPPED: every
// step then has the same size, so the loss scale and the step count per epoch
// are constant, and since the permutation changes every epoch, every image is
// still seen in all but a few epochs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "convnet/init.h"
#include "convnet/rng.h"
#include "convnet/training.h"

namespace convnet {

uint64_t epoch_shuffle_seed(uint64_t seed, int epoch) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + uint64_t(epoch);
  return splitmix64(s);
}

std::vector<float> initial_params(const Network& net, const std::string& init_scheme, uint64_t seed) {
  const InitScheme scheme = parse_init_scheme(init_scheme);
  std::vector<float> host(size_t(net.param_count()), 0.0f);
  Rng rng(seed);
  for (const ParamSlice& s : net.param_slices()) {
    if (s.is_bias) continue;  // biases start at 0
    init_weights(scheme, s.fan_in, host.data() + s.offset, s.count, rng);
  }
  return host;
}

TrainState::TrainState(Network& net, const DeviceDataset& train, const DeviceDataset* val, int max_eval_n)
    : net_(net), be_(net.backend()), train_(train), val_(val) {
  CONVNET_CHECK(train.image_elems() == net.input_elems(), "training images have ", train.image_elems(),
                " pixels but model '", net.model().name, "' expects ", net.input_elems());
  steps_ = train.n() / net.batch();
  CONVNET_CHECK(steps_ > 0, "batch size ", net.batch(), " is larger than the training set (", train.n(), ")");
  if (val) max_eval_n = std::max(max_eval_n, val->n());
  eval_capacity_ = std::max(max_eval_n, 1);
  const int eval_chunks = (eval_capacity_ + net.batch() - 1) / net.batch();

  auto alloc = [&](size_t bytes) {
    void* p = be_.alloc_bytes(std::max<size_t>(bytes, 64));
    owned_.push_back(p);
    return p;
  };
  perm_ = static_cast<int32_t*>(alloc(size_t(train.n()) * sizeof(int32_t)));
  step_losses_ = static_cast<float*>(alloc(size_t(steps_) * sizeof(float)));
  correct_ = static_cast<int32_t*>(alloc(size_t(steps_) * net.batch() * sizeof(int32_t)));
  bad_step_ = static_cast<int32_t*>(alloc(sizeof(int32_t)));
  eval_losses_ = static_cast<float*>(alloc(size_t(eval_chunks) * sizeof(float)));
  eval_correct_ = static_cast<int32_t*>(alloc(size_t(eval_capacity_) * sizeof(int32_t)));
  host_losses_.resize(size_t(std::max(steps_, eval_chunks)));
}

TrainState::~TrainState() {
  for (void* p : owned_) be_.free_bytes(p);
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A one-line progress bar on stderr, redrawn at most every 0.2 s.
void draw_progress(int epoch, int epochs, int step, int steps, double img_per_s, float loss) {
  const int width = 30;
  const int filled = int(double(step) / steps * width);
  std::fprintf(stderr, "\repoch %d/%d [", epoch, epochs);
  for (int i = 0; i < width; ++i) std::fputc(i < filled ? '#' : '.', stderr);
  std::fprintf(stderr, "] %5.1f%%  %8.0f img/s  loss %.4f ", 100.0 * step / steps, img_per_s, loss);
  std::fflush(stderr);
}

}  // namespace

EpochMetrics TrainState::run_epoch(int epoch, const TrainOptions& opt) {
  const int B = net_.batch();
  const int steps = opt.max_steps_per_epoch > 0 ? std::min(steps_, opt.max_steps_per_epoch) : steps_;
  const int32_t minus_one = -1;
  be_.upload(bad_step_, &minus_one, sizeof(int32_t));
  be_.shuffle(perm_, train_.n(), epoch_shuffle_seed(opt.seed, epoch));

  const auto t0 = std::chrono::steady_clock::now();
  auto last_draw = t0;
  for (int s = 0; s < steps; ++s) {
    be_.gather(train_.images(), train_.labels(), train_.image_elems(), perm_, int64_t(s) * B, B, net_.input(),
               net_.labels());
    net_.forward(B);
    net_.loss(B, step_losses_ + s, correct_ + int64_t(s) * B, bad_step_, s);
    net_.backward(B);
    net_.sgd_step(opt.sgd);

    if (opt.progress_tty) {
      // Reading one loss syncs a GPU, so do it only when redrawing (<= 5/s).
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_draw).count() > 0.2 || s + 1 == steps) {
        last_draw = now;
        float loss = 0;
        be_.download(&loss, step_losses_ + s, sizeof(float));
        draw_progress(epoch, opt.first_epoch + opt.epochs - 1, s + 1, steps,
                      double(s + 1) * B / seconds_since(t0), loss);
      }
    }
  }
  be_.synchronize();
  EpochMetrics m;
  m.epoch = epoch;
  m.train_seconds = seconds_since(t0);
  m.images_per_second = double(steps) * B / m.train_seconds;
  if (opt.progress_tty) std::fputc('\n', stderr);

  // Once per epoch: the divergence flag, the losses and the correct count.
  int32_t bad = -1;
  be_.download(&bad, bad_step_, sizeof(int32_t));
  if (bad >= 0)
    throw TrainingDiverged("loss became NaN or Inf at epoch " + std::to_string(epoch) + ", step " +
                               std::to_string(bad + 1) + " of " + std::to_string(steps) +
                               " (lr " + std::to_string(opt.sgd.lr) + ")",
                           epoch, bad + 1);
  m.step_losses.resize(size_t(steps));
  be_.download(m.step_losses.data(), step_losses_, size_t(steps) * sizeof(float));
  double sum = 0;
  for (float l : m.step_losses) sum += l;
  m.train_loss = sum / steps;
  const int64_t correct = be_.sum_i32(correct_, int64_t(steps) * B);
  m.train_error = 1.0 - double(correct) / (double(steps) * B);

  if (val_) {
    const auto te = std::chrono::steady_clock::now();
    const EvalResult v = evaluate(*val_);
    m.val_loss = v.loss;
    m.val_error = v.error;
    m.eval_seconds = seconds_since(te);
  }
  return m;
}

EvalResult TrainState::evaluate(const DeviceDataset& data) {
  CONVNET_CHECK(data.n() <= eval_capacity_, "internal: evaluation set of ", data.n(),
                " exceeds the planned capacity ", eval_capacity_);
  CONVNET_CHECK(data.image_elems() == net_.input_elems(), "evaluation images have ", data.image_elems(),
                " pixels but the model expects ", net_.input_elems());
  const int B = net_.batch();
  const int chunks = (data.n() + B - 1) / B;
  for (int c = 0; c < chunks; ++c) {
    const int n = std::min(B, data.n() - c * B);
    be_.gather(data.images(), data.labels(), data.image_elems(), nullptr, int64_t(c) * B, n, net_.input(),
               net_.labels());
    net_.forward(n);
    net_.loss(n, eval_losses_ + c, eval_correct_ + int64_t(c) * B, nullptr, c);
  }
  be_.download(host_losses_.data(), eval_losses_, size_t(chunks) * sizeof(float));
  double total = 0;
  for (int c = 0; c < chunks; ++c) total += double(host_losses_[size_t(c)]) * std::min(B, data.n() - c * B);
  EvalResult r;
  r.n = data.n();
  r.loss = total / data.n();
  r.correct = be_.sum_i32(eval_correct_, data.n());
  r.error = 1.0 - double(r.correct) / data.n();
  return r;
}

}  // namespace convnet
