// train_command.cpp: the training run, --eval and --summary.
#include "train_command.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "convnet/checkpoint.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "convnet/graph.h"
#include "convnet/json_writer.h"
#include "convnet/plots.h"
#include "convnet/provenance.h"
#include "convnet/training.h"
#include "run_files.h"
#include "run_setup.h"

namespace convnet {

namespace {

int64_t peak_rss_bytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return int64_t(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::map<std::string, std::string> checkpoint_meta(const TrainFlags& f, const ModelDesc& m, const Backend& be) {
  return {{"model", m.name},        {"backend", be.name()},        {"batch", std::to_string(f.batch)},
          {"lr", std::to_string(f.lr)}, {"init", f.init},        {"momentum", std::to_string(f.momentum)},
          {"weight_decay", std::to_string(f.weight_decay)}, {"val", std::to_string(f.val)},
          {"format", "convnet checkpoint v1"}};
}

}  // namespace

int run_summary(const TrainFlags& f) {
  const ModelDesc m = load_model_for(f);
  // The plan is backend-independent; the cpu backend is always there.
  std::unique_ptr<Backend> be = make_cpu_backend(BackendOptions{});
  Network net(m, f.batch, *be);
  std::fputs(format_summary(m, net.layers(), f.batch, net.memory_plan().arena_bytes).c_str(), stdout);
  std::printf("memory plan: %lld activation/gradient bytes with reuse (%lld without), %lld parameter bytes x3 "
              "(weights, gradients, momentum)\n",
              (long long)net.memory_plan().arena_bytes, (long long)net.memory_plan().naive_bytes,
              (long long)(net.param_count() * 4));
  return 0;
}

int run_eval(const TrainFlags& f) {
  const EvalSetup e = load_eval_setup(f);
  Backend* be = e.backend.get();
  const Checkpoint& ck = e.checkpoint;
  DeviceDataset test(*be, e.data.test);
  DeviceDataset train(*be, e.data.train);
  TrainState state(*e.net, train, nullptr, test.n());
  const EvalResult r = state.evaluate(test);
  std::printf("%s (epoch %lld) on %s: test error %.2f%% (%lld/%d wrong), test loss %.4f\n", f.eval.c_str(),
              (long long)ck.epoch, be->name().c_str(), 100.0 * r.error, (long long)(r.n - r.correct), r.n,
              r.loss);
  return 0;
}

int run_train(const TrainFlags& f) {
  const TrainSetup setup = load_train_setup(f);
  const ModelDesc& m = setup.model;
  Backend* be = setup.backend.get();
  Network& net = *setup.net;
  const DeviceDataset& train = *setup.train;
  const DeviceDataset* val = setup.val.get();
  DeviceDataset test(*be, setup.data.test);
  TrainState state(net, train, val, test.n());
  TrainOptions opt = train_options_from(f);

  RunFiles files(f.out);
  const std::string ckpt_path = f.out + "/checkpoint.safetensors";
  const std::string best_path = f.out + "/best.safetensors";
  if (!f.resume.empty()) {
    const Checkpoint ck = load_checkpoint(f.resume, net);
    CONVNET_CHECK(ck.seed == f.seed, "--resume: the checkpoint was trained with --seed ", ck.seed,
                  ", not ", f.seed, "; pass the same seed to continue the same run");
    CONVNET_CHECK(ck.epoch < f.epochs, "--resume: the checkpoint already has ", ck.epoch,
                  " epochs; ask for more with --epochs");
    net.upload_params(ck.params);
    if (!ck.momentum.empty()) net.upload_momentum(ck.momentum);
    opt.first_epoch = int(ck.epoch) + 1;
    files.keep_epochs_up_to(int(ck.epoch));
  } else {
    net.upload_params(initial_params(net, f.init, f.seed));
    files.start_fresh();
  }
  const auto meta = checkpoint_meta(f, m, *be);

  if (!f.quiet)
    std::printf("training %s on %s: %d train / %d val / %d test images, batch %d, lr %g, %d steps/epoch, "
                "epochs %d..%d\n",
                m.name.c_str(), be->name().c_str(), train.n(), val ? val->n() : 0, test.n(), f.batch, f.lr,
                f.max_steps > 0 ? std::min(f.max_steps, state.steps_per_epoch()) : state.steps_per_epoch(),
                opt.first_epoch, f.epochs);

  double train_seconds = 0;
  int64_t images = 0;
  double best_val_error = 2.0;
  int best_epoch = 0;
  int last_good_epoch = opt.first_epoch - 1;
  for (int epoch = opt.first_epoch; epoch <= f.epochs; ++epoch) {
    EpochMetrics em;
    try {
      em = state.run_epoch(epoch, opt);
    } catch (const TrainingDiverged& e) {
      std::string where = last_good_epoch > 0
                              ? "the last good checkpoint (epoch " + std::to_string(last_good_epoch) +
                                    ") is kept at " + ckpt_path
                              : std::string("no checkpoint had been written yet");
      throw TrainingDiverged(std::string(e.what()) + "; training stopped, " + where, e.epoch, e.step);
    }
    train_seconds += em.train_seconds;
    images += int64_t(em.step_losses.size()) * f.batch;
    files.append_epoch(em);
    save_checkpoint(ckpt_path, net, epoch, f.seed, f.momentum > 0, meta);
    last_good_epoch = epoch;
    if (val && em.val_error < best_val_error) {
      best_val_error = em.val_error;
      best_epoch = epoch;
      if (f.keep_best) save_checkpoint(best_path, net, epoch, f.seed, f.momentum > 0, meta);
    }
    if (!f.quiet)
      std::printf("epoch %2d  train loss %.4f  train err %5.2f%%  val loss %.4f  val err %5.2f%%  %6.2f s  "
                  "%8.0f img/s\n",
                  epoch, em.train_loss, 100 * em.train_error, em.val_loss, 100 * em.val_error, em.train_seconds,
                  em.images_per_second);
    std::fflush(stdout);
  }

  int reported_epoch = f.epochs;
  if (f.keep_best && best_epoch > 0) {
    net.upload_params(load_checkpoint(best_path, net).params);
    reported_epoch = best_epoch;
  }
  const EvalResult t = state.evaluate(test);
  const EvalResult v = val ? state.evaluate(*val) : EvalResult{};
  std::printf("test error %.2f%% (%lld/%d wrong), test loss %.4f, model of epoch %d, %s\n", 100 * t.error,
              (long long)(t.n - t.correct), t.n, t.loss, reported_epoch, be->name().c_str());

  JsonObject j;
  j.add("backend", be->name())
      .add("model", m.name)
      .add("epochs", f.epochs)
      .add("reported_epoch", reported_epoch)
      .add("batch", f.batch)
      .add("lr", f.lr)
      .add("momentum", f.momentum)
      .add("weight_decay", f.weight_decay)
      .add("seed", f.seed)
      .add("init", f.init)
      .add("train_images", train.n())
      .add("val_images", val ? val->n() : 0)
      .add("test_error", t.error)
      .add("test_loss", t.loss)
      .add("val_error", val ? v.error : -1.0)
      .add("val_loss", val ? v.loss : -1.0)
      .add("train_seconds", train_seconds)
      .add("seconds_per_epoch", train_seconds / std::max(1, f.epochs - opt.first_epoch + 1))
      .add("images_per_second", train_seconds > 0 ? double(images) / train_seconds : 0.0)
      .add("peak_memory_bytes", int64_t(be->peak_bytes()))
      .add("peak_activation_bytes", net.memory_plan().arena_bytes)
      .add("process_peak_rss_bytes", peak_rss_bytes())
      .add("provenance", run_provenance(*be));
  files.write_summary(j.str() + "\n");
  draw_or_offer_plots("plot_run.py", f.out, f.plots, f.quiet);
  return 0;
}

}  // namespace convnet
