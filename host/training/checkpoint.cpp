// checkpoint.cpp: save and restore a training run (see checkpoint.h).
#include "convnet/checkpoint.h"

#include "convnet/error.h"
#include "convnet/rng.h"
#include "convnet/safetensors.h"
#include "convnet/training.h"

namespace convnet {

void save_checkpoint(const std::string& path, const Network& net, int64_t epoch, uint64_t seed,
                     bool with_momentum, const std::map<std::string, std::string>& meta) {
  const std::vector<float> params = net.download_params();
  std::vector<float> momentum;
  if (with_momentum) momentum = net.download_momentum();

  Safetensors st;
  for (const ParamSlice& s : net.param_slices()) {
    st.put(s.name, s.shape, params.data() + s.offset);
    if (with_momentum) st.put(s.name + ".momentum", s.shape, momentum.data() + s.offset);
  }
  st.put<int64_t>("state.epoch", {1}, &epoch);
  st.put<uint64_t>("state.seed", {1}, &seed);
  // The shuffle of epoch e is seeded from (seed, e) alone, so the generator
  // state the next epoch starts from is a function of the two; it is stored
  // so other tools need not know that derivation.
  uint64_t rng_state[4];
  Rng(epoch_shuffle_seed(seed, int(epoch) + 1)).get_state(rng_state);
  st.put<uint64_t>("state.rng", {4}, rng_state);
  for (const auto& [k, v] : meta) st.set_metadata(k, v);
  st.set_metadata("epoch", std::to_string(epoch));
  write_safetensors(path, st);
}

Checkpoint load_checkpoint(const std::string& path, const Network& net) {
  const Safetensors st = read_safetensors(path);
  Checkpoint ck;
  ck.epoch = st.get<int64_t>("state.epoch", {1})[0];
  ck.seed = st.get<uint64_t>("state.seed", {1})[0];
  const std::vector<uint64_t> rng = st.get<uint64_t>("state.rng", {4});
  for (int i = 0; i < 4; ++i) ck.rng[i] = rng[size_t(i)];
  ck.params.assign(size_t(net.param_count()), 0.0f);
  bool has_momentum = true;
  for (const ParamSlice& s : net.param_slices()) {
    CONVNET_CHECK(st.has(s.name), path, ": no tensor '", s.name, "': the checkpoint is for another model than '",
                  net.model().name, "'");
    const std::vector<float> w = st.get<float>(s.name, s.shape);
    std::copy(w.begin(), w.end(), ck.params.begin() + s.offset);
    has_momentum = has_momentum && st.has(s.name + ".momentum");
  }
  if (has_momentum && !net.param_slices().empty()) {
    ck.momentum.assign(size_t(net.param_count()), 0.0f);
    for (const ParamSlice& s : net.param_slices()) {
      const std::vector<float> v = st.get<float>(s.name + ".momentum", s.shape);
      std::copy(v.begin(), v.end(), ck.momentum.begin() + s.offset);
    }
  }
  for (const auto& [k, v] : st.all_metadata()) ck.meta[k] = v;
  return ck;
}

}  // namespace convnet
