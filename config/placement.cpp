#include "config/placement.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tock::config {

const std::vector<std::string>& component_names() {
    static const std::vector<std::string> names = {
        "task_pool", "store",  "job_submit", "job_messages", "xtriggers",
        "health",    "events", "commands",   "publisher",    "reporter"};
    return names;
}

namespace {

// Those that operators, jobs or the terminal reach where the scheduler
// runs: their sockets are in the run's private socket directory, and the
// reporter draws the progress line on the scheduler's terminal.
bool stays_on_this_host(const std::string& name) {
    return name == "commands" || name == "publisher" || name == "job_messages" ||
           name == "reporter";
}

}  // namespace

std::string place_problem(const std::string& name, const std::string& where) {
    const auto& names = component_names();
    if (name != "*" && std::find(names.begin(), names.end(), name) == names.end()) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        return fmt::format("'{}' is not a component (components: {}; * for all)", name, known);
    }
    if (where == "inproc" || where == "thread" || where == "process") return "";
    if (where.rfind("tcp://", 0) == 0) {
        const std::string hp = where.substr(6);
        const auto colon = hp.rfind(':');
        const std::string port = colon == std::string::npos ? "" : hp.substr(colon + 1);
        if (colon == std::string::npos || colon == 0 || port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoi(port) == 0 ||
            std::stoi(port) > 65535)
            return fmt::format(
                "'{}': give the host and port its bus publisher listens on, as "
                "tcp://HOST:PORT (a port from 1 to 65535)",
                where);
        if (name == "*")
            return "* cannot go to one tcp:// address: place each component on its own port";
        if (stays_on_this_host(name))
            return fmt::format(
                "{} stays on the scheduler's host (operators, jobs or the terminal reach it "
                "there): place it inproc, thread or process",
                name);
        return "";
    }
    return fmt::format("'{}' is not a placement: use inproc, thread, process or tcp://HOST:PORT",
                       where);
}

}  // namespace tock::config
