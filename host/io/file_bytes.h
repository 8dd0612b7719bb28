// host/io/file_bytes.h: read a whole file into memory.
//
// Private to host/ (not installed under include/). The IDX reader and the
// safetensors reader both load their file whole: MNIST's biggest file is
// 47 MB unpacked and a checkpoint is smaller, so there is no point streaming.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convnet {

// The bytes of the file at path. Throws convnet::Error naming the path and the
// system's reason: "<path>: cannot open<what>: <reason>" or "<path>: read
// error: <reason>". what names the kind of file in that message, for example
// " checkpoint" (with its leading space), or is empty.
std::vector<uint8_t> read_file_bytes(const std::string& path, const char* what = "");

}  // namespace convnet
