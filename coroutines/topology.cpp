#include "coroutines/topology.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "config/placement.hpp"

namespace tock::comp {

namespace {

// The bus: who takes each publisher's topics (components.hpp).
const std::map<std::string, std::vector<std::string>>& subscriptions() {
    static const std::map<std::string, std::vector<std::string>> subs = {
        {"task_pool", {"store"}},
        {"store",
         {"job_submit", "xtriggers", "health", "events", "reporter", "commands", "publisher"}},
        {"job_submit", {"job_messages"}},
        {"job_messages", {"task_pool"}},
        {"xtriggers", {"task_pool"}},
        {"health", {"task_pool", "job_submit"}},
        {"events", {"reporter"}},
        {"commands", {"task_pool"}},
    };
    return subs;
}

struct Field {
    std::string Endpoints::*endpoint;
    std::size_t Endpoints::*subscribers;
};

const std::map<std::string, Field>& fields() {
    static const std::map<std::string, Field> f = {
        {"task_pool", {&Endpoints::task_pool, &Endpoints::task_pool_subscribers}},
        {"store", {&Endpoints::store, &Endpoints::store_subscribers}},
        {"job_submit", {&Endpoints::job_submit, &Endpoints::job_submit_subscribers}},
        {"job_messages", {&Endpoints::job_messages, &Endpoints::job_messages_subscribers}},
        {"xtriggers", {&Endpoints::xtriggers, &Endpoints::xtriggers_subscribers}},
        {"health", {&Endpoints::health, &Endpoints::health_subscribers}},
        {"events", {&Endpoints::events, &Endpoints::events_subscribers}},
        {"commands", {&Endpoints::commands, &Endpoints::commands_subscribers}},
    };
    return f;
}

// A TCP port free on `host` now (the system's pick).
int free_port(const std::string& host) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), "0", &hints, &res) != 0 || !res)
        throw std::runtime_error(fmt::format("placement: host '{}' does not resolve", host));
    const int fd = ::socket(res->ai_family, SOCK_STREAM, 0);
    int port = -1;
    if (fd >= 0 && ::bind(fd, res->ai_addr, res->ai_addrlen) == 0) {
        sockaddr_storage a{};
        socklen_t len = sizeof a;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
            port = a.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port)
                                          : ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
        }
    }
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(res);
    if (port <= 0)
        throw std::runtime_error(fmt::format("placement: cannot listen on host '{}'", host));
    return port;
}

bool in_scheduler(Where w) {
    return w == Where::inproc || w == Where::thread;
}

}  // namespace

Placement::Placement() {
    for (const auto& n : config::component_names()) of[n] = Place{};
}

bool Placement::any(Where w) const {
    for (const auto& [n, p] : of)
        if (p.where == w) return true;
    return false;
}

bool Placement::placed() const {
    for (const auto& [n, p] : of)
        if (p.where != Where::inproc) return true;
    return false;
}

bool Placement::set(const std::string& name, const std::string& where, std::string& why) {
    why = config::place_problem(name, where);
    if (!why.empty()) return false;
    Place p;
    if (where == "thread") p.where = Where::thread;
    if (where == "process") p.where = Where::process;
    if (where.rfind("tcp://", 0) == 0) {
        p.where = Where::remote;
        p.address = where;
    }
    if (name == "*") {
        for (auto& [n, place] : of) place = p;
    } else {
        of[name] = p;
    }
    return true;
}

bool Placement::set(const std::string& item, std::string& why) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
        why =
            fmt::format("'{}': use COMPONENT=WHERE, such as job_submit=process or *=thread", item);
        return false;
    }
    return set(item.substr(0, eq), item.substr(eq + 1), why);
}

std::string Placement::describe() const {
    std::string out;
    for (const auto& n : config::component_names()) {
        const Place& p = of.at(n);
        if (p.where == Where::inproc) continue;
        out += (out.empty() ? "" : " ") + n + "=" +
               (p.where == Where::thread    ? std::string("thread")
                : p.where == Where::process ? std::string("process")
                                            : p.address);
    }
    return out;
}

const std::vector<std::string>& subscribers_of(const std::string& publisher) {
    return subscriptions().at(publisher);
}

Endpoints topology(const Placement& p, const std::string& sockets, const std::string& host) {
    Endpoints ep;
    const bool remote = p.any(Where::remote);
    for (const auto& [name, field] : fields()) {
        const auto& subs = subscribers_of(name);
        ep.*field.subscribers = subs.size();
        const Place& own = p.of.at(name);
        std::string endpoint = "inproc://tock/" + name;
        if (remote) {
            endpoint = own.where == Where::remote
                           ? own.address
                           : fmt::format("tcp://{}:{}", host, free_port(host));
        } else {
            bool local = in_scheduler(own.where);
            for (const auto& s : subs) local = local && in_scheduler(p.of.at(s).where);
            if (!local) endpoint = "ipc://" + sockets + "/bus-" + name + ".sock";
        }
        ep.*field.endpoint = endpoint;
    }
    return ep;
}

nlohmann::json endpoints_json(const Endpoints& ep) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, field] : fields()) {
        j[name] = {{"endpoint", ep.*field.endpoint}, {"subscribers", ep.*field.subscribers}};
    }
    return j;
}

Endpoints endpoints_from(const nlohmann::json& j) {
    Endpoints ep;
    for (const auto& [name, field] : fields()) {
        ep.*field.endpoint = j.at(name).at("endpoint").get<std::string>();
        ep.*field.subscribers = j.at(name).at("subscribers").get<std::size_t>();
    }
    return ep;
}

}  // namespace tock::comp
