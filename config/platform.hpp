// Platforms: where and how a task's jobs run (docs/platforms.md).
//
// A platform names a job runner (background, at, slurm), the hosts its
// commands run on, and how the runner is driven: the commands it submits,
// polls and kills with, how often a queued or running job is polled, and how
// the job tells the scheduler what it does. Platforms come from the
// workflow's `platforms:` section and from the global configuration's; a
// task picks one with `platform:`. A task with neither `platform` nor
// `job_runner` runs on `localhost`, the background runner on this host.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tock::config {

struct Platform {
    std::string name = "localhost";
    std::string job_runner = "background";  // background, at, slurm
    std::vector<std::string> hosts = {"localhost"};
    // How the job reports: "pipe" (background only: a pipe from the
    // scheduler), "zmq" (`tock message` to the scheduler's local socket: a
    // job on this host), "tcp" (`tock message` to the scheduler's TCP
    // endpoint, CurveZMQ: the scheduler listens with --host-port), or "poll"
    // (the job writes job.status; the runner reads it when the job is over).
    std::string communication = "pipe";
    // While one of its jobs is queued or running, the runner asks the batch
    // system this often (not for background jobs: their exits are seen).
    std::chrono::milliseconds poll_interval{std::chrono::seconds(10)};
    // The commands, each a program and leading arguments; tock appends what
    // it needs (the script, the ids). Defaults per runner (runner_defaults).
    std::vector<std::string> submit_command, poll_command, kill_command;
};

// The job runners tock has.
inline const std::vector<std::string>& job_runners() {
    static const std::vector<std::string> r = {"background", "at", "slurm"};
    return r;
}

// A platform with the defaults of its runner filled in where it left them
// unset: slurm submits with `sbatch`, polls with `squeue`, kills with
// `scancel`; at with `at`, `atq`, `atrm`. Communication: pipe for background,
// zmq for the others.
inline Platform with_runner_defaults(Platform p, bool communication_set) {
    auto fill = [](std::vector<std::string>& cmd, std::vector<std::string> dflt) {
        if (cmd.empty()) cmd = std::move(dflt);
    };
    if (p.job_runner == "slurm") {
        fill(p.submit_command, {"sbatch"});
        fill(p.poll_command, {"squeue"});
        fill(p.kill_command, {"scancel"});
    } else if (p.job_runner == "at") {
        fill(p.submit_command, {"at"});
        fill(p.poll_command, {"atq"});
        fill(p.kill_command, {"atrm"});
    }
    if (!communication_set) p.communication = p.job_runner == "background" ? "pipe" : "zmq";
    return p;
}

// Reads a `platforms:` mapping (the workflow's, or the global
// configuration's) into `out`, over the platforms already there. Every
// problem goes to `error` with the node it is about; a platform with one is
// left out.
void read_platforms(const YAML::Node& n, std::map<std::string, Platform>& out,
                    const std::function<void(const YAML::Node&, const std::string&)>& error);

// A Slurm directive that would break the job script's #SBATCH header, and
// why: a name with a space, a tab or '=' (write `--mem: 4G`), a value over
// more than one line. nullopt: it is fine.
std::optional<std::string> directive_error(const std::string& key, const std::string& value);

// The global configuration file: $TOCK_GLOBAL_CONFIG, or
// ~/.config/tock/global.yaml. `must_exist`: TOCK_GLOBAL_CONFIG was set.
struct GlobalConfigPath {
    std::string path;
    bool must_exist = false;
};
GlobalConfigPath global_config_path();

}  // namespace tock::config
