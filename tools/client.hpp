// Finding a running workflow and talking to it, for the operator commands
// (control.cpp) and `tock watch` (watch.cpp): the run's contact file, its
// endpoints (ipc on this host, CurveZMQ TCP from another), one call.
#pragma once

#include <fmt/color.h>

#include <stdexcept>
#include <string>

#include "scheduler/rpc.hpp"
#include "scheduler/zsocket.hpp"

namespace tock::cmd {

// The workflow cannot be reached, or refused: exit status 1.
struct Refusal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Run {
    std::string name, dir;
    Json contact;
};

// NAME (its latest run), NAME/runN or a run directory, whose scheduler is
// alive; Refusal if there is none.
Run find_run(const std::string& name);
// The endpoint `which` (commands, snapshots, updates) and the options to
// reach it: TCP with the run's client key when the scheduler is on another
// host (or TOCK_CLIENT_TCP is set) and listens on TCP, else ipc.
std::string endpoint_of(const Run& r, const std::string& which, ChannelOptions& o);
// Connects `sub` to the run's updates (the state stream's deltas, topic
// "delta"), over CurveZMQ when the endpoint is TCP.
void subscribe_updates(ZSocket& sub, const Run& r);
// One call to the commands endpoint (or the snapshots one); the reply, or
// Refusal with the scheduler's error.
Json call(const Run& r, const std::string& op, Json args, bool snapshots = false);
// USER@HOST, as commands are recorded.
std::string who();
// This host's name, as contact files give it.
std::string this_host();
// A task state's colour on a terminal (tock status, tock watch).
fmt::text_style state_style(const std::string& state);

}  // namespace tock::cmd
