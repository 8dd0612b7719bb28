// test_model_parser.cpp: the model text format (docs/model-format.md).
//
// Every error case checks the message: it must carry "<file>:<line>:" and
// name the problem, because that message is all a user sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "convnet/error.h"
#include "convnet/model.h"

using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace convnet {
namespace {

// The message of the convnet::Error that parsing `text` throws ("" if none).
std::string parse_error(const std::string& text) {
  try {
    parse_model(text, "bad.net");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelParser, ParsesEveryKeyAndForm) {
  const ModelDesc m = parse_model(
      "# a comment line\n"
      "\n"
      "input 3 20 24   # C H W\n"
      "conv A out=8 kernel=5x3 pad=2x1 stride=2x1 dilation=1x2 bias=0\n"
      "relu\n"
      "maxpool P kernel=3 stride=2 pad=1\n"
      "maxpool kernel=2x3\n"
      "linear out=7 bias=1\n"
      "softmax_ce\n",
      "dir/my.model.net");
  EXPECT_EQ(m.name, "my.model");
  EXPECT_EQ(m.source, "dir/my.model.net");
  EXPECT_EQ(m.in_c, 3);
  EXPECT_EQ(m.in_h, 20);
  EXPECT_EQ(m.in_w, 24);
  ASSERT_EQ(m.layers.size(), 6u);

  const LayerDesc& c = m.layers[0];
  EXPECT_EQ(c.type, LayerType::Conv2d);
  EXPECT_EQ(c.name, "A");
  EXPECT_EQ(c.line, 4);
  EXPECT_EQ(c.out, 8);
  EXPECT_EQ(c.kh, 5);
  EXPECT_EQ(c.kw, 3);
  EXPECT_EQ(c.pad_h, 2);
  EXPECT_EQ(c.pad_w, 1);
  EXPECT_EQ(c.stride_h, 2);
  EXPECT_EQ(c.stride_w, 1);
  EXPECT_EQ(c.dil_h, 1);
  EXPECT_EQ(c.dil_w, 2);
  EXPECT_FALSE(c.bias);

  EXPECT_EQ(m.layers[1].type, LayerType::ReLU);
  EXPECT_EQ(m.layers[1].name, "relu1");  // generated: type + count

  const LayerDesc& p = m.layers[2];
  EXPECT_EQ(p.type, LayerType::MaxPool2d);
  EXPECT_EQ(p.name, "P");
  EXPECT_EQ(p.kh, 3);
  EXPECT_EQ(p.stride_h, 2);
  EXPECT_EQ(p.stride_w, 2);
  EXPECT_EQ(p.pad_h, 1);

  // maxpool stride defaults to the window, per axis.
  const LayerDesc& p2 = m.layers[3];
  EXPECT_EQ(p2.name, "maxpool2");
  EXPECT_EQ(p2.kh, 2);
  EXPECT_EQ(p2.kw, 3);
  EXPECT_EQ(p2.stride_h, 2);
  EXPECT_EQ(p2.stride_w, 3);

  EXPECT_EQ(m.layers[4].type, LayerType::Linear);
  EXPECT_EQ(m.layers[4].name, "linear1");
  EXPECT_EQ(m.layers[4].out, 7);
  EXPECT_TRUE(m.layers[4].bias);
  EXPECT_EQ(m.layers[4].in, 0);  // not declared
  EXPECT_EQ(m.layers[5].type, LayerType::SoftmaxCE);
  EXPECT_EQ(m.layers[5].name, "softmax_ce1");
}

TEST(ModelParser, DefaultsAndWhitespace) {
  // Tabs, CRLF line ends and a trailing comment without newline are fine.
  const ModelDesc m = parse_model("input\t1 8 8\r\n\tconv   out=2\tkernel=3\r\nsoftmax_ce # end", "x.net");
  ASSERT_EQ(m.layers.size(), 2u);
  const LayerDesc& c = m.layers[0];
  EXPECT_EQ(c.name, "conv1");
  EXPECT_EQ(c.kh, 3);
  EXPECT_EQ(c.kw, 3);
  EXPECT_EQ(c.pad_h, 0);
  EXPECT_EQ(c.stride_h, 1);
  EXPECT_EQ(c.dil_w, 1);
  EXPECT_TRUE(c.bias);  // bias defaults to 1
}

TEST(ModelParser, LayerTypeNames) {
  EXPECT_STREQ(layer_type_name(LayerType::Conv2d), "conv");
  EXPECT_STREQ(layer_type_name(LayerType::MaxPool2d), "maxpool");
  EXPECT_STREQ(layer_type_name(LayerType::ReLU), "relu");
  EXPECT_STREQ(layer_type_name(LayerType::Linear), "linear");
  EXPECT_STREQ(layer_type_name(LayerType::SoftmaxCE), "softmax_ce");
}

TEST(ModelParser, ShippedModelsParse) {
  const ModelDesc l = load_model_file(CONVNET_SOURCE_DIR "/models/lenet5.net");
  EXPECT_EQ(l.name, "lenet5");
  EXPECT_EQ(l.layers.size(), 12u);
  EXPECT_EQ(l.layers[0].name, "C1");
  EXPECT_EQ(l.layers[1].name, "relu1");
  const ModelDesc e = load_model_file(CONVNET_SOURCE_DIR "/models/exercise10_1.net");
  EXPECT_EQ(e.name, "exercise10_1");
  EXPECT_EQ(e.layers.size(), 6u);
}

TEST(ModelParser, UnknownLayerTypeListsTheKnownOnes) {
  const std::string msg = parse_error("input 1 8 8\nconv out=2 kernel=3\nsigmoid\nsoftmax_ce\n");
  EXPECT_THAT(msg, StartsWith("bad.net:3: "));
  EXPECT_THAT(msg, HasSubstr("unknown layer type 'sigmoid'"));
  EXPECT_THAT(msg, HasSubstr("conv, maxpool, relu, linear, softmax_ce"));
}

TEST(ModelParser, UnknownKeyForThatLayer) {
  // dilation is a conv key, not a maxpool key.
  std::string msg = parse_error("input 1 8 8\nmaxpool kernel=2 dilation=2\nsoftmax_ce\n");
  EXPECT_THAT(msg, StartsWith("bad.net:2: "));
  EXPECT_THAT(msg, HasSubstr("maxpool: unknown key 'dilation'"));
  EXPECT_THAT(msg, HasSubstr("kernel, stride, pad"));
  msg = parse_error("input 1 8 8\nrelu slope=0.1\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: relu: unknown key 'slope' (relu takes no keys)"));
  msg = parse_error("input 1 8 8\nlinear out=3 kernel=2\n");
  EXPECT_THAT(msg, HasSubstr("linear: unknown key 'kernel' (linear takes: out, in, bias)"));
}

TEST(ModelParser, BadNumbers) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {"conv out=2 kernel=3 stride=0", "stride=0: must be at least 1"},
      {"conv out=abc kernel=3", "out=abc: 'abc' is not a whole number"},
      {"conv out=2 kernel=3 pad=-1", "pad=-1: negative values are not allowed"},
      {"conv out=2 kernel=3x-1", "kernel=3x-1: negative values are not allowed"},
      {"conv out=2 kernel=3x", "kernel=3x: '' is not a whole number"},
      {"conv out=2.5 kernel=3", "out=2.5: '2.5' is not a whole number"},
      {"conv out=0 kernel=3", "out=0: must be at least 1"},
      {"conv out=2 kernel=3 dilation=0", "dilation=0: must be at least 1"},
      {"conv out=99999999999999999999 kernel=3", "is too large"},
      {"conv out=2 kernel=3 bias=yes", "bias=yes: expected 0 or 1"},
      {"linear out=", "out= has no value"},
      {"linear out=4 in=0", "in=0: must be at least 1"},
      {"maxpool kernel=2 pad=2", "pad=2 must be smaller than the window"},
  };
  for (const Case& c : cases) {
    const std::string msg = parse_error(std::string("input 1 8 8\n") + c.line + "\nsoftmax_ce\n");
    EXPECT_THAT(msg, StartsWith("bad.net:2: ")) << c.line;
    EXPECT_THAT(msg, HasSubstr(c.expect)) << c.line;
  }
}

TEST(ModelParser, MissingRequiredKey) {
  std::string msg = parse_error("input 1 8 8\n\nconv C1 kernel=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:3: conv: missing required key out="));
  msg = parse_error("input 1 8 8\nconv C1 out=4\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: conv: missing required key kernel="));
  msg = parse_error("input 1 8 8\nmaxpool stride=2\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: maxpool: missing required key kernel="));
  msg = parse_error("input 1 8 8\nlinear bias=0\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: linear: missing required key out="));
}

TEST(ModelParser, DuplicateName) {
  std::string msg = parse_error("input 1 8 8\nconv C1 out=2 kernel=3\nrelu\nconv C1 out=2 kernel=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:4: duplicate layer name 'C1' (already used on line 2"));
  // An explicit name that equals a generated one is a clash too.
  msg = parse_error("input 1 8 8\nrelu\nrelu relu1\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:3: duplicate layer name 'relu1' (already used on line 2"));
}

TEST(ModelParser, DuplicateKeyAndStrayWords) {
  std::string msg = parse_error("input 1 8 8\nconv out=2 kernel=3 kernel=5\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: conv: key 'kernel' given twice"));
  msg = parse_error("input 1 8 8\nconv C1 out=2 C2 kernel=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: conv: unexpected word 'C2'"));
  msg = parse_error("input 1 8 8\nconv 1st out=2 kernel=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: conv: bad layer name '1st'"));
}

TEST(ModelParser, MissingOrBadInputLine) {
  std::string msg = parse_error("# only a comment\n\n");
  EXPECT_THAT(msg, HasSubstr("bad.net: no 'input C H W' line"));
  msg = parse_error("");
  EXPECT_THAT(msg, HasSubstr("bad.net: no 'input C H W' line"));
  msg = parse_error("# header\nconv out=2 kernel=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:2: expected 'input C H W' as the first line, got 'conv'"));
  msg = parse_error("input 1 32\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:1: the input line needs exactly three numbers"));
  msg = parse_error("input 1 0 32\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:1: input H=0: must be at least 1"));
  msg = parse_error("input 1 8 8\nrelu\ninput 1 8 8\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("bad.net:3: 'input' given twice"));
  msg = parse_error("input 1 8 8\n# nothing else\n");
  EXPECT_THAT(msg, HasSubstr("bad.net: no layers after the input line"));
}

TEST(ModelParser, MissingFile) {
  try {
    load_model_file("/nonexistent/dir/none.net");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open model file '/nonexistent/dir/none.net'"));
    EXPECT_THAT(e.what(), HasSubstr("No such file"));
  }
}

}  // namespace
}  // namespace convnet
