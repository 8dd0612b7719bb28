// host/io/safetensors.cpp: safetensors checkpoints (see convnet/safetensors.h).
#include "convnet/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "convnet/error.h"
#include "file_bytes.h"
#include "json.h"

// The format is little-endian and we copy tensor bytes verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace convnet {

namespace {

// The reference implementation refuses headers over 100 MB; so do we, so a
// corrupt length cannot make us allocate gigabytes.
constexpr uint64_t kMaxHeader = 100u * 1000 * 1000;

struct DtypeInfo {
  Dtype dtype;
  const char* name;
  size_t size;
};
const DtypeInfo kDtypes[] = {
    {Dtype::F32, "F32", 4}, {Dtype::F64, "F64", 8}, {Dtype::I32, "I32", 4},
    {Dtype::I64, "I64", 8}, {Dtype::U64, "U64", 8},
};

bool dtype_from_name(const std::string& s, Dtype* out) {
  for (const DtypeInfo& d : kDtypes)
    if (s == d.name) {
      *out = d.dtype;
      return true;
    }
  return false;
}

// numel(shape) * elem, or false on a negative dim or overflow past 2^62.
bool byte_size(const std::vector<int64_t>& shape, size_t elem, uint64_t* out) {
  uint64_t n = elem;
  for (const int64_t d : shape) {
    if (d < 0) return false;
    if (d != 0 && n > (uint64_t(1) << 62) / uint64_t(d)) return false;
    n *= uint64_t(d);
  }
  *out = n;
  return true;
}

void put_le64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

}  // namespace

const char* dtype_name(Dtype d) {
  for (const DtypeInfo& i : kDtypes)
    if (i.dtype == d) return i.name;
  return "?";
}

size_t dtype_size(Dtype d) {
  for (const DtypeInfo& i : kDtypes)
    if (i.dtype == d) return i.size;
  return 0;
}

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// ---------------------------------------------------------------- building

const std::vector<int64_t> Safetensors::kScalarShape;

void Safetensors::put_raw(const std::string& name, Dtype dtype, const std::vector<int64_t>& shape,
                          const void* data) {
  CONVNET_CHECK(name != "__metadata__", source, ": '__metadata__' is reserved, not a tensor name");
  CONVNET_CHECK(!has(name), source, ": tensor '", name, "' added twice");
  uint64_t bytes = 0;
  CONVNET_CHECK(byte_size(shape, dtype_size(dtype), &bytes), source, ": tensor '", name,
                "' has a bad shape ", shape_string(shape));
  StTensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = shape;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  t.bytes.assign(p, p + bytes);
  tensors_.push_back(std::move(t));
}

void Safetensors::check_count(const std::string& name, const std::vector<int64_t>& shape,
                              size_t n) const {
  uint64_t want = 0;
  CONVNET_CHECK(byte_size(shape, 1, &want), source, ": tensor '", name, "' has a bad shape ",
                shape_string(shape));
  CONVNET_CHECK(want == n, source, ": tensor '", name, "' has shape ", shape_string(shape),
                " (", want, " elements) but ", n, " values were given");
}

void Safetensors::set_metadata(const std::string& key, const std::string& value) {
  for (auto& kv : meta_)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  meta_.emplace_back(key, value);
}

// ---------------------------------------------------------------- reading

bool Safetensors::has(const std::string& name) const {
  for (const StTensor& t : tensors_)
    if (t.name == name) return true;
  return false;
}

const StTensor& Safetensors::tensor(const std::string& name) const {
  for (const StTensor& t : tensors_)
    if (t.name == name) return t;
  throw_error(source, ": no tensor '", name, "'");
}

const StTensor& Safetensors::checked(const std::string& name, Dtype dtype,
                                     const std::vector<int64_t>* shape) const {
  const StTensor& t = tensor(name);
  CONVNET_CHECK(t.dtype == dtype, source, ": tensor '", name, "' is ", dtype_name(t.dtype),
                ", expected ", dtype_name(dtype));
  if (shape)
    CONVNET_CHECK(t.shape == *shape, source, ": tensor '", name, "' has shape ",
                  shape_string(t.shape), ", expected ", shape_string(*shape));
  return t;
}

void Safetensors::copy_out(const StTensor& t, void* dst) {
  if (!t.bytes.empty()) std::memcpy(dst, t.bytes.data(), t.bytes.size());
}

bool Safetensors::has_metadata(const std::string& key) const {
  for (const auto& kv : meta_)
    if (kv.first == key) return true;
  return false;
}

const std::string& Safetensors::metadata(const std::string& key) const {
  for (const auto& kv : meta_)
    if (kv.first == key) return kv.second;
  throw_error(source, ": no metadata entry '", key, "'");
}

// ---------------------------------------------------------------- bytes

std::vector<uint8_t> serialize_safetensors(const Safetensors& st) {
  // Largest elements first, so each tensor's offset is a multiple of its
  // element size (the data region itself starts 8-aligned).
  std::vector<const StTensor*> order;
  for (const StTensor& t : st.tensors()) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const StTensor* a, const StTensor* b) {
    return dtype_size(a->dtype) > dtype_size(b->dtype);
  });

  std::string header = "{";
  bool first = true;
  if (!st.all_metadata().empty()) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < st.all_metadata().size(); ++i) {
      const auto& kv = st.all_metadata()[i];
      if (i) header += ",";
      header += json::quote(kv.first) + ":" + json::quote(kv.second);
    }
    header += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const StTensor* t : order) {
    if (!first) header += ",";
    first = false;
    header += json::quote(t->name) + ":{\"dtype\":\"" + dtype_name(t->dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < t->shape.size(); ++i) {
      if (i) header += ",";
      header += std::to_string(t->shape[i]);
    }
    const uint64_t end = offset + t->bytes.size();
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';

  std::vector<uint8_t> out;
  out.reserve(8 + header.size() + offset);
  put_le64(out, header.size());
  out.insert(out.end(), header.begin(), header.end());
  for (const StTensor* t : order) out.insert(out.end(), t->bytes.begin(), t->bytes.end());
  return out;
}

Safetensors parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& source) {
  const std::string& src = source;
  CONVNET_CHECK(bytes.size() >= 8, src, ": not a safetensors file: ", bytes.size(),
                " bytes, too short for the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[size_t(i)];
  CONVNET_CHECK(n <= kMaxHeader, src, ": not a safetensors file: header length ", n,
                " is over the 100 MB limit");
  CONVNET_CHECK(n <= bytes.size() - 8, src, ": truncated: header length ", n,
                " runs past the end of the file (", bytes.size(), " bytes)");

  const std::string text(bytes.begin() + 8, bytes.begin() + 8 + long(n));
  const json::Value root = json::parse(text, src + " (header)");
  CONVNET_CHECK(root.kind == json::Value::Object, src, ": header is a JSON ",
                json::kind_name(root.kind), ", expected an object");

  const uint64_t data_size = bytes.size() - 8 - n;
  const uint8_t* data = bytes.data() + 8 + n;

  Safetensors st;
  st.source = source;
  struct Span {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Span> spans;
  std::vector<std::string> seen;
  for (const auto& [key, v] : root.members) {
    CONVNET_CHECK(std::find(seen.begin(), seen.end(), key) == seen.end(), src,
                  ": header names '", key, "' twice");
    seen.push_back(key);

    if (key == "__metadata__") {
      CONVNET_CHECK(v.kind == json::Value::Object, src, ": __metadata__ is a JSON ",
                    json::kind_name(v.kind), ", expected an object of strings");
      for (const auto& [mk, mv] : v.members) {
        CONVNET_CHECK(mv.kind == json::Value::String, src, ": metadata '", mk, "' is a JSON ",
                      json::kind_name(mv.kind), ", expected a string");
        CONVNET_CHECK(!st.has_metadata(mk), src, ": metadata '", mk, "' given twice");
        st.meta_.emplace_back(mk, mv.text);
      }
      continue;
    }

    const std::string what = src + ": tensor '" + key + "'";
    CONVNET_CHECK(v.kind == json::Value::Object, what, " is a JSON ", json::kind_name(v.kind),
                  ", expected an object");
    const json::Value* dtype = nullptr;
    const json::Value* shape = nullptr;
    const json::Value* offsets = nullptr;
    for (const auto& [fk, fv] : v.members) {
      if (fk == "dtype" && !dtype) dtype = &fv;
      else if (fk == "shape" && !shape) shape = &fv;
      else if (fk == "data_offsets" && !offsets) offsets = &fv;
      else throw_error(what, ": unexpected or repeated key '", fk, "'");
    }
    CONVNET_CHECK(dtype && shape && offsets, what, ": missing ",
                  !dtype ? "\"dtype\"" : !shape ? "\"shape\"" : "\"data_offsets\"");

    StTensor t;
    t.name = key;
    CONVNET_CHECK(dtype->kind == json::Value::String, what, ": dtype is not a string");
    CONVNET_CHECK(dtype_from_name(dtype->text, &t.dtype), what, ": unsupported dtype '",
                  dtype->text, "' (this reader knows F32, F64, I32, I64, U64)");

    CONVNET_CHECK(shape->kind == json::Value::Array, what, ": shape is not an array");
    for (const json::Value& d : shape->items) {
      uint64_t dim = 0;
      CONVNET_CHECK(json::to_u64(d, &dim) && dim < (uint64_t(1) << 62), what,
                    ": shape entries must be non-negative integers, got ",
                    d.kind == json::Value::Number ? d.text : json::kind_name(d.kind));
      t.shape.push_back(int64_t(dim));
    }

    uint64_t begin = 0, end = 0;
    CONVNET_CHECK(offsets->kind == json::Value::Array && offsets->items.size() == 2 &&
                      json::to_u64(offsets->items[0], &begin) &&
                      json::to_u64(offsets->items[1], &end),
                  what, ": data_offsets must be [begin, end] with non-negative integers");
    CONVNET_CHECK(begin <= end, what, ": data_offsets [", begin, ", ", end, "] end before they begin");
    CONVNET_CHECK(end <= data_size, what, ": data_offsets [", begin, ", ", end,
                  "] run past the end of the data (", data_size, " bytes): truncated file?");
    uint64_t want = 0;
    CONVNET_CHECK(byte_size(t.shape, dtype_size(t.dtype), &want), what, ": shape ",
                  shape_string(t.shape), " is too large");
    CONVNET_CHECK(want == end - begin, what, ": ", dtype_name(t.dtype), " ", shape_string(t.shape),
                  " needs ", want, " bytes but data_offsets [", begin, ", ", end, "] span ",
                  end - begin);

    t.bytes.assign(data + begin, data + end);
    spans.push_back({begin, end, st.tensors_.size()});
    st.tensors_.push_back(std::move(t));
  }

  // The tensors must tile the data region: sorted by offset, each begins
  // where the previous ended, the first at 0 and the last at the end.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const Span& s : spans) {
    const std::string& name = st.tensors_[s.index].name;
    CONVNET_CHECK(s.begin == at, src, ": tensor '", name, "' data_offsets [", s.begin, ", ", s.end,
                  "] ", s.begin < at ? "overlap the previous tensor" : "leave a gap after the previous tensor",
                  " (which ends at ", at, ")");
    at = s.end;
  }
  CONVNET_CHECK(at == data_size, src, ": ", data_size - at,
                " trailing bytes after the last tensor's data (tensors cover ", at, " of ",
                data_size, " data bytes)");
  return st;
}

// ---------------------------------------------------------------- files

void write_safetensors(const std::string& path, const Safetensors& st) {
  const std::vector<uint8_t> bytes = serialize_safetensors(st);
  const std::string tmp = path + ".tmp." + std::to_string(long(getpid()));

  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw_error(path, ": cannot write checkpoint: cannot create ", tmp, ": ", std::strerror(errno));

  // Any failure from here on: close, remove the temp file, throw. The old
  // checkpoint at `path` has not been touched.
  auto fail = [&](const char* step, int err) {
    if (f) std::fclose(f);
    std::remove(tmp.c_str());
    throw_error(path, ": cannot write checkpoint: ", step, " ", tmp, ": ", std::strerror(err));
  };
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
    fail("write to", errno);
  if (std::fflush(f) != 0) fail("flush", errno);
  // fsync before rename: otherwise a crash could leave the new name pointing
  // at data that never reached the disk.
  if (fsync(fileno(f)) != 0) fail("fsync", errno);
  const int close_rc = std::fclose(f);
  f = nullptr;
  if (close_rc != 0) fail("close", errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("rename into place from", errno);

  // The rename itself lives in the directory; fsync it so it is durable.
  // Failure here is not fatal: the new file is complete either way.
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

Safetensors read_safetensors(const std::string& path) {
  return parse_safetensors(read_file_bytes(path, " checkpoint"), path);
}

}  // namespace convnet
