#include "coroutines/batch_runner.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <set>

#include "coroutines/job_script.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"

namespace tock::comp {

JobStatus read_status(const std::string& job_dir) {
    JobStatus st;
    std::ifstream f(job_dir + "/job.status");
    if (!f) return st;
    st.exists = true;
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("TOCK_JOB_PID=", 0) == 0) {
            try {
                st.pid = std::stoi(line.substr(13));
            } catch (const std::exception&) {
            }
        } else if (line.rfind("TOCK_JOB_EXIT=", 0) == 0) {
            st.exit = line.substr(14);
        } else if (const auto sp = line.find(' '); sp != std::string::npos) {
            st.messages.push_back(line.substr(sp + 1));  // "TIME MESSAGE"
        }
    }
    return st;
}

void tell_status(Outbox& out, const Json& fields, const JobStatus& st, std::size_t& told) {
    for (; told < st.messages.size(); ++told) {
        Json said = fields;
        said["message"] = st.messages[told];
        out.post("job.said", said);
    }
}

std::string job_dir_of(const std::string& run_dir, const std::string& cycle,
                       const std::string& task, int num) {
    return fmt::format("{}/log/job/{}/{}/{:02}", run_dir, cycle, task, num);
}

Task<CommandOutput> run_command(Loop& loop, std::vector<std::string> argv, std::string cwd) {
    // stderr joins stdout, so that the text is in the order it was written.
    std::vector<std::string> args = {"bash", "-c", "exec 2>&1; exec \"$@\"", "tock-runner"};
    args.insert(args.end(), argv.begin(), argv.end());
    CommandOutput r;
    std::optional<Process> p;
    try {
        p.emplace(Process::spawn(loop, {.argv = std::move(args),
                                        .cwd = std::move(cwd),
                                        .message_pipe = true,
                                        .message_fd = 1}));
    } catch (const std::exception& e) {
        r.status.exit_code = 127;
        r.text = e.what();
        co_return r;
    }
    while (auto line = co_await p->read_line()) {
        r.text += *line;
        r.text += '\n';
    }
    r.status = co_await p->wait();
    co_return r;
}

namespace {

bool slurm(const config::Platform& p) {
    return p.job_runner == "slurm";
}

std::string joined(const std::vector<std::string>& v, char sep) {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += sep;
        s += x;
    }
    return s;
}

std::string one_line(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (char& c : s)
        if (c == '\n') c = ' ';
    return s;
}

void activity(const std::string& job_dir, const std::string& text) {
    std::ofstream(job_dir + "/job-activity.log", std::ios::app)
        << fmt::format("[{:%Y-%m-%dT%H:%M:%SZ}] {}\n",
                       fmt::gmtime(static_cast<std::time_t>(unix_micros() / 1000000)), text);
}

}  // namespace

BatchRunner::BatchRunner(Loop& loop, Outbox& out, config::Platform platform, std::string run_dir)
    : loop_(loop),
      out_(out),
      platform_(std::move(platform)),
      run_dir_(std::move(run_dir)),
      work_(loop),
      poke_(loop),
      tasks_(loop) {}

std::string BatchRunner::header(const config::Runtime& rt, const std::string& workflow,
                                const Json& fields) const {
    if (!slurm(platform_)) return "";
    const std::string name = fmt::format("{}.{}.{}", fields.at("task").get<std::string>(),
                                         fields.at("cycle").get<std::string>(), workflow);
    return runners::slurm_header(name, rt.directives, rt.time_limit);
}

Task<void> BatchRunner::submit(std::vector<BatchJob> jobs) {
    for (const auto& j : jobs) submitting_.insert(j.name);
    // A kill that came while the batch system had not answered is done
    // once it has: the job is cancelled as soon as it has an id.
    auto heard_of = [&](const std::string& name) {
        submitting_.erase(name);
        if (kill_on_submit_.erase(name)) tasks_.spawn(kill(name));
    };
    // One bash for the batch: for each job, its submit command, the output
    // into the job's job-activity.log, and one line "INDEX STATUS OUTPUT".
    std::string prog =
        R"(sub() { local i=$1 dir=$2 out rc; shift 2; out=$("$@" 2>&1); rc=$?; )"
        R"(TZ=UTC0 printf '[%(%Y-%m-%dT%H:%M:%SZ)T] submit: %s\n%s\n' -1 "$*" "$out" >>"$dir/job-activity.log"; )"
        R"(printf '%s %s %s\n' "$i" "$rc" "${out//$'\n'/ }"; })"
        "\n";
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const BatchJob& j = jobs[i];
        std::vector<std::string> cmd = platform_.submit_command;
        if (slurm(platform_)) {
            // The log files on the command line, where the path is one
            // argument whatever it holds ('%' is sbatch's pattern sign).
            auto literal = [](std::string s) {
                std::string out;
                for (char c : s) out += c == '%' ? std::string("%%") : std::string(1, c);
                return out;
            };
            cmd.insert(cmd.end(),
                       {"--parsable", fmt::format("--output={}/job.out", literal(j.job_dir)),
                        fmt::format("--error={}/job.err", literal(j.job_dir)), j.job_dir + "/job"});
        } else {
            // at runs a line of sh: the job's script in a session of its
            // own (atd's process group is atd's), its output in its files.
            std::ofstream(j.job_dir + "/job.at")
                << fmt::format("exec setsid -w bash {0}/job >{0}/job.out 2>{0}/job.err\n",
                               jobs::shell_quote(j.job_dir));
            cmd.insert(cmd.end(), {"-f", j.job_dir + "/job.at", "now"});
        }
        prog += fmt::format("sub {} {}", i, jobs::shell_quote(j.job_dir));
        for (const auto& a : cmd) {
            prog += ' ';
            prog += jobs::shell_quote(a);
        }
        prog += "\n";
    }
    // The program goes in a file: a batch of thousands of jobs is more than
    // one argument may hold.
    const std::string file =
        fmt::format("{}/.service/submit-{}-{}.sh", run_dir_, platform_.name, ++batches_);
    std::optional<Process> p;
    try {
        {
            std::ofstream f(file);
            f << prog;
            if (!f.flush()) throw std::runtime_error(fmt::format("cannot write {}", file));
        }
        p.emplace(Process::spawn(
            loop_,
            {.argv = {"bash", file}, .cwd = run_dir_, .message_pipe = true, .message_fd = 1}));
    } catch (const std::exception& e) {
        for (auto& j : jobs) {
            Json b = j.fields;
            b["error"] =
                fmt::format("cannot run {}: {}", joined(platform_.submit_command, ' '), e.what());
            out_.post("job.submit-failed", b);
            heard_of(j.name);
        }
        co_return;
    }
    std::vector<bool> heard(jobs.size());
    while (auto line = co_await p->read_line()) {
        const auto a = line->find(' ');
        const auto b = a == std::string::npos ? a : line->find(' ', a + 1);
        if (b == std::string::npos) continue;
        std::size_t i = 0;
        int rc = 0;
        try {
            i = std::stoul(line->substr(0, a));
            rc = std::stoi(line->substr(a + 1, b - a - 1));
        } catch (const std::exception&) {
            continue;
        }
        if (i >= jobs.size() || heard[i]) continue;
        heard[i] = true;
        BatchJob& j = jobs[i];
        const std::string text = line->substr(b + 1);
        const auto id =
            rc == 0 ? (slurm(platform_) ? runners::parse_sbatch(text) : runners::parse_at(text))
                    : std::nullopt;
        if (!id) {
            Json e = j.fields;
            e["error"] = fmt::format("{} refused the job (exit {}): {}",
                                     platform_.submit_command[0], rc, one_line(text));
            out_.post("job.submit-failed", e);
            heard_of(j.name);
            continue;
        }
        j.id = *id;
        Json s = j.fields;
        s["runner"] = platform_.job_runner;
        s["job_id"] = j.id;
        s["at"] = unix_micros();
        out_.post("job.submitted", s);
        const std::string name = j.name;
        track(std::move(j));
        heard_of(name);
    }
    (void)co_await p->wait();
    std::remove(file.c_str());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (heard[i]) continue;
        Json e = jobs[i].fields;
        e["error"] = "the submission ended before it said what became of this job";
        out_.post("job.submit-failed", e);
        heard_of(jobs[i].name);
    }
}

void BatchRunner::track(BatchJob j) {
    const std::string name = j.name;
    jobs_[name] = std::move(j);
    work_.set();
}

void BatchRunner::adopt(BatchJob j) {
    Json s = j.fields;
    s["runner"] = platform_.job_runner;
    if (!j.id.empty()) s["job_id"] = j.id;
    s["adopted"] = true;
    out_.post("job.submitted", s);
    j.adopted = true;
    if (j.id.empty()) {
        // The scheduler died before it heard the id: the submission wrote
        // its output to the job's job-activity.log, id and all.
        std::ifstream log(j.job_dir + "/job-activity.log");
        std::string line, said;
        bool in_submit = false;
        while (std::getline(log, line)) {
            if (line.rfind('[', 0) == 0) {
                in_submit = line.find("] submit: ") != std::string::npos;
                if (in_submit) said.clear();
            } else if (in_submit) {
                said += line + "\n";
            }
        }
        if (auto id = slurm(platform_) ? runners::parse_sbatch(said) : runners::parse_at(said)) {
            j.id = *id;
        } else if (!read_status(j.job_dir).exists) {
            // It never reached the batch system, and never ran: submitted
            // now, once.
            std::vector<BatchJob> again{std::move(j)};
            tasks_.spawn(submit(std::move(again)));
            return;
        } else {
            // It ran, and no id says where: its job.status is all there is.
            j.id = "unknown";
        }
    }
    track(std::move(j));
}

Task<void> BatchRunner::kill(std::string name) {
    if (submitting_.count(name)) {
        kill_on_submit_.insert(name);
        co_return;
    }
    auto it = jobs_.find(name);
    if (it == jobs_.end()) co_return;
    BatchJob& j = it->second;
    const std::string job_dir = j.job_dir;
    std::vector<std::string> cmd = platform_.kill_command;
    if (!slurm(platform_)) {
        // An at job that has started is a process of this host, the leader
        // of its own session (job.at's setsid): its group goes, SIGTERM
        // then SIGKILL, as a background job's does. One not started yet
        // leaves atq with atrm.
        const JobStatus st = read_status(job_dir);
        const std::string script = job_dir + "/job";
        auto alive = [&] {
            return st.pid && ::getpgid(*st.pid) == *st.pid &&
                   read_proc_file(fmt::format("/proc/{}/cmdline", *st.pid)).find(script) !=
                       std::string::npos;
        };
        if (alive()) {
            ::kill(-*st.pid, SIGTERM);
            activity(job_dir, fmt::format("kill: SIGTERM to process group {}", *st.pid));
            poke_.set();
            co_await loop_.clock().sleep_for(std::chrono::seconds(10));
            if (alive()) {
                ::kill(-*st.pid, SIGKILL);
                activity(job_dir, fmt::format("kill: SIGKILL to process group {}", *st.pid));
            }
            poke_.set();
            co_return;
        }
    }
    cmd.push_back(j.id);
    const CommandOutput r = co_await run_command(loop_, cmd, run_dir_);
    activity(job_dir, fmt::format("kill: {} (exit {})\n{}", joined(cmd, ' '), r.status.exit_code,
                                  one_line(r.text)));
    poke_.set();
}

Task<void> BatchRunner::wake_after(std::chrono::milliseconds d) {
    co_await loop_.clock().sleep_for(d);
    poke_.set();
}

Task<void> BatchRunner::run() {
    for (;;) {
        while (jobs_.empty()) {
            co_await work_.wait();
            work_.reset();
        }
        {
            Scope timer(loop_);
            timer.spawn(wake_after(platform_.poll_interval));
            co_await poke_.wait();
            poke_.reset();
            timer.cancel();
        }
        co_await poll();
    }
}

void BatchRunner::finish(BatchJob& j, const std::string& reason) {
    const JobStatus st = read_status(j.job_dir);
    // What the job wrote while nobody listened: all of it when it reports
    // by job.status, or when it ran across a restart.
    if (platform_.communication == "poll" || j.adopted) tell_status(out_, j.fields, st, j.told);
    Json e = j.fields;
    if (st.exit) {
        e["exit"] = *st.exit == "SUCCEEDED" ? 0 : 1;
        e["signal"] = 0;
        if (*st.exit != "SUCCEEDED" && !reason.empty()) e["error"] = reason;
    } else {
        e["exit"] = 1;
        e["signal"] = 0;
        e["error"] = reason.empty() ? "the job ended without writing how" : reason;
    }
    e["at"] = unix_micros();
    out_.post("job.exited", e);
    activity(j.job_dir, fmt::format("ended: {}", e.contains("error") ? e["error"].get<std::string>()
                                                                     : std::string("succeeded")));
}

Task<void> BatchRunner::poll() {
    // The jobs this poll asks about: one submitted while it runs is not in
    // its answer, and is left for the next.
    std::set<std::string> asked;
    for (const auto& [name, j] : jobs_) asked.insert(name);
    std::vector<std::string> cmd = platform_.poll_command;
    bool ask = true;
    if (slurm(platform_)) {
        // Only real ids: one that is not (a job whose id was never heard)
        // would make squeue refuse the whole list.
        std::vector<std::string> ids;
        for (const auto& name : asked) {
            const std::string& id = jobs_.at(name).id;
            if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos)
                ids.push_back(id);
        }
        cmd.insert(cmd.end(), {"-h", "-t", "all", "-o", "%i|%T|%r|%o", "-j", joined(ids, ',')});
        ask = !ids.empty();
    }
    // (An if, not ?: gcc 12 miscompiles a co_await inside a conditional.)
    CommandOutput r;
    if (ask) r = co_await run_command(loop_, cmd, run_dir_);
    const std::vector<runners::RunnerState> seen =
        slurm(platform_) ? runners::parse_squeue(r.text) : runners::parse_atq(r.text);
    // squeue that knows none of the ids says "Invalid job id specified" and
    // exits 1: that is an answer (all gone), not a failure to answer.
    const bool answered =
        r.status.ok() || (slurm(platform_) && r.text.find("Invalid job id") != std::string::npos);
    if (!answered) {
        // The batch system did not answer: ask again at the next interval.
        // Each job's log says so once, not at every interval.
        if (!poll_failing_) {
            for (auto& [name, j] : jobs_) {
                activity(j.job_dir, fmt::format("poll: {} failed (exit {}): {}; asking again "
                                                "every {} s",
                                                cmd[0], r.status.exit_code, one_line(r.text),
                                                platform_.poll_interval.count() / 1000));
            }
        }
        poll_failing_ = true;
        co_return;
    }
    poll_failing_ = false;
    std::map<std::string, const runners::RunnerState*> by_id;
    for (const auto& s : seen) by_id[s.id] = &s;
    std::vector<std::string> over;
    for (auto& [name, j] : jobs_) {
        if (!asked.count(name)) continue;
        auto s = by_id.find(j.id);
        if (s == by_id.end()) {
            finish(j, fmt::format("{} no longer knows job {}", platform_.job_runner, j.id));
            over.push_back(name);
            continue;
        }
        const runners::RunnerState& st = *s->second;
        switch (st.phase) {
            case runners::Phase::queued:
                // A reason worth an operator's eye (a drained node, a
                // partition that is down), once per change.
                if (st.reason != j.last_reason) {
                    const bool usual = st.reason == "PENDING" ||
                                       st.reason == "PENDING (Priority)" ||
                                       st.reason == "PENDING (Resources)" || st.reason == "queued";
                    if (!usual) {
                        Json said = j.fields;
                        said["message"] =
                            fmt::format("{} job {}: {}", platform_.job_runner, j.id, st.reason);
                        out_.post("job.said", said);
                    }
                    j.last_reason = st.reason;
                }
                break;
            case runners::Phase::running:
                if (!j.started) {
                    j.started = true;
                    Json said = j.fields;
                    said["message"] = "started";
                    out_.post("job.said", said);
                }
                break;
            case runners::Phase::ended:
            case runners::Phase::failed:
                finish(j, fmt::format("{} job {}: {}", platform_.job_runner, j.id, st.reason));
                over.push_back(name);
                break;
        }
    }
    for (const auto& name : over) {
        jobs_.erase(name);
    }
}

}  // namespace tock::comp
