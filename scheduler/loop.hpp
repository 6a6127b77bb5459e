// Loop: the one event loop of a tock process (or thread), on libuv.
//
// Everything that wakes a coroutine goes through here: a timer that is due,
// a socket that is ready, a child that exited, a signal. Awaitables never
// resume a coroutine from inside a libuv callback; they post a Ready node, and
// the loop runs posted nodes in FIFO order in its idle phase. That keeps
// resumption order deterministic and lets a frame be destroyed (cancelled) at
// any time: a Ready node unlinks itself from whatever list holds it when it is
// destroyed, so a cancelled coroutine is never resumed.
//
// One loop turn, in libuv's order:
//   timers -> posted Ready nodes (idle) -> turn-end hooks (prepare) -> poll
// Turn-end hooks are where batched senders flush: everything queued while the
// turn ran leaves before the loop next waits. Poll blocks only when nothing is
// posted, so a process with no work makes no wake-ups at all.
//
// Two clocks: ClockMode::real drives timers with a uv timer; ClockMode::virtual_time
// keeps its own time, which jumps to the next due timer whenever a full
// non-blocking turn resumed nothing and no external work (a child process) is
// in flight. The same component code runs under both.
#pragma once

#include <uv.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <unordered_set>
#include <zmq.hpp>

namespace tock {

class Clock;
class ReadyList;
class Publisher;
class Subscriber;

// Keeps a virtual clock in step with other loops (scheduler/timesync.hpp):
// a loop under the virtual clock that has one tells it when it is idle,
// rather than move its own time.
class TimeSync {
  public:
    virtual ~TimeSync() = default;
    // A whole non-blocking turn resumed nothing and nothing is held.
    virtual void idle() = 0;
};

// A node that can be queued to run on the loop. Either resumes `handle` or
// calls `fn`. Destroying a queued node unlinks it.
class Ready {
  public:
    Ready() = default;
    explicit Ready(std::function<void()> f) : fn(std::move(f)) {}
    Ready(const Ready&) = delete;
    Ready& operator=(const Ready&) = delete;
    ~Ready() { unlink(); }

    bool linked() const noexcept { return list_ != nullptr; }
    void unlink() noexcept;
    void fire();

    std::coroutine_handle<> handle;
    std::function<void()> fn;
    void* owner = nullptr;  // the awaiter that holds this node, for its event source

  private:
    friend class ReadyList;
    Ready* prev_ = nullptr;
    Ready* next_ = nullptr;
    ReadyList* list_ = nullptr;
};

// Intrusive FIFO of Ready nodes; a node is in at most one list at a time.
class ReadyList {
  public:
    ReadyList() = default;
    ReadyList(const ReadyList&) = delete;
    ReadyList& operator=(const ReadyList&) = delete;
    ~ReadyList();

    void push_back(Ready& r) noexcept;
    Ready* pop_front() noexcept;
    Ready* front() const noexcept { return head_; }
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }

  private:
    friend class Ready;
    void remove(Ready& r) noexcept;
    Ready* head_ = nullptr;
    Ready* tail_ = nullptr;
    std::size_t size_ = 0;
};

enum class ClockMode { real, virtual_time };

class Loop {
  public:
    // `shared_zmq` lets loops in several threads share one ZeroMQ context, which
    // inproc:// endpoints require. Without it the loop owns a context.
    explicit Loop(ClockMode mode = ClockMode::real, zmq::context_t* shared_zmq = nullptr);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    uv_loop_t* uv() noexcept { return &uv_; }
    zmq::context_t& zmq() noexcept { return *zmq_; }
    Clock& clock() noexcept { return *clock_; }
    ClockMode mode() const noexcept { return mode_; }

    // Run `r` in this turn's idle phase (or the next turn's, if posted while
    // the idle phase is running), after everything posted before it.
    void post(Ready& r) noexcept;
    // Run `r` once before the loop next waits for events.
    void at_turn_end(Ready& r) noexcept;

    // Run until stop() or until nothing can happen any more.
    void run();
    void stop() noexcept;

    // External work in flight (a child process): under the virtual clock, time
    // does not jump while any is held, because its completion is a real event.
    void hold() noexcept { ++holds_; }
    void unhold() noexcept { --holds_; }

    // Where an error that escapes a Scope's coroutine goes as it happens, in
    // addition to the Scope keeping it for join(): a scheduler ends its run
    // on one rather than go on without the coroutine that failed. None by
    // default. The sink must not throw.
    void set_error_sink(std::function<void(std::exception_ptr)> sink) {
        error_sink_ = std::move(sink);
    }
    void report_error(std::exception_ptr e) noexcept {
        if (error_sink_) error_sink_(e);
    }

    // How many Ready nodes have fired; tests and benchmarks read it.
    std::uint64_t fired() const noexcept { return fired_; }
    // Nothing posted and nothing held: what the virtual clock waits for.
    bool quiet() const noexcept { return ready_.empty() && holds_ == 0; }

    // Virtual time shared with other loops: with a TimeSync, an idle loop
    // tells it so, and its time moves only when the TimeSync moves it.
    void set_time_sync(TimeSync* s) noexcept { sync_ = s; }
    // The bus endpoints living on this loop (they add themselves), which a
    // TimeSync reads to prove that no message is in flight between loops.
    std::unordered_set<Publisher*>& publishers() noexcept { return publishers_; }
    std::unordered_set<Subscriber*>& subscribers() noexcept { return subscribers_; }

  private:
    friend class Process;
    static void on_idle(uv_idle_t* h);
    static void on_prepare(uv_prepare_t* h);
    void run_virtual();

    ClockMode mode_;
    uv_loop_t uv_{};
    uv_idle_t idle_{};
    uv_prepare_t prepare_{};
    std::unique_ptr<zmq::context_t> own_zmq_;
    zmq::context_t* zmq_;
    std::unique_ptr<Clock> clock_;
    ReadyList ready_;
    ReadyList turn_end_;
    std::uint64_t fired_ = 0;
    int holds_ = 0;
    bool stop_ = false;
    std::function<void(std::exception_ptr)> error_sink_;
    TimeSync* sync_ = nullptr;
    std::unordered_set<Publisher*> publishers_;
    std::unordered_set<Subscriber*> subscribers_;
    // Children still running (Process states), let go when the loop ends.
    std::unordered_set<void*> children_;
};

}  // namespace tock
