// Runtime benchmarks: bus latency and throughput beside raw libzmq, RPC round
// trips, and the cost of waiting. Prints tables; asserts nothing.
//
//   tock_bench_runtime [--quick] [--idle-seconds S]
//
// Every tock figure is measured beside raw libzmq doing the same work in the
// same run, and the ratio is the figure to quote. Each side runs on two
// threads (sender, receiver) sharing one ZeroMQ context, so inproc:// works.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>
#include <zmq.hpp>

#include "scheduler/bus.hpp"
#include "scheduler/rpc.hpp"

using namespace tock;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Stats {
    double p50_us = 0, p99_us = 0;
};

Stats stats(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Run tock's and raw libzmq's version of one measurement in alternation,
// `rounds` times each, so that both see the same machine; medians of each.
template <typename R, typename F, typename G>
std::pair<R, R> side_by_side(int rounds, F tock_run, G raw_run) {
    std::vector<R> a, b;
    for (int i = 0; i < rounds; ++i) {
        a.push_back(tock_run());
        b.push_back(raw_run());
    }
    if constexpr (std::is_same_v<R, Stats>) {
        auto pick = [](const std::vector<Stats>& v) {
            std::vector<double> p50, p99;
            for (const auto& s : v) {
                p50.push_back(s.p50_us);
                p99.push_back(s.p99_us);
            }
            return Stats{median(p50), median(p99)};
        };
        return {pick(a), pick(b)};
    } else {
        return {median(a), median(b)};
    }
}

double elapsed_us(SteadyClock::time_point t0) {
    return std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count();
}

// A fresh endpoint per run; tcp picks a free port when bound with '*'.
std::string endpoint(const std::string& transport, const std::string& name) {
    static int n = 0;
    const std::string id = fmt::format("{}-{}-{}", name, ::getpid(), n++);
    if (transport == "inproc") return "inproc://" + id;
    if (transport == "ipc") return "ipc:///tmp/tock-bench-" + id;
    return "tcp://127.0.0.1:*";
}

// Bind and return the resolved endpoint, for the peer to connect to.
std::string bind_resolved(zmq::socket_t& s, const std::string& ep) {
    s.bind(ep);
    return s.get(zmq::sockopt::last_endpoint);
}

// ---- bus one-hop latency: ping-pong, half the round trip -------------------

Stats tock_bus_latency(const std::string& transport, int n) {
    zmq::context_t ctx;
    std::promise<std::string> pong_ep;
    auto pong_ep_f = pong_ep.get_future();
    std::promise<std::string> ping_ep;
    std::shared_future<std::string> ping_ep_f = ping_ep.get_future().share();

    std::thread echo([&] {
        Loop loop(ClockMode::real, &ctx);
        Publisher pong(loop, "echo", endpoint(transport, "pong"));
        pong_ep.set_value(pong.endpoint());
        Subscriber sub(loop, "echo");
        sub.subscribe("ping");
        sub.connect(ping_ep_f.get());
        run_until(loop, [&]() -> Task<void> {
            co_await sub.ready();
            co_await pong.wait_for_subscribers(1);
            for (int i = 0; i < n; ++i) {
                BusMessage m = co_await sub.recv();
                co_await pong.publish("pong", m.body);
            }
        }());
    });

    Loop loop(ClockMode::real, &ctx);
    Publisher ping(loop, "driver", endpoint(transport, "ping"));
    ping_ep.set_value(ping.endpoint());
    Subscriber sub(loop, "driver");
    sub.subscribe("pong");
    sub.connect(pong_ep_f.get());
    std::vector<double> us;
    us.reserve(n);
    run_until(loop, [&]() -> Task<void> {
        co_await sub.ready();
        co_await ping.wait_for_subscribers(1);
        for (int i = 0; i < n; ++i) {
            const auto t0 = SteadyClock::now();
            co_await ping.publish("ping", "0123456789abcdef");
            (void)co_await sub.recv();
            us.push_back(elapsed_us(t0) / 2);
        }
    }());
    echo.join();
    return stats(us);
}

// Raw libzmq: XPUB/SUB with blocking calls; the publisher waits for the
// subscription message before it starts (the raw form of the handshake).
Stats raw_bus_latency(const std::string& transport, int n) {
    zmq::context_t ctx;
    zmq::socket_t ping(ctx, zmq::socket_type::xpub);
    const std::string ping_ep = bind_resolved(ping, endpoint(transport, "rawping"));
    std::promise<std::string> pong_ep;
    auto pong_ep_f = pong_ep.get_future();

    std::thread echo([&] {
        zmq::socket_t pong(ctx, zmq::socket_type::xpub);
        pong_ep.set_value(bind_resolved(pong, endpoint(transport, "rawpong")));
        zmq::socket_t sub(ctx, zmq::socket_type::sub);
        sub.set(zmq::sockopt::subscribe, "ping");
        sub.connect(ping_ep);
        zmq::message_t m;
        (void)pong.recv(m);  // the driver's subscription
        for (int i = 0; i < n; ++i) {
            zmq::message_t topic, body;
            (void)sub.recv(topic);
            (void)sub.recv(body);
            pong.send(zmq::str_buffer("pong"), zmq::send_flags::sndmore);
            pong.send(body, zmq::send_flags::none);
        }
    });

    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "pong");
    sub.connect(pong_ep_f.get());
    zmq::message_t m;
    (void)ping.recv(m);  // the echo's subscription
    std::vector<double> us;
    us.reserve(n);
    for (int i = 0; i < n; ++i) {
        const auto t0 = SteadyClock::now();
        ping.send(zmq::str_buffer("ping"), zmq::send_flags::sndmore);
        ping.send(zmq::str_buffer("0123456789abcdef"), zmq::send_flags::none);
        zmq::message_t topic, body;
        (void)sub.recv(topic);
        (void)sub.recv(body);
        us.push_back(elapsed_us(t0) / 2);
    }
    echo.join();
    return stats(us);
}

// ---- bus throughput: one publisher, one subscriber, lossless --------------

double tock_bus_throughput(const std::string& transport, int n) {
    zmq::context_t ctx;
    std::promise<std::string> ep;
    auto ep_f = ep.get_future();
    SteadyClock::time_point t0;
    std::thread pub_thread([&] {
        Loop loop(ClockMode::real, &ctx);
        Publisher pub(loop, "pub", endpoint(transport, "thr"));
        ep.set_value(pub.endpoint());
        run_until(loop, [&]() -> Task<void> {
            co_await pub.wait_for_subscribers(1);
            t0 = SteadyClock::now();
            for (int i = 0; i < n; ++i) co_await pub.publish("job.done", "0123456789abcdef");
            // linger is 0: stay until the subscriber says it has everything
            co_await pub.wait_for_subscribers(2);
        }());
    });
    Loop loop(ClockMode::real, &ctx);
    Subscriber sub(loop, "sub");
    sub.subscribe("job.");
    const std::string pub_ep = ep_f.get();
    sub.connect(pub_ep);
    double secs = 0;
    run_until(loop, [&]() -> Task<void> {
        co_await sub.ready();
        for (int i = 0; i < n; ++i) (void)co_await sub.recv();
        secs = elapsed_us(t0) / 1e6;
    }());
    Subscriber done(loop, "done");
    done.connect(pub_ep);
    run_until(loop, done.ready());
    pub_thread.join();
    return n / secs;
}

// Raw: XPUB with ZMQ_XPUB_NODROP and the same high-water mark, so that a
// blocking send waits exactly as tock's HwmPolicy::block does.
double raw_bus_throughput(const std::string& transport, int n) {
    zmq::context_t ctx;
    zmq::socket_t pub(ctx, zmq::socket_type::xpub);
    pub.set(zmq::sockopt::sndhwm, 10000);
    pub.set(zmq::sockopt::xpub_nodrop, 1);
    const std::string ep = bind_resolved(pub, endpoint(transport, "rawthr"));
    std::atomic<bool> go{false};
    double secs = 0;
    SteadyClock::time_point t0;
    std::thread sub_thread([&] {
        zmq::socket_t sub(ctx, zmq::socket_type::sub);
        sub.set(zmq::sockopt::rcvhwm, 10000);
        sub.set(zmq::sockopt::subscribe, "job.");
        sub.connect(ep);
        go = true;
        for (int i = 0; i < n; ++i) {
            zmq::message_t topic, body;
            (void)sub.recv(topic);
            (void)sub.recv(body);
        }
        secs = elapsed_us(t0) / 1e6;
    });
    zmq::message_t m;
    (void)pub.recv(m);  // the subscription
    t0 = SteadyClock::now();
    for (int i = 0; i < n; ++i) {
        pub.send(zmq::str_buffer("job.done"), zmq::send_flags::sndmore);
        pub.send(zmq::str_buffer("0123456789abcdef"), zmq::send_flags::none);
    }
    sub_thread.join();
    return n / secs;
}

// ---- RPC round trip ---------------------------------------------------------

Stats tock_rpc(const std::string& transport, int n) {
    zmq::context_t ctx;
    std::promise<std::string> ep;
    auto ep_f = ep.get_future();
    std::atomic<Loop*> server_loop{nullptr};
    std::thread server_thread([&] {
        Loop loop(ClockMode::real, &ctx);
        Server server(loop, endpoint(transport, "rpc"));
        server.handle("echo", [](Json args) -> Task<Json> { co_return args; });
        Event stop(loop);
        server.handle("stop", [&stop](Json) -> Task<Json> {
            stop.set();
            co_return nullptr;
        });
        ep.set_value(server.endpoint());
        run_until(loop, [](Event& e) -> Task<void> { co_await e.wait(); }(stop));
        // let the reply to "stop" leave before the socket closes
        run_until(loop, [](Loop& l) -> Task<void> { co_await l.clock().sleep_for(50ms); }(loop));
    });
    Loop loop(ClockMode::real, &ctx);
    Channel ch(loop, ep_f.get());
    std::vector<double> us;
    us.reserve(n);
    run_until(loop, [&]() -> Task<void> {
        Json args = {{"task", "1/foo"}, {"state", "running"}};
        for (int i = 0; i < n; ++i) {
            const auto t0 = SteadyClock::now();
            (void)co_await ch.call("echo", args);
            us.push_back(elapsed_us(t0));
        }
        (void)co_await ch.call("stop");
    }());
    server_thread.join();
    return stats(us);
}

// Raw DEALER/ROUTER ping-pong with the same JSON payload, no parsing.
Stats raw_rpc(const std::string& transport, int n) {
    zmq::context_t ctx;
    zmq::socket_t router(ctx, zmq::socket_type::router);
    const std::string ep = bind_resolved(router, endpoint(transport, "rawrpc"));
    std::thread server([&] {
        for (int i = 0; i < n; ++i) {
            zmq::message_t peer, body;
            (void)router.recv(peer);
            (void)router.recv(body);
            router.send(peer, zmq::send_flags::sndmore);
            router.send(body, zmq::send_flags::none);
        }
    });
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.connect(ep);
    const std::string payload =
        R"([{"id":1,"op":"echo","args":{"state":"running","task":"1/foo"}}])";
    std::vector<double> us;
    us.reserve(n);
    for (int i = 0; i < n; ++i) {
        const auto t0 = SteadyClock::now();
        dealer.send(zmq::buffer(payload), zmq::send_flags::none);
        zmq::message_t reply;
        (void)dealer.recv(reply);
        us.push_back(elapsed_us(t0));
    }
    server.join();
    return stats(us);
}

// ---- idle cost --------------------------------------------------------------

// Sum of voluntary context switches over every thread of `pid`, and the main
// thread's alone.
std::pair<long, long> context_switches(pid_t pid) {
    long all = 0, main_thread = 0;
    const std::string dir = fmt::format("/proc/{}/task", pid);
    for (const auto& t : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(t.path() / "status");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
                const long v = std::stol(line.substr(line.find(':') + 1));
                all += v;
                if (t.path().filename() == std::to_string(pid)) main_thread = v;
            }
        }
    }
    return {all, main_thread};
}

// The child: a loop whose only work is a timer one hour away, beside idle
// bus and RPC sockets (a publisher with a subscriber, a server with a
// channel), so that the figure covers the sockets as well as the timer.
[[noreturn]] void idle_child(int ready_fd) {
    Loop loop(ClockMode::real);
    Publisher pub(loop, "pub", "inproc://idle-bus");
    Subscriber sub(loop, "sub");
    sub.subscribe("");
    sub.connect("inproc://idle-bus");
    Server server(loop, "inproc://idle-rpc");
    Channel ch(loop, "inproc://idle-rpc");
    run_until(loop, [&]() -> Task<void> {
        co_await sub.ready();
        Scope sc(loop);
        sc.spawn([](Subscriber& s) -> Task<void> { (void)co_await s.recv(); }(sub));
        co_await loop.clock().sleep_for(10ms);  // let the handshake settle
        (void)!::write(ready_fd, "r", 1);
        co_await loop.clock().sleep_for(1h);
        sc.cancel();
    }());
    _exit(0);
}

void idle_cost(double seconds) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        idle_child(fds[1]);
    }
    ::close(fds[1]);
    char c;
    (void)!::read(fds[0], &c, 1);
    std::this_thread::sleep_for(200ms);
    const auto before = context_switches(pid);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const auto after = context_switches(pid);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    fmt::print(
        "\nIdle cost: a timer one hour away, an idle publisher/subscriber and an idle RPC\n"
        "channel, watched for {:.0f} s\n\n",
        seconds);
    fmt::print("| voluntary context switches | count |\n|---|---:|\n");
    fmt::print("| main thread (the loop)     | {} |\n", after.second - before.second);
    fmt::print("| whole process (with ZeroMQ's I/O threads) | {} |\n", after.first - before.first);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    double idle_seconds = 10;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
            idle_seconds = 1;
        } else if (std::strcmp(argv[i], "--idle-seconds") == 0 && i + 1 < argc) {
            idle_seconds = std::atof(argv[++i]);
        } else {
            fmt::print(stderr, "usage: tock_bench_runtime [--quick] [--idle-seconds S]\n");
            return 2;
        }
    }
    const int rounds = quick ? 1 : 5;
    const int lat_n = quick ? 500 : 10000;
    const int thr_n = quick ? 5000 : 200000;
    const int rpc_n = quick ? 500 : 10000;
    const std::vector<std::string> transports = {"inproc", "ipc", "tcp"};

    fmt::print("Each figure is the median of {} runs, tock and raw libzmq alternating.\n\n",
               rounds);
    fmt::print(
        "Bus one-hop latency (half a ping-pong round trip), {} round trips a run, microseconds\n\n",
        lat_n);
    fmt::print("| transport | tock p50 | tock p99 | raw p50 | raw p99 | p50 ratio |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|\n");
    for (const auto& t : transports) {
        const auto [a, b] = side_by_side<Stats>(
            rounds, [&] { return tock_bus_latency(t, lat_n); },
            [&] { return raw_bus_latency(t, lat_n); });
        fmt::print("| {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.2f} |\n", t, a.p50_us, a.p99_us,
                   b.p50_us, b.p99_us, a.p50_us / b.p50_us);
    }

    fmt::print(
        "\nBus throughput, one publisher to one subscriber, {} messages of 16 bytes, lossless\n"
        "(high-water mark 10,000 with back-pressure on both sides), messages per second\n\n",
        thr_n);
    fmt::print("| transport | tock | raw | ratio |\n|---|---:|---:|---:|\n");
    for (const auto& t : transports) {
        const auto [a, b] = side_by_side<double>(
            rounds, [&] { return tock_bus_throughput(t, thr_n); },
            [&] { return raw_bus_throughput(t, thr_n); });
        fmt::print("| {} | {:.0f} | {:.0f} | {:.2f} |\n", t, a, b, a / b);
    }

    fmt::print(
        "\nRPC round trip, one call at a time, {} calls, microseconds\n"
        "(raw: DEALER/ROUTER echoing the same JSON bytes without parsing)\n\n",
        rpc_n);
    fmt::print("| transport | tock p50 | tock p99 | raw p50 | raw p99 | p50 ratio |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|\n");
    for (const auto& t : transports) {
        const auto [a, b] = side_by_side<Stats>(
            rounds, [&] { return tock_rpc(t, rpc_n); }, [&] { return raw_rpc(t, rpc_n); });
        fmt::print("| {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.2f} |\n", t, a.p50_us, a.p99_us,
                   b.p50_us, b.p99_us, a.p50_us / b.p50_us);
    }

    idle_cost(idle_seconds);
    return 0;
}
