#include "scheduler/scope.hpp"

namespace tock {

void Event::set() noexcept {
    set_ = true;
    while (Ready* r = waiters_.pop_front()) loop_.post(*r);
}

// The frame of a spawned coroutine's root: a promise that is also the Scope's
// list node. It starts suspended (posted to run next turn) and, at its final
// suspend, reports to the Scope, which destroys the frame.
struct Scope::Child {
    struct Root {
        struct promise_type;
        std::coroutine_handle<promise_type> h;
    };
    struct Root::promise_type {
        Child* child = nullptr;
        std::exception_ptr error;
        Root get_return_object() noexcept {
            return Root{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct Final {
            bool await_ready() noexcept { return false; }
            void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                Child* c = h.promise().child;
                c->scope->finished(c, h.promise().error);
            }
            void await_resume() noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error = std::current_exception(); }
    };

    static Root body(Task<void> t) { co_await std::move(t); }

    Scope* scope;
    Root root;
    Ready start;
    Child* prev = nullptr;
    Child* next = nullptr;

    ~Child() {
        start.unlink();
        if (root.h) root.h.destroy();
    }
};

Scope::Scope(Loop& loop) : loop_(loop), idle_(loop), stop_([this] { cancel(); }) {
    idle_.set();
}

Scope::~Scope() {
    cancel();
}

void Scope::spawn(Task<void> task) {
    auto* c = new Child{this, Child::body(std::move(task)), {}, nullptr, head_};
    c->root.h.promise().child = c;
    if (head_) head_->prev = c;
    head_ = c;
    ++live_;
    idle_.reset();
    c->start.handle = c->root.h;
    loop_.post(c->start);
}

void Scope::finished(Child* c, std::exception_ptr err) noexcept {
    if (err) {
        ++failures_;
        if (!first_error_) first_error_ = err;
        loop_.report_error(err);
    }
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (head_ == c) head_ = c->next;
    --live_;
    delete c;  // destroys the root frame, which is suspended at its final point
    if (live_ == 0) idle_.set();
}

void Scope::cancel() noexcept {
    stop_.unlink();
    while (head_) {
        Child* c = head_;
        head_ = c->next;
        if (head_) head_->prev = nullptr;
        --live_;
        delete c;
    }
    idle_.set();
}

void Scope::stop() noexcept {
    loop_.post(stop_);
}

Task<void> Scope::join() {
    // A child spawned after the last one finished, but before we resumed,
    // resets idle_: wait again.
    while (live_ > 0) co_await idle_.wait();
    if (first_error_) std::rethrow_exception(first_error_);
}

void run_until(Loop& loop, Task<void> task) {
    run_until(loop, [](Task<void> t) -> Task<bool> {
        co_await std::move(t);
        co_return true;
    }(std::move(task)));
}

}  // namespace tock
