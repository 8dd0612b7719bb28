// stacks.cpp -- the pool of fiber stacks (see StackPool in simt/internal.h).
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "simt/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define CN_SIMT_STACKS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CN_SIMT_STACKS_ASAN 1
#endif
#endif
#if defined(CN_SIMT_STACKS_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace cn_simt {
namespace detail {

StackPool::StackPool(std::size_t stack_bytes) {
  page_bytes_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  // Round up to whole pages; the guard page comes on top.
  stack_bytes_ = (stack_bytes + page_bytes_ - 1) / page_bytes_ * page_bytes_;
}

StackPool::~StackPool() {
  for (const Stack& s : stacks_) {
    munmap(s.bottom - page_bytes_, s.size + page_bytes_);
  }
}

int StackPool::acquire() {
  if (free_.empty()) {
    // MAP_NORESERVE: a 1024-thread block reserves 1024 stacks of address
    // space, but only the pages a fiber touches are ever backed by memory.
    void* base = mmap(nullptr, stack_bytes_ + page_bytes_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
      throw SimtError(std::string("SIMT: cannot map a fiber stack of ") + std::to_string(stack_bytes_) +
                      " bytes: " + std::strerror(errno));
    }
    if (mprotect(base, page_bytes_, PROT_NONE) != 0) {
      throw SimtError(std::string("SIMT: cannot protect a fiber stack's guard page: ") + std::strerror(errno));
    }
    stacks_.push_back(Stack{static_cast<char*>(base) + page_bytes_, stack_bytes_});
    free_.push_back(static_cast<int>(stacks_.size() - 1));
  }
  const int index = free_.back();
  free_.pop_back();
#if defined(CN_SIMT_STACKS_ASAN)
  // A finished fiber leaves the poisoned redzones of frames that never
  // returned (Boost's entry frame); the next fiber must start clean.
  __asan_unpoison_memory_region(stacks_[static_cast<std::size_t>(index)].bottom, stack_bytes_);
#endif
  return index;
}

void StackPool::release(int index) { free_.push_back(index); }

}  // namespace detail
}  // namespace cn_simt
