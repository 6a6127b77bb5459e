// The operator commands of a running workflow: stop, pause, resume, hold,
// release, trigger, kill, poll, set, remove, broadcast, show, status, dump,
// watch. Each finds the run from its contact file and talks to its commands
// component or its state stream (docs/protocol.md). Exit status: 0 done,
// 1 refused or the workflow unreachable (with the reason), 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace tock::cmd {

class Control;

// Adds the subcommands to `app`; run_control() runs the one given, if it
// was one of them (else returns -1).
std::shared_ptr<Control> add_control_commands(CLI::App& app);
int run_control(Control& c, CLI::App& app);
// `tock watch NAME` (watch.cpp).
int watch(const std::string& name);

}  // namespace tock::cmd
