// reporter: what a person and a test read of a run.
//
// - The scheduler log (RUN_DIR/log/scheduler/log, rotated at 8 MiB and at
//   each start, five old files kept), also printed in the foreground.
// - A progress line: cycle points in play, tasks by state, jobs running;
//   redrawn in place on a terminal, printed every few seconds otherwise.
// - The reference record (log/scheduler/reference), written at shutdown:
//   each job with its final state and the outputs that triggered it, and the
//   tasks left in the pool; sorted, so that two runs of a workflow compare
//   line by line. Each job's line is written as it ends, to reference.part,
//   which shutdown sorts into the record.
// - Job times (log/scheduler/job-times): submit and end instants of each
//   live job in microseconds (the end: its exit, or its `succeeded`), for
//   the latency benchmark.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "coroutines/components.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"

namespace tock::comp {

namespace {

constexpr std::uintmax_t kRotateAt = 8u << 20;
constexpr int kKeep = 5;

class Log {
  public:
    explicit Log(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        std::error_code ec;
        if (std::filesystem::file_size(path_, ec) > 0 && !ec) rotate();
        f_.open(path_, std::ios::app);
    }
    void write(const std::string& line) {
        if (!f_) return;
        f_ << line << '\n';
        written_ += line.size() + 1;
        if (written_ >= kRotateAt) {
            f_.close();
            rotate();
            f_.open(path_, std::ios::app);
            written_ = 0;
        }
    }

    void flush() {
        if (f_) f_.flush();
    }

  private:
    void rotate() {
        std::error_code ec;
        for (int i = kKeep - 1; i >= 1; --i) {
            std::filesystem::rename(fmt::format("{}.{}", path_, i),
                                    fmt::format("{}.{}", path_, i + 1), ec);
        }
        std::filesystem::rename(path_, path_ + ".1", ec);
    }
    std::string path_;
    std::ofstream f_;
    std::uintmax_t written_ = 0;
};

struct Reporter {
    Loop& loop;
    const config::Workflow& wf;
    ReporterOptions opts;
    Log log;
    std::ofstream times;
    TimePoint start;
    std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_progress = wall0;
    std::size_t submitted = 0, succeeded = 0, failed = 0, submit_failures = 0;
    std::unordered_map<std::string, std::string> active;  // CYCLE/TASK -> state, until final
    // Cycle points with active tasks, in order (by value: "10" after "9"):
    // point -> the cycle as written, and how many tasks are active there.
    std::map<std::int64_t, std::pair<std::string, std::size_t>> active_cycles;
    // CYCLE/TASK/NN -> what triggered the job, until it ends. An ended job's
    // line of the reference record goes to the record's part file at once
    // (log/scheduler/reference.part), not to memory: a run that cycles for
    // months keeps its active jobs here, not every job it ran.
    std::unordered_map<std::string, std::vector<std::string>> jobs;
    std::ofstream reference_part;
    bool progress_shown = false;

    Reporter(Loop& l, const config::Workflow& w, ReporterOptions o)
        : loop(l),
          wf(w),
          opts(std::move(o)),
          log(opts.run_dir.empty() ? "" : opts.run_dir + "/log/scheduler/log"),
          start(l.clock().now()) {
        if (!opts.run_dir.empty() && opts.job_times) {
            times.open(opts.run_dir + "/log/scheduler/job-times");
        }
        // The record covers the jobs since this start (docs/database.md).
        if (!opts.run_dir.empty()) reference_part.open(part_path(), std::ios::trunc);
    }

    std::string part_path() const { return opts.run_dir + "/log/scheduler/reference.part"; }

    // A job has ended in `state`: its reference line, with what triggered it.
    void ended(const std::string& job, std::string_view state) {
        std::vector<std::string> t;
        if (auto it = jobs.find(job); it != jobs.end()) {
            t = std::move(it->second);
            jobs.erase(it);
        }
        if (!reference_part.is_open()) return;
        std::sort(t.begin(), t.end());
        reference_part << job << ' ' << state;
        if (!t.empty()) reference_part << " <-";
        for (const auto& x : t) reference_part << ' ' << x;
        reference_part << '\n';
    }

    // "+HH:MM:SS" on the workflow clock, formatted once a second.
    const std::string& stamp() {
        const auto s =
            std::chrono::duration_cast<std::chrono::seconds>(loop.clock().now() - start).count();
        if (s != stamp_at) {
            stamp_at = s;
            stamp_text = fmt::format("+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
        }
        return stamp_text;
    }
    std::int64_t stamp_at = -1;
    std::string stamp_text;

    void line(const std::string& who, const std::string& what) {
        const std::string l = fmt::format("{}  {}  {}", stamp(), who, what);
        log.write(l);
        if (opts.echo) {
            if (progress_shown) std::fputs("\r\033[K", stdout);
            std::fputs(l.c_str(), stdout);
            std::fputc('\n', stdout);
            progress_shown = false;
        }
    }

    std::string progress() const {
        std::map<std::string, std::size_t> by_state;
        for (const auto& [t, s] : active) ++by_state[s];
        std::string states;
        for (const auto& [s, n] : by_state) states += fmt::format("{} {} · ", n, s);
        std::string cycles = "none";
        if (!active_cycles.empty()) {
            cycles = active_cycles.begin()->second.first;
            if (active_cycles.size() > 1) cycles += ".." + active_cycles.rbegin()->second.first;
        }
        return fmt::format("[cycles {} | {}{} succeeded · {} failed | jobs running {}]", cycles,
                           states, succeeded, failed, by_state["running"] + by_state["submitted"]);
    }

    void show_progress() {
        if (!opts.echo) return;
        if (opts.progress) {
            std::fputs(("\r\033[K" + progress()).c_str(), stdout);
            progress_shown = true;
            std::fflush(stdout);
        } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(5)) {
            last_progress = std::chrono::steady_clock::now();
            std::fputs((progress() + "\n").c_str(), stdout);
        }
    }

    // Written lines reach their files once per loop turn, not once per line.
    void flush() {
        log.flush();
        if (times) times.flush();
        if (opts.echo) std::fflush(stdout);
    }

    void track(const std::string& task, std::int64_t point, const std::string& cycle,
               const std::string& state, bool done) {
        auto it = active.find(task);
        if (done) {
            if (it != active.end()) {
                active.erase(it);
                auto c = active_cycles.find(point);
                if (c != active_cycles.end() && --c->second.second == 0) active_cycles.erase(c);
            }
            return;
        }
        if (it == active.end()) {
            active.emplace(task, state);
            auto& c = active_cycles[point];
            if (c.first.empty()) c.first = cycle;
            ++c.second;
        } else {
            it->second = state;
        }
    }

    void on_task(const BusEvent& e) {
        const std::string_view ev = e.event;
        const std::string task = task_name(e.cycle, e.task);
        const std::string cycle(e.cycle);
        const std::string job = e.num ? job_name(e.cycle, e.task, e.num) : task;
        auto why = [&] {
            if (e.signal.value_or(0)) return fmt::format("signal {}", *e.signal);
            return fmt::format("exit {}", e.exit.value_or(0));
        };
        if (ev == "triggered") {
            auto& t = jobs[job];
            t.clear();
            if (e.triggered_by) t.assign(e.triggered_by->begin(), e.triggered_by->end());
            track(task, e.point, cycle, "preparing", false);
        } else if (ev == "submitted") {
            ++submitted;
            line(task, e.pid      ? fmt::format("submitted (job {:02}, pid {})", e.num, *e.pid)
                       : e.job_id ? fmt::format("submitted (job {:02}, {} job {})", e.num,
                                                e.runner.value_or("batch"), *e.job_id)
                                  : fmt::format("submitted (job {:02})", e.num));
            if (times && e.at) times << job << "\tsubmitted\t" << *e.at << '\n';
            track(task, e.point, cycle, "submitted", false);
        } else if (ev == "started") {
            line(task, "running");
            track(task, e.point, cycle, "running", false);
        } else if (ev == "output") {
            line(task, fmt::format("output {} completed", e.output.value_or("")));
        } else if (ev == "message") {
            line(task, fmt::format("message: {}", e.message.value_or("")));
        } else if (ev == "succeeded") {
            ++succeeded;
            ended(job, "succeeded");
            line(task, "succeeded");
            if (times && e.at) times << job << "\texited\t" << *e.at << '\n';
            track(task, e.point, cycle, "", true);
        } else if (ev == "failed" || ev == "retry") {
            ++failed;
            ended(job, "failed");
            line(task, fmt::format("failed ({}){}", why(), ev == "retry" ? ", will retry" : ""));
            if (times && e.at) times << job << "\texited\t" << *e.at << '\n';
            track(task, e.point, cycle, ev == "retry" ? "waiting" : "", ev != "retry");
        } else if (ev == "submit-failed" || ev == "submit-retry") {
            ++submit_failures;
            ended(job, "submit-failed");
            line(task, fmt::format("submit-failed: {}{}", e.error.value_or(""),
                                   ev == "submit-retry" ? ", will retry" : ""));
            track(task, e.point, cycle, ev == "submit-retry" ? "waiting" : "",
                  ev != "submit-retry");
        } else if (ev == "removed") {
            // By a suicide trigger (what met it is in the record), or by an
            // operator.
            if (e.triggered_by) {
                if (reference_part.is_open()) {
                    reference_part << task << " removed <-";
                    for (const auto& x : *e.triggered_by) reference_part << ' ' << x;
                    reference_part << '\n';
                }
                const std::string_view m = e.message.value_or("suicide trigger");
                line(task,
                     fmt::format(
                         "{}removed by {}",
                         m.find("left running") != std::string_view::npos ? "WARNING: " : "", m));
            } else {
                line(task, "removed");
            }
            track(task, e.point, cycle, "", true);
        } else if (ev == "expired") {
            if (reference_part.is_open()) reference_part << task << " expired\n";
            line(task, "expired");
            track(task, e.point, cycle, "", true);
        } else {
            line(task, std::string(ev));  // timeouts
        }
        show_progress();
    }

    void write_reference(const Json& left) {
        if (opts.run_dir.empty()) return;
        // The ended jobs' lines (jobs still running are not in the record),
        // then the tasks left, sorted together.
        std::set<std::string> lines;
        reference_part.close();
        {
            std::ifstream part(part_path());
            for (std::string l; std::getline(part, l);) lines.insert(std::move(l));
        }
        std::error_code ec;
        std::filesystem::remove(part_path(), ec);
        std::ofstream f(opts.run_dir + "/log/scheduler/reference");
        for (const auto& l : left) {
            lines.insert(fmt::format("{} left {}{}", task_name(l), l.at("state").get<std::string>(),
                                     l.value("held", false) ? " (held)" : ""));
        }
        for (const auto& l : lines) f << l << '\n';
    }

    Outcome shutdown(const Json& e) {
        write_reference(e.at("left"));
        const std::string kind = e.at("kind").get<std::string>();
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        Outcome o;
        o.rc = e.at("rc").get<int>();
        o.reload = kind == "reload";
        const std::string counts = fmt::format(
            "{} jobs, {} succeeded, {} failed{}", submitted, succeeded, failed,
            submit_failures ? fmt::format(", {} submissions failed", submit_failures) : "");
        if (kind == "complete") {
            o.summary = fmt::format(
                "tock play: workflow '{}' complete: {}; {} on the workflow clock, {:.2f}s of wall "
                "time",
                wf.name, counts, stamp(), wall);
        } else if (kind == "stalled") {
            o.summary = fmt::format("tock play: workflow '{}' stalled after {} jobs: {}", wf.name,
                                    submitted, e.at("reason").get<std::string>());
        } else {
            o.summary = fmt::format("tock play: workflow '{}' {}: {}; {}", wf.name, kind,
                                    e.at("reason").get<std::string>(), counts);
        }
        return o;
    }
};

}  // namespace

Task<Outcome> reporter(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                       ReporterOptions opts) {
    Subscriber sub(loop, "reporter");
    listen(sub, {ep.store, ep.events}, {"task.", "workflow", "handler", "command.done"});
    co_await sub.ready();
    Reporter r(loop, wf, std::move(opts));
    Ready flush([&r] { r.flush(); });
    std::optional<Outcome> outcome;
    bool handlers_done = false;
    auto other = [&](const std::string& topic, const Json& body) {
        if (topic == "handler.done") {
            handlers_done = true;
        } else if (topic == "command.done") {
            // Commands that change nothing are in the run database only.
            const std::string op = body.value("op", "");
            if (body.value("ok", false) && (op == "show" || op == "dump")) return;
            r.line(wf.name,
                   fmt::format("command {} {} by {}: {}", body.value("op", ""),
                               body.value("args", Json::object()).dump(), body.value("who", ""),
                               body.value("ok", false)
                                   ? std::string("done")
                                   : "refused: " + body.value("error", std::string())));
        } else if (topic == "handler") {
            const std::string what =
                body.contains("error")
                    ? fmt::format("could not run: {}", body["error"].get<std::string>())
                : body.value("signal", 0)
                    ? fmt::format("killed by signal {}", body["signal"].get<int>())
                : body.value("exit", 0) ? fmt::format("failed (exit {})", body["exit"].get<long>())
                                        : "done";
            r.line(body.at("about").get<std::string>(),
                   fmt::format("{} handler {}: {}", body.at("event").get<std::string>(), what,
                               body.at("command").get<std::string>()));
        } else {
            const std::string ev = body.at("event").get<std::string>();
            if (ev == "shutdown") {
                outcome = r.shutdown(body);
            } else if (ev == "stalled") {
                r.line(wf.name, "stalled: " + body.value("reason", ""));
            } else if (ev == "held") {
                r.line(wf.name, "held: " + body.value("reason", "") + "; waiting for release");
            } else if (ev == "paused" || ev == "resumed") {
                r.line(wf.name, ev);
            } else if (ev == "timeout") {
                r.line(wf.name, fmt::format("{}: {}; staying up for an operator",
                                            body.value("kind", ""), body.value("reason", "")));
            } else if (ev == "xtrigger") {
                r.line(body.at("cycle").get<std::string>(),
                       fmt::format("xtrigger {} satisfied", body.at("label").get<std::string>()));
            } else if (ev == "xtrigger-failed") {
                r.line(body.at("cycle").get<std::string>(),
                       fmt::format("xtrigger {} cannot be satisfied: {}",
                                   body.at("label").get<std::string>(), body.value("reason", "")));
            } else if (ev == "xtrigger-note") {
                r.line(wf.name, body.value("text", ""));
            }
        }
    };
    while (!outcome || !handlers_done) {
        BusMessage m = co_await sub.recv();
        if (m.topic.rfind("task.", 0) == 0) {
            // Every task event of the run comes here: read without building
            // nlohmann values (each_event).
            each_event(m.topic, m.body, [&](const BusEvent& e) { r.on_task(e); });
        } else {
            const Json body = decode(m.body);
            if (body.is_array()) {
                for (const auto& b : body) other(m.topic, b);
            } else {
                other(m.topic, body);
            }
        }
        // What this loop turn wrote reaches the files once, when the turn
        // ends, however many batches it took.
        if (!flush.linked()) loop.at_turn_end(flush);
    }
    r.flush();
    if (r.progress_shown) std::fputs("\r\033[K", stdout);
    // The scheduler's own cost (jobs are other processes), for benchmarks.
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    r.log.write(
        fmt::format("scheduler cpu {:.3f} s (user {:.3f} s, system {:.3f} s), peak RSS {} MB",
                    secs(ru.ru_utime) + secs(ru.ru_stime), secs(ru.ru_utime), secs(ru.ru_stime),
                    ru.ru_maxrss / 1024));
    r.log.write(outcome->summary);
    co_return *outcome;
}

}  // namespace tock::comp
