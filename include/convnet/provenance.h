// convnet/provenance.h: where a number came from (commit, compiler, BLAS,
// device, driver...), recorded next to every result the engine writes.
#pragma once

#include <map>
#include <string>

#include "convnet/backend.h"

namespace convnet {

std::map<std::string, std::string> build_provenance();
// build_provenance() plus the backend's own facts.
std::map<std::string, std::string> run_provenance(const Backend& be);

}  // namespace convnet
