// host/data/idx.cpp: IDX files, raw or gzipped (see convnet/idx.h).
#include "convnet/idx.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>

#include "../io/file_bytes.h"
#include "convnet/error.h"

namespace convnet {

namespace {

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Inflates one or more concatenated gzip members. windowBits 15+16 tells
// zlib to expect (and check) the gzip header and CRC-32 trailer.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 16) != Z_OK)
    throw_error(path, ": zlib inflateInit2 failed");

  // The last 4 bytes of a gzip member hold the uncompressed size mod 2^32:
  // a good first guess for the output buffer (capped in case it is garbage).
  size_t guess = in.size() * 4;
  if (in.size() >= 4) {
    const size_t n = in.size();
    const size_t isize = size_t(in[n - 4]) | size_t(in[n - 3]) << 8 |
                         size_t(in[n - 2]) << 16 | size_t(in[n - 1]) << 24;
    if (isize > 0 && isize < (size_t(1) << 30)) guess = isize;
  }
  std::vector<uint8_t> out(guess + 1);  // +1: inflate must never run out on the final byte
  size_t produced = 0;

  if (in.size() >= (size_t(1) << 32) - 1) {
    inflateEnd(&zs);
    throw_error(path, ": compressed file too large (4 GiB or more)");
  }
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  for (;;) {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = out.data() + produced;
    zs.avail_out = uInt(out.size() - produced);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // A gzip file may hold several members back to back; anything else
      // after a member is an error.
      if (zs.avail_in == 0) break;
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      const unsigned left = zs.avail_in;
      inflateEnd(&zs);
      throw_error(path, ": not a valid gzip stream: ", left,
                  " bytes of garbage after the compressed data");
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      if (zs.avail_out == 0) continue;  // output full: grow and go on
      // No progress with room to write: the input ran out mid-stream.
      inflateEnd(&zs);
      throw_error(path, ": not a valid gzip stream: unexpected end of compressed data "
                  "(truncated download?)");
    }
    const std::string msg = zs.msg ? zs.msg : zError(rc);
    inflateEnd(&zs);
    throw_error(path, ": not a valid gzip stream: ", msg);
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

std::vector<uint8_t> read_file_maybe_gzip(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  if (is_gzip(bytes)) return gunzip(bytes, path);
  return bytes;
}

IdxArray parse_idx(const std::vector<uint8_t>& bytes, uint32_t expected_magic,
                   const char* what, const std::string& source) {
  if (bytes.size() < 4)
    throw_error(source, ": truncated: ", bytes.size(),
                " bytes, too short for an IDX magic number (4 bytes)");
  const uint32_t magic = be32(bytes.data());
  if (magic != expected_magic)
    throw_error(source, ": bad IDX magic ", hex32(magic), ", expected ", hex32(expected_magic),
                " (", what, ")");

  const int ndim = int(magic & 0xff);
  const size_t header = 4 + 4 * size_t(ndim);
  if (bytes.size() < header)
    throw_error(source, ": truncated: ", bytes.size(), " bytes, an IDX header with ", ndim,
                " dimensions needs ", header);

  IdxArray arr;
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const uint32_t v = be32(bytes.data() + 4 + 4 * d);
    // The first dimension is the item count and may be 0; the others
    // (rows, cols) must not be. 2^31 keeps the dims in an int.
    if (v >= (1u << 31) || (d > 0 && v == 0))
      throw_error(source, ": bad IDX dimension ", d, " = ", v);
    arr.dims.push_back(int(v));
    count *= v;
    if (count > (uint64_t(1) << 40))
      throw_error(source, ": IDX dimensions too large (more than 2^40 elements)");
  }

  // Images are counted in pixels, labels in labels.
  const char* unit = expected_magic == kIdxMagicImages ? "pixels" : what;
  const uint64_t payload = bytes.size() - header;
  if (payload < count)
    throw_error(source, ": truncated: expected ", count, " bytes of ", unit, ", got ", payload);
  if (payload > count)
    throw_error(source, ": ", payload - count, " trailing bytes after the ", count,
                " bytes of ", unit);
  arr.data.assign(bytes.begin() + long(header), bytes.end());
  return arr;
}

IdxArray read_idx_images(const std::string& path) {
  return parse_idx(read_file_maybe_gzip(path), kIdxMagicImages, "images", path);
}

IdxArray read_idx_labels(const std::string& path) {
  return parse_idx(read_file_maybe_gzip(path), kIdxMagicLabels, "labels", path);
}

}  // namespace convnet
