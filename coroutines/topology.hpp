// The one place that decides the scheduler's topology: which component
// publishes where, who subscribes to whom, and so which endpoints each
// component is given. Components learn their endpoints from here and from
// nothing else (docs/placement.md).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "coroutines/components.hpp"

namespace tock::comp {

enum class Where { inproc, thread, process, remote };

struct Place {
    Where where = Where::inproc;
    std::string address;  // remote: tcp://HOST:PORT, where its bus publisher listens
};

struct Placement {
    std::map<std::string, Place> of;  // every component (config::component_names)
    std::string host;  // where remote components reach the scheduler ("" = its host name)

    Placement();
    Where where(const std::string& name) const { return of.at(name).where; }
    bool any(Where w) const;
    // Some component is not in the scheduler's loop.
    bool placed() const;
    // Some component is in another process (here or on another host).
    bool out_of_process() const { return any(Where::process) || any(Where::remote); }
    // Set component `name` ("*": all) to `where`, checked by
    // config::place_problem; false with `why` on a bad one.
    bool set(const std::string& name, const std::string& where, std::string& why);
    // "NAME=WHERE", as --place and TOCK_PLACE give it.
    bool set(const std::string& item, std::string& why);
    // "task_pool=thread store=process ...": the components not in-proc.
    std::string describe() const;
};

// The components that subscribe to `publisher`'s bus endpoint.
const std::vector<std::string>& subscribers_of(const std::string& publisher);

// Every component's bus endpoint, and the subscriber counts, for this
// placement. A publisher whose subscribers all share its process gets
// inproc://; one with a subscriber in another process of this host gets
// ipc:// in `sockets` (the run's private socket directory). With any
// component on another host every endpoint is tcp:// with CurveZMQ: a remote
// component's at its own address, the others at `host` on free ports.
Endpoints topology(const Placement& p, const std::string& sockets, const std::string& host);

// An Endpoints as JSON and back, for a component in another process.
nlohmann::json endpoints_json(const Endpoints& ep);
Endpoints endpoints_from(const nlohmann::json& j);

}  // namespace tock::comp
