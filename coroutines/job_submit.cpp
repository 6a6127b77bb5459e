// job_submit: runs the jobs the task pool asks for.
//
// Jobs go to their platform's runner (docs/platforms.md). A batch system's
// (Slurm, at) is a BatchRunner (batch_runner.hpp), one per platform, with
// its own poller. The background runner is this file's: a bash job script per job, started
// by Process::spawn (clone and exec, no fork) in a session (and process
// group) of its own, with a message pipe on fd 10
// (TOCK_MESSAGE_FD) through which the job's `tock message` calls arrive.
// Everything the job says and its exit are published on this component's one
// stream, in order, so job_messages sees a job's last message before its exit.
// In simulation and skip modes no process runs: the "job" says started, its
// required outputs, and exits on the scheduler's clock. In dummy mode the
// job is real, run as a live one is, but its scripts and environment are
// replaced by a sleep for the task's simulated run length, the messages of
// all its custom outputs, and a failure where runtime.TASK.simulation says.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <system_error>

#include "coroutines/batch_runner.hpp"
#include "coroutines/components.hpp"
#include "coroutines/job_script.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"

namespace tock::comp {

namespace {

// The job's descriptor for its message pipe: 10. Bash leaves 0-9 to
// scripts (a script's own `exec 3>file` cannot take the job's messages), and
// its `exec {var}>file` never takes a descriptor in use.
constexpr int kMessageFd = 10;

// How long a killed job has to go after SIGTERM before SIGKILL.
constexpr auto kKillGrace = std::chrono::seconds(10);

// Is `pid` alive and running this job's script (and not a recycled pid)?
bool runs_script(int pid, const std::string& script) {
    return read_proc_file(fmt::format("/proc/{}/cmdline", pid)).find(script) != std::string::npos;
}

// The process of a job whose pid was never recorded: it started, the
// scheduler died before it heard, and the job has not written job.status yet.
std::optional<int> find_job_process(const std::string& script) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const int pid = std::stoi(name);
        if (runs_script(pid, script)) return pid;
    }
    return std::nullopt;
}

// A job's directory, log/job/CYCLE/TASK/NN: two mkdirs when the cycle's
// directory is there, as it is for all but the first job of a cycle.
void make_job_dir(const std::string& dir) {
    const std::string task_dir = dir.substr(0, dir.rfind('/'));
    if (::mkdir(task_dir.c_str(), 0777) != 0 && errno != EEXIST) {
        std::filesystem::create_directories(task_dir);  // the cycle's first job
    }
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
        const int err = errno;
        throw std::system_error(err, std::generic_category(), "cannot create " + dir);
    }
}

// A broadcast's settings over a task's runtime (the keys docs/commands.md
// lists; the pool accepted no other).
void apply_broadcast(config::Runtime& rt, const Json& settings) {
    for (const auto& [key, v] : settings.items()) {
        const std::string value = v.is_string() ? v.get<std::string>() : v.dump();
        if (key == "script") {
            rt.script = value;
        } else if (key == "pre-script") {
            rt.pre_script = value;
        } else if (key == "post-script") {
            rt.post_script = value;
        } else if (key == "env-script") {
            rt.env_script = value;
        } else if (key == "err-script") {
            rt.err_script = value;
        } else if (key.rfind("environment.", 0) == 0) {
            const std::string var = key.substr(12);
            auto it = std::find_if(rt.environment.begin(), rt.environment.end(),
                                   [&](auto& e) { return e.first == var; });
            if (it != rt.environment.end()) {
                it->second = value;
            } else {
                rt.environment.emplace_back(var, value);
            }
        }
    }
}

// The job script, executable by its owner.
void write_script(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (fd < 0) {
        const int err = errno;
        throw std::system_error(err, std::generic_category(), "cannot write " + path);
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            ::close(fd);
            throw std::system_error(err, std::generic_category(), "cannot write " + path);
        }
        done += static_cast<std::size_t>(n);
    }
    // A script left from an earlier launch of this job keeps its mode; make
    // sure of it.
    const int mode_err = ::fchmod(fd, 0700) == 0 ? 0 : errno;
    const int close_err = ::close(fd) == 0 ? 0 : errno;
    if (mode_err || close_err) {
        throw std::system_error(mode_err ? mode_err : close_err, std::generic_category(),
                                "cannot write " + path);
    }
}

struct Submitter {
    Loop& loop;
    const config::Workflow& wf;
    SubmitOptions opts;
    Outbox& out;
    std::map<std::string, std::unique_ptr<BatchRunner>> batch;  // platform -> its runner
    Scope pollers;                                              // each runner's poller
    Scope jobs;
    std::map<std::string, Process*> running;  // job name -> its process
    std::map<std::string, int> adopted;       // job name -> process group, on restart
    // bash, looked up on PATH once rather than for every job.
    std::string bash = find_program("bash", std::getenv("PATH")).value_or("bash");

    Submitter(Loop& l, const config::Workflow& w, SubmitOptions o, Outbox& ob)
        : loop(l), wf(w), opts(std::move(o)), out(ob), pollers(l), jobs(l) {}

    BatchRunner& runner_for(const config::Platform& p) {
        auto& r = batch[p.name];
        if (!r) {
            r = std::make_unique<BatchRunner>(loop, out, p, opts.run_dir);
            pollers.spawn(r->run());
        }
        return *r;
    }
    // The batch runner of a task's platform, or null for the background
    // runner (dummy mode runs every job in the background, as Cylc's does).
    BatchRunner* batch_runner(const std::string& task) {
        if (opts.mode == RunMode::dummy) return nullptr;
        const config::Platform& p = wf.platform_of(wf.runtime.at(task));
        return p.job_runner == "background" ? nullptr : &runner_for(p);
    }

    // A job's runtime: the task's, or a copy with the broadcasts (`tock
    // broadcast`) the pool found for this job, and in dummy mode its dummy
    // script.
    const config::Runtime& runtime_for(const Json& job, std::optional<config::Runtime>& changed) {
        const std::string& task = job.at("task").get_ref<const std::string&>();
        if (auto b = job.find("broadcast"); b != job.end() && b->is_object()) {
            changed = wf.runtime.at(task);
            apply_broadcast(*changed, *b);
        }
        if (opts.mode == RunMode::dummy) {
            if (!changed) changed = wf.runtime.at(task);
            make_dummy(*changed, point_of(job), job.at("num").get<int>());
        }
        return changed ? *changed : wf.runtime.at(task);
    }

    jobs::JobInfo job_info(const Json& job, const std::string& endpoint) const {
        const std::string cycle = job.at("cycle").get<std::string>();
        const std::string task = job.at("task").get<std::string>();
        const int num = job.at("num").get<int>();
        return {wf.name,  task,          cycle,
                num,      opts.run_dir,  job_dir_of(opts.run_dir, cycle, task, num),
                endpoint, opts.tock_bin, ""};
    }

    // A job for a batch system, its directory and script written; nullopt
    // (and job.submit-failed) if they cannot be. job_messages hears that it
    // is being submitted, and keeps what the job says until its submission
    // is heard.
    std::optional<BatchJob> prepare(const Json& job, const BatchRunner& r) {
        std::optional<config::Runtime> changed;
        const config::Runtime& rt = runtime_for(job, changed);
        // A job that reports by job.status alone has no scheduler to call.
        // One that reports over TCP finds the endpoint in the run's contact file.
        const std::string& how = r.platform().communication;
        jobs::JobInfo j = job_info(job, how == "poll"  ? ""
                                        : how == "tcp" ? "tcp"
                                                       : opts.scheduler_endpoint);
        try {
            make_job_dir(j.job_dir);
            j.header = r.header(rt, wf.name, job);
            write_script(j.job_dir + "/job", jobs::job_script(j, rt));
        } catch (const std::exception& e) {
            Json b = fields(job);
            b["error"] = e.what();
            out.post("job.submit-failed", b);
            return std::nullopt;
        }
        out.post("job.submitting", fields(job));
        return BatchJob{fields(job), job_name(job), j.job_dir, "", false, false, 0, ""};
    }

    Json fields(const Json& job) const {
        return task_fields(wf, point_of(job), job.at("task").get<std::string>(),
                           job.at("num").get<int>());
    }
    // The same fields, as the start of a body written straight to text.
    JsonText text(const Json& job) const {
        JsonText t;
        t.task(wf, point_of(job), job.at("task").get_ref<const std::string&>(),
               job.at("num").get<int>());
        return t;
    }

    // Whether the job fails, as runtime.TASK.simulation says: at its fail
    // points (or all), on its first try only unless told otherwise.
    static bool sim_fails(const config::Runtime& rt, config::Point p, int num) {
        return (rt.sim_fail_all || std::find(rt.sim_fail_points.begin(), rt.sim_fail_points.end(),
                                             p) != rt.sim_fail_points.end()) &&
               (!rt.sim_fail_try_1_only || num == 1);
    }

    // A dummy job's runtime (Cylc's dummy mode): no scripts or environment of
    // the task's, a sleep for its run length, then each custom output's
    // message, then its failure if it is to fail.
    static void make_dummy(config::Runtime& rt, config::Point p, int num) {
        const auto length = to_duration(rt.run_length.value_or(config::Interval{0, 0, 10}));
        std::string script = fmt::format(
            "sleep {}\n", std::chrono::duration_cast<std::chrono::seconds>(length).count());
        for (const auto& [output, message] : rt.outputs)
            script += "tock message " + jobs::shell_quote(message) + "\n";
        if (sim_fails(rt, p, num)) script += "false  # runtime.simulation.fail_cycle_points\n";
        rt.script = script;
        rt.env_script.clear();
        rt.pre_script.clear();
        rt.post_script.clear();
        rt.err_script.clear();
        rt.environment.clear();
    }

    Task<void> live(Json job) {
        std::optional<config::Runtime> changed;
        const config::Runtime& rt = runtime_for(job, changed);
        const jobs::JobInfo j = job_info(job, opts.scheduler_endpoint);
        const std::string name = job_name(job);
        std::optional<Process> proc;
        std::int64_t started_at = 0;
        try {
            make_job_dir(j.job_dir);
            const std::string script = j.job_dir + "/job";
            write_script(script, jobs::job_script(j, rt));
            started_at = unix_micros();  // the job's start: the scheduler starts its process
            proc.emplace(
                Process::spawn(loop, {.argv = {bash, script},
                                      .cwd = opts.run_dir,
                                      .env = {{"TOCK_MESSAGE_FD", std::to_string(kMessageFd)}},
                                      .stdout_path = j.job_dir + "/job.out",
                                      .stderr_path = j.job_dir + "/job.err",
                                      .message_pipe = true,
                                      .message_fd = kMessageFd,
                                      .own_group = true}));
        } catch (const std::exception& e) {
            Json b = fields(job);
            b["error"] = e.what();
            out.post("job.submit-failed", b);
            co_return;
        }
        running[name] = &*proc;
        Json b = fields(job);
        b["runner"] = "background";
        b["pid"] = proc->pid();
        b["at"] = started_at;
        out.post("job.submitted", b);
        // Its script is running: the exec that Process::spawn waited for
        // has succeeded. The runner says so, in the same batch as the
        // submission, so that both are one commit (the job's header writes
        // `started` to job.status only, with no message: docs/commands.md).
        out.post_text("job.said", text(job).str("message", "started").take());
        while (auto line = co_await proc->read_line()) {
            out.post_text("job.said", text(job).str("message", *line).take());
        }
        const ExitStatus st = co_await proc->wait();
        running.erase(name);
        Json e = fields(job);
        e["exit"] = st.exit_code;
        e["signal"] = st.term_signal;
        e["at"] = unix_micros();
        out.post("job.exited", e);
    }

    Task<void> simulated(Json job) {
        const std::string task = job.at("task").get<std::string>();
        const config::Runtime& rt = wf.runtime.at(task);
        const config::Point p = point_of(job);
        const int num = job.at("num").get<int>();
        // The job's fields, written once for each of its messages.
        const JsonText head = text(job);
        out.post_text("job.submitted",
                      JsonText(head)
                          .str("runner", opts.mode == RunMode::skip ? "skip" : "simulation")
                          .num("at", unix_micros())
                          .take());
        out.post_text("job.said", JsonText(head).str("message", "started").take());
        const bool skip = opts.mode == RunMode::skip;
        if (!skip) {
            co_await loop.clock().sleep_for(
                to_duration(rt.run_length.value_or(config::Interval{0, 0, 10})));
        }
        const bool fail = !skip && sim_fails(rt, p, num);
        // Simulation completes every custom output (as Cylc's does, so the
        // graph's inter-cycle triggers on them are met); skip mode only the
        // required ones.
        for (const auto& [output, message] : rt.outputs) {
            if (!fail && (!skip || rt.output_required(output))) {
                out.post_text("job.said", JsonText(head).str("message", message).take());
            }
        }
        out.post_text("job.exited", JsonText(head)
                                        .num("exit", fail ? 1 : 0)
                                        .num("signal", 0)
                                        .num("at", unix_micros())
                                        .take());
    }

    // A job that was active when the scheduler died, reconciled from its
    // job.status and its process: finished ones report how they ended,
    // running ones are watched to their end, and one that never started is
    // launched now (its first run). Nothing is launched twice.
    Task<void> adopt(store::JobRow r) {
        Json job = task_fields(wf, config::Point{r.point}, r.name, r.submit_num);
        if (!real_jobs(opts.mode)) {
            co_await simulated(std::move(job));
            co_return;
        }
        const std::string job_dir = job_dir_of(opts.run_dir, r.cycle, r.name, r.submit_num);
        // A batch system's job: its runner tracks it from its id (or finds
        // it by its script), and launches nothing twice. The job's runner is
        // the one it was submitted to, whatever the platform says now.
        {
            config::Runtime as_run = wf.runtime.at(r.name);
            if (r.runner == "slurm" || r.runner == "at") {
                if (wf.platform_of(as_run).job_runner != r.runner) {
                    as_run.platform.clear();
                    as_run.job_runner = r.runner;
                }
            }
            const bool batch_job = r.runner == "slurm" || r.runner == "at" ||
                                   (r.job_id.empty() && batch_runner(r.name) != nullptr);
            if (batch_job && opts.mode != RunMode::dummy) {
                runner_for(wf.platform_of(as_run))
                    .adopt(BatchJob{fields(job), job_name(job), job_dir, r.job_id, false, false, 0,
                                    ""});
                co_return;
            }
        }
        const std::string script = job_dir + "/job";
        // Whether it lives first, then what it wrote: a job that writes its
        // end and exits between the two is seen ended, not killed.
        const JobStatus before = read_status(job_dir);
        std::optional<int> pid = before.pid ? before.pid : r.pid;
        bool alive = pid && runs_script(*pid, script);
        if (!alive && !before.exists) {
            pid = find_job_process(script);
            alive = pid.has_value();
        }
        JobStatus st = read_status(job_dir);
        if (st.pid && !pid) pid = st.pid;
        if (!alive && !st.exists) {
            co_await live(std::move(job));  // it never started
            co_return;
        }
        const std::string name = job_name(job);
        Json sub = fields(job);
        sub["runner"] = "background";
        if (pid) sub["pid"] = *pid;
        sub["adopted"] = true;
        out.post("job.submitted", sub);
        const Json head = fields(job);
        std::size_t told = 0;
        tell_status(out, head, st, told);
        if (!st.exit && alive) {
            adopted[name] = *pid;
            ExitWatch watch(loop, *pid);
            if (watch.supported()) {
                co_await watch.wait();
            } else {
                // No pidfd here (a kernel before 5.3): look once a second.
                while (runs_script(*pid, script)) {
                    co_await loop.clock().sleep_for(std::chrono::seconds(1));
                }
            }
            adopted.erase(name);
            st = read_status(job_dir);
            tell_status(out, head, st, told);
        }
        Json e = fields(job);
        // Not our child: its exit status is what it wrote, and a job that
        // ended without a word was killed.
        e["exit"] = st.exit ? (*st.exit == "SUCCEEDED" ? 0 : 1) : 0;
        e["signal"] = st.exit ? 0 : SIGKILL;
        e["at"] = unix_micros();
        out.post("job.exited", e);
    }

    // `tock poll`: a job this process watches reports by itself; one it
    // does not (lost track of) is read from its job.status, and its end
    // reported if it wrote one. Nothing is launched.
    void poll(const Json& job) {
        const std::string name = job_name(job);
        for (auto& [platform, r] : batch) {
            if (r->tracks(name)) {
                r->poll_now();  // ask its batch system now
                return;
            }
        }
        if (!real_jobs(opts.mode) || running.count(name) || adopted.count(name)) return;
        const JobStatus st =
            read_status(job_dir_of(opts.run_dir, job.at("cycle").get<std::string>(),
                                   job.at("task").get<std::string>(), job.at("num").get<int>()));
        if (!st.exists || !st.exit) return;
        std::size_t told = 0;
        tell_status(out, fields(job), st, told);
        Json e = fields(job);
        e["exit"] = *st.exit == "SUCCEEDED" ? 0 : 1;
        e["signal"] = 0;
        e["at"] = unix_micros();
        out.post("job.exited", e);
    }

    Task<void> kill(Json job) {
        const std::string name = job_name(job);
        for (auto& [platform, r] : batch) {
            if (r->tracks(name)) {
                co_await r->kill(name);
                co_return;
            }
        }
        if (auto a = adopted.find(name); a != adopted.end()) {
            ::kill(-a->second, SIGTERM);
            co_await loop.clock().sleep_for(kKillGrace);
            if (auto again = adopted.find(name); again != adopted.end()) {
                ::kill(-again->second, SIGKILL);
            }
            co_return;
        }
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
    listen(sub, {ep.store, ep.health}, {"submit", "kill", "poll"});
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.job_submit_subscribers);
    Outbox out(loop, pub);
    std::vector<store::JobRow> adopt = std::move(opts.adopt);
    Submitter s(loop, wf, std::move(opts), out);
    Scope sender(loop);
    sender.spawn(out.run());
    for (auto& r : adopt) s.jobs.spawn(s.adopt(std::move(r)));
    for (;;) {
        auto [topic, body] = co_await in.next();
        if (topic == "submit") {
            // A batch system's jobs go in one submission per platform.
            std::map<BatchRunner*, std::vector<BatchJob>> batches;
            for (Json& job : body.at("jobs")) {
                if (!real_jobs(s.opts.mode)) {
                    s.jobs.spawn(s.simulated(std::move(job)));
                } else if (BatchRunner* r = s.batch_runner(job.at("task").get<std::string>())) {
                    if (auto b = s.prepare(job, *r)) batches[r].push_back(std::move(*b));
                } else {
                    s.jobs.spawn(s.live(std::move(job)));
                }
            }
            for (auto& [r, v] : batches) s.jobs.spawn(r->submit(std::move(v)));
        } else if (topic == "kill") {
            s.jobs.spawn(s.kill(body));
        } else if (topic == "poll") {
            s.poll(body);
        }
    }
}

}  // namespace tock::comp
