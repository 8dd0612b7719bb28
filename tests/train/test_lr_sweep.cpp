// convnet-train --lr-sweep on a small synthetic dataset: a diverging rate is
// reported as "did not learn", the sweep goes on to the next rates, and it
// chooses a rate that learned; lr_sweep.csv/json record it all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "train/cli_util.h"

using convnet_test::run_train;
using convnet_test::slurp;
using convnet_test::TempDir;
using testing::HasSubstr;
using testing::Not;

namespace {

class LrSweep : public testing::Test {
 protected:
  void SetUp() override { convnet_test::write_synthetic_mnist(dir.path(), 1200, 200); }
  // The init is pinned: the verdicts below are about these 16 steps from these
  // weights, and must not move when the trainer's default init changes.
  std::string base(const std::string& out) const {
    return "--backend cpu --threads 1 --quiet --init he-normal --data " + dir.path() + " --val 128 --out " +
           dir.file(out) + " ";
  }
  TempDir dir;
};

// The rows of lr_sweep.csv for one rate (its "lr" column as written, %g).
int rows_for(const std::string& csv, const std::string& lr) {
  std::stringstream ss(csv);
  std::string line;
  int n = 0;
  while (std::getline(ss, line))
    if (line.rfind(lr + ",", 0) == 0) ++n;
  return n;
}

TEST_F(LrSweep, DivergingRateDidNotLearnAndTheSweepGoesOn) {
  // 1e30 first: the sweep must survive it and still train 0.1 and 0.01.
  const auto r = run_train(base("s") + "--epochs 1 --lr-sweep 1e30,0.1,0.01");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, testing::ContainsRegex("lr 1e\\+30 +did not learn"));
  EXPECT_THAT(r.out, testing::ContainsRegex("lr 0\\.1 +learned"));
  EXPECT_THAT(r.out, testing::ContainsRegex("lr 0\\.01 +learned"));
  EXPECT_THAT(r.out, HasSubstr("chosen: lr 0.1"));

  const std::string json = slurp(dir.file("s/lr_sweep.json"));
  EXPECT_THAT(json, testing::ContainsRegex("\"1e\\+30\": \\{\\s*\"verdict\": \"did not learn\""));
  EXPECT_THAT(json, testing::ContainsRegex("\"0\\.1\": \\{\\s*\"verdict\": \"learned\""));
  EXPECT_THAT(json, testing::ContainsRegex("\"0\\.01\": \\{\\s*\"verdict\": \"learned\""));
  EXPECT_THAT(json, HasSubstr("\"chosen_lr\": 0.1"));

  // Every step of the rates that learned is in the CSV; the diverged rate
  // has at most the steps before its loss went non-finite.
  const std::string csv = slurp(dir.file("s/lr_sweep.csv"));
  EXPECT_EQ(csv.rfind("lr,epoch,step,global_step,loss\n", 0), 0u);
  const int steps = (1200 - 128) / 64;
  EXPECT_EQ(rows_for(csv, "0.1"), steps);
  EXPECT_EQ(rows_for(csv, "0.01"), steps);
  EXPECT_LT(rows_for(csv, "1e+30"), steps);
  EXPECT_THAT(csv, Not(HasSubstr("nan")));
  EXPECT_THAT(csv, Not(HasSubstr("inf")));
}

TEST_F(LrSweep, RateThatStallsAtChanceDidNotLearn) {
  // lr 3 stays finite on this data but its loss settles near ln 10 = 2.30,
  // where every class gets the same odds (as lr 1 does on MNIST): a sweep
  // must not call that "learned" just because it fell from a larger start.
  const auto r = run_train(base("s") + "--epochs 1 --lr-sweep 3,0.1");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, testing::ContainsRegex("lr 3 +did not learn .*stalled at chance"));
  EXPECT_THAT(r.out, testing::ContainsRegex("lr 0\\.1 +learned"));
  EXPECT_THAT(r.out, HasSubstr("chosen: lr 0.1"));
}

TEST_F(LrSweep, SameWeightsForEveryRateAndNoneChosenWhenAllDiverge) {
  // Two sweeps differing only in the first rate: the 0.1 run must be the same
  // bit for bit, so every rate starts from the same weights and batch order
  // (and a diverged run leaves nothing behind).
  ASSERT_EQ(run_train(base("a") + "--epochs 1 --lr-sweep 0.1").rc, 0);
  ASSERT_EQ(run_train(base("b") + "--epochs 1 --lr-sweep 1e30,0.1").rc, 0);
  auto rows = [](const std::string& csv) {
    std::stringstream ss(csv);
    std::string line, out;
    while (std::getline(ss, line))
      if (line.rfind("0.1,", 0) == 0) out += line + "\n";
    return out;
  };
  const std::string a = rows(slurp(dir.file("a/lr_sweep.csv")));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, rows(slurp(dir.file("b/lr_sweep.csv"))));

  const auto r = run_train(base("c") + "--epochs 1 --lr-sweep 1e30,1e35");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("chosen: none of the rates learned"));
  EXPECT_THAT(slurp(dir.file("c/lr_sweep.json")), HasSubstr("\"chosen_lr\": \"none\""));
}

}  // namespace
