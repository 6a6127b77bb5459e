#include "coroutines/runners.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tock::runners {

namespace {

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view l = text.substr(0, nl);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        out.push_back(l);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A directive key with its dashes: "time" -> "--time", "-p" stays.
std::string dashed(const std::string& key) {
    if (key.rfind('-', 0) == 0) return key;
    return (key.size() == 1 ? "-" : "--") + key;
}

}  // namespace

std::string slurm_header(const std::string& job_name,
                         const std::vector<std::pair<std::string, std::string>>& directives,
                         const std::optional<config::Interval>& time_limit) {
    std::string h;
    h += fmt::format("#SBATCH --job-name={}\n", job_name);
    bool has_time = false;
    for (const auto& [k, v] : directives) {
        const std::string key = dashed(k);
        if (key == "--time" || key == "-t") has_time = true;
        if (v.empty()) {
            h += fmt::format("#SBATCH {}\n", key);
        } else if (key.size() == 2) {
            h += fmt::format("#SBATCH {} {}\n", key, v);
        } else {
            h += fmt::format("#SBATCH {}={}\n", key, v);
        }
    }
    if (!has_time && time_limit) {
        // A time limit is seconds (an exact interval: validation refuses
        // months in one).
        const long minutes = std::max<long>(1, static_cast<long>((time_limit->seconds + 59) / 60));
        h += fmt::format("#SBATCH --time={}\n", minutes);
    }
    return h;
}

std::optional<std::string> parse_sbatch(std::string_view out) {
    // The id is the last word that is one (warnings may come before it, and
    // the lines may have been joined).
    std::optional<std::string> id;
    for (std::string_view l : lines(out)) {
        while (!l.empty()) {
            l = trim(l);
            const auto sp = l.find_first_of(" \t");
            const std::string_view word = l.substr(0, sp);
            const std::string_view num = word.substr(0, word.find(';'));
            if (all_digits(num)) id = std::string(num);
            if (sp == std::string_view::npos) break;
            l.remove_prefix(sp);
        }
    }
    return id;
}

Phase slurm_phase(std::string_view s) {
    if (s == "PENDING" || s == "CONFIGURING" || s == "REQUEUED" || s == "REQUEUE_HOLD" ||
        s == "REQUEUE_FED" || s == "RESV_DEL_HOLD" || s == "SUSPENDED" || s == "STOPPED" ||
        s == "RESIZING" || s == "SIGNALING" || s == "STAGE_OUT")
        return Phase::queued;
    if (s == "RUNNING" || s == "COMPLETING") return Phase::running;
    if (s == "COMPLETED" || s == "FAILED") return Phase::ended;
    // CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED, BOOT_FAIL,
    // DEADLINE, REVOKED, SPECIAL_EXIT: Slurm ended it.
    return Phase::failed;
}

std::vector<RunnerState> parse_squeue(std::string_view out) {
    std::vector<RunnerState> jobs;
    for (std::string_view l : lines(out)) {
        l = trim(l);
        std::vector<std::string_view> f;
        while (f.size() < 3) {
            const auto bar = l.find('|');
            if (bar == std::string_view::npos) break;
            f.push_back(l.substr(0, bar));
            l.remove_prefix(bar + 1);
        }
        f.push_back(l);  // the command may hold '|'
        // An array or heterogeneous job's step ids (123_4, 123+1) are not ours.
        if (f.size() < 2 || !all_digits(f[0]) || f[1].empty()) continue;
        RunnerState r{std::string(f[0]), slurm_phase(f[1]), std::string(f[1]), ""};
        if (f.size() > 2 && !f[2].empty() && f[2] != "None") r.reason += fmt::format(" ({})", f[2]);
        if (f.size() > 3) r.command = std::string(f[3]);
        jobs.push_back(std::move(r));
    }
    return jobs;
}

std::optional<std::string> parse_at(std::string_view out) {
    // "job N at DATE", wherever it is in the output.
    for (auto pos = out.find("job "); pos != std::string_view::npos;
         pos = out.find("job ", pos + 1)) {
        if (pos > 0 && !std::isspace(static_cast<unsigned char>(out[pos - 1]))) continue;
        std::string_view rest = out.substr(pos + 4);
        const std::string_view id = rest.substr(0, rest.find(' '));
        if (all_digits(id) && rest.substr(id.size()).rfind(" at ", 0) == 0) return std::string(id);
    }
    return std::nullopt;
}

std::vector<RunnerState> parse_atq(std::string_view out) {
    std::vector<RunnerState> jobs;
    for (std::string_view l : lines(out)) {
        const auto tab = l.find('\t');
        if (tab == std::string_view::npos) continue;
        const std::string_view id = trim(l.substr(0, tab));
        if (!all_digits(id)) continue;
        // "DATE QUEUE USER": the queue is the word before the last.
        std::string_view rest = trim(l.substr(tab + 1));
        const auto last = rest.rfind(' ');
        if (last == std::string_view::npos) continue;
        rest = trim(rest.substr(0, last));
        const std::string_view queue = rest.substr(rest.rfind(' ') + 1);
        const bool running = queue == "=";
        jobs.push_back({std::string(id), running ? Phase::running : Phase::queued,
                        running ? "running" : "queued", ""});
    }
    return jobs;
}

}  // namespace tock::runners
