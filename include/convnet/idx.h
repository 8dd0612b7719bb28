// convnet/idx.h: reading IDX files, the format MNIST is distributed in.
//
// An IDX file is a big-endian header followed by raw data:
//
//   bytes 0-1   0x00 0x00
//   byte  2     element type (0x08 = unsigned byte; the only type MNIST uses)
//   byte  3     number of dimensions
//   then        one uint32 (big-endian) per dimension
//   then        the elements, row-major, prod(dims) of them
//
// so the "magic number" 0x00000803 means "uint8, 3 dims" (images: n, rows,
// cols) and 0x00000801 means "uint8, 1 dim" (labels: n). The files are
// usually shipped gzipped; we recognise gzip by its magic bytes (1f 8b), never
// by the file name, and inflate in memory with zlib.
//
// Every failure is a convnet::Error that starts with the path and names the
// problem: bad magic, truncated payload, trailing bytes, broken gzip stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convnet {

// The magic numbers of the two IDX layouts MNIST uses.
constexpr uint32_t kIdxMagicLabels = 0x00000801;  // uint8, 1 dim: n
constexpr uint32_t kIdxMagicImages = 0x00000803;  // uint8, 3 dims: n, rows, cols

// A decoded IDX file of unsigned bytes.
struct IdxArray {
  std::vector<int> dims;      // e.g. {60000, 28, 28}
  std::vector<uint8_t> data;  // prod(dims) bytes, row-major
};

// Returns the whole file's bytes; if they start with the gzip magic (1f 8b)
// they are inflated first (concatenated gzip members are allowed, as gzip(1)
// allows them). Throws naming the file if it cannot be opened or read, or
// "<path>: not a valid gzip stream: <zlib message>".
std::vector<uint8_t> read_file_maybe_gzip(const std::string& path);

// Parses an IDX byte buffer that must carry `expected_magic`. `what` names
// the content for messages ("images", "labels"), `source` names the file.
// Checks: header present, magic, every dim > 0 (the count may be 0), and the
// payload exactly prod(dims) bytes long.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, uint32_t expected_magic,
                   const char* what, const std::string& source);

// read_file_maybe_gzip + parse_idx with the MNIST magics.
IdxArray read_idx_images(const std::string& path);  // dims {n, rows, cols}
IdxArray read_idx_labels(const std::string& path);  // dims {n}

}  // namespace convnet
