#include "scheduler/zsocket.hpp"

#include <cerrno>

namespace tock {

ZSocket::ZSocket(Loop& loop, zmq::socket_type type)
    : loop_(loop), sock_(loop.zmq(), type), poll_(new uv_poll_t), drain_([this] { drain(); }) {
    sock_.set(zmq::sockopt::linger, 0);
    const int fd = sock_.get(zmq::sockopt::fd);
    uv_poll_init(loop.uv(), poll_, fd);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &ZSocket::on_poll);
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
}

ZSocket::~ZSocket() {
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    // Coroutine waiters still queued belong to frames being destroyed with us;
    // their Ready nodes unlink themselves when they go. Owned sends are ours.
    for (Ready* r = senders_.front(); r;) {
        auto* o = static_cast<Outgoing*>(r->owner);
        senders_.pop_front();
        if (o->owned) delete o;
        r = senders_.front();
    }
}

void ZSocket::on_poll(uv_poll_t* h, int, int) {
    if (auto* self = static_cast<ZSocket*>(h->data)) self->drain();
}

bool ZSocket::try_recv(Multipart& out) {
    if (!stash_.empty()) {
        out = std::move(stash_.front());
        stash_.pop_front();
        return true;
    }
    zmq::message_t first;
    if (!again_on_eintr([&] { return sock_.recv(first, zmq::recv_flags::dontwait); })) return false;
    out.clear();
    bool more = first.more();
    out.push_back(std::move(first));
    while (more) {
        // The rest of a multipart message is already here: ZeroMQ delivers
        // whole messages or nothing.
        zmq::message_t part;
        (void)again_on_eintr([&] { return sock_.recv(part, zmq::recv_flags::none); });
        more = part.more();
        out.push_back(std::move(part));
    }
    return true;
}

bool ZSocket::try_send(Multipart& parts, Hook* hook) {
    if (!senders_.empty()) return false;
    return send_now(parts, hook);
}

void ZSocket::send_later(Multipart parts) {
    try {
        if (try_send(parts, nullptr)) return;
    } catch (const zmq::error_t&) {
        ++dropped_;
        return;
    }
    auto* o = new Outgoing{std::move(parts), {}, true};
    o->ready.owner = o;
    senders_.push_back(o->ready);
    update_ref();
    schedule_drain();
}

bool ZSocket::send_now(Multipart& parts, Hook* hook) {
    if (parts.empty()) return true;
    if (hook) hook->before(parts);
    const std::size_t n = parts.size();
    auto flags =
        n > 1 ? zmq::send_flags::dontwait | zmq::send_flags::sndmore : zmq::send_flags::dontwait;
    if (!again_on_eintr([&] { return sock_.send(parts[0], flags); })) {
        // The failed send may have consumed the signal a receiver waits for.
        // drain() re-checks by itself; scheduling from there would spin.
        if (!receivers_.empty() && !draining_) schedule_drain();
        return false;
    }
    // Once the first part is accepted ZeroMQ accepts the whole message, so the
    // remaining parts never wait.
    for (std::size_t i = 1; i < n; ++i) {
        (void)again_on_eintr([&] {
            return sock_.send(parts[i],
                              i + 1 < n ? zmq::send_flags::sndmore : zmq::send_flags::none);
        });
    }
    if (hook) hook->sent();
    if ((!receivers_.empty() || !senders_.empty()) && !draining_) schedule_drain();
    return true;
}

ZSocket::Recv::~Recv() {
    if (!served_) return;
    // Cancelled between being handed a message and taking it: give it back.
    s_.stash_.push_back(std::move(parts_));
    if (!s_.receivers_.empty()) s_.schedule_drain();
}

bool ZSocket::Recv::await_ready() {
    if (!s_.receivers_.empty()) return false;
    const bool got = s_.try_recv(parts_);
    // Found or not, the receive processed ZeroMQ's commands, which may have
    // been the very signal that a waiting sender has room again.
    if (!s_.senders_.empty()) s_.schedule_drain();
    return got;
}

void ZSocket::Recv::await_suspend(std::coroutine_handle<> h) {
    ready_.handle = h;
    ready_.owner = this;
    s_.receivers_.push_back(ready_);
    s_.update_ref();
}

bool ZSocket::Send::await_ready() {
    return s_.try_send(out_.parts, out_.hook);
}

void ZSocket::Send::await_suspend(std::coroutine_handle<> h) {
    out_.ready.handle = h;
    out_.ready.owner = &out_;
    s_.senders_.push_back(out_.ready);
    s_.update_ref();
    // A send that found the socket full may have consumed the very signal
    // that says it has room again.
    s_.schedule_drain();
}

void ZSocket::schedule_drain() {
    if (!drain_.linked()) loop_.post(drain_);
}

void ZSocket::drain() {
    draining_ = true;
    bool rechecked = false;
    for (;;) {
        // Reading ZMQ_EVENTS also clears ZMQ_FD's signal; do it even with no
        // waiters so that a level-triggered poll does not spin.
        const int ev = again_on_eintr([&] { return sock_.get(zmq::sockopt::events); });
        bool progressed = false;
        if (((ev & ZMQ_POLLIN) || !stash_.empty()) && !receivers_.empty()) {
            auto* w = static_cast<Recv*>(receivers_.front()->owner);
            if (try_recv(w->parts_)) {
                w->served_ = true;
                loop_.post(w->ready_);
                progressed = true;
            } else if (!rechecked) {
                // The failed receive processed ZeroMQ's commands too: look
                // once more before sleeping.
                rechecked = true;
                progressed = true;
            }
        }
        if ((ev & ZMQ_POLLOUT) && !senders_.empty()) {
            auto* o = static_cast<Outgoing*>(senders_.front()->owner);
            bool sent = false;
            try {
                sent = send_now(o->parts, o->hook);
            } catch (const zmq::error_t&) {
                ++dropped_;
                sent = true;  // refused outright: waiting will not help
            }
            if (sent) {
                if (o->owned) {
                    delete o;
                } else {
                    loop_.post(o->ready);
                }
                progressed = true;
            } else if (!rechecked) {
                // The refused send processed ZeroMQ's commands, which may have
                // made a message readable: look once more before sleeping.
                rechecked = true;
                progressed = true;
            }
        }
        if (!progressed) break;
        // Nothing waits any more: the events read above cleared ZMQ_FD's
        // signal, and a woken receiver asks the socket itself when it comes
        // back, so another look would only cost ZeroMQ's syscalls.
        if (receivers_.empty() && senders_.empty() && stash_.empty()) break;
    }
    draining_ = false;
    update_ref();
}

void ZSocket::update_ref() {
    auto* h = reinterpret_cast<uv_handle_t*>(poll_);
    if (receivers_.empty() && senders_.empty()) {
        uv_unref(h);
    } else {
        uv_ref(h);
    }
}

}  // namespace tock
