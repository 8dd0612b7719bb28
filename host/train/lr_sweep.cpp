// lr_sweep.cpp: --lr-sweep, the course's way of choosing a learning rate.
//
// Trains once per rate for --epochs from the SAME initial weights and batch
// order, logging the training loss of every step. A run "did not learn" when
//  - its loss became NaN/Inf, or
//  - its final loss (mean of the last 10% of steps) is not below its start
//    (the first step's loss: the initial weights' loss, the same for every
//    rate), or
//  - its final loss is not clearly below ln K, the loss of a net that gives
//    every one of the K classes the same probability (what a net that only
//    guesses settles at: the course's lr = 1 run stalls there, at 2.30 for
//    MNIST). "Clearly" is kChanceMargin: within 10% of ln K counts as chance.
// The chosen rate is the one with the lowest final loss among those that learned.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "convnet/error.h"
#include "convnet/json_writer.h"
#include "convnet/plots.h"
#include "convnet/training.h"
#include "run_files.h"
#include "run_setup.h"
#include "train_command.h"

namespace convnet {

namespace {
constexpr double kChanceMargin = 0.9;

double mean_of(const std::vector<float>& v, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += v[i];
  return end > begin ? s / double(end - begin) : NAN;
}
}  // namespace

int run_lr_sweep(const TrainFlags& f) {
  const TrainSetup setup = load_train_setup(f);
  Backend* be = setup.backend.get();
  Network& net = *setup.net;
  TrainState state(net, *setup.train, setup.val.get(), 0);
  const std::vector<float> init = initial_params(net, f.init, f.seed);
  const int num_classes = net.num_classes();
  const double chance_loss = std::log(double(num_classes));

  std::string csv = "lr,epoch,step,global_step,loss\n";
  JsonObject runs;
  double best_loss = INFINITY;
  double best_lr = 0;
  std::printf("learning-rate sweep on %s: %zu rates, %d epoch(s) each, same initial weights (seed %llu)\n",
              be->name().c_str(), f.lr_sweep.size(), f.epochs, (unsigned long long)f.seed);
  for (double lr : f.lr_sweep) {
    net.upload_params(init);
    be->zero(net.momentum(), size_t(net.param_count()) * sizeof(float));
    TrainOptions opt = train_options_from(f);
    opt.sgd.lr = float(lr);
    std::vector<float> losses;
    std::string verdict = "learned";
    std::string reason;
    double val_error = NAN;
    try {
      for (int e = 1; e <= f.epochs; ++e) {
        const EpochMetrics em = state.run_epoch(e, opt);
        for (size_t s = 0; s < em.step_losses.size(); ++s) {
          char buf[128];
          std::snprintf(buf, sizeof buf, "%g,%d,%zu,%zu,%.6f\n", lr, e, s + 1, losses.size() + 1,
                        double(em.step_losses[s]));
          csv += buf;
          losses.push_back(em.step_losses[s]);
        }
        val_error = em.val_error;
      }
    } catch (const TrainingDiverged& e) {
      verdict = "did not learn";
      reason = e.what();
    }
    double start = NAN, final_loss = NAN;
    if (!losses.empty()) {
      start = losses[0];
      const size_t tail = std::max<size_t>(1, losses.size() / 10);
      final_loss = mean_of(losses, losses.size() - tail, losses.size());
      char why[160] = "";
      if (!(final_loss < start))
        std::snprintf(why, sizeof why, "the loss stayed at or above its start (%.4f -> %.4f)", start, final_loss);
      else if (!(final_loss < kChanceMargin * chance_loss))
        std::snprintf(why, sizeof why, "the loss stalled at chance (%.4f, ln %d = %.4f: equal odds for every class)",
                      final_loss, num_classes, chance_loss);
      if (verdict == "learned" && why[0]) {
        verdict = "did not learn";
        reason = why;
      }
    }
    if (verdict == "learned" && final_loss < best_loss) {
      best_loss = final_loss;
      best_lr = lr;
    }
    std::printf("  lr %-8g %-14s start loss %.4f  final loss %.4f  val error %s%s%s\n", lr, verdict.c_str(), start,
                final_loss, std::isfinite(val_error) ? (std::to_string(100 * val_error) + "%").c_str() : "n/a",
                reason.empty() ? "" : "  -- ", reason.c_str());
    JsonObject r;
    r.add("verdict", verdict).add("reason", reason).add("start_loss", start).add("final_loss", final_loss)
        .add("val_error", val_error).add("steps", int64_t(losses.size()));
    char key[64];
    std::snprintf(key, sizeof key, "%g", lr);
    runs.add(key, r);
  }
  write_text_atomic(f.out + "/lr_sweep.csv", csv);
  JsonObject j;
  j.add("backend", be->name()).add("epochs", f.epochs).add("seed", f.seed).add("runs", runs);
  if (best_lr > 0) {
    j.add("chosen_lr", best_lr);
    std::printf("chosen: lr %g, the lowest final training loss (%.4f) among the rates that learned\n", best_lr,
                best_loss);
  } else {
    j.add("chosen_lr", std::string("none"));
    std::printf("chosen: none of the rates learned\n");
  }
  write_text_atomic(f.out + "/lr_sweep.json", j.str() + "\n");
  std::printf("wrote %s/lr_sweep.csv and lr_sweep.json\n", f.out.c_str());
  draw_or_offer_plots("plot_lr_sweep.py", f.out, f.plots, f.quiet);
  return 0;
}

}  // namespace convnet
