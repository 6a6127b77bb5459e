// `tock play --mode simulation`: the task pool driven on the loop's clock.
// Each task "runs" for its simulation run length (default PT10S), completes
// its required outputs and succeeds. With --fast the loop runs on the virtual
// clock, so a year of cycles takes seconds.
#include "tools/play.hpp"

#include <fmt/format.h>

#include <chrono>
#include <set>

#include "coroutines/task_pool.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"

namespace tock::cmd {

namespace {

using pool::TaskId;
using pool::TaskPool;

// Seconds from 0001-01-01T00:00Z to the Unix epoch (proleptic Gregorian).
constexpr std::int64_t kUnixFromYear1 = 62'135'596'800;

TimePoint wall_time(const config::Workflow& wf, config::Point p) {
    return TimePoint(std::chrono::seconds(p.value - kUnixFromYear1)) +
           std::chrono::minutes(-wf.cycling.settings().utc_offset_minutes * 0);
}

Duration to_duration(const config::Interval& i) {
    // Nominal months in a run length or retry delay count as 30 days.
    return std::chrono::seconds(i.seconds + i.months * 30 * 86400);
}

struct Run {
    Loop& loop;
    const config::Workflow& wf;
    TaskPool pool;
    Event changed;
    Scope jobs;
    TimePoint start;
    std::set<std::pair<std::string, config::Point>> armed_xtriggers;
    std::set<TaskId> armed_retries;
    std::size_t succeeded = 0, failed = 0, submitted = 0;

    Run(Loop& l, const config::Workflow& w)
        : loop(l), wf(w), pool(w), changed(l), jobs(l), start(l.clock().now()) {}

    std::string stamp() const {
        const auto s = std::chrono::duration_cast<std::chrono::seconds>(loop.clock().now() - start).count();
        return fmt::format("+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    std::string name(const TaskId& id) const { return wf.cycling.format(id.point) + "/" + id.name; }

    void log(const TaskId& id, std::string_view what) {
        fmt::print("{}  {}  {}\n", stamp(), name(id), what);
    }

    Task<void> simulate(TaskId id) {
        const config::Runtime& rt = wf.runtime.at(id.name);
        ++submitted;
        pool.submitted(id);
        log(id, "submitted");
        pool.started(id);
        log(id, "running");
        changed.set();
        co_await loop.clock().sleep_for(to_duration(rt.run_length.value_or(config::Interval{0, 0, 10})));
        for (const auto& [output, message] : rt.outputs) {
            if (rt.output_required(output)) pool.output(id, output);
        }
        pool.finished(id, true);
        ++succeeded;
        log(id, "succeeded");
        changed.set();
    }

    Task<void> satisfy(std::string label, config::Point p) {
        // wall_clock(offset=...) waits for the cycle point plus the offset;
        // in simulation every other xtrigger is satisfied at once.
        auto decl = wf.xtriggers.find(label);
        const bool clock = decl != wf.xtriggers.end() ? decl->second.function == "wall_clock"
                                                      : label == "wall_clock";
        if (clock && wf.cycling.settings().mode == config::CyclingMode::datetime) {
            config::Interval offset{};
            if (decl != wf.xtriggers.end()) {
                std::string text;
                for (const auto& [k, v] : decl->second.kwargs) {
                    if (k == "offset") text = v;
                }
                if (text.empty() && !decl->second.args.empty()) text = decl->second.args[0];
                if (!text.empty()) offset = wf.cycling.parse_interval(text);
            }
            co_await loop.clock().sleep_until(wall_time(wf, wf.cycling.add(p, offset)));
        }
        pool.xtrigger(label, p);
        changed.set();
    }

    Task<void> retry(TaskId id, Duration delay) {
        co_await loop.clock().sleep_for(delay);
        armed_retries.erase(id);
        pool.retry_due(id);
        changed.set();
    }

    Task<int> drive() {
        pool.start();
        for (;;) {
            changed.reset();
            for (const auto& id : pool.release()) jobs.spawn(simulate(id));
            for (const auto& x : pool.wanted_xtriggers()) {
                if (armed_xtriggers.insert(x).second) jobs.spawn(satisfy(x.first, x.second));
            }
            for (const auto& [id, t] : pool.tasks()) {
                if (t.retry_pending && t.retry_delay && armed_retries.insert(id).second) {
                    jobs.spawn(retry(id, to_duration(*t.retry_delay)));
                }
            }
            if (pool.complete()) co_return 0;
            if (pool.stalled()) {
                fmt::print("{}  workflow stalled: {}\n", stamp(), pool.stall_reason());
                co_return 1;
            }
            co_await changed.wait();
        }
    }
};

}  // namespace

int play(const PlayOptions& o) {
    if (o.mode != "simulation") {
        fmt::print(stderr, "tock play: only --mode simulation is available in this version\n");
        return 2;
    }
    if (!o.no_detach) {
        fmt::print(stderr, "tock play: this version runs in the foreground only: add --no-detach\n");
        return 2;
    }
    std::optional<config::Workflow> wf;
    try {
        wf = config::Workflow::load(o.flow);
    } catch (const config::ConfigErrors& e) {
        for (const auto& d : e.errors) fmt::print(stderr, "{}: error: {}\n", d.where.str(), d.message);
        fmt::print(stderr, "tock play: {} is not a valid workflow\n", o.flow);
        return 1;
    }
    Loop loop(o.fast ? ClockMode::virtual_time : ClockMode::real);
    Run run(loop, *wf);
    fmt::print("tock play: workflow '{}' in simulation mode{}\n", wf->name, o.fast ? " (fast)" : "");
    const auto wall0 = std::chrono::steady_clock::now();
    const int rc = run_until(loop, run.drive());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (rc == 0) {
        fmt::print("tock play: workflow '{}' complete: {} jobs, {} succeeded, {} failed; {} on the "
                   "workflow clock, {:.2f}s of wall time\n",
                   wf->name, run.submitted, run.succeeded, run.failed, run.stamp(), wall);
    } else {
        fmt::print("tock play: workflow '{}' stalled after {} jobs\n", wf->name, run.submitted);
    }
    return rc;
}

}  // namespace tock::cmd
