// convnet/safetensors.h: checkpoints in the safetensors format.
//
// A safetensors file (https://github.com/huggingface/safetensors) is
//
//   8 bytes      N, the header length, uint64 little-endian
//   N bytes      a JSON object, padded with spaces so the data starts at a
//                multiple of 8:
//                  {"__metadata__": {"key": "value", ...},
//                   "conv1.weight": {"dtype": "F32", "shape": [6, 1, 5, 5],
//                                    "data_offsets": [0, 600]}, ...}
//   the rest     the tensors' raw little-endian bytes; data_offsets are
//                [begin, end) relative to the start of this region, and the
//                tensors tile it exactly, with no gaps or overlaps.
//
// so numpy, PyTorch and the `safetensors` package read our checkpoints
// (tests/python/read_safetensors.py is an independent json+numpy reader).
//
// We support the dtypes F32, F64, I32, I64 and U64 and string metadata.
// Writing is atomic: the bytes go to "<path>.tmp.<pid>", are flushed and
// fsync'ed, and the temp file is renamed over <path> (then the directory is
// fsync'ed), so a crash or a full disk never leaves a half-written
// checkpoint, and on failure the old file is untouched. Reading validates
// everything and throws a convnet::Error naming the file and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace convnet {

enum class Dtype { F32, F64, I32, I64, U64 };

const char* dtype_name(Dtype d);  // "F32", ...
size_t dtype_size(Dtype d);       // bytes per element

// The C++ type of each dtype; put/get are instantiated only for these.
template <class T> struct DtypeOf;
template <> struct DtypeOf<float> { static constexpr Dtype value = Dtype::F32; };
template <> struct DtypeOf<double> { static constexpr Dtype value = Dtype::F64; };
template <> struct DtypeOf<int32_t> { static constexpr Dtype value = Dtype::I32; };
template <> struct DtypeOf<int64_t> { static constexpr Dtype value = Dtype::I64; };
template <> struct DtypeOf<uint64_t> { static constexpr Dtype value = Dtype::U64; };

struct StTensor {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;  // [] is a scalar (one element)
  std::vector<uint8_t> bytes;  // numel * dtype_size, little-endian
  int64_t numel() const;
};

// "[6, 1, 5, 5]", for messages.
std::string shape_string(const std::vector<int64_t>& shape);

// An in-memory safetensors file: tensors (in insertion order) + metadata.
class Safetensors {
 public:
  // ---- building ----
  // Copies numel(shape) elements from `data`. A name may appear once, and
  // "__metadata__" is reserved.
  template <class T>
  void put(const std::string& name, const std::vector<int64_t>& shape, const T* data) {
    put_raw(name, DtypeOf<T>::value, shape, data);
  }
  template <class T>
  void put(const std::string& name, const std::vector<int64_t>& shape, const std::vector<T>& v) {
    check_count(name, shape, v.size());
    put_raw(name, DtypeOf<T>::value, shape, v.data());
  }
  template <class T>
  void put_scalar(const std::string& name, T value) {
    put_raw(name, DtypeOf<T>::value, {}, &value);
  }
  // Sets (or replaces) a metadata entry.
  void set_metadata(const std::string& key, const std::string& value);

  // ---- reading ----
  bool has(const std::string& name) const;
  // Throws "<source>: no tensor 'name'".
  const StTensor& tensor(const std::string& name) const;
  // The elements of a tensor of dtype T; throws naming the tensor if the
  // dtype differs or, when given, the shape differs from `expected_shape`.
  template <class T>
  std::vector<T> get(const std::string& name) const {
    const StTensor& t = checked(name, DtypeOf<T>::value, nullptr);
    std::vector<T> out(size_t(t.numel()));
    copy_out(t, out.data());
    return out;
  }
  template <class T>
  std::vector<T> get(const std::string& name, const std::vector<int64_t>& expected_shape) const {
    const StTensor& t = checked(name, DtypeOf<T>::value, &expected_shape);
    std::vector<T> out(size_t(t.numel()));
    copy_out(t, out.data());
    return out;
  }
  template <class T>
  T get_scalar(const std::string& name) const {
    T v;
    copy_out(checked(name, DtypeOf<T>::value, &kScalarShape), &v);
    return v;
  }
  bool has_metadata(const std::string& key) const;
  // Throws "<source>: no metadata entry 'key'".
  const std::string& metadata(const std::string& key) const;

  const std::vector<StTensor>& tensors() const { return tensors_; }
  const std::vector<std::pair<std::string, std::string>>& all_metadata() const { return meta_; }

  // Where this came from ("<path>" when read from a file), for messages.
  std::string source = "safetensors";

 private:
  void put_raw(const std::string& name, Dtype dtype, const std::vector<int64_t>& shape,
               const void* data);
  void check_count(const std::string& name, const std::vector<int64_t>& shape, size_t n) const;
  const StTensor& checked(const std::string& name, Dtype dtype,
                          const std::vector<int64_t>* shape) const;
  static void copy_out(const StTensor& t, void* dst);
  static const std::vector<int64_t> kScalarShape;

  std::vector<StTensor> tensors_;
  std::vector<std::pair<std::string, std::string>> meta_;

  friend Safetensors parse_safetensors(const std::vector<uint8_t>& bytes,
                                       const std::string& source);
};

// The file's bytes. Tensors are laid out by decreasing element size (then
// insertion order) so every tensor starts aligned to its element size, as
// the reference implementation does for memory-mapping readers.
std::vector<uint8_t> serialize_safetensors(const Safetensors& st);

// Validates and decodes a whole file's bytes; `source` names it in errors.
Safetensors parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& source);

// Atomic write (see above). Throws "<path>: cannot write checkpoint: ...".
void write_safetensors(const std::string& path, const Safetensors& st);

// Reads and validates; the result's `source` is the path.
Safetensors read_safetensors(const std::string& path);

}  // namespace convnet
