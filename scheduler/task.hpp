// Task<T>: the one coroutine type of tock.
//
// Semantics
// - Lazy: creating a Task runs nothing. The body starts when the Task is
//   co_awaited (or handed to a Scope, which starts it on the next loop turn).
// - Direct transfer, no stack growth: `co_await task` runs the child at once,
//   and a child that finishes hands control straight back to its awaiter;
//   no trip through the event loop between parent and child. A child that
//   completes without suspending is noticed in the awaiter's await_suspend,
//   which then returns false, so a loop of a million synchronous awaits runs
//   in constant stack. A child that suspended resumes its awaiter from its
//   final suspend by symmetric transfer. Neither relies on the compiler
//   turning a resume into a tail call, which -O0 and AddressSanitizer builds
//   do not do.
// - Exceptions: an exception that escapes the body is stored in the frame and
//   rethrown from `co_await` in the awaiter.
// - Ownership: a Task is a move-only owner of its frame and destroys it exactly
//   once, in its destructor. Destroying a Task whose body is suspended is how
//   tock cancels: the frame's locals are destroyed in reverse order, so every
//   awaitable it was suspended on unregisters itself (see loop.hpp, Ready).
// - Cost: one heap allocation per Task (the frame), no allocation per await.
//
// Compared with callbacks, a chain of Tasks reads as straight-line code and
// keeps its state in locals; compared with threads, nothing runs concurrently
// with anything else, so no component needs a lock.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace tock {

template <typename T = void>
class Task;

namespace detail {

class PromiseBase {
  public:
    std::suspend_always initial_suspend() noexcept { return {}; }

    // How the coroutine is being run, for the awaiter's benefit.
    enum class Flow : unsigned char {
        detached,     // resumed by the loop (or not started): resume the awaiter at the end
        inline_run,   // started from its awaiter's await_suspend, not yet suspended
        inline_done,  // finished inside that start: the awaiter continues by itself
    };

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            PromiseBase& p = h.promise();
            if (p.flow_ == Flow::inline_run) {
                p.flow_ = Flow::inline_done;
                return std::noop_coroutine();  // back into the awaiter's await_suspend
            }
            return p.continuation_ ? p.continuation_ : std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept { error_ = std::current_exception(); }
    void set_continuation(std::coroutine_handle<> c) noexcept { continuation_ = c; }

    // Start (or resume) this coroutine on behalf of an awaiter that has just
    // suspended; true if it finished before suspending.
    bool run_inline(std::coroutine_handle<> self) noexcept {
        flow_ = Flow::inline_run;
        self.resume();
        const bool finished = flow_ == Flow::inline_done;
        flow_ = Flow::detached;
        return finished;
    }

  protected:
    void rethrow_if_failed() const {
        if (error_) std::rethrow_exception(error_);
    }

  private:
    std::coroutine_handle<> continuation_;
    std::exception_ptr error_;
    Flow flow_ = Flow::detached;
};

template <typename T>
class Promise : public PromiseBase {
  public:
    Task<T> get_return_object() noexcept;
    template <typename U>
    void return_value(U&& v) {
        value_.emplace(std::forward<U>(v));
    }
    T take() {
        rethrow_if_failed();
        return std::move(*value_);
    }

  private:
    std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
  public:
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() { rethrow_if_failed(); }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    Task() noexcept = default;
    explicit Task(Handle h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() {
        if (h_) h_.destroy();
    }

    bool valid() const noexcept { return static_cast<bool>(h_); }
    bool done() const noexcept { return !h_ || h_.done(); }

    struct Awaiter {
        Handle h;
        bool await_ready() const noexcept { return !h || h.done(); }
        bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
            h.promise().set_continuation(awaiter);
            // false: the child is done, so the awaiter goes on without suspending.
            return !h.promise().run_inline(h);
        }
        T await_resume() { return h.promise().take(); }
    };
    Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
    Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

  private:
    Handle h_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace tock
