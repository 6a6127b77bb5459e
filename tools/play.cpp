// `tock play --mode simulation`: the task pool driven on the loop's clock.
// Each task "runs" for its simulation run length (default PT10S), completes
// its required outputs and succeeds. With --fast the loop runs on the virtual
// clock, so a year of cycles takes seconds.
#include "tools/play.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "coroutines/job_script.hpp"
#include "coroutines/task_pool.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "scheduler/scope.hpp"

namespace tock::cmd {

namespace {

using pool::TaskId;
using pool::TaskPool;

// Seconds from 0001-01-01T00:00Z to the Unix epoch (proleptic Gregorian).
constexpr std::int64_t kUnixFromYear1 = 62'135'596'800;

TimePoint wall_time(const config::Workflow& wf, config::Point p) {
    (void)wf;  // points are absolute instants whatever zone they are written in
    return TimePoint(std::chrono::seconds(p.value - kUnixFromYear1));
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
    std::size_t succeeded = 0, failed = 0, submitted = 0, submit_failures = 0;
    bool live = false;
    std::string run_dir, endpoint, tock_bin;
    std::ofstream log_file;
    std::string stall_reason;

    Run(Loop& l, const config::Workflow& w)
        : loop(l), wf(w), pool(w), changed(l), jobs(l), start(l.clock().now()) {}

    std::string stamp() const {
        const auto s =
            std::chrono::duration_cast<std::chrono::seconds>(loop.clock().now() - start).count();
        return fmt::format("+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    std::string name(const TaskId& id) const { return wf.cycling.format(id.point) + "/" + id.name; }

    void log(const TaskId& id, std::string_view what) {
        const std::string line = fmt::format("{}  {}  {}\n", stamp(), name(id), what);
        fmt::print("{}", line);
        std::fflush(stdout);
        if (log_file) log_file << line << std::flush;
    }

    std::string job_dir(const TaskId& id, int submit_num) const {
        return fmt::format("{}/log/job/{}/{}/{:02}", run_dir, wf.cycling.format(id.point), id.name,
                           submit_num);
    }

    // A live job: write its script, run it with the background runner, and
    // let its exit status decide success; messages it sends on the way
    // (started, custom outputs) arrive through handle_message().
    Task<void> run_live(TaskId id) {
        const config::Runtime& rt = wf.runtime.at(id.name);
        const pool::Task* t = pool.find(id);
        const int num = t ? t->submit_num : 1;
        jobs::JobInfo j{wf.name,  id.name, wf.cycling.format(id.point),
                        num,      run_dir, job_dir(id, num),
                        endpoint, tock_bin};
        std::error_code ec;
        std::filesystem::create_directories(j.job_dir, ec);
        const std::string script = j.job_dir + "/job";
        {
            std::ofstream f(script);
            f << jobs::job_script(j, rt);
        }
        std::filesystem::permissions(script, std::filesystem::perms::owner_all, ec);
        std::optional<Process> proc;
        try {
            proc.emplace(Process::spawn(loop, {.argv = {"bash", script},
                                               .cwd = run_dir,
                                               .stdout_path = j.job_dir + "/job.out",
                                               .stderr_path = j.job_dir + "/job.err"}));
        } catch (const std::exception& e) {
            pool.submit_failed(id);
            ++submit_failures;
            const pool::Task* after = pool.find(id);
            log(id, fmt::format("submit-failed: {}{}", e.what(),
                                after && after->retry_pending ? ", will retry" : ""));
            changed.set();
            co_return;
        }
        ++submitted;
        pool.submitted(id);
        log(id, fmt::format("submitted (job {:02}, pid {})", num, proc->pid()));
        changed.set();
        const ExitStatus st = co_await proc->wait();
        if (const pool::Task* now = pool.find(id); now && now->state == pool::State::submitted) {
            pool.started(id);  // it ran, whether or not its message got through
        }
        pool.finished(id, st.ok());
        if (st.ok()) {
            ++succeeded;
            log(id, "succeeded");
        } else {
            ++failed;
            const pool::Task* after = pool.find(id);
            const bool retrying = after && after->retry_pending;
            log(id, st.term_signal ? fmt::format("failed (signal {}){}", st.term_signal,
                                                 retrying ? ", will retry" : "")
                                   : fmt::format("failed (exit {}){}", st.exit_code,
                                                 retrying ? ", will retry" : ""));
        }
        changed.set();
    }

    // `tock message` from a job: {"job": "CYCLE/TASK/NN", "message": "..."}.
    Json handle_message(const Json& args) {
        const std::string job = args.at("job").get<std::string>();
        const std::string text = args.at("message").get<std::string>();
        const auto a = job.find('/'), b = job.rfind('/');
        if (a == std::string::npos || b == a) throw std::runtime_error("bad job id '" + job + "'");
        TaskId id{wf.cycling.parse_point(job.substr(0, a)), job.substr(a + 1, b - a - 1)};
        const pool::Task* t = pool.find(id);
        if (!t) throw std::runtime_error("no active task for job " + job);
        if (job.substr(b + 1) != fmt::format("{:02}", t->submit_num)) {
            throw std::runtime_error(fmt::format(
                "job {} is not the current job of its task ({:02})", job, t->submit_num));
        }
        const auto& outs = wf.runtime.at(id.name).outputs;
        auto custom =
            std::find_if(outs.begin(), outs.end(), [&](auto& kv) { return kv.second == text; });
        if (custom != outs.end()) {
            pool.output(id, custom->first);
            log(id, fmt::format("output {} completed", custom->first));
        } else if (text == "started") {
            if (t->state == pool::State::submitted) {
                pool.started(id);
                log(id, "running");
            }
        } else if (text == "succeeded" || text == "failed" || text.rfind("failed ", 0) == 0) {
            // The job's exit status is the final word; nothing to do yet.
        } else {
            log(id, fmt::format("message: {}", text));
        }
        changed.set();
        return Json{{"ok", true}};
    }

    Task<void> simulate(TaskId id) {
        const config::Runtime& rt = wf.runtime.at(id.name);
        ++submitted;
        pool.submitted(id);
        log(id, "submitted");
        pool.started(id);
        log(id, "running");
        changed.set();
        co_await loop.clock().sleep_for(
            to_duration(rt.run_length.value_or(config::Interval{0, 0, 10})));
        for (const auto& [output, message] : rt.outputs) {
            if (rt.output_required(output)) pool.output(id, output);
        }
        pool.finished(id, true);
        ++succeeded;
        log(id, "succeeded");
        changed.set();
    }

    // Cylc's xtrigger templates, for a trigger at point p.
    std::string expand(std::string text, const std::string& label, config::Point p) const {
        const std::pair<const char*, std::string> subs[] = {
            {"%(point)s", wf.cycling.format(p)},
            {"%(name)s", label},
            {"%(workflow)s", wf.name},
            {"%(id)s", wf.name + "//" + wf.cycling.format(p)},
            {"%(workflow_run_dir)s", run_dir},
            {"%(workflow_share_dir)s", run_dir + "/share"},
            {"%(user_name)s", std::getenv("USER") ? std::getenv("USER") : ""},
            {"%(debug)s", "False"}};
        for (const auto& [key, value] : subs) {
            for (auto at = text.find(key); at != std::string::npos;
                 at = text.find(key, at + value.size())) {
                text.replace(at, std::string(key).size(), value);
            }
        }
        return text;
    }

    static std::string arg(const config::XTrigger& x, const std::string& key, std::size_t pos) {
        for (const auto& [k, v] : x.kwargs) {
            if (k == key) return v;
        }
        return pos < x.args.size() ? x.args[pos] : "";
    }

    Task<void> satisfy(std::string label, config::Point p) {
        auto decl = wf.xtriggers.find(label);
        const std::string function = decl != wf.xtriggers.end() ? decl->second.function : label;
        if (auto ct = std::find_if(
                wf.clock_trigger.begin(), wf.clock_trigger.end(),
                [&](auto& kv) { return pool::clock_trigger_label(kv.first) == label; });
            ct != wf.clock_trigger.end()) {
            co_await loop.clock().sleep_until(wall_time(wf, wf.cycling.add(p, ct->second)));
        } else if (function == "wall_clock" &&
                   wf.cycling.settings().mode == config::CyclingMode::datetime) {
            // The cycle point plus the offset, on the scheduler's clock: a
            // timer, not a poll.
            config::Interval offset{};
            if (decl != wf.xtriggers.end()) {
                const std::string text = arg(decl->second, "offset", 0);
                if (!text.empty()) offset = wf.cycling.parse_interval(text);
            }
            co_await loop.clock().sleep_until(wall_time(wf, wf.cycling.add(p, offset)));
        } else if (live && function == "file_exists") {
            // Checked at the xtrigger's call interval (default PT10S), as Cylc
            // calls xtrigger functions.
            const std::string path = expand(arg(decl->second, "path", 0), label, p);
            const Duration every = decl->second.interval ? to_duration(*decl->second.interval)
                                                         : std::chrono::seconds(10);
            std::error_code ec;
            while (!std::filesystem::exists(path, ec)) co_await loop.clock().sleep_for(every);
        }
        // In simulation every other xtrigger is satisfied at once.
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
            for (const auto& id : pool.release()) jobs.spawn(live ? run_live(id) : simulate(id));
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
                stall_reason = pool.stall_reason();
                co_return 1;
            }
            co_await changed.wait();
        }
    }
};

}  // namespace

namespace {

// A new run directory: --run-dir, or ~/tock-run/NAME/runN with the next N.
// An existing run is never overwritten.
std::optional<std::string> make_run_dir(const PlayOptions& o, const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::string dir = o.run_dir;
    if (dir.empty()) {
        const char* home = std::getenv("HOME");
        const fs::path base = fs::path(home ? home : ".") / "tock-run" / name;
        for (int n = 1;; ++n) {
            const fs::path cand = base / fmt::format("run{}", n);
            if (!fs::exists(cand)) {
                dir = cand.string();
                break;
            }
        }
    } else if (fs::exists(fs::path(dir) / "log" / "scheduler")) {
        fmt::print(stderr, "tock play: {} already holds a run; choose another --run-dir\n", dir);
        return std::nullopt;
    }
    for (const char* sub : {"log/scheduler", "log/job", ".service"}) {
        fs::create_directories(fs::path(dir) / sub, ec);
        if (ec) {
            fmt::print(stderr, "tock play: cannot create {}/{}: {}\n", dir, sub, ec.message());
            return std::nullopt;
        }
    }
    return fs::absolute(dir).lexically_normal().string();
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "tock";
}

}  // namespace

int play(const PlayOptions& o) {
    if (o.mode != "simulation" && o.mode != "live") {
        fmt::print(stderr, "tock play: unknown mode '{}': use live or simulation\n", o.mode);
        return 2;
    }
    if (!o.no_detach) {
        fmt::print(stderr,
                   "tock play: this version runs in the foreground only: add --no-detach\n");
        return 2;
    }
    if (o.fast && o.mode != "simulation") {
        fmt::print(stderr,
                   "tock play: --fast is for simulation mode: live jobs run in real time\n");
        return 2;
    }
    std::optional<config::Workflow> wf;
    try {
        wf = config::Workflow::load(o.flow);
    } catch (const config::ConfigErrors& e) {
        for (const auto& d : e.errors)
            fmt::print(stderr, "{}: error: {}\n", d.where.str(), d.message);
        fmt::print(stderr, "tock play: {} is not a valid workflow\n", o.flow);
        return 1;
    }
    if (o.mode == "live") {
        // Live xtriggers are real: refuse a function tock cannot call yet,
        // rather than pretend it is satisfied.
        for (const auto& [label, x] : wf->xtriggers) {
            if (x.function != "wall_clock" && x.function != "file_exists") {
                fmt::print(stderr,
                           "tock play: xtrigger '{}' calls '{}', which this version cannot run "
                           "live (available: wall_clock, file_exists); try --mode simulation\n",
                           label, x.function);
                return 1;
            }
        }
    }
    Loop loop(o.fast ? ClockMode::virtual_time : ClockMode::real);
    Run run(loop, *wf);
    std::optional<Server> server;
    if (o.mode == "live") {
        auto dir = make_run_dir(o, wf->name);
        if (!dir) return 1;
        run.live = true;
        run.run_dir = *dir;
        run.endpoint = "ipc://" + *dir + "/.service/scheduler.sock";
        run.tock_bin = self_exe();
        run.log_file.open(*dir + "/log/scheduler/log", std::ios::app);
        try {
            server.emplace(loop, run.endpoint);
        } catch (const zmq::error_t& e) {
            fmt::print(stderr, "tock play: cannot listen on {}: {}\n", run.endpoint, e.what());
            return 1;
        }
        server->handle("message",
                       [&run](Json args) -> Task<Json> { co_return run.handle_message(args); });
        fmt::print("tock play: workflow '{}' running in {}\n", wf->name, *dir);
    } else {
        fmt::print("tock play: workflow '{}' in simulation mode{}\n", wf->name,
                   o.fast ? " (fast)" : "");
    }
    const auto wall0 = std::chrono::steady_clock::now();
    const int rc = run_until(loop, run.drive());
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    std::string last;
    if (rc == 0) {
        last = fmt::format(
            "tock play: workflow '{}' complete: {} jobs, {} succeeded, {} failed{}; {} on "
            "the workflow clock, {:.2f}s of wall time\n",
            wf->name, run.submitted, run.succeeded, run.failed,
            run.submit_failures ? fmt::format(", {} submissions failed", run.submit_failures) : "",
            run.stamp(), wall);
    } else {
        last = fmt::format("tock play: workflow '{}' stalled after {} jobs: {}\n", wf->name,
                           run.submitted, run.stall_reason);
    }
    fmt::print("{}", last);
    if (run.log_file) run.log_file << last;
    return rc;
}

int message(const std::string& job_arg, const std::vector<std::string>& words) {
    const char* env_job = std::getenv("TOCK_TASK_JOB");
    const char* endpoint = std::getenv("TOCK_SCHEDULER");
    const std::string job = !job_arg.empty() ? job_arg : env_job ? env_job : "";
    if (job.empty() || !endpoint) {
        fmt::print(
            stderr,
            "tock message: run it from a tock job (TOCK_TASK_JOB and TOCK_SCHEDULER unset)\n");
        return 2;
    }
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i) text += (i ? " " : "") + words[i];
    Loop loop;
    Channel ch(loop, endpoint,
               {.heartbeat_interval = std::chrono::seconds(1),
                .heartbeat_timeout = std::chrono::seconds(5)});
    try {
        Json args = {{"job", job}, {"message", text}};
        run_until(loop, ch.call("message", std::move(args)));
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock message: {}\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace tock::cmd
