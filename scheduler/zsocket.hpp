// ZSocket: a ZeroMQ socket whose sends and receives are awaitables on a Loop.
//
// ZeroMQ exposes readiness through ZMQ_FD, which is edge-triggered in effect:
// it signals when the socket's ZMQ_EVENTS *may* have changed, and any call on
// the socket (send, recv, or reading ZMQ_EVENTS itself) may consume that signal
// while messages remain. So:
// - one uv_poll watches ZMQ_FD; its callback drains: re-read ZMQ_EVENTS and
//   serve queued receivers and senders until no progress is possible;
// - a send or receive done directly (the fast path, when nobody is queued)
//   schedules a drain whenever waiters of the other kind exist, because it
//   may have consumed the signal that was meant to wake them.
// Without that, a message sits unread until some unrelated event happens.
//
// Waiters are served in FIFO order. The poll handle keeps the loop alive only
// while someone waits on the socket. Messages are multipart and atomic. A
// receiver that is cancelled after a message was read for it but before it
// resumed gives the message back: the next receiver gets it, nothing is lost.
// Sockets default to linger 0: closing drops what was not yet sent.
#pragma once

#include <uv.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "scheduler/loop.hpp"

namespace tock {

using Multipart = std::vector<zmq::message_t>;

// A signal (a child's exit, SIGCHLD; SIGTERM) can interrupt ZeroMQ's internal
// poll, even in a call that does not wait: that is not an error, so try again.
// Every call on a raw socket goes through this.
template <typename F>
auto again_on_eintr(F&& f) {
    for (;;) {
        try {
            return f();
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) throw;
        }
    }
}

// A multipart message from strings: make_multipart("topic", header, body).
template <typename... Parts>
Multipart make_multipart(const Parts&... parts) {
    Multipart m;
    m.reserve(sizeof...(parts));
    (m.emplace_back(std::string_view(parts).data(), std::string_view(parts).size()), ...);
    return m;
}

class ZSocket {
  public:
    ZSocket(Loop& loop, zmq::socket_type type);
    ~ZSocket();
    ZSocket(const ZSocket&) = delete;
    ZSocket& operator=(const ZSocket&) = delete;

    // Lets a sender fill in a message at the moment it goes, not when it was
    // queued: before() runs before each attempt, sent() right after an attempt
    // succeeded (the parts are empty by then: ZeroMQ took them).
    // The bus numbers its messages this way, so that a publish cancelled while
    // it waited for room leaves no hole in the numbering.
    struct Hook {
        virtual void before(Multipart& parts) = 0;
        virtual void sent() = 0;

      protected:
        ~Hook() = default;
    };

    // A message waiting to be sent, queued in order with all others.
    struct Outgoing {
        Multipart parts;
        Ready ready;
        bool owned = false;  // queued by send_later: freed once sent
        Hook* hook = nullptr;
    };

    Loop& loop() noexcept { return loop_; }
    zmq::socket_t& raw() noexcept { return sock_; }
    // Both process ZeroMQ's commands first, which can consume a waiter's
    // signal: a drain looks again.
    void bind(const std::string& endpoint) {
        sock_.bind(endpoint);
        if (!receivers_.empty() || !senders_.empty()) schedule_drain();
    }
    void connect(const std::string& endpoint) {
        sock_.connect(endpoint);
        if (!receivers_.empty() || !senders_.empty()) schedule_drain();
    }

    class Recv {
      public:
        explicit Recv(ZSocket& s) : s_(s) {}
        Recv(const Recv&) = delete;
        Recv& operator=(const Recv&) = delete;
        ~Recv();
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        Multipart await_resume() {
            served_ = false;
            return std::move(parts_);
        }

      private:
        friend class ZSocket;
        ZSocket& s_;
        Multipart parts_;
        Ready ready_;
        bool served_ = false;  // parts_ holds a message not yet taken
    };

    class Send {
      public:
        Send(ZSocket& s, Multipart parts, Hook* hook = nullptr)
            : s_(s), out_{std::move(parts), {}, false, hook} {}
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}

      private:
        friend class ZSocket;
        ZSocket& s_;
        Outgoing out_;
    };

    // Receive one whole multipart message.
    Recv recv() { return Recv(*this); }
    // Send one multipart message, waiting while the socket cannot take it.
    Send send(Multipart parts, Hook* hook = nullptr) { return Send(*this, std::move(parts), hook); }
    // Send now if the socket can take it and nothing is queued before it;
    // false (and nothing sent) if not.
    bool try_send(Multipart& parts, Hook* hook = nullptr);
    // Send without waiting: now if possible, else queued (in order with every
    // other send) and sent by the loop when the socket has room. For callers
    // that are not coroutines, such as turn-end flushes. A message the socket
    // refuses outright (ROUTER to an unknown peer) is dropped and counted.
    void send_later(Multipart parts);
    std::uint64_t dropped() const noexcept { return dropped_; }

  private:
    bool try_recv(Multipart& out);
    bool send_now(Multipart& parts, Hook* hook);
    void drain();
    void schedule_drain();
    void update_ref();
    static void on_poll(uv_poll_t* h, int status, int events);

    Loop& loop_;
    zmq::socket_t sock_;
    uv_poll_t* poll_;  // heap: libuv closes it asynchronously
    ReadyList receivers_;
    ReadyList senders_;
    std::deque<Multipart> stash_;  // given back by cancelled receivers
    Ready drain_;
    std::uint64_t dropped_ = 0;
    bool draining_ = false;
};

}  // namespace tock
