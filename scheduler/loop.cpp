#include "scheduler/loop.hpp"

#include <cassert>
#include <stdexcept>
#include <utility>

#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"

namespace tock {

void Ready::unlink() noexcept {
    if (list_) list_->remove(*this);
}

void Ready::fire() {
    if (fn) {
        fn();
    } else if (handle) {
        handle.resume();
    }
}

ReadyList::~ReadyList() {
    while (head_) remove(*head_);
}

void ReadyList::push_back(Ready& r) noexcept {
    r.unlink();
    r.list_ = this;
    r.prev_ = tail_;
    r.next_ = nullptr;
    if (tail_) {
        tail_->next_ = &r;
    } else {
        head_ = &r;
    }
    tail_ = &r;
    ++size_;
}

Ready* ReadyList::pop_front() noexcept {
    Ready* r = head_;
    if (r) remove(*r);
    return r;
}

void ReadyList::remove(Ready& r) noexcept {
    assert(r.list_ == this);
    if (r.prev_) {
        r.prev_->next_ = r.next_;
    } else {
        head_ = r.next_;
    }
    if (r.next_) {
        r.next_->prev_ = r.prev_;
    } else {
        tail_ = r.prev_;
    }
    r.prev_ = r.next_ = nullptr;
    r.list_ = nullptr;
    --size_;
}

Loop::Loop(ClockMode mode, zmq::context_t* shared_zmq) : mode_(mode) {
    if (int rc = uv_loop_init(&uv_); rc != 0) {
        throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(rc));
    }
    uv_idle_init(&uv_, &idle_);
    idle_.data = this;
    uv_prepare_init(&uv_, &prepare_);
    prepare_.data = this;
    uv_prepare_start(&prepare_, &Loop::on_prepare);
    uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
    if (shared_zmq) {
        zmq_ = shared_zmq;
    } else {
        own_zmq_ = std::make_unique<zmq::context_t>();
        zmq_ = own_zmq_.get();
    }
    if (mode == ClockMode::real) {
        clock_ = std::make_unique<RealClock>(*this);
    } else {
        clock_ = std::make_unique<VirtualClock>(*this);
    }
}

Loop::~Loop() {
    clock_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
    // Close what is still open, without waiting for it: a child whose Process
    // was dropped keeps running on its own (its handle is let go, not killed);
    // handles of objects that outlived their loop are closed. Then run the
    // close callbacks, which is all that is left, and free the loop.
    // Children first: letting one go also closes its message pipe.
    for (void* child : std::exchange(children_, {})) Process::abandon(child);
    uv_walk(
        &uv_,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&uv_, UV_RUN_DEFAULT);
    uv_loop_close(&uv_);
}

void Loop::post(Ready& r) noexcept {
    ready_.push_back(r);
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_)))
        uv_idle_start(&idle_, &Loop::on_idle);
}

void Loop::at_turn_end(Ready& r) noexcept {
    turn_end_.push_back(r);
}

void Loop::on_idle(uv_idle_t* h) {
    auto* self = static_cast<Loop*>(h->data);
    // Run what is ready, including what that posts in turn, up to a bound, so
    // that a chain of coroutines resuming each other finishes in one turn but
    // coroutines that keep posting each other cannot starve the poll phase.
    constexpr std::size_t kPerTurn = 1024;
    for (std::size_t n = kPerTurn; n > 0 && !self->ready_.empty(); --n) {
        Ready* r = self->ready_.pop_front();
        ++self->fired_;
        r->fire();
    }
    if (self->ready_.empty()) uv_idle_stop(&self->idle_);
}

void Loop::on_prepare(uv_prepare_t* h) {
    auto* self = static_cast<Loop*>(h->data);
    while (Ready* r = self->turn_end_.pop_front()) r->fire();
}

void Loop::stop() noexcept {
    stop_ = true;
    uv_stop(&uv_);
}

void Loop::run() {
    stop_ = false;
    if (mode_ == ClockMode::virtual_time) {
        run_virtual();
        return;
    }
    while (!stop_ && uv_run(&uv_, UV_RUN_DEFAULT) != 0) {
    }
}

void Loop::run_virtual() {
    auto& vclock = static_cast<VirtualClock&>(*clock_);
    while (!stop_) {
        const std::uint64_t before = fired_;
        const int alive = uv_run(&uv_, UV_RUN_NOWAIT);
        if (stop_) break;
        if (fired_ != before || !ready_.empty()) continue;
        // A whole non-blocking turn resumed nothing: every coroutine is blocked.
        if (sync_) {
            // Time is shared: it moves when every loop is idle (the TimeSync
            // resumes this loop's sleepers), and this loop waits for that
            // or for work.
            if (holds_ == 0) sync_->idle();
            if (!ready_.empty()) continue;
            uv_run(&uv_, UV_RUN_ONCE);
            continue;
        }
        if (holds_ == 0 && vclock.advance()) continue;
        if (alive == 0 && clock_->pending() == 0) break;
        uv_run(&uv_, UV_RUN_ONCE);
    }
}

}  // namespace tock
