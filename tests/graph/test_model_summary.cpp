// test_model_summary.cpp: the --summary table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "convnet/model.h"

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace convnet {
namespace {

TEST(ModelSummary, LeNet5Table) {
  const ModelDesc m = load_model_file(CONVNET_SOURCE_DIR "/models/lenet5.net");
  const auto ls = infer_shapes(m, 64);
  const std::string s = format_summary(m, ls, 64, 3 * 1024 * 1024 / 2);  // 1.5 MiB
  EXPECT_THAT(s, HasSubstr("model lenet5: input 1x32x32, batch 64"));
  // One row per layer, with name, type, shape, params, MACs and RF in order.
  std::istringstream is(s);
  std::string line;
  int rows = 0;
  bool saw_c1 = false, saw_c3 = false, saw_f6 = false;
  while (std::getline(is, line)) {
    std::istringstream ws(line);
    std::string name;
    ws >> name;
    for (const LayerInfo& L : ls) rows += name == L.desc.name;
    if (name == "C1") {
      saw_c1 = true;
      EXPECT_THAT(line, MatchesRegex("C1 +conv 5x5 +6x28x28 +156 +117,600 +5x5"));
    }
    if (name == "C3") {
      saw_c3 = true;
      EXPECT_THAT(line, MatchesRegex("C3 +conv 5x5 +16x10x10 +2,416 +240,000 +14x14"));
    }
    if (name == "F6") {
      saw_f6 = true;
      EXPECT_THAT(line, MatchesRegex("F6 +linear +84x1x1 +10,164 +10,080 +32x32"));
    }
    if (name == "S2") {
      EXPECT_THAT(line, MatchesRegex("S2 +maxpool 2x2 /2 +6x14x14 +0 +0 +6x6"));
    }
  }
  EXPECT_EQ(rows, 12);
  EXPECT_TRUE(saw_c1 && saw_c3 && saw_f6);
  EXPECT_THAT(s, HasSubstr("total params: 61,706"));
  // 416,520 MACs per sample; times 64 = 26,657,280.
  EXPECT_THAT(s, HasSubstr("MACs: 416,520 per sample, 26,657,280 per batch of 64"));
  EXPECT_THAT(s, HasSubstr("peak activation memory at batch 64: 1.50 MiB"));
}

TEST(ModelSummary, MarksNoBiasAndUnplannedMemory) {
  const ModelDesc m = load_model_file(CONVNET_SOURCE_DIR "/models/exercise10_1.net");
  const std::string s = format_summary(m, infer_shapes(m, 2), 2, -1);
  EXPECT_THAT(s, HasSubstr("conv 4x4 nobias"));
  EXPECT_THAT(s, HasSubstr("linear nobias"));
  EXPECT_THAT(s, HasSubstr("total params: 348"));
  EXPECT_THAT(s, HasSubstr("peak activation memory at batch 2: not planned"));
}

}  // namespace
}  // namespace convnet
