// Scope: the owner of top-level coroutines (structured concurrency).
//
// `scope.spawn(task)` takes ownership of a Task and starts it on the next loop
// turn. The Scope keeps every spawned coroutine it has not seen finish; when the
// Scope is destroyed, or cancel() is called, each live one is destroyed where it
// is suspended. Destruction runs the destructors of every frame in its await
// chain, and every awaitable unregisters itself from its event source, so a
// cancelled coroutine is never resumed and nothing it held leaks.
//
// An exception that escapes a spawned coroutine does not vanish: the Scope keeps
// the first one, counts them all, and join() rethrows the first. Each one also
// goes to the loop's error sink at once (Loop::set_error_sink), for the
// coroutines nobody joins.
//
// cancel() destroys frames synchronously, so it must not be called from inside
// one of the Scope's own coroutines (that frame is running); call stop() there,
// which cancels on the next loop turn.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>

#include "scheduler/loop.hpp"
#include "scheduler/task.hpp"

namespace tock {

// A manual-reset event: wait() suspends until set(); set() resumes every
// waiter (in the order they waited) on the next loop turn.
class Event {
  public:
    explicit Event(Loop& loop) : loop_(loop) {}
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    void set() noexcept;
    void reset() noexcept { set_ = false; }
    bool is_set() const noexcept { return set_; }

    class Wait {
      public:
        explicit Wait(Event& e) : ev_(e) {}
        bool await_ready() const noexcept { return ev_.set_; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            ready_.handle = h;
            ev_.waiters_.push_back(ready_);
        }
        void await_resume() const noexcept {}

      private:
        Event& ev_;
        Ready ready_;
    };
    Wait wait() noexcept { return Wait(*this); }

  private:
    Loop& loop_;
    ReadyList waiters_;
    bool set_ = false;
};

class Scope {
  public:
    explicit Scope(Loop& loop);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

    Loop& loop() noexcept { return loop_; }
    void spawn(Task<void> task);
    // Destroy every live coroutine now. Not from inside one of them.
    void cancel() noexcept;
    // Cancel on the next loop turn; safe from anywhere.
    void stop() noexcept;
    // Wait until every spawned coroutine has finished; rethrow the first error.
    Task<void> join();

    std::size_t live() const noexcept { return live_; }
    std::size_t failures() const noexcept { return failures_; }
    std::exception_ptr first_error() const noexcept { return first_error_; }

  private:
    struct Child;
    friend struct Child;
    void finished(Child* c, std::exception_ptr err) noexcept;

    Loop& loop_;
    Child* head_ = nullptr;
    std::size_t live_ = 0;
    std::size_t failures_ = 0;
    std::exception_ptr first_error_;
    Event idle_;
    Ready stop_;
};

// Run `task` on `loop` until it finishes, and return its result or rethrow its
// error. Throws std::logic_error if the loop runs out of events first (the task
// waits on something that can never happen).
template <typename T>
T run_until(Loop& loop, Task<T> task) {
    std::optional<T> result;
    std::exception_ptr error;
    bool done = false;
    {
        Scope scope(loop);
        scope.spawn([](Loop& l, Task<T> t, std::optional<T>& out, std::exception_ptr& err,
                       bool& fin) -> Task<void> {
            try {
                out.emplace(co_await std::move(t));
            } catch (...) {
                err = std::current_exception();
            }
            fin = true;
            l.stop();
        }(loop, std::move(task), result, error, done));
        loop.run();
    }
    if (error) std::rethrow_exception(error);
    if (!done)
        throw std::logic_error("run_until: the loop ran out of events before the task finished");
    return std::move(*result);
}

void run_until(Loop& loop, Task<void> task);

}  // namespace tock
