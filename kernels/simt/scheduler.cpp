// scheduler.cpp -- runs one thread block as fibers: barriers, warp
// operations, and the checks a GPU would not make for you.
//
// Model. Each CUDA thread of the block is a Boost.Context fiber on a pooled
// stack. The scheduler keeps a queue of runnable threads and resumes them one
// at a time in the configured order (forward, reverse or random). A thread
// runs until it (a) reaches __syncthreads, (b) reaches a warp operation, or
// (c) returns. It then waits until every participant has arrived: the last
// arrival computes everybody's result and puts all of them back on the queue.
//
// Checks (each stops the block with a message naming threads and lanes):
//   * a thread reaches __syncthreads after another thread of the block has
//     exited, or exits while others wait there (divergent barrier);
//   * a warp operation whose mask leaves out the calling lane, names lanes
//     that do not exist or have exited, or that lanes of one warp meet with
//     the same mask at different operations;
//   * a shuffle reading a lane that is not in the mask (undefined in CUDA);
//   * deadlock: nothing runnable while threads still wait.
#include <boost/context/fiber.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <sstream>

#include "simt/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define CN_SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CN_SIMT_ASAN 1
#endif
#endif
#if defined(CN_SIMT_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

// The built-in variables: one copy per OS thread, rewritten by the scheduler.
__thread uint3 threadIdx = {0, 0, 0};
__thread uint3 blockIdx = {0, 0, 0};
__thread dim3 blockDim = dim3(1, 1, 1);
__thread dim3 gridDim = dim3(1, 1, 1);

namespace cn_simt {
namespace detail {
namespace {

namespace ctx = boost::context;

// ---- AddressSanitizer: tell it about every stack switch ---------------------
// Without these calls ASan sees the stack pointer jump between fibers and
// reports nonsense (or misses real errors) when it unwinds or checks frames.
thread_local const void* t_host_stack_bottom = nullptr;  // the scheduler's (OS thread's) stack
thread_local std::size_t t_host_stack_size = 0;

inline void asan_start_switch(void** fake_stack_save, const void* bottom, std::size_t size) {
#if defined(CN_SIMT_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
inline void asan_finish_switch(void* fake_stack_save, const void** bottom_old, std::size_t* size_old) {
#if defined(CN_SIMT_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#else
  (void)fake_stack_save, (void)bottom_old, (void)size_old;
#endif
}

// Thrown inside a fiber to unwind its kernel frames when the block stops.
struct ThreadAbort {};

// Stacks are ours (StackPool); Boost only borrows them.
struct BorrowedStack {
  ctx::stack_context allocate() { std::abort(); }
  void deallocate(ctx::stack_context&) noexcept {}
};

enum class State : unsigned char { NotStarted, Ready, Running, AtBarrier, AtWarp, Done };

struct Thread {
  ctx::fiber fiber;      // the suspended thread (empty unless suspended)
  ctx::fiber scheduler;  // while running: the scheduler to switch back to
  uint3 idx{0, 0, 0};
  int linear = 0;
  State state = State::NotStarted;
  int stack = -1;
  unsigned barriers = 0;  // __syncthreads passed so far
  int barrier_result = 0;
  // The warp operation this thread waits in.
  WarpOp op = WarpOp::SyncWarp;
  unsigned mask = 0;
  std::uint64_t value = 0;
  long long arg = 0;
  int width = 32;
  std::uint64_t result = 0;
  void* asan_fake_stack = nullptr;
};

struct Warp {
  unsigned exists = 0;   // lanes that are threads of this block
  unsigned exited = 0;   // lanes that returned
  unsigned waiting = 0;  // lanes waiting in a warp operation
};

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::SyncWarp: return "__syncwarp";
    case WarpOp::ShflIdx: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
  }
  return "?";
}

bool is_shuffle(WarpOp op) {
  return op == WarpOp::ShflIdx || op == WarpOp::ShflUp || op == WarpOp::ShflDown || op == WarpOp::ShflXor;
}

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string coords(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

// The lane whose value `lane` receives, or -1 for "its own value", exactly
// as PTX shfl.sync defines it for a segment of `width` lanes: idx wraps
// within the segment; up/down clamp to it; xor may reach down into earlier
// segments but never up into later ones.
long long source_lane(WarpOp op, int lane, long long arg, int width) {
  const long long seg_start = lane & ~(width - 1);
  const long long seg_end = seg_start + width - 1;
  switch (op) {
    case WarpOp::ShflIdx:
      return seg_start + (static_cast<unsigned long long>(arg) & static_cast<unsigned long long>(width - 1));
    case WarpOp::ShflUp: {
      const long long s = lane - static_cast<long long>(static_cast<unsigned int>(arg));
      return s >= seg_start ? s : -1;
    }
    case WarpOp::ShflDown: {
      const long long s = lane + static_cast<long long>(static_cast<unsigned int>(arg));
      return s <= seg_end ? s : -1;
    }
    case WarpOp::ShflXor: {
      const long long s = static_cast<unsigned int>(lane) ^ static_cast<unsigned int>(arg);
      return s <= seg_end ? s : -1;
    }
    default:
      return -1;
  }
}

}  // namespace

class BlockRunner {
 public:
  bool busy = false;  // inside a launch (nested launches are refused)
  LaunchInfo info{};
  Thread* current = nullptr;

  void begin_launch(const LaunchInfo& li);
  bool run_block(uint3 block_idx, std::string* error);
  void end_launch();

  int barrier(Thread& t, BarrierOp op, int predicate);
  std::uint64_t warp_op(Thread& t, WarpOp op, unsigned mask, std::uint64_t value, long long arg, int width);
  unsigned active_mask(const Thread& t) const;
  void* dynamic_shared() const { return smem_; }

  // Called on the thread's fiber when its kernel body has returned.
  void thread_exited(Thread& t);
  void record_error(const std::string& message) {
    if (!aborting_) {
      aborting_ = true;
      error_ = message;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) {
    record_error(message);
    throw ThreadAbort{};
  }
  void resume(Thread& t);
  void suspend(Thread& t);
  void push(int i);
  int pop();
  std::uint64_t next_random();
  void complete_warp_op(int warp, unsigned mask);
  std::string deadlock_message() const;
  std::string who(const Thread& t) const { return "thread " + coords(t.idx); }

  std::vector<Thread> threads_;
  std::vector<Warp> warps_;
  std::vector<int> queue_;  // ring buffer of runnable thread indices
  std::size_t head_ = 0, count_ = 0;
  int n_ = 0;
  int live_ = 0;
  int exited_ = 0;
  int at_barrier_ = 0;
  int barrier_true_ = 0;
  bool aborting_ = false;
  std::string error_;
  std::uint64_t rng_ = 0;
  unsigned char* smem_ = nullptr;
  std::unique_ptr<StackPool> stacks_;
  void* asan_fake_stack_ = nullptr;
};

namespace {

thread_local BlockRunner* t_runner = nullptr;  // the runner executing a block on this OS thread

// The body of every fiber: run the kernel once for this thread.
struct ThreadEntry {
  Thread* t;
  ctx::fiber operator()(ctx::fiber&& scheduler) {
    asan_finish_switch(nullptr, &t_host_stack_bottom, &t_host_stack_size);
    t->scheduler = std::move(scheduler);
    BlockRunner& r = *t_runner;
    try {
      r.info.thunk(r.info.packed);
    } catch (const ThreadAbort&) {
      // the block is being stopped; nothing to add
    } catch (const ctx::detail::forced_unwind&) {
      throw;  // Boost's own unwinding must pass through
    } catch (const std::exception& e) {
      r.record_error("thread " + coords(t->idx) + " threw out of the kernel: " + e.what());
    } catch (...) {
      r.record_error("thread " + coords(t->idx) + " threw a non-standard exception out of the kernel");
    }
    r.thread_exited(*t);
    asan_start_switch(nullptr, t_host_stack_bottom, t_host_stack_size);
    return std::move(t->scheduler);
  }
};

}  // namespace

void BlockRunner::begin_launch(const LaunchInfo& li) {
  info = li;
  if (!stacks_) stacks_ = std::make_unique<StackPool>(stack_size());
  n_ = static_cast<int>(li.block.x * li.block.y * li.block.z);
  if (threads_.size() < static_cast<std::size_t>(n_)) threads_.resize(static_cast<std::size_t>(n_));
  warps_.assign(static_cast<std::size_t>((n_ + 31) / 32), Warp{});
  for (std::size_t w = 0; w < warps_.size(); ++w) {
    const int lanes = std::min(32, n_ - static_cast<int>(w) * 32);
    warps_[w].exists = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
  }
  queue_.assign(static_cast<std::size_t>(n_), 0);
  for (int i = 0; i < n_; ++i) {
    Thread& t = threads_[static_cast<std::size_t>(i)];
    const unsigned u = static_cast<unsigned>(i);
    t.idx = uint3{u % li.block.x, (u / li.block.x) % li.block.y, u / (li.block.x * li.block.y)};
    t.linear = i;
  }
  // Exactly the requested size, so ASan sees an access past the end of
  // dynamic shared memory; no dynamic shared memory means a null pointer.
  smem_ = li.smem_bytes ? static_cast<unsigned char*>(std::malloc(li.smem_bytes)) : nullptr;
  if (li.smem_bytes && !smem_) throw SimtError("SIMT: cannot allocate the launch's dynamic shared memory");
  busy = true;
  rng_ = li.seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  blockDim = li.block;
  gridDim = li.grid;
}

void BlockRunner::end_launch() {
  std::free(smem_);
  smem_ = nullptr;
  busy = false;
}

std::uint64_t BlockRunner::next_random() {
  // splitmix64: small, fast, and good enough to shuffle a run queue.
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void BlockRunner::push(int i) {
  queue_[(head_ + count_) % static_cast<std::size_t>(n_)] = i;
  ++count_;
}

int BlockRunner::pop() {
  const std::size_t n = static_cast<std::size_t>(n_);
  if (info.order == Order::Random && count_ > 1) {
    const std::size_t k = static_cast<std::size_t>(next_random() % count_);
    std::swap(queue_[head_], queue_[(head_ + k) % n]);
  }
  const int i = queue_[head_];
  head_ = (head_ + 1) % n;
  --count_;
  return i;
}

bool BlockRunner::run_block(uint3 block_idx, std::string* error) {
  blockIdx = block_idx;
  if (smem_) std::memset(smem_, 0xFF, info.smem_bytes);  // "uninitialized": NaN as float, -1 as int
  for (Warp& w : warps_) w.exited = w.waiting = 0;
  live_ = n_;
  exited_ = at_barrier_ = barrier_true_ = 0;
  aborting_ = false;
  error_.clear();
  head_ = count_ = 0;
  for (int k = 0; k < n_; ++k) {
    Thread& t = threads_[static_cast<std::size_t>(k)];
    t.state = State::NotStarted;
    t.barriers = 0;
    push(info.order == Order::Reverse ? n_ - 1 - k : k);
  }

  t_runner = this;
  while (count_ > 0 && !aborting_) resume(threads_[static_cast<std::size_t>(pop())]);
  if (!aborting_ && live_ > 0) record_error(deadlock_message());
  if (aborting_) {
    // Let every suspended fiber unwind its kernel frames (suspend() throws
    // ThreadAbort into it) so its stack goes back to the pool clean. A kernel
    // that swallows the exception and waits again is resumed again.
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (int i = 0; i < n_; ++i) {
        Thread& t = threads_[static_cast<std::size_t>(i)];
        if (t.fiber) {
          any = true;
          resume(t);
        }
      }
      if (!any) break;
    }
  }
  t_runner = nullptr;
  if (aborting_) {
    *error = error_;
    return false;
  }
  return true;
}

void BlockRunner::resume(Thread& t) {
  if (t.state == State::NotStarted) {
    t.stack = stacks_->acquire();
    const StackPool::Stack& s = stacks_->stack(t.stack);
    ctx::stack_context sctx;
    sctx.sp = s.bottom + s.size;
    sctx.size = s.size;
    t.fiber = ctx::fiber(std::allocator_arg, ctx::preallocated(sctx.sp, sctx.size, sctx), BorrowedStack{},
                         ThreadEntry{&t});
  }
  t.state = State::Running;
  current = &t;
  threadIdx = t.idx;
  const StackPool::Stack& s = stacks_->stack(t.stack);
  asan_start_switch(&asan_fake_stack_, s.bottom, s.size);
  t.fiber = std::move(t.fiber).resume();
  asan_finish_switch(asan_fake_stack_, nullptr, nullptr);
  current = nullptr;
  if (!t.fiber) {  // the thread has returned
    stacks_->release(t.stack);
    t.stack = -1;
  }
}

void BlockRunner::suspend(Thread& t) {
  asan_start_switch(&t.asan_fake_stack, t_host_stack_bottom, t_host_stack_size);
  t.scheduler = std::move(t.scheduler).resume();
  asan_finish_switch(t.asan_fake_stack, &t_host_stack_bottom, &t_host_stack_size);
  if (aborting_) throw ThreadAbort{};
}

void BlockRunner::thread_exited(Thread& t) {
  t.state = State::Done;
  --live_;
  ++exited_;
  Warp& w = warps_[static_cast<std::size_t>(t.linear >> 5)];
  const unsigned bit = 1u << (t.linear & 31);
  w.exited |= bit;
  if (aborting_) return;
  if (at_barrier_ > 0) {
    for (int i = 0; i < n_; ++i) {
      const Thread& o = threads_[static_cast<std::size_t>(i)];
      if (o.state == State::AtBarrier) {
        record_error(who(t) + " exited while " + std::to_string(at_barrier_) +
                     " thread(s) wait at __syncthreads() (e.g. " + who(o) + " at its barrier #" +
                     std::to_string(o.barriers + 1) + "): every thread of a block must reach every "
                     "__syncthreads() (a `return` or a condition around a barrier is the usual cause)");
        return;
      }
    }
  }
  for (unsigned rest = w.waiting; rest; rest &= rest - 1) {
    const Thread& o = threads_[static_cast<std::size_t>((t.linear & ~31) + __builtin_ctz(rest))];
    if (o.mask & bit) {
      record_error(who(t) + " (lane " + std::to_string(t.linear & 31) + " of warp " +
                   std::to_string(t.linear >> 5) + ") exited while lane " + std::to_string(o.linear & 31) +
                   " waits at " + op_name(o.op) + " with mask " + hex(o.mask) + ", which names it");
      return;
    }
  }
}

int BlockRunner::barrier(Thread& t, BarrierOp op, int predicate) {
  (void)op;
  if (exited_ > 0) {
    for (int i = 0; i < n_; ++i) {
      const Thread& o = threads_[static_cast<std::size_t>(i)];
      if (o.state == State::Done) {
        fail(who(t) + " reached __syncthreads() #" + std::to_string(t.barriers + 1) + " but " + who(o) +
             " of the same block already exited without reaching it: every thread of a block must "
             "reach every __syncthreads() (a `return` before a barrier is the usual cause)");
      }
    }
  }
  t.state = State::AtBarrier;
  ++at_barrier_;
  if (predicate) ++barrier_true_;
  if (at_barrier_ == live_) {
    const int result = barrier_true_;
    at_barrier_ = barrier_true_ = 0;
    for (int k = 0; k < n_; ++k) {
      const int i = info.order == Order::Reverse ? n_ - 1 - k : k;
      Thread& o = threads_[static_cast<std::size_t>(i)];
      if (o.state == State::AtBarrier) {
        o.state = State::Ready;
        o.barrier_result = result;
        push(i);
      }
    }
  }
  suspend(t);
  ++t.barriers;
  return t.barrier_result;
}

std::uint64_t BlockRunner::warp_op(Thread& t, WarpOp op, unsigned mask, std::uint64_t value, long long arg,
                                   int width) {
  const int warp = t.linear >> 5;
  const int lane = t.linear & 31;
  const unsigned bit = 1u << lane;
  Warp& w = warps_[static_cast<std::size_t>(warp)];
  const std::string where = who(t) + " (lane " + std::to_string(lane) + " of warp " + std::to_string(warp) +
                            ") at " + op_name(op) + " with mask " + hex(mask);
  if (!(mask & bit)) fail(where + ": the mask must include the calling lane");
  if (mask & ~w.exists) {
    fail(where + ": the mask names lanes " + hex(mask & ~w.exists) + " that are not threads of this block (" +
         std::to_string(n_) + " threads; warp " + std::to_string(warp) + " has lanes " + hex(w.exists) + ")");
  }
  if (mask & w.exited) fail(where + ": the mask names lanes " + hex(mask & w.exited) + " that have already exited");
  if (is_shuffle(op) && (width < 1 || width > 32 || (width & (width - 1)) != 0)) {
    fail(where + ": width " + std::to_string(width) + " is not a power of two in [1, 32]");
  }
  // Lanes meet in the group of lanes waiting with the same mask. A lane may
  // wait in a group with another, overlapping mask (divergent code); that is
  // fine until nothing can move (the deadlock check). Same mask but a
  // different operation can never complete: an error right away.
  unsigned arrived = bit;
  for (unsigned rest = w.waiting; rest; rest &= rest - 1) {
    const Thread& o = threads_[static_cast<std::size_t>(warp * 32 + __builtin_ctz(rest))];
    if (o.mask != mask) continue;
    if (o.op != op) {
      fail(where + " meets lane " + std::to_string(o.linear & 31) + ", which waits at " + op_name(o.op) +
           " with the same mask: all lanes named in a mask must execute the same warp operation");
    }
    arrived |= 1u << (o.linear & 31);
  }
  t.op = op;
  t.mask = mask;
  t.value = value;
  t.arg = arg;
  t.width = width;
  t.state = State::AtWarp;
  w.waiting |= bit;
  if (arrived == mask) complete_warp_op(warp, mask);
  suspend(t);
  return t.result;
}

void BlockRunner::complete_warp_op(int warp, unsigned mask) {
  Thread* lanes = &threads_[static_cast<std::size_t>(warp * 32)];
  unsigned ballot = 0;
  for (unsigned rest = mask; rest; rest &= rest - 1) {
    const int j = __builtin_ctz(rest);
    if (lanes[j].value) ballot |= 1u << j;
  }
  for (unsigned rest = mask; rest; rest &= rest - 1) {
    const int j = __builtin_ctz(rest);
    Thread& tj = lanes[j];
    switch (tj.op) {
      case WarpOp::Ballot: tj.result = ballot; break;
      case WarpOp::Any: tj.result = ballot != 0; break;
      case WarpOp::All: tj.result = ballot == mask; break;
      case WarpOp::SyncWarp: tj.result = 0; break;
      default: {
        const long long src = source_lane(tj.op, j, tj.arg, tj.width);
        if (src < 0) {
          tj.result = tj.value;
        } else if (!(mask & (1u << src))) {
          fail(who(tj) + " (lane " + std::to_string(j) + " of warp " + std::to_string(warp) + ") at " +
               op_name(tj.op) + " with mask " + hex(mask) + " reads lane " + std::to_string(src) +
               ", which is not in the mask: CUDA leaves that value undefined");
        } else {
          tj.result = lanes[src].value;
        }
      }
    }
  }
  Warp& w = warps_[static_cast<std::size_t>(warp)];
  w.waiting &= ~mask;
  for (int k = 0; k < 32; ++k) {
    const int j = info.order == Order::Reverse ? 31 - k : k;
    if (mask & (1u << j)) {
      lanes[j].state = State::Ready;
      push(warp * 32 + j);
    }
  }
}

unsigned BlockRunner::active_mask(const Thread& t) const {
  const Warp& w = warps_[static_cast<std::size_t>(t.linear >> 5)];
  return w.exists & ~w.exited;
}

std::string BlockRunner::deadlock_message() const {
  std::ostringstream m;
  m << "deadlock: " << live_ << " thread(s) wait and none can proceed.";
  if (at_barrier_ > 0) {
    m << " " << at_barrier_ << " wait at __syncthreads() for threads that are in warp operations;";
  }
  for (std::size_t w = 0; w < warps_.size(); ++w) {
    unsigned shown = 0;
    for (unsigned rest = warps_[w].waiting; rest; rest &= rest - 1) {
      const int lane = __builtin_ctz(rest);
      const Thread& o = threads_[w * 32 + static_cast<std::size_t>(lane)];
      if (shown & (1u << lane)) continue;  // already listed with its group
      unsigned arrived = 0;
      for (unsigned r2 = warps_[w].waiting; r2; r2 &= r2 - 1) {
        const int j = __builtin_ctz(r2);
        if (threads_[w * 32 + static_cast<std::size_t>(j)].mask == o.mask) arrived |= 1u << j;
      }
      shown |= arrived;
      m << " warp " << w << ": lanes " << hex(arrived) << " wait at " << op_name(o.op) << " with mask "
        << hex(o.mask) << " for lanes " << hex(o.mask & ~arrived) << ";";
    }
  }
  m << " (typical causes: a warp operation inside a branch that not all named lanes take, or a "
       "__syncthreads() that some threads of a warp skip while others wait in a warp operation)";
  return m.str();
}

// ---- the interface used by launch.cpp and device.h ---------------------------

BlockRunner& this_thread_runner() {
  thread_local BlockRunner runner;
  return runner;
}
bool runner_busy(const BlockRunner& runner) { return runner.busy; }
void runner_begin_launch(BlockRunner& runner, const LaunchInfo& info) { runner.begin_launch(info); }
bool runner_run_block(BlockRunner& runner, uint3 block_idx, std::string* error) {
  return runner.run_block(block_idx, error);
}
void runner_end_launch(BlockRunner& runner) { runner.end_launch(); }

namespace {
// The running thread, or a SimtError when called outside a kernel.
Thread& current_thread(const char* what) {
  if (t_runner == nullptr || t_runner->current == nullptr) {
    throw SimtError(std::string("SIMT: ") + what + " called outside a kernel launched with cn_launch");
  }
  return *t_runner->current;
}
}  // namespace

int block_barrier(BarrierOp op, int predicate) {
  Thread& t = current_thread("__syncthreads()");
  return t_runner->barrier(t, op, predicate);
}

std::uint64_t warp_collective(WarpOp op, unsigned int mask, std::uint64_t value, long long arg, int width) {
  Thread& t = current_thread(op_name(op));
  return t_runner->warp_op(t, op, mask, value, arg, width);
}

unsigned int active_mask() { return t_runner->active_mask(current_thread("__activemask()")); }

void* dynamic_shared_raw() {
  current_thread("CN_DYNAMIC_SHARED");
  return t_runner->dynamic_shared();
}

}  // namespace detail
}  // namespace cn_simt
