// ZMQ_FD is edge-triggered in effect. These tests each build a situation where
// a message can only be delivered if the socket drains properly: remove the
// drain loop, or the re-check after a send, and they time out.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "scheduler/zsocket.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using namespace std::chrono_literals;

TEST_SUITE("zsocket") {
    Task<void> receive_into(ZSocket & s, std::vector<std::string> & got) {
        Multipart m = co_await s.recv();
        got.push_back(m.at(0).to_string());
    }

    TEST_CASE("two messages in one edge reach two waiting receivers") {
        Loop loop(ClockMode::virtual_time);
        ZSocket a(loop, zmq::socket_type::pair);
        a.bind("inproc://two-in-one-edge");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.connect("inproc://two-in-one-edge");
        std::vector<std::string> got;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b,
                       std::vector<std::string>& got) -> Task<void> {
            Scope s(l);
            s.spawn(receive_into(a, got));
            s.spawn(receive_into(a, got));
            co_await test::Yield(l);  // both receivers are now suspended
            co_await test::Yield(l);
            // Two sends, one signal: the second arrives in a non-empty pipe.
            b.send(zmq::buffer(std::string_view("m1")));
            b.send(zmq::buffer(std::string_view("m2")));
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, got), 1h, "both messages");
        CHECK(got == std::vector<std::string>{"m1", "m2"});
    }

    TEST_CASE("a send that consumes the edge still wakes the pending receiver") {
        // Real clock: ZeroMQ processes its command queue on send at most about
        // once a millisecond, so the sender first waits on a 5 ms timer to be
        // sure its send does consume the signal meant for the receiver.
        Loop loop(ClockMode::real);
        ZSocket a(loop, zmq::socket_type::pair);
        a.bind("inproc://send-eats-edge");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.connect("inproc://send-eats-edge");
        std::vector<std::string> got;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b,
                       std::vector<std::string>& got) -> Task<void> {
            Scope s(l);
            s.spawn(receive_into(a, got));
            co_await l.clock().sleep_for(5ms);
            b.send(zmq::buffer(std::string_view("for-the-receiver")));
            co_await a.send(make_multipart("from-a"));
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, got), 5s, "the receiver to wake");
        CHECK(got == std::vector<std::string>{"for-the-receiver"});
        zmq::message_t m;
        REQUIRE(b.recv(m, zmq::recv_flags::dontwait));
        CHECK(m.to_string() == "from-a");
    }

    TEST_CASE("a sender blocked at the high-water mark wakes when the peer makes room") {
        Loop loop(ClockMode::virtual_time);
        ZSocket a(loop, zmq::socket_type::dealer), b(loop, zmq::socket_type::dealer);
        a.raw().set(zmq::sockopt::sndhwm, 1);
        b.raw().set(zmq::sockopt::rcvhwm, 1);
        b.bind("inproc://hwm-wake");
        a.connect("inproc://hwm-wake");
        constexpr int n = 2000;
        int sent = 0, got = 0, waits = 0;
        auto sender = [](ZSocket& a, int& sent, int& waits) -> Task<void> {
            for (int i = 0; i < n; ++i) {
                Multipart m = make_multipart(std::to_string(i));
                if (!a.try_send(m)) {
                    ++waits;
                    co_await a.send(std::move(m));
                }
                ++sent;
            }
        };
        auto receiver = [](ZSocket& b, int& got) -> Task<void> {
            while (got < n) {
                Multipart m = co_await b.recv();
                CHECK(m.at(0).to_string() == std::to_string(got));
                ++got;
            }
        };
        auto body = [&](Loop& l) -> Task<void> {
            Scope s(l);
            s.spawn(sender(a, sent, waits));
            s.spawn(receiver(b, got));
            co_await s.join();
        };
        test::run_guarded(loop, body(loop), 1h, "all sends");
        CHECK(sent == n);
        CHECK(got == n);
        CHECK(waits > 0);  // the sender really was held back
    }

    TEST_CASE("a receive that finds nothing still wakes the sender whose signal it consumed") {
        // a's sender waits at the high-water mark. The peer makes room, which
        // queues the signal for a, and before the loop polls, a receive on a
        // finds nothing: ZeroMQ processed the signal there, so ZMQ_FD will
        // not fire for it. The sender must wake all the same (a publisher
        // whose subscription reader got an unsubscription, say).
        Loop loop(ClockMode::real);
        ZSocket a(loop, zmq::socket_type::pair);
        a.raw().set(zmq::sockopt::sndhwm, 1);
        a.bind("inproc://recv-eats-edge");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.set(zmq::sockopt::rcvhwm, 1);
        b.connect("inproc://recv-eats-edge");
        bool sent = false, in_time = false;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b, bool& sent,
                       bool& in_time) -> Task<void> {
            Scope s(l);
            Multipart fill = make_multipart("fill");
            int filled = 0;
            while (a.try_send(fill)) {
                fill = make_multipart("fill");
                ++filled;
            }
            REQUIRE(filled > 0);
            s.spawn([](ZSocket& a, bool& sent) -> Task<void> {
                co_await a.send(make_multipart("blocked"));
                sent = true;
            }(a, sent));
            co_await l.clock().sleep_for(5ms);  // the sender waits, its drain done
            REQUIRE_FALSE(sent);
            zmq::message_t m;
            while (b.recv(m, zmq::recv_flags::dontwait)) {
            }
            // Nothing came for the receiver; the late message ends the test
            // either way, after the sender was checked.
            s.spawn([](Loop& l, zmq::socket_t& b, bool& sent, bool& in_time) -> Task<void> {
                co_await l.clock().sleep_for(200ms);
                in_time = sent;
                b.send(zmq::buffer(std::string_view("late")));
            }(l, b, sent, in_time));
            Multipart late = co_await a.recv();
            CHECK(late.at(0).to_string() == "late");
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, sent, in_time), 5s, "the blocked sender");
        CHECK(in_time);  // woken by the room made, not by the late message
    }

    TEST_CASE(
        "a send refused at the high-water mark still wakes the receiver whose signal it consumed") {
        // The mirror of the case above: a's receiver waits; the peer sends
        // to a, which queues the signal for a; before the loop polls, a send
        // on a is refused (a's pipe is full). ZeroMQ processed the signal in
        // that send, so ZMQ_FD will not fire for it: the receiver must wake
        // all the same.
        Loop loop(ClockMode::real);
        ZSocket a(loop, zmq::socket_type::pair);
        a.raw().set(zmq::sockopt::sndhwm, 1);
        a.bind("inproc://refused-send-eats-edge");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.set(zmq::sockopt::rcvhwm, 1);
        b.connect("inproc://refused-send-eats-edge");
        std::vector<std::string> got;
        bool refused = false;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b, std::vector<std::string>& got,
                       bool& refused) -> Task<void> {
            Scope s(l);
            Multipart fill = make_multipart("fill");
            int filled = 0;
            while (a.try_send(fill)) {
                fill = make_multipart("fill");
                ++filled;
            }
            REQUIRE(filled > 0);
            s.spawn(receive_into(a, got));
            // ZeroMQ processes its commands on send at most about once a
            // millisecond: wait, so that the refused send below does.
            co_await l.clock().sleep_for(5ms);
            b.send(zmq::buffer(std::string_view("for-the-receiver")));
            Multipart more = make_multipart("more");
            refused = !a.try_send(more);
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, got, refused), 5s, "the receiver to wake");
        CHECK(refused);
        CHECK(got == std::vector<std::string>{"for-the-receiver"});
    }

    TEST_CASE("waiters are served in FIFO order") {
        Loop loop(ClockMode::virtual_time);
        ZSocket a(loop, zmq::socket_type::pair);
        a.bind("inproc://fifo");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.connect("inproc://fifo");
        std::vector<std::string> got;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b,
                       std::vector<std::string>& got) -> Task<void> {
            Scope s(l);
            for (int i = 0; i < 5; ++i) s.spawn(receive_into(a, got));
            co_await test::Yield(l);
            co_await test::Yield(l);
            for (int i = 0; i < 5; ++i) b.send(zmq::buffer(std::to_string(i)));
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, got), 1h, "five messages");
        CHECK(got == std::vector<std::string>{"0", "1", "2", "3", "4"});
    }

    TEST_CASE("multipart messages arrive whole") {
        Loop loop;
        ZSocket a(loop, zmq::socket_type::pair), b(loop, zmq::socket_type::pair);
        a.bind("inproc://multipart");
        b.connect("inproc://multipart");
        auto m = run_until(loop, [](ZSocket& a, ZSocket& b) -> Task<Multipart> {
            co_await a.send(make_multipart("one", "two", "three"));
            co_return co_await b.recv();
        }(a, b));
        REQUIRE(m.size() == 3);
        CHECK(m[2].to_string() == "three");
    }

    TEST_CASE("a cancelled receiver is never resumed and the next one gets the message") {
        Loop loop(ClockMode::virtual_time);
        ZSocket a(loop, zmq::socket_type::pair);
        a.bind("inproc://cancel-recv");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.connect("inproc://cancel-recv");
        std::vector<std::string> got;
        auto body = [](Loop& l, ZSocket& a, zmq::socket_t& b,
                       std::vector<std::string>& got) -> Task<void> {
            {
                Scope doomed(l);
                doomed.spawn(receive_into(a, got));
                co_await test::Yield(l);
                co_await test::Yield(l);
            }
            Scope s(l);
            s.spawn(receive_into(a, got));
            co_await test::Yield(l);
            b.send(zmq::buffer(std::string_view("only")));
            co_await s.join();
        };
        test::run_guarded(loop, body(loop, a, b, got), 1h, "the second receiver");
        CHECK(got == std::vector<std::string>{"only"});
    }

    TEST_CASE("a receiver cancelled after a message was read for it gives the message back") {
        Loop loop(ClockMode::virtual_time);
        ZSocket a(loop, zmq::socket_type::pair);
        a.bind("inproc://giveback");
        zmq::socket_t b(loop.zmq(), zmq::socket_type::pair);
        b.connect("inproc://giveback");
        auto turns = [](Loop& l, int n) -> Task<void> {
            for (int i = 0; i < n; ++i) co_await test::Yield(l);
        };
        {
            // A receiver whose coroutine is resumed (a no-op) but never takes
            // the message, and is then destroyed: a frame cancelled in between.
            ZSocket::Recv r = a.recv();
            REQUIRE_FALSE(r.await_ready());
            r.await_suspend(std::noop_coroutine());
            b.send(zmq::buffer(std::string_view("precious")));
            test::run_guarded(loop, turns(loop, 10), 1h, "ten turns");
        }
        std::vector<std::string> got;
        test::run_guarded(loop, receive_into(a, got), 1h, "the message given back");
        CHECK(got == std::vector<std::string>{"precious"});
    }
}
