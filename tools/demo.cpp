// `tock demo`: three components that know each other only by endpoint.
//
//   ticker   publishes "tick" on the bus every period, on the loop's clock
//   worker   an RPC server: "run" starts a child process and returns its exit
//            status; it publishes "job.started" and "job.done" on the bus
//   driver   subscribes to ticks and calls worker.run for each one
//   monitor  subscribes to everything and prints the progress a person reads
//
// All endpoints are inproc:// here; the components would run unchanged over
// ipc:// or tcp:// in other threads or processes.
#include "tools/demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "scheduler/bus.hpp"
#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"

namespace tock::demo {

namespace {

using namespace std::chrono_literals;

constexpr const char* kTickerBus = "inproc://demo.ticker";
constexpr const char* kWorkerBus = "inproc://demo.worker.events";
constexpr const char* kWorkerRpc = "inproc://demo.worker";

Task<void> ticker(Loop& loop, Publisher& bus, const Options& o) {
    co_await bus.wait_for_subscribers(2);  // driver and monitor
    const auto period =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.period_s));
    auto next = loop.clock().now();
    for (int n = 1; n <= o.ticks; ++n) {
        next += period;
        co_await loop.clock().sleep_until(next);
        co_await bus.publish("tick", std::to_string(n));
    }
}

void serve_worker(Loop& loop, Server& rpc, Publisher& bus, const Options& o) {
    rpc.handle("run", [&loop, &bus, &o](Json args) -> Task<Json> {
        const int n = args.at("tick").get<int>();
        ProcessOptions po;
        po.argv = {"sh", "-c", o.command};
        po.env["TOCK_DEMO_TICK"] = std::to_string(n);
        const auto t0 = std::chrono::steady_clock::now();
        Process p = Process::spawn(loop, po);
        co_await bus.publish("job.started", fmt::format("{} {}", n, p.pid()));
        ExitStatus st = co_await p.wait();
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
        co_await bus.publish("job.done", fmt::format("{} {} {:.1f}", n, st.exit_code, ms.count()));
        Json out = {{"exit", st.exit_code}, {"signal", st.term_signal}};
        co_return out;
    });
}

Task<void> driver(Subscriber& ticks, Channel& worker, const Options& o, int& failed) {
    co_await ticks.ready();
    for (int done = 0; done < o.ticks; ++done) {
        BusMessage m = co_await ticks.recv();
        Json args = {{"tick", std::stoi(m.body)}};
        Json r = co_await worker.call("run", args);
        if (r.at("exit").get<int>() != 0 || r.at("signal").get<int>() != 0) ++failed;
    }
}

Task<void> monitor(Loop& loop, Subscriber& sub, const Options& o) {
    co_await sub.ready();
    const TimePoint start = loop.clock().now();
    auto stamp = [&] {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(loop.clock().now() - start)
                .count();
        const auto s = ms / 1000;
        return fmt::format("+{:02}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, ms % 1000);
    };
    for (int done = 0; done < o.ticks;) {
        BusMessage m = co_await sub.recv();
        if (m.topic == "tick") {
            fmt::print("{}  tick {}/{}  (bus seq {} from {})\n", stamp(), m.body, o.ticks, m.seq,
                       m.sender);
        } else if (m.topic == "job.started") {
            int n = 0, pid = 0;
            std::sscanf(m.body.c_str(), "%d %d", &n, &pid);
            fmt::print("{}  job {} started, pid {}\n", stamp(), n, pid);
        } else if (m.topic == "job.done") {
            int n = 0, code = 0;
            double ms = 0;
            std::sscanf(m.body.c_str(), "%d %d %lf", &n, &code, &ms);
            fmt::print("{}  job {} exited {} after {:.1f} ms\n", stamp(), n, code, ms);
            ++done;
        }
        std::fflush(stdout);
    }
}

}  // namespace

int run(const Options& o) {
    Loop loop(o.virtual_clock ? ClockMode::virtual_time : ClockMode::real);
    Publisher ticks_bus(loop, "ticker", kTickerBus);
    Publisher worker_bus(loop, "worker", kWorkerBus);
    Server worker_rpc(loop, kWorkerRpc);
    serve_worker(loop, worker_rpc, worker_bus, o);

    Subscriber driver_ticks(loop, "driver");
    driver_ticks.subscribe("tick");
    driver_ticks.connect(kTickerBus);
    Channel worker(loop, kWorkerRpc);

    Subscriber mon(loop, "monitor");
    mon.subscribe("");
    mon.connect(kTickerBus);
    mon.connect(kWorkerBus);

    fmt::print("tock demo: {} ticks every {}s on the {} clock; each runs: {}\n", o.ticks,
               o.period_s, o.virtual_clock ? "virtual" : "real", o.command);
    int failed = 0;
    const auto wall0 = std::chrono::steady_clock::now();
    run_until(loop, [&]() -> Task<void> {
        Scope sc(loop);
        sc.spawn(ticker(loop, ticks_bus, o));
        sc.spawn(driver(driver_ticks, worker, o, failed));
        sc.spawn(monitor(loop, mon, o));
        co_await sc.join();
    }());
    const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0);
    fmt::print(
        "tock demo: {} of {} jobs succeeded; {:.2f}s of wall time, {} coroutine resumptions\n",
        o.ticks - failed, o.ticks, wall.count(), loop.fired());
    return failed == 0 ? 0 : 1;
}

}  // namespace tock::demo
