// host/io/file_bytes.cpp: read a whole file into memory (see file_bytes.h).
#include "file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "convnet/error.h"

namespace convnet {

std::vector<uint8_t> read_file_bytes(const std::string& path, const char* what) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw_error(path, ": cannot open", what, ": ", std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  for (;;) {
    const size_t got = std::fread(chunk, 1, sizeof chunk, f);
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got < sizeof chunk) break;
  }
  // Keep errno from the failed read: fclose may overwrite it.
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw_error(path, ": read error: ", std::strerror(err));
  return bytes;
}

}  // namespace convnet
