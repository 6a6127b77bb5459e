#include "config/platform.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "config/reader.hpp"
#include "config/workflow.hpp"

namespace tock::config {

const Platform& Workflow::platform_of(const Runtime& rt) const {
    if (!rt.platform.empty()) {
        if (auto it = platforms.find(rt.platform); it != platforms.end()) return it->second;
    }
    // A job runner named on its own: that runner on this host.
    auto named = [](const char* runner) {
        Platform p;
        p.name = runner;
        p.job_runner = runner;
        return with_runner_defaults(p, false);
    };
    static const Platform background = with_runner_defaults(Platform{}, false);
    static const Platform slurm = named("slurm");
    static const Platform at = named("at");
    if (rt.job_runner == "slurm") return slurm;
    if (rt.job_runner == "at") return at;
    return background;
}

std::optional<std::string> directive_error(const std::string& key, const std::string& value) {
    if (key.empty() || key == "-" || key == "--") return "an empty directive name";
    if (key.find_first_of(" \t\n=") != std::string::npos)
        return fmt::format("directive '{}': a name has no spaces or '=' (write --mem: 4G)", key);
    if (value.find('\n') != std::string::npos)
        return fmt::format("directive '{}': its value is on one line", key);
    return std::nullopt;
}

GlobalConfigPath global_config_path() {
    if (const char* env = std::getenv("TOCK_GLOBAL_CONFIG")) return {env, true};
    const char* home = std::getenv("HOME");
    return {std::string(home ? home : ".") + "/.config/tock/global.yaml", false};
}

namespace {

// The names this host answers to: a platform's commands run here.
bool this_host(const std::string& h) {
    if (h == "localhost" || h == "127.0.0.1" || h == "::1") return true;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return false;
    const std::string full = name;
    return h == full || h == full.substr(0, full.find('.'));
}

const std::vector<std::string> kKeys = {
    "job_runner",     "hosts",        "communication", "poll_interval",
    "submit_command", "poll_command", "kill_command",  "meta"};

}  // namespace

void read_platforms(const YAML::Node& n, std::map<std::string, Platform>& out,
                    const std::function<void(const YAML::Node&, const std::string&)>& error) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
        error(n,
              "platforms: a mapping of platform names to their settings, such as "
              "{hpc: {job_runner: slurm}}");
        return;
    }
    for (const auto& kv : n) {
        const std::string name = kv.first.Scalar();
        const YAML::Node& body = kv.second;
        Platform p;
        p.name = name;
        bool ok = true, communication_set = false;
        auto bad = [&](const YAML::Node& at, const std::string& why) {
            error(at, fmt::format("platform '{}': {}", name, why));
            ok = false;
        };
        if (name.empty() || name.find_first_of(" \t/:") != std::string::npos) {
            bad(kv.first, "a platform's name has no spaces, '/' or ':'");
            continue;
        }
        // localhost is this host's background runner; a job runner's own
        // name is that runner on this host (job_runner: slurm alone).
        if (name == "localhost" || name == "background" || name == "slurm" || name == "at") {
            bad(kv.first,
                "the name is tock's own (localhost, background, slurm and at are the "
                "runners on this host): give yours another");
            continue;
        }
        if (!body.IsMap()) {
            bad(body, "its settings are a mapping, such as {job_runner: slurm}");
            continue;
        }
        // A command: "sbatch --account=x" or [sbatch, --account=x].
        auto command = [&](const YAML::Node& v, const std::string& key) {
            std::vector<std::string> argv;
            if (v.IsScalar()) {
                std::string word;
                for (char c : v.Scalar() + " ") {
                    if (c == ' ' || c == '\t') {
                        if (!word.empty()) argv.push_back(std::move(word));
                        word.clear();
                    } else {
                        word += c;
                    }
                }
            } else if (v.IsSequence()) {
                for (const auto& a : v) {
                    if (!a.IsScalar())
                        bad(a, key + ": each word is a string");
                    else
                        argv.push_back(a.Scalar());
                }
            }
            if (argv.empty()) bad(v, key + ": a command, such as \"sbatch --account=ops\"");
            return argv;
        };
        for (const auto& s : body) {
            const std::string key = s.first.Scalar();
            const YAML::Node& v = s.second;
            if (key == "job_runner") {
                const auto& known = job_runners();
                if (!v.IsScalar() ||
                    std::find(known.begin(), known.end(), v.Scalar()) == known.end())
                    bad(v, fmt::format("unknown job runner '{}': use {}",
                                       v.IsScalar() ? v.Scalar() : "", detail::join(known)));
                else
                    p.job_runner = v.Scalar();
            } else if (key == "hosts") {
                std::vector<std::string> hosts;
                if (v.IsScalar()) {
                    hosts.push_back(v.Scalar());
                } else if (v.IsSequence()) {
                    for (const auto& h : v)
                        if (h.IsScalar()) hosts.push_back(h.Scalar());
                }
                if (hosts.empty()) bad(v, "hosts: a host name or a list of them");
                for (const auto& h : hosts) {
                    if (!this_host(h))
                        bad(v,
                            fmt::format(
                                "host '{}': tock runs a platform's commands on the "
                                "scheduler's host only; run the scheduler where {} can be "
                                "reached (docs/platforms.md)",
                                h, p.job_runner == "background" ? "the jobs" : "the batch system"));
                }
                p.hosts = hosts;
            } else if (key == "communication") {
                communication_set = true;
                if (!v.IsScalar() || (v.Scalar() != "pipe" && v.Scalar() != "zmq" &&
                                      v.Scalar() != "tcp" && v.Scalar() != "poll"))
                    bad(v, "communication: pipe, zmq, tcp or poll");
                else
                    p.communication = v.Scalar();
            } else if (key == "poll_interval") {
                try {
                    Cycling dt(CyclingSettings{CyclingMode::datetime, Calendar::gregorian, 0, {}});
                    const Interval i = dt.parse_interval(v.IsScalar() ? v.Scalar() : "");
                    if (i.months != 0 || i.seconds <= 0) throw ParseError("", 0);
                    p.poll_interval = std::chrono::seconds(i.seconds);
                } catch (const std::exception&) {
                    bad(v, "poll_interval: a duration of a second or more, such as PT10S");
                }
            } else if (key == "submit_command") {
                p.submit_command = command(v, key);
            } else if (key == "poll_command") {
                p.poll_command = command(v, key);
            } else if (key == "kill_command") {
                p.kill_command = command(v, key);
            } else if (key != "meta") {
                bad(s.first, fmt::format("unknown key '{}' (known: {})", key, detail::join(kKeys)));
            }
        }
        p = with_runner_defaults(std::move(p), communication_set);
        if (p.job_runner == "background") {
            if (p.communication != "pipe")
                bad(body, "a background job reports through its pipe: communication is pipe");
            if (!p.submit_command.empty() || !p.poll_command.empty() || !p.kill_command.empty())
                bad(body, "the background runner has no submit, poll or kill command");
        } else if (p.communication == "pipe") {
            bad(body,
                fmt::format(
                    "a {} job has no pipe to the scheduler: communication is zmq "
                    "(tock message, this host), tcp (tock message, CurveZMQ) or poll (job.status)",
                    p.job_runner));
        }
        if (ok) out[name] = std::move(p);
    }
}

}  // namespace tock::config
