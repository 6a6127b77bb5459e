// job_submit: runs the jobs the task pool asks for.
//
// Live jobs use the background runner: a bash job script per job, started
// with uv_spawn in a process group of its own, with a message pipe on fd 3
// (TOCK_MESSAGE_FD) through which the job's `tock message` calls arrive.
// Everything the job says and its exit are published on this component's one
// stream, in order, so job_messages sees a job's last message before its exit.
// In simulation and skip modes no process runs: the "job" says started, its
// required outputs, and exits on the scheduler's clock.
#include <fmt/format.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "coroutines/components.hpp"
#include "coroutines/job_script.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"

namespace tock::comp {

namespace {

std::int64_t micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How long a killed job has to go after SIGTERM before SIGKILL.
constexpr auto kKillGrace = std::chrono::seconds(10);

// bash, looked up on PATH once rather than by every job's exec.
std::string bash_path() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        const std::string candidate = (dir.empty() ? "." : dir) + "/bash";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "bash";  // let the exec report it missing
}

struct Submitter {
    Loop& loop;
    const config::Workflow& wf;
    SubmitOptions opts;
    Outbox& out;
    Scope jobs;
    std::map<std::string, Process*> running;  // job name -> its process
    std::string bash = bash_path();

    Submitter(Loop& l, const config::Workflow& w, SubmitOptions o, Outbox& ob)
        : loop(l), wf(w), opts(std::move(o)), out(ob), jobs(l) {}

    Json fields(const Json& job) const {
        return task_fields(wf, point_of(job), job.at("task").get<std::string>(),
                           job.at("num").get<int>());
    }

    Task<void> live(Json job) {
        const std::string task = job.at("task").get<std::string>();
        const config::Runtime& rt = wf.runtime.at(task);
        const int num = job.at("num").get<int>();
        const std::string cycle = job.at("cycle").get<std::string>();
        jobs::JobInfo j{wf.name,
                        task,
                        cycle,
                        num,
                        opts.run_dir,
                        fmt::format("{}/log/job/{}/{}/{:02}", opts.run_dir, cycle, task, num),
                        opts.scheduler_endpoint,
                        opts.tock_bin};
        const std::string name = job_name(job);
        std::optional<Process> proc;
        std::int64_t started_at = 0;
        try {
            std::filesystem::create_directories(j.job_dir);
            const std::string script = j.job_dir + "/job";
            {
                std::ofstream f(script);
                f << jobs::job_script(j, rt);
                if (!f.flush()) throw std::runtime_error("cannot write " + script);
            }
            std::filesystem::permissions(script, std::filesystem::perms::owner_all);
            started_at = micros_now();  // the job's start: the scheduler starts its process
            proc.emplace(Process::spawn(loop, {.argv = {bash, script},
                                               .cwd = opts.run_dir,
                                               .env = {{"TOCK_MESSAGE_FD", "3"}},
                                               .stdout_path = j.job_dir + "/job.out",
                                               .stderr_path = j.job_dir + "/job.err",
                                               .message_pipe = true,
                                               .own_group = true}));
        } catch (const std::exception& e) {
            Json b = fields(job);
            b["error"] = e.what();
            out.post("job.submit-failed", b);
            co_return;
        }
        running[name] = &*proc;
        Json b = fields(job);
        b["pid"] = proc->pid();
        b["at"] = started_at;
        out.post("job.submitted", b);
        while (auto line = co_await proc->read_line()) {
            Json said = fields(job);
            said["message"] = *line;
            out.post("job.said", said);
        }
        const ExitStatus st = co_await proc->wait();
        running.erase(name);
        Json e = fields(job);
        e["exit"] = st.exit_code;
        e["signal"] = st.term_signal;
        e["at"] = micros_now();
        out.post("job.exited", e);
    }

    Task<void> simulated(Json job) {
        const std::string task = job.at("task").get<std::string>();
        const config::Runtime& rt = wf.runtime.at(task);
        const config::Point p = point_of(job);
        const int num = job.at("num").get<int>();
        Json b = fields(job);
        b["at"] = micros_now();
        out.post("job.submitted", b);
        Json said = fields(job);
        said["message"] = "started";
        out.post("job.said", said);
        const bool skip = opts.mode == RunMode::skip;
        if (!skip) {
            co_await loop.clock().sleep_for(
                to_duration(rt.run_length.value_or(config::Interval{0, 0, 10})));
        }
        const bool fail =
            !skip &&
            (rt.sim_fail_all || std::find(rt.sim_fail_points.begin(), rt.sim_fail_points.end(),
                                          p) != rt.sim_fail_points.end()) &&
            (!rt.sim_fail_try_1_only || num == 1);
        for (const auto& [output, message] : rt.outputs) {
            if (!fail && rt.output_required(output)) {
                said["message"] = message;
                out.post("job.said", said);
            }
        }
        Json e = fields(job);
        e["exit"] = fail ? 1 : 0;
        e["signal"] = 0;
        e["at"] = micros_now();
        out.post("job.exited", e);
    }

    Task<void> kill(Json job) {
        const std::string name = job_name(job);
        auto it = running.find(name);
        if (it == running.end()) co_return;
        it->second->kill_group(SIGTERM);
        co_await loop.clock().sleep_for(kKillGrace);
        // Still running after the grace period (a job is in `running` only
        // until its exit is seen).
        if (auto again = running.find(name); again != running.end()) {
            again->second->kill_group(SIGKILL);
        }
    }
};

}  // namespace

Task<void> job_submit(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                      SubmitOptions opts) {
    Publisher pub(loop, "job_submit", ep.job_submit);
    Subscriber sub(loop, "job_submit");
    listen(sub, {ep.task_pool, ep.health}, {"submit", "kill"});
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.job_submit_subscribers);
    Outbox out(loop, pub);
    Submitter s(loop, wf, std::move(opts), out);
    Scope sender(loop);
    sender.spawn(out.run());
    for (;;) {
        auto [topic, body] = co_await in.next();
        if (topic == "submit") {
            for (Json& job : body.at("jobs")) {
                s.jobs.spawn(s.opts.mode == RunMode::live ? s.live(std::move(job))
                                                          : s.simulated(std::move(job)));
            }
        } else if (topic == "kill") {
            s.jobs.spawn(s.kill(body));
        }
    }
}

}  // namespace tock::comp
